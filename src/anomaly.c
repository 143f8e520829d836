#include "config.h"

#include "anomaly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xutil.h"

/* MAD times this estimates the standard deviation of normal noise. */
#define MAD_SCALE 1.4826
/* A day counts as history with this many sampled hours. */
#define DAY_MIN_HOURS 20
/* A day has a level of mean time with this many hours that have calls. */
#define LEVEL_MIN_HOURS 3
/* A usual value is the median of this many other hours at least. */
#define MIN_REFS 3
/* Changes of level looked for in one series. */
#define MAX_CHANGES 8
/* Daily levels (logarithms) are never taken as steadier than this. */
#define LEVEL_SCALE_FLOOR 0.005
/* Hours this close before a change, at its new level, belong to the change. */
#define NEAR_CHANGE_HOURS 24
/* An anomaly judged against the hours of the day only is less certain. */
#define DAILY_CONFIDENCE 0.8

void
anomaly_opts_default(struct anomaly_opts *o)
{
	o->z = 5.5;
	o->rel_floor = 0.1;
	o->min_time_calls = 10;
	o->min_days = 7;
	o->min_ratio = 1.3;
	o->change_z = 6;
	o->min_days_before = 3;
	o->min_days_after = 2;
	o->hold_share = 0.8;
}

/* ---- robust statistics ---- */

/* The k-th smallest of n values (from 0); v is reordered, v[0..k-1] <= v[k]. */
static double
select_kth(double *v, int n, int k)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double x = v[i];

				v[i++] = v[j];
				v[j--] = x;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* The median of n values, NAN for none; v is reordered. */
static double
median(double *v, int n)
{
	double m, below;
	int i;

	if (n <= 0)
		return NAN;
	m = select_kth(v, n, n / 2);
	if (n % 2)
		return m;
	below = v[0];
	for (i = 1; i < n / 2; i++)
		if (v[i] > below)
			below = v[i];
	return (m + below) / 2;
}

/* The median absolute deviation of n values from m; v is overwritten. */
static double
mad(double *v, int n, double m)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = fabs(v[i] - m);
	return median(v, n);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
