/*
 * Unit tests of the collector's SQL for PostgreSQL 12 to 17 (pg_stat_statements 1.7 to
 * 1.11) and of the parsing of result rows into a snapshot. Rows are built by hand.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-sql.h"
#include "pg.h"
#include "snapshot.h"
#include "xutil.h"

/* ---- the column sets of each pg_stat_statements version ---- */

#define COLS(a) a, (int)(sizeof a / sizeof a[0])

static const char *const cols_17[] = {
	"userid", "dbid", "queryid", "query", "calls", "total_time", "min_time", "max_time",
	"mean_time", "stddev_time", "rows", "shared_blks_hit", "shared_blks_read",
	"shared_blks_dirtied", "shared_blks_written", "local_blks_hit", "local_blks_read",
	"local_blks_dirtied", "local_blks_written", "temp_blks_read", "temp_blks_written",
	"blk_read_time", "blk_write_time",
};

static const char *const cols_18[] = {
	"userid", "dbid", "queryid", "query", "plans", "total_plan_time", "min_plan_time",
	"max_plan_time", "mean_plan_time", "stddev_plan_time", "calls", "total_exec_time",
	"min_exec_time", "max_exec_time", "mean_exec_time", "stddev_exec_time", "rows",
	"shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
	"local_blks_hit", "local_blks_read", "local_blks_dirtied", "local_blks_written",
	"temp_blks_read", "temp_blks_written", "blk_read_time", "blk_write_time", "wal_records",
	"wal_fpi", "wal_bytes",
};

static const char *const cols_19[] = {
	"userid", "dbid", "toplevel", "queryid", "query", "plans", "total_plan_time",
	"min_plan_time", "max_plan_time", "mean_plan_time", "stddev_plan_time", "calls",
	"total_exec_time", "min_exec_time", "max_exec_time", "mean_exec_time", "stddev_exec_time",
	"rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
	"shared_blks_written", "local_blks_hit", "local_blks_read", "local_blks_dirtied",
	"local_blks_written", "temp_blks_read", "temp_blks_written", "blk_read_time",
	"blk_write_time", "wal_records", "wal_fpi", "wal_bytes",
};

static const char *const cols_110[] = {
	"userid", "dbid", "toplevel", "queryid", "query", "plans", "total_plan_time",
	"min_plan_time", "max_plan_time", "mean_plan_time", "stddev_plan_time", "calls",
	"total_exec_time", "min_exec_time", "max_exec_time", "mean_exec_time", "stddev_exec_time",
	"rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
	"shared_blks_written", "local_blks_hit", "local_blks_read", "local_blks_dirtied",
	"local_blks_written", "temp_blks_read", "temp_blks_written", "blk_read_time",
	"blk_write_time", "temp_blk_read_time", "temp_blk_write_time", "wal_records", "wal_fpi",
	"wal_bytes", "jit_functions", "jit_generation_time", "jit_inlining_count",
	"jit_inlining_time", "jit_optimization_count", "jit_optimization_time",
	"jit_emission_count", "jit_emission_time",
};

static const char *const cols_111[] = {
	"userid", "dbid", "toplevel", "queryid", "query", "plans", "total_plan_time",
	"min_plan_time", "max_plan_time", "mean_plan_time", "stddev_plan_time", "calls",
	"total_exec_time", "min_exec_time", "max_exec_time", "mean_exec_time", "stddev_exec_time",
	"rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
	"shared_blks_written", "local_blks_hit", "local_blks_read", "local_blks_dirtied",
	"local_blks_written", "temp_blks_read", "temp_blks_written", "shared_blk_read_time",
	"shared_blk_write_time", "local_blk_read_time", "local_blk_write_time",
	"temp_blk_read_time", "temp_blk_write_time", "wal_records", "wal_fpi", "wal_bytes",
	"jit_functions", "jit_generation_time", "jit_inlining_count", "jit_inlining_time",
	"jit_optimization_count", "jit_optimization_time", "jit_emission_count",
	"jit_emission_time", "jit_deform_count", "jit_deform_time", "stats_since",
	"minmax_stats_since",
};

/* What each result column must select, in result order (see collect_parse_statements). */
#define N_RESULT 26

static const char *const want_17[N_RESULT] = {
	"userid", "dbid", "true", "queryid", "calls", "rows", "0", "total_time", "0",
	"min_time", "max_time", "stddev_time", "shared_blks_hit", "shared_blks_read",
	"shared_blks_dirtied", "shared_blks_written", "local_blks_hit", "local_blks_read",
	"temp_blks_read", "temp_blks_written", "blk_read_time", "blk_write_time", "0", "0", "0",
	"0",
};

static const char *const want_18[N_RESULT] = {
	"userid", "dbid", "true", "queryid", "calls", "rows", "plans", "total_exec_time",
	"total_plan_time", "min_exec_time", "max_exec_time", "stddev_exec_time",
	"shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
	"local_blks_hit", "local_blks_read", "temp_blks_read", "temp_blks_written",
	"blk_read_time", "blk_write_time", "wal_records", "wal_fpi", "wal_bytes", "0",
};

static const char *const want_19[N_RESULT] = {
	"userid", "dbid", "toplevel", "queryid", "calls", "rows", "plans", "total_exec_time",
	"total_plan_time", "min_exec_time", "max_exec_time", "stddev_exec_time",
	"shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
	"local_blks_hit", "local_blks_read", "temp_blks_read", "temp_blks_written",
	"blk_read_time", "blk_write_time", "wal_records", "wal_fpi", "wal_bytes", "0",
};

