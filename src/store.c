#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "paths.h"
#include "store-schema.h"

enum {
	Q_SAMPLE,
	Q_STMT,
	Q_TEXT,
	Q_ACTIVITY,
	Q_DB,
	Q_CKPT,
	Q_SETTING,
	Q_EVENT,
	Q_RENEW,
	Q_SEEN,
	Q_GET_TEXT,
	Q_NAME,
	Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
	[Q_SAMPLE] = "INSERT INTO samples (server_id, ts, interval_s, flags, have, n_statements,"
		     " n_hidden, dealloc, entry_resets, sess_active, sess_idle, sess_idle_in_xact,"
		     " sess_waiting, sess_total) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[Q_STMT] = "INSERT INTO stmt_deltas (sample_id, dbid, userid, queryid, toplevel, calls,"
		   " total_ms, rows, plans, plan_ms, min_ms, max_ms, stddev_ms, shared_blks_hit,"
		   " shared_blks_read, shared_blks_dirtied, shared_blks_written, local_blks_hit,"
		   " local_blks_read, temp_blks_read, temp_blks_written, blk_read_ms,"
		   " blk_write_ms, wal_records, wal_fpi, wal_bytes)"
		   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[Q_TEXT] = "INSERT OR IGNORE INTO queries (server_id, queryid, query, first_seen)"
		   " VALUES (?,?,?,?)",
	[Q_ACTIVITY] = "INSERT INTO activity (sample_id, pid, datname, usename, application_name,"
		       " client_addr, backend_type, state, wait_event_type, wait_event,"
		       " backend_start, xact_start, query_start, state_change, query_id, query)"
		       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[Q_DB] = "INSERT INTO database_deltas (sample_id, datid, datname, numbackends,"
		 " xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched,"
		 " tup_inserted, tup_updated, tup_deleted, temp_files, temp_bytes, deadlocks,"
		 " blk_read_ms, blk_write_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[Q_CKPT] = "INSERT INTO checkpoint_deltas (sample_id, timed, requested, buffers_written,"
		   " write_ms, sync_ms) VALUES (?,?,?,?,?,?)",
	[Q_SETTING] = "INSERT OR REPLACE INTO settings (server_id, name, ts, setting, unit, source,"
		      " pending_restart) VALUES (?,?,?,?,?,?,?)",
	[Q_EVENT] = "INSERT INTO events (server_id, ts, kind, detail) VALUES (?,?,?,?)",
	[Q_RENEW] = "UPDATE leases SET ts = ? WHERE server_id = ? AND pid = ? AND host = ?",
	[Q_SEEN] = "UPDATE servers SET last_seen = ? WHERE id = ?",
	[Q_GET_TEXT] = "SELECT query FROM queries WHERE server_id = ? AND queryid = ?",
	[Q_NAME] = "INSERT INTO names (server_id, kind, oid, name) VALUES (?,?,?,?)"
		   " ON CONFLICT DO UPDATE SET name = excluded.name WHERE name <> excluded.name",
};

struct setting_seen {
	char *name;
	char *value; /* setting, source and pending_restart, joined */
};

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	sqlite3_stmt *q[Q_COUNT];
	double fake_now; /* store_fake_clock: the time of the lease, 0: the wall clock */
	char hostname[256];

	int64_t settings_server; /* whose settings are in 'seen' (0: none loaded) */
	struct setting_seen *seen;
	int n_seen;

	/*
	 * The sessions stored with the last sample of sess_server (a hash of each row): a
	 * session that has not changed since is not stored again (its query and state are
	 * the same; only the sample it was seen in would be new).
	 */
	int64_t sess_server;
	uint64_t *sess;
	int n_sess;
	uint64_t *sess_next;
	int n_sess_next;
};

/* ---- errors ---- */

static void
db_error(struct store *st, struct pgt_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;
	const char *msg = sqlite3_errmsg(st->db);

	switch (code) {
	case SQLITE_FULL:
		pgt_err_set(err, "cannot %s: the disk is full (%s): free some space", what,
			    st->path);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		pgt_err_set(err, "cannot %s: the history file %s is locked by another process",
			    what, st->path);
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		pgt_err_set(err, "cannot %s: %s is read-only (%s)", what, st->path, msg);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		pgt_err_set(err,
			    "cannot %s: %s is damaged (%s): move it aside and start a new "
			    "history",
			    what, st->path, msg);
		break;
	default:
		pgt_err_set(err, "cannot %s in %s: %s", what, st->path, msg);
		break;
	}
}

static int
exec(struct store *st, const char *sql, struct pgt_err *err, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, err, what);
		return -1;
	}
	return 0;
}

static void
rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * A cached statement, reset. Bindings are cleared too, unless the caller binds every
 * parameter itself (keep = 1: the statement insert, run for every row of a sample).
 */
static sqlite3_stmt *
prep_keep(struct store *st, int which, int keep, struct pgt_err *err)
{
	if (st->q[which] == NULL &&
	    sqlite3_prepare_v3(st->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
			       &st->q[which], NULL) != SQLITE_OK) {
		db_error(st, err, "prepare a statement");
		return NULL;
	}
	sqlite3_reset(st->q[which]);
	if (!keep)
		sqlite3_clear_bindings(st->q[which]);
	return st->q[which];
}

static sqlite3_stmt *
prep(struct store *st, int which, struct pgt_err *err)
{
	return prep_keep(st, which, 0, err);
}

/* Step a bound statement that returns no rows. */
static int
run(struct store *st, sqlite3_stmt *s, struct pgt_err *err, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, what);
		return -1;
	}
	return 0;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* A time of 0 means "not known". */
static void
bind_time(sqlite3_stmt *s, int i, double t)
{
	if (t > 0)
		sqlite3_bind_double(s, i, t);
	else
		sqlite3_bind_null(s, i);
}

/* A number that is not known (NAN) is NULL. */
static void
bind_number(sqlite3_stmt *s, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

/* NULL is a number that is not known: NAN. */
static double
col_number(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* ---- opening ---- */

static int
create_file(const char *path, struct pgt_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		pgt_err_set(err, "cannot create the history file %s: %s: name another file with -H",
			    path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) < 0) {
		pgt_err_set(err, "cannot set the mode of %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
query_int(struct store *st, const char *sql, long long *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
check_and_migrate(struct store *st, struct pgt_err *err)
{
	long long app = 0, version = 0, tables = 0;
	sqlite3_stmt *s;
	int from;

	if (query_int(st, "PRAGMA application_id", &app) < 0 ||
	    query_int(st, "PRAGMA user_version", &version) < 0 ||
	    query_int(st, "SELECT count(*) FROM sqlite_schema", &tables) < 0) {
		int code = sqlite3_extended_errcode(st->db) & 0xff;

		if (code == SQLITE_NOTADB)
			pgt_err_set(err,
				    "%s is not a pgmltop history file (not an SQLite database): "
				    "move it aside or choose another file with -H",
				    st->path);
		else
			db_error(st, err, "read the history file");
		return -1;
	}
	if (tables > 0 && app != STORE_APPLICATION_ID) {
		pgt_err_set(err,
			    "%s is an SQLite database but not a pgmltop history file: choose "
			    "another file with -H",
			    st->path);
		return -1;
	}
	if (version > store_schema_count()) {
		pgt_err_set(err,
			    "%s has history schema version %lld, newer than this pgmltop knows "
			    "(%d): use a newer pgmltop",
			    st->path, version, store_schema_count());
		return -1;
	}
	/* quick_check reads every page: damage is found here, not in the middle of work */
	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(s);
		const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;

		if (rc != SQLITE_ROW || res == NULL || strcmp(res, "ok") != 0) {
			/* the start of what SQLite found, on one line: the advice must fit */
			char found[160];
			size_t i;

			if (res == NULL)
				res = sqlite3_errmsg(st->db);
			snprintf(found, sizeof found, "%s", res);
			if (strlen(res) >= sizeof found)
				memcpy(found + sizeof found - 4, "...", 4);
			for (i = 0; found[i]; i++)
				if (found[i] == '\n' || found[i] == '\r')
					found[i] = ' ';
			pgt_err_set(err,
				    "%s is damaged (integrity check: %s): move it aside and start "
				    "a new history",
				    st->path, found);
			sqlite3_finalize(s);
			return -1;
		}
		sqlite3_finalize(s);
	}
	if (version == store_schema_count())
		return 0;
	if (st->readonly && version == 0 && tables == 0) {
		pgt_err_set(err,
			    "%s is empty: it holds no history yet: collect some first (pgmltop "
			    "--collect -H %s) or name another file with -H",
			    st->path, st->path);
		return -1;
	}
	if (st->readonly) {
		pgt_err_set(err,
			    "%s has history schema version %lld; open it once without --offline "
			    "or --report to upgrade it to %d",
			    st->path, version, store_schema_count());
		return -1;
	}
	if (exec(st, "BEGIN IMMEDIATE", err, "upgrade the history schema") < 0)
		return -1;
	/* read again under the lock: another process may have just done it */
	if (query_int(st, "PRAGMA user_version", &version) < 0) {
		db_error(st, err, "read the history schema version");
		rollback(st);
		return -1;
	}
	for (from = (int)version; from < store_schema_count(); from++) {
		char pragma[96];

		if (exec(st, store_schema_step(from), err, "upgrade the history schema") < 0) {
			rollback(st);
			return -1;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d; PRAGMA application_id = %d",
			 from + 1, STORE_APPLICATION_ID);
		if (exec(st, pragma, err, "upgrade the history schema") < 0) {
			rollback(st);
			return -1;
		}
	}
	return exec(st, "COMMIT", err, "upgrade the history schema");
}

/* The directory that holds path ("." for a bare file name; caller frees). */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Does path-SUFFIX exist with something in it? */
static int
aux_file_used(const char *path, const char *suffix)
{
	char *aux = xasprintf("%s%s", path, suffix);
	struct stat sb;
	int used = stat(aux, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size > 0);

	free(aux);
	return used;
}

/*
 * Why the history file cannot be written: the file, its directory (where SQLite makes
 * the -wal and -shm files), or a -wal or -shm file left there. 1 with the reason in err,
 * 0 when none is found.
 */
static int
why_unwritable(const char *path, struct pgt_err *err)
{
	static const char *const suffix[] = {"-wal", "-shm"};
	char *dir;
	size_t i;

	if (access(path, W_OK) < 0) {
		pgt_err_set(err,
			    "cannot write the history file %s: %s: make it writable or name another "
			    "file with -H",
			    path, strerror(errno));
		return 1;
	}
	dir = dir_of(path);
	if (access(dir, W_OK) < 0) {
		pgt_err_set(err,
			    "cannot write the history file %s: its directory %s is not writable (%s) "
			    "and SQLite keeps its -wal and -shm files there: make the directory "
			    "writable or name another file with -H",
			    path, dir, strerror(errno));
		free(dir);
		return 1;
	}
	free(dir);
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		char *aux = xasprintf("%s%s", path, suffix[i]);
		int bad = access(aux, F_OK) == 0 && access(aux, W_OK) < 0;

		if (bad)
			pgt_err_set(err,
				    "cannot write the history file %s: %s is not writable (%s): make "
				    "it writable, as the history file is",
				    path, aux, strerror(errno));
		free(aux);
		if (bad)
			return 1;
	}
	return 0;
}

/* sqlite3_open_v2 of path; with immutable, a read-only URI that takes no locks. */
static int
open_db(struct store *st, const char *path, int immutable, struct pgt_err *err)
{
	/* one thread per connection: no need for SQLite's per-call locking */
	int oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	struct strbuf uri = {0};
	const char *name = path;
	int rc;

	if (immutable) {
		const char *p;

		/* file:PATH?immutable=1, PATH percent-encoded but for its plain characters;
		 * an absolute path after an empty authority ("file://" + "/...") */
		sb_add(&uri, path[0] == '/' ? "file://" : "file:");
		for (p = path; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("/._-~", c) != NULL)
				sb_addc(&uri, (char)c);
			else
				sb_addf(&uri, "%%%02X", c);
		}
		sb_add(&uri, "?mode=ro&immutable=1");
		name = sb_str(&uri);
		oflags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	} else {
		oflags |= st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	}
	rc = sqlite3_open_v2(name, &st->db, oflags, NULL);
	sb_release(&uri);
	if (rc != SQLITE_OK) {
		pgt_err_set(err, "cannot open the history file %s: %s", path,
			    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 10000);
	return 0;
}

static void
close_db(struct store *st)
{
	sqlite3_close(st->db);
	st->db = NULL;
}

struct store *
store_open(const char *path, int flags, struct pgt_err *err)
{
	struct store *st;
	struct stat sb;
	int immutable = 0;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			pgt_err_set(err, "%s is a directory, not a history file: give a file name "
					 "with -H",
				    path);
			return NULL;
		}
		if (!S_ISREG(sb.st_mode)) {
			pgt_err_set(err, "%s is not a regular file: give a history file with -H",
				    path);
			return NULL;
		}
		if ((flags & STORE_READONLY) && sb.st_size == 0) {
			pgt_err_set(err,
				    "%s is empty: it holds no history yet: collect some first "
				    "(pgmltop --collect -H %s) or name another file with -H",
				    path, path);
			return NULL;
		}
	} else if (errno != ENOENT) {
		pgt_err_set(err, "cannot use the history file %s: %s", path, strerror(errno));
		return NULL;
	} else if (flags & STORE_READONLY) {
		pgt_err_set(err,
			    "there is no history file %s: collect some first (pgmltop --collect) "
			    "or name one with -H",
			    path);
		return NULL;
	} else {
		if (paths_make_parent(path, err) < 0 || create_file(path, err) < 0)
			return NULL;
	}

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->readonly = (flags & STORE_READONLY) != 0;
	if (gethostname(st->hostname, sizeof st->hostname - 1) < 0)
		strlcpy_(st->hostname, "localhost", sizeof st->hostname);
	/*
	 * A file nobody may write (no write permission at all), with no -wal file beside
	 * it, does not change while it is read: it is read as immutable, which needs no
	 * -shm file and leaves none behind (one made by a reader would have the file's
	 * read-only mode, and stop the writer once the file is made writable again).
	 */
	if (st->readonly && (sb.st_mode & 0222) == 0 && !aux_file_used(path, "-wal"))
		immutable = 1;
	if (open_db(st, path, immutable, err) < 0) {
		if (access(path, R_OK) < 0)
			pgt_err_set(err,
				    "cannot read the history file %s: %s: make it readable or name "
				    "another file with -H",
				    path, strerror(errno));
		store_close(st);
		return NULL;
	}
	/* SQLite opens a file it may not write for reading only: say so before any read */
	if (!st->readonly && sqlite3_db_readonly(st->db, "main") == 1) {
		if (!why_unwritable(path, err))
			pgt_err_set(err,
				    "cannot write the history file %s: SQLite opened it read-only: "
				    "make it writable or name another file with -H",
				    path);
		store_close(st);
		return NULL;
	}
	if (check_and_migrate(st, err) < 0) {
		int code = sqlite3_extended_errcode(st->db) & 0xff;
		int cannot = code == SQLITE_CANTOPEN || code == SQLITE_READONLY;

		if (cannot && st->readonly && !immutable && !aux_file_used(path, "-wal")) {
			/*
			 * Reading a file in WAL mode needs its -shm file, which cannot be made
			 * (a read-only directory or file system). With no -wal file, or an
			 * empty one, everything is in the file itself, which no process can be
			 * writing (it would have made a -wal file): read it as immutable.
			 */
			close_db(st);
			if (open_db(st, path, 1, err) < 0 || check_and_migrate(st, err) < 0) {
				store_close(st);
				return NULL;
			}
		} else {
			char *dir = dir_of(path);

			if (cannot && st->readonly && access(dir, W_OK) < 0)
				pgt_err_set(err,
					    "cannot read the history file %s: its directory is not "
					    "writable (%s), and %s-wal holds changes not yet in the "
					    "file, which SQLite reads only with a -shm file made "
					    "there: make the directory writable, or copy the history "
					    "with its -wal file elsewhere",
					    path, strerror(errno), path);
			else if ((cannot || code == SQLITE_PERM || code == SQLITE_IOERR) &&
				 !st->readonly)
				(void)why_unwritable(path, err);
			free(dir);
			store_close(st);
			return NULL;
		}
	}
	if (!st->readonly &&
	    (exec(st, "PRAGMA journal_mode = WAL", err, "switch to WAL mode") < 0 ||
	     exec(st, "PRAGMA synchronous = NORMAL", err, "set synchronous") < 0)) {
		(void)why_unwritable(path, err);
		store_close(st);
		return NULL;
	}
	return st;
}

static void
seen_clear(struct store *st)
{
	int i;

	for (i = 0; i < st->n_seen; i++) {
		free(st->seen[i].name);
		free(st->seen[i].value);
	}
	free(st->seen);
	st->seen = NULL;
	st->n_seen = 0;
	st->settings_server = 0;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->q[i]);
	seen_clear(st);
	free(st->sess);
	free(st->sess_next);
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
}

