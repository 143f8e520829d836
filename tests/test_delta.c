/*
 * Unit tests of the delta module: cumulative counters of two samples to per-interval
 * deltas, with resets, restarts, evictions and clock steps. Snapshots are built in memory.
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

#include "delta.h"
#include "snapshot.h"
#include "xutil.h"

#define PM_START 1700000000.0
#define T0 1700003600.0

/* ---- helpers ---- */

/* A statement row whose counters all derive from calls and ms, so any field can be checked. */
static struct stmt_row
mk(uint32_t dbid, uint32_t userid, int64_t queryid, int toplevel, int64_t calls, double ms)
{
	struct stmt_row r;

	memset(&r, 0, sizeof r);
	r.dbid = dbid;
	r.userid = userid;
	r.queryid = queryid;
	r.toplevel = toplevel;
	r.calls = calls;
	r.rows = calls * 3;
	r.plans = calls;
	r.total_exec_ms = ms;
	r.total_plan_ms = ms / 4;
	r.min_ms = 0.5;
	r.max_ms = 9.0;
	r.stddev_ms = 1.0;
	r.shared_blks_hit = calls * 10;
	r.shared_blks_read = calls * 2;
	r.shared_blks_dirtied = calls;
	r.shared_blks_written = calls;
	r.local_blks_hit = calls;
	r.local_blks_read = calls;
	r.temp_blks_read = calls;
	r.temp_blks_written = calls * 5;
	r.blk_read_ms = ms / 2;
	r.blk_write_ms = ms / 8;
	r.wal_records = calls * 7;
	r.wal_fpi = calls;
	r.wal_bytes = (double)calls * 100;
	return r;
}

/* A snapshot with pg_stat_statements read (and _info present) and a copy of rows. */
static void
snap_init(struct snapshot *s, double ts, const struct stmt_row *rows, int n)
{
	memset(s, 0, sizeof *s);
	s->ts = ts;
	s->postmaster_start = PM_START;
	s->have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL | STMT_HAVE_INFO;
	s->pgss_ok = 1;
	s->pgss_reset = PM_START;
	s->stmts = xcalloc((size_t)(n > 0 ? n : 1), sizeof *s->stmts);
	if (n > 0)
		memcpy(s->stmts, rows, (size_t)n * sizeof *rows);
	s->n_stmts = n;
}

static struct database_row
mkdb(uint32_t datid, int64_t commits, double reset)
{
	struct database_row d;

	memset(&d, 0, sizeof d);
	d.datid = datid;
	d.numbackends = 3;
	d.xact_commit = commits;
	d.xact_rollback = commits / 10;
	d.blks_read = commits * 2;
	d.blks_hit = commits * 20;
	d.tup_returned = commits * 5;
	d.tup_fetched = commits * 4;
	d.tup_inserted = commits;
	d.tup_updated = commits;
	d.tup_deleted = commits / 2;
	d.temp_files = commits / 100;
	d.temp_bytes = commits * 1000;
	d.deadlocks = 0;
	d.blk_read_ms = (double)commits / 3;
	d.blk_write_ms = (double)commits / 7;
	d.stats_reset = reset;
	return d;
}

static void
snap_set_dbs(struct snapshot *s, const struct database_row *dbs, int n)
{
	int i;

	s->databases = xcalloc((size_t)(n > 0 ? n : 1), sizeof *s->databases);
	for (i = 0; i < n; i++) {
		char name[32];

		s->databases[i] = dbs[i];
		snprintf(name, sizeof name, "db%u", (unsigned)dbs[i].datid);
		s->databases[i].datname = xstrdup(name);
	}
	s->n_databases = n;
}

static const struct stmt_row *
find(const struct delta_set *d, uint32_t dbid, uint32_t userid, int64_t queryid, int toplevel)
{
	int i;

	for (i = 0; i < d->n_stmts; i++) {
		const struct stmt_row *r = &d->stmts[i];

		if (r->dbid == dbid && r->userid == userid && r->queryid == queryid &&
		    r->toplevel == toplevel)
			return r;
	}
	return NULL;
}

static const struct database_row *
find_db(const struct delta_set *d, uint32_t datid)
{
	int i;

	for (i = 0; i < d->n_databases; i++)
		if (d->databases[i].datid == datid)
			return &d->databases[i];
	return NULL;
}

/* find() that fails the test when the row is not there. */
static const struct stmt_row *
must_find(const struct delta_set *d, uint32_t dbid, uint32_t userid, int64_t queryid,
	  int toplevel)
{
	const struct stmt_row *r = find(d, dbid, userid, queryid, toplevel);

	assert_non_null(r);
	if (r == NULL)
		abort();
	return r;
}

static const struct database_row *
must_find_db(const struct delta_set *d, uint32_t datid)
{
	const struct database_row *r = find_db(d, datid);

	assert_non_null(r);
	if (r == NULL)
		abort();
	return r;
}

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(a) > 1.0 ? fabs(a) : 1.0);
}

/* Feed one sample and free the snapshot; out is the caller's to free. */
static void
step(struct delta_state *st, struct snapshot *s, struct delta_set *out)
{
	delta_compute(st, s, out);
	snapshot_free(s);
}

