#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "report.h"

void
json_string(FILE *out, const char *s)
{
	struct strbuf sb = {0};

	sb_add_json(&sb, s);
	fputs(sb_str(&sb), out);
	sb_release(&sb);
}

static void
json_time(FILE *out, double ts)
{
	time_t t;
	struct tm tm;
	char buf[32];

	if (!isfinite(ts) || ts < 0 || ts > 253402300799.0) {
		fputs("null", out);
		return;
	}
	t = (time_t)ts;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		fputs("null", out);
		return;
	}
	fprintf(out, "\"%s\"", buf);
}

static void
json_number(FILE *out, double v)
{
	if (!isfinite(v))
		fputs("null", out);
	else
		fprintf(out, "%.3f", v);
}

static void
json_string_or_null(FILE *out, const char *s)
{
	if (s == NULL)
		fputs("null", out);
	else
		json_string(out, s);
}

/* "recommendations" (the contract's fields, then fixes, outcome) and "track_record" */
static void
write_recs(const struct report *r, FILE *out)
{
	fputs("  \"recommendations\": [", out);
	for (int i = 0; i < r->n_recs; i++) {
		const struct recommendation *rec = &r->recs[i];
		const struct finding *f = rec->n_fixes > 0 ? &r->findings[rec->fixes[0]] : NULL;
		struct strbuf title = {0};

		fputs(i ? ",\n    {\"id\": " : "\n    {\"id\": ", out);
		json_string(out, rec->id);
		fputs(", \"category\": ", out);
		json_string(out, rec->category != NULL ? rec->category : "unknown");
		fputs(", \"rule\": ", out);
		json_string(out, rec->rule != NULL ? rec->rule : "unknown");
		if (rec->has_queryid)
			fprintf(out, ", \"queryid\": \"%lld\"", (long long)rec->queryid);
		else
			fputs(", \"queryid\": null", out);
		if (f != NULL)
			report_finding_title(&title, f);
		else if (rec->title != NULL)
			sb_add(&title, rec->title);
		if (title.len == 0)
			sb_add(&title, "(no longer found)");
		fputs(", \"title\": ", out);
		json_string(out, sb_str(&title));
		fputs(", \"detail\": ", out);
		/* strings always, as the contract has them */
		json_string(out, f != NULL && f->detail != NULL ? f->detail
				 : f != NULL				? sb_str(&title)
									: "No advisor finds it now; kept"
									  " for its state.");
		sb_release(&title);
		fputs(", \"suggestion\": ", out);
		json_string(out, f != NULL && f->suggestion != NULL ? f->suggestion
				 : f != NULL ? "Look into the statement's plan (P on the screen, or"
					       " --explain) and compare it with the plan before; check"
					       " what changed at that hour: a deployment, a setting,"
					       " the data."
					     : "");
		fputs(", \"confidence\": ", out);
		json_number(out, rec->confidence);
		fputs(", \"est_saving_ms_per_day\": ", out);
		json_number(out, rec->saving_ms_per_day);
		fputs(", \"score\": ", out);
		json_number(out, rec->score);
		fputs(", \"state\": ", out);
		json_string(out, rec->state);
		fputs(", \"evidence\": ", out);
		fputs(f != NULL && f->evidence != NULL ? f->evidence : "null", out);
		fputs(", \"effort\": ", out);
		json_number(out, rec->effort);
		fputs(", \"reason\": ", out);
		json_string_or_null(out, rec->reason);
		fputs(", \"changed_at\": ", out);
		json_time(out, rec->changed_at > 0 ? rec->changed_at : NAN);
		fputs(", \"applied_at\": ", out);
		json_time(out, rec->applied_at > 0 ? rec->applied_at : NAN);
		fprintf(out, ", \"reopened\": %s, \"current\": %s", rec->reopened ? "true" : "false",
			rec->from_state_only ? "false" : "true");
		fputs(", \"outcome\": ", out);
		if (rec->outcome == REC_OUTCOME_NONE) {
			fputs("null", out);
		} else {
			fputs("{\"result\": ", out);
			json_string(out, advisor_outcome_name(rec->outcome));
			fputs(", \"metric\": ", out);
			json_string_or_null(out, rec->outcome_metric);
			fprintf(out, ", \"hours\": %d, \"before\": ", rec->outcome_pairs);
			json_number(out, rec->outcome_before);
			fputs(", \"after\": ", out);
			json_number(out, rec->outcome_after);
			fputs(", \"ratio\": ", out);
			json_number(out, rec->outcome_ratio);
			fputs(", \"low\": ", out);
			json_number(out, rec->outcome_low);
			fputs(", \"high\": ", out);
			json_number(out, rec->outcome_high);
			fputs("}", out);
		}
		fputs(", \"fixes\": [", out);
		for (int k = 0; k < rec->n_fixes; k++) {
			const struct finding *x = &r->findings[rec->fixes[k]];
			struct strbuf t = {0};

			report_finding_title(&t, x);
			fputs(k ? ", {\"rule\": " : "{\"rule\": ", out);
			json_string(out, x->rule);
			fputs(", \"category\": ", out);
			json_string(out, x->category != NULL ? x->category : "anomaly");
			fputs(", \"title\": ", out);
			json_string(out, sb_str(&t));
			fputs(", \"suggestion\": ", out);
			json_string_or_null(out, x->suggestion);
			fputs(", \"confidence\": ", out);
			json_number(out, x->confidence);
			fputs(", \"effort\": ", out);
			json_number(out, advisor_effort(x));
			fputs("}", out);
			sb_release(&t);
		}
		fputs("]}", out);
	}
	fputs(r->n_recs ? "\n  ],\n" : "],\n", out);
	fputs("  \"track_record\": [", out);
	for (int i = 0; i < r->n_records; i++) {
		const struct rule_record *t = &r->records[i];

		fputs(i ? ",\n    {\"rule\": " : "\n    {\"rule\": ", out);
		json_string(out, t->rule);
		fprintf(out, ", \"helped\": %d, \"no_effect\": %d, \"dismissed\": %d, \"factor\": ",
			t->helped, t->no_effect, t->dismissed);
		json_number(out, t->factor);
		fputs("}", out);
	}
	fputs(r->n_records ? "\n  ],\n" : "],\n", out);
}