static const char *const want_111[N_RESULT] = {
	"userid", "dbid", "toplevel", "queryid", "calls", "rows", "plans", "total_exec_time",
	"total_plan_time", "min_exec_time", "max_exec_time", "stddev_exec_time",
	"shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
	"local_blks_hit", "local_blks_read", "temp_blks_read", "temp_blks_written",
	"shared_blk_read_time", "shared_blk_write_time", "wal_records", "wal_fpi", "wal_bytes",
	"extract(epoch from stats_since)",
};

/* ---- helpers ---- */

/*
 * Split "SELECT a, b, c FROM x" into its select items (into items, each a new string);
 * *from gets what follows " FROM ". Returns the number of items.
 */
static int
select_items(const char *sql, char **items, int max, char **from)
{
	const char *p, *end;
	int n = 0;

	assert_true(strncmp(sql, "SELECT ", 7) == 0);
	p = sql + 7;
	end = strstr(p, " FROM ");
	assert_non_null(end);
	if (end == NULL)
		abort();
	*from = xstrdup(end + 6);
	while (p < end && n < max) {
		const char *comma = strstr(p, ", ");

		if (comma == NULL || comma > end)
			comma = end;
		items[n++] = xstrndup(p, (size_t)(comma - p));
		p = comma == end ? end : comma + 2;
	}
	return n;
}

static void
check_statements_sql(const char *const *cols, int ncols, const char *const *want,
		     unsigned want_have)
{
	char *items[64], *from = NULL;
	unsigned have = 0xffff;
	char *sql = collect_sql_statements_plain("public", cols, ncols, &have);
	int i, n;

	n = select_items(sql, items, 64, &from);
	assert_int_equal(n, N_RESULT);
	for (i = 0; i < n && i < N_RESULT; i++) {
		if (strcmp(items[i], want[i]) != 0)
			print_error("result column %d: got '%s', want '%s'\n", i, items[i],
				    want[i]);
		assert_string_equal(items[i], want[i]);
	}
	assert_int_equal(have, want_have);
	assert_string_equal(from, "\"public\".pg_stat_statements(false)");
	for (i = 0; i < n; i++)
		free(items[i]);
	free(from);
	free(sql);
}

/* Result rows built by hand: cells[row * ncols + col], NULL for SQL NULL. */
static struct pg_rows *
rows_new(int ncols, int nrows, const char *const *cells)
{
	struct pg_rows *r = xcalloc(1, sizeof *r);
	size_t total = 1, off = 0;
	int i;

	r->ncols = ncols;
	r->nrows = nrows;
	for (i = 0; i < ncols * nrows; i++)
		total += cells[i] ? strlen(cells[i]) + 1 : 0;
	r->arena = xmalloc(total);
	r->cells = xcalloc((size_t)(ncols * nrows > 0 ? ncols * nrows : 1), sizeof *r->cells);
	for (i = 0; i < ncols * nrows; i++) {
		if (cells[i] == NULL)
			continue;
		r->cells[i] = r->arena + off;
		memcpy(r->arena + off, cells[i], strlen(cells[i]) + 1);
		off += strlen(cells[i]) + 1;
	}
	return r;
}

static void
rows_free(struct pg_rows *r)
{
	pg_rows_free(r);
}

/* The statements result: N_RESULT cells a row, and the 'gone' column (NULL) after them. */
#define N_PARSE (N_RESULT + 1)

static struct pg_rows *
stmt_rows(int nrows, const char *const *cells)
{
	const char **wide = xcalloc((size_t)(nrows * N_PARSE + 1), sizeof *wide);
	struct pg_rows *r;
	int i, k;

	for (i = 0; i < nrows; i++)
		for (k = 0; k < N_RESULT; k++)
			wide[i * N_PARSE + k] = cells[i * N_RESULT + k];
	r = rows_new(N_PARSE, nrows, wide);
	free(wide);
	return r;
}

/* ---- SQL ---- */

static void
collect_sql_statements_pg12(void **state)
{
	(void)state;
	check_statements_sql(COLS(cols_17), want_17, 0);
}

static void
collect_sql_statements_pg13(void **state)
{
	(void)state;
	check_statements_sql(COLS(cols_18), want_18, STMT_HAVE_PLANS | STMT_HAVE_WAL);
}

static void
collect_sql_statements_pg14(void **state)
{
	(void)state;
	check_statements_sql(COLS(cols_19), want_19,
			     STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL);
}

static void
collect_sql_statements_pg15_16(void **state)
{
	(void)state;
	check_statements_sql(COLS(cols_110), want_19,
			     STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL);
}

static void
collect_sql_statements_pg17(void **state)
{
	char *sql;
	unsigned have = 0;

	(void)state;
	check_statements_sql(COLS(cols_111), want_111,
			     STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL |
				     STMT_HAVE_STATS_SINCE);
	sql = collect_sql_statements("public", COLS(cols_111), &have);
	assert_null(strstr(sql, " blk_read_time"));
	assert_null(strstr(sql, "minmax"));
	free(sql);
}

/*
 * The statements query reads the plain one as a subquery, passes its key columns through
 * for keys that are gone, and leaves out rows whose calls and plans are the client's.
 */
