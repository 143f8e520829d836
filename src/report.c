#include "config.h"

#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anomaly.h"
#include "params-load.h"
#include "rules.h"
#include "nplusone.h"
#include "indexadv.h"

static void
add_patterns(struct report *r, const struct pattern *p, int n, int has_queryid, int64_t queryid,
	     const char *metric)
{
	int i;

	if (n <= 0)
		return;
	r->patterns = xreallocarray(r->patterns, (size_t)(r->n_patterns + n), sizeof *r->patterns);
	for (i = 0; i < n; i++) {
		struct report_pattern *rp = &r->patterns[r->n_patterns++];

		rp->has_queryid = has_queryid;
		rp->queryid = queryid;
		rp->metric = metric;
		rp->p = p[i];
	}
}

static int
cmp_confidence(const void *a, const void *b)
{
	const struct report_pattern *x = a, *y = b;

	if (x->p.confidence != y->p.confidence)
		return x->p.confidence > y->p.confidence ? -1 : 1;
	if (x->has_queryid != y->has_queryid)
		return x->has_queryid - y->has_queryid; /* the server's first */
	return x->queryid < y->queryid ? -1 : x->queryid > y->queryid;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->has_queryid != y->has_queryid)
		return x->has_queryid - y->has_queryid; /* the server's first */
	if (x->queryid != y->queryid)
		return x->queryid < y->queryid ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/* The local time of each hour of a series. */
struct hours {
	int n;
	int *hour, *wday, *day;
	double *t;
};

static void
hours_make(struct hours *hr, long long h0, int n)
{
	int i;

	hr->n = n;
	hr->hour = xcalloc((size_t)n + 1, sizeof *hr->hour);
	hr->wday = xcalloc((size_t)n + 1, sizeof *hr->wday);
	hr->day = xcalloc((size_t)n + 1, sizeof *hr->day);
	hr->t = xcalloc((size_t)n + 1, sizeof *hr->t);
	for (i = 0; i < n; i++) {
		time_t tt = (time_t)((h0 + i) * 3600);
		struct tm tm;

		localtime_r(&tt, &tm);
		hr->hour[i] = tm.tm_hour;
		hr->wday[i] = tm.tm_wday;
		hr->day[i] = (int)civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		hr->t[i] = (double)tt;
	}
}

static void
hours_free(struct hours *hr)
{
	free(hr->hour);
	free(hr->wday);
	free(hr->day);
	free(hr->t);
}

/*
 * The patterns (want_pats) and findings (want_finds) of one series: calls per hour (NAN
 * where nothing was sampled) and, for a statement, its execution time per hour. Each
 * count is -1 when the history is too short (its *why set).
 */
/* --peak-z: set once, before any report or analysis runs (threads read it). */
static double peak_z = 2.5;

void
report_set_peak_z(double z)
{
	peak_z = z;
}

static void
analyse(const struct hours *hr, const double *calls, const double *total_ms, int has_queryid,
	int64_t queryid, int want_pats, struct pattern **pats, int *n_pats, const char **pats_why,
	int want_finds, struct finding **finds, int *n_finds, const char **finds_why)
{
	*pats = NULL;
	*finds = NULL;
	*n_pats = *n_finds = 0;
	if (want_pats) {
		struct pattern_opts o;
		struct hour_series hs;

		pattern_opts_default(&o);
		o.z = peak_z;
		memset(&hs, 0, sizeof hs);
		hs.n = hr->n;
		hs.v = calls;
		hs.hour = hr->hour;
		hs.wday = hr->wday;
		hs.day = hr->day;
		hs.t = hr->t;
		hs.counts = 1;
		*n_pats = patterns_find(&hs, &o, pats, pats_why);
	}
	if (want_finds) {
		struct anomaly_opts o;
		struct anomaly_series as;

		anomaly_opts_default(&o);
		memset(&as, 0, sizeof as);
		as.n = hr->n;
		as.calls = calls;
		as.total_ms = total_ms;
		as.hour = hr->hour;
		as.wday = hr->wday;
		as.day = hr->day;
		as.t = hr->t;
		as.has_queryid = has_queryid;
		as.queryid = queryid;
		*n_finds = anomalies_find(&as, &o, finds, finds_why);
	}
}

