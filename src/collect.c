#include "config.h"

#include "collect.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-sql.h"
#include "xutil.h"

#define CONNECT_TIMEOUT_S 15.0
#define RETRY_MAX_S 30.0
#define TEXTS_PER_SAMPLE 500
#define TEXTS_RETRY_S 60
/* The catalog (tables, indexes, column statistics) is read this often. */
#define CATALOG_EVERY_S 600
#define EVENT_QUEUE 8
#define SETTLE_MIN_S 0.001
#define SETTLE_MAX_S 0.1
/* Evictions from pg_stat_statements are said at most this often. */
#define EVICT_SAY_EVERY_S 600

enum cstate {
	C_OFF,        /* not connected, no retry planned */
	C_WAIT_RETRY, /* not connected; retry at retry_at */
	C_CONNECTING,
	C_DETECT,  /* reading what the server is */
	C_COLUMNS, /* reading pg_stat_statements' columns */
	C_PROBE,   /* can pg_stat_statements be read? */
	C_IDLE,    /* connected, no query running */
	C_SAMPLE,  /* a sample step is running */
	C_ADMIN,   /* pg_cancel_backend or pg_terminate_backend is running */
};

/* The queries of a sample: all but the texts go in one batch, the texts after it. */
enum step {
	S_CLOCK,
	S_STMTS,
	S_ACTIVITY,
	S_DATABASE,
	S_CHECKPOINT,
	S_WAL,
	S_SETTINGS,
	S_ROLE_SETTINGS,
	S_ROLES,
	S_TABLES,
	S_INDEX_COLS,
	S_COLSTATS,
	S_TEXTS,
	S_NSTEPS
};

struct event {
	enum collect_event ev;
	char msg[600];
};

struct collector {
	struct pg *pg;
	char *host, *port, *user, *dbname, *password;
	int timeout_ms;

	enum cstate state;
	enum step batch[S_NSTEPS]; /* the steps of the running batch, in order */
	int n_batch, batch_pos;
	int texts_asked; /* this sample's texts were asked for (or need not be) */
	/* look for statements without a stored text: new keys came, or some were missing */
	int texts_look;
	char skip[512];  /* this sample is dropped, and why; its other results are drained */
	char settings_token[128]; /* of the settings last delivered: see collect_sql_settings */
	char snap_token[128];     /* of the settings in the sample being read */
	char *texts_ids;          /* the int8[] literal of the texts step */
	/*
	 * The answers to a sample's batch are read once they should all be there, not as
	 * each one arrives: settle_s is how long the last batch took (shrinking while the
	 * answers were all there at the first look), settle_until when to look.
	 */
	double settle_s, settle_until, batch_sent;
	int looks;
	int ever_connected;
	double query_started; /* monotonic */
	double retry_at;
	double retry_delay;
	int attempt; /* the reconnection attempt waited for or made (1, 2, ...); 0: connected */

	struct server_info srv;
	char *sql_stmts, *sql_texts, *sql_clock, *sql_activity;
	char *sql_probe;
	int pgss_usable;   /* the probe succeeded */
	int need_columns;  /* read the columns again before the next statements step */
	int warned_hidden; /* said once that texts are hidden */
	int announced;     /* COLLECT_CONNECTED was said for this connection */
	int want_sample;   /* a sample was asked for while detecting again */
	int texts_failing; /* reading texts failed; said once */
	int n_skipped;     /* samples skipped since the last one delivered */
	int hidden_seen;   /* the last statements read had some of other roles hidden */
	int hidden_revoked; /* ... after the role could see them: said when they come back */
	int admin_terminate; /* the queued admin command: 1 terminate, 0 cancel */
	int admin_pid;       /* its backend, 0: none queued */
	double texts_retry_at;
	double catalog_at;  /* when (monotonic) the catalog is read next; 0: at the next sample */
	int catalog_failed; /* a step of the catalog failed in this sample */
	int catalog_warned; /* said so once */
	int role_settings_all; /* this sample reads pg_db_role_setting whatever the token */
	unsigned optional_warned; /* 1 << step: a failure of that step was said once */
	char last_pgss_error[256];
	/* pg_stat_statements_info.dealloc: the last seen, and the evictions not yet said */
	int dealloc_known;
	int64_t dealloc_last;
	double dealloc_reset;
	int64_t dealloc_unsaid;
	double evict_said_at; /* monotonic; 0: never */

	struct stmt_cache stmt_cache; /* the last statements parsed, not to parse them again */
	struct snapshot *snap; /* being read */
	struct snapshot *ready;
	int64_t *missing; /* query ids whose texts are being fetched */
	int n_missing;

	int64_t *known; /* sorted query ids with stored texts */
	int n_known, alloc_known;

	struct event events[EVENT_QUEUE];
	int ev_head, ev_len;
	struct event current;
	int needs_password;
};

static void
push(struct collector *c, enum collect_event ev, const char *fmt, ...) PGT_PRINTF(3, 4);

static void
push(struct collector *c, enum collect_event ev, const char *fmt, ...)
{
	struct event *e;
	va_list ap;

	if (c->ev_len == EVENT_QUEUE) { /* drop the oldest */
		c->ev_head = (c->ev_head + 1) % EVENT_QUEUE;
		c->ev_len--;
	}
	e = &c->events[(c->ev_head + c->ev_len) % EVENT_QUEUE];
	c->ev_len++;
	e->ev = ev;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct collector *
collect_new(const struct conn_opts *o, int statement_timeout_ms)
{
	struct collector *c = xcalloc(1, sizeof *c);

	c->pg = pg_new();
	c->host = dup_or_null(o->host);
	c->port = dup_or_null(o->port);
	c->user = dup_or_null(o->user);
	c->dbname = dup_or_null(o->dbname);
	c->password = dup_or_null(o->password);
	c->timeout_ms = statement_timeout_ms > 0 ? statement_timeout_ms : 5000;
	c->retry_delay = 1.0;
	c->settle_s = 0.005;
	return c;
}

static void
clear_password(struct collector *c)
{
	if (c->password != NULL) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
		c->password = NULL;
	}
}

