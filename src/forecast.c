#include "config.h"

#include "forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xutil.h"

#define WEEK 168
#define DAY 24
/* The fit at a backtest origin has this many hours at least. */
#define FIT_MIN WEEK
/* Errors of a day of horizon for its quantiles; fewer: pooled with the days before it. */
#define MIN_RESID 30
/* A tiny ridge on the normal equations: an hour or weekday never sampled gets 0. */
#define RIDGE 1e-6
/* Features of the regression: 1, 23 hours, 6 weekdays, the trend. */
#define MAX_P 31
/* Interval levels. */
#define Q80_LO 0.10
#define Q80_HI 0.90
#define Q95_LO 0.025
#define Q95_HI 0.975

void
fc_opts_default(struct fc_opts *o)
{
	o->horizon = FC_HORIZON;
	o->min_hours = FC_MIN_HOURS;
	o->origins = FC_MAX_ORIGINS;
	o->alpha = 0.05;
	o->beta = 0.002;
	o->gamma = 0.2;
	o->cover_low = 0.65;
	o->cover_high = 0.92;
}

const char *
fc_model_name(enum fc_model m)
{
	switch (m) {
	case FC_SNAIVE:
		return "seasonal_naive";
	case FC_REGRESSION:
		return "regression";
	case FC_HOLT_WINTERS:
		return "holt_winters";
	case FC_N_MODELS:
		break;
	}
	return "?";
}

void
fc_slots(long long h0, int n, unsigned char *slot)
{
	int i;

	for (i = 0; i < n; i++) {
		time_t t = (time_t)((h0 + i) * 3600);
		struct tm tm;

		if (localtime_r(&t, &tm) == NULL)
			slot[i] = (unsigned char)(((h0 + i + 96) % WEEK + WEEK) % WEEK);
		else
			slot[i] = (unsigned char)(tm.tm_wday * 24 + tm.tm_hour);
	}
}

/* What the models share: the fit's hours, on the log scale, and the origins. */
struct work {
	int N;                      /* hours of the fit */
	const double *y;            /* their values */
	double *z;                  /* log(y + off), NAN where missing */
	const unsigned char *slot;  /* N + H hours */
	double off;
	int H;
	int n_orig;                 /* the backtest's origins, then the final one (N) */
	int orig[FC_MAX_ORIGINS + 1];
	int len[FC_MAX_ORIGINS + 1]; /* hours forecast from each */
	double *fz[FC_N_MODELS];    /* n_orig x H forecasts, log scale */
};

static double
back(const struct work *w, double z)
{
	double y = exp(z) - w->off;

	return y > 0 ? y : 0;
}

/* ---- seasonal naive ---- */

static void
fit_snaive(const struct work *w, double *out)
{
	int j, h;

	for (j = 0; j < w->n_orig; j++) {
		int o = w->orig[j], m = o >= 2 * WEEK ? WEEK : DAY, last = o - 1;
		double lastv;

		while (last >= 0 && isnan(w->z[last]))
			last--;
		lastv = last >= 0 ? w->z[last] : 0;
		for (h = 1; h <= w->len[j]; h++) {
			int t = o + h - 1, src = t - ((h + m - 1) / m) * m;

			while (src >= 0 && isnan(w->z[src]))
				src -= m;
			out[(size_t)j * (size_t)w->H + (size_t)(h - 1)] = src >= 0 ? w->z[src] : lastv;
		}
	}
}

/* ---- additive Holt-Winters, season m (168 or 24) ---- */

/* The mean of the non-missing z[a..b); 0 and *ok 0 when none. */
static double
mean_of(const double *z, int a, int b, int *ok)
{
	double s = 0;
	int k = 0, i;

	for (i = a; i < b; i++)
		if (!isnan(z[i])) {
			s += z[i];
			k++;
		}
	*ok = k > 0;
	return k > 0 ? s / k : 0;
}

/*
 * One pass over the fit's hours: the states after the hours before each origin are
 * exactly those of a fit on those hours alone. Serves the origins o with
 * (o >= 2 weeks) == weekly.
 */
