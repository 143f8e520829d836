#include "config.h"

#include "screen-forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The widest chart, in columns of time. */
#define MAX_COLS 112
/* Columns of the value labels at the left, with " |". */
#define LABEL 9

/* The means of the non-missing v[i..i+per) for each column; NAN where all are missing. */
static void
buckets(const double *v, int n, int per, double *out, int cols)
{
	int c, i;

	for (c = 0; c < cols; c++) {
		double s = 0;
		int k = 0;

		for (i = c * per; i < (c + 1) * per && i < n; i++)
			if (!isnan(v[i])) {
				s += v[i];
				k++;
			}
		out[c] = k > 0 ? s / k : NAN;
	}
}

int
forecast_section(struct strbuf *body, const struct forecast *f, const char *instead,
		 size_t width)
{
	static const char *const wdays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	double past[MAX_COLS], value[MAX_COLS], low[MAX_COLS], high[MAX_COLS], top = 0, bottom = 0;
	int cols, half, per, pc, fcols, r, c, skip, i, peak = 0;
	struct tm tm;
	time_t t;

	sb_add(body, "\nForecast\n");
	if (f == NULL) {
		sb_addf(body, "%s\n", instead != NULL ? instead : "(not read yet)");
		return 3;
	}
	if (f->status != FC_OK) {
		sb_addf(body, "learning (%d of %d hours): a forecast needs two weeks of hours "
			      "with samples\n",
			f->have, f->need);
		return 3;
	}
	sb_addf(body, "calls/h, model %s: backtest MASE %.2f, 80%% band held %.0f%% "
		      "over %d days%s\n",
		fc_model_name(f->model), f->eval[f->model].mase, 100 * f->coverage, f->origins,
		f->flagged ? " (flagged: outside 65-92%)" : "");

	/* as many hours a column as it takes for a week each side */
	cols = width > LABEL + 16 ? (int)width - LABEL - 1 : 16;
	if (cols > MAX_COLS)
		cols = MAX_COLS;
	half = cols / 2;
	per = (FC_HORIZON + half - 1) / half;
	skip = f->n_past % per; /* whole columns that end at the last hour */
	pc = (f->n_past - skip) / per;
	fcols = (f->horizon + per - 1) / per;
	if (pc > half)
		pc = half;
	if (fcols > half)
		fcols = half;
	buckets(f->past + f->n_past - pc * per, pc * per, per, past, pc);
	buckets(f->value, f->horizon, per, value, fcols);
	buckets(f->low, f->horizon, per, low, fcols);
	buckets(f->high, f->horizon, per, high, fcols);
	/* the rows span what is shown, from its least to its most */
	bottom = INFINITY;
	for (c = 0; c < pc; c++)
		if (!isnan(past[c])) {
			top = fmax(top, past[c]);
			bottom = fmin(bottom, past[c]);
		}
	for (c = 0; c < fcols; c++) {
		top = fmax(top, high[c]);
		bottom = fmin(bottom, low[c]);
	}
	if (!(bottom < top)) {
		bottom = 0;
		top = top > 0 ? top : 1;
	}
	for (r = FORECAST_CHART_ROWS - 1; r >= 0; r--) {
		double step = (top - bottom) / FORECAST_CHART_ROWS;
		double lo = bottom + step * r, hi = lo + step;

		if (r == FORECAST_CHART_ROWS - 1)
			sb_addf(body, "%7.0f |", top);
		else if (r == 0)
			sb_addf(body, "%7.0f |", bottom);
		else
			sb_add(body, "        |");
		/* a bar to each column's mean: its lowest row at least */
		for (c = 0; c < pc; c++)
			sb_addc(body, !isnan(past[c]) && (r == 0 || (past[c] - bottom) / step >= r + 0.5)
					      ? '#'
					      : ' ');
		sb_addc(body, '|');
		for (c = 0; c < fcols; c++) {
			char ch = ' ';

			if (value[c] >= lo && (value[c] < hi || r == FORECAST_CHART_ROWS - 1))
				ch = 'o';
			else if (low[c] < hi && high[c] >= lo)
				ch = ':';
			sb_addc(body, ch);
		}
		sb_addc(body, '\n');
	}
	sb_add(body, "        +");
	for (c = 0; c < pc; c++)
		sb_addc(body, '-');
	sb_addc(body, '+');
	for (c = 0; c < fcols; c++)
		sb_addc(body, '-');
	sb_addf(body, "\n         %d h a column: the last %d days, now, then o the forecast and : "
		      "its 80%% band\n",
		per, pc * per / 24);
	for (i = 1; i < f->horizon; i++)
		if (f->value[i] > f->value[peak])
			peak = i;
	t = (time_t)((f->h0 + peak) * 3600);
	if (localtime_r(&t, &tm) != NULL)
		sb_addf(body, "busiest hour ahead: %s %02d:00, %.0f calls/h (80%%: %.0f to %.0f); "
			      "the most seen %.0f\n",
			wdays[tm.tm_wday], tm.tm_hour, f->value[peak], f->low[peak], f->high[peak],
			f->max_seen);
	else
		sb_add(body, "\n");
	return 2 + 1 + FORECAST_CHART_ROWS + 3;
}
