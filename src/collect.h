/*
 * The collector: one asynchronous connection that detects what the server has, then reads
 * one sample when asked. It reconnects by itself with backoff. The caller owns the loop:
 * it polls collect_fd() for collect_poll_events(), wakes at collect_deadline(), calls
 * collect_process(), and reads events with collect_next() until COLLECT_NONE.
 */
#ifndef PGMLTOP_COLLECT_H
#define PGMLTOP_COLLECT_H

#include <stdint.h>

#include "pg.h"
#include "snapshot.h"

struct server_info {
	char key[320]; /* what identifies the server in the history: sysid:port */
	char sysid[32]; /* empty when the role may not read it */
	char host[256];
	char port[32];
	int version_num;
	char version[64];
	char dbname[128];
	char user[128];
	int superuser;
	int read_all_stats;
	char pgss_version[32]; /* empty when the extension is not installed */
	char pgss_schema[128];
	unsigned have; /* STMT_HAVE_* */
	double postmaster_start;
};

enum collect_event {
	COLLECT_NONE,
	COLLECT_CONNECTED, /* connected and detected: see collect_server() */
	COLLECT_SAMPLE,    /* a sample is ready: collect_take() */
	COLLECT_LOST,      /* lost the server; reconnecting (message says when) */
	COLLECT_FAILED,    /* cannot start: the first connection or detection failed */
	COLLECT_WARNING,   /* something to say once; sampling goes on */
	COLLECT_SKIPPED,   /* a sample could not be read whole and was dropped */
};

struct collector;

/* opts is copied. statement_timeout_ms bounds every query of the collector. */
struct collector *collect_new(const struct conn_opts *opts, int statement_timeout_ms);
void collect_free(struct collector *c);
void collect_set_password(struct collector *c, const char *password);
/* How the collector connects, its password included (borrowed from c). */
struct conn_opts collect_conn(const struct collector *c);

/* Start connecting (again). */
void collect_start(struct collector *c, double now);

int collect_fd(const struct collector *c);
short collect_poll_events(const struct collector *c);
/* Monotonic time by which collect_process() must be called, or 0 for none. */
double collect_deadline(const struct collector *c);
void collect_process(struct collector *c, short revents, double now);

/* Begin a sample now; -1 when not connected or a sample is already running. */
int collect_sample(struct collector *c, double now);
int collect_connected(const struct collector *c);
/*
 * Since the connection was lost: the reconnection attempt pending or running (1, 2, ...;
 * the waits between them double, up to 30 s); 0 while connected.
 */
int collect_attempt(const struct collector *c);
int collect_sampling(const struct collector *c);

/* The next event and its message (borrowed until the next call), or COLLECT_NONE. */
enum collect_event collect_next(struct collector *c, const char **msg);
/* After COLLECT_SAMPLE: the snapshot, which the caller frees with snapshot_free + free. */
struct snapshot *collect_take(struct collector *c);
/* After COLLECT_FAILED: did the server want a password we did not give? */
int collect_needs_password(const struct collector *c);

const struct server_info *collect_server(const struct collector *c);

/*
 * Cancel the query of a backend (terminate 0) or end it (1), when the connection is free.
 * The outcome comes as a COLLECT_WARNING message, refusals included. -1 when not
 * connected or another one is queued.
 */
int collect_admin(struct collector *c, int terminate, int pid, double now);

/*
 * The settings of the last sample were not stored: read them all again with the next
 * one (settings are otherwise read only after the server reloaded its configuration).
 */
void collect_settings_unstored(struct collector *c);

/* These query ids have their texts stored: do not fetch them again. */
void collect_texts_known(struct collector *c, const int64_t *ids, int n);

/* A one-line hint for a libpq connection error (never contains a password). */
const char *collect_connect_hint(const char *libpq_message, int needs_password);

#endif
