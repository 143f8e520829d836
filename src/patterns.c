#include "config.h"

#include "patterns.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xutil.h"

/* MAD times this estimates the standard deviation of normal noise. */
#define MAD_SCALE 1.4826
/* A day is used when it has this many sampled hours. */
#define DAY_MIN_HOURS 20
/* A week is used when it has this many usable days. */
#define WEEK_MIN_DAYS 6
/* What an hour of the week must stand out by beyond o->z. */
#define WEEK_Z_EXTRA 0.25
/*
 * An hour of the week stands out from the same hour of the other days by this ratio at
 * least: below it, a "peak" among 168 buckets a week is the noise's largest draws.
 */
#define WEEK_MIN_HEIGHT 1.4
/*
 * An hour of the day stands out in its day by this much less than o->z: it must then do
 * so on half the days of at least a week, which chance does not do (24 hours a day, not
 * 168 buckets a week).
 */
#define DAY_Z_RELIEF 0.5
/* A pattern has stood out this many times at least. */
#define MIN_OCCURRENCES 3
/* No noise below this share of the level: a flat series does not make every wiggle a peak. */
#define REL_FLOOR 0.05

void
pattern_opts_default(struct pattern_opts *o)
{
	o->z = 2.5;
	o->min_recurrence = 0.5;
	o->min_days = 7;
	o->min_weeks = 3;
	o->min_level = 1;
}

