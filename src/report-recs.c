/*
 * The recommendations of the report: the findings merged and ranked (src/advisor.h), with
 * what the user did with each (the states kept in the history), the measured outcome of
 * the applied ones, and each rule's record, which moves the confidence of its findings.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advisor.h"
#include "params.h"
#include "plan.h"
#include "report.h"
#include "rules.h"

#define WEEK_H 168

/* The window in days the statements' figures cover (for their time a day). */
static double
window_days(const struct report *r)
{
	double d = (r->to - r->from) / 86400.0;

	return d > 1.0 / 24 ? d : 1.0 / 24;
}

static double
ms_day(void *ctx, int has_queryid, int64_t queryid)
{
	const struct report *r = ctx;
	double sum = 0;

	for (int i = 0; i < r->n_stmts; i++)
		if (!has_queryid || r->stmts[i].queryid == queryid)
			sum += r->stmts[i].total_ms;
	return sum / window_days(r);
}

/* Does the comma-separated list hold the rule? */
static int
listed(const char *list, const char *rule)
{
	size_t n = strlen(rule);

	for (const char *p = list; p != NULL && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, rule, n) == 0)
			return 1;
		p += len + (e ? 1 : 0);
	}
	return 0;
}

/*
 * What the metric of an applied recommendation did in the hours after it was applied,
 * against the same hours of the week before: calls for an N+1 loop (the loop should go),
 * the mean time for the rest; the server's mean time for one on the whole server.
 */
static void
measure(struct store *st, int64_t server_id, const struct rec_state *s, double to,
	struct recommendation *out)
{
	struct pgt_err err = {{0}};
	struct stmt_series ser;
	struct ba_opts o;
	struct ba_result res;
	long long change = (long long)floor(s->applied_at / 3600.0) + 1;
	long long h0 = change - WEEK_H, h1 = (long long)floor(to / 3600.0) - 1;
	int calls = s->category != NULL && strcmp(s->category, "n_plus_one") == 0;
	double *v;

	out->outcome = REC_OUTCOME_PENDING;
	out->outcome_metric = calls ? "calls" : "mean_ms";
	if (h1 < change)
		return;
	if (store_hour_sums(st, server_id, s->has_queryid, s->queryid, h0, h1, &ser, &err) < 0)
		return;
	v = xcalloc((size_t)(ser.n_hours > 0 ? ser.n_hours : 1), sizeof *v);
	for (int h = 0; h < ser.n_hours; h++) {
		double c = ser.n_stmts > 0 ? ser.calls[h] : 0;

		if (!ser.sampled[h])
			v[h] = NAN;
		else if (calls)
			v[h] = c;
		else
			v[h] = c > 0 ? ser.total_ms[h] / c : NAN;
	}
	ba_opts_default(&o);
	o.min_pairs = 24; /* a day of hours after the change, each against its week-ago hour */
	if (params_before_after(v, ser.n_hours, (int)(change - ser.h0), &o, &res) == 0) {
		out->outcome_pairs = res.pairs;
		out->outcome_before = res.before;
		out->outcome_after = res.after;
		out->outcome_ratio = res.ratio;
		out->outcome_low = res.low;
		out->outcome_high = res.high;
		if (!res.found)
			out->outcome = REC_OUTCOME_NO_EFFECT;
		else
			out->outcome = res.after < res.before ? REC_OUTCOME_HELPED : REC_OUTCOME_WORSE;
	} else {
		out->outcome_pairs = res.pairs;
	}
	free(v);
	store_stmt_series_free(&ser);
}

static struct rule_record *
record_of(struct report *r, const char *rule)
{
	for (int i = 0; i < r->n_records; i++)
		if (strcmp(r->records[i].rule, rule) == 0)
			return &r->records[i];
	r->records = xreallocarray(r->records, (size_t)r->n_records + 1, sizeof *r->records);
	memset(&r->records[r->n_records], 0, sizeof *r->records);
	strlcpy_(r->records[r->n_records].rule, rule, sizeof r->records[0].rule);
	return &r->records[r->n_records++];
}

static const char *
static_state(const char *s)
{
	if (s != NULL && strcmp(s, "acknowledged") == 0)
		return "acknowledged";
	if (s != NULL && strcmp(s, "applied") == 0)
		return "applied";
	if (s != NULL && strcmp(s, "dismissed") == 0)
		return "dismissed";
	return "new";
}

