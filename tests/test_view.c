/*
 * Unit tests of the view module: the statement list of the screen, sorted by a column,
 * filtered by a pattern on the query text, with a selection that follows its statement
 * across refreshes. Rows are built in memory.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "view.h"
#include "xutil.h"

/* ---- helpers ---- */

/* One statement as a test describes it; text NULL: not known yet. */
struct spec {
	int64_t queryid;
	int toplevel;
	int64_t calls;
	double total_ms;
	double max_ms;
	int64_t rows;
	int64_t read;
	int64_t hit;
	int64_t temp;
	const char *text;
};

/* A malloc'd row array from specs, texts copied; the view takes it over. */
static struct view_row *
mkrows(const struct spec *s, int n)
{
	struct view_row *rows = xcalloc((size_t)(n > 0 ? n : 1), sizeof *rows);
	int i;

	for (i = 0; i < n; i++) {
		struct view_row *vr = &rows[i];

		vr->r.queryid = s[i].queryid;
		vr->r.toplevel = s[i].toplevel;
		vr->r.calls = s[i].calls;
		vr->r.total_ms = s[i].total_ms;
		vr->r.max_ms = s[i].max_ms;
		vr->r.rows = s[i].rows;
		vr->r.shared_blks_read = s[i].read;
		vr->r.shared_blks_hit = s[i].hit;
		vr->r.temp_blks_written = s[i].temp;
		vr->text = s[i].text != NULL ? xstrdup(s[i].text) : NULL;
		vr->r.query = vr->text;
	}
	return rows;
}

static void
set_specs(struct view *v, const struct spec *s, int n, double seconds)
{
	view_set_rows(v, mkrows(s, n), n, seconds);
}

/* The i-th shown row. */
static const struct view_row *
shown(const struct view *v, int i)
{
	assert_true(i >= 0 && i < v->n_shown);
	assert_true(v->shown[i] >= 0 && v->shown[i] < v->n_rows);
	return &v->rows[v->shown[i]];
}

static int
shown_has(const struct view *v, int64_t queryid)
{
	int i;

	for (i = 0; i < v->n_shown; i++)
		if (shown(v, i)->r.queryid == queryid)
			return 1;
	return 0;
}

/* Shown indexes are distinct rows, the selection is in range (or -1 with nothing shown). */
static void
check_consistent(const struct view *v)
{
	int i, j;

	assert_true(v->n_rows >= 0);
	assert_true(v->n_shown >= 0 && v->n_shown <= v->n_rows);
	for (i = 0; i < v->n_shown; i++) {
		assert_true(v->shown[i] >= 0 && v->shown[i] < v->n_rows);
		for (j = i + 1; j < v->n_shown; j++)
			assert_int_not_equal(v->shown[i], v->shown[j]);
	}
	if (v->n_shown == 0) {
		assert_int_equal(v->selected, -1);
		assert_null(view_selected(v));
	} else {
		assert_true(v->selected >= 0 && v->selected < v->n_shown);
		assert_ptr_equal(view_selected(v), shown(v, v->selected));
	}
}

/* Shown rows in non-increasing (dir > 0) or non-decreasing (dir < 0) order of col. */
static void
check_order(const struct view *v, enum view_col col, int dir)
{
	int i;

	for (i = 0; i + 1 < v->n_shown; i++) {
		double a = view_value(v, shown(v, i), col);
		double b = view_value(v, shown(v, i + 1), col);

		assert_false(isnan(a));
		assert_false(isnan(b));
		if (dir > 0 ? a < b : a > b) {
			print_error("column %d, dir %d: shown[%d]=%g then shown[%d]=%g\n",
				    (int)col, dir, i, a, i + 1, b);
			fail();
		}
	}
}

/* The same check on a field of the row itself, independent of how view_value scales it. */
static double
field(const struct view_row *vr, enum view_col col)
{
	switch (col) {
	case COL_QUERYID:
		return (double)vr->r.queryid;
	case COL_MAX:
		return vr->r.max_ms;
	case COL_READ:
		return (double)vr->r.shared_blks_read;
	case COL_HIT:
		return (double)vr->r.shared_blks_hit;
	case COL_TEMP:
		return (double)vr->r.temp_blks_written;
	case COL_CALLS:
		return (double)vr->r.calls;
	case COL_TIME:
		return vr->r.total_ms;
	case COL_MEAN:
		return vr->r.calls > 0 ? vr->r.total_ms / (double)vr->r.calls : 0;
	case COL_ROWS:
		return vr->r.calls > 0 ? (double)vr->r.rows / (double)vr->r.calls : 0;
	case COL_QUERY:
	case COL_COUNT:
		break;
	}
	fail_msg("no field for column %d", (int)col);
	return 0;
}

static void
check_field_order(const struct view *v, enum view_col col, int dir)
{
	int i;

	for (i = 0; i + 1 < v->n_shown; i++) {
		double a = field(shown(v, i), col);
		double b = field(shown(v, i + 1), col);

		if (dir > 0 ? a < b : a > b) {
			print_error("column %d, dir %d: field shown[%d]=%g then shown[%d]=%g\n",
				    (int)col, dir, i, a, i + 1, b);
			fail();
		}
	}
}

/* Text order of the shown rows that have a text: +1 non-increasing, -1 non-decreasing, 0 both
 * (all equal), 2 neither. */
