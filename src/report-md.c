/*
 * The report as GitHub-flavoured Markdown: the sections of the HTML page as text tables.
 * Strings from the server go into table cells escaped (so that no pipe ends a cell and no
 * tag or link is made), or into code spans and fenced blocks whose fence is longer than
 * any run of backticks in the text, so that a text cannot close them.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heatmap.h"
#include "forecast.h"
#include "report.h"

#define TOP_ROWS 10
#define TOP_TOTAL_ROWS 20
#define SHORT_QUERY 120

/* The longest run of backticks in s. */
static size_t
backtick_run(const char *s)
{
	size_t run = 0, max = 0;

	for (; s != NULL && *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	return max;
}

/*
 * One character of s (advanced): invalid UTF-8 as U+FFFD, control characters other than
 * those the caller handles as \xNN. Returns 0 when it wrote nothing (the caller's turn).
 */
static int
put_char(FILE *out, const char **sp)
{
	const char *s = *sp;
	unsigned char c = (unsigned char)*s;
	int n;

	if (c < 0x20 || c == 0x7f) {
		fprintf(out, "\\x%02x", c);
		*sp = s + 1;
		return 1;
	}
	n = report_utf8_len(s);
	if (n == 0) {
		fputs("\xef\xbf\xbd", out);
		*sp = s + 1;
		return 1;
	}
	fwrite(s, 1, (size_t)n, out);
	*sp = s + n;
	return 1;
}

/*
 * Text on one line, with nothing that Markdown would read: each blank run one space,
 * pipes and the characters of emphasis, links and code escaped with a backslash, and
 * HTML's special characters as entities. At most max characters (0: all).
 */
static void
md_text_n(FILE *out, const char *s, size_t max)
{
	size_t chars = 0;
	int blank = 0;

	if (s == NULL || *s == '\0') {
		fputs("-", out);
		return;
	}
	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			blank = 1;
			s++;
			continue;
		}
		if (blank) {
			blank = 0;
			if (chars > 0) {
				fputc(' ', out);
				chars++;
			}
		}
		if (max > 0 && chars >= max) {
			fputs("\xe2\x80\xa6", out);
			return;
		}
		chars++;
		switch (c) {
		case '&':
			fputs("&amp;", out);
			s++;
			continue;
		case '<':
			fputs("&lt;", out);
			s++;
			continue;
		case '>':
			fputs("&gt;", out);
			s++;
			continue;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '|':
		case '~':
		case '#':
		case '!':
			fputc('\\', out);
			fputc(c, out);
			s++;
			continue;
		default:
			break;
		}
		put_char(out, &s);
	}
}

static void
md_text(FILE *out, const char *s)
{
	md_text_n(out, s, 0);
}

/*
 * A code span on one line. In a table cell a pipe must be escaped even inside a code
 * span (GFM reads the cells first); elsewhere it must not be.
 */
static void
md_code_n(FILE *out, const char *s, int in_table, size_t max)
{
	size_t fence, i, chars = 0, slashes = 0;
	int blank = 0;

	if (s == NULL || *s == '\0') {
		fputs("-", out);
		return;
	}
	fence = backtick_run(s) + 1;
	for (i = 0; i < fence; i++)
		fputc('`', out);
	/* one space each side: Markdown strips it, and a text starting with ` is safe */
	fputc(' ', out);
	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			blank = 1;
			s++;
			continue;
		}
		if (blank) {
			blank = 0;
			slashes = 0;
			if (chars > 0) {
				fputc(' ', out);
				chars++;
			}
		}
		if (max > 0 && chars >= max) {
			fputs("\xe2\x80\xa6", out);
			break;
		}
		chars++;
		if (c == '|' && in_table) {
			/*
			 * The row is cut into cells before the code span is read, taking a
			 * backslash with the character after it: an odd run of them before
			 * the pipe would take its escape, so it gets one more.
			 */
			fputs(slashes % 2 ? "\\\\|" : "\\|", out);
			slashes = 0;
			s++;
			continue;
		}
		slashes = c == '\\' ? slashes + 1 : 0;
		put_char(out, &s);
	}
	fputc(' ', out);
	for (i = 0; i < fence; i++)
		fputc('`', out);
}