void
report_sort_findings(struct report *r)
{
	if (r->n_findings > 1)
		qsort(r->findings, (size_t)r->n_findings, sizeof *r->findings, cmp_finding);
}

static void
add_findings(struct report *r, const struct finding *f, int n)
{
	if (n <= 0)
		return;
	r->findings = xreallocarray(r->findings, (size_t)(r->n_findings + n), sizeof *r->findings);
	memcpy(r->findings + r->n_findings, f, (size_t)n * sizeof *f);
	r->n_findings += n;
}

/*
 * The patterns and findings of the whole server and of each statement, over the window's
 * whole hours: one pass over the series.
 */
int
report_patterns(struct store *st, struct report *r, struct pgt_err *err)
{
	struct stmt_series ser;
	struct hours hr;
	long long h0 = (long long)ceil(r->from / 3600), h1 = (long long)floor(r->to / 3600) - 1;
	int i, k, want_pats = 1, want_finds = 1;
	double *v, *total;

	if (store_stmt_series(st, r->server.id, h0, h1, &ser, err) < 0)
		return -1;
	if (ser.n_hours <= 0) {
		r->patterns_note = "no whole hour of history in the window";
		r->findings_note = r->patterns_note;
		return 0;
	}
	hours_make(&hr, ser.h0, ser.n_hours);
	v = xcalloc((size_t)ser.n_hours, sizeof *v);
	total = xcalloc((size_t)ser.n_hours, sizeof *total);
	for (k = 0; k < ser.n_stmts; k++) {
		const double *c = ser.calls + (size_t)k * (size_t)ser.n_hours;

		for (i = 0; i < ser.n_hours; i++)
			total[i] += c[i];
	}
	/*
	 * The load of the whole server: when its execution time per hour peaks or falls
	 * quiet (a few slow statements can make the load peak where the calls do not).
	 */
	if (ser.n_stmts > 0) {
		struct pattern_opts o;
		struct hour_series hs;
		struct pattern *pats = NULL;
		const char *why = NULL;
		int n_pats;

		for (i = 0; i < ser.n_hours; i++) {
			v[i] = 0;
			if (!ser.sampled[i]) {
				v[i] = NAN;
				continue;
			}
			for (k = 0; k < ser.n_stmts; k++)
				v[i] += ser.total_ms[(size_t)k * (size_t)ser.n_hours + (size_t)i];
		}
		pattern_opts_default(&o);
		o.z = peak_z;
		memset(&hs, 0, sizeof hs);
		hs.n = hr.n;
		hs.v = v;
		hs.hour = hr.hour;
		hs.wday = hr.wday;
		hs.day = hr.day;
		hs.t = hr.t;
		hs.counts = 0;
		n_pats = patterns_find(&hs, &o, &pats, &why);
		add_patterns(r, pats, n_pats, 0, 0, "total_ms");
		free(pats);
	}
	/* the whole server first: the calls of all statements */
	for (k = -1; k < ser.n_stmts && (want_pats || want_finds); k++) {
		struct pattern *pats = NULL;
		struct finding *finds = NULL;
		const char *pats_why = NULL, *finds_why = NULL;
		const double *c = k >= 0 ? ser.calls + (size_t)k * (size_t)ser.n_hours : total;
		int n_pats, n_finds;

		for (i = 0; i < ser.n_hours; i++)
			v[i] = ser.sampled[i] ? c[i] : NAN;
		analyse(&hr, v, k >= 0 ? ser.total_ms + (size_t)k * (size_t)ser.n_hours : NULL,
			k >= 0, k >= 0 ? ser.queryid[k] : 0, want_pats, &pats, &n_pats, &pats_why,
			want_finds, &finds, &n_finds, &finds_why);
		/* the statements have no more history than the server */
		if (n_pats < 0 && k < 0) {
			r->patterns_note = pats_why;
			want_pats = 0;
		}
		if (n_finds < 0 && k < 0) {
			r->findings_note = finds_why;
			want_finds = 0;
		}
		add_patterns(r, pats, n_pats, k >= 0, k >= 0 ? ser.queryid[k] : 0, "calls");
		add_findings(r, finds, n_finds);
		free(pats);
		free(finds);
	}
	if (r->n_patterns > 1)
		qsort(r->patterns, (size_t)r->n_patterns, sizeof *r->patterns, cmp_confidence);
	if (r->n_findings > 1)
		qsort(r->findings, (size_t)r->n_findings, sizeof *r->findings, cmp_finding);
	hours_free(&hr);
	free(v);
	free(total);
	store_stmt_series_free(&ser);
	return 0;
}

