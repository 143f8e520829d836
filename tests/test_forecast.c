/*
 * Unit tests of the forecasts on series built in memory: daily and weekly seasons, a
 * trend and noise of known size, over several seeds. A series is made a week longer than
 * the fit; that week is held out and the forecast judged on it.
 */
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
#include <time.h>

#include "forecast.h"
#include "xutil.h"

/* 2026-11-01 00:00 UTC, a Sunday, in epoch hours. */
#define H0 (1793491200LL / 3600)
#define HOLD 168

static uint64_t rng_state;

static double
uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* What a synthetic series plants. */
struct shape {
	double level;   /* calls per hour at the start, before the seasons */
	double trend;   /* growth per day, compounded */
	double noise;   /* standard deviation of the log of the noise factor */
	double weekend; /* factor of Saturdays and Sundays */
	double peak;    /* height of a weekly peak on Mondays at 10:00 (1: none) */
};

struct series {
	int n; /* fit hours + HOLD */
	double *v;
	unsigned char *slot;
};

/* Hours from a Sunday at 00:00: a busy day (peak at 09:00 and 14:00), quiet nights. */
static void
series_make(struct series *s, const struct shape *sh, int days, uint64_t seed)
{
	int i;

	rng_state = seed * 7919 + 17;
	s->n = days * 24 + HOLD;
	s->v = xcalloc((size_t)s->n, sizeof *s->v);
	s->slot = xcalloc((size_t)s->n + HOLD, 1);
	for (i = 0; i < s->n + HOLD; i++) {
		int hour = i % 24, wday = (i / 24) % 7;
		double c;

		s->slot[i] = (unsigned char)(wday * 24 + hour);
		if (i >= s->n)
			continue;
		c = sh->level * (1 + 0.8 * sin((hour - 6) * 3.14159265 / 12));
		if (hour == 9 || hour == 14)
			c *= 1.6;
		if (hour < 6)
			c *= 0.3;
		if (wday == 0 || wday == 6)
			c *= sh->weekend;
		if (wday == 1 && hour == 10)
			c *= sh->peak;
		c *= pow(1 + sh->trend, i / 24.0) * exp(sh->noise * normal());
		s->v[i] = floor(c + 0.5);
	}
}

static void
series_free(struct series *s)
{
	free(s->v);
	free(s->slot);
}

/* The held-out figures of one forecast. */
struct held {
	double mase;      /* held-out MAE / the in-sample seasonal naive error */
	double vs_naive;  /* held-out MAE / the seasonal naive forecast's held-out MAE */
	double coverage;  /* of the 80% interval */
	double coverage95;
};

static void
fit(const struct series *s, int n, long long change_h, struct forecast *f)
{
	struct fc_input in;
	struct fc_opts o;

	memset(&in, 0, sizeof in);
	in.n = n;
	in.v = s->v;
	in.h0 = H0;
	in.counts = 1;
	in.change_h = change_h;
	in.slot = s->slot;
	fc_opts_default(&o);
	assert_int_equal(forecast_fit(&in, &o, f), 0);
}

static struct held
judge(const struct series *s, const struct forecast *f)
{
	struct held r;
	int n = s->n - HOLD, i, in80 = 0, in95 = 0;
	double ae = 0, ae_naive = 0;

	assert_int_equal(f->status, FC_OK);
	assert_int_equal(f->horizon, HOLD);
	for (i = 0; i < HOLD; i++) {
		double y = s->v[n + i];

		assert_true(f->low95[i] <= f->low[i] && f->low[i] <= f->value[i]);
		assert_true(f->value[i] <= f->high[i] && f->high[i] <= f->high95[i]);
		ae += fabs(f->value[i] - y);
		ae_naive += fabs(s->v[n + i - 168] - y);
		in80 += y >= f->low[i] && y <= f->high[i];
		in95 += y >= f->low95[i] && y <= f->high95[i];
	}
	r.mase = ae / HOLD / f->scale;
	r.vs_naive = ae / ae_naive;
	r.coverage = (double)in80 / HOLD;
	r.coverage95 = (double)in95 / HOLD;
	return r;
}

