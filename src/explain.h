/*
 * Plans of captured statements, taken safely: the only path by which a statement's text
 * (data from the outside) is ever sent to the server.
 *
 * The guard (explain_check) reads the text before any of it reaches the server: one
 * statement only (a second one after a semicolon is refused), and what it does (reads,
 * writes, or has no plan). The runner (explain_run) then takes the plan on a connection
 * of its own, in a READ ONLY transaction that is always rolled back, with a short
 * statement_timeout, through the extended protocol (which refuses several statements
 * itself), with EXPLAIN (FORMAT JSON) and never ANALYZE unless asked:
 *
 *   - a text without parameters, or a text with its values sampled from
 *     pg_stat_activity: EXPLAIN of that text;
 *   - a normalized text ($1, $2...) on PostgreSQL 16 or later: EXPLAIN (GENERIC_PLAN);
 *   - before 16: PREPARE, plan_cache_mode = force_generic_plan, and EXPLAIN EXECUTE with
 *     NULL for each parameter, the prepared statement deallocated afterwards.
 *
 * With hypopg installed in the database, it can also plan the statement again with each
 * of a list of hypothetical indexes (never built), for the index advisor.
 *
 * The explainer runs explain_run in a thread of its own, so that the screen answers
 * keys while a plan is taken.
 */
#ifndef PGMLTOP_EXPLAIN_H
#define PGMLTOP_EXPLAIN_H

#include <stdint.h>

#include "pg.h"
#include "xutil.h"

enum explain_kind {
	EXPLAIN_REFUSED, /* no plan can be taken: see why */
	EXPLAIN_READ,    /* SELECT, VALUES, TABLE, or WITH that does not write */
	EXPLAIN_WRITE,   /* INSERT, UPDATE, DELETE, MERGE, SELECT INTO, or WITH that writes */
};

struct explain_check {
	enum explain_kind kind;
	char verb[16];  /* the statement's first word, upper case ("SELECT") */
	int max_param;  /* the highest $n, 0 when it has none */
	int risky_call; /* it calls a function with effects outside its transaction */
	size_t len;     /* the bytes of the statement: up to its semicolon, if it has one */
	char why[256];  /* EXPLAIN_REFUSED: why, in one sentence */
};

/* Pure: what the text is, without sending it anywhere. */
void explain_check_text(const char *sql, struct explain_check *out);

/* Longest text the guard takes (bytes). */
#define EXPLAIN_MAX_TEXT (1024 * 1024)
/* statement_timeout of a plan without ANALYZE, and of EXPLAIN ANALYZE (ms). */
#define EXPLAIN_TIMEOUT_MS 3000
#define EXPLAIN_ANALYZE_TIMEOUT_MS 30000

struct explain_request {
	int64_t queryid;
	const char *dbname;  /* the statement's database, or NULL: the one connected to */
	const char *text;    /* as pg_stat_statements has it */
	const char *literal; /* the text with its values (pg_stat_activity), or NULL */
	int analyze;         /* EXPLAIN ANALYZE: runs the statement (a read-only one only) */
	int allow_write;     /* confirmed: the plan (never the run) of a statement that writes */
	const char *const *hypo; /* CREATE INDEX statements to try with hypopg */
	int n_hypo;
	int timeout_ms;      /* 0: the default of the kind of plan */
};

struct explain_result {
	int failed;
	char error[512];
	int64_t queryid;
	enum explain_kind kind;
	const char *method; /* static: "literal", "plain", "generic_plan", "prepare" */
	int analyzed;
	double taken_at;    /* epoch seconds */
	int server_version; /* 150004 */
	char *plan;         /* the JSON text EXPLAIN returned */
	int hypopg;         /* hypopg is installed where the statement was planned */
	int n_hypo;
	char **hypo_plans;  /* the plan with each hypothetical index, NULL where it failed */
	char **hypo_errors; /* why it failed, or NULL */
};

void explain_result_free(struct explain_result *r);

/*
 * Take the plan now (blocking). conn gives the server as the collector reaches it. 0 and
 * out filled, or -1 with out->failed and out->error (a refusal by the guard included).
 */
int explain_run(const struct conn_opts *conn, const struct explain_request *rq,
		struct explain_result *out);

struct explainer;

/* conn is copied (its strings too). */
struct explainer *explainer_new(const struct conn_opts *conn);
/* Cancels a plan in flight and waits for the thread. */
void explainer_free(struct explainer *e);
/* Readable when a result is ready (for poll). */
int explainer_fd(const struct explainer *e);
/* Start taking a plan; -1 with a message when one is already being taken. */
int explainer_request(struct explainer *e, const struct explain_request *rq, struct pgt_err *err);
/* 1 and *out (the caller's to free) once the result is ready, 0 before. */
int explainer_take(struct explainer *e, struct explain_result *out);
int explainer_busy(struct explainer *e);

#endif
