#include "config.h"

#include "collect-sql.h"

#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "xutil.h"

char *
sql_quote_ident(const char *name)
{
	struct strbuf sb = {0};

	sb_addc(&sb, '"');
	for (; *name; name++) {
		if (*name == '"')
			sb_addc(&sb, '"');
		sb_addc(&sb, *name);
	}
	sb_addc(&sb, '"');
	return sb_detach(&sb);
}

/*
 * The statement columns in result order: the names to try, newest first, and what to
 * select when none exists. 'have' is set when one of the names exists.
 */
static const struct stmt_col {
	const char *names[2];
	const char *fallback;
	unsigned have;
	int epoch; /* a timestamp, selected as epoch seconds */
} stmt_cols[] = {
	{{"userid", NULL}, NULL, 0, 0},
	{{"dbid", NULL}, NULL, 0, 0},
	{{"toplevel", NULL}, "true", STMT_HAVE_TOPLEVEL, 0},
	{{"queryid", NULL}, NULL, 0, 0},
	{{"calls", NULL}, NULL, 0, 0},
	{{"rows", NULL}, NULL, 0, 0},
	{{"plans", NULL}, "0", STMT_HAVE_PLANS, 0},
	{{"total_exec_time", "total_time"}, NULL, 0, 0},
	{{"total_plan_time", NULL}, "0", STMT_HAVE_PLANS, 0},
	{{"min_exec_time", "min_time"}, NULL, 0, 0},
	{{"max_exec_time", "max_time"}, NULL, 0, 0},
	{{"stddev_exec_time", "stddev_time"}, NULL, 0, 0},
	{{"shared_blks_hit", NULL}, NULL, 0, 0},
	{{"shared_blks_read", NULL}, NULL, 0, 0},
	{{"shared_blks_dirtied", NULL}, NULL, 0, 0},
	{{"shared_blks_written", NULL}, NULL, 0, 0},
	{{"local_blks_hit", NULL}, NULL, 0, 0},
	{{"local_blks_read", NULL}, NULL, 0, 0},
	{{"temp_blks_read", NULL}, NULL, 0, 0},
	{{"temp_blks_written", NULL}, NULL, 0, 0},
	{{"shared_blk_read_time", "blk_read_time"}, NULL, 0, 0},
	{{"shared_blk_write_time", "blk_write_time"}, NULL, 0, 0},
	{{"wal_records", NULL}, "0", STMT_HAVE_WAL, 0},
	{{"wal_fpi", NULL}, "0", STMT_HAVE_WAL, 0},
	{{"wal_bytes", NULL}, "0", STMT_HAVE_WAL, 0},
	{{"stats_since", NULL}, "0", STMT_HAVE_STATS_SINCE, 1},
};
#define N_STMT_COLS ((int)(sizeof stmt_cols / sizeof stmt_cols[0]))

static int
has_col(const char *const *cols, int ncols, const char *name)
{
	int i;

	for (i = 0; i < ncols; i++)
		if (strcmp(cols[i], name) == 0)
			return 1;
	return 0;
}

/* The plain read: every row, the columns in result order. */
static char *
plain_statements(const char *schema, const char *const *cols, int ncols, unsigned *have)
{
	struct strbuf sb = {0};
	char *q = sql_quote_ident(schema);
	int i, k;

	*have = 0;
	sb_add(&sb, "SELECT ");
	for (i = 0; i < N_STMT_COLS; i++) {
		const struct stmt_col *c = &stmt_cols[i];
		const char *found = NULL;

		for (k = 0; k < 2 && c->names[k]; k++)
			if (has_col(cols, ncols, c->names[k])) {
				found = c->names[k];
				break;
			}
		if (i > 0)
			sb_add(&sb, ", ");
		if (found != NULL) {
			*have |= c->have;
			if (c->epoch)
				sb_addf(&sb, "extract(epoch from %s)", found);
			else
				sb_add(&sb, found);
		} else {
			/* a required column that is missing: select NULL, parsing will say so */
			sb_add(&sb, c->fallback ? c->fallback : "NULL");
		}
	}
	sb_addf(&sb, " FROM %s.pg_stat_statements(false)", q);
	free(q);
	return sb_detach(&sb);
}

char *
collect_sql_statements_plain(const char *schema, const char *const *cols, int ncols,
			     unsigned *have)
{
	return plain_statements(schema, cols, ncols, have);
}

/*
 * The rows whose calls or plans differ from those the client passes for the same key
 * ($1 userid, $2 dbid, $3 queryid, $4 toplevel, $5 calls, $6 plans, as arrays; empty
 * arrays: every row), and the keys the client passes that are gone, with only their key
 * and a last column set to true. pg_stat_statements changes an entry's execution counters
 * only with its calls and its planning counters only with its plans, so a row left out is
 * the row the client has.
 */
