#include "config.h"

#include "nplusone.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xutil.h"

void
n1_opts_default(struct n1_opts *o)
{
	o->max_child_rows = 1.5;
	o->max_child_mean_ms = 1.0;
	o->min_calls_per_xact = 5;
	o->min_ms_per_day = 10000;
	o->min_share = 0.02;
	o->min_parent_rows = 2;
	o->min_intervals = 6;
	o->band = 2;
	o->min_in_band = 0.8;
	o->min_corr = 0.8;
	o->min_partial = 0.8;
	o->batch_row_cost = 0.1;
}

/* ---- the text: shape and batched form ---- */

static int
ident_char(int c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '"' || (unsigned char)c >= 0x80;
}

/* The first whole word w (lower case) in s at or after from; -1 when none. */
static long
find_word(const char *s, size_t from, const char *w)
{
	size_t n = strlen(w), len = strlen(s), i, k;

	for (i = from; i + n <= len; i++) {
		if (i > 0 && ident_char(s[i - 1]))
			continue;
		for (k = 0; k < n && tolower((unsigned char)s[i + k]) == w[k]; k++)
			;
		if (k == n && !ident_char(s[i + n]))
			return (long)i;
	}
	return -1;
}

static size_t
skip_space_back(const char *s, size_t j)
{
	while (j > 0 && isspace((unsigned char)s[j]))
		j--;
	return j;
}

/*
 * The first parameter compared for equality at or after from: "col = $N" or "col IN ($N)".
 * [*a, *b) is the comparison from its operator ("=" or "IN") to the end of the parameter
 * (and of the parenthesis of IN); [*p, *q) the parameter with its cast, if any.
 */
static int
find_param_eq(const char *s, size_t from, size_t *a, size_t *b, size_t *p, size_t *q)
{
	size_t len = strlen(s), i;

	for (i = from; i + 1 < len; i++) {
		size_t e, j;

		if (s[i] != '$' || !isdigit((unsigned char)s[i + 1]) || i == 0)
			continue;
		e = i + 1;
		while (e < len && isdigit((unsigned char)s[e]))
			e++;
		*p = i;
		if (s[e] == ':' && s[e + 1] == ':') { /* a cast: $1::bigint */
			e += 2;
			while (e < len && (ident_char(s[e]) || s[e] == '.'))
				e++;
		}
		*q = e;
		j = skip_space_back(s, i - 1);
		if (s[j] == '=' && j > 0 && strchr("<>!=", s[j - 1]) == NULL) {
			size_t k = skip_space_back(s, j - 1);

			if (ident_char(s[k]) || s[k] == ')') {
				*a = j;
				*b = e;
				return 1;
			}
		} else if (s[j] == '(' && j >= 2) {
			size_t k = skip_space_back(s, j - 1), c = e;

			while (c < len && isspace((unsigned char)s[c]))
				c++;
			if (k >= 1 && tolower((unsigned char)s[k]) == 'n' &&
			    tolower((unsigned char)s[k - 1]) == 'i' &&
			    (k < 2 || !ident_char(s[k - 2])) && s[c] == ')') {
				*a = k - 1;
				*b = c + 1;
				return 1;
			}
		}
	}
	return 0;
}

int
nplusone_shape(const char *text)
{
	static const char *const refuse[] = {"group", "union", "intersect", "except", "having"};
	static const char *const aggs[] = {"count", "sum", "avg", "min", "max", "array_agg",
					   "string_agg", "json_agg", "jsonb_agg", "bool_and",
					   "bool_or", "every"};
	size_t i, a, b, p, q;
	long w;

	if (text == NULL)
		return 0;
	for (i = 0; isspace((unsigned char)text[i]) || text[i] == '('; i++)
		;
	if (find_word(text, i, "select") != (long)i)
		return 0;
	for (a = 0; a < sizeof refuse / sizeof refuse[0]; a++)
		if (find_word(text, 0, refuse[a]) >= 0)
			return 0;
	for (a = 0; a < sizeof aggs / sizeof aggs[0]; a++) {
		long at = 0;

		while ((at = find_word(text, (size_t)at, aggs[a])) >= 0) {
			size_t e = (size_t)at + strlen(aggs[a]);

			while (isspace((unsigned char)text[e]))
				e++;
			if (text[e] == '(')
				return 0;
			at = (long)e;
		}
	}
	w = find_word(text, 0, "where");
	if (w < 0)
		return 0;
	return find_param_eq(text, (size_t)w, &a, &b, &p, &q);
}

