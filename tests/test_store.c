/*
 * Unit tests of the history store on temporary files: opening and refusing files, servers,
 * the writer lease, samples, settings, events, rollup and retention, and reading back.
 * What the store wrote is checked through a separate SQLite connection.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "delta.h"
#include "snapshot.h"
#include "store-schema.h"
#include "store.h"
#include "xutil.h"

#define HOUR 3600.0
/* an hour boundary: 472222 * 3600 */
#define H0 1699999200.0

/* ---- temporary directory ---- */

struct fixture {
	char dir[64];
	char path[128];
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "%s", "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/history.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- reading the file directly ---- */

static sqlite3 *
db_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* The first column of the first row of sql as an integer (-999 when there is no row). */
static long long
q_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = NULL;
	long long v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		print_error("cannot prepare %s: %s\n", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
		fail();
		return v;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static double
q_dbl(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = NULL;
	double v = -999;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Is the first column of the first row NULL? */
static int
q_null(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = NULL;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_type(s, 0) == SQLITE_NULL;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as text, into buf ("" when NULL or no row). */
static const char *
q_text(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = NULL;

	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf;
}

static void
db_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("%s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		fail();
		return;
	}
	sqlite3_close(db);
}

/* The whole file, for "left unchanged" checks (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	if (fp == NULL)
		abort();
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	return buf;
}

static int
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* ---- building servers, snapshots and delta sets ---- */

static void
mkserver(struct server_info *srv, const char *key, const char *version)
{
	memset(srv, 0, sizeof *srv);
	snprintf(srv->key, sizeof srv->key, "%s", key);
	snprintf(srv->sysid, sizeof srv->sysid, "%s", "7300000000000000001");
	snprintf(srv->host, sizeof srv->host, "%s", "/var/run/postgresql");
	snprintf(srv->port, sizeof srv->port, "%s", "5432");
	snprintf(srv->version, sizeof srv->version, "%s", version);
	srv->version_num = 160004;
}

static struct stmt_row
mkrow(int64_t queryid, int64_t calls, double ms)
{
	struct stmt_row r;

	memset(&r, 0, sizeof r);
	r.dbid = 5;
	r.userid = 10;
	r.queryid = queryid;
	r.toplevel = 1;
	r.calls = calls;
	r.rows = calls * 2;
	r.plans = calls;
	r.total_exec_ms = ms;
	r.total_plan_ms = ms / 10;
	r.max_ms = ms;
	r.shared_blks_hit = calls * 100;
	r.shared_blks_read = calls;
	r.temp_blks_written = calls * 3;
	r.wal_records = calls;
	r.wal_bytes = 512.0 * (double)calls;
	return r;
}

static void
snap_mk(struct snapshot *s, double ts)
{
	memset(s, 0, sizeof *s);
	s->ts = ts;
	s->postmaster_start = H0 - 86400;
	s->have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL | STMT_HAVE_INFO;
	s->pgss_ok = 1;
	s->n_stmts = 40;
	s->n_hidden = 2;
}

static void
snap_add_text(struct snapshot *s, int64_t queryid, const char *text)
{
	s->texts = xreallocarray(s->texts, (size_t)s->n_texts + 1, sizeof *s->texts);
	s->texts[s->n_texts].queryid = queryid;
	s->texts[s->n_texts].query = xstrdup(text);
	s->n_texts++;
}

static void
snap_add_setting(struct snapshot *s, const char *name, const char *value, int pending)
{
	struct setting_row *r;

	s->settings = xreallocarray(s->settings, (size_t)s->n_settings + 1, sizeof *s->settings);
	r = &s->settings[s->n_settings++];
	r->name = xstrdup(name);
	r->setting = xstrdup(value);
	r->unit = xstrdup("kB");
	r->source = xstrdup("configuration file");
	r->pending_restart = pending;
}

static void
snap_add_activity(struct snapshot *s, int pid, const char *query, int has_query_id,
		  int64_t query_id)
{
	struct activity_row *a;

	s->activity = xreallocarray(s->activity, (size_t)s->n_activity + 1, sizeof *s->activity);
	a = &s->activity[s->n_activity++];
	memset(a, 0, sizeof *a);
	a->pid = pid;
	a->datname = xstrdup("app");
	a->usename = xstrdup("alice");
	a->application_name = xstrdup("psql");
	a->client_addr = NULL;
	a->backend_type = xstrdup("client backend");
	a->state = xstrdup("active");
	a->wait_event_type = xstrdup("Lock");
	a->wait_event = xstrdup("relation");
	a->backend_start = s->ts - 100;
	a->xact_start = 0; /* not known */
	a->query_start = s->ts - 1;
	a->state_change = s->ts - 1;
	a->has_query_id = has_query_id;
	a->query_id = query_id;
	a->query = xstrdup(query);
}

static void
delta_mk(struct delta_set *d, double ts, double interval, unsigned flags,
	 const struct stmt_row *rows, int n)
{
	memset(d, 0, sizeof *d);
	d->ts = ts;
	d->interval_s = interval;
	d->flags = flags;
	d->stmts = xcalloc((size_t)(n > 0 ? n : 1), sizeof *d->stmts);
	if (n > 0)
		memcpy(d->stmts, rows, (size_t)n * sizeof *rows);
	d->n_stmts = n;
}

static void
delta_add_db(struct delta_set *d, uint32_t datid, const char *name, int64_t commits)
{
	struct database_row *r;

	d->databases =
		xreallocarray(d->databases, (size_t)d->n_databases + 1, sizeof *d->databases);
	r = &d->databases[d->n_databases++];
	memset(r, 0, sizeof *r);
	r->datid = datid;
	r->datname = xstrdup(name);
	r->numbackends = 4;
	r->xact_commit = commits;
	r->blks_hit = commits * 10;
	r->blk_read_ms = 1.5;
}

/* Open a new store with one server and its lease held. */
static struct store *
open_with_lease(const char *path, const char *key, int64_t *server_id)
{
	struct pgt_err err = {{0}};
	struct server_info srv;
	struct store *st = store_open(path, 0, &err);
	long holder = 0;

	if (st == NULL)
		print_error("store_open: %s\n", err.msg);
	assert_non_null(st);
	mkserver(&srv, key, "16.4");
	assert_int_equal(store_server(st, &srv, H0, server_id, &err), 0);
	assert_int_equal(store_lease(st, *server_id, H0, 60, &holder, &err), 1);
	return st;
}

/* Store a sample whose delta set holds rows; the snapshot carries nothing else. */
static void
put_sample(struct store *st, int64_t server_id, double ts, const struct stmt_row *rows, int n)
{
	struct pgt_err err = {{0}};
	struct snapshot s;
	struct delta_set d;
	int rc;

	snap_mk(&s, ts);
	delta_mk(&d, ts, 600, 0, rows, n);
	rc = store_sample(st, server_id, &s, &d, &err);
	if (rc != 1)
		print_error("store_sample: %s\n", err.msg);
	assert_int_equal(rc, 1);
	snapshot_free(&s);
	delta_set_free(&d);
}

/* ---- opening ---- */

static void
store_open_creates_private_file(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st;
	struct stat sb;
	char path[256], dir1[160], dir2[192], wal[272];
	mode_t old;

	snprintf(dir1, sizeof dir1, "%s/a", f->dir);
	snprintf(dir2, sizeof dir2, "%s/a/b", f->dir);
	snprintf(path, sizeof path, "%s/a/b/history.db", f->dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	old = umask(0);
	st = store_open(path, 0, &err);
	umask(old);
	if (st == NULL)
		print_error("store_open: %s\n", err.msg);
	assert_non_null(st);
	assert_string_equal(store_path(st), path);

	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(wal, sizeof wal, "%s-shm", path);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(dir1, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(dir2, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	store_close(st);

	assert_int_equal(q_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, store_schema_count());
	assert_int_equal(q_int(path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_string_equal(q_text(path, "PRAGMA journal_mode", wal, sizeof wal), "wal");

	/* opened again: the same file, still usable */
	st = store_open(path, 0, &err);
	assert_non_null(st);
	store_close(st);
	st = store_open(path, STORE_READONLY, &err);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(q_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

static void
store_open_refuses_non_sqlite(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	static const char junk[] =
		"This is a plain text file, not a database. It is long enough to fill the "
		"SQLite header and then some, so that only its content can tell.\n";
	char *before, *after, wal[160];
	size_t n1, n2;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	if (fp == NULL)
		return;
	fputs(junk, fp);
	fclose(fp);
	before = slurp(f->path, &n1);
	assert_null(store_open(f->path, 0, &err));
	assert_non_null(strstr(err.msg, "not an SQLite database"));
	assert_non_null(strstr(err.msg, f->path));
	assert_null(store_open(f->path, STORE_READONLY, &err));
	after = slurp(f->path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	assert_false(exists(wal));
	free(before);
	free(after);
}

static void
store_open_refuses_directory(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};

	assert_null(store_open(f->dir, 0, &err));
	assert_non_null(strstr(err.msg, "directory"));
	assert_null(store_open(f->dir, STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "directory"));
}

static void
store_open_refuses_fifo(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};

	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_null(store_open(f->path, 0, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void
store_open_refuses_other_sqlite(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	char *before, *after;
	size_t n1, n2;

	db_exec(f->path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
			 "INSERT INTO invoices (total) VALUES (12.5);");
	before = slurp(f->path, &n1);
	assert_null(store_open(f->path, 0, &err));
	assert_non_null(strstr(err.msg, "not a pgmltop history file"));
	after = slurp(f->path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM sqlite_schema"), 1);
	free(before);
	free(after);
}

/*
 * A version 1 file with hourly rows is migrated when opened: the rows move to the
 * compact table, the view gives them back with the same figures (times to the
 * microsecond), and a second open does nothing more.
 */
static void
store_open_migrates_v1_hourly(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st;
	char *sql;

	sql = xasprintf(
		 "PRAGMA application_id = %d; PRAGMA user_version = 1; %s"
		 " INSERT INTO servers VALUES (1, 'k', NULL, 'h', '5432', '16', 160000, 0, 0);"
		 " INSERT INTO stmt_hourly (server_id, hour, dbid, userid, queryid, toplevel,"
		 "  samples, calls, total_ms, rows, plans, plan_ms, max_ms, shared_blks_hit,"
		 "  blk_read_ms, wal_bytes) VALUES"
		 "  (1, 470000, 5, 10, -7, 1, 60, 1000, 1234.5678, 999, NULL, NULL, 9.25, 42, 0.5,"
		 "   8192),"
		 "  (1, 470001, 5, 10, -7, 1, 60, 10, 1.5, 1, 10, 0.125, 0.3, 0, 0, 0),"
		 "  (1, 470001, 6, 10, 9223372036854775807, 0, 3, 7, 70.25, 7, 7, 1.5, 20, 1, 0, 0);",
		 STORE_APPLICATION_ID, store_schema_step(0));
	db_exec(f->path, sql);
	free(sql);
	st = store_open(f->path, 0, &err);
	if (st == NULL)
		print_error("store_open: %s\n", err.msg);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_hours"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_keys"), 2);
	assert_int_equal(q_int(f->path, "SELECT calls FROM stmt_hourly WHERE hour = 470000"), 1000);
	assert_true(fabs(q_dbl(f->path, "SELECT total_ms FROM stmt_hourly WHERE hour = 470000") -
			 1234.568) < 1e-9);
	assert_true(fabs(q_dbl(f->path, "SELECT max_ms FROM stmt_hourly WHERE hour = 470000") -
			 9.25) < 1e-9);
	assert_true(fabs(q_dbl(f->path, "SELECT blk_read_ms FROM stmt_hourly WHERE hour = 470000") -
			 0.5) < 1e-9);
	assert_int_equal(q_int(f->path, "SELECT wal_bytes FROM stmt_hourly WHERE hour = 470000"),
			 8192);
	assert_int_equal(q_int(f->path, "SELECT plans IS NULL AND plan_ms IS NULL FROM stmt_hourly"
					" WHERE hour = 470000"),
			 1);
	assert_true(fabs(q_dbl(f->path, "SELECT plan_ms FROM stmt_hourly WHERE hour = 470001"
					" AND queryid = -7") -
			 0.125) < 1e-9);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_hourly WHERE queryid ="
					" 9223372036854775807 AND dbid = 6 AND toplevel = 0"
					" AND calls = 7"),
			 1);
	st = store_open(f->path, 0, &err);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_hours"), 3);
}

static void
store_open_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	char sql[256], *before, *after, want[32];
	size_t n1, n2;

	snprintf(sql, sizeof sql,
		 "PRAGMA application_id = %d; PRAGMA user_version = %d;"
		 " CREATE TABLE servers (id INTEGER PRIMARY KEY, future TEXT);",
		 STORE_APPLICATION_ID, STORE_SCHEMA_VERSION + 1);
	db_exec(f->path, sql);
	before = slurp(f->path, &n1);
	assert_null(store_open(f->path, 0, &err));
	assert_non_null(strstr(err.msg, "newer"));
	snprintf(want, sizeof want, "version %d", STORE_SCHEMA_VERSION + 1);
	assert_non_null(strstr(err.msg, want));
	snprintf(want, sizeof want, "(%d)", STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err.msg, want));
	assert_null(store_open(f->path, STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "newer"));
	after = slurp(f->path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
	free(before);
	free(after);
}

static void
store_open_readonly_missing(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	char path[192], parent[160];

	assert_null(store_open(f->path, STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "no history file"));
	assert_false(exists(f->path));
	snprintf(parent, sizeof parent, "%s/sub", f->dir);
	snprintf(path, sizeof path, "%s/history.db", parent);
	assert_null(store_open(path, STORE_READONLY, &err));
	assert_false(exists(path));
	assert_false(exists(parent));
}

/* An empty file is what a crash right after creating it leaves: it becomes a history. */
static void
store_open_accepts_empty_file(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	close(fd);
	st = store_open(f->path, 0, &err);
	if (st == NULL)
		print_error("store_open: %s\n", err.msg);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

/* The -wal, -shm or -journal file of path, if any exists. */
static const char *
aux_left(const char *path)
{
	static const char *const suffix[] = {"-wal", "-shm", "-journal"};
	static char aux[512];
	size_t i;

	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(aux, sizeof aux, "%s%s", path, suffix[i]);
		if (exists(aux))
			return aux;
	}
	return NULL;
}

/* Reading an empty file: refused with what to do, the file left empty, nothing made. */
static void
store_open_readonly_empty_file(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct stat sb;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	close(fd);
	assert_null(store_open(f->path, STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "is empty"));
	assert_non_null(strstr(err.msg, "--collect"));
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_null(aux_left(f->path));
}

/* A history with one server at path, closed (no -wal or -shm left). */
static void
make_history(const char *path)
{
	struct pgt_err err = {{0}};
	struct store *st = store_open(path, 0, &err);
	struct server_info srv;
	int64_t id = 0;

	if (st == NULL)
		print_error("store_open %s: %s\n", path, err.msg);
	assert_non_null(st);
	mkserver(&srv, "7300000000000000001:5432", "16.4");
	assert_int_equal(store_server(st, &srv, H0, &id, &err), 0);
	store_close(st);
	assert_null(aux_left(path));
}

/*
 * A history no one may write (mode 0444) is read without locks or a -shm file, so that
 * reading leaves no read-only -wal or -shm file behind; also under a name that a URI
 * must escape.
 */
static void
store_open_readonly_no_write_permission(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct server_rec rec;
	char dir[192], path[256];
	const char *paths[2];
	struct store *st;
	size_t i;

	snprintf(dir, sizeof dir, "%s/a b?c#d%%41&e=f", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/h%%2541?.db", dir);
	paths[0] = f->path;
	paths[1] = path;
	for (i = 0; i < 2; i++) {
		make_history(paths[i]);
		assert_int_equal(chmod(paths[i], 0444), 0);
		st = store_open(paths[i], STORE_READONLY, &err);
		if (st == NULL)
			print_error("store_open %s: %s\n", paths[i], err.msg);
		assert_non_null(st);
		assert_int_equal(store_latest_server(st, &rec, &err), 1);
		assert_string_equal(rec.key, "7300000000000000001:5432");
		store_close(st);
		assert_null(aux_left(paths[i]));
	}
	/* the same through a relative name */
	assert_int_equal(chdir(dir), 0);
	st = store_open("h%2541?.db", STORE_READONLY, &err);
	assert_int_equal(chdir("/"), 0);
	assert_non_null(st);
	assert_int_equal(store_latest_server(st, &rec, &err), 1);
	store_close(st);
}

/* Checks of store_open_readonly_directory, without cmocka (they may run in a child): 0 or
 * the number of the check that failed. */
static int
readonly_directory_checks(const char *top)
{
	struct pgt_err err = {{0}};
	struct server_rec rec;
	char dir[192], path[256];
	struct store *st;
	int rc = 0;

	snprintf(dir, sizeof dir, "%s/ro", top);
	snprintf(path, sizeof path, "%s/history.db", dir);
	if (mkdir(dir, 0700) < 0)
		return 1;
	st = store_open(path, 0, &err);
	if (st == NULL)
		return 2;
	store_close(st);
	if (aux_left(path) != NULL || chmod(dir, 0500) < 0)
		return 3;
	st = store_open(path, STORE_READONLY, &err);
	if (st == NULL) {
		print_error("store_open: %s\n", err.msg);
		rc = 4;
	} else {
		if (store_latest_server(st, &rec, &err) != 0)
			rc = 5;
		store_close(st);
	}
	if (rc == 0 && store_open(path, 0, &err) != NULL)
		rc = 6;
	if (rc == 0 && (strstr(err.msg, "directory") == NULL ||
			strstr(err.msg, "not writable") == NULL)) {
		print_error("%s\n", err.msg);
		rc = 7;
	}
	if (rc == 0 && aux_left(path) != NULL)
		rc = 8;
	chmod(dir, 0700);
	return rc;
}

/*
 * A history in a directory that cannot be written: read without a -shm file; opening it
 * for writing says the directory is the reason, before anything is written. Root writes
 * anywhere: as root, the checks run in a child that is the user nobody.
 */
static void
store_open_readonly_directory(void **state)
{
	struct fixture *f = *state;
	struct passwd *pw;
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		assert_int_equal(readonly_directory_checks(f->dir), 0);
		return;
	}
	pw = getpwnam("nobody");
	assert_non_null(pw);
	if (pw == NULL)
		return;
	assert_int_equal(chown(f->dir, pw->pw_uid, pw->pw_gid), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(100);
		_exit(readonly_directory_checks(f->dir));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Bytes overwritten in the middle: found at open, refused, and the file left as it is. */
static void
store_open_refuses_damaged_file(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st;
	struct stmt_row rows[40];
	int64_t id = 0;
	char *before, *after, junk[1024];
	size_t n1, n2;
	int i, fd;

	st = open_with_lease(f->path, "k:1", &id);
	for (i = 0; i < 40; i++)
		rows[i] = mkrow(1000 + i, i + 1, (double)i);
	for (i = 0; i < 20; i++)
		put_sample(st, id, H0 + 60 * i, rows, 40);
	store_close(st);
	db_exec(f->path, "PRAGMA wal_checkpoint(TRUNCATE)");

	memset(junk, 0xa5, sizeof junk);
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof junk, 3 * 4096 + 8), (ssize_t)sizeof junk);
	close(fd);
	before = slurp(f->path, &n1);
	assert_null(store_open(f->path, 0, &err));
	assert_non_null(strstr(err.msg, "damaged"));
	assert_non_null(strstr(err.msg, "move it aside"));
	assert_null(store_open(f->path, STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "damaged"));
	after = slurp(f->path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

/* ---- servers and the lease ---- */

static void
store_server_ids(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st = store_open(f->path, 0, &err);
	struct server_info a, b;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	char buf[64];

	assert_non_null(st);
	mkserver(&a, "7300000000000000001:5432", "16.3");
	mkserver(&b, "7300000000000000001:5433", "16.3");
	assert_int_equal(store_server(st, &a, H0, &id1, &err), 0);
	assert_true(id1 > 0);
	snprintf(a.version, sizeof a.version, "%s", "16.4");
	assert_int_equal(store_server(st, &a, H0 + 60, &id2, &err), 0);
	assert_int_equal(id2, id1);
	assert_int_equal(store_server(st, &b, H0 + 60, &id3, &err), 0);
	assert_true(id3 > 0);
	assert_true(id3 != id1);
	store_close(st);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM servers"), 2);
	/* the version is refreshed, first_seen kept */
	assert_string_equal(
		q_text(f->path, "SELECT version FROM servers WHERE key LIKE '%:5432'", buf,
		       sizeof buf),
		"16.4");
	assert_true(q_dbl(f->path, "SELECT first_seen FROM servers WHERE key LIKE '%:5432'") ==
		    H0);
}

/* Put a lease row for server_id held by pid on host, renewed at ts, valid for ttl seconds. */
static void
put_lease(const char *path, int64_t server_id, long pid, const char *host, double ts, double ttl)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "INSERT OR REPLACE INTO leases (server_id, pid, host, ts, ttl)"
		 " VALUES (%lld, %ld, '%s', %.3f, %.3f)",
		 (long long)server_id, pid, host, ts, ttl);
	db_exec(path, sql);
}

static void
store_lease_rules(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct server_info srv;
	struct store *st = store_open(f->path, 0, &err);
	int64_t id = 0;
	long holder = -1;
	char host[256];
	pid_t child;
	int status;

	assert_non_null(st);
	memset(host, 0, sizeof host);
	assert_int_equal(gethostname(host, sizeof host - 1), 0);
	mkserver(&srv, "7300000000000000001:5432", "16.4");
	assert_int_equal(store_server(st, &srv, H0, &id, &err), 0);

	/* first come: taken, then renewed */
	assert_int_equal(store_lease(st, id, H0, 60, &holder, &err), 1);
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getpid());
	assert_true(q_dbl(f->path, "SELECT ttl FROM leases") == 60.0);
	assert_int_equal(store_lease(st, id, H0 + 10, 60, &holder, &err), 1);
	assert_true(q_dbl(f->path, "SELECT ts FROM leases") == H0 + 10);

	/* another live process on this host, renewed recently: not ours */
	put_lease(f->path, id, (long)getppid(), host, H0 + 20, 60);
	holder = -1;
	assert_int_equal(store_lease(st, id, H0 + 30, 60, &holder, &err), 0);
	assert_int_equal(holder, (long)getppid());
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getppid());

	/* the holder's own ttl counts, not the caller's: a slow holder keeps its lease... */
	put_lease(f->path, id, (long)getppid(), host, H0, 600);
	assert_int_equal(store_lease(st, id, H0 + 300, 10, &holder, &err), 0);
	/* ...and a fast one that stopped renewing loses it to a slow caller */
	put_lease(f->path, id, (long)getppid(), host, H0, 30);
	assert_int_equal(store_lease(st, id, H0 + 100, 600, &holder, &err), 1);
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getpid());

	/* not renewed for longer than its ttl: taken over */
	put_lease(f->path, id, (long)getppid(), host, H0 - 1000, 60);
	assert_int_equal(store_lease(st, id, H0 + 30, 60, &holder, &err), 1);
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getpid());

	/* a fresh lease of a process that is gone: taken over */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	put_lease(f->path, id, (long)child, host, H0 + 30, 60);
	assert_int_equal(store_lease(st, id, H0 + 31, 60, &holder, &err), 1);
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getpid());

	/* a fresh lease from another host: its process cannot be checked, so it holds */
	put_lease(f->path, id, 1, "another-host.example", H0 + 40, 60);
	holder = -1;
	assert_int_equal(store_lease(st, id, H0 + 41, 60, &holder, &err), 0);
	assert_int_equal(holder, 1);

	/* the lease of one server does not block another */
	{
		struct server_info other;
		int64_t id2 = 0;

		mkserver(&other, "7300000000000000002:5432", "16.4");
		assert_int_equal(store_server(st, &other, H0, &id2, &err), 0);
		assert_int_equal(store_lease(st, id2, H0 + 41, 60, &holder, &err), 1);
	}
	store_close(st);
}

static void
store_lease_release_frees(void **state)
{
	struct fixture *f = *state;
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);

	assert_int_equal(q_int(f->path, "SELECT count(*) FROM leases"), 1);
	store_lease_release(st, id);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM leases"), 0);
	store_close(st);
}

/* ---- samples ---- */

/* A session is kept when it changed since the last sample, not again at each one. */
static void
store_sessions_kept_when_changed(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct snapshot s;
	struct delta_set d;
	int i;

	for (i = 0; i < 4; i++) {
		snap_mk(&s, H0 + 60 * (i + 1));
		snap_add_activity(&s, 4242, "SELECT pg_sleep(60)", 1, 5);
		/* the same statement running since the same time, three samples long */
		s.activity[0].query_start = s.activity[0].state_change = H0;
		s.activity[0].backend_start = H0 - 100;
		if (i == 3) {
			free(s.activity[0].state);
			s.activity[0].state = xstrdup("idle in transaction");
		}
		snap_add_activity(&s, 4243 + i, "SELECT 1", 0, 0); /* a new one each time */
		delta_mk(&d, H0 + 60 * (i + 1), 60, 0, NULL, 0);
		assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
		snapshot_free(&s);
		delta_set_free(&d);
	}
	store_close(st);
	/* 4242: the first sample, then once more when its state changed */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM activity WHERE pid = 4242"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM activity WHERE pid = 4242"
					" AND state = 'idle in transaction'"),
			 1);
	/* a session seen once each time is kept each time */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM activity WHERE pid > 4242"), 4);
	/* a new process on the same file stores them afresh */
	st = open_with_lease(f->path, "k:1", &id);
	snap_mk(&s, H0 + 600);
	snap_add_activity(&s, 4242, "SELECT pg_sleep(60)", 1, 5);
	s.activity[0].query_start = s.activity[0].state_change = H0;
	s.activity[0].backend_start = H0 - 100;
	delta_mk(&d, H0 + 600, 60, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	store_close(st);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM activity WHERE pid = 4242"), 3);
}

static void
store_sample_writes_everything(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_row rows[] = {mkrow(11, 4, 40.0), mkrow(-12, 1, 2.5)};
	struct snapshot s;
	struct delta_set d;
	char buf[256];

	/* sample 1: two statements, two texts, two sessions, a database, a checkpoint */
	snap_mk(&s, H0 + 60);
	s.sessions = (struct session_counts){3, 5, 1, 2, 9};
	snap_add_text(&s, 11, "SELECT * FROM t WHERE id = $1");
	snap_add_text(&s, -12, "UPDATE t SET x = $1");
	snap_add_activity(&s, 4242, "SELECT 1", 1, -77);
	snap_add_activity(&s, 4243, "SELECT 2", 0, 0);
	delta_mk(&d, H0 + 60, 60, 0, rows, 2);
	d.n_entry_resets = 0;
	d.dealloc = 0;
	delta_add_db(&d, 16384, "app", 120);
	d.checkpoint = (struct checkpoint_row){1, 1, 0, 300, 12.5, 1.25, 0};
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);

