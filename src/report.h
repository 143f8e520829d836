/*
 * Reports from the history: one model, written in each format. The JSON writer is the
 * reference for the others; its fields may be added to, never renamed.
 */
#ifndef PGMLTOP_REPORT_H
#define PGMLTOP_REPORT_H

#include <stdio.h>

#include "patterns.h"
#include "store.h"

/* A pattern of a statement (has_queryid) or of the whole server. */
struct report_pattern {
	int has_queryid;
	int64_t queryid;
	struct pattern p;
};

struct report {
	double generated_at;
	double from;
	double to;
	int has_server;
	struct server_rec server;
	int n_samples;
	struct stmt_total *stmts;
	int n_stmts;
	struct report_pattern *patterns; /* by confidence, highest first */
	int n_patterns;
	const char *patterns_note; /* why there are none, when history is short */
};

/* Read the window [now - days, now] of the most recently sampled server. */
int report_build(struct store *st, double now, long days, struct report *r, struct pgt_err *err);
void report_free(struct report *r);

int report_write_json(const struct report *r, FILE *out);

/* JSON string syntax for any bytes: control characters escaped, invalid UTF-8 replaced. */
void json_string(FILE *out, const char *s);

#endif
