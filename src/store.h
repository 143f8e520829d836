/*
 * The history file: one SQLite database in WAL mode. The only module that speaks SQLite.
 * Writes of one sample are one transaction. Several servers may share a file; a server is
 * known by its key (system identifier and port). Only one process writes the samples of a
 * server at a time (a lease renewed with every sample), so two instances never count the
 * same interval twice.
 */
#ifndef PGMLTOP_STORE_H
#define PGMLTOP_STORE_H

#include <stdint.h>

#include "collect.h"
#include "indexadv.h"
#include "params.h"
#include "snapshot.h"
#include "xutil.h"

#define STORE_SCHEMA_VERSION 9

enum {
	STORE_READONLY = 1 << 0, /* open an existing file for reading only */
};

struct store;

/* Open (and create, mode 0600 in a 0700 directory, unless read-only) the history file. */
struct store *store_open(const char *path, int flags, struct pgt_err *err);
void store_close(struct store *st);
/*
 * For the simulator: the lease is renewed at time t rather than the wall clock, and
 * deleted rows are overwritten, so that one spec and seed make the same file each time.
 */
void store_fake_clock(struct store *st, double t);
/* Bound SQLite's page cache of this connection (kibibytes). */
void store_cache_kib(struct store *st, int kib);
/* Make the statement that another thread runs on st fail soon (safe from any thread). */
void store_interrupt(struct store *st);
const char *store_path(const struct store *st);

/* The server's row id, made when it is new; refreshes its version and host. */
int store_server(struct store *st, const struct server_info *srv, double now, int64_t *server_id,
		 struct pgt_err *err);

/* The row id of the server with this key: 1 found, 0 not in the history, -1 error. */
int store_server_id(struct store *st, const char *key, int64_t *server_id, struct pgt_err *err);

/*
 * Take the lease to write this server's samples. Returns 1 when this process holds it,
 * 0 when another live process does (*holder_pid set), -1 on error. The holder renews it
 * with every stored sample and says how long it may go without renewing (ttl_s, from
 * its own interval); a lease older than its holder's ttl, or whose process is gone, is
 * taken over. Times are wall-clock seconds.
 */
int store_lease(struct store *st, int64_t server_id, double now, double ttl_s, long *holder_pid,
		struct pgt_err *err);
void store_lease_release(struct store *st, int64_t server_id);

/* Query ids whose texts are stored for the server (caller frees *ids). */
int store_text_ids(struct store *st, int64_t server_id, int64_t **ids, int *n,
		   struct pgt_err *err);
/* A stored text, or NULL (caller frees). */
char *store_text(struct store *st, int64_t server_id, int64_t queryid);

/* Write one sample: its deltas, new texts, activity, changed settings, events. */
int store_sample(struct store *st, int64_t server_id, const struct snapshot *snap,
		 const struct delta_set *d, struct pgt_err *err);

/* Record an event (a reset, a lost connection, ...). */
int store_event(struct store *st, int64_t server_id, double ts, const char *kind,
		const char *detail, struct pgt_err *err);

/*
 * Roll raw deltas up into hourly rows for every complete hour: the hours before that of
 * the newest stored sample (by the server's clock), and before 'now'. Then drop raw rows
 * older than keep_raw_s (once rolled up) and hourly rows older than keep_hourly_s.
 * Idempotent: an interrupted run is completed by the next one.
 */
int store_maintain(struct store *st, int64_t server_id, double now, double keep_raw_s,
		   double keep_hourly_s, struct pgt_err *err);

/* ---- reading ---- */

struct server_rec {
	int64_t id;
	char key[320];
	char host[256];
	char port[32];
	char version[64];
	double first_seen;
	double last_seen;
};

/* The end of what the history holds of the server (samples and hourly rows), 0: nothing. */
int store_history_end(struct store *st, int64_t server_id, double *until, struct pgt_err *err);

/* The end of the server's simulated history (--simulate), 0 when it has none. */
double store_simulated_until(struct store *st, int64_t server_id);

/* The server sampled most recently; 0 when the history holds none. */
int store_latest_server(struct store *st, struct server_rec *out, struct pgt_err *err);

/* A statement's totals over a window, from hourly rows and raw deltas. */
struct stmt_total {
	int64_t queryid;
	int toplevel;
	int64_t calls;
	double total_ms;
	double max_ms;
	int64_t rows;
	int64_t shared_blks_hit;
	int64_t shared_blks_read;
	int64_t temp_blks_written;
	char *query; /* NULL when the text was never read */
	uint32_t dbid;   /* with store_statements_by_key only */
	uint32_t userid;
	char *dbname;    /* NULL when not known */
	char *username;
};

/* Totals per (queryid, toplevel) in [from, to], by total time. Caller frees with the below. */
int store_statements(struct store *st, int64_t server_id, double from, double to,
		     struct stmt_total **rows, int *n, struct pgt_err *err);
/* The same, one row per (queryid, toplevel, dbid, userid), with database and role names. */
int store_statements_by_key(struct store *st, int64_t server_id, double from, double to,
			    struct stmt_total **rows, int *n, struct pgt_err *err);