	/* sample 2: the same text again */
	snap_mk(&s, H0 + 120);
	snap_add_text(&s, 11, "SELECT * FROM t WHERE id = $1");
	snap_add_activity(&s, 4242, "SELECT 1", 1, -77);
	delta_mk(&d, H0 + 120, 60, 0, rows, 1);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	store_close(st);

	assert_int_equal(q_int(f->path, "SELECT count(*) FROM samples"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_deltas"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM queries"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM queries WHERE queryid = 11"), 1);
	assert_string_equal(q_text(f->path, "SELECT query FROM queries WHERE queryid = -12", buf,
				   sizeof buf),
			    "UPDATE t SET x = $1");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM activity"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM database_deltas"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM checkpoint_deltas"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events"), 0);

	/* the values */
	assert_int_equal(q_int(f->path, "SELECT sum(calls) FROM stmt_deltas WHERE queryid = 11"),
			 8);
	assert_true(q_dbl(f->path, "SELECT total_ms FROM stmt_deltas WHERE queryid = -12") ==
		    2.5);
	assert_int_equal(q_int(f->path, "SELECT shared_blks_hit FROM stmt_deltas"
					" WHERE queryid = -12"),
			 100);
	assert_int_equal(q_int(f->path, "SELECT plans FROM stmt_deltas WHERE queryid = -12"), 1);
	assert_int_equal(q_int(f->path, "SELECT wal_records FROM stmt_deltas WHERE queryid = -12"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT sess_active FROM samples ORDER BY ts LIMIT 1"), 3);
	assert_int_equal(q_int(f->path, "SELECT sess_waiting FROM samples ORDER BY ts LIMIT 1"), 2);
	assert_int_equal(q_int(f->path, "SELECT sess_total FROM samples ORDER BY ts LIMIT 1"), 9);
	assert_int_equal(q_int(f->path, "SELECT n_statements FROM samples LIMIT 1"), 40);
	assert_int_equal(q_int(f->path, "SELECT n_hidden FROM samples LIMIT 1"), 2);
	assert_true(q_dbl(f->path, "SELECT interval_s FROM samples LIMIT 1") == 60.0);
	assert_int_equal(q_int(f->path, "SELECT query_id FROM activity WHERE pid = 4242 LIMIT 1"),
			 -77);
	assert_int_equal(q_null(f->path, "SELECT query_id FROM activity WHERE pid = 4243"), 1);
	assert_int_equal(q_null(f->path, "SELECT xact_start FROM activity WHERE pid = 4243"), 1);
	assert_string_equal(q_text(f->path, "SELECT query FROM activity WHERE pid = 4243", buf,
				   sizeof buf),
			    "SELECT 2");
	assert_int_equal(q_int(f->path, "SELECT xact_commit FROM database_deltas"), 120);
	assert_string_equal(q_text(f->path, "SELECT datname FROM database_deltas", buf,
				   sizeof buf),
			    "app");
	assert_int_equal(q_int(f->path, "SELECT buffers_written FROM checkpoint_deltas"), 300);
	assert_true(q_dbl(f->path, "SELECT last_seen FROM servers") == H0 + 120);
}

/* Without the plans or WAL columns, those counters are unknown, not zero. */
static void
store_sample_unknown_columns_null(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_row rows[] = {mkrow(11, 4, 40.0)};
	struct snapshot s;
	struct delta_set d;

	snap_mk(&s, H0 + 60);
	s.have = 0; /* PostgreSQL 12 */
	delta_mk(&d, H0 + 60, 60, 0, rows, 1);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	store_close(st);
	assert_int_equal(q_null(f->path, "SELECT plans FROM stmt_deltas"), 1);
	assert_int_equal(q_null(f->path, "SELECT wal_bytes FROM stmt_deltas"), 1);
	assert_int_equal(q_null(f->path, "SELECT dealloc FROM samples"), 1);
	assert_int_equal(q_int(f->path, "SELECT calls FROM stmt_deltas"), 4);
}

static void
put_settings(struct store *st, int64_t id, double ts, const char *work_mem, int pending)
{
	struct pgt_err err = {{0}};
	struct snapshot s;
	struct delta_set d;

	snap_mk(&s, ts);
	snap_add_setting(&s, "work_mem", work_mem, 0);
	snap_add_setting(&s, "shared_buffers", "16384", pending);
	snap_add_setting(&s, "max_connections", "100", 0);
	delta_mk(&d, ts, 60, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
}

static void
snap_add_role_setting(struct snapshot *s, const char *db, const char *role, const char *name,
		      const char *value)
{
	struct role_setting_row *r;

	s->role_settings_read = 1;
	s->role_settings = xreallocarray(s->role_settings, (size_t)s->n_role_settings + 1,
					 sizeof *s->role_settings);
	r = &s->role_settings[s->n_role_settings++];
	r->datname = db != NULL ? xstrdup(db) : NULL;
	r->rolname = role != NULL ? xstrdup(role) : NULL;
	r->name = xstrdup(name);
	r->setting = xstrdup(value);
}

/*
 * A history of version 7 opens as the last version with its rows kept, and
 * then stores the settings of databases and roles as they change, pg_stat_wal per
 * interval (rolled up per hour with the checkpoints) and the tables' vacuum figures.
 */
static void
store_v8_role_settings_wal_vacuum(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct strbuf sb = {0};
	struct store *st;
	struct snapshot s;
	struct delta_set d;
	struct param_role_setting *rs = NULL;
	struct param_table *tb = NULL;
	struct param_more more;
	int64_t id = 0;
	int i, n = 0;

	sb_addf(&sb, "PRAGMA application_id = %d; ", STORE_APPLICATION_ID);
	for (i = 0; i < 7; i++)
		sb_add(&sb, store_schema_step(i));
	sb_add(&sb, " INSERT INTO servers VALUES (1, 'k:1', NULL, 'h', '5432', '16', 160000, 0, 0);"
		    " PRAGMA user_version = 7;");
	db_exec(f->path, sb_str(&sb));
	sb_release(&sb);
	st = open_with_lease(f->path, "k:1", &id);
	assert_int_equal(id, 1);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(q_null(f->path, "SELECT role_settings_at FROM servers"), 1);

	/* the first read: what is there is marked first, not a change */
	snap_mk(&s, H0 + 60);
	snap_add_role_setting(&s, NULL, "app", "work_mem", "64MB");
	snap_add_role_setting(&s, "shop", NULL, "search_path", "shop, public");
	delta_mk(&d, H0 + 60, 60, 0, NULL, 0);
	d.checkpoint = (struct checkpoint_row){1, 1, 0, 10, 1, 1, 0};
	d.wal = (struct wal_row){1, 100, 5, 65536, 0};
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM role_settings WHERE first = 1"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM role_settings"
					" WHERE datname = '' AND rolname = 'app'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT role_settings_at = ts FROM servers, samples"), 1);
	assert_int_equal(q_int(f->path, "SELECT wal_bytes FROM wal_deltas"), 65536);

	/* not read in a sample: nothing stored; the same values again: nothing either */
	snap_mk(&s, H0 + 120);
	delta_mk(&d, H0 + 120, 60, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	snap_mk(&s, H0 + 180);
	snap_add_role_setting(&s, NULL, "app", "work_mem", "64MB");
	snap_add_role_setting(&s, "shop", NULL, "search_path", "shop, public");
	delta_mk(&d, H0 + 180, 60, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM role_settings"), 2);

	/* a new value, a new setting, and one reset: three changes */
	snap_mk(&s, H0 + 240);
	snap_add_role_setting(&s, NULL, "app", "work_mem", "128MB");
	snap_add_role_setting(&s, "shop", "app", "work_mem", "1GB");
	delta_mk(&d, H0 + 240, 60, 0, NULL, 0);
	d.wal = (struct wal_row){1, 50, 1, 1000, 0};
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM role_settings WHERE first = 0"), 3);
	assert_int_equal(store_param_role_settings(st, id, H0 + 300, &rs, &n, &err), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		if (rs[i].first)
			continue;
		assert_true(rs[i].ts == H0 + 240);
		if (rs[i].database == NULL) {
			assert_string_equal(rs[i].role, "app");
			assert_string_equal(rs[i].old, "64MB");
			assert_string_equal(rs[i].setting, "128MB");
		} else if (rs[i].role == NULL) {
			assert_string_equal(rs[i].database, "shop");
			assert_null(rs[i].setting);
			assert_string_equal(rs[i].old, "shop, public");
		} else {
			assert_string_equal(rs[i].database, "shop");
			assert_null(rs[i].old);
			assert_string_equal(rs[i].setting, "1GB");
		}
	}
	store_param_role_settings_free(rs, n);

	/* the WAL of the raw samples, then rolled up per hour with the checkpoints */
	assert_int_equal(store_param_more(st, id, H0, H0 + 300, &more, &err), 0);
	assert_int_equal(more.have_wal, 1);
	assert_true(more.wal_bytes == 66536 && more.wal_seconds == 120);
	assert_true(more.wal_ckpt_bytes == 65536 && more.wal_ckpt_count == 1);
	store_param_more_free(&more);
	put_sample(st, id, H0 + 3600 + 60, NULL, 0);
	assert_int_equal(store_maintain(st, id, H0 + 3600 + 120, 86400, 86400 * 90, &err), 0);
	assert_int_equal(q_int(f->path, "SELECT wal_bytes FROM server_hourly"), 66536);
	assert_int_equal(q_int(f->path, "SELECT wal_samples FROM server_hourly"), 2);
	assert_int_equal(q_int(f->path, "SELECT ckpt_timed FROM server_hourly"), 1);
	assert_int_equal(q_int(f->path, "SELECT wal_seconds FROM server_hourly"), 120);
	assert_int_equal(store_param_more(st, id, H0, H0 + 7200, &more, &err), 0);
	assert_true(more.wal_bytes == 66536 && more.wal_peak_hour == 66536);
	store_param_more_free(&more);

	/* the tables' vacuum figures */
	snap_mk(&s, H0 + 3600 + 120);
	delta_mk(&d, H0 + 3600 + 120, 60, 0, NULL, 0);
	s.catalog_ok = 1;
	s.tables = xcalloc(1, sizeof *s.tables);
	s.n_tables = 1;
	s.tables[0] = (struct table_row){.relid = 5, .schema = xstrdup("public"),
					 .name = xstrdup("queue"), .live_rows = 1000,
					 .n_live_tup = 1000, .n_dead_tup = 90000,
					 .last_autovacuum = H0, .autovacuum_count = 3,
					 .reloptions = xstrdup("autovacuum_enabled=off")};
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	assert_int_equal(store_param_tables(st, id, &tb, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(tb[0].name, "queue");
	assert_true(tb[0].dead_rows == 90000 && tb[0].live_rows == 1000);
	assert_true(tb[0].last_vacuum == H0 && tb[0].autovacuum_count == 3);
	assert_string_equal(tb[0].reloptions, "autovacuum_enabled=off");
	store_param_tables_free(tb, n);
	store_close(st);
}

static void
store_settings_only_when_changed(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct snapshot s;
	struct delta_set d;

	put_settings(st, id, H0 + 60, "4096", 0);
	put_settings(st, id, H0 + 120, "4096", 0);
	put_settings(st, id, H0 + 180, "4096", 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 3);
	assert_int_equal(q_int(f->path, "SELECT max(n) FROM (SELECT count(*) AS n FROM settings"
					" GROUP BY name)"),
			 1);

	/* one value changes: exactly one new row */
	put_settings(st, id, H0 + 240, "8192", 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 4);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings WHERE name = 'work_mem'"),
			 2);
	/* a sample without settings read stores none */
	snap_mk(&s, H0 + 270);
	delta_mk(&d, H0 + 270, 30, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	put_settings(st, id, H0 + 300, "8192", 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 4);
	/* pending_restart is part of the value */
	put_settings(st, id, H0 + 360, "8192", 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 5);
	assert_int_equal(q_int(f->path, "SELECT pending_restart FROM settings"
					" WHERE name = 'shared_buffers' ORDER BY ts DESC LIMIT 1"),
			 1);
	/* back to the first value: that is a change too */
	put_settings(st, id, H0 + 420, "4096", 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 6);
	store_close(st);

	/* another process remembers from the file, not from memory */
	st = store_open(f->path, 0, &err);
	assert_non_null(st);
	{
		long holder = 0;

		assert_int_equal(store_lease(st, id, H0 + 480, 60, &holder, &err), 1);
	}
	put_settings(st, id, H0 + 480, "4096", 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 6);
	store_close(st);
}

static void
store_sample_events(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	static const unsigned flags[] = {
		DELTA_BASELINE, DELTA_RESET, DELTA_BASELINE | DELTA_RESTART, DELTA_EVICTED,
		DELTA_BASELINE | DELTA_GAP, DELTA_BASELINE | DELTA_CLOCK,
	};
	size_t i;
	char buf[256];

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct snapshot s;
		struct delta_set d;

		snap_mk(&s, H0 + 60 * (double)(i + 1));
		delta_mk(&d, s.ts, 60, flags[i], NULL, 0);
		if (flags[i] & DELTA_EVICTED) {
			d.dealloc = 17;
			d.n_entry_resets = 3;
		}
		assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
		snapshot_free(&s);
		delta_set_free(&d);
	}
	store_close(st);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events"), 6);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events WHERE kind = 'reset'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events WHERE kind = 'restart'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events WHERE kind = 'gap'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events WHERE kind = 'clock'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events WHERE kind = 'entry_reset'"),
			 1);
	assert_non_null(strstr(q_text(f->path, "SELECT detail FROM events WHERE kind = 'evicted'",
				      buf, sizeof buf),
			       "17"));
	assert_true(q_dbl(f->path, "SELECT ts FROM events WHERE kind = 'reset'") == H0 + 120);
	assert_int_equal(q_int(f->path, "SELECT dealloc FROM samples WHERE flags = 32"), 17);
	assert_int_equal(q_int(f->path, "SELECT entry_resets FROM samples WHERE flags = 32"), 3);
}

static void
store_sample_needs_lease(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct server_info srv;
	struct store *st = store_open(f->path, 0, &err);
	struct stmt_row rows[] = {mkrow(11, 4, 40.0)};
	struct snapshot s;
	struct delta_set d;
	int64_t id = 0;
	long holder = 0;
	char host[256];

	assert_non_null(st);
	mkserver(&srv, "k:1", "16.4");
	assert_int_equal(store_server(st, &srv, H0, &id, &err), 0);
	snap_mk(&s, H0 + 60);
	snap_add_text(&s, 11, "SELECT 1");
	snap_add_setting(&s, "work_mem", "4096", 0);
	delta_mk(&d, H0 + 60, 60, DELTA_RESET, rows, 1);

	/* never taken */
	assert_int_equal(store_sample(st, id, &s, &d, &err), 0);
	/* taken over by another live process */
	assert_int_equal(store_lease(st, id, H0, 60, &holder, &err), 1);
	memset(host, 0, sizeof host);
	gethostname(host, sizeof host - 1);
	put_lease(f->path, id, (long)getppid(), host, H0 + 1, 60);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 0);
	snapshot_free(&s);
	delta_set_free(&d);
	store_close(st);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM samples"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_deltas"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM queries"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM events"), 0);
	assert_int_equal(q_int(f->path, "SELECT pid FROM leases"), (long long)getppid());
}

