#include "config.h"

#include "delta.h"

#include <stdlib.h>
#include <string.h>

#include "xutil.h"

struct delta_state {
	int have_prev;
	unsigned pending; /* DELTA_* to report with the next baseline */
	double ts;
	double postmaster_start;
	double pgss_reset;
	int64_t dealloc;
	int n_hidden;

	int stmts_valid; /* the previous sample read pg_stat_statements */
	struct stmt_row *stmts;
	int n_stmts;

	struct database_row *dbs; /* datname is not kept */
	int n_dbs;
	struct checkpoint_row ckpt;
	struct wal_row wal;
};

struct delta_state *
delta_new(void)
{
	struct delta_state *st = xcalloc(1, sizeof *st);

	return st;
}

void
delta_free(struct delta_state *st)
{
	if (st == NULL)
		return;
	free(st->stmts);
	free(st->dbs);
	free(st);
}

void
delta_break(struct delta_state *st, unsigned why)
{
	st->have_prev = 0;
	st->stmts_valid = 0;
	st->pending |= why;
}

static int
stmt_qsort_cmp(const void *a, const void *b)
{
	return stmt_key_cmp(a, b);
}

/* The collector hands the statements over sorted already: then there is nothing to do. */
static int
stmts_sorted(const struct snapshot *snap)
{
	int i;

	for (i = 1; i < snap->n_stmts; i++)
		if (stmt_key_cmp(&snap->stmts[i - 1], &snap->stmts[i]) > 0)
			return 0;
	return 1;
}

/* Cumulative timings are sums of doubles: allow for rounding in the last digits. */
static int
went_down_d(double cur, double prev)
{
	return cur < prev - 1e-6 * (prev > 1.0 ? prev : 1.0);
}

static int
stmt_went_down(const struct stmt_row *c, const struct stmt_row *p)
{
	return c->calls < p->calls || c->rows < p->rows || c->plans < p->plans ||
	       went_down_d(c->total_exec_ms, p->total_exec_ms) ||
	       went_down_d(c->total_plan_ms, p->total_plan_ms) ||
	       c->shared_blks_hit < p->shared_blks_hit ||
	       c->shared_blks_read < p->shared_blks_read ||
	       c->shared_blks_dirtied < p->shared_blks_dirtied ||
	       c->shared_blks_written < p->shared_blks_written ||
	       c->local_blks_hit < p->local_blks_hit || c->local_blks_read < p->local_blks_read ||
	       c->temp_blks_read < p->temp_blks_read ||
	       c->temp_blks_written < p->temp_blks_written ||
	       went_down_d(c->blk_read_ms, p->blk_read_ms) ||
	       went_down_d(c->blk_write_ms, p->blk_write_ms) || c->wal_records < p->wal_records ||
	       c->wal_fpi < p->wal_fpi || went_down_d(c->wal_bytes, p->wal_bytes);
}

static double
nonneg(double v)
{
	return v < 0 ? 0 : v;
}

static void
stmt_sub(struct stmt_row *d, const struct stmt_row *c, const struct stmt_row *p)
{
	*d = *c; /* keys, min/max/stddev and stats_since as they are now */
	d->calls = c->calls - p->calls;
	d->rows = c->rows - p->rows;
	d->plans = c->plans - p->plans;
	d->total_exec_ms = nonneg(c->total_exec_ms - p->total_exec_ms);
	d->total_plan_ms = nonneg(c->total_plan_ms - p->total_plan_ms);
	d->shared_blks_hit = c->shared_blks_hit - p->shared_blks_hit;
	d->shared_blks_read = c->shared_blks_read - p->shared_blks_read;
	d->shared_blks_dirtied = c->shared_blks_dirtied - p->shared_blks_dirtied;
	d->shared_blks_written = c->shared_blks_written - p->shared_blks_written;
	d->local_blks_hit = c->local_blks_hit - p->local_blks_hit;
	d->local_blks_read = c->local_blks_read - p->local_blks_read;
	d->temp_blks_read = c->temp_blks_read - p->temp_blks_read;
	d->temp_blks_written = c->temp_blks_written - p->temp_blks_written;
	d->blk_read_ms = nonneg(c->blk_read_ms - p->blk_read_ms);
	d->blk_write_ms = nonneg(c->blk_write_ms - p->blk_write_ms);
	d->wal_records = c->wal_records - p->wal_records;
	d->wal_fpi = c->wal_fpi - p->wal_fpi;
	d->wal_bytes = nonneg(c->wal_bytes - p->wal_bytes);
}

static void
push_stmt(struct delta_set *out, int *alloc, const struct stmt_row *r)
{
	if (r->calls <= 0 && r->plans <= 0)
		return;
	if (out->n_stmts == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		out->stmts = xreallocarray(out->stmts, (size_t)*alloc, sizeof *out->stmts);
	}
	out->stmts[out->n_stmts++] = *r;
}

