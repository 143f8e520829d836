/*
 * Storage benchmark: how long the history takes to store one sample of many statements,
 * how much it grows per statement and sample, and how long the hourly rollup and the
 * window query take. Synthetic samples go through the real delta and store code into a
 * fresh history file in a temporary directory. Prints figures; fails only on an error.
 *
 *   store-bench [-n STATEMENTS] [-s SAMPLES] [-a ACTIVE_FRACTION] [-r ROLLUP_SAMPLES]
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "delta.h"
#include "snapshot.h"
#include "store.h"
#include "xutil.h"

/* A fixed hour boundary (2023-11-14 22:00 UTC): runs repeat, rollups see whole hours. */
#define BASE_TS 1699999200.0
#define STEP_S 60.0
#define N_ACTIVITY 20
#define N_DATABASES 3
#define N_SETTINGS 350
#define N_USERS 4

struct params {
	long n;            /* statements */
	long samples;      /* samples of the main phase, the first one a baseline */
	double active;     /* fraction of statements with new calls in each interval */
	long roll_samples; /* samples of the rollup phase */
};

/* The synthetic server: cumulative counters that grow between samples. */
struct server {
	uint64_t rng;
	struct snapshot snap; /* stmts are the cumulative counters */
	double *mean_ms;      /* per statement, indexed like snap.stmts */
	int *writes;          /* the statement writes (WAL, dirtied blocks) */
	int *order;           /* scratch for choosing the active statements */
	int64_t calls_added;  /* calls added after the baseline */
};

static char tmp_dir[4096];
static char main_path[4200];
static char roll_path[4200];

/* ---- helpers ---- */

