/* Unit tests of the anomaly and regression finder on series built in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "xutil.h"

/* 2026-11-02T00:00:00Z, a Monday */
#define T0 1794096000.0

/* Hourly calls and times of days x 24 hours from T0 (UTC), with log-normal noise. */
struct fake {
	int n;
	double *calls, *total_ms, *t;
	int *hour, *wday, *day;
	struct anomaly_series s;
	uint64_t rng;
};

/* A standard normal draw from a small deterministic generator. */
static double
gauss(struct fake *f)
{
	double u1, u2;

	f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	u1 = ((double)(f->rng >> 11) + 0.5) / 9007199254740992.0;
	f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	u2 = ((double)(f->rng >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/*
 * level calls an hour (busier by day: 1.5 x from 08:00 to 19:00), noise the standard
 * deviation of their logarithm; mean_ms a call, spread that of its logarithm.
 */
static void
fake_make(struct fake *f, int days, double level, double noise, double mean_ms, double spread,
	  uint64_t seed)
{
	int i;

	memset(f, 0, sizeof *f);
	f->rng = seed * 2654435761ULL + 1;
	f->n = days * 24;
	f->calls = xcalloc((size_t)f->n, sizeof *f->calls);
	f->total_ms = xcalloc((size_t)f->n, sizeof *f->total_ms);
	f->t = xcalloc((size_t)f->n, sizeof *f->t);
	f->hour = xcalloc((size_t)f->n, sizeof *f->hour);
	f->wday = xcalloc((size_t)f->n, sizeof *f->wday);
	f->day = xcalloc((size_t)f->n, sizeof *f->day);
	for (i = 0; i < f->n; i++) {
		double c = level * (i % 24 >= 8 && i % 24 < 20 ? 1.5 : 1) * exp(noise * gauss(f));

		f->hour[i] = i % 24;
		f->day[i] = 20759 + i / 24;
		f->wday[i] = (1 + i / 24) % 7; /* day 0 is a Monday */
		f->t[i] = T0 + i * 3600.0;
		f->calls[i] = round(c);
		f->total_ms[i] = f->calls[i] * mean_ms * exp(spread * gauss(f));
	}
	f->s.n = f->n;
	f->s.calls = f->calls;
	f->s.total_ms = f->total_ms;
	f->s.t = f->t;
	f->s.hour = f->hour;
	f->s.wday = f->wday;
	f->s.day = f->day;
	f->s.has_queryid = 1;
	f->s.queryid = -42;
}

static void
fake_free(struct fake *f)
{
	free(f->calls);
	free(f->total_ms);
	free(f->t);
	free(f->hour);
	free(f->wday);
	free(f->day);
}

/* The index of day d (from 0) at hour h. */
static int
at(int d, int h)
{
	return d * 24 + h;
}

/* Calls x factor in hour i, the time per call kept. */
static void
scale_calls(struct fake *f, int i, double factor)
{
	double per = f->calls[i] > 0 ? f->total_ms[i] / f->calls[i] : 0;

	f->calls[i] = round(f->calls[i] * factor);
	f->total_ms[i] = f->calls[i] * per;
}

static int
find(struct fake *f, struct finding **out)
{
	struct anomaly_opts o;
	const char *why = NULL;
	int n, i;

	anomaly_opts_default(&o);
	n = anomalies_find(&f->s, &o, out, &why);
	for (i = 0; i < n; i++)
		print_message("# %s %s from %.0f h to %.0f h: observed %.3f expected %.3f"
			      " [%.3f, %.3f] score %.2f confidence %.3f\n",
			      (*out)[i].rule, (*out)[i].metric, ((*out)[i].from - T0) / 3600,
			      ((*out)[i].to - T0) / 3600, (*out)[i].observed, (*out)[i].expected,
			      (*out)[i].low, (*out)[i].high, (*out)[i].score, (*out)[i].confidence);
	return n;
}

static int
count_rule(const struct finding *f, int n, const char *rule)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += strcmp(f[i].rule, rule) == 0;
	return c;
}

/* One hour with six times the calls: one anomaly of calls, that hour, above its band. */
static void
anomaly_spike_hour(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i = at(17, 14), n;

	(void)state;
	fake_make(&f, 28, 200, 0.1, 2, 0.05, 1);
	scale_calls(&f, i, 6);
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_ANOMALY_CALLS);
	assert_string_equal(out[0].metric, "calls");
	assert_true(out[0].from == f.t[i]);
	assert_true(out[0].to == f.t[i] + 3600);
	assert_int_equal(out[0].hours, 1);
	assert_true(out[0].observed == f.calls[i]);
	assert_true(out[0].expected > 250 && out[0].expected < 350);
	assert_true(out[0].high < out[0].observed);
	assert_true(out[0].low < out[0].expected && out[0].expected < out[0].high);
	assert_true(out[0].severity_ratio > 4);
	assert_true(out[0].confidence > 0.5 && out[0].confidence <= 1);
	assert_true(out[0].has_queryid && out[0].queryid == -42);
	free(out);
	fake_free(&f);
}

/* Three quiet hours in a row (calls a tenth): one anomaly of three hours, below. */
static void
anomaly_dip_hours_merge(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int n, i;

	(void)state;
	fake_make(&f, 28, 300, 0.1, 2, 0.05, 2);
	for (i = at(9, 10); i < at(9, 13); i++)
		scale_calls(&f, i, 0.1);
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_ANOMALY_CALLS);
	assert_true(out[0].from == f.t[at(9, 10)]);
	assert_true(out[0].to == f.t[at(9, 13)]);
	assert_int_equal(out[0].hours, 3);
	assert_true(out[0].observed < out[0].low);
	assert_true(out[0].score < 0 && out[0].severity_ratio < 0.2);
	free(out);
	fake_free(&f);
}

