/*
 * Anomalies and changes of level in an hourly series of calls and execution time. Pure:
 * the caller gives the series with the local hour, weekday and day of each value.
 *
 * An anomaly is an hour (consecutive hours make one finding) whose calls, or mean time
 * per call, leave the band of what is usual for that hour of the week: the median of the
 * same hour of the week in the other weeks (the same hour of the day on the other days
 * when there are fewer than three other weeks), with a band of z robust standard
 * deviations (1.4826 times the median absolute deviation of the statement's hours from
 * their usual values), never narrower than the relative floor nor than the counting noise.
 *
 * A regression is a change of the mean time per call to a new level that holds to the
 * end of the series, found on the daily mean times (each day's time against what its
 * calls would have taken at the statement's hour-of-day profile) and dated to the hour
 * with the hourly mean times. An improvement is the same downwards. Hours after a change
 * are judged against the hours of their own level.
 */
#ifndef PGMLTOP_ANOMALY_H
#define PGMLTOP_ANOMALY_H

#include <stdint.h>

#include "finding.h"

/* One hourly series: n consecutive hours, oldest first. */
struct anomaly_series {
	int n;
	const double *calls;    /* calls in each hour; NAN where nothing was sampled */
	const double *total_ms; /* execution time in each hour; NULL: calls only */
	const int *hour;        /* local hour 0..23 */
	const int *wday;        /* 0 Sunday .. 6 Saturday */
	const int *day;         /* local calendar day, counting from any origin, increasing */
	const double *t;        /* epoch seconds of each hour's start */
	int has_queryid;        /* copied into the findings */
	int64_t queryid;
};

struct anomaly_opts {
	double z;              /* an hour is anomalous at |robust z| >= z (default 5.5) */
	double rel_floor;      /* the band is at least this share of the usual value (0.1) */
	double min_time_calls; /* mean time judged in hours with this many calls (10) */
	int min_days;          /* days of history needed (7) */
	double min_ratio;      /* a change of level: after / before >= this or <= 1 / this (1.3) */
	double change_z;       /* and the levels this many standard errors apart (6) */
	int min_days_before;   /* days at the old level (3) */
	int min_days_after;    /* days at the new level, to the end of the series (2) */
	double hold_share;     /* share of the days from the change on at the new level (0.8) */
};

void anomaly_opts_default(struct anomaly_opts *o);

/*
 * The findings of s: changes of level first, then anomalies, each by time. Returns their
 * number (*out allocated, caller frees; NULL when none), or -1 when there is not enough
 * history (*why says what is missing).
 */
int anomalies_find(const struct anomaly_series *s, const struct anomaly_opts *o,
		   struct finding **out, const char **why);

#endif
