/* Plain-text output of --batch and --offline: a header and a table, as top -b prints. */
#ifndef PGMLTOP_BATCH_H
#define PGMLTOP_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

/* One line of the statement table. */
struct batch_row {
	int64_t queryid;
	int toplevel;
	int64_t calls;
	double total_ms;
	double max_ms;
	int64_t rows;
	int64_t shared_blks_read;
	int64_t shared_blks_hit;
	int64_t temp_blks_written;
	const char *query; /* NULL: not known yet */
};

struct batch_table {
	double seconds; /* the span the rows cover: calls per second of it; 0: total calls */
	struct batch_row *rows;
	int n_rows;
	long top;       /* print at most this many rows, 0: all */
	size_t width;   /* line width; the query column takes what is left (0: no limit) */
	int utf8;       /* the terminal takes UTF-8 */
};

/* The width of the columns before QUERY. */
#define BATCH_FIXED_COLS 95

/* The column titles and one row's figures, without the query text (BATCH_FIXED_COLS). */
void batch_format_header(char *buf, size_t size, double seconds);
void batch_format_row(char *buf, size_t size, const struct batch_row *r, double seconds,
		      double total_ms);

/* A table row from a statement's deltas (query left NULL). */
void batch_row_from_stmt(struct batch_row *b, const struct stmt_row *r);

/* Sort rows by total time, largest first (then by query id). */
void batch_sort(struct batch_table *t);
/* Sort the rows and print the table. */
void batch_print_table(FILE *out, struct batch_table *t);

/* Transactions per second and the cache hit ratio of a delta set; -1 when unknown. */
double batch_tps(const struct delta_set *d);
double batch_hit_ratio(const struct delta_set *d);

/* The local time of an epoch second as "YYYY-MM-DD HH:MM:SS". */
void batch_time(double ts, char *buf, size_t size);

#endif
