/*
 * The report as one HTML page that needs nothing else: the style sheet is inline, the
 * charts are SVG drawn here, and there is no script, so the page can be mailed, archived
 * or printed as it is. Every string that came from the server is escaped.
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

/* Rows of each "top statements" table. */
#define TOP_ROWS 10
#define TOP_TOTAL_ROWS 20
/* Characters of a query text in a table cell (the section has it whole). */
#define SHORT_QUERY 160
/* Points of the load chart at most: hours beyond this are averaged in buckets. */
#define CHART_POINTS 1000

static const char style[] =
	":root{--fg:#1d2329;--muted:#5c6670;--line:#d5dbe1;--bg:#ffffff;--band:#f4f6f8;"
	"--accent:#1f5f99;--high:#b3261e;--medium:#b86e00;--low:#3b6e3b}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0 auto;max-width:1200px;padding:1.5rem 2rem 3rem;color:var(--fg);"
	"background:var(--bg);font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'Noto Sans',sans-serif}\n"
	"h1{font-size:1.6rem;margin:0 0 .2rem}\n"
	"h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;"
	"border-bottom:2px solid var(--line)}\n"
	"h3{font-size:1.05rem;margin:1.4rem 0 .4rem}\n"
	"h4{font-size:.9rem;margin:.6rem 0 .2rem;color:var(--muted)}\n"
	"a{color:var(--accent)}\n"
	".sub,.note,.muted{color:var(--muted)}\n"
	".note{font-style:italic}\n"
	"nav{margin:1rem 0;padding:.5rem .8rem;background:var(--band);border-radius:6px;"
	"font-size:.9rem}\n"
	"nav a{margin-right:.9rem;white-space:nowrap}\n"
	".figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));"
	"gap:.6rem;margin:.6rem 0}\n"
	".figure{background:var(--band);border-radius:6px;padding:.5rem .7rem}\n"
	".figure b{display:block;font-size:1.2rem}\n"
	".figure span{color:var(--muted);font-size:.82rem}\n"
	".simulated{border-left:4px solid var(--medium);padding:.3rem .7rem;"
	"background:#fff6e6}\n"
	"table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.88rem}\n"
	"th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;"
	"border-bottom:1px solid var(--line)}\n"
	"th{background:var(--band);font-weight:600;white-space:nowrap}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"code,pre{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}\n"
	"td.q{white-space:nowrap}\n"
	"td.sql code{overflow-wrap:anywhere}\n"
	"pre{white-space:pre-wrap;word-break:break-word;background:var(--band);"
	"padding:.5rem .7rem;border-radius:6px;margin:.3rem 0}\n"
	"pre.evidence{font-size:11.5px;color:var(--muted)}\n"
	".card{border:1px solid var(--line);border-left:5px solid var(--line);"
	"border-radius:6px;padding:.6rem .9rem;margin:.7rem 0;break-inside:avoid}\n"
	".card h3{margin:.2rem 0 .3rem}\n"
	".card.high{border-left-color:var(--high)}\n"
	".card.medium{border-left-color:var(--medium)}\n"
	".card.low{border-left-color:var(--low)}\n"
	".card p{margin:.3rem 0;white-space:pre-line}\n"
	".meta{font-size:.82rem;color:var(--muted)}\n"
	".badge{display:inline-block;padding:0 .45rem;border-radius:3px;color:#fff;"
	"background:var(--muted);font-weight:600;text-transform:uppercase;font-size:.72rem}\n"
	".badge.high{background:var(--high)}.badge.medium{background:var(--medium)}"
	".badge.low{background:var(--low)}\n"
	".chart{width:100%;height:auto;display:block;margin:.2rem 0 .8rem}\n"
	".chart text{font:11px system-ui,sans-serif;fill:var(--muted)}\n"
	".chart .grid{stroke:var(--line);stroke-width:1}\n"
	".chart .axis{stroke:var(--muted);stroke-width:1}\n"
	".chart .area{fill:#1f5f99;fill-opacity:.18;stroke:none}\n"
	".chart .line{fill:none;stroke:#1f5f99;stroke-width:1.4}\n"
	".chart .band{fill:#e08214;fill-opacity:.22;stroke:none}\n"
	".chart .fc{fill:none;stroke:#e08214;stroke-width:1.4;stroke-dasharray:4 2}\n"
	".chart .line.time{stroke:#b3261e}\n"
	".chart .area.time{fill:#b3261e}\n"
	".heat{max-width:840px}\n"
	".heat .empty{fill:#eceff1}\n"
	".spark{width:180px;height:36px;vertical-align:middle}\n"
	".spark .line{fill:none;stroke:#1f5f99;stroke-width:1.3}\n"
	".spark .line.time{stroke:#b3261e}\n"
	".sparks{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.4rem 0}\n"
	".sparks div{font-size:.85rem;color:var(--muted)}\n"
	"article{border-top:1px solid var(--line);padding-top:.4rem;margin-top:1.2rem;"
	"break-inside:avoid-page}\n"
	".placeholder{border:2px dashed var(--line);border-radius:6px;padding:.8rem 1rem;"
	"color:var(--muted)}\n"
	"footer{margin-top:3rem;font-size:.8rem;color:var(--muted)}\n"
	"@media print{body{max-width:none;padding:0;font-size:10.5pt}"
	"nav{display:none}h2{break-after:avoid}h3{break-after:avoid}"
	"table,tr,.card,svg{break-inside:avoid}a{color:inherit;text-decoration:none}"
	"pre{background:none;border:1px solid var(--line)}"
	".figure,th{background:none;border:1px solid var(--line)}"
	"@page{margin:14mm}}\n";

/* ---- escaping ---- */

/*
 * Text for an element or an attribute value: the five special characters as entities,
 * invalid UTF-8 as U+FFFD, other control characters shown as \xNN; newlines and tabs
 * kept unless flat (one line: each blank run becomes one space). At most max characters
 * (0: all), then an ellipsis.
 */
