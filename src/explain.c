/* Safe plans of captured statements: the guard, the runner, and its thread. */
#include "explain.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the guard ---- */

static int
ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/*
 * After a dollar-quote opening at s ("$tag$"), the length of the tag with both dollars,
 * or 0 when s does not open one ("$1" is a parameter).
 */
static size_t
dollar_tag(const char *s)
{
	size_t i = 1;

	if (s[1] == '$')
		return 2;
	if (!ident_start((unsigned char)s[1]))
		return 0;
	while (s[i] != '\0' && s[i] != '$' && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
						(unsigned char)s[i] >= 0x80))
		i++;
	return s[i] == '$' ? i + 1 : 0;
}

/*
 * Skip what is not code at s: blanks, comments, strings and quoted names. estring: the
 * quote at s follows an E that starts a token (E'...' takes backslash escapes). Returns
 * the position after it, s itself when s is code, or NULL when it never ends.
 */
static const char *
skip_noncode(const char *s, int estring)
{
	if (isspace((unsigned char)*s)) {
		while (isspace((unsigned char)*s))
			s++;
		return s;
	}
	if (s[0] == '-' && s[1] == '-') {
		while (*s != '\0' && *s != '\n')
			s++;
		return s;
	}
	if (s[0] == '/' && s[1] == '*') {
		int depth = 1; /* comments nest in PostgreSQL */

		s += 2;
		while (*s != '\0' && depth > 0) {
			if (s[0] == '/' && s[1] == '*') {
				depth++;
				s += 2;
			} else if (s[0] == '*' && s[1] == '/') {
				depth--;
				s += 2;
			} else {
				s++;
			}
		}
		return depth == 0 ? s : NULL;
	}
	if (*s == '\'' || *s == '"') {
		char q = *s;
		int backslash = q == '\'' && estring;

		s++;
		for (;;) {
			if (*s == '\0')
				return NULL;
			if (backslash && *s == '\\' && s[1] != '\0') {
				s += 2;
				continue;
			}
			if (*s == q) {
				if (s[1] == q) {
					s += 2;
					continue;
				}
				return s + 1;
			}
			s++;
		}
	}
	if (*s == '$') {
		size_t n = dollar_tag(s);
		const char *end;

		if (n == 0)
			return s;
		end = s + n;
		for (;;) {
			end = strchr(end, '$');
			if (end == NULL)
				return NULL;
			if (strncmp(end, s, n) == 0)
				return end + n;
			end++;
		}
	}
	return s;
}

static int
word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Functions whose effects a rolled-back transaction does not undo, or that wait on others. */
static const char *const risky_funcs[] = {
	"pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
	"pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_notify", "dblink",
	"dblink_exec", "dblink_send_query", "lo_import", "lo_export", "pg_file_write",
	"pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock",
	"pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
	"pg_drop_replication_slot", "pg_replication_origin_create", "pg_stat_reset",
	"pg_stat_statements_reset", "pg_logical_emit_message", "set_config", NULL,
};