/* "parameters" and "settings_changes" */
static void
write_params(const struct report *r, FILE *out)
{
	const struct params_model *m = &r->params;
	int i, k;

	fputs("  \"parameters\": [", out);
	for (i = 0; i < m->n_recs; i++) {
		const struct param_rec *p = &m->recs[i];

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		json_string(out, p->name);
		fputs(", \"current\": ", out);
		json_string_or_null(out, p->current);
		fputs(", \"recommended\": ", out);
		json_string_or_null(out, p->recommended);
		fputs(", \"confidence\": ", out);
		json_number(out, p->confidence);
		fputs(", \"rule\": ", out);
		json_string_or_null(out, p->rule);
		fputs(", \"scope\": ", out);
		json_string_or_null(out, p->scope);
		fputs(", \"statement\": ", out);
		json_string_or_null(out, p->statement);
		fputs(", \"evidence\": ", out);
		fputs(p->evidence != NULL ? p->evidence : "null", out);
		fputs("}", out);
	}
	fputs(m->n_recs ? "\n  ],\n" : "],\n", out);
	fputs("  \"settings_changes\": [", out);
	for (i = 0; i < m->n_changes; i++) {
		const struct param_change *c = &m->changes[i];

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		json_string(out, c->name);
		fputs(", \"from\": ", out);
		json_string_or_null(out, c->from);
		fputs(", \"to\": ", out);
		json_string_or_null(out, c->to);
		fputs(", \"ts\": ", out);
		json_time(out, c->ts);
		fputs(", \"source\": ", out);
		json_string_or_null(out, c->source);
		fputs(", \"scope\": ", out);
		json_string(out, c->scope != NULL ? c->scope : "system");
		fputs(", \"database\": ", out);
		json_string_or_null(out, c->database);
		fputs(", \"role\": ", out);
		json_string_or_null(out, c->role);
		fprintf(out, ", \"pending_restart\": %s, \"statements_tested\": %d, \"note\": ",
			c->pending_restart ? "true" : "false", c->tested);
		json_string_or_null(out, c->note);
		fputs(", \"effects\": [", out);
		for (k = 0; k < c->n_effects; k++) {
			const struct param_effect *e = &c->effects[k];

			fputs(k ? ",\n      {" : "\n      {", out);
			if (e->has_queryid)
				fprintf(out, "\"queryid\": \"%lld\"", (long long)e->queryid);
			else
				fputs("\"queryid\": null", out);
			fputs(", \"metric\": ", out);
			json_string(out, e->metric);
			fprintf(out, ", \"hours\": %d, \"before\": ", e->r.pairs);
			json_number(out, e->r.before);
			fputs(", \"after\": ", out);
			json_number(out, e->r.after);
			fputs(", \"ratio\": ", out);
			json_number(out, e->r.ratio);
			fputs(", \"low\": ", out);
			json_number(out, e->r.low);
			fputs(", \"high\": ", out);
			json_number(out, e->r.high);
			fprintf(out, ", \"effect\": \"%s\"}",
				!e->r.found ? "none"
				: (isfinite(e->r.ratio) ? e->r.ratio > 1 : e->r.after > e->r.before)
					? "increase"
					: "decrease");
		}
		fputs(c->n_effects ? "\n    ]}" : "]}", out);
	}
	fputs(m->n_changes ? "\n  ],\n" : "],\n", out);
}