static void
store_texts_read_back(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0, *ids = NULL;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct snapshot s;
	struct delta_set d;
	char *text;
	int n = 0, i, seen_min = 0, seen_max = 0;

	snap_mk(&s, H0 + 60);
	snap_add_text(&s, INT64_MIN, "SELECT min");
	snap_add_text(&s, INT64_MAX, "SELECT max");
	snap_add_text(&s, 5, "SELECT five");
	delta_mk(&d, H0 + 60, 60, 0, NULL, 0);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	assert_int_equal(store_text_ids(st, id, &ids, &n, &err), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		seen_min |= ids[i] == INT64_MIN;
		seen_max |= ids[i] == INT64_MAX;
	}
	assert_true(seen_min && seen_max);
	free(ids);
	text = store_text(st, id, INT64_MIN);
	assert_non_null(text);
	assert_string_equal(text, "SELECT min");
	free(text);
	assert_null(store_text(st, id, 6));
	assert_null(store_text(st, id + 1, 5)); /* another server's texts are its own */
	store_close(st);
}

/* ---- rollup and retention ---- */

#define R_HOURS 3
#define R_PER_HOUR 6

/* The workload of sample k: queryid 1 always, queryid 2 every other sample. */
static int
r_rows(int k, struct stmt_row *rows)
{
	int n = 0;

	rows[n++] = mkrow(1, k + 1, (double)k + 0.5);
	if (k % 2 == 0)
		rows[n++] = mkrow(2, 1, 100.0 + (double)k);
	return n;
}