/*
 * Merge the sorted current rows with the sorted previous ones. An entry seen before gives
 * cur - prev, unless a counter went down (evicted and made again): then it is re-based.
 * An entry not seen before was made during the interval, so all its counts belong to it,
 * unless entries that were hidden may have become visible.
 */
static void
stmt_deltas(struct delta_state *st, const struct snapshot *snap, struct delta_set *out,
	    int trust_new)
{
	int i = 0, j = 0, alloc = 0;
	struct stmt_row d;

	while (i < snap->n_stmts) {
		const struct stmt_row *c = &snap->stmts[i];
		int cmp = j < st->n_stmts ? stmt_key_cmp(c, &st->stmts[j]) : -1;

		if (cmp > 0) {
			j++; /* gone: evicted or reset */
			continue;
		}
		if (cmp < 0) {
			out->n_new++;
			if (trust_new && (c->stats_since == 0 || c->stats_since >= st->ts - 1.0))
				push_stmt(out, &alloc, c);
			i++;
			continue;
		}
		const struct stmt_row *p = &st->stmts[j];

		/* most rows are copies of the last ones (see collect_parse_statements): no delta */
		if (c->calls == p->calls && c->plans == p->plans && memcmp(c, p, sizeof *c) == 0) {
			i++;
			j++;
			continue;
		}
		if (c->stats_since != 0 && p->stats_since != 0 && c->stats_since != p->stats_since) {
			/* made again since the last sample: all it holds is from this interval */
			if (c->stats_since >= st->ts - 1.0)
				push_stmt(out, &alloc, c);
			else
				out->n_entry_resets++;
		} else if (stmt_went_down(c, p)) {
			out->n_entry_resets++;
		} else {
			stmt_sub(&d, c, p);
			push_stmt(out, &alloc, &d);
		}
		i++;
		j++;
	}
}

static int
db_went_down(const struct database_row *c, const struct database_row *p)
{
	return c->xact_commit < p->xact_commit || c->xact_rollback < p->xact_rollback ||
	       c->blks_read < p->blks_read || c->blks_hit < p->blks_hit ||
	       c->tup_returned < p->tup_returned || c->tup_fetched < p->tup_fetched ||
	       c->tup_inserted < p->tup_inserted || c->tup_updated < p->tup_updated ||
	       c->tup_deleted < p->tup_deleted || c->temp_files < p->temp_files ||
	       c->temp_bytes < p->temp_bytes || c->deadlocks < p->deadlocks ||
	       went_down_d(c->blk_read_ms, p->blk_read_ms) ||
	       went_down_d(c->blk_write_ms, p->blk_write_ms) || c->stats_reset != p->stats_reset;
}

static void
db_deltas(struct delta_state *st, const struct snapshot *snap, struct delta_set *out)
{
	int i, j;

	out->databases = xcalloc((size_t)snap->n_databases, sizeof *out->databases);
	for (i = 0; i < snap->n_databases; i++) {
		const struct database_row *c = &snap->databases[i];

		for (j = 0; j < st->n_dbs; j++)
			if (st->dbs[j].datid == c->datid)
				break;
		if (j == st->n_dbs || db_went_down(c, &st->dbs[j]))
			continue;
		const struct database_row *p = &st->dbs[j];
		struct database_row *d = &out->databases[out->n_databases++];

		*d = *c;
		d->datname = c->datname ? xstrdup(c->datname) : NULL;
		d->xact_commit = c->xact_commit - p->xact_commit;
		d->xact_rollback = c->xact_rollback - p->xact_rollback;
		d->blks_read = c->blks_read - p->blks_read;
		d->blks_hit = c->blks_hit - p->blks_hit;
		d->tup_returned = c->tup_returned - p->tup_returned;
		d->tup_fetched = c->tup_fetched - p->tup_fetched;
		d->tup_inserted = c->tup_inserted - p->tup_inserted;
		d->tup_updated = c->tup_updated - p->tup_updated;
		d->tup_deleted = c->tup_deleted - p->tup_deleted;
		d->temp_files = c->temp_files - p->temp_files;
		d->temp_bytes = c->temp_bytes - p->temp_bytes;
		d->deadlocks = c->deadlocks - p->deadlocks;
		d->blk_read_ms = nonneg(c->blk_read_ms - p->blk_read_ms);
		d->blk_write_ms = nonneg(c->blk_write_ms - p->blk_write_ms);
	}
}