static void
collect_sql_statements_changed(void **state)
{
	unsigned have = 0, have_plain = 0;
	char *sql = collect_sql_statements("public", COLS(cols_19), &have);
	char *plain = collect_sql_statements_plain("public", COLS(cols_19), &have_plain);
	char *inner = xasprintf("FROM (%s) AS s (c0, c1,", plain);

	(void)state;
	assert_int_equal(have, have_plain);
	assert_true(strncmp(sql, "SELECT coalesce(s.c0, k.u), coalesce(s.c1, k.d),"
				 " coalesce(s.c2, k.t), coalesce(s.c3, k.q), s.c4, ",
			    strlen("SELECT coalesce(s.c0, k.u), coalesce(s.c1, k.d),"
				   " coalesce(s.c2, k.t), coalesce(s.c3, k.q), s.c4, ")) == 0);
	assert_non_null(strstr(sql, inner));
	assert_non_null(strstr(sql, "s.c25, CASE WHEN s.c4 IS NULL THEN true END FROM"));
	assert_non_null(strstr(sql, " c25) FULL JOIN unnest($1::oid[], $2::oid[], $3::int8[],"
				    " $4::bool[], $5::int8[], $6::int8[]) AS k (u, d, q, t, c, p)"));
	/* the key: queryid, userid, dbid, toplevel; what changes a row: calls, plans */
	assert_non_null(strstr(sql, "ON k.q = s.c3 AND k.u = s.c0 AND k.d = s.c1 AND k.t = s.c2"
				    " WHERE k.q IS NULL OR s.c3 IS NULL OR k.c <> s.c4"
				    " OR k.p <> s.c6"));
	assert_null(strstr(sql, "$7"));
	free(inner);
	free(plain);
	free(sql);
}

/* The newer name wins when both are there; a required column missing selects NULL. */
static void
collect_sql_statements_odd_columns(void **state)
{
	static const char *const both[] = {"userid", "dbid", "queryid", "calls", "rows",
					   "total_time", "total_exec_time"};
	static const char *const no_calls[] = {"userid", "dbid", "queryid", "rows"};
	char *items[64], *from = NULL;
	unsigned have = 0;
	char *sql;
	int i, n;

	(void)state;
	sql = collect_sql_statements_plain("public", COLS(both), &have);
	n = select_items(sql, items, 64, &from);
	assert_int_equal(n, N_RESULT);
	assert_string_equal(items[7], "total_exec_time");
	for (i = 0; i < n; i++)
		free(items[i]);
	free(from);
	free(sql);

	sql = collect_sql_statements_plain("public", COLS(no_calls), &have);
	n = select_items(sql, items, 64, &from);
	assert_int_equal(n, N_RESULT);
	assert_string_equal(items[4], "NULL");
	assert_string_equal(items[7], "NULL");
	assert_int_equal(have, 0);
	for (i = 0; i < n; i++)
		free(items[i]);
	free(from);
	free(sql);
}

static void
collect_sql_schema_quoted(void **state)
{
	char *q, *sql;
	unsigned have = 0;

	(void)state;
	q = sql_quote_ident("my\"schema");
	assert_string_equal(q, "\"my\"\"schema\"");
	free(q);
	q = sql_quote_ident("");
	assert_string_equal(q, "\"\"");
	free(q);
	q = sql_quote_ident("Mixed Case; DROP");
	assert_string_equal(q, "\"Mixed Case; DROP\"");
	free(q);

	sql = collect_sql_statements("my\"schema", COLS(cols_19), &have);
	assert_non_null(strstr(sql, " FROM \"my\"\"schema\".pg_stat_statements(false)"));
	free(sql);
	sql = collect_sql_statements_plain("my\"schema", COLS(cols_19), &have);
	assert_non_null(strstr(sql, " FROM \"my\"\"schema\".pg_stat_statements(false)"));
	free(sql);
	sql = collect_sql_texts("my\"schema");
	assert_non_null(strstr(sql, "\"my\"\"schema\".pg_stat_statements(true)"));
	assert_non_null(strstr(sql, "$1"));
	free(sql);
	sql = collect_sql_clock("my\"schema", 1);
	assert_non_null(strstr(sql, "\"my\"\"schema\".pg_stat_statements_info"));
	assert_non_null(strstr(sql, "dealloc"));
	assert_non_null(strstr(sql, "stats_reset"));
	free(sql);
	sql = collect_sql_clock("my\"schema", 0);
	assert_null(strstr(sql, "pg_stat_statements_info"));
	assert_null(strstr(sql, "my"));
	assert_non_null(strstr(sql, "pg_postmaster_start_time()"));
	free(sql);
}

static void
collect_sql_checkpoint_by_version(void **state)
{
	const char *s;

	(void)state;
	s = collect_sql_checkpoint(170000);
	assert_non_null(strstr(s, "pg_stat_checkpointer"));
	assert_null(strstr(s, "pg_stat_bgwriter"));
	assert_non_null(strstr(s, "num_timed"));
	s = collect_sql_checkpoint(170004);
	assert_non_null(strstr(s, "pg_stat_checkpointer"));
	s = collect_sql_checkpoint(160004);
	assert_non_null(strstr(s, "pg_stat_bgwriter"));
	assert_null(strstr(s, "pg_stat_checkpointer"));
	assert_non_null(strstr(s, "checkpoints_timed"));
	s = collect_sql_checkpoint(120000);
	assert_non_null(strstr(s, "pg_stat_bgwriter"));
}

static void
collect_sql_activity_by_version(void **state)
{
	char *s;

	(void)state;
	s = collect_sql_activity(140000);
	assert_non_null(strstr(s, " query_id,"));
	assert_null(strstr(s, "NULL::int8"));
	free(s);
	s = collect_sql_activity(170002);
	assert_non_null(strstr(s, " query_id,"));
	free(s);
	s = collect_sql_activity(130011);
	assert_non_null(strstr(s, "NULL::int8"));
	assert_null(strstr(s, "query_id"));
	assert_non_null(strstr(s, "left(query, 4096)"));
	assert_non_null(strstr(s, "pg_backend_pid()"));
	free(s);
	s = collect_sql_activity(120000);
	assert_non_null(strstr(s, "NULL::int8"));
	free(s);
	assert_non_null(strstr(collect_sql_database(), "pg_stat_database"));
	assert_non_null(strstr(collect_sql_settings(), "pending_restart"));
	/* read when the configuration was loaded again since the token in $1 */
	assert_non_null(strstr(collect_sql_settings(), "pg_conf_load_time()"));
	assert_non_null(strstr(collect_sql_settings(), "IS DISTINCT FROM $1"));
}

