/*
 * The collector's SQL for each server version, and the parsing of its rows into a
 * snapshot. Pure functions: unit tests hold the SQL for PostgreSQL 12 to 17.
 */
#ifndef PGMLTOP_COLLECT_SQL_H
#define PGMLTOP_COLLECT_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "snapshot.h"

/* "name" with embedded quotes doubled. Returns a new string. */
char *sql_quote_ident(const char *name);

/*
 * The statements query over schema.pg_stat_statements(false) for the columns the installed
 * extension has (cols: the names of its view's columns). Sets *have to STMT_HAVE_* (without
 * INFO). Its six parameters come from collect_stmt_params(): it returns only the rows that
 * changed since the rows the cache holds, and the keys of those that are gone. The result
 * always has the same columns in the same order, whatever the version.
 */
char *collect_sql_statements(const char *schema, const char *const *cols, int ncols,
			     unsigned *have);
/* The same columns but the last, every row, no parameters: "SELECT ... FROM ...". */
char *collect_sql_statements_plain(const char *schema, const char *const *cols, int ncols,
				   unsigned *have);

/* Texts of the query ids in $1 (an int8[] literal). */
char *collect_sql_texts(const char *schema);

/* Server clock, postmaster start and, with info, pg_stat_statements_info. */
char *collect_sql_clock(const char *schema, int with_info);

char *collect_sql_activity(int version_num);
const char *collect_sql_database(void);
const char *collect_sql_checkpoint(int version_num);
const char *collect_sql_settings(void);
const char *collect_sql_roles(void);
/*
 * pg_db_role_setting, one row per setting of a database, a role or a role in a database,
 * after a first row of NULLs; no rows at all when the token of the settings ($1) did not
 * change (as collect_sql_settings: $1 NULL reads them).
 */
const char *collect_sql_role_settings(void);
/* pg_stat_wal: PostgreSQL 14 and later only. */
const char *collect_sql_wal(void);
/* The catalog for the index advisor: tables, their indexes' columns, column statistics. */
const char *collect_sql_tables(void);
const char *collect_sql_index_columns(void);
const char *collect_sql_colstats(void);
int collect_parse_tables(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_index_columns(const struct pg_rows *r, struct snapshot *snap,
				struct pgt_err *err);
int collect_parse_colstats(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);

/* The longest literal query text kept from pg_stat_activity. */
#define ACTIVITY_QUERY_MAX 4096

/*
 * The statements of the last sample, sorted by key (dbid, userid, queryid, toplevel), to
 * ask the server for the rows that changed since and to complete them with the others.
 */
struct stmt_cache {
	int n;
	struct stmt_row *rows;
	int valid;        /* rows is the whole set: the next read may leave unchanged rows out */
	int hits, misses; /* of the last parse: rows kept from the cache, rows parsed */
	int new_keys;     /* the last parse brought keys the cache did not have */
	char *text[6];    /* the parameters as text; the keys' are kept while the keys stay */
	size_t size[6];   /* their allocations */
};

void stmt_cache_free(struct stmt_cache *cache);

/*
 * The six parameters of the statements query: the keys, calls and plans of the cached
 * rows, or empty arrays (every row) when the cache is not valid or NULL. They belong to
 * the cache and stay valid until its next use.
 */
void collect_stmt_params(struct stmt_cache *cache, const char *params[6]);

/*
 * Each returns -1 with a message when the rows do not have the expected shape.
 * collect_parse_statements completes the rows that changed with the others of the cache
 * (when it is valid), and drops those that are gone: the snapshot has every statement,
 * sorted by key, and so has the cache for the next read.
 */
int collect_parse_statements(const struct pg_rows *r, struct stmt_cache *cache,
			     struct snapshot *snap, struct pgt_err *err);
int collect_parse_clock(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_activity(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_database(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_checkpoint(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
/* No rows: the settings did not change (snap->settings stays NULL). token: see the SQL. */
int collect_parse_settings(const struct pg_rows *r, struct snapshot *snap, char *token,
			   size_t token_size, struct pgt_err *err);
int collect_parse_texts(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_roles(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
/* No rows: not read (the settings did not change); else snap->role_settings_read is set. */
int collect_parse_role_settings(const struct pg_rows *r, struct snapshot *snap,
				struct pgt_err *err);
int collect_parse_wal(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);

#endif
