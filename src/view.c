#include "config.h"

#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "xutil.h"

/* Bounds on one match and on a whole pass, so that no pattern can hang the screen. */
#define MATCH_LIMIT 5000000
#define DEPTH_LIMIT 100000
#define FILTER_BUDGET_S 1.0

static const char *const col_names[COL_COUNT] = {
	"QUERYID", "CALLS/S", "TIME%",    "MEAN_MS", "MAX_MS",
	"ROWS/CALL", "SHR_READ", "SHR_HIT", "TEMP_WR", "QUERY",
};

const char *
view_col_name(enum view_col col)
{
	return col >= 0 && col < COL_COUNT ? col_names[col] : "?";
}

int
view_col_by_name(const char *name)
{
	int i;

	for (i = 0; i < COL_COUNT; i++)
		if (strcmp(col_names[i], name) == 0)
			return i;
	return -1;
}

void
view_init(struct view *v)
{
	memset(v, 0, sizeof *v);
	v->sort = COL_TIME;
	v->selected = -1;
}

static void
free_rows(struct view_row *rows, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(rows[i].text);
		free(rows[i].dbname);
		free(rows[i].username);
	}
	free(rows);
}

void
view_free(struct view *v)
{
	free_rows(v->rows, v->n_rows);
	free(v->shown);
	free(v->match);
	free(v->pattern);
	free(v->db);
	free(v->user);
	pcre2_code_free(v->re);
	view_init(v);
}

double
view_value(const struct view *v, const struct view_row *row, enum view_col col)
{
	const struct batch_row *r = &row->r;
	double calls = (double)r->calls;

	switch (col) {
	case COL_QUERYID:
		return (double)r->queryid;
	case COL_CALLS:
		return v->seconds > 0 ? calls / v->seconds : calls;
	case COL_TIME:
		return v->total_ms > 0 ? r->total_ms / v->total_ms : 0;
	case COL_MEAN:
		return calls > 0 ? r->total_ms / calls : 0;
	case COL_MAX:
		return r->max_ms;
	case COL_ROWS:
		return calls > 0 ? (double)r->rows / calls : 0;
	case COL_READ:
		return (double)r->shared_blks_read;
	case COL_HIT:
		return (double)r->shared_blks_hit;
	case COL_TEMP:
		return (double)r->temp_blks_written;
	default:
		return 0;
	}
}

/* qsort has no context argument: the view being sorted. */
static const struct view *sorting;

static int
cmp_shown(const void *a, const void *b)
{
	const struct view_row *x = &sorting->rows[*(const int *)a];
	const struct view_row *y = &sorting->rows[*(const int *)b];
	int c = 0;

	if (sorting->sort == COL_QUERY) {
		c = strcmp(x->text ? x->text : "", y->text ? y->text : "");
		c = -c; /* the default order is "largest first": for text, A before Z */
	} else if (sorting->sort == COL_QUERYID) {
		c = x->r.queryid < y->r.queryid ? -1 : x->r.queryid > y->r.queryid;
	} else {
		double dx = view_value(sorting, x, sorting->sort);
		double dy = view_value(sorting, y, sorting->sort);

		c = dx < dy ? -1 : dx > dy;
	}
	if (c == 0) /* ties: a fixed order, so rows do not jump between refreshes */
		c = x->r.queryid < y->r.queryid ? 1 : x->r.queryid > y->r.queryid ? -1 : 0;
	if (c == 0)
		c = y->r.toplevel - x->r.toplevel;
	return sorting->reverse ? c : -c;
}

/* Match every row against the filter once; sorting later reuses the answers. */
static void
match_rows(struct view *v)
{
	pcre2_match_data *md;
	pcre2_match_context *mc;
	double start = now_mono();
	int i;

	free(v->match);
	v->match = xcalloc((size_t)(v->n_rows ? v->n_rows : 1), 1);
	v->limit_hits = 0;
	if (v->re == NULL) {
		memset(v->match, 1, (size_t)v->n_rows);
		return;
	}
	md = pcre2_match_data_create_from_pattern(v->re, NULL);
	mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);
	for (i = 0; i < v->n_rows; i++) {
		int rc;

		if (v->rows[i].text == NULL)
			continue;
		if (now_mono() - start > FILTER_BUDGET_S) {
			/* out of time: the rest is shown rather than hidden */
			v->match[i] = 1;
			v->limit_hits++;
			continue;
		}
		rc = pcre2_match(v->re, (PCRE2_SPTR)v->rows[i].text, PCRE2_ZERO_TERMINATED, 0, 0,
				 md, mc);
		if (rc >= 0) {
			v->match[i] = 1;
		} else if (rc != PCRE2_ERROR_NOMATCH) {
			v->match[i] = 1; /* a limit: shown rather than silently hidden */
			v->limit_hits++;
		}
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
}

