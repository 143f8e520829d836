/*
 * The collector's SQL for each server version, and the parsing of its rows into a
 * snapshot. Pure functions: unit tests hold the SQL for PostgreSQL 12 to 17.
 */
#ifndef PGMLTOP_COLLECT_SQL_H
#define PGMLTOP_COLLECT_SQL_H

#include <stdint.h>

#include "pg.h"
#include "snapshot.h"

/* "name" with embedded quotes doubled. Returns a new string. */
char *sql_quote_ident(const char *name);

/*
 * SELECT over schema.pg_stat_statements(false) for the columns the installed extension
 * has (cols: the names of its view's columns). Sets *have to STMT_HAVE_* (without INFO).
 * The result always has the same columns in the same order, whatever the version.
 */
char *collect_sql_statements(const char *schema, const char *const *cols, int ncols,
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

/* The longest literal query text kept from pg_stat_activity. */
#define ACTIVITY_QUERY_MAX 4096

/*
 * The rows of the previous pg_stat_statements result as parsed, with a 64-bit hash of the
 * text of each: most rows do not change between two samples, and a row whose hash and
 * calls are those of the row at the same place last time is copied instead of parsed
 * again.
 */
struct stmt_cache {
	int n;
	uint64_t *hash;          /* one per row */
	struct stmt_row *parsed; /* one per row */
	unsigned char *hidden;   /* one per row: the row had no query id */
	int hits, misses;        /* of the last parse */
};

void stmt_cache_free(struct stmt_cache *cache);

/* Each returns -1 with a message when the rows do not have the expected shape. */
int collect_parse_statements(const struct pg_rows *r, struct stmt_cache *cache,
			     struct snapshot *snap, struct pgt_err *err);
int collect_parse_clock(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_activity(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_database(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_checkpoint(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_settings(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_texts(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);
int collect_parse_roles(const struct pg_rows *r, struct snapshot *snap, struct pgt_err *err);

#endif