void
explain_check_text(const char *sql, struct explain_check *out)
{
	const char *s = sql, *first = NULL;
	size_t first_len = 0;
	int writes = 0, into = 0, statements_ended = 0;

	memset(out, 0, sizeof *out);
	out->kind = EXPLAIN_REFUSED;
	if (sql != NULL)
		out->len = strlen(sql);
	if (sql == NULL || *sql == '\0') {
		snprintf(out->why, sizeof out->why, "the statement's text is empty");
		return;
	}
	if (strlen(sql) > EXPLAIN_MAX_TEXT) {
		snprintf(out->why, sizeof out->why, "the statement's text is longer than %d bytes",
			 EXPLAIN_MAX_TEXT);
		return;
	}
	while (*s != '\0') {
		const char *next = skip_noncode(s, 0);

		if (next == NULL) {
			snprintf(out->why, sizeof out->why,
				 "the text ends inside a string, a quoted name or a comment"
				 " (it may have been cut)");
			return;
		}
		if (next != s) {
			s = next;
			continue;
		}
		if (*s == ';') {
			/* more semicolons are empty statements; what the server gets ends here */
			if (!statements_ended)
				out->len = (size_t)(s - sql);
			statements_ended = 1;
			s++;
			continue;
		}
		if (statements_ended) {
			snprintf(out->why, sizeof out->why,
				 "the text holds more than one statement: only one is ever sent");
			return;
		}
		if (*s == '$' && isdigit((unsigned char)s[1])) {
			long v = strtol(s + 1, NULL, 10);

			if (v > 65535) {
				snprintf(out->why, sizeof out->why, "a parameter number is out of range");
				return;
			}
			if (v > out->max_param)
				out->max_param = (int)v;
			s++;
			while (isdigit((unsigned char)*s))
				s++;
			continue;
		}
		if (ident_start((unsigned char)*s)) {
			const char *w = s;
			size_t n;

			while (ident_char((unsigned char)*s))
				s++;
			n = (size_t)(s - w);
			/*
			 * E'..', B'..', X'..', N'..': the string follows the prefix. An E here
			 * starts a token, as it does for the server's lexer after "$" or a number
			 * too ($E'\' is "$" and an escaped quote), whatever comes before it.
			 */
			if (*s == '\'' && n == 1) {
				if (*w != 'E' && *w != 'e')
					continue;
				next = skip_noncode(s, 1);
				if (next == NULL) {
					snprintf(out->why, sizeof out->why,
						 "the text ends inside a string, a quoted name or a"
						 " comment (it may have been cut)");
					return;
				}
				s = next;
				continue;
			}
			if (first == NULL) {
				first = w;
				first_len = n;
			}
			if (word_is(w, n, "insert") || word_is(w, n, "update") ||
			    word_is(w, n, "delete") || word_is(w, n, "merge"))
				writes = 1;
			if (word_is(w, n, "into"))
				into = 1;
			for (int i = 0; risky_funcs[i] != NULL; i++) {
				const char *p = s;

				while (isspace((unsigned char)*p))
					p++;
				if (*p == '(' && word_is(w, n, risky_funcs[i]))
					out->risky_call = 1;
			}
			continue;
		}
		s++;
	}
	if (first == NULL) {
		snprintf(out->why, sizeof out->why, "the text holds no statement");
		return;
	}
	if (first_len >= sizeof out->verb)
		first_len = sizeof out->verb - 1;
	for (size_t i = 0; i < first_len; i++)
		out->verb[i] = (char)toupper((unsigned char)first[i]);
	if (strcmp(out->verb, "SELECT") == 0) {
		/* SELECT ... INTO creates a table */
		out->kind = into ? EXPLAIN_WRITE : EXPLAIN_READ;
	} else if (strcmp(out->verb, "VALUES") == 0 || strcmp(out->verb, "TABLE") == 0) {
		out->kind = EXPLAIN_READ;
	} else if (strcmp(out->verb, "WITH") == 0) {
		/* a data-modifying CTE makes the whole statement a write */
		out->kind = writes || into ? EXPLAIN_WRITE : EXPLAIN_READ;
	} else if (strcmp(out->verb, "INSERT") == 0 || strcmp(out->verb, "UPDATE") == 0 ||
		   strcmp(out->verb, "DELETE") == 0 || strcmp(out->verb, "MERGE") == 0) {
		out->kind = EXPLAIN_WRITE;
	} else {
		snprintf(out->why, sizeof out->why,
			 "a %s statement has no plan: only SELECT, INSERT, UPDATE, DELETE, MERGE,"
			 " VALUES and WITH have one",
			 out->verb);
	}
}

/* ---- the runner ---- */

void
explain_result_free(struct explain_result *r)
{
	if (r == NULL)
		return;
	free(r->plan);
	for (int i = 0; i < r->n_hypo; i++) {
		free(r->hypo_plans[i]);
		free(r->hypo_errors[i]);
	}
	free(r->hypo_plans);
	free(r->hypo_errors);
	memset(r, 0, sizeof *r);
}

/* Where explainer_free finds the connection to cancel. */
struct cancel_slot {
	pthread_mutex_t lock;
	PGcancel *cancel;
	int stop;
};

static void
set_failed(struct explain_result *out, const char *fmt, ...) PGT_PRINTF(2, 3);

static void
set_failed(struct explain_result *out, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	out->failed = 1;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof out->error, fmt, ap);
	va_end(ap);
	/* libpq's messages end with a newline and may have a DETAIL line */
	while ((nl = strchr(out->error, '\n')) != NULL)
		*nl = nl[1] == '\0' ? '\0' : ' ';
}