void
store_cache_kib(struct store *st, int kib)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", kib > 0 ? kib : 1);
	(void)sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

void
store_fake_clock(struct store *st, double t)
{
	if (st->fake_now == 0)
		(void)sqlite3_exec(st->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
	st->fake_now = t;
}

void
store_interrupt(struct store *st)
{
	if (st != NULL && st->db != NULL)
		sqlite3_interrupt(st->db);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

/* ---- servers and leases ---- */

int
store_server(struct store *st, const struct server_info *srv, double now, int64_t *server_id,
	     struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO servers (key, sysid, host, port, version, version_num,"
			       " first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?)"
			       " ON CONFLICT (key) DO UPDATE SET host = excluded.host,"
			       " version = excluded.version, version_num = excluded.version_num,"
			       " last_seen = excluded.last_seen RETURNING id",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "record the server");
		return -1;
	}
	bind_text(s, 1, srv->key);
	bind_text(s, 2, srv->sysid[0] ? srv->sysid : NULL);
	bind_text(s, 3, srv->host);
	bind_text(s, 4, srv->port);
	bind_text(s, 5, srv->version);
	sqlite3_bind_int(s, 6, srv->version_num);
	sqlite3_bind_double(s, 7, now);
	sqlite3_bind_double(s, 8, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*server_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "record the server");
		return -1;
	}
	return 0;
}

int
store_history_end(struct store *st, int64_t server_id, double *until, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*until = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT max(coalesce((SELECT max(ts) FROM samples WHERE server_id = ?1), 0),"
			       " coalesce((SELECT (max(hour) + 1) * 3600 FROM stmt_hours"
			       " WHERE server_id = ?1), 0))",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the extent of the history");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*until = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read the extent of the history");
		return -1;
	}
	return 0;
}

double
store_simulated_until(struct store *st, int64_t server_id)
{
	sqlite3_stmt *s;
	double until = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT max(ts) FROM events WHERE server_id = ? AND kind = 'simulated'",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, server_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		until = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	return until;
}

int
store_server_id(struct store *st, const char *key, int64_t *server_id, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT id FROM servers WHERE key = ?", -1, &s, NULL) !=
	    SQLITE_OK) {
		db_error(st, err, "look up the server");
		return -1;
	}
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*server_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, err, "look up the server");
		return -1;
	}
	return rc == SQLITE_ROW;
}

int
store_lease(struct store *st, int64_t server_id, double now, double ttl_s, long *holder_pid,
	    struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	long pid = (long)getpid(), other = 0;
	int mine = 1, rc;

	if (exec(st, "BEGIN IMMEDIATE", err, "take the history lease") < 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, "SELECT pid, host, ts, ttl FROM leases WHERE server_id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *host = (const char *)sqlite3_column_text(s, 1);
		double ts = sqlite3_column_double(s, 2), ttl = sqlite3_column_double(s, 3);
		int same_host = host != NULL && strcmp(host, st->hostname) == 0;

		other = (long)sqlite3_column_int64(s, 0);
		/* a clock set back makes the lease look younger: that errs on waiting */
		if (!(same_host && other == pid) && now - ts < ttl &&
		    !(same_host && kill((pid_t)other, 0) < 0 && errno == ESRCH))
			mine = 0;
	} else if (rc != SQLITE_DONE) {
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (mine) {
		if (sqlite3_prepare_v2(st->db,
				       "INSERT OR REPLACE INTO leases (server_id, pid, host, ts, ttl)"
				       " VALUES (?,?,?,?,?)",
				       -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, pid);
		bind_text(s, 3, st->hostname);
		sqlite3_bind_double(s, 4, now);
		sqlite3_bind_double(s, 5, ttl_s);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	if (exec(st, "COMMIT", err, "take the history lease") < 0) {
		rollback(st);
		return -1;
	}
	if (!mine && holder_pid)
		*holder_pid = other;
	return mine;
fail:
	db_error(st, err, "take the history lease");
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

void
store_lease_release(struct store *st, int64_t server_id)
{
	sqlite3_stmt *s;

	if (st == NULL || st->readonly ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM leases WHERE server_id = ? AND pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, (long)getpid());
	bind_text(s, 3, st->hostname);
	sqlite3_step(s);
	sqlite3_finalize(s);
}

/* ---- texts ---- */

int
store_text_ids(struct store *st, int64_t server_id, int64_t **ids, int *n, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int alloc = 256, rc;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT queryid FROM queries WHERE server_id = ?", -1, &s,
			       NULL) != SQLITE_OK) {
		db_error(st, err, "read the stored query texts");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	*ids = xreallocarray(NULL, (size_t)alloc, sizeof **ids);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc *= 2;
			*ids = xreallocarray(*ids, (size_t)alloc, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the stored query texts");
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

char *
store_text(struct store *st, int64_t server_id, int64_t queryid)
{
	sqlite3_stmt *s = prep(st, Q_GET_TEXT, NULL);
	char *text = NULL;

	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, queryid);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		text = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return text;
}

/* ---- samples ---- */

static int
event_locked(struct store *st, int64_t server_id, double ts, const char *kind, const char *detail,
	     struct pgt_err *err)
{
	sqlite3_stmt *s = prep(st, Q_EVENT, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, ts);
	bind_text(s, 3, kind);
	bind_text(s, 4, detail);
	return run(st, s, err, "record an event");
}

int
store_event(struct store *st, int64_t server_id, double ts, const char *kind, const char *detail,
	    struct pgt_err *err)
{
	return event_locked(st, server_id, ts, kind, detail, err);
}

static int
write_stmts(struct store *st, int64_t sample_id, const struct delta_set *d, unsigned have,
	    struct pgt_err *err)
{
	int i;

	for (i = 0; i < d->n_stmts; i++) {
		const struct stmt_row *r = &d->stmts[i];
		sqlite3_stmt *s = prep_keep(st, Q_STMT, 1, err);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, sample_id);
		sqlite3_bind_int64(s, 2, r->dbid);
		sqlite3_bind_int64(s, 3, r->userid);
		sqlite3_bind_int64(s, 4, r->queryid);
		sqlite3_bind_int(s, 5, r->toplevel);
		sqlite3_bind_int64(s, 6, r->calls);
		sqlite3_bind_double(s, 7, r->total_exec_ms);
		sqlite3_bind_int64(s, 8, r->rows);
		if (have & STMT_HAVE_PLANS) {
			sqlite3_bind_int64(s, 9, r->plans);
			sqlite3_bind_double(s, 10, r->total_plan_ms);
		} else {
			sqlite3_bind_null(s, 9);
			sqlite3_bind_null(s, 10);
		}
		sqlite3_bind_double(s, 11, r->min_ms);
		sqlite3_bind_double(s, 12, r->max_ms);
		sqlite3_bind_double(s, 13, r->stddev_ms);
		sqlite3_bind_int64(s, 14, r->shared_blks_hit);
		sqlite3_bind_int64(s, 15, r->shared_blks_read);
		sqlite3_bind_int64(s, 16, r->shared_blks_dirtied);
		sqlite3_bind_int64(s, 17, r->shared_blks_written);
		sqlite3_bind_int64(s, 18, r->local_blks_hit);
		sqlite3_bind_int64(s, 19, r->local_blks_read);
		sqlite3_bind_int64(s, 20, r->temp_blks_read);
		sqlite3_bind_int64(s, 21, r->temp_blks_written);
		sqlite3_bind_double(s, 22, r->blk_read_ms);
		sqlite3_bind_double(s, 23, r->blk_write_ms);
		if (have & STMT_HAVE_WAL) {
			sqlite3_bind_int64(s, 24, r->wal_records);
			sqlite3_bind_int64(s, 25, r->wal_fpi);
			sqlite3_bind_double(s, 26, r->wal_bytes);
		} else {
			sqlite3_bind_null(s, 24);
			sqlite3_bind_null(s, 25);
			sqlite3_bind_null(s, 26);
		}
		if (run(st, s, err, "store the statements") < 0)
			return -1;
	}
	return 0;
}

static int
write_texts(struct store *st, int64_t server_id, const struct snapshot *snap, struct pgt_err *err)
{
	int i;

	for (i = 0; i < snap->n_texts; i++) {
		sqlite3_stmt *s = prep(st, Q_TEXT, err);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, snap->texts[i].queryid);
		bind_text(s, 3, snap->texts[i].query);
		sqlite3_bind_double(s, 4, snap->ts);
		if (run(st, s, err, "store the query texts") < 0)
			return -1;
	}
	return 0;
}

static uint64_t
hash_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
hash_str(uint64_t h, const char *s)
{
	/* a NULL hashes apart from "" */
	return s != NULL ? hash_mix(hash_mix(h, "s", 1), s, strlen(s) + 1) : hash_mix(h, "n", 1);
}

/* What identifies a session's row: it is stored again only when this changes. */
static uint64_t
session_hash(const struct activity_row *a)
{
	uint64_t h = 14695981039346656037ULL;

	h = hash_mix(h, &a->pid, sizeof a->pid);
	h = hash_mix(h, &a->backend_start, sizeof a->backend_start);
	h = hash_mix(h, &a->xact_start, sizeof a->xact_start);
	h = hash_mix(h, &a->query_start, sizeof a->query_start);
	h = hash_mix(h, &a->state_change, sizeof a->state_change);
	h = hash_mix(h, &a->query_id, sizeof a->query_id);
	h = hash_str(h, a->state);
	h = hash_str(h, a->wait_event_type);
	h = hash_str(h, a->wait_event);
	h = hash_str(h, a->datname);
	h = hash_str(h, a->usename);
	h = hash_str(h, a->application_name);
	return hash_str(h, a->query);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int
write_activity(struct store *st, int64_t server_id, int64_t sample_id,
	       const struct snapshot *snap, struct pgt_err *err)
{
	int i;

	if (st->sess_server != server_id)
		st->n_sess = 0;
	st->sess_next = xreallocarray(st->sess_next, (size_t)(snap->n_activity ? snap->n_activity : 1),
				      sizeof *st->sess_next);
	st->n_sess_next = 0;
	for (i = 0; i < snap->n_activity; i++) {
		const struct activity_row *a = &snap->activity[i];
		sqlite3_stmt *s;
		uint64_t h;

		/* idle sessions are counted in the sample, not kept one by one */
		if (a->state != NULL && strcmp(a->state, "idle") == 0)
			continue;
		h = session_hash(a);
		st->sess_next[st->n_sess_next++] = h;
		/* unchanged since the last sample stored: already kept */
		if (st->n_sess > 0 &&
		    bsearch(&h, st->sess, (size_t)st->n_sess, sizeof h, cmp_u64) != NULL)
			continue;
		s = prep(st, Q_ACTIVITY, err);
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, sample_id);
		sqlite3_bind_int(s, 2, a->pid);
		bind_text(s, 3, a->datname);
		bind_text(s, 4, a->usename);
		bind_text(s, 5, a->application_name);
		bind_text(s, 6, a->client_addr);
		bind_text(s, 7, a->backend_type);
		bind_text(s, 8, a->state);
		bind_text(s, 9, a->wait_event_type);
		bind_text(s, 10, a->wait_event);
		bind_time(s, 11, a->backend_start);
		bind_time(s, 12, a->xact_start);
		bind_time(s, 13, a->query_start);
		bind_time(s, 14, a->state_change);
		if (a->has_query_id)
			sqlite3_bind_int64(s, 15, a->query_id);
		bind_text(s, 16, a->query);
		if (run(st, s, err, "store the sessions") < 0)
			return -1;
	}
	return 0;
}

static int
write_databases(struct store *st, int64_t sample_id, const struct delta_set *d,
		struct pgt_err *err)
{
	int i;

	for (i = 0; i < d->n_databases; i++) {
		const struct database_row *r = &d->databases[i];
		sqlite3_stmt *s = prep(st, Q_DB, err);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, sample_id);
		sqlite3_bind_int64(s, 2, r->datid);
		bind_text(s, 3, r->datname);
		sqlite3_bind_int64(s, 4, r->numbackends);
		sqlite3_bind_int64(s, 5, r->xact_commit);
		sqlite3_bind_int64(s, 6, r->xact_rollback);
		sqlite3_bind_int64(s, 7, r->blks_read);
		sqlite3_bind_int64(s, 8, r->blks_hit);
		sqlite3_bind_int64(s, 9, r->tup_returned);
		sqlite3_bind_int64(s, 10, r->tup_fetched);
		sqlite3_bind_int64(s, 11, r->tup_inserted);
		sqlite3_bind_int64(s, 12, r->tup_updated);
		sqlite3_bind_int64(s, 13, r->tup_deleted);
		sqlite3_bind_int64(s, 14, r->temp_files);
		sqlite3_bind_int64(s, 15, r->temp_bytes);
		sqlite3_bind_int64(s, 16, r->deadlocks);
		sqlite3_bind_double(s, 17, r->blk_read_ms);
		sqlite3_bind_double(s, 18, r->blk_write_ms);
		if (run(st, s, err, "store the database statistics") < 0)
			return -1;
	}
	if (d->checkpoint.valid) {
		sqlite3_stmt *s = prep(st, Q_CKPT, err);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, sample_id);
		sqlite3_bind_int64(s, 2, d->checkpoint.timed);
		sqlite3_bind_int64(s, 3, d->checkpoint.requested);
		sqlite3_bind_int64(s, 4, d->checkpoint.buffers_written);
		sqlite3_bind_double(s, 5, d->checkpoint.write_ms);
		sqlite3_bind_double(s, 6, d->checkpoint.sync_ms);
		if (run(st, s, err, "store the checkpoint statistics") < 0)
			return -1;
	}
	if (d->wal.valid) {
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(st->db,
				       "INSERT INTO wal_deltas (sample_id, wal_records, wal_fpi,"
				       " wal_bytes) VALUES (?, ?, ?, ?)",
				       -1, &s, NULL) != SQLITE_OK) {
			db_error(st, err, "store the WAL statistics");
			return -1;
		}
		sqlite3_bind_int64(s, 1, sample_id);
		sqlite3_bind_int64(s, 2, d->wal.records);
		sqlite3_bind_int64(s, 3, d->wal.fpi);
		sqlite3_bind_double(s, 4, d->wal.bytes);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			db_error(st, err, "store the WAL statistics");
			return -1;
		}
	}
	return 0;
}