const char *
pattern_type_name(enum pattern_type t)
{
	switch (t) {
	case PAT_HOUR_PEAK:
		return "hour_peak";
	case PAT_QUIET_HOURS:
		return "quiet_hours";
	case PAT_WEEKDAY_PEAK:
		return "weekday_peak";
	case PAT_QUIET_WEEKDAY:
		return "quiet_weekday";
	case PAT_HOUR_OF_WEEK_PEAK:
		return "hour_of_week_peak";
	}
	return "?";
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
stats_median(double *v, int n)
{
	if (n <= 0)
		return NAN;
	if (n <= 32) { /* the usual sizes here (7, 24): no calls through a pointer */
		int i, j;

		for (i = 1; i < n; i++) {
			double x = v[i];

			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	} else {
		qsort(v, (size_t)n, sizeof *v, cmp_dbl);
	}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
stats_mad(double *v, int n, double median)
{
	int i;

	if (n <= 0)
		return NAN;
	for (i = 0; i < n; i++)
		v[i] = fabs(v[i] - median);
	return stats_median(v, n);
}

/* The robust centre and scale of n values (NANs skipped); 0 when fewer than min. */
static int
centre(const double *v, int n, int min, int counts, double *med, double *scale)
{
	double buf[32], *w = n <= 32 ? buf : xcalloc((size_t)n, sizeof *w);
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			w[k++] = v[i];
	if (k < min || k == 0) {
		if (w != buf)
			free(w);
		return 0;
	}
	*med = stats_median(w, k);
	*scale = MAD_SCALE * stats_mad(w, k, *med);
	if (*scale < REL_FLOOR * fabs(*med))
		*scale = REL_FLOOR * fabs(*med);
	if (counts && *scale < sqrt(fabs(*med)))
		*scale = sqrt(fabs(*med));
	if (*scale < 1e-9)
		*scale = 1e-9;
	if (w != buf)
		free(w);
	return 1;
}

/* What one bucket (an hour of the day, a weekday, an hour of the week) saw. */
struct bucket {
	int observed, hits;
	double *ratios; /* of the hits */
	double first, last;
};

static void
bucket_hit(struct bucket *b, double ratio, double t)
{
	b->ratios = xreallocarray(b->ratios, (size_t)b->hits + 1, sizeof *b->ratios);
	b->ratios[b->hits++] = ratio;
	if (b->first == 0 || t < b->first)
		b->first = t;
	if (t > b->last)
		b->last = t;
}

/* Height, consistency and confidence of a bucket that recurs; 0 when it does not. */
static int
bucket_pattern(struct bucket *b, const struct pattern_opts *o, int needed, struct pattern *p)
{
	double dev;

	/* three times at least: twice can be chance among hundreds of buckets */
	if (b->observed == 0 || b->hits < MIN_OCCURRENCES)
		return 0;
	p->recurrence = (double)b->hits / b->observed;
	if (p->recurrence < o->min_recurrence)
		return 0;
	p->height = stats_median(b->ratios, b->hits);
	dev = fabs(p->height - 1);
	p->consistency = dev > 0 ? 1 - fmin(1, MAD_SCALE * stats_mad(b->ratios, b->hits, p->height) /
						     dev)
				 : 0;
	p->observed = b->observed;
	p->occurrences = b->hits;
	p->first = b->first;
	p->last = b->last;
	p->confidence = p->recurrence * (0.5 + 0.5 * p->consistency) *
			fmin(1, (double)b->observed / (2.0 * needed));
	return 1;
}

static void
add(struct pattern **out, int *n, const struct pattern *p)
{
	*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
	(*out)[(*n)++] = *p;
}

int
patterns_find(const struct hour_series *s, const struct pattern_opts *o, struct pattern **out,
	      const char **why)
{
	int ndays, d, h, i, w, k, n = 0, usable_days = 0, weeks = 0;
	double *grid, *tgrid, *dmed, *dscale, *sbase, level;
	int *dwday, *dok;
	struct bucket hod_hi[24], hod_lo[24], wd_hi[7], wd_lo[7], how[7][24];

	*out = NULL;
	*why = NULL;
	if (s->n <= 0) {
		*why = "no hours in the history";
		return -1;
	}
	ndays = s->day[s->n - 1] - s->day[0] + 1;
	grid = xcalloc((size_t)ndays * 24, sizeof *grid);
	tgrid = xcalloc((size_t)ndays * 24, sizeof *tgrid);
	dmed = xcalloc((size_t)ndays, sizeof *dmed);
	dscale = xcalloc((size_t)ndays, sizeof *dscale);
	dwday = xcalloc((size_t)ndays, sizeof *dwday);
	dok = xcalloc((size_t)ndays, sizeof *dok);
	sbase = xcalloc((size_t)ndays, sizeof *sbase);
	for (i = 0; i < ndays * 24; i++)
		grid[i] = NAN;
	for (i = 0; i < s->n; i++) {
		d = s->day[i] - s->day[0];
		if (d < 0 || d >= ndays || s->hour[i] < 0 || s->hour[i] > 23)
			continue;
		grid[d * 24 + s->hour[i]] = s->v[i];
		tgrid[d * 24 + s->hour[i]] = s->t[i];
		dwday[d] = s->wday[i];
	}
	/* the level of the whole series (its mean): too little activity says nothing */
	level = 0;
	for (i = 0, k = 0; i < s->n; i++)
		if (!isnan(s->v[i])) {
			level += s->v[i];
			k++;
		}
	level = k > 0 ? level / k : 0;
	for (d = 0; d < ndays; d++) {
		dok[d] = centre(grid + d * 24, 24, DAY_MIN_HOURS, s->counts, &dmed[d], &dscale[d]) &&
			 dmed[d] > 0;
		usable_days += dok[d];
	}
	/*
	 * The level an hour of the week is a share of: its day's median hour. A day cut by
	 * the edge of the window takes that of the same weekday a week later (or earlier),
	 * so that every hour of the week is seen as often as the window holds it.
	 */
	for (d = 0; d < ndays; d++) {
		if (dok[d])
			sbase[d] = dmed[d];
		else if (d + 7 < ndays && dok[d + 7])
			sbase[d] = dmed[d + 7];
		else if (d >= 7 && dok[d - 7])
			sbase[d] = dmed[d - 7];
		else
			sbase[d] = NAN;
	}
	if (usable_days < o->min_days) {
		*why = "fewer days of history than hour-of-day patterns need";
		n = -1;
		goto done;
	}
	if (level < o->min_level)
		goto done;
	memset(hod_hi, 0, sizeof hod_hi);
	memset(hod_lo, 0, sizeof hod_lo);
	memset(wd_hi, 0, sizeof wd_hi);
	memset(wd_lo, 0, sizeof wd_lo);
	memset(how, 0, sizeof how);

	/* hours of the day: each hour against the median hour of its own day */
	for (d = 0; d < ndays; d++) {
		if (!dok[d])
			continue;
		for (h = 0; h < 24; h++) {
			double v = grid[d * 24 + h], z;

			if (isnan(v))
				continue;
			z = (v - dmed[d]) / dscale[d];
			hod_hi[h].observed++;
			hod_lo[h].observed++;
			if (z >= o->z - DAY_Z_RELIEF)
				bucket_hit(&hod_hi[h], v / dmed[d], tgrid[d * 24 + h]);
			else if (z <= -(o->z - DAY_Z_RELIEF))
				bucket_hit(&hod_lo[h], v / dmed[d], tgrid[d * 24 + h]);
		}
	}
	for (h = 0; h < 24; h++) {
		struct pattern p;

		memset(&p, 0, sizeof p);
		p.type = PAT_HOUR_PEAK;
		p.hour = p.hour_to = h;
		p.wday = -1;
		if (bucket_pattern(&hod_hi[h], o, o->min_days, &p))
			add(out, &n, &p);
	}
	/* quiet hours, joined into ranges (which may run past midnight) */
	{
		struct pattern q[24];
		int quiet[24], start;

		for (h = 0; h < 24; h++) {
			memset(&q[h], 0, sizeof q[h]);
			quiet[h] = bucket_pattern(&hod_lo[h], o, o->min_days, &q[h]);
		}
		/* a range starts at a quiet hour after one that is not quiet */
		for (start = 0; start < 24; start++) {
			int b = start, m = 0;
			struct pattern r;

			if (!quiet[start] || quiet[(start + 23) % 24])
				continue;
			memset(&r, 0, sizeof r);
			r.type = PAT_QUIET_HOURS;
			r.wday = -1;
			r.hour = start;
			r.first = q[start].first;
			while (quiet[b] && m < 24) {
				r.height += q[b].height;
				r.recurrence += q[b].recurrence;
				r.consistency += q[b].consistency;
				r.confidence += q[b].confidence;
				if (q[b].observed > r.observed)
					r.observed = q[b].observed;
				r.occurrences += q[b].occurrences;
				if (q[b].first < r.first)
					r.first = q[b].first;
				if (q[b].last > r.last)
					r.last = q[b].last;
				r.hour_to = b;
				b = (b + 1) % 24;
				m++;
			}
			r.height /= m;
			r.recurrence /= m;
			r.consistency /= m;
			r.confidence /= m;
			add(out, &n, &r);
		}
	}

	/* weekdays: a day's total against the median day of its week */
	for (w = 0; w * 7 < ndays; w++) {
		double tot[7], ratio_base;
		int dd[7], m = 0;
		double med, scale;

		for (k = 0; k < 7 && w * 7 + k < ndays; k++) {
			d = w * 7 + k;
			tot[k] = NAN;
			dd[k] = d;
			if (dok[d]) {
				double sum = 0;
				int c = 0;

				for (h = 0; h < 24; h++)
					if (!isnan(grid[d * 24 + h])) {
						sum += grid[d * 24 + h];
						c++;
					}
				tot[k] = sum * 24 / c;
				m++;
			}
		}
		for (; k < 7; k++)
			tot[k] = NAN;
		if (m < WEEK_MIN_DAYS || !centre(tot, 7, WEEK_MIN_DAYS, s->counts, &med, &scale) ||
		    med <= 0)
			continue;
		weeks++;
		ratio_base = med;
		for (k = 0; k < 7; k++) {
			double z;

			if (isnan(tot[k]))
				continue;
			z = (tot[k] - med) / scale;
			wd_hi[dwday[dd[k]]].observed++;
			wd_lo[dwday[dd[k]]].observed++;
			if (z >= o->z)
				bucket_hit(&wd_hi[dwday[dd[k]]], tot[k] / ratio_base, tgrid[dd[k] * 24]);
			else if (z <= -o->z)
				bucket_hit(&wd_lo[dwday[dd[k]]], tot[k] / ratio_base, tgrid[dd[k] * 24]);
		}
		/* hours of the week: an hour's share of its day against the same hour that week */
		for (h = 0; h < 24; h++) {
			double r[7], rmed, rscale;

			for (k = 0; k < 7; k++) {
				d = w * 7 + k;
				r[k] = d < ndays && !isnan(sbase[d]) && !isnan(grid[d * 24 + h])
					       ? grid[d * 24 + h] / sbase[d]
					       : NAN;
			}
			if (!centre(r, 7, WEEK_MIN_DAYS, 0, &rmed, &rscale) || rmed <= 0)
				continue;
			for (k = 0; k < 7; k++) {
				double floor_k;

				if (isnan(r[k]))
					continue;
				d = w * 7 + k;
				/* counts: Poisson noise of the hour, as a share of the day's level */
				floor_k = s->counts ? sqrt(fmax(grid[d * 24 + h], 1)) / sbase[d] : 0;
				how[dwday[d]][h].observed++;
				/* 168 buckets a week, not 24: a higher bar against chance */
				if ((r[k] - rmed) / fmax(rscale, floor_k) >= o->z + WEEK_Z_EXTRA)
					bucket_hit(&how[dwday[d]][h], r[k] / rmed, tgrid[d * 24 + h]);
			}
		}
	}
	if (weeks >= o->min_weeks) {
		for (k = 0; k < 7; k++) {
			struct pattern p;

			memset(&p, 0, sizeof p);
			p.type = PAT_WEEKDAY_PEAK;
			p.wday = k;
			p.hour = 0;
			p.hour_to = 23;
			if (bucket_pattern(&wd_hi[k], o, o->min_weeks, &p))
				add(out, &n, &p);
			memset(&p, 0, sizeof p);
			p.type = PAT_QUIET_WEEKDAY;
			p.wday = k;
			p.hour_to = 23;
			if (bucket_pattern(&wd_lo[k], o, o->min_weeks, &p))
				add(out, &n, &p);
		}
		for (k = 0; k < 7; k++)
			for (h = 0; h < 24; h++) {
				struct pattern p;

				memset(&p, 0, sizeof p);
				p.type = PAT_HOUR_OF_WEEK_PEAK;
				p.wday = k;
				p.hour = p.hour_to = h;
				if (bucket_pattern(&how[k][h], o, o->min_weeks, &p) &&
				    p.height >= WEEK_MIN_HEIGHT)
					add(out, &n, &p);
			}
	}
	for (h = 0; h < 24; h++) {
		free(hod_hi[h].ratios);
		free(hod_lo[h].ratios);
	}
	for (k = 0; k < 7; k++) {
		free(wd_hi[k].ratios);
		free(wd_lo[k].ratios);
		for (h = 0; h < 24; h++)
			free(how[k][h].ratios);
	}
done:
	free(grid);
	free(tgrid);
	free(dmed);
	free(sbase);
	free(dscale);
	free(dwday);
	free(dok);
	return n;
}