/* Every numeric field of a statement delta is >= 0. */
static int
stmt_nonneg(const struct stmt_row *r)
{
	return r->calls >= 0 && r->rows >= 0 && r->plans >= 0 && r->total_exec_ms >= 0 &&
	       r->total_plan_ms >= 0 && r->shared_blks_hit >= 0 && r->shared_blks_read >= 0 &&
	       r->shared_blks_dirtied >= 0 && r->shared_blks_written >= 0 &&
	       r->local_blks_hit >= 0 && r->local_blks_read >= 0 && r->temp_blks_read >= 0 &&
	       r->temp_blks_written >= 0 && r->blk_read_ms >= 0 && r->blk_write_ms >= 0 &&
	       r->wal_records >= 0 && r->wal_fpi >= 0 && r->wal_bytes >= 0;
}

static int
db_nonneg(const struct database_row *r)
{
	return r->xact_commit >= 0 && r->xact_rollback >= 0 && r->blks_read >= 0 &&
	       r->blks_hit >= 0 && r->tup_returned >= 0 && r->tup_fetched >= 0 &&
	       r->tup_inserted >= 0 && r->tup_updated >= 0 && r->tup_deleted >= 0 &&
	       r->temp_files >= 0 && r->temp_bytes >= 0 && r->deadlocks >= 0 &&
	       r->blk_read_ms >= 0 && r->blk_write_ms >= 0;
}

static int
ckpt_nonneg(const struct checkpoint_row *c)
{
	return !c->valid || (c->timed >= 0 && c->requested >= 0 && c->buffers_written >= 0 &&
			     c->write_ms >= 0 && c->sync_ms >= 0);
}

/* ---- baseline and plain differences ---- */

static void
delta_first_sample_is_baseline(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row rows[] = {mk(1, 10, 100, 1, 5, 50.0), mk(1, 10, 101, 1, 7, 70.0)};
	struct database_row dbs[] = {mkdb(1, 100, 0)};
	struct snapshot s;
	struct delta_set d;

	(void)state;
	snap_init(&s, T0, rows, 2);
	snap_set_dbs(&s, dbs, 1);
	s.checkpoint.valid = 1;
	s.checkpoint.timed = 4;
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE);
	assert_int_equal(d.n_stmts, 0);
	assert_int_equal(d.n_databases, 0);
	assert_int_equal(d.checkpoint.valid, 0);
	assert_true(d.interval_s == 0.0);
	assert_true(d.ts == T0);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_second_sample_gives_differences(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 100, 1, 5, 50.0)};
	struct stmt_row b[] = {mk(1, 10, 100, 1, 12, 80.5)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);

	snap_init(&s, T0 + 10.0, b, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags, 0);
	assert_true(near(d.interval_s, 10.0));
	assert_int_equal(d.n_stmts, 1);
	r = must_find(&d, 1, 10, 100, 1);
	assert_int_equal(r->calls, 7);
	assert_int_equal(r->rows, 21);
	assert_int_equal(r->plans, 7);
	assert_true(near(r->total_exec_ms, 30.5));
	assert_true(near(r->total_plan_ms, 30.5 / 4));
	assert_int_equal(r->shared_blks_hit, 70);
	assert_int_equal(r->shared_blks_read, 14);
	assert_int_equal(r->temp_blks_written, 35);
	assert_true(near(r->blk_read_ms, 30.5 / 2));
	assert_true(near(r->blk_write_ms, 30.5 / 8));
	assert_int_equal(r->wal_records, 49);
	assert_true(near(r->wal_bytes, 700.0));
	assert_int_equal(d.n_entry_resets, 0);
	assert_int_equal(d.n_new, 0);
	delta_set_free(&d);
	delta_free(st);
}

/* Same queryid under other dbid, userid or toplevel: four entries, four deltas. */
static void
delta_keys_kept_apart(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {
		mk(2, 10, 42, 1, 100, 100.0), mk(1, 10, 42, 0, 100, 100.0),
		mk(1, 20, 42, 1, 100, 100.0), mk(1, 10, 42, 1, 100, 100.0),
		mk(1, 10, -42, 1, 100, 100.0),
	};
	/* other order, and each key moved by a different amount */
	struct stmt_row b[] = {
		mk(1, 10, -42, 1, 105, 105.0), mk(1, 20, 42, 1, 103, 103.0),
		mk(1, 10, 42, 1, 101, 101.0),  mk(2, 10, 42, 1, 102, 102.0),
		mk(1, 10, 42, 0, 104, 104.0),
	};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 5);
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 5, b, 5);
	step(st, &s, &d);
	assert_int_equal(d.n_stmts, 5);
	r = must_find(&d, 1, 10, 42, 1);
	assert_int_equal(r->calls, 1);
	r = must_find(&d, 2, 10, 42, 1);
	assert_int_equal(r->calls, 2);
	r = must_find(&d, 1, 20, 42, 1);
	assert_int_equal(r->calls, 3);
	r = must_find(&d, 1, 10, 42, 0);
	assert_int_equal(r->calls, 4);
	r = must_find(&d, 1, 10, -42, 1);
	assert_int_equal(r->calls, 5);
	assert_true(near(r->total_exec_ms, 5.0));
	assert_int_equal(d.n_new, 0);
	assert_int_equal(d.n_entry_resets, 0);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_key_order(void **state)
{
	struct stmt_row a = mk(1, 1, 5, 1, 0, 0), b;

	(void)state;
	b = a;
	assert_int_equal(stmt_key_cmp(&a, &b), 0);
	b.toplevel = 0;
	assert_true(stmt_key_cmp(&b, &a) < 0);
	b = a;
	b.queryid = INT64_MIN;
	assert_true(stmt_key_cmp(&b, &a) < 0);
	b.queryid = INT64_MAX;
	assert_true(stmt_key_cmp(&b, &a) > 0);
	b = a;
	b.userid = 0xffffffffu; /* oids are unsigned */
	assert_true(stmt_key_cmp(&b, &a) > 0);
	b = a;
	b.dbid = 2;
	b.queryid = INT64_MIN;
	assert_true(stmt_key_cmp(&b, &a) > 0); /* dbid first */
}

