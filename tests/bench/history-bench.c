/*
 * History benchmark: how long the reads of a long history take. Given a history file
 * (made by pgmltop --simulate), it times the reads that the screen, --offline and the
 * report make, on the server sampled most recently, and prints one line of figures:
 *
 *   history-bench FILE
 *
 * statement-hours, file bytes, bytes per statement-hour (the file, and the hourly
 * table alone when SQLite can say), then the milliseconds of the statement list of the
 * last hour, day, 7, 30, 90 and 365 days (the median of three reads; "-" past the
 * history), of one statement's hourly history over 7 days and over the whole history,
 * of the JSON report's model for 7 days and for the whole history, of the forecasts of
 * every statement's calls and mean time over the whole history, and the peak memory of
 * the process. Fails only on an error.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "forecast.h"
#include "heatmap.h"
#include "report.h"
#include "store.h"
#include "xutil.h"

static int64_t
peek_int(sqlite3 *db, const char *sql, int64_t fallback)
{
	sqlite3_stmt *s;
	int64_t v = fallback;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return fallback;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median3(double *t)
{
	qsort(t, 3, sizeof *t, cmp_dbl);
	return t[1];
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "history-bench: %s: %s\n", what, msg);
	exit(1);
}

/* Milliseconds of the statement list of [to - seconds, to]; rows in *n. */
static double
time_window(struct store *st, int64_t server_id, double to, double seconds, int *n)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct stmt_total *rows = NULL;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		if (store_statements_by_key(st, server_id, to - seconds, to, &rows, n, &err) < 0)
			die("the statement list", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		store_statements_free(rows, *n);
	}
	return median3(t);
}

static double
time_history(struct store *st, int64_t server_id, int64_t queryid, double from, double to)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct stmt_history h;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		memset(&h, 0, sizeof h);
		if (store_stmt_history(st, server_id, queryid, from, to, &h, &err) < 0)
			die("a statement's history", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		store_stmt_history_free(&h);
	}
	return median3(t);
}

static double
time_report(struct store *st, double now, long days)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct report r;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		if (report_build(st, now, days, &r, &err) < 0)
			die("the report", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		report_free(&r);
	}
	return median3(t);
}

/* The screen's heatmap of the whole server: its hours summed, both grids built. */
static double
time_heatmap(struct store *st, int64_t server_id, double from, double to)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct stmt_series sums;
		struct heatmap week, days;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		if (store_hour_sums(st, server_id, 0, 0, (long long)ceil(from / 3600),
				    (long long)floor(to / 3600) - 1, &sums, &err) < 0)
			die("the server's hours", err.msg);
		heatmap_build(&week, HEATMAP_WEEK, HEATMAP_CALLS, sums.h0, sums.n_hours, sums.calls,
			      sums.total_ms, sums.sampled);
		heatmap_build(&days, HEATMAP_DAYS, HEATMAP_MEAN_MS, sums.h0, sums.n_hours,
			      sums.calls, sums.total_ms, sums.sampled);
		t[i] = (now_mono() - t0) * 1000;
		heatmap_free(&week);
		heatmap_free(&days);
		store_stmt_series_free(&sums);
	}
	return median3(t);
}

/* The detection alone (patterns, anomalies, changes of level) over the whole history. */
static double
time_detect(struct store *st, const struct server_rec *srv, double from, double to)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct report r;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		memset(&r, 0, sizeof r);
		r.from = from;
		r.to = to;
		r.has_server = 1;
		r.server = *srv;
		if (report_patterns(st, &r, &err) < 0)
			die("the detection", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		report_free(&r);
	}
	return median3(t);
}

/* The N+1 pass of the report alone, over the whole history. */
static double
time_nplusone(struct store *st, int64_t server_id, double from, double to)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct finding *finds;
		int n;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		if (report_nplusone(st, server_id, from, to, &finds, &n, &err) < 0)
			die("the N+1 pass", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		findings_free(finds, n);
	}
	return median3(t);
}

/* A statement's pane: its hours, patterns and findings. */
static double
time_stmt_analysis(struct store *st, int64_t server_id, int64_t queryid, double from, double to)
{
	double t[3];
	int i;

	for (i = 0; i < 3; i++) {
		struct pattern *pats;
		struct finding *finds;
		int n_pats, n_finds;
		const char *note;
		struct pgt_err err = {{0}};
		double t0 = now_mono();

		if (report_stmt_analysis(st, server_id, 1, queryid, from, to, &pats, &n_pats,
					 &finds, &n_finds, &note, &err) < 0)
			die("a statement's analysis", err.msg);
		t[i] = (now_mono() - t0) * 1000;
		free(pats);
		findings_free(finds, n_finds);
	}
	return median3(t);
}

/*
 * The forecasts of every statement over the whole history: its calls and its mean time
 * per hour, each fitted, backtested (three models at 14 origins) and forecast a week
 * ahead, as the report does for its first 20. The hours are read once (*read_ms); the
 * figure is the fitting alone, the median of three runs. *series: the series forecast.
 */