char *
nplusone_batched(const char *text)
{
	size_t a, b, p, q, len;
	long w;
	char *out, *param;
	int has_cast;

	if (text == NULL || (w = find_word(text, 0, "where")) < 0 ||
	    !find_param_eq(text, (size_t)w, &a, &b, &p, &q))
		return NULL;
	len = strlen(text);
	param = xcalloc(q - p + 3, 1);
	memcpy(param, text + p, q - p);
	has_cast = strstr(param, "::") != NULL;
	if (has_cast)
		strcat(param, "[]"); /* an array of the cast's type */
	out = xasprintf("%.*s= ANY(%s)%s", (int)a, text, param, b < len ? text + b : "");
	free(param);
	return out;
}

/* The first table after FROM, or NULL (caller frees). */
static char *
first_table(const char *text)
{
	long f = find_word(text, 0, "from");
	size_t i, e;

	if (f < 0)
		return NULL;
	i = (size_t)f + 4;
	while (isspace((unsigned char)text[i]))
		i++;
	e = i;
	while (ident_char(text[e]) || text[e] == '.')
		e++;
	if (e == i)
		return NULL;
	return xasprintf("%.*s", (int)(e - i), text + i);
}

/* ---- statistics ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
pearson(const double *x, const double *y, int n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	int i;

	if (n < 3)
		return NAN;
	for (i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx <= 0 || syy <= 0)
		return NAN;
	return sxy / sqrt(sxx * syy);
}

struct ranked {
	double v;
	int i;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i - y->i;
}

/* Ranks of v (ties share their mean rank) into r. */
static void
ranks(const double *v, int n, double *r)
{
	struct ranked *t = xcalloc((size_t)n, sizeof *t);
	int i, j, k;

	for (i = 0; i < n; i++) {
		t[i].v = v[i];
		t[i].i = i;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_ranked);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && t[j].v == t[i].v; j++)
			;
		for (k = i; k < j; k++)
			r[t[k].i] = (i + j - 1) / 2.0;
	}
	free(t);
}

static double
spearman(const double *x, const double *y, int n)
{
	double *rx, *ry, c;

	if (n < 3)
		return NAN;
	rx = xcalloc((size_t)n, sizeof *rx);
	ry = xcalloc((size_t)n, sizeof *ry);
	ranks(x, n, rx);
	ranks(y, n, ry);
	c = pearson(rx, ry, n);
	free(rx);
	free(ry);
	return c;
}

/* ---- the search ---- */

struct pair {
	int parent;      /* index, -1: none */
	int k;           /* intervals used */
	int first, last; /* the first and last of them */
	double ratio;    /* child calls / parent rows over them */
	double med;      /* median of the ratios of single intervals */
	double fanout;   /* child calls / parent calls over them */
	double in_band;  /* share of them with the ratio in the band */
	double pearson, spearman, corr;
	double partial;     /* correlation with the rest of the load held apart; NAN: none */
	double parent_rows; /* the parent's rows a call */
};

struct work {
	double *x, *y, *r; /* n each */
	double *o;         /* n: the other statements' calls a second */
	const double *load; /* n: the calls of all statements per interval */
};

/* Whether j may be the parent of i; *pr filled when it may. */
static int
try_parent(const struct n1_input *in, const struct n1_opts *o, struct work *w, int i, int j,
	   struct pair *pr)
{
	const struct n1_stmt *c = &in->stmts[i], *p = &in->stmts[j];
	double cc = 0, prow = 0, pcalls = 0, med, lo, hi;
	int k = 0, nr = 0, inb = 0, t, first = -1, last = -1;

