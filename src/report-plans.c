/*
 * The plans in the report: the plan rules over each statement's latest plan in the
 * window, a change of plan between its two latest captures, and the index advisor's
 * suggestions as hypopg planned them.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explain-ask.h"
#include "indexadv.h"
#include "plan.h"
#include "report.h"

static void
append(struct report *r, struct finding *f, int n)
{
	if (n <= 0)
		return;
	r->findings = xreallocarray(r->findings, (size_t)(r->n_findings + n), sizeof *r->findings);
	memcpy(r->findings + r->n_findings, f, (size_t)n * sizeof *f);
	r->n_findings += n;
}

static void
iso_time(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The finding of a plan that changed between two captures (older a, newer b). */
static void
plan_change(const struct plan_rec *older, const struct plan *a, const struct plan_rec *newer,
	    const struct plan *b, struct finding *f)
{
	char ta[32], tb[32];
	char *sa = plan_shape(a), *sb_ = plan_shape(b);
	struct strbuf ev = {0}, d = {0};

	finding_init(f);
	f->rule = FINDING_PLAN_CHANGE;
	f->metric = "total_cost";
	f->category = "plan";
	f->has_queryid = 1;
	f->queryid = newer->queryid;
	f->from = older->ts;
	f->to = newer->ts;
	f->observed = newer->total_cost;
	f->expected = older->total_cost;
	f->severity_ratio = older->total_cost > 0 ? newer->total_cost / older->total_cost : NAN;
	f->severity = f->severity_ratio >= 2 ? "medium" : "low";
	f->confidence = 0.6;
	iso_time(older->ts, ta, sizeof ta);
	iso_time(newer->ts, tb, sizeof tb);
	f->title = xasprintf("The plan changed between %s and %s", ta, tb);
	sb_addf(&d, "The plan taken at %s differs from the one taken at %s", tb, ta);
	if (!isnan(older->total_cost) && !isnan(newer->total_cost))
		sb_addf(&d, "; its planned cost went from %.2f to %.2f", older->total_cost,
			newer->total_cost);
	sb_add(&d, ". Compare both plans in the statement's plan pane; a worse plan after a"
		   " change of data, statistics or settings often follows a stale ANALYZE.");
	f->detail = sb_detach(&d);
	f->suggestion = xstrdup("Run ANALYZE on the tables of the statement, then take its plan"
				" again; if the old plan was better, look for what changed at that"
				" time (settings, indexes, data volume).");
	sb_add(&ev, "{\"before\": {\"taken_at\": ");
	sb_add_json(&ev, ta);
	sb_addf(&ev, ", \"method\": ");
	sb_add_json(&ev, older->method);
	if (isnan(older->total_cost))
		sb_add(&ev, ", \"total_cost\": null");
	else
		sb_addf(&ev, ", \"total_cost\": %.2f", older->total_cost);
	sb_add(&ev, ", \"shape\": ");
	sb_add_json(&ev, sa);
	sb_add(&ev, "}, \"after\": {\"taken_at\": ");
	sb_add_json(&ev, tb);
	sb_addf(&ev, ", \"method\": ");
	sb_add_json(&ev, newer->method);
	if (isnan(newer->total_cost))
		sb_add(&ev, ", \"total_cost\": null");
	else
		sb_addf(&ev, ", \"total_cost\": %.2f", newer->total_cost);
	sb_add(&ev, ", \"shape\": ");
	sb_add_json(&ev, sb_);
	sb_add(&ev, "}}");
	f->evidence = sb_detach(&ev);
	free(sa);
	free(sb_);
}