static void
delta_idle_entries_left_out(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 5, 5.0), mk(1, 10, 2, 1, 5, 5.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 5, 5.0), mk(1, 10, 2, 1, 6, 6.0)};
	struct snapshot s;
	struct delta_set d;

	(void)state;
	snap_init(&s, T0, a, 2);
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 1, b, 2);
	step(st, &s, &d);
	assert_int_equal(d.n_stmts, 1);
	assert_null(find(&d, 1, 10, 1, 1));
	assert_non_null(find(&d, 1, 10, 2, 1));
	delta_set_free(&d);
	delta_free(st);
}

/* ---- entries that appear, disappear or go down ---- */

static void
delta_new_entry_counts_whole(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 5, 5.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 6, 6.0), mk(1, 10, 77, 1, 3, 30.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 2);
	step(st, &s, &d);
	assert_int_equal(d.n_new, 1);
	assert_int_equal(d.n_stmts, 2);
	r = must_find(&d, 1, 10, 77, 1);
	assert_int_equal(r->calls, 3);
	assert_true(near(r->total_exec_ms, 30.0));
	assert_int_equal(r->shared_blks_hit, 30);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 1);
	delta_set_free(&d);
	delta_free(st);
}

/* Fewer hidden entries: a "new" visible one may be an old hidden one, so it is not trusted. */
static void
delta_new_entry_untrusted_when_hidden_drop(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 5, 5.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 6, 6.0), mk(1, 10, 77, 1, 300, 3000.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 7, 7.0), mk(1, 10, 77, 1, 302, 3002.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	s.n_hidden = 4;
	step(st, &s, &d);
	delta_set_free(&d);

	snap_init(&s, T0 + 10, b, 2);
	s.n_hidden = 3;
	step(st, &s, &d);
	assert_int_equal(d.n_new, 1);
	assert_null(find(&d, 1, 10, 77, 1));
	r = must_find(&d, 1, 10, 1, 1); /* the others go on */
	assert_int_equal(r->calls, 1);
	delta_set_free(&d);

	/* once seen, it gives differences as any other */
	snap_init(&s, T0 + 20, c, 2);
	s.n_hidden = 3;
	step(st, &s, &d);
	r = must_find(&d, 1, 10, 77, 1);
	assert_int_equal(r->calls, 2);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_entry_went_down_is_rebased(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0), mk(1, 10, 2, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 3, 2.0), mk(1, 10, 2, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 8, 4.0), mk(1, 10, 2, 1, 61, 601.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;
	int i;

	(void)state;
	snap_init(&s, T0, a, 2);
	step(st, &s, &d);
	delta_set_free(&d);

	snap_init(&s, T0 + 10, b, 2);
	step(st, &s, &d);
	assert_int_equal(d.n_entry_resets, 1);
	assert_null(find(&d, 1, 10, 1, 1));
	r = must_find(&d, 1, 10, 2, 1);
	assert_int_equal(r->calls, 10);
	assert_int_equal(d.flags & (DELTA_RESET | DELTA_BASELINE), 0);
	for (i = 0; i < d.n_stmts; i++)
		assert_true(stmt_nonneg(&d.stmts[i]));
	delta_set_free(&d);

	/* the re-based entry counts from its new base */
	snap_init(&s, T0 + 20, c, 2);
	step(st, &s, &d);
	assert_int_equal(d.n_entry_resets, 0);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 5);
	assert_true(near(r->total_exec_ms, 2.0));
	delta_set_free(&d);
	delta_free(st);
}

/* Any one counter going down re-bases the entry, not only calls. */
static void
delta_any_counter_down_rebases(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[1];
	struct snapshot s;
	struct delta_set d;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	b[0] = mk(1, 10, 1, 1, 60, 600.0);
	b[0].temp_blks_written = 1; /* was 250 */
	snap_init(&s, T0 + 10, b, 1);
	step(st, &s, &d);
	assert_int_equal(d.n_stmts, 0);
	assert_int_equal(d.n_entry_resets, 1);
	delta_set_free(&d);
	delta_free(st);
}

/* Sums of doubles may lose a little in the last digits: never a negative timing. */
static void
delta_timing_rounding_never_negative(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 123456.789)};
	struct stmt_row b[1];
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	b[0] = a[0];
	b[0].calls = 51;
	b[0].total_exec_ms = 123456.789 - 1e-7;
	b[0].blk_read_ms -= 1e-8;
	snap_init(&s, T0 + 10, b, 1);
	step(st, &s, &d);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 1);
	assert_true(r->total_exec_ms >= 0.0);
	assert_true(r->blk_read_ms >= 0.0);
	delta_set_free(&d);
	delta_free(st);
}

