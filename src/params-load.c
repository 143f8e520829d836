#include "config.h"

#include "params-load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WEEK 168
/* Statements' effects kept per change (the server's are always kept). */
#define MAX_STMT_EFFECTS 50

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
copy_setting(struct param_setting *d, const struct param_setting *s)
{
	d->name = s->name != NULL ? xstrdup(s->name) : NULL;
	d->setting = s->setting != NULL ? xstrdup(s->setting) : NULL;
	d->unit = s->unit != NULL ? xstrdup(s->unit) : NULL;
	d->source = s->source != NULL ? xstrdup(s->source) : NULL;
	d->pending_restart = s->pending_restart;
	d->ts = s->ts;
}

static void
add_effect(struct param_change *c, int has_queryid, int64_t queryid, const char *metric,
	   const struct ba_result *r)
{
	struct param_effect *e;

	c->effects = xreallocarray(c->effects, (size_t)c->n_effects + 1, sizeof *c->effects);
	e = &c->effects[c->n_effects++];
	e->has_queryid = has_queryid;
	e->queryid = queryid;
	e->metric = metric;
	e->r = *r;
}

static double
log_size(const struct param_effect *e)
{
	return isfinite(e->r.ratio) && e->r.ratio > 0 ? fabs(log(e->r.ratio)) : 1e9;
}

static int
cmp_effect(const void *a, const void *b)
{
	const struct param_effect *x = a, *y = b;
	double lx, ly;

	if (x->has_queryid != y->has_queryid)
		return x->has_queryid - y->has_queryid;
	if (!x->has_queryid)
		return 0; /* the server's keep their order */
	lx = log_size(x);
	ly = log_size(y);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	if (x->queryid != y->queryid)
		return x->queryid < y->queryid ? -1 : 1;
	return strcmp(x->metric, y->metric);
}

/* Compare one series around a change: index ci is the first whole hour after it. */
static void
compare(struct param_change *c, const double *v, int n, int ci, const struct ba_opts *o,
	int has_queryid, int64_t queryid, const char *metric)
{
	struct ba_result r;

	if (params_before_after(v, n, ci, o, &r) < 0)
		return;
	if (has_queryid && !r.found)
		return;
	add_effect(c, has_queryid, queryid, metric, &r);
}

/* "role R in database D", "role R", "database D" */
static char *
scope_text(const char *database, const char *role)
{
	if (database != NULL && role != NULL)
		return xasprintf("role %s in database %s", role, database);
	if (role != NULL)
		return xasprintf("role %s", role);
	if (database != NULL)
		return xasprintf("database %s", database);
	return xstrdup("every database and role");
}

static int
same_key(const struct param_role_setting *a, const struct param_role_setting *b)
{
	return same(a->database, b->database) && same(a->role, b->role) &&
	       strcmp(a->name, b->name) == 0;
}

/*
 * The settings of databases and roles: those in effect at 'to' into m->role_cur, and
 * their changes in [from, to] (not those there when the history first read them).
 */
static int
load_role_settings(struct store *st, int64_t server_id, double from, double to,
		   struct params_model *m, struct pgt_err *err)
{
	struct param_role_setting *rows = NULL;
	int n = 0, i, k;