/* A peak every Monday at 09:00 and every day at 14:00 is usual: no finding. */
static void
anomaly_weekly_peak_is_usual(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, days;

	(void)state;
	/* four weeks: the other Mondays; two weeks: the other days and the other Monday */
	for (days = 28; days >= 14; days -= 14) {
		fake_make(&f, days, 200, 0.1, 2, 0.05, 3);
		for (i = 0; i < f.n; i++) {
			if (f.wday[i] == 1 && f.hour[i] == 9)
				scale_calls(&f, i, 4);
			if (f.hour[i] == 14)
				scale_calls(&f, i, 2.5);
		}
		assert_int_equal(find(&f, &out), 0);
		free(out);
		out = NULL;
		fake_free(&f);
	}
}

/* The mean time x 2.5 from day 15 at 10:00 to the end: one regression, dated to the hour. */
static void
anomaly_level_shift_is_one_regression(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, n, start = at(15, 10);

	(void)state;
	fake_make(&f, 28, 150, 0.1, 2, 0.1, 4);
	for (i = start; i < f.n; i++)
		f.total_ms[i] *= 2.5;
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_REGRESSION_MEAN_TIME);
	assert_string_equal(out[0].metric, "mean_ms");
	assert_true(fabs(out[0].from - f.t[start]) <= 2 * 3600);
	assert_true(out[0].to == f.t[f.n - 1] + 3600);
	assert_true(fabs(out[0].expected - 2) < 0.1);
	assert_true(fabs(out[0].observed - 5) < 0.25);
	assert_true(out[0].severity_ratio > 2.3 && out[0].severity_ratio < 2.7);
	assert_true(out[0].expected < out[0].high && out[0].high < out[0].observed);
	assert_true(out[0].confidence > 0.5);
	free(out);
	fake_free(&f);
}

/* The mean time halved late on day 20: an improvement, at that hour. */
static void
anomaly_improvement(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, n, start = at(20, 21);

	(void)state;
	fake_make(&f, 28, 150, 0.1, 4, 0.05, 5);
	for (i = start; i < f.n; i++)
		f.total_ms[i] *= 0.5;
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_IMPROVEMENT_MEAN_TIME);
	assert_true(fabs(out[0].from - f.t[start]) <= 2 * 3600);
	assert_true(out[0].severity_ratio < 0.55);
	free(out);
	fake_free(&f);
}

/* Slower for the last 20 hours only: too short to call a new level, an anomaly. */
static void
anomaly_regression_needs_days(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, n;

	(void)state;
	fake_make(&f, 28, 150, 0.1, 2, 0.05, 6);
	for (i = f.n - 20; i < f.n; i++)
		f.total_ms[i] *= 3;
	n = find(&f, &out);
	assert_int_equal(count_rule(out, n, FINDING_REGRESSION_MEAN_TIME), 0);
	/* but they are anomalous hours */
	assert_int_equal(count_rule(out, n, FINDING_ANOMALY_MEAN_TIME), 1);
	free(out);
	fake_free(&f);
}