static int
seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct setting_seen *)a)->name, ((const struct setting_seen *)b)->name);
}

static char *
setting_value(const char *setting, const char *source, int pending)
{
	return xasprintf("%s\x1f%s\x1f%d", setting ? setting : "", source ? source : "", pending);
}

/* The last stored value of every setting of the server, once per process. */
static int
seen_load(struct store *st, int64_t server_id, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int alloc = 0, rc;

	if (st->settings_server == server_id)
		return 0;
	seen_clear(st);
	if (sqlite3_prepare_v2(st->db,
			       "SELECT s.name, s.setting, s.source, s.pending_restart FROM settings s"
			       " WHERE s.server_id = ?1 AND s.ts = (SELECT max(ts) FROM settings t"
			       " WHERE t.server_id = ?1 AND t.name = s.name)",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the stored settings");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (st->n_seen == alloc) {
			alloc = alloc ? alloc * 2 : 512;
			st->seen = xreallocarray(st->seen, (size_t)alloc, sizeof *st->seen);
		}
		st->seen[st->n_seen].name = xstrdup((const char *)sqlite3_column_text(s, 0));
		st->seen[st->n_seen].value =
			setting_value((const char *)sqlite3_column_text(s, 1),
				      (const char *)sqlite3_column_text(s, 2), sqlite3_column_int(s, 3));
		st->n_seen++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the stored settings");
		seen_clear(st);
		return -1;
	}
	if (st->n_seen > 1)
		qsort(st->seen, (size_t)st->n_seen, sizeof *st->seen, seen_cmp);
	st->settings_server = server_id;
	return 0;
}

/* Store the settings whose value differs from the last stored one; *written counts them. */
static int
write_settings(struct store *st, int64_t server_id, const struct snapshot *snap, int *written,
	       struct pgt_err *err)
{
	int i;

	*written = 0;
	if (snap->settings == NULL)
		return 0;
	if (seen_load(st, server_id, err) < 0)
		return -1;
	for (i = 0; i < snap->n_settings; i++) {
		const struct setting_row *r = &snap->settings[i];
		struct setting_seen key = {r->name, NULL}, *hit;
		char *value = setting_value(r->setting, r->source, r->pending_restart);
		sqlite3_stmt *s;

		hit = st->n_seen ? bsearch(&key, st->seen, (size_t)st->n_seen, sizeof *st->seen,
					   seen_cmp)
				 : NULL;
		if (hit != NULL && strcmp(hit->value, value) == 0) {
			free(value);
			continue;
		}
		free(value);
		s = prep(st, Q_SETTING, err);
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, server_id);
		bind_text(s, 2, r->name);
		sqlite3_bind_double(s, 3, snap->ts);
		bind_text(s, 4, r->setting);
		bind_text(s, 5, r->unit);
		bind_text(s, 6, r->source);
		sqlite3_bind_int(s, 7, r->pending_restart);
		if (run(st, s, err, "store the settings") < 0)
			return -1;
		(*written)++;
	}
	return 0;
}

/* Names of databases and roles, for showing and filtering; written when they change. */
static int
write_names(struct store *st, int64_t server_id, const struct snapshot *snap, struct pgt_err *err)
{
	int i;

	for (i = 0; i < snap->n_databases + snap->n_roles; i++) {
		int db = i < snap->n_databases;
		const char *name = db ? snap->databases[i].datname
				      : snap->roles[i - snap->n_databases].name;
		uint32_t oid = db ? snap->databases[i].datid : snap->roles[i - snap->n_databases].oid;
		sqlite3_stmt *s;

		if (name == NULL)
			continue;
		if ((s = prep(st, Q_NAME, err)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, server_id);
		bind_text(s, 2, db ? "db" : "role");
		sqlite3_bind_int64(s, 3, oid);
		bind_text(s, 4, name);
		if (run(st, s, err, "store the names of databases and roles") < 0)
			return -1;
	}
	return 0;
}

/* The catalog, when this sample read it: it replaces the one stored before. */
static int
write_catalog(struct store *st, int64_t server_id, const struct snapshot *snap,
	      struct pgt_err *err)
{
	static const char *const del[] = {
		"DELETE FROM rel_tables WHERE server_id = ?1",
		"DELETE FROM rel_index_columns WHERE server_id = ?1",
		"DELETE FROM rel_column_stats WHERE server_id = ?1",
	};
	sqlite3_stmt *s = NULL;
	size_t k;
	int i;

	if (!snap->catalog_ok)
		return 0;
	for (k = 0; k < sizeof del / sizeof del[0]; k++) {
		if (sqlite3_prepare_v2(st->db, del[k], -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, server_id);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO rel_tables (server_id, relid, schemaname, relname,"
			       " live_rows, bytes, seq_scan, seq_tup_read, idx_scan, ts,"
			       " mod_since_analyze, last_analyze, n_live_tup, n_dead_tup, last_vacuum,"
			       " last_autovacuum, vacuum_count, autovacuum_count, reloptions)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			       " ?15, ?16, ?17, ?18, ?19)",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < snap->n_tables; i++) {
		const struct table_row *t = &snap->tables[i];

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, t->relid);
		bind_text(s, 3, t->schema);
		bind_text(s, 4, t->name);
		sqlite3_bind_double(s, 5, t->live_rows);
		sqlite3_bind_double(s, 6, t->bytes);
		sqlite3_bind_double(s, 7, t->seq_scan);
		sqlite3_bind_double(s, 8, t->seq_tup_read);
		sqlite3_bind_double(s, 9, t->idx_scan);
		sqlite3_bind_double(s, 10, snap->ts);
		sqlite3_bind_double(s, 11, t->mod_since_analyze);
		bind_time(s, 12, t->last_analyze);
		sqlite3_bind_double(s, 13, t->n_live_tup);
		sqlite3_bind_double(s, 14, t->n_dead_tup);
		if (t->last_vacuum > 0)
			sqlite3_bind_double(s, 15, t->last_vacuum);
		else
			sqlite3_bind_null(s, 15);
		if (t->last_autovacuum > 0)
			sqlite3_bind_double(s, 16, t->last_autovacuum);
		else
			sqlite3_bind_null(s, 16);
		sqlite3_bind_double(s, 17, t->vacuum_count);
		sqlite3_bind_double(s, 18, t->autovacuum_count);
		bind_text(s, 19, t->reloptions);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO rel_index_columns (server_id, relid, indexname,"
			       " am, valid, partial, pos, attname)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < snap->n_index_cols; i++) {
		const struct index_col_row *x = &snap->index_cols[i];

		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, x->relid);
		bind_text(s, 3, x->index);
		bind_text(s, 4, x->am);
		sqlite3_bind_int(s, 5, x->valid);
		sqlite3_bind_int(s, 6, x->partial);
		sqlite3_bind_int(s, 7, x->pos);
		bind_text(s, 8, x->attname);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO rel_column_stats (server_id, relid, attname,"
			       " n_distinct) VALUES (?1, ?2, ?3, ?4)",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < snap->n_colstats; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, snap->colstats[i].relid);
		bind_text(s, 3, snap->colstats[i].attname);
		sqlite3_bind_double(s, 4, snap->colstats[i].n_distinct);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	return 0;
fail:
	db_error(st, err, "store the tables' statistics");
	sqlite3_finalize(s);
	return -1;
}

struct role_seen {
	char *datname, *rolname, *name, *setting;
	int found; /* in this sample */
};

static int
role_key_eq(const struct role_seen *a, const struct role_setting_row *r)
{
	return strcmp(a->datname, r->datname != NULL ? r->datname : "") == 0 &&
	       strcmp(a->rolname, r->rolname != NULL ? r->rolname : "") == 0 &&
	       strcmp(a->name, r->name) == 0;
}

static int
role_setting_add(sqlite3_stmt *ins, int64_t server_id, const char *datname, const char *rolname,
		 const char *name, double ts, const char *setting, const char *old, int first)
{
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	sqlite3_bind_int64(ins, 1, server_id);
	bind_text(ins, 2, datname != NULL ? datname : "");
	bind_text(ins, 3, rolname != NULL ? rolname : "");
	bind_text(ins, 4, name);
	sqlite3_bind_double(ins, 5, ts);
	bind_text(ins, 6, setting);
	bind_text(ins, 7, old);
	sqlite3_bind_int(ins, 8, first);
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

/*
 * The settings of databases and roles, when this sample read them: a row for each value
 * that differs from the last one stored (or is gone: setting NULL). Those there at the
 * first read are marked first: they were set before the history began.
 */
static int
write_role_settings(struct store *st, int64_t server_id, const struct snapshot *snap,
		    struct pgt_err *err)
{
	sqlite3_stmt *s = NULL, *ins = NULL;
	struct role_seen *seen = NULL;
	int n_seen = 0, first = 0, i, k, rc = -1;

	if (!snap->role_settings_read)
		return 0;
	if (sqlite3_prepare_v2(st->db, "SELECT role_settings_at IS NULL FROM servers WHERE id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, server_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		first = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(st->db,
			       "SELECT datname, rolname, name, setting FROM role_settings r"
			       " WHERE server_id = ?1 AND ts = (SELECT max(ts) FROM role_settings t"
			       " WHERE t.server_id = ?1 AND t.datname = r.datname"
			       " AND t.rolname = r.rolname AND t.name = r.name)",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct role_seen *p;

		seen = xreallocarray(seen, (size_t)n_seen + 1, sizeof *seen);
		p = &seen[n_seen++];
		p->datname = xstrdup((const char *)sqlite3_column_text(s, 0));
		p->rolname = xstrdup((const char *)sqlite3_column_text(s, 1));
		p->name = xstrdup((const char *)sqlite3_column_text(s, 2));
		p->setting = sqlite3_column_type(s, 3) == SQLITE_NULL
				     ? NULL
				     : xstrdup((const char *)sqlite3_column_text(s, 3));
		p->found = 0;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto out;
	rc = -1;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO role_settings (server_id, datname, rolname,"
			       " name, ts, setting, old, first) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &ins, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < snap->n_role_settings; i++) {
		const struct role_setting_row *r = &snap->role_settings[i];
		const char *old = NULL;

		if (r->name == NULL)
			continue;
		for (k = 0; k < n_seen && !role_key_eq(&seen[k], r); k++)
			;
		if (k < n_seen) {
			seen[k].found = 1;
			old = seen[k].setting;
			if (old != NULL && r->setting != NULL && strcmp(old, r->setting) == 0)
				continue;
		}
		if (role_setting_add(ins, server_id, r->datname, r->rolname, r->name, snap->ts,
				     r->setting, old, first) < 0)
			goto out;
	}
	for (k = 0; k < n_seen; k++)
		if (!seen[k].found && seen[k].setting != NULL &&
		    role_setting_add(ins, server_id, seen[k].datname, seen[k].rolname,
				     seen[k].name, snap->ts, NULL, seen[k].setting, 0) < 0)
			goto out;
	if (first) {
		sqlite3_finalize(ins);
		ins = NULL;
		if (sqlite3_prepare_v2(st->db, "UPDATE servers SET role_settings_at = ?2 WHERE id = ?1",
				       -1, &ins, NULL) != SQLITE_OK)
			goto out;
		sqlite3_bind_int64(ins, 1, server_id);
		sqlite3_bind_double(ins, 2, snap->ts);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		db_error(st, err, "store the settings of databases and roles");
	sqlite3_finalize(s);
	sqlite3_finalize(ins);
	for (k = 0; k < n_seen; k++) {
		free(seen[k].datname);
		free(seen[k].rolname);
		free(seen[k].name);
		free(seen[k].setting);
	}
	free(seen);
	return rc;
}

static int
write_events(struct store *st, int64_t server_id, const struct snapshot *snap,
	     const struct delta_set *d, struct pgt_err *err)
{
	char detail[160];

	if ((d->flags & DELTA_RESET) &&
	    event_locked(st, server_id, snap->ts, "reset",
			 "pg_stat_statements was reset: new baseline", err) < 0)
		return -1;
	if ((d->flags & DELTA_RESTART) &&
	    event_locked(st, server_id, snap->ts, "restart",
			 "the server restarted: new baseline", err) < 0)
		return -1;
	if ((d->flags & DELTA_CLOCK) &&
	    event_locked(st, server_id, snap->ts, "clock",
			 "the server clock went back: new baseline", err) < 0)
		return -1;
	if ((d->flags & DELTA_GAP) &&
	    event_locked(st, server_id, snap->ts, "gap",
			 "first sample after a lost connection: new baseline", err) < 0)
		return -1;
	if (d->flags & DELTA_EVICTED) {
		snprintf(detail, sizeof detail,
			 "pg_stat_statements evicted entries %lld times (pg_stat_statements.max "
			 "is too small for the workload)",
			 (long long)d->dealloc);
		if (event_locked(st, server_id, snap->ts, "evicted", detail, err) < 0)
			return -1;
	}
	if (d->n_entry_resets > 0) {
		snprintf(detail, sizeof detail, "%d entries were made again: new baseline for them",
			 d->n_entry_resets);
		if (event_locked(st, server_id, snap->ts, "entry_reset", detail, err) < 0)
			return -1;
	}
	return 0;
}

int
store_sample(struct store *st, int64_t server_id, const struct snapshot *snap,
	     const struct delta_set *d, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int64_t sample_id;
	int settings_written = 0;

	if (exec(st, "BEGIN IMMEDIATE", err, "store the sample") < 0)
		return -1;
	/* still ours? another process may have taken a stale lease over */
	if ((s = prep(st, Q_RENEW, err)) == NULL)
		goto fail;
	sqlite3_bind_double(s, 1, st->fake_now > 0 ? st->fake_now : now_wall());
	sqlite3_bind_int64(s, 2, server_id);
	sqlite3_bind_int64(s, 3, (long)getpid());
	bind_text(s, 4, st->hostname);
	if (run(st, s, err, "renew the history lease") < 0)
		goto fail;
	if (sqlite3_changes(st->db) == 0) {
		rollback(st);
		return 0;
	}
	if ((s = prep(st, Q_SAMPLE, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, snap->ts);
	sqlite3_bind_double(s, 3, d->interval_s);
	sqlite3_bind_int(s, 4, (int)d->flags);
	sqlite3_bind_int(s, 5, (int)snap->have);
	if (snap->pgss_ok) {
		sqlite3_bind_int(s, 6, snap->n_stmts);
		sqlite3_bind_int(s, 7, snap->n_hidden);
	}
	if (snap->have & STMT_HAVE_INFO)
		sqlite3_bind_int64(s, 8, d->dealloc);
	sqlite3_bind_int(s, 9, d->n_entry_resets);
	sqlite3_bind_int(s, 10, snap->sessions.active);
	sqlite3_bind_int(s, 11, snap->sessions.idle);
	sqlite3_bind_int(s, 12, snap->sessions.idle_in_xact);
	sqlite3_bind_int(s, 13, snap->sessions.waiting);
	sqlite3_bind_int(s, 14, snap->sessions.total);
	if (run(st, s, err, "store the sample") < 0)
		goto fail;
	sample_id = sqlite3_last_insert_rowid(st->db);

	if (write_stmts(st, sample_id, d, snap->have, err) < 0 ||
	    write_texts(st, server_id, snap, err) < 0 ||
	    write_activity(st, server_id, sample_id, snap, err) < 0 ||
	    write_databases(st, sample_id, d, err) < 0 ||
	    write_settings(st, server_id, snap, &settings_written, err) < 0 ||
	    write_role_settings(st, server_id, snap, err) < 0 ||
	    write_names(st, server_id, snap, err) < 0 ||
	    write_catalog(st, server_id, snap, err) < 0 ||
	    write_events(st, server_id, snap, d, err) < 0)
		goto fail;
	if ((s = prep(st, Q_SEEN, err)) == NULL)
		goto fail;
	sqlite3_bind_double(s, 1, snap->ts);
	sqlite3_bind_int64(s, 2, server_id);
	if (run(st, s, err, "store the sample") < 0)
		goto fail;
	if (exec(st, "COMMIT", err, "store the sample") < 0)
		goto fail;
	/* changed settings were stored: read them again before the next comparison */
	if (settings_written > 0)
		st->settings_server = 0;
	/* the sessions now stored are those the next sample compares with */
	{
		uint64_t *t = st->sess;

		st->sess = st->sess_next;
		st->n_sess = st->n_sess_next;
		st->sess_next = t;
		st->n_sess_next = 0;
		st->sess_server = server_id;
		if (st->n_sess > 1)
			qsort(st->sess, (size_t)st->n_sess, sizeof *st->sess, cmp_u64);
	}
	return 1;
fail:
	rollback(st);
	st->settings_server = 0;
	st->n_sess = 0; /* nothing of this sample was kept: store every session next time */
	return -1;
}

/* ---- rollup and retention ---- */

static int
exec_bound(struct store *st, const char *sql, int64_t server_id, double a, double b,
	   struct pgt_err *err, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, what);
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, a);
	sqlite3_bind_double(s, 3, b);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, what);
		return -1;
	}
	return 0;
}

/*
 * Whole days of hourly statement rows (UTC days, all of whose hours are rolled up: up
 * to last_hour) summed into stmt_days, after the day mark. Inside the caller's
 * transaction.
 */
static int
roll_days(struct store *st, int64_t server_id, long long last_hour, struct pgt_err *err)
{
	sqlite3_stmt *s;
	long long mark = -1, first = -1, last_day = (last_hour + 1) / 24 - 1;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT day FROM rollup_state WHERE server_id = ?1),"
			       " (SELECT min(hour) FROM stmt_hours WHERE server_id = ?1)",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "roll up the days");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			mark = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			first = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "roll up the days");
		return -1;
	}
	if (mark < 0) {
		if (first < 0)
			return 0;
		mark = first / 24 - 1;
	}
	if (last_day <= mark)
		return 0;
	if (exec_bound(st,
		       "INSERT INTO stmt_days SELECT server_id, hour / 24, stmt, count(*),"
		       " sum(samples), sum(calls), sum(total_us), sum(rows), sum(plans),"
		       " sum(plan_us), max(max_us), sum(shared_blks_hit), sum(shared_blks_read),"
		       " sum(shared_blks_dirtied), sum(shared_blks_written), sum(local_blks_hit),"
		       " sum(local_blks_read), sum(temp_blks_read), sum(temp_blks_written),"
		       " sum(blk_read_us), sum(blk_write_us), sum(wal_records), sum(wal_fpi),"
		       " sum(wal_bytes), group_concat((hour % 24) || ':' || calls, ','),"
		       " group_concat((hour % 24) || ':' || total_us, ',')"
		       " FROM stmt_hours"
		       " WHERE server_id = ?1 AND hour >= ?2 AND hour < ?3"
		       " GROUP BY hour / 24, stmt ORDER BY hour / 24, stmt",
		       server_id, (double)(mark + 1) * 24, (double)(last_day + 1) * 24, err,
		       "roll up the days") < 0 ||
	    exec_bound(st, "UPDATE rollup_state SET day = CAST(?2 AS INTEGER) WHERE server_id = ?1",
		       server_id, (double)last_day, 0, err, "roll up the days") < 0)
		return -1;
	return 0;
}