static double
r_ts(int k)
{
	return H0 + (double)k * (HOUR / R_PER_HOUR);
}

/* Sum of calls and total_ms of queryid q over samples with ts in [lo, hi). */
static void
r_expect(int64_t q, double lo, double hi, int nsamples, int64_t *calls, double *ms)
{
	int k, i, n;
	struct stmt_row rows[2];

	*calls = 0;
	*ms = 0;
	for (k = 0; k < nsamples; k++) {
		if (r_ts(k) < lo || r_ts(k) >= hi)
			continue;
		n = r_rows(k, rows);
		for (i = 0; i < n; i++)
			if (rows[i].queryid == q) {
				*calls += rows[i].calls;
				*ms += rows[i].total_exec_ms;
			}
	}
}

static const struct stmt_total *
total_of(const struct stmt_total *rows, int n, int64_t q)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].queryid == q)
			return &rows[i];
	return NULL;
}

/* store_statements over everything: calls and time of queryids 1 and 2. */
static void
r_totals(struct store *st, int64_t id, int64_t *c1, double *m1, int64_t *c2, double *m2)
{
	struct pgt_err err = {{0}};
	struct stmt_total *rows = NULL;
	const struct stmt_total *t;
	int n = 0;

	assert_int_equal(store_statements(st, id, H0 - 10 * HOUR, H0 + 10 * HOUR, &rows, &n, &err),
			 0);
	*c1 = *c2 = 0;
	*m1 = *m2 = 0;
	if ((t = total_of(rows, n, 1)) != NULL) {
		*c1 = t->calls;
		*m1 = t->total_ms;
	}
	if ((t = total_of(rows, n, 2)) != NULL) {
		*c2 = t->calls;
		*m2 = t->total_ms;
	}
	store_statements_free(rows, n);
}