static void
drop_sample(struct collector *c)
{
	if (c->snap != NULL) {
		snapshot_free(c->snap);
		free(c->snap);
		c->snap = NULL;
	}
	free(c->missing);
	c->missing = NULL;
	c->n_missing = 0;
}

void
collect_free(struct collector *c)
{
	if (c == NULL)
		return;
	pg_free(c->pg);
	drop_sample(c);
	if (c->ready != NULL) {
		snapshot_free(c->ready);
		free(c->ready);
	}
	free(c->host);
	free(c->port);
	free(c->user);
	free(c->dbname);
	clear_password(c);
	free(c->sql_stmts);
	free(c->sql_probe);
	free(c->sql_texts);
	free(c->sql_clock);
	free(c->sql_activity);
	free(c->known);
	stmt_cache_free(&c->stmt_cache);
	free(c);
}

void
collect_set_password(struct collector *c, const char *password)
{
	clear_password(c);
	c->password = dup_or_null(password);
}

struct conn_opts
collect_conn(const struct collector *c)
{
	struct conn_opts o = {c->host, c->port, c->user, c->dbname, c->password};

	return o;
}

const char *
collect_connect_hint(const char *m, int needs_password)
{
	if (needs_password || strstr(m, "no password supplied"))
		return "give a password: -W to be asked for it, ~/.pgpass or PGPASSWORD";
	if (strstr(m, "password authentication failed") || strstr(m, "authentication failed"))
		return "check the user name (-U) and the password (-W, ~/.pgpass or PGPASSWORD)";
	if (strstr(m, "could not translate host name") || strstr(m, "Name or service not known"))
		return "check the host name (-h)";
	if (strstr(m, "database") && strstr(m, "does not exist"))
		return "check the database name (-d)";
	if (strstr(m, "role") && strstr(m, "does not exist"))
		return "check the user name (-U)";
	if (strstr(m, "SSL") || strstr(m, "ssl"))
		return "check sslmode: the server and the connection disagree about TLS";
	if (strstr(m, "Connection refused") || strstr(m, "No such file or directory"))
		return "is the server running and accepting connections on that host and port? "
		       "(-h, -p)";
	if (strstr(m, "timeout") || strstr(m, "timed out"))
		return "the server did not answer: check the host, the port and the network";
	return "check the connection options (-h, -p, -U, -d) and the server's pg_hba.conf";
}

static void
go_offline(struct collector *c, double now, const char *why)
{
	int first = !c->ever_connected;

	pg_disconnect(c->pg);
	drop_sample(c);
	c->admin_pid = 0;
	if (first) {
		c->state = C_OFF;
		return;
	}
	c->state = C_WAIT_RETRY;
	c->attempt++;
	c->retry_at = now + c->retry_delay;
	push(c, COLLECT_LOST, "connection lost: %s; reconnecting in %.0f s", why, c->retry_delay);
	c->retry_delay = c->retry_delay * 2 > RETRY_MAX_S ? RETRY_MAX_S : c->retry_delay * 2;
}

int
collect_attempt(const struct collector *c)
{
	return c->attempt;
}

void
collect_start(struct collector *c, double now)
{
	struct conn_opts o = {c->host, c->port, c->user, c->dbname, c->password};

	drop_sample(c);
	c->needs_password = 0;
	c->announced = 0;
	c->dealloc_known = 0; /* another session, maybe another server */
	c->want_sample = 0;
	/* a new session: its settings and statements are read whole once */
	c->settings_token[0] = '\0';
	stmt_cache_free(&c->stmt_cache);
	c->catalog_at = 0; /* and its catalog at the first sample */
	if (pg_connect_start(c->pg, &o) < 0) {
		c->needs_password = pg_needs_password(c->pg);
		if (!c->ever_connected) {
			c->state = C_OFF;
			push(c, COLLECT_FAILED, "cannot connect: %s (%s)", pg_error(c->pg),
			     collect_connect_hint(pg_error(c->pg), c->needs_password));
		} else {
			go_offline(c, now, pg_error(c->pg));
		}
		return;
	}
	c->state = C_CONNECTING;
	c->query_started = now;
}

int
collect_fd(const struct collector *c)
{
	return pg_socket(c->pg);
}

/* A sample's batch is out and its answers are not expected yet (nothing left to send). */
static int
settling(const struct collector *c, double now)
{
	return c->state == C_SAMPLE && now < c->settle_until &&
	       !(pg_poll_events(c->pg) & POLLOUT);
}

short
collect_poll_events(const struct collector *c)
{
	if (settling(c, now_mono()))
		return 0;
	return pg_poll_events(c->pg);
}

double
collect_deadline(const struct collector *c)
{
	switch (c->state) {
	case C_WAIT_RETRY:
		return c->retry_at;
	case C_CONNECTING:
		return c->query_started + CONNECT_TIMEOUT_S;
	case C_SAMPLE:
		if (settling(c, now_mono()))
			return c->settle_until;
		/* fall through */
	case C_DETECT:
	case C_COLUMNS:
	case C_PROBE:
	case C_ADMIN:
		/* the server's statement_timeout should end it first; this is for the network */
		return c->query_started + c->timeout_ms / 1000.0 + 10.0;
	default:
		return 0;
	}
}

static int
send(struct collector *c, double now, const char *sql, int nparams, const char *const *params)
{
	if (pg_send(c->pg, sql, nparams, params) < 0) {
		go_offline(c, now, pg_error(c->pg));
		return -1;
	}
	c->query_started = now;
	return 0;
}