/* ---- parsing ---- */

static void
collect_parse_statements_rows(void **state)
{
	static const char *const cells[] = {
		/* every column */
		"10", "5", "t", "-9223372036854775808", "3", "30", "2", "12.5", "0.5", "1", "9",
		"2", "100", "101", "102", "103", "104", "105", "106", "107", "1.25", "0.75", "4",
		"1", "8192", "1700000000.5",
		/* another role's statement: no queryid */
		"11", "5", "t", NULL, "1", "1", "0", "1", "0", "1", "1", "0", "0", "0", "0", "0",
		"0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
		/* a nested statement */
		"4294967295", "4294967294", "f", "9223372036854775807", "7", "0", "0", "3", "0",
		"0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
		/* hidden again: dbid NULL */
		"12", NULL, "t", "5", "1", "1", "0", "1", "0", "1", "1", "0", "0", "0", "0", "0",
		"0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
	};
	struct pg_rows *r = stmt_rows(4, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;
	const struct stmt_row *s;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_statements(r, NULL, &snap, &err), 0);
	assert_int_equal(snap.pgss_ok, 1);
	assert_int_equal(snap.n_stmts, 2);
	assert_int_equal(snap.n_hidden, 2);
	s = &snap.stmts[0];
	assert_int_equal(s->userid, 10);
	assert_int_equal(s->dbid, 5);
	assert_int_equal(s->toplevel, 1);
	assert_true(s->queryid == INT64_MIN);
	assert_int_equal(s->calls, 3);
	assert_int_equal(s->rows, 30);
	assert_int_equal(s->plans, 2);
	assert_true(s->total_exec_ms == 12.5);
	assert_true(s->total_plan_ms == 0.5);
	assert_true(s->min_ms == 1.0);
	assert_true(s->max_ms == 9.0);
	assert_true(s->stddev_ms == 2.0);
	assert_int_equal(s->shared_blks_hit, 100);
	assert_int_equal(s->shared_blks_read, 101);
	assert_int_equal(s->shared_blks_dirtied, 102);
	assert_int_equal(s->shared_blks_written, 103);
	assert_int_equal(s->local_blks_hit, 104);
	assert_int_equal(s->local_blks_read, 105);
	assert_int_equal(s->temp_blks_read, 106);
	assert_int_equal(s->temp_blks_written, 107);
	assert_true(s->blk_read_ms == 1.25);
	assert_true(s->blk_write_ms == 0.75);
	assert_int_equal(s->wal_records, 4);
	assert_int_equal(s->wal_fpi, 1);
	assert_true(s->wal_bytes == 8192.0);
	assert_true(s->stats_since == 1700000000.5);
	s = &snap.stmts[1];
	assert_int_equal(s->userid, 4294967295u);
	assert_int_equal(s->dbid, 4294967294u);
	assert_int_equal(s->toplevel, 0);
	assert_true(s->queryid == INT64_MAX);
	assert_int_equal(s->calls, 7);
	assert_true(s->stats_since == 0);
	snapshot_free(&snap);
	rows_free(r);
}

/* One pg_stat_statements row of N_RESULT cells: the query id, calls and total time vary. */
static void
stmt_cells(const char **out, const char *queryid, const char *calls, const char *ms)
{
	static const char *const base[N_RESULT] = {
		"10", "5", "t", NULL, NULL, "30", "2", NULL, "0.5", "1", "9", "2", "100", "101",
		"102", "103", "104", "105", "106", "107", "1.25", "0.75", "4", "1", "8192", "0",
	};
	int k;

	for (k = 0; k < N_RESULT; k++)
		out[k] = base[k];
	out[3] = queryid;
	out[4] = calls;
	out[7] = ms;
}

/* Row cells for a key that is gone: its key, and the last column true. */
static struct pg_rows *
gone_rows(const char *queryid)
{
	const char *cells[N_PARSE] = {"10", "5", "t", NULL};

	cells[3] = queryid;
	cells[N_RESULT] = "t";
	return rows_new(N_PARSE, 1, cells);
}

/*
 * With a cache, the server leaves out the rows whose calls and plans are those of the
 * cache: they are completed from it, new and changed rows replace or join them, keys that
 * are gone leave, and the snapshot is the same as a whole read without a cache, sorted.
 */