static int
text_direction(const struct view *v)
{
	int up = 0, down = 0, i;
	const char *prev = NULL;

	for (i = 0; i < v->n_shown; i++) {
		const char *t = shown(v, i)->text;
		int c;

		if (t == NULL)
			continue;
		if (prev != NULL) {
			c = strcmp(prev, t);
			if (c < 0)
				up = 1;
			else if (c > 0)
				down = 1;
		}
		prev = t;
	}
	if (up && down)
		return 2;
	if (up)
		return -1;
	if (down)
		return 1;
	return 0;
}

static int64_t
selected_id(const struct view *v)
{
	const struct view_row *vr = view_selected(v);

	assert_non_null(vr);
	return vr->r.queryid;
}

/* Move the selection onto the shown row of queryid and toplevel. */
static void
select_stmt(struct view *v, int64_t queryid, int toplevel)
{
	int i;

	view_home(v);
	for (i = 0; i < v->n_shown; i++) {
		const struct view_row *vr = view_selected(v);

		assert_non_null(vr);
		if (vr->r.queryid == queryid && vr->r.toplevel == toplevel)
			return;
		view_move(v, 1);
	}
	fail_msg("statement %lld/%d not shown", (long long)queryid, toplevel);
}

static double
mono(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Eight statements with distinct values in every column (and a NULL text). */
static const struct spec mixed[] = {
	/* queryid tl calls  total_ms  max_ms rows read  hit  temp text */
	{ 101, 1, 100, 500.0, 20.0, 1000, 7, 900, 0, "SELECT abalance FROM pgbench_accounts WHERE aid = $1" },
	{ 102, 1, 10, 2000.0, 900.0, 5, 300, 20, 64, "UPDATE pgbench_accounts SET abalance = abalance + $1" },
	{ 103, 1, 1000, 50.0, 1.0, 1000, 0, 5000, 0, "select 1 from t1" },
	{ 104, 0, 3, 30.0, 12.0, 90, 2, 3, 1, "select a, b from t2" },
	{ 105, 1, 0, 0.0, 0.0, 0, 0, 0, 0, "insert into pgbench_history values ($1)" },
	{ 106, 1, 40, 1200.0, 80.0, 40, 1000, 10, 500, NULL },
	{ 107, 1, 7, 7.5, 3.0, 70, 1, 1, 2, "BEGIN" },
	{ 108, 0, 20, 900.0, 300.0, 2, 50, 400, 7, "select x from t33" },
};
#define N_MIXED ((int)(sizeof mixed / sizeof mixed[0]))

static const struct view_row *
find_row(const struct view *v, int64_t queryid)
{
	int i;

	for (i = 0; i < v->n_rows; i++)
		if (v->rows[i].r.queryid == queryid)
			return &v->rows[i];
	fail_msg("row %lld missing", (long long)queryid);
	return NULL;
}

/* ---- tests ---- */

static void
view_empty_after_init(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	assert_int_equal(v.n_rows, 0);
	assert_int_equal(v.n_shown, 0);
	assert_int_equal(v.selected, -1);
	assert_null(view_selected(&v));
	assert_int_equal(v.sort, COL_TIME);
	assert_int_equal(v.reverse, 0);
	assert_null(v.re);
	view_move(&v, 1);
	view_move(&v, -1);
	view_home(&v);
	view_end(&v);
	view_scroll(&v, 10);
	assert_int_equal(v.selected, -1);
	assert_null(view_selected(&v));
	view_free(&v);
}

static void
view_column_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < COL_COUNT; i++) {
		const char *a = view_col_name((enum view_col)i);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(a, view_col_name((enum view_col)j));
	}
}

static void
view_default_sort_is_time(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(v.n_rows, N_MIXED);
	assert_int_equal(v.n_shown, N_MIXED);
	assert_int_equal(v.sort, COL_TIME);
	assert_int_equal(v.reverse, 0);
	assert_true(fabs(v.seconds - 10.0) < 1e-9);
	assert_true(fabs(v.total_ms - 4687.5) < 1e-6);
	check_consistent(&v);
	check_order(&v, COL_TIME, 1);
	check_field_order(&v, COL_TIME, 1);
	assert_int_equal(shown(&v, 0)->r.queryid, 102);
	assert_int_equal(shown(&v, 1)->r.queryid, 106);
	assert_int_equal(shown(&v, N_MIXED - 1)->r.queryid, 105);
	assert_int_equal(v.selected, 0);
	assert_int_equal(selected_id(&v), 102);
	view_free(&v);
}

