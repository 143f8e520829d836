/*
 * The sampler: the collector, the deltas and the history, driven by one poll loop. It
 * connects (and reconnects), samples on a fixed schedule, stores each sample when it
 * holds the server's lease, and keeps the latest sample and its deltas for display.
 * Messages (a lost connection, a full disk) go to the caller's say function.
 */
#ifndef PGMLTOP_SAMPLER_H
#define PGMLTOP_SAMPLER_H

#include <stdint.h>

#include "collect.h"
#include "options.h"
#include "snapshot.h"
#include "store.h"

enum {
	SAMPLER_SAMPLE = 1 << 0, /* a new sample: sampler_snapshot() and sampler_delta() */
	SAMPLER_FAILED = 1 << 1, /* the first connection failed: the message was said */
	SAMPLER_STATE = 1 << 2,  /* connected, lost or reconnected */
};

enum sampler_state {
	SAMPLER_CONNECTING,
	SAMPLER_CONNECTED,
	SAMPLER_RECONNECTING,
	SAMPLER_DOWN, /* the first connection failed */
};

typedef void (*sampler_say_fn)(void *ctx, const char *msg);

struct sampler;

/* st may be NULL (no history); it stays the caller's. password may be NULL. */
struct sampler *sampler_new(const struct options *o, struct store *st, const char *password,
			    sampler_say_fn say, void *ctx);
void sampler_free(struct sampler *s);

/* The descriptor to poll and its events (fd -1: none), and when to wake (monotonic). */
int sampler_fd(const struct sampler *s);
short sampler_events(const struct sampler *s);
double sampler_wake(const struct sampler *s);
/* After poll: move on. Returns SAMPLER_* flags. */
unsigned sampler_process(struct sampler *s, short revents);

/* After SAMPLER_FAILED: may a password help? Then retry with one. */
int sampler_needs_password(const struct sampler *s);
void sampler_retry(struct sampler *s, const char *password);

enum sampler_state sampler_state(const struct sampler *s);
/* While reconnecting: the attempt pending or running (1, 2, ...), as collect_attempt(). */
int sampler_attempt(const struct sampler *s);
int sampler_busy(const struct sampler *s); /* a sample is being read */
/* Samples delivered: stored ones with --collect, all others otherwise. */
long sampler_count(const struct sampler *s);
/*
 * Store the latest sample now if it is not in the history yet (samples are stored every
 * --history-interval): before the history is read, so that it reaches the last sample.
 */
void sampler_store_now(struct sampler *s);
void sampler_set_interval(struct sampler *s, double seconds);
double sampler_interval(const struct sampler *s);

/* The latest sample and its deltas (NULL before the first); valid until the next one. */
const struct snapshot *sampler_snapshot(const struct sampler *s);
const struct delta_set *sampler_delta(const struct sampler *s);
const struct server_info *sampler_server(const struct sampler *s);
int64_t sampler_server_id(const struct sampler *s); /* 0 when not in the history */
/* Cancel (0) or terminate (1) a backend; the outcome is said. -1 when not possible now. */
int sampler_admin(struct sampler *s, int terminate, int pid);

/* Seconds since the server last answered a sample (or the connection was made); 0: never. */
double sampler_quiet(const struct sampler *s);
/* How the sampler connects, its password included (borrowed). */
struct conn_opts sampler_conn(const struct sampler *s);
/* The database of a statement in the latest sample, or NULL; borrowed. */
const char *sampler_stmt_dbname(const struct sampler *s, int64_t queryid);
/* The latest text with values of a statement running in the latest sample, or NULL. */
const char *sampler_literal(const struct sampler *s, int64_t queryid);

/* A statement's text from the samples or the history, or NULL; borrowed. */
const char *sampler_text(struct sampler *s, int64_t queryid);

#endif
