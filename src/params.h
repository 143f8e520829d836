/*
 * The parameter advisor: rules on the server's settings, with thresholds read from a data
 * file (data/params.rules, format in doc/params.md), over figures that the caller reads
 * from the history; and the before/after comparison of a settings change. Pure: no
 * SQLite, no libpq, no curses.
 */
#ifndef PGMLTOP_PARAMS_H
#define PGMLTOP_PARAMS_H

#include <stdint.h>

#include "finding.h"
#include "xutil.h"

/* A value of a setting as the history holds it (pg_settings). */
struct param_setting {
	char *name;
	char *setting;
	char *unit;   /* NULL: none */
	char *source; /* NULL: not known */
	int pending_restart;
	double ts; /* when this value was stored */
};

/* A setting of a database, a role or a role in a database (ALTER ... SET), as stored. */
struct param_role_setting {
	char *database; /* NULL: every database */
	char *role;     /* NULL: every role */
	char *name;
	char *setting; /* NULL: reset (no value from then on) */
	char *old;     /* the value before, NULL: none */
	double ts;     /* when the history stored it */
	int first;     /* it was there when the history first read them: not a change */
};

/* A user table's vacuum figures, as last sampled (pg_stat_user_tables, pg_class). */
struct param_table {
	char *schema;
	char *name;
	double live_rows;   /* n_live_tup */
	double dead_rows;   /* n_dead_tup */
	double last_vacuum; /* the later of VACUUM and autovacuum, epoch seconds; 0: never */
	double vacuum_count, autovacuum_count;
	char *reloptions; /* "autovacuum_enabled=off,..." or NULL */
	double ts;        /* when it was sampled */
};

/* A statement's figures over the window, one per query id and role. */
struct param_stmt {
	int64_t queryid;
	const char *role;  /* NULL when not known */
	const char *query; /* NULL when not known */
	double calls;
	double total_ms;
	double temp_blks_written;
};

/* What the rules read. A figure whose have_ flag is 0 was not in the history. */
struct param_input {
	double days; /* the time the history of the window covers */
	const struct param_setting *settings; /* the current values */
	int n_settings;
	const struct param_stmt *stmts;
	int n_stmts;
	int have_db; /* pg_stat_database, summed over the databases */
	double temp_files, temp_bytes, blks_read, blks_hit;
	int have_ckpt; /* checkpoints, from the raw samples */
	double ckpt_timed, ckpt_requested, ckpt_hours;
	int have_sess; /* sessions of pg_stat_activity */
	double sess_peak;
	int have_dealloc; /* pg_stat_statements_info */
	double dealloc;
	double mem_bytes; /* the machine's memory; NAN: not known */
	/* the settings of databases and roles in effect (setting never NULL) */
	const struct param_role_setting *role_settings;
	int n_role_settings;
	int have_wal; /* pg_stat_wal */
	double wal_bytes, wal_hours; /* over the window, and the hours it covers */
	double wal_peak_hour;        /* the most WAL written in one clock hour */
	double wal_ckpt_bytes, wal_ckpt_count; /* raw samples: WAL written, checkpoints */
	double blk_read_ms; /* the databases' read time (with track_io_timing) */
	/* per clock hour: the databases' blocks hit and read */
	const double *hour_hit, *hour_read;
	int n_io_hours;
	const struct param_table *tables;
	int n_tables;
};

/* A recommended value: the "parameters" of the report. */
struct param_rec {
	const char *rule;  /* the rule's id (lives as long as the program) */
	char *name;        /* the setting */
	char *current;     /* with its unit ("4MB"), or NULL when the history lacks it */
	char *recommended; /* the value to set ("64MB", "on") */
	char *scope;       /* "system", or "role NAME" */
	char *statement;   /* the ALTER SYSTEM or ALTER ROLE statement */
	double confidence;
	char *evidence; /* the text of a JSON object */
};

struct param_rules;

struct param_rules *params_rules_new(void);
void params_rules_free(struct param_rules *pr);
/* Load rules from text; errors are "NAME:LINE: message". A rule of an id loaded before replaces it. */
int params_rules_load_text(struct param_rules *pr, const char *text, const char *name,
			   struct pgt_err *err);