static void
collect_parse_statements_cached(void **state)
{
	const char *a[3 * N_RESULT], *b[4 * N_RESULT], *only[3 * N_RESULT];
	struct stmt_cache cache;
	struct pgt_err err = {{0}};
	struct snapshot s1, s2, s3, plain;
	struct pg_rows *r, *again, *r2, *bad;
	const char *params[6];
	int i;

	(void)state;
	memset(&cache, 0, sizeof cache);
	/* no cache yet: empty arrays, every row */
	collect_stmt_params(&cache, params);
	for (i = 0; i < 6; i++)
		assert_string_equal(params[i], "{}");
	collect_stmt_params(NULL, params);
	assert_string_equal(params[2], "{}");

	stmt_cells(a, "3", "30", "3.5");
	stmt_cells(a + N_RESULT, NULL, "3", "2.5"); /* hidden */
	stmt_cells(a + 2 * N_RESULT, "1", "10", "1.5");
	memset(&s1, 0, sizeof s1);
	r = stmt_rows(3, a);
	assert_int_equal(collect_parse_statements(r, &cache, &s1, &err), 0);
	rows_free(r);
	assert_int_equal(cache.n, 2);
	assert_true(cache.valid);
	assert_int_equal(cache.hits, 0);
	assert_int_equal(cache.misses, 2);
	assert_int_equal(s1.n_stmts, 2);
	assert_int_equal(s1.n_hidden, 1);
	assert_true(s1.stmts[0].queryid == 1); /* sorted by key */
	assert_true(s1.stmts[1].queryid == 3);

	/* the parameters: the cached keys, calls and plans, in key order */
	collect_stmt_params(&cache, params);
	assert_string_equal(params[0], "{10,10}");
	assert_string_equal(params[1], "{5,5}");
	assert_string_equal(params[2], "{1,3}");
	assert_string_equal(params[3], "{t,t}");
	assert_string_equal(params[4], "{10,30}");
	assert_string_equal(params[5], "{2,2}");

	/* query 1 unchanged (left out), the hidden one again, 3 moved on, 4 new */
	stmt_cells(only, NULL, "3", "2.5");
	stmt_cells(only + N_RESULT, "3", "31", "3.75");
	stmt_cells(only + 2 * N_RESULT, "4", "1", "0.25");
	memset(&s2, 0, sizeof s2);
	r2 = stmt_rows(3, only);
	assert_int_equal(collect_parse_statements(r2, &cache, &s2, &err), 0);
	rows_free(r2);
	assert_int_equal(cache.hits, 1);
	assert_int_equal(cache.misses, 2);

	/* the same as a whole read without a cache */
	stmt_cells(b, "1", "10", "1.5");
	stmt_cells(b + N_RESULT, NULL, "3", "2.5");
	stmt_cells(b + 2 * N_RESULT, "4", "1", "0.25");
	stmt_cells(b + 3 * N_RESULT, "3", "31", "3.75");
	memset(&plain, 0, sizeof plain);
	again = stmt_rows(4, b);
	assert_int_equal(collect_parse_statements(again, NULL, &plain, &err), 0);
	rows_free(again);
	assert_int_equal(s2.n_stmts, 3);
	assert_int_equal(s2.n_hidden, 1);
	assert_int_equal(plain.n_stmts, s2.n_stmts);
	for (i = 0; i < s2.n_stmts; i++)
		assert_memory_equal(&s2.stmts[i], &plain.stmts[i], sizeof s2.stmts[i]);
	assert_int_equal(s2.stmts[1].calls, 31);
	assert_true(s2.stmts[1].total_exec_ms == 3.75);
	assert_true(s2.stmts[0].total_exec_ms == 1.5);
	assert_true(s2.stmts[2].queryid == 4);
	/* a new key: the keys' texts are made again */
	collect_stmt_params(&cache, params);
	assert_string_equal(params[2], "{1,3,4}");
	assert_string_equal(params[4], "{10,31,1}");
	assert_string_equal(params[5], "{2,2,2}");

	/* query 3 is gone (evicted or reset): it leaves the snapshot and the cache */
	memset(&s3, 0, sizeof s3);
	r = gone_rows("3");
	assert_int_equal(collect_parse_statements(r, &cache, &s3, &err), 0);
	rows_free(r);
	assert_int_equal(s3.n_stmts, 2);
	assert_int_equal(s3.n_hidden, 0);
	assert_true(s3.stmts[0].queryid == 1);
	assert_true(s3.stmts[1].queryid == 4);
	assert_int_equal(cache.n, 2);
	assert_int_equal(cache.hits, 2);
	assert_int_equal(cache.misses, 0);
	collect_stmt_params(&cache, params);
	assert_string_equal(params[2], "{1,4}");
	assert_string_equal(params[4], "{10,1}");

	/* nothing changed: the same keys, the same texts */
	snapshot_free(&s3);
	memset(&s3, 0, sizeof s3);
	r = rows_new(N_PARSE, 0, NULL);
	assert_int_equal(collect_parse_statements(r, &cache, &s3, &err), 0);
	rows_free(r);
	assert_int_equal(s3.n_stmts, 2);
	assert_int_equal(cache.hits, 2);
	collect_stmt_params(&cache, params);
	assert_string_equal(params[0], "{10,10}");
	assert_string_equal(params[2], "{1,4}");
	assert_string_equal(params[3], "{t,t}");
	assert_string_equal(params[4], "{10,1}");

	/* a result of the wrong shape empties the cache: the next read is a whole one */
	snapshot_free(&s1);
	memset(&s1, 0, sizeof s1);
	bad = rows_new(3, 1, a);
	assert_int_equal(collect_parse_statements(bad, &cache, &s1, &err), -1);
	rows_free(bad);
	assert_int_equal(cache.n, 0);
	assert_false(cache.valid);
	assert_null(cache.rows);
	collect_stmt_params(&cache, params);
	assert_string_equal(params[2], "{}");
	snapshot_free(&s1);
	snapshot_free(&s2);
	snapshot_free(&s3);
	snapshot_free(&plain);
	stmt_cache_free(&cache);
}

/* Extreme keys and counts print as the server reads them back. */
static void
collect_stmt_params_extremes(void **state)
{
	struct stmt_row rows[2];
	struct stmt_cache cache;
	const char *params[6];
	int k;

	(void)state;
	memset(rows, 0, sizeof rows);
	rows[0].userid = 4294967295u;
	rows[0].dbid = 0;
	rows[0].queryid = INT64_MIN;
	rows[0].toplevel = 0;
	rows[0].calls = INT64_MAX;
	rows[0].plans = 0;
	rows[1].userid = 1;
	rows[1].dbid = 4294967294u;
	rows[1].queryid = -1;
	rows[1].toplevel = 1;
	rows[1].calls = 1234567890123;
	rows[1].plans = 7;
	memset(&cache, 0, sizeof cache);
	cache.rows = rows;
	cache.n = 2;
	cache.valid = 1;
	collect_stmt_params(&cache, params);
	assert_string_equal(params[0], "{4294967295,1}");
	assert_string_equal(params[1], "{0,4294967294}");
	assert_string_equal(params[2], "{-9223372036854775808,-1}");
	assert_string_equal(params[3], "{f,t}");
	assert_string_equal(params[4], "{9223372036854775807,1234567890123}");
	assert_string_equal(params[5], "{0,7}");
	cache.valid = 0; /* not valid: every row */
	collect_stmt_params(&cache, params);
	assert_string_equal(params[4], "{}");
	for (k = 0; k < 6; k++)
		free(cache.text[k]);
}

