#include "config.h"

#include "pg.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

enum pg_state { ST_IDLE, ST_CONNECTING, ST_READY, ST_BUSY };

#define PG_BATCH_MAX 16
#define PG_PREPARED_MAX 16

/* A query of a batch not sent yet (without pipelining): its own copies of the texts. */
struct queued {
	char *sql;
	int nparams;
	char **params;
};

#define PG_SECRETS_MAX 16

struct pg {
	PGconn *conn;
	enum pg_state state;
	PostgresPollingStatusType poll; /* while connecting */
	int flushing;                   /* output still to be sent */
	int needs_password;
	struct pg_rows *rows;
	int failed; /* the running query had an error */
	int pending;  /* queries of the batch not reported yet, the running one included */
	int pipeline; /* the batch runs in libpq's pipeline mode */
	int ended;    /* pipeline: the current query's results are all in; its sync is due */
	struct queued *queue; /* without pipelining: the batch's queries still to send */
	int q_next, q_len;
	/* pipeline: for each query of the batch, the results libpq ends with a NULL (2 for a
	 * query prepared and executed, else 1), and the statement it runs as (-1: none) */
	int ends[PG_BATCH_MAX], stmt[PG_BATCH_MAX];
	int cur, ends_left;
	/* the statements prepared on this connection: their SQL; the name is pgmltop_INDEX */
	char *prepared[PG_PREPARED_MAX];
	int n_prepared;
	char error[512];
	/* what a message must never show: the password given, and the pieces of one in a URI */
	char *secrets[PG_SECRETS_MAX];
	int n_secrets;
	char sqlstate[6];
	char host[256];
	char port[32];
};