static void
md_code(FILE *out, const char *s, int in_table)
{
	md_code_n(out, s, in_table, 0);
}

/* A fenced block, lines kept: the text cannot hold a line that closes the fence. */
static void
md_fence(FILE *out, const char *s, const char *lang)
{
	size_t fence = backtick_run(s) + 1, i;
	int at_start = 1;

	if (fence < 3)
		fence = 3;
	for (i = 0; i < fence; i++)
		fputc('`', out);
	fprintf(out, "%s\n", lang);
	while (s != NULL && *s) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r' || c == '\n') {
			/* CRLF and a lone CR end a line as LF does */
			s += c == '\r' && s[1] == '\n' ? 2 : 1;
			fputc('\n', out);
			at_start = 1;
			continue;
		}
		if (c == '\t') {
			fputc('\t', out);
			s++;
		} else {
			put_char(out, &s);
		}
		at_start = 0;
	}
	if (!at_start)
		fputc('\n', out);
	for (i = 0; i < fence; i++)
		fputc('`', out);
	fputs("\n\n", out);
}

/* Lines of text as a paragraph: each line escaped, ended with a hard break. */
static void
md_lines(FILE *out, const char *s)
{
	const char *p = s;

	while (p != NULL && *p) {
		size_t n = strcspn(p, "\r\n");
		char *line = xstrndup(p, n);

		const char *t = line + strspn(line, " \t");

		if (*t != '\0') {
			/* a line must not start a list, a quote or a heading underline */
			size_t digits = strspn(t, "0123456789");

			if (strchr("-+=>", *t) != NULL) {
				fputc('\\', out);
				fputc(*t++, out);
			} else if (digits > 0 && (t[digits] == '.' || t[digits] == ')')) {
				fwrite(t, 1, digits, out);
				fputc('\\', out);
				fputc(t[digits], out);
				t += digits + 1;
			}
			if (*t != '\0')
				md_text(out, t);
			fputs("  \n", out);
		}
		free(line);
		p += n;
		p += strspn(p, "\r\n");
	}
	fputc('\n', out);
}

static void
row_start(FILE *out)
{
	fputs("|", out);
}

static void
cell_count(FILE *out, double v)
{
	char buf[48];

	report_count(buf, sizeof buf, v);
	fprintf(out, " %s |", buf);
}

static void
cell_ms(FILE *out, double ms)
{
	char buf[32];

	report_ms(buf, sizeof buf, ms);
	fprintf(out, " %s |", buf);
}

static void
cell_num(FILE *out, double v, int decimals)
{
	if (!isfinite(v))
		fputs(" - |", out);
	else
		fprintf(out, " %.*f |", decimals, v);
}

static void
cell_time(FILE *out, double ts)
{
	char buf[48];

	report_local_time(buf, sizeof buf, ts);
	fprintf(out, " %s |", buf);
}

static void
cell_text(FILE *out, const char *s)
{
	fputc(' ', out);
	md_text(out, s);
	fputs(" |", out);
}

static void
cell_qid(FILE *out, int has_queryid, int64_t queryid)
{
	if (has_queryid)
		fprintf(out, " `%lld` |", (long long)queryid);
	else
		fputs(" server |", out);
}

/* A header row and its delimiter row: "l" or "r" per column. */
static void
table_head(FILE *out, const char *const *names, const char *align)
{
	int i;

	fputs("|", out);
	for (i = 0; names[i] != NULL; i++)
		fprintf(out, " %s |", names[i]);
	fputs("\n|", out);
	for (i = 0; names[i] != NULL; i++)
		fputs(align[i] == 'r' ? " ---: |" : " --- |", out);
	fputc('\n', out);
}

