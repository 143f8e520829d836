/*
 * The interactive screen: the statement list with its header, the drill-down pane and
 * the help screen, live from a server or offline from the history. Keys change state and
 * ask for a redraw; the loop draws once per turn.
 */
#ifndef PGMLTOP_SCREEN_H
#define PGMLTOP_SCREEN_H

#include "options.h"

/* Run the screen until the user quits; returns the exit status. */
int screen_run(const struct options *o);

#endif
