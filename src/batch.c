#include "config.h"

#include "batch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"
#include "xutil.h"

static int
row_cmp(const void *a, const void *b)
{
	const struct batch_row *x = a, *y = b;

	if (x->total_ms != y->total_ms)
		return x->total_ms < y->total_ms ? 1 : -1;
	if (x->queryid != y->queryid)
		return x->queryid < y->queryid ? -1 : 1;
	return x->toplevel - y->toplevel;
}

/* A millisecond figure in 9 columns: three decimals while they fit. */
static void
fmt_ms(char *buf, size_t size, double ms)
{
	if (ms < 10000)
		snprintf(buf, size, "%9.3f", ms);
	else if (ms < 1e8)
		snprintf(buf, size, "%9.0f", ms);
	else
		snprintf(buf, size, "%9.2e", ms);
}

void
batch_sort(struct batch_table *t)
{
	if (t->n_rows > 1)
		qsort(t->rows, (size_t)t->n_rows, sizeof *t->rows, row_cmp);
}

void
batch_format_header(char *buf, size_t size, double seconds)
{
	snprintf(buf, size, "%20s %8s %6s %9s %9s %9s %9s %9s %8s", "QUERYID",
		 seconds > 0 ? "CALLS/S" : "CALLS", "TIME%", "MEAN_MS", "MAX_MS", "ROWS/CALL",
		 "SHR_READ", "SHR_HIT", "TEMP_WR");
}

void
batch_format_row(char *buf, size_t size, const struct batch_row *r, double seconds,
		 double total_ms)
{
	char calls[32], mean[32], max[32];

	if (seconds > 0)
		snprintf(calls, sizeof calls, "%8.1f", (double)r->calls / seconds);
	else
		snprintf(calls, sizeof calls, "%8lld", (long long)r->calls);
	fmt_ms(mean, sizeof mean, r->calls > 0 ? r->total_ms / (double)r->calls : 0);
	fmt_ms(max, sizeof max, r->max_ms);
	snprintf(buf, size, "%20lld %s %5.1f%% %s %s %9.1f %9lld %9lld %8lld",
		 (long long)r->queryid, calls, total_ms > 0 ? 100.0 * r->total_ms / total_ms : 0,
		 mean, max, r->calls > 0 ? (double)r->rows / (double)r->calls : 0,
		 (long long)r->shared_blks_read, (long long)r->shared_blks_hit,
		 (long long)r->temp_blks_written);
}

void
batch_print_table(FILE *out, struct batch_table *t)
{
	double total = 0;
	int i, n;
	char line[256];

	for (i = 0; i < t->n_rows; i++)
		total += t->rows[i].total_ms;
	batch_sort(t);
	batch_format_header(line, sizeof line, t->seconds);
	fprintf(out, "%s  QUERY\n", line);
	n = t->top > 0 && t->top < t->n_rows ? (int)t->top : t->n_rows;
	for (i = 0; i < n; i++) {
		const struct batch_row *r = &t->rows[i];
		size_t qwidth = 0;
		char *q;

		if (t->width > 0)
			qwidth = t->width > BATCH_FIXED_COLS + 12 ? t->width - BATCH_FIXED_COLS - 2
								  : 10;
		q = r->query ? sanitize_line(r->query, qwidth, t->utf8)
			     : xstrdup("(text not read yet)");
		batch_format_row(line, sizeof line, r, t->seconds, total);
		fprintf(out, "%s  %s%s\n", line, r->toplevel ? "" : "(nested) ", q);
		free(q);
	}
	if (n < t->n_rows)
		fprintf(out, "... and %d more statements\n", t->n_rows - n);
}

void
batch_row_from_stmt(struct batch_row *b, const struct stmt_row *r)
{
	memset(b, 0, sizeof *b);
	b->queryid = r->queryid;
	b->toplevel = r->toplevel;
	b->calls = r->calls;
	b->total_ms = r->total_exec_ms;
	b->max_ms = r->max_ms;
	b->rows = r->rows;
	b->shared_blks_read = r->shared_blks_read;
	b->shared_blks_hit = r->shared_blks_hit;
	b->temp_blks_written = r->temp_blks_written;
}

double
batch_tps(const struct delta_set *d)
{
	int64_t x = 0;
	int i;

	if (d->interval_s <= 0 || d->n_databases == 0)
		return -1;
	for (i = 0; i < d->n_databases; i++)
		x += d->databases[i].xact_commit + d->databases[i].xact_rollback;
	return (double)x / d->interval_s;
}

double
batch_hit_ratio(const struct delta_set *d)
{
	int64_t hit = 0, read = 0;
	int i;

	for (i = 0; i < d->n_databases; i++) {
		hit += d->databases[i].blks_hit;
		read += d->databases[i].blks_read;
	}
	return hit + read > 0 ? (double)hit / (double)(hit + read) : -1;
}

void
batch_time(double ts, char *buf, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "%.0f", ts);
}