static void
store_maintain_rollup(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0, c1, c2, e1, e2, b1, b2;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_row rows[2];
	double m1, m2, x1, x2, now = H0 + R_HOURS * HOUR + 1500;
	int k, h, nsamples = R_HOURS * R_PER_HOUR + 2;
	char sql[256];

	/* three whole hours, and two samples in the current one */
	for (k = 0; k < nsamples; k++) {
		int n = r_rows(k, rows);

		put_sample(st, id, r_ts(k), rows, n);
	}
	r_totals(st, id, &b1, &x1, &b2, &x2);
	r_expect(1, 0, 1e12, nsamples, &e1, &m1);
	assert_int_equal(b1, e1);
	assert_true(fabs(x1 - m1) < 1e-6);

	/* roll up, keeping every raw row */
	assert_int_equal(store_maintain(st, id, now, 1e7, 1e8, &err), 0);
	assert_int_equal(q_int(f->path, "SELECT count(DISTINCT hour) FROM stmt_hourly"), R_HOURS);
	for (h = 0; h < R_HOURS; h++) {
		double lo = H0 + h * HOUR, hi = lo + HOUR;
		long long hour = (long long)(lo / HOUR);

		r_expect(1, lo, hi, nsamples, &e1, &m1);
		r_expect(2, lo, hi, nsamples, &e2, &m2);
		snprintf(sql, sizeof sql,
			 "SELECT calls FROM stmt_hourly WHERE queryid = 1 AND hour = %lld", hour);
		assert_int_equal(q_int(f->path, sql), e1);
		snprintf(sql, sizeof sql,
			 "SELECT total_ms FROM stmt_hourly WHERE queryid = 1 AND hour = %lld", hour);
		assert_true(fabs(q_dbl(f->path, sql) - m1) < 1e-6);
		snprintf(sql, sizeof sql,
			 "SELECT calls FROM stmt_hourly WHERE queryid = 2 AND hour = %lld", hour);
		assert_int_equal(q_int(f->path, sql), e2);
		snprintf(sql, sizeof sql,
			 "SELECT samples FROM stmt_hourly WHERE queryid = 1 AND hour = %lld", hour);
		assert_int_equal(q_int(f->path, sql), R_PER_HOUR);
	}
	/* the current hour is not complete: not rolled up */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM stmt_hourly WHERE hour = %lld",
		 (long long)(H0 / HOUR) + R_HOURS);
	assert_int_equal(q_int(f->path, sql), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM samples"), nsamples);

	/* every interval counted once: hourly for rolled-up hours, raw for the rest */
	r_totals(st, id, &c1, &m1, &c2, &m2);
	assert_int_equal(c1, b1);
	assert_int_equal(c2, b2);
	assert_true(fabs(m1 - x1) < 1e-6);
	assert_true(fabs(m2 - x2) < 1e-6);

	/* again: nothing doubled */
	assert_int_equal(store_maintain(st, id, now, 1e7, 1e8, &err), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_hourly"), R_HOURS * 2);
	assert_int_equal(q_int(f->path, "SELECT sum(calls) FROM stmt_hourly WHERE queryid = 1"),
			 b1 - (R_HOURS * R_PER_HOUR + 1) - (R_HOURS * R_PER_HOUR + 2));

	/* raw rows older than a minute go, but only those of rolled-up hours */
	assert_int_equal(store_maintain(st, id, now, 60, 1e8, &err), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM samples"), 2);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM samples WHERE ts < %.0f",
		 H0 + R_HOURS * HOUR);
	assert_int_equal(q_int(f->path, sql), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_deltas"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_hourly"), R_HOURS * 2);
	r_totals(st, id, &c1, &m1, &c2, &m2);
	assert_int_equal(c1, b1);
	assert_int_equal(c2, b2);
	assert_true(fabs(m1 - x1) < 1e-6);
	assert_true(fabs(m2 - x2) < 1e-6);

	/* hourly rows older than keep_hourly go */
	assert_int_equal(store_maintain(st, id, now, 60, 1.5 * HOUR, &err), 0);
	snprintf(sql, sizeof sql, "SELECT min(hour) FROM stmt_hourly");
	assert_int_equal(q_int(f->path, sql), (long long)(H0 / HOUR) + 1);
	r_totals(st, id, &c1, &m1, &c2, &m2);
	r_expect(1, H0, H0 + HOUR, nsamples, &e1, &m2);
	assert_int_equal(c1, b1 - e1);
	store_close(st);
}