static void
write_eval(FILE *out, const struct fc_eval *e)
{
	fputs("\"mase\": ", out);
	json_number(out, e->mase);
	fputs(", \"mae\": ", out);
	json_number(out, e->mae);
	fputs(", \"mape\": ", out);
	json_number(out, e->mape);
	fputs(", \"bias\": ", out);
	json_number(out, e->bias);
	fprintf(out, ", \"points\": %d", e->points);
}

/* "forecasts": one object a series, its points and its backtest */
static void
write_forecasts(const struct report *r, FILE *out)
{
	int i, k;

	fputs("  \"forecasts\": [", out);
	for (i = 0; i < r->n_forecasts; i++) {
		const struct report_forecast *rf = &r->forecasts[i];
		const struct forecast *f = &rf->fc;
		int ok = f->status == FC_OK;

		fputs(i ? ",\n    {" : "\n    {", out);
		if (rf->has_queryid)
			fprintf(out, "\"queryid\": \"%lld\"", (long long)rf->queryid);
		else
			fputs("\"queryid\": null", out);
		fputs(", \"metric\": ", out);
		json_string(out, rf->metric);
		fprintf(out, ", \"status\": \"%s\", \"horizon_hours\": %d", ok ? "ok" : "learning",
			f->horizon);
		if (!ok) {
			fprintf(out, ", \"hours\": %d, \"hours_needed\": %d, \"points\": [],"
				" \"backtest\": {\"mape\": null, \"coverage\": null}}",
				f->have, f->need);
			continue;
		}
		fprintf(out, ", \"model\": \"%s\", \"season_hours\": %d, \"fit_from\": ",
			fc_model_name(f->model), f->season);
		json_time(out, (double)f->fit_h0 * 3600);
		fprintf(out, ", \"restricted\": %s, \"flagged\": %s, \"max_seen\": ",
			f->restricted ? "true" : "false", f->flagged ? "true" : "false");
		json_number(out, f->max_seen);
		fputs(", \"points\": [", out);
		for (k = 0; k < f->horizon; k++) {
			fputs(k ? ",\n      {\"t\": " : "\n      {\"t\": ", out);
			json_time(out, (double)(f->h0 + k) * 3600);
			fputs(", \"value\": ", out);
			json_number(out, f->value[k]);
			fputs(", \"low\": ", out);
			json_number(out, f->low[k]);
			fputs(", \"high\": ", out);
			json_number(out, f->high[k]);
			fputs(", \"low95\": ", out);
			json_number(out, f->low95[k]);
			fputs(", \"high95\": ", out);
			json_number(out, f->high95[k]);
			fputs("}", out);
		}
		fputs("],\n     \"backtest\": {\"mape\": ", out);
		json_number(out, f->eval[f->model].mape);
		fputs(", \"coverage\": ", out);
		json_number(out, f->coverage);
		fputs(", \"coverage95\": ", out);
		json_number(out, f->coverage95);
		fputs(", ", out);
		write_eval(out, &f->eval[f->model]);
		fprintf(out, ", \"origins\": %d, \"naive_mae\": ", f->origins);
		json_number(out, f->scale);
		fputs(", \"rolling_mase\": [", out);
		for (k = 0; k < f->origins; k++) {
			fputs(k ? ", " : "", out);
			json_number(out, f->rolling_mase[k]);
		}
		fputs("], \"models\": {", out);
		for (k = 0; k < FC_N_MODELS; k++) {
			fprintf(out, "%s\"%s\": {", k ? ", " : "", fc_model_name((enum fc_model)k));
			write_eval(out, &f->eval[k]);
			fputs("}", out);
		}
		fputs("}}}", out);
	}
	fputs(r->n_forecasts ? "\n  ]\n" : "]\n", out);
}