static void
collect_parse_statements_empty(void **state)
{
	struct pg_rows *r = rows_new(N_PARSE, 0, NULL);
	struct pgt_err err = {{0}};
	struct snapshot snap;

	(void)state;
	memset(&snap, 0, sizeof snap);
	snap.n_hidden = 9;
	assert_int_equal(collect_parse_statements(r, NULL, &snap, &err), 0);
	assert_int_equal(snap.pgss_ok, 1);
	assert_int_equal(snap.n_stmts, 0);
	assert_int_equal(snap.n_hidden, 0);
	snapshot_free(&snap);
	rows_free(r);
}

/* Decimals read without strtod give the same double as strtod, to the last bit. */
static void
collect_parse_decimals_exact(void **state)
{
	static const char *const fixed[] = {
		"0", "-0", "1", "0.1", "0.2", "0.3", "12.5", "1700000000.5", "0.00046739624517",
		"123456789012345", "1234567890123456", "0.1234567890123456789", "9007199254740993",
		"1e-05", "1.5e+20", "NaN", "Infinity", "-Infinity", "", "-", ".", "1.2.3", "12a",
		"0.0000000000000000000001", "0.00000000000000000000001", "99999999999999.9",
		"-3.14159265358979", "4503599627370496.5", "1.",
	};
	char buf[64];
	unsigned seed = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof fixed / sizeof fixed[0] + 20000; i++) {
		const char *cell[4] = {NULL, NULL, NULL, NULL};
		struct pg_rows *r;
		struct pgt_err err = {{0}};
		struct snapshot snap;
		double want, got;

		if (i < sizeof fixed / sizeof fixed[0]) {
			snprintf(buf, sizeof buf, "%s", fixed[i]);
		} else {
			/* random decimals as PostgreSQL prints timings: digits, a point, digits */
			unsigned long long a, b;
			int ndec;

			seed = seed * 1103515245u + 12345u;
			a = (unsigned long long)(seed >> 8) * (seed % 7 == 0 ? 100000ull : 1ull);
			seed = seed * 1103515245u + 12345u;
			b = seed >> 4;
			ndec = (int)(seed % 13);
			snprintf(buf, sizeof buf, "%s%llu.%0*llu", seed % 5 == 0 ? "-" : "", a, ndec,
				 ndec > 0 ? b % 1000000000000ull : 0ull);
			if (ndec == 0)
				buf[strlen(buf) - 1] = '\0';
		}
		cell[0] = "1";
		cell[1] = buf;
		r = rows_new(4, 1, cell);
		memset(&snap, 0, sizeof snap);
		assert_int_equal(collect_parse_clock(r, &snap, &err), 0);
		want = strtod(buf, NULL);
		got = snap.postmaster_start;
		if (memcmp(&want, &got, sizeof want) != 0 && !(want != want && got != got))
			print_error("'%s': got %.17g, strtod %.17g\n", buf, got, want);
		assert_true(memcmp(&want, &got, sizeof want) == 0 || (want != want && got != got));
		rows_free(r);
	}
}

static void
collect_parse_clock_row(void **state)
{
	static const char *const cells[] = {"1700000000.25", "1699990000.5", "12", "1699000000"};
	static const char *const no_info[] = {"1700000000.25", "1699990000.5", NULL, NULL};
	struct pg_rows *r = rows_new(4, 1, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_clock(r, &snap, &err), 0);
	assert_true(snap.ts == 1700000000.25);
	assert_true(snap.postmaster_start == 1699990000.5);
	assert_int_equal(snap.pgss_dealloc, 12);
	assert_true(snap.pgss_reset == 1699000000.0);
	rows_free(r);

	r = rows_new(4, 1, no_info);
	assert_int_equal(collect_parse_clock(r, &snap, &err), 0);
	assert_int_equal(snap.pgss_dealloc, 0);
	assert_true(snap.pgss_reset == 0);
	rows_free(r);

	r = rows_new(4, 0, NULL);
	assert_int_equal(collect_parse_clock(r, &snap, &err), -1);
	assert_non_null(strstr(err.msg, "clock"));
	rows_free(r);
}

#define ACTB(pid, bt, state, wtype, qid, query, blocked)                                       \
	pid, "app", "alice", "psql", "10.0.0.7", bt, state, wtype, wtype ? "relation" : NULL,     \
		"1700000000", NULL, "1700000100", "1700000100.5", qid, query, blocked
#define ACT(pid, bt, state, wtype, qid, query) ACTB(pid, bt, state, wtype, qid, query, NULL)