static void
remove_history(const char *path)
{
	char p[4300];

	if (path[0] == '\0')
		return;
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static void
cleanup(void)
{
	remove_history(main_path);
	remove_history(roll_path);
	if (tmp_dir[0] != '\0')
		rmdir(tmp_dir);
	tmp_dir[0] = '\0';
}

static void PGT_NORETURN PGT_PRINTF(1, 2)
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("store-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 64-bit LCG (Knuth's MMIX constants); the upper bits are the good ones. */
static uint32_t
rnd(struct server *sv)
{
	sv->rng = sv->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(sv->rng >> 32);
}

/* Uniform in [0, n). */
static uint32_t
rnd_below(struct server *sv, uint32_t n)
{
	return n ? rnd(sv) % n : 0;
}

/* Uniform in [0, 1). */
static double
rnd_unit(struct server *sv)
{
	return (double)rnd(sv) / 4294967296.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
percentile(const double *sorted, int n, double p)
{
	int k;

	if (n <= 0)
		return 0;
	k = (int)ceil(p * n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return sorted[k];
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The history file and its -wal, in bytes. */
static long long
history_size(const char *path)
{
	char wal[4300];

	snprintf(wal, sizeof wal, "%s-wal", path);
	return file_size(path) + file_size(wal);
}

/* ---- a second connection to look at the file ---- */

static sqlite3 *
peek_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static long long
peek_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		die("%s: %s", sql, sqlite3_errmsg(db));
	}
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Move the WAL into the file and empty it, so that the file size is the history's. */
static void
peek_checkpoint(sqlite3 *db)
{
	if (peek_int(db, "PRAGMA wal_checkpoint(TRUNCATE)") != 0)
		die("the WAL checkpoint could not finish: the history file is busy");
}

/* ---- the synthetic server ---- */

static const char *const words[] = {
	"id", "account_id", "created_at", "status", "amount", "customer_id", "region",
	"updated_at", "payload", "priority", "owner", "total", "quantity", "price", "label",
};
#define N_WORDS (sizeof words / sizeof words[0])

/* A statement text of a few hundred bytes, as pg_stat_statements normalises them. */
static char *
make_text(struct server *sv, int i)
{
	struct strbuf sb = {0};
	int cols = 3 + (int)rnd_below(sv, 10), conds = 1 + (int)rnd_below(sv, 5), k;

	switch (rnd_below(sv, 4)) {
	case 0:
		sb_addf(&sb, "UPDATE app.table_%d SET ", i % 400);
		for (k = 0; k < cols; k++)
			sb_addf(&sb, "%s%s = $%d", k ? ", " : "", words[rnd_below(sv, N_WORDS)],
				k + 1);
		break;
	case 1:
		sb_addf(&sb, "INSERT INTO app.table_%d (", i % 400);
		for (k = 0; k < cols; k++)
			sb_addf(&sb, "%s%s", k ? ", " : "", words[rnd_below(sv, N_WORDS)]);
		sb_add(&sb, ") VALUES (");
		for (k = 0; k < cols; k++)
			sb_addf(&sb, "%s$%d", k ? ", " : "", k + 1);
		sb_add(&sb, ") RETURNING id");
		conds = 0;
		break;
	default:
		sb_add(&sb, "SELECT ");
		for (k = 0; k < cols; k++)
			sb_addf(&sb, "%st.%s", k ? ", " : "", words[rnd_below(sv, N_WORDS)]);
		sb_addf(&sb, " FROM app.table_%d t JOIN app.table_%d u ON u.id = t.%s",
			i % 400, (i + 7) % 400, words[rnd_below(sv, N_WORDS)]);
		break;
	}
	for (k = 0; k < conds; k++)
		sb_addf(&sb, " %s t.%s %s $%d", k ? "AND" : "WHERE", words[rnd_below(sv, N_WORDS)],
			rnd_below(sv, 3) ? "=" : ">=", cols + k + 1);
	if (conds > 0 && rnd_below(sv, 2))
		sb_addf(&sb, " ORDER BY t.%s DESC LIMIT $%d /* statement %d */",
			words[rnd_below(sv, N_WORDS)], cols + conds + 1, i);
	return sb_detach(&sb);
}

static int
stmt_cmp(const void *a, const void *b)
{
	return stmt_key_cmp(a, b);
}

static void
server_init(struct server *sv, long n)
{
	static const char *const states[] = {"active", "idle", "idle in transaction"};
	struct snapshot *sn = &sv->snap;
	int i;

	memset(sv, 0, sizeof *sv);
	sv->rng = 0x5eed5eed12345678ULL;
	sn->ts = BASE_TS;
	sn->postmaster_start = BASE_TS - 86400.0 * 3;
	sn->have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL | STMT_HAVE_INFO;
	sn->pgss_ok = 1;
	sn->pgss_dealloc = 12;
	sn->pgss_reset = BASE_TS - 86400.0 * 30;

	sn->n_stmts = (int)n;
	sn->stmts = xcalloc((size_t)n + 1, sizeof *sn->stmts);
	sv->mean_ms = xcalloc((size_t)n + 1, sizeof *sv->mean_ms);
	sv->writes = xcalloc((size_t)n + 1, sizeof *sv->writes);
	sv->order = xcalloc((size_t)n + 1, sizeof *sv->order);
	sn->n_texts = (int)n;
	sn->texts = xcalloc((size_t)n + 1, sizeof *sn->texts);
	for (i = 0; i < (int)n; i++) {
		struct stmt_row *r = &sn->stmts[i];

		/* distinct query ids, spread over the whole int64 range, negative ones too */
		r->queryid = (int64_t)(((uint64_t)rnd(sv) << 32) ^ ((uint64_t)(uint32_t)i << 1) ^
				       0x9e3779b97f4a7c15ULL);
		r->dbid = 16384u + (uint32_t)rnd_below(sv, N_DATABASES);
		r->userid = rnd_below(sv, 5) == 0 ? 10u : 16400u + rnd_below(sv, N_USERS - 1);
		r->toplevel = rnd_below(sv, 20) != 0;
	}
	/* in key order, as delta_compute leaves them: per-statement traits keep their row */
	if (n > 1)
		qsort(sn->stmts, (size_t)n, sizeof *sn->stmts, stmt_cmp);
	for (i = 0; i < (int)n; i++) {
		struct stmt_row *r = &sn->stmts[i];

		sv->order[i] = i;
		sv->mean_ms[i] = 0.02 * pow(10.0, 4.0 * rnd_unit(sv)); /* 0.02 ms .. 200 ms */
		sv->writes[i] = rnd_below(sv, 4) == 0;
		r->calls = 1 + rnd_below(sv, 1000000);
		r->rows = r->calls * (1 + rnd_below(sv, 20));
		r->plans = r->calls / 10;
		r->total_exec_ms = (double)r->calls * sv->mean_ms[i];
		r->total_plan_ms = (double)r->plans * 0.03;
		r->min_ms = sv->mean_ms[i] * 0.2;
		r->max_ms = sv->mean_ms[i] * 20.0;
		r->stddev_ms = sv->mean_ms[i] * 0.7;
		r->shared_blks_hit = r->calls * (1 + rnd_below(sv, 100));
		r->shared_blks_read = r->calls / (1 + rnd_below(sv, 50));
		if (sv->writes[i]) {
			r->shared_blks_dirtied = r->calls / 3;
			r->shared_blks_written = r->calls / 50;
			r->wal_records = r->calls * 2;
			r->wal_fpi = r->calls / 40;
			r->wal_bytes = (double)r->wal_records * 110.0;
		}
		r->blk_read_ms = (double)r->shared_blks_read * 0.04;
		sn->texts[i].queryid = r->queryid;
		sn->texts[i].query = make_text(sv, i);
	}

	sn->n_activity = N_ACTIVITY;
	sn->activity = xcalloc(N_ACTIVITY, sizeof *sn->activity);
	for (i = 0; i < N_ACTIVITY; i++) {
		struct activity_row *a = &sn->activity[i];
		int s = i % 3;

		a->pid = 40000 + i;
		a->datname = xasprintf("db_%d", i % N_DATABASES);
		a->usename = xasprintf("app_user_%d", i % N_USERS);
		a->application_name = xstrdup(i % 2 ? "pgbench" : "web-backend");
		a->client_addr = xasprintf("10.0.0.%d", 10 + i);
		a->backend_type = xstrdup("client backend");
		a->state = xstrdup(states[s]);
		if (s == 0 && i % 2) {
			a->wait_event_type = xstrdup("Lock");
			a->wait_event = xstrdup("transactionid");
		} else if (s != 0) {
			a->wait_event_type = xstrdup("Client");
			a->wait_event = xstrdup("ClientRead");
		}
		a->query = xstrdup(sn->texts[i % n].query);
		a->backend_start = BASE_TS - 3600.0 - i;
		a->xact_start = s == 1 ? 0 : BASE_TS - 0.5;
		a->query_start = BASE_TS - 0.2;
		a->state_change = BASE_TS - 0.1;
		a->query_id = sn->stmts[i % n].queryid;
		a->has_query_id = 1;
	}
	sn->sessions.total = N_ACTIVITY;
	sn->sessions.active = (N_ACTIVITY + 2) / 3;
	sn->sessions.idle = (N_ACTIVITY + 1) / 3;
	sn->sessions.idle_in_xact = N_ACTIVITY / 3;
	sn->sessions.waiting = 3;

	sn->n_databases = N_DATABASES;
	sn->databases = xcalloc(N_DATABASES, sizeof *sn->databases);
	for (i = 0; i < N_DATABASES; i++) {
		struct database_row *d = &sn->databases[i];

		d->datid = 16384u + (uint32_t)i;
		d->datname = xasprintf("db_%d", i);
		d->numbackends = 7;
		d->xact_commit = 5000000 + i;
		d->xact_rollback = 1200;
		d->blks_read = 900000;
		d->blks_hit = 90000000;
		d->tup_returned = 700000000;
		d->tup_fetched = 60000000;
		d->tup_inserted = 3000000;
		d->tup_updated = 2000000;
		d->tup_deleted = 100000;
		d->temp_files = 40;
		d->temp_bytes = 400000000;
		d->blk_read_ms = 12000.0;
		d->blk_write_ms = 3000.0;
		d->stats_reset = BASE_TS - 86400.0 * 30;
	}

	sn->checkpoint.valid = 1;
	sn->checkpoint.timed = 800;
	sn->checkpoint.requested = 12;
	sn->checkpoint.buffers_written = 4000000;
	sn->checkpoint.write_ms = 9000000.0;
	sn->checkpoint.sync_ms = 20000.0;
	sn->checkpoint.stats_reset = BASE_TS - 86400.0 * 30;

	sn->n_settings = N_SETTINGS;
	sn->settings = xcalloc(N_SETTINGS, sizeof *sn->settings);
	for (i = 0; i < N_SETTINGS; i++) {
		struct setting_row *st = &sn->settings[i];

		st->name = xasprintf("setting_%d", i);
		st->setting = xasprintf("%d", (i * 37) % 10000);
		st->unit = i % 3 == 0 ? xstrdup("kB") : NULL;
		st->source = xstrdup(i % 5 == 0 ? "configuration file" : "default");
		st->pending_restart = 0;
	}
}

static void
server_free(struct server *sv)
{
	snapshot_free(&sv->snap);
	free(sv->mean_ms);
	free(sv->writes);
	free(sv->order);
}

/* Texts are read only for statements not stored before: only the first sample has them. */
static void
server_drop_texts(struct server *sv)
{
	int i;

	for (i = 0; i < sv->snap.n_texts; i++)
		free(sv->snap.texts[i].query);
	free(sv->snap.texts);
	sv->snap.texts = NULL;
	sv->snap.n_texts = 0;
}

/* One statement ran some more during the interval. */
static int64_t
stmt_advance(struct server *sv, int i)
{
	struct stmt_row *r = &sv->snap.stmts[i];
	int64_t calls = 1 + rnd_below(sv, 500), reads = rnd_below(sv, 50);
	int64_t plans = calls / 10 + (rnd_below(sv, 10) == 0);
	double ms = (double)calls * sv->mean_ms[i] * (0.5 + rnd_unit(sv));
	double peak = sv->mean_ms[i] * (1.0 + 30.0 * rnd_unit(sv));

	r->calls += calls;
	r->rows += calls * (1 + rnd_below(sv, 20));
	r->plans += plans;
	r->total_exec_ms += ms;
	r->total_plan_ms += (double)plans * 0.03;
	if (peak > r->max_ms)
		r->max_ms = peak;
	r->shared_blks_hit += calls * (1 + rnd_below(sv, 100));
	r->shared_blks_read += reads;
	r->blk_read_ms += (double)reads * 0.04;
	if (sv->writes[i]) {
		int64_t rec = calls * (1 + rnd_below(sv, 4));

		r->shared_blks_dirtied += calls / 3 + 1;
		r->shared_blks_written += rnd_below(sv, 3);
		r->blk_write_ms += rnd_unit(sv);
		r->wal_records += rec;
		r->wal_fpi += rnd_below(sv, 5);
		r->wal_bytes += (double)rec * (60.0 + 100.0 * rnd_unit(sv));
	}
	if (rnd_below(sv, 50) == 0) {
		r->temp_blks_read += 128;
		r->temp_blks_written += 128;
	}
	return calls;
}

/* The next sample: STEP_S later, with new calls for 'active' of the statements. */
static void
server_step(struct server *sv, double active)
{
	struct snapshot *sn = &sv->snap;
	int n = sn->n_stmts, k, i;

	sn->ts += STEP_S;
	k = (int)lround(active * n);
	if (k >= n) {
		for (i = 0; i < n; i++)
			sv->calls_added += stmt_advance(sv, i);
	} else {
		/* a different random set each interval: partial Fisher-Yates */
		for (i = 0; i < k; i++) {
			int j = i + (int)rnd_below(sv, (uint32_t)(n - i)), t = sv->order[i];

			sv->order[i] = sv->order[j];
			sv->order[j] = t;
			sv->calls_added += stmt_advance(sv, sv->order[i]);
		}
	}
	for (i = 0; i < sn->n_databases; i++) {
		struct database_row *d = &sn->databases[i];

		d->xact_commit += 3000 + rnd_below(sv, 3000);
		d->xact_rollback += rnd_below(sv, 10);
		d->blks_read += rnd_below(sv, 5000);
		d->blks_hit += 500000 + rnd_below(sv, 500000);
		d->tup_returned += 1000000 + rnd_below(sv, 1000000);
		d->tup_fetched += 100000 + rnd_below(sv, 100000);
		d->tup_inserted += rnd_below(sv, 5000);
		d->tup_updated += rnd_below(sv, 5000);
		d->tup_deleted += rnd_below(sv, 500);
		d->blk_read_ms += 10.0 * rnd_unit(sv);
	}
	sn->checkpoint.timed += 1;
	sn->checkpoint.buffers_written += rnd_below(sv, 20000);
	sn->checkpoint.write_ms += 30000.0 * rnd_unit(sv);
	sn->checkpoint.sync_ms += 100.0 * rnd_unit(sv);
	for (i = 0; i < sn->n_activity; i++) {
		sn->activity[i].query_start = sn->ts - 0.2;
		sn->activity[i].state_change = sn->ts - 0.1;
	}
}

/* ---- the history ---- */

static struct store *
history_open(const char *path, int64_t *server_id)
{
	struct pgt_err err = {{0}};
	struct server_info srv;
	struct store *st;
	long holder = 0;

	memset(&srv, 0, sizeof srv);
	strlcpy_(srv.key, "7301234567890123456:5432", sizeof srv.key);
	strlcpy_(srv.sysid, "7301234567890123456", sizeof srv.sysid);
	strlcpy_(srv.host, "bench", sizeof srv.host);
	strlcpy_(srv.port, "5432", sizeof srv.port);
	strlcpy_(srv.version, "16.4", sizeof srv.version);
	srv.version_num = 160004;
	srv.have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL | STMT_HAVE_INFO;
	srv.postmaster_start = BASE_TS - 86400.0 * 3;

	st = store_open(path, 0, &err);
	if (st == NULL)
		die("store_open: %s", err.msg);
	if (store_server(st, &srv, BASE_TS, server_id, &err) < 0)
		die("store_server: %s", err.msg);
	switch (store_lease(st, *server_id, now_wall(), 3600.0, &holder, &err)) {
	case 1:
		break;
	case 0:
		die("store_lease: process %ld holds the lease of a fresh history file", holder);
	default:
		die("store_lease: %s", err.msg);
	}
	return st;
}

/* delta_compute and store_sample for the current state; returns the store time in ms. */
static double
history_sample(struct store *st, int64_t server_id, struct delta_state *ds, struct server *sv,
	       double *delta_ms)
{
	struct pgt_err err = {{0}};
	struct delta_set d;
	double t0, t1, t2;
	int rc;

	t0 = mono_ms();
	delta_compute(ds, &sv->snap, &d);
	t1 = mono_ms();
	rc = store_sample(st, server_id, &sv->snap, &d, &err);
	t2 = mono_ms();
	delta_set_free(&d);
	if (rc < 0)
		die("store_sample: %s", err.msg);
	if (rc == 0)
		die("store_sample: the lease was lost");
	if (delta_ms)
		*delta_ms = t1 - t0;
	return t2 - t1;
}

/* ---- the phases ---- */

static void
phase_store(const struct params *p)
{
	struct server sv;
	struct delta_state *ds = delta_new();
	struct store *st;
	sqlite3 *peek;
	int64_t server_id = 0;
	double *store_ms, *delta_ms, baseline_ms;
	long long size_base, size_end, rows, expect_rows = 0;
	int i, m = (int)p->samples - 1;

	server_init(&sv, p->n);
	st = history_open(main_path, &server_id);
	peek = peek_open(main_path);
	store_ms = xcalloc((size_t)m + 1, sizeof *store_ms);
	delta_ms = xcalloc((size_t)m + 1, sizeof *delta_ms);

	baseline_ms = history_sample(st, server_id, ds, &sv, NULL);
	server_drop_texts(&sv);
	peek_checkpoint(peek);
	size_base = history_size(main_path);
	for (i = 0; i < m; i++) {
		server_step(&sv, p->active);
		store_ms[i] = history_sample(st, server_id, ds, &sv, &delta_ms[i]);
		expect_rows += lround(p->active * (double)p->n) < p->n
				       ? lround(p->active * (double)p->n)
				       : p->n;
	}
	peek_checkpoint(peek);
	size_end = history_size(main_path);
	rows = peek_int(peek, "SELECT count(*) FROM stmt_deltas");
	if (peek_int(peek, "SELECT count(*) FROM queries") != p->n)
		die("the history holds %lld query texts, expected %ld",
		    peek_int(peek, "SELECT count(*) FROM queries"), p->n);
	if (rows != expect_rows)
		die("stmt_deltas holds %lld rows, expected %lld", rows, expect_rows);

	qsort(store_ms, (size_t)m, sizeof *store_ms, cmp_double);
	qsort(delta_ms, (size_t)m, sizeof *delta_ms, cmp_double);
	if (m > 0) {
		printf("store_sample median: %.2f ms\n", percentile(store_ms, m, 0.5));
		printf("store_sample p90: %.2f ms\n", percentile(store_ms, m, 0.9));
		printf("store_sample max: %.2f ms\n", store_ms[m - 1]);
		printf("store_sample per statement row: %.2f us\n",
		       rows > 0 ? percentile(store_ms, m, 0.5) * 1e3 /
					  ((double)rows / (double)m)
				: 0.0);
	}
	printf("goal: < 20 ms per sample of 10000 statements\n");
	printf("baseline store_sample (%ld texts): %.2f ms\n", p->n, baseline_ms);
	if (m > 0)
		printf("delta_compute median: %.2f ms\n", percentile(delta_ms, m, 0.5));
	printf("stmt_deltas rows: %lld rows\n", rows);
	printf("history size after baseline: %lld bytes\n", size_base);
	printf("history size at end: %lld bytes\n", size_end);
	if (rows > 0)
		printf("history growth per statement-sample: %.1f bytes\n",
		       (double)(size_end - size_base) / (double)rows);

	sqlite3_close(peek);
	store_close(st);
	delta_free(ds);
	server_free(&sv);
	free(store_ms);
	free(delta_ms);
	remove_history(main_path);
}

/* Sum of calls of a store_statements answer. */
static int64_t
total_calls(const struct stmt_total *rows, int n)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += rows[i].calls;
	return sum;
}

static void
phase_rollup(const struct params *p)
{
	struct pgt_err err = {{0}};
	struct server sv;
	struct delta_state *ds = delta_new();
	struct stmt_total *rows = NULL;
	struct store *st;
	sqlite3 *peek;
	int64_t server_id = 0, calls_raw, calls_hourly;
	double t0, now, last_ts, raw_q_ms, hourly_q_ms, maintain_ms, drop_ms;
	long long hourly_rows, raw_rows, raw_left, newest_hour_rows;
	int i, n_raw = 0, n_hourly = 0;

	server_init(&sv, p->n);
	st = history_open(roll_path, &server_id);
	peek = peek_open(roll_path);
	history_sample(st, server_id, ds, &sv, NULL);
	server_drop_texts(&sv);
	for (i = 1; i < (int)p->roll_samples; i++) {
		server_step(&sv, p->active);
		history_sample(st, server_id, ds, &sv, NULL);
	}
	last_ts = sv.snap.ts;
	/* the first hour boundary after the last sample: every sampled hour is complete */
	now = (floor(last_ts / 3600.0) + 1.0) * 3600.0;
	raw_rows = peek_int(peek, "SELECT count(*) FROM stmt_deltas");

	t0 = mono_ms();
	if (store_statements(st, server_id, BASE_TS, now, &rows, &n_raw, &err) < 0)
		die("store_statements: %s", err.msg);
	raw_q_ms = mono_ms() - t0;
	calls_raw = total_calls(rows, n_raw);
	store_statements_free(rows, n_raw);

	t0 = mono_ms();
	if (store_maintain(st, server_id, now, 2 * 86400.0, 90 * 86400.0, &err) < 0)
		die("store_maintain: %s", err.msg);
	maintain_ms = mono_ms() - t0;
	hourly_rows = peek_int(peek, "SELECT count(*) FROM stmt_hourly");

	t0 = mono_ms();
	if (store_statements(st, server_id, BASE_TS, now, &rows, &n_hourly, &err) < 0)
		die("store_statements: %s", err.msg);
	hourly_q_ms = mono_ms() - t0;
	calls_hourly = total_calls(rows, n_hourly);
	store_statements_free(rows, n_hourly);

	/*
	 * retention: raw rows of rolled-up hours go. The newest sample's hour is not
	 * complete until a sample of a later hour is stored, so its rows stay raw.
	 */
	newest_hour_rows = peek_int(peek, "SELECT count(*) FROM stmt_deltas d JOIN samples s"
					  " ON s.id = d.sample_id WHERE s.ts >= (SELECT"
					  " CAST(max(ts) / 3600 AS INTEGER) * 3600 FROM samples)");
	t0 = mono_ms();
	if (store_maintain(st, server_id, now, 0.0, 90 * 86400.0, &err) < 0)
		die("store_maintain: %s", err.msg);
	drop_ms = mono_ms() - t0;
	raw_left = peek_int(peek, "SELECT count(*) FROM stmt_deltas");

	printf("rollup samples: %ld samples\n", p->roll_samples);
	printf("rollup span: %.0f hours\n", (now - BASE_TS) / 3600.0);
	printf("rollup raw rows: %lld rows\n", raw_rows);
	printf("store_statements from raw rows: %.2f ms\n", raw_q_ms);
	printf("store_statements rows: %d rows\n", n_raw);
	printf("store_maintain rollup: %.2f ms\n", maintain_ms);
	printf("stmt_hourly rows: %lld rows\n", hourly_rows);
	printf("store_statements from hourly rows: %.2f ms\n", hourly_q_ms);
	printf("store_maintain dropping raw rows: %.2f ms\n", drop_ms);

	if (calls_raw != sv.calls_added || calls_hourly != sv.calls_added)
		die("calls over the window: %lld from raw rows, %lld from hourly rows, %lld made",
		    (long long)calls_raw, (long long)calls_hourly, (long long)sv.calls_added);
	if (n_raw != n_hourly)
		die("store_statements gave %d statements from raw rows, %d from hourly rows", n_raw,
		    n_hourly);
	if (raw_left != newest_hour_rows)
		die("%lld raw rows are left after dropping the rolled-up hours (the newest hour "
		    "holds %lld)",
		    raw_left, newest_hour_rows);

	sqlite3_close(peek);
	store_close(st);
	delta_free(ds);
	server_free(&sv);
	remove_history(roll_path);
}

static void PGT_NORETURN
usage(void)
{
	fprintf(stderr, "usage: store-bench [-n STATEMENTS] [-s SAMPLES] [-a ACTIVE_FRACTION]"
			" [-r ROLLUP_SAMPLES]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct params p = {10000, 30, 1.0, 180};
	const char *tmp = getenv("TMPDIR");
	int c;

	while ((c = getopt(argc, argv, "n:s:a:r:")) != -1) {
		switch (c) {
		case 'n':
			if (parse_long(optarg, 1, 10000000, &p.n) < 0)
				usage();
			break;
		case 's':
			if (parse_long(optarg, 2, 100000, &p.samples) < 0)
				usage();
			break;
		case 'a':
			if (parse_double(optarg, 0.0, 1.0, &p.active) < 0)
				usage();
			break;
		case 'r':
			if (parse_long(optarg, 2, 100000, &p.roll_samples) < 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	snprintf(tmp_dir, sizeof tmp_dir, "%s/store-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tmp_dir) == NULL) {
		fprintf(stderr, "store-bench: cannot make a temporary directory %s: %s\n", tmp_dir,
			strerror(errno));
		return 1;
	}
	snprintf(main_path, sizeof main_path, "%s/history.db", tmp_dir);
	snprintf(roll_path, sizeof roll_path, "%s/rollup.db", tmp_dir);

	printf("statements: %ld\n", p.n);
	printf("samples: %ld\n", p.samples);
	printf("active fraction: %g\n", p.active);
	printf("active statements per sample: %ld\n",
	       lround(p.active * (double)p.n) < p.n ? lround(p.active * (double)p.n) : p.n);
	printf("sqlite version: %s\n", sqlite3_libversion());
	fflush(stdout);

	phase_store(&p);
	fflush(stdout);
	phase_rollup(&p);
	cleanup();
	return 0;
}
