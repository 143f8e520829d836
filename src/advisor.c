/* The recommendation engine: merge, estimate, score (doc/recommendations.md). */
#include "config.h"

#include "advisor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
advisor_actionable(const struct finding *f)
{
	if (f->rule == NULL || eq(f->rule, FINDING_IMPROVEMENT_MEAN_TIME))
		return 0; /* good news is not a thing to do */
	/* nor is an hour of fewer calls or faster ones than usual: nothing to save */
	if (strncmp(f->rule, "anomaly_", 8) == 0 && isfinite(f->observed) &&
	    isfinite(f->expected) && f->observed < f->expected)
		return 0;
	return 1;
}

double
advisor_effort(const struct finding *f)
{
	const char *c = f->category;

	if (eq(c, "parameter"))
		return 1; /* a SET or an ALTER SYSTEM */
	if (eq(c, "index") || eq(f->rule, "stale_stats"))
		return 2; /* CREATE INDEX CONCURRENTLY, ANALYZE */
	if (eq(c, "rewrite") || eq(c, "n_plus_one"))
		return 5; /* a change in the application, tested and deployed */
	if (eq(c, "forecast"))
		return 4; /* capacity planning */
	return 3;         /* a plan, an anomaly, a regression: to look into first */
}

/* The share of the statement's time a day that a fix of this kind is given. */
static double
default_share(const struct finding *f)
{
	const char *c = f->category;
	double ratio = f->severity_ratio, hours = f->hours > 0 ? f->hours : 1;

	if (c == NULL) {
		/* an anomaly or a change of level: the excess over the usual, for its hours */
		if (!isfinite(ratio) || ratio <= 1)
			return 0;
		if (eq(f->rule, FINDING_REGRESSION_MEAN_TIME))
			return 1 - 1 / ratio;
		return (1 - 1 / ratio) * fmin(1, hours / 168.0);
	}
	if (eq(c, "index"))
		return 0.5;
	if (eq(c, "n_plus_one"))
		return 0.5;
	if (eq(f->rule, "stale_stats"))
		return 0.2;
	if (eq(c, "plan") || eq(c, "rewrite"))
		return 0.3;
	if (eq(c, "parameter"))
		return 0.05;
	return 0.1;
}

double
advisor_saving(const struct finding *f, double stmt_ms_day, double server_ms_day)
{
	double base = f->has_queryid ? stmt_ms_day : server_ms_day;

	if (isfinite(f->saving_ms_per_day) && f->saving_ms_per_day >= 0)
		return f->saving_ms_per_day;
	if (!isfinite(base) || base < 0)
		return NAN;
	return default_share(f) * base;
}

double
advisor_record_factor(int helped, int no_effect, int dismissed)
{
	/* Beta(2, 1): a rule starts trusted at 2/3; each outcome moves its mean */
	double prior = 2.0 / 3.0;
	double mean = (2.0 + helped) / (3.0 + helped + no_effect + dismissed);
	double k = mean / prior;

	return k < 0.5 ? 0.5 : k > 1.3 ? 1.3 : k;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; s != NULL && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
advisor_rec_id(int has_queryid, int64_t queryid, const struct finding *f, char id[REC_ID_LEN])
{
	uint64_t h = 14695981039346656037ULL;
	char q[32];

	if (has_queryid) {
		/* one story per statement, whatever its fixes */
		snprintf(q, sizeof q, "q|%lld", (long long)queryid);
		h = fnv(h, q);
	} else {
		h = fnv(h, "s|");
		h = fnv(h, f->rule);
		h = fnv(h, "|");
		h = fnv(h, f->title != NULL ? f->title : f->suggestion);
	}
	snprintf(id, REC_ID_LEN, "r%016llx", (unsigned long long)h);
}

/* The key findings are grouped by: the statement, or the server's rule and title. */
static int
same_story(const struct finding *a, const struct finding *b)
{
	if (a->has_queryid != b->has_queryid)
		return 0;
	if (a->has_queryid)
		return a->queryid == b->queryid;
	return eq(a->rule, b->rule) &&
	       ((a->title == NULL && b->title == NULL) || eq(a->title, b->title));
}

struct fix_sort {
	int idx;
	double score, saving;
};

static int
cmp_fix(const void *x, const void *y)
{
	const struct fix_sort *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->saving != b->saving)
		return a->saving > b->saving ? -1 : 1;
	return a->idx - b->idx;
}

