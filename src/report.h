/*
 * Reports from the history: one model, written in each format. The JSON writer is the
 * reference for the others; its fields may be added to, never renamed.
 */
#ifndef PGMLTOP_REPORT_H
#define PGMLTOP_REPORT_H

#include <stdio.h>

#include "advisor.h"
#include "finding.h"
#include "forecast.h"
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

/* The hours of one query id: its rows of every database and user, summed. */
struct report_series {
	int64_t queryid;
	struct stmt_series sums;
};

/* A forecast of the whole server (!has_queryid) or of one statement (src/report-forecast.c). */
struct report_forecast {
	int has_queryid;
	int64_t queryid;
	/* static: "calls" (per hour), "total_ms" (the server's execution time per hour), "mean_ms" */
	const char *metric;
	struct forecast fc;
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
	/* the findings merged and ranked, and the rules' records (report_add_recommendations) */
	struct recommendation *recs;
	int n_recs;
	struct rule_record *records;
	int n_records;
	double simulated_until; /* the history before this is simulated (--simulate); 0: none */
	/*
	 * The hours that the charts of HTML and Markdown draw (report_add_series): the
	 * server's calls and time per hour, and those of the first statements by total time.
	 */
	struct stmt_series load; /* n_hours 0 when not read, or no whole hour in the window */
	struct report_series *series;
	int n_series;
	int scoped; /* report_scope kept some statements only */
	struct report_forecast *forecasts; /* the server's, then the statements' (report_add_forecasts) */
	int n_forecasts;
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

/* Statements with a section of their own (and their hours) in HTML and Markdown. */
#define REPORT_SERIES 10

/*
 * The server's calls and time per hour over the window's whole hours (r->load), and those
 * of the n_top statements that took the most time (r->series, one per query id).
 */
int report_add_series(struct store *st, struct report *r, int n_top, struct pgt_err *err);

/* ---- what the writers share ---- */

/* The orders of the "top statements" tables. */
enum report_rank {
	RANK_TOTAL, /* total execution time */
	RANK_MEAN,  /* mean time per call */
	RANK_CALLS,
	RANK_READ, /* shared blocks read (I/O) */
	RANK_TEMP, /* temporary blocks written */
	RANK_COUNT
};

/* "total time", "mean time", ...: what a table of top statements is ordered by */
const char *report_rank_title(enum report_rank by);
/*
 * The indexes into r->stmts of at most max statements in that order, leaving out those
 * whose figure is 0 (a table of temp writers lists only statements that wrote some).
 * Returns how many were written to idx.
 */
int report_rank(const struct report *r, enum report_rank by, int max, int *idx);

/* The statement of that query id (the first, by total time), or NULL. */
const struct stmt_total *report_stmt(const struct report *r, int64_t queryid);

/* The series of that query id read by report_add_series, or NULL. */
const struct stmt_series *report_series_of(const struct report *r, int64_t queryid);

/* One sentence for a pattern, as a DBA would say it ("peak at 09:00 most days: ..."). */
void report_pattern_text(struct strbuf *sb, const struct report_pattern *rp);
/* The title of a finding: its own, or one made from its rule and figures. */
void report_finding_title(struct strbuf *sb, const struct finding *f);
/* Whether a finding is an anomaly or a change of level (else advice). */
int report_finding_is_anomaly(const struct finding *f);
/* "increase", "decrease" or "none": the effect of a settings change. */
const char *report_effect_word(const struct param_effect *e);
/* One line for it: "query 42 mean_ms: decrease, 800 -> 320 (x0.40, 0.40 to 0.40) over 167 hours". */
void report_effect_text(struct strbuf *sb, const struct param_effect *e);

/* A local time for people: "2026-11-23 09:00 UTC" ("-" when ts is not a time). */
void report_local_time(char *buf, size_t size, double ts);
/* ISO-8601 in UTC as the JSON report writes it; "" when ts is not a time. */
void report_utc_time(char *buf, size_t size, double ts);
/* A duration in milliseconds for people: "0.412 ms", "12.5 ms", "3.20 s", "2.0 min", "1.5 h". */
void report_ms(char *buf, size_t size, double ms);
/* A count for people with thousands separated: "1,234,567". */
void report_count(char *buf, size_t size, double v);

/*
 * The length of the valid UTF-8 sequence at p (1 for ASCII, 2 to 4), or 0 when the bytes
 * there are not one (the writers replace such a byte with U+FFFD).
 */
int report_utf8_len(const char *p);

/*
 * The recommendations (src/report-recs.c): the states kept in the history, the outcome of
 * the applied ones (the hours after the change against the same hours a week before),
 * each rule's record, which moves its findings' confidence, then r->findings merged and
 * ranked into r->recs. Call after every report_add_* that adds findings.
 */
int report_add_recommendations(struct store *st, struct report *r, struct pgt_err *err);
/*
 * The whole report of [now - days, now]: report_build, then the rules' findings (the
 * rule files read as shipped and as the user has them; a bad one is an error), the
 * parameters, the plans, the forecasts and the recommendations; with series > 0 the hours of that many
 * statements and the server's (hours: the server's alone), for the charts. On error r
 * holds what was read; report_free it either way.
 */
int report_build_all(struct store *st, double now, long days, int series, int hours,
		     struct report *r, struct pgt_err *err);
/* The server machine's memory (--server-memory) for the parameter rules' bounds; 0: not known. */
void report_set_server_memory(double bytes);
/* The rules of a recommendation's fixes, comma-separated (a new string). */
char *report_rec_rules(const struct report *r, const struct recommendation *rec);
/* The recommendation of that id, or NULL. */
const struct recommendation *report_rec_find(const struct report *r, const char *id);
/*
 * The forecasts of the next FC_HORIZON hours (src/report-forecast.c): the whole server's
 * calls and execution time per hour, and the calls and mean time of the first 20
 * statements by total time in the window, each fitted on the history before the window's
 * end (42 days at least, whatever the window); their capacity findings (forecast_growth,
 * forecast_peak) are added to r->findings.
 */
int report_add_forecasts(struct store *st, struct report *r, struct pgt_err *err);
void report_forecasts_free(struct report *r);
/* Keep the forecasts of these statements only (report_scope). */
void report_scope_forecasts(struct report *r, const int64_t *ids, int n);
/*
 * The forecast of one statement's calls per hour (those of its query id in every
 * database and for every user), fitted on the hours before 'to': days of them, 42 at
 * least. forecast_free() releases *fc. Uses only st: a thread may call it.
 */
int report_stmt_forecast(struct store *st, int64_t server_id, int64_t queryid, double to, long days,
			 struct forecast *fc, struct pgt_err *err);

int report_write_json(const struct report *r, FILE *out);
/* One self-contained HTML page: inline CSS and SVG charts, no script, no network. */
int report_write_html(const struct report *r, FILE *out);
/* GitHub-flavoured Markdown: the same sections as text tables. */
int report_write_md(const struct report *r, FILE *out);

/* The tables of the CSV report, NULL-terminated; the first is the default. */
extern const char *const report_csv_tables[];
/* One table (a name of report_csv_tables) as RFC 4180 CSV; -1 for an unknown name. */
int report_write_csv(const struct report *r, const char *table, FILE *out);

/*
 * Where a report goes: standard output (path NULL or "-"), or a temporary file beside the
 * path that is renamed onto it once written whole, so that a failed write never leaves
 * half a report. The final path itself is never opened for writing (a device or a FIFO
 * excepted), so a symbolic link there is never followed: it is refused, and so is a
 * directory. A new file gets the mode 0666 less the umask. (src/report-file.c)
 */
struct report_out {
	FILE *f;
	const char *path; /* NULL: standard output */
	char *tmp;        /* the temporary file; NULL when writing to the path itself */
	int keep;         /* a file that appears at the path meanwhile is kept, not replaced */
};
int report_out_open(struct report_out *ro, const char *path, struct pgt_err *err);
/* Finish: ok 0 puts the file in place; otherwise, or on error, it is removed. */
int report_out_close(struct report_out *ro, int ok, struct pgt_err *err);
/* Write r in a format: html, md, csv (csv_table, NULL: the first) or json. */
int report_write(const struct report *r, const char *format, const char *csv_table, FILE *f);
/*
 * Keep only what concerns these statements: their rows, patterns, findings,
 * recommendations and forecasts (the whole server's are left out).
 */
void report_scope(struct report *r, const int64_t *ids, int n);
/*
 * The whole report of [now - days, now] (ids: only those statements, NULL: all) written
 * to path in a format; -1 with the reason in err. Uses only st: a thread may call it.
 */
int report_export(struct store *st, double now, long days, const char *format, const char *csv_table,
		  const int64_t *ids, int n_ids, const char *path, struct pgt_err *err);

/* JSON string syntax for any bytes: control characters escaped, invalid UTF-8 replaced. */
void json_string(FILE *out, const char *s);

#endif