static void
hw_pass(const struct work *w, int weekly, const struct fc_opts *op, double *out)
{
	int m = weekly ? WEEK : DAY, t = 2 * m, j, i, ok1, ok2;
	double s[WEEK], l, b, m1, m2, sum = 0;
	const double *z = w->z;

	m1 = mean_of(z, 0, m, &ok1);
	m2 = mean_of(z, m, 2 * m, &ok2);
	if (!ok1)
		m1 = m2;
	if (!ok2)
		m2 = m1;
	b = ok1 && ok2 ? (m2 - m1) / m : 0;
	for (i = 0; i < m; i++) {
		double a = 0;
		int k = 0;

		if (!isnan(z[i])) {
			a += z[i] - (m1 - b * (m - 1) / 2.0 + b * i);
			k++;
		}
		if (!isnan(z[m + i])) {
			a += z[m + i] - (m2 - b * (m - 1) / 2.0 + b * i);
			k++;
		}
		s[i] = k ? a / k : 0;
		sum += s[i];
	}
	for (i = 0; i < m; i++)
		s[i] -= sum / m;
	l = m2 + b * (m - 1) / 2.0; /* at hour 2m - 1 */
	for (j = 0; j < w->n_orig; j++) {
		int o = w->orig[j], h;

		if ((o >= 2 * WEEK) != weekly || o < 2 * m)
			continue;
		for (; t < o; t++) {
			int k = t % m;

			if (isnan(z[t])) {
				l += b;
			} else {
				double ln = op->alpha * (z[t] - s[k]) + (1 - op->alpha) * (l + b);

				b = op->beta * (ln - l) + (1 - op->beta) * b;
				s[k] = op->gamma * (z[t] - ln) + (1 - op->gamma) * s[k];
				l = ln;
			}
		}
		for (h = 1; h <= w->len[j]; h++)
			out[(size_t)j * (size_t)w->H + (size_t)(h - 1)] = l + h * b + s[(o + h - 1) % m];
	}
}

static void
fit_hw(const struct work *w, const struct fc_opts *op, double *out)
{
	int j, daily = 0, weekly = 0;

	for (j = 0; j < w->n_orig; j++) {
		if (w->orig[j] >= 2 * WEEK)
			weekly = 1;
		else
			daily = 1;
	}
	if (daily)
		hw_pass(w, 0, op, out);
	if (weekly)
		hw_pass(w, 1, op, out);
}

/* ---- regression on hour of day, weekday and trend ---- */

/* Sums per hour of the week over the hours seen so far (tau: days since the fit's start). */
struct cells {
	double n[WEEK], tau[WEEK], z[WEEK];
	double tt, tz;
};

/* Cholesky solve of the p x p system a x = b (a is overwritten); -1 when not positive. */
static int
chol_solve(double a[MAX_P][MAX_P], double *b, int p, double *x)
{
	int i, j, k;

	for (j = 0; j < p; j++) {
		double d = a[j][j];

		for (k = 0; k < j; k++)
			d -= a[j][k] * a[j][k];
		if (!(d > 0))
			return -1;
		a[j][j] = sqrt(d);
		for (i = j + 1; i < p; i++) {
			double s = a[i][j];

			for (k = 0; k < j; k++)
				s -= a[i][k] * a[j][k];
			a[i][j] = s / a[j][j];
		}
	}
	for (i = 0; i < p; i++) {
		double s = b[i];

		for (k = 0; k < i; k++)
			s -= a[i][k] * x[k];
		x[i] = s / a[i][i];
	}
	for (i = p - 1; i >= 0; i--) {
		double s = x[i];

		for (k = i + 1; k < p; k++)
			s -= a[k][i] * x[k];
		x[i] = s / a[i][i];
	}
	return 0;
}

/*
 * The least-squares coefficients over the hours summed in c: x[0] the intercept, x[h]
 * hour h (1..23), x[23 + d] weekday d (1..6, weekly only), x[p - 1] the trend per day
 * about the mean day *mu. The normal equations are built from the sums per hour of the
 * week. Returns p, or 0 when nothing was seen.
 */