const char *
pg_rows_get(const struct pg_rows *r, int row, int col)
{
	if (r == NULL || row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
		return NULL;
	return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

void
pg_rows_free(struct pg_rows *r)
{
	if (r == NULL)
		return;
	free(r->cells);
	free(r->arena);
	if (r->result != NULL)
		PQclear(r->result);
	free(r);
}

/*
 * The cells point into the result itself, which the rows own from now on: a sample of
 * pg_stat_statements is a few hundred kilobytes, and copying it once more every second
 * would cost as much as reading it.
 */
static struct pg_rows *
rows_take(PGresult *res)
{
	struct pg_rows *r = xcalloc(1, sizeof *r);
	int i, j;

	r->result = res;
	r->nrows = PQntuples(res);
	r->ncols = PQnfields(res);
	r->cells = xcalloc((size_t)r->nrows * (size_t)r->ncols + 1, sizeof *r->cells);
	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->ncols; j++)
			if (!PQgetisnull(res, i, j))
				r->cells[(size_t)i * (size_t)r->ncols + (size_t)j] =
					PQgetvalue(res, i, j);
	return r;
}

static void
forget_secrets(struct pg *pg)
{
	for (int i = 0; i < pg->n_secrets; i++)
		free(pg->secrets[i]);
	pg->n_secrets = 0;
}

static void
add_secret(struct pg *pg, const char *s, size_t len)
{
	if (len == 0 || pg->n_secrets == PG_SECRETS_MAX)
		return;
	pg->secrets[pg->n_secrets++] = xstrndup(s, len);
}

/*
 * The password of the connection, as given and as libpq reads it from a conninfo or a
 * URI; for a URI, also what stands where its password would be, whole and in the pieces
 * libpq may quote when it cannot parse the URI (cut at / ? # : , @ or a blank).
 */
static void
remember_secrets(struct pg *pg, const struct conn_opts *o)
{
	const char *u;

	forget_secrets(pg);
	if (o->password != NULL)
		add_secret(pg, o->password, strlen(o->password));
	if (o->dbname == NULL)
		return;
	if (strchr(o->dbname, '=') != NULL || strstr(o->dbname, "://") != NULL) {
		PQconninfoOption *opts = PQconninfoParse(o->dbname, NULL);

		for (PQconninfoOption *op = opts; op != NULL && op->keyword != NULL; op++)
			if (strcmp(op->keyword, "password") == 0 && op->val != NULL)
				add_secret(pg, op->val, strlen(op->val));
		PQconninfoFree(opts);
	}
	if ((u = strstr(o->dbname, "://")) != NULL) {
		const char *start = u + 3, *at = strrchr(start, '@');
		const char *end = at != NULL ? at : start + strlen(start);
		const char *colon = memchr(start, ':', (size_t)(end - start));

		if (colon != NULL && at != NULL) {
			const char *p = colon + 1;

			add_secret(pg, p, (size_t)(end - p));
			while (p < end) {
				size_t n = strcspn(p, "/?#:,@ ");

				if (p + n > end)
					n = (size_t)(end - p);
				if (n >= 2)
					add_secret(pg, p, n);
				p += n + 1;
			}
		}
	}
}

/* Every occurrence of a secret in pg->error becomes *** (at each place, the longest). */
static void
hide_secrets(struct pg *pg)
{
	char out[sizeof pg->error];
	size_t o = 0;
	const char *p = pg->error;

	if (pg->n_secrets == 0)
		return;
	while (*p != '\0' && o + 1 < sizeof out) {
		size_t best = 0;

		for (int i = 0; i < pg->n_secrets; i++) {
			size_t len = strlen(pg->secrets[i]);

			if (len > best && strncmp(p, pg->secrets[i], len) == 0)
				best = len;
		}
		if (best > 0) {
			for (int k = 0; k < 3 && o + 1 < sizeof out; k++)
				out[o++] = '*';
			p += best;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	memcpy(pg->error, out, o + 1);
}

/* libpq messages end in newlines and may carry DETAIL lines: keep the first line. */
static void
set_error(struct pg *pg, const char *msg)
{
	const char *p = msg ? msg : "unknown error";
	size_t n;

	if (strncmp(p, "ERROR:  ", 8) == 0)
		p += 8;
	else if (strncmp(p, "FATAL:  ", 8) == 0)
		p += 8;
	n = strcspn(p, "\n");
	if (n >= sizeof pg->error)
		n = sizeof pg->error - 1;
	memcpy(pg->error, p, n);
	pg->error[n] = '\0';
	while (n > 0 && (pg->error[n - 1] == ' ' || pg->error[n - 1] == '\r'))
		pg->error[--n] = '\0';
	hide_secrets(pg);
}

/*
 * Server notices (such as the warning before an immediate shutdown) are not shown:
 * what they announce arrives as an error or a lost connection.
 */
static void
ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void
queue_clear(struct pg *pg)
{
	int i, k;

	for (i = pg->q_next; i < pg->q_len; i++) {
		free(pg->queue[i].sql);
		for (k = 0; k < pg->queue[i].nparams; k++)
			free(pg->queue[i].params[k]);
		free(pg->queue[i].params);
	}
	free(pg->queue);
	pg->queue = NULL;
	pg->q_next = pg->q_len = 0;
}

struct pg *
pg_new(void)
{
	return xcalloc(1, sizeof(struct pg));
}

void
pg_disconnect(struct pg *pg)
{
	if (pg->conn != NULL)
		PQfinish(pg->conn);
	pg->conn = NULL;
	pg->state = ST_IDLE;
	pg->flushing = 0;
	pg_rows_free(pg->rows);
	pg->rows = NULL;
	queue_clear(pg);
	pg->pending = 0;
	pg->pipeline = 0;
	pg->ended = 0;
	while (pg->n_prepared > 0) {
		free(pg->prepared[--pg->n_prepared]);
		pg->prepared[pg->n_prepared] = NULL;
	}
}

void
pg_free(struct pg *pg)
{
	if (pg == NULL)
		return;
	pg_disconnect(pg);
	forget_secrets(pg);
	free(pg);
}

void
pg_conn_params(const struct conn_opts *o, const char *dbname, const char *app, const char **keys,
	       const char **vals)
{
	int n = 0;

#define KV(k, v)                                                                                   \
	do {                                                                                       \
		if ((v) != NULL) {                                                                 \
			keys[n] = (k);                                                             \
			vals[n++] = (v);                                                           \
		}                                                                                  \
	} while (0)
	KV("host", o->host);
	KV("port", o->port);
	KV("user", o->user);
	KV("password", o->password);
	KV("dbname", o->dbname);
	/* a later dbname is a plain name: it changes the database, not the rest */
	KV("dbname", dbname);
	KV("fallback_application_name", app);
	KV("keepalives", "1");
	KV("connect_timeout", "10");
	keys[n] = NULL;
	vals[n] = NULL;
#undef KV
}

int
pg_connect_start(struct pg *pg, const struct conn_opts *o)
{
	/*
	 * As psql: explicit options come before dbname, so that a conninfo string or URI
	 * given as the database name wins; libpq reads PG* variables, ~/.pgpass and
	 * service files for whatever is left unset.
	 */
	const char *keys[16], *vals[16];

	pg_disconnect(pg);
	pg->error[0] = pg->sqlstate[0] = '\0';
	pg->needs_password = 0;
	remember_secrets(pg, o);
	pg_conn_params(o, NULL, "pgmltop", keys, vals);
	pg->conn = PQconnectStartParams(keys, vals, 1);
	if (pg->conn == NULL) {
		set_error(pg, "out of memory");
		return -1;
	}
	if (PQstatus(pg->conn) == CONNECTION_BAD) {
		set_error(pg, PQerrorMessage(pg->conn));
		pg->needs_password = PQconnectionNeedsPassword(pg->conn);
		PQfinish(pg->conn);
		pg->conn = NULL;
		return -1;
	}
	PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
	pg->state = ST_CONNECTING;
	pg->poll = PGRES_POLLING_WRITING;
	return 0;
}

int
pg_socket(const struct pg *pg)
{
	return pg->conn != NULL ? PQsocket(pg->conn) : -1;
}

short
pg_poll_events(const struct pg *pg)
{
	switch (pg->state) {
	case ST_CONNECTING:
		return pg->poll == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	case ST_BUSY:
		return (short)(POLLIN | (pg->flushing ? POLLOUT : 0));
	default:
		return 0;
	}
}

static enum pg_event
lost(struct pg *pg)
{
	set_error(pg, pg->conn ? PQerrorMessage(pg->conn) : "connection lost");
	if (pg->error[0] == '\0')
		set_error(pg, "server closed the connection unexpectedly");
	if (pg->conn != NULL && pg->state == ST_CONNECTING)
		pg->needs_password = PQconnectionNeedsPassword(pg->conn);
	pg_disconnect(pg);
	return PG_EV_LOST;
}

static enum pg_event
process_connect(struct pg *pg)
{
	pg->poll = PQconnectPoll(pg->conn);
	switch (pg->poll) {
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(pg->conn, 1) != 0)
			return lost(pg);
		pg->state = ST_READY;
		strlcpy_(pg->host, PQhost(pg->conn) ? PQhost(pg->conn) : "", sizeof pg->host);
		strlcpy_(pg->port, PQport(pg->conn) ? PQport(pg->conn) : "", sizeof pg->port);
		return PG_EV_CONNECTED;
	case PGRES_POLLING_FAILED:
		return lost(pg);
	default:
		return PG_EV_NONE;
	}
}

static int send_one(struct pg *pg, const char *sql, int nparams, const char *const *params);
static int flush(struct pg *pg);

/* Without pipelining: send the next query of the batch, which the queue owns. */
static int
send_queued(struct pg *pg)
{
	struct queued *q = &pg->queue[pg->q_next];
	int rc, k;

	rc = send_one(pg, q->sql, q->nparams, (const char *const *)q->params);
	if (rc == 0)
		rc = flush(pg);
	free(q->sql);
	for (k = 0; k < q->nparams; k++)
		free(q->params[k]);
	free(q->params);
	if (++pg->q_next == pg->q_len) {
		free(pg->queue);
		pg->queue = NULL;
		pg->q_next = pg->q_len = 0;
	}
	return rc;
}

/*
 * The current query is over: say how it went, and go on with the next one of the batch.
 * Its rows, error and SQLSTATE stay until the caller's next pg_process().
 */
static enum pg_event
query_done(struct pg *pg)
{
	enum pg_event ev = pg->failed ? PG_EV_ERROR : PG_EV_RESULT;

	/* a prepared statement that failed is not trusted again: it is prepared anew */
	if (pg->pipeline && pg->failed && pg->stmt[pg->cur] >= 0) {
		free(pg->prepared[pg->stmt[pg->cur]]);
		pg->prepared[pg->stmt[pg->cur]] = xstrdup("");
	}
	pg->failed = 0;
	pg->ended = 0;
	if (pg->pipeline && pg->cur + 1 < PG_BATCH_MAX) {
		pg->cur++;
		pg->ends_left = pg->ends[pg->cur];
	}
	if (--pg->pending > 0) {
		if (pg->queue != NULL && send_queued(pg) < 0)
			return lost(pg);
		return ev;
	}
	pg->pending = 0;
#ifdef LIBPQ_HAS_PIPELINING
	if (pg->pipeline) {
		pg->pipeline = 0;
		if (!PQexitPipelineMode(pg->conn)) {
			/* libpq may still hold the end of the pipeline: take it, then leave */
			PGresult *res = PQgetResult(pg->conn);

			if (res != NULL)
				PQclear(res);
			if (!PQexitPipelineMode(pg->conn))
				return lost(pg);
		}
	}
#endif
	pg->state = ST_READY;
	return ev;
}

static void
take_result(struct pg *pg, PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		/* (in a pipeline, the outcome of a prepare is not the query's) */
		if (pg->rows == NULL && !pg->failed && (!pg->pipeline || pg->ends_left <= 1)) {
			pg->rows = rows_take(res);
			res = NULL;
		}
		break;
	default: {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (!pg->failed) {
			pg->failed = 1;
			set_error(pg, PQresultErrorMessage(res));
			if (pg->error[0] == '\0')
				set_error(pg, PQresStatus(PQresultStatus(res)));
			strlcpy_(pg->sqlstate, st ? st : "", sizeof pg->sqlstate);
		}
		break;
	}
	}
	if (res != NULL)
		PQclear(res);
}

static enum pg_event
process_query(struct pg *pg)
{
	PGresult *res;

	if (pg->flushing) {
		int f = PQflush(pg->conn);

		if (f < 0)
			return lost(pg);
		pg->flushing = f == 1;
	}
	if (!PQconsumeInput(pg->conn))
		return lost(pg);
	while (!PQisBusy(pg->conn)) {
		res = PQgetResult(pg->conn);
		if (res == NULL) {
			if (PQstatus(pg->conn) == CONNECTION_BAD)
				return lost(pg);
			if (!pg->pipeline)
				return query_done(pg);
			if (pg->ended) /* nothing more until the sync arrives */
				return PG_EV_NONE;
			if (--pg->ends_left > 0)
				continue; /* the statement was prepared; its execution follows */
			pg->ended = 1; /* the query's sync comes next */
			continue;
		}
#ifdef LIBPQ_HAS_PIPELINING
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			if (pg->ended)
				return query_done(pg);
			continue;
		}
#endif
		take_result(pg, res);
	}
	return PG_EV_NONE;
}

