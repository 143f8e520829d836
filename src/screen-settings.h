/*
 * The settings pane of the screen: the settings the parameter rules read, the others off
 * their default, pending restarts, the recommendations, and the timeline of changes with
 * the measured effect of each. Draws with curses a params_model that the caller reads;
 * knows nothing of the history or the server.
 */
#ifndef PGMLTOP_SCREEN_SETTINGS_H
#define PGMLTOP_SCREEN_SETTINGS_H

#include "params.h"

struct settings_view {
	const struct params_model *m; /* NULL while it is read */
	const char *title;  /* over which window: made safe by the caller */
	const char *status; /* instead of the settings when m is NULL */
	int top;            /* the first line shown */
	int all;            /* every setting, not only those off their default */
	int utf8;
};

/* Draw the pane on lines [y0, y0 + height) of the screen. */
void settings_pane_draw(struct settings_view *v, int y0, int height);

/* A key of the pane: 1 when it used it (scrolling, a to show every setting), else 0. */
int settings_pane_key(struct settings_view *v, int ch, int height);

/* The lines the pane draws (for the tests): caller frees each and the array. */
int settings_pane_lines(const struct settings_view *v, char ***out);

#endif
