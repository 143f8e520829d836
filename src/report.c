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
	r->simulated_until = store_simulated_until(st, r->server.id);
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
	int i;

	for (i = 0; i < r->n_series; i++)
		store_stmt_series_free(&r->series[i].sums);
	free(r->series);
	r->series = NULL;
	r->n_series = 0;
	store_stmt_series_free(&r->load);
	memset(&r->load, 0, sizeof r->load);
	params_model_free(&r->params);
	report_forecasts_free(r);
	store_statements_free(r->stmts, r->n_stmts);
	r->stmts = NULL;
	r->n_stmts = 0;
	free(r->patterns);
	r->patterns = NULL;
	r->n_patterns = 0;
	findings_free(r->findings, r->n_findings);
	r->findings = NULL;
	r->n_findings = 0;
	recommendations_free(r->recs, r->n_recs);
	r->recs = NULL;
	r->n_recs = 0;
	free(r->records);
	r->records = NULL;
	r->n_records = 0;
}

int
report_add_series(struct store *st, struct report *r, int n_top, struct pgt_err *err)
{
	long long h0 = (long long)ceil(r->from / 3600), h1 = (long long)floor(r->to / 3600) - 1;
	int i, k;

	if (!r->has_server || h1 < h0)
		return 0;
	if (store_hour_sums(st, r->server.id, 0, 0, h0, h1, &r->load, err) < 0)
		return -1;
	r->series = xcalloc((size_t)(n_top > 0 ? n_top : 1), sizeof *r->series);
	for (i = 0; i < r->n_stmts && r->n_series < n_top; i++) {
		int64_t q = r->stmts[i].queryid;
		struct report_series *rs;

		/* one series per query id: its top-level and nested rows together */
		for (k = 0; k < r->n_series && r->series[k].queryid != q; k++)
			;
		if (k < r->n_series)
			continue;
		rs = &r->series[r->n_series];
		rs->queryid = q;
		if (store_hour_sums(st, r->server.id, 1, q, h0, h1, &rs->sums, err) < 0)
			return -1;
		r->n_series++;
	}
	return 0;
}

/* ---- what the writers share ---- */

const char *
report_rank_title(enum report_rank by)
{
	static const char *const titles[RANK_COUNT] = {
		"total time", "mean time", "calls", "I/O (shared blocks read)",
		"temporary blocks written"};

	return by >= 0 && by < RANK_COUNT ? titles[by] : "";
}

static double
rank_value(const struct stmt_total *s, enum report_rank by)
{
	switch (by) {
	case RANK_TOTAL:
		return s->total_ms;
	case RANK_MEAN:
		return s->calls > 0 ? s->total_ms / (double)s->calls : 0;
	case RANK_CALLS:
		return (double)s->calls;
	case RANK_READ:
		return (double)s->shared_blks_read;
	case RANK_TEMP:
		return (double)s->temp_blks_written;
	default:
		return 0;
	}
}

/* qsort has no context argument: the order being sorted by, set for each sort */
static const struct report *rank_report;
static enum report_rank rank_by;

static int
cmp_rank(const void *a, const void *b)
{
	const struct stmt_total *x = &rank_report->stmts[*(const int *)a];
	const struct stmt_total *y = &rank_report->stmts[*(const int *)b];
	double vx = rank_value(x, rank_by), vy = rank_value(y, rank_by);

	if (vx != vy)
		return vx > vy ? -1 : 1;
	/* equal figures: the original order (by total time), for a stable report */
	return *(const int *)a - *(const int *)b;
}

int
report_rank(const struct report *r, enum report_rank by, int max, int *idx)
{
	int *all, i, n = 0;

	if (max <= 0 || r->n_stmts == 0)
		return 0;
	all = xcalloc((size_t)r->n_stmts, sizeof *all);
	for (i = 0; i < r->n_stmts; i++)
		if (rank_value(&r->stmts[i], by) > 0)
			all[n++] = i;
	rank_report = r;
	rank_by = by;
	qsort(all, (size_t)n, sizeof *all, cmp_rank);
	if (n > max)
		n = max;
	memcpy(idx, all, (size_t)n * sizeof *idx);
	free(all);
	return n;
}

const struct stmt_total *
report_stmt(const struct report *r, int64_t queryid)
{
	int i;

	for (i = 0; i < r->n_stmts; i++)
		if (r->stmts[i].queryid == queryid)
			return &r->stmts[i];
	return NULL;
}

const struct stmt_series *
report_series_of(const struct report *r, int64_t queryid)
{
	int i;

	for (i = 0; i < r->n_series; i++)
		if (r->series[i].queryid == queryid)
			return &r->series[i].sums;
	return NULL;
}

static const char *const wday_plural[7] = {"Sundays",	"Mondays", "Tuesdays", "Wednesdays",
					   "Thursdays", "Fridays", "Saturdays"};