static void
send_detect(struct collector *c, double now)
{
	char sql[1600];

	/*
	 * Our own session: a statement timeout, and a search_path that no user object can
	 * shadow. The system identifier needs EXECUTE on pg_control_system(), which a
	 * site may revoke: CASE keeps the call from running then.
	 */
	snprintf(sql, sizeof sql,
		 "SELECT pg_catalog.set_config('statement_timeout', '%d', false),"
		 " pg_catalog.set_config('search_path', 'pg_catalog', false),"
		 " pg_catalog.current_setting('server_version_num'),"
		 " pg_catalog.current_setting('server_version'),"
		 " CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()',"
		 " 'EXECUTE') THEN (SELECT system_identifier::text FROM"
		 " pg_catalog.pg_control_system()) END,"
		 " pg_catalog.current_database(), current_user,"
		 " extract(epoch from pg_catalog.pg_postmaster_start_time()),"
		 " (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),"
		 " pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE'),"
		 " e.extversion, n.nspname"
		 " FROM (SELECT 1) AS one"
		 " LEFT JOIN pg_catalog.pg_extension e ON e.extname = 'pg_stat_statements'"
		 " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace",
		 c->timeout_ms);
	if (send(c, now, sql, 0, NULL) == 0)
		c->state = C_DETECT;
}

static void
send_columns(struct collector *c, double now)
{
	const char *params[1] = {c->srv.pgss_schema};

	if (send(c, now,
		 "SELECT a.attname, (SELECT count(*) FROM pg_catalog.pg_class k"
		 " JOIN pg_catalog.pg_namespace kn ON kn.oid = k.relnamespace"
		 " WHERE k.relname = 'pg_stat_statements_info' AND kn.nspname = $1)"
		 " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class r ON r.oid = a.attrelid"
		 " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
		 " WHERE r.relname = 'pg_stat_statements' AND n.nspname = $1"
		 " AND a.attnum > 0 AND NOT a.attisdropped",
		 1, params) == 0)
		c->state = C_COLUMNS;
}

static void
copy_cell(char *dst, size_t size, const struct pg_rows *r, int col)
{
	const char *s = pg_rows_get(r, 0, col);

	strlcpy_(dst, s ? s : "", size);
}

static const char *
target(const struct collector *c)
{
	return c->srv.dbname[0] ? c->srv.dbname : "?";
}

/* After detection: can the collector work with this server? */
static int
detect_done(struct collector *c, double now, struct pg_rows *r)
{
	const char *s;

	if (r == NULL || r->nrows != 1 || r->ncols != 12) {
		push(c, COLLECT_FAILED, "unexpected answer while detecting the server");
		return -1;
	}
	memset(&c->srv, 0, sizeof c->srv);
	s = pg_rows_get(r, 0, 2);
	c->srv.version_num = s ? atoi(s) : 0;
	copy_cell(c->srv.version, sizeof c->srv.version, r, 3);
	copy_cell(c->srv.sysid, sizeof c->srv.sysid, r, 4);
	copy_cell(c->srv.dbname, sizeof c->srv.dbname, r, 5);
	copy_cell(c->srv.user, sizeof c->srv.user, r, 6);
	s = pg_rows_get(r, 0, 7);
	c->srv.postmaster_start = s ? strtod(s, NULL) : 0;
	s = pg_rows_get(r, 0, 8);
	c->srv.superuser = s && s[0] == 't';
	s = pg_rows_get(r, 0, 9);
	c->srv.read_all_stats = c->srv.superuser || (s && s[0] == 't');
	copy_cell(c->srv.pgss_version, sizeof c->srv.pgss_version, r, 10);
	copy_cell(c->srv.pgss_schema, sizeof c->srv.pgss_schema, r, 11);
	strlcpy_(c->srv.host, pg_host(c->pg), sizeof c->srv.host);
	strlcpy_(c->srv.port, pg_port(c->pg), sizeof c->srv.port);
	if (c->srv.sysid[0])
		snprintf(c->srv.key, sizeof c->srv.key, "%s:%s", c->srv.sysid, c->srv.port);
	else
		snprintf(c->srv.key, sizeof c->srv.key, "%s:%s", c->srv.host, c->srv.port);

	if (c->srv.version_num < 120000) {
		push(c, COLLECT_FAILED,
		     "PostgreSQL %s is not supported: pgmltop needs PostgreSQL 12 or later",
		     c->srv.version);
		return -1;
	}
	free(c->sql_activity);
	c->sql_activity = collect_sql_activity(c->srv.version_num);
	if (c->srv.pgss_version[0] == '\0') {
		char msg[400];

		snprintf(msg, sizeof msg,
			 "pg_stat_statements is not installed in database \"%s\": run CREATE "
			 "EXTENSION pg_stat_statements; in it (the library must also be in "
			 "shared_preload_libraries)",
			 target(c));
		if (!c->ever_connected) {
			push(c, COLLECT_FAILED, "%s", msg);
			return -1;
		}
		c->pgss_usable = 0;
		free(c->sql_clock);
		c->sql_clock = NULL;
		if (strcmp(c->last_pgss_error, msg) != 0) {
			strlcpy_(c->last_pgss_error, msg, sizeof c->last_pgss_error);
			push(c, COLLECT_WARNING, "%s", msg);
		}
		c->need_columns = 1;
		return 0;
	}
	send_columns(c, now);
	return 1;
}