static void
view_values_of_columns(void **state)
{
	struct view v;
	const struct view_row *a, *b, *c;
	double ta, tb, sum = 0;
	int i;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	a = find_row(&v, 101);
	b = find_row(&v, 102);
	c = find_row(&v, 105);

	/* calls per second of the window */
	assert_true(fabs(view_value(&v, a, COL_CALLS) - 10.0) < 1e-9);
	assert_true(fabs(view_value(&v, b, COL_CALLS) - 1.0) < 1e-9);
	/* mean time per call, rows per call */
	assert_true(fabs(view_value(&v, a, COL_MEAN) - 5.0) < 1e-9);
	assert_true(fabs(view_value(&v, b, COL_MEAN) - 200.0) < 1e-9);
	assert_true(fabs(view_value(&v, a, COL_ROWS) - 10.0) < 1e-9);
	assert_true(fabs(view_value(&v, b, COL_ROWS) - 0.5) < 1e-9);
	/* a share of the total: proportional to total_ms, summing to one whole (1 or 100%) */
	ta = view_value(&v, a, COL_TIME);
	tb = view_value(&v, b, COL_TIME);
	assert_true(ta > 0 && tb > ta);
	assert_true(fabs(tb / ta - 4.0) < 1e-9);
	for (i = 0; i < v.n_rows; i++)
		sum += view_value(&v, &v.rows[i], COL_TIME);
	if (fabs(sum - 1.0) > 1e-9 && fabs(sum - 100.0) > 1e-7)
		fail_msg("TIME shares sum to %g, neither 1 nor 100", sum);
	/* the plain counters keep their order */
	assert_true(view_value(&v, b, COL_MAX) > view_value(&v, a, COL_MAX));
	assert_true(view_value(&v, b, COL_READ) > view_value(&v, a, COL_READ));
	assert_true(view_value(&v, a, COL_HIT) > view_value(&v, b, COL_HIT));
	assert_true(view_value(&v, b, COL_TEMP) > view_value(&v, a, COL_TEMP));
	/* zero calls: zero, never NaN */
	assert_true(view_value(&v, c, COL_MEAN) == 0.0);
	assert_true(view_value(&v, c, COL_ROWS) == 0.0);
	assert_true(view_value(&v, c, COL_CALLS) == 0.0);
	assert_true(view_value(&v, c, COL_TIME) == 0.0);
	for (i = 0; i < COL_QUERY; i++)
		assert_true(isfinite(view_value(&v, c, (enum view_col)i)));
	view_free(&v);
}

/* No time at all, and a window of no length: every value is finite. */
static void
view_values_zero_totals_finite(void **state)
{
	static const struct spec idle[] = {
		{ 1, 1, 0, 0.0, 0.0, 0, 0, 0, 0, "a" },
		{ 2, 1, 5, 0.0, 0.0, 3, 0, 0, 0, "b" },
	};
	struct view v;
	int i, c;

	(void)state;
	view_init(&v);
	set_specs(&v, idle, 2, 0.0);
	assert_int_equal(v.n_shown, 2);
	for (i = 0; i < v.n_rows; i++)
		for (c = 0; c < COL_QUERY; c++)
			assert_true(isfinite(view_value(&v, &v.rows[i], (enum view_col)c)));
	assert_true(view_value(&v, &v.rows[0], COL_TIME) == 0.0);
	assert_true(view_value(&v, &v.rows[1], COL_TIME) == 0.0);
	for (c = 0; c < COL_QUERY; c++) {
		view_sort_by(&v, (enum view_col)c);
		check_consistent(&v);
	}
	view_free(&v);
}

static void
view_sort_step_neighbours(void **state)
{
	struct view v;
	int c;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	view_sort_step(&v, 1);
	assert_int_equal(v.sort, COL_MEAN);
	view_sort_step(&v, -1);
	assert_int_equal(v.sort, COL_TIME);
	view_sort_step(&v, -1);
	assert_int_equal(v.sort, COL_CALLS);
	/* every inner column steps to its neighbours */
	for (c = 1; c < COL_COUNT - 1; c++) {
		view_sort_by(&v, (enum view_col)c);
		assert_int_equal(v.sort, c);
		view_sort_step(&v, 1);
		assert_int_equal(v.sort, c + 1);
		view_sort_by(&v, (enum view_col)c);
		view_sort_step(&v, -1);
		assert_int_equal(v.sort, c - 1);
	}
	view_free(&v);
}

/* At the ends the step wraps or stays; it never leaves the columns. */
static void
view_sort_step_ends(void **state)
{
	struct view v;
	int i, dir;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	view_sort_by(&v, COL_QUERY);
	view_sort_step(&v, 1);
	assert_true(v.sort == COL_QUERY || v.sort == COL_QUERYID);
	view_sort_by(&v, COL_QUERYID);
	view_sort_step(&v, -1);
	assert_true(v.sort == COL_QUERYID || v.sort == COL_QUERY);
	for (dir = -1; dir <= 1; dir += 2) {
		view_sort_by(&v, COL_TIME);
		for (i = 0; i < 3 * COL_COUNT; i++) {
			view_sort_step(&v, dir);
			assert_true((int)v.sort >= 0 && v.sort < COL_COUNT);
			check_consistent(&v);
		}
	}
	view_free(&v);
}

static void
view_sort_numeric_columns(void **state)
{
	struct view v;
	int c;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	for (c = 0; c < COL_QUERY; c++) {
		view_sort_by(&v, (enum view_col)c);
		assert_int_equal(v.sort, c);
		assert_int_equal(v.n_shown, N_MIXED);
		check_consistent(&v);
		check_order(&v, (enum view_col)c, v.reverse ? -1 : 1);
		check_field_order(&v, (enum view_col)c, v.reverse ? -1 : 1);
	}
	view_free(&v);
}

static void
view_reverse_order(void **state)
{
	struct view v;
	int c, i, first[N_MIXED];

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	for (c = 0; c < COL_QUERY; c++) {
		view_sort_by(&v, (enum view_col)c);
		if (v.reverse)
			view_reverse(&v);
		assert_int_equal(v.reverse, 0);
		for (i = 0; i < v.n_shown; i++)
			first[i] = v.shown[i];
		view_reverse(&v);
		assert_int_equal(v.reverse, 1);
		assert_int_equal(v.n_shown, N_MIXED);
		check_consistent(&v);
		check_order(&v, (enum view_col)c, -1);
		check_field_order(&v, (enum view_col)c, -1);
		view_reverse(&v);
		assert_int_equal(v.reverse, 0);
		for (i = 0; i < v.n_shown; i++)
			assert_int_equal(v.shown[i], first[i]);
	}
	view_free(&v);
}