/* ---- whole-view events ---- */

static void
delta_stats_reset_changed(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 64, 640.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	/* counters went up, but the view was reset in between: nothing to trust */
	snap_init(&s, T0 + 10, b, 1);
	s.pgss_reset = T0 + 5;
	step(st, &s, &d);
	assert_true(d.flags & DELTA_RESET);
	assert_int_equal(d.n_stmts, 0);
	assert_true(near(d.interval_s, 10.0));
	delta_set_free(&d);
	/* the next interval is normal, counted from the reset sample */
	snap_init(&s, T0 + 20, c, 1);
	s.pgss_reset = T0 + 5;
	step(st, &s, &d);
	assert_int_equal(d.flags, 0);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 4);
	delta_set_free(&d);
	delta_free(st);
}

/* Without pg_stat_statements_info a reset shows as nearly every entry going away. */
static void
delta_reset_seen_without_info(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[10], b[2];
	struct snapshot s;
	struct delta_set d;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		a[i] = mk(1, 10, 100 + i, 1, 50, 50.0);
	b[0] = mk(1, 10, 900, 1, 2, 2.0);
	b[1] = mk(1, 10, 901, 1, 2, 2.0);
	snap_init(&s, T0, a, 10);
	s.have &= ~(unsigned)STMT_HAVE_INFO;
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 2);
	s.have &= ~(unsigned)STMT_HAVE_INFO;
	step(st, &s, &d);
	assert_true(d.flags & DELTA_RESET);
	assert_int_equal(d.n_stmts, 0);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_dealloc_grew_is_evicted(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0), mk(1, 10, 2, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 2);
	s.pgss_dealloc = 7;
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 1);
	s.pgss_dealloc = 12;
	step(st, &s, &d);
	assert_true(d.flags & DELTA_EVICTED);
	assert_int_equal(d.flags & (DELTA_BASELINE | DELTA_RESET), 0);
	assert_int_equal(d.dealloc, 5);
	r = must_find(&d, 1, 10, 1, 1); /* the rest still counts */
	assert_int_equal(r->calls, 10);
	delta_set_free(&d);
	/* dealloc unchanged: no flag */
	snap_init(&s, T0 + 20, b, 1);
	s.pgss_dealloc = 12;
	step(st, &s, &d);
	assert_int_equal(d.flags & DELTA_EVICTED, 0);
	assert_int_equal(d.dealloc, 0);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_restart_is_baseline(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 61, 601.0)};
	struct database_row da[] = {mkdb(1, 1000, 0)}, db[] = {mkdb(1, 2000, 0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	snap_set_dbs(&s, da, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 1);
	snap_set_dbs(&s, db, 1);
	s.postmaster_start = T0 + 5;
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE | DELTA_RESTART);
	assert_int_equal(d.n_stmts, 0);
	assert_int_equal(d.n_databases, 0);
	assert_true(d.interval_s == 0.0);
	delta_set_free(&d);
	snap_init(&s, T0 + 20, c, 1);
	s.postmaster_start = T0 + 5;
	step(st, &s, &d);
	assert_int_equal(d.flags, 0);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 1);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_clock_back_is_baseline(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 62, 620.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 - 3600, b, 1); /* an hour back */
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE | DELTA_CLOCK);
	assert_int_equal(d.n_stmts, 0);
	assert_true(d.interval_s == 0.0);
	delta_set_free(&d);
	/* the same time again is not after the previous either */
	snap_init(&s, T0 - 3600, b, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE | DELTA_CLOCK);
	delta_set_free(&d);
	snap_init(&s, T0 - 3590, c, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags, 0);
	assert_true(near(d.interval_s, 10.0));
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 2);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_break_gives_gap_baseline(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 65, 650.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	step(st, &s, &d);
	delta_set_free(&d);
	delta_break(st, DELTA_GAP);
	snap_init(&s, T0 + 100, b, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE | DELTA_GAP);
	assert_int_equal(d.n_stmts, 0);
	delta_set_free(&d);
	snap_init(&s, T0 + 110, c, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags, 0); /* the gap is said once */
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 5);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_no_pgss_then_back(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 70, 700.0)};
	struct stmt_row e[] = {mk(1, 10, 1, 1, 73, 730.0)};
	struct database_row d1[] = {mkdb(5, 100, 0)}, d2[] = {mkdb(5, 110, 0)},
			    d3[] = {mkdb(5, 130, 0)}, d4[] = {mkdb(5, 160, 0)};
	struct snapshot s;
	struct delta_set d;
	const struct database_row *dr;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, a, 1);
	snap_set_dbs(&s, d1, 1);
	step(st, &s, &d);
	delta_set_free(&d);

	/* pg_stat_statements cannot be read: databases still give deltas */
	snap_init(&s, T0 + 10, NULL, 0);
	s.pgss_ok = 0;
	snap_set_dbs(&s, d2, 1);
	step(st, &s, &d);
	assert_true(d.flags & DELTA_NO_PGSS);
	assert_int_equal(d.flags & DELTA_BASELINE, 0);
	assert_int_equal(d.n_stmts, 0);
	dr = must_find_db(&d, 5);
	assert_int_equal(dr->xact_commit, 10);
	delta_set_free(&d);

	/* back: a new baseline for statements only */
	snap_init(&s, T0 + 20, c, 1);
	snap_set_dbs(&s, d3, 1);
	step(st, &s, &d);
	assert_int_equal(d.flags & (DELTA_NO_PGSS | DELTA_BASELINE), 0);
	assert_int_equal(d.n_stmts, 0);
	dr = must_find_db(&d, 5);
	assert_int_equal(dr->xact_commit, 20);
	delta_set_free(&d);

	snap_init(&s, T0 + 30, e, 1);
	snap_set_dbs(&s, d4, 1);
	step(st, &s, &d);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 3);
	dr = must_find_db(&d, 5);
	assert_int_equal(dr->xact_commit, 30);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_no_pgss_on_first_sample(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row b[] = {mk(1, 10, 1, 1, 60, 600.0)};
	struct stmt_row c[] = {mk(1, 10, 1, 1, 62, 620.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	snap_init(&s, T0, NULL, 0);
	s.pgss_ok = 0;
	step(st, &s, &d);
	assert_int_equal(d.flags, DELTA_BASELINE | DELTA_NO_PGSS);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 1);
	step(st, &s, &d);
	assert_int_equal(d.n_stmts, 0); /* nothing to compare the statements with */
	delta_set_free(&d);
	snap_init(&s, T0 + 20, c, 1);
	step(st, &s, &d);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 2);
	delta_set_free(&d);
	delta_free(st);
}