static void
esc_n(FILE *out, const char *s, int flat, size_t max)
{
	size_t chars = 0;
	int blank = 0;

	if (s == NULL)
		return;
	while (*s) {
		unsigned char c = (unsigned char)*s;
		int n;

		if (flat && (c == ' ' || c == '\n' || c == '\t' || c == '\r')) {
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
		case '"':
			fputs("&quot;", out);
			s++;
			continue;
		case '\'':
			fputs("&#39;", out);
			s++;
			continue;
		case '\n':
		case '\t':
			fputc(c, out);
			s++;
			continue;
		case '\r':
			/* CRLF and a lone CR end a line as LF does */
			if (s[1] != '\n')
				fputc('\n', out);
			s++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
			s++;
			continue;
		}
		n = report_utf8_len(s);
		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		fwrite(s, 1, (size_t)n, out);
		s += n;
	}
}

static void
esc(FILE *out, const char *s)
{
	esc_n(out, s, 0, 0);
}

/* A query id's cell: a link to its section when it has one. */
static void
qid_cell(FILE *out, const struct report *r, int has_queryid, int64_t queryid)
{
	if (!has_queryid) {
		fputs("<td class=\"q\">server</td>", out);
		return;
	}
	if (report_series_of(r, queryid) != NULL)
		fprintf(out, "<td class=\"q\"><a href=\"#q%lld\"><code>%lld</code></a></td>",
			(long long)queryid, (long long)queryid);
	else
		fprintf(out, "<td class=\"q\"><code>%lld</code></td>", (long long)queryid);
}

static void
num_cell(FILE *out, double v, int decimals)
{
	if (!isfinite(v))
		fputs("<td class=\"n\">-</td>", out);
	else
		fprintf(out, "<td class=\"n\">%.*f</td>", decimals, v);
}

static void
count_cell(FILE *out, double v)
{
	char buf[48];

	report_count(buf, sizeof buf, v);
	fprintf(out, "<td class=\"n\">%s</td>", buf);
}

static void
ms_cell(FILE *out, double ms)
{
	char buf[32];

	report_ms(buf, sizeof buf, ms);
	fprintf(out, "<td class=\"n\">%s</td>", buf);
}

static void
time_cell(FILE *out, double ts)
{
	char buf[48];

	report_local_time(buf, sizeof buf, ts);
	fprintf(out, "<td>%s</td>", buf);
}

/* ---- charts ---- */