static void
view_sort_by_text(void **state)
{
	static const struct spec texts[] = {
		{ 1, 1, 1, 1.0, 1.0, 1, 0, 0, 0, "select m" },
		{ 2, 1, 1, 2.0, 1.0, 1, 0, 0, 0, "delete z" },
		{ 3, 1, 1, 3.0, 1.0, 1, 0, 0, 0, NULL },
		{ 4, 1, 1, 4.0, 1.0, 1, 0, 0, 0, "alter a" },
		{ 5, 1, 1, 5.0, 1.0, 1, 0, 0, 0, "update q" },
		{ 6, 1, 1, 6.0, 1.0, 1, 0, 0, 0, "begin" },
	};
	struct view v;
	int d1, d2;

	(void)state;
	view_init(&v);
	set_specs(&v, texts, 6, 1.0);
	view_sort_by(&v, COL_QUERY);
	assert_int_equal(v.sort, COL_QUERY);
	assert_int_equal(v.n_shown, 6);
	check_consistent(&v);
	d1 = text_direction(&v);
	assert_true(d1 == 1 || d1 == -1);
	view_reverse(&v);
	check_consistent(&v);
	d2 = text_direction(&v);
	assert_int_equal(d2, -d1);
	view_free(&v);
}

static void
record_order(const struct view *v, int64_t *ids, int *tls)
{
	int i;

	for (i = 0; i < v->n_shown; i++) {
		ids[i] = shown(v, i)->r.queryid;
		tls[i] = shown(v, i)->r.toplevel;
	}
}

/* Equal values: the same input gives the same order, and so does the same input reordered. */
static void
view_ties_deterministic(void **state)
{
	enum { N = 12 };
	static const enum view_col cols[] = { COL_TIME, COL_CALLS, COL_MEAN, COL_QUERY };
	struct spec s[N], r[N];
	int64_t ids1[N], ids2[N], ids3[N];
	int tl1[N], tl2[N], tl3[N];
	struct view v;
	size_t k;
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		memset(&s[i], 0, sizeof s[i]);
		/* distinct (queryid, toplevel), not in key order, some query ids twice */
		s[i].queryid = 1000 + (i * 5) % N / 2;
		s[i].toplevel = (i * 5) % N % 2;
		s[i].calls = 10;
		s[i].total_ms = 100.0;
		s[i].rows = 10;
		s[i].text = "select same";
	}
	for (i = 0; i < N; i++)
		r[i] = s[N - 1 - i];
	for (k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		view_init(&v);
		view_sort_by(&v, cols[k]);
		set_specs(&v, s, N, 5.0);
		assert_int_equal(v.n_shown, N);
		record_order(&v, ids1, tl1);
		set_specs(&v, s, N, 5.0);
		record_order(&v, ids2, tl2);
		set_specs(&v, r, N, 5.0);
		record_order(&v, ids3, tl3);
		for (i = 0; i < N; i++) {
			assert_int_equal(ids1[i], ids2[i]);
			assert_int_equal(tl1[i], tl2[i]);
		}
		for (i = 0; i < N; i++) {
			if (ids1[i] != ids3[i] || tl1[i] != tl3[i]) {
				print_error("column %d: position %d is %lld/%d, reordered input "
					    "gives %lld/%d\n",
					    (int)cols[k], i, (long long)ids1[i], tl1[i],
					    (long long)ids3[i], tl3[i]);
				fail();
			}
		}
		view_free(&v);
	}
}

static void
view_filter_caseless_word(void **state)
{
	struct view v;
	int i;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(v.n_shown, 2);
	assert_true(shown_has(&v, 101) && shown_has(&v, 102));
	check_consistent(&v);
	check_order(&v, COL_TIME, 1);
	assert_int_equal(view_set_filter(&v, "ACCOUNTS", 0), 0);
	assert_int_equal(v.n_shown, 2);
	assert_true(shown_has(&v, 101) && shown_has(&v, 102));
	assert_int_equal(view_set_filter(&v, "PgBench_", 1), 0);
	assert_int_equal(v.n_shown, 3);
	assert_true(shown_has(&v, 105));
	for (i = 0; i < v.n_shown; i++)
		assert_non_null(shown(&v, i)->text);
	check_consistent(&v);
	view_free(&v);
}

static void
view_filter_regex(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(view_set_filter(&v, "^select .* from t[0-9]$", 0), 0);
	assert_int_equal(v.n_shown, 2);
	assert_true(shown_has(&v, 103) && shown_has(&v, 104));
	assert_false(shown_has(&v, 108)); /* t33 */
	assert_false(shown_has(&v, 101)); /* FROM pgbench_accounts ... */
	check_consistent(&v);
	check_order(&v, COL_TIME, 1);
	/* sorting applies to the filtered rows */
	view_reverse(&v);
	check_order(&v, COL_TIME, -1);
	assert_int_equal(v.n_shown, 2);
	assert_int_equal(shown(&v, 0)->r.queryid, 104);
	/* anchored at the start: "select" in the middle does not count */
	assert_int_equal(view_set_filter(&v, "^begin$", 0), 0);
	assert_int_equal(v.n_shown, 1);
	assert_int_equal(selected_id(&v), 107);
	view_free(&v);
}