void store_statements_free(struct stmt_total *rows, int n);

/* One statement over time: calls and time per hour, and when it was seen. */
struct stmt_history {
	double first_seen; /* its text was first stored; 0: unknown */
	double last_seen;  /* the last sample (or hour) with calls; 0: none in the window */
	int n;             /* hours in the window, oldest first */
	int64_t *calls;
	double *total_ms;
	double from_hour; /* epoch seconds of the first hour */
};

/* The statement's hours in [from, to], all hours present (0 where it did not run). */
int store_stmt_history(struct store *st, int64_t server_id, int64_t queryid, double from,
		       double to, struct stmt_history *out, struct pgt_err *err);
void store_stmt_history_free(struct stmt_history *h);

/*
 * The texts with their literals of running statements, as sampled from pg_stat_activity
 * in [from, to] (redacted as stored), of every query id (one: of this one), the newest
 * first, at most per_query of each, ordered by query id. Caller frees with the below.
 */
struct literal_text {
	int64_t queryid;
	char *text;
};
int store_literal_texts(struct store *st, int64_t server_id, int one, int64_t queryid, double from,
			double to, int per_query, struct literal_text **out, int *n,
			struct pgt_err *err);
void store_literal_texts_free(struct literal_text *t, int n);

/*
 * The catalog last sampled for the server: its tables with their indexes and column
 * statistics, for the index advisor (seq_scan NAN when not known). Caller frees.
 */
int store_catalog(struct store *st, int64_t server_id, struct ix_table **tables, int *n,
		  struct pgt_err *err);
void store_catalog_free(struct ix_table *tables, int n);

/*
 * Calls and execution time per rolled-up hour of every statement of a server, hours
 * [h0, h1] (epoch hours).
 */
struct stmt_series {
	long long h0;
	int n_hours;
	unsigned char *sampled; /* per hour: the history has the hour (else a gap) */
	int n_stmts;
	int64_t *queryid;
	int *toplevel;
	double *calls;    /* n_stmts x n_hours, 0 where a statement did not run */
	double *total_ms; /* n_stmts x n_hours, the same layout: total execution time */
};

int store_stmt_series(struct store *st, int64_t server_id, long long h0, long long h1,
		      struct stmt_series *out, struct pgt_err *err);
/* The same for the statements of one query id only (its rows of each database and user). */
int store_stmt_series_of(struct store *st, int64_t server_id, int64_t queryid, long long h0,
			 long long h1, struct stmt_series *out, struct pgt_err *err);
/*
 * The same hours summed over the server's statements (one: over the rows of one query id,
 * in every database and for every user) into a single row: n_stmts is 1 when any of them
 * ran in the window, else 0 (queryid[0] is the query id asked for, or 0).
 */
int store_hour_sums(struct store *st, int64_t server_id, int one, int64_t queryid, long long h0,
		    long long h1, struct stmt_series *out, struct pgt_err *err);
void store_stmt_series_free(struct stmt_series *s);

/* Number of samples of the server in [from, to], and the first and last sample time. */
int store_sample_span(struct store *st, int64_t server_id, double from, double to, int *n,
		      double *first, double *last, struct pgt_err *err);

/* ---- N+1 detection: every statement's calls, rows and time per interval ---- */

/*
 * The intervals of [from, to]: whole rolled-up hours when the window holds at least
 * min_hours of them, else the raw samples; at most max_n intervals, the latest. Top-level
 * statements only, one row per (queryid, dbid, userid).
 */
struct stmt_intervals {
	int hourly;        /* 1: the intervals are hours, 0: samples */
	int n;             /* intervals, oldest first */
	double *t;         /* epoch seconds of each interval's start */
	double *dur;       /* seconds each covers; 0: an hour without samples */
	int n_stmts;
	int64_t *queryid;
	uint32_t *dbid, *userid;
	char **text;       /* NULL where the text was never read */
	double *calls, *rows, *total_ms; /* n_stmts x n, 0 where a statement did not run */
	int n_dbs;
	uint32_t *datid;
	double *xacts;     /* n_dbs x n: commits and rollbacks; NAN where not sampled */
};

int store_stmt_intervals(struct store *st, int64_t server_id, double from, double to,
			 int min_hours, int max_n, struct stmt_intervals *out,
			 struct pgt_err *err);
void store_stmt_intervals_free(struct stmt_intervals *s);

/* ---- the parameter advisor's reads (src/params.h) ---- */

/* Every stored value of every setting up to 'to', by name, then time (caller frees). */
int store_param_settings(struct store *st, int64_t server_id, double to,
			 struct param_setting **rows, int *n, struct pgt_err *err);
void store_param_settings_free(struct param_setting *rows, int n);

/*
 * The server's figures over [from, to]: the databases' (hourly rows and raw samples), and
 * the checkpoints, sessions and deallocations of the raw samples (kept for --keep-raw).
 */
struct param_totals {
	int have_db;
	double temp_files, temp_bytes, blks_read, blks_hit;
	int have_ckpt;
	double ckpt_timed, ckpt_requested, ckpt_hours;
	int have_sess;
	double sess_peak;
	int have_dealloc;
	double dealloc;
};
int store_param_totals(struct store *st, int64_t server_id, double from, double to,
		       struct param_totals *out, struct pgt_err *err);

