/*
 * Index suggestions (rule "missing_index") from the statements' predicates and the tables'
 * statistics. Pure: the caller gives the statements (normalized text and figures over the
 * window) and the tables it knows (size, live rows, scans, indexes, column statistics);
 * no store, no server, no screen.
 *
 * A statement of one table (SELECT ... FROM t WHERE ..., UPDATE t ... WHERE ...,
 * DELETE FROM t WHERE ...) whose conditions are ANDed comparisons of the table's columns
 * with parameters gives a candidate: its equality columns (=, IN, = ANY, IS NULL) first,
 * the most distinct first when pg_stats says how distinct they are, added while more than
 * min_est_rows rows a value would remain (at most max_columns); then one range column
 * (<, >, BETWEEN); then, with no range and more than min_est_rows rows left to sort, the
 * ORDER BY columns. A candidate is kept when:
 *   - the table holds at least min_table_rows live rows;
 *   - each call reads at least min_blocks_share of the table's pages (shared blocks hit and
 *     read per call against its size), and at least min_blocks blocks: it scans the table;
 *   - it returns few of the rows it reads (rows a call at most max_rows_share of the table);
 *   - no valid, complete btree index of the table already begins with its equality
 *     columns (in any order), or with its first column when it has no equality column.
 * Confidence: 0.5, + 0.2 when a call reads most of the table (>= 0.8 of its pages), + 0.1
 * when the column statistics ordered the columns, + 0.1 when the table's sequential scans
 * in the window read at least half of it each. The saving is the statement's execution
 * time a day times 0.9 x (1 - its rows a call / the table's rows): an index scan reads about
 * the rows it returns.
 */
#ifndef PGMLTOP_INDEXADV_H
#define PGMLTOP_INDEXADV_H

#include <stdint.h>

#include "finding.h"

#define FINDING_MISSING_INDEX "missing_index"
#define IX_MAX_COLS 8
#define IX_NAME 64

struct ix_index {
	char name[IX_NAME];
	int n_cols;
	char cols[IX_MAX_COLS][IX_NAME]; /* "" for an expression */
	int btree, valid, partial;
};

struct ix_column {
	char name[IX_NAME];
	double n_distinct; /* as pg_stats: > 0 a count, < 0 minus a share of the rows; 0 unknown */
};

struct ix_table {
	char schema[IX_NAME];
	char name[IX_NAME];
	double live_rows;
	double bytes;        /* of the table's heap */
	double seq_scan;     /* sequential scans in the window (NAN: not known) */
	double seq_tup_read; /* rows they read */
	int n_indexes;
	const struct ix_index *indexes;
	int n_colstats;
	const struct ix_column *colstats;
};

struct ix_stmt {
	int64_t queryid;
	const char *text; /* normalized */
	double calls, total_ms, rows, shared_blks_hit, shared_blks_read;
	double days; /* the window, for the figures a day (> 0) */
};

struct ix_opts {
	double min_table_rows;   /* 10000 */
	double min_blocks_share; /* 0.3 */
	double min_blocks;       /* 100 */
	double max_rows_share;   /* 0.05 */
	double min_est_rows;     /* 50 */
	int max_columns;         /* 3 */
};

void ix_opts_default(struct ix_opts *o);

/* What the parser found in one statement. */
struct ix_pred {
	char schema[IX_NAME]; /* "" when not written */
	char table[IX_NAME];
	int n_eq;
	char eq[IX_MAX_COLS][IX_NAME];
	char range[IX_NAME]; /* "" for none */
	int n_order;
	char order[IX_MAX_COLS][IX_NAME];
};

/* Parse a normalized text: 1 when it is a one-table statement with usable conditions. */
int indexadv_parse(const char *text, struct ix_pred *p);

/* The findings (*out allocated, findings_free); returns their number. */
int indexadv_find(const struct ix_table *tables, int n_tables, const struct ix_stmt *stmts,
		  int n_stmts, const struct ix_opts *o, struct finding **out);

#endif