/* Samples written after their hour was rolled up (the server's clock a little behind ours). */
static void
store_maintain_late_sample_counted(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0, c1, c2;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_row rows[] = {mkrow(1, 10, 10.0)};
	double m1, m2;

	put_sample(st, id, H0 + 100, rows, 1);
	put_sample(st, id, H0 + HOUR - 200, rows, 1);
	/* our clock has passed the hour; the server's has not quite */
	assert_int_equal(store_maintain(st, id, H0 + HOUR + 2, 1e7, 1e8, &err), 0);
	put_sample(st, id, H0 + HOUR - 1, rows, 1);
	put_sample(st, id, H0 + HOUR + 60, rows, 1);
	assert_int_equal(store_maintain(st, id, H0 + 2 * HOUR + 2, 1e7, 1e8, &err), 0);
	r_totals(st, id, &c1, &m1, &c2, &m2);
	store_close(st);
	assert_int_equal(c1, 40);
}

/* ---- series for the analyses ---- */

/* 2023-11-15T00:00:00Z: a UTC midnight, day 19676 */
#define S0 1700006400.0
/* hours of samples, from 5 hours before S0: two whole days and the edges */
#define S_HOURS 58

/* Calls and time of hour h (from S0 - 5 h): queryid 1 every hour, queryid 2 even hours. */
static int
s_rows(int h, struct stmt_row *rows)
{
	int n = 0;

	rows[n++] = mkrow(1, 10 + h, 1.234 * (h + 1));
	if (h % 2 == 0)
		rows[n++] = mkrow(2, 3, 1000.001 + h);
	return n;
}