/* A round number at or above v (1, 2 or 5 times a power of ten). */
static double
nice_ceil(double v)
{
	double p, f;

	if (!(v > 0))
		return 1;
	p = pow(10, floor(log10(v)));
	f = v / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void
fmt_value(char *buf, size_t size, enum heatmap_metric m, double v)
{
	if (v == 0) {
		snprintf(buf, size, "0");
	} else if (m == HEATMAP_CALLS) {
		if (v >= 1e6)
			snprintf(buf, size, "%gM", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, size, "%gk", v / 1e3);
		else
			snprintf(buf, size, "%g", v);
	} else {
		report_ms(buf, size, v);
	}
}

/*
 * A line chart of an hourly series (per hour; unsampled hours break the line), with an
 * area under it, the hours averaged in buckets when there are many, day marks on the x
 * axis and a round scale on the y axis.
 */
static void
line_chart(FILE *out, const char *label, const char *cls, enum heatmap_metric m,
	   const double *v, const unsigned char *sampled, long long h0, int n)
{
	const double W = 960, H = 200, L = 72, R = 12, T = 10, B = 28;
	int bucket = (n + CHART_POINTS - 1) / CHART_POINTS, nb, i, k, open, step, days, pass;
	double *bv, max = 0, top, pw = W - L - R, ph = H - T - B;
	long long day0;

	if (bucket < 1)
		bucket = 1;
	nb = (n + bucket - 1) / bucket;
	bv = xcalloc((size_t)nb, sizeof *bv);
	for (k = 0; k < nb; k++) {
		double sum = 0;
		int got = 0;

		for (i = k * bucket; i < n && i < (k + 1) * bucket; i++)
			if (sampled[i]) {
				sum += v[i];
				got++;
			}
		bv[k] = got ? sum / got : NAN;
		if (got && bv[k] > max)
			max = bv[k];
	}
	top = nice_ceil(max);
	fprintf(out,
		"<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
	esc(out, label);
	fputs("\">\n<title>", out);
	esc(out, label);
	fputs("</title>\n", out);
	/* the y scale: four steps */
	for (k = 0; k <= 4; k++) {
		double y = T + ph - ph * k / 4.0;
		char buf[32];

		fmt_value(buf, sizeof buf, m, top * k / 4.0);
		fprintf(out,
			"<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			L, y, W - R, y, L - 6, y + 4, buf);
	}
	/* day marks at local midnight, at most about twelve labelled */
	days = n / 24 + 1;
	step = (days + 11) / 12;
	if (step < 1)
		step = 1;
	day0 = 0;
	for (i = 0; i < n; i++) {
		time_t t = (time_t)((h0 + i) * 3600);
		struct tm tm;
		double x;
		char buf[16];

		if (localtime_r(&t, &tm) == NULL || tm.tm_hour != 0)
			continue;
		x = L + pw * i / (n > 1 ? n - 1 : 1);
		if (day0++ % step != 0)
			continue;
		strftime(buf, sizeof buf, "%m-%d", &tm);
		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
			x, T, x, T + ph + 4, x, H - 8, buf);
	}
	fprintf(out, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", L,
		T + ph, W - R, T + ph);
	/* each run of sampled buckets: an area, then its line */
	for (pass = 0; pass < 2; pass++) {
		fprintf(out, "<path class=\"%s %s\" d=\"", pass == 0 ? "area" : "line", cls);
		open = -1;
		for (k = 0; k <= nb; k++) {
			double x, y;

			if (k == nb || isnan(bv[k])) {
				if (open >= 0 && pass == 0)
					fprintf(out, "L%.1f %.1fL%.1f %.1fZ",
						L + pw * (k - 1) / (nb > 1 ? nb - 1 : 1), T + ph,
						L + pw * open / (nb > 1 ? nb - 1 : 1), T + ph);
				open = -1;
				continue;
			}
			x = L + pw * k / (nb > 1 ? nb - 1 : 1);
			y = T + ph - ph * bv[k] / top;
			if (open < 0) {
				open = k;
				if (pass == 0)
					fprintf(out, "M%.1f %.1fL%.1f %.1f", x, T + ph, x, y);
				else
					fprintf(out, "M%.1f %.1f", x, y);
			} else {
				fprintf(out, "L%.1f %.1f", x, y);
			}
		}
		fputs("\"/>\n", out);
	}
	fputs("</svg>\n", out);
	if (bucket > 1)
		fprintf(out, "<p class=\"muted\">Each point is the mean of %d hours.</p>\n", bucket);
	free(bv);
}

/* The colour of level k of n: light sand through amber to brick red. */
static void
heat_colour(char *buf, size_t size, int k, int n)
{
	static const int stops[3][3] = {{0xf6, 0xf1, 0xdc}, {0xe9, 0xa2, 0x3b}, {0x9e, 0x2a, 0x1c}};
	double t = n > 1 ? (double)k / (n - 1) : 1, f;
	int a = t < 0.5 ? 0 : 1, c[3], i;

	f = t < 0.5 ? t * 2 : (t - 0.5) * 2;
	for (i = 0; i < 3; i++)
		c[i] = (int)lround(stops[a][i] + (stops[a + 1][i] - stops[a][i]) * f);
	snprintf(buf, size, "#%02x%02x%02x", c[0], c[1], c[2]);
}

#define HEAT_LEVELS 8

static void
heatmap_svg(FILE *out, const struct heatmap *hm, const char *label)
{
	static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	const int cw = 30, ch = 20, lx = 44, ty = 18;
	int row, col, k, w = lx + HEATMAP_COLS * cw + 64, h = ty + hm->rows * ch + 44;

	fprintf(out, "<svg class=\"chart heat\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		w, h);
	esc(out, label);
	fputs("\">\n<title>", out);
	esc(out, label);
	fputs("</title>\n", out);
	for (col = 0; col < HEATMAP_COLS; col += 2)
		fprintf(out, "<text x=\"%d\" y=\"12\" text-anchor=\"middle\">%02d</text>",
			lx + col * cw + cw / 2, col);
	fputc('\n', out);
	for (row = 0; row < hm->rows; row++) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", lx - 6,
			ty + row * ch + ch / 2 + 4, wd[hm->row_wday[row] % 7]);
		for (col = 0; col < HEATMAP_COLS; col++) {
			double v = heatmap_at(hm, row, col);
			int lvl = heatmap_level(hm, v, HEAT_LEVELS);
			char colour[16], val[32];

			heatmap_format(val, sizeof val, hm->metric, v);
			if (lvl < 0) {
				fprintf(out,
					"<rect class=\"empty\" x=\"%d\" y=\"%d\" width=\"%d\" "
					"height=\"%d\"><title>%s %02d:00: no history</title></rect>",
					lx + col * cw, ty + row * ch, cw - 2, ch - 2,
					wd[hm->row_wday[row] % 7], col);
				continue;
			}
			heat_colour(colour, sizeof colour, lvl, HEAT_LEVELS);
			fprintf(out,
				"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
				"<title>%s %02d:00: %s</title></rect>",
				lx + col * cw, ty + row * ch, cw - 2, ch - 2, colour,
				wd[hm->row_wday[row] % 7], col, val);
		}
		fputc('\n', out);
	}
	/* the legend: each level's colour with the top of its range */
	for (k = 0; k < HEAT_LEVELS; k++) {
		char colour[16], val[32];
		int x = lx + k * (w - lx) / HEAT_LEVELS, y = ty + hm->rows * ch + 14;

		heat_colour(colour, sizeof colour, k, HEAT_LEVELS);
		heatmap_format(val, sizeof val, hm->metric, heatmap_level_top(hm, k, HEAT_LEVELS));
		fprintf(out,
			"<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">\xe2\x89\xa4 %s</text>",
			x, y, colour, x + 22, y + 10, val);
	}
	fputs("\n</svg>\n", out);
}

/* Daily sums of an hourly series (local days): calls, and time (ms). */
struct days {
	int n;
	double *calls, *ms;
	unsigned char *ok;
};

static void
days_of(const struct stmt_series *s, struct days *d)
{
	int i, last = -1;

	memset(d, 0, sizeof *d);
	if (s == NULL || s->n_hours <= 0)
		return;
	d->calls = xcalloc((size_t)s->n_hours / 24 + 3, sizeof *d->calls);
	d->ms = xcalloc((size_t)s->n_hours / 24 + 3, sizeof *d->ms);
	d->ok = xcalloc((size_t)s->n_hours / 24 + 3, 1);
	for (i = 0; i < s->n_hours; i++) {
		time_t t = (time_t)((s->h0 + i) * 3600);
		struct tm tm;
		int day;

		if (localtime_r(&t, &tm) == NULL)
			continue;
		day = (int)civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if (day != last) {
			if (d->n >= s->n_hours / 24 + 3)
				break;
			d->n++;
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
days_free(struct days *d)
{
	free(d->calls);
	free(d->ms);
	free(d->ok);
}

/* A sparkline of n values (skipping those not ok), from 0 to their largest. */
static void
spark(FILE *out, const double *v, const unsigned char *ok, int n, const char *cls,
      const char *label)
{
	const double W = 180, H = 36, P = 3;
	double max = 0;
	int i, open = 0;

	for (i = 0; i < n; i++)
		if (ok[i] && isfinite(v[i]) && v[i] > max)
			max = v[i];
	fputs("<svg class=\"spark\" viewBox=\"0 0 180 36\" role=\"img\" aria-label=\"", out);
	esc(out, label);
	fputs("\"><title>", out);
	esc(out, label);
	fprintf(out, "</title><path class=\"line %s\" d=\"", cls);
	for (i = 0; i < n; i++) {
		double x = P + (W - 2 * P) * i / (n > 1 ? n - 1 : 1);
		double y;

		if (!ok[i] || !isfinite(v[i])) {
			open = 0;
			continue;
		}
		y = H - P - (H - 2 * P) * (max > 0 ? v[i] / max : 0);
		fprintf(out, "%c%.1f %.1f", open ? 'L' : 'M', x, y);
		open = 1;
	}
	fputs("\"/></svg>", out);
}

/* ---- sections ---- */

static void
figure(FILE *out, const char *value, const char *what)
{
	fputs("<div class=\"figure\"><b>", out);
	esc(out, value);
	fputs("</b><span>", out);
	esc(out, what);
	fputs("</span></div>\n", out);
}

static void
summary(const struct report *r, FILE *out)
{
	double calls = 0, ms = 0;
	int i, advice = 0, anomalies = 0, high = 0;
	char buf[64], from[48], to[48];

	for (i = 0; i < r->n_stmts; i++) {
		calls += (double)r->stmts[i].calls;
		ms += r->stmts[i].total_ms;
	}
	for (i = 0; i < r->n_findings; i++) {
		if (report_finding_is_anomaly(&r->findings[i]))
			anomalies++;
		else
			advice++;
		if (r->findings[i].severity != NULL && strcmp(r->findings[i].severity, "high") == 0)
			high++;
	}
	report_local_time(from, sizeof from, r->from);
	report_local_time(to, sizeof to, r->to);
	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<p>", out);
	if (r->has_server) {
		fputs("PostgreSQL ", out);
		esc(out, r->server.version);
		fputs(" on <b>", out);
		esc(out, r->server.host);
		fputs(":", out);
		esc(out, r->server.port);
		fputs("</b> (server <code>", out);
		esc(out, r->server.key);
		fputs("</code>), ", out);
	}
	fprintf(out, "from %s to %s (%.0f days), %d sample%s.</p>\n", from, to,
		(r->to - r->from) / 86400.0, r->n_samples, r->n_samples == 1 ? "" : "s");
	if (r->simulated_until > r->from) {
		char until[48];

		report_local_time(until, sizeof until, r->simulated_until);
		fprintf(out,
			"<p class=\"simulated\">The history before %s is simulated "
			"(pgmltop --simulate), not measured.</p>\n",
			until);
	}
	if (!r->has_server) {
		fputs("<p class=\"note\">The history holds no samples yet.</p>\n</section>\n", out);
		return;
	}
	fputs("<div class=\"figures\">\n", out);
	report_count(buf, sizeof buf, r->n_stmts);
	figure(out, buf, "statements");
	report_count(buf, sizeof buf, calls);
	figure(out, buf, "calls");
	report_ms(buf, sizeof buf, ms);
	figure(out, buf, "execution time");
	report_ms(buf, sizeof buf, calls > 0 ? ms / calls : NAN);
	figure(out, buf, "mean time per call");
	snprintf(buf, sizeof buf, "%d", advice);
	figure(out, buf, high ? "recommendations (some high)" : "recommendations");
	snprintf(buf, sizeof buf, "%d", anomalies);
	figure(out, buf, "anomalies and changes of level");
	snprintf(buf, sizeof buf, "%d", r->n_patterns);
	figure(out, buf, "workload patterns");
	snprintf(buf, sizeof buf, "%d", r->params.n_recs);
	figure(out, buf, "settings to change");
	fputs("</div>\n", out);
	if (r->n_stmts > 0) {
		const struct stmt_total *s = &r->stmts[0];

		fprintf(out, "<p>The statement that took the most time, <a href=\"#q%lld\"><code>"
			     "%lld</code></a>, took %.0f%% of it: <code>",
			(long long)s->queryid, (long long)s->queryid,
			ms > 0 ? 100 * s->total_ms / ms : 0);
		esc_n(out, s->query != NULL ? s->query : "(text not read)", 1, SHORT_QUERY);
		fputs("</code></p>\n", out);
	}
	fputs("</section>\n", out);
}

static void
load_section(const struct report *r, FILE *out)
{
	const struct stmt_series *s = &r->load;

	fputs("<section id=\"load\">\n<h2>Load over time</h2>\n", out);
	if (s->n_hours <= 0) {
		fputs("<p class=\"note\">No whole hour of history in the window.</p>\n</section>\n",
		      out);
		return;
	}
	fputs("<h3>Calls per hour</h3>\n", out);
	line_chart(out, "Calls per hour over the window", "", HEATMAP_CALLS, s->calls, s->sampled,
		   s->h0, s->n_hours);
	fputs("<h3>Execution time per hour</h3>\n", out);
	line_chart(out, "Execution time per hour over the window", "time", HEATMAP_TOTAL_MS,
		   s->total_ms, s->sampled, s->h0, s->n_hours);
	fputs("<p class=\"muted\">Gaps are hours without samples. Times are local.</p>\n"
	      "</section>\n",
	      out);
}

static void
heatmap_section(const struct report *r, FILE *out)
{
	const struct stmt_series *s = &r->load;
	struct heatmap hm;

	fputs("<section id=\"heatmap\">\n<h2>When the load comes: hour \xc3\x97 weekday</h2>\n",
	      out);
	if (s->n_hours <= 0) {
		fputs("<p class=\"note\">No whole hour of history in the window.</p>\n</section>\n",
		      out);
		return;
	}
	fputs("<p class=\"muted\">Each cell is the mean of that hour of the week over the "
	      "window.</p>\n<h3>Calls per hour</h3>\n",
	      out);
	heatmap_build(&hm, HEATMAP_WEEK, HEATMAP_CALLS, s->h0, s->n_hours, s->calls, s->total_ms,
		      s->sampled);
	heatmap_svg(out, &hm, "Calls per hour by hour of the day and weekday");
	heatmap_free(&hm);
	fputs("<h3>Execution time per hour</h3>\n", out);
	heatmap_build(&hm, HEATMAP_WEEK, HEATMAP_TOTAL_MS, s->h0, s->n_hours, s->calls,
		      s->total_ms, s->sampled);
	heatmap_svg(out, &hm, "Execution time per hour by hour of the day and weekday");
	heatmap_free(&hm);
	fputs("</section>\n", out);
}

static void
top_tables(const struct report *r, FILE *out)
{
	int idx[TOP_TOTAL_ROWS], by, i, n;

	fputs("<section id=\"top\">\n<h2>Top statements</h2>\n", out);
	if (r->n_stmts == 0) {
		fputs("<p class=\"note\">No statement ran in the window.</p>\n</section>\n", out);
		return;
	}
	for (by = 0; by < RANK_COUNT; by++) {
		n = report_rank(r, (enum report_rank)by, by == RANK_TOTAL ? TOP_TOTAL_ROWS : TOP_ROWS,
				idx);
		fprintf(out, "<h3 id=\"top-%d\">By ", by);
		esc(out, report_rank_title((enum report_rank)by));
		fputs("</h3>\n", out);
		if (n == 0) {
			fputs("<p class=\"note\">None in the window.</p>\n", out);
			continue;
		}
		fputs("<table>\n<thead><tr><th class=\"n\">#</th><th>Query id</th>"
		      "<th class=\"n\">Calls</th><th class=\"n\">Total</th><th class=\"n\">Mean</th>"
		      "<th class=\"n\">Rows/call</th><th class=\"n\">Shared read</th>"
		      "<th class=\"n\">Temp written</th><th>Query</th></tr></thead>\n<tbody>\n",
		      out);
		for (i = 0; i < n; i++) {
			const struct stmt_total *s = &r->stmts[idx[i]];

			fprintf(out, "<tr><td class=\"n\">%d</td>", i + 1);
			qid_cell(out, r, 1, s->queryid);
			count_cell(out, (double)s->calls);
			ms_cell(out, s->total_ms);
			ms_cell(out, s->calls > 0 ? s->total_ms / (double)s->calls : NAN);
			num_cell(out, s->calls > 0 ? (double)s->rows / (double)s->calls : NAN, 1);
			count_cell(out, (double)s->shared_blks_read);
			count_cell(out, (double)s->temp_blks_written);
			fputs("<td class=\"sql\"><code>", out);
			if (s->query != NULL)
				esc_n(out, s->query, 1, SHORT_QUERY);
			else
				fputs("</code><span class=\"muted\">(text not read)</span><code>", out);
			fputs("</code></td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}
	fputs("</section>\n", out);
}

static void
finding_card(const struct report *r, FILE *out, const struct finding *f)
{
	struct strbuf sb = {0};
	const char *sev = f->severity != NULL ? f->severity : "";

	fprintf(out, "<div class=\"card %s\">\n<div class=\"meta\">",
		strcmp(sev, "high") == 0 || strcmp(sev, "medium") == 0 || strcmp(sev, "low") == 0
			? sev
			: "none");
	if (f->severity != NULL) {
		fprintf(out, "<span class=\"badge %s\">", sev);
		esc(out, f->severity);
		fputs("</span> ", out);
	}
	esc(out, f->category != NULL ? f->category : "anomaly");
	fputs(" \xc2\xb7 ", out);
	esc(out, f->rule);
	fprintf(out, " \xc2\xb7 confidence %.2f", f->confidence);
	if (isfinite(f->saving_ms_per_day) && f->saving_ms_per_day > 0) {
		char buf[32];

		report_ms(buf, sizeof buf, f->saving_ms_per_day);
		fprintf(out, " \xc2\xb7 may save %s a day", buf);
	}
	if (f->has_queryid) {
		if (report_series_of(r, f->queryid) != NULL)
			fprintf(out, " \xc2\xb7 query <a href=\"#q%lld\"><code>%lld</code></a>",
				(long long)f->queryid, (long long)f->queryid);
		else
			fprintf(out, " \xc2\xb7 query <code>%lld</code>", (long long)f->queryid);
	} else {
		fputs(" \xc2\xb7 the whole server", out);
	}
	fputs("</div>\n<h3>", out);
	report_finding_title(&sb, f);
	esc(out, sb_str(&sb));
	sb_release(&sb);
	fputs("</h3>\n", out);
	if (f->detail != NULL) {
		fputs("<p>", out);
		esc(out, f->detail);
		fputs("</p>\n", out);
	}
	if (f->has_queryid) {
		const struct stmt_total *s = report_stmt(r, f->queryid);

		if (s != NULL && s->query != NULL) {
			fputs("<h4>Statement</h4>\n<pre>", out);
			esc_n(out, s->query, 0, 2000);
			fputs("</pre>\n", out);
		}
	}
	if (f->suggestion != NULL) {
		fputs("<h4>Suggestion</h4>\n<pre>", out);
		esc(out, f->suggestion);
		fputs("</pre>\n", out);
	}
	if (f->evidence != NULL) {
		fputs("<h4>Evidence</h4>\n<pre class=\"evidence\">", out);
		esc(out, f->evidence);
		fputs("</pre>\n", out);
	}
	fputs("</div>\n", out);
}

/* A recommendation's header: its rank, what it saves, its state and outcome. */
static void
rec_head(const struct report *r, FILE *out, const struct recommendation *rec, int rank)
{
	struct strbuf t = {0};
	char saving[32];

	report_ms(saving, sizeof saving, rec->saving_ms_per_day);
	report_finding_title(&t, &r->findings[rec->fixes[0]]);
	fprintf(out, "<h3>%d. ", rank);
	esc(out, sb_str(&t));
	fputs("</h3>\n", out);
	sb_release(&t);
	fprintf(out, "<p class=\"rec\">score %.0f \xc2\xb7 saves about %s a day \xc2\xb7 "
		     "confidence %.2f \xc2\xb7 effort %.0f \xc2\xb7 ",
		rec->score, saving, rec->confidence, rec->effort);
	esc(out, rec->state);
	if (rec->reason != NULL) {
		fputs(" (", out);
		esc(out, rec->reason);
		fputs(")", out);
	}
	if (rec->outcome != REC_OUTCOME_NONE) {
		fputs(" \xc2\xb7 outcome: ", out);
		esc(out, advisor_outcome_name(rec->outcome));
		if (isfinite(rec->outcome_ratio))
			fprintf(out, " (x%.2f, %.2f to %.2f)", rec->outcome_ratio, rec->outcome_low,
				rec->outcome_high);
	}
	fprintf(out, " \xc2\xb7 id <code>%s</code></p>\n", rec->id);
}

static void
recommendations(const struct report *r, FILE *out)
{
	int i, n = 0;

	fputs("<section id=\"findings\">\n<h2>Findings and recommendations</h2>\n", out);
	/* ranked: each recommendation with its fixes, the best first */
	for (i = 0; i < r->n_recs; i++) {
		const struct recommendation *rec = &r->recs[i];

		if (rec->n_fixes == 0)
			continue;
		rec_head(r, out, rec, ++n);
		for (int k = 0; k < rec->n_fixes; k++)
			finding_card(r, out, &r->findings[rec->fixes[k]]);
	}
	for (i = 0; r->n_recs == 0 && i < r->n_findings; i++) {
		if (report_finding_is_anomaly(&r->findings[i]))
			continue;
		finding_card(r, out, &r->findings[i]);
		n++;
	}
	if (n == 0)
		fputs("<p class=\"note\">No advice: the rules, the N+1 detector, the index and "
		      "parameter advisors found nothing in the window.</p>\n",
		      out);
	fputs("</section>\n", out);
}

/* The metric of a forecast as the charts format it. */
static enum heatmap_metric
fc_metric(const struct report_forecast *rf)
{
	if (strcmp(rf->metric, "total_ms") == 0)
		return HEATMAP_TOTAL_MS;
	if (strcmp(rf->metric, "mean_ms") == 0)
		return HEATMAP_MEAN_MS;
	return HEATMAP_CALLS;
}

/* The last week and the next, hour by hour: the past as a line, the forecast dashed in
 * its 80% band. */
static void
forecast_chart(FILE *out, const struct report_forecast *rf, const char *label)
{
	const struct forecast *f = &rf->fc;
	const double W = 960, H = 180, L = 72, R = 12, T = 10, B = 24;
	int n = f->n_past + f->horizon, i, pen;
	double max = 0, top, pw = W - L - R, ph = H - T - B;
	enum heatmap_metric m = fc_metric(rf);

	for (i = 0; i < f->n_past; i++)
		if (isfinite(f->past[i]) && f->past[i] > max)
			max = f->past[i];
	for (i = 0; i < f->horizon; i++)
		if (isfinite(f->high[i]) && f->high[i] > max)
			max = f->high[i];
	top = nice_ceil(max);
	if (n < 2 || top <= 0)
		return;
#define FX(k) (L + pw * (k) / (double)(n - 1))
#define FY(v) (T + ph - ph * ((v) > top ? top : (v) < 0 ? 0 : (v)) / top)
	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
		W, H);
	esc(out, label);
	fputs("\">\n<title>", out);
	esc(out, label);
	fputs("</title>\n", out);
	for (int k = 0; k <= 4; k++) {
		double y = T + ph - ph * k / 4.0;
		char buf[32];

		fmt_value(buf, sizeof buf, m, top * k / 4.0);
		fprintf(out,
			"<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			L, y, W - R, y, L - 6, y + 4, buf);
	}
	/* now: where the history ends and the forecast starts */
	fprintf(out,
		"<line class=\"axis\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
		"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">now</text>\n",
		FX(f->n_past), T, FX(f->n_past), T + ph, FX(f->n_past), H - 6);
	fputs("<path class=\"line\" d=\"", out);
	pen = 0;
	for (i = 0; i < f->n_past; i++) {
		if (!isfinite(f->past[i])) {
			pen = 0;
			continue;
		}
		fprintf(out, "%c%.1f %.1f", pen ? 'L' : 'M', FX(i), FY(f->past[i]));
		pen = 1;
	}
	fputs("\"/>\n<path class=\"band\" d=\"", out);
	for (i = 0; i < f->horizon; i++)
		fprintf(out, "%c%.1f %.1f", i ? 'L' : 'M', FX(f->n_past + i), FY(f->high[i]));
	for (i = f->horizon - 1; i >= 0; i--)
		fprintf(out, "L%.1f %.1f", FX(f->n_past + i), FY(f->low[i]));
	fputs("Z\"/>\n<path class=\"fc\" d=\"", out);
	for (i = 0; i < f->horizon; i++)
		fprintf(out, "%c%.1f %.1f", i ? 'L' : 'M', FX(f->n_past + i), FY(f->value[i]));
	fputs("\"/>\n</svg>\n", out);
#undef FX
#undef FY
}

static void
forecasts_section(const struct report *r, FILE *out)
{
	int charts = 0;

	fputs("<section id=\"forecasts\">\n<h2>Forecasts</h2>\n", out);
	if (r->n_forecasts == 0) {
		fputs("<p class=\"note\">No forecast: the history holds no hourly rows yet.</p>\n"
		      "</section>\n",
		      out);
		return;
	}
	fputs("<p class=\"note\">The next week, hour by hour, with its 80% interval: the model"
	      " chosen by backtest, its error against the value a week before (MASE below 1"
	      " beats it) and how often the backtest's values fell inside the interval.</p>\n"
	      "<table>\n<thead><tr><th>Of</th><th>Metric</th><th>Model</th>"
	      "<th class=\"n\">MASE</th><th class=\"n\">Coverage 80%</th>"
	      "<th class=\"n\">Peak ahead</th><th>At</th></tr></thead>\n<tbody>\n",
	      out);
	for (int i = 0; i < r->n_forecasts; i++) {
		const struct report_forecast *rf = &r->forecasts[i];
		const struct forecast *f = &rf->fc;
		char buf[32], when[48];
		int peak = 0;

		fputs("<tr>", out);
		qid_cell(out, r, rf->has_queryid, rf->queryid);
		fputs("<td>", out);
		esc(out, rf->metric);
		fputs("</td>", out);
		if (f->status != FC_OK) {
			fprintf(out, "<td colspan=\"5\">learning: %d of %d hours of history</td></tr>\n",
				f->have, f->need);
			continue;
		}
		fputs("<td>", out);
		esc(out, fc_model_name(f->model));
		fputs("</td>", out);
		num_cell(out, f->eval[f->model].mase, 2);
		fprintf(out, "<td class=\"n\">%.0f%%%s</td>", 100 * f->coverage,
			f->flagged ? " (flagged)" : "");
		for (int k = 1; k < f->horizon; k++)
			if (f->value[k] > f->value[peak])
				peak = k;
		fmt_value(buf, sizeof buf, fc_metric(rf), f->value[peak]);
		report_local_time(when, sizeof when, (double)(f->h0 + peak) * 3600);
		fprintf(out, "<td class=\"n\">%s</td><td>", buf);
		esc(out, when);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
	/* charts: the server's, then the first statements' calls */
	for (int i = 0; i < r->n_forecasts && charts < 6; i++) {
		const struct report_forecast *rf = &r->forecasts[i];
		char label[160];

		if (rf->fc.status != FC_OK || (rf->has_queryid && strcmp(rf->metric, "calls") != 0))
			continue;
		if (rf->has_queryid)
			snprintf(label, sizeof label, "statement %lld: %s per hour, last week and next",
				 (long long)rf->queryid, rf->metric);
		else
			snprintf(label, sizeof label, "whole server: %s per hour, last week and next",
				 rf->metric);
		fputs("<h3>", out);
		esc(out, label);
		fputs("</h3>\n", out);
		forecast_chart(out, rf, label);
		charts++;
	}
	fputs("</section>\n", out);
}

static void
patterns_section(const struct report *r, FILE *out)
{
	int i;

	fputs("<section id=\"patterns\">\n<h2>Workload patterns</h2>\n", out);
	if (r->n_patterns == 0) {
		fputs("<p class=\"note\">", out);
		esc(out, r->patterns_note != NULL ? r->patterns_note
						  : "None: no hour or day recurs.");
		fputs("</p>\n</section>\n", out);
		return;
	}
	fputs("<table>\n<thead><tr><th>Of</th><th>Pattern</th><th class=\"n\">Confidence</th>"
	      "<th>First</th><th>Last</th></tr></thead>\n<tbody>\n",
	      out);
	for (i = 0; i < r->n_patterns; i++) {
		const struct report_pattern *rp = &r->patterns[i];
		struct strbuf sb = {0};

		fputs("<tr>", out);
		qid_cell(out, r, rp->has_queryid, rp->queryid);
		report_pattern_text(&sb, rp);
		fputs("<td>", out);
		esc(out, sb_str(&sb));
		fputs("</td>", out);
		sb_release(&sb);
		num_cell(out, rp->p.confidence, 2);
		time_cell(out, rp->p.first);
		time_cell(out, rp->p.last);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
}

static void
anomalies_section(const struct report *r, FILE *out)
{
	int i, n = 0;

	fputs("<section id=\"anomalies\">\n<h2>Anomalies and regressions</h2>\n", out);
	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];
		int calls = f->metric != NULL && strcmp(f->metric, "calls") == 0;
		struct strbuf sb = {0};

		if (!report_finding_is_anomaly(f))
			continue;
		if (n++ == 0)
			fputs("<table>\n<thead><tr><th>From</th><th>Of</th><th>What</th>"
			      "<th class=\"n\">Observed</th><th class=\"n\">Expected</th>"
			      "<th class=\"n\">Ratio</th><th class=\"n\">Confidence</th></tr>"
			      "</thead>\n<tbody>\n",
			      out);
		fputs("<tr>", out);
		time_cell(out, f->from);
		qid_cell(out, r, f->has_queryid, f->queryid);
		report_finding_title(&sb, f);
		fputs("<td>", out);
		esc(out, sb_str(&sb));
		fputs("</td>", out);
		sb_release(&sb);
		if (calls) {
			num_cell(out, f->observed, 0);
			num_cell(out, f->expected, 0);
		} else {
			ms_cell(out, f->observed);
			ms_cell(out, f->expected);
		}
		num_cell(out, f->severity_ratio, 2);
		num_cell(out, f->confidence, 2);
		fputs("</tr>\n", out);
	}
	if (n > 0) {
		fputs("</tbody>\n</table>\n", out);
	} else {
		fputs("<p class=\"note\">", out);
		esc(out, r->findings_note != NULL
				 ? r->findings_note
				 : "None: no unusual hour, no change of level that held.");
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

static void
params_section(const struct report *r, FILE *out)
{
	const struct params_model *m = &r->params;
	int i, k;

	fputs("<section id=\"parameters\">\n<h2>Parameters</h2>\n<h3>Advice</h3>\n", out);
	if (m->n_recs == 0) {
		fputs("<p class=\"note\">No setting to change.</p>\n", out);
	} else {
		fputs("<table>\n<thead><tr><th>Setting</th><th>Current</th><th>Recommended</th>"
		      "<th>Scope</th><th class=\"n\">Confidence</th><th>Statement</th></tr>"
		      "</thead>\n<tbody>\n",
		      out);
		for (i = 0; i < m->n_recs; i++) {
			const struct param_rec *p = &m->recs[i];

			fputs("<tr><td><code>", out);
			esc(out, p->name);
			fputs("</code></td><td>", out);
			esc(out, p->current != NULL ? p->current : "-");
			fputs("</td><td><b>", out);
			esc(out, p->recommended);
			fputs("</b></td><td>", out);
			esc(out, p->scope);
			fputs("</td>", out);
			num_cell(out, p->confidence, 2);
			fputs("<td><code>", out);
			esc(out, p->statement);
			fputs("</code>", out);
			if (p->evidence != NULL) {
				fputs("<pre class=\"evidence\">", out);
				esc(out, p->evidence);
				fputs("</pre>", out);
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}
	fputs("<h3>Settings changes</h3>\n", out);
	if (m->n_changes == 0) {
		fputs("<p class=\"note\">No setting changed in the window.</p>\n", out);
	} else {
		fputs("<table>\n<thead><tr><th>When</th><th>Setting</th><th>From</th><th>To</th>"
		      "<th>Source</th><th>Measured effects (same hours a week before)</th></tr>"
		      "</thead>\n<tbody>\n",
		      out);
		for (i = 0; i < m->n_changes; i++) {
			const struct param_change *c = &m->changes[i];

			fputs("<tr>", out);
			time_cell(out, c->ts);
			fputs("<td><code>", out);
			esc(out, c->name);
			fputs("</code></td><td>", out);
			esc(out, c->from != NULL ? c->from : "-");
			fputs("</td><td>", out);
			esc(out, c->to != NULL ? c->to : "-");
			if (c->pending_restart)
				fputs(" <span class=\"badge medium\">pending restart</span>", out);
			fputs("</td><td>", out);
			esc(out, c->source != NULL ? c->source : "-");
			fputs("</td><td>", out);
			if (c->note != NULL) {
				fputs("<span class=\"note\">", out);
				esc(out, c->note);
				fputs("</span>", out);
			}
			for (k = 0; k < c->n_effects; k++) {
				const struct param_effect *e = &c->effects[k];

				struct strbuf sb = {0};

				fputs(k ? "<br>" : "", out);
				report_effect_text(&sb, e);
				esc(out, sb_str(&sb));
				sb_release(&sb);
			}
			if (c->n_effects == 0 && c->note == NULL)
				fprintf(out, "no effect found (%d statements compared)", c->tested);
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}
	fputs("</section>\n", out);
}

static void
statement_sections(const struct report *r, FILE *out)
{
	int i, k;

	fputs("<section id=\"statements\">\n<h2>The statements that took the most time</h2>\n",
	      out);
	if (r->n_series == 0) {
		fputs("<p class=\"note\">None in the window.</p>\n", out);
	}
	for (i = 0; i < r->n_series; i++) {
		int64_t q = r->series[i].queryid;
		const struct stmt_total *s = report_stmt(r, q);
		struct days d;
		double *mean;
		unsigned char *ok;
		int j, any = 0;

		if (s == NULL)
			continue;
		fprintf(out, "<article id=\"q%lld\">\n<h3>%d. Query id <code>%lld</code></h3>\n",
			(long long)q, i + 1, (long long)q);
		fputs("<pre>", out);
		if (s->query != NULL)
			esc(out, s->query);
		else
			fputs("(the text was never read)", out);
		fputs("</pre>\n<table>\n<thead><tr><th class=\"n\">Calls</th><th class=\"n\">Total"
		      "</th><th class=\"n\">Mean</th><th class=\"n\">Max</th><th class=\"n\">Rows"
		      "</th><th class=\"n\">Shared hit</th><th class=\"n\">Shared read</th>"
		      "<th class=\"n\">Cache hit</th><th class=\"n\">Temp written</th></tr></thead>\n"
		      "<tbody><tr>",
		      out);
		count_cell(out, (double)s->calls);
		ms_cell(out, s->total_ms);
		ms_cell(out, s->calls > 0 ? s->total_ms / (double)s->calls : NAN);
		ms_cell(out, s->max_ms);
		count_cell(out, (double)s->rows);
		count_cell(out, (double)s->shared_blks_hit);
		count_cell(out, (double)s->shared_blks_read);
		if (s->shared_blks_hit + s->shared_blks_read > 0)
			fprintf(out, "<td class=\"n\">%.2f%%</td>",
				100.0 * (double)s->shared_blks_hit /
					(double)(s->shared_blks_hit + s->shared_blks_read));
		else
			fputs("<td class=\"n\">-</td>", out);
		count_cell(out, (double)s->temp_blks_written);
		fputs("</tr></tbody>\n</table>\n", out);
		days_of(&r->series[i].sums, &d);
		if (d.n > 0) {
			mean = xcalloc((size_t)d.n, sizeof *mean);
			ok = xcalloc((size_t)d.n, 1);
			for (j = 0; j < d.n; j++) {
				ok[j] = d.ok[j] && d.calls[j] > 0;
				mean[j] = ok[j] ? d.ms[j] / d.calls[j] : NAN;
			}
			fputs("<div class=\"sparks\"><div>calls per day<br>", out);
			spark(out, d.calls, d.ok, d.n, "", "Calls per day");
			fputs("</div><div>mean time per call, by day<br>", out);
			spark(out, mean, ok, d.n, "time", "Mean time per call, by day");
			fputs("</div><div>time per day<br>", out);
			spark(out, d.ms, d.ok, d.n, "time", "Execution time per day");
			fputs("</div></div>\n", out);
			free(mean);
			free(ok);
		}
		days_free(&d);
		for (k = 0; k < r->n_patterns; k++) {
			struct strbuf sb = {0};

			if (!r->patterns[k].has_queryid || r->patterns[k].queryid != q)
				continue;
			if (!any++)
				fputs("<ul>\n", out);
			report_pattern_text(&sb, &r->patterns[k]);
			fputs("<li>Pattern: ", out);
			esc(out, sb_str(&sb));
			fprintf(out, " (confidence %.2f)</li>\n", r->patterns[k].p.confidence);
			sb_release(&sb);
		}
		for (k = 0; k < r->n_findings; k++) {
			struct strbuf sb = {0};

			if (!r->findings[k].has_queryid || r->findings[k].queryid != q)
				continue;
			if (!any++)
				fputs("<ul>\n", out);
			report_finding_title(&sb, &r->findings[k]);
			fputs("<li>", out);
			esc(out, report_finding_is_anomaly(&r->findings[k]) ? "Anomaly: " : "Advice: ");
			esc(out, sb_str(&sb));
			fprintf(out, " (confidence %.2f)</li>\n", r->findings[k].confidence);
			sb_release(&sb);
		}
		fputs(any ? "</ul>\n</article>\n" : "</article>\n", out);
	}
	fputs("</section>\n", out);
}

int
report_write_html(const struct report *r, FILE *out)
{
	char from[48], to[48], gen[48];

	report_local_time(from, sizeof from, r->from);
	report_local_time(to, sizeof to, r->to);
	report_local_time(gen, sizeof gen, r->generated_at);
	/* no script, no fetch: the policy keeps it so even if a string slipped through */
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	      out);
	fprintf(out, "<meta name=\"generator\" content=\"pgmltop %s\">\n<title>pgmltop report",
		PACKAGE_VERSION);
	if (r->has_server) {
		fputs(": ", out);
		esc_n(out, r->server.host, 1, 80);
		fputs(":", out);
		esc_n(out, r->server.port, 1, 16);
	}
	fprintf(out, ", %s to %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", from, to, style);
	fputs("<header>\n<h1>pgmltop report</h1>\n<p class=\"sub\">", out);
	if (r->has_server) {
		esc(out, r->server.host);
		fputs(":", out);
		esc(out, r->server.port);
		fputs(" \xc2\xb7 ", out);
	}
	fprintf(out, "%s to %s \xc2\xb7 generated %s by pgmltop %s</p>\n</header>\n", from, to,
		gen, PACKAGE_VERSION);
	fputs("<nav><a href=\"#summary\">Summary</a><a href=\"#load\">Load</a>"
	      "<a href=\"#heatmap\">Heatmap</a><a href=\"#top\">Top statements</a>"
	      "<a href=\"#findings\">Recommendations</a><a href=\"#patterns\">Patterns</a>"
	      "<a href=\"#anomalies\">Anomalies</a><a href=\"#parameters\">Parameters</a>"
	      "<a href=\"#forecasts\">Forecasts</a><a href=\"#statements\">Statements</a></nav>\n",
	      out);
	summary(r, out);
	load_section(r, out);
	heatmap_section(r, out);
	top_tables(r, out);
	recommendations(r, out);
	patterns_section(r, out);
	anomalies_section(r, out);
	params_section(r, out);
	forecasts_section(r, out);
	statement_sections(r, out);
	fprintf(out, "<footer>Written by pgmltop %s from its history file. Times are local; "
		     "the JSON report has them in UTC.</footer>\n</body>\n</html>\n",
		PACKAGE_VERSION);
	return ferror(out) ? -1 : 0;
}
