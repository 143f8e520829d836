/*
 * Reports from the history: one model, written in each format. The JSON writer is the
 * reference for the others; its fields may be added to, never renamed.
 */
#ifndef PGMLTOP_REPORT_H
#define PGMLTOP_REPORT_H

#include <stdio.h>

#include "finding.h"
#include "params.h"
#include "patterns.h"
#include "store.h"

/* A pattern of a statement (has_queryid) or of the whole server. */
struct report_pattern {
	int has_queryid;
	int64_t queryid;
	const char *metric; /* static: "calls" (per hour), or "total_ms" (execution time per hour) */
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
	struct finding *findings;  /* anomalies and changes of level, by confidence */
	int n_findings;
	const char *findings_note; /* why there are none, when history is short */
	struct params_model params; /* settings changes and recommendations (report_add_params) */
};

/* Read the window [now - days, now] of the most recently sampled server. */
int report_build(struct store *st, double now, long days, struct report *r, struct pgt_err *err);
void report_free(struct report *r);

struct rule_set;
/* Texts with literals read per statement for the rules that need one. */
#define RULES_LITERALS 20
/*
 * The findings of the SQL-text rules over the report's statements (their texts, their
 * figures per day, and the texts with literals sampled from pg_stat_activity in the
 * window), added to r->findings.
 */
int report_add_rule_findings(struct store *st, struct report *r, const struct rule_set *rs,
			     struct pgt_err *err);

/*
 * The parameter advisor over the window: the settings changes with their before/after
 * comparison, and the recommendations of the rules in pr, whose findings are added to
 * r->findings.
 */
int report_add_params(struct store *st, struct report *r, const struct param_rules *pr,
		      struct pgt_err *err);

/*
 * The patterns and findings of one statement (has_queryid: the rows of that query id in
 * every database and for every user, together) or of the whole server (its calls), over
 * the whole hours of [from, to]. *pats and *finds are allocated (caller frees; NULL when
 * none); *note says why there are none when the history is too short (else NULL).
 * Uses only st (no globals): a thread may call it with its own read-only connection.
 */
int report_stmt_analysis(struct store *st, int64_t server_id, int has_queryid, int64_t queryid,
			 double from, double to, struct pattern **pats, int *n_pats,
			 struct finding **finds, int *n_finds, const char **note,
			 struct pgt_err *err);

/*
 * The same over hours already read and summed (store_hour_sums): sums->total_ms is used
 * for a statement (has_queryid) only. Pure: no store, no globals.
 */
int report_sums_analysis(const struct stmt_series *sums, int has_queryid, int64_t queryid,
			 struct pattern **pats, int *n_pats, struct finding **finds, int *n_finds,
			 const char **note);

/*
 * The robust z-score at which a bucket stands out for the patterns (default 2.5; an hour
 * of the day uses 0.5 less, an hour of the week 0.25 more). Call before any thread runs.
 */
void report_set_peak_z(double z);

/*
 * The N+1 loops of the server's statements in [from, to] (src/nplusone.h): *finds
 * allocated (findings_free), *n_finds of them. Uses only st: a thread may call it.
 */
int report_nplusone(struct store *st, int64_t server_id, double from, double to,
		    struct finding **finds, int *n_finds, struct pgt_err *err);

/*
 * Index suggestions (src/indexadv.h) for the report's statements, from the catalog last
 * sampled: *finds allocated (findings_free).
 */
int report_index_advice(struct store *st, const struct report *r, struct finding **finds,
			int *n_finds, struct pgt_err *err);

/*
 * The patterns and findings of anomalies and changes of level (the detection alone) of
 * r's server over r's window, added to r (r->from, r->to and r->server set).
 */
int report_patterns(struct store *st, struct report *r, struct pgt_err *err);

/* The findings by confidence, highest first (as report_build leaves them). */
void report_sort_findings(struct report *r);

struct plan_rules;
/*
 * The plans taken in the window (src/report-plans.c): the plan rules of pr over each
 * statement's latest plan, a change between its two latest, and the index suggestions
 * already in r->findings as hypopg planned them. Added to r->findings.
 */
int report_add_plans(struct store *st, struct report *r, const struct plan_rules *pr,
		     struct pgt_err *err);

int report_write_json(const struct report *r, FILE *out);

/* JSON string syntax for any bytes: control characters escaped, invalid UTF-8 replaced. */
void json_string(FILE *out, const char *s);

#endif
