/*
 * Unit tests of the recommendation engine: the effort and saving of a fix, the record of
 * a rule, and the merging of findings into ranked recommendations.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advisor.h"

static struct finding
mk(const char *rule, const char *category, int has_queryid, int64_t queryid, double conf,
   double saving)
{
	struct finding f;

	finding_init(&f);
	f.rule = rule;
	f.category = category;
	f.has_queryid = has_queryid;
	f.queryid = queryid;
	f.confidence = conf;
	f.saving_ms_per_day = saving;
	return f;
}

/* A statement's time a day is 1000 ms x its query id; the server's 1e6 ms. */
static double
ms_day(void *ctx, int has_queryid, int64_t queryid)
{
	(void)ctx;
	return has_queryid ? 1000.0 * (double)queryid : 1e6;
}

static void
effort_by_kind_of_fix(void **state)
{
	struct finding p = mk("work_mem_role", "parameter", 0, 0, 0.5, NAN);
	struct finding i = mk("missing_index", "index", 1, 1, 0.5, NAN);
	struct finding a = mk("stale_stats", "plan", 1, 1, 0.5, NAN);
	struct finding l = mk("seq_scan_filter", "plan", 1, 1, 0.5, NAN);
	struct finding r = mk("select_star", "rewrite", 1, 1, 0.5, NAN);
	struct finding n = mk("n_plus_one", "n_plus_one", 1, 1, 0.5, NAN);

	(void)state;
	/* a SET costs less than an index, which costs less than a change in the application */
	assert_true(advisor_effort(&p) < advisor_effort(&i));
	assert_true(advisor_effort(&i) == advisor_effort(&a));
	assert_true(advisor_effort(&i) < advisor_effort(&l));
	assert_true(advisor_effort(&l) < advisor_effort(&r));
	assert_true(advisor_effort(&r) == advisor_effort(&n));
}

static void
saving_estimates(void **state)
{
	struct finding own = mk("select_star", "rewrite", 1, 1, 0.5, 1234);
	struct finding idx = mk("missing_index", "index", 1, 1, 0.5, NAN);
	struct finding par = mk("work_mem_role", "parameter", 0, 0, 0.5, NAN);
	struct finding reg = mk(FINDING_REGRESSION_MEAN_TIME, NULL, 1, 1, 0.9, NAN);
	struct finding none = mk("x", "index", 1, 1, 0.5, NAN);

	(void)state;
	assert_true(advisor_saving(&own, 1e6, 1e9) == 1234);	      /* its own estimate */
	assert_true(fabs(advisor_saving(&idx, 1000, 1e9) - 500) < 1e-9); /* half the time */
	assert_true(fabs(advisor_saving(&par, 1000, 1e6) - 5e4) < 1e-6); /* of the server */
	reg.severity_ratio = 4; /* 4x slower: three quarters of its time is the regression */
	assert_true(fabs(advisor_saving(&reg, 1000, 1e9) - 750) < 1e-9);
	assert_true(isnan(advisor_saving(&none, NAN, NAN)));
}

static void
record_factor_moves_with_outcomes(void **state)
{
	(void)state;
	assert_true(fabs(advisor_record_factor(0, 0, 0) - 1) < 1e-12);
	assert_true(advisor_record_factor(1, 0, 0) > 1);
	assert_true(advisor_record_factor(0, 1, 0) < 1);
	assert_true(advisor_record_factor(0, 0, 1) < 1);
	assert_true(fabs(advisor_record_factor(1, 1, 0) - 0.9) < 1e-12);
	/* bounded both ways */
	assert_true(advisor_record_factor(1000, 0, 0) <= 1.3);
	assert_true(advisor_record_factor(0, 1000, 1000) >= 0.5);
}

static void
merge_one_story_per_statement(void **state)
{
	struct finding f[4];
	struct recommendation *r;
	int n;

	(void)state;
	/* statement 7: an N+1 loop and a missing index, two fixes of one story */
	f[0] = mk("n_plus_one", "n_plus_one", 1, 7, 0.8, 2000);
	f[1] = mk("missing_index", "index", 1, 7, 0.6, 3000);
	/* statement 3: SELECT * */
	f[2] = mk("select_star", "rewrite", 1, 3, 0.5, 100);
	/* good news is no recommendation, nor an hour of fewer calls than usual */
	f[3] = mk(FINDING_IMPROVEMENT_MEAN_TIME, NULL, 1, 9, 0.9, NAN);
	n = advisor_merge(f, 4, ms_day, NULL, &r);
	assert_int_equal(n, 2);
	assert_true(r[0].has_queryid && r[0].queryid == 7);
	assert_int_equal(r[0].n_fixes, 2);
	/* the index: 3000 x 0.6 / 2 beats the loop's 2000 x 0.8 / 5 */
	assert_string_equal(r[0].rule, "missing_index");
	assert_int_equal(r[0].fixes[0], 1);
	assert_int_equal(r[0].fixes[1], 0);
	assert_true(r[0].saving_ms_per_day == 3000); /* the best fix's, not the sum */
	/* a second finding makes it surer: 1 - 0.4 x (1 - 0.4) */
	assert_true(fabs(r[0].confidence - 0.76) < 1e-9);
	assert_true(fabs(r[0].score - 3000 * 0.76 / 2) < 1e-6);
	assert_string_equal(r[0].state, "new");
	assert_true(r[1].queryid == 3);
	recommendations_free(r, n);
}

