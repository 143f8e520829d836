/*
 * What one sample of the server holds, and the per-interval deltas made from two samples.
 * collect fills a snapshot, delta turns two into a delta set, store writes both.
 * No libpq, SQLite or curses here.
 */
#ifndef PGMLTOP_SNAPSHOT_H
#define PGMLTOP_SNAPSHOT_H

#include <stdint.h>

/* Which optional pg_stat_statements columns the server has (STMT_HAVE_*). */
enum {
	STMT_HAVE_TOPLEVEL = 1 << 0,    /* 1.9, PostgreSQL 14 */
	STMT_HAVE_PLANS = 1 << 1,       /* 1.8, PostgreSQL 13 */
	STMT_HAVE_WAL = 1 << 2,         /* 1.8, PostgreSQL 13 */
	STMT_HAVE_STATS_SINCE = 1 << 3, /* 1.11, PostgreSQL 17 */
	STMT_HAVE_INFO = 1 << 4,        /* pg_stat_statements_info, 1.9 */
};

/* One pg_stat_statements entry; in a delta set the counters are per interval. */
struct stmt_row {
	int64_t queryid;
	uint32_t dbid;
	uint32_t userid;
	int toplevel;
	int64_t calls;
	int64_t rows;
	int64_t plans;
	double total_exec_ms;
	double total_plan_ms;
	double min_ms; /* as pg_stat_statements reports them: since the entry began */
	double max_ms;
	double stddev_ms;
	int64_t shared_blks_hit;
	int64_t shared_blks_read;
	int64_t shared_blks_dirtied;
	int64_t shared_blks_written;
	int64_t local_blks_hit;
	int64_t local_blks_read;
	int64_t temp_blks_read;
	int64_t temp_blks_written;
	double blk_read_ms;
	double blk_write_ms;
	int64_t wal_records;
	int64_t wal_fpi;
	double wal_bytes;
	double stats_since; /* epoch seconds; 0 when the server does not say */
};

struct activity_row {
	int pid;
	char *datname;
	char *usename;
	char *application_name;
	char *client_addr;
	char *backend_type;
	char *state;
	char *wait_event_type;
	char *wait_event;
	char *query; /* literal text, passwords redacted; NULL when hidden */
	char *blocked_by; /* pids holding the lock it waits for, "12,34"; NULL: none */
	double backend_start;
	double xact_start;
	double query_start;
	double state_change;
	int64_t query_id;
	int has_query_id;
};

struct database_row {
	uint32_t datid;
	char *datname;
	int64_t numbackends;
	int64_t xact_commit;
	int64_t xact_rollback;
	int64_t blks_read;
	int64_t blks_hit;
	int64_t tup_returned;
	int64_t tup_fetched;
	int64_t tup_inserted;
	int64_t tup_updated;
	int64_t tup_deleted;
	int64_t temp_files;
	int64_t temp_bytes;
	int64_t deadlocks;
	double blk_read_ms;
	double blk_write_ms;
	double stats_reset;
};

struct checkpoint_row {
	int valid;
	int64_t timed;
	int64_t requested;
	int64_t buffers_written;
	double write_ms;
	double sync_ms;
	double stats_reset;
};

struct setting_row {
	char *name;
	char *setting;
	char *unit;
	char *source;
	int pending_restart;
};

/* A setting of a database, a role, or a role in a database (pg_db_role_setting). */
struct role_setting_row {
	char *datname; /* NULL: every database */
	char *rolname; /* NULL: every role */
	char *name;
	char *setting; /* as ALTER ROLE or ALTER DATABASE gave it: "64kB" */
};

/* pg_stat_wal (PostgreSQL 14 and later); in a delta set, per interval. */
struct wal_row {
	int valid;
	int64_t records;
	int64_t fpi;
	double bytes;
	double stats_reset;
};

struct role_row {
	uint32_t oid;
	char *name;
};