char *
collect_sql_statements(const char *schema, const char *const *cols, int ncols, unsigned *have)
{
	static const char *const key[] = {"u", "d", "t", "q"};
	struct strbuf sb = {0};
	char *plain = plain_statements(schema, cols, ncols, have);
	int i;

	sb_add(&sb, "SELECT ");
	for (i = 0; i < N_STMT_COLS; i++) {
		if (i < 4)
			sb_addf(&sb, "coalesce(s.c%d, k.%s), ", i, key[i]);
		else
			sb_addf(&sb, "s.c%d, ", i);
	}
	sb_addf(&sb, "CASE WHEN s.c4 IS NULL THEN true END FROM (%s) AS s (", plain);
	for (i = 0; i < N_STMT_COLS; i++)
		sb_addf(&sb, "%sc%d", i ? ", " : "", i);
	sb_add(&sb, ") FULL JOIN unnest($1::oid[], $2::oid[], $3::int8[], $4::bool[], $5::int8[],"
		    " $6::int8[]) AS k (u, d, q, t, c, p) ON k.q = s.c3 AND k.u = s.c0"
		    " AND k.d = s.c1 AND k.t = s.c2"
		    " WHERE k.q IS NULL OR s.c3 IS NULL OR k.c <> s.c4 OR k.p <> s.c6");
	free(plain);
	return sb_detach(&sb);
}

char *
collect_sql_texts(const char *schema)
{
	char *q = sql_quote_ident(schema);
	char *s = xasprintf("SELECT DISTINCT ON (queryid) queryid, query"
			    " FROM %s.pg_stat_statements(true)"
			    " WHERE queryid = ANY ($1::int8[]) ORDER BY queryid",
			    q);

	free(q);
	return s;
}

char *
collect_sql_clock(const char *schema, int with_info)
{
	char *q, *s;

	if (!with_info)
		return xstrdup("SELECT extract(epoch from clock_timestamp()),"
			       " extract(epoch from pg_postmaster_start_time()), NULL, NULL");
	q = sql_quote_ident(schema);
	s = xasprintf("SELECT extract(epoch from clock_timestamp()),"
		      " extract(epoch from pg_postmaster_start_time()),"
		      " i.dealloc, extract(epoch from i.stats_reset)"
		      " FROM %s.pg_stat_statements_info i",
		      q);
	free(q);
	return s;
}

/*
 * The catalog, for the index advisor: user tables of 1,000 rows or more (their size and
 * scans), the columns of their indexes, and how distinct their columns are.
 */
const char *
collect_sql_tables(void)
{
	/*
	 * rows as the planner knows them (reltuples), else the statistics' count; a table
	 * whose rows are mostly dead counts them, for the autovacuum rule
	 */
	return "SELECT t.relid, t.schemaname, t.relname,"
	       " CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE t.n_live_tup END,"
	       " pg_catalog.pg_relation_size(t.relid), t.seq_scan, t.seq_tup_read,"
	       " coalesce(t.idx_scan, 0), t.n_mod_since_analyze,"
	       " extract(epoch FROM greatest(t.last_analyze, t.last_autoanalyze)),"
	       " t.n_live_tup, t.n_dead_tup, extract(epoch FROM t.last_vacuum),"
	       " extract(epoch FROM t.last_autovacuum), t.vacuum_count, t.autovacuum_count,"
	       " pg_catalog.array_to_string(c.reloptions, ',')"
	       " FROM pg_catalog.pg_stat_user_tables t"
	       " JOIN pg_catalog.pg_class c ON c.oid = t.relid"
	       " WHERE greatest(c.reltuples, t.n_live_tup, t.n_dead_tup) >= 1000"
	       " ORDER BY greatest(c.reltuples, t.n_live_tup, t.n_dead_tup) DESC LIMIT 2000";
}

const char *
collect_sql_index_columns(void)
{
	return "SELECT i.indrelid, c.relname, am.amname, i.indisvalid, i.indpred IS NOT NULL,"
	       " k.n, a.attname"
	       " FROM pg_catalog.pg_index i"
	       " JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	       " JOIN pg_catalog.pg_am am ON am.oid = c.relam"
	       " JOIN pg_catalog.pg_stat_user_tables t ON t.relid = i.indrelid"
	       " CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[])"
	       "  WITH ORDINALITY AS k(attnum, n)"
	       " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid"
	       "  AND a.attnum = k.attnum AND k.attnum > 0"
	       " WHERE k.n <= 8"
	       " ORDER BY i.indrelid, c.relname, k.n LIMIT 20000";
}