/* The index suggestions as hypopg planned them: into their evidence and detail. */
static int
index_checks(struct store *st, struct report *r, struct pgt_err *err)
{
	struct index_check *c = NULL;
	int n = 0;

	if (store_index_checks(st, r->server.id, &c, &n, err) < 0)
		return -1;
	for (int i = 0; i < r->n_findings && n > 0; i++) {
		struct finding *f = &r->findings[i];
		const char *tail = "\"hypothetical\": null}";
		size_t el, tl = strlen(tail);

		if (f->rule == NULL || strcmp(f->rule, FINDING_MISSING_INDEX) != 0 ||
		    f->suggestion == NULL || f->evidence == NULL)
			continue;
		el = strlen(f->evidence);
		if (el < tl || strcmp(f->evidence + el - tl, tail) != 0)
			continue;
		for (int k = 0; k < n; k++) {
			struct strbuf ev = {0};
			char when[32];

			if (c[k].queryid != f->queryid || strcmp(c[k].ddl, f->suggestion) != 0)
				continue;
			iso_time(c[k].ts, when, sizeof when);
			sb_addn(&ev, f->evidence, el - tl);
			sb_add(&ev, "\"hypothetical\": {\"checked_at\": ");
			sb_add_json(&ev, when);
			if (c[k].error != NULL || isnan(c[k].cost_after) || isnan(c[k].cost_before)) {
				sb_add(&ev, ", \"error\": ");
				sb_add_json(&ev, c[k].error != NULL ? c[k].error : "no cost");
				sb_add(&ev, "}}");
			} else {
				char *d;

				sb_addf(&ev,
					", \"cost_before\": %.2f, \"cost_after\": %.2f,"
					" \"used\": %s}}",
					c[k].cost_before, c[k].cost_after, c[k].used ? "true" : "false");
				d = xasprintf("%s Planned with hypopg (the index not built): cost %.2f"
					      " without it, %.2f with it%s.",
					      f->detail != NULL ? f->detail : "", c[k].cost_before,
					      c[k].cost_after,
					      c[k].used ? "" : " (the plan did not use it)");
				free(f->detail);
				f->detail = d;
			}
			free(f->evidence);
			f->evidence = sb_detach(&ev);
			break;
		}
	}
	store_index_checks_free(c, n);
	return 0;
}

int
report_add_plans(struct store *st, struct report *r, const struct plan_rules *pr,
		 struct pgt_err *err)
{
	struct plan_rec *recs = NULL;
	struct rel_stat *rs = NULL;
	struct plan_table_stats *ts = NULL;
	int n_recs = 0, n_ts, i = 0;

	if (!r->has_server)
		return 0;
	if (index_checks(st, r, err) < 0)
		return -1;
	if (store_plans(st, r->server.id, 0, 0, r->from, r->to, 2, &recs, &n_recs, err) < 0)
		return -1;
	n_ts = explain_table_stats(st, r->server.id, &rs, &ts);
	while (i < n_recs) {
		struct pgt_err perr = {{0}};
		int j = i + 1 < n_recs && recs[i + 1].queryid == recs[i].queryid ? i + 1 : -1;
		struct plan *p = plan_parse(recs[i].plan, strlen(recs[i].plan), &perr);

		if (p != NULL) {
			struct plan_issue *iss = NULL;
			struct finding *fs = NULL;
			int n_iss = plan_check(p, pr, ts, n_ts, &iss);
			int n_fs = plan_issues_findings(p, iss, n_iss, 1, recs[i].queryid, &fs);

			for (int k = 0; k < n_fs; k++) {
				fs[k].from = fs[k].to = recs[i].ts;
			}
			append(r, fs, n_fs);
			free(fs);
			plan_issues_free(iss, n_iss);
			if (j >= 0) {
				struct plan *q = plan_parse(recs[j].plan, strlen(recs[j].plan), &perr);

				if (q != NULL && plan_shape_differs(q, p)) {
					struct finding f;

					plan_change(&recs[j], q, &recs[i], p, &f);
					append(r, &f, 1);
				}
				plan_free(q);
			}
			plan_free(p);
		}
		i = j >= 0 ? j + 1 : i + 1;
	}
	free(ts);
	store_rel_stats_free(rs);
	store_plans_free(recs, n_recs);
	report_sort_findings(r);
	return 0;
}
