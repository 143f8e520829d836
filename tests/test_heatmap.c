/* Unit tests of the heatmap grids on hourly series built in memory (TZ=UTC). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heatmap.h"
#include "xutil.h"

/* 2026-11-01T00:00:00Z, a Sunday: epoch hour */
#define H0 ((long long)1793491200 / 3600)

struct series {
	int n;
	double *calls, *ms;
	unsigned char *sampled;
};

/* days x 24 hours: hour h of day d has d * 100 + h calls of 2 ms each; all sampled */
static void
series_make(struct series *s, int days)
{
	int i;

	s->n = days * 24;
	s->calls = xcalloc((size_t)s->n, sizeof *s->calls);
	s->ms = xcalloc((size_t)s->n, sizeof *s->ms);
	s->sampled = xcalloc((size_t)s->n, 1);
	for (i = 0; i < s->n; i++) {
		s->calls[i] = (i / 24) * 100 + i % 24;
		s->ms[i] = 2 * s->calls[i];
		s->sampled[i] = 1;
	}
}

static void
series_free(struct series *s)
{
	free(s->calls);
	free(s->ms);
	free(s->sampled);
}

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* The week layout averages the weeks: Monday first, each cell the mean of its hours. */
static void
week_averages_hours_of_the_week(void **state)
{
	struct series s;
	struct heatmap hm;

	(void)state;
	series_make(&s, 14); /* two Sundays .. two Saturdays */
	assert_int_equal(heatmap_build(&hm, HEATMAP_WEEK, HEATMAP_CALLS, H0, s.n, s.calls, s.ms,
				       s.sampled),
			 0);
	assert_int_equal(hm.rows, 7);
	assert_int_equal(hm.cells, 7 * 24);
	/* row 0 is Monday: days 1 and 8, hour 9 -> (109 + 809) / 2 */
	assert_int_equal(hm.row_wday[0], 1);
	assert_true(fabs(heatmap_at(&hm, 0, 9) - 459.0) < 1e-9);
	assert_int_equal(hm.hours[0 * 24 + 9], 2);
	/* row 6 is Sunday: days 0 and 7, hour 23 -> (23 + 723) / 2 */
	assert_int_equal(hm.row_wday[6], 0);
	assert_true(fabs(heatmap_at(&hm, 6, 23) - 373.0) < 1e-9);
	/* the largest: Saturday (days 6 and 13) at 23:00 */
	assert_true(fabs(hm.max - (623.0 + 1323.0) / 2) < 1e-9);
	heatmap_free(&hm);

	/* the mean time is time over calls, whatever the hours' weights */
	assert_int_equal(heatmap_build(&hm, HEATMAP_WEEK, HEATMAP_MEAN_MS, H0, s.n, s.calls, s.ms,
				       s.sampled),
			 0);
	assert_true(fabs(heatmap_at(&hm, 0, 9) - 2.0) < 1e-9);
	heatmap_free(&hm);
	series_free(&s);
}

/* The days layout has a row per day, an hour per cell; hours not sampled have no value. */
static void
days_one_cell_per_hour_with_gaps(void **state)
{
	struct series s;
	struct heatmap hm;

	(void)state;
	series_make(&s, 3);
	s.sampled[24 + 5] = 0; /* day 1, 05:00 missing */
	s.calls[2 * 24 + 7] = 0; /* day 2, 07:00 sampled, no calls */
	s.ms[2 * 24 + 7] = 0;
	/* from 12:00 of day 0 to the end of day 2: three rows, the first one partial */
	assert_int_equal(heatmap_build(&hm, HEATMAP_DAYS, HEATMAP_TOTAL_MS, H0 + 12, s.n - 12,
				       s.calls + 12, s.ms + 12, s.sampled + 12),
			 0);
	assert_int_equal(hm.rows, 3);
	assert_true(hm.row_t[0] == (double)((H0 + 12) * 3600));
	assert_true(hm.row_t[1] == (double)((H0 + 24) * 3600));
	assert_int_equal(hm.row_wday[1], 1);
	assert_true(isnan(heatmap_at(&hm, 0, 11))); /* before the window */
	assert_true(fabs(heatmap_at(&hm, 0, 12) - 24.0) < 1e-9);
	assert_true(isnan(heatmap_at(&hm, 1, 5)));
	assert_true(fabs(heatmap_at(&hm, 1, 6) - 2 * 106.0) < 1e-9);
	assert_true(heatmap_at(&hm, 2, 7) == 0.0);
	assert_int_equal(hm.cells, 3 * 24 - 12 - 1);
	heatmap_free(&hm);

	/* the mean time of an hour without calls has no value, not zero */
	assert_int_equal(heatmap_build(&hm, HEATMAP_DAYS, HEATMAP_MEAN_MS, H0, s.n, s.calls, s.ms,
				       s.sampled),
			 0);
	assert_true(isnan(heatmap_at(&hm, 2, 7)));
	assert_true(isnan(heatmap_at(&hm, 0, 0))); /* day 0, 00:00: no calls either */
	assert_true(fabs(heatmap_at(&hm, 2, 8) - 2.0) < 1e-9);
	heatmap_free(&hm);
	series_free(&s);
}