	for (t = 0; t < in->n; t++) {
		double a = p->rows[t], b = c->calls[t];

		if (in->dur[t] <= 0 || (a <= 0 && b <= 0))
			continue;
		w->x[k] = a / in->dur[t];
		w->y[k] = b / in->dur[t];
		w->o[k] = (w->load[t] - c->calls[t] - p->calls[t]) / in->dur[t];
		k++;
		if (first < 0)
			first = t;
		last = t;
		cc += b;
		prow += a;
		pcalls += p->calls[t];
		if (a > 0 && b > 0)
			w->r[nr++] = b / a;
	}
	if (k < o->min_intervals || nr == 0 || prow <= 0 || pcalls <= 0)
		return 0;
	med = median(w->r, nr);
	lo = med / o->band;
	hi = med * o->band;
	for (t = 0; t < nr; t++)
		if (w->r[t] >= lo && w->r[t] <= hi)
			inb++;
	if ((double)inb < o->min_in_band * k)
		return 0;
	pr->pearson = pearson(w->x, w->y, k);
	pr->spearman = NAN;
	if (!(pr->pearson >= o->min_corr))
		pr->spearman = spearman(w->x, w->y, k);
	pr->corr = pr->pearson;
	if (isnan(pr->corr) || (!isnan(pr->spearman) && pr->spearman > pr->corr))
		pr->corr = pr->spearman;
	if (!(pr->corr >= o->min_corr))
		return 0;
	/*
	 * Two statements that only rise and fall with the whole load (a burst after a stall,
	 * the daily curve) correlate without one driving the other: hold the rest of the load
	 * apart (partial correlation) and ask that the pair still go together.
	 */
	pr->partial = NAN;
	{
		/* on the logarithms: a shared load multiplies the rates, it does not add */
		double r_xy, r_co, r_po, d, mx = 0, my = 0, mo = 0;
		int m;

		for (m = 0; m < k; m++) {
			mx += w->x[m] / k;
			my += w->y[m] / k;
			mo += fmax(w->o[m], 0) / k;
		}
		/* an offset of 1% of the mean keeps an interval without calls finite */
		for (m = 0; m < k; m++) {
			w->x[m] = log(w->x[m] + 0.01 * mx + 1e-12);
			w->y[m] = log(w->y[m] + 0.01 * my + 1e-12);
			w->o[m] = log(fmax(w->o[m], 0) + 0.01 * mo + 1e-12);
		}
		r_xy = pearson(w->x, w->y, k);
		r_co = pearson(w->o, w->y, k);
		r_po = pearson(w->o, w->x, k);
		d = (1 - r_co * r_co) * (1 - r_po * r_po);
		if (!isnan(r_xy) && !isnan(r_co) && !isnan(r_po) && d > 1e-9) {
			pr->partial = (r_xy - r_co * r_po) / sqrt(d);
			if (!(pr->partial >= o->min_partial))
				return 0;
		}
	}
	pr->parent = j;
	pr->k = k;
	pr->first = first;
	pr->last = last;
	pr->ratio = cc / prow;
	pr->med = med;
	pr->fanout = cc / pcalls;
	pr->in_band = (double)inb / k;
	pr->parent_rows = prow / pcalls;
	return 1;
}

/* Whether a is a better parent than b. */
static int
better(const struct pair *a, const struct pair *b)
{
	if (b->parent < 0)
		return 1;
	if (fabs(a->corr - b->corr) > 0.01)
		return a->corr > b->corr;
	return fabs(log(a->ratio)) < fabs(log(b->ratio));
}

/* ---- the findings' texts ---- */

static void
put_num(char *buf, size_t size, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, size, "null");
	else
		snprintf(buf, size, "%.6g", v);
}

static char *
short_text(const char *text)
{
	size_t n;

	if (text == NULL)
		return xstrdup("text not stored");
	n = strlen(text);
	if (n <= 80)
		return xstrdup(text);
	return xasprintf("%.77s...", text);
}

