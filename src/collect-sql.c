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

char *
collect_sql_statements(const char *schema, const char *const *cols, int ncols, unsigned *have)
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

const char *
collect_sql_settings(void)
{
	return "SELECT name, setting, unit, source, pending_restart FROM pg_catalog.pg_settings";
}

const char *
collect_sql_roles(void)
{
	return "SELECT oid, rolname FROM pg_catalog.pg_roles";
}

/* ---- parsing ---- */

static int64_t
get_i64(const struct pg_rows *r, int row, int col)
{
	const char *s = pg_rows_get(r, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

static double
get_dbl(const struct pg_rows *r, int row, int col)
{
	const char *s = pg_rows_get(r, row, col);

	return s ? strtod(s, NULL) : 0.0;
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
	if (cache == NULL)
		return;
	free(cache->hash);
	free(cache->parsed);
	free(cache->hidden);
	memset(cache, 0, sizeof *cache);
}

/* FNV-1a over the cells of row i, each ended by a byte that no text holds (or NULL's). */
static uint64_t
row_hash(const struct pg_rows *r, int i)
{
	char *const *c = r->cells + (size_t)i * (size_t)r->ncols;
	uint64_t h = 14695981039346656037ULL;
	int k;

	for (k = 0; k < r->ncols; k++) {
		const unsigned char *p = (const unsigned char *)c[k];

		if (p != NULL)
			for (; *p; p++)
				h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ (p != NULL ? 0x00u : 0xffu)) * 1099511628211ULL;
	}
	return h;
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

int
collect_parse_statements(const struct pg_rows *r, struct stmt_cache *cache, struct snapshot *snap,
			 struct pgt_err *err)
{
	struct stmt_cache next;
	int i, n = 0;

	if (shape(r, N_STMT_COLS, "pg_stat_statements", err) < 0) {
		stmt_cache_free(cache);
		return -1;
	}
	snap->stmts = xcalloc((size_t)r->nrows + 1, sizeof *snap->stmts);
	snap->n_hidden = 0;
	memset(&next, 0, sizeof next);
	if (cache != NULL) {
		next.n = r->nrows;
		next.hash = xcalloc((size_t)r->nrows + 1, sizeof *next.hash);
		next.parsed = xcalloc((size_t)r->nrows + 1, sizeof *next.parsed);
		next.hidden = xcalloc((size_t)r->nrows + 1, 1);
	}
	for (i = 0; i < r->nrows; i++) {
		struct stmt_row *s = &snap->stmts[n];
		int visible;

		if (cache != NULL) {
			next.hash[i] = row_hash(r, i);
			/* the same text hashes the same; the calls are compared exactly too */
			if (i < cache->n && next.hash[i] == cache->hash[i] &&
			    (cache->hidden[i] ||
			     cache->parsed[i].calls == get_i64(r, i, 4))) {
				visible = !cache->hidden[i];
				if (visible)
					*s = cache->parsed[i];
				next.hits++;
			} else {
				visible = parse_stmt_row(r, i, s);
				next.misses++;
			}
			next.hidden[i] = (unsigned char)!visible;
			if (visible)
				next.parsed[i] = *s;
		} else {
			visible = parse_stmt_row(r, i, s);
		}
		if (visible)
			n++;
		else
			snap->n_hidden++;
	}
	snap->n_stmts = n;
	snap->pgss_ok = 1;
	if (cache != NULL) {
		stmt_cache_free(cache);
		*cache = next;
	}
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
collect_parse_settings(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err)
{
	int i, n = 0;

	if (shape(r, 5, "pg_settings", err) < 0)
		return -1;
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