const char *
collect_sql_colstats(void)
{
	return "SELECT c.oid, s.attname, s.n_distinct"
	       " FROM pg_catalog.pg_stats s"
	       " JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname"
	       " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename"
	       " WHERE c.reltuples >= 1000 AND NOT s.inherited"
	       " AND s.schemaname NOT IN ('pg_catalog', 'information_schema')"
	       " LIMIT 20000";
}

char *
collect_sql_activity(int version_num)
{
	return xasprintf("SELECT pid, datname, usename, application_name, client_addr::text,"
			 " backend_type, state, wait_event_type, wait_event,"
			 " extract(epoch from backend_start), extract(epoch from xact_start),"
			 " extract(epoch from query_start), extract(epoch from state_change),"
			 " %s, left(query, %d),"
			 /* costly on a busy lock table: only for sessions that wait for a lock */
			 " CASE WHEN wait_event_type = 'Lock'"
			 " THEN pg_catalog.pg_blocking_pids(pid)::text END"
			 " FROM pg_catalog.pg_stat_activity"
			 " WHERE pid <> pg_catalog.pg_backend_pid()",
			 version_num >= 140000 ? "query_id" : "NULL::int8", ACTIVITY_QUERY_MAX);
}

const char *
collect_sql_database(void)
{
	return "SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read,"
	       " blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted,"
	       " temp_files, temp_bytes, deadlocks, blk_read_time, blk_write_time,"
	       " extract(epoch from stats_reset)"
	       " FROM pg_catalog.pg_stat_database WHERE datname IS NOT NULL";
}

const char *
collect_sql_checkpoint(int version_num)
{
	if (version_num >= 170000)
		return "SELECT num_timed, num_requested, buffers_written, write_time, sync_time,"
		       " extract(epoch from stats_reset) FROM pg_catalog.pg_stat_checkpointer";
	return "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint,"
	       " checkpoint_write_time, checkpoint_sync_time, extract(epoch from stats_reset)"
	       " FROM pg_catalog.pg_stat_bgwriter";
}

/*
 * A session's pg_settings change only when it reloads the configuration (which sets its
 * pg_conf_load_time()) or, for a few read-only settings, when a standby is promoted: the
 * rows come only when that token differs from $1 (NULL: always). The token is the last
 * column of each row. As a subquery the test is made once, before pg_settings is read.
 */
#define SETTINGS_TOKEN                                                                             \
	"(SELECT pg_catalog.pg_conf_load_time()::text || ' ' ||"                                   \
	" pg_catalog.pg_is_in_recovery()::text)"

const char *
collect_sql_settings(void)
{
	return "SELECT name, setting, unit, source, pending_restart, " SETTINGS_TOKEN
	       " FROM pg_catalog.pg_settings WHERE " SETTINGS_TOKEN " IS DISTINCT FROM $1";
}

const char *
collect_sql_roles(void)
{
	return "SELECT oid, rolname FROM pg_catalog.pg_roles";
}

const char *
collect_sql_role_settings(void)
{
	return "SELECT NULL::text, NULL::text, NULL::text, NULL::text"
	       " WHERE " SETTINGS_TOKEN " IS DISTINCT FROM $1"
	       " UNION ALL"
	       " SELECT d.datname::text, r.rolname::text, pg_catalog.split_part(x, '=', 1),"
	       " pg_catalog.substr(x, pg_catalog.strpos(x, '=') + 1)"
	       " FROM pg_catalog.pg_db_role_setting s"
	       " LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase"
	       " LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole"
	       " CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS x"
	       " WHERE " SETTINGS_TOKEN " IS DISTINCT FROM $1";
}

const char *
collect_sql_wal(void)
{
	return "SELECT wal_records, wal_fpi, wal_bytes, extract(epoch from stats_reset)"
	       " FROM pg_catalog.pg_stat_wal";
}

/* ---- parsing ---- */

static int shape(const struct pg_rows *r, int cols, const char *what, struct pgt_err *err);
static char *get_str(const struct pg_rows *r, int row, int col);

static double
get_double(const struct pg_rows *r, int row, int col)
{
	const char *s = pg_rows_get(r, row, col);

	return s != NULL ? strtod(s, NULL) : 0;
}