static int
cmp_rec(const void *x, const void *y)
{
	const struct recommendation *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->saving_ms_per_day != b->saving_ms_per_day)
		return a->saving_ms_per_day > b->saving_ms_per_day ? -1 : 1;
	return strcmp(a->id, b->id);
}

void
advisor_sort(struct recommendation *r, int n)
{
	if (n > 1)
		qsort(r, (size_t)n, sizeof *r, cmp_rec);
}

static double
nz(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

int
advisor_merge(const struct finding *f, int n, double (*ms_day)(void *ctx, int, int64_t),
	      void *ctx, struct recommendation **out)
{
	struct recommendation *recs = NULL;
	unsigned char *done = calloc((size_t)(n > 0 ? n : 1), 1);
	struct fix_sort *fx = calloc((size_t)(n > 0 ? n : 1), sizeof *fx);
	int n_recs = 0;
	double server_day = ms_day(ctx, 0, 0);

	if (done == NULL || fx == NULL)
		fatal("out of memory");
	for (int i = 0; i < n; i++) {
		struct recommendation *r;
		int k = 0;
		double stmt_day, miss = 1;

		if (done[i] || !advisor_actionable(&f[i]))
			continue;
		stmt_day = f[i].has_queryid ? ms_day(ctx, 1, f[i].queryid) : server_day;
		for (int j = i; j < n; j++) {
			double s, c;

			if (done[j] || !advisor_actionable(&f[j]) || !same_story(&f[i], &f[j]))
				continue;
			done[j] = 1;
			s = nz(advisor_saving(&f[j], stmt_day, server_day));
			c = isfinite(f[j].confidence) ? f[j].confidence : 0;
			fx[k].idx = j;
			fx[k].saving = s;
			fx[k].score = s * c / advisor_effort(&f[j]);
			k++;
		}
		qsort(fx, (size_t)k, sizeof *fx, cmp_fix);
		recs = xreallocarray(recs, (size_t)n_recs + 1, sizeof *recs);
		r = &recs[n_recs++];
		memset(r, 0, sizeof *r);
		r->fixes = xcalloc((size_t)k, sizeof *r->fixes);
		r->n_fixes = k;
		for (int j = 0; j < k; j++)
			r->fixes[j] = fx[j].idx;
		r->category = f[fx[0].idx].category != NULL ? f[fx[0].idx].category : "anomaly";
		r->rule = f[fx[0].idx].rule;
		r->has_queryid = f[i].has_queryid;
		r->queryid = f[i].queryid;
		advisor_rec_id(r->has_queryid, r->queryid, &f[fx[0].idx], r->id);
		/* the fixes overlap: the saving is the best one's, not their sum */
		r->saving_ms_per_day = fx[0].saving;
		r->effort = advisor_effort(&f[fx[0].idx]);
		/* more findings on one story make it surer, the first counting whole */
		for (int j = 0; j < k; j++) {
			double c = f[fx[j].idx].confidence;

			c = isfinite(c) ? fmin(fmax(c, 0), 1) : 0;
			miss *= 1 - (j == 0 ? c : 0.5 * c);
		}
		r->confidence = fmin(0.99, 1 - miss);
		r->score = r->saving_ms_per_day * r->confidence / r->effort;
		r->state = "new";
	}
	free(done);
	free(fx);
	advisor_sort(recs, n_recs);
	*out = recs;
	return n_recs;
}

void
recommendations_free_one(struct recommendation *r)
{
	free(r->fixes);
	free(r->reason);
	free(r->title);
	r->fixes = NULL;
	r->reason = r->title = NULL;
	r->n_fixes = 0;
}

void
recommendations_free(struct recommendation *r, int n)
{
	for (int i = 0; i < n && r != NULL; i++)
		recommendations_free_one(&r[i]);
	free(r);
}

const char *
advisor_outcome_name(enum rec_outcome o)
{
	switch (o) {
	case REC_OUTCOME_PENDING:
		return "pending";
	case REC_OUTCOME_HELPED:
		return "helped";
	case REC_OUTCOME_NO_EFFECT:
		return "no_effect";
	case REC_OUTCOME_WORSE:
		return "worse";
	case REC_OUTCOME_VANISHED:
		return "vanished";
	default:
		return NULL;
	}
}