static void
view_filter_null_text_never_matches(void **state)
{
	static const struct spec s[] = {
		{ 1, 1, 1, 10.0, 1.0, 1, 0, 0, 0, NULL },
		{ 2, 1, 1, 5.0, 1.0, 1, 0, 0, 0, "" },
		{ 3, 1, 1, 1.0, 1.0, 1, 0, 0, 0, "x" },
	};
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, s, 3, 1.0);
	assert_int_equal(view_set_filter(&v, ".*", 0), 0);
	assert_false(shown_has(&v, 1));
	assert_true(shown_has(&v, 3));
	check_consistent(&v);
	assert_int_equal(view_set_filter(&v, "x?", 1), 0);
	assert_false(shown_has(&v, 1));
	assert_true(shown_has(&v, 3));
	assert_int_equal(view_set_filter(&v, "x", 0), 0);
	assert_int_equal(v.n_shown, 1);
	assert_int_equal(selected_id(&v), 3);
	view_free(&v);
}

static void
view_filter_cleared(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(v.n_shown, 2);
	assert_int_equal(view_set_filter(&v, "", 0), 0);
	assert_int_equal(v.n_shown, N_MIXED);
	assert_null(v.re);
	check_consistent(&v);
	assert_true(shown_has(&v, 106)); /* the NULL text is back */
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(v.n_shown, 2);
	assert_int_equal(view_set_filter(&v, NULL, 0), 0);
	assert_int_equal(v.n_shown, N_MIXED);
	assert_null(v.re);
	check_consistent(&v);
	check_order(&v, COL_TIME, 1);
	view_free(&v);
}

/* A filter stays in effect for the rows of the next refresh. */
static void
view_filter_applies_to_new_rows(void **state)
{
	static const struct spec later[] = {
		{ 201, 1, 1, 1.0, 1.0, 1, 0, 0, 0, "select * from ACCOUNTS" },
		{ 202, 1, 1, 2.0, 1.0, 1, 0, 0, 0, "select * from branches" },
		{ 203, 1, 1, 3.0, 1.0, 1, 0, 0, 0, "select * from accounts_archive" },
	};
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	set_specs(&v, later, 3, 10.0);
	assert_int_equal(v.n_rows, 3);
	assert_int_equal(v.n_shown, 2);
	assert_true(shown_has(&v, 201) && shown_has(&v, 203));
	assert_int_equal(shown(&v, 0)->r.queryid, 203);
	check_consistent(&v);
	view_free(&v);
}

static void
view_filter_invalid(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(v.n_shown, 2);
	v.error[0] = '\0';
	assert_int_equal(view_set_filter(&v, "(unclosed", 0), -1);
	assert_true(v.error[0] != '\0');
	assert_non_null(memchr(v.error, '\0', sizeof v.error));
	if (strstr(v.error, "parenthes") == NULL)
		fail_msg("error does not name the problem: \"%s\"", v.error);
	/* the previous filter, or none; either way the list agrees with it */
	check_consistent(&v);
	if (v.n_shown == 2) {
		assert_non_null(v.re);
		assert_true(shown_has(&v, 101) && shown_has(&v, 102));
	} else {
		assert_int_equal(v.n_shown, N_MIXED);
		assert_null(v.re);
	}
	/* still usable */
	set_specs(&v, mixed, N_MIXED, 10.0);
	check_consistent(&v);
	assert_true(v.n_shown == 2 || v.n_shown == N_MIXED);
	assert_int_equal(view_set_filter(&v, "t[0-9]$", 0), 0);
	assert_int_equal(v.n_shown, 2);
	/* other kinds of refusal */
	v.error[0] = '\0';
	assert_int_equal(view_set_filter(&v, "a{2,1}", 0), -1);
	assert_true(v.error[0] != '\0');
	v.error[0] = '\0';
	assert_int_equal(view_set_filter(&v, "[z-a]", 0), -1);
	assert_true(v.error[0] != '\0');
	v.error[0] = '\0';
	assert_int_equal(view_set_filter(&v, "\xff\xfe", 1), -1); /* not UTF-8 */
	assert_true(v.error[0] != '\0');
	check_consistent(&v);
	view_free(&v);
}

/* Texts that are not UTF-8 with a UTF-8 filter: no crash, the good rows still match. */
static void
view_filter_utf8(void **state)
{
	static const struct spec s[] = {
		{ 1, 1, 1, 3.0, 1.0, 1, 0, 0, 0, "select 'caf\xc3\xa9' from accounts" },
		{ 2, 1, 1, 2.0, 1.0, 1, 0, 0, 0, "select '\xff\xfe' from accounts" },
		{ 3, 1, 1, 1.0, 1.0, 1, 0, 0, 0, "select 1 from branches" },
	};
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, s, 3, 1.0);
	assert_int_equal(view_set_filter(&v, "accounts", 1), 0);
	assert_true(shown_has(&v, 1));
	assert_false(shown_has(&v, 3));
	check_consistent(&v);
	assert_int_equal(view_set_filter(&v, "CAF\xc3\x89", 1), 0); /* É matches é */
	assert_int_equal(v.n_shown, 1);
	assert_int_equal(selected_id(&v), 1);
	assert_int_equal(view_set_filter(&v, "caf.'", 1), 0); /* . is one character */
	assert_int_equal(v.n_shown, 1);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(v.n_shown, 2);
	view_free(&v);
}

