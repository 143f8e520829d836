/*
 * Heatmaps of an hourly series: hour of the day x weekday (each cell the average of the
 * hours of that hour of the week), or hour of the day x day over the window (each cell one
 * hour). Pure: the caller gives the hours summed for the server or a statement; times are
 * local. The screen draws the grid; this module only computes and scales it.
 */
#ifndef PGMLTOP_HEATMAP_H
#define PGMLTOP_HEATMAP_H

#include <stddef.h>

enum heatmap_metric {
	HEATMAP_CALLS,    /* calls per hour */
	HEATMAP_TOTAL_MS, /* execution time per hour, ms */
	HEATMAP_MEAN_MS,  /* execution time per call, ms */
	HEATMAP_METRICS
};

enum heatmap_layout {
	HEATMAP_WEEK, /* 7 rows, Monday first */
	HEATMAP_DAYS, /* a row per local day of the window, oldest first */
	HEATMAP_LAYOUTS
};

#define HEATMAP_COLS 24

struct heatmap {
	enum heatmap_layout layout;
	enum heatmap_metric metric;
	int rows;
	double *v;       /* rows x 24: NAN where the history has no hour (or, for the mean, no call) */
	int *hours;      /* rows x 24: the hours of history behind each cell */
	double *row_t;   /* epoch seconds of the first hour of each row (HEATMAP_DAYS) */
	int *row_wday;   /* the weekday of each row, 0 Sunday .. 6 Saturday */
	double min, max; /* the smallest and largest values, 0 when there is none */
	int cells;       /* cells with a value */
};

/*
 * Build the heatmap of n hours from epoch hour h0: calls and total_ms per hour, sampled[i]
 * zero where the history has no such hour. Returns 0, or -1 when n is not positive (*hm
 * then holds no rows).
 */
int heatmap_build(struct heatmap *hm, enum heatmap_layout layout, enum heatmap_metric metric,
		  long long h0, int n, const double *calls, const double *total_ms,
		  const unsigned char *sampled);
void heatmap_free(struct heatmap *hm);

/* The value of a cell (NAN when it has none). */
double heatmap_at(const struct heatmap *hm, int row, int col);

/*
 * The level of v on a ramp of `levels` steps (levels >= 2): the range from the smallest
 * to the largest value cut into `levels` equal parts, 0 the lowest; -1 for NAN. When all
 * values are equal, every one is at the top: a flat load is not shown as quiet.
 */
int heatmap_level(const struct heatmap *hm, double v, int levels);
/* The largest value of level k (the upper end of its part of the range). */
double heatmap_level_top(const struct heatmap *hm, int k, int levels);

/* "calls per hour", "time per hour", "mean time" */
const char *heatmap_metric_name(enum heatmap_metric m);

/* A value with its unit, short: "1234", "12.5k", "3.20 ms", "1.5 s", "2.0 min", "-". */
void heatmap_format(char *buf, size_t size, enum heatmap_metric m, double v);

#endif