int
report_write_json(const struct report *r, FILE *out)
{
	int i;

	fprintf(out, "{\n  \"pgmltop_version\": \"%s\",\n  \"generated_at\": ", PACKAGE_VERSION);
	json_time(out, r->generated_at);
	fputs(",\n  \"window\": {\"from\": ", out);
	json_time(out, r->from);
	fputs(", \"to\": ", out);
	json_time(out, r->to);
	fprintf(out, ", \"samples\": %d, \"simulated_until\": ", r->n_samples);
	if (r->simulated_until > 0)
		json_time(out, r->simulated_until);
	else
		fputs("null", out);
	fputs("},\n  \"server\": ", out);
	if (r->has_server) {
		fputs("{\"id\": ", out);
		json_string(out, r->server.key);
		fputs(", \"version\": ", out);
		json_string(out, r->server.version);
		fputs(", \"host\": ", out);
		json_string(out, r->server.host);
		fputs(", \"port\": ", out);
		json_string(out, r->server.port);
		fputs("}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\n  \"statements\": [", out);
	for (i = 0; i < r->n_stmts; i++) {
		const struct stmt_total *s = &r->stmts[i];

		fprintf(out, "%s\n    {\"queryid\": \"%lld\", \"query\": ", i ? "," : "",
			(long long)s->queryid);
		if (s->query)
			json_string(out, s->query);
		else
			fputs("null", out);
		fprintf(out, ", \"toplevel\": %s, \"calls\": %lld, \"total_ms\": ",
			s->toplevel ? "true" : "false", (long long)s->calls);
		json_number(out, s->total_ms);
		fputs(", \"mean_ms\": ", out);
		json_number(out, s->calls > 0 ? s->total_ms / (double)s->calls : 0);
		fputs(", \"max_ms\": ", out);
		json_number(out, s->max_ms);
		fprintf(out,
			", \"rows\": %lld, \"shared_blks_hit\": %lld, \"shared_blks_read\": %lld,"
			" \"temp_blks_written\": %lld}",
			(long long)s->rows, (long long)s->shared_blks_hit,
			(long long)s->shared_blks_read, (long long)s->temp_blks_written);
	}
	fputs(r->n_stmts ? "\n  ],\n" : "],\n", out);
	fputs("  \"patterns\": [", out);
	for (i = 0; i < r->n_patterns; i++) {
		static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
		const struct report_pattern *rp = &r->patterns[i];
		const struct pattern *p = &rp->p;

		fputs(i ? ",\n    {" : "\n    {", out);
		if (rp->has_queryid)
			fprintf(out, "\"queryid\": \"%lld\"", (long long)rp->queryid);
		else
			fputs("\"queryid\": null", out);
		fprintf(out, ", \"pattern_type\": \"%s\", \"confidence\": ",
			pattern_type_name(p->type));
		json_number(out, p->confidence);
		fputs(", \"metadata\": {\"metric\": ", out);
		json_string(out, rp->metric != NULL ? rp->metric : "calls");
		if (p->type == PAT_HOUR_PEAK || p->type == PAT_QUIET_HOURS ||
		    p->type == PAT_HOUR_OF_WEEK_PEAK)
			fprintf(out, ", \"hour\": %d", p->hour);
		if (p->type == PAT_QUIET_HOURS)
			fprintf(out, ", \"hour_to\": %d", p->hour_to);
		if (p->wday >= 0 && p->wday < 7)
			fprintf(out, ", \"weekday\": \"%s\"", days[p->wday]);
		fputs(", \"height\": ", out);
		json_number(out, p->height);
		fputs(", \"recurrence\": ", out);
		json_number(out, p->recurrence);
		fputs(", \"consistency\": ", out);
		json_number(out, p->consistency);
		fprintf(out, ", \"%s_observed\": %d, \"occurrences\": %d, \"first\": ",
			p->type == PAT_HOUR_PEAK || p->type == PAT_QUIET_HOURS ? "days" : "weeks",
			p->observed, p->occurrences);
		json_time(out, p->first);
		fputs(", \"last\": ", out);
		json_time(out, p->last);
		fputs("}}", out);
	}
	fputs(r->n_patterns ? "\n  ],\n" : "],\n", out);
	if (r->patterns_note != NULL) {
		fputs("  \"patterns_note\": ", out);
		json_string(out, r->patterns_note);
		fputs(",\n", out);
	}
	fputs("  \"findings\": [", out);
	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		fprintf(out, "%s\n    {\"rule\": ", i ? "," : "");
		json_string(out, f->rule);
		if (f->has_queryid)
			fprintf(out, ", \"queryid\": \"%lld\"", (long long)f->queryid);
		else
			fputs(", \"queryid\": null", out);
		fputs(", \"metric\": ", out);
		json_string(out, f->metric);
		fputs(", \"from\": ", out);
		json_time(out, f->from);
		fputs(", \"to\": ", out);
		json_time(out, f->to);
		fprintf(out, ", \"hours\": %d, \"observed\": ", f->hours);
		json_number(out, f->observed);
		fputs(", \"expected\": ", out);
		json_number(out, f->expected);
		fputs(", \"low\": ", out);
		json_number(out, f->low);
		fputs(", \"high\": ", out);
		json_number(out, f->high);
		fputs(", \"severity_ratio\": ", out);
		json_number(out, f->severity_ratio);
		fputs(", \"score\": ", out);
		json_number(out, f->score);
		fputs(", \"confidence\": ", out);
		json_number(out, f->confidence);
		fputs(", \"category\": ", out);
		json_string(out, f->category != NULL ? f->category : "anomaly");
		fputs(", \"severity\": ", out);
		json_string_or_null(out, f->severity);
		fputs(", \"title\": ", out);
		json_string_or_null(out, f->title);
		fputs(", \"detail\": ", out);
		json_string_or_null(out, f->detail);
		fputs(", \"suggestion\": ", out);
		json_string_or_null(out, f->suggestion);
		fputs(", \"est_saving_ms_per_day\": ", out);
		json_number(out, f->saving_ms_per_day);
		/* evidence is the text of an object that its advisor wrote */
		fputs(", \"evidence\": ", out);
		fputs(f->evidence != NULL ? f->evidence : "null", out);
		fputs("}", out);
	}
	fputs(r->n_findings ? "\n  ],\n" : "],\n", out);
	if (r->findings_note != NULL) {
		fputs("  \"findings_note\": ", out);
		json_string(out, r->findings_note);
		fputs(",\n", out);
	}
	write_recs(r, out);
	write_params(r, out);
	write_forecasts(r, out);
	fputs("}\n", out);
	return ferror(out) ? -1 : 0;
}