static void
collect_parse_activity_rows(void **state)
{
	static const char *const cells[] = {
		ACT("101", "client backend", "active", NULL, "42", "SELECT 1"),
		ACT("102", "client backend", "idle", NULL, NULL, "COMMIT"),
		ACT("103", "client backend", "idle in transaction", NULL, NULL, "BEGIN"),
		ACT("104", "client backend", "idle in transaction (aborted)", NULL, NULL, "x"),
		ACTB("105", "client backend", "active", "Lock", "-5",
		     "ALTER ROLE bob PASSWORD 'hunter2'", "{101,109}"),
		ACT("106", "autovacuum worker", "active", NULL, NULL, "autovacuum: VACUUM t"),
		ACT("107", "client backend", NULL, NULL, NULL, NULL),
		ACT("108", "walsender", "active", NULL, NULL, "START_REPLICATION"),
		ACT("109", "client backend", "active", "LWLock", NULL, "SELECT 2"),
		ACT("110", NULL, NULL, NULL, NULL, NULL),
	};
	struct pg_rows *r = rows_new(16, 10, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;
	const struct activity_row *a;
	int i;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_activity(r, &snap, &err), 0);
	assert_int_equal(snap.sessions.active, 3);
	assert_int_equal(snap.sessions.idle, 1);
	assert_int_equal(snap.sessions.idle_in_xact, 2);
	assert_int_equal(snap.sessions.waiting, 1);
	assert_int_equal(snap.sessions.total, 7);
	/* every client session whose state can be seen, idle ones too */
	assert_int_equal(snap.n_activity, 6);
	assert_int_equal(snap.activity[0].pid, 101);
	assert_int_equal(snap.activity[1].pid, 102);
	assert_int_equal(snap.activity[2].pid, 103);
	assert_int_equal(snap.activity[3].pid, 104);
	assert_int_equal(snap.activity[4].pid, 105);
	assert_int_equal(snap.activity[5].pid, 109);
	for (i = 0; i < snap.n_activity; i++) {
		assert_non_null(snap.activity[i].backend_type);
		assert_string_equal(snap.activity[i].backend_type, "client backend");
		assert_non_null(snap.activity[i].state);
	}
	/* the lock waiter knows who blocks it; the others are blocked by no one */
	assert_non_null(snap.activity[4].blocked_by);
	assert_string_equal(snap.activity[4].blocked_by, "101,109");
	assert_null(snap.activity[0].blocked_by);
	a = &snap.activity[0];
	assert_string_equal(a->datname, "app");
	assert_string_equal(a->usename, "alice");
	assert_string_equal(a->application_name, "psql");
	assert_string_equal(a->client_addr, "10.0.0.7");
	assert_null(a->wait_event_type);
	assert_true(a->backend_start == 1700000000.0);
	assert_true(a->xact_start == 0);
	assert_true(a->state_change == 1700000100.5);
	assert_int_equal(a->has_query_id, 1);
	assert_int_equal(a->query_id, 42);
	assert_string_equal(a->query, "SELECT 1");
	a = &snap.activity[1];
	assert_int_equal(a->has_query_id, 0);
	a = &snap.activity[4];
	assert_int_equal(a->query_id, -5);
	assert_string_equal(a->wait_event_type, "Lock");
	assert_string_equal(a->wait_event, "relation");
	assert_null(strstr(a->query, "hunter2"));
	assert_string_equal(a->query, "ALTER ROLE bob PASSWORD '***'");
	snapshot_free(&snap);
	rows_free(r);
}

static void
collect_parse_database_rows(void **state)
{
	static const char *const cells[] = {
		"16384", "app", "4", "1000", "10", "200", "30000", "5000", "4000", "300", "200",
		"100", "2", "65536", "1", "12.5", "3.25", "1699000000",
		"5", "postgres", "1", "50", "0", "1", "2", "3", "4", "5", "6", "7", "0", "0", "0",
		NULL, NULL, NULL,
	};
	struct pg_rows *r = rows_new(18, 2, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;
	const struct database_row *d;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_database(r, &snap, &err), 0);
	assert_int_equal(snap.n_databases, 2);
	d = &snap.databases[0];
	assert_int_equal(d->datid, 16384);
	assert_string_equal(d->datname, "app");
	assert_int_equal(d->numbackends, 4);
	assert_int_equal(d->xact_commit, 1000);
	assert_int_equal(d->xact_rollback, 10);
	assert_int_equal(d->blks_read, 200);
	assert_int_equal(d->blks_hit, 30000);
	assert_int_equal(d->tup_returned, 5000);
	assert_int_equal(d->tup_fetched, 4000);
	assert_int_equal(d->tup_inserted, 300);
	assert_int_equal(d->tup_updated, 200);
	assert_int_equal(d->tup_deleted, 100);
	assert_int_equal(d->temp_files, 2);
	assert_int_equal(d->temp_bytes, 65536);
	assert_int_equal(d->deadlocks, 1);
	assert_true(d->blk_read_ms == 12.5);
	assert_true(d->blk_write_ms == 3.25);
	assert_true(d->stats_reset == 1699000000.0);
	d = &snap.databases[1];
	assert_true(d->stats_reset == 0);
	assert_true(d->blk_read_ms == 0);
	snapshot_free(&snap);
	rows_free(r);
}

static void
collect_parse_checkpoint_row(void **state)
{
	static const char *const cells[] = {"12", "3", "4500", "1234.5", "67.25", "1699000000"};
	struct pg_rows *r = rows_new(6, 1, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_checkpoint(r, &snap, &err), 0);
	assert_int_equal(snap.checkpoint.valid, 1);
	assert_int_equal(snap.checkpoint.timed, 12);
	assert_int_equal(snap.checkpoint.requested, 3);
	assert_int_equal(snap.checkpoint.buffers_written, 4500);
	assert_true(snap.checkpoint.write_ms == 1234.5);
	assert_true(snap.checkpoint.sync_ms == 67.25);
	assert_true(snap.checkpoint.stats_reset == 1699000000.0);
	rows_free(r);

	memset(&snap, 0, sizeof snap);
	r = rows_new(6, 0, NULL);
	assert_int_equal(collect_parse_checkpoint(r, &snap, &err), 0);
	assert_int_equal(snap.checkpoint.valid, 0);
	rows_free(r);
}