int params_rules_load_file(struct param_rules *pr, const char *path, struct pgt_err *err);
/*
 * $PGMLTOP_DATADIR/params.rules (else the installed data folder), which must exist, then
 * $XDG_CONFIG_HOME/pgmltop/params.rules (else ~/.config/pgmltop/params.rules), if any.
 */
int params_rules_load_default(struct param_rules *pr, struct pgt_err *err);
int params_rules_count(const struct param_rules *pr);
const char *params_rules_id(const struct param_rules *pr, int i);

/* The machine's memory in bytes (NAN: not known) that the advice is bounded by. */
void params_rules_set_memory(struct param_rules *pr, double bytes);
double params_rules_memory(const struct param_rules *pr);

/*
 * Apply the rules. Appends to *recs and *finds (category "parameter"; from and to are left
 * NAN for the caller). Returns the number of findings added.
 */
int params_advise(const struct param_rules *pr, const struct param_input *in,
		  struct param_rec **recs, int *n_recs, struct finding **finds, int *n_finds);
void param_recs_free(struct param_rec *r, int n);

/* A setting's value in bytes (or in its unit when it has no size unit); NAN: not a number. */
double param_bytes(const char *setting, const char *unit);
/* A size in bytes as PostgreSQL writes it: "64MB", "1GB", "512kB". */
char *param_size_text(double bytes);
/* The value with its unit as PostgreSQL shows it: "4MB", "300s", "on"; NULL for NULL. */
char *param_value_text(const struct param_setting *s);
/* The setting named, or NULL. */
const struct param_setting *param_find(const struct param_setting *s, int n, const char *name);
/* Whether a setting is off its default (its source is neither default nor override). */
int param_non_default(const struct param_setting *s);

/* ---- before and after a change ---- */

struct ba_opts {
	int max_hours;     /* hours after the change compared (default 167; at most 168) */
	int min_pairs;     /* fewer matched hours: no comparison */
	double level;      /* of the interval: 0.95 or 0.99 */
	double min_change; /* an effect smaller than this share is not called one */
};

void ba_opts_default(struct ba_opts *o);

struct ba_result {
	int pairs;     /* hours after the change matched with the same hour a week before */
	double before; /* the mean of the matched hours before */
	double after;  /* and after */
	double ratio;  /* after / before (NAN when before is 0) */
	double low, high; /* the interval of the ratio */
	int found;     /* the interval leaves out 1 and the ratio is off 1 by min_change */
};

/*
 * Compare v (one value per hour, NAN where none) in the hours from index 'change' on with
 * the same hours of the week before (index - 168): a t-interval on the mean of the matched
 * differences, given relative to the mean before. Returns 0, or -1 when there are fewer
 * than min_pairs pairs (out->pairs says how many).
 */
int params_before_after(const double *v, int n, int change, const struct ba_opts *o,
			struct ba_result *out);

/* The two-sided quantile of Student's t for the level and degrees of freedom. */
double params_t_quantile(double level, double df);

/* ---- the model of the report and the settings screen ---- */

struct param_effect {
	int has_queryid; /* else the whole server */
	int64_t queryid;
	const char *metric; /* static: "mean_ms", "calls" (per hour), "temp_bytes" (per hour),
			       "checkpoints_requested" (per hour) */
	struct ba_result r;
};

struct param_change {
	char *name;
	char *scope;    /* "system" (pg_settings), or "role R", "database D", "role R in database D" */
	char *database; /* of a setting of a database or role, else NULL */
	char *role;
	char *from; /* the values, with their units ("4MB") */
	char *to;
	char *source;
	double ts; /* when the history stored the new value */
	int pending_restart;
	struct param_effect *effects; /* the server's first, then the statements' found */
	int n_effects;
	int tested; /* statements compared */
	const char *note; /* why nothing was compared, or NULL */
};

struct params_model {
	double from, to;
	struct param_setting *cur; /* the latest value of each setting, by name */
	int n_cur;
	struct param_role_setting *role_cur; /* those of databases and roles in effect */
	int n_role_cur;
	struct param_change *changes; /* in [from, to], oldest first */
	int n_changes;
	struct param_rec *recs;
	int n_recs;
	struct finding *finds;
	int n_finds;
};

void params_model_free(struct params_model *m);

#endif