/* Filter and sort again, keeping the selection on its statement where it is shown. */
static void
apply(struct view *v, int rematch)
{
	int i;

	if (rematch || v->match == NULL)
		match_rows(v);
	free(v->shown);
	v->shown = xcalloc((size_t)(v->n_rows ? v->n_rows : 1), sizeof *v->shown);
	v->n_shown = 0;
	for (i = 0; i < v->n_rows; i++) {
		const struct view_row *r = &v->rows[i];

		if (!v->match[i])
			continue;
		if (v->db != NULL && (r->dbname == NULL || strcmp(r->dbname, v->db) != 0))
			continue;
		if (v->user != NULL && (r->username == NULL || strcmp(r->username, v->user) != 0))
			continue;
		v->shown[v->n_shown++] = i;
	}
	sorting = v;
	if (v->n_shown > 1)
		qsort(v->shown, (size_t)v->n_shown, sizeof *v->shown, cmp_shown);
	sorting = NULL;

	if (v->n_shown == 0) {
		v->selected = -1; /* the statement is remembered for when rows come back */
		return;
	}
	if (v->has_selected_id) {
		for (i = 0; i < v->n_shown; i++) {
			const struct batch_row *r = &v->rows[v->shown[i]].r;

			if (r->queryid == v->selected_id && r->toplevel == v->selected_toplevel) {
				v->selected = i;
				return;
			}
		}
	}
	if (v->selected < 0)
		v->selected = 0;
	if (v->selected >= v->n_shown)
		v->selected = v->n_shown - 1;
	v->has_selected_id = 1;
	v->selected_id = v->rows[v->shown[v->selected]].r.queryid;
	v->selected_toplevel = v->rows[v->shown[v->selected]].r.toplevel;
}

void
view_set_rows(struct view *v, struct view_row *rows, int n, double seconds)
{
	int i;

	free_rows(v->rows, v->n_rows);
	v->rows = rows;
	v->n_rows = n;
	v->seconds = seconds;
	v->total_ms = 0;
	for (i = 0; i < n; i++) {
		v->rows[i].r.query = v->rows[i].text;
		v->total_ms += v->rows[i].r.total_ms;
	}
	apply(v, 1);
}

int
view_set_filter(struct view *v, const char *pattern, int utf8)
{
	pcre2_code *re = NULL;
	int errcode;
	PCRE2_SIZE offset;

	v->error[0] = '\0';
	if (pattern != NULL && pattern[0] != '\0') {
		re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				   PCRE2_CASELESS | (utf8 ? PCRE2_UTF | PCRE2_MATCH_INVALID_UTF : 0),
				   &errcode, &offset, NULL);
		if (re == NULL) {
			PCRE2_UCHAR msg[120];

			pcre2_get_error_message(errcode, msg, sizeof msg);
			snprintf(v->error, sizeof v->error, "invalid pattern: %s at offset %zu",
				 (const char *)msg, (size_t)offset);
			return -1;
		}
		/* compiled to machine code where PCRE2 can: much faster; else interpreted */
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	}
	pcre2_code_free(v->re);
	v->re = re;
	free(v->pattern);
	v->pattern = re ? xstrdup(pattern) : NULL;
	apply(v, 1);
	return 0;
}

void
view_sort_by(struct view *v, enum view_col col)
{
	if (col < 0 || col >= COL_COUNT)
		return;
	v->sort = col;
	apply(v, 0);
}

void
view_sort_step(struct view *v, int dir)
{
	int col = (int)v->sort + (dir > 0 ? 1 : -1);

	/* clamped at the ends, as htop's < and > */
	if (col < 0)
		col = 0;
	if (col >= COL_COUNT)
		col = COL_COUNT - 1;
	view_sort_by(v, (enum view_col)col);
}

void
view_reverse(struct view *v)
{
	v->reverse = !v->reverse;
	apply(v, 0);
}

static void
select_at(struct view *v, int i)
{
	if (v->n_shown == 0) {
		v->selected = -1;
		return;
	}
	if (i < 0)
		i = 0;
	if (i >= v->n_shown)
		i = v->n_shown - 1;
	v->selected = i;
	v->has_selected_id = 1;
	v->selected_id = v->rows[v->shown[i]].r.queryid;
	v->selected_toplevel = v->rows[v->shown[i]].r.toplevel;
}

void
view_move(struct view *v, int delta)
{
	long long to = (long long)v->selected + delta;

	select_at(v, to < 0 ? 0 : to > v->n_shown ? v->n_shown : (int)to);
}

void
view_home(struct view *v)
{
	select_at(v, 0);
}

void
view_end(struct view *v)
{
	select_at(v, v->n_shown - 1);
}

void
view_scroll(struct view *v, int height)
{
	if (height < 1)
		height = 1;
	if (v->selected < 0) {
		v->top = 0;
		return;
	}
	if (v->selected < v->top)
		v->top = v->selected;
	if (v->selected >= v->top + height)
		v->top = v->selected - height + 1;
	if (v->top > v->n_shown - height)
		v->top = v->n_shown - height;
	if (v->top < 0)
		v->top = 0;
}

const struct view_row *
view_selected(const struct view *v)
{
	if (v->selected < 0 || v->selected >= v->n_shown)
		return NULL;
	return &v->rows[v->shown[v->selected]];
}

int
view_select_id(struct view *v, int64_t queryid)
{
	int i, nested = -1;

	for (i = 0; i < v->n_shown; i++) {
		const struct batch_row *r = &v->rows[v->shown[i]].r;

		if (r->queryid != queryid)
			continue;
		if (r->toplevel) {
			select_at(v, i);
			return 1;
		}
		if (nested < 0)
			nested = i;
	}
	if (nested >= 0) {
		select_at(v, nested);
		return 1;
	}
	return 0;
}

void
view_set_scope(struct view *v, const char *db, const char *user)
{
	char *d = db ? xstrdup(db) : NULL, *u = user ? xstrdup(user) : NULL;

	free(v->db);
	free(v->user);
	v->db = d;
	v->user = u;
	apply(v, 0);
}

const char *
view_next_name(const struct view *v, int user, const char *current)
{
	const char *best = NULL;
	int i;

	for (i = 0; i < v->n_rows; i++) {
		const char *name = user ? v->rows[i].username : v->rows[i].dbname;

		if (name == NULL || (current != NULL && strcmp(name, current) <= 0))
			continue;
		if (best == NULL || strcmp(name, best) < 0)
			best = name;
	}
	return best;
}