static const struct {
	const char *name;
	struct shape sh;
} shapes[] = {
	{"trend 2%/day, noise 0.15", {400, 0.02, 0.15, 0.5, 1}},
	{"flat, noise 0.25", {300, 0, 0.25, 0.4, 1}},
	{"trend 1%/day, weekly peak x3, noise 0.1", {200, 0.01, 0.1, 0.6, 3}},
	{"decline 1%/day, noise 0.2", {500, -0.01, 0.2, 0.7, 1}},
};

#define N_SEEDS 6
#define DAYS 42

/*
 * Each shape and seed: the selected model beats the seasonal naive forecast on the
 * backtest (MASE < 1) and on the held-out week (a smaller mean absolute error than the
 * value a week before); over all of them the held-out MASE is below 1 and the 80%
 * interval covers 75% to 85% of the held-out hours. (A week is one draw of a correlated
 * error, so one alone may stray further; and where the level grows fast, a held-out
 * week's MASE can pass 1 while it beats the naive forecast, as the in-sample scale is
 * that of the lower levels before.)
 */
static void
forecast_held_out_week(void **state)
{
	size_t k;
	int seed, judged = 0, bad = 0;
	double cov = 0, cov95 = 0, mase = 0;

	(void)state;
	for (k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
		double sc = 0, sm = 0;

		for (seed = 1; seed <= N_SEEDS; seed++) {
			struct series s;
			struct forecast f;
			struct held h;

			series_make(&s, &shapes[k].sh, DAYS, (uint64_t)seed + 100 * k);
			fit(&s, s.n - HOLD, 0, &f);
			h = judge(&s, &f);
			print_message("# %s, seed %d: %s, backtest MASE %.3f (naive %.3f), "
				      "coverage %.3f; held out: MASE %.3f, vs naive %.3f, coverage "
				      "80%% %.3f, 95%% %.3f\n",
				      shapes[k].name, seed, fc_model_name(f.model),
				      f.eval[f.model].mase, f.eval[FC_SNAIVE].mase, f.coverage,
				      h.mase, h.vs_naive, h.coverage, h.coverage95);
			bad += !(f.eval[f.model].mase < 1) + !(h.vs_naive < 1);
			sc += h.coverage;
			sm += h.mase;
			cov += h.coverage;
			cov95 += h.coverage95;
			mase += h.mase;
			judged++;
			forecast_free(&f);
			series_free(&s);
		}
		print_message("# %s: mean held-out MASE %.3f, 80%% coverage %.3f\n", shapes[k].name,
			      sm / N_SEEDS, sc / N_SEEDS);
	}
	cov /= judged;
	cov95 /= judged;
	mase /= judged;
	print_message("# all: mean held-out MASE %.3f, 80%% coverage %.3f, 95%% coverage %.3f "
		      "(%d weeks)\n",
		      mase, cov, cov95, judged);
	assert_int_equal(bad, 0);
	assert_true(mase < 1);
	assert_true(cov >= 0.75 && cov <= 0.85);
	assert_true(cov95 >= 0.88);
}