int
collect_parse_tables(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 17, "pg_stat_user_tables", err) < 0)
		return -1;
	snap->tables = xcalloc((size_t)(r->nrows ? r->nrows : 1), sizeof *snap->tables);
	for (i = 0; i < r->nrows; i++) {
		struct table_row *t = &snap->tables[n];

		if (pg_rows_get(r, i, 0) == NULL || pg_rows_get(r, i, 1) == NULL ||
		    pg_rows_get(r, i, 2) == NULL)
			continue;
		t->relid = (uint32_t)strtoul(pg_rows_get(r, i, 0), NULL, 10);
		t->schema = get_str(r, i, 1);
		t->name = get_str(r, i, 2);
		t->live_rows = get_double(r, i, 3);
		t->bytes = get_double(r, i, 4);
		t->seq_scan = get_double(r, i, 5);
		t->seq_tup_read = get_double(r, i, 6);
		t->idx_scan = get_double(r, i, 7);
		t->mod_since_analyze = get_double(r, i, 8);
		/* never analysed: 0 */
		t->last_analyze = get_double(r, i, 9);
		t->n_live_tup = get_double(r, i, 10);
		t->n_dead_tup = get_double(r, i, 11);
		t->last_vacuum = get_double(r, i, 12);
		t->last_autovacuum = get_double(r, i, 13);
		t->vacuum_count = get_double(r, i, 14);
		t->autovacuum_count = get_double(r, i, 15);
		t->reloptions = pg_rows_get(r, i, 16) != NULL && pg_rows_get(r, i, 16)[0]
					? get_str(r, i, 16)
					: NULL;
		n++;
	}
	snap->n_tables = n;
	return 0;
}

int
collect_parse_index_columns(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 7, "pg_index", err) < 0)
		return -1;
	snap->index_cols = xcalloc((size_t)(r->nrows ? r->nrows : 1), sizeof *snap->index_cols);
	for (i = 0; i < r->nrows; i++) {
		struct index_col_row *x = &snap->index_cols[n];
		const char *v;

		if (pg_rows_get(r, i, 0) == NULL || pg_rows_get(r, i, 1) == NULL)
			continue;
		x->relid = (uint32_t)strtoul(pg_rows_get(r, i, 0), NULL, 10);
		x->index = get_str(r, i, 1);
		x->am = get_str(r, i, 2);
		v = pg_rows_get(r, i, 3);
		x->valid = v != NULL && v[0] == 't';
		v = pg_rows_get(r, i, 4);
		x->partial = v != NULL && v[0] == 't';
		x->pos = (int)get_double(r, i, 5);
		x->attname = pg_rows_get(r, i, 6) != NULL ? get_str(r, i, 6) : NULL;
		n++;
	}
	snap->n_index_cols = n;
	return 0;
}

int
collect_parse_colstats(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 3, "pg_stats", err) < 0)
		return -1;
	snap->colstats = xcalloc((size_t)(r->nrows ? r->nrows : 1), sizeof *snap->colstats);
	for (i = 0; i < r->nrows; i++) {
		if (pg_rows_get(r, i, 0) == NULL || pg_rows_get(r, i, 1) == NULL)
			continue;
		snap->colstats[n].relid = (uint32_t)strtoul(pg_rows_get(r, i, 0), NULL, 10);
		snap->colstats[n].attname = get_str(r, i, 1);
		snap->colstats[n].n_distinct = get_double(r, i, 2);
		n++;
	}
	snap->n_colstats = n;
	return 0;
}

/*
 * Most cells are short decimal integers: read them directly, and leave anything else
 * (signs but '-', blanks, 19 digits and more) to strtoll.
 */
static int64_t
get_i64(const struct pg_rows *r, int row, int col)
{
	const char *s = pg_rows_get(r, row, col), *p;
	int64_t v = 0;
	int neg;

	if (s == NULL)
		return 0;
	neg = *s == '-';
	p = s + neg;
	if (*p < '0' || *p > '9')
		return strtoll(s, NULL, 10);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (p - s >= 18)
			return strtoll(s, NULL, 10);
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0')
		return strtoll(s, NULL, 10);
	return neg ? -v : v;
}

/*
 * A decimal such as "1234.5678" with at most 15 significant digits and 22 decimals is
 * the quotient of two doubles that are exact, and IEEE division rounds it as strtod
 * would: read those directly (most timings are), anything else with strtod.
 */
