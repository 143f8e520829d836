/* Where files live: the history file, with its overrides. */
#ifndef PGMLTOP_PATHS_H
#define PGMLTOP_PATHS_H

#include "xutil.h"

/*
 * The default history file: $XDG_DATA_HOME/pgmltop/history.db, or
 * ~/.local/share/pgmltop/history.db. Returns a new string, or NULL with a message.
 */
char *paths_default_history(struct pgt_err *err);

/* Make the directories above path that are missing, mode 0700. */
int paths_make_parent(const char *path, struct pgt_err *err);

#endif
