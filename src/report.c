#include "config.h"

#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
add_patterns(struct report *r, const struct pattern *p, int n, int has_queryid, int64_t queryid)
{
	int i;

	if (n <= 0)
		return;
	r->patterns = xreallocarray(r->patterns, (size_t)(r->n_patterns + n), sizeof *r->patterns);
	for (i = 0; i < n; i++) {
		struct report_pattern *rp = &r->patterns[r->n_patterns++];

		rp->has_queryid = has_queryid;
		rp->queryid = queryid;
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

/* The patterns of the whole server and of each statement, over the window's whole hours. */
static int
report_patterns(struct store *st, struct report *r, struct pgt_err *err)
{
	struct stmt_series ser;
	struct pattern_opts o;
	struct hour_series hs;
	long long h0 = (long long)ceil(r->from / 3600), h1 = (long long)floor(r->to / 3600) - 1;
	int *hour, *wday, *day, i, k;
	double *t, *v;

	if (store_stmt_series(st, r->server.id, h0, h1, &ser, err) < 0)
		return -1;
	if (ser.n_hours <= 0) {
		r->patterns_note = "no whole hour of history in the window";
		return 0;
	}
	hour = xcalloc((size_t)ser.n_hours, sizeof *hour);
	wday = xcalloc((size_t)ser.n_hours, sizeof *wday);
	day = xcalloc((size_t)ser.n_hours, sizeof *day);
	t = xcalloc((size_t)ser.n_hours, sizeof *t);
	v = xcalloc((size_t)ser.n_hours, sizeof *v);
	for (i = 0; i < ser.n_hours; i++) {
		time_t tt = (time_t)((ser.h0 + i) * 3600);
		struct tm tm;

		localtime_r(&tt, &tm);
		hour[i] = tm.tm_hour;
		wday[i] = tm.tm_wday;
		day[i] = (int)civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		t[i] = (double)tt;
	}
	pattern_opts_default(&o);
	memset(&hs, 0, sizeof hs);
	hs.n = ser.n_hours;
	hs.v = v;
	hs.hour = hour;
	hs.wday = wday;
	hs.day = day;
	hs.t = t;
	hs.counts = 1;
	/* the whole server first: the calls of all statements */
	for (k = -1; k < ser.n_stmts; k++) {
		struct pattern *found = NULL;
		const char *why = NULL;
		int n;

		for (i = 0; i < ser.n_hours; i++) {
			if (!ser.sampled[i]) {
				v[i] = NAN;
			} else if (k >= 0) {
				v[i] = ser.calls[(size_t)k * (size_t)ser.n_hours + (size_t)i];
			} else {
				int j;

				v[i] = 0;
				for (j = 0; j < ser.n_stmts; j++)
					v[i] += ser.calls[(size_t)j * (size_t)ser.n_hours + (size_t)i];
			}
		}
		n = patterns_find(&hs, &o, &found, &why);
		if (n < 0 && k < 0) {
			r->patterns_note = why;
			free(found);
			break; /* the statements have no more history than the server */
		}
		add_patterns(r, found, n, k >= 0, k >= 0 ? ser.queryid[k] : 0);
		free(found);
	}
	if (r->n_patterns > 1)
		qsort(r->patterns, (size_t)r->n_patterns, sizeof *r->patterns, cmp_confidence);
	free(hour);
	free(wday);
	free(day);
	free(t);
	free(v);
	store_stmt_series_free(&ser);
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
	return report_patterns(st, r, err);
}

void
report_free(struct report *r)
{
	store_statements_free(r->stmts, r->n_stmts);
	r->stmts = NULL;
	r->n_stmts = 0;
	free(r->patterns);
	r->patterns = NULL;
	r->n_patterns = 0;
}