static double
get_dbl(const struct pg_rows *r, int row, int col)
{
	static const double pow10[] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	const char *s = pg_rows_get(r, row, col), *p;
	uint64_t m = 0;
	int digits = 0, frac = 0, dot = 0, any = 0;
	double v;

	if (s == NULL)
		return 0.0;
	for (p = *s == '-' ? s + 1 : s; *p != '\0'; p++) {
		if (*p == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			return strtod(s, NULL);
		any = 1;
		m = m * 10 + (uint64_t)(*p - '0');
		if (m != 0 && ++digits > 15)
			return strtod(s, NULL);
		if (dot && ++frac > 22)
			return strtod(s, NULL);
	}
	if (!any)
		return strtod(s, NULL);
	v = (double)m / pow10[frac];
	return *s == '-' ? -v : v;
}

static char *
get_str(const struct pg_rows *r, int row, int col)
{
	const char *s = pg_rows_get(r, row, col);

	return s ? xstrdup(s) : NULL;
}

static int
shape(const struct pg_rows *r, int ncols, const char *what, struct pgt_err *err)
{
	if (r == NULL || r->ncols != ncols) {
		pgt_err_set(err, "unexpected result for %s (%d columns, expected %d)", what,
			    r ? r->ncols : 0, ncols);
		return -1;
	}
	return 0;
}

void
stmt_cache_free(struct stmt_cache *cache)
{
	int k;

	if (cache == NULL)
		return;
	free(cache->rows);
	for (k = 0; k < 6; k++)
		free(cache->text[k]);
	memset(cache, 0, sizeof *cache);
}

/* The order of delta.c (stmt_key_cmp): dbid, userid, queryid, toplevel. */
static int
key_qsort_cmp(const void *a, const void *b)
{
	return stmt_key_cmp(a, b);
}

/* Decimal digits of v at p (no NUL); returns the length. */
static size_t
put_u64(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t
put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p = '-';
		return 1 + put_u64(p + 1, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* The text of parameter k (see collect_sql_statements) into the cache's buffer. */
static void
param_text(struct stmt_cache *cache, int k)
{
	size_t need = (size_t)cache->n * 24 + 3;
	char *p;
	int i;

	if (cache->size[k] < need) {
		free(cache->text[k]);
		cache->text[k] = xmalloc(need);
		cache->size[k] = need;
	}
	p = cache->text[k];
	*p++ = '{';
	for (i = 0; i < cache->n; i++) {
		const struct stmt_row *r = &cache->rows[i];

		if (i > 0)
			*p++ = ',';
		switch (k) {
		case 0:
			p += put_u64(p, r->userid);
			break;
		case 1:
			p += put_u64(p, r->dbid);
			break;
		case 2:
			p += put_i64(p, r->queryid);
			break;
		case 3:
			*p++ = r->toplevel ? 't' : 'f';
			break;
		case 4:
			p += put_i64(p, r->calls);
			break;
		default:
			p += put_i64(p, r->plans);
			break;
		}
	}
	*p++ = '}';
	*p = '\0';
}

/* The keys changed: their texts are made again at the next use. */
static void
keys_changed(struct stmt_cache *cache)
{
	int k;

	for (k = 0; cache != NULL && k < 4; k++)
		if (cache->text[k] != NULL)
			cache->text[k][0] = '\0';
}

void
collect_stmt_params(struct stmt_cache *cache, const char *params[6])
{
	int k;

	for (k = 0; k < 6; k++) {
		if (cache == NULL || !cache->valid) {
			params[k] = "{}";
			continue;
		}
		/* the keys' texts only when the keys changed; calls and plans each time */
		if (k >= 4 || cache->text[k] == NULL || cache->text[k][0] == '\0')
			param_text(cache, k);
		params[k] = cache->text[k];
	}
}

/* Row i as a statement; 0 when the row has no query id (another role's statement). */
static int
parse_stmt_row(const struct pg_rows *r, int i, struct stmt_row *s)
{
	const char *tl;

	if (pg_rows_get(r, i, 3) == NULL || pg_rows_get(r, i, 1) == NULL)
		return 0;
	memset(s, 0, sizeof *s);
	s->userid = (uint32_t)get_i64(r, i, 0);
	s->dbid = (uint32_t)get_i64(r, i, 1);
	tl = pg_rows_get(r, i, 2);
	s->toplevel = tl == NULL || tl[0] == 't';
	s->queryid = get_i64(r, i, 3);
	s->calls = get_i64(r, i, 4);
	s->rows = get_i64(r, i, 5);
	s->plans = get_i64(r, i, 6);
	s->total_exec_ms = get_dbl(r, i, 7);
	s->total_plan_ms = get_dbl(r, i, 8);
	s->min_ms = get_dbl(r, i, 9);
	s->max_ms = get_dbl(r, i, 10);
	s->stddev_ms = get_dbl(r, i, 11);
	s->shared_blks_hit = get_i64(r, i, 12);
	s->shared_blks_read = get_i64(r, i, 13);
	s->shared_blks_dirtied = get_i64(r, i, 14);
	s->shared_blks_written = get_i64(r, i, 15);
	s->local_blks_hit = get_i64(r, i, 16);
	s->local_blks_read = get_i64(r, i, 17);
	s->temp_blks_read = get_i64(r, i, 18);
	s->temp_blks_written = get_i64(r, i, 19);
	s->blk_read_ms = get_dbl(r, i, 20);
	s->blk_write_ms = get_dbl(r, i, 21);
	s->wal_records = get_i64(r, i, 22);
	s->wal_fpi = get_i64(r, i, 23);
	s->wal_bytes = get_dbl(r, i, 24);
	s->stats_since = get_dbl(r, i, 25);
	return 1;
}

/* Row i as a key only (a statement that is gone); 0 when it has none. */
static int
parse_key(const struct pg_rows *r, int i, struct stmt_row *s)
{
	const char *tl = pg_rows_get(r, i, 2);

	if (pg_rows_get(r, i, 3) == NULL || pg_rows_get(r, i, 1) == NULL)
		return 0;
	memset(s, 0, sizeof *s);
	s->userid = (uint32_t)get_i64(r, i, 0);
	s->dbid = (uint32_t)get_i64(r, i, 1);
	s->toplevel = tl == NULL || tl[0] == 't';
	s->queryid = get_i64(r, i, 3);
	return 1;
}

int
collect_parse_statements(const struct pg_rows *r, struct stmt_cache *cache, struct snapshot *snap,
			 struct pgt_err *err)
{
	struct stmt_row *changed, *gone, *all;
	int i, n = 0, n_gone = 0, n_all = 0, j = 0, k = 0, g = 0, merge, new_keys = 0;

	if (shape(r, N_STMT_COLS + 1, "pg_stat_statements", err) < 0) {
		stmt_cache_free(cache);
		return -1;
	}
	merge = cache != NULL && cache->valid;
	/* sized to what they hold: a sample can bring a thousand rows, most of them changed */
	for (i = 0; i < r->nrows; i++)
		if (pg_rows_get(r, i, N_STMT_COLS) != NULL)
			n_gone++;
	changed = xcalloc((size_t)(r->nrows - n_gone) + 1, sizeof *changed);
	gone = xcalloc((size_t)n_gone + 1, sizeof *gone);
	n_gone = 0;
	snap->n_hidden = 0;
	for (i = 0; i < r->nrows; i++) {
		if (pg_rows_get(r, i, N_STMT_COLS) != NULL) { /* a key of the cache that is gone */
			if (parse_key(r, i, &gone[n_gone]))
				n_gone++;
		} else if (parse_stmt_row(r, i, &changed[n])) {
			n++;
		} else {
			snap->n_hidden++;
		}
	}
	if (n > 1)
		qsort(changed, (size_t)n, sizeof *changed, key_qsort_cmp);
	if (n_gone > 1)
		qsort(gone, (size_t)n_gone, sizeof *gone, key_qsort_cmp);
	if (!merge) {
		all = changed;
		n_all = n;
		keys_changed(cache);
	} else {
		/* all sorted: a changed row replaces the cached one of its key, a gone one drops it */
		int n_new = 0;

		for (j = 0, k = 0; k < n;) { /* the changed rows whose key is new */
			int c = j == cache->n ? 1 : stmt_key_cmp(&cache->rows[j], &changed[k]);

			if (c < 0)
				j++;
			else {
				n_new += c > 0;
				j += c == 0;
				k++;
			}
		}
		j = k = 0;
		all = xcalloc((size_t)(cache->n + n_new) + 1, sizeof *all);
		while (j < cache->n || k < n) {
			int c = j == cache->n ? 1
				: k == n      ? -1
					      : stmt_key_cmp(&cache->rows[j], &changed[k]);

			if (c > 0) { /* a new key */
				all[n_all++] = changed[k++];
				new_keys = 1;
				continue;
			}
			if (c == 0) {
				all[n_all++] = changed[k++];
				j++;
				continue;
			}
			while (g < n_gone && stmt_key_cmp(&gone[g], &cache->rows[j]) < 0)
				g++;
			if (g < n_gone && stmt_key_cmp(&gone[g], &cache->rows[j]) == 0) {
				j++; /* evicted or reset */
				new_keys = 1;
			} else
				all[n_all++] = cache->rows[j++];
		}
		free(changed);
		if (new_keys)
			keys_changed(cache);
	}
	free(gone);
	if (cache != NULL) {
		cache->hits = n_all - n;
		cache->misses = n;
		cache->new_keys = !merge || new_keys;
		cache->rows = xreallocarray(cache->rows, (size_t)n_all + 1, sizeof *cache->rows);
		memcpy(cache->rows, all, (size_t)n_all * sizeof *all);
		cache->n = n_all;
		cache->valid = 1;
	}
	free(snap->stmts);
	snap->stmts = all;
	snap->n_stmts = n_all;
	snap->pgss_ok = 1;
	return 0;
}

int
collect_parse_clock(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	if (shape(r, 4, "the server clock", err) < 0)
		return -1;
	if (r->nrows != 1 || pg_rows_get(r, 0, 0) == NULL) {
		pgt_err_set(err, "the server did not return its clock");
		return -1;
	}
	snap->ts = get_dbl(r, 0, 0);
	snap->postmaster_start = get_dbl(r, 0, 1);
	snap->pgss_dealloc = get_i64(r, 0, 2);
	snap->pgss_reset = get_dbl(r, 0, 3);
	return 0;
}

/* "{12,34}" (an int[] as text) to "12,34"; NULL for NULL or an empty array. */
static char *
blocking_list(const char *arr)
{
	size_t n;

	if (arr == NULL)
		return NULL;
	if (*arr == '{')
		arr++;
	n = strcspn(arr, "}");
	return n > 0 ? xstrndup(arr, n) : NULL;
}

int
collect_parse_activity(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 16, "pg_stat_activity", err) < 0)
		return -1;
	memset(&snap->sessions, 0, sizeof snap->sessions);
	snap->activity = xcalloc((size_t)r->nrows, sizeof *snap->activity);
	for (i = 0; i < r->nrows; i++) {
		const char *bt = pg_rows_get(r, i, 5), *state = pg_rows_get(r, i, 6);
		const char *wtype = pg_rows_get(r, i, 7);
		struct activity_row *a;

		if (bt == NULL || strcmp(bt, "client backend") != 0)
			continue;
		snap->sessions.total++;
		if (state == NULL)
			continue; /* another role's session: state hidden */
		if (strcmp(state, "idle") == 0)
			snap->sessions.idle++;
		else if (strncmp(state, "idle in transaction", 19) == 0)
			snap->sessions.idle_in_xact++;
		else if (strcmp(state, "active") == 0)
			snap->sessions.active++;
		if (wtype != NULL && strcmp(wtype, "Lock") == 0)
			snap->sessions.waiting++;
		a = &snap->activity[n++];
		a->pid = (int)get_i64(r, i, 0);
		a->datname = get_str(r, i, 1);
		a->usename = get_str(r, i, 2);
		a->application_name = get_str(r, i, 3);
		a->client_addr = get_str(r, i, 4);
		a->backend_type = get_str(r, i, 5);
		a->state = get_str(r, i, 6);
		a->wait_event_type = get_str(r, i, 7);
		a->wait_event = get_str(r, i, 8);
		a->backend_start = get_dbl(r, i, 9);
		a->xact_start = get_dbl(r, i, 10);
		a->query_start = get_dbl(r, i, 11);
		a->state_change = get_dbl(r, i, 12);
		a->has_query_id = pg_rows_get(r, i, 13) != NULL;
		a->query_id = get_i64(r, i, 13);
		a->query = pg_rows_get(r, i, 14) ? sanitize_redact(pg_rows_get(r, i, 14)) : NULL;
		a->blocked_by = blocking_list(pg_rows_get(r, i, 15));
	}
	snap->n_activity = n;
	return 0;
}

int
collect_parse_database(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i;

	if (shape(r, 18, "pg_stat_database", err) < 0)
		return -1;
	snap->databases = xcalloc((size_t)r->nrows, sizeof *snap->databases);
	for (i = 0; i < r->nrows; i++) {
		struct database_row *d = &snap->databases[i];

		d->datid = (uint32_t)get_i64(r, i, 0);
		d->datname = get_str(r, i, 1);
		d->numbackends = get_i64(r, i, 2);
		d->xact_commit = get_i64(r, i, 3);
		d->xact_rollback = get_i64(r, i, 4);
		d->blks_read = get_i64(r, i, 5);
		d->blks_hit = get_i64(r, i, 6);
		d->tup_returned = get_i64(r, i, 7);
		d->tup_fetched = get_i64(r, i, 8);
		d->tup_inserted = get_i64(r, i, 9);
		d->tup_updated = get_i64(r, i, 10);
		d->tup_deleted = get_i64(r, i, 11);
		d->temp_files = get_i64(r, i, 12);
		d->temp_bytes = get_i64(r, i, 13);
		d->deadlocks = get_i64(r, i, 14);
		d->blk_read_ms = get_dbl(r, i, 15);
		d->blk_write_ms = get_dbl(r, i, 16);
		d->stats_reset = get_dbl(r, i, 17);
	}
	snap->n_databases = r->nrows;
	return 0;
}

int
collect_parse_checkpoint(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	struct checkpoint_row *c = &snap->checkpoint;

	if (shape(r, 6, "the checkpoint statistics", err) < 0)
		return -1;
	if (r->nrows != 1)
		return 0;
	c->valid = 1;
	c->timed = get_i64(r, 0, 0);
	c->requested = get_i64(r, 0, 1);
	c->buffers_written = get_i64(r, 0, 2);
	c->write_ms = get_dbl(r, 0, 3);
	c->sync_ms = get_dbl(r, 0, 4);
	c->stats_reset = get_dbl(r, 0, 5);
	return 0;
}

int
collect_parse_settings(const struct pg_rows *r, struct snapshot *snap, char *token,
		       size_t token_size, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 6, "pg_settings", err) < 0)
		return -1;
	if (r->nrows == 0)
		return 0; /* unchanged since the token the query was given */
	if (token != NULL && token_size > 0) {
		const char *t = pg_rows_get(r, 0, 5);

		strlcpy_(token, t ? t : "", token_size);
	}
	snap->settings = xcalloc((size_t)r->nrows, sizeof *snap->settings);
	for (i = 0; i < r->nrows; i++) {
		struct setting_row *s = &snap->settings[n];
		const char *pr = pg_rows_get(r, i, 4);

		if (pg_rows_get(r, i, 0) == NULL)
			continue;
		s->name = get_str(r, i, 0);
		s->setting = get_str(r, i, 1);
		s->unit = get_str(r, i, 2);
		s->source = get_str(r, i, 3);
		s->pending_restart = pr != NULL && pr[0] == 't';
		n++;
	}
	snap->n_settings = n;
	return 0;
}