/* The backtest's own coverage (each origin judged by the others' errors) is in the band. */
static void
forecast_backtest_coverage(void **state)
{
	size_t k;
	int seed;

	(void)state;
	for (k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
		for (seed = 1; seed <= 3; seed++) {
			struct series s;
			struct forecast f;
			int j;

			series_make(&s, &shapes[k].sh, DAYS, (uint64_t)seed + 100 * k);
			fit(&s, s.n - HOLD, 0, &f);
			assert_int_equal(f.origins, FC_MAX_ORIGINS);
			assert_false(f.flagged);
			assert_true(f.coverage >= 0.65 && f.coverage <= 0.92);
			assert_true(f.coverage95 >= f.coverage);
			for (j = 0; j < f.origins; j++)
				assert_true(f.rolling_mase[j] > 0);
			forecast_free(&f);
			series_free(&s);
		}
}

/* Under two weeks of sampled hours: "learning", with no numbers. */
static void
forecast_short_history_is_learning(void **state)
{
	struct shape sh = {100, 0, 0.1, 1, 1};
	struct series s;
	struct forecast f;
	int i;

	(void)state;
	series_make(&s, &sh, 10, 1);
	fit(&s, 10 * 24, 0, &f);
	assert_int_equal(f.status, FC_LEARNING);
	assert_int_equal(f.have, 240);
	assert_int_equal(f.need, FC_MIN_HOURS);
	assert_int_equal(f.horizon, 0);
	assert_null(f.value);
	forecast_free(&f);
	/* three weeks, but half of the hours never sampled: still learning */
	series_free(&s);
	series_make(&s, &sh, 21, 1);
	for (i = 0; i < 21 * 24; i++)
		if (i % 2)
			s.v[i] = NAN;
	fit(&s, 21 * 24, 0, &f);
	assert_int_equal(f.status, FC_LEARNING);
	assert_int_equal(f.have, 252);
	forecast_free(&f);
	series_free(&s);
}

/* The same history gives the same forecast. */
static void
forecast_is_deterministic(void **state)
{
	struct shape sh = {300, 0.01, 0.2, 0.5, 2};
	struct series s;
	struct forecast a, b;

	(void)state;
	series_make(&s, &sh, 35, 9);
	fit(&s, 35 * 24, 0, &a);
	fit(&s, 35 * 24, 0, &b);
	assert_int_equal(a.model, b.model);
	assert_memory_equal(a.value, b.value, sizeof *a.value * FC_HORIZON);
	assert_memory_equal(a.low, b.low, sizeof *a.low * FC_HORIZON);
	assert_true(a.coverage == b.coverage);
	forecast_free(&a);
	forecast_free(&b);
	series_free(&s);
}

/* Gaps (hours not sampled) are skipped, not taken as zeros. */
static void
forecast_gaps(void **state)
{
	struct shape sh = {300, 0, 0.1, 0.5, 1};
	struct series s;
	struct forecast f;
	struct held h;
	int i, n = 35 * 24;

	(void)state;
	series_make(&s, &sh, 35, 3);
	for (i = 10 * 24; i < 12 * 24; i++)
		s.v[i] = NAN; /* two days of the collector down */
	for (i = n - 30 * 24; i < n; i += 11)
		s.v[i] = NAN;
	fit(&s, n, 0, &f);
	h = judge(&s, &f);
	print_message("# gaps: %s, held-out MASE %.3f, coverage %.3f\n", fc_model_name(f.model),
		      h.mase, h.coverage);
	assert_true(h.mase < 1);
	assert_true(h.coverage >= 0.6);
	forecast_free(&f);
	series_free(&s);
}

/* A change of level: the fit starts at it when enough history follows. */
static void
forecast_change_restricts_the_fit(void **state)
{
	struct shape sh = {200, 0, 0.1, 0.6, 1};
	struct series s;
	struct forecast f, g;
	struct held h;
	int i, n = 42 * 24, c = 20 * 24;

	(void)state;
	series_make(&s, &sh, 42, 5);
	for (i = c; i < s.n; i++)
		s.v[i] *= 3;
	fit(&s, n, H0 + c, &f);
	assert_int_equal(f.restricted, 1);
	assert_true(f.fit_h0 == H0 + c);
	h = judge(&s, &f);
	print_message("# change of level at day 20: %s, held-out MASE %.3f, coverage %.3f\n",
		      fc_model_name(f.model), h.mase, h.coverage);
	assert_true(h.mase < 1);
	/* a change too recent: the whole history is used */
	fit(&s, n, H0 + n - 5 * 24, &g);
	assert_int_equal(g.restricted, 0);
	assert_true(g.fit_h0 == H0);
	forecast_free(&f);
	forecast_free(&g);
	series_free(&s);
}

/* Growth of calls and mean time: forecast_growth; a growing peak: forecast_peak. */
static void
forecast_capacity_findings(void **state)
{
	struct shape grow = {400, 0.03, 0.1, 0.6, 2}, flat = {400, 0, 0.1, 0.6, 2};
	struct shape slow = {2, 0.01, 0.05, 1, 1};
	struct series c, m, fc, fm;
	struct forecast calls, mean, fcalls, fmean;
	struct finding *out = NULL;
	int n = 0, i, days = 35;

	(void)state;
	series_make(&c, &grow, days, 11);
	series_make(&m, &slow, days, 12);
	for (i = 0; i < m.n; i++) /* a mean time in ms, not a count */
		m.v[i] = 2.0 * pow(1.01, i / 24.0) * exp(0.05 * normal());
	fit(&c, days * 24, 0, &calls);
	fit(&m, days * 24, 0, &mean);
	assert_int_equal(fc_growth_finding(&calls, &mean, 42, 90, &out, &n), 1);
	assert_string_equal(out[0].rule, FINDING_FORECAST_GROWTH);
	assert_string_equal(out[0].category, "forecast");
	assert_true(out[0].has_queryid && out[0].queryid == 42);
	print_message("# %s\n# %s\n", out[0].title, out[0].evidence);
	/* 3% and 1% a day: about 4% a day, doubling in about 18 days */
	assert_true(out[0].score > 12 && out[0].score < 26);
	assert_non_null(strstr(out[0].evidence, "\"mase\": "));
	assert_non_null(strstr(out[0].evidence, "\"coverage\": "));
	assert_non_null(strstr(out[0].evidence, "\"horizon\": 168"));
	assert_int_equal(fc_peak_finding(&calls, 1, 42, &out, &n), 1);
	assert_string_equal(out[1].rule, FINDING_FORECAST_PEAK);
	assert_true(out[1].observed > out[1].expected);
	print_message("# %s\n# %s\n", out[1].title, out[1].detail);
	assert_non_null(strstr(out[1].title, "Next Monday 10:00"));

	/* nothing grows: neither finding */
	series_make(&fc, &flat, days, 13);
	series_make(&fm, &slow, days, 14);
	for (i = 0; i < fm.n; i++)
		fm.v[i] = 2.0 * exp(0.05 * normal());
	fit(&fc, days * 24, 0, &fcalls);
	fit(&fm, days * 24, 0, &fmean);
	assert_int_equal(fc_growth_finding(&fcalls, &fmean, 43, 90, &out, &n), 0);
	assert_int_equal(fc_peak_finding(&fcalls, 1, 43, &out, &n), 0);
	assert_int_equal(n, 2);
	findings_free(out, n);
	forecast_free(&calls);
	forecast_free(&mean);
	forecast_free(&fcalls);
	forecast_free(&fmean);
	series_free(&c);
	series_free(&m);
	series_free(&fc);
	series_free(&fm);
}

/* Bad options are refused. */
static void
forecast_bad_input(void **state)
{
	struct fc_input in;
	struct fc_opts o;
	struct forecast f;
	double v[4] = {1, 2, 3, 4};

	(void)state;
	memset(&in, 0, sizeof in);
	in.n = 4;
	in.v = v;
	fc_opts_default(&o);
	o.horizon = FC_MAX_HORIZON + 1;
	assert_int_equal(forecast_fit(&in, &o, &f), -1);
	fc_opts_default(&o);
	assert_int_equal(forecast_fit(&in, &o, &f), 0);
	assert_int_equal(f.status, FC_LEARNING);
	forecast_free(&f);
}

int
main(void)
{
	setenv("TZ", "UTC", 1); /* the findings name local hours */
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forecast_held_out_week),
		cmocka_unit_test(forecast_backtest_coverage),
		cmocka_unit_test(forecast_short_history_is_learning),
		cmocka_unit_test(forecast_is_deterministic),
		cmocka_unit_test(forecast_gaps),
		cmocka_unit_test(forecast_change_restricts_the_fit),
		cmocka_unit_test(forecast_capacity_findings),
		cmocka_unit_test(forecast_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