static void
s_fill(struct store *st, int64_t id)
{
	struct pgt_err err = {{0}};
	struct stmt_row rows[2];
	int h;

	for (h = 0; h < S_HOURS; h++)
		put_sample(st, id, S0 + (h - 5) * HOUR + 1800, rows, s_rows(h, rows));
	assert_int_equal(store_maintain(st, id, S0 + (S_HOURS - 5) * HOUR + 60, 1e7, 1e8, &err), 0);
}

/* The series of hours [first, last] (from S0 - 5 h) holds what was sampled. */
static void
s_check(const struct stmt_series *ser, int first, int last, int only2)
{
	int h, k1 = -1, k2 = -1, k;

	assert_int_equal(ser->n_hours, last - first + 1);
	assert_int_equal(ser->n_stmts, only2 ? 1 : 2);
	for (k = 0; k < ser->n_stmts; k++) {
		if (ser->queryid[k] == 1)
			k1 = k;
		if (ser->queryid[k] == 2)
			k2 = k;
	}
	assert_true(k2 >= 0);
	assert_true(only2 || k1 >= 0);
	for (h = first; h <= last; h++) {
		struct stmt_row rows[2];
		size_t i = (size_t)(h - first);
		int n = s_rows(h, rows);

		assert_int_equal(ser->sampled[i], 1);
		if (k1 >= 0) {
			assert_true(ser->calls[(size_t)k1 * (size_t)ser->n_hours + i] ==
				    (double)rows[0].calls);
			assert_true(fabs(ser->total_ms[(size_t)k1 * (size_t)ser->n_hours + i] -
					 rows[0].total_exec_ms) < 1e-9);
		}
		assert_true(ser->calls[(size_t)k2 * (size_t)ser->n_hours + i] ==
			    (n > 1 ? 3.0 : 0.0));
		assert_true(fabs(ser->total_ms[(size_t)k2 * (size_t)ser->n_hours + i] -
				 (n > 1 ? rows[1].total_exec_ms : 0.0)) < 1e-9);
	}
}

/*
 * Calls and time per hour come back the same from the daily rows' text (schema 5), from
 * the hourly rows alone (days rolled up before it), and for one query id.
 */