int
collect_parse_texts(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 2, "pg_stat_statements texts", err) < 0)
		return -1;
	snap->texts = xcalloc((size_t)r->nrows, sizeof *snap->texts);
	for (i = 0; i < r->nrows; i++) {
		const char *q = pg_rows_get(r, i, 1);

		/* no text, or another role's: fetch it again when it can be seen */
		if (pg_rows_get(r, i, 0) == NULL || q == NULL ||
		    strcmp(q, "<insufficient privilege>") == 0)
			continue;
		snap->texts[n].queryid = get_i64(r, i, 0);
		snap->texts[n].query = sanitize_redact(q);
		n++;
	}
	snap->n_texts = n;
	return 0;
}

int
collect_parse_roles(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 2, "pg_roles", err) < 0)
		return -1;
	snap->roles = xcalloc((size_t)(r->nrows ? r->nrows : 1), sizeof *snap->roles);
	for (i = 0; i < r->nrows; i++) {
		if (pg_rows_get(r, i, 0) == NULL || pg_rows_get(r, i, 1) == NULL)
			continue;
		snap->roles[n].oid = (uint32_t)get_i64(r, i, 0);
		snap->roles[n].name = get_str(r, i, 1);
		n++;
	}
	snap->n_roles = n;
	return 0;
}