static int
reg_solve(const struct cells *c, int weekly, double *x, double *mu)
{
	double a[MAX_P][MAX_P], b[MAX_P];
	double nh[DAY] = {0}, th[DAY] = {0}, zh[DAY] = {0}, nw[7] = {0}, tw[7] = {0}, zw[7] = {0};
	double N = 0, T = 0, Z = 0;
	int p = weekly ? 31 : 25, tr = p - 1, i, k;

	for (k = 0; k < WEEK; k++) {
		int h = k % DAY, d = k / DAY;

		nh[h] += c->n[k];
		th[h] += c->tau[k];
		zh[h] += c->z[k];
		nw[d] += c->n[k];
		tw[d] += c->tau[k];
		zw[d] += c->z[k];
	}
	for (i = 0; i < DAY; i++) {
		N += nh[i];
		T += th[i];
		Z += zh[i];
	}
	if (N < 1)
		return 0;
	*mu = T / N;
	memset(a, 0, sizeof a);
	a[0][0] = N;
	b[0] = Z;
	for (i = 1; i < DAY; i++) {
		a[i][0] = nh[i];
		a[i][i] = nh[i];
		a[tr][i] = th[i] - *mu * nh[i];
		b[i] = zh[i];
	}
	if (weekly) {
		for (i = 1; i < 7; i++) {
			int r = 23 + i, h;

			a[r][0] = nw[i];
			a[r][r] = nw[i];
			a[tr][r] = tw[i] - *mu * nw[i];
			b[r] = zw[i];
			for (h = 1; h < DAY; h++)
				a[r][h] = c->n[i * DAY + h];
		}
	}
	a[tr][0] = 0; /* the trend is centred */
	a[tr][tr] = c->tt - N * *mu * *mu;
	b[tr] = c->tz - *mu * Z;
	for (i = 0; i < p; i++) {
		a[i][i] += RIDGE * (N + 1);
		for (k = i + 1; k < p; k++)
			a[i][k] = a[k][i];
	}
	if (chol_solve(a, b, p, x) < 0)
		return 0;
	return p;
}

static void
fit_regression(const struct work *w, double *out)
{
	struct cells *c = xcalloc(1, sizeof *c);
	int t = 0, j, h;

	for (j = 0; j < w->n_orig; j++) {
		int o = w->orig[j], weekly = o >= 2 * WEEK, p;
		double x[MAX_P], mu = 0;

		for (; t < o; t++) {
			double tau = t / 24.0;
			int k = w->slot[t];

			if (isnan(w->z[t]))
				continue;
			c->n[k] += 1;
			c->tau[k] += tau;
			c->z[k] += w->z[t];
			c->tt += tau * tau;
			c->tz += tau * w->z[t];
		}
		p = reg_solve(c, weekly, x, &mu);
		for (h = 1; h <= w->len[j]; h++) {
			int tt = o + h - 1, k = w->slot[tt], hr = k % DAY, d = k / DAY;
			double f = 0;

			if (p > 0) {
				f = x[0] + x[p - 1] * (tt / 24.0 - mu);
				if (hr > 0)
					f += x[hr];
				if (weekly && d > 0)
					f += x[23 + d];
			}
			out[(size_t)j * (size_t)w->H + (size_t)(h - 1)] = f;
		}
	}
	free(c);
}

/* ---- errors and intervals ---- */

struct resid {
	double r;  /* log-scale error: actual - forecast */
	int org;   /* the origin */
};