/* Per hour h0..h1 (epoch hours): temporary bytes of the databases, checkpoints; NAN: none. */
struct param_hours {
	long long h0;
	int n;
	double *temp_bytes;
	double *ckpt_requested; /* from raw samples only */
	double *ckpt_timed;
};
int store_param_hours(struct store *st, int64_t server_id, long long h0, long long h1,
		      struct param_hours *out, struct pgt_err *err);
void store_param_hours_free(struct param_hours *h);

/* ---- plans and hypothetical indexes (src/explain.h) ---- */

struct plan_rec {
	int64_t queryid;
	double ts;      /* when it was taken */
	char *method;   /* "literal", "plain", "generic_plan", "prepare" */
	int analyzed;   /* EXPLAIN ANALYZE */
	double total_cost; /* of the top node; NAN: not known */
	char *plan;     /* EXPLAIN's JSON text */
};
int store_plan_add(struct store *st, int64_t server_id, int64_t queryid, double ts, const char *method,
		   int analyzed, double total_cost, const char *plan, struct pgt_err *err);
/*
 * Plans taken in [from, to], of one query id (one) or of all, the newest per_query of each
 * statement, by query id then newest first (caller frees with the below).
 */
int store_plans(struct store *st, int64_t server_id, int one, int64_t queryid, double from, double to,
		int per_query, struct plan_rec **out, int *n, struct pgt_err *err);
void store_plans_free(struct plan_rec *p, int n);

/* An index the advisor suggested, as hypopg planned the statement with it. */
struct index_check {
	int64_t queryid;
	char *ddl;          /* the suggestion, as the advisor wrote it */
	double ts;
	double cost_before; /* NAN: not known */
	double cost_after;
	int used;           /* the plan with it used the hypothetical index */
	char *error;        /* why it could not be checked, or NULL */
};
/* The latest check of (queryid, ddl) replaces the one before. */
int store_index_check_add(struct store *st, int64_t server_id, const struct index_check *c,
			  struct pgt_err *err);
int store_index_checks(struct store *st, int64_t server_id, struct index_check **out, int *n,
		       struct pgt_err *err);
void store_index_checks_free(struct index_check *c, int n);

/* A table's statistics as last sampled, for the plan rules (stale statistics). */
struct rel_stat {
	char schema[64];
	char name[64];
	double live_rows;
	double mod_since_analyze; /* NAN: not sampled */
	double last_analyze;      /* epoch seconds, 0: never */
};
int store_rel_stats(struct store *st, int64_t server_id, struct rel_stat **out, int *n,
		    struct pgt_err *err);
void store_rel_stats_free(struct rel_stat *r);

/* ---- what the user did with the recommendations (src/advisor.h) ---- */

struct rec_state {
	char id[24];
	char *state;     /* "new", "acknowledged", "applied", "dismissed" */
	char *reason;    /* or NULL */
	double changed_at;
	double applied_at; /* 0: never applied */
	char *rule;      /* of its first fix when it was marked */
	char *rules;     /* the rules of all its fixes then, comma-separated, or NULL */
	char *category;
	int has_queryid;
	int64_t queryid;
	char *title;
};
int store_rec_states(struct store *st, int64_t server_id, struct rec_state **out, int *n,
		     struct pgt_err *err);
void store_rec_states_free(struct rec_state *s, int n);
/* Replace the state of s->id. */
int store_rec_state_set(struct store *st, int64_t server_id, const struct rec_state *s,
			struct pgt_err *err);

/* ---- the parameter advisor: settings of databases and roles, WAL, vacuum ---- */

/* The stored settings of databases and roles up to 'to', oldest first (caller frees). */
int store_param_role_settings(struct store *st, int64_t server_id, double to,
			      struct param_role_setting **rows, int *n, struct pgt_err *err);
void store_param_role_settings_free(struct param_role_setting *rows, int n);

/*
 * Over [from, to]: pg_stat_wal (hourly rows up to the rollup mark, raw samples after it),
 * the WAL and checkpoints of the raw samples that have both, and per clock hour the
 * databases' blocks hit and read with their read time.
 */
struct param_more {
	int have_wal;
	double wal_bytes, wal_records, wal_fpi;
	double wal_seconds;   /* the time those cover */
	double wal_peak_hour; /* the most written in one hour */
	double wal_ckpt_bytes, wal_ckpt_count;
	double blk_read_ms;
	int n_io_hours;
	double *hour_hit, *hour_read; /* n_io_hours each */
};
int store_param_more(struct store *st, int64_t server_id, double from, double to,
		     struct param_more *out, struct pgt_err *err);
void store_param_more_free(struct param_more *m);

/* The tables' dead rows and vacuums as last sampled (caller frees). */
int store_param_tables(struct store *st, int64_t server_id, struct param_table **out, int *n,
		       struct pgt_err *err);
void store_param_tables_free(struct param_table *t, int n);

#endif