/* A user table, from pg_stat_user_tables (the catalog read, every few minutes). */
struct table_row {
	uint32_t relid;
	char *schema;
	char *name;
	double live_rows;
	double bytes; /* of the heap */
	double seq_scan, seq_tup_read, idx_scan; /* since the statistics were reset */
	double mod_since_analyze; /* rows changed since the last ANALYZE */
	double last_analyze;      /* epoch seconds of the last ANALYZE (auto or not), 0: never */
	double n_live_tup, n_dead_tup;
	double last_vacuum, last_autovacuum; /* epoch seconds, 0: never */
	double vacuum_count, autovacuum_count;
	char *reloptions; /* "autovacuum_enabled=off,...", NULL: none */
};

/* One column of an index: a row per index and position (attname NULL: an expression). */
struct index_col_row {
	uint32_t relid; /* the table */
	char *index;
	char *am;
	int valid;
	int partial;
	int pos; /* from 1 */
	char *attname;
};

/* How distinct a column's values are, from pg_stats. */
struct colstat_row {
	uint32_t relid;
	char *attname;
	double n_distinct;
};

struct text_row {
	int64_t queryid;
	char *query;
};

/* Counts of client sessions by state, from pg_stat_activity. */
struct session_counts {
	int active;
	int idle;
	int idle_in_xact;
	int waiting;
	int total;
};

struct snapshot {
	double ts;               /* server clock, epoch seconds */
	double postmaster_start; /* epoch seconds */
	unsigned have;           /* STMT_HAVE_* */

	int pgss_ok;             /* pg_stat_statements was read in this sample */
	char pgss_error[256];    /* why not, when !pgss_ok */
	int64_t pgss_dealloc;    /* pg_stat_statements_info, when have & STMT_HAVE_INFO */
	double pgss_reset;

	struct stmt_row *stmts;
	int n_stmts;
	int n_hidden; /* entries whose queryid the role may not see */

	struct activity_row *activity; /* client sessions whose state can be seen, idle too */
	int n_activity;
	struct session_counts sessions;

	struct database_row *databases;
	int n_databases;

	struct checkpoint_row checkpoint;

	struct role_row *roles; /* oid and name of every role */
	int n_roles;

	struct setting_row *settings; /* NULL when not read in this sample */
	int n_settings;

	/* pg_db_role_setting: read with the settings and with the catalog */
	int role_settings_read;
	struct role_setting_row *role_settings;
	int n_role_settings;

	struct wal_row wal;

	struct text_row *texts; /* texts of query ids not stored before */
	int n_texts;

	/* the catalog: read every few minutes, not in every sample */
	int catalog_ok; /* the three below were read in this sample */
	struct table_row *tables;
	int n_tables;
	struct index_col_row *index_cols;
	int n_index_cols;
	struct colstat_row *colstats;
	int n_colstats;
};

void snapshot_free(struct snapshot *snap);

/* Key order for statement rows: dbid, userid, queryid, toplevel. */
int stmt_key_cmp(const struct stmt_row *a, const struct stmt_row *b);

/* Why a sample has no deltas, or what was seen in it (DELTA_*). */
enum {
	DELTA_BASELINE = 1 << 0, /* first sample of a series: nothing to compare */
	DELTA_RESET = 1 << 1,    /* pg_stat_statements was reset: new baseline */
	DELTA_RESTART = 1 << 2,  /* the server restarted: new baseline */
	DELTA_CLOCK = 1 << 3,    /* the clock went back: new baseline */
	DELTA_GAP = 1 << 4,      /* after a lost connection: new baseline */
	DELTA_EVICTED = 1 << 5,  /* entries were evicted (dealloc grew) */
	DELTA_NO_PGSS = 1 << 6,  /* pg_stat_statements could not be read */
};

struct delta_set {
	double ts;
	double interval_s; /* 0 for a baseline */
	unsigned flags;    /* DELTA_* */
	int64_t dealloc;   /* times entries were evicted during the interval */
	int n_entry_resets; /* entries whose counters went down: re-based, not stored */
	int n_new;          /* entries first seen in this interval */

	struct stmt_row *stmts; /* only entries with calls > 0 in the interval */
	int n_stmts;
	struct database_row *databases; /* datname copied: delta_set_free frees it */
	int n_databases;
	struct checkpoint_row checkpoint;
	struct wal_row wal;
};

void delta_set_free(struct delta_set *d);

#endif