/* The bound on backtracking does not hide long texts that plainly match: a normalized
 * IN list of 120 kB, as pg_stat_statements stores it. */
static void
view_filter_long_text_matches(void **state)
{
	static const char *const pats[] = {
		"accounts", "^select", "\\$16000\\)$", "select.*from.*accounts", "where.*in \\(",
	};
	struct strbuf sb;
	struct spec s[2];
	struct view v;
	const char *missed = NULL;
	size_t k, len;
	int i, other = 0;

	(void)state;
	memset(&sb, 0, sizeof sb);
	sb_add(&sb, "select * from accounts where id in (");
	for (i = 1; i <= 16000; i++)
		sb_addf(&sb, "%s$%d", i > 1 ? ", " : "", i);
	sb_add(&sb, ")");
	assert_true(sb.len > 110000 && sb.len < 130000);
	memset(s, 0, sizeof s);
	s[0].queryid = 1;
	s[0].calls = 1;
	s[0].total_ms = 2.0;
	s[0].text = sb_str(&sb);
	s[1].queryid = 2;
	s[1].calls = 1;
	s[1].total_ms = 1.0;
	s[1].text = "delete from branches where bid = $1";
	view_init(&v);
	set_specs(&v, s, 2, 1.0);
	for (k = 0; k < sizeof pats / sizeof pats[0]; k++) {
		assert_int_equal(view_set_filter(&v, pats[k], 0), 0);
		if (!shown_has(&v, 1) && missed == NULL)
			missed = pats[k];
		other |= shown_has(&v, 2);
	}
	/* free before failing, so that a run under valgrind shows only real leaks */
	view_free(&v);
	len = sb.len;
	sb_release(&sb);
	if (missed != NULL)
		fail_msg("\"%s\" does not match a %zu-byte text that has it", missed, len);
	assert_false(other);
}

/* Backtracking is bounded: a pattern that explodes on a long text gives up in time. */
static void
view_filter_catastrophic_bounded(void **state)
{
	enum { LEN = 100 * 1024 };
	struct spec s[3];
	char *big = xmalloc(LEN + 2);
	struct view v;
	double t0, t1;

	(void)state;
	memset(big, 'a', LEN);
	big[LEN] = 'b';
	big[LEN + 1] = '\0';
	memset(s, 0, sizeof s);
	s[0].queryid = 1;
	s[0].calls = 1;
	s[0].total_ms = 30.0;
	s[0].text = big;
	s[1].queryid = 2;
	s[1].calls = 1;
	s[1].total_ms = 20.0;
	s[1].text = "aaaa";
	s[2].queryid = 3;
	s[2].calls = 1;
	s[2].total_ms = 10.0;
	s[2].text = "aaab";
	view_init(&v);
	set_specs(&v, s, 3, 1.0);
	alarm(30); /* without a bound the match never returns: end the run rather than hang */
	t0 = mono();
	assert_int_equal(view_set_filter(&v, "(a+)+$", 0), 0);
	t1 = mono();
	if (t1 - t0 >= 5.0)
		fail_msg("filter took %.1f s", t1 - t0);
	/* the rows after the one that gave up are still filtered */
	assert_true(shown_has(&v, 2));
	assert_false(shown_has(&v, 3));
	check_consistent(&v);
	/* and again on a refresh */
	t0 = mono();
	set_specs(&v, s, 3, 1.0);
	t1 = mono();
	alarm(0);
	if (t1 - t0 >= 5.0)
		fail_msg("refresh took %.1f s", t1 - t0);
	assert_true(shown_has(&v, 2));
	assert_false(shown_has(&v, 3));
	check_consistent(&v);
	view_free(&v);
	free(big);
}

static void
view_selection_moves(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(v.selected, 0);
	view_move(&v, -1);
	assert_int_equal(v.selected, 0);
	view_move(&v, -100);
	assert_int_equal(v.selected, 0);
	view_move(&v, 1);
	assert_int_equal(v.selected, 1);
	assert_ptr_equal(view_selected(&v), shown(&v, 1));
	view_move(&v, 3);
	assert_int_equal(v.selected, 4);
	view_move(&v, 100);
	assert_int_equal(v.selected, N_MIXED - 1);
	view_move(&v, 1);
	assert_int_equal(v.selected, N_MIXED - 1);
	view_move(&v, -2);
	assert_int_equal(v.selected, N_MIXED - 3);
	view_home(&v);
	assert_int_equal(v.selected, 0);
	view_end(&v);
	assert_int_equal(v.selected, N_MIXED - 1);
	assert_ptr_equal(view_selected(&v), shown(&v, N_MIXED - 1));
	view_move(&v, 1 << 20);
	assert_int_equal(v.selected, N_MIXED - 1);
	view_move(&v, -(1 << 20));
	assert_int_equal(v.selected, 0);
	check_consistent(&v);
	view_free(&v);
}

static void
view_selection_no_rows(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	view_set_rows(&v, NULL, 0, 1.0);
	assert_int_equal(v.n_shown, 0);
	assert_int_equal(v.selected, -1);
	assert_null(view_selected(&v));
	set_specs(&v, mixed, 0, 1.0); /* an empty array, taken over */
	assert_int_equal(v.selected, -1);
	view_end(&v);
	view_move(&v, 1);
	assert_int_equal(v.selected, -1);
	set_specs(&v, mixed, N_MIXED, 1.0);
	assert_int_equal(v.selected, 0);
	check_consistent(&v);
	view_free(&v);
}