static void
drops_are_not_recommendations(void **state)
{
	struct finding up = mk(FINDING_ANOMALY_CALLS, NULL, 1, 5, 0.9, NAN);
	struct finding down = mk(FINDING_ANOMALY_CALLS, NULL, 1, 6, 0.9, NAN);
	struct finding slow = mk(FINDING_ANOMALY_MEAN_TIME, NULL, 1, 7, 0.9, NAN);

	(void)state;
	up.observed = 900, up.expected = 300;
	down.observed = 100, down.expected = 300;
	slow.observed = 30, slow.expected = 10;
	assert_true(advisor_actionable(&up));
	assert_false(advisor_actionable(&down));
	assert_true(advisor_actionable(&slow));
}

static void
merge_server_findings(void **state)
{
	struct finding f[3];
	struct recommendation *r;
	int n;

	(void)state;
	char ta[] = "work_mem for role a", tb[] = "work_mem for role b";

	f[0] = mk("work_mem_role", "parameter", 0, 0, 0.7, NAN);
	f[0].title = ta;
	f[1] = mk("work_mem_role", "parameter", 0, 0, 0.6, NAN);
	f[1].title = ta;
	f[2] = mk("work_mem_role", "parameter", 0, 0, 0.6, NAN);
	f[2].title = tb;
	n = advisor_merge(f, 3, ms_day, NULL, &r);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].n_fixes + r[1].n_fixes, 3);
	assert_string_not_equal(r[0].id, r[1].id);
	recommendations_free(r, n);
}

static void
ranking_costlier_first_and_stable(void **state)
{
	struct finding f[4];
	struct recommendation *r, *again;
	int n;

	(void)state;
	/* the same rule on statements of 1, 50 and 10 seconds a day; two equal ones */
	f[0] = mk("select_star", "rewrite", 1, 1, 0.5, NAN);
	f[1] = mk("select_star", "rewrite", 1, 50, 0.5, NAN);
	f[2] = mk("select_star", "rewrite", 1, 10, 0.5, NAN);
	f[3] = mk("select_star", "rewrite", 1, 10, 0.5, NAN);
	n = advisor_merge(f, 4, ms_day, NULL, &r);
	assert_int_equal(n, 3);
	assert_true(r[0].queryid == 50 && r[1].queryid == 10 && r[2].queryid == 1);
	assert_true(r[0].score > r[1].score && r[1].score > r[2].score);
	/* the same findings in another order: the same ids in the same order */
	struct finding g[4] = {f[2], f[0], f[3], f[1]};

	assert_int_equal(advisor_merge(g, 4, ms_day, NULL, &again), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(r[i].id, again[i].id);
	recommendations_free(r, n);
	recommendations_free(again, 3);
}

static void
ties_broken_by_id(void **state)
{
	struct finding f[2];
	struct recommendation *r;

	(void)state;
	/* equal score and saving: the smaller id first */
	f[0] = mk("select_star", "rewrite", 1, 5, 0.5, 100);
	f[1] = mk("select_star", "rewrite", 1, 6, 0.5, 100);
	assert_int_equal(advisor_merge(f, 2, ms_day, NULL, &r), 2);
	assert_true(strcmp(r[0].id, r[1].id) < 0);
	recommendations_free(r, 2);
}

static void
id_is_the_statement(void **state)
{
	struct finding a = mk("select_star", "rewrite", 1, 42, 0.5, NAN);
	struct finding b = mk("missing_index", "index", 1, 42, 0.5, NAN);
	char x[REC_ID_LEN], y[REC_ID_LEN], z[REC_ID_LEN];

	(void)state;
	advisor_rec_id(1, 42, &a, x);
	advisor_rec_id(1, 42, &b, y);
	advisor_rec_id(1, 43, &a, z);
	assert_string_equal(x, y); /* one story per statement, whatever its fixes */
	assert_string_not_equal(x, z);
	assert_int_equal(strlen(x), 17);
	assert_true(x[0] == 'r');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(effort_by_kind_of_fix),
		cmocka_unit_test(saving_estimates),
		cmocka_unit_test(record_factor_moves_with_outcomes),
		cmocka_unit_test(merge_one_story_per_statement),
		cmocka_unit_test(merge_server_findings),
		cmocka_unit_test(drops_are_not_recommendations),
		cmocka_unit_test(ranking_costlier_first_and_stable),
		cmocka_unit_test(ties_broken_by_id),
		cmocka_unit_test(id_is_the_statement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