enum pg_event
pg_process(struct pg *pg)
{
	switch (pg->state) {
	case ST_CONNECTING:
		return process_connect(pg);
	case ST_BUSY:
		return process_query(pg);
	case ST_READY:
		/* notices or a closed connection may arrive while idle */
		if (!PQconsumeInput(pg->conn))
			return lost(pg);
		return PG_EV_NONE;
	default:
		return PG_EV_NONE;
	}
}

#ifdef LIBPQ_HAS_PIPELINING
/*
 * In a pipeline: send query i of the batch as a prepared statement, prepared first when
 * this connection has not prepared its SQL yet. Falls back to an unnamed statement when
 * there are too many.
 */
static int
send_prepared(struct pg *pg, int i, const struct pg_query *q)
{
	char name[32];
	int k, fresh = 0;

	for (k = 0; k < pg->n_prepared; k++)
		if (strcmp(pg->prepared[k], q->sql) == 0)
			break;
	if (k == pg->n_prepared) {
		if (k == PG_PREPARED_MAX)
			return send_one(pg, q->sql, q->nparams, q->params);
		pg->prepared[pg->n_prepared++] = xstrdup(q->sql);
		fresh = 1;
	}
	snprintf(name, sizeof name, "pgmltop_%d", k);
	if (fresh && !PQsendPrepare(pg->conn, name, q->sql, q->nparams, NULL)) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	pg->ends[i] = fresh ? 2 : 1;
	pg->stmt[i] = k;
	if (!PQsendQueryPrepared(pg->conn, name, q->nparams, q->params, NULL, NULL, 0) ||
	    !PQpipelineSync(pg->conn)) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	return 0;
}
#endif