static void
store_stmt_series_calls_and_time(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_series ser;
	long long hs = (long long)(S0 / HOUR) - 5;
	char buf[256];

	s_fill(st, id);
	/* the partial first day, and two whole ones, of both statements */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_days WHERE total_us_by_hour"
					" IS NOT NULL"),
			 6);
	assert_string_equal(q_text(f->path, "SELECT total_us_by_hour FROM stmt_days k"
					    " JOIN stmt_keys USING (server_id) WHERE stmt_keys.id ="
					    " k.stmt AND queryid = 2 AND day = 19676",
				   buf, sizeof buf),
			    "1:1006001,3:1008001,5:1010001,7:1012001,9:1014001,11:1016001,"
			    "13:1018001,15:1020001,17:1022001,19:1024001,21:1026001,23:1028001");
	/* the whole days and an edge of 3 hours on each side */
	assert_int_equal(store_stmt_series(st, id, hs + 2, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check(&ser, 2, 5 + 48 + 2, 0);
	store_stmt_series_free(&ser);
	assert_int_equal(store_stmt_series_of(st, id, 2, hs + 2, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check(&ser, 2, 5 + 48 + 2, 1);
	store_stmt_series_free(&ser);
	assert_int_equal(store_stmt_series_of(st, id, 3, hs, hs + 10, &ser, &err), 0);
	assert_int_equal(ser.n_stmts, 0);
	store_stmt_series_free(&ser);

	/* days rolled up before schema 5: their hours from the hourly rows */
	db_exec(f->path, "UPDATE stmt_days SET total_us_by_hour = NULL WHERE day = 19676");
	assert_int_equal(store_stmt_series(st, id, hs + 2, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check(&ser, 2, 5 + 48 + 2, 0);
	store_stmt_series_free(&ser);
	db_exec(f->path, "UPDATE stmt_days SET calls_by_hour = NULL");
	assert_int_equal(store_stmt_series_of(st, id, 2, hs, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check(&ser, 0, 5 + 48 + 2, 1);
	store_stmt_series_free(&ser);
	store_close(st);
}

/* The sum of one hour's rows (from S0 - 5 h), of both statements or of query id 2. */
static void
s_sum(int h, int only2, double *calls, double *ms)
{
	struct stmt_row rows[2];
	int n = s_rows(h, rows), i;

	*calls = *ms = 0;
	for (i = only2 ? 1 : 0; i < n; i++) {
		*calls += (double)rows[i].calls;
		*ms += rows[i].total_exec_ms;
	}
}

static void
s_check_sums(const struct stmt_series *ser, int first, int last, int only2)
{
	int h;

	assert_int_equal(ser->n_hours, last - first + 1);
	assert_int_equal(ser->n_stmts, 1);
	assert_true(ser->queryid[0] == (only2 ? 2 : 0));
	for (h = first; h <= last; h++) {
		size_t i = (size_t)(h - first);
		double c, ms;

		s_sum(h, only2, &c, &ms);
		assert_int_equal(ser->sampled[i], 1);
		assert_true(ser->calls[i] == c);
		assert_true(fabs(ser->total_ms[i] - ms) < 1e-6);
	}
}

/*
 * The hours summed into one row: over every statement of the server, or over one query
 * id's rows; from the daily rows' text and from the hourly rows alone; none for a query
 * id that never ran.
 */
static void
store_hour_sums_adds_statements(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_series ser;
	long long hs = (long long)(S0 / HOUR) - 5;

	s_fill(st, id);
	assert_int_equal(store_hour_sums(st, id, 0, 0, hs + 2, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check_sums(&ser, 2, 5 + 48 + 2, 0);
	store_stmt_series_free(&ser);
	assert_int_equal(store_hour_sums(st, id, 1, 2, hs + 2, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check_sums(&ser, 2, 5 + 48 + 2, 1);
	store_stmt_series_free(&ser);
	assert_int_equal(store_hour_sums(st, id, 1, 3, hs, hs + 10, &ser, &err), 0);
	assert_int_equal(ser.n_stmts, 0);
	assert_true(ser.calls[0] == 0);
	store_stmt_series_free(&ser);
	db_exec(f->path, "UPDATE stmt_days SET calls_by_hour = NULL");
	assert_int_equal(store_hour_sums(st, id, 0, 0, hs, hs + 5 + 48 + 2, &ser, &err), 0);
	s_check_sums(&ser, 0, 5 + 48 + 2, 0);
	store_stmt_series_free(&ser);
	store_close(st);
}

/*
 * A version 4 file is migrated when opened: its daily rows keep their calls and have no
 * time by hour, so their hours' times come from the hourly rows; days rolled up later
 * have it.
 */
static void
store_open_migrates_v4_days(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st;
	struct stmt_series ser;
	struct stmt_row rows[2];
	long long day = (long long)(S0 / 86400), h;
	char *sql;
	int i;

	sql = xasprintf("PRAGMA application_id = %d; %s %s %s %s PRAGMA user_version = 4;",
			STORE_APPLICATION_ID, store_schema_step(0), store_schema_step(1),
			store_schema_step(2), store_schema_step(3));
	db_exec(f->path, sql);
	free(sql);
	sql = xasprintf("INSERT INTO servers VALUES (1, 'k:1', NULL, 'h', '5432', '16', 160000,"
			" 0, 0);"
			" INSERT INTO stmt_keys VALUES (1, 1, 5, 10, 77, 1);"
			" INSERT INTO stmt_hours (server_id, hour, stmt, samples, calls, total_us,"
			"  rows) VALUES (1, %lld, 1, 1, 4, 2500, 4), (1, %lld, 1, 1, 6, 1500, 6);"
			" INSERT INTO stmt_days (server_id, day, stmt, hours, samples, calls,"
			"  total_us, rows, calls_by_hour) VALUES (1, %lld, 1, 2, 2, 10, 4000, 10,"
			"  '3:4,20:6');"
			" INSERT INTO rollup_state VALUES (1, %lld, %lld);",
			day * 24 + 3, day * 24 + 20, day, day * 24 + 23, day);
	db_exec(f->path, sql);
	free(sql);
	st = store_open(f->path, 0, &err);
	if (st == NULL)
		print_error("store_open: %s\n", err.msg);
	assert_non_null(st);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(q_null(f->path, "SELECT total_us_by_hour FROM stmt_days"), 1);
	assert_int_equal(store_stmt_series(st, 1, day * 24, day * 24 + 23, &ser, &err), 0);
	assert_int_equal(ser.n_stmts, 1);
	assert_int_equal(ser.queryid[0], 77);
	assert_true(ser.calls[3] == 4 && ser.calls[20] == 6 && ser.calls[4] == 0);
	assert_true(fabs(ser.total_ms[3] - 2.5) < 1e-9 && fabs(ser.total_ms[20] - 1.5) < 1e-9);
	assert_int_equal(ser.sampled[3] + ser.sampled[20], 2);
	assert_int_equal(ser.sampled[4], 0);
	store_stmt_series_free(&ser);

	/* the next day, sampled and rolled up by this version, keeps its times by hour */
	{
		struct server_info srv;
		int64_t id = 0;
		long holder = 0;
		double t0 = (double)(day + 1) * 86400;

		mkserver(&srv, "k:1", "16");
		assert_int_equal(store_server(st, &srv, t0, &id, &err), 0);
		assert_int_equal(id, 1);
		assert_int_equal(store_lease(st, id, t0, 60, &holder, &err), 1);
		for (i = 0; i <= 24; i++) {
			rows[0] = mkrow(77, 2, 0.5 * (i + 1));
			put_sample(st, id, t0 + i * HOUR + 1800, rows, 1);
		}
		assert_int_equal(store_maintain(st, id, t0 + 24 * HOUR + 1900, 1e7, 1e8, &err), 0);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stmt_days WHERE total_us_by_hour"
					" IS NOT NULL"),
			 1);
	assert_int_equal(store_stmt_series(st, 1, day * 24, day * 24 + 47, &ser, &err), 0);
	assert_true(fabs(ser.total_ms[3] - 2.5) < 1e-9);
	for (h = 24; h < 48; h++) {
		assert_true(ser.calls[h] == 2);
		assert_true(fabs(ser.total_ms[h] - 0.5 * (double)(h - 23)) < 1e-9);
	}
	store_stmt_series_free(&ser);
	store_close(st);
}

/* ---- reading ---- */

static void
store_statements_sorted_with_texts(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	int64_t id = 0;
	struct store *st = open_with_lease(f->path, "k:1", &id);
	struct stmt_row rows[] = {mkrow(7, 1, 5.0), mkrow(8, 2, 50.0), mkrow(9, 3, 20.0)};
	struct stmt_row more[] = {mkrow(7, 1, 10.0), mkrow(8, 1, 1.0)};
	struct snapshot s;
	struct delta_set d;
	struct stmt_total *t = NULL;
	int n = 0;

	rows[0].toplevel = 0;
	more[0].toplevel = 0;
	snap_mk(&s, H0 + 60);
	snap_add_text(&s, 8, "SELECT eight");
	snap_add_text(&s, 7, "SELECT seven");
	delta_mk(&d, H0 + 60, 60, 0, rows, 3);
	assert_int_equal(store_sample(st, id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
	put_sample(st, id, H0 + 120, more, 2);

	assert_int_equal(store_statements(st, id, H0, H0 + 600, &t, &n, &err), 0);
	assert_int_equal(n, 3);
	if (n == 3) {
		assert_int_equal(t[0].queryid, 8);
		assert_int_equal(t[0].calls, 3);
		assert_true(t[0].total_ms == 51.0);
		assert_true(t[0].max_ms == 50.0);
		assert_int_equal(t[0].rows, 6);
		assert_int_equal(t[0].shared_blks_hit, 300);
		assert_int_equal(t[0].temp_blks_written, 9);
		assert_non_null(t[0].query);
		assert_string_equal(t[0].query, "SELECT eight");
		assert_int_equal(t[1].queryid, 9);
		assert_null(t[1].query);
		assert_int_equal(t[2].queryid, 7);
		assert_int_equal(t[2].toplevel, 0);
		assert_true(t[2].total_ms == 15.0);
		assert_string_equal(t[2].query, "SELECT seven");
	}
	store_statements_free(t, n);

	/* a window that holds only the second sample */
	assert_int_equal(store_statements(st, id, H0 + 90, H0 + 600, &t, &n, &err), 0);
	assert_int_equal(n, 2);
	if (n == 2) {
		assert_int_equal(t[0].queryid, 7);
		assert_int_equal(t[0].calls, 1);
	}
	store_statements_free(t, n);
	/* another server has nothing */
	assert_int_equal(store_statements(st, id + 1, H0, H0 + 600, &t, &n, &err), 0);
	assert_int_equal(n, 0);
	store_statements_free(t, n);
	store_close(st);
}

static void
store_latest_server_and_span(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct store *st = store_open(f->path, 0, &err);
	struct server_info a, b;
	struct server_rec rec;
	int64_t ida = 0, idb = 0;
	long holder = 0;
	int n = 0;
	double first = 0, last = 0;

	assert_non_null(st);
	assert_int_equal(store_latest_server(st, &rec, &err), 0);
	mkserver(&a, "7300000000000000001:5432", "16.4");
	mkserver(&b, "7300000000000000009:5433", "17.0");
	snprintf(b.host, sizeof b.host, "%s", "db.example");
	assert_int_equal(store_server(st, &a, H0, &ida, &err), 0);
	assert_int_equal(store_server(st, &b, H0 + 10, &idb, &err), 0);
	assert_int_equal(store_latest_server(st, &rec, &err), 1);
	assert_int_equal(rec.id, idb);
	assert_string_equal(rec.key, "7300000000000000009:5433");
	assert_string_equal(rec.host, "db.example");
	assert_string_equal(rec.port, "5432");
	assert_string_equal(rec.version, "17.0");

	/* a sample of a makes it the most recently seen */
	assert_int_equal(store_lease(st, ida, H0, 60, &holder, &err), 1);
	put_sample(st, ida, H0 + 500, NULL, 0);
	put_sample(st, ida, H0 + 560, NULL, 0);
	put_sample(st, ida, H0 + 620, NULL, 0);
	assert_int_equal(store_latest_server(st, &rec, &err), 1);
	assert_int_equal(rec.id, ida);
	assert_true(rec.last_seen == H0 + 620);
	assert_true(rec.first_seen == H0);

	assert_int_equal(store_sample_span(st, ida, H0, H0 + 600, &n, &first, &last, &err), 0);
	assert_int_equal(n, 2);
	assert_true(first == H0 + 500);
	assert_true(last == H0 + 560);
	assert_int_equal(store_sample_span(st, idb, H0, H0 + 600, &n, &first, &last, &err), 0);
	assert_int_equal(n, 0);
	store_close(st);

	/* read-only access sees the same */
	st = store_open(f->path, STORE_READONLY, &err);
	assert_non_null(st);
	assert_int_equal(store_latest_server(st, &rec, &err), 1);
	assert_int_equal(rec.id, ida);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_open_creates_private_file, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_non_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_other_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_migrates_v1_hourly, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_readonly_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_accepts_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_readonly_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_readonly_no_write_permission, setup,
						teardown),
		cmocka_unit_test_setup_teardown(store_open_readonly_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_refuses_damaged_file, setup, teardown),
		cmocka_unit_test_setup_teardown(store_server_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(store_lease_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(store_lease_release_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(store_sample_writes_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(store_sessions_kept_when_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(store_sample_unknown_columns_null, setup, teardown),
		cmocka_unit_test_setup_teardown(store_settings_only_when_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(store_v8_role_settings_wal_vacuum, setup, teardown),
		cmocka_unit_test_setup_teardown(store_sample_events, setup, teardown),
		cmocka_unit_test_setup_teardown(store_sample_needs_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(store_texts_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(store_maintain_rollup, setup, teardown),
		cmocka_unit_test_setup_teardown(store_maintain_late_sample_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(store_hour_sums_adds_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(store_stmt_series_calls_and_time, setup, teardown),
		cmocka_unit_test_setup_teardown(store_open_migrates_v4_days, setup, teardown),
		cmocka_unit_test_setup_teardown(store_statements_sorted_with_texts, setup, teardown),
		cmocka_unit_test_setup_teardown(store_latest_server_and_span, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