int
report_sums_analysis(const struct stmt_series *sums, int has_queryid, int64_t queryid,
		     struct pattern **pats, int *n_pats, struct finding **finds, int *n_finds,
		     const char **note)
{
	struct hours hr;
	const char *pats_why = NULL, *finds_why = NULL;
	double *calls;
	int i;

	*pats = NULL;
	*finds = NULL;
	*n_pats = *n_finds = 0;
	*note = NULL;
	if (sums->n_hours <= 0) {
		*note = "no whole hour of history in the window";
		return 0;
	}
	hours_make(&hr, sums->h0, sums->n_hours);
	calls = xcalloc((size_t)sums->n_hours, sizeof *calls);
	for (i = 0; i < sums->n_hours; i++)
		calls[i] = sums->sampled[i] ? sums->calls[i] : NAN;
	analyse(&hr, calls, has_queryid ? sums->total_ms : NULL, has_queryid, queryid, 1, pats,
		n_pats, &pats_why, 1, finds, n_finds, &finds_why);
	if (*n_pats < 0) {
		*n_pats = 0;
		*note = pats_why;
	}
	if (*n_finds < 0) {
		*n_finds = 0;
		if (*note == NULL)
			*note = finds_why;
	}
	hours_free(&hr);
	free(calls);
	return 0;
}

int
report_stmt_analysis(struct store *st, int64_t server_id, int has_queryid, int64_t queryid,
		     double from, double to, struct pattern **pats, int *n_pats,
		     struct finding **finds, int *n_finds, const char **note, struct pgt_err *err)
{
	struct stmt_series sums;
	long long h0 = (long long)ceil(from / 3600), h1 = (long long)floor(to / 3600) - 1;

	*pats = NULL;
	*finds = NULL;
	*n_pats = *n_finds = 0;
	*note = NULL;
	if (store_hour_sums(st, server_id, has_queryid, queryid, h0, h1, &sums, err) < 0)
		return -1;
	report_sums_analysis(&sums, has_queryid, queryid, pats, n_pats, finds, n_finds, note);
	store_stmt_series_free(&sums);
	return 0;
}

/* N+1 loops are judged over the last this many seconds of a window. */
#define N1_WINDOW_S (7 * 86400.0)

int
report_nplusone(struct store *st, int64_t server_id, double from, double to,
		struct finding **finds, int *n_finds, struct pgt_err *err)
{
	/*
	 * The statements' calls, rows and time per sample or per hour of the window (hours
	 * when it holds a day of them, at most the latest 1000 intervals), with their
	 * databases' transactions.
	 */
	struct stmt_intervals iv;
	struct n1_input in;
	struct n1_opts o;
	struct n1_stmt *ns;
	struct n1_db *nd;
	int i;