/* Send one query (in or out of a pipeline) without touching the rows not taken yet. */
static int
send_one(struct pg *pg, const char *sql, int nparams, const char *const *params)
{
	if (!PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
#ifdef LIBPQ_HAS_PIPELINING
	/* a sync after each query: one failing does not abort the others */
	if (pg->pipeline && !PQpipelineSync(pg->conn)) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
#endif
	return 0;
}

static int
flush(struct pg *pg)
{
	int f = PQflush(pg->conn);

	if (f < 0) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	pg->flushing = f == 1;
	return 0;
}

static int
start_batch(struct pg *pg)
{
	if (pg->state != ST_READY) {
		set_error(pg, "not connected");
		return -1;
	}
	pg_rows_free(pg->rows);
	pg->rows = NULL;
	pg->failed = 0;
	pg->ended = 0;
	pg->error[0] = pg->sqlstate[0] = '\0';
	return 0;
}

int
pg_send(struct pg *pg, const char *sql, int nparams, const char *const *params)
{
	struct pg_query q = {sql, nparams, params, 0};

	return pg_send_batch(pg, &q, 1);
}

int
pg_send_batch(struct pg *pg, const struct pg_query *q, int n)
{
	int i, k;

	if (n <= 0 || n > PG_BATCH_MAX || start_batch(pg) < 0)
		return -1;
#ifdef LIBPQ_HAS_PIPELINING
	if (n > 1) {
		if (!PQenterPipelineMode(pg->conn)) {
			set_error(pg, PQerrorMessage(pg->conn));
			return -1;
		}
		pg->pipeline = 1;
		pg->cur = 0;
		for (i = 0; i < n; i++) {
			int rc;

			pg->ends[i] = 1;
			pg->stmt[i] = -1;
			rc = q[i].prepare ? send_prepared(pg, i, &q[i])
					  : send_one(pg, q[i].sql, q[i].nparams, q[i].params);
			if (rc < 0)
				return -1; /* the connection is unusable: the caller drops it */
		}
		pg->ends_left = pg->ends[0];
		if (flush(pg) < 0)
			return -1;
		pg->pending = n;
		pg->state = ST_BUSY;
		return 0;
	}
#endif
	if (send_one(pg, q[0].sql, q[0].nparams, q[0].params) < 0 || flush(pg) < 0)
		return -1;
	if (n > 1) {
		pg->queue = xcalloc((size_t)(n - 1), sizeof *pg->queue);
		for (i = 1; i < n; i++) {
			struct queued *e = &pg->queue[i - 1];

			e->sql = xstrdup(q[i].sql);
			e->nparams = q[i].nparams;
			e->params = xcalloc((size_t)(q[i].nparams + 1), sizeof *e->params);
			for (k = 0; k < q[i].nparams; k++)
				e->params[k] = q[i].params[k] ? xstrdup(q[i].params[k]) : NULL;
		}
		pg->q_next = 0;
		pg->q_len = n - 1;
	}
	pg->pending = n;
	pg->state = ST_BUSY;
	return 0;
}

int
pg_pending(const struct pg *pg)
{
	return pg->pending;
}

struct pg_rows *
pg_take_rows(struct pg *pg)
{
	struct pg_rows *r = pg->rows;

	pg->rows = NULL;
	return r;
}

const char *
pg_error(const struct pg *pg)
{
	return pg->error;
}

const char *
pg_sqlstate(const struct pg *pg)
{
	return pg->sqlstate;
}

int
pg_needs_password(const struct pg *pg)
{
	return pg->needs_password;
}

const char *
pg_host(const struct pg *pg)
{
	return pg->host;
}

const char *
pg_port(const struct pg *pg)
{
	return pg->port;
}
