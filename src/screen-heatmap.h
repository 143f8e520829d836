/*
 * The heatmap pane of the screen: a grid of hours drawn from a struct heatmap, with a
 * cursor, a legend and the value under the cursor. Draws with curses; knows nothing of
 * the history or the server.
 */
#ifndef PGMLTOP_SCREEN_HEATMAP_H
#define PGMLTOP_SCREEN_HEATMAP_H

#include "heatmap.h"

/* The colour pairs of the ramp's levels: HEATMAP_PAIR0 .. HEATMAP_PAIR0 + LEVELS - 1. */
#define HEATMAP_PAIR0 5
#define HEATMAP_LEVELS 5

/* Set up the ramp's colour pairs (after start_color()). */
void heatmap_colors(void);

struct heatmap_view {
	const struct heatmap *hm; /* NULL while the hours are read */
	int row, col;             /* the cursor; kept inside the grid by heatmap_draw */
	int top;                  /* the first row shown (the days layout scrolls) */
	const char *title;        /* what and over which window: made safe by the caller */
	const char *status;       /* instead of the grid when hm is NULL or empty */
	int color;
	int utf8;
};

/* Draw the pane on lines [y0, y0 + height) of the screen. */
void heatmap_draw(struct heatmap_view *v, int y0, int height);

/* The text under the cursor: "Mon 09:00  412.5 calls per hour (4 hours)". */
void heatmap_cursor_text(const struct heatmap_view *v, char *buf, size_t size);

#endif