/* ---- PostgreSQL 17: stats_since tells when an entry was made ---- */

static void
delta_stats_since_remade_in_interval(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0), mk(1, 10, 2, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 80, 800.0), mk(1, 10, 2, 1, 55, 550.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	a[0].stats_since = a[1].stats_since = T0 - 1000;
	/* entry 1 was evicted and made again after the previous sample: more calls now
	 * than before, so only stats_since can tell */
	b[0].stats_since = T0 + 4;
	b[1].stats_since = T0 - 1000;
	snap_init(&s, T0, a, 2);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 2);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	r = must_find(&d, 1, 10, 1, 1);
	assert_int_equal(r->calls, 80); /* all of it is from this interval */
	assert_true(near(r->total_exec_ms, 800.0));
	r = must_find(&d, 1, 10, 2, 1);
	assert_int_equal(r->calls, 5);
	assert_int_equal(d.n_entry_resets, 0);
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_stats_since_remade_before_prev_rebased(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 80, 800.0)};
	struct snapshot s;
	struct delta_set d;

	(void)state;
	a[0].stats_since = T0 - 1000;
	b[0].stats_since = T0 - 100; /* made again, but before the previous sample */
	snap_init(&s, T0, a, 1);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 1);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	assert_null(find(&d, 1, 10, 1, 1));
	assert_int_equal(d.n_stmts, 0);
	assert_int_equal(d.n_entry_resets, 1);
	delta_set_free(&d);
	delta_free(st);
}

/* A "new" entry whose stats_since is older than the previous sample was there before. */
static void
delta_stats_since_old_new_entry_not_counted(void **state)
{
	struct delta_state *st = delta_new();
	struct stmt_row a[] = {mk(1, 10, 1, 1, 50, 500.0)};
	struct stmt_row b[] = {mk(1, 10, 1, 1, 51, 510.0), mk(1, 10, 2, 1, 900, 9000.0),
			       mk(1, 10, 3, 1, 4, 40.0)};
	struct snapshot s;
	struct delta_set d;
	const struct stmt_row *r;

	(void)state;
	a[0].stats_since = b[0].stats_since = T0 - 1000;
	b[1].stats_since = T0 - 500;
	b[2].stats_since = T0 + 3;
	snap_init(&s, T0, a, 1);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, b, 3);
	s.have |= STMT_HAVE_STATS_SINCE;
	step(st, &s, &d);
	assert_null(find(&d, 1, 10, 2, 1));
	r = must_find(&d, 1, 10, 3, 1);
	assert_int_equal(r->calls, 4);
	assert_int_equal(d.n_new, 2);
	delta_set_free(&d);
	delta_free(st);
}

/* ---- databases and checkpoints ---- */

static void
delta_database_deltas(void **state)
{
	struct delta_state *st = delta_new();
	struct database_row a[] = {mkdb(1, 100, 10), mkdb(2, 100, 10), mkdb(3, 100, 10),
				   mkdb(4, 100, 10)};
	struct database_row b[] = {mkdb(4, 150, 10), mkdb(3, 90, 10), mkdb(2, 500, 20),
				   mkdb(1, 130, 10), mkdb(9, 100, 0)};
	struct snapshot s;
	struct delta_set d;
	const struct database_row *r;
	int i;

	(void)state;
	snap_init(&s, T0, NULL, 0);
	snap_set_dbs(&s, a, 4);
	step(st, &s, &d);
	assert_int_equal(d.n_databases, 0);
	delta_set_free(&d);

	snap_init(&s, T0 + 10, NULL, 0);
	snap_set_dbs(&s, b, 5);
	step(st, &s, &d);
	assert_int_equal(d.n_databases, 2);
	r = must_find_db(&d, 1);
	assert_int_equal(r->xact_commit, 30);
	assert_int_equal(r->xact_rollback, 3);
	assert_int_equal(r->blks_hit, 600);
	assert_int_equal(r->temp_bytes, 30000);
	assert_int_equal(r->numbackends, 3); /* a gauge, as it is now */
	assert_true(near(r->blk_read_ms, 130.0 / 3 - 100.0 / 3));
	assert_non_null(r->datname);
	assert_string_equal(r->datname, "db1");
	r = must_find_db(&d, 4);
	assert_int_equal(r->xact_commit, 50);
	assert_null(find_db(&d, 2)); /* stats_reset changed */
	assert_null(find_db(&d, 3)); /* a counter went down */
	assert_null(find_db(&d, 9)); /* new: nothing to compare with */
	for (i = 0; i < d.n_databases; i++)
		assert_true(db_nonneg(&d.databases[i]));
	delta_set_free(&d);
	delta_free(st);
}