static int
columns_done(struct collector *c, double now, struct pg_rows *r)
{
	const char **cols;
	int i, info = 0;
	char *probe;

	cols = xcalloc((size_t)(r->nrows ? r->nrows : 1), sizeof *cols);
	for (i = 0; i < r->nrows; i++) {
		cols[i] = pg_rows_get(r, i, 0) ? pg_rows_get(r, i, 0) : "";
		if (pg_rows_get(r, i, 1) && atoi(pg_rows_get(r, i, 1)) > 0)
			info = 1;
	}
	free(c->sql_stmts);
	c->sql_stmts = collect_sql_statements(c->srv.pgss_schema, cols, r->nrows, &c->srv.have);
	free(c->sql_probe);
	c->sql_probe = collect_sql_statements_plain(c->srv.pgss_schema, cols, r->nrows,
						    &c->srv.have);
	stmt_cache_free(&c->stmt_cache);
	free(cols);
	if (info)
		c->srv.have |= STMT_HAVE_INFO;
	free(c->sql_texts);
	c->sql_texts = collect_sql_texts(c->srv.pgss_schema);
	free(c->sql_clock);
	c->sql_clock = collect_sql_clock(c->srv.pgss_schema, info);
	c->need_columns = 0;
	/* the extension's functions fail when the library is not preloaded: try once */
	probe = xasprintf("%s LIMIT 1", c->sql_probe);
	if (send(c, now, probe, 0, NULL) == 0)
		c->state = C_PROBE;
	free(probe);
	return 0;
}

static const char *
pgss_error_text(struct collector *c, char *buf, size_t size)
{
	const char *e = pg_error(c->pg);

	if (strstr(e, "shared_preload_libraries"))
		snprintf(buf, size,
			 "pg_stat_statements is installed in database \"%s\" but its library is "
			 "not loaded: add pg_stat_statements to shared_preload_libraries in "
			 "postgresql.conf and restart the server",
			 target(c));
	else if (strcmp(pg_sqlstate(c->pg), "42501") == 0 && strstr(e, "function"))
		/* EXECUTE revoked: pg_read_all_stats does not give it back */
		snprintf(buf, size,
			 "permission denied reading pg_stat_statements: GRANT EXECUTE ON FUNCTION "
			 "%s.pg_stat_statements(boolean) TO %s (%s)",
			 c->srv.pgss_schema[0] ? c->srv.pgss_schema : "public", c->srv.user, e);
	else if (strcmp(pg_sqlstate(c->pg), "42501") == 0)
		snprintf(buf, size,
			 "permission denied reading pg_stat_statements: GRANT pg_read_all_stats "
			 "(or pg_monitor) TO %s (%s)",
			 c->srv.user, e);
	else if (strcmp(pg_sqlstate(c->pg), "57014") == 0)
		snprintf(buf, size,
			 "reading pg_stat_statements took longer than the statement timeout "
			 "(%d ms): %s",
			 c->timeout_ms, e);
	else
		snprintf(buf, size, "cannot read pg_stat_statements: %s", e);
	return buf;
}

static void begin_sample(struct collector *c, double now);
static void warn_hidden(struct collector *c);

static void
connected(struct collector *c, double now)
{
	c->state = C_IDLE;
	c->ever_connected = 1;
	c->retry_delay = 1.0;
	c->attempt = 0;
	clear_password(c);
	if (c->want_sample)
		begin_sample(c, now);
	if (c->announced)
		return;
	c->announced = 1;
	push(c, COLLECT_CONNECTED, "connected to %s:%s (PostgreSQL %s), database %s",
	     c->srv.host, c->srv.port, c->srv.version, c->srv.dbname);
	if (!c->srv.read_all_stats && !c->warned_hidden)
		warn_hidden(c);
}

static void
probe_done(struct collector *c, double now, enum pg_event ev)
{
	char buf[512];

	if (ev == PG_EV_ERROR) {
		pgss_error_text(c, buf, sizeof buf);
		if (!c->ever_connected) {
			push(c, COLLECT_FAILED, "%s", buf);
			pg_disconnect(c->pg);
			c->state = C_OFF;
			return;
		}
		c->pgss_usable = 0;
		c->need_columns = 1;
		if (strcmp(c->last_pgss_error, buf) != 0) {
			strlcpy_(c->last_pgss_error, buf, sizeof c->last_pgss_error);
			push(c, COLLECT_WARNING, "%s", buf);
		}
	} else {
		if (c->pgss_usable == 0 && c->last_pgss_error[0] && c->ever_connected)
			push(c, COLLECT_WARNING, "pg_stat_statements can be read again");
		c->pgss_usable = 1;
		c->last_pgss_error[0] = '\0';
	}
	if (c->state == C_PROBE)
		connected(c, now);
}

/* ---- samples ---- */