static char *
per_day(double ms)
{
	if (ms < 1000)
		return xasprintf("%.0f ms", ms);
	if (ms < 60000)
		return xasprintf("%.1f s", ms / 1000);
	if (ms < 3600000)
		return xasprintf("%.1f min", ms / 60000);
	return xasprintf("%.1f h", ms / 3600000);
}

static const char orm_fix[] =
	"In the application, load the association eagerly instead of once per row: Rails "
	"includes or preload, Django select_related (a foreign key) or prefetch_related (a "
	"reverse or many-to-many relation), SQLAlchemy selectinload or joinedload, Hibernate "
	"JOIN FETCH or @BatchSize.";

static char *
suggestion(const struct n1_stmt *c, const struct n1_stmt *p)
{
	char *batched = nplusone_batched(c->text), *table = c->text ? first_table(c->text) : NULL;
	char *out, *first, *join;

	if (batched != NULL)
		first = xasprintf("Fetch the rows in one statement with an array of the keys: %s.",
				  batched);
	else
		first = xstrdup("Fetch the rows in one statement with an array of the keys "
				"(col = ANY($1)) instead of one statement per key.");
	if (p != NULL)
		join = xasprintf(" Or join %s into statement %lld, which yields the keys.",
				 table != NULL ? table : "the looked-up table", (long long)p->queryid);
	else
		join = xstrdup(" Or join it into the statement that yields the keys.");
	out = xasprintf("%s%s %s", first, join, orm_fix);
	free(batched);
	free(table);
	free(first);
	free(join);
	return out;
}

