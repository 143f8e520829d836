/*
 * The recommendations pane of the screen: the ranked list (score, category, title,
 * statement, saving a day, confidence, state) filtered by state and category, and the
 * story of one (its fixes with their evidence and the suggestion ready to copy, its
 * state and, once applied, whether it helped). Draws with curses from a report the
 * caller reads; knows nothing of the history.
 */
#ifndef PGMLTOP_SCREEN_RECS_H
#define PGMLTOP_SCREEN_RECS_H

#include "report.h"

enum recs_filter { RECS_OPEN, RECS_APPLIED, RECS_DISMISSED, RECS_ALL, RECS_FILTERS };

struct recs_view {
	const struct report *rep; /* NULL while it is read */
	const char *status;       /* instead of the list when rep is NULL */
	enum recs_filter filter;
	char category[32];        /* "" for all */
	int sel, top;             /* in the filtered list */
	int story;                /* the story of story_id is shown */
	char story_id[24];
	int story_top;
	int utf8;
	int color;
};

/* The indexes into rep->recs that the filters let through (*out allocated). */
int recs_visible(const struct recs_view *v, int **out);
/*
 * The recommendation the keys act on: the one whose story is shown (even when a mark
 * took it out of the filter), else the selected one; or NULL.
 */
const struct recommendation *recs_selected(const struct recs_view *v);
/* The next category filter: all, then each category present, in order. */
void recs_next_category(struct recs_view *v);
const char *recs_filter_name(enum recs_filter f);

/* The lines of the list (with a header) or of the story (caller frees). */
int recs_list_lines(const struct recs_view *v, size_t width, char ***out);
int recs_story_lines(const struct recs_view *v, size_t width, char ***out);

void recs_pane_draw(struct recs_view *v, const char *title, int y0, int height);
/* Moving keys; 1 when used. */
int recs_pane_key(struct recs_view *v, int ch, int height);

/* One line for the main screen: the top open recommendation, or "" (buf). */
void recs_top_line(const struct report *rep, char *buf, size_t len);

#endif