int
store_maintain(struct store *st, int64_t server_id, double now, double keep_raw_s,
	       double keep_hourly_s, struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	long long last = -1, first_hour = -1, cur;
	double raw_before, hourly_before, newest = now;
	int rc;

	if (exec(st, "BEGIN IMMEDIATE", err, "roll up the history") < 0)
		return -1;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT hour FROM rollup_state WHERE server_id = ?1),"
			       " (SELECT CAST(min(ts) / 3600 AS INTEGER) FROM samples"
			       " WHERE server_id = ?1),"
			       " (SELECT max(ts) FROM samples WHERE server_id = ?1)",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		last = sqlite3_column_int64(s, 0);
	if (sqlite3_column_type(s, 1) != SQLITE_NULL)
		first_hour = sqlite3_column_int64(s, 1);
	if (sqlite3_column_type(s, 2) != SQLITE_NULL && sqlite3_column_double(s, 2) < now)
		newest = sqlite3_column_double(s, 2);
	sqlite3_finalize(s);
	s = NULL;
	/*
	 * Samples carry the server's clock. An hour is complete once a sample of a later
	 * hour is stored: the next samples come after it. Our own clock only caps it.
	 */
	cur = (long long)floor(newest / 3600.0);
	if (last < 0 && first_hour >= 0)
		last = first_hour - 1;

	/* hours (last, cur) are complete and not rolled up yet: one pass, one transaction */
	if (last >= 0 && last + 1 < cur) {
		double lo = (double)(last + 1) * 3600.0, hi = (double)cur * 3600.0;

		if (exec_bound(st,
			       "INSERT OR IGNORE INTO stmt_keys (server_id, dbid, userid, queryid,"
			       " toplevel) SELECT DISTINCT s.server_id, d.dbid, d.userid, d.queryid,"
			       " d.toplevel FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts < ?3",
			       server_id, lo, hi, err, "number the statements") < 0 ||
		    exec_bound(st,
			       "INSERT INTO stmt_hours SELECT s.server_id,"
			       " CAST(s.ts / 3600 AS INTEGER) AS h, k.id, count(*), sum(d.calls),"
			       " CAST(round(sum(d.total_ms) * 1000) AS INTEGER), sum(d.rows),"
			       " sum(d.plans), CAST(round(sum(d.plan_ms) * 1000) AS INTEGER),"
			       " CAST(round(max(d.max_ms) * 1000) AS INTEGER), sum(d.shared_blks_hit),"
			       " sum(d.shared_blks_read), sum(d.shared_blks_dirtied),"
			       " sum(d.shared_blks_written), sum(d.local_blks_hit),"
			       " sum(d.local_blks_read), sum(d.temp_blks_read),"
			       " sum(d.temp_blks_written),"
			       " CAST(round(sum(d.blk_read_ms) * 1000) AS INTEGER),"
			       " CAST(round(sum(d.blk_write_ms) * 1000) AS INTEGER),"
			       " sum(d.wal_records), sum(d.wal_fpi),"
			       " CAST(round(sum(d.wal_bytes)) AS INTEGER)"
			       " FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id"
			       " JOIN stmt_keys k ON k.server_id = s.server_id AND k.queryid = d.queryid"
			       " AND k.dbid = d.dbid AND k.userid = d.userid AND k.toplevel = d.toplevel"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts < ?3"
			       " GROUP BY h, k.id ORDER BY h, k.id",
			       server_id, lo, hi, err, "roll up the statements") < 0 ||
		    exec_bound(st,
			       "INSERT INTO database_hourly SELECT s.server_id,"
			       " CAST(s.ts / 3600 AS INTEGER) AS h, d.datid, max(d.datname),"
			       " count(*), sum(d.xact_commit), sum(d.xact_rollback),"
			       " sum(d.blks_read), sum(d.blks_hit), sum(d.tup_returned),"
			       " sum(d.tup_fetched), sum(d.tup_inserted), sum(d.tup_updated),"
			       " sum(d.tup_deleted), sum(d.temp_files), sum(d.temp_bytes),"
			       " sum(d.deadlocks), sum(d.blk_read_ms), sum(d.blk_write_ms)"
			       " FROM database_deltas d JOIN samples s ON s.id = d.sample_id"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts < ?3"
			       " GROUP BY h, d.datid",
			       server_id, lo, hi, err, "roll up the database statistics") < 0 ||
		    exec_bound(st,
			       "INSERT OR REPLACE INTO server_hourly SELECT s.server_id,"
			       " CAST(s.ts / 3600 AS INTEGER) AS h, count(*), sum(c.timed),"
			       " sum(c.requested), count(w.sample_id),"
			       " sum(CASE WHEN w.sample_id IS NOT NULL THEN s.interval_s END),"
			       " sum(w.wal_records),"
			       " sum(w.wal_fpi), sum(w.wal_bytes)"
			       " FROM samples s LEFT JOIN checkpoint_deltas c ON c.sample_id = s.id"
			       " LEFT JOIN wal_deltas w ON w.sample_id = s.id"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts < ?3"
			       " AND (c.sample_id IS NOT NULL OR w.sample_id IS NOT NULL)"
			       " GROUP BY h",
			       server_id, lo, hi, err, "roll up the checkpoints and the WAL") < 0)
			goto fail_quiet;
		if (sqlite3_prepare_v2(st->db,
				       "INSERT INTO rollup_state (server_id, hour) VALUES (?, ?)"
				       " ON CONFLICT (server_id) DO UPDATE SET hour = excluded.hour",
				       -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, cur - 1);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
		last = cur - 1;
	}

	if (last >= 0 && roll_days(st, server_id, last, err) < 0)
		goto fail_quiet;

	/* raw rows go only once their hour is rolled up */
	raw_before = now - keep_raw_s;
	if (last < 0)
		raw_before = -1;
	else if (raw_before > (double)(last + 1) * 3600.0)
		raw_before = (double)(last + 1) * 3600.0;
	if (raw_before > 0) {
		static const char *const del[] = {
			"DELETE FROM stmt_deltas WHERE sample_id IN (SELECT id FROM samples"
			" WHERE server_id = ?1 AND ts < ?2)",
			"DELETE FROM activity WHERE sample_id IN (SELECT id FROM samples"
			" WHERE server_id = ?1 AND ts < ?2)",
			"DELETE FROM database_deltas WHERE sample_id IN (SELECT id FROM samples"
			" WHERE server_id = ?1 AND ts < ?2)",
			"DELETE FROM checkpoint_deltas WHERE sample_id IN (SELECT id FROM samples"
			" WHERE server_id = ?1 AND ts < ?2)",
			"DELETE FROM wal_deltas WHERE sample_id IN (SELECT id FROM samples"
			" WHERE server_id = ?1 AND ts < ?2)",
			"DELETE FROM samples WHERE server_id = ?1 AND ts < ?2",
		};
		size_t i;

		for (i = 0; i < sizeof del / sizeof del[0]; i++)
			if (exec_bound(st, del[i], server_id, raw_before, 0, err,
				       "drop old raw samples") < 0)
				goto fail_quiet;
	}
	hourly_before = floor((now - keep_hourly_s) / 3600.0);
	if (exec_bound(st, "DELETE FROM stmt_hours WHERE server_id = ?1 AND hour < ?2",
		       server_id, hourly_before, 0, err, "drop old hourly rows") < 0 ||
	    exec_bound(st, "DELETE FROM stmt_days WHERE server_id = ?1 AND (day + 1) * 24 <= ?2",
		       server_id, hourly_before, 0, err, "drop old daily rows") < 0 ||
	    exec_bound(st,
		       "DELETE FROM database_hourly WHERE server_id = ?1 AND hour < ?2",
		       server_id, hourly_before, 0, err, "drop old hourly rows") < 0 ||
	    exec_bound(st, "DELETE FROM server_hourly WHERE server_id = ?1 AND hour < ?2",
		       server_id, hourly_before, 0, err, "drop old hourly rows") < 0 ||
	    exec_bound(st, "DELETE FROM plans WHERE server_id = ?1 AND ts < ?2 * 3600",
		       server_id, hourly_before, 0, err, "drop old plans") < 0)
		goto fail_quiet;
	if (exec(st, "COMMIT", err, "roll up the history") < 0)
		goto fail_quiet;
	return 0;
fail:
	db_error(st, err, "roll up the history");
fail_quiet:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

/* ---- reading ---- */

int
store_latest_server(struct store *st, struct server_rec *out, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, key, host, port, version, first_seen, last_seen"
			       " FROM servers ORDER BY last_seen DESC, id DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the servers");
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
#define COPY(f, i)                                                                                 \
	strlcpy_(out->f, sqlite3_column_text(s, i) ? (const char *)sqlite3_column_text(s, i) : "", \
		 sizeof out->f)
		COPY(key, 1);
		COPY(host, 2);
		COPY(port, 3);
		COPY(version, 4);
#undef COPY
		out->first_seen = sqlite3_column_double(s, 5);
		out->last_seen = sqlite3_column_double(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, err, "read the servers");
		return -1;
	}
	return rc == SQLITE_ROW;
}