	*finds = NULL;
	*n_finds = 0;
	/* a loop shows in days of it: the last week of a long window is enough to read */
	if (from < to - N1_WINDOW_S)
		from = to - N1_WINDOW_S;
	if (store_stmt_intervals(st, server_id, from, to, 24, 1000, &iv, err) < 0)
		return -1;
	ns = xcalloc((size_t)iv.n_stmts + 1, sizeof *ns);
	nd = xcalloc((size_t)iv.n_dbs + 1, sizeof *nd);
	for (i = 0; i < iv.n_stmts; i++) {
		size_t at = (size_t)i * (size_t)iv.n;

		ns[i].queryid = iv.queryid[i];
		ns[i].dbid = iv.dbid[i];
		ns[i].userid = iv.userid[i];
		ns[i].text = iv.text[i];
		ns[i].calls = iv.calls + at;
		ns[i].rows = iv.rows + at;
		ns[i].total_ms = iv.total_ms + at;
	}
	for (i = 0; i < iv.n_dbs; i++) {
		nd[i].dbid = iv.datid[i];
		nd[i].xacts = iv.xacts + (size_t)i * (size_t)iv.n;
	}
	memset(&in, 0, sizeof in);
	in.n = iv.n;
	in.t = iv.t;
	in.dur = iv.dur;
	in.hourly = iv.hourly;
	in.n_stmts = iv.n_stmts;
	in.stmts = ns;
	in.n_dbs = iv.n_dbs;
	in.dbs = nd;
	n1_opts_default(&o);
	*n_finds = nplusone_find(&in, &o, finds);
	if (*n_finds < 0)
		*n_finds = 0;
	free(ns);
	free(nd);
	store_stmt_intervals_free(&iv);
	return 0;
}

int
report_index_advice(struct store *st, const struct report *r, struct finding **finds,
		     int *n_finds, struct pgt_err *err)
{
	struct ix_table *tables = NULL;
	struct ix_stmt *ss;
	struct ix_opts o;
	int n_tables = 0, i, samples = 0;
	double first = 0, last = 0, days;

	*finds = NULL;
	*n_finds = 0;
	if (!r->has_server || r->n_stmts == 0)
		return 0;
	if (store_catalog(st, r->server.id, &tables, &n_tables, err) < 0)
		return -1;
	if (n_tables == 0)
		return 0;
	if (store_sample_span(st, r->server.id, r->from, r->to, &samples, &first, &last, err) < 0) {
		store_catalog_free(tables, n_tables);
		return -1;
	}
	days = (r->to - (samples > 0 && first > r->from ? first : r->from)) / 86400.0;
	if (days < 1.0 / 24)
		days = 1.0 / 24;
	ss = xcalloc((size_t)r->n_stmts, sizeof *ss);
	for (i = 0; i < r->n_stmts; i++) {
		const struct stmt_total *t = &r->stmts[i];

		ss[i].queryid = t->queryid;
		ss[i].text = t->query;
		ss[i].calls = (double)t->calls;
		ss[i].total_ms = t->total_ms;
		ss[i].rows = (double)t->rows;
		ss[i].shared_blks_hit = (double)t->shared_blks_hit;
		ss[i].shared_blks_read = (double)t->shared_blks_read;
		ss[i].days = days;
	}
	ix_opts_default(&o);
	*n_finds = indexadv_find(tables, n_tables, ss, r->n_stmts, &o, finds);
	for (i = 0; i < *n_finds; i++) {
		(*finds)[i].from = r->from;
		(*finds)[i].to = r->to;
	}
	free(ss);
	store_catalog_free(tables, n_tables);
	return 0;
}

