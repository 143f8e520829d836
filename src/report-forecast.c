/*
 * The report's forecasts (src/forecast.h): the whole server's calls and execution time
 * per hour, and the calls and mean time of the statements that take the most time in the
 * window, with the capacity findings they lead to.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Forecasts are fitted on this many days of history at least, whatever --days. */
#define FORECAST_HISTORY_DAYS 42
/* The statements forecast: the first ones by total time in the window. */
#define FORECAST_TOP 20
/* forecast_growth: a daily time that doubles within this many days. */
#define FORECAST_GROWTH_DAYS 90

static struct report_forecast *
add(struct report *r, int has_queryid, int64_t queryid, const char *metric)
{
	struct report_forecast *rf;

	r->forecasts = xreallocarray(r->forecasts, (size_t)r->n_forecasts + 1,
				     sizeof *r->forecasts);
	rf = &r->forecasts[r->n_forecasts++];
	memset(rf, 0, sizeof *rf);
	rf->has_queryid = has_queryid;
	rf->queryid = queryid;
	rf->metric = metric;
	return rf;
}

static void
add_findings(struct report *r, struct finding *f, int n)
{
	if (n <= 0)
		return;
	r->findings = xreallocarray(r->findings, (size_t)(r->n_findings + n), sizeof *r->findings);
	memcpy(r->findings + r->n_findings, f, (size_t)n * sizeof *f);
	r->n_findings += n;
}

static void
fit(struct report_forecast *rf, const double *v, int n, long long h0, int counts,
    long long change_h, const unsigned char *slot)
{
	struct fc_input in;
	struct fc_opts o;

	memset(&in, 0, sizeof in);
	in.n = n;
	in.v = v;
	in.h0 = h0;
	in.counts = counts;
	in.change_h = change_h;
	in.slot = slot;
	fc_opts_default(&o);
	if (forecast_fit(&in, &o, &rf->fc) < 0)
		rf->fc.status = FC_LEARNING;
}

/* The first hour at the new level of the statement's latest change of mean time, or 0. */
static long long
level_change(const struct report *r, int64_t queryid)
{
	long long h = 0;
	int i;

	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		if (!f->has_queryid || f->queryid != queryid || !isfinite(f->from) ||
		    (strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) != 0 &&
		     strcmp(f->rule, FINDING_IMPROVEMENT_MEAN_TIME) != 0))
			continue;
		if ((long long)floor(f->from / 3600) > h)
			h = (long long)floor(f->from / 3600);
	}
	return h;
}

