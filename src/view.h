/*
 * The statement list as the screen shows it: the rows of a window, sorted by a column,
 * filtered by a PCRE2 pattern on the query text, with a selection that follows its
 * statement across refreshes. No curses here.
 */
#ifndef PGMLTOP_VIEW_H
#define PGMLTOP_VIEW_H

#include <stdint.h>

#include "batch.h"

enum view_col {
	COL_QUERYID,
	COL_CALLS, /* calls per second of the window */
	COL_TIME,  /* share of the window's total time */
	COL_MEAN,
	COL_MAX,
	COL_ROWS, /* rows per call */
	COL_READ,
	COL_HIT,
	COL_TEMP,
	COL_QUERY,
	COL_COUNT
};

struct view_row {
	struct batch_row r; /* r.query points at text, owned by the row */
	char *text;
	char *dbname; /* owned; NULL when not known */
	char *username;
};

struct view {
	struct view_row *rows; /* every row of the window */
	int n_rows;
	double seconds;  /* the span the rows cover, for rates */
	double total_ms; /* of all rows, for TIME% */

	int *shown; /* indexes into rows: filtered and sorted */
	int n_shown;

	enum view_col sort;
	int reverse; /* 1: smallest first (the default order is largest first) */

	char *db;   /* only rows of this database (NULL: all) */
	char *user; /* only rows of this role (NULL: all) */
	void *re; /* the compiled filter (pcre2_code), or NULL */
	char *pattern;
	char error[200]; /* why the last pattern was refused */
	unsigned char *match; /* per row: the filter matched (computed once per filter or rows) */
	int limit_hits; /* rows the filter could not decide (match limit or time budget): shown */

	int selected; /* index into shown; -1 when nothing is shown */
	int has_selected_id; /* the statement to select again when it is shown */
	int64_t selected_id;
	int selected_toplevel;
	int top; /* the first shown row on the screen */
};

void view_init(struct view *v);
void view_free(struct view *v);

/* Replace the rows (taken over; texts too). The selection stays on its statement. */
void view_set_rows(struct view *v, struct view_row *rows, int n, double seconds);

/*
 * A new filter pattern (caseless; NULL or "" clears it). -1 with v->error when invalid,
 * and the previous filter stays. Matching is bounded per row and in all; rows it could
 * not decide are shown and counted in limit_hits.
 */
int view_set_filter(struct view *v, const char *pattern, int utf8);

/* Only the rows of a database and a role (NULL: any). */
void view_set_scope(struct view *v, const char *db, const char *user);

/*
 * The next database (user 0) or role (user 1) name after 'current' among the rows, in
 * name order; NULL after the last one (meaning all). Borrowed from the rows.
 */
const char *view_next_name(const struct view *v, int user, const char *current);

/* Sort by the column dir steps to the right (or left), as htop's < and >. */
void view_sort_step(struct view *v, int dir);
void view_sort_by(struct view *v, enum view_col col);
void view_reverse(struct view *v);

/* Move the selection by delta rows (clamped), or to the first or last row. */
void view_move(struct view *v, int delta);
void view_home(struct view *v);
void view_end(struct view *v);
/* Keep the selection on screen in a list of 'height' rows. */
void view_scroll(struct view *v, int height);

const struct view_row *view_selected(const struct view *v);
/* Select a statement by query id (a top-level one first); 0 when it is not shown. */
int view_select_id(struct view *v, int64_t queryid);
const char *view_col_name(enum view_col col);
/* The column of a name as view_col_name gives it; -1 when there is none. */
int view_col_by_name(const char *name);
/* The column's value of a row, for sorting (and tests). */
double view_value(const struct view *v, const struct view_row *row, enum view_col col);

#endif