/* The same statements in another order and with other values: the selection follows,
 * to the right entry when a query id is there both as top level and nested. */
static void
view_selection_follows_statement(void **state)
{
	static const struct spec first[] = {
		{ 11, 1, 10, 100.0, 1.0, 1, 0, 0, 0, "q11" },
		{ 12, 1, 10, 90.0, 1.0, 1, 0, 0, 0, "q12 top" },
		{ 12, 0, 10, 80.0, 1.0, 1, 0, 0, 0, "q12 nested" },
		{ 13, 1, 10, 70.0, 1.0, 1, 0, 0, 0, "q13" },
		{ 14, 1, 10, 60.0, 1.0, 1, 0, 0, 0, "q14" },
	};
	static const struct spec second[] = {
		{ 14, 1, 10, 100.0, 1.0, 1, 0, 0, 0, "q14" },
		{ 12, 0, 10, 5.0, 1.0, 1, 0, 0, 0, "q12 nested" },
		{ 13, 1, 10, 90.0, 1.0, 1, 0, 0, 0, "q13" },
		{ 11, 1, 10, 80.0, 1.0, 1, 0, 0, 0, "q11" },
		{ 12, 1, 10, 95.0, 1.0, 1, 0, 0, 0, "q12 top" },
	};
	struct view v;
	const struct view_row *sel;

	(void)state;
	view_init(&v);
	set_specs(&v, first, 5, 1.0);
	select_stmt(&v, 12, 0);
	assert_int_equal(v.selected, 2);
	/* 14, 12/1, 13, 11, 12/0: the top-level entry of 12 now comes first */
	set_specs(&v, second, 5, 1.0);
	sel = view_selected(&v);
	assert_non_null(sel);
	assert_int_equal(sel->r.queryid, 12);
	assert_int_equal(sel->r.toplevel, 0);
	assert_int_equal(v.selected, 4);
	check_consistent(&v);

	/* reversed, first gives 14, 13, 12/0, 12/1, 11: the nested entry comes first */
	select_stmt(&v, 12, 1);
	assert_int_equal(v.selected, 1);
	view_reverse(&v);
	set_specs(&v, first, 5, 1.0);
	sel = view_selected(&v);
	assert_non_null(sel);
	assert_int_equal(sel->r.queryid, 12);
	assert_int_equal(sel->r.toplevel, 1);
	assert_int_equal(v.selected, 3);
	check_consistent(&v);

	/* and with a filter on */
	view_reverse(&v);
	assert_int_equal(view_set_filter(&v, "^q1[234]", 0), 0);
	select_stmt(&v, 13, 1);
	set_specs(&v, second, 5, 1.0);
	sel = view_selected(&v);
	assert_non_null(sel);
	assert_int_equal(sel->r.queryid, 13);
	assert_int_equal(sel->r.toplevel, 1);
	assert_int_equal(v.selected, 2);
	check_consistent(&v);
	view_free(&v);
}

/* The selected statement is gone: the selection lands on a shown row, then follows that. */
static void
view_selection_statement_gone(void **state)
{
	static const struct spec five[] = {
		{ 1, 1, 1, 50.0, 1.0, 1, 0, 0, 0, "a" },
		{ 2, 1, 1, 40.0, 1.0, 1, 0, 0, 0, "b" },
		{ 3, 1, 1, 30.0, 1.0, 1, 0, 0, 0, "c" },
		{ 4, 1, 1, 20.0, 1.0, 1, 0, 0, 0, "d" },
		{ 5, 1, 1, 10.0, 1.0, 1, 0, 0, 0, "e" },
	};
	static const struct spec two[] = {
		{ 2, 1, 1, 40.0, 1.0, 1, 0, 0, 0, "b" },
		{ 1, 1, 1, 50.0, 1.0, 1, 0, 0, 0, "a" },
	};
	static const struct spec three[] = {
		{ 1, 1, 1, 5.0, 1.0, 1, 0, 0, 0, "a" },
		{ 9, 1, 1, 1.0, 1.0, 1, 0, 0, 0, "z" },
		{ 2, 1, 1, 9.0, 1.0, 1, 0, 0, 0, "b" },
	};
	struct view v;
	int64_t landed;

	(void)state;
	view_init(&v);
	set_specs(&v, five, 5, 1.0);
	view_end(&v);
	assert_int_equal(selected_id(&v), 5);
	set_specs(&v, two, 2, 1.0);
	check_consistent(&v);
	landed = selected_id(&v);
	assert_true(landed == 1 || landed == 2);
	set_specs(&v, three, 3, 1.0);
	check_consistent(&v);
	assert_int_equal(selected_id(&v), landed);
	/* a statement in the middle goes */
	set_specs(&v, five, 5, 1.0);
	select_stmt(&v, 3, 1);
	set_specs(&v, two, 2, 1.0);
	check_consistent(&v);
	/* everything goes, then rows come back */
	set_specs(&v, five, 0, 1.0);
	assert_int_equal(v.n_rows, 0);
	check_consistent(&v);
	set_specs(&v, three, 3, 1.0);
	check_consistent(&v);
	view_free(&v);
}