static void
delta_checkpoint_deltas(void **state)
{
	struct delta_state *st = delta_new();
	struct snapshot s;
	struct delta_set d;

	(void)state;
	snap_init(&s, T0, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 10, 2, 1000, 500.0, 50.0, 5.0};
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 0);
	delta_set_free(&d);

	snap_init(&s, T0 + 10, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 12, 3, 1600, 800.0, 70.0, 5.0};
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 1);
	assert_int_equal(d.checkpoint.timed, 2);
	assert_int_equal(d.checkpoint.requested, 1);
	assert_int_equal(d.checkpoint.buffers_written, 600);
	assert_true(near(d.checkpoint.write_ms, 300.0));
	assert_true(near(d.checkpoint.sync_ms, 20.0));
	delta_set_free(&d);

	/* stats_reset changed: skipped */
	snap_init(&s, T0 + 20, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 13, 3, 1700, 900.0, 80.0, 9.0};
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 0);
	delta_set_free(&d);

	/* a counter went down: skipped */
	snap_init(&s, T0 + 30, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 14, 3, 10, 1000.0, 90.0, 9.0};
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 0);
	delta_set_free(&d);

	/* not read this time: skipped, and the next one has nothing to compare with */
	snap_init(&s, T0 + 40, NULL, 0);
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 0);
	delta_set_free(&d);
	snap_init(&s, T0 + 50, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 15, 3, 20, 1100.0, 95.0, 9.0};
	step(st, &s, &d);
	assert_int_equal(d.checkpoint.valid, 0);
	delta_set_free(&d);
	delta_free(st);
}

/* Timings a hair lower than before (rounding) must not give a negative checkpoint delta. */
static void
delta_checkpoint_rounding_never_negative(void **state)
{
	struct delta_state *st = delta_new();
	struct snapshot s;
	struct delta_set d;
	struct checkpoint_row c;

	(void)state;
	snap_init(&s, T0, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 10, 2, 1000, 5000000.0, 400000.0, 5.0};
	step(st, &s, &d);
	delta_set_free(&d);
	snap_init(&s, T0 + 10, NULL, 0);
	s.checkpoint = (struct checkpoint_row){1, 11, 2, 1100, 5000000.0 - 0.5, 400000.0 - 0.25,
					       5.0};
	step(st, &s, &d);
	c = d.checkpoint;
	delta_set_free(&d);
	delta_free(st);
	if (c.valid) {
		if (c.write_ms < 0 || c.sync_ms < 0)
			print_error("checkpoint delta write_ms %g sync_ms %g\n", c.write_ms,
				    c.sync_ms);
		assert_true(c.write_ms >= 0.0);
		assert_true(c.sync_ms >= 0.0);
	}
}

/* ---- a random walk of counters with resets, evictions and outages ---- */

#define WALK_KEYS 12
#define WALK_STEPS 200

static uint64_t lcg_state;

static uint32_t
lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(lcg_state >> 33);
}

static int
chance(int percent)
{
	return (int)(lcg() % 100) < percent;
}

struct walk_key {
	struct stmt_row cum;  /* what the server shows now */
	int present;          /* in the view now */
	int was_present;      /* in the view at the previous sample */
	int remade;           /* evicted and made again in place during this interval */
	struct stmt_row base; /* cumulative values when its current clean span began */
	int64_t sum_calls;    /* deltas received since then */
	int64_t sum_hit;
	int64_t sum_temp;
	double sum_ms;
	int span_ok;          /* the span began at a known point */
};

/* Some calls, and the counters that go with them; nothing moves without a call. */
static void
walk_grow(struct stmt_row *r)
{
	int64_t c = (int64_t)(lcg() % 4);

	if (c == 0)
		return;
	r->calls += c;
	r->rows += c * (int64_t)(lcg() % 3);
	r->plans += c;
	r->total_exec_ms += (double)(lcg() % 1000) / 8.0; /* exact in binary */
	r->total_plan_ms += (double)(lcg() % 16) / 4.0;
	r->shared_blks_hit += (int64_t)(lcg() % 50);
	r->shared_blks_read += (int64_t)(lcg() % 5);
	r->shared_blks_dirtied += (int64_t)(lcg() % 2);
	r->shared_blks_written += (int64_t)(lcg() % 2);
	r->temp_blks_read += (int64_t)(lcg() % 3);
	r->temp_blks_written += (int64_t)(lcg() % 3);
	r->blk_read_ms += (double)(lcg() % 8) / 2.0;
	r->blk_write_ms += (double)(lcg() % 8) / 2.0;
	r->wal_records += (int64_t)(lcg() % 10);
	r->wal_fpi += (int64_t)(lcg() % 2);
	r->wal_bytes += (double)(lcg() % 1000);
}