void
report_pattern_text(struct strbuf *sb, const struct report_pattern *rp)
{
	const struct pattern *p = &rp->p;
	const char *what = rp->metric != NULL && strcmp(rp->metric, "total_ms") == 0
				   ? "execution time"
				   : "calls";
	int wd = p->wday >= 0 ? p->wday % 7 : 0;

	switch (p->type) {
	case PAT_HOUR_PEAK:
		sb_addf(sb, "%s peak at %02d:00 most days: %.1fx the day's usual hour", what,
			p->hour, p->height);
		break;
	case PAT_QUIET_HOURS:
		sb_addf(sb, "%s quiet %02d:00-%02d:59 most days: %.2fx the day's usual hour", what,
			p->hour, p->hour_to, p->height);
		break;
	case PAT_WEEKDAY_PEAK:
		sb_addf(sb, "%s busy on %s: %.1fx the week's usual day", what, wday_plural[wd],
			p->height);
		break;
	case PAT_QUIET_WEEKDAY:
		sb_addf(sb, "%s quiet on %s: %.2fx the week's usual day", what, wday_plural[wd],
			p->height);
		break;
	case PAT_HOUR_OF_WEEK_PEAK:
		sb_addf(sb, "%s peak on %s at %02d:00: %.1fx that hour on other days", what,
			wday_plural[wd], p->hour, p->height);
		break;
	}
	sb_addf(sb, ", in %.0f%% of %d %s", p->recurrence * 100, p->observed,
		p->type == PAT_HOUR_PEAK || p->type == PAT_QUIET_HOURS ? "days" : "weeks");
}

int
report_finding_is_anomaly(const struct finding *f)
{
	return strcmp(f->rule, FINDING_ANOMALY_CALLS) == 0 ||
	       strcmp(f->rule, FINDING_ANOMALY_MEAN_TIME) == 0 ||
	       strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) == 0 ||
	       strcmp(f->rule, FINDING_IMPROVEMENT_MEAN_TIME) == 0;
}

void
report_finding_title(struct strbuf *sb, const struct finding *f)
{
	char when[48];
	int calls = f->metric != NULL && strcmp(f->metric, "calls") == 0;

	if (f->title != NULL) {
		sb_add(sb, f->title);
		return;
	}
	report_local_time(when, sizeof when, f->from);
	if (strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) == 0 ||
	    strcmp(f->rule, FINDING_IMPROVEMENT_MEAN_TIME) == 0) {
		sb_addf(sb, "Mean time %s from %s: %.3f ms before, %.3f ms after (%.2fx)",
			strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) == 0 ? "rose" : "fell", when,
			f->expected, f->observed, f->severity_ratio);
	} else if (strcmp(f->rule, FINDING_ANOMALY_CALLS) == 0 ||
		   strcmp(f->rule, FINDING_ANOMALY_MEAN_TIME) == 0) {
		sb_addf(sb, "Unusual %s at %s for %d h: %.*f%s, usual %.*f to %.*f",
			calls ? "calls" : "mean time", when, f->hours, calls ? 0 : 3, f->observed,
			calls ? " calls/h" : " ms", calls ? 0 : 3, f->low, calls ? 0 : 3, f->high);
	} else {
		sb_addf(sb, "%s", f->rule);
	}
}

const char *
report_effect_word(const struct param_effect *e)
{
	if (!e->r.found)
		return "none";
	if (isfinite(e->r.ratio) ? e->r.ratio > 1 : e->r.after > e->r.before)
		return "increase";
	return "decrease";
}

void
report_effect_text(struct strbuf *sb, const struct param_effect *e)
{
	if (e->has_queryid)
		sb_addf(sb, "query %lld ", (long long)e->queryid);
	else
		sb_add(sb, "server ");
	sb_addf(sb, "%s: %s, %.3g -> %.3g", e->metric, report_effect_word(e), e->r.before,
		e->r.after);
	if (isfinite(e->r.ratio))
		sb_addf(sb, " (x%.2f", e->r.ratio);
	else
		sb_add(sb, " (no ratio");
	if (isfinite(e->r.low) && isfinite(e->r.high))
		sb_addf(sb, ", %.2f to %.2f", e->r.low, e->r.high);
	sb_addf(sb, ") over %d hours", e->r.pairs);
}

void
report_local_time(char *buf, size_t size, double ts)
{
	time_t t;
	struct tm tm;

	if (!isfinite(ts) || ts <= 0 || ts > 253402300799.0) {
		snprintf(buf, size, "-");
		return;
	}
	t = (time_t)ts;
	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, size, "-");
}

void
report_utc_time(char *buf, size_t size, double ts)
{
	time_t t;
	struct tm tm;

	if (size > 0)
		buf[0] = '\0';
	if (!isfinite(ts) || ts < 0 || ts > 253402300799.0)
		return;
	t = (time_t)ts;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

void
report_ms(char *buf, size_t size, double ms)
{
	if (!isfinite(ms))
		snprintf(buf, size, "-");
	else if (ms < 10)
		snprintf(buf, size, "%.3f ms", ms);
	else if (ms < 10000)
		snprintf(buf, size, "%.1f ms", ms);
	else if (ms < 600000)
		snprintf(buf, size, "%.2f s", ms / 1e3);
	else if (ms < 36e6)
		snprintf(buf, size, "%.1f min", ms / 6e4);
	else
		snprintf(buf, size, "%.1f h", ms / 3.6e6);
}

void
report_count(char *buf, size_t size, double v)
{
	char digits[32];
	size_t n, i, o = 0;
	int neg = v < 0;

	if (!isfinite(v)) {
		snprintf(buf, size, "-");
		return;
	}
	if (fabs(v) >= 1e18) {
		snprintf(buf, size, "%.3g", v);
		return;
	}
	snprintf(digits, sizeof digits, "%.0f", fabs(v));
	n = strlen(digits);
	if (size == 0)
		return;
	if (neg && o + 1 < size)
		buf[o++] = '-';
	for (i = 0; i < n && o + 1 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			buf[o++] = ',';
			if (o + 1 >= size)
				break;
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

int
report_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0];
	uint32_t cp;
	int n, i;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}