/* Eight levels of a value between 0 and max, as block characters. */
static void
sparkline(FILE *out, const double *v, const unsigned char *ok, int n)
{
	static const char *const bars[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
					    "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
					    "\xe2\x96\x87", "\xe2\x96\x88"};
	double max = 0;
	int i;

	for (i = 0; i < n; i++)
		if (ok[i] && isfinite(v[i]) && v[i] > max)
			max = v[i];
	fputs("`", out);
	for (i = 0; i < n; i++) {
		if (!ok[i] || !isfinite(v[i])) {
			fputs(" ", out);
			continue;
		}
		fputs(bars[max > 0 ? (int)lround(7 * v[i] / max) : 0], out);
	}
	fputs("`", out);
}

/* Daily sums of an hourly series, by local day. */
struct day_sums {
	int n;
	double *t, *calls, *ms;
	unsigned char *ok;
};

static void
day_sums(const struct stmt_series *s, struct day_sums *d)
{
	int i, last = -1, cap;

	memset(d, 0, sizeof *d);
	if (s == NULL || s->n_hours <= 0)
		return;
	cap = s->n_hours / 24 + 3;
	d->t = xcalloc((size_t)cap, sizeof *d->t);
	d->calls = xcalloc((size_t)cap, sizeof *d->calls);
	d->ms = xcalloc((size_t)cap, sizeof *d->ms);
	d->ok = xcalloc((size_t)cap, 1);
	for (i = 0; i < s->n_hours; i++) {
		time_t t = (time_t)((s->h0 + i) * 3600);
		struct tm tm;
		int day;

		if (localtime_r(&t, &tm) == NULL)
			continue;
		day = (int)civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if (day != last) {
			if (d->n >= cap)
				break;
			d->t[d->n++] = (double)t;
			last = day;
		}
		if (!s->sampled[i])
			continue;
		d->ok[d->n - 1] = 1;
		if (s->n_stmts > 0) {
			d->calls[d->n - 1] += s->calls[i];
			d->ms[d->n - 1] += s->total_ms[i];
		}
	}
}

static void
day_sums_free(struct day_sums *d)
{
	free(d->t);
	free(d->calls);
	free(d->ms);
	free(d->ok);
}

static void
summary(const struct report *r, FILE *out)
{
	static const char *const head[] = {"Figure", "Value", NULL};
	double calls = 0, ms = 0;
	int i, advice = 0, anomalies = 0;
	char from[48], to[48], gen[48], buf[64];

	report_local_time(from, sizeof from, r->from);
	report_local_time(to, sizeof to, r->to);
	report_local_time(gen, sizeof gen, r->generated_at);
	fputs("# pgmltop report\n\n", out);
	if (r->has_server) {
		fputs("**Server:** ", out);
		md_text(out, r->server.host);
		fputs(":", out);
		md_text(out, r->server.port);
		fputs(", PostgreSQL ", out);
		md_text(out, r->server.version);
		fputs(" (server ", out);
		md_code(out, r->server.key, 0);
		fputs(")  \n", out);
	}
	fprintf(out, "**Window:** %s to %s (%.0f days), %d sample%s  \n", from, to,
		(r->to - r->from) / 86400.0, r->n_samples, r->n_samples == 1 ? "" : "s");
	fprintf(out, "**Generated:** %s by pgmltop %s; times are local (UTC in the JSON "
		     "report)\n\n",
		gen, PACKAGE_VERSION);
	if (r->simulated_until > r->from) {
		char until[48];

		report_local_time(until, sizeof until, r->simulated_until);
		fprintf(out, "> The history before %s is simulated (pgmltop --simulate), not "
			     "measured.\n\n",
			until);
	}
	fputs("## Summary\n\n", out);
	if (!r->has_server) {
		fputs("The history holds no samples yet.\n\n", out);
		return;
	}
	for (i = 0; i < r->n_stmts; i++) {
		calls += (double)r->stmts[i].calls;
		ms += r->stmts[i].total_ms;
	}
	for (i = 0; i < r->n_findings; i++) {
		if (report_finding_is_anomaly(&r->findings[i]))
			anomalies++;
		else
			advice++;
	}
	table_head(out, head, "lr");
	report_count(buf, sizeof buf, r->n_stmts);
	fprintf(out, "| Statements | %s |\n", buf);
	report_count(buf, sizeof buf, calls);
	fprintf(out, "| Calls | %s |\n", buf);
	report_ms(buf, sizeof buf, ms);
	fprintf(out, "| Execution time | %s |\n", buf);
	report_ms(buf, sizeof buf, calls > 0 ? ms / calls : NAN);
	fprintf(out, "| Mean time per call | %s |\n", buf);
	fprintf(out, "| Recommendations | %d |\n", advice);
	fprintf(out, "| Anomalies and changes of level | %d |\n", anomalies);
	fprintf(out, "| Workload patterns | %d |\n", r->n_patterns);
	fprintf(out, "| Settings to change | %d |\n\n", r->params.n_recs);
}