	if (store_param_role_settings(st, server_id, to, &rows, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct param_role_setting *r = &rows[i];
		struct param_role_setting *cur;

		if (!r->first && r->ts >= from) {
			struct param_change *c;

			m->changes = xreallocarray(m->changes, (size_t)m->n_changes + 1,
						   sizeof *m->changes);
			c = &m->changes[m->n_changes++];
			memset(c, 0, sizeof *c);
			c->name = xstrdup(r->name);
			c->scope = scope_text(r->database, r->role);
			c->database = r->database != NULL ? xstrdup(r->database) : NULL;
			c->role = r->role != NULL ? xstrdup(r->role) : NULL;
			c->from = r->old != NULL ? xstrdup(r->old) : NULL;
			c->to = r->setting != NULL ? xstrdup(r->setting) : NULL;
			c->source = xstrdup(r->database != NULL && r->role == NULL ? "database"
					    : r->database != NULL		       ? "database user"
										       : "user");
			c->ts = r->ts;
		}
		/* rows come oldest first: the last of a key is in effect */
		for (k = 0; k < m->n_role_cur && !same_key(&m->role_cur[k], r); k++)
			;
		if (k == m->n_role_cur) {
			m->role_cur = xreallocarray(m->role_cur, (size_t)m->n_role_cur + 1,
						    sizeof *m->role_cur);
			memset(&m->role_cur[m->n_role_cur++], 0, sizeof *m->role_cur);
		} else {
			free(m->role_cur[k].database);
			free(m->role_cur[k].role);
			free(m->role_cur[k].name);
			free(m->role_cur[k].setting);
			free(m->role_cur[k].old);
		}
		cur = &m->role_cur[k];
		cur->database = r->database != NULL ? xstrdup(r->database) : NULL;
		cur->role = r->role != NULL ? xstrdup(r->role) : NULL;
		cur->name = xstrdup(r->name);
		cur->setting = r->setting != NULL ? xstrdup(r->setting) : NULL;
		cur->old = NULL;
		cur->ts = r->ts;
		cur->first = r->first;
	}
	store_param_role_settings_free(rows, n);
	/* those reset are no longer in effect */
	for (i = k = 0; i < m->n_role_cur; i++) {
		if (m->role_cur[i].setting != NULL) {
			m->role_cur[k++] = m->role_cur[i];
			continue;
		}
		free(m->role_cur[i].database);
		free(m->role_cur[i].role);
		free(m->role_cur[i].name);
	}
	m->n_role_cur = k;
	return 0;
}

/* The before/after comparisons of every change, over the hours read once. */
static int
compare_changes(struct store *st, int64_t server_id, double to, struct params_model *m,
		struct pgt_err *err)
{
	struct stmt_series ser;
	struct param_hours ph;
	struct ba_opts o;
	long long h0 = 0, h1 = (long long)floor(to / 3600.0) - 1;
	double *calls, *mean, *all_calls, *all_mean, *sum_ms;
	int i, k, j;