static double
time_forecasts(struct store *st, int64_t server_id, double from, double to, int *series,
	       double *read_ms)
{
	struct stmt_series ser;
	struct pgt_err err = {{0}};
	struct fc_opts o;
	unsigned char *slot;
	double t[3], *calls, *mean, t0 = now_mono();
	int i, k, r;

	if (store_stmt_series(st, server_id, (long long)ceil(from / 3600),
			      (long long)floor(to / 3600) - 1, &ser, &err) < 0)
		die("the statements' hours", err.msg);
	*read_ms = (now_mono() - t0) * 1000;
	fc_opts_default(&o);
	calls = xcalloc((size_t)ser.n_hours + 1, sizeof *calls);
	mean = xcalloc((size_t)ser.n_hours + 1, sizeof *mean);
	for (r = 0; r < 3; r++) {
		t0 = now_mono();
		*series = 0;
		slot = xcalloc((size_t)ser.n_hours + FC_HORIZON, 1);
		fc_slots(ser.h0, ser.n_hours + FC_HORIZON, slot);
		for (k = 0; k < ser.n_stmts; k++) {
			const double *c = ser.calls + (size_t)k * (size_t)ser.n_hours;
			const double *tm = ser.total_ms + (size_t)k * (size_t)ser.n_hours;
			struct fc_input in;
			struct forecast f;

			for (i = 0; i < ser.n_hours; i++) {
				calls[i] = ser.sampled[i] ? c[i] : NAN;
				mean[i] = ser.sampled[i] && c[i] > 0 ? tm[i] / c[i] : NAN;
			}
			memset(&in, 0, sizeof in);
			in.n = ser.n_hours;
			in.h0 = ser.h0;
			in.slot = slot;
			in.v = calls;
			in.counts = 1;
			if (forecast_fit(&in, &o, &f) < 0)
				die("a forecast", "bad input");
			forecast_free(&f);
			in.v = mean;
			in.counts = 0;
			if (forecast_fit(&in, &o, &f) < 0)
				die("a forecast", "bad input");
			forecast_free(&f);
			*series += 2;
		}
		free(slot);
		t[r] = (now_mono() - t0) * 1000;
	}
	free(calls);
	free(mean);
	store_stmt_series_free(&ser);
	return median3(t);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		double seconds;
	} windows[] = {
		{"hour", 3600},        {"day", 86400},        {"7d", 7 * 86400.0},
		{"30d", 30 * 86400.0}, {"90d", 90 * 86400.0}, {"365d", 365 * 86400.0},
	};
	struct pgt_err err = {{0}};
	struct server_rec srv;
	struct store *st;
	struct stat sb;
	struct rusage ru;
	sqlite3 *db;
	int64_t stmt_hours, table_bytes, busiest, last_hour, first_hour;
	double to, span;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: history-bench FILE\n");
		return 2;
	}
	if (stat(argv[1], &sb) < 0)
		die(argv[1], "cannot stat the file");
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(argv[1], sqlite3_errmsg(db));
	stmt_hours = peek_int(db, "SELECT count(*) FROM stmt_hours", 0);
	table_bytes = peek_int(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'stmt_hours'", -1);
	first_hour = peek_int(db, "SELECT min(hour) FROM stmt_hours", 0);
	last_hour = peek_int(db, "SELECT max(hour) FROM stmt_hours", 0);
	busiest = peek_int(db,
			   "SELECT k.queryid FROM stmt_hours h JOIN stmt_keys k ON k.id = h.stmt"
			   " GROUP BY h.stmt ORDER BY sum(h.calls) DESC LIMIT 1",
			   0);
	sqlite3_close(db);

	st = store_open(argv[1], STORE_READONLY, &err);
	if (st == NULL)
		die("open", err.msg);
	if (store_latest_server(st, &srv, &err) < 0)
		die("the server", err.msg);
	/* the reads end where the history ends (the raw hour after the last hourly row) */
	to = (double)(last_hour + 2) * 3600;
	span = to - (double)first_hour * 3600;

	printf("statement_hours %lld file_bytes %lld bytes_per_stmt_hour %.1f table_bytes_per_stmt_hour ",
	       (long long)stmt_hours, (long long)sb.st_size,
	       stmt_hours > 0 ? (double)sb.st_size / (double)stmt_hours : 0.0);
	if (table_bytes >= 0 && stmt_hours > 0)
		printf("%.1f", (double)table_bytes / (double)stmt_hours);
	else
		printf("-");
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++) {
		int n = 0;

		if (windows[i].seconds > span + 86400) {
			printf(" list_%s_ms -", windows[i].name);
			continue;
		}
		printf(" list_%s_ms %.1f", windows[i].name,
		       time_window(st, srv.id, to, windows[i].seconds, &n));
		printf(" rows_%s %d", windows[i].name, n);
	}
	printf(" stmt_history_7d_ms %.1f stmt_history_all_ms %.1f",
	       time_history(st, srv.id, busiest, to - 7 * 86400.0, to),
	       time_history(st, srv.id, busiest, to - span, to));
	printf(" report_7d_ms %.1f report_all_ms %.1f", time_report(st, to, 7),
	       time_report(st, to, (long)ceil(span / 86400)));
	printf(" detect_all_ms %.1f", time_detect(st, &srv, to - span, to));
	printf(" nplusone_all_ms %.1f", time_nplusone(st, srv.id, to - span, to));
	printf(" heatmap_all_ms %.1f stmt_analysis_all_ms %.1f",
	       time_heatmap(st, srv.id, to - span, to),
	       time_stmt_analysis(st, srv.id, busiest, to - span, to));
	{
		int series = 0;
		double read_ms = 0, fit_ms = time_forecasts(st, srv.id, to - span, to, &series,
							    &read_ms);

		printf(" forecast_read_ms %.1f forecast_all_ms %.1f forecast_series %d", read_ms,
		       fit_ms, series);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf(" peak_rss_mib %.1f\n", (double)ru.ru_maxrss / 1024);
	store_close(st);
	return 0;
}