static void
ckpt_delta(struct delta_state *st, const struct snapshot *snap, struct delta_set *out)
{
	const struct checkpoint_row *c = &snap->checkpoint, *p = &st->ckpt;

	if (!c->valid || !p->valid || c->stats_reset != p->stats_reset || c->timed < p->timed ||
	    c->requested < p->requested || c->buffers_written < p->buffers_written ||
	    went_down_d(c->write_ms, p->write_ms) || went_down_d(c->sync_ms, p->sync_ms))
		return;
	out->checkpoint.valid = 1;
	out->checkpoint.timed = c->timed - p->timed;
	out->checkpoint.requested = c->requested - p->requested;
	out->checkpoint.buffers_written = c->buffers_written - p->buffers_written;
	out->checkpoint.write_ms = nonneg(c->write_ms - p->write_ms);
	out->checkpoint.sync_ms = nonneg(c->sync_ms - p->sync_ms);
	out->checkpoint.stats_reset = c->stats_reset;
}

/* pg_stat_wal: no delta across a reset of its statistics or a counter that went down. */
static void
wal_delta(struct delta_state *st, const struct snapshot *snap, struct delta_set *out)
{
	const struct wal_row *c = &snap->wal, *p = &st->wal;

	if (!c->valid || !p->valid || c->stats_reset != p->stats_reset ||
	    c->records < p->records || c->fpi < p->fpi || c->bytes < p->bytes)
		return;
	out->wal.valid = 1;
	out->wal.records = c->records - p->records;
	out->wal.fpi = c->fpi - p->fpi;
	out->wal.bytes = c->bytes - p->bytes;
	out->wal.stats_reset = c->stats_reset;
}

static void
remember(struct delta_state *st, const struct snapshot *snap)
{
	int i;

	st->have_prev = 1;
	st->pending = 0;
	st->ts = snap->ts;
	st->postmaster_start = snap->postmaster_start;
	st->stmts_valid = snap->pgss_ok;
	if (snap->pgss_ok) {
		st->pgss_reset = snap->pgss_reset;
		st->dealloc = snap->pgss_dealloc;
		st->n_hidden = snap->n_hidden;
		st->stmts = xreallocarray(st->stmts, (size_t)snap->n_stmts, sizeof *st->stmts);
		if (snap->n_stmts > 0)
			memcpy(st->stmts, snap->stmts, (size_t)snap->n_stmts * sizeof *st->stmts);
		st->n_stmts = snap->n_stmts;
	} else {
		st->n_stmts = 0;
	}
	st->dbs = xreallocarray(st->dbs, (size_t)snap->n_databases, sizeof *st->dbs);
	for (i = 0; i < snap->n_databases; i++) {
		st->dbs[i] = snap->databases[i];
		st->dbs[i].datname = NULL;
	}
	st->n_dbs = snap->n_databases;
	st->ckpt = snap->checkpoint;
	st->wal = snap->wal;
}

void
delta_compute(struct delta_state *st, struct snapshot *snap, struct delta_set *out)
{
	memset(out, 0, sizeof *out);
	out->ts = snap->ts;
	if (!stmts_sorted(snap))
		qsort(snap->stmts, (size_t)snap->n_stmts, sizeof *snap->stmts, stmt_qsort_cmp);

	if (!st->have_prev) {
		out->flags = DELTA_BASELINE | st->pending;
	} else if (snap->postmaster_start != st->postmaster_start) {
		out->flags = DELTA_BASELINE | DELTA_RESTART;
	} else if (snap->ts <= st->ts) {
		out->flags = DELTA_BASELINE | DELTA_CLOCK;
	}
	if (out->flags & DELTA_BASELINE) {
		remember(st, snap);
		if (!snap->pgss_ok)
			out->flags |= DELTA_NO_PGSS;
		return;
	}

	out->interval_s = snap->ts - st->ts;
	db_deltas(st, snap, out);
	ckpt_delta(st, snap, out);
	wal_delta(st, snap, out);

	if (!snap->pgss_ok) {
		out->flags |= DELTA_NO_PGSS;
	} else if (!st->stmts_valid) {
		/* pg_stat_statements is back: its counters start a new baseline */
	} else if ((snap->have & STMT_HAVE_INFO) && snap->pgss_reset != st->pgss_reset) {
		out->flags |= DELTA_RESET;
	} else {
		if ((snap->have & STMT_HAVE_INFO) && snap->pgss_dealloc > st->dealloc) {
			out->dealloc = snap->pgss_dealloc - st->dealloc;
			out->flags |= DELTA_EVICTED;
		}
		stmt_deltas(st, snap, out, snap->n_hidden >= st->n_hidden);
		/* Without pg_stat_statements_info, a reset shows as every entry going away. */
		if (!(snap->have & STMT_HAVE_INFO) && st->n_stmts > 0 && out->n_entry_resets == 0 &&
		    snap->n_stmts < st->n_stmts / 2 && out->n_new == snap->n_stmts) {
			out->flags |= DELTA_RESET;
			out->n_stmts = 0;
		}
	}
	remember(st, snap);
}
