/*
 * Forecasts of an hourly series with prediction intervals, and the monitoring of their
 * models. Pure: no SQLite, no libpq, no curses; the caller gives the values per hour.
 *
 * Three models are fitted on the logarithm of the values (log(v + c): c is 1 for counts,
 * else 1% of the mean non-zero value):
 * the seasonal naive forecast (the value a week before, a day before when the fit has
 * less than two weeks), the benchmark; additive Holt-Winters with a weekly season; and a
 * least-squares regression on the local hour of the day, the weekday and a linear trend.
 * A rolling-origin backtest (one origin a day over the last two weeks, each fitted on the
 * hours before it only) scores each model on what followed; the one with the smallest
 * mean absolute error is kept. Its 80% and 95% intervals are the quantiles of its
 * backtest errors by day of horizon. doc/forecast.md has the formulas and thresholds.
 */
#ifndef PGMLTOP_FORECAST_H
#define PGMLTOP_FORECAST_H

#include <stdint.h>

#include "finding.h"

#define FC_HORIZON 168     /* hours forecast by default: a week */
#define FC_MAX_HORIZON 336
#define FC_MIN_HOURS 336   /* sampled hours needed, else "learning" */
#define FC_MAX_ORIGINS 14  /* backtest origins, one a day */
#define FC_PAST 168        /* hours of the input kept with the forecast */

/* The capacity findings (category "forecast"). */
#define FINDING_FORECAST_GROWTH "forecast_growth"
#define FINDING_FORECAST_PEAK "forecast_peak"

enum fc_model { FC_SNAIVE, FC_REGRESSION, FC_HOLT_WINTERS, FC_N_MODELS };

enum fc_status { FC_LEARNING, FC_OK };

struct fc_input {
	int n;              /* hours, oldest first */
	const double *v;    /* value of each hour (>= 0); NAN where nothing was sampled */
	long long h0;       /* epoch hour (seconds / 3600) of v[0] */
	int counts;         /* the values are counts (calls): log(1 + v) */
	long long change_h; /* epoch hour of the latest change of settings or of level; 0: none */
	/*
	 * Local hour of the week (weekday * 24 + hour, Sunday 0) of the hours h0 to
	 * h0 + n + horizon - 1 (fc_slots); NULL: computed here.
	 */
	const unsigned char *slot;
};

struct fc_opts {
	int horizon;        /* hours to forecast, 1 to FC_MAX_HORIZON (FC_HORIZON) */
	int min_hours;      /* sampled hours needed (FC_MIN_HOURS) */
	int origins;        /* backtest origins, 1 to FC_MAX_ORIGINS (14) */
	double alpha, beta, gamma; /* Holt-Winters: level, trend, season (0.05, 0.002, 0.2) */
	double cover_low, cover_high; /* 80% coverage band of a sound model (0.65, 0.92) */
};

/* A model's backtest. */
struct fc_eval {
	int points;  /* forecasts compared with a sampled hour */
	double mae;  /* mean absolute error, in the values' unit */
	double mase; /* mae / the in-sample seasonal naive error; NAN when that is 0 */
	double mape; /* mean absolute percentage error over non-zero values (percent); NAN: none */
	double bias; /* mean of forecast - value */
};

struct forecast {
	enum fc_status status;
	int have, need;     /* sampled hours in the fit, and FC_MIN_HOURS: for "learning" */
	long long h0;       /* epoch hour of the first point */
	int horizon;        /* points (0 when learning) */
	double *value;      /* the forecast (a median), per point */
	double *low, *high; /* the 80% interval */
	double *low95, *high95;
	enum fc_model model; /* the one selected */
	int season;          /* of the final fit: 168 (weekly) or 24 */
	struct fc_eval eval[FC_N_MODELS];
	double coverage;    /* of the 80% interval on the backtest, each origin left out; NAN */
	double coverage95;
	int origins;
	double rolling_mase[FC_MAX_ORIGINS]; /* the selected model's, per origin, oldest first */
	double scale;       /* in-sample seasonal naive mean absolute error */
	int flagged;        /* coverage outside [cover_low, cover_high] */
	long long fit_h0;   /* the first hour the fit used */
	int restricted;     /* the fit starts at change_h */
	double max_seen;    /* the largest value in the fit */
	int n_past;         /* the last FC_PAST hours of the input (NAN where missing) */
	double past[FC_PAST];
};

void fc_opts_default(struct fc_opts *o);

/* The local hour of the week (weekday * 24 + hour) of the n hours from epoch hour h0. */
void fc_slots(long long h0, int n, unsigned char *slot);

/*
 * Fit, backtest, select and forecast. Deterministic: the same input gives the same
 * forecast. Returns 0 (out->status FC_LEARNING when there is too little history), -1 on a
 * bad input. forecast_free() releases out.
 */
int forecast_fit(const struct fc_input *in, const struct fc_opts *o, struct forecast *out);
void forecast_free(struct forecast *f);

/* "seasonal_naive", "regression", "holt_winters" */
const char *fc_model_name(enum fc_model m);

/*
 * Capacity findings, appended to *out (*n of them), with category "forecast":
 *
 * forecast_growth: a statement whose daily execution time, at the forecast of its calls
 * and of its mean time, doubles within max_days (the next week's time against the last
 * week's).
 *
 * forecast_peak: a forecast of calls whose highest hour is above anything in its history.
 *
 * Each needs the models to beat the seasonal naive forecast (MASE < 1) and not to be
 * flagged. Return the number added.
 */
int fc_growth_finding(const struct forecast *calls, const struct forecast *mean_ms,
		      int64_t queryid, double max_days, struct finding **out, int *n);
int fc_peak_finding(const struct forecast *calls, int has_queryid, int64_t queryid,
		    struct finding **out, int *n);

#endif