/* Levels cut the range from the smallest to the largest value; -1 for no value. */
static void
levels_cut_the_range(void **state)
{
	struct series s;
	struct heatmap hm;

	(void)state;
	series_make(&s, 1);
	s.calls[0] = 3; /* day 0: 3 .. 23 calls */
	assert_int_equal(heatmap_build(&hm, HEATMAP_DAYS, HEATMAP_CALLS, H0, s.n, s.calls, s.ms,
				       s.sampled),
			 0);
	assert_true(hm.min == 1.0 && hm.max == 23.0);
	assert_int_equal(heatmap_level(&hm, 1.0, 5), 0);
	assert_int_equal(heatmap_level(&hm, 5.3, 5), 0);  /* below 1 + 22 / 5 */
	assert_int_equal(heatmap_level(&hm, 5.5, 5), 1);
	assert_int_equal(heatmap_level(&hm, 22.9, 5), 4);
	assert_int_equal(heatmap_level(&hm, 23.0, 5), 4);
	assert_int_equal(heatmap_level(&hm, NAN, 5), -1);
	assert_true(fabs(heatmap_level_top(&hm, 0, 5) - 5.4) < 1e-9);
	assert_true(fabs(heatmap_level_top(&hm, 4, 5) - 23.0) < 1e-9);
	assert_true(isnan(heatmap_at(&hm, 1, 0)));
	assert_true(isnan(heatmap_at(&hm, 0, 24)));
	heatmap_free(&hm);

	/* a flat load is at the top, not shown as quiet */
	memset(s.calls, 0, (size_t)s.n * sizeof *s.calls);
	assert_int_equal(heatmap_build(&hm, HEATMAP_DAYS, HEATMAP_CALLS, H0, s.n, s.calls, s.ms,
				       s.sampled),
			 0);
	assert_int_equal(heatmap_level(&hm, 0, 5), 4);
	heatmap_free(&hm);
	assert_int_equal(heatmap_build(&hm, HEATMAP_DAYS, HEATMAP_CALLS, H0, 0, s.calls, s.ms,
				       s.sampled),
			 -1);
	assert_int_equal(hm.rows, 0);
	heatmap_free(&hm);
	series_free(&s);
}

static void
format_units(void **state)
{
	char buf[32];

	(void)state;
	heatmap_format(buf, sizeof buf, HEATMAP_CALLS, 3.456);
	assert_string_equal(buf, "3.46");
	heatmap_format(buf, sizeof buf, HEATMAP_CALLS, 1234.56);
	assert_string_equal(buf, "1234.6");
	heatmap_format(buf, sizeof buf, HEATMAP_CALLS, 123456);
	assert_string_equal(buf, "123.46k");
	heatmap_format(buf, sizeof buf, HEATMAP_MEAN_MS, 0.25);
	assert_string_equal(buf, "0.250 ms");
	heatmap_format(buf, sizeof buf, HEATMAP_TOTAL_MS, 12345);
	assert_string_equal(buf, "12.35 s");
	heatmap_format(buf, sizeof buf, HEATMAP_TOTAL_MS, 1.2e6);
	assert_string_equal(buf, "20.0 min");
	heatmap_format(buf, sizeof buf, HEATMAP_TOTAL_MS, NAN);
	assert_string_equal(buf, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(week_averages_hours_of_the_week),
		cmocka_unit_test(days_one_cell_per_hour_with_gaps),
		cmocka_unit_test(levels_cut_the_range),
		cmocka_unit_test(format_units),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