/* Counters made again from nothing, with fewer calls than below_calls (0: none). */
static void
walk_remake(struct stmt_row *r, int64_t below_calls)
{
	struct stmt_row fresh;

	memset(&fresh, 0, sizeof fresh);
	fresh.dbid = r->dbid;
	fresh.userid = r->userid;
	fresh.queryid = r->queryid;
	fresh.toplevel = r->toplevel;
	fresh.calls = below_calls > 0 ? (int64_t)(lcg() % (uint32_t)below_calls) : 0;
	fresh.rows = fresh.calls;
	fresh.total_exec_ms = (double)fresh.calls;
	*r = fresh;
}

static void
walk_new_span(struct walk_key *k, int known)
{
	k->base = k->cum;
	k->sum_calls = k->sum_hit = k->sum_temp = 0;
	k->sum_ms = 0;
	k->span_ok = known;
}

static void
walk_add(struct walk_key *k, const struct stmt_row *r)
{
	if (r == NULL)
		return;
	k->sum_calls += r->calls;
	k->sum_hit += r->shared_blks_hit;
	k->sum_temp += r->temp_blks_written;
	k->sum_ms += r->total_exec_ms;
}

/* Over a clean span, the deltas add up to last - first. */
static void
walk_check_span(const struct walk_key *k)
{
	assert_int_equal(k->sum_calls, k->cum.calls - k->base.calls);
	assert_int_equal(k->sum_hit, k->cum.shared_blks_hit - k->base.shared_blks_hit);
	assert_int_equal(k->sum_temp, k->cum.temp_blks_written - k->base.temp_blks_written);
	assert_true(near(k->sum_ms, k->cum.total_exec_ms - k->base.total_exec_ms));
}