int
report_add_recommendations(struct store *st, struct report *r, struct pgt_err *err)
{
	struct rec_state *states = NULL;
	struct recommendation *measured;
	int n_states = 0, n_recs;

	if (!r->has_server)
		return 0;
	if (store_rec_states(st, r->server.id, &states, &n_states, err) < 0)
		return -1;
	/* the outcomes of the applied ones, and the rules' records */
	measured = xcalloc((size_t)(n_states ? n_states : 1), sizeof *measured);
	for (int i = 0; i < n_states; i++) {
		struct rule_record *rec;

		if (strcmp(states[i].state, "applied") == 0 && states[i].applied_at > 0) {
			measure(st, r->server.id, &states[i], r->to, &measured[i]);
			rec = record_of(r, states[i].rule);
			if (measured[i].outcome == REC_OUTCOME_HELPED)
				rec->helped++;
			else if (measured[i].outcome == REC_OUTCOME_NO_EFFECT ||
				 measured[i].outcome == REC_OUTCOME_WORSE)
				rec->no_effect++;
		} else if (strcmp(states[i].state, "dismissed") == 0) {
			record_of(r, states[i].rule)->dismissed++;
		}
	}
	for (int i = 0; i < r->n_records; i++) {
		struct rule_record *rec = &r->records[i];

		rec->factor = advisor_record_factor(rec->helped, rec->no_effect, rec->dismissed);
	}
	/* the record moves the confidence of the rule's findings */
	for (int i = 0; i < r->n_findings; i++) {
		struct finding *f = &r->findings[i];

		for (int k = 0; k < r->n_records; k++)
			if (f->rule != NULL && strcmp(f->rule, r->records[k].rule) == 0 &&
			    isfinite(f->confidence))
				f->confidence = fmin(0.99, f->confidence * r->records[k].factor);
	}
	n_recs = advisor_merge(r->findings, r->n_findings, ms_day, r, &r->recs);
	r->n_recs = n_recs;
	for (int i = 0; i < n_states; i++) {
		const struct rec_state *s = &states[i];
		struct recommendation *rec = NULL;

		for (int k = 0; k < n_recs && rec == NULL; k++)
			if (strcmp(r->recs[k].id, s->id) == 0)
				rec = &r->recs[k];
		if (rec == NULL) {
			/* not made now: applied and gone, or gone on its own */
			r->recs = xreallocarray(r->recs, (size_t)r->n_recs + 1, sizeof *r->recs);
			rec = &r->recs[r->n_recs++];
			memset(rec, 0, sizeof *rec);
			strlcpy_(rec->id, s->id, sizeof rec->id);
			rec->from_state_only = 1;
			rec->rule = NULL;
			rec->category = NULL;
			rec->has_queryid = s->has_queryid;
			rec->queryid = s->queryid;
			rec->title = s->title != NULL ? xstrdup(s->title) : NULL;
			rec->saving_ms_per_day = 0;
			rec->confidence = 0;
			rec->effort = 0;
			rec->score = 0;
			if (strcmp(s->state, "new") == 0 || strcmp(s->state, "acknowledged") == 0)
				rec->outcome = REC_OUTCOME_VANISHED;
		}
		rec->state = static_state(s->state);
		rec->reason = s->reason != NULL ? xstrdup(s->reason) : NULL;
		rec->changed_at = s->changed_at;
		rec->applied_at = s->applied_at;
		if (rec->state[0] == 'a' && rec->state[1] == 'p') {
			rec->outcome = measured[i].outcome;
			rec->outcome_metric = measured[i].outcome_metric;
			rec->outcome_pairs = measured[i].outcome_pairs;
			rec->outcome_before = measured[i].outcome_before;
			rec->outcome_after = measured[i].outcome_after;
			rec->outcome_ratio = measured[i].outcome_ratio;
			rec->outcome_low = measured[i].outcome_low;
			rec->outcome_high = measured[i].outcome_high;
		}
		if (!rec->from_state_only && (strcmp(s->state, "applied") == 0 ||
					      strcmp(s->state, "dismissed") == 0)) {
			/* a fix of a rule it did not have when it was marked opens it again */
			for (int k = 0; k < rec->n_fixes; k++) {
				const char *rule = r->findings[rec->fixes[k]].rule;

				if (s->rules != NULL && !listed(s->rules, rule)) {
					rec->reopened = 1;
					rec->state = "new";
				}
			}
		}
	}
	/* the ones not made now go last, by id: they keep their place in the file */
	free(measured);
	store_rec_states_free(states, n_states);
	return 0;
}

/* The rules of a recommendation's fixes, comma-separated (a new string). */
char *
report_rec_rules(const struct report *r, const struct recommendation *rec)
{
	struct strbuf sb = {0};

	for (int k = 0; k < rec->n_fixes; k++) {
		const char *rule = r->findings[rec->fixes[k]].rule;

		if (listed(sb_str(&sb), rule))
			continue;
		if (sb.len)
			sb_addc(&sb, ',');
		sb_add(&sb, rule);
	}
	return sb_detach(&sb);
}

const struct recommendation *
report_rec_find(const struct report *r, const char *id)
{
	for (int i = 0; i < r->n_recs; i++)
		if (strcmp(r->recs[i].id, id) == 0)
			return &r->recs[i];
	return NULL;
}

static double server_memory = NAN;

void
report_set_server_memory(double bytes)
{
	server_memory = bytes > 0 ? bytes : NAN;
}

int
report_build_all(struct store *st, double now, long days, int series, int hours,
		 struct report *r, struct pgt_err *err)
{
	struct rule_set *rules = rules_new();
	struct param_rules *prules = params_rules_new();
	struct plan_rules *plrules = plan_rules_new();
	int rc = -1;

	memset(r, 0, sizeof *r);
	/* a bad rule stops the report: a report without it would look complete */
	if (rules_load_default(rules, err) < 0 || params_rules_load_default(prules, err) < 0 ||
	    plan_rules_load_default(plrules, err) < 0)
		goto out;
	params_rules_set_memory(prules, server_memory);
	if (report_build(st, now, days, r, err) < 0 ||
	    report_add_rule_findings(st, r, rules, err) < 0 ||
	    report_add_params(st, r, prules, err) < 0 ||
	    report_add_plans(st, r, plrules, err) < 0 ||
	    report_add_forecasts(st, r, err) < 0 ||
	    report_add_recommendations(st, r, err) < 0 ||
	    ((series > 0 || hours) && report_add_series(st, r, series, err) < 0))
		goto out;
	rc = 0;
out:
	rules_free(rules);
	params_rules_free(prules);
	plan_rules_free(plrules);
	return rc;
}