static void
collect_parse_settings_rows(void **state)
{
	static const char *const cells[] = {
		"work_mem", "4096", "kB", "configuration file", "f", "T1",
		"shared_buffers", "16384", "8kB", "configuration file", "t", "T1",
		NULL, "1", NULL, "default", "f", "T1",
		"search_path", NULL, NULL, NULL, NULL, "T1",
	};
	struct pg_rows *r = rows_new(6, 4, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;
	char token[16] = "T0";

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_settings(r, &snap, token, sizeof token, &err), 0);
	assert_string_equal(token, "T1");
	assert_non_null(snap.settings);
	assert_int_equal(snap.n_settings, 3);
	assert_string_equal(snap.settings[0].name, "work_mem");
	assert_string_equal(snap.settings[0].setting, "4096");
	assert_string_equal(snap.settings[0].unit, "kB");
	assert_string_equal(snap.settings[0].source, "configuration file");
	assert_int_equal(snap.settings[0].pending_restart, 0);
	assert_string_equal(snap.settings[1].name, "shared_buffers");
	assert_int_equal(snap.settings[1].pending_restart, 1);
	assert_string_equal(snap.settings[2].name, "search_path");
	assert_null(snap.settings[2].setting);
	assert_int_equal(snap.settings[2].pending_restart, 0);
	snapshot_free(&snap);
	rows_free(r);

	/* no rows: nothing changed since the token; the sample has no settings */
	r = rows_new(6, 0, NULL);
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_settings(r, &snap, token, sizeof token, &err), 0);
	assert_string_equal(token, "T1");
	assert_null(snap.settings);
	assert_int_equal(snap.n_settings, 0);
	snapshot_free(&snap);
	rows_free(r);
}

static void
collect_parse_texts_rows(void **state)
{
	static const char *const cells[] = {
		"1", "SELECT $1",
		"2", "<insufficient privilege>",
		"3", NULL,
		NULL, "SELECT orphan",
		"-4", "CREATE ROLE carol PASSWORD 'swordfish'",
		"9223372036854775807", "SELECT max",
	};
	struct pg_rows *r = rows_new(2, 6, cells);
	struct pgt_err err = {{0}};
	struct snapshot snap;

	(void)state;
	memset(&snap, 0, sizeof snap);
	assert_int_equal(collect_parse_texts(r, &snap, &err), 0);
	assert_int_equal(snap.n_texts, 3);
	assert_int_equal(snap.texts[0].queryid, 1);
	assert_string_equal(snap.texts[0].query, "SELECT $1");
	assert_int_equal(snap.texts[1].queryid, -4);
	assert_null(strstr(snap.texts[1].query, "swordfish"));
	assert_string_equal(snap.texts[1].query, "CREATE ROLE carol PASSWORD '***'");
	assert_true(snap.texts[2].queryid == INT64_MAX);
	snapshot_free(&snap);
	rows_free(r);
}

static int
parse_settings_notoken(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	return collect_parse_settings(r, snap, NULL, 0, err);
}

static int
parse_statements_nocache(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	return collect_parse_statements(r, NULL, snap, err);
}

/* A result of the wrong shape is refused with a message, whatever the parser. */
static void
collect_parse_wrong_shape(void **state)
{
	static const struct {
		int (*parse)(const struct pg_rows *, struct snapshot *, struct pgt_err *);
		int ncols;
		const char *what;
	} cases[] = {
		{parse_statements_nocache, N_PARSE, "pg_stat_statements"},
		{collect_parse_clock, 4, "clock"},
		{collect_parse_activity, 16, "pg_stat_activity"},
		{collect_parse_database, 18, "pg_stat_database"},
		{collect_parse_checkpoint, 6, "checkpoint"},
		{parse_settings_notoken, 6, "pg_settings"},
		{collect_parse_texts, 2, "texts"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		static const char *const one[64] = {"1"};
		int delta;

		for (delta = -1; delta <= 1; delta += 2) {
			struct pg_rows *r = rows_new(cases[i].ncols + delta, 1, one);
			struct pgt_err err = {{0}};
			struct snapshot snap;
			char want[32];

			memset(&snap, 0, sizeof snap);
			assert_int_equal(cases[i].parse(r, &snap, &err), -1);
			assert_non_null(strstr(err.msg, cases[i].what));
			snprintf(want, sizeof want, "%d columns", cases[i].ncols + delta);
			assert_non_null(strstr(err.msg, want));
			snprintf(want, sizeof want, "expected %d", cases[i].ncols);
			assert_non_null(strstr(err.msg, want));
			snapshot_free(&snap);
			rows_free(r);
		}
		{
			struct pgt_err err = {{0}};
			struct snapshot snap;

			memset(&snap, 0, sizeof snap);
			assert_int_equal(cases[i].parse(NULL, &snap, &err), -1);
			assert_true(err.msg[0] != '\0');
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collect_sql_statements_pg12),
		cmocka_unit_test(collect_sql_statements_pg13),
		cmocka_unit_test(collect_sql_statements_pg14),
		cmocka_unit_test(collect_sql_statements_pg15_16),
		cmocka_unit_test(collect_sql_statements_pg17),
		cmocka_unit_test(collect_sql_statements_odd_columns),
		cmocka_unit_test(collect_sql_statements_changed),
		cmocka_unit_test(collect_sql_schema_quoted),
		cmocka_unit_test(collect_sql_checkpoint_by_version),
		cmocka_unit_test(collect_sql_activity_by_version),
		cmocka_unit_test(collect_parse_statements_rows),
		cmocka_unit_test(collect_parse_statements_empty),
		cmocka_unit_test(collect_parse_statements_cached),
		cmocka_unit_test(collect_stmt_params_extremes),
		cmocka_unit_test(collect_parse_decimals_exact),
		cmocka_unit_test(collect_parse_clock_row),
		cmocka_unit_test(collect_parse_activity_rows),
		cmocka_unit_test(collect_parse_database_rows),
		cmocka_unit_test(collect_parse_checkpoint_row),
		cmocka_unit_test(collect_parse_settings_rows),
		cmocka_unit_test(collect_parse_texts_rows),
		cmocka_unit_test(collect_parse_wrong_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
