/*
 * Workload patterns in an hourly series: hours of the day, weekdays and hours of the week
 * that stand out (peaks) or fall away (quiet), found with robust statistics (median and
 * MAD), and kept only when they recur. Pure: the caller gives the series with the local
 * hour, weekday and day of each value.
 */
#ifndef PGMLTOP_PATTERNS_H
#define PGMLTOP_PATTERNS_H

enum pattern_type {
	PAT_HOUR_PEAK,         /* an hour of the day, most days */
	PAT_QUIET_HOURS,       /* hours of the day (a range), most days */
	PAT_WEEKDAY_PEAK,      /* a day of the week, most weeks */
	PAT_QUIET_WEEKDAY,     /* a day of the week, most weeks */
	PAT_HOUR_OF_WEEK_PEAK, /* one hour of one weekday ("Mondays 09:00"), most weeks */
};

/* One hourly series: n values (NAN where nothing was sampled), with their local time. */
struct hour_series {
	int n;
	const double *v;
	const int *hour;  /* 0..23 */
	const int *wday;  /* 0 Sunday .. 6 Saturday */
	const int *day;   /* local calendar day, counting from any origin, increasing */
	const double *t;  /* epoch seconds of each hour's start */
	int counts;       /* the values are counts (calls): Poisson noise bounds the scale */
};

struct pattern_opts {
	double z;              /* a bucket stands out at |robust z| >= z (default 2.5) */
	double min_recurrence; /* share of days or weeks it stood out in (default 0.5) */
	int min_days;          /* days of history for hour-of-day patterns (default 7) */
	int min_weeks;         /* weeks of history for weekday and hour-of-week ones (3) */
	double min_level;      /* mean value per hour below which nothing is said (1) */
};

struct pattern {
	enum pattern_type type;
	int hour, hour_to; /* hours of the day; hour_to == hour but for quiet ranges */
	int wday;          /* -1 for hour-of-day patterns */
	double height;     /* the median ratio to the baseline when it stood out */
	double recurrence; /* share of the days or weeks observed in which it stood out */
	double consistency; /* 0..1: how stable the height is */
	double confidence;  /* 0..1 */
	int observed;       /* days (hour-of-day) or weeks observed */
	int occurrences;
	double first, last; /* epoch seconds of the first and last hour it stood out */
};

void pattern_opts_default(struct pattern_opts *o);

/*
 * Find the patterns of s. Returns the number found (*out allocated, caller frees), 0 when
 * there are none, or -1 when there is not enough history (*why says what is missing).
 */
int patterns_find(const struct hour_series *s, const struct pattern_opts *o,
		  struct pattern **out, const char **why);

const char *pattern_type_name(enum pattern_type t);

/* Median and MAD (not scaled) of n values; NAN for n == 0. The array is reordered. */
double stats_median(double *v, int n);
double stats_mad(double *v, int n, double median);

#endif