static void
make_finding(const struct n1_input *in, const struct n1_opts *o, const struct n1_stmt *c,
	     const struct pair *pr, int k, int first, int last, double cpx, double ms_day,
	     int shape, struct finding *f)
{
	const struct n1_stmt *p = pr->parent >= 0 ? &in->stmts[pr->parent] : NULL;
	double calls = 0, rows = 0, total = 0, n_loop, share;
	char b[16][32], *ct, *pt, *day, *save;
	int t;

	for (t = 0; t < in->n; t++) {
		calls += c->calls[t];
		rows += c->rows[t];
		total += c->total_ms[t];
	}
	n_loop = p != NULL ? pr->fanout : cpx;
	share = n_loop > 1 ? 1 - (1 + o->batch_row_cost * (n_loop - 1)) / n_loop : 0;
	if (share < 0)
		share = 0;
	finding_init(f);
	f->rule = FINDING_N_PLUS_ONE;
	f->category = "n_plus_one";
	f->metric = "calls";
	f->has_queryid = 1;
	f->queryid = c->queryid;
	f->from = in->t[first];
	f->to = in->t[last] + in->dur[last];
	f->hours = (int)lround((f->to - f->from) / 3600);
	f->saving_ms_per_day = ms_day * share;
	f->confidence = (c->text != NULL && shape ? 0.4 : 0.2) + (p != NULL ? 0.3 : 0) +
			0.1 * (k >= 12 ? 1 : k / 12.0);
	if (p != NULL) {
		f->observed = pr->ratio;
		f->expected = pr->med;
		f->low = pr->med / o->band;
		f->high = pr->med * o->band;
		f->score = pr->corr;
		f->severity = f->saving_ms_per_day >= 600000 ? "high" : "medium";
	} else {
		f->observed = cpx;
		f->low = o->min_calls_per_xact;
		f->score = cpx;
		f->severity = f->saving_ms_per_day >= 600000 ? "medium" : "low";
	}
	ct = short_text(c->text);
	day = per_day(ms_day);
	save = per_day(f->saving_ms_per_day);
	put_num(b[0], sizeof b[0], cpx);
	snprintf(b[15], sizeof b[15], "%.1f", cpx);
	put_num(b[1], sizeof b[1], rows / calls);
	put_num(b[2], sizeof b[2], total / calls);
	put_num(b[3], sizeof b[3], ms_day);
	put_num(b[4], sizeof b[4], f->saving_ms_per_day);
	if (p != NULL) {
		pt = short_text(p->text);
		if (pr->ratio >= 0.75 && pr->ratio <= 1.0 / 0.75)
			f->title = xasprintf("N+1 loop: statement %lld runs once per row of "
					     "statement %lld",
					     (long long)c->queryid, (long long)p->queryid);
		else
			f->title = xasprintf("N+1 loop: statement %lld runs %.2g times per row of "
					     "statement %lld",
					     (long long)c->queryid, pr->ratio, (long long)p->queryid);
		f->detail = xasprintf(
			"Statement %lld (%s) is called %.1f times per call of statement %lld (%s), "
			"%.2f times per row that it returns (%.1f rows a call), in %d %s with a "
			"correlation of %.2f; the ratio held within a factor %g of its median in "
			"%.0f%% of them. The lookup returns %.2f rows a call in %.3f ms, runs %s "
			"times per transaction of its database, and takes %s a day; a batch would "
			"save about %s a day.",
			(long long)c->queryid, ct, pr->fanout, (long long)p->queryid, pt, pr->ratio,
			pr->parent_rows, k, in->hourly ? "hours" : "samples", pr->corr, o->band,
			100 * pr->in_band, rows / calls, total / calls,
			isnan(cpx) ? "an unknown number of" : b[15], day, save);
		put_num(b[5], sizeof b[5], pr->ratio);
		put_num(b[6], sizeof b[6], pr->fanout);
		put_num(b[7], sizeof b[7], pr->corr);
		put_num(b[8], sizeof b[8], pr->pearson);
		put_num(b[9], sizeof b[9], pr->spearman);
		put_num(b[10], sizeof b[10], pr->in_band);
		put_num(b[11], sizeof b[11], pr->parent_rows);
		put_num(b[12], sizeof b[12], pr->med);
		put_num(b[13], sizeof b[13], pr->partial);
		f->evidence = xasprintf(
			"{\"parent_queryid\": \"%lld\", \"parent_found\": true, \"ratio\": %s, "
			"\"median_ratio\": %s, \"fanout\": %s, \"correlation\": %s, \"pearson\": %s, "
			"\"spearman\": %s, \"partial_correlation\": %s, \"in_band\": %s, "
			"\"parent_rows_per_call\": %s, "
			"\"calls_per_xact\": %s, \"rows_per_call\": %s, \"mean_ms\": %s, "
			"\"ms_per_day\": %s, \"saving_ms_per_day\": %s, \"intervals\": %d, "
			"\"interval\": \"%s\", \"shape\": %s}",
			(long long)p->queryid, b[5], b[12], b[6], b[7], b[8], b[9], b[13], b[10], b[11],
			b[0],
			b[1], b[2], b[3], b[4], k, in->hourly ? "hour" : "sample",
			c->text == NULL ? "null" : shape ? "true" : "false");
		free(pt);
	} else {
		f->title = xasprintf("N+1-shaped hot lookup: statement %lld runs %.0f times per "
				     "transaction",
				     (long long)c->queryid, cpx);
		f->detail = xasprintf(
			"Statement %lld (%s) returns %.2f rows a call in %.3f ms and runs %.1f times "
			"per transaction of its database over %d %s, taking %s a day; no statement "
			"whose rows its calls follow was found, so the loop that runs it is not "
			"known. A batch would save about %s a day.",
			(long long)c->queryid, ct, rows / calls, total / calls, cpx, k,
			in->hourly ? "hours" : "samples", day, save);
		f->evidence = xasprintf(
			"{\"parent_queryid\": null, \"parent_found\": false, \"note\": \"no parent "
			"found\", \"ratio\": null, \"fanout\": null, \"correlation\": null, "
			"\"calls_per_xact\": %s, \"rows_per_call\": %s, \"mean_ms\": %s, "
			"\"ms_per_day\": %s, \"saving_ms_per_day\": %s, \"intervals\": %d, "
			"\"interval\": \"%s\", \"shape\": %s}",
			b[0], b[1], b[2], b[3], b[4], k, in->hourly ? "hour" : "sample",
			c->text == NULL ? "null" : shape ? "true" : "false");
	}
	f->suggestion = suggestion(c, p);
	free(ct);
	free(day);
	free(save);
}