static void
view_selection_filter_hides_all(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 10.0);
	view_move(&v, 3);
	assert_int_equal(view_set_filter(&v, "no statement has this text", 0), 0);
	assert_int_equal(v.n_shown, 0);
	assert_int_equal(v.selected, -1);
	assert_null(view_selected(&v));
	view_move(&v, 1);
	view_home(&v);
	view_end(&v);
	view_scroll(&v, 5);
	assert_int_equal(v.selected, -1);
	assert_null(view_selected(&v));
	assert_true(v.top >= 0);
	set_specs(&v, mixed, N_MIXED, 10.0);
	assert_int_equal(v.n_shown, 0);
	assert_int_equal(v.selected, -1);
	/* a filter that shows rows again selects one */
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	check_consistent(&v);
	assert_int_equal(v.n_shown, 2);
	assert_int_equal(view_set_filter(&v, NULL, 0), 0);
	check_consistent(&v);
	assert_int_equal(v.n_shown, N_MIXED);
	/* a filter that keeps the selected statement: the selection is still a shown row */
	select_stmt(&v, 101, 1);
	assert_int_equal(view_set_filter(&v, "pgbench", 0), 0);
	check_consistent(&v);
	view_free(&v);
}

static void
check_scroll(struct view *v, int height)
{
	view_scroll(v, height);
	assert_true(v->top >= 0);
	if (v->selected < v->top || v->selected >= v->top + height) {
		print_error("height %d: selected %d, top %d\n", height, v->selected, v->top);
		fail();
	}
}

static void
view_scroll_keeps_selection_on_screen(void **state)
{
	enum { N = 40 };
	static const int steps[] = { 1, 1, 5, 8, -3, 20, 1, -1, -15, 100, -2, -100, 12, 7 };
	static const int heights[] = { 1, 2, 7, 10, 40, 60 };
	struct spec s[N];
	struct view v;
	size_t h, k;
	int i;

	(void)state;
	memset(s, 0, sizeof s);
	for (i = 0; i < N; i++) {
		s[i].queryid = i + 1;
		s[i].calls = 1;
		s[i].total_ms = (double)(N - i);
		s[i].text = "select";
	}
	for (h = 0; h < sizeof heights / sizeof heights[0]; h++) {
		view_init(&v);
		set_specs(&v, s, N, 1.0);
		check_scroll(&v, heights[h]);
		assert_int_equal(v.top, 0);
		for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			view_move(&v, steps[k]);
			check_scroll(&v, heights[h]);
		}
		view_end(&v);
		check_scroll(&v, heights[h]);
		assert_int_equal(v.selected, N - 1);
		view_home(&v);
		check_scroll(&v, heights[h]);
		assert_int_equal(v.top, 0);
		/* the list shrinks under a scrolled screen */
		view_end(&v);
		check_scroll(&v, heights[h]);
		set_specs(&v, s, 5, 1.0);
		check_consistent(&v);
		check_scroll(&v, heights[h]);
		/* the screen grows */
		check_scroll(&v, heights[h] + 30);
		view_free(&v);
	}
}

/* Run under valgrind: every path frees what it took over. */
static void
view_free_paths(void **state)
{
	struct view v;

	(void)state;
	view_init(&v);
	view_free(&v);

	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 1.0);
	view_free(&v);

	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 1.0);
	set_specs(&v, mixed, N_MIXED, 2.0); /* the first rows are freed on replace */
	assert_int_equal(view_set_filter(&v, "select", 0), 0);
	assert_int_equal(view_set_filter(&v, "pgbench", 1), 0); /* the first filter freed */
	view_free(&v);

	view_init(&v);
	assert_int_equal(view_set_filter(&v, "select", 0), 0); /* a filter before any rows */
	set_specs(&v, mixed, N_MIXED, 1.0);
	assert_int_equal(view_set_filter(&v, "(unclosed", 0), -1);
	view_free(&v);

	view_init(&v);
	assert_int_equal(view_set_filter(&v, "[", 0), -1);
	view_free(&v);

	view_init(&v);
	set_specs(&v, mixed, N_MIXED, 1.0);
	assert_int_equal(view_set_filter(&v, "accounts", 0), 0);
	assert_int_equal(view_set_filter(&v, "", 0), 0);
	view_set_rows(&v, NULL, 0, 1.0);
	view_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(view_empty_after_init),
		cmocka_unit_test(view_column_names),
		cmocka_unit_test(view_default_sort_is_time),
		cmocka_unit_test(view_values_of_columns),
		cmocka_unit_test(view_values_zero_totals_finite),
		cmocka_unit_test(view_sort_step_neighbours),
		cmocka_unit_test(view_sort_step_ends),
		cmocka_unit_test(view_sort_numeric_columns),
		cmocka_unit_test(view_reverse_order),
		cmocka_unit_test(view_sort_by_text),
		cmocka_unit_test(view_ties_deterministic),
		cmocka_unit_test(view_filter_caseless_word),
		cmocka_unit_test(view_filter_regex),
		cmocka_unit_test(view_filter_null_text_never_matches),
		cmocka_unit_test(view_filter_cleared),
		cmocka_unit_test(view_filter_applies_to_new_rows),
		cmocka_unit_test(view_filter_invalid),
		cmocka_unit_test(view_filter_utf8),
		cmocka_unit_test(view_filter_long_text_matches),
		cmocka_unit_test(view_filter_catastrophic_bounded),
		cmocka_unit_test(view_selection_moves),
		cmocka_unit_test(view_selection_no_rows),
		cmocka_unit_test(view_selection_follows_statement),
		cmocka_unit_test(view_selection_statement_gone),
		cmocka_unit_test(view_selection_filter_hides_all),
		cmocka_unit_test(view_scroll_keeps_selection_on_screen),
		cmocka_unit_test(view_free_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
