/*
 * One table of the report as CSV (RFC 4180): a header row, CRLF line ends, a field quoted
 * when it holds a comma, a quote or a line end. A text that a spreadsheet would take for
 * a formula (it starts with =, +, -, @, a tab or a CR) gets a leading single quote and is
 * quoted; the numbers pgmltop writes itself are left as they are.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "report.h"

const char *const report_csv_tables[] = {"statements", "findings",	  "patterns",
					 "parameters", "settings_changes", "hours",
					 NULL};

/* A text field: neutralised, quoted when needed, invalid UTF-8 as U+FFFD. */
static void
csv_text(FILE *out, const char *s)
{
	const char *p;
	int quote, neutralise;

	if (s == NULL)
		return;
	neutralise = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	/* a neutralised cell is quoted too, so that no reader drops the quote or the tab */
	quote = neutralise || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', out);
	if (neutralise)
		fputc('\'', out);
	for (p = s; *p;) {
		int n;

		if (*p == '"') {
			fputs("\"\"", out);
			p++;
			continue;
		}
		n = report_utf8_len(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, out);
		p += n;
	}
	if (quote)
		fputc('"', out);
}

static void
sep(FILE *out)
{
	fputc(',', out);
}

static void
end_row(FILE *out)
{
	fputs("\r\n", out);
}

/* A number; empty when there is none. */
static void
csv_num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.3f", v);
}

static void
csv_int(FILE *out, long long v)
{
	fprintf(out, "%lld", v);
}

static void
csv_qid(FILE *out, int has_queryid, int64_t queryid)
{
	if (has_queryid)
		fprintf(out, "%lld", (long long)queryid);
}

static void
csv_time(FILE *out, double ts)
{
	char buf[32];

	report_utc_time(buf, sizeof buf, ts);
	fputs(buf, out);
}

static void
head(FILE *out, const char *names)
{
	fputs(names, out);
	end_row(out);
}

static void
statements(const struct report *r, FILE *out)
{
	int i;

	head(out, "queryid,toplevel,calls,total_ms,mean_ms,max_ms,rows,shared_blks_hit,"
		  "shared_blks_read,temp_blks_written,query");
	for (i = 0; i < r->n_stmts; i++) {
		const struct stmt_total *s = &r->stmts[i];

		csv_qid(out, 1, s->queryid);
		fprintf(out, ",%s,%lld,", s->toplevel ? "true" : "false", (long long)s->calls);
		csv_num(out, s->total_ms);
		sep(out);
		csv_num(out, s->calls > 0 ? s->total_ms / (double)s->calls : 0);
		sep(out);
		csv_num(out, s->max_ms);
		fprintf(out, ",%lld,%lld,%lld,%lld,", (long long)s->rows,
			(long long)s->shared_blks_hit, (long long)s->shared_blks_read,
			(long long)s->temp_blks_written);
		csv_text(out, s->query);
		end_row(out);
	}
}

static void
findings(const struct report *r, FILE *out)
{
	int i;

	head(out, "rule,category,severity,queryid,metric,from,to,hours,observed,expected,low,"
		  "high,severity_ratio,score,confidence,est_saving_ms_per_day,title,detail,"
		  "suggestion,evidence");
	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];
		struct strbuf title = {0};

		csv_text(out, f->rule);
		sep(out);
		csv_text(out, f->category != NULL ? f->category : "anomaly");
		sep(out);
		csv_text(out, f->severity);
		sep(out);
		csv_qid(out, f->has_queryid, f->queryid);
		sep(out);
		csv_text(out, f->metric);
		sep(out);
		csv_time(out, f->from);
		sep(out);
		csv_time(out, f->to);
		sep(out);
		csv_int(out, f->hours);
		sep(out);
		csv_num(out, f->observed);
		sep(out);
		csv_num(out, f->expected);
		sep(out);
		csv_num(out, f->low);
		sep(out);
		csv_num(out, f->high);
		sep(out);
		csv_num(out, f->severity_ratio);
		sep(out);
		csv_num(out, f->score);
		sep(out);
		csv_num(out, f->confidence);
		sep(out);
		csv_num(out, f->saving_ms_per_day);
		sep(out);
		/* the anomalies have no title of their own: the one the other formats show */
		report_finding_title(&title, f);
		csv_text(out, sb_str(&title));
		sb_release(&title);
		sep(out);
		csv_text(out, f->detail);
		sep(out);
		csv_text(out, f->suggestion);
		sep(out);
		csv_text(out, f->evidence);
		end_row(out);
	}
}