int
collect_parse_role_settings(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 4, "pg_db_role_setting", err) < 0)
		return -1;
	if (r->nrows == 0)
		return 0; /* not read: the settings did not change */
	snap->role_settings_read = 1;
	snap->role_settings = xcalloc((size_t)r->nrows, sizeof *snap->role_settings);
	for (i = 0; i < r->nrows; i++) {
		struct role_setting_row *s = &snap->role_settings[n];

		if (pg_rows_get(r, i, 2) == NULL || pg_rows_get(r, i, 2)[0] == '\0')
			continue; /* the first row, which says that they were read */
		s->datname = get_str(r, i, 0);
		s->rolname = get_str(r, i, 1);
		s->name = get_str(r, i, 2);
		s->setting = get_str(r, i, 3);
		n++;
	}
	snap->n_role_settings = n;
	return 0;
}

int
collect_parse_wal(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	struct wal_row *w = &snap->wal;

	if (shape(r, 4, "pg_stat_wal", err) < 0)
		return -1;
	if (r->nrows != 1 || pg_rows_get(r, 0, 2) == NULL)
		return 0;
	w->valid = 1;
	w->records = get_i64(r, 0, 0);
	w->fpi = get_i64(r, 0, 1);
	w->bytes = get_dbl(r, 0, 2);
	w->stats_reset = get_dbl(r, 0, 3);
	return 0;
}
