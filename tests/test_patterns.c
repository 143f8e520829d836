/* Unit tests of the pattern finder on series built in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"
#include "xutil.h"

/* A series of days x 24 hours starting on a Sunday at 00:00 (UTC, 2026-11-01). */
struct fake {
	int n;
	double *v, *t;
	int *hour, *wday, *day;
	struct hour_series s;
};

/* A small deterministic wobble of +-5%, so that no two hours are equal. */
static double
wobble(int i)
{
	return 1 + 0.05 * sin(i * 2.399963);
}

static void
fake_make(struct fake *f, int days, double level)
{
	int i;

	memset(f, 0, sizeof *f);
	f->n = days * 24;
	f->v = xcalloc((size_t)f->n, sizeof *f->v);
	f->t = xcalloc((size_t)f->n, sizeof *f->t);
	f->hour = xcalloc((size_t)f->n, sizeof *f->hour);
	f->wday = xcalloc((size_t)f->n, sizeof *f->wday);
	f->day = xcalloc((size_t)f->n, sizeof *f->day);
	for (i = 0; i < f->n; i++) {
		f->hour[i] = i % 24;
		f->day[i] = 20393 + i / 24;
		f->wday[i] = (i / 24) % 7; /* day 0 is a Sunday */
		f->t[i] = 1761955200.0 + i * 3600.0;
		f->v[i] = level * wobble(i);
	}
	f->s.n = f->n;
	f->s.v = f->v;
	f->s.t = f->t;
	f->s.hour = f->hour;
	f->s.wday = f->wday;
	f->s.day = f->day;
	f->s.counts = 1;
}

static void
fake_free(struct fake *f)
{
	free(f->v);
	free(f->t);
	free(f->hour);
	free(f->wday);
	free(f->day);
}

static int
find(struct fake *f, struct pattern **p)
{
	struct pattern_opts o;
	const char *why = NULL;

	pattern_opts_default(&o);
	return patterns_find(&f->s, &o, p, &why);
}

static void
patterns_median_and_mad(void **state)
{
	double a[] = {5, 1, 4, 2, 3}, b[] = {4, 1, 3, 2}, c[40];
	int i;

	(void)state;
	assert_true(stats_median(a, 5) == 3);
	assert_true(stats_mad(a, 5, 3) == 1);
	assert_true(stats_median(b, 4) == 2.5);
	for (i = 0; i < 40; i++)
		c[i] = 40 - i;
	assert_true(stats_median(c, 40) == 20.5);
	assert_true(isnan(stats_median(a, 0)));
}

static void
patterns_flat_series_has_none(void **state)
{
	struct fake f;
	struct pattern *p = NULL;

	(void)state;
	fake_make(&f, 28, 500);
	assert_int_equal(find(&f, &p), 0);
	free(p);
	fake_free(&f);
}

static void
patterns_daily_peak(void **state)
{
	struct fake f;
	struct pattern *p = NULL;
	int i, n;

	(void)state;
	fake_make(&f, 21, 500);
	for (i = 0; i < f.n; i++)
		if (f.hour[i] == 9)
			f.v[i] *= 3;
	n = find(&f, &p);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].type, PAT_HOUR_PEAK);
	assert_int_equal(p[0].hour, 9);
	assert_int_equal(p[0].wday, -1);
	assert_true(fabs(p[0].height - 3) < 0.2);
	assert_true(p[0].recurrence == 1);
	assert_int_equal(p[0].observed, 21);
	assert_int_equal(p[0].occurrences, 21);
	assert_true(p[0].confidence > 0.9 && p[0].confidence <= 1);
	assert_true(p[0].first == f.t[9]);
	assert_true(p[0].last == f.t[20 * 24 + 9]);
	free(p);
	fake_free(&f);
}

/* One hour ten times higher, once: not a pattern. */
static void
patterns_spike_is_not_a_pattern(void **state)
{
	struct fake f;
	struct pattern *p = NULL;

	(void)state;
	fake_make(&f, 28, 500);
	f.v[10 * 24 + 3] *= 10;
	assert_int_equal(find(&f, &p), 0);
	free(p);
	fake_free(&f);
}

/* Quiet from 22:00 to 03:00: one range across midnight. */
static void
patterns_quiet_hours_across_midnight(void **state)
{
	struct fake f;
	struct pattern *p = NULL;
	int i, n;

	(void)state;
	fake_make(&f, 14, 500);
	for (i = 0; i < f.n; i++)
		if (f.hour[i] >= 22 || f.hour[i] <= 3)
			f.v[i] *= 0.2;
	n = find(&f, &p);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].type, PAT_QUIET_HOURS);
	assert_int_equal(p[0].hour, 22);
	assert_int_equal(p[0].hour_to, 3);
	assert_true(fabs(p[0].height - 0.2) < 0.03);
	free(p);
	fake_free(&f);
}

/* Quiet Saturdays and a Monday 14:00 peak: a weekday and an hour of the week. */
static void
patterns_weekday_and_hour_of_week(void **state)
{
	struct fake f;
	struct pattern *p = NULL;
	int i, n, quiet_sat = 0, mon14 = 0;

	(void)state;
	fake_make(&f, 28, 500);
	for (i = 0; i < f.n; i++) {
		if (f.wday[i] == 6)
			f.v[i] *= 0.4;
		if (f.wday[i] == 1 && f.hour[i] == 14)
			f.v[i] *= 2.5;
	}
	n = find(&f, &p);
	for (i = 0; i < n; i++) {
		if (p[i].type == PAT_QUIET_WEEKDAY && p[i].wday == 6)
			quiet_sat++;
		else if (p[i].type == PAT_HOUR_OF_WEEK_PEAK && p[i].wday == 1 && p[i].hour == 14)
			mon14++;
		else
			fail_msg("unexpected pattern %s hour %d weekday %d", pattern_type_name(p[i].type),
				 p[i].hour, p[i].wday);
	}
	assert_int_equal(quiet_sat, 1);
	assert_int_equal(mon14, 1);
	free(p);
	fake_free(&f);
}

static void
patterns_need_history(void **state)
{
	struct fake f;
	struct pattern *p = NULL;
	struct pattern_opts o;
	const char *why = NULL;

	(void)state;
	fake_make(&f, 5, 500);
	pattern_opts_default(&o);
	assert_int_equal(patterns_find(&f.s, &o, &p, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "fewer days"));
	assert_null(p);
	fake_free(&f);
}

/* Hours without samples (NAN) are gaps, not zeros: a gap at 09:00 is no quiet hour. */
static void
patterns_gaps_are_not_quiet(void **state)
{
	struct fake f;
	struct pattern *p = NULL;
	int i;

	(void)state;
	fake_make(&f, 21, 500);
	for (i = 0; i < f.n; i++)
		if (f.hour[i] == 9 && i % 2 == 0)
			f.v[i] = NAN;
	assert_int_equal(find(&f, &p), 0);
	free(p);
	fake_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(patterns_median_and_mad),
		cmocka_unit_test(patterns_flat_series_has_none),
		cmocka_unit_test(patterns_daily_peak),
		cmocka_unit_test(patterns_spike_is_not_a_pattern),
		cmocka_unit_test(patterns_quiet_hours_across_midnight),
		cmocka_unit_test(patterns_weekday_and_hour_of_week),
		cmocka_unit_test(patterns_need_history),
		cmocka_unit_test(patterns_gaps_are_not_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
