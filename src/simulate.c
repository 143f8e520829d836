#include "config.h"

#include "simulate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "snapshot.h"
#include "store.h"

/*
 * Random numbers as a function of (seed, what, which, when): no state, so that a draw does
 * not depend on the order of the others, and a statement added to a spec leaves the draws
 * of the others as they were.
 */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double
u01(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = mix(seed ^ mix(a ^ mix(b ^ mix(c))));

	return ((double)(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* A standard normal draw (Box-Muller). */
static double
gauss(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	double u1 = u01(seed, a, b, 2 * c), u2 = u01(seed, a, b, 2 * c + 1);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

struct hour_ctx {
	long idx;      /* hours since the start */
	double t;      /* its start, epoch seconds */
	int hour;      /* local hour of day */
	int wday;      /* local weekday, 0 Sunday */
	int day;       /* 1-based local calendar day of the simulation */
	long week;     /* weeks since the start */
};

struct sim {
	const struct sim_spec *spec;
	uint64_t seed;
	uint64_t salt; /* per server: its noise differs, its planted days do not */
	struct sim_stmt *all; /* the spec's statements, then the filler */
	int n_all;
	int *order; /* parents before their children */
	double start, end;
	long first_civil; /* the local calendar day of the first hour */

	/* the values of the hour being written, per statement */
	int64_t *calls, *rows, *hit, *read, *temp;
	double *mean, *max;
	int *text_stored;
	long *change_idx; /* per setting: the hour its new value is first stored */
	int *peak_hits;   /* per statement and peak: times a recurring peak was planted */
	int *peak_chances;
};

/* The filler: statements of the usual shapes, no pattern planted. */
static void
make_filler(struct sim *s)
{
	const struct sim_spec *sp = s->spec;
	int i;

	for (i = 0; i < sp->filler; i++) {
		struct sim_stmt *st = &s->all[sp->n_stmts + i];
		int t = i / 6;
		char name[32];
		int k;

		memset(st, 0, sizeof *st);
		snprintf(name, sizeof name, "filler_%d", i + 1);
		st->name = xstrdup(name);
		switch (i % 6) {
		case 0:
			st->text = xasprintf("SELECT id, name, updated_at FROM t%04d WHERE id = $1", t);
			break;
		case 1:
			st->text = xasprintf("UPDATE t%04d SET updated_at = now(), counter = counter + "
					     "$1 WHERE id = $2",
					     t);
			break;
		case 2:
			st->text = xasprintf("INSERT INTO t%04d (id, payload, created_at) VALUES ($1, "
					     "$2, now())",
					     t);
			break;
		case 3:
			st->text = xasprintf("SELECT a.id, b.total FROM t%04d a JOIN t%04d_items b ON "
					     "b.parent_id = a.id WHERE a.owner = $1",
					     t, t);
			break;
		case 4:
			st->text = xasprintf("SELECT count(*) FROM t%04d WHERE status = $1 AND "
					     "created_at > $2",
					     t);
			break;
		default:
			st->text = xasprintf("DELETE FROM t%04d WHERE expires_at < $1", t);
			break;
		}
		st->queryid = simspec_queryid(st->text);
		st->toplevel = 1;
		/* log-normal around the spec's medians: a few busy ones, a long quiet tail */
		st->calls = sp->filler_calls * exp(1.2 * gauss(s->seed, (uint64_t)st->queryid, 11, 0));
		st->mean_ms = sp->filler_ms * exp(0.8 * gauss(s->seed, (uint64_t)st->queryid, 12, 0));
		st->noise = 0.15;
		st->spread = 0.1;
		st->rows = 1 + floor(4 * u01(s->seed, (uint64_t)st->queryid, 13, 0));
		st->hit = 3 + floor(20 * u01(s->seed, (uint64_t)st->queryid, 14, 0));
		st->read = 0.05;
		st->parent_index = -1;
		st->filler = 1;
		for (k = 0; k < 7; k++)
			st->weekday_factor[k] = 1;
	}
}

static int
in_hours(int hour, const struct sim_hours *q)
{
	return q->from <= q->to ? hour >= q->from && hour <= q->to
				: hour >= q->from || hour <= q->to;
}

static int
reached(const struct hour_ctx *h, int day, int hour)
{
	return h->day > day || (h->day == day && h->hour >= hour);
}

static void
hour_ctx_at(const struct sim *s, long idx, struct hour_ctx *h)
{
	struct tm lt;
	time_t t = (time_t)(s->start + (double)idx * 3600);

	localtime_r(&t, &lt);
	h->idx = idx;
	h->t = (double)t;
	h->hour = lt.tm_hour;
	h->wday = lt.tm_wday;
	h->day = (int)(civil_day(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday) - s->first_civil) + 1;
	h->week = idx / 168;
}

/* The mean time of statement i in hour h, before the hour's own spread. */
static double
base_mean(const struct sim *s, int i, const struct hour_ctx *h)
{
	const struct sim_stmt *st = &s->all[i];
	double m = st->mean_ms;
	int k, e;

	for (k = 0; k < st->n_regressions; k++)
		if (reached(h, st->regressions[k].day, st->regressions[k].hour))
			m *= st->regressions[k].factor;
	for (k = 0; k < s->spec->n_settings; k++) {
		const struct sim_setting *se = &s->spec->settings[k];

		if (!reached(h, se->day, se->hour))
			continue;
		for (e = 0; e < se->n_effects; e++)
			if (se->effects[e].stmt_index == i)
				m *= se->effects[e].factor;
	}
	return m;
}

/* Fill the values of every statement for hour h. */
static void
compute_hour(struct sim *s, const struct hour_ctx *h)
{
	int o, k;

	for (o = 0; o < s->n_all; o++) {
		int i = s->order[o];
		const struct sim_stmt *st = &s->all[i];
		uint64_t id = (uint64_t)st->queryid;
		double c, m;

		if (st->parent_index >= 0) {
			/* N+1: fanout calls per call of the parent, with a little jitter */
			c = (double)s->calls[st->parent_index] * st->fanout *
			    exp(0.02 * gauss(s->seed ^ s->salt, id, 4, (uint64_t)h->idx));
		} else {
			c = st->calls * pow(1 + st->trend, (h->t - s->start) / 86400.0) *
			    st->weekday_factor[h->wday];
			for (k = 0; k < st->n_quiet; k++)
				if (in_hours(h->hour, &st->quiet[k]))
					c *= st->quiet[k].factor;
			for (k = 0; k < st->n_peaks; k++) {
				const struct sim_peak *pk = &st->peaks[k];
				uint64_t when = pk->weekday < 0 ? (uint64_t)h->day : (uint64_t)h->week;

				if (pk->hour != h->hour || (pk->weekday >= 0 && pk->weekday != h->wday))
					continue;
				s->peak_chances[i * SIM_MAX_PEAKS + k]++;
				if (u01(s->seed, id, 100 + (uint64_t)k, when) < pk->recurrence) {
					c *= pk->height;
					s->peak_hits[i * SIM_MAX_PEAKS + k]++;
				}
			}
			for (k = 0; k < st->n_spikes; k++)
				if (st->spikes[k].day == h->day && st->spikes[k].hour == h->hour)
					c *= st->spikes[k].factor;
			if (st->noise > 0)
				c *= exp(st->noise * gauss(s->seed ^ s->salt, id, 2, (uint64_t)h->idx));
		}
		m = base_mean(s, i, h);
		if (st->spread > 0)
			m *= exp(st->spread * gauss(s->seed ^ s->salt, id, 3, (uint64_t)h->idx));
		s->calls[i] = c > 0 ? llround(c) : 0;
		s->mean[i] = m;
		s->max[i] = m * (1.5 + 2 * st->spread) * exp(0.3 * u01(s->seed ^ s->salt, id, 5, (uint64_t)h->idx));
		s->rows[i] = llround((double)s->calls[i] * st->rows);
		s->hit[i] = llround((double)s->calls[i] * st->hit);
		s->read[i] = llround((double)s->calls[i] * st->read);
		s->temp[i] = llround((double)s->calls[i] * st->temp);
	}
}

/*
 * The share of an hour's count x that goes with the calls of sample k: the samples with
 * calls carry all of it, in proportion to their calls.
 */
static int64_t
with_calls(int64_t x, int64_t calls, int k, int n)
{
	int64_t c0, c1;

	if (calls <= 0)
		return 0;
	c0 = (int64_t)((double)calls * k / n);
	c1 = (int64_t)((double)calls * (k + 1) / n);
	return (int64_t)((double)x * (double)c1 / (double)calls) -
	       (int64_t)((double)x * (double)c0 / (double)calls);
}

/* Server v of the spec: its key and what the screen shows of it. */
static void
server_of(const struct sim_spec *spec, int v, struct server_info *srv)
{
	memset(srv, 0, sizeof *srv);
	if (spec->server_key != NULL)
		strlcpy_(srv->key, spec->server_key, sizeof srv->key);
	else if (spec->servers > 1)
		snprintf(srv->key, sizeof srv->key, "simulated:%s-%d", spec->server, v + 1);
	else
		snprintf(srv->key, sizeof srv->key, "simulated:%s", spec->server);
	if (spec->servers > 1)
		snprintf(srv->host, sizeof srv->host, "simulated (%s-%d)", spec->server, v + 1);
	else
		snprintf(srv->host, sizeof srv->host, "simulated (%s)", spec->server);
	strlcpy_(srv->port, "5432", sizeof srv->port);
	strlcpy_(srv->version, "simulated", sizeof srv->version);
	srv->version_num = 160000;
}

static char src_default[] = "default", src_file[] = "configuration file";

/* Part k of n of an hour's count, so that the parts add up to the whole. */
static int64_t
part(int64_t x, int k, int n)
{
	return (int64_t)((double)x * (k + 1) / n) - (int64_t)((double)x * k / n);
}

static void
free_snapshot_parts(struct snapshot *snap, struct delta_set *d)
{
	free(snap->texts);
	free(snap->settings);
	free(d->stmts);
	memset(snap, 0, sizeof *snap);
	memset(d, 0, sizeof *d);
}

/* One sample: part k of n of hour h, at ts. */
static int
write_sample(struct sim *s, struct store *st, int64_t server_id, const struct hour_ctx *h,
	     int k, int n, double ts, int first, struct sim_stats *stats, struct pgt_err *err)
{
	const struct sim_spec *sp = s->spec;
	struct snapshot snap;
	struct delta_set d;
	struct database_row db;
	struct role_row role;
	int i, m = 0, rc;
	int64_t calls_all = 0, hit_all = 0, read_all = 0;
	double busy_ms = 0, t0;

	memset(&snap, 0, sizeof snap);
	memset(&d, 0, sizeof d);
	snap.ts = ts;
	snap.postmaster_start = s->start - 86400;
	snap.have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL;
	snap.pgss_ok = 1;
	snap.n_stmts = s->n_all;
	d.ts = ts;
	d.interval_s = (double)(3600 / n);
	d.stmts = xcalloc((size_t)s->n_all + 1, sizeof *d.stmts);
	snap.texts = xcalloc((size_t)s->n_all + 1, sizeof *snap.texts);
	for (i = 0; i < s->n_all; i++) {
		const struct sim_stmt *ss = &s->all[i];
		struct stmt_row *r = &d.stmts[m];
		int64_t calls = part(s->calls[i], k, n);

		if (calls <= 0)
			continue;
		if (!s->text_stored[i]) {
			snap.texts[snap.n_texts].queryid = ss->queryid;
			snap.texts[snap.n_texts].query = ss->text;
			snap.n_texts++;
			s->text_stored[i] = 1;
		}
		r->queryid = ss->queryid;
		r->dbid = sp->dbid;
		r->userid = sp->userid;
		r->toplevel = ss->toplevel;
		r->calls = calls;
		r->plans = calls;
		r->rows = with_calls(s->rows[i], s->calls[i], k, n);
		r->total_exec_ms = (double)calls * s->mean[i];
		r->total_plan_ms = (double)calls * 0.02;
		r->min_ms = s->mean[i] / (1.5 + 2 * ss->spread);
		r->max_ms = s->max[i];
		r->stddev_ms = s->mean[i] * (ss->spread > 0 ? ss->spread : 0.05);
		r->shared_blks_hit = with_calls(s->hit[i], s->calls[i], k, n);
		r->shared_blks_read = with_calls(s->read[i], s->calls[i], k, n);
		r->temp_blks_written = with_calls(s->temp[i], s->calls[i], k, n);
		r->temp_blks_read = r->temp_blks_written;
		r->blk_read_ms = (double)r->shared_blks_read * 0.1;
		calls_all += calls;
		hit_all += r->shared_blks_hit;
		read_all += r->shared_blks_read;
		busy_ms += r->total_exec_ms;
		m++;
	}
	d.n_stmts = m;
	/* sessions: as many active as the load keeps busy, plus a steady pool */
	snap.sessions.active = (int)lround(busy_ms / (d.interval_s * 1000));
	snap.sessions.idle = 20;
	snap.sessions.idle_in_xact = snap.sessions.active > 4 ? 1 : 0;
	snap.sessions.total = snap.sessions.active + snap.sessions.idle + snap.sessions.idle_in_xact;
	memset(&db, 0, sizeof db);
	db.datid = sp->dbid;
	db.datname = sp->database;
	db.numbackends = snap.sessions.total;
	db.xact_commit = calls_all / 3;
	db.blks_hit = hit_all;
	db.blks_read = read_all;
	db.tup_returned = calls_all * 4;
	db.tup_fetched = calls_all * 2;
	snap.databases = &db;
	snap.n_databases = 1;
	d.databases = &db;
	d.n_databases = 1;
	d.checkpoint.valid = 1;
	d.checkpoint.timed = d.interval_s >= 300 ? (int64_t)(d.interval_s / 300) : 0;
	d.checkpoint.buffers_written = hit_all / 50;
	role.oid = sp->userid;
	role.name = sp->user;
	snap.roles = &role;
	snap.n_roles = 1;
	/* settings: all of them in the first sample, then each at its change */
	snap.settings = xcalloc((size_t)sp->n_settings + 1, sizeof *snap.settings);
	for (i = 0; i < sp->n_settings; i++) {
		const struct sim_setting *se = &sp->settings[i];
		int now_after = reached(h, se->day, se->hour);
		int changes_now = h->idx == s->change_idx[i] && k == 0;

		if (!first && !changes_now)
			continue;
		snap.settings[snap.n_settings].name = se->name;
		snap.settings[snap.n_settings].setting = now_after ? se->after : se->before;
		snap.settings[snap.n_settings].unit = se->unit;
		snap.settings[snap.n_settings].source = first && !now_after ? src_default : src_file;
		snap.n_settings++;
	}
	t0 = now_mono();
	rc = store_sample(st, server_id, &snap, &d, err);
	stats->store_s += now_mono() - t0;
	if (rc == 0)
		pgt_err_set(err, "another process took the history lease of the simulated server");
	if (rc > 0) {
		stats->samples++;
		stats->stmt_rows += m;
	}
	snap.databases = NULL;
	snap.roles = NULL;
	d.databases = NULL;
	free_snapshot_parts(&snap, &d);
	return rc > 0 ? 0 : -1;
}

static void
json_key_str(FILE *f, const char *key, const char *v, int comma)
{
	fprintf(f, "%s\"%s\": ", comma ? ", " : "", key);
	json_string(f, v);
}

static const char *const wday_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* The index of the first simulated hour from local day 'day' (1-based) at 'hour' on. */
static long
first_hour_from(const struct sim *s, int day, int hour)
{
	long i, n = (long)((s->end - s->start) / 3600);
	struct hour_ctx h;

	for (i = 0; i < n; i++) {
		hour_ctx_at(s, i, &h);
		if (reached(&h, day, hour))
			return i;
	}
	return -1;
}

/* The index of the simulated hour that is local day 'day' at 'hour' exactly, or -1. */
static long
exact_hour(const struct sim *s, int day, int hour)
{
	long i = first_hour_from(s, day, hour);
	struct hour_ctx h;

	if (i < 0)
		return -1;
	hour_ctx_at(s, i, &h);
	return h.day == day && h.hour == hour ? i : -1;
}

static double
when(const struct sim *s, int day, int hour)
{
	return s->start + (double)first_hour_from(s, day, hour) * 3600;
}

/*
 * Every planted event falls inside the span: day 1 begins at the first simulated hour
 * (local time), and a clock change may skip an hour.
 */
static int
check_events(struct sim *s, struct pgt_err *err)
{
	const struct sim_spec *sp = s->spec;
	struct hour_ctx first;
	int i, k;

	hour_ctx_at(s, 0, &first);
	for (i = 0; i < sp->n_stmts; i++) {
		const struct sim_stmt *st = &s->all[i];

		for (k = 0; k < st->n_spikes; k++)
			if (exact_hour(s, st->spikes[k].day, st->spikes[k].hour) < 0) {
				pgt_err_set(err, "statement '%s': the spike on day %d at %02d:00 is not "
						 "a simulated hour (day 1 starts at %02d:00 local time, "
						 "or a clock change skips that hour)",
					    st->name, st->spikes[k].day, st->spikes[k].hour, first.hour);
				return -1;
			}
		for (k = 0; k < st->n_regressions; k++)
			if ((st->regressions[k].day == 1 && st->regressions[k].hour < first.hour) ||
			    first_hour_from(s, st->regressions[k].day, st->regressions[k].hour) < 0) {
				pgt_err_set(err, "statement '%s': the regression on day %d at %02d:00 "
						 "is not within the simulated hours (day 1 starts at "
						 "%02d:00 local time)",
					    st->name, st->regressions[k].day, st->regressions[k].hour,
					    first.hour);
				return -1;
			}
	}
	for (i = 0; i < sp->n_settings; i++) {
		const struct sim_setting *se = &sp->settings[i];

		if ((se->day == 1 && se->hour < first.hour) ||
		    first_hour_from(s, se->day, se->hour) < 0) {
			pgt_err_set(err, "setting '%s': the change on day %d at %02d:00 is not within "
					 "the simulated hours (day 1 starts at %02d:00 local time)",
				    se->name, se->day, se->hour, first.hour);
			return -1;
		}
		s->change_idx[i] = first_hour_from(s, se->day, se->hour);
	}
	for (i = 0; i < s->n_all; i++)
		for (k = 0; k < i; k++)
			if (s->all[k].queryid == s->all[i].queryid) {
				pgt_err_set(err, "statements '%s' and '%s' have the same query id",
					    s->all[k].name, s->all[i].name);
				return -1;
			}
	return 0;
}

static int
write_truth(const struct sim *s, const char *path, struct pgt_err *err)
{
	struct server_info srv;
	int v;
	const struct sim_spec *sp = s->spec;
	FILE *f = fopen(path, "w");
	int i, k, first = 1;

	if (f == NULL) {
		pgt_err_set(err, "cannot write the truth file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\"simulated\": true, \"seed\": %llu, \"days\": %d, \"start\": %.0f, "
		   "\"end\": %.0f, \"interval_s\": %d, \"raw_hours\": %d, \"raw_interval_s\": %d, ",
		(unsigned long long)sp->seed, sp->days, s->start, s->end, sp->interval,
		sp->raw_hours, sp->raw_interval);
	server_of(sp, 0, &srv);
	json_key_str(f, "server_key", srv.key, 0);
	fprintf(f, ", \"server_keys\": [");
	for (v = 0; v < sp->servers; v++) {
		server_of(sp, v, &srv);
		if (v > 0)
			fputs(", ", f);
		json_string(f, srv.key);
	}
	fputs("]", f);
	json_key_str(f, "tz", getenv("TZ") != NULL && getenv("TZ")[0] ? getenv("TZ") : "local",
		     1);
	fprintf(f, ",\n \"statements\": [");
	for (i = 0; i < sp->n_stmts; i++) {
		fprintf(f, "%s\n  {", i ? "," : "");
		json_key_str(f, "name", s->all[i].name, 0);
		fprintf(f, ", \"queryid\": \"%lld\"", (long long)s->all[i].queryid);
		json_key_str(f, "text", s->all[i].text, 1);
		if (s->all[i].parent_index >= 0) /* its calls follow the parent's */
			fprintf(f, ", \"calls_per_hour\": null, \"mean_ms\": %.12g}",
				s->all[i].mean_ms);
		else
			fprintf(f, ", \"calls_per_hour\": %.12g, \"mean_ms\": %.12g}",
				s->all[i].calls, s->all[i].mean_ms);
	}
	fprintf(f, "],\n \"filler\": %d,\n \"planted\": [", sp->filler);
#define NEXT() (fprintf(f, "%s\n  {", first ? "" : ","), first = 0)
	for (i = 0; i < sp->n_stmts; i++) {
		const struct sim_stmt *st = &s->all[i];
		char head[200];

		snprintf(head, sizeof head, "\"statement\": \"%s\", \"queryid\": \"%lld\"", st->name,
			 (long long)st->queryid);
		for (k = 0; k < st->n_peaks; k++) {
			const struct sim_peak *pk = &st->peaks[k];

			NEXT();
			fprintf(f, "\"type\": \"%s\", %s, ", pk->weekday < 0 ? "daily_peak" : "weekly_peak",
				head);
			if (pk->weekday >= 0)
				fprintf(f, "\"weekday\": \"%s\", ", wday_names[pk->weekday]);
			fprintf(f, "\"hour\": %d, \"height\": %.12g, \"recurrence\": %.12g, "
				   "\"planted\": %d, \"chances\": %d}",
				pk->hour, pk->height, pk->recurrence, s->peak_hits[i * SIM_MAX_PEAKS + k],
				s->peak_chances[i * SIM_MAX_PEAKS + k]);
		}
		for (k = 0; k < st->n_quiet; k++) {
			NEXT();
			fprintf(f, "\"type\": \"quiet\", %s, \"from_hour\": %d, \"to_hour\": %d, "
				   "\"factor\": %.12g}",
				head, st->quiet[k].from, st->quiet[k].to, st->quiet[k].factor);
		}
		for (k = 0; k < 7; k++)
			if (st->weekday_factor[k] != 1) {
				NEXT();
				fprintf(f, "\"type\": \"weekday\", %s, \"weekday\": \"%s\", "
					   "\"factor\": %.12g}",
					head, wday_names[k], st->weekday_factor[k]);
			}
		if (st->trend != 0) {
			NEXT();
			fprintf(f, "\"type\": \"trend\", %s, \"per_day\": %.12g}", head, st->trend);
		}
		for (k = 0; k < st->n_regressions; k++) {
			const struct sim_event *e = &st->regressions[k];
			struct hour_ctx hb, ha;
			double t = when(s, e->day, e->hour);

			hour_ctx_at(s, (long)((t - s->start) / 3600) - 1, &hb);
			hour_ctx_at(s, (long)((t - s->start) / 3600), &ha);
			NEXT();
			fprintf(f, "\"type\": \"regression\", %s, \"ts\": %.0f, \"day\": %d, "
				   "\"factor\": %.12g, \"mean_ms_before\": %.12g, "
				   "\"mean_ms_after\": %.12g}",
				head, t, e->day, e->factor, base_mean(s, i, &hb), base_mean(s, i, &ha));
		}
		for (k = 0; k < st->n_spikes; k++) {
			const struct sim_event *e = &st->spikes[k];

			NEXT();
			fprintf(f, "\"type\": \"spike\", %s, \"ts\": %.0f, \"day\": %d, \"hour\": %d, "
				   "\"factor\": %.12g}",
				head, when(s, e->day, e->hour), e->day, e->hour, e->factor);
		}
		if (st->parent_index >= 0) {
			const struct sim_stmt *pa = &s->all[st->parent_index];

			NEXT();
			fprintf(f, "\"type\": \"n_plus_one\", \"parent\": \"%s\", "
				   "\"parent_queryid\": \"%lld\", \"child\": \"%s\", "
				   "\"child_queryid\": \"%lld\", \"fanout\": %.12g}",
				pa->name, (long long)pa->queryid, st->name, (long long)st->queryid,
				st->fanout);
		}
	}
	for (i = 0; i < sp->n_settings; i++) {
		const struct sim_setting *se = &sp->settings[i];

		NEXT();
		fprintf(f, "\"type\": \"setting_change\", ");
		json_key_str(f, "name", se->name, 0);
		json_key_str(f, "before", se->before, 1);
		json_key_str(f, "after", se->after, 1);
		if (se->unit != NULL)
			json_key_str(f, "unit", se->unit, 1);
		fprintf(f, ", \"ts\": %.0f, \"day\": %d, \"hour\": %d, \"effects\": [",
			when(s, se->day, se->hour), se->day, se->hour);
		for (k = 0; k < se->n_effects; k++)
			fprintf(f, "%s{\"statement\": \"%s\", \"queryid\": \"%lld\", \"factor\": %.12g}",
				k ? ", " : "", s->all[se->effects[k].stmt_index].name,
				(long long)s->all[se->effects[k].stmt_index].queryid,
				se->effects[k].factor);
		fprintf(f, "]}");
	}
#undef NEXT
	fprintf(f, "\n ]\n}\n");
	if (fclose(f) != 0) {
		pgt_err_set(err, "cannot write the truth file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The whole simulated history of one server. */
static int
simulate_server(struct sim *s, struct store *st, const struct server_info *srv, FILE *progress,
		struct sim_stats *stats, struct pgt_err *err)
{
	const struct sim_spec *spec = s->spec;
	long h, n_hours, raw_from;
	long holder = 0;
	int first = 1;
	char detail[400];

	if (store_server(st, srv, s->start, &stats->server_id, err) < 0)
		return -1;
	if (store_lease(st, stats->server_id, s->start, 10 * 365 * 86400.0, &holder, err) != 1) {
		if (err->msg[0] == '\0')
			pgt_err_set(err, "process %ld is writing the history of server %s in %s: "
					 "simulate into another file",
				    holder, srv->key, store_path(st));
		return -1;
	}
	n_hours = (long)spec->days * 24;
	raw_from = n_hours - spec->raw_hours;
	for (h = 0; h < n_hours; h++) {
		struct hour_ctx hc;
		int n = h >= raw_from ? 3600 / spec->raw_interval : 3600 / spec->interval, k;

		hour_ctx_at(s, h, &hc);
		compute_hour(s, &hc);
		for (k = 0; k < n; k++) {
			/* a second before the interval ends: the sample falls in the hour it covers */
			double ts = hc.t + (double)(k + 1) * (3600.0 / n) - 1;

			store_fake_clock(st, ts);
			if (write_sample(s, st, stats->server_id, &hc, k, n, ts, first, stats, err) < 0)
				goto fail;
			first = 0;
		}
		/* roll up each day, and each hour of raw samples as the collector does */
		if ((h + 1) % 24 == 0 || h + 1 == n_hours || h >= raw_from) {
			double now = hc.t + 3600, t1 = now_mono(), took;

			/* raw rows kept as the collector's default keeps them (or the raw
			 * hours asked for); hourly rows never dropped: the file may hold more */
			if (store_maintain(st, stats->server_id, now,
					   (double)(spec->raw_hours > 48 ? spec->raw_hours : 48) * 3600,
					   36500.0 * 86400, err) < 0)
				goto fail;
			took = now_mono() - t1;
			stats->maintain_s += took;
			if (took > stats->maintain_max_s)
				stats->maintain_max_s = took;
			if (progress != NULL && ((h + 1) % (24 * 30) == 0 || h + 1 == n_hours))
				fprintf(progress, "simulated %ld of %d days\n", (h + 1) / 24, spec->days);
		}
	}
	snprintf(detail, sizeof detail,
		 "simulated history: %d days to %.0f, seed %llu, %d statements and %d filler",
		 spec->days, s->end, (unsigned long long)spec->seed, spec->n_stmts, spec->filler);
	if (store_event(st, stats->server_id, s->end, "simulated", detail, err) < 0)
		goto fail;
	store_lease_release(st, stats->server_id);
	return 0;
fail:
	store_lease_release(st, stats->server_id);
	return -1;
}

static void
sim_free(struct sim *s)
{
	int i;

	for (i = s->spec->n_stmts; i < s->n_all; i++) {
		free(s->all[i].name);
		free(s->all[i].text);
	}
	free(s->all);
	free(s->order);
	free(s->calls);
	free(s->rows);
	free(s->hit);
	free(s->read);
	free(s->temp);
	free(s->mean);
	free(s->max);
	free(s->text_stored);
	free(s->peak_hits);
	free(s->peak_chances);
	free(s->change_idx);
}

int
simulate_run(const struct sim_spec *spec, const char *path, const char *truth, FILE *progress,
	     struct sim_stats *stats, struct pgt_err *err)
{
	struct sim s;
	struct store *st = NULL;
	struct server_info srv;
	struct tm lt;
	time_t t0;
	int i, o, v, rc = -1;
	int64_t first_id = 0;
	double started = now_mono();

	memset(&s, 0, sizeof s);
	memset(stats, 0, sizeof *stats);
	s.spec = spec;
	s.seed = spec->seed;
	s.end = spec->end > 0 ? spec->end : floor(now_wall() / 3600) * 3600;
	s.start = s.end - (double)spec->days * 86400;
	if (s.start < 0) {
		pgt_err_set(err, "the simulated span would begin before 1970: move end later or "
				 "simulate fewer days");
		memset(stats, 0, sizeof *stats);
		return -1;
	}
	t0 = (time_t)s.start;
	localtime_r(&t0, &lt);
	s.first_civil = civil_day(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
	s.n_all = spec->n_stmts + spec->filler;
	s.all = xcalloc((size_t)s.n_all + 1, sizeof *s.all);
	if (spec->n_stmts > 0)
		memcpy(s.all, spec->stmts, (size_t)spec->n_stmts * sizeof *s.all);
	make_filler(&s);
	s.order = xcalloc((size_t)s.n_all + 1, sizeof *s.order);
	for (i = 0, o = 0; i < s.n_all; i++)
		if (s.all[i].parent_index < 0)
			s.order[o++] = i;
	for (i = 0; i < s.n_all; i++)
		if (s.all[i].parent_index >= 0)
			s.order[o++] = i;
	s.calls = xcalloc((size_t)s.n_all + 1, sizeof *s.calls);
	s.rows = xcalloc((size_t)s.n_all + 1, sizeof *s.rows);
	s.hit = xcalloc((size_t)s.n_all + 1, sizeof *s.hit);
	s.read = xcalloc((size_t)s.n_all + 1, sizeof *s.read);
	s.temp = xcalloc((size_t)s.n_all + 1, sizeof *s.temp);
	s.mean = xcalloc((size_t)s.n_all + 1, sizeof *s.mean);
	s.max = xcalloc((size_t)s.n_all + 1, sizeof *s.max);
	s.text_stored = xcalloc((size_t)s.n_all + 1, sizeof *s.text_stored);
	s.peak_hits = xcalloc((size_t)s.n_all * SIM_MAX_PEAKS + 1, sizeof *s.peak_hits);
	s.peak_chances = xcalloc((size_t)s.n_all * SIM_MAX_PEAKS + 1, sizeof *s.peak_chances);
	s.change_idx = xcalloc((size_t)spec->n_settings + 1, sizeof *s.change_idx);
	if (check_events(&s, err) < 0)
		goto out;

	st = store_open(path, 0, err);
	if (st == NULL)
		goto out;
	/* the same spec and seed make the same file: no wall clock, no leftovers of deletes */
	store_fake_clock(st, s.start);
	/* looked at before anything is written: a refused run leaves the file as it was */
	for (v = 0; v < spec->servers; v++) {
		int64_t id = 0;
		double until = 0;
		int found;

		server_of(spec, v, &srv);
		found = store_server_id(st, srv.key, &id, err);
		if (found < 0 || (found > 0 && store_history_end(st, id, &until, err) < 0))
			goto out_store;
		if (until > s.start) {
			char when_s[32];
			time_t tu = (time_t)until;
			struct tm tmu;

			localtime_r(&tu, &tmu);
			strftime(when_s, sizeof when_s, "%Y-%m-%d %H:%M", &tmu);
			pgt_err_set(err, "%s holds history of server %s until %s, after the simulated "
					 "start: simulate into a new file, name another server, or "
					 "simulate a span that begins after it",
				    path, srv.key, when_s);
			goto out_store;
		}
	}
	for (v = 0; v < spec->servers; v++) {
		server_of(spec, v, &srv);
		s.salt = v == 0 ? 0 : mix(0x5e7e5ULL + (uint64_t)v);
		memset(s.text_stored, 0, ((size_t)s.n_all + 1) * sizeof *s.text_stored);
		memset(s.peak_hits, 0, ((size_t)s.n_all * SIM_MAX_PEAKS + 1) * sizeof *s.peak_hits);
		memset(s.peak_chances, 0,
		       ((size_t)s.n_all * SIM_MAX_PEAKS + 1) * sizeof *s.peak_chances);
		if (simulate_server(&s, st, &srv, progress, stats, err) < 0)
			goto out_store;
		if (v == 0)
			first_id = stats->server_id;
	}
	stats->server_id = first_id;
	if (truth == NULL)
		truth = spec->truth;
	if (truth != NULL && write_truth(&s, truth, err) < 0)
		goto out_store;
	rc = 0;
out_store:
	store_close(st);
out:
	stats->start = s.start;
	stats->end = s.end;
	stats->seconds = now_mono() - started;
	sim_free(&s);
	return rc;
}