static void
load_section(const struct report *r, FILE *out)
{
	static const char *const head[] = {"Day", "Calls", "Execution time", "Mean time",
					   NULL};
	struct day_sums d;
	int i;

	fputs("## Load over time\n\n", out);
	if (r->load.n_hours <= 0) {
		fputs("No whole hour of history in the window.\n\n", out);
		return;
	}
	day_sums(&r->load, &d);
	fputs("Calls per day: ", out);
	sparkline(out, d.calls, d.ok, d.n);
	fputs("  \nExecution time per day: ", out);
	sparkline(out, d.ms, d.ok, d.n);
	fputs("\n\n", out);
	table_head(out, head, "lrrr");
	for (i = 0; i < d.n; i++) {
		time_t t = (time_t)d.t[i];
		struct tm tm;
		char day[32] = "-";

		if (localtime_r(&t, &tm) != NULL)
			strftime(day, sizeof day, "%Y-%m-%d %a", &tm);
		fprintf(out, "| %s |", day);
		if (!d.ok[i]) {
			fputs(" - | - | - |\n", out);
			continue;
		}
		cell_count(out, d.calls[i]);
		cell_ms(out, d.ms[i]);
		cell_ms(out, d.calls[i] > 0 ? d.ms[i] / d.calls[i] : NAN);
		fputc('\n', out);
	}
	fputc('\n', out);
	day_sums_free(&d);
}

