#include "config.h"

#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xutil.h"

/* Row of a weekday in the week layout: Monday first, Sunday last. */
static int
week_row(int wday)
{
	return (wday + 6) % 7;
}

int
heatmap_build(struct heatmap *hm, enum heatmap_layout layout, enum heatmap_metric metric,
	      long long h0, int n, const double *calls, const double *total_ms,
	      const unsigned char *sampled)
{
	double *sum_calls, *sum_ms;
	int i, rows, row = -1, last_yday = -1, last_year = -1;

	memset(hm, 0, sizeof *hm);
	hm->layout = layout;
	hm->metric = metric;
	if (n <= 0)
		return -1;
	/* the days layout has at most one row per 24 hours, plus the partial ends and DST */
	rows = layout == HEATMAP_WEEK ? 7 : n / 24 + 3;
	sum_calls = xcalloc((size_t)rows * HEATMAP_COLS, sizeof *sum_calls);
	sum_ms = xcalloc((size_t)rows * HEATMAP_COLS, sizeof *sum_ms);
	hm->hours = xcalloc((size_t)rows * HEATMAP_COLS, sizeof *hm->hours);
	hm->row_t = xcalloc((size_t)rows, sizeof *hm->row_t);
	hm->row_wday = xcalloc((size_t)rows, sizeof *hm->row_wday);
	if (layout == HEATMAP_WEEK)
		for (i = 0; i < 7; i++)
			hm->row_wday[i] = (i + 1) % 7;
	for (i = 0; i < n; i++) {
		time_t t = (time_t)((h0 + i) * 3600);
		struct tm tm;
		size_t at;

		if (localtime_r(&t, &tm) == NULL)
			continue;
		if (layout == HEATMAP_WEEK) {
			row = week_row(tm.tm_wday);
		} else if (tm.tm_yday != last_yday || tm.tm_year != last_year) {
			if (row + 1 >= rows)
				break; /* cannot happen: a day has at least 23 hours */
			row++;
			last_yday = tm.tm_yday;
			last_year = tm.tm_year;
			hm->row_t[row] = (double)t;
			hm->row_wday[row] = tm.tm_wday;
		}
		if (!sampled[i])
			continue;
		at = (size_t)row * HEATMAP_COLS + (size_t)tm.tm_hour;
		sum_calls[at] += calls[i];
		sum_ms[at] += total_ms[i];
		hm->hours[at]++;
	}
	hm->rows = layout == HEATMAP_WEEK ? 7 : row + 1;
	hm->v = xcalloc((size_t)rows * HEATMAP_COLS, sizeof *hm->v);
	for (i = 0; i < rows * HEATMAP_COLS; i++) {
		double v = NAN;

		if (hm->hours[i] > 0) {
			if (metric == HEATMAP_CALLS)
				v = sum_calls[i] / hm->hours[i];
			else if (metric == HEATMAP_TOTAL_MS)
				v = sum_ms[i] / hm->hours[i];
			else if (sum_calls[i] > 0)
				v = sum_ms[i] / sum_calls[i];
		}
		hm->v[i] = v;
		if (!isnan(v)) {
			if (hm->cells == 0 || v > hm->max)
				hm->max = v;
			if (hm->cells == 0 || v < hm->min)
				hm->min = v;
			hm->cells++;
		}
	}
	free(sum_calls);
	free(sum_ms);
	return 0;
}

void
heatmap_free(struct heatmap *hm)
{
	free(hm->v);
	free(hm->hours);
	free(hm->row_t);
	free(hm->row_wday);
	memset(hm, 0, sizeof *hm);
}

double
heatmap_at(const struct heatmap *hm, int row, int col)
{
	if (hm->v == NULL || row < 0 || row >= hm->rows || col < 0 || col >= HEATMAP_COLS)
		return NAN;
	return hm->v[(size_t)row * HEATMAP_COLS + (size_t)col];
}

int
heatmap_level(const struct heatmap *hm, double v, int levels)
{
	int k;

	if (isnan(v))
		return -1;
	if (levels < 2)
		return 0;
	if (hm->max <= hm->min)
		return levels - 1;
	k = (int)floor((v - hm->min) / (hm->max - hm->min) * levels);
	if (k < 0)
		k = 0;
	if (k > levels - 1)
		k = levels - 1;
	return k;
}

double
heatmap_level_top(const struct heatmap *hm, int k, int levels)
{
	return hm->min + (hm->max - hm->min) * (double)(k + 1) / (double)levels;
}

const char *
heatmap_metric_name(enum heatmap_metric m)
{
	switch (m) {
	case HEATMAP_CALLS:
		return "calls per hour";
	case HEATMAP_TOTAL_MS:
		return "time per hour";
	case HEATMAP_MEAN_MS:
		return "mean time";
	default:
		return "?";
	}
}

void
heatmap_format(char *buf, size_t size, enum heatmap_metric m, double v)
{
	if (isnan(v)) {
		snprintf(buf, size, "-");
	} else if (m == HEATMAP_CALLS) {
		if (v < 10)
			snprintf(buf, size, "%.2f", v);
		else if (v < 10000)
			snprintf(buf, size, "%.1f", v);
		else if (v < 1e7)
			snprintf(buf, size, "%.2fk", v / 1e3);
		else
			snprintf(buf, size, "%.2fM", v / 1e6);
	} else if (v < 10) {
		snprintf(buf, size, "%.3f ms", v);
	} else if (v < 10000) {
		snprintf(buf, size, "%.1f ms", v);
	} else if (v < 600000) {
		snprintf(buf, size, "%.2f s", v / 1e3);
	} else if (v < 36e6) {
		snprintf(buf, size, "%.1f min", v / 6e4);
	} else {
		snprintf(buf, size, "%.1f h", v / 3.6e6);
	}
}