static void
patterns(const struct report *r, FILE *out)
{
	static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	int i;

	head(out, "queryid,pattern_type,metric,hour,hour_to,weekday,height,recurrence,"
		  "consistency,confidence,observed,occurrences,first,last,description");
	for (i = 0; i < r->n_patterns; i++) {
		const struct report_pattern *rp = &r->patterns[i];
		const struct pattern *p = &rp->p;
		struct strbuf sb = {0};

		csv_qid(out, rp->has_queryid, rp->queryid);
		sep(out);
		csv_text(out, pattern_type_name(p->type));
		sep(out);
		csv_text(out, rp->metric != NULL ? rp->metric : "calls");
		sep(out);
		if (p->type == PAT_HOUR_PEAK || p->type == PAT_QUIET_HOURS ||
		    p->type == PAT_HOUR_OF_WEEK_PEAK)
			csv_int(out, p->hour);
		sep(out);
		if (p->type == PAT_QUIET_HOURS)
			csv_int(out, p->hour_to);
		sep(out);
		if (p->wday >= 0 && p->wday < 7)
			fputs(days[p->wday], out);
		sep(out);
		csv_num(out, p->height);
		sep(out);
		csv_num(out, p->recurrence);
		sep(out);
		csv_num(out, p->consistency);
		sep(out);
		csv_num(out, p->confidence);
		sep(out);
		csv_int(out, p->observed);
		sep(out);
		csv_int(out, p->occurrences);
		sep(out);
		csv_time(out, p->first);
		sep(out);
		csv_time(out, p->last);
		sep(out);
		report_pattern_text(&sb, rp);
		csv_text(out, sb_str(&sb));
		sb_release(&sb);
		end_row(out);
	}
}

static void
parameters(const struct report *r, FILE *out)
{
	int i;

	head(out, "name,current,recommended,confidence,rule,scope,statement,evidence");
	for (i = 0; i < r->params.n_recs; i++) {
		const struct param_rec *p = &r->params.recs[i];

		csv_text(out, p->name);
		sep(out);
		csv_text(out, p->current);
		sep(out);
		csv_text(out, p->recommended);
		sep(out);
		csv_num(out, p->confidence);
		sep(out);
		csv_text(out, p->rule);
		sep(out);
		csv_text(out, p->scope);
		sep(out);
		csv_text(out, p->statement);
		sep(out);
		csv_text(out, p->evidence);
		end_row(out);
	}
}

/* One row per measured effect; a change without one has a row with those cells empty. */
static void
settings_changes(const struct report *r, FILE *out)
{
	int i, k;

	head(out, "name,from,to,ts,source,pending_restart,statements_tested,note,"
		  "effect_queryid,effect_metric,effect_hours,before,after,ratio,low,high,effect");
	for (i = 0; i < r->params.n_changes; i++) {
		const struct param_change *c = &r->params.changes[i];

		for (k = 0; k < (c->n_effects > 0 ? c->n_effects : 1); k++) {
			csv_text(out, c->name);
			sep(out);
			csv_text(out, c->from);
			sep(out);
			csv_text(out, c->to);
			sep(out);
			csv_time(out, c->ts);
			sep(out);
			csv_text(out, c->source);
			fprintf(out, ",%s,%d,", c->pending_restart ? "true" : "false", c->tested);
			csv_text(out, c->note);
			if (c->n_effects == 0) {
				fputs(",,,,,,,,,", out);
			} else {
				const struct param_effect *e = &c->effects[k];

				sep(out);
				csv_qid(out, e->has_queryid, e->queryid);
				sep(out);
				csv_text(out, e->metric);
				sep(out);
				csv_int(out, e->r.pairs);
				sep(out);
				csv_num(out, e->r.before);
				sep(out);
				csv_num(out, e->r.after);
				sep(out);
				csv_num(out, e->r.ratio);
				sep(out);
				csv_num(out, e->r.low);
				sep(out);
				csv_num(out, e->r.high);
				sep(out);
				fputs(report_effect_word(e), out);
			}
			end_row(out);
		}
	}
}

/* The server's hours (report_add_series): empty without them. */
static void
hours(const struct report *r, FILE *out)
{
	const struct stmt_series *s = &r->load;
	int i;

	head(out, "hour,sampled,calls,total_ms,mean_ms");
	for (i = 0; i < s->n_hours; i++) {
		double calls = s->n_stmts > 0 ? s->calls[i] : 0;
		double ms = s->n_stmts > 0 ? s->total_ms[i] : 0;

		csv_time(out, (double)((s->h0 + i) * 3600));
		if (!s->sampled[i]) {
			fputs(",false,,,", out);
			end_row(out);
			continue;
		}
		fputs(",true,", out);
		fprintf(out, "%.0f,", calls);
		csv_num(out, ms);
		sep(out);
		if (calls > 0)
			csv_num(out, ms / calls);
		end_row(out);
	}
}

int
report_write_csv(const struct report *r, const char *table, FILE *out)
{
	if (table == NULL || strcmp(table, "statements") == 0)
		statements(r, out);
	else if (strcmp(table, "findings") == 0)
		findings(r, out);
	else if (strcmp(table, "patterns") == 0)
		patterns(r, out);
	else if (strcmp(table, "parameters") == 0)
		parameters(r, out);
	else if (strcmp(table, "settings_changes") == 0)
		settings_changes(r, out);
	else if (strcmp(table, "hours") == 0)
		hours(r, out);
	else
		return -1;
	return ferror(out) ? -1 : 0;
}