/* Sort by error (a quicksort without calls through a pointer: it runs for every series). */
static void
sort_resid(struct resid *e, int n)
{
	int i, j;

	while (n > 12) {
		struct resid t;
		double p = e[n / 2].r;

		i = 0;
		j = n - 1;
		while (i <= j) {
			while (e[i].r < p)
				i++;
			while (e[j].r > p)
				j--;
			if (i <= j) {
				t = e[i];
				e[i++] = e[j];
				e[j--] = t;
			}
		}
		/* the smaller side here, the larger one by the loop */
		if (j + 1 < n - i) {
			sort_resid(e, j + 1);
			e += i;
			n -= i;
		} else {
			sort_resid(e + i, n - i);
			n = j + 1;
		}
	}
	for (i = 1; i < n; i++) {
		struct resid x = e[i];

		for (j = i; j > 0 && e[j - 1].r > x.r; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

/* The p-quantile of sorted v[0..n) (linear between order statistics). */
static double
quantile(const double *v, int n, double p)
{
	double pos = p * (n - 1);
	int lo = (int)floor(pos);

	if (n <= 0)
		return NAN;
	if (lo >= n - 1)
		return v[n - 1];
	return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

/* One day of horizon: its errors pooled with those of the days before when too few. */
struct pool {
	struct resid *e; /* sorted */
	int n;
	double q[4];     /* 0.10, 0.90, 0.025, 0.975 over all origins */
};

static const double qlev[4] = {Q80_LO, Q80_HI, Q95_LO, Q95_HI};

/* The quantiles of a pool without the errors of origin org (-1: with all). */
static int
pool_quantiles(const struct pool *pl, int org, double *buf, double q[4])
{
	int i, k = 0;

	for (i = 0; i < pl->n; i++)
		if (pl->e[i].org != org)
			buf[k++] = pl->e[i].r;
	if (k < 2)
		return 0;
	for (i = 0; i < 4; i++)
		q[i] = quantile(buf, k, qlev[i]);
	return 1;
}

static double
in_sample_scale(const double *y, int N, int m)
{
	double s = 0;
	int k = 0, t;

	for (t = m; t < N; t++)
		if (!isnan(y[t]) && !isnan(y[t - m])) {
			s += fabs(y[t] - y[t - m]);
			k++;
		}
	return k > 0 ? s / k : NAN;
}

/* c of log(v + c): 1 for counts, else 1% of the mean of the non-zero values. */
static double
offset_of(const double *y, int N, int counts)
{
	double sum = 0, off;
	int k = 0, i;

	if (counts)
		return 1;
	for (i = 0; i < N; i++)
		if (y[i] > 0) {
			sum += y[i];
			k++;
		}
	off = k > 0 ? 0.01 * sum / k : 1;
	return off > 1e-9 ? off : 1e-9;
}

static void
learning(struct forecast *f, int have, int need)
{
	f->status = FC_LEARNING;
	f->have = have;
	f->need = need;
	f->horizon = 0;
}

int
forecast_fit(const struct fc_input *in, const struct fc_opts *op, struct forecast *f)
{
	struct work w;
	unsigned char *slot_buf = NULL;
	struct resid *res = NULL;
	struct pool pools[FC_MAX_HORIZON / DAY + 1];
	double *buf = NULL;
	int s = 0, i, j, h, k, have = 0, n_bt, nb, n_res = 0, best, inside = 0, inside95 = 0,
	    judged = 0;
	int bcount[FC_MAX_HORIZON / DAY + 1] = {0};

	memset(f, 0, sizeof *f);
	f->model = FC_SNAIVE;
	f->coverage = f->coverage95 = f->scale = f->max_seen = NAN;
	for (k = 0; k < FC_N_MODELS; k++)
		f->eval[k].mae = f->eval[k].mase = f->eval[k].mape = f->eval[k].bias = NAN;
	if (in->n < 0 || (in->n > 0 && in->v == NULL) || op->horizon < 1 ||
	    op->horizon > FC_MAX_HORIZON || op->origins < 1 || op->origins > FC_MAX_ORIGINS ||
	    op->min_hours < FIT_MIN + DAY)
		return -1;
	f->h0 = in->h0 + in->n;
	f->n_past = in->n < FC_PAST ? in->n : FC_PAST;
	for (i = 0; i < f->n_past; i++)
		f->past[i] = in->v[in->n - f->n_past + i];

	/* the fit: from the first sampled hour, or from the latest change when enough follows */
	while (s < in->n && isnan(in->v[s]))
		s++;
	for (i = s; i < in->n; i++)
		have += !isnan(in->v[i]);
	if (in->change_h > in->h0 + s && in->change_h < in->h0 + in->n) {
		int c = (int)(in->change_h - in->h0), after = 0;

		for (i = c; i < in->n; i++)
			after += !isnan(in->v[i]);
		if (after >= op->min_hours) {
			s = c;
			have = after;
			f->restricted = 1;
		}
	}
	f->fit_h0 = in->h0 + s;
	if (have < op->min_hours) {
		learning(f, have, op->min_hours);
		return 0;
	}

	memset(&w, 0, sizeof w);
	w.N = in->n - s;
	w.y = in->v + s;
	w.H = op->horizon;
	if (in->slot != NULL) {
		w.slot = in->slot + s;
	} else {
		slot_buf = xcalloc((size_t)(w.N + w.H), 1);
		fc_slots(in->h0 + s, w.N + w.H, slot_buf);
		w.slot = slot_buf;
	}
	w.off = offset_of(w.y, w.N, in->counts);
	w.z = xcalloc((size_t)w.N, sizeof *w.z);
	for (i = 0; i < w.N; i++) {
		w.z[i] = isnan(w.y[i]) ? NAN : log((w.y[i] > 0 ? w.y[i] : 0) + w.off);
		if (!isnan(w.y[i]) && !(w.y[i] <= f->max_seen))
			f->max_seen = w.y[i];
	}
	f->season = w.N >= 2 * WEEK ? WEEK : DAY;
	f->scale = in_sample_scale(w.y, w.N, f->season);

	/* origins a day apart over the last days, each with a week of fit at least */
	n_bt = (w.N - FIT_MIN) / DAY;
	if (n_bt > op->origins)
		n_bt = op->origins;
	for (j = 0; j < n_bt; j++) {
		w.orig[j] = w.N - DAY * (n_bt - j);
		w.len[j] = w.N - w.orig[j] < w.H ? w.N - w.orig[j] : w.H;
	}
	w.orig[n_bt] = w.N;
	w.len[n_bt] = w.H;
	w.n_orig = n_bt + 1;
	for (k = 0; k < FC_N_MODELS; k++)
		w.fz[k] = xcalloc((size_t)w.n_orig * (size_t)w.H, sizeof *w.fz[k]);
	fit_snaive(&w, w.fz[FC_SNAIVE]);
	fit_regression(&w, w.fz[FC_REGRESSION]);
	fit_hw(&w, op, w.fz[FC_HOLT_WINTERS]);

	/* the backtest: each model's forecasts against the hours that followed */
	for (k = 0; k < FC_N_MODELS; k++) {
		struct fc_eval *e = &f->eval[k];
		double ae = 0, ape = 0, err = 0;
		int n_ape = 0;

		for (j = 0; j < n_bt; j++)
			for (h = 1; h <= w.len[j]; h++) {
				double y = w.y[w.orig[j] + h - 1], fc;

				if (isnan(y))
					continue;
				fc = back(&w, w.fz[k][(size_t)j * (size_t)w.H + (size_t)(h - 1)]);
				ae += fabs(fc - y);
				err += fc - y;
				if (y > 0) {
					ape += fabs(fc - y) / y;
					n_ape++;
				}
				e->points++;
			}
		if (e->points > 0) {
			e->mae = ae / e->points;
			e->bias = err / e->points;
			e->mase = f->scale > 0 ? e->mae / f->scale : NAN;
		}
		if (n_ape > 0)
			e->mape = 100 * ape / n_ape;
	}
	best = FC_SNAIVE;
	for (k = 1; k < FC_N_MODELS; k++)
		if (f->eval[k].points > 0 && f->eval[k].mae < f->eval[best].mae)
			best = k;
	f->model = (enum fc_model)best;
	if (f->eval[best].points < MIN_RESID) {
		learning(f, have, op->min_hours);
		goto out;
	}
	f->origins = n_bt;
	for (j = 0; j < n_bt; j++) {
		double ae = 0;
		int np = 0;

		for (h = 1; h <= w.len[j]; h++) {
			double y = w.y[w.orig[j] + h - 1];

			if (isnan(y))
				continue;
			ae += fabs(back(&w, w.fz[best][(size_t)j * (size_t)w.H + (size_t)(h - 1)]) - y);
			np++;
		}
		f->rolling_mase[j] = np > 0 && f->scale > 0 ? ae / np / f->scale : NAN;
	}

	/* the selected model's errors on the log scale, by day of horizon */
	nb = (w.H + DAY - 1) / DAY;
	res = xcalloc((size_t)f->eval[best].points + 1, sizeof *res);
	{
		int *at = xcalloc((size_t)nb + 1, sizeof *at);

		for (j = 0; j < n_bt; j++)
			for (h = 1; h <= w.len[j]; h++)
				if (!isnan(w.z[w.orig[j] + h - 1]))
					bcount[(h - 1) / DAY]++;
		for (i = 1; i < nb; i++)
			at[i] = at[i - 1] + bcount[i - 1];
		for (j = 0; j < n_bt; j++)
			for (h = 1; h <= w.len[j]; h++) {
				int t = w.orig[j] + h - 1, d = (h - 1) / DAY;

				if (isnan(w.z[t]))
					continue;
				res[at[d]].r = w.z[t] - w.fz[best][(size_t)j * (size_t)w.H + (size_t)(h - 1)];
				res[at[d]++].org = j;
				n_res++;
			}
		for (i = nb - 1; i > 0; i--)
			at[i] = at[i - 1];
		at[0] = 0;
		/* pools: day d with the days before it until MIN_RESID errors */
		buf = xcalloc((size_t)n_res + 1, sizeof *buf);
		for (i = 0; i < nb; i++) {
			int lo = i, cnt = bcount[i];

			while (cnt < MIN_RESID && lo > 0)
				cnt += bcount[--lo];
			pools[i].n = cnt;
			pools[i].e = xcalloc((size_t)cnt + 1, sizeof *pools[i].e);
			memcpy(pools[i].e, res + at[lo], (size_t)cnt * sizeof *res);
			sort_resid(pools[i].e, cnt);
			if (!pool_quantiles(&pools[i], -1, buf, pools[i].q))
				pools[i].q[0] = pools[i].q[1] = pools[i].q[2] = pools[i].q[3] = 0;
		}
		/* coverage, honestly: each origin's hours judged by the others' errors */
		for (i = 0; i < nb; i++) {
			for (j = 0; j < n_bt; j++) {
				double q[4];
				int e;

				if (!pool_quantiles(&pools[i], j, buf, q))
					continue;
				for (e = at[i]; e < at[i] + bcount[i]; e++) {
					if (res[e].org != j)
						continue;
					judged++;
					inside += res[e].r >= q[0] && res[e].r <= q[1];
					inside95 += res[e].r >= q[2] && res[e].r <= q[3];
				}
			}
		}
		free(at);
	}
	if (judged > 0) {
		f->coverage = (double)inside / judged;
		f->coverage95 = (double)inside95 / judged;
		f->flagged = f->coverage < op->cover_low || f->coverage > op->cover_high;
	}

	/* the forecast from the end, with its intervals */
	f->status = FC_OK;
	f->have = have;
	f->need = op->min_hours;
	f->horizon = w.H;
	f->value = xcalloc((size_t)w.H, sizeof *f->value);
	f->low = xcalloc((size_t)w.H, sizeof *f->low);
	f->high = xcalloc((size_t)w.H, sizeof *f->high);
	f->low95 = xcalloc((size_t)w.H, sizeof *f->low95);
	f->high95 = xcalloc((size_t)w.H, sizeof *f->high95);
	for (h = 1; h <= w.H; h++) {
		double zf = w.fz[best][(size_t)n_bt * (size_t)w.H + (size_t)(h - 1)];
		const double *q = pools[(h - 1) / DAY].q;
		double v = back(&w, zf);

		f->value[h - 1] = v;
		f->low[h - 1] = fmin(back(&w, zf + q[0]), v);
		f->high[h - 1] = fmax(back(&w, zf + q[1]), v);
		f->low95[h - 1] = fmin(back(&w, zf + q[2]), f->low[h - 1]);
		f->high95[h - 1] = fmax(back(&w, zf + q[3]), f->high[h - 1]);
	}
	for (i = 0; i < nb; i++)
		free(pools[i].e);
out:
	for (k = 0; k < FC_N_MODELS; k++)
		free(w.fz[k]);
	free(w.z);
	free(slot_buf);
	free(res);
	free(buf);
	return 0;
}

void
forecast_free(struct forecast *f)
{
	free(f->value);
	free(f->low);
	free(f->high);
	free(f->low95);
	free(f->high95);
	f->value = f->low = f->high = f->low95 = f->high95 = NULL;
	f->horizon = 0;
}

/* ---- capacity findings ---- */

static void
num(struct strbuf *sb, double v)
{
	if (isfinite(v))
		sb_addf(sb, "%.4g", v);
	else
		sb_add(sb, "null");
}

static struct finding *
new_finding(struct finding **out, int *n)
{
	struct finding *f;

	*out = xreallocarray(*out, (size_t)*n + 1, sizeof **out);
	f = &(*out)[(*n)++];
	finding_init(f);
	f->category = "forecast";
	return f;
}

/* A forecast good enough to act on: it beats the seasonal naive one and is not flagged. */
static int
sound(const struct forecast *f)
{
	return f->status == FC_OK && !f->flagged && f->eval[f->model].mase < 1;
}

/* From the backtest: 0.5 at a MASE of 1, towards 0.9 as it falls. */
static double
confidence_of(const struct forecast *f)
{
	double m = f->eval[f->model].mase;

	return fmin(0.9, 0.5 + 0.4 * (1 - fmin(1, fmax(0, m))));
}

int
fc_growth_finding(const struct forecast *calls, const struct forecast *mean_ms,
		  int64_t queryid, double max_days, struct finding **out, int *n)
{
	double past = 0, next = 0, g, days, span;
	int L, i, paired = 0;
	struct finding *f;
	struct strbuf sb = {0};

	if (!sound(calls) || !sound(mean_ms) || calls->h0 != mean_ms->h0 ||
	    calls->n_past != mean_ms->n_past)
		return 0;
	L = calls->horizon < mean_ms->horizon ? calls->horizon : mean_ms->horizon;
	if (L > calls->n_past)
		L = calls->n_past;
	L -= L % DAY;
	if (L < DAY)
		return 0;
	/* each of the last L hours against the hour L later, where it was sampled */
	for (i = 0; i < L; i++) {
		int p = calls->n_past - L + i;
		double c = calls->past[p], m = mean_ms->past[p];

		if (isnan(c))
			continue;
		paired++;
		past += c > 0 && !isnan(m) ? c * m : 0;
		next += calls->value[i] * mean_ms->value[i];
	}
	span = L / 24.0;
	if (paired < L / 2 || !(past > 0) || !(next > past))
		return 0;
	g = log(next / past) / span;
	days = log(2) / g;
	if (!(days <= max_days))
		return 0;
	f = new_finding(out, n);
	f->rule = FINDING_FORECAST_GROWTH;
	f->metric = "total_ms";
	f->has_queryid = 1;
	f->queryid = queryid;
	f->from = (double)(calls->h0 - L) * 3600;
	f->to = (double)(calls->h0 + L) * 3600;
	f->hours = L;
	f->observed = next / span;
	f->expected = past / span;
	f->severity_ratio = next / past;
	f->score = days;
	f->confidence = fmin(confidence_of(calls), confidence_of(mean_ms));
	f->severity = days <= 30 ? "high" : "medium";
	f->title = xasprintf("At this trend, this statement's daily time doubles in %.0f days",
			     ceil(days));
	f->detail = xasprintf(
		"Its execution time is forecast at %.0f ms a day over the next %.0f days, against "
		"%.0f ms a day over the last %.0f (x%.2f, %.1f%% a day). Calls are forecast by "
		"%s (backtest MASE %.2f, 80%% interval coverage %.0f%%), mean time by %s (MASE "
		"%.2f, coverage %.0f%%).",
		f->observed, span, f->expected, span, f->severity_ratio, 100 * (exp(g) - 1),
		fc_model_name(calls->model), calls->eval[calls->model].mase,
		100 * calls->coverage, fc_model_name(mean_ms->model),
		mean_ms->eval[mean_ms->model].mase, 100 * mean_ms->coverage);
	f->suggestion = xstrdup(
		"Find what drives the growth before it doubles: more calls (the application's "
		"traffic, a loop) or slower calls (a growing table, a plan that degrades); tune "
		"the statement or its indexes, or plan the capacity.");
	sb_addf(&sb, "{\"model\": \"%s\", \"model_mean_ms\": \"%s\", \"mase\": ",
		fc_model_name(calls->model), fc_model_name(mean_ms->model));
	num(&sb, calls->eval[calls->model].mase);
	sb_add(&sb, ", \"mase_mean_ms\": ");
	num(&sb, mean_ms->eval[mean_ms->model].mase);
	sb_add(&sb, ", \"coverage\": ");
	num(&sb, calls->coverage);
	sb_add(&sb, ", \"coverage_mean_ms\": ");
	num(&sb, mean_ms->coverage);
	sb_addf(&sb, ", \"horizon\": %d, \"ms_per_day_before\": ", L);
	num(&sb, f->expected);
	sb_add(&sb, ", \"ms_per_day_after\": ");
	num(&sb, f->observed);
	sb_add(&sb, ", \"growth_per_day\": ");
	num(&sb, exp(g) - 1);
	sb_add(&sb, ", \"doubling_days\": ");
	num(&sb, days);
	sb_add(&sb, "}");
	f->evidence = sb_detach(&sb);
	return 1;
}

int
fc_peak_finding(const struct forecast *calls, int has_queryid, int64_t queryid,
		struct finding **out, int *n)
{
	static const char *const wdays[7] = {"Sunday",	 "Monday", "Tuesday", "Wednesday",
					     "Thursday", "Friday", "Saturday"};
	int i, top = 0;
	time_t t;
	struct tm tm;
	struct finding *f;
	struct strbuf sb = {0};
	char when[32];

	if (!sound(calls) || calls->model == FC_SNAIVE || !(calls->max_seen > 0))
		return 0;
	for (i = 1; i < calls->horizon; i++)
		if (calls->value[i] > calls->value[top])
			top = i;
	if (!(calls->value[top] > calls->max_seen))
		return 0;
	t = (time_t)((calls->h0 + top) * 3600);
	if (localtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
		return 0;
	f = new_finding(out, n);
	f->rule = FINDING_FORECAST_PEAK;
	f->metric = "calls";
	f->has_queryid = has_queryid;
	f->queryid = queryid;
	f->from = (double)t;
	f->to = (double)t + 3600;
	f->hours = 1;
	f->observed = calls->value[top];
	f->expected = calls->max_seen;
	f->low = calls->low[top];
	f->high = calls->high[top];
	f->severity_ratio = calls->value[top] / calls->max_seen;
	f->score = f->severity_ratio;
	f->confidence = confidence_of(calls) * (f->low > calls->max_seen ? 1 : 0.75);
	f->severity = f->low > calls->max_seen ? "medium" : "low";
	f->title = xasprintf("Next %s %02d:00 is expected to reach %.0f calls/h, above anything "
			     "seen",
			     wdays[tm.tm_wday], tm.tm_hour, f->observed);
	f->detail = xasprintf(
		"%s %s is forecast at %.0f calls an hour (80%% interval %.0f to %.0f), %.0f%% "
		"above the most in %d hours of history (%.0f). Model %s: backtest MASE %.2f, "
		"80%% interval coverage %.0f%%.",
		has_queryid ? "This statement at" : "The server at", when, f->observed, f->low,
		f->high, 100 * (f->severity_ratio - 1), calls->have, calls->max_seen,
		fc_model_name(calls->model), calls->eval[calls->model].mase, 100 * calls->coverage);
	f->suggestion = xstrdup(
		"Check that the server has room for this load at that hour (connections, CPU, "
		"I/O), and move batch work away from it.");
	sb_addf(&sb, "{\"model\": \"%s\", \"mase\": ", fc_model_name(calls->model));
	num(&sb, calls->eval[calls->model].mase);
	sb_add(&sb, ", \"coverage\": ");
	num(&sb, calls->coverage);
	sb_addf(&sb, ", \"horizon\": %d, \"horizon_hours\": %d, \"expected\": ", top + 1,
		calls->horizon);
	num(&sb, f->observed);
	sb_add(&sb, ", \"low\": ");
	num(&sb, f->low);
	sb_add(&sb, ", \"high\": ");
	num(&sb, f->high);
	sb_add(&sb, ", \"max_seen\": ");
	num(&sb, calls->max_seen);
	sb_add(&sb, "}");
	f->evidence = sb_detach(&sb);
	return 1;
}
