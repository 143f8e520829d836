/*
 * Reads of the history for the screen's windows (last hour, day, 7 days), in a thread of
 * their own with their own read-only connection to the history file, so that the screen
 * answers keys while a long window is read. A new request supersedes the one in flight
 * (which is interrupted); only the result of the latest request is handed out.
 */
#ifndef PGMLTOP_LOADER_H
#define PGMLTOP_LOADER_H

#include <stdint.h>

#include "store.h"
#include "xutil.h"

struct loader;

/* What a request read: the statements of the window, or an error message. */
struct loader_result {
	unsigned generation; /* of the request it answers */
	int failed;
	char error[256];
	struct stmt_total *rows; /* taken over by the caller: store_statements_free() */
	int n;
	int samples; /* in the window */
	double first, last;
	double from, to;
	double seconds; /* the time the read took */
};

/* Open the history file read-only for the thread and start it; NULL with a message. */
struct loader *loader_new(const char *path, struct pgt_err *err);
void loader_free(struct loader *l);

/* A descriptor that becomes readable when a result is ready (for poll). */
int loader_fd(const struct loader *l);

/* Ask for the statements of server_id in [from, to]; returns the request's generation. */
unsigned loader_request(struct loader *l, int64_t server_id, double from, double to);

/*
 * The result of the latest request, once it is ready: 1 and *out filled (the caller owns
 * out->rows), 0 when there is none yet. Results of superseded requests are dropped here.
 */
int loader_take(struct loader *l, struct loader_result *out);

/* A request is being read. */
int loader_busy(struct loader *l);

#endif