static void
heatmap_table(FILE *out, const struct stmt_series *s, enum heatmap_metric m)
{
	static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	struct heatmap hm;
	int row, col;

	heatmap_build(&hm, HEATMAP_WEEK, m, s->h0, s->n_hours, s->calls, s->total_ms, s->sampled);
	fputs("| |", out);
	for (col = 0; col < HEATMAP_COLS; col++)
		fprintf(out, " %02d |", col);
	fputs("\n| --- |", out);
	for (col = 0; col < HEATMAP_COLS; col++)
		fputs(" ---: |", out);
	fputc('\n', out);
	for (row = 0; row < hm.rows; row++) {
		fprintf(out, "| %s |", wd[hm.row_wday[row] % 7]);
		for (col = 0; col < HEATMAP_COLS; col++) {
			char buf[32];

			heatmap_format(buf, sizeof buf, m, heatmap_at(&hm, row, col));
			fprintf(out, " %s |", buf);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	heatmap_free(&hm);
}

static void
heatmap_section(const struct report *r, FILE *out)
{
	fputs("## When the load comes: hour \xc3\x97 weekday\n\n", out);
	if (r->load.n_hours <= 0) {
		fputs("No whole hour of history in the window.\n\n", out);
		return;
	}
	fputs("Each cell is the mean of that hour of the week over the window.\n\n"
	      "### Calls per hour\n\n",
	      out);
	heatmap_table(out, &r->load, HEATMAP_CALLS);
	fputs("### Execution time per hour\n\n", out);
	heatmap_table(out, &r->load, HEATMAP_TOTAL_MS);
}

static void
top_tables(const struct report *r, FILE *out)
{
	static const char *const head[] = {"#",	    "Query id",	   "Calls",
					   "Total",	    "Mean",	   "Rows/call",
					   "Shared read", "Temp written", "Query",
					   NULL};
	int idx[TOP_TOTAL_ROWS], by, i, n;

	fputs("## Top statements\n\n", out);
	if (r->n_stmts == 0) {
		fputs("No statement ran in the window.\n\n", out);
		return;
	}
	for (by = 0; by < RANK_COUNT; by++) {
		n = report_rank(r, (enum report_rank)by, by == RANK_TOTAL ? TOP_TOTAL_ROWS : TOP_ROWS,
				idx);
		fprintf(out, "### By %s\n\n", report_rank_title((enum report_rank)by));
		if (n == 0) {
			fputs("None in the window.\n\n", out);
			continue;
		}
		table_head(out, head, "rlrrrrrrl");
		for (i = 0; i < n; i++) {
			const struct stmt_total *s = &r->stmts[idx[i]];

			fprintf(out, "| %d |", i + 1);
			cell_qid(out, 1, s->queryid);
			cell_count(out, (double)s->calls);
			cell_ms(out, s->total_ms);
			cell_ms(out, s->calls > 0 ? s->total_ms / (double)s->calls : NAN);
			cell_num(out, s->calls > 0 ? (double)s->rows / (double)s->calls : NAN, 1);
			cell_count(out, (double)s->shared_blks_read);
			cell_count(out, (double)s->temp_blks_written);
			fputc(' ', out);
			if (s->query != NULL)
				md_code_n(out, s->query, 1, SHORT_QUERY);
			else
				fputs("(text not read)", out);
			fputs(" |\n", out);
		}
		fputc('\n', out);
	}
}

/* One finding, as a numbered heading with its figures, statement, suggestion, evidence. */
static void
md_finding(const struct report *r, FILE *out, const struct finding *f, const char *heading)
{
	struct strbuf sb = {0};

	report_finding_title(&sb, f);
	fputs(heading, out);
	md_text(out, sb_str(&sb));
	sb_release(&sb);
	fputs("\n\n", out);
	fputs("**Severity:** ", out);
	md_text(out, f->severity != NULL ? f->severity : "-");
	fputs(" \xc2\xb7 **Category:** ", out);
	md_text(out, f->category != NULL ? f->category : "anomaly");
	fputs(" \xc2\xb7 **Rule:** ", out);
	md_text(out, f->rule);
	fprintf(out, " \xc2\xb7 **Confidence:** %.2f", f->confidence);
	if (isfinite(f->saving_ms_per_day) && f->saving_ms_per_day > 0) {
		char buf[32];

		report_ms(buf, sizeof buf, f->saving_ms_per_day);
		fprintf(out, " \xc2\xb7 **May save:** %s a day", buf);
	}
	if (f->has_queryid)
		fprintf(out, " \xc2\xb7 **Query id:** `%lld`", (long long)f->queryid);
	else
		fputs(" \xc2\xb7 the whole server", out);
	fputs("\n\n", out);
	if (f->detail != NULL)
		md_lines(out, f->detail);
	if (f->has_queryid) {
		const struct stmt_total *s = report_stmt(r, f->queryid);

		if (s != NULL && s->query != NULL) {
			fputs("Statement:\n\n", out);
			md_fence(out, s->query, "sql");
		}
	}
	if (f->suggestion != NULL) {
		fputs("Suggestion:\n\n", out);
		md_fence(out, f->suggestion, "");
	}
	if (f->evidence != NULL) {
		fputs("Evidence:\n\n", out);
		md_fence(out, f->evidence, "json");
	}
}

static void
recommendations(const struct report *r, FILE *out)
{
	int i, n = 0;

	fputs("## Findings and recommendations\n\n", out);
	for (i = 0; i < r->n_recs; i++) {
		const struct recommendation *rec = &r->recs[i];
		char saving[32], head[32];

		if (rec->n_fixes == 0)
			continue;
		report_ms(saving, sizeof saving, rec->saving_ms_per_day);
		snprintf(head, sizeof head, "### %d. ", ++n);
		for (int k = 0; k < rec->n_fixes; k++)
			md_finding(r, out, &r->findings[rec->fixes[k]], k == 0 ? head : "#### Also: ");
		fprintf(out, "**Recommendation** `%s`: score %.0f \xc2\xb7 saves about %s a day \xc2\xb7 "
			     "confidence %.2f \xc2\xb7 effort %.0f \xc2\xb7 state ",
			rec->id, rec->score, saving, rec->confidence, rec->effort);
		md_text(out, rec->state);
		if (rec->outcome != REC_OUTCOME_NONE) {
			fputs(" \xc2\xb7 outcome ", out);
			md_text(out, advisor_outcome_name(rec->outcome));
			if (isfinite(rec->outcome_ratio))
				fprintf(out, " (x%.2f, %.2f to %.2f)", rec->outcome_ratio,
					rec->outcome_low, rec->outcome_high);
		}
		fputs("\n\n", out);
	}
	for (i = 0; r->n_recs == 0 && i < r->n_findings; i++) {
		char head[32];

		if (report_finding_is_anomaly(&r->findings[i]))
			continue;
		snprintf(head, sizeof head, "### %d. ", ++n);
		md_finding(r, out, &r->findings[i], head);
	}
	if (n == 0)
		fputs("No advice: the rules, the N+1 detector, the index and parameter advisors "
		      "found nothing in the window.\n\n",
		      out);
}

static void
forecasts_section(const struct report *r, FILE *out)
{
	static const char *const head[] = {"Of", "Metric", "Model", "MASE", "Coverage 80%",
					   "Peak ahead", "At", NULL};

	fputs("## Forecasts\n\n", out);
	if (r->n_forecasts == 0) {
		fputs("None: the history holds no hourly rows yet.\n\n", out);
		return;
	}
	fputs("The next week, hour by hour, with its 80% interval: the model chosen by backtest, "
	      "its error against the value a week before (MASE below 1 beats it) and how often "
	      "the backtest's values fell inside the interval. The JSON report has every "
	      "point.\n\n",
	      out);
	table_head(out, head, "lllrrrl");
	for (int i = 0; i < r->n_forecasts; i++) {
		const struct report_forecast *rf = &r->forecasts[i];
		const struct forecast *f = &rf->fc;
		char buf[64];
		int peak = 0;

		row_start(out);
		cell_qid(out, rf->has_queryid, rf->queryid);
		cell_text(out, rf->metric);
		if (f->status != FC_OK) {
			snprintf(buf, sizeof buf, "learning: %d of %d hours", f->have, f->need);
			cell_text(out, buf);
			cell_text(out, "");
			cell_text(out, "");
			cell_text(out, "");
			cell_text(out, "");
			fputc('\n', out);
			continue;
		}
		cell_text(out, fc_model_name(f->model));
		cell_num(out, f->eval[f->model].mase, 2);
		snprintf(buf, sizeof buf, "%.0f%%%s", 100 * f->coverage, f->flagged ? " (flagged)" : "");
		cell_text(out, buf);
		for (int k = 1; k < f->horizon; k++)
			if (f->value[k] > f->value[peak])
				peak = k;
		cell_num(out, f->value[peak], strcmp(rf->metric, "calls") == 0 ? 0 : 1);
		cell_time(out, (double)(f->h0 + peak) * 3600);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void
patterns_section(const struct report *r, FILE *out)
{
	static const char *const head[] = {"Of", "Pattern", "Confidence", "First", "Last", NULL};
	int i;

	fputs("## Workload patterns\n\n", out);
	if (r->n_patterns == 0) {
		md_text(out, r->patterns_note != NULL ? r->patterns_note
						      : "None: no hour or day recurs.");
		fputs("\n\n", out);
		return;
	}
	table_head(out, head, "llrll");
	for (i = 0; i < r->n_patterns; i++) {
		const struct report_pattern *rp = &r->patterns[i];
		struct strbuf sb = {0};

		row_start(out);
		cell_qid(out, rp->has_queryid, rp->queryid);
		report_pattern_text(&sb, rp);
		cell_text(out, sb_str(&sb));
		sb_release(&sb);
		cell_num(out, rp->p.confidence, 2);
		cell_time(out, rp->p.first);
		cell_time(out, rp->p.last);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void
anomalies_section(const struct report *r, FILE *out)
{
	static const char *const head[] = {"From",     "Of",    "What",	     "Observed",
					   "Expected", "Ratio", "Confidence", NULL};
	int i, n = 0;

	fputs("## Anomalies and regressions\n\n", out);
	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];
		int calls = f->metric != NULL && strcmp(f->metric, "calls") == 0;
		struct strbuf sb = {0};

		if (!report_finding_is_anomaly(f))
			continue;
		if (n++ == 0)
			table_head(out, head, "lllrrrr");
		row_start(out);
		cell_time(out, f->from);
		cell_qid(out, f->has_queryid, f->queryid);
		report_finding_title(&sb, f);
		cell_text(out, sb_str(&sb));
		sb_release(&sb);
		if (calls) {
			cell_num(out, f->observed, 0);
			cell_num(out, f->expected, 0);
		} else {
			cell_ms(out, f->observed);
			cell_ms(out, f->expected);
		}
		cell_num(out, f->severity_ratio, 2);
		cell_num(out, f->confidence, 2);
		fputc('\n', out);
	}
	if (n == 0)
		md_text(out, r->findings_note != NULL
				     ? r->findings_note
				     : "None: no unusual hour, no change of level that held.");
	fputs("\n\n", out);
}

static void
params_section(const struct report *r, FILE *out)
{
	static const char *const rec_head[] = {"Setting", "Current",    "Recommended",
					       "Scope",   "Confidence", "Statement",
					       NULL};
	static const char *const ch_head[] = {"When",   "Setting", "From", "To",
					      "Source", "Effects", NULL};
	const struct params_model *m = &r->params;
	int i, k;

	fputs("## Parameters\n\n### Advice\n\n", out);
	if (m->n_recs == 0) {
		fputs("No setting to change.\n\n", out);
	} else {
		table_head(out, rec_head, "llllrl");
		for (i = 0; i < m->n_recs; i++) {
			const struct param_rec *p = &m->recs[i];

			fputs("| ", out);
			md_code(out, p->name, 1);
			fputs(" |", out);
			cell_text(out, p->current);
			cell_text(out, p->recommended);
			cell_text(out, p->scope);
			cell_num(out, p->confidence, 2);
			fputc(' ', out);
			md_code(out, p->statement, 1);
			fputs(" |\n", out);
		}
		fputc('\n', out);
	}
	fputs("### Settings changes\n\n", out);
	if (m->n_changes == 0) {
		fputs("No setting changed in the window.\n\n", out);
		return;
	}
	table_head(out, ch_head, "llllll");
	for (i = 0; i < m->n_changes; i++) {
		const struct param_change *c = &m->changes[i];
		struct strbuf sb = {0};

		row_start(out);
		cell_time(out, c->ts);
		fputc(' ', out);
		md_code(out, c->name, 1);
		fputs(" |", out);
		cell_text(out, c->from);
		if (c->pending_restart) {
			sb_add(&sb, c->to != NULL ? c->to : "-");
			sb_add(&sb, " (pending restart)");
			cell_text(out, sb_str(&sb));
			sb_release(&sb);
		} else {
			cell_text(out, c->to);
		}
		cell_text(out, c->source);
		if (c->note != NULL)
			sb_add(&sb, c->note);
		for (k = 0; k < c->n_effects; k++) {
			const struct param_effect *e = &c->effects[k];

			if (sb.len > 0)
				sb_add(&sb, "; ");
			report_effect_text(&sb, e);
		}
		if (c->n_effects == 0 && c->note == NULL)
			sb_addf(&sb, "no effect found (%d statements compared)", c->tested);
		cell_text(out, sb_str(&sb));
		sb_release(&sb);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void
statement_sections(const struct report *r, FILE *out)
{
	static const char *const head[] = {"Calls",	 "Total",	"Mean",
					   "Max",	 "Rows",	"Shared hit",
					   "Shared read", "Temp written", NULL};
	int i, k;

	fputs("## The statements that took the most time\n\n", out);
	if (r->n_series == 0)
		fputs("None in the window.\n\n", out);
	for (i = 0; i < r->n_series; i++) {
		int64_t q = r->series[i].queryid;
		const struct stmt_total *s = report_stmt(r, q);
		struct day_sums d;
		int any = 0;

		if (s == NULL)
			continue;
		fprintf(out, "### %d. Query id `%lld`\n\n", i + 1, (long long)q);
		if (s->query != NULL)
			md_fence(out, s->query, "sql");
		else
			fputs("(the text was never read)\n\n", out);
		table_head(out, head, "rrrrrrrr");
		row_start(out);
		cell_count(out, (double)s->calls);
		cell_ms(out, s->total_ms);
		cell_ms(out, s->calls > 0 ? s->total_ms / (double)s->calls : NAN);
		cell_ms(out, s->max_ms);
		cell_count(out, (double)s->rows);
		cell_count(out, (double)s->shared_blks_hit);
		cell_count(out, (double)s->shared_blks_read);
		cell_count(out, (double)s->temp_blks_written);
		fputs("\n\n", out);
		day_sums(&r->series[i].sums, &d);
		if (d.n > 0) {
			double *mean = xcalloc((size_t)d.n, sizeof *mean);
			unsigned char *ok = xcalloc((size_t)d.n, 1);
			int j;

			for (j = 0; j < d.n; j++) {
				ok[j] = d.ok[j] && d.calls[j] > 0;
				mean[j] = ok[j] ? d.ms[j] / d.calls[j] : NAN;
			}
			fputs("Calls per day: ", out);
			sparkline(out, d.calls, d.ok, d.n);
			fputs("  \nMean time per call, by day: ", out);
			sparkline(out, mean, ok, d.n);
			fputs("\n\n", out);
			free(mean);
			free(ok);
		}
		day_sums_free(&d);
		for (k = 0; k < r->n_patterns; k++) {
			struct strbuf sb = {0};

			if (!r->patterns[k].has_queryid || r->patterns[k].queryid != q)
				continue;
			any = 1;
			report_pattern_text(&sb, &r->patterns[k]);
			fputs("- Pattern: ", out);
			md_text(out, sb_str(&sb));
			fprintf(out, " (confidence %.2f)\n", r->patterns[k].p.confidence);
			sb_release(&sb);
		}
		for (k = 0; k < r->n_findings; k++) {
			struct strbuf sb = {0};

			if (!r->findings[k].has_queryid || r->findings[k].queryid != q)
				continue;
			any = 1;
			report_finding_title(&sb, &r->findings[k]);
			fputs(report_finding_is_anomaly(&r->findings[k]) ? "- Anomaly: " : "- Advice: ",
			      out);
			md_text(out, sb_str(&sb));
			fprintf(out, " (confidence %.2f)\n", r->findings[k].confidence);
			sb_release(&sb);
		}
		if (any)
			fputc('\n', out);
	}
}

int
report_write_md(const struct report *r, FILE *out)
{
	summary(r, out);
	if (r->has_server) {
		load_section(r, out);
		heatmap_section(r, out);
		top_tables(r, out);
		recommendations(r, out);
		patterns_section(r, out);
		anomalies_section(r, out);
		params_section(r, out);
		forecasts_section(r, out);
		statement_sections(r, out);
	}
	return ferror(out) ? -1 : 0;
}
