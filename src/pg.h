/*
 * One asynchronous libpq connection. Results come out as struct pg_rows, so no
 * PGresult is seen outside this file. Nothing here blocks: the caller polls pg_socket() for
 * pg_poll_events() and calls pg_process() when it is ready.
 */
#ifndef PGMLTOP_PG_H
#define PGMLTOP_PG_H

#include "xutil.h"

/* How to connect, as psql takes it. NULL fields are left to libpq (PG* variables). */
struct conn_opts {
	const char *host;
	const char *port;
	const char *user;
	const char *dbname; /* may be a conninfo string or a URI */
	const char *password; /* only when prompted for; never stored */
};

/* A copied result: cells are NUL-terminated strings, NULL for SQL NULL. */
struct pg_rows {
	int nrows;
	int ncols;
	char **cells; /* nrows * ncols */
	char *arena;  /* the text of the cells, when they were copied */
	void *result; /* or the libpq result the cells point into */
};

const char *pg_rows_get(const struct pg_rows *r, int row, int col);
void pg_rows_free(struct pg_rows *r);

enum pg_event {
	PG_EV_NONE,      /* nothing finished yet */
	PG_EV_CONNECTED, /* the connection is ready for queries */
	PG_EV_RESULT,    /* the query finished; take its rows */
	PG_EV_ERROR,     /* the query failed; the connection is still usable */
	PG_EV_LOST,      /* the connection failed or was lost */
};

struct pg;

struct pg *pg_new(void);
void pg_free(struct pg *pg);

/*
 * libpq's keywords and values for o (at most 12 and the NULL end), as psql takes them:
 * explicit options before dbname, so that a conninfo string or URI given as the database
 * name wins. dbname, when not NULL, then names another database on the same server.
 */
void pg_conn_params(const struct conn_opts *o, const char *dbname, const char *app, const char **keys,
		    const char **vals);

/* Start connecting; returns -1 with a message when libpq refuses at once. */
int pg_connect_start(struct pg *pg, const struct conn_opts *opts);
void pg_disconnect(struct pg *pg);

/* The socket to poll (-1 when there is none) and the events to poll it for. */
int pg_socket(const struct pg *pg);
short pg_poll_events(const struct pg *pg);

/* Move the connection or the running query forward. */
enum pg_event pg_process(struct pg *pg);

/* Send a query with text parameters; -1 when it could not be sent (see pg_error). */
int pg_send(struct pg *pg, const char *sql, int nparams, const char *const *params);

/*
 * One query of a batch, with text parameters. prepare: the query runs again and again;
 * in a pipeline it is prepared on the server the first time, and executed as prepared
 * (without planning it again) after that, for as long as the connection lasts.
 */
struct pg_query {
	const char *sql;
	int nparams;
	const char *const *params;
	int prepare;
};

/*
 * Send several queries at once; -1 when they could not be sent. Each query runs on its
 * own (one failing does not stop the others) and pg_process() reports each one in order
 * with PG_EV_RESULT or PG_EV_ERROR. With libpq 14 or later they go in one pipeline, one
 * round trip for all; otherwise one after the other. The texts are copied.
 */
int pg_send_batch(struct pg *pg, const struct pg_query *q, int n);
/* Queries of the running batch still to be reported, the current one included. */
int pg_pending(const struct pg *pg);

/* After PG_EV_RESULT: the rows, which the caller frees with pg_rows_free. */
struct pg_rows *pg_take_rows(struct pg *pg);

/* After PG_EV_ERROR or PG_EV_LOST: libpq's message (one line) and the SQLSTATE. */
const char *pg_error(const struct pg *pg);
const char *pg_sqlstate(const struct pg *pg);
/* After a failed connection: did the server ask for a password we did not have? */
int pg_needs_password(const struct pg *pg);

/* The server the connection reached (never with a password). */
const char *pg_host(const struct pg *pg);
const char *pg_port(const struct pg *pg);

#endif