/* A slower mean time for five hours, back to usual after: an anomaly of the mean time. */
static void
anomaly_mean_time_hours(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, n;

	(void)state;
	fake_make(&f, 28, 150, 0.1, 2, 0.05, 7);
	for (i = at(11, 9); i < at(11, 14); i++)
		f.total_ms[i] *= 4;
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_ANOMALY_MEAN_TIME);
	assert_true(out[0].from == f.t[at(11, 9)]);
	assert_int_equal(out[0].hours, 5);
	assert_true(out[0].observed > 7 && out[0].observed < 9);
	free(out);
	fake_free(&f);
}

/* Noise alone (of several sizes and levels) gives no finding. */
static void
anomaly_noise_alone(void **state)
{
	static const double level[] = {3, 40, 500, 5000};
	struct fake f;
	struct finding *out = NULL;
	uint64_t seed;
	int k, total = 0;

	(void)state;
	for (seed = 10; seed < 20; seed++)
		for (k = 0; k < 4; k++) {
			fake_make(&f, 28, level[k], 0.15, 1 + (double)k, 0.1, seed * 4 + (uint64_t)k);
			total += find(&f, &out);
			free(out);
			out = NULL;
			fake_free(&f);
		}
	assert_int_equal(total, 0);
}

/* After a regression, hours at the new level are not anomalies; a spike still is. */
static void
anomaly_after_regression_own_level(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i, n;

	(void)state;
	fake_make(&f, 28, 200, 0.1, 2, 0.05, 8);
	for (i = at(8, 0); i < f.n; i++)
		f.total_ms[i] *= 3;
	scale_calls(&f, at(20, 11), 8);
	n = find(&f, &out);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].rule, FINDING_REGRESSION_MEAN_TIME);
	assert_true(fabs(out[0].from - f.t[at(8, 0)]) <= 2 * 3600);
	assert_string_equal(out[1].rule, FINDING_ANOMALY_CALLS);
	assert_true(out[1].from == f.t[at(20, 11)]);
	free(out);
	fake_free(&f);
}

/* Calls only (the whole server): anomalies of calls and nothing about time. */
static void
anomaly_calls_only(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int n;

	(void)state;
	fake_make(&f, 21, 4000, 0.05, 1, 0.05, 9);
	f.s.total_ms = NULL;
	f.s.has_queryid = 0;
	scale_calls(&f, at(5, 3), 3);
	n = find(&f, &out);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].rule, FINDING_ANOMALY_CALLS);
	assert_false(out[0].has_queryid);
	free(out);
	fake_free(&f);
}

/* Gaps (hours not sampled) are neither anomalies nor usual values. */
static void
anomaly_gaps(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	int i;

	(void)state;
	fake_make(&f, 28, 200, 0.1, 2, 0.05, 11);
	for (i = at(12, 0); i < at(13, 12); i++)
		f.calls[i] = NAN;
	assert_int_equal(find(&f, &out), 0);
	free(out);
	fake_free(&f);
}

static void
anomaly_short_history(void **state)
{
	struct fake f;
	struct finding *out = NULL;
	struct anomaly_opts o;
	const char *why = NULL;

	(void)state;
	fake_make(&f, 6, 200, 0.1, 2, 0.05, 12);
	anomaly_opts_default(&o);
	assert_int_equal(anomalies_find(&f.s, &o, &out, &why), -1);
	assert_null(out);
	assert_non_null(why);
	assert_string_equal(why, "fewer days of history than anomalies need");
	fake_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anomaly_spike_hour),
		cmocka_unit_test(anomaly_dip_hours_merge),
		cmocka_unit_test(anomaly_weekly_peak_is_usual),
		cmocka_unit_test(anomaly_level_shift_is_one_regression),
		cmocka_unit_test(anomaly_improvement),
		cmocka_unit_test(anomaly_regression_needs_days),
		cmocka_unit_test(anomaly_mean_time_hours),
		cmocka_unit_test(anomaly_noise_alone),
		cmocka_unit_test(anomaly_after_regression_own_level),
		cmocka_unit_test(anomaly_calls_only),
		cmocka_unit_test(anomaly_gaps),
		cmocka_unit_test(anomaly_short_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