/* The rollup marks of a server: the last hour and day rolled up (-1: none). */
static int
rollup_marks(struct store *st, int64_t server_id, long long *hour, long long *day,
	     struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*hour = *day = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT hour, day FROM rollup_state WHERE server_id = ?",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the rollup marks");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*hour = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*day = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, err, "read the rollup marks");
		return -1;
	}
	return 0;
}

static int
statements(struct store *st, int64_t server_id, double from, double to, int by_key,
	   struct stmt_total **rows, int *n, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int alloc = 0, rc;

	*rows = NULL;
	*n = 0;
	/*
	 * Hours up to the rollup mark come from stmt_hourly, later samples from the raw
	 * deltas: every interval is counted once.
	 */
	char *sql;
	int prc;

	sql = xasprintf(
		    "WITH mark AS (SELECT ?4 AS hour),"
		    " t AS ("
		    /* rolled-up rows summed per statement number first: one key lookup each */
		    "  SELECT k.queryid, k.toplevel, k.dbid, k.userid, h.calls, h.total_ms, h.max_ms,"
		    "   h.rows, h.shared_blks_hit, h.shared_blks_read, h.temp_blks_written FROM"
		    "  (SELECT stmt, sum(calls) AS calls, sum(total_us) / 1000.0 AS total_ms,"
		    "    max(max_us) / 1000.0 AS max_ms, sum(rows) AS rows,"
		    "    sum(shared_blks_hit) AS shared_blks_hit, sum(shared_blks_read)"
		    "    AS shared_blks_read, sum(temp_blks_written) AS temp_blks_written FROM ("
		    "    SELECT stmt, calls, total_us, max_us, rows, shared_blks_hit,"
		    "     shared_blks_read, temp_blks_written FROM stmt_days"
		    "     WHERE server_id = ?1 AND day >= ?7 AND day <= ?8"
		    "    UNION ALL"
		    "    SELECT stmt, calls, total_us, max_us, rows, shared_blks_hit,"
		    "     shared_blks_read, temp_blks_written FROM stmt_hours"
		    "     WHERE server_id = ?1 AND hour >= ?5 AND hour < ?7 * 24"
		    "    UNION ALL"
		    "    SELECT stmt, calls, total_us, max_us, rows, shared_blks_hit,"
		    "     shared_blks_read, temp_blks_written FROM stmt_hours"
		    "     WHERE server_id = ?1 AND hour >= max(?5, (?8 + 1) * 24) AND hour <= ?6)"
		    "   GROUP BY stmt) h"
		    "  JOIN stmt_keys k ON k.id = h.stmt"
		    "  UNION ALL"
		    "  SELECT d.queryid, d.toplevel, d.dbid, d.userid, d.calls, d.total_ms, d.max_ms,"
		    "   d.rows,"
		    "   d.shared_blks_hit, d.shared_blks_read, d.temp_blks_written"
		    "  FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id, mark"
		    "  WHERE s.server_id = ?1 AND s.ts >= max(?2, (mark.hour + 1) * 3600)"
		    "   AND s.ts <= ?3),"
		    " g AS (SELECT queryid, toplevel, %s AS dbid, %s AS userid,"
		    "  sum(calls) AS calls, sum(total_ms) AS total_ms,"
		    "  max(max_ms) AS max_ms, sum(rows) AS rows, sum(shared_blks_hit) AS hit,"
		    "  sum(shared_blks_read) AS read, sum(temp_blks_written) AS temp"
		    "  FROM t GROUP BY queryid, toplevel%s)"
		    /* texts are joined after grouping: one lookup per statement, not per row */
		    " SELECT g.queryid, g.toplevel, g.calls, g.total_ms, g.max_ms, g.rows, g.hit,"
		    "  g.read, g.temp, q.query, g.dbid, g.userid,"
		    "  (SELECT name FROM names WHERE server_id = ?1 AND kind = 'db' AND oid = g.dbid),"
		    "  (SELECT name FROM names WHERE server_id = ?1 AND kind = 'role'"
		    "   AND oid = g.userid)"
		    " FROM g LEFT JOIN queries q ON q.server_id = ?1 AND q.queryid = g.queryid"
		    " ORDER BY g.total_ms DESC, g.queryid, g.toplevel, g.dbid, g.userid",
		    by_key ? "dbid" : "NULL", by_key ? "userid" : "NULL",
		    by_key ? ", dbid, userid" : "");
	prc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (prc != SQLITE_OK) {
		db_error(st, err, "read the statements");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	{
		/*
		 * The window's hours that are rolled up: h0..h1; the whole days among them
		 * that are rolled up too: d0..d1, read a row per day (none when d1 < d0:
		 * the hours before d0 and after d1 then cover h0..h1 between them).
		 */
		long long mark_hour = -1, mark_day = -1, h0, h1, d0, d1;

		if (rollup_marks(st, server_id, &mark_hour, &mark_day, err) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		h0 = (long long)floor(from / 3600.0);
		h1 = (long long)floor(to / 3600.0);
		if (h1 > mark_hour)
			h1 = mark_hour;
		d0 = h0 >= 0 ? (h0 + 23) / 24 : 0;
		d1 = (h1 + 1) / 24 - 1;
		if (d1 > mark_day)
			d1 = mark_day;
		if (d1 < d0) { /* no whole day: all hours from the hourly rows */
			d0 = h1 / 24 + 1;
			d1 = d0 - 1;
		}
		sqlite3_bind_int64(s, 4, mark_hour);
		sqlite3_bind_int64(s, 5, h0);
		sqlite3_bind_int64(s, 6, h1);
		sqlite3_bind_int64(s, 7, d0);
		sqlite3_bind_int64(s, 8, d1);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct stmt_total *r;

		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			*rows = xreallocarray(*rows, (size_t)alloc, sizeof **rows);
		}
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		r->queryid = sqlite3_column_int64(s, 0);
		r->toplevel = sqlite3_column_int(s, 1);
		r->calls = sqlite3_column_int64(s, 2);
		r->total_ms = sqlite3_column_double(s, 3);
		r->max_ms = sqlite3_column_double(s, 4);
		r->rows = sqlite3_column_int64(s, 5);
		r->shared_blks_hit = sqlite3_column_int64(s, 6);
		r->shared_blks_read = sqlite3_column_int64(s, 7);
		r->temp_blks_written = sqlite3_column_int64(s, 8);
		if (sqlite3_column_text(s, 9) != NULL)
			r->query = xstrdup((const char *)sqlite3_column_text(s, 9));
		r->dbid = (uint32_t)sqlite3_column_int64(s, 10);
		r->userid = (uint32_t)sqlite3_column_int64(s, 11);
		if (sqlite3_column_text(s, 12) != NULL)
			r->dbname = xstrdup((const char *)sqlite3_column_text(s, 12));
		if (sqlite3_column_text(s, 13) != NULL)
			r->username = xstrdup((const char *)sqlite3_column_text(s, 13));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the statements");
		store_statements_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_statements(struct store *st, int64_t server_id, double from, double to,
		 struct stmt_total **rows, int *n, struct pgt_err *err)
{
	return statements(st, server_id, from, to, 0, rows, n, err);
}

int
store_statements_by_key(struct store *st, int64_t server_id, double from, double to,
			struct stmt_total **rows, int *n, struct pgt_err *err)
{
	return statements(st, server_id, from, to, 1, rows, n, err);
}

void
store_statements_free(struct stmt_total *rows, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(rows[i].query);
		free(rows[i].dbname);
		free(rows[i].username);
	}
	free(rows);
}

int
store_sample_span(struct store *st, int64_t server_id, double from, double to, int *n,
		  double *first, double *last, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT count(*), min(ts), max(ts) FROM samples"
			       " WHERE server_id = ? AND ts >= ? AND ts <= ?",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the samples");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int(s, 0);
		*first = sqlite3_column_double(s, 1);
		*last = sqlite3_column_double(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read the samples");
		return -1;
	}
	return 0;
}

int
store_stmt_history(struct store *st, int64_t server_id, int64_t queryid, double from, double to,
		   struct stmt_history *out, struct pgt_err *err)
{
	sqlite3_stmt *s;
	long long h0 = (long long)floor(from / 3600.0), h1 = (long long)floor(to / 3600.0);
	int rc;

	memset(out, 0, sizeof *out);
	if (h1 < h0)
		h1 = h0;
	out->n = (int)(h1 - h0 + 1);
	out->from_hour = (double)h0 * 3600.0;
	out->calls = xcalloc((size_t)out->n, sizeof *out->calls);
	out->total_ms = xcalloc((size_t)out->n, sizeof *out->total_ms);
	if (sqlite3_prepare_v2(
		    st->db,
		    "WITH mark AS (SELECT coalesce((SELECT hour FROM rollup_state"
		    "  WHERE server_id = ?1), -1) AS hour),"
		    " t AS ("
		    "  SELECT h.hour AS hour, h.calls, h.total_ms, h.hour * 3600 + 3599 AS last"
		    "  FROM stmt_hourly h, mark WHERE h.server_id = ?1 AND h.queryid = ?4"
		    "   AND h.hour <= mark.hour AND h.hour >= ?2"
		    "  UNION ALL"
		    "  SELECT CAST(s.ts / 3600 AS INTEGER), d.calls, d.total_ms, s.ts"
		    "  FROM samples s JOIN stmt_deltas d ON d.sample_id = s.id, mark"
		    "  WHERE s.server_id = ?1 AND d.queryid = ?4"
		    "   AND s.ts >= max(?2 * 3600, (mark.hour + 1) * 3600) AND s.ts <= ?5)"
		    " SELECT hour, sum(calls), sum(total_ms), max(last) FROM t"
		    " WHERE hour <= ?3 GROUP BY hour ORDER BY hour",
		    -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the statement's history");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, h0);
	sqlite3_bind_int64(s, 3, h1);
	sqlite3_bind_int64(s, 4, queryid);
	sqlite3_bind_double(s, 5, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long h = sqlite3_column_int64(s, 0);

		if (h < h0 || h > h1)
			continue;
		out->calls[h - h0] = sqlite3_column_int64(s, 1);
		out->total_ms[h - h0] = sqlite3_column_double(s, 2);
		if (out->calls[h - h0] > 0 && sqlite3_column_double(s, 3) > out->last_seen)
			out->last_seen = sqlite3_column_double(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the statement's history");
		store_stmt_history_free(out);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db,
			       "SELECT first_seen FROM queries WHERE server_id = ? AND queryid = ?",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, queryid);
		if (sqlite3_step(s) == SQLITE_ROW)
			out->first_seen = sqlite3_column_double(s, 0);
		sqlite3_finalize(s);
	}
	return 0;
}

void
store_stmt_history_free(struct stmt_history *h)
{
	free(h->calls);
	free(h->total_ms);
	memset(h, 0, sizeof *h);
}

/* ---- the catalog, for the index advisor ---- */

void
store_catalog_free(struct ix_table *tables, int n)
{
	int i;

	for (i = 0; i < n && tables != NULL; i++) {
		free((void *)tables[i].indexes);
		free((void *)tables[i].colstats);
	}
	free(tables);
}

static int
table_index(const struct ix_table *t, int n, const int64_t *relids, int64_t relid)
{
	int lo = 0, hi = n - 1;

	(void)t;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (relids[mid] == relid)
			return mid;
		if (relids[mid] < relid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int
store_catalog(struct store *st, int64_t server_id, struct ix_table **tables, int *n,
	      struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	struct ix_table *t = NULL;
	int64_t *relids = NULL;
	int rc, k = 0;

	*tables = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT relid, schemaname, relname, live_rows, bytes, seq_scan,"
			       " seq_tup_read FROM rel_tables WHERE server_id = ?1 ORDER BY relid",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ix_table *x;

		t = xreallocarray(t, (size_t)k + 1, sizeof *t);
		relids = xreallocarray(relids, (size_t)k + 1, sizeof *relids);
		x = &t[k];
		memset(x, 0, sizeof *x);
		relids[k] = sqlite3_column_int64(s, 0);
		if (sqlite3_column_text(s, 1) != NULL)
			strlcpy_(x->schema, (const char *)sqlite3_column_text(s, 1), IX_NAME);
		if (sqlite3_column_text(s, 2) != NULL)
			strlcpy_(x->name, (const char *)sqlite3_column_text(s, 2), IX_NAME);
		x->live_rows = sqlite3_column_double(s, 3);
		x->bytes = sqlite3_column_double(s, 4);
		x->seq_scan = sqlite3_column_type(s, 5) == SQLITE_NULL ? NAN
								     : sqlite3_column_double(s, 5);
		x->seq_tup_read = sqlite3_column_double(s, 6);
		k++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	/* the indexes, a row per column in order */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT relid, indexname, am, valid, partial, pos, attname"
			       " FROM rel_index_columns WHERE server_id = ?1"
			       " ORDER BY relid, indexname, pos",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int i = table_index(t, k, relids, sqlite3_column_int64(s, 0));
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *am = (const char *)sqlite3_column_text(s, 2);
		const char *att = (const char *)sqlite3_column_text(s, 6);
		struct ix_index *idx;
		int pos = sqlite3_column_int(s, 5);

		if (i < 0 || name == NULL || pos < 1 || pos > IX_MAX_COLS)
			continue;
		idx = (struct ix_index *)t[i].indexes;
		if (t[i].n_indexes == 0 || strcmp(idx[t[i].n_indexes - 1].name, name) != 0) {
			idx = xreallocarray(idx, (size_t)t[i].n_indexes + 1, sizeof *idx);
			memset(&idx[t[i].n_indexes], 0, sizeof *idx);
			strlcpy_(idx[t[i].n_indexes].name, name, IX_NAME);
			idx[t[i].n_indexes].btree = am != NULL && strcmp(am, "btree") == 0;
			idx[t[i].n_indexes].valid = sqlite3_column_int(s, 3);
			idx[t[i].n_indexes].partial = sqlite3_column_int(s, 4);
			t[i].indexes = idx;
			t[i].n_indexes++;
		}
		{
			struct ix_index *x = &idx[t[i].n_indexes - 1];

			if (pos > x->n_cols)
				x->n_cols = pos;
			strlcpy_(x->cols[pos - 1], att != NULL ? att : "", IX_NAME);
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT relid, attname, n_distinct FROM rel_column_stats"
			       " WHERE server_id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int i = table_index(t, k, relids, sqlite3_column_int64(s, 0));
		const char *att = (const char *)sqlite3_column_text(s, 1);
		struct ix_column *c;

		if (i < 0 || att == NULL)
			continue;
		c = xreallocarray((void *)t[i].colstats, (size_t)t[i].n_colstats + 1, sizeof *c);
		memset(&c[t[i].n_colstats], 0, sizeof *c);
		strlcpy_(c[t[i].n_colstats].name, att, IX_NAME);
		c[t[i].n_colstats].n_distinct = sqlite3_column_double(s, 2);
		t[i].colstats = c;
		t[i].n_colstats++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	free(relids);
	*tables = t;
	*n = k;
	return 0;
fail:
	db_error(st, err, "read the tables' statistics");
	sqlite3_finalize(s);
	store_catalog_free(t, k);
	free(relids);
	return -1;
}

/* ---- literal texts of statements, from the sessions sampled ---- */

void
store_literal_texts_free(struct literal_text *t, int n)
{
	int i;

	for (i = 0; i < n && t != NULL; i++)
		free(t[i].text);
	free(t);
}

int
store_literal_texts(struct store *st, int64_t server_id, int one, int64_t queryid, double from,
		    double to, int per_query, struct literal_text **out, int *n,
		    struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc, kept = 0;
	int64_t last_id = 0;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT a.query_id, a.query, max(s.ts) AS seen"
			       " FROM samples s JOIN activity a ON a.sample_id = s.id"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts <= ?3"
			       " AND a.query_id IS NOT NULL AND a.query_id <> 0 AND a.query IS NOT NULL"
			       " AND (?4 = 0 OR a.query_id = ?5)"
			       " GROUP BY a.query_id, a.query ORDER BY a.query_id, seen DESC",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the sampled texts of statements");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	sqlite3_bind_int(s, 4, one);
	sqlite3_bind_int64(s, 5, queryid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *q = (const char *)sqlite3_column_text(s, 1);

		if (*n == 0 || id != last_id)
			kept = 0;
		last_id = id;
		if (q == NULL || kept >= per_query)
			continue;
		kept++;
		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		(*out)[*n].queryid = id;
		(*out)[*n].text = xstrdup(q);
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the sampled texts of statements");
		store_literal_texts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- series for the analyses ---- */

void
store_stmt_series_free(struct stmt_series *s)
{
	free(s->sampled);
	free(s->queryid);
	free(s->toplevel);
	free(s->calls);
	free(s->total_ms);
	memset(s, 0, sizeof *s);
}

/*
 * The hours of one day row's text "HOUR:VALUE,..." (len bytes, not terminated): each value
 * times scale added to row (when not NULL) at the hour's place, and the hour marked sampled.
 * Returns the hours newly marked.
 */
static int
series_day_text(const char *p, int len, long long day, long long h0, int n_hours, double *row,
		double scale, unsigned char *sampled)
{
	const char *end = p + (len > 0 ? len : 0);
	long long base = day * 24 - h0;
	int marked = 0;

	/* by hand: strtol costs more than the rest of the reading */
	while (p < end) {
		long long hh = 0, v = 0, h;
		int neg = 0;

		while (p < end && *p >= '0' && *p <= '9' && hh < 24)
			hh = hh * 10 + (*p++ - '0');
		if (p == end || *p != ':' || hh > 23)
			break;
		p++;
		if (p < end && *p == '-') {
			neg = 1;
			p++;
		}
		while (p < end && *p >= '0' && *p <= '9' && v < 100000000000000000LL)
			v = v * 10 + (*p++ - '0');
		h = base + hh;
		if (h >= 0 && h < n_hours) {
			if (!sampled[h]) {
				sampled[h] = 1;
				marked++;
			}
			if (row != NULL)
				row[h] += (double)(neg ? -v : v) * scale;
		}
		if (p < end && *p == ',')
			p++;
		else if (p < end)
			break;
	}
	return marked;
}

/*
 * The series of the server's statements (one: of those of one query id). sum: all of
 * them added into one row, so that a long window of a busy server takes one row of memory.
 * Values are added, never assigned: a (statement, hour) is read once, and summed rows meet.
 */
static int
series_read(struct store *st, int64_t server_id, int one, int64_t queryid, int sum,
	    long long h0, long long h1, struct stmt_series *out, struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	int *index = NULL, max_id = 0, rc, n_rows;
	unsigned char *used = NULL;

	memset(out, 0, sizeof *out);
	if (h1 < h0)
		return 0;
	out->h0 = h0;
	out->n_hours = (int)(h1 - h0 + 1);
	out->sampled = xcalloc((size_t)out->n_hours, 1);
	/* the server's statements; those that did not run in the window are dropped below */
	if (sqlite3_prepare_v2(st->db,
			       one ? "SELECT k.id, k.queryid, k.toplevel FROM stmt_keys k"
				     " WHERE k.server_id = ?1 AND k.queryid = ?2 ORDER BY k.id"
				   : "SELECT k.id, k.queryid, k.toplevel FROM stmt_keys k"
				     " WHERE k.server_id = ?1 ORDER BY k.id",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	if (one)
		sqlite3_bind_int64(s, 2, queryid);
	{
		int *ids = NULL, i;

		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int k = out->n_stmts++;

			ids = xreallocarray(ids, (size_t)k + 1, sizeof *ids);
			out->queryid = xreallocarray(out->queryid, (size_t)k + 1,
						     sizeof *out->queryid);
			out->toplevel = xreallocarray(out->toplevel, (size_t)k + 1,
						      sizeof *out->toplevel);
			ids[k] = sqlite3_column_int(s, 0);
			out->queryid[k] = sqlite3_column_int64(s, 1);
			out->toplevel[k] = sqlite3_column_int(s, 2);
			if (ids[k] > max_id)
				max_id = ids[k];
		}
		/* statement number -> its place, -1 for numbers not in the window */
		index = xcalloc((size_t)max_id + 1, sizeof *index);
		for (i = 0; i <= max_id; i++)
			index[i] = -1;
		for (i = 0; i < out->n_stmts; i++)
			if (ids[i] >= 0)
				index[ids[i]] = sum ? 0 : i;
		free(ids);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	n_rows = sum ? 1 : out->n_stmts;
	out->calls = xcalloc((size_t)n_rows * (size_t)out->n_hours + 1, sizeof *out->calls);
	out->total_ms = xcalloc((size_t)n_rows * (size_t)out->n_hours + 1, sizeof *out->total_ms);
	used = xcalloc((size_t)n_rows + 1, 1);
	{
		/*
		 * Whole days rolled up with their hours kept as text are read a row per
		 * statement and day; the other hours (the edges of the window, days rolled up
		 * before schema 5) from the hourly rows. The rows of other statements only
		 * say which hours the history has, until a day has all of them.
		 */
		long long mark_hour = -1, mark_day = -1, d0 = (h0 + 23) / 24, d1 = (h1 + 1) / 24 - 1;
		long long dd, run_start = -1;
		int n_days;
		unsigned char *covered, *day_hours;

		if (rollup_marks(st, server_id, &mark_hour, &mark_day, err) < 0)
			goto fail_quiet;
		if (d1 > mark_day)
			d1 = mark_day;
		n_days = d1 >= d0 ? (int)(d1 - d0 + 1) : 0;
		covered = xcalloc((size_t)n_days + 1, 1);
		day_hours = xcalloc((size_t)n_days + 1, 1);
		if (n_days > 0) {
			if (sqlite3_prepare_v2(st->db,
					       "SELECT day, stmt, calls_by_hour, total_us_by_hour"
					       " FROM stmt_days WHERE server_id = ?1 AND day >= ?2"
					       " AND day <= ?3 AND calls_by_hour IS NOT NULL"
					       " AND total_us_by_hour IS NOT NULL",
					       -1, &s, NULL) != SQLITE_OK) {
				free(covered);
				free(day_hours);
				goto fail;
			}
			sqlite3_bind_int64(s, 1, server_id);
			sqlite3_bind_int64(s, 2, d0);
			sqlite3_bind_int64(s, 3, d1);
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				long long day = sqlite3_column_int64(s, 0);
				int id = sqlite3_column_int(s, 1), k;
				const char *p;
				size_t row;

				if (day < d0 || day > d1)
					continue;
				covered[day - d0] = 1;
				/* the bytes as stored: a text's terminator would cost a copy */
				if (id <= 0 || id > max_id || index[id] < 0) {
					if (day_hours[day - d0] < 24 &&
					    (p = sqlite3_column_blob(s, 2)) != NULL)
						day_hours[day - d0] += (unsigned char)series_day_text(
							p, sqlite3_column_bytes(s, 2), day, h0,
							out->n_hours, NULL, 0, out->sampled);
					continue;
				}
				k = index[id];
				used[k] = 1;
				row = (size_t)k * (size_t)out->n_hours;
				if ((p = sqlite3_column_blob(s, 2)) != NULL)
					day_hours[day - d0] += (unsigned char)series_day_text(
						p, sqlite3_column_bytes(s, 2), day, h0, out->n_hours,
						out->calls + row, 1, out->sampled);
				if ((p = sqlite3_column_blob(s, 3)) != NULL)
					series_day_text(p, sqlite3_column_bytes(s, 3), day, h0,
							out->n_hours, out->total_ms + row, 0.001,
							out->sampled);
			}
			sqlite3_finalize(s);
			s = NULL;
			free(day_hours);
			if (rc != SQLITE_DONE) {
				free(covered);
				goto fail;
			}
		} else {
			free(day_hours);
		}
		/* each run of hours not covered by a day row, from the hourly rows */
		for (dd = h0; dd <= h1 + 1; dd++) {
			long long day = dd / 24;
			int in_day = dd <= h1 && day >= d0 && day <= d1 && covered[day - d0];

			if (dd <= h1 && !in_day) {
				if (run_start < 0)
					run_start = dd;
				continue;
			}
			if (run_start < 0)
				continue;
			if (sqlite3_prepare_v2(st->db,
					       "SELECT hour, stmt, calls, total_us FROM stmt_hours"
					       " WHERE server_id = ?1 AND hour >= ?2 AND hour <= ?3",
					       -1, &s, NULL) != SQLITE_OK) {
				free(covered);
				goto fail;
			}
			sqlite3_bind_int64(s, 1, server_id);
			sqlite3_bind_int64(s, 2, run_start);
			sqlite3_bind_int64(s, 3, dd - 1);
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				long long h = sqlite3_column_int64(s, 0) - h0;
				int id = sqlite3_column_int(s, 1);
				size_t at;

				if (h < 0 || h >= out->n_hours)
					continue;
				out->sampled[h] = 1;
				if (id <= 0 || id > max_id || index[id] < 0)
					continue;
				at = (size_t)index[id] * (size_t)out->n_hours + (size_t)h;
				out->calls[at] += (double)sqlite3_column_int64(s, 2);
				out->total_ms[at] += (double)sqlite3_column_int64(s, 3) / 1000.0;
				used[index[id]] = 1;
			}
			sqlite3_finalize(s);
			s = NULL;
			if (rc != SQLITE_DONE) {
				free(covered);
				goto fail;
			}
			run_start = -1;
		}
		free(covered);
	}
	free(index);
	if (sum) {
		/* one row: the query id asked for (0 for the whole server), top level or not */
		out->n_stmts = used[0] ? 1 : 0;
		if (out->n_stmts == 0) {
			/* keep the arrays non-NULL for the caller: the row holds zeros */
			out->queryid = xreallocarray(out->queryid, 1, sizeof *out->queryid);
			out->toplevel = xreallocarray(out->toplevel, 1, sizeof *out->toplevel);
		}
		out->queryid[0] = one ? queryid : 0;
		out->toplevel[0] = 1;
	} else {
		/* keep the statements that ran in the window, in their order */
		int i, w = 0;

		for (i = 0; i < out->n_stmts; i++) {
			if (!used[i])
				continue;
			if (w != i) {
				size_t n = (size_t)out->n_hours;

				out->queryid[w] = out->queryid[i];
				out->toplevel[w] = out->toplevel[i];
				memmove(out->calls + (size_t)w * n, out->calls + (size_t)i * n,
					n * sizeof *out->calls);
				memmove(out->total_ms + (size_t)w * n, out->total_ms + (size_t)i * n,
					n * sizeof *out->total_ms);
			}
			w++;
		}
		out->n_stmts = w;
	}
	free(used);
	return 0;
fail:
	db_error(st, err, "read the hourly series");
fail_quiet:
	sqlite3_finalize(s);
	free(index);
	free(used);
	store_stmt_series_free(out);
	return -1;
}

int
store_stmt_series(struct store *st, int64_t server_id, long long h0, long long h1,
		  struct stmt_series *out, struct pgt_err *err)
{
	return series_read(st, server_id, 0, 0, 0, h0, h1, out, err);
}

int
store_stmt_series_of(struct store *st, int64_t server_id, int64_t queryid, long long h0,
		     long long h1, struct stmt_series *out, struct pgt_err *err)
{
	return series_read(st, server_id, 1, queryid, 0, h0, h1, out, err);
}

int
store_hour_sums(struct store *st, int64_t server_id, int one, int64_t queryid, long long h0,
		long long h1, struct stmt_series *out, struct pgt_err *err)
{
	return series_read(st, server_id, one, queryid, 1, h0, h1, out, err);
}

/* ---- N+1 detection: every statement's calls, rows and time per interval ---- */

struct iv_row {
	int at; /* the interval */
	int64_t queryid;
	uint32_t dbid, userid;
	double calls, rows, total_ms;
};

static int
iv_row_cmp(const void *a, const void *b)
{
	const struct iv_row *x = a, *y = b;

	if (x->queryid != y->queryid)
		return x->queryid < y->queryid ? -1 : 1;
	if (x->dbid != y->dbid)
		return x->dbid < y->dbid ? -1 : 1;
	if (x->userid != y->userid)
		return x->userid < y->userid ? -1 : 1;
	return x->at - y->at;
}

struct iv_sample {
	int64_t id;
	int at;
};

static int
iv_sample_cmp(const void *a, const void *b)
{
	const struct iv_sample *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The interval of a row: its hour, or its sample looked up in ids (sorted); -1: none. */
static int
iv_at(const struct stmt_intervals *out, long long h0, const struct iv_sample *ids,
      long long key)
{
	size_t lo = 0, hi = (size_t)out->n;

	if (out->hourly)
		return key >= h0 && key < h0 + out->n ? (int)(key - h0) : -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ids[mid].id == key)
			return ids[mid].at;
		if (ids[mid].id < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
store_stmt_intervals_free(struct stmt_intervals *s)
{
	int i;

	for (i = 0; i < s->n_stmts; i++)
		free(s->text[i]);
	free(s->text);
	free(s->t);
	free(s->dur);
	free(s->queryid);
	free(s->dbid);
	free(s->userid);
	free(s->calls);
	free(s->rows);
	free(s->total_ms);
	free(s->datid);
	free(s->xacts);
	memset(s, 0, sizeof *s);
}

int
store_stmt_intervals(struct store *st, int64_t server_id, double from, double to, int min_hours,
		     int max_n, struct stmt_intervals *out, struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	struct iv_sample *ids = NULL;
	struct iv_row *rows = NULL;
	long long mark_hour, mark_day, h0 = (long long)ceil(from / 3600.0),
					   h1 = (long long)floor(to / 3600.0) - 1, n_hours = 0;
	size_t n_rows = 0, alloc = 0, i;
	int rc, k;

	memset(out, 0, sizeof *out);
	if (rollup_marks(st, server_id, &mark_hour, &mark_day, err) < 0)
		return -1;
	if (h1 > mark_hour)
		h1 = mark_hour;
	if (h1 >= h0) {
		if (sqlite3_prepare_v2(st->db,
				       "SELECT count(DISTINCT hour) FROM database_hourly"
				       " WHERE server_id = ? AND hour >= ? AND hour <= ?",
				       -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_int64(s, 2, h0);
		sqlite3_bind_int64(s, 3, h1);
		if (sqlite3_step(s) != SQLITE_ROW)
			goto fail;
		n_hours = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
	}
	if (max_n < 1)
		max_n = 1;
	out->hourly = n_hours >= min_hours && n_hours > 0;
	if (out->hourly) {
		if (h1 - h0 + 1 > max_n)
			h0 = h1 - max_n + 1;
		out->n = (int)(h1 - h0 + 1);
		out->t = xcalloc((size_t)out->n, sizeof *out->t);
		out->dur = xcalloc((size_t)out->n, sizeof *out->dur);
		for (k = 0; k < out->n; k++)
			out->t[k] = (double)(h0 + k) * 3600.0;
	} else {
		/* the latest max_n samples of the window, then oldest first */
		if (sqlite3_prepare_v2(st->db,
				       "SELECT id, ts, interval_s FROM samples WHERE server_id = ?"
				       " AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT ?",
				       -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, server_id);
		sqlite3_bind_double(s, 2, from);
		sqlite3_bind_double(s, 3, to);
		sqlite3_bind_int(s, 4, max_n);
		out->t = xcalloc((size_t)max_n, sizeof *out->t);
		out->dur = xcalloc((size_t)max_n, sizeof *out->dur);
		ids = xcalloc((size_t)max_n, sizeof *ids);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->n < max_n) {
			double iv = sqlite3_column_double(s, 2);

			ids[out->n].id = sqlite3_column_int64(s, 0);
			out->dur[out->n] = iv > 0 ? iv : 0;
			out->t[out->n] = sqlite3_column_double(s, 1) - out->dur[out->n];
			out->n++;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
		for (k = 0; k < out->n / 2; k++) {
			int o = out->n - 1 - k;
			double t = out->t[k], d = out->dur[k];
			int64_t id = ids[k].id;

			out->t[k] = out->t[o];
			out->dur[k] = out->dur[o];
			ids[k].id = ids[o].id;
			out->t[o] = t;
			out->dur[o] = d;
			ids[o].id = id;
		}
		for (k = 0; k < out->n; k++)
			ids[k].at = k;
		qsort(ids, (size_t)out->n, sizeof *ids, iv_sample_cmp);
		if (out->n == 0) {
			free(ids);
			return 0;
		}
	}

	/* the databases' transactions: an interval with a row of them was sampled */
	if (sqlite3_prepare_v2(
		    st->db,
		    out->hourly
			    ? "SELECT hour, datid, coalesce(xact_commit, 0) + coalesce(xact_rollback, 0)"
			      " FROM database_hourly WHERE server_id = ?1 AND hour >= ?2"
			      " AND hour <= ?3 ORDER BY datid"
			    : "SELECT d.sample_id, d.datid, coalesce(d.xact_commit, 0)"
			      " + coalesce(d.xact_rollback, 0) FROM database_deltas d"
			      " JOIN samples s ON s.id = d.sample_id WHERE s.server_id = ?1"
			      " AND s.ts >= ?4 AND s.ts <= ?5 ORDER BY d.datid",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, h0);
	sqlite3_bind_int64(s, 3, h1);
	sqlite3_bind_double(s, 4, out->hourly ? 0 : out->t[0] + out->dur[0]);
	sqlite3_bind_double(s, 5, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int at = iv_at(out, h0, ids, sqlite3_column_int64(s, 0));
		uint32_t datid = (uint32_t)sqlite3_column_int64(s, 1);
		double *x;

		if (at < 0)
			continue;
		if (out->n_dbs == 0 || out->datid[out->n_dbs - 1] != datid) {
			out->datid = xreallocarray(out->datid, (size_t)out->n_dbs + 1,
						   sizeof *out->datid);
			out->xacts = xreallocarray(out->xacts, (size_t)(out->n_dbs + 1) * (size_t)out->n,
						   sizeof *out->xacts);
			out->datid[out->n_dbs] = datid;
			x = out->xacts + (size_t)out->n_dbs * (size_t)out->n;
			for (k = 0; k < out->n; k++)
				x[k] = NAN;
			out->n_dbs++;
		}
		x = out->xacts + (size_t)(out->n_dbs - 1) * (size_t)out->n;
		x[at] = (isnan(x[at]) ? 0 : x[at]) + sqlite3_column_double(s, 2);
		if (out->hourly)
			out->dur[at] = 3600;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;

	/* the statements' rows, then one series per (queryid, dbid, userid) */
	if (sqlite3_prepare_v2(
		    st->db,
		    out->hourly
			    ? "SELECT hour, queryid, dbid, userid, calls, rows, total_ms FROM stmt_hourly"
			      " WHERE server_id = ?1 AND hour >= ?2 AND hour <= ?3 AND toplevel = 1"
			    : "SELECT d.sample_id, d.queryid, d.dbid, d.userid, d.calls, d.rows,"
			      " d.total_ms FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id"
			      " WHERE s.server_id = ?1 AND s.ts >= ?4 AND s.ts <= ?5"
			      " AND d.toplevel = 1",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, h0);
	sqlite3_bind_int64(s, 3, h1);
	sqlite3_bind_double(s, 4, out->hourly ? 0 : out->t[0] + out->dur[0]);
	sqlite3_bind_double(s, 5, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int at = iv_at(out, h0, ids, sqlite3_column_int64(s, 0));
		struct iv_row *r;

		if (at < 0)
			continue;
		if (n_rows == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			rows = xreallocarray(rows, alloc, sizeof *rows);
		}
		r = &rows[n_rows++];
		r->at = at;
		r->queryid = sqlite3_column_int64(s, 1);
		r->dbid = (uint32_t)sqlite3_column_int64(s, 2);
		r->userid = (uint32_t)sqlite3_column_int64(s, 3);
		r->calls = sqlite3_column_double(s, 4);
		r->rows = sqlite3_column_double(s, 5);
		r->total_ms = sqlite3_column_double(s, 6);
		if (out->hourly)
			out->dur[at] = 3600;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (n_rows > 1)
		qsort(rows, n_rows, sizeof *rows, iv_row_cmp);
	for (i = 0; i < n_rows; i++)
		if (i == 0 || rows[i].queryid != rows[i - 1].queryid ||
		    rows[i].dbid != rows[i - 1].dbid || rows[i].userid != rows[i - 1].userid)
			out->n_stmts++;
	out->queryid = xcalloc((size_t)out->n_stmts + 1, sizeof *out->queryid);
	out->dbid = xcalloc((size_t)out->n_stmts + 1, sizeof *out->dbid);
	out->userid = xcalloc((size_t)out->n_stmts + 1, sizeof *out->userid);
	out->text = xcalloc((size_t)out->n_stmts + 1, sizeof *out->text);
	out->calls = xcalloc((size_t)out->n_stmts * (size_t)out->n + 1, sizeof *out->calls);
	out->rows = xcalloc((size_t)out->n_stmts * (size_t)out->n + 1, sizeof *out->rows);
	out->total_ms = xcalloc((size_t)out->n_stmts * (size_t)out->n + 1, sizeof *out->total_ms);
	k = -1;
	for (i = 0; i < n_rows; i++) {
		const struct iv_row *r = &rows[i];
		size_t at;

		if (k < 0 || r->queryid != out->queryid[k] || r->dbid != out->dbid[k] ||
		    r->userid != out->userid[k]) {
			k++;
			out->queryid[k] = r->queryid;
			out->dbid[k] = r->dbid;
			out->userid[k] = r->userid;
			out->text[k] = store_text(st, server_id, r->queryid);
		}
		at = (size_t)k * (size_t)out->n + (size_t)r->at;
		out->calls[at] += r->calls;
		out->rows[at] += r->rows;
		out->total_ms[at] += r->total_ms;
	}
	free(rows);
	free(ids);
	return 0;

fail:
	db_error(st, err, "read the statements' intervals");
	if (s != NULL)
		sqlite3_finalize(s);
	free(rows);
	free(ids);
	store_stmt_intervals_free(out);
	return -1;
}

/* ---- the parameter advisor's reads (src/params.h) ---- */

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

int
store_param_settings(struct store *st, int64_t server_id, double to,
		     struct param_setting **rows, int *n, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int alloc = 0, rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT name, setting, unit, source, pending_restart, ts FROM settings"
			       " WHERE server_id = ?1 AND ts <= ?2 ORDER BY name, ts",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the settings");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct param_setting *r;

		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			*rows = xreallocarray(*rows, (size_t)alloc, sizeof **rows);
		}
		r = &(*rows)[(*n)++];
		r->name = col_text(s, 0);
		if (r->name == NULL)
			r->name = xstrdup("");
		r->setting = col_text(s, 1);
		r->unit = col_text(s, 2);
		r->source = col_text(s, 3);
		r->pending_restart = sqlite3_column_int(s, 4);
		r->ts = sqlite3_column_double(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the settings");
		store_param_settings_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_param_settings_free(struct param_setting *rows, int n)
{
	int i;

	for (i = 0; i < n && rows != NULL; i++) {
		free(rows[i].name);
		free(rows[i].setting);
		free(rows[i].unit);
		free(rows[i].source);
	}
	free(rows);
}

int
store_param_totals(struct store *st, int64_t server_id, double from, double to,
		   struct param_totals *out, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	/* the databases: hourly rows up to the rollup mark, raw samples after it */
	if (sqlite3_prepare_v2(
		    st->db,
		    "WITH mark AS (SELECT coalesce((SELECT hour FROM rollup_state"
		    "  WHERE server_id = ?1), -1) AS hour)"
		    " SELECT count(*), sum(temp_files), sum(temp_bytes), sum(blks_read), sum(blks_hit)"
		    " FROM (SELECT h.temp_files, h.temp_bytes, h.blks_read, h.blks_hit"
		    "  FROM database_hourly h, mark WHERE h.server_id = ?1 AND h.hour >= ?4"
		    "   AND h.hour <= mark.hour AND h.hour * 3600 < ?3"
		    "  UNION ALL"
		    "  SELECT d.temp_files, d.temp_bytes, d.blks_read, d.blks_hit"
		    "  FROM database_deltas d JOIN samples s ON s.id = d.sample_id, mark"
		    "  WHERE s.server_id = ?1 AND s.ts >= max(?2, (mark.hour + 1) * 3600)"
		    "   AND s.ts <= ?3)",
		    -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the database statistics");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)floor(from / 3600.0));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->have_db = sqlite3_column_int(s, 0) > 0;
		out->temp_files = sqlite3_column_double(s, 1);
		out->temp_bytes = sqlite3_column_double(s, 2);
		out->blks_read = sqlite3_column_double(s, 3);
		out->blks_hit = sqlite3_column_double(s, 4);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read the database statistics");
		return -1;
	}
	/* checkpoints, sessions and deallocations: raw samples only */
	if (sqlite3_prepare_v2(
		    st->db,
		    "SELECT count(c.sample_id), sum(c.timed), sum(c.requested),"
		    " sum(CASE WHEN c.sample_id IS NOT NULL THEN s.interval_s END),"
		    " count(s.sess_total), max(s.sess_total), count(s.dealloc), sum(s.dealloc)"
		    " FROM samples s LEFT JOIN checkpoint_deltas c ON c.sample_id = s.id"
		    " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts <= ?3",
		    -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the samples");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->have_ckpt = sqlite3_column_int(s, 0) > 0;
		out->ckpt_timed = sqlite3_column_double(s, 1);
		out->ckpt_requested = sqlite3_column_double(s, 2);
		out->ckpt_hours = sqlite3_column_double(s, 3) / 3600.0;
		out->have_sess = sqlite3_column_int(s, 4) > 0;
		out->sess_peak = sqlite3_column_double(s, 5);
		out->have_dealloc = sqlite3_column_int(s, 6) > 0;
		out->dealloc = sqlite3_column_double(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read the samples");
		return -1;
	}
	return 0;
}

int
store_param_hours(struct store *st, int64_t server_id, long long h0, long long h1,
		  struct param_hours *out, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc, i;

	memset(out, 0, sizeof *out);
	if (h1 < h0)
		return 0;
	out->h0 = h0;
	out->n = (int)(h1 - h0 + 1);
	out->temp_bytes = xcalloc((size_t)out->n, sizeof *out->temp_bytes);
	out->ckpt_requested = xcalloc((size_t)out->n, sizeof *out->ckpt_requested);
	out->ckpt_timed = xcalloc((size_t)out->n, sizeof *out->ckpt_timed);
	for (i = 0; i < out->n; i++)
		out->temp_bytes[i] = out->ckpt_requested[i] = out->ckpt_timed[i] = NAN;
	if (sqlite3_prepare_v2(
		    st->db,
		    "WITH mark AS (SELECT coalesce((SELECT hour FROM rollup_state"
		    "  WHERE server_id = ?1), -1) AS hour)"
		    " SELECT hour, sum(temp_bytes) FROM ("
		    "  SELECT h.hour AS hour, h.temp_bytes FROM database_hourly h, mark"
		    "  WHERE h.server_id = ?1 AND h.hour >= ?2 AND h.hour <= ?3"
		    "   AND h.hour <= mark.hour"
		    "  UNION ALL"
		    "  SELECT CAST(s.ts / 3600 AS INTEGER), d.temp_bytes"
		    "  FROM database_deltas d JOIN samples s ON s.id = d.sample_id, mark"
		    "  WHERE s.server_id = ?1 AND s.ts >= max(?2, mark.hour + 1) * 3600"
		    "   AND s.ts < (?3 + 1) * 3600)"
		    " GROUP BY hour",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, h0);
	sqlite3_bind_int64(s, 3, h1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long h = sqlite3_column_int64(s, 0);

		if (h >= h0 && h <= h1)
			out->temp_bytes[h - h0] = sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT CAST(s.ts / 3600 AS INTEGER) AS hour, sum(c.requested),"
			       " sum(c.timed) FROM samples s JOIN checkpoint_deltas c"
			       " ON c.sample_id = s.id WHERE s.server_id = ?1 AND s.ts >= ?2 * 3600"
			       " AND s.ts < (?3 + 1) * 3600 GROUP BY hour",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, h0);
	sqlite3_bind_int64(s, 3, h1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long h = sqlite3_column_int64(s, 0);

		if (h >= h0 && h <= h1) {
			out->ckpt_requested[h - h0] = sqlite3_column_double(s, 1);
			out->ckpt_timed[h - h0] = sqlite3_column_double(s, 2);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	db_error(st, err, "read the hours of the server");
	store_param_hours_free(out);
	return -1;
}

void
store_param_hours_free(struct param_hours *h)
{
	free(h->temp_bytes);
	free(h->ckpt_requested);
	free(h->ckpt_timed);
	memset(h, 0, sizeof *h);
}

/* ---- plans and hypothetical indexes ---- */

int
store_plan_add(struct store *st, int64_t server_id, int64_t queryid, double ts, const char *method,
	       int analyzed, double total_cost, const char *plan, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO plans (server_id, queryid, ts, method, analyzed,"
			       " total_cost, plan) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "store the plan");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, queryid);
	sqlite3_bind_double(s, 3, ts);
	bind_text(s, 4, method);
	sqlite3_bind_int(s, 5, analyzed);
	bind_number(s, 6, total_cost);
	bind_text(s, 7, plan);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "store the plan");
		return -1;
	}
	return 0;
}

void
store_plans_free(struct plan_rec *p, int n)
{
	for (int i = 0; i < n && p != NULL; i++) {
		free(p[i].method);
		free(p[i].plan);
	}
	free(p);
}

int
store_plans(struct store *st, int64_t server_id, int one, int64_t queryid, double from, double to,
	    int per_query, struct plan_rec **out, int *n, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc, kept = 0;
	int64_t last = 0;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT queryid, ts, method, analyzed, total_cost, plan FROM plans"
			       " WHERE server_id = ?1 AND ts >= ?2 AND ts <= ?3"
			       " AND (?4 = 0 OR queryid = ?5) ORDER BY queryid, ts DESC, id DESC",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the plans");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	sqlite3_bind_int(s, 4, one);
	sqlite3_bind_int64(s, 5, queryid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		struct plan_rec *p;

		if (*n == 0 || id != last)
			kept = 0;
		last = id;
		if (kept >= per_query)
			continue;
		kept++;
		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		p = &(*out)[(*n)++];
		p->queryid = id;
		p->ts = sqlite3_column_double(s, 1);
		p->method = col_text(s, 2);
		p->analyzed = sqlite3_column_int(s, 3);
		p->total_cost = col_number(s, 4);
		p->plan = col_text(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the plans");
		store_plans_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_index_check_add(struct store *st, int64_t server_id, const struct index_check *c,
		      struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO index_checks (server_id, queryid, ddl, ts,"
			       " cost_before, cost_after, used, error)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "store the check of an index");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_int64(s, 2, c->queryid);
	bind_text(s, 3, c->ddl);
	sqlite3_bind_double(s, 4, c->ts);
	bind_number(s, 5, c->cost_before);
	bind_number(s, 6, c->cost_after);
	sqlite3_bind_int(s, 7, c->used);
	bind_text(s, 8, c->error);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "store the check of an index");
		return -1;
	}
	return 0;
}

void
store_index_checks_free(struct index_check *c, int n)
{
	for (int i = 0; i < n && c != NULL; i++) {
		free(c[i].ddl);
		free(c[i].error);
	}
	free(c);
}

int
store_index_checks(struct store *st, int64_t server_id, struct index_check **out, int *n,
		   struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT queryid, ddl, ts, cost_before, cost_after, used, error"
			       " FROM index_checks WHERE server_id = ?1 ORDER BY queryid, ddl",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the checks of indexes");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct index_check *c;

		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		c = &(*out)[(*n)++];
		c->queryid = sqlite3_column_int64(s, 0);
		c->ddl = col_text(s, 1);
		c->ts = sqlite3_column_double(s, 2);
		c->cost_before = col_number(s, 3);
		c->cost_after = col_number(s, 4);
		c->used = sqlite3_column_int(s, 5);
		c->error = col_text(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the checks of indexes");
		store_index_checks_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_rel_stats_free(struct rel_stat *r)
{
	free(r);
}

int
store_rel_stats(struct store *st, int64_t server_id, struct rel_stat **out, int *n,
		struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT schemaname, relname, live_rows, mod_since_analyze, last_analyze"
			       " FROM rel_tables WHERE server_id = ?1 ORDER BY schemaname, relname",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the tables' statistics");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rel_stat *r;
		const char *schema = (const char *)sqlite3_column_text(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);

		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		r = &(*out)[(*n)++];
		strlcpy_(r->schema, schema != NULL ? schema : "", sizeof r->schema);
		strlcpy_(r->name, name != NULL ? name : "", sizeof r->name);
		r->live_rows = sqlite3_column_double(s, 2);
		r->mod_since_analyze = col_number(s, 3);
		r->last_analyze = sqlite3_column_double(s, 4); /* NULL: 0, never */
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the tables' statistics");
		store_rel_stats_free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- what the user did with the recommendations ---- */

void
store_rec_states_free(struct rec_state *s, int n)
{
	for (int i = 0; i < n && s != NULL; i++) {
		free(s[i].state);
		free(s[i].reason);
		free(s[i].rule);
		free(s[i].rules);
		free(s[i].category);
		free(s[i].title);
	}
	free(s);
}

/* ---- the parameter advisor: settings of databases and roles, WAL, vacuum ---- */

void
store_param_role_settings_free(struct param_role_setting *rows, int n)
{
	for (int i = 0; i < n && rows != NULL; i++) {
		free(rows[i].database);
		free(rows[i].role);
		free(rows[i].name);
		free(rows[i].setting);
		free(rows[i].old);
	}
	free(rows);
}

/* '' (every database or role) as NULL */
static char *
col_scope(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL && t[0] != '\0' ? xstrdup((const char *)t) : NULL;
}

int
store_param_role_settings(struct store *st, int64_t server_id, double to,
			  struct param_role_setting **rows, int *n, struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT datname, rolname, name, setting, old, ts, first FROM role_settings"
			       " WHERE server_id = ?1 AND ts <= ?2 ORDER BY ts, datname, rolname, name",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the settings of databases and roles");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct param_role_setting *r;

		*rows = xreallocarray(*rows, (size_t)*n + 1, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->database = col_scope(s, 0);
		r->role = col_scope(s, 1);
		r->name = col_text(s, 2);
		if (r->name == NULL)
			r->name = xstrdup("");
		r->setting = col_text(s, 3);
		r->old = col_text(s, 4);
		r->ts = sqlite3_column_double(s, 5);
		r->first = sqlite3_column_int(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the settings of databases and roles");
		store_param_role_settings_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_param_more_free(struct param_more *m)
{
	free(m->hour_hit);
	free(m->hour_read);
	memset(m, 0, sizeof *m);
}

int
store_param_more(struct store *st, int64_t server_id, double from, double to,
		 struct param_more *out, struct pgt_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	/* WAL: per hour, hourly rows up to the rollup mark and raw samples after it */
	if (sqlite3_prepare_v2(
		    st->db,
		    "WITH mark AS (SELECT coalesce((SELECT hour FROM rollup_state"
		    "  WHERE server_id = ?1), -1) AS hour)"
		    " SELECT hour, sum(b), sum(r), sum(f), sum(t) FROM ("
		    "  SELECT h.hour AS hour, h.wal_bytes AS b, h.wal_records AS r, h.wal_fpi AS f,"
		    "   h.wal_seconds AS t FROM server_hourly h, mark"
		    "  WHERE h.server_id = ?1 AND h.hour >= ?4 AND h.hour <= mark.hour"
		    "   AND h.hour * 3600 < ?3 AND h.wal_samples > 0"
		    "  UNION ALL"
		    "  SELECT CAST(s.ts / 3600 AS INTEGER), w.wal_bytes, w.wal_records, w.wal_fpi,"
		    "   s.interval_s FROM wal_deltas w JOIN samples s ON s.id = w.sample_id, mark"
		    "  WHERE s.server_id = ?1 AND s.ts >= max(?2, (mark.hour + 1) * 3600)"
		    "   AND s.ts <= ?3)"
		    " GROUP BY hour",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)floor(from / 3600.0));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double b = sqlite3_column_double(s, 1);

		out->have_wal = 1;
		out->wal_bytes += b;
		out->wal_records += sqlite3_column_double(s, 2);
		out->wal_fpi += sqlite3_column_double(s, 3);
		out->wal_seconds += sqlite3_column_double(s, 4);
		if (b > out->wal_peak_hour)
			out->wal_peak_hour = b;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	/* the raw samples that have both: WAL written per checkpoint */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT sum(w.wal_bytes), sum(c.timed + c.requested) FROM samples s"
			       " JOIN wal_deltas w ON w.sample_id = s.id"
			       " JOIN checkpoint_deltas c ON c.sample_id = s.id"
			       " WHERE s.server_id = ?1 AND s.ts >= ?2 AND s.ts <= ?3",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->wal_ckpt_bytes = sqlite3_column_double(s, 0);
		out->wal_ckpt_count = sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_ROW)
		goto fail;
	/* the databases' blocks and read time per hour */
	if (sqlite3_prepare_v2(
		    st->db,
		    "WITH mark AS (SELECT coalesce((SELECT hour FROM rollup_state"
		    "  WHERE server_id = ?1), -1) AS hour)"
		    " SELECT hour, sum(hit), sum(rd), sum(ms) FROM ("
		    "  SELECT h.hour AS hour, h.blks_hit AS hit, h.blks_read AS rd,"
		    "   h.blk_read_ms AS ms FROM database_hourly h, mark"
		    "  WHERE h.server_id = ?1 AND h.hour >= ?4 AND h.hour <= mark.hour"
		    "   AND h.hour * 3600 < ?3"
		    "  UNION ALL"
		    "  SELECT CAST(s.ts / 3600 AS INTEGER), d.blks_hit, d.blks_read, d.blk_read_ms"
		    "  FROM database_deltas d JOIN samples s ON s.id = d.sample_id, mark"
		    "  WHERE s.server_id = ?1 AND s.ts >= max(?2, (mark.hour + 1) * 3600)"
		    "   AND s.ts <= ?3)"
		    " GROUP BY hour ORDER BY hour",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, server_id);
	sqlite3_bind_double(s, 2, from);
	sqlite3_bind_double(s, 3, to);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)floor(from / 3600.0));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int k = out->n_io_hours++;

		out->hour_hit = xreallocarray(out->hour_hit, (size_t)k + 1, sizeof *out->hour_hit);
		out->hour_read = xreallocarray(out->hour_read, (size_t)k + 1, sizeof *out->hour_read);
		out->hour_hit[k] = sqlite3_column_double(s, 1);
		out->hour_read[k] = sqlite3_column_double(s, 2);
		out->blk_read_ms += sqlite3_column_double(s, 3);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	db_error(st, err, "read the WAL and the reads of the server");
	sqlite3_finalize(s);
	store_param_more_free(out);
	return -1;
}

void
store_param_tables_free(struct param_table *t, int n)
{
	for (int i = 0; i < n && t != NULL; i++) {
		free(t[i].schema);
		free(t[i].name);
		free(t[i].reloptions);
	}
	free(t);
}

int
store_param_tables(struct store *st, int64_t server_id, struct param_table **out, int *n,
		   struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT schemaname, relname, n_live_tup, n_dead_tup,"
			       " max(coalesce(last_vacuum, 0), coalesce(last_autovacuum, 0)),"
			       " vacuum_count, autovacuum_count, reloptions, ts FROM rel_tables"
			       " WHERE server_id = ?1 AND n_dead_tup IS NOT NULL"
			       " ORDER BY schemaname, relname",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the tables' vacuums");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct param_table *t;

		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		t = &(*out)[(*n)++];
		t->schema = col_text(s, 0);
		t->name = col_text(s, 1);
		t->live_rows = sqlite3_column_double(s, 2);
		t->dead_rows = sqlite3_column_double(s, 3);
		t->last_vacuum = sqlite3_column_double(s, 4);
		t->vacuum_count = sqlite3_column_double(s, 5);
		t->autovacuum_count = sqlite3_column_double(s, 6);
		t->reloptions = col_text(s, 7);
		t->ts = sqlite3_column_double(s, 8);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the tables' vacuums");
		store_param_tables_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_rec_states(struct store *st, int64_t server_id, struct rec_state **out, int *n,
		 struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT rec_id, state, reason, changed_at, applied_at, rule, rules,"
			       " category, queryid, title FROM recommendation_states"
			       " WHERE server_id = ?1 ORDER BY rec_id",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "read the states of the recommendations");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rec_state *r;
		const char *id = (const char *)sqlite3_column_text(s, 0);

		*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
		r = &(*out)[(*n)++];
		memset(r, 0, sizeof *r);
		strlcpy_(r->id, id != NULL ? id : "", sizeof r->id);
		r->state = col_text(s, 1);
		r->reason = col_text(s, 2);
		r->changed_at = sqlite3_column_double(s, 3);
		r->applied_at = sqlite3_column_double(s, 4);
		r->rule = col_text(s, 5);
		r->rules = col_text(s, 6);
		r->category = col_text(s, 7);
		r->has_queryid = sqlite3_column_type(s, 8) != SQLITE_NULL;
		r->queryid = sqlite3_column_int64(s, 8);
		r->title = col_text(s, 9);
		if (r->state == NULL)
			r->state = xstrdup("new");
		if (r->rule == NULL)
			r->rule = xstrdup("");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the states of the recommendations");
		store_rec_states_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_rec_state_set(struct store *st, int64_t server_id, const struct rec_state *r,
		    struct pgt_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO recommendation_states (server_id, rec_id,"
			       " state, reason, changed_at, applied_at, rule, rules, category,"
			       " queryid, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "store the state of the recommendation");
		return -1;
	}
	sqlite3_bind_int64(s, 1, server_id);
	bind_text(s, 2, r->id);
	bind_text(s, 3, r->state);
	bind_text(s, 4, r->reason);
	sqlite3_bind_double(s, 5, r->changed_at);
	if (r->applied_at > 0)
		sqlite3_bind_double(s, 6, r->applied_at);
	else
		sqlite3_bind_null(s, 6);
	bind_text(s, 7, r->rule != NULL ? r->rule : "");
	bind_text(s, 8, r->rules);
	bind_text(s, 9, r->category);
	if (r->has_queryid)
		sqlite3_bind_int64(s, 10, r->queryid);
	else
		sqlite3_bind_null(s, 10);
	bind_text(s, 11, r->title);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "store the state of the recommendation");
		return -1;
	}
	return 0;
}