static void
delta_random_walk_property(void **state)
{
	struct delta_state *st = delta_new();
	struct walk_key keys[WALK_KEYS];
	struct stmt_row rows[WALK_KEYS];
	int64_t dealloc = 0, db_commit = 1000, db_base = 1000, db_sum = 0;
	double reset_ts = PM_START, pm = PM_START, ts = T0, db_reset = 0;
	int i, n, t, pgss_prev_ok = 1, checked = 0, db_checked = 0, events = 0;
	int rebased = 0, fresh = 0;

	(void)state;
	lcg_state = 20240601;
	memset(keys, 0, sizeof keys);
	for (i = 0; i < WALK_KEYS; i++) {
		keys[i].cum = mk((uint32_t)(1 + i % 2), (uint32_t)(10 + i % 3),
				 (int64_t)(1000 + i / 2) * (i % 2 ? -1 : 1), (i / 6) % 2, 5, 5.0);
		keys[i].present = 1;
	}

	for (t = 0; t < WALK_STEPS; t++) {
		struct snapshot s;
		struct delta_set d;
		struct database_row db;
		int restart = 0, reset = 0, gap = 0, clock_back = 0, pgss_ok = 1;
		int db_reset_now = 0, baseline;

		/* what happens before this sample */
		if (t > 0) {
			restart = chance(2);
			reset = !restart && chance(3);
			gap = chance(2);
			clock_back = chance(2);
			pgss_ok = !chance(4);
			db_reset_now = chance(3);
		}
		ts += clock_back ? -30.0 : 10.0;
		if (restart) {
			pm += 1;
			dealloc = 0;
		}
		if (reset)
			reset_ts += 1;
		if (db_reset_now) {
			db_reset += 1;
			db_commit = 0;
		}
		db_commit += (int64_t)(lcg() % 20);

		for (i = 0; i < WALK_KEYS; i++) {
			struct walk_key *k = &keys[i];

			k->was_present = k->present;
			k->remade = 0;
			if (restart || reset) {
				walk_remake(&k->cum, 0);
				k->present = 1;
			} else if (k->present && chance(3)) {
				k->present = 0; /* evicted */
				dealloc++;
				continue;
			} else if (!k->present) {
				walk_remake(&k->cum, 0); /* made again during this interval */
				k->present = 1;
			} else if (k->cum.calls > 1 && k->cum.rows > 0 && chance(4)) {
				/* evicted and made again: fewer calls, or more calls but fewer
				 * rows (then only some counters went down) */
				int64_t calls = k->cum.calls;

				walk_remake(&k->cum, calls);
				if (chance(50)) {
					k->cum.calls = calls + 1 + (int64_t)(lcg() % 3);
					k->cum.rows = 0;
					k->cum.total_exec_ms = 0;
				}
				k->remade = 1;
				dealloc++;
				continue;
			}
			if (k->present)
				walk_grow(&k->cum);
		}

		if (gap)
			delta_break(st, DELTA_GAP);
		n = 0;
		for (i = 0; i < WALK_KEYS; i++)
			if (keys[i].present)
				rows[n++] = keys[i].cum;
		/* the server returns them in any order */
		for (i = n - 1; i > 0; i--) {
			int j = (int)(lcg() % (uint32_t)(i + 1));
			struct stmt_row tmp = rows[i];

			rows[i] = rows[j];
			rows[j] = tmp;
		}
		snap_init(&s, ts, rows, pgss_ok ? n : 0);
		s.pgss_ok = pgss_ok;
		s.postmaster_start = pm;
		s.pgss_reset = reset_ts;
		s.pgss_dealloc = dealloc;
		db = mkdb(1, db_commit, db_reset);
		snap_set_dbs(&s, &db, 1);
		s.checkpoint.valid = 1;
		s.checkpoint.timed = t;
		s.checkpoint.write_ms = (double)t * 2.5;
		s.checkpoint.buffers_written = db_commit;
		s.checkpoint.stats_reset = db_reset;
		step(st, &s, &d);

		/* never negative */
		for (i = 0; i < d.n_stmts; i++)
			assert_true(stmt_nonneg(&d.stmts[i]));
		for (i = 0; i < d.n_databases; i++)
			assert_true(db_nonneg(&d.databases[i]));
		assert_true(ckpt_nonneg(&d.checkpoint));
		assert_true(d.interval_s >= 0.0);
		assert_true(d.dealloc >= 0);

		baseline = (d.flags & DELTA_BASELINE) != 0;
		if (t == 0 || restart || clock_back || gap)
			assert_true(baseline);
		else
			assert_false(baseline);
		if (!pgss_ok)
			assert_true(d.flags & DELTA_NO_PGSS);
		if (baseline || (d.flags & (DELTA_RESET | DELTA_NO_PGSS)))
			assert_int_equal(d.n_stmts, 0);
		if (baseline || (d.flags & DELTA_RESET) || !pgss_ok || !pgss_prev_ok)
			events++;

		/* statements: follow every key's clean span */
		for (i = 0; i < WALK_KEYS; i++) {
			struct walk_key *k = &keys[i];
			const struct stmt_row *r =
				find(&d, k->cum.dbid, k->cum.userid, k->cum.queryid, k->cum.toplevel);

			if (!pgss_ok) {
				assert_null(r);
				k->span_ok = 0; /* nothing known until it is read again */
				continue;
			}
			if (baseline || (d.flags & DELTA_RESET) || !pgss_prev_ok) {
				assert_null(r);
				walk_new_span(k, k->present);
				continue;
			}
			if (!k->present) {
				assert_null(r);
				k->span_ok = 0;
				continue;
			}
			if (!k->was_present) {
				/* made during the interval: all its counters belong to it */
				memset(&k->base, 0, sizeof k->base);
				k->sum_calls = k->sum_hit = k->sum_temp = 0;
				k->sum_ms = 0;
				k->span_ok = 1;
				walk_add(k, r);
				walk_check_span(k);
				fresh++;
				continue;
			}
			if (k->remade) {
				assert_null(r); /* re-based: not counted */
				walk_new_span(k, 1);
				rebased++;
				continue;
			}
			walk_add(k, r);
			if (k->span_ok) {
				walk_check_span(k);
				checked++;
			}
		}
		pgss_prev_ok = pgss_ok;

		/* databases: a clean span from each baseline or stats reset */
		if (baseline || db_reset_now) {
			assert_null(find_db(&d, 1));
			db_base = db_commit;
			db_sum = 0;
		} else {
			const struct database_row *r = must_find_db(&d, 1);

			db_sum += r->xact_commit;
			assert_int_equal(db_sum, db_commit - db_base);
			db_checked++;
		}
		delta_set_free(&d);
	}
	/* the walk went through clean spans and every kind of disruption */
	assert_true(checked > WALK_STEPS);
	assert_true(events > 10);
	assert_true(rebased > 3);
	assert_true(fresh > 3);
	assert_true(db_checked > WALK_STEPS / 2);
	delta_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delta_first_sample_is_baseline),
		cmocka_unit_test(delta_second_sample_gives_differences),
		cmocka_unit_test(delta_keys_kept_apart),
		cmocka_unit_test(delta_key_order),
		cmocka_unit_test(delta_idle_entries_left_out),
		cmocka_unit_test(delta_new_entry_counts_whole),
		cmocka_unit_test(delta_new_entry_untrusted_when_hidden_drop),
		cmocka_unit_test(delta_entry_went_down_is_rebased),
		cmocka_unit_test(delta_any_counter_down_rebases),
		cmocka_unit_test(delta_timing_rounding_never_negative),
		cmocka_unit_test(delta_stats_reset_changed),
		cmocka_unit_test(delta_reset_seen_without_info),
		cmocka_unit_test(delta_dealloc_grew_is_evicted),
		cmocka_unit_test(delta_restart_is_baseline),
		cmocka_unit_test(delta_clock_back_is_baseline),
		cmocka_unit_test(delta_break_gives_gap_baseline),
		cmocka_unit_test(delta_no_pgss_then_back),
		cmocka_unit_test(delta_no_pgss_on_first_sample),
		cmocka_unit_test(delta_stats_since_remade_in_interval),
		cmocka_unit_test(delta_stats_since_remade_before_prev_rebased),
		cmocka_unit_test(delta_stats_since_old_new_entry_not_counted),
		cmocka_unit_test(delta_database_deltas),
		cmocka_unit_test(delta_checkpoint_deltas),
		cmocka_unit_test(delta_checkpoint_rounding_never_negative),
		cmocka_unit_test(delta_random_walk_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
