#include "config.h"

#include "pg.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

enum pg_state { ST_IDLE, ST_CONNECTING, ST_READY, ST_BUSY };

struct pg {
	PGconn *conn;
	enum pg_state state;
	PostgresPollingStatusType poll; /* while connecting */
	int flushing;                   /* output still to be sent */
	int needs_password;
	struct pg_rows *rows;
	int failed; /* the running query had an error */
	char error[512];
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
}

void
pg_free(struct pg *pg)
{
	if (pg == NULL)
		return;
	pg_disconnect(pg);
	free(pg);
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
	int n = 0;

	pg_disconnect(pg);
	pg->error[0] = pg->sqlstate[0] = '\0';
	pg->needs_password = 0;
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
	KV("fallback_application_name", "pgmltop");
	KV("keepalives", "1");
	keys[n] = NULL;
	vals[n] = NULL;
#undef KV
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
			pg->state = ST_READY;
			if (PQstatus(pg->conn) == CONNECTION_BAD)
				return lost(pg);
			return pg->failed ? PG_EV_ERROR : PG_EV_RESULT;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			if (pg->rows == NULL && !pg->failed) {
				pg->rows = rows_take(res);
				res = NULL;
			}
			break;
		default: {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			if (!pg->failed) {
				pg->failed = 1;
				set_error(pg, PQresultErrorMessage(res));
				strlcpy_(pg->sqlstate, st ? st : "", sizeof pg->sqlstate);
			}
			break;
		}
		}
		if (res != NULL)
			PQclear(res);
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

int
pg_send(struct pg *pg, const char *sql, int nparams, const char *const *params)
{
	int f;

	if (pg->state != ST_READY) {
		set_error(pg, "not connected");
		return -1;
	}
	pg_rows_free(pg->rows);
	pg->rows = NULL;
	pg->failed = 0;
	pg->error[0] = pg->sqlstate[0] = '\0';
	if (!PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	f = PQflush(pg->conn);
	if (f < 0) {
		set_error(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	pg->flushing = f == 1;
	pg->state = ST_BUSY;
	return 0;
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