int
report_add_forecasts(struct store *st, struct report *r, struct pgt_err *err)
{
	struct stmt_series sums;
	long days = (long)ceil((r->to - r->from) / 86400 - 1e-9);
	long long h1 = (long long)floor(r->to / 3600) - 1, h0, settings_h = 0;
	unsigned char *slot;
	double *calls, *other;
	int n, i, k, done = 0;
	struct finding *finds = NULL;
	int n_finds = 0;

	if (!r->has_server)
		return 0;
	if (days < FORECAST_HISTORY_DAYS)
		days = FORECAST_HISTORY_DAYS;
	h0 = h1 + 1 - (long long)days * 24;
	n = (int)(h1 - h0 + 1);
	/* a change of settings moves the execution time: its fit starts there */
	for (i = 0; i < r->params.n_changes; i++) {
		long long h = (long long)floor(r->params.changes[i].ts / 3600);

		if (isfinite(r->params.changes[i].ts) && h > settings_h)
			settings_h = h;
	}
	slot = xcalloc((size_t)n + FC_HORIZON, 1);
	fc_slots(h0, n + FC_HORIZON, slot);
	calls = xcalloc((size_t)n, sizeof *calls);
	other = xcalloc((size_t)n, sizeof *other);

	/* the whole server: calls and execution time per hour */
	if (store_hour_sums(st, r->server.id, 0, 0, h0, h1, &sums, err) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		int ok = i < sums.n_hours && sums.sampled[i];

		calls[i] = ok ? sums.calls[i] : NAN;
		other[i] = ok ? sums.total_ms[i] : NAN;
	}
	store_stmt_series_free(&sums);
	fit(add(r, 0, 0, "calls"), calls, n, h0, 1, 0, slot);
	fit(add(r, 0, 0, "total_ms"), other, n, h0, 0, settings_h, slot);
	fc_peak_finding(&r->forecasts[r->n_forecasts - 2].fc, 0, 0, &finds, &n_finds);

	/* the statements that take the most time in the window, each query id once */
	for (k = 0; k < r->n_stmts && done < FORECAST_TOP; k++) {
		int64_t q = r->stmts[k].queryid;
		long long change = settings_h, lc = level_change(r, q);
		int j, seen = 0, at;

		for (j = 0; j < k && !seen; j++)
			seen = r->stmts[j].queryid == q;
		if (seen)
			continue;
		done++;
		if (store_hour_sums(st, r->server.id, 1, q, h0, h1, &sums, err) < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			int ok = i < sums.n_hours && sums.sampled[i];
			double c = ok && sums.n_stmts > 0 ? sums.calls[i] : 0;

			calls[i] = ok ? c : NAN;
			other[i] = ok && c > 0 ? sums.total_ms[i] / c : NAN;
		}
		store_stmt_series_free(&sums);
		if (lc > change)
			change = lc;
		at = r->n_forecasts;
		fit(add(r, 1, q, "calls"), calls, n, h0, 1, 0, slot);
		fit(add(r, 1, q, "mean_ms"), other, n, h0, 0, change, slot);
		fc_growth_finding(&r->forecasts[at].fc, &r->forecasts[at + 1].fc, q,
				  FORECAST_GROWTH_DAYS, &finds, &n_finds);
		fc_peak_finding(&r->forecasts[at].fc, 1, q, &finds, &n_finds);
	}
	add_findings(r, finds, n_finds);
	free(finds); /* the strings are the report's now */
	report_sort_findings(r);
	free(slot);
	free(calls);
	free(other);
	return 0;
fail:
	findings_free(finds, n_finds);
	free(slot);
	free(calls);
	free(other);
	return -1;
}

int
report_stmt_forecast(struct store *st, int64_t server_id, int64_t queryid, double to, long days,
		     struct forecast *fc, struct pgt_err *err)
{
	struct stmt_series sums;
	long long h1 = (long long)floor(to / 3600) - 1, h0;
	double *calls;
	int n, i;
	struct report_forecast rf;

	memset(fc, 0, sizeof *fc);
	if (days < FORECAST_HISTORY_DAYS)
		days = FORECAST_HISTORY_DAYS;
	h0 = h1 + 1 - (long long)days * 24;
	n = (int)(h1 - h0 + 1);
	if (store_hour_sums(st, server_id, 1, queryid, h0, h1, &sums, err) < 0)
		return -1;
	calls = xcalloc((size_t)n, sizeof *calls);
	for (i = 0; i < n; i++) {
		int ok = i < sums.n_hours && sums.sampled[i];

		calls[i] = ok ? (sums.n_stmts > 0 ? sums.calls[i] : 0) : NAN;
	}
	store_stmt_series_free(&sums);
	memset(&rf, 0, sizeof rf);
	fit(&rf, calls, n, h0, 1, 0, NULL);
	*fc = rf.fc;
	free(calls);
	return 0;
}

void
report_forecasts_free(struct report *r)
{
	int i;

	for (i = 0; i < r->n_forecasts; i++)
		forecast_free(&r->forecasts[i].fc);
	free(r->forecasts);
	r->forecasts = NULL;
	r->n_forecasts = 0;
}

void
report_scope_forecasts(struct report *r, const int64_t *ids, int n)
{
	int k = 0;

	for (int i = 0; i < r->n_forecasts; i++) {
		struct report_forecast *rf = &r->forecasts[i];
		int keep = 0;

		for (int j = 0; j < n && rf->has_queryid && !keep; j++)
			keep = ids[j] == rf->queryid;
		if (keep)
			r->forecasts[k++] = *rf;
		else
			forecast_free(&rf->fc);
	}
	r->n_forecasts = k;
}