int
nplusone_find(const struct n1_input *in, const struct n1_opts *o, struct finding **out)
{
	double covered = 0, server_ms = 0;
	struct work w;
	int i, j, t, n_out = 0;

	*out = NULL;
	if (in->n <= 0 || in->n_stmts <= 0)
		return 0;
	for (t = 0; t < in->n; t++)
		if (in->dur[t] > 0)
			covered += in->dur[t];
	if (covered <= 0)
		return 0;
	for (i = 0; i < in->n_stmts; i++)
		for (t = 0; t < in->n; t++)
			server_ms += in->stmts[i].total_ms[t];
	w.x = xcalloc((size_t)in->n, sizeof *w.x);
	w.y = xcalloc((size_t)in->n, sizeof *w.y);
	w.r = xcalloc((size_t)in->n, sizeof *w.r);
	w.o = xcalloc((size_t)in->n, sizeof *w.o);
	{
		double *load = xcalloc((size_t)in->n, sizeof *load);

		for (i = 0; i < in->n_stmts; i++)
			for (t = 0; t < in->n; t++)
				load[t] += in->stmts[i].calls[t];
		w.load = load;
	}
	for (i = 0; i < in->n_stmts; i++) {
		const struct n1_stmt *c = &in->stmts[i];
		const struct n1_db *db = NULL;
		double calls = 0, rows = 0, total = 0, xc = 0, xx = 0, cpx = NAN, ms_day;
		int k = 0, first = -1, last = -1, shape;
		struct pair best;

		for (t = 0; t < in->n; t++) {
			if (in->dur[t] <= 0)
				continue;
			calls += c->calls[t];
			rows += c->rows[t];
			total += c->total_ms[t];
			if (c->calls[t] > 0) {
				k++;
				if (first < 0)
					first = t;
				last = t;
			}
		}
		if (calls <= 0 || rows / calls > o->max_child_rows ||
		    total / calls > o->max_child_mean_ms)
			continue;
		ms_day = total * 86400 / covered;
		if (ms_day < o->min_ms_per_day && !(server_ms > 0 && total / server_ms >= o->min_share))
			continue;
		shape = nplusone_shape(c->text);
		if (c->text != NULL && !shape)
			continue;
		for (j = 0; j < in->n_dbs; j++)
			if (in->dbs[j].dbid == c->dbid)
				db = &in->dbs[j];
		if (db != NULL) {
			for (t = 0; t < in->n; t++)
				if (in->dur[t] > 0 && !isnan(db->xacts[t])) {
					xx += db->xacts[t];
					xc += c->calls[t];
				}
			if (xx > 0)
				cpx = xc / xx;
		}
		memset(&best, 0, sizeof best);
		best.parent = -1;
		for (j = 0; j < in->n_stmts; j++) {
			const struct n1_stmt *p = &in->stmts[j];
			double pc = 0, prw = 0;
			struct pair pr;

			if (j == i || p->dbid != c->dbid || p->userid != c->userid)
				continue;
			for (t = 0; t < in->n; t++) {
				pc += p->calls[t];
				prw += p->rows[t];
			}
			if (pc <= 0 || prw / pc < o->min_parent_rows)
				continue;
			if (try_parent(in, o, &w, i, j, &pr) && better(&pr, &best))
				best = pr;
		}
		if (best.parent >= 0) {
			if (!(best.fanout >= o->min_calls_per_xact) && !(cpx >= o->min_calls_per_xact))
				continue;
			k = best.k;
			first = best.first;
			last = best.last;
		} else if (k < o->min_intervals || !(cpx >= o->min_calls_per_xact)) {
			continue;
		}
		*out = xreallocarray(*out, (size_t)n_out + 1, sizeof **out);
		make_finding(in, o, c, &best, k, first, last, cpx, ms_day, shape, &(*out)[n_out]);
		n_out++;
	}
	free(w.x);
	free(w.y);
	free(w.r);
	free(w.o);
	free((void *)w.load);
	return n_out;
}