static int
known(const struct collector *c, int64_t id)
{
	int lo = 0, hi = c->n_known - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (c->known[mid] == id)
			return 1;
		if (c->known[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void
collect_texts_known(struct collector *c, const int64_t *ids, int n)
{
	int i, w;

	if (n <= 0)
		return;
	if (c->n_known + n > c->alloc_known) {
		c->alloc_known = (c->n_known + n) * 2;
		c->known = xreallocarray(c->known, (size_t)c->alloc_known, sizeof *c->known);
	}
	memcpy(c->known + c->n_known, ids, (size_t)n * sizeof *ids);
	c->n_known += n;
	qsort(c->known, (size_t)c->n_known, sizeof *c->known, cmp_i64);
	for (i = 1, w = 1; i < c->n_known; i++)
		if (c->known[i] != c->known[w - 1])
			c->known[w++] = c->known[i];
	c->n_known = w;
}

/* The query ids of this sample whose texts are not stored yet, as an int8[] literal. */
static char *
missing_ids(struct collector *c)
{
	struct strbuf sb = {0};
	int i;

	free(c->missing);
	c->missing = xcalloc((size_t)(c->snap->n_stmts + 1), sizeof *c->missing);
	c->n_missing = 0;
	for (i = 0; i < c->snap->n_stmts && c->n_missing < TEXTS_PER_SAMPLE; i++) {
		int64_t id = c->snap->stmts[i].queryid;

		if (!known(c, id))
			c->missing[c->n_missing++] = id;
	}
	if (c->n_missing == 0)
		return NULL;
	qsort(c->missing, (size_t)c->n_missing, sizeof *c->missing, cmp_i64);
	sb_addc(&sb, '{');
	for (i = 0; i < c->n_missing; i++) {
		if (i > 0 && c->missing[i] == c->missing[i - 1])
			continue;
		sb_addf(&sb, "%s%lld", sb.len > 1 ? "," : "", (long long)c->missing[i]);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* The queued cancel or terminate, when the connection is free. */
static void
send_admin(struct collector *c, double now)
{
	char pid[16];
	const char *params[1] = {pid};

	if (c->admin_pid == 0 || c->state != C_IDLE)
		return;
	snprintf(pid, sizeof pid, "%d", c->admin_pid);
	if (send(c, now,
		 c->admin_terminate ? "SELECT pg_catalog.pg_terminate_backend($1::int)"
				    : "SELECT pg_catalog.pg_cancel_backend($1::int)",
		 1, params) == 0)
		c->state = C_ADMIN;
	else
		c->admin_pid = 0;
}

static void
admin_done(struct collector *c, enum pg_event ev, struct pg_rows *r)
{
	const char *what = c->admin_terminate ? "terminate" : "cancel the query of";
	const char *v = pg_rows_get(r, 0, 0);

	if (ev == PG_EV_ERROR)
		push(c, COLLECT_WARNING, "cannot %s backend %d: %s", what, c->admin_pid,
		     pg_error(c->pg));
	else if (v != NULL && v[0] == 't')
		push(c, COLLECT_WARNING, "backend %d: %s", c->admin_pid,
		     c->admin_terminate ? "terminated" : "query cancelled");
	else
		push(c, COLLECT_WARNING, "cannot %s backend %d: there is no such backend (it "
					 "may have ended)",
		     what, c->admin_pid);
	c->admin_pid = 0;
	c->state = C_IDLE;
}

int
collect_admin(struct collector *c, int terminate, int pid, double now)
{
	if (!collect_connected(c) || pid <= 0 || c->admin_pid != 0)
		return -1;
	c->admin_terminate = terminate;
	c->admin_pid = pid;
	send_admin(c, now); /* now when the connection is free, else after the sample */
	return 0;
}

/* Send a batch of steps; the statements step takes its parameters from the cache. */
static void
send_batch(struct collector *c, double now, const enum step *steps, int n)
{
	struct pg_query q[S_NSTEPS];
	const char *stmt_params[6];
	const char *token[1];
	const char *role_token[1];
	const char *ids_param[1];
	int i;

	token[0] = c->settings_token[0] ? c->settings_token : NULL;
	role_token[0] = c->role_settings_all ? NULL : token[0];
	for (i = 0; i < n; i++) {
		q[i].nparams = 0;
		q[i].params = NULL;
		q[i].prepare = steps[i] != S_TEXTS; /* the texts' query differs each time */
		c->batch[i] = steps[i];
		switch (steps[i]) {
		case S_CLOCK:
			if (c->sql_clock == NULL) /* pg_stat_statements_info not usable */
				c->sql_clock = collect_sql_clock("", 0);
			q[i].sql = c->sql_clock;
			break;
		case S_STMTS:
			collect_stmt_params(&c->stmt_cache, stmt_params);
			q[i].sql = c->sql_stmts;
			q[i].nparams = 6;
			q[i].params = stmt_params;
			break;
		case S_ACTIVITY:
			q[i].sql = c->sql_activity;
			break;
		case S_DATABASE:
			q[i].sql = collect_sql_database();
			break;
		case S_CHECKPOINT:
			q[i].sql = collect_sql_checkpoint(c->srv.version_num);
			break;
		case S_WAL:
			q[i].sql = collect_sql_wal();
			break;
		case S_SETTINGS:
			q[i].sql = collect_sql_settings();
			q[i].nparams = 1;
			q[i].params = token;
			break;
		case S_ROLE_SETTINGS:
			q[i].sql = collect_sql_role_settings();
			q[i].nparams = 1;
			q[i].params = role_token;
			break;
		case S_ROLES:
			q[i].sql = collect_sql_roles();
			break;
		case S_TABLES:
			q[i].sql = collect_sql_tables();
			break;
		case S_INDEX_COLS:
			q[i].sql = collect_sql_index_columns();
			break;
		case S_COLSTATS:
			q[i].sql = collect_sql_colstats();
			break;
		case S_TEXTS:
		case S_NSTEPS:
			ids_param[0] = c->texts_ids;
			q[i].sql = c->sql_texts;
			q[i].nparams = 1;
			q[i].params = ids_param;
			break;
		}
	}
	c->n_batch = n;
	c->batch_pos = 0;
	if (pg_send_batch(c->pg, q, n) < 0)
		go_offline(c, now, pg_error(c->pg));
	else
		c->query_started = now;
	free(c->texts_ids);
	c->texts_ids = NULL;
}

static void
send_one_step(struct collector *c, double now, enum step st)
{
	send_batch(c, now, &st, 1);
}

/*
 * pg_stat_statements_info.dealloc grew: the extension is full and evicts its least-used
 * entries, whose calls since the last sample are lost. Said at once, then at most every
 * EVICT_SAY_EVERY_S with the evictions since.
 */
static void
evictions(struct collector *c, const struct snapshot *snap, double now)
{
	if (!(c->srv.have & STMT_HAVE_INFO) || !snap->pgss_ok)
		return;
	if (c->dealloc_known && snap->pgss_reset == c->dealloc_reset &&
	    snap->pgss_dealloc > c->dealloc_last) {
		c->dealloc_unsaid += snap->pgss_dealloc - c->dealloc_last;
	}
	c->dealloc_known = 1;
	c->dealloc_last = snap->pgss_dealloc;
	c->dealloc_reset = snap->pgss_reset;
	if (c->dealloc_unsaid == 0 ||
	    (c->evict_said_at > 0 && now < c->evict_said_at + EVICT_SAY_EVERY_S))
		return;
	if (c->evict_said_at == 0)
		push(c, COLLECT_WARNING,
		     "pg_stat_statements is full: it evicted entries %lld time%s since the last "
		     "sample (pg_stat_statements_info.dealloc), and the calls of the statements "
		     "evicted are lost: raise pg_stat_statements.max (a restart is needed); said "
		     "again at most every %d min",
		     (long long)c->dealloc_unsaid, c->dealloc_unsaid == 1 ? "" : "s",
		     EVICT_SAY_EVERY_S / 60);
	else
		push(c, COLLECT_WARNING,
		     "pg_stat_statements is still full: it evicted entries %lld time%s in the "
		     "%.0f min since this was said: raise pg_stat_statements.max (a restart is "
		     "needed)",
		     (long long)c->dealloc_unsaid, c->dealloc_unsaid == 1 ? "" : "s",
		     (now - c->evict_said_at) / 60);
	c->dealloc_unsaid = 0;
	c->evict_said_at = now;
}

/* A batch is over: read what is left of the sample, or deliver it. */
static void
batch_done(struct collector *c, double now)
{
	if (c->skip[0]) {
		push(c, COLLECT_SKIPPED, "sample skipped: %s", c->skip);
		c->n_skipped++;
		drop_sample(c);
		c->state = C_IDLE;
		send_admin(c, now);
		return;
	}
	if (!c->texts_asked) {
		c->texts_asked = 1;
		if (now >= c->texts_retry_at && c->sql_texts != NULL && c->texts_look) {
			c->texts_ids = missing_ids(c);
			c->texts_look = c->texts_ids != NULL; /* until they are stored */
			if (c->texts_ids != NULL) {
				send_one_step(c, now, S_TEXTS);
				return;
			}
		}
	}
	c->snap->have = c->srv.have;
	evictions(c, c->snap, now);
	c->ready = c->snap;
	c->snap = NULL;
	free(c->missing);
	c->missing = NULL;
	if (c->snap_token[0])
		strlcpy_(c->settings_token, c->snap_token, sizeof c->settings_token);
	c->state = C_IDLE;
	if (c->n_skipped > 0) {
		/* without pg_stat_statements, what was said about it stays the last word */
		if (c->pgss_usable)
			push(c, COLLECT_WARNING, "sampling again, after %d sample%s skipped",
			     c->n_skipped, c->n_skipped == 1 ? "" : "s");
		c->n_skipped = 0;
	}
	push(c, COLLECT_SAMPLE, "sample");
	send_admin(c, now);
}

static void
begin_sample(struct collector *c, double now)
{
	enum step steps[S_NSTEPS];
	int n = 0;

	c->want_sample = 0;
	drop_sample(c);
	c->snap = xcalloc(1, sizeof *c->snap);
	c->state = C_SAMPLE;
	c->skip[0] = '\0';
	c->snap_token[0] = '\0';
	c->texts_asked = 0;
	steps[n++] = S_CLOCK;
	if (c->pgss_usable && c->sql_stmts != NULL) {
		steps[n++] = S_STMTS;
	} else {
		c->texts_asked = 1;
		/* why the statements are missing, for whoever shows this sample */
		strlcpy_(c->snap->pgss_error,
			 c->last_pgss_error[0] ? c->last_pgss_error
					       : "pg_stat_statements cannot be read",
			 sizeof c->snap->pgss_error);
	}
	steps[n++] = S_ACTIVITY;
	steps[n++] = S_DATABASE;
	steps[n++] = S_CHECKPOINT;
	if (c->srv.version_num >= 140000)
		steps[n++] = S_WAL;
	steps[n++] = S_SETTINGS;
	/*
	 * pg_db_role_setting with pg_settings (at the start and after a reload), and with
	 * the catalog: ALTER ROLE and ALTER DATABASE ... SET need no reload
	 */
	c->role_settings_all = now >= c->catalog_at;
	steps[n++] = S_ROLE_SETTINGS;
	steps[n++] = S_ROLES;
	if (now >= c->catalog_at) {
		/* the catalog, for the index advisor: every CATALOG_EVERY_S */
		c->catalog_at = now + CATALOG_EVERY_S;
		c->catalog_failed = 0;
		steps[n++] = S_TABLES;
		steps[n++] = S_INDEX_COLS;
		steps[n++] = S_COLSTATS;
	}
	send_batch(c, now, steps, n);
	c->batch_sent = now;
	c->settle_until = now + c->settle_s;
	c->looks = 0;
}

int
collect_sample(struct collector *c, double now)
{
	if (c->state != C_IDLE || c->ready != NULL)
		return -1;
	if (c->need_columns) {
		/*
		 * pg_stat_statements failed before: look at it again from the start (the
		 * extension may have been dropped, made again or updated), then sample
		 */
		c->want_sample = 1;
		send_detect(c, now);
		return 0;
	}
	begin_sample(c, now);
	return 0;
}

void
collect_settings_unstored(struct collector *c)
{
	c->settings_token[0] = '\0';
}

/* A step failed: say so; the clock failing drops the sample. */
static void
step_failed(struct collector *c, double now, enum step st)
{
	char buf[512];

	switch (st) {
	case S_CLOCK:
		if (!c->skip[0] && strcmp(pg_sqlstate(c->pg), "57014") == 0)
			snprintf(c->skip, sizeof c->skip,
				 "reading %s took longer than pgmltop's statement timeout (%d ms): "
				 "is it locked by another session? (see pg_locks)",
				 c->srv.have & STMT_HAVE_INFO ? "pg_stat_statements_info"
							    : "the server's clock",
				 c->timeout_ms);
		else if (!c->skip[0])
			strlcpy_(c->skip, pg_error(c->pg)[0] ? pg_error(c->pg) : "no clock",
				 sizeof c->skip);
		if (c->sql_clock && c->srv.have & STMT_HAVE_INFO)
			c->need_columns = 1; /* the extension may have changed */
		break;
	case S_TEXTS:
		/*
		 * The counters were read; only the texts failed. pg_stat_statements(true)
		 * fails as a whole when one stored text does not convert to this
		 * database's encoding: keep the statistics, try the texts again later.
		 */
		if (!c->texts_failing)
			push(c, COLLECT_WARNING,
			     "cannot read query texts from pg_stat_statements (%s); statistics "
			     "are sampled without new texts, tried again every %d s",
			     pg_error(c->pg), TEXTS_RETRY_S);
		c->texts_failing = 1;
		c->texts_retry_at = now + TEXTS_RETRY_S;
		break;
	case S_STMTS:
		pgss_error_text(c, buf, sizeof buf);
		c->snap->pgss_ok = 0;
		c->snap->n_stmts = 0;
		c->texts_asked = 1;
		stmt_cache_free(&c->stmt_cache);
		strlcpy_(c->snap->pgss_error, buf, sizeof c->snap->pgss_error);
		if (strcmp(c->last_pgss_error, buf) != 0) {
			strlcpy_(c->last_pgss_error, buf, sizeof c->last_pgss_error);
			push(c, COLLECT_WARNING, "%s", buf);
		}
		if (strcmp(pg_sqlstate(c->pg), "57014") != 0) {
			c->pgss_usable = 0;
			c->need_columns = 1;
			/* the next sample reads the clock without pg_stat_statements_info */
			free(c->sql_clock);
			c->sql_clock = NULL;
			c->srv.pgss_version[0] = '\0';
		}
		break;
	case S_WAL:
	case S_ROLE_SETTINGS:
		/* only the parameter advisor needs them: say it once, sample the rest */
		if (!(c->optional_warned & (1u << st)))
			push(c, COLLECT_WARNING, "cannot read %s for the parameter advice (%s)",
			     st == S_WAL ? "pg_stat_wal" : "pg_db_role_setting",
			     pg_error(c->pg)[0] ? pg_error(c->pg) : "a query failed");
		c->optional_warned |= 1u << st;
		break;
	case S_TABLES:
	case S_INDEX_COLS:
	case S_COLSTATS:
		/* only the index advisor needs them: say it once, sample the rest */
		c->catalog_failed = 1;
		if (!c->catalog_warned)
			push(c, COLLECT_WARNING,
			     "cannot read the tables' statistics for the index advice (%s); tried "
			     "again every %d s",
			     pg_error(c->pg)[0] ? pg_error(c->pg) : "a query failed", CATALOG_EVERY_S);
		c->catalog_warned = 1;
		break;
	default:
		push(c, COLLECT_WARNING, "%s",
		     pg_error(c->pg)[0] ? pg_error(c->pg) : "a query failed");
		break;
	}
}

static void
warn_hidden(struct collector *c)
{
	c->warned_hidden = 1;
	push(c, COLLECT_WARNING,
	     "role %s cannot see the statements of other roles (their texts and query ids are "
	     "hidden): GRANT pg_read_all_stats (or pg_monitor) TO %s",
	     c->srv.user, c->srv.user);
}

/*
 * Statements of other roles became hidden (pg_read_all_stats revoked while running) or
 * visible again: said when it changes, the warning at most once while they stay hidden.
 */
static void
hidden_changed(struct collector *c, int hidden)
{
	if (hidden && !c->hidden_seen && !c->warned_hidden) {
		/* the role could see them when it connected: its privilege was revoked */
		c->hidden_revoked = 1;
		warn_hidden(c);
	} else if (!hidden && c->hidden_seen && c->hidden_revoked) {
		c->hidden_revoked = 0;
		c->warned_hidden = 0;
		push(c, COLLECT_WARNING, "role %s: the statements of other roles are seen again",
		     c->srv.user);
	}
	c->hidden_seen = hidden;
}

/* A step's result: parse it into the snapshot. After the last of a batch, go on. */
static void
step_done(struct collector *c, double now, enum pg_event ev, struct pg_rows *r)
{
	struct pgt_err err = {{0}};
	enum step st = c->batch[c->batch_pos++];
	int rc = 0;

	c->query_started = now; /* the deadline is for each answer, not for the batch */
	if (c->skip[0]) {
		/* the sample is dropped: its other results are only drained */
	} else if (ev == PG_EV_ERROR) {
		step_failed(c, now, st);
	} else {
		switch (st) {
		case S_CLOCK:
			rc = collect_parse_clock(r, c->snap, &err);
			break;
		case S_STMTS:
			rc = collect_parse_statements(r, &c->stmt_cache, c->snap, &err);
			if (rc == 0 && c->stmt_cache.new_keys)
				c->texts_look = 1;
			if (rc == 0)
				hidden_changed(c, c->snap->n_hidden > 0);
			if (c->last_pgss_error[0] && rc == 0) {
				c->last_pgss_error[0] = '\0';
				push(c, COLLECT_WARNING, "pg_stat_statements can be read again");
			}
			break;
		case S_TEXTS:
			rc = collect_parse_texts(r, c->snap, &err);
			if (rc == 0 && c->texts_failing) {
				c->texts_failing = 0;
				push(c, COLLECT_WARNING, "query texts can be read again");
			}
			break;
		case S_ACTIVITY:
			rc = collect_parse_activity(r, c->snap, &err);
			break;
		case S_DATABASE:
			rc = collect_parse_database(r, c->snap, &err);
			break;
		case S_CHECKPOINT:
			rc = collect_parse_checkpoint(r, c->snap, &err);
			break;
		case S_SETTINGS:
			rc = collect_parse_settings(r, c->snap, c->snap_token, sizeof c->snap_token,
						    &err);
			break;
		case S_ROLES:
			rc = collect_parse_roles(r, c->snap, &err);
			break;
		case S_WAL:
			rc = collect_parse_wal(r, c->snap, &err);
			break;
		case S_ROLE_SETTINGS:
			rc = collect_parse_role_settings(r, c->snap, &err);
			break;
		case S_TABLES:
			rc = collect_parse_tables(r, c->snap, &err);
			break;
		case S_INDEX_COLS:
			rc = collect_parse_index_columns(r, c->snap, &err);
			break;
		case S_COLSTATS:
			rc = collect_parse_colstats(r, c->snap, &err);
			/* the three in one sample, or none stored */
			c->snap->catalog_ok = rc == 0 && !c->catalog_failed;
			break;
		case S_NSTEPS:
			break;
		}
		if (rc < 0)
			strlcpy_(c->skip, err.msg, sizeof c->skip);
	}
	if (c->batch_pos == c->n_batch) {
		if (c->settle_until > 0) { /* the sample's main batch */
			double took = now - c->batch_sent;

			c->settle_s = c->looks <= 1 ? c->settle_s * 0.9 : took;
			if (c->settle_s < SETTLE_MIN_S)
				c->settle_s = SETTLE_MIN_S;
			if (c->settle_s > SETTLE_MAX_S)
				c->settle_s = SETTLE_MAX_S;
			c->settle_until = 0;
		}
		batch_done(c, now);
	}
}

void
collect_process(struct collector *c, short revents, double now)
{
	enum pg_event ev;
	struct pg_rows *r;
	double dl;

	if (c->state == C_WAIT_RETRY) {
		if (now >= c->retry_at)
			collect_start(c, now);
		return;
	}
	if (c->state == C_OFF || c->state == C_IDLE) {
		if (c->state == C_IDLE && (revents & (POLLIN | POLLHUP | POLLERR)) && pg_process(c->pg) == PG_EV_LOST)
			go_offline(c, now, pg_error(c->pg));
		return;
	}
	if (c->state == C_SAMPLE) {
		if (settling(c, now) && !(revents & (POLLHUP | POLLERR)))
			return; /* woken for something else: the answers are read together */
		c->looks++;
	}
	dl = collect_deadline(c);
	for (;;) {
		ev = pg_process(c->pg);
		if (ev == PG_EV_NONE)
			break;
		if (ev == PG_EV_LOST) {
			c->needs_password = pg_needs_password(c->pg);
			if (!c->ever_connected) {
				push(c, COLLECT_FAILED, "cannot connect: %s (%s)", pg_error(c->pg),
				     collect_connect_hint(pg_error(c->pg), c->needs_password));
				c->state = C_OFF;
				pg_disconnect(c->pg);
				drop_sample(c);
			} else {
				go_offline(c, now, pg_error(c->pg));
			}
			return;
		}
		r = ev == PG_EV_RESULT ? pg_take_rows(c->pg) : NULL;
		switch (c->state) {
		case C_CONNECTING:
			send_detect(c, now);
			break;
		case C_DETECT:
			if (ev == PG_EV_ERROR) {
				if (!c->ever_connected) {
					push(c, COLLECT_FAILED, "cannot detect the server: %s",
					     pg_error(c->pg));
					pg_disconnect(c->pg);
					c->state = C_OFF;
				} else {
					go_offline(c, now, pg_error(c->pg));
				}
			} else {
				int d = detect_done(c, now, r);

				if (d < 0) {
					pg_disconnect(c->pg);
					c->state = C_OFF;
				} else if (d == 0) {
					if (c->state == C_DETECT)
						connected(c, now);
				}
			}
			break;
		case C_COLUMNS:
			if (ev == PG_EV_ERROR)
				go_offline(c, now, pg_error(c->pg));
			else
				columns_done(c, now, r);
			break;
		case C_PROBE:
			probe_done(c, now, ev);
			break;
		case C_SAMPLE:
			step_done(c, now, ev, r);
			break;
		case C_ADMIN:
			admin_done(c, ev, r);
			break;
		default:
			break;
		}
		pg_rows_free(r);
		if (c->state == C_OFF || c->state == C_WAIT_RETRY || c->state == C_IDLE)
			break;
	}
	if (dl > 0 && now > dl && (c->state == C_CONNECTING || c->state == C_DETECT ||
				   c->state == C_COLUMNS || c->state == C_PROBE ||
				   c->state == C_SAMPLE || c->state == C_ADMIN)) {
		if (!c->ever_connected) {
			push(c, COLLECT_FAILED, "cannot connect: no answer from the server in %.0f s "
						"(%s)",
			     dl - c->query_started,
			     collect_connect_hint("timeout", 0));
			pg_disconnect(c->pg);
			drop_sample(c);
			c->state = C_OFF;
		} else {
			go_offline(c, now, "no answer from the server");
		}
	}
}

int
collect_connected(const struct collector *c)
{
	return c->state == C_IDLE || c->state == C_SAMPLE || c->state == C_ADMIN;
}

int
collect_sampling(const struct collector *c)
{
	return c->state == C_SAMPLE || c->state == C_ADMIN ||
	       (c->want_sample &&
		(c->state == C_DETECT || c->state == C_COLUMNS || c->state == C_PROBE));
}

enum collect_event
collect_next(struct collector *c, const char **msg)
{
	if (c->ev_len == 0) {
		if (msg)
			*msg = "";
		return COLLECT_NONE;
	}
	c->current = c->events[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVENT_QUEUE;
	c->ev_len--;
	if (msg)
		*msg = c->current.msg;
	return c->current.ev;
}

struct snapshot *
collect_take(struct collector *c)
{
	struct snapshot *s = c->ready;

	c->ready = NULL;
	return s;
}

int
collect_needs_password(const struct collector *c)
{
	return c->needs_password;
}

const struct server_info *
collect_server(const struct collector *c)
{
	return &c->srv;
}