	if (m->n_changes == 0)
		return 0;
	ba_opts_default(&o);
	for (i = 0; i < m->n_changes; i++) {
		long long ch = (long long)floor(m->changes[i].ts / 3600.0) + 1 - WEEK;

		if (i == 0 || ch < h0)
			h0 = ch;
	}
	if (h1 < h0) {
		for (i = 0; i < m->n_changes; i++)
			m->changes[i].note = "no whole hour after the change";
		return 0;
	}
	if (store_stmt_series(st, server_id, h0, h1, &ser, err) < 0)
		return -1;
	if (store_param_hours(st, server_id, h0, h1, &ph, err) < 0) {
		store_stmt_series_free(&ser);
		return -1;
	}
	calls = xcalloc((size_t)ser.n_hours + 1, sizeof *calls);
	mean = xcalloc((size_t)ser.n_hours + 1, sizeof *mean);
	all_calls = xcalloc((size_t)ser.n_hours + 1, sizeof *all_calls);
	all_mean = xcalloc((size_t)ser.n_hours + 1, sizeof *all_mean);
	sum_ms = xcalloc((size_t)ser.n_hours + 1, sizeof *sum_ms);
	for (j = 0; j < ser.n_hours; j++) {
		for (k = 0; k < ser.n_stmts; k++) {
			all_calls[j] += ser.calls[(size_t)k * (size_t)ser.n_hours + (size_t)j];
			sum_ms[j] += ser.total_ms[(size_t)k * (size_t)ser.n_hours + (size_t)j];
		}
		all_mean[j] = ser.sampled[j] && all_calls[j] > 0 ? sum_ms[j] / all_calls[j] : NAN;
		if (!ser.sampled[j])
			all_calls[j] = NAN;
	}
	for (i = 0; i < m->n_changes; i++) {
		struct param_change *c = &m->changes[i];
		long long chh = (long long)floor(c->ts / 3600.0) + 1;
		int ci = (int)(chh - ser.h0), kept = 0;

		if (ci >= ser.n_hours) {
			c->note = "no whole hour after the change";
			continue;
		}
		compare(c, all_calls, ser.n_hours, ci, &o, 0, 0, "calls");
		compare(c, all_mean, ser.n_hours, ci, &o, 0, 0, "mean_ms");
		if (ph.n == ser.n_hours) {
			compare(c, ph.temp_bytes, ph.n, ci, &o, 0, 0, "temp_bytes");
			compare(c, ph.ckpt_requested, ph.n, ci, &o, 0, 0, "checkpoints_requested");
		}
		if (c->n_effects == 0)
			c->note = "less history around the change than a day after it and the same "
				  "hours a week before";
		for (k = 0; k < ser.n_stmts; k++) {
			const double *sc = ser.calls + (size_t)k * (size_t)ser.n_hours;
			const double *sm = ser.total_ms + (size_t)k * (size_t)ser.n_hours;
			int before = c->n_effects;
			struct ba_result r;

			for (j = 0; j < ser.n_hours; j++) {
				calls[j] = ser.sampled[j] ? sc[j] : NAN;
				mean[j] = ser.sampled[j] && sc[j] > 0 ? sm[j] / sc[j] : NAN;
			}
			/* tested: the statement ran in enough matched hours */
			if (params_before_after(mean, ser.n_hours, ci, &o, &r) < 0)
				continue;
			c->tested++;
			if (kept >= MAX_STMT_EFFECTS)
				continue;
			compare(c, mean, ser.n_hours, ci, &o, 1, ser.queryid[k], "mean_ms");
			compare(c, calls, ser.n_hours, ci, &o, 1, ser.queryid[k], "calls");
			kept += c->n_effects - before;
		}
		if (c->n_effects > 1)
			qsort(c->effects, (size_t)c->n_effects, sizeof *c->effects, cmp_effect);
	}
	free(calls);
	free(mean);
	free(all_calls);
	free(all_mean);
	free(sum_ms);
	store_param_hours_free(&ph);
	store_stmt_series_free(&ser);
	return 0;
}

int
params_load(struct store *st, int64_t server_id, double from, double to,
	    const struct param_rules *pr, struct params_model *m, struct pgt_err *err)
{
	struct param_setting *rows = NULL;
	int n_rows = 0, i, j, n_first;
	struct stmt_total *tot = NULL;
	int n_tot = 0, samples = 0;
	struct param_stmt *ps = NULL;
	struct param_totals pt;
	struct param_more more;
	struct param_table *tables = NULL;
	int n_tables = 0;
	struct param_input in;
	double first = 0, last = 0;

	memset(m, 0, sizeof *m);
	memset(&more, 0, sizeof more);
	m->from = from;
	m->to = to;
	if (store_param_settings(st, server_id, to, &rows, &n_rows, err) < 0)
		return -1;
	for (i = 0; i < n_rows; i = j) {
		struct param_setting *cur;

		for (j = i + 1; j < n_rows && strcmp(rows[j].name, rows[i].name) == 0; j++) {
			struct param_change *c;

			if (same(rows[j].setting, rows[j - 1].setting) || rows[j].ts < from)
				continue;
			m->changes = xreallocarray(m->changes, (size_t)m->n_changes + 1,
						   sizeof *m->changes);
			c = &m->changes[m->n_changes++];
			memset(c, 0, sizeof *c);
			c->name = xstrdup(rows[j].name);
			c->scope = xstrdup("system");
			c->from = param_value_text(&rows[j - 1]);
			c->to = param_value_text(&rows[j]);
			c->source = rows[j].source != NULL ? xstrdup(rows[j].source) : NULL;
			c->ts = rows[j].ts;
			c->pending_restart = rows[j].pending_restart;
		}
		m->cur = xreallocarray(m->cur, (size_t)m->n_cur + 1, sizeof *m->cur);
		cur = &m->cur[m->n_cur++];
		copy_setting(cur, &rows[j - 1]);
	}
	store_param_settings_free(rows, n_rows);
	if (load_role_settings(st, server_id, from, to, m, err) < 0)
		goto fail;
	/* the changes oldest first */
	for (i = 1; i < m->n_changes; i++) {
		struct param_change c = m->changes[i];

		for (j = i; j > 0 && m->changes[j - 1].ts > c.ts; j--)
			m->changes[j] = m->changes[j - 1];
		m->changes[j] = c;
	}
	if (compare_changes(st, server_id, to, m, err) < 0)
		goto fail;
	if (pr == NULL || params_rules_count(pr) == 0)
		return 0;

	if (store_statements_by_key(st, server_id, from, to, &tot, &n_tot, err) < 0 ||
	    store_param_totals(st, server_id, from, to, &pt, err) < 0 ||
	    store_sample_span(st, server_id, from, to, &samples, &first, &last, err) < 0 ||
	    store_param_more(st, server_id, from, to, &more, err) < 0 ||
	    store_param_tables(st, server_id, &tables, &n_tables, err) < 0)
		goto fail;
	ps = xcalloc((size_t)n_tot + 1, sizeof *ps);
	for (i = 0; i < n_tot; i++) {
		ps[i].queryid = tot[i].queryid;
		ps[i].role = tot[i].username;
		ps[i].query = tot[i].query;
		ps[i].calls = (double)tot[i].calls;
		ps[i].total_ms = tot[i].total_ms;
		ps[i].temp_blks_written = (double)tot[i].temp_blks_written;
	}
	memset(&in, 0, sizeof in);
	in.days = (to - (samples > 0 && first > from ? first : from)) / 86400.0;
	if (in.days < 1.0 / 24)
		in.days = 1.0 / 24;
	in.settings = m->cur;
	in.n_settings = m->n_cur;
	in.stmts = ps;
	in.n_stmts = n_tot;
	in.have_db = pt.have_db;
	in.temp_files = pt.temp_files;
	in.temp_bytes = pt.temp_bytes;
	in.blks_read = pt.blks_read;
	in.blks_hit = pt.blks_hit;
	in.have_ckpt = pt.have_ckpt;
	in.ckpt_timed = pt.ckpt_timed;
	in.ckpt_requested = pt.ckpt_requested;
	in.ckpt_hours = pt.ckpt_hours;
	in.have_sess = pt.have_sess;
	in.sess_peak = pt.sess_peak;
	in.have_dealloc = pt.have_dealloc;
	in.dealloc = pt.dealloc;
	in.mem_bytes = params_rules_memory(pr);
	in.role_settings = m->role_cur;
	in.n_role_settings = m->n_role_cur;
	in.have_wal = more.have_wal;
	in.wal_bytes = more.wal_bytes;
	in.wal_hours = more.wal_seconds / 3600.0;
	in.wal_peak_hour = more.wal_peak_hour;
	in.wal_ckpt_bytes = more.wal_ckpt_bytes;
	in.wal_ckpt_count = more.wal_ckpt_count;
	in.blk_read_ms = more.blk_read_ms;
	in.hour_hit = more.hour_hit;
	in.hour_read = more.hour_read;
	in.n_io_hours = more.n_io_hours;
	in.tables = tables;
	in.n_tables = n_tables;
	n_first = m->n_finds;
	params_advise(pr, &in, &m->recs, &m->n_recs, &m->finds, &m->n_finds);
	for (i = n_first; i < m->n_finds; i++) {
		m->finds[i].from = from;
		m->finds[i].to = to;
	}
	free(ps);
	store_statements_free(tot, n_tot);
	store_param_more_free(&more);
	store_param_tables_free(tables, n_tables);
	return 0;
fail:
	free(ps);
	store_statements_free(tot, n_tot);
	store_param_more_free(&more);
	store_param_tables_free(tables, n_tables);
	params_model_free(m);
	return -1;
}