sort_dbl(double *a, int n)
{
	int i, j;

	if (n > 24) {
		qsort(a, (size_t)n, sizeof *a, cmp_dbl);
		return;
	}
	for (i = 1; i < n; i++) {
		double x = a[i];

		for (j = i; j > 0 && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/*
 * The median of the sorted positive w[0..m-1] without one value x of them, the middle two
 * of an even number taken by their geometric mean: the median of the logarithms.
 */
static double
median_without(const double *w, int m, double x)
{
	int k = m - 1, r1 = (k - 1) / 2, r2;

	if (k <= 0)
		return NAN;
	if (k % 2)
		return x <= w[r1] ? w[r1 + 1] : w[r1];
	r1 = k / 2 - 1;
	r2 = k / 2;
	if (x < w[r2])
		return sqrt(w[r2] * w[r2 + 1]);
	if (x > w[r2])
		return sqrt(w[r1] * w[r2]);
	return sqrt(w[r1] * w[r2 + 1]);
}

/* ---- usual values ---- */

/*
 * The values are positive (calls + 1, mean times) and compared by their ratios, as
 * logarithms would be, without taking them: the median of the logarithms is the logarithm
 * of the median, and a deviation |log(v / e)| is the logarithm of max(v / e, e / v).
 */

/* The bucket of hour i: its hour of the week, or of the day; -1 when out of range. */
static int
bucket_of(const struct anomaly_series *s, int i, int weekly)
{
	if (s->hour[i] < 0 || s->hour[i] > 23 || s->wday[i] < 0 || s->wday[i] > 6)
		return -1;
	return weekly ? s->wday[i] * 24 + s->hour[i] : s->hour[i];
}

/*
 * For each hour i of [lo, hi) with a value in v and need[i] (need NULL: every hour), the
 * median of v over the other hours of its bucket (the same hour of the week, or of the
 * day) in [lo, hi), into med[i], when there are MIN_REFS of them. When there are fewer,
 * and wlo is not NULL, the lowest and highest of them into wlo[i] and whi[i].
 */
static void
bucket_medians(const struct anomaly_series *s, const double *v, int lo, int hi, int weekly,
	       const unsigned char *need, double *med, double *wlo, double *whi)
{
	int nb = weekly ? 7 * 24 : 24, i, b, k;
	int start[7 * 24 + 1], fill[7 * 24];
	unsigned char used[7 * 24];
	double *a = xcalloc((size_t)(hi - lo) + 1, sizeof *a);
	int *idx = xcalloc((size_t)(hi - lo) + 1, sizeof *idx);

	memset(start, 0, sizeof start);
	memset(fill, 0, sizeof fill);
	memset(used, 0, sizeof used);
	for (i = lo; i < hi; i++) {
		if (isnan(v[i]) || (b = bucket_of(s, i, weekly)) < 0)
			continue;
		start[b + 1]++;
		if (need == NULL || need[i])
			used[b] = 1;
	}
	for (b = 0; b < nb; b++)
		start[b + 1] += start[b];
	for (i = lo; i < hi; i++) {
		if (isnan(v[i]) || (b = bucket_of(s, i, weekly)) < 0 || !used[b])
			continue;
		a[start[b] + fill[b]] = v[i];
		idx[start[b] + fill[b]] = i;
		fill[b]++;
	}
	for (b = 0; b < nb; b++) {
		double *w = a + start[b];
		int m = fill[b];

		if (m == 0)
			continue;
		sort_dbl(w, m);
		for (k = start[b]; k < start[b] + m; k++) {
			i = idx[k];
			if (need != NULL && !need[i])
				continue;
			if (m - 1 >= MIN_REFS) {
				med[i] = median_without(w, m, v[i]);
			} else if (wlo != NULL && m > 1) {
				wlo[i] = v[i] <= w[0] ? w[1] : w[0];
				whi[i] = v[i] >= w[m - 1] ? w[m - 2] : w[m - 1];
			}
		}
	}
	free(a);
	free(idx);
}

/* What each hour of a series is judged against. */
struct usual {
	double *e;            /* the usual value, NAN: not judged */
	double *wlo, *whi;    /* with daily: the same hour of the week in the other weeks */
	unsigned char *daily; /* e is from the same hour of the day on the other days */
	unsigned char *need;
};

static void
usual_alloc(struct usual *u, int n)
{
	u->e = xcalloc((size_t)n + 1, sizeof *u->e);
	u->wlo = xcalloc((size_t)n + 1, sizeof *u->wlo);
	u->whi = xcalloc((size_t)n + 1, sizeof *u->whi);
	u->daily = xcalloc((size_t)n + 1, 1);
	u->need = xcalloc((size_t)n + 1, 1);
}

static void
usual_free(struct usual *u)
{
	free(u->e);
	free(u->wlo);
	free(u->whi);
	free(u->daily);
	free(u->need);
}

/*
 * The usual values of the hours [lo, hi) of v: the same hour of the week in the other
 * weeks, else the same hour of the day on the other days.
 */
static void
usual_values(const struct anomaly_series *s, const double *v, int lo, int hi, struct usual *u)
{
	int i, any = 0;

	for (i = lo; i < hi; i++) {
		u->e[i] = u->wlo[i] = u->whi[i] = NAN;
		u->daily[i] = 0;
	}
	bucket_medians(s, v, lo, hi, 1, NULL, u->e, u->wlo, u->whi);
	for (i = lo; i < hi; i++) {
		u->need[i] = !isnan(v[i]) && isnan(u->e[i]);
		any |= u->need[i];
	}
	if (!any)
		return;
	bucket_medians(s, v, lo, hi, 0, u->need, u->e, NULL, NULL);
	for (i = lo; i < hi; i++)
		u->daily[i] = u->need[i] && !isnan(u->e[i]);
}

/* ---- findings ---- */

static struct finding *
add(struct finding **out, int *n)
{
	struct finding *f;

	*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
	f = &(*out)[(*n)++];
	finding_init(f);
	return f;
}

/* One metric's hours to judge. */
struct metric {
	const char *rule;
	const char *name;
	int counts;            /* calls: v is calls + 1, with counting noise */
	const double *v;       /* the positive values, NAN: not judged */
	const signed char *ok; /* per hour: +1 (-1): an excursion up (down) is explained; NULL */
};

/* The least scale (log) of hour i beyond the statement's own: counting noise. */
static double
scale_floor(const struct anomaly_series *s, const struct metric *m, const struct usual *u, int i)
{
	/* calls: Poisson noise, sqrt(expected) of expected; a mean time: of its calls */
	return m->counts ? 1 / sqrt(u->e[i]) : 1 / sqrt(s->calls[i]);
}

/*
 * Could an hour of [lo, hi) be anomalous? Not when each hour of the week is judged
 * against the other weeks and its values lie closer together than the narrowest band
 * that the floors allow: the usual value lies among them. A cheap test that spares the
 * usual values of most steady series.
 */
static int
could_flag(const struct anomaly_series *s, const struct anomaly_opts *o, const struct metric *m,
	   int lo, int hi)
{
	double mn[7 * 24], mx[7 * 24], most[7 * 24], rel = log1p(o->rel_floor);
	int cnt[7 * 24], i, b;

	memset(cnt, 0, sizeof cnt);
	for (i = lo; i < hi; i++) {
		double x = m->v[i], w;

		if (isnan(x) || (b = bucket_of(s, i, 1)) < 0)
			continue;
		/* what bounds the counting floor: the largest value, or calls */
		w = m->counts ? x : s->calls[i];
		if (cnt[b]++ == 0) {
			mn[b] = mx[b] = x;
			most[b] = w;
			continue;
		}
		mn[b] = fmin(mn[b], x);
		mx[b] = fmax(mx[b], x);
		most[b] = fmax(most[b], w);
	}
	for (b = 0; b < 7 * 24; b++) {
		if (cnt[b] == 0)
			continue;
		if (cnt[b] - 1 < MIN_REFS ||
		    mx[b] / mn[b] >= exp(o->z * fmax(rel, 1 / sqrt(most[b]))))
			return 1;
	}
	return 0;
}

/*
 * The anomalous hours of m (usual values in u), consecutive ones of the same sign as one
 * finding each.
 */
static void
scan(const struct anomaly_series *s, const struct anomaly_opts *o, const struct metric *m,
     const struct usual *u, double *tmp, struct finding **out, int *n_out)
{
	double sigma, base, cut, z_thr = o->z, rel = log1p(o->rel_floor);
	int i, k = 0, run = -1, sign = 0, any = 0;

	/* each hour's deviation from its usual value, as a ratio >= 1 */
	cut = exp(z_thr * rel);
	for (i = 0; i < s->n; i++)
		if (!isnan(m->v[i]) && !isnan(u->e[i])) {
			double q = m->v[i] / u->e[i];

			tmp[k] = q >= 1 ? q : 1 / q;
			if (tmp[k] >= cut && !any)
				any = log(tmp[k]) >= z_thr * scale_floor(s, m, u, i);
			k++;
		}
	/* none beyond the floors: none beyond the band, whatever the scale */
	if (k < MIN_REFS || !any)
		return;
	/* the robust scale of the logarithms of the deviations (their median is 0) */
	sigma = MAD_SCALE * log(median(tmp, k));
	base = fmax(sigma, rel);
	cut = exp(z_thr * base);
	for (i = 0; i <= s->n; i++) {
		double sc = 0, z = 0;
		int flag = 0;

		if (i < s->n && !isnan(m->v[i]) && !isnan(u->e[i])) {
			double q = m->v[i] / u->e[i];

			if (q >= cut || q * cut <= 1) {
				sc = fmax(base, scale_floor(s, m, u, i));
				z = log(q) / sc;
				flag = z >= z_thr ? 1 : z <= -z_thr ? -1 : 0;
			}
			/* a recurring hour of the week is not an anomaly, even with few weeks */
			if (flag && u->daily[i] && !isnan(u->wlo[i]) &&
			    (flag > 0 ? log(m->v[i] / u->whi[i]) : log(u->wlo[i] / m->v[i])) <
				    z_thr * sc)
				flag = 0;
			if (flag && m->ok != NULL && m->ok[i] == flag)
				flag = 0;
		}
		if (run >= 0 && flag == sign)
			continue;
		if (run >= 0) {
			/* the run [run, i) */
			struct finding *f = add(out, n_out);
			double obs = 0, exp_ = 0, lo = 0, hi = 0, w = 0, zmax = 0;

			f->category = "anomaly";
			int j, daily = 0;

			for (j = run; j < i; j++) {
				double sj = fmax(base, scale_floor(s, m, u, j)), zj, wj;
				double band = exp(z_thr * sj);

				zj = log(m->v[j] / u->e[j]) / sj;
				if (fabs(zj) > fabs(zmax))
					zmax = zj;
				daily |= u->daily[j];
				if (m->counts) {
					obs += s->calls[j];
					exp_ += u->e[j] - 1;
					lo += fmax(0, u->e[j] / band - 1);
					hi += u->e[j] * band - 1;
					w += 1;
				} else {
					wj = s->calls[j];
					obs += s->total_ms[j];
					exp_ += wj * u->e[j];
					lo += wj * u->e[j] / band;
					hi += wj * u->e[j] * band;
					w += wj;
				}
			}
			f->rule = m->rule;
			f->metric = m->name;
			f->has_queryid = s->has_queryid;
			f->queryid = s->queryid;
			f->from = s->t[run];
			f->to = s->t[i - 1] + 3600;
			f->hours = i - run;
			f->observed = obs / w;
			f->expected = exp_ / w;
			f->low = lo / w;
			f->high = hi / w;
			f->severity_ratio = f->expected > 0 ? f->observed / f->expected : NAN;
			f->score = zmax;
			f->confidence = (1 - 0.5 * (z_thr / zmax) * (z_thr / zmax)) *
					(daily ? DAILY_CONFIDENCE : 1);
			run = -1;
		}
		if (flag) {
			run = i;
			sign = flag;
		}
	}
}

/* ---- changes of level of the mean time ---- */

struct change {
	int start;            /* the first hour at the new level */
	double before, after; /* the levels (log, hour-of-day profile removed) */
	double sep;           /* their distance in standard errors */
	double share;         /* of the days from the change on at the new level */
	double scale;         /* robust scale of the hours before (log) */
	int days_after;
};

/* The median of v[lo..hi) (tmp: scratch). */
static double
level_of(const double *v, int lo, int hi, double *tmp)
{
	memcpy(tmp, v + lo, (size_t)(hi - lo) * sizeof *tmp);
	return median(tmp, hi - lo);
}

/* The robust standard deviation of two adjacent segments about their own levels. */
static double
pooled_scale(const double *v, int lo, int k, int hi, double a, double b, double *tmp)
{
	int i, n = 0;

	for (i = lo; i < hi; i++)
		tmp[n++] = fabs(v[i] - (i < k ? a : b));
	return fmax(MAD_SCALE * median(tmp, n), LEVEL_SCALE_FLOOR);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Has hour i a mean time? */
static int
timed(const struct anomaly_series *s, int i)
{
	return !isnan(s->calls[i]) && s->calls[i] >= 1 && s->total_ms[i] > 0;
}

/*
 * The changes of level of the mean time that hold to the end. dstart[d] is the first hour
 * of day d, dstart[nd] == s->n.
 */
static int
find_changes(const struct anomaly_series *s, const struct anomaly_opts *o, const int *dstart,
	     int nd, struct change *ch)
{
	int n = s->n, i, d, h, m = 0, n_cp = 0, k, j, nch = 0, top, minseg;
	double *tmp = xcalloc((size_t)n + 1, sizeof *tmp);
	double *dv = xcalloc((size_t)nd + 1, sizeof *dv);
	double *sm = xcalloc((size_t)nd + 1, sizeof *sm);
	double *pre = xcalloc((size_t)nd + 2, sizeof *pre);
	int *vd = xcalloc((size_t)nd + 1, sizeof *vd);
	int cps[MAX_CHANGES + 2], stack[4 * (MAX_CHANGES + 2)], bound[MAX_CHANGES + 3];
	double prof[24], seg_lev[MAX_CHANGES + 2], ht[24], hc[24], all_t = 0, all_c = 0;

	/*
	 * The hour-of-day profile: each hour's mean time against that of all hours (a change
	 * of level scales both alike). A day's level is its time against what its calls would
	 * have taken at the profile: the day's mean time, seasons of the day removed.
	 */
	memset(ht, 0, sizeof ht);
	memset(hc, 0, sizeof hc);
	for (i = 0; i < n; i++)
		if (timed(s, i) && s->hour[i] >= 0 && s->hour[i] < 24) {
			ht[s->hour[i]] += s->total_ms[i];
			hc[s->hour[i]] += s->calls[i];
		}
	for (h = 0; h < 24; h++) {
		all_t += ht[h];
		all_c += hc[h];
	}
	if (all_t <= 0)
		goto done;
	for (h = 0; h < 24; h++)
		prof[h] = hc[h] > 0 && ht[h] > 0 ? (ht[h] / hc[h]) / (all_t / all_c) : 1;
	for (d = 0; d < nd; d++) {
		double tt = 0, cc = 0;
		int c = 0;

		for (i = dstart[d]; i < dstart[d + 1]; i++)
			if (timed(s, i) && s->hour[i] >= 0 && s->hour[i] < 24) {
				tt += s->total_ms[i];
				cc += s->calls[i] * prof[s->hour[i]];
				c++;
			}
		if (c >= LEVEL_MIN_HOURS) {
			dv[m] = log(tt / cc);
			vd[m++] = d;
		}
	}
	if (m < o->min_days_before + o->min_days_after)
		goto done;

	/* binary segmentation: a running median of 3 days keeps steps and drops odd days */
	for (k = 0; k < m; k++) {
		double a = dv[k > 0 ? k - 1 : k], b = dv[k], c = dv[k + 1 < m ? k + 1 : k];

		sm[k] = fmax(fmin(a, b), fmin(fmax(a, b), c));
		pre[k + 1] = pre[k] + sm[k];
	}
	{
		/* no two days far enough apart: no change of level */
		double lo = dv[0], hi = dv[0];

		for (k = 1; k < m; k++) {
			lo = fmin(lo, dv[k]);
			hi = fmax(hi, dv[k]);
		}
		if (hi - lo < log(o->min_ratio))
			goto done;
	}
	minseg = o->min_days_after > 1 ? o->min_days_after : 1;
	top = 0;
	stack[top++] = 0;
	stack[top++] = m;
	while (top > 0 && n_cp < MAX_CHANGES) {
		int hi = stack[--top], lo = stack[--top], best = -1;
		double best_stat = 0, a, b, sc, sep;

		for (k = lo + minseg; k <= hi - minseg; k++) {
			double n1 = k - lo, n2 = hi - k, diff, stat;

			diff = (pre[hi] - pre[k]) / n2 - (pre[k] - pre[lo]) / n1;
			stat = fabs(diff) * sqrt(n1 * n2 / (n1 + n2));
			if (stat > best_stat) {
				best_stat = stat;
				best = k;
			}
		}
		if (best < 0)
			continue;
		b = level_of(dv, lo, best, tmp);
		a = level_of(dv, best, hi, tmp);
		sc = pooled_scale(dv, lo, best, hi, b, a, tmp);
		sep = fabs(a - b) / (sc * sqrt(1.0 / (best - lo) + 1.0 / (hi - best)));
		if (fabs(a - b) < log(o->min_ratio) || sep < o->change_z)
			continue;
		cps[n_cp++] = best;
		stack[top++] = lo;
		stack[top++] = best;
		stack[top++] = best;
		stack[top++] = hi;
	}
	if (n_cp == 0)
		goto done;
	qsort(cps, (size_t)n_cp, sizeof *cps, cmp_int);
	bound[0] = 0;
	for (j = 0; j < n_cp; j++)
		bound[j + 1] = cps[j];
	bound[n_cp + 1] = m;
	for (j = 0; j <= n_cp; j++)
		seg_lev[j] = level_of(dv, bound[j], bound[j + 1], tmp);

	/* the changes that hold to the end, each dated to the hour */
	for (j = 1; j <= n_cp; j++) {
		double b = seg_lev[j - 1], a = seg_lev[j], mid = (a + b) / 2, sc, sep, cost, best_cost;
		int dir = a > b ? 1 : -1, held = 0, lo_day, hi_day, h0, h1, best, prev, first, bd;
		struct change *c;

		if (fabs(a - b) < log(o->min_ratio) || bound[j] < o->min_days_before)
			continue;
		sc = pooled_scale(dv, bound[j - 1], bound[j], bound[j + 1], b, a, tmp);
		sep = fabs(a - b) /
		      (sc * sqrt(1.0 / (bound[j] - bound[j - 1]) + 1.0 / (bound[j + 1] - bound[j])));
		if (sep < o->change_z)
			continue;
		/*
		 * The hour: around the last day before and the first day at the new level, the
		 * split of the hours that fits the two levels best (least absolute deviations).
		 */
		lo_day = vd[bound[j] - 1] - 1;
		if (lo_day < vd[bound[j - 1]])
			lo_day = vd[bound[j - 1]];
		hi_day = vd[bound[j]] + 1;
		if (hi_day > vd[bound[j + 1] - 1])
			hi_day = vd[bound[j + 1] - 1];
		h0 = dstart[lo_day];
		h1 = dstart[hi_day + 1];
		for (i = h0; i < h1; i++)
			tmp[i] = timed(s, i) && s->hour[i] >= 0 && s->hour[i] < 24
					 ? log(s->total_ms[i] / s->calls[i] / prof[s->hour[i]])
					 : NAN;
		cost = 0;
		for (i = h0; i < h1; i++)
			if (!isnan(tmp[i]))
				cost += fabs(tmp[i] - a);
		best_cost = INFINITY;
		best = -1;
		for (i = h0; i < h1; i++) {
			if (isnan(tmp[i]))
				continue;
			if (cost < best_cost) {
				best_cost = cost;
				best = i;
			}
			cost += fabs(tmp[i] - b) - fabs(tmp[i] - a);
		}
		prev = nch > 0 ? ch[nch - 1].start : 0;
		if (best <= prev)
			continue;
		/*
		 * It held: the days after the one it started in (that one too when it started
		 * with it; otherwise it mixes both levels) are at the new level, the last ones
		 * among them.
		 */
		bd = s->day[best] - s->day[0];
		for (first = 0; first < m && (vd[first] < bd || (vd[first] == bd && best > dstart[bd]));
		     first++)
			;
		if (m - first < o->min_days_after)
			continue;
		for (k = first; k < m; k++)
			held += dir * (dv[k] - mid) > 0;
		if ((double)held / (m - first) < o->hold_share ||
		    dir * (level_of(dv, m - o->min_days_after, m, tmp) - mid) <= 0)
			continue;
		c = &ch[nch++];
		c->start = best;
		c->before = b;
		c->after = a;
		c->sep = sep;
		c->share = (double)held / (m - first);
		c->days_after = m - first;
		/* the spread of the hours before, about their level */
		k = 0;
		for (i = prev; i < best; i++)
			if (timed(s, i) && s->hour[i] >= 0 && s->hour[i] < 24)
				tmp[k++] = log(s->total_ms[i] / s->calls[i] / prof[s->hour[i]]);
		c->scale = k >= MIN_REFS ? MAD_SCALE * mad(tmp, k, b) : 0;
	}
done:
	free(tmp);
	free(dv);
	free(sm);
	free(pre);
	free(vd);
	return nch;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

int
anomalies_find(const struct anomaly_series *s, const struct anomaly_opts *o,
	       struct finding **out, const char **why)
{
	int n = s->n, nd, d, i, full = 0, n_out = 0, n_changes = 0, first_anomaly;
	int *dstart;
	double *v, *tmp, rel = log1p(o->rel_floor);
	struct usual u;
	struct metric m;
	struct change ch[MAX_CHANGES];

	*out = NULL;
	*why = NULL;
	if (n <= 0) {
		*why = "no hours in the history";
		return -1;
	}
	nd = s->day[n - 1] - s->day[0] + 1;
	if (nd < 1)
		nd = 1;
	dstart = xcalloc((size_t)nd + 1, sizeof *dstart);
	for (d = 0, i = 0; d <= nd; d++) {
		while (i < n && s->day[i] - s->day[0] < d)
			i++;
		dstart[d] = d == nd ? n : i;
	}
	for (d = 0; d < nd; d++) {
		int c = 0;

		for (i = dstart[d]; i < dstart[d + 1]; i++)
			c += !isnan(s->calls[i]);
		full += c >= DAY_MIN_HOURS;
	}
	if (full < o->min_days) {
		free(dstart);
		*why = "fewer days of history than anomalies need";
		return -1;
	}
	v = xcalloc((size_t)n + 1, sizeof *v);
	tmp = xcalloc((size_t)n + 1, sizeof *tmp);
	usual_alloc(&u, n);

	if (s->total_ms != NULL) {
		signed char *ok = xcalloc((size_t)n + 1, 1);
		int j, lo, any;

		n_changes = find_changes(s, o, dstart, nd, ch);
		for (j = 0; j < n_changes; j++) {
			const struct change *c = &ch[j];
			struct finding *f = add(out, &n_out);
			int end = j + 1 < n_changes ? ch[j + 1].start : n, from = j ? ch[j - 1].start : 0;
			double tb = 0, cb = 0, ta = 0, ca = 0, sc = fmax(c->scale, rel);

			for (i = from; i < end; i++) {
				if (!timed(s, i))
					continue;
				if (i < c->start) {
					tb += s->total_ms[i];
					cb += s->calls[i];
				} else {
					ta += s->total_ms[i];
					ca += s->calls[i];
					f->hours++;
				}
			}
			f->rule = c->after > c->before ? FINDING_REGRESSION_MEAN_TIME
						       : FINDING_IMPROVEMENT_MEAN_TIME;
			f->category = "regression";
			f->metric = "mean_ms";
			f->has_queryid = s->has_queryid;
			f->queryid = s->queryid;
			f->from = s->t[c->start];
			f->to = s->t[n - 1] + 3600;
			f->expected = tb / cb;
			f->observed = ta / ca;
			f->low = f->expected * exp(-o->z * sc);
			f->high = f->expected * exp(o->z * sc);
			f->severity_ratio = f->observed / f->expected;
			f->score = c->sep;
			f->confidence = c->share * fmin(1, c->sep / (2 * o->change_z)) *
					fmin(1, c->days_after / (2.0 * o->min_days_after));
			/* the hours just before it, at its new level, are the change itself */
			for (i = c->start - NEAR_CHANGE_HOURS; i < c->start; i++)
				if (i >= 0)
					ok[i] = (signed char)(c->after > c->before ? 1 : -1);
		}
		/* mean time per call, in hours with enough calls, against its own level */
		for (i = 0; i < n; i++)
			v[i] = timed(s, i) && s->calls[i] >= o->min_time_calls
				       ? s->total_ms[i] / s->calls[i]
				       : NAN;
		m.rule = FINDING_ANOMALY_MEAN_TIME;
		m.name = "mean_ms";
		m.counts = 0;
		m.v = v;
		m.ok = ok;
		for (j = 0, lo = 0, any = 0; j <= n_changes && !any; j++) {
			int hi = j < n_changes ? ch[j].start : n;

			any = could_flag(s, o, &m, lo, hi);
			lo = hi;
		}
		for (j = 0, lo = 0; any && j <= n_changes; j++) {
			int hi = j < n_changes ? ch[j].start : n;

			usual_values(s, v, lo, hi, &u);
			lo = hi;
		}
		if (any)
			scan(s, o, &m, &u, tmp, out, &n_out);
		free(ok);
	}
	first_anomaly = n_changes;

	/* calls per hour (plus one: an hour without calls is a value too) */
	for (i = 0; i < n; i++)
		v[i] = isnan(s->calls[i]) ? NAN : fmax(s->calls[i], 0) + 1;
	m.rule = FINDING_ANOMALY_CALLS;
	m.name = "calls";
	m.counts = 1;
	m.v = v;
	m.ok = NULL;
	if (could_flag(s, o, &m, 0, n)) {
		usual_values(s, v, 0, n, &u);
		scan(s, o, &m, &u, tmp, out, &n_out);
	}
	if (n_out - first_anomaly > 1)
		qsort(*out + first_anomaly, (size_t)(n_out - first_anomaly), sizeof **out,
		      cmp_finding);

	usual_free(&u);
	free(v);
	free(tmp);
	free(dstart);
	return n_out;
}