int
report_build(struct store *st, double now, long days, struct report *r, struct pgt_err *err)
{
	int found;
	double first, last;

	memset(r, 0, sizeof *r);
	r->generated_at = now;
	r->to = now;
	r->from = now - (double)days * 86400.0;
	found = store_latest_server(st, &r->server, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return 0;
	r->has_server = 1;
	if (store_sample_span(st, r->server.id, r->from, r->to, &r->n_samples, &first, &last,
			      err) < 0)
		return -1;
	if (store_statements(st, r->server.id, r->from, r->to, &r->stmts, &r->n_stmts, err) < 0)
		return -1;
	if (report_patterns(st, r, err) < 0)
		return -1;

	{
		struct finding *finds = NULL;
		int n_finds;

		if (report_nplusone(st, r->server.id, r->from, r->to, &finds, &n_finds, err) < 0)
			return -1;
		add_findings(r, finds, n_finds);
		free(finds); /* the strings now belong to r->findings */
		if (report_index_advice(st, r, &finds, &n_finds, err) < 0)
			return -1;
		add_findings(r, finds, n_finds);
		free(finds);
		if (n_finds > 0 && r->n_findings > 1)
			qsort(r->findings, (size_t)r->n_findings, sizeof *r->findings, cmp_finding);
	}
	return 0;
}

int
report_add_rule_findings(struct store *st, struct report *r, const struct rule_set *rs,
			 struct pgt_err *err)
{
	struct literal_text *lit = NULL;
	struct finding *finds = NULL;
	int n_lit = 0, n_finds = 0, i, k = 0, samples = 0;
	double first = 0, last = 0, days;

	if (!r->has_server || rs == NULL || rules_count(rs) == 0 || r->n_stmts == 0)
		return 0;
	if (store_sample_span(st, r->server.id, r->from, r->to, &samples, &first, &last, err) < 0 ||
	    store_literal_texts(st, r->server.id, 0, 0, r->from, r->to, RULES_LITERALS, &lit,
				&n_lit, err) < 0)
		return -1;
	/* figures per day over the time the history covers, not the whole window */
	days = (r->to - (samples > 0 && first > r->from ? first : r->from)) / 86400.0;
	if (days < 1.0 / 24)
		days = 1.0 / 24;
	for (i = 0; i < r->n_stmts; i++) {
		const struct stmt_total *t = &r->stmts[i];
		const char *texts[RULES_LITERALS];
		struct rule_stmt rst;
		int j;

		if (t->query == NULL)
			continue;
		memset(&rst, 0, sizeof rst);
		rst.queryid = t->queryid;
		rst.text = t->query;
		/* lit is ordered by query id; the statements are not */
		for (k = 0; k < n_lit && lit[k].queryid != t->queryid; k++)
			;
		for (j = 0; k < n_lit && lit[k].queryid == t->queryid && j < RULES_LITERALS; k++)
			texts[j++] = lit[k].text;
		rst.literals = texts;
		rst.n_literals = j;
		rst.calls = (double)t->calls;
		rst.total_ms = t->total_ms;
		rst.rows = (double)t->rows;
		rst.shared_blks_read = (double)t->shared_blks_read;
		rst.shared_blks_hit = (double)t->shared_blks_hit;
		rst.temp_blks_written = (double)t->temp_blks_written;
		rst.days = days;
		j = n_finds;
		rules_apply(rs, &rst, &finds, &n_finds);
		for (; j < n_finds; j++) {
			finds[j].from = r->from;
			finds[j].to = r->to;
		}
	}
	add_findings(r, finds, n_finds);
	free(finds); /* their strings are the report's now */
	store_literal_texts_free(lit, n_lit);
	if (r->n_findings > 1)
		qsort(r->findings, (size_t)r->n_findings, sizeof *r->findings, cmp_finding);
	return 0;
}

int
report_add_params(struct store *st, struct report *r, const struct param_rules *pr,
		  struct pgt_err *err)
{
	if (!r->has_server)
		return 0;
	if (params_load(st, r->server.id, r->from, r->to, pr, &r->params, err) < 0)
		return -1;
	/* the findings move to the report's list */
	add_findings(r, r->params.finds, r->params.n_finds);
	free(r->params.finds);
	r->params.finds = NULL;
	r->params.n_finds = 0;
	if (r->n_findings > 1)
		qsort(r->findings, (size_t)r->n_findings, sizeof *r->findings, cmp_finding);
	return 0;
}

void
report_free(struct report *r)
{
	params_model_free(&r->params);
	store_statements_free(r->stmts, r->n_stmts);
	r->stmts = NULL;
	r->n_stmts = 0;
	free(r->patterns);
	r->patterns = NULL;
	r->n_patterns = 0;
	findings_free(r->findings, r->n_findings);
	r->findings = NULL;
	r->n_findings = 0;
}