/* One statement through the extended protocol (never several). NULL with a message. */
static PGresult *
run1(PGconn *conn, const char *sql, int nparams, const char *const *params,
     struct explain_result *out, const char *what)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	if (out != NULL) {
		const char *code = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn);

		if (code != NULL && strcmp(code, "57014") == 0)
			set_failed(out, "%s: canceled after the time limit (statement_timeout)",
				   what);
		else if (code != NULL && strcmp(code, "55P03") == 0)
			set_failed(out, "%s: a table it needs is locked by another session, and "
					"waiting for it was given up after 1 s (lock_timeout): try "
					"again once the lock is released (see pg_locks)",
				   what);
		else if (PQstatus(conn) == CONNECTION_BAD) {
			const char *m = msg != NULL && *msg ? msg : "no answer";
			int len = (int)strlen(m);

			while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
				len--;
			set_failed(out, "%s: the connection to the server was lost (%.*s): take "
					"the plan again once the server is back",
				   what, len, m);
		}
		else
			set_failed(out, "%s: %s", what, msg != NULL && *msg ? msg : "failed");
	}
	PQclear(res);
	return NULL;
}

static int
run_ok(PGconn *conn, const char *sql, struct explain_result *out, const char *what)
{
	PGresult *res = run1(conn, sql, 0, NULL, out, what);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* The first cell of a one-row result, copied, or NULL. */
static char *
take_cell(PGresult *res)
{
	char *s = NULL;

	if (res != NULL && PQntuples(res) >= 1 && PQnfields(res) >= 1 && !PQgetisnull(res, 0, 0))
		s = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return s;
}

static void
ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
connect_for(const struct conn_opts *o, const char *dbname, struct explain_result *out)
{
	const char *keys[16], *vals[16];
	PGconn *conn;

	pg_conn_params(o, dbname, "pgmltop explain", keys, vals);
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		set_failed(out, "cannot connect to take the plan: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		set_failed(out, "cannot connect to take the plan: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	return conn;
}

/* "NULL, NULL, ..." for n parameters. */
static char *
nulls(int n)
{
	struct strbuf sb = {0};

	for (int i = 0; i < n; i++)
		sb_add(&sb, i ? ", NULL" : "NULL");
	return sb_detach(&sb);
}

/*
 * EXPLAIN of the text by the method chosen; the JSON text, or NULL with a message. The
 * transaction is open and read-only.
 */
static char *
explain_text(PGconn *conn, const char *method, const char *text, int max_param, int analyze,
	     struct explain_result *out)
{
	char *sql, *plan = NULL;

	if (strcmp(method, "prepare") == 0) {
		char *args;

		sql = xasprintf("PREPARE pgmltop_explain AS %s", text);
		if (run_ok(conn, sql, out, "the statement could not be prepared") < 0) {
			free(sql);
			return NULL;
		}
		free(sql);
		args = nulls(max_param);
		sql = xasprintf("EXPLAIN (FORMAT JSON) EXECUTE pgmltop_explain(%s)", args);
		free(args);
		plan = take_cell(run1(conn, sql, 0, NULL, out, "EXPLAIN failed"));
		free(sql);
		/* a prepared statement outlives the transaction: drop it */
		(void)run_ok(conn, "DEALLOCATE pgmltop_explain", NULL, "");
		return plan;
	}
	if (strcmp(method, "generic_plan") == 0)
		sql = xasprintf("EXPLAIN (GENERIC_PLAN, FORMAT JSON) %s", text);
	else if (analyze)
		sql = xasprintf("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) %s", text);
	else
		sql = xasprintf("EXPLAIN (FORMAT JSON) %s", text);
	plan = take_cell(run1(conn, sql, 0, NULL, out, "EXPLAIN failed"));
	free(sql);
	return plan;
}

/* The schema hypopg is installed in, or NULL. */
static char *
hypopg_schema(PGconn *conn)
{
	return take_cell(run1(conn,
			      "SELECT n.nspname FROM pg_catalog.pg_extension e"
			      " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
			      " WHERE e.extname = 'hypopg'",
			      0, NULL, NULL, ""));
}

/* "CREATE INDEX CONCURRENTLY name ON ..." as hypopg takes it: "CREATE INDEX ON ...". */
static char *
hypo_ddl(const char *ddl)
{
	struct strbuf sb = {0};
	const char *on = NULL, *p;

	for (p = ddl; *p != '\0'; p++) {
		if ((p == ddl || isspace((unsigned char)p[-1])) && strncasecmp(p, "ON", 2) == 0 &&
		    isspace((unsigned char)p[2])) {
			on = p;
			break;
		}
	}
	if (on == NULL || strncasecmp(ddl, "CREATE", 6) != 0)
		return NULL;
	sb_add(&sb, "CREATE INDEX ");
	sb_add(&sb, on);
	return sb_detach(&sb);
}

static void
try_hypothetical(PGconn *conn, const char *method, const char *text, int max_param,
		 const struct explain_request *rq, struct explain_result *out)
{
	char *schema = hypopg_schema(conn);
	const char *quoted;
	char *esc;

	out->n_hypo = rq->n_hypo;
	out->hypo_plans = xcalloc((size_t)(rq->n_hypo ? rq->n_hypo : 1), sizeof(char *));
	out->hypo_errors = xcalloc((size_t)(rq->n_hypo ? rq->n_hypo : 1), sizeof(char *));
	if (schema == NULL) {
		for (int i = 0; i < rq->n_hypo; i++)
			out->hypo_errors[i] = xstrdup("hypopg is not installed in this database");
		return;
	}
	out->hypopg = 1;
	esc = PQescapeIdentifier(conn, schema, strlen(schema));
	quoted = esc != NULL ? esc : "public";
	for (int i = 0; i < rq->n_hypo; i++) {
		struct explain_result tmp = {0};
		char *ddl = hypo_ddl(rq->hypo[i]);
		char *sql;
		const char *params[1];

		if (ddl == NULL) {
			out->hypo_errors[i] = xstrdup("not a CREATE INDEX statement");
			continue;
		}
		sql = xasprintf("SELECT indexname FROM %s.hypopg_create_index($1)", quoted);
		params[0] = ddl;
		PGresult *res = run1(conn, sql, 1, params, &tmp, "hypopg could not create it");
		free(sql);
		free(ddl);
		if (res == NULL) {
			out->hypo_errors[i] = xstrdup(tmp.error);
			continue;
		}
		PQclear(res);
		out->hypo_plans[i] = explain_text(conn, method, text, max_param, 0, &tmp);
		if (out->hypo_plans[i] == NULL)
			out->hypo_errors[i] = xstrdup(tmp.error);
		sql = xasprintf("SELECT %s.hypopg_reset()", quoted);
		(void)run_ok(conn, sql, NULL, "");
		free(sql);
	}
	PQfreemem(esc);
	free(schema);
}

static int
run_on(PGconn *conn, const struct explain_request *rq, const struct explain_check *ck,
       struct explain_result *out)
{
	struct explain_check lit;
	const char *method;
	char *text = NULL, *sql;
	int max_param = ck->max_param, timeout, from_literal = 0;

	out->server_version = PQserverVersion(conn);
	if (rq->literal != NULL) {
		/* a text with its values: when it is whole and the same kind of statement */
		explain_check_text(rq->literal, &lit);
		if (lit.kind == ck->kind && lit.max_param == 0 && !lit.risky_call) {
			text = xstrndup(rq->literal, lit.len);
			max_param = 0;
			from_literal = 1;
		}
	}
	if (text == NULL)
		text = xstrndup(rq->text, ck->len); /* never what follows its semicolon */
	if (max_param == 0)
		method = from_literal ? "literal" : "plain";
	else if (rq->analyze) {
		set_failed(out, "EXPLAIN ANALYZE needs the statement with its values, and none was"
				" sampled from pg_stat_activity: only its plan can be taken");
		free(text);
		return -1;
	} else if (out->server_version >= 160000)
		method = "generic_plan";
	else
		method = "prepare";
	out->method = method;
	timeout = rq->timeout_ms > 0 ? rq->timeout_ms
				     : rq->analyze ? EXPLAIN_ANALYZE_TIMEOUT_MS : EXPLAIN_TIMEOUT_MS;

	/* the guard read the text with standard strings (a backslash escapes nothing) */
	(void)run_ok(conn, "SET standard_conforming_strings = on", NULL, "");
	{
		/* keep pgmltop's own EXPLAIN out of pg_stat_statements, where a role may */
		const char *su = PQparameterStatus(conn, "is_superuser");

		if (su != NULL && strcmp(su, "on") == 0)
			(void)run_ok(conn, "SET pg_stat_statements.track = 'none'", NULL, "");
	}
	if (run_ok(conn, "BEGIN TRANSACTION READ ONLY", out, "cannot begin a transaction") < 0) {
		free(text);
		return -1;
	}
	sql = xasprintf("SET LOCAL statement_timeout = %d", timeout);
	if (run_ok(conn, sql, out, "cannot set statement_timeout") < 0 ||
	    run_ok(conn, "SET LOCAL lock_timeout = 1000", out, "cannot set lock_timeout") < 0 ||
	    (strcmp(method, "prepare") == 0 && out->server_version >= 120000 &&
	     run_ok(conn, "SET LOCAL plan_cache_mode = force_generic_plan", out,
		    "cannot set plan_cache_mode") < 0)) {
		free(sql);
		free(text);
		(void)run_ok(conn, "ROLLBACK", NULL, "");
		return -1;
	}
	free(sql);
	out->plan = explain_text(conn, method, text, max_param, rq->analyze, out);
	out->analyzed = rq->analyze && out->plan != NULL;
	if (out->plan == NULL && from_literal && !rq->analyze) {
		/* the sampled text may have been cut: take the plan of the normalized one */
		struct explain_request again = *rq;

		free(text);
		(void)run_ok(conn, "ROLLBACK", NULL, "");
		out->failed = 0;
		again.literal = NULL;
		return run_on(conn, &again, ck, out);
	}
	if (out->plan != NULL && rq->n_hypo > 0 && !rq->analyze)
		try_hypothetical(conn, method, text, max_param, rq, out);
	free(text);
	/* nothing a plan does is kept */
	(void)run_ok(conn, "ROLLBACK", NULL, "");
	return out->plan != NULL ? 0 : -1;
}

static int
explain_run_slot(const struct conn_opts *conn_opts, const struct explain_request *rq,
		 struct explain_result *out, struct cancel_slot *slot)
{
	struct explain_check ck;
	PGconn *conn;
	int rc;

	memset(out, 0, sizeof *out);
	out->queryid = rq->queryid;
	out->taken_at = now_wall();
	explain_check_text(rq->text, &ck);
	out->kind = ck.kind;
	if (ck.kind == EXPLAIN_REFUSED) {
		set_failed(out, "refused: %s", ck.why);
		return -1;
	}
	if (rq->analyze && ck.kind != EXPLAIN_READ) {
		set_failed(out, "refused: EXPLAIN ANALYZE runs the statement, and this %s writes;"
				" only its plan can be taken",
			   ck.verb);
		return -1;
	}
	if (rq->analyze && ck.risky_call) {
		set_failed(out, "refused: EXPLAIN ANALYZE would run a function whose effects a"
				" rollback does not undo; only the plan can be taken");
		return -1;
	}
	if (ck.kind == EXPLAIN_WRITE && !rq->allow_write) {
		set_failed(out, "refused: this %s writes; its plan (EXPLAIN without ANALYZE, which"
				" does not run it) is taken only when confirmed",
			   ck.verb);
		return -1;
	}
	conn = connect_for(conn_opts, rq->dbname, out);
	if (conn == NULL)
		return -1;
	if (slot != NULL) {
		pthread_mutex_lock(&slot->lock);
		slot->cancel = slot->stop ? NULL : PQgetCancel(conn);
		rc = slot->stop;
		pthread_mutex_unlock(&slot->lock);
		if (rc) {
			PQfinish(conn);
			set_failed(out, "canceled");
			return -1;
		}
	}
	rc = run_on(conn, rq, &ck, out);
	if (slot != NULL) {
		pthread_mutex_lock(&slot->lock);
		PQfreeCancel(slot->cancel);
		slot->cancel = NULL;
		pthread_mutex_unlock(&slot->lock);
	}
	PQfinish(conn);
	out->taken_at = now_wall();
	return rc;
}

int
explain_run(const struct conn_opts *conn, const struct explain_request *rq,
	    struct explain_result *out)
{
	return explain_run_slot(conn, rq, out, NULL);
}

/* ---- the thread ---- */

struct explainer {
	struct conn_opts conn;
	char *strs[5];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, quit;
	int pipe_r, pipe_w;
	/* the request waiting or in flight (its strings owned), and the result */
	int have_request, busy, have_result;
	struct explain_request rq;
	char *rq_strs[4];
	char **rq_hypo;
	struct explain_result res;
	struct cancel_slot slot;
};

static void
request_clear(struct explainer *e)
{
	for (int i = 0; i < 4; i++) {
		free(e->rq_strs[i]);
		e->rq_strs[i] = NULL;
	}
	for (int i = 0; i < e->rq.n_hypo; i++)
		free(e->rq_hypo[i]);
	free(e->rq_hypo);
	e->rq_hypo = NULL;
	memset(&e->rq, 0, sizeof e->rq);
}

static void *
explainer_main(void *arg)
{
	struct explainer *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct explain_result res;

		while (!e->quit && !e->have_request)
			pthread_cond_wait(&e->cond, &e->lock);
		if (e->quit)
			break;
		e->have_request = 0;
		e->busy = 1;
		pthread_mutex_unlock(&e->lock);
		(void)explain_run_slot(&e->conn, &e->rq, &res, &e->slot);
		pthread_mutex_lock(&e->lock);
		e->busy = 0;
		request_clear(e);
		explain_result_free(&e->res);
		e->res = res;
		e->have_result = 1;
		if (write(e->pipe_w, "x", 1) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct explainer *
explainer_new(const struct conn_opts *conn)
{
	struct explainer *e = xcalloc(1, sizeof *e);
	int fds[2];

	e->strs[0] = dup_or_null(conn->host);
	e->strs[1] = dup_or_null(conn->port);
	e->strs[2] = dup_or_null(conn->user);
	e->strs[3] = dup_or_null(conn->dbname);
	e->strs[4] = dup_or_null(conn->password);
	e->conn.host = e->strs[0];
	e->conn.port = e->strs[1];
	e->conn.user = e->strs[2];
	e->conn.dbname = e->strs[3];
	e->conn.password = e->strs[4];
	e->pipe_r = e->pipe_w = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	pthread_mutex_init(&e->slot.lock, NULL);
	if (pipe(fds) == 0) {
		e->pipe_r = fds[0];
		e->pipe_w = fds[1];
		(void)fcntl(e->pipe_r, F_SETFL, O_NONBLOCK);
		(void)fcntl(e->pipe_w, F_SETFL, O_NONBLOCK);
		(void)fcntl(e->pipe_r, F_SETFD, FD_CLOEXEC);
		(void)fcntl(e->pipe_w, F_SETFD, FD_CLOEXEC);
	}
	return e;
}

void
explainer_free(struct explainer *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->slot.lock);
	e->slot.stop = 1;
	if (e->slot.cancel != NULL) {
		char buf[256];

		(void)PQcancel(e->slot.cancel, buf, sizeof buf);
	}
	pthread_mutex_unlock(&e->slot.lock);
	if (e->started) {
		pthread_mutex_lock(&e->lock);
		e->quit = 1;
		pthread_cond_signal(&e->cond);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->thread, NULL);
	}
	request_clear(e);
	explain_result_free(&e->res);
	if (e->pipe_r >= 0)
		close(e->pipe_r);
	if (e->pipe_w >= 0)
		close(e->pipe_w);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->slot.lock);
	if (e->strs[4] != NULL)
		memset(e->strs[4], 0, strlen(e->strs[4]));
	for (int i = 0; i < 5; i++)
		free(e->strs[i]);
	free(e);
}

int
explainer_fd(const struct explainer *e)
{
	return e->pipe_r;
}

int
explainer_request(struct explainer *e, const struct explain_request *rq, struct pgt_err *err)
{
	pthread_mutex_lock(&e->lock);
	if (e->busy || e->have_request) {
		pthread_mutex_unlock(&e->lock);
		pgt_err_set(err, "a plan is being taken already; wait for it");
		return -1;
	}
	if (!e->started) {
		if (e->pipe_r < 0 || pthread_create(&e->thread, NULL, explainer_main, e) != 0) {
			pthread_mutex_unlock(&e->lock);
			pgt_err_set(err, "cannot start the thread that takes plans");
			return -1;
		}
		e->started = 1;
	}
	request_clear(e);
	e->rq = *rq;
	e->rq.dbname = e->rq_strs[0] = dup_or_null(rq->dbname);
	e->rq.text = e->rq_strs[1] = dup_or_null(rq->text);
	e->rq.literal = e->rq_strs[2] = dup_or_null(rq->literal);
	e->rq_hypo = xcalloc((size_t)(rq->n_hypo ? rq->n_hypo : 1), sizeof(char *));
	for (int i = 0; i < rq->n_hypo; i++)
		e->rq_hypo[i] = xstrdup(rq->hypo[i]);
	e->rq.hypo = (const char *const *)e->rq_hypo;
	e->have_request = 1;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int
explainer_take(struct explainer *e, struct explain_result *out)
{
	char buf[16];
	int got = 0;

	while (e->pipe_r >= 0 && read(e->pipe_r, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&e->lock);
	if (e->have_result) {
		*out = e->res;
		memset(&e->res, 0, sizeof e->res);
		e->have_result = 0;
		got = 1;
	}
	pthread_mutex_unlock(&e->lock);
	return got;
}

int
explainer_busy(struct explainer *e)
{
	int b;

	pthread_mutex_lock(&e->lock);
	b = e->busy || e->have_request;
	pthread_mutex_unlock(&e->lock);
	return b;
}
