/*
 * Reads of the history for the screen, in a thread of their own with their own read-only
 * connection to the history file, so that the screen answers keys while a long window is
 * read: the statements of a window (last hour, day, 7 days), or the hours of one
 * statement or of the whole server with their patterns and findings, and a statement's
 * forecast (for the drill-down and the heatmaps). A new request supersedes the one in flight (which is interrupted);
 * only the result of the latest request is handed out.
 */
#ifndef PGMLTOP_LOADER_H
#define PGMLTOP_LOADER_H

#include <stdint.h>

#include "finding.h"
#include "params.h"
#include "forecast.h"
#include "patterns.h"
#include "report.h"
#include "store.h"
#include "xutil.h"

struct loader;

enum loader_kind {
	LOADER_WINDOW, /* the statements of [from, to] */
	LOADER_SERIES, /* the summed hours of [from, to], and their analysis */
	LOADER_RECS,   /* the whole report of [from, to], with its recommendations */
	LOADER_PARAMS, /* the settings, their changes and the parameter advice of [from, to] */
	LOADER_EXPORT, /* the report of [from, to] written to a file */
};

/* A report to write (LOADER_EXPORT). */
struct loader_export {
	char format[8];      /* html, md, csv, json */
	char csv_table[32];  /* "" for the first */
	char path[4096];
	int64_t *ids;        /* only these statements (copied), NULL: all */
	int n_ids;
};

/* What a request read, or an error message. The caller frees it: loader_result_free(). */
struct loader_result {
	enum loader_kind kind;
	unsigned generation; /* of the request it answers */
	int failed;
	char error[256];
	struct stmt_total *rows; /* taken over by the caller: store_statements_free() */
	int n;
	int samples; /* in the window */
	double first, last;
	double from, to;
	double seconds; /* the time the read took */

	/* LOADER_SERIES: of one query id (has_queryid) or of the whole server */
	int has_queryid;
	int64_t queryid;
	struct stmt_series sums; /* one row (n_stmts 0 when nothing ran) */
	struct pattern *pats;
	int n_pats;
	struct finding *finds;
	int n_finds;
	const char *note; /* static: why there are no patterns or findings, else NULL */

	/* LOADER_EXPORT: the file written (failed: why not) */
	char path[4096];

	/* LOADER_RECS: the report (report_build_all), the caller's once taken */
	struct report *report;

	/* LOADER_PARAMS: the model (the caller takes it over), and a rule file's error */
	struct params_model pm;
	int pm_ok;
	char warning[256];
	int have_fc;      /* of a query id: the forecast of its calls per hour */
	struct forecast fc;
};

void loader_result_free(struct loader_result *r);

/* Open the history file read-only for the thread and start it; NULL with a message. */
struct loader *loader_new(const char *path, struct pgt_err *err);
void loader_free(struct loader *l);

/* A descriptor that becomes readable when a result is ready (for poll). */
int loader_fd(const struct loader *l);

/* Ask for the statements of server_id in [from, to]; returns the request's generation. */
unsigned loader_request(struct loader *l, int64_t server_id, double from, double to);

/* Ask for the whole hours in [from, to] of one query id (has_queryid) or of the server. */
unsigned loader_request_series(struct loader *l, int64_t server_id, int has_queryid,
			       int64_t queryid, double from, double to);

/* Write the report of the whole days in [from, to] as ex says (ex is copied). */
unsigned loader_request_export(struct loader *l, const struct loader_export *ex, double from,
			       double to);

/* Ask for the whole report of the whole days in [from, to], with the recommendations. */
unsigned loader_request_recs(struct loader *l, double from, double to);
/*
 * Ask for the settings model of [from, to] (the parameter rules read in the thread, their
 * advice bounded by mem_bytes, NAN: not known).
 */
unsigned loader_request_params(struct loader *l, int64_t server_id, double from, double to,
			       double mem_bytes);
void loader_read_params(struct store *st, int64_t server_id, double from, double to,
			double mem_bytes, struct loader_result *out);

/* Read a request here, in the caller's thread, on st (when no thread could be started). */
void loader_read(struct store *st, enum loader_kind kind, int64_t server_id, int has_queryid,
		 int64_t queryid, double from, double to, struct loader_result *out);

/*
 * The result of the latest request, once it is ready: 1 and *out filled (the caller owns
 * it), 0 when there is none yet. Results of superseded requests are dropped here.
 */
int loader_take(struct loader *l, struct loader_result *out);

/* A request is being read. */
int loader_busy(struct loader *l);

#endif
