/* Where files live: the history file, with its overrides. */
#ifndef PGMLTOP_PATHS_H
#define PGMLTOP_PATHS_H

#include "xutil.h"

/*
 * The default history file: $XDG_DATA_HOME/pgmltop/history.db, or
 * ~/.local/share/pgmltop/history.db. Returns a new string, or NULL with a message.
 */
char *paths_default_history(struct pgt_err *err);

/*
 * A rules file: the one shipped, NAME in $PGMLTOP_DATADIR (else the installed data
 * folder), which must exist, then the user's, $XDG_CONFIG_HOME/pgmltop/NAME (else
 * ~/.config/pgmltop/NAME), when it exists; each read with load(ctx, path, err). WHAT names
 * the file in a message ("plan rules").
 */
int paths_load_rules(const char *name, const char *what,
		     int (*load)(void *ctx, const char *path, struct pgt_err *err), void *ctx,
		     struct pgt_err *err);

/* Make the directories above path that are missing, mode 0700. */
int paths_make_parent(const char *path, struct pgt_err *err);

#endif
