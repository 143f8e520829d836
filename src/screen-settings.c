#include "config.h"

#include "screen-settings.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

/* The settings that the parameter rules read. */
static const char *const read_by_rules[] = {
	"work_mem",	   "max_wal_size",	 "checkpoint_timeout",
	"checkpoint_completion_target", "shared_buffers", "max_connections",
	"pg_stat_statements.max", "track_io_timing", "compute_query_id",
	"effective_cache_size", "random_page_cost", "seq_page_cost", "autovacuum",
	"autovacuum_naptime", "autovacuum_max_workers", "autovacuum_vacuum_scale_factor",
	"autovacuum_vacuum_threshold",
	NULL};

struct ln {
	char **l;
	int n;
};

static void
add(struct ln *ls, char *line)
{
	ls->l = xreallocarray(ls->l, (size_t)ls->n + 1, sizeof *ls->l);
	ls->l[ls->n++] = line;
}

static void
setting_line(struct ln *ls, const struct param_setting *s)
{
	char *v = param_value_text(s);

	add(ls, xasprintf("  %-34s %-16s %-12s%s", s->name, v != NULL ? v : "",
			  s->source != NULL ? s->source : "", s->pending_restart ? "  pending restart" : ""));
	free(v);
}

static void
local_time(double ts, char *buf, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		strlcpy_(buf, "?", size);
}

static const char *
unit_of(const char *metric)
{
	if (strcmp(metric, "mean_ms") == 0)
		return "ms";
	if (strcmp(metric, "temp_bytes") == 0)
		return "bytes/h";
	return "/h";
}

static void
effect_line(struct ln *ls, const struct param_effect *e)
{
	char who[40];

	if (e->has_queryid)
		snprintf(who, sizeof who, "%lld", (long long)e->queryid);
	else
		strlcpy_(who, "server", sizeof who);
	if (!e->r.found)
		add(ls, xasprintf("      %-20s %-22s %.4g -> %.4g %s: no effect found (%d hours)", who,
				  e->metric, e->r.before, e->r.after, unit_of(e->metric),
				  e->r.pairs));
	else if (isfinite(e->r.ratio))
		add(ls, xasprintf("      %-20s %-22s %.4g -> %.4g %s: x%.2f [%.2f, %.2f] %s (%d "
				  "hours)",
				  who, e->metric, e->r.before, e->r.after, unit_of(e->metric),
				  e->r.ratio, e->r.low, e->r.high,
				  e->r.ratio > 1 ? "increase" : "decrease", e->r.pairs));
	else
		add(ls, xasprintf("      %-20s %-22s %.4g -> %.4g %s: %s (%d hours)", who, e->metric,
				  e->r.before, e->r.after, unit_of(e->metric),
				  e->r.after > e->r.before ? "increase" : "decrease", e->r.pairs));
}

int
settings_pane_lines(const struct settings_view *v, char ***out)
{
	const struct params_model *m = v->m;
	struct ln ls = {NULL, 0};
	int i, k, n;

	if (m == NULL) {
		add(&ls, xstrdup(v->status != NULL ? v->status : "reading the settings..."));
		*out = ls.l;
		return ls.n;
	}
	add(&ls, xstrdup("Read by the parameter rules                 value            source"));
	for (k = 0; read_by_rules[k] != NULL; k++) {
		const struct param_setting *s = param_find(m->cur, m->n_cur, read_by_rules[k]);

		if (s != NULL)
			setting_line(&ls, s);
		else
			add(&ls, xasprintf("  %-34s (not in the history)", read_by_rules[k]));
	}
	add(&ls, xstrdup(""));
	add(&ls, xasprintf("Recommendations (%d)", m->n_recs));
	for (i = 0; i < m->n_recs; i++) {
		const struct param_rec *r = &m->recs[i];

		add(&ls, xasprintf("  %-28s %s -> %s  (%s, confidence %.2f)", r->name,
				   r->current != NULL ? r->current : "?", r->recommended,
				   r->scope != NULL ? r->scope : "system", r->confidence));
		add(&ls, xasprintf("      %s", r->statement));
	}
	add(&ls, xstrdup(""));
	for (i = n = 0; i < m->n_cur; i++)
		n += m->cur[i].pending_restart != 0;
	add(&ls, xasprintf("Pending restart (%d)", n));
	for (i = 0; i < m->n_cur; i++)
		if (m->cur[i].pending_restart)
			setting_line(&ls, &m->cur[i]);
	add(&ls, xstrdup(""));
	for (i = n = 0; i < m->n_cur; i++)
		n += param_non_default(&m->cur[i]);
	if (v->all)
		add(&ls, xasprintf("All settings (%d; %d off their default)   a: only those", m->n_cur,
				   n));
	else
		add(&ls, xasprintf("Off their default (%d)   a: all settings", n));
	for (i = 0; i < m->n_cur; i++)
		if (v->all || param_non_default(&m->cur[i]))
			setting_line(&ls, &m->cur[i]);
	add(&ls, xstrdup(""));
	add(&ls, xasprintf("Set for databases and roles (%d)", m->n_role_cur));
	for (i = 0; i < m->n_role_cur; i++) {
		const struct param_role_setting *r = &m->role_cur[i];
		char *who = r->role != NULL && r->database != NULL
				    ? xasprintf("role %s in database %s", r->role, r->database)
			    : r->role != NULL	  ? xasprintf("role %s", r->role)
			    : r->database != NULL ? xasprintf("database %s", r->database)
						  : xstrdup("every database and role");

		add(&ls, xasprintf("  %-34s %-16s %s", r->name, r->setting, who));
		free(who);
	}
	add(&ls, xstrdup(""));
	add(&ls, xasprintf("Changes (%d), each against the same hours of the week before", m->n_changes));
	for (i = m->n_changes - 1; i >= 0; i--) {
		const struct param_change *c = &m->changes[i];
		char when[32];

		int by_role = c->scope != NULL && strcmp(c->scope, "system") != 0;

		local_time(c->ts, when, sizeof when);
		add(&ls, xasprintf("  %s  %s%s%s%s: %s -> %s%s   (%d statements compared)", when,
				   c->name, by_role ? " (" : "", by_role ? c->scope : "",
				   by_role ? ")" : "",
				   c->from != NULL ? c->from : by_role ? "(none)" : "?",
				   c->to != NULL ? c->to : by_role ? "(reset)" : "?",
				   c->pending_restart ? "  pending restart" : "", c->tested));
		if (c->note != NULL)
			add(&ls, xasprintf("      %s", c->note));
		for (k = 0; k < c->n_effects; k++)
			effect_line(&ls, &c->effects[k]);
		if (c->tested > 0) {
			int found = 0;

			for (k = 0; k < c->n_effects; k++)
				found += c->effects[k].has_queryid;
			if (found == 0)
				add(&ls, xstrdup("      statements: no effect found"));
		}
	}
	*out = ls.l;
	return ls.n;
}

void
settings_pane_draw(struct settings_view *v, int y0, int height)
{
	char **ln;
	int n = settings_pane_lines(v, &ln), i, y = y0;

	if (v->title != NULL && height > 0) {
		char *t = sanitize_line(v->title, (size_t)(COLS > 0 ? COLS : 1), v->utf8);

		attron(A_BOLD);
		mvaddstr(y++, 0, t);
		attroff(A_BOLD);
		free(t);
	}
	if (v->top > n - (height - 1))
		v->top = n - (height - 1);
	if (v->top < 0)
		v->top = 0;
	for (i = v->top; i < n && y < y0 + height; i++, y++) {
		char *t = sanitize_cut(ln[i], (size_t)(COLS > 0 ? COLS : 1), v->utf8);
		int head = ln[i][0] != ' ' && ln[i][0] != '\0';

		if (head)
			attron(A_BOLD);
		mvaddstr(y, 0, t);
		if (head)
			attroff(A_BOLD);
		free(t);
	}
	for (i = 0; i < n; i++)
		free(ln[i]);
	free(ln);
}

int
settings_pane_key(struct settings_view *v, int ch, int height)
{
	int page = height > 2 ? height - 2 : 1;

	switch (ch) {
	case KEY_UP:
	case 'k':
		v->top--;
		break;
	case KEY_DOWN:
	case 'j':
		v->top++;
		break;
	case KEY_PPAGE:
		v->top -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		v->top += page;
		break;
	case KEY_HOME:
	case 'g':
		v->top = 0;
		break;
	case KEY_END:
	case 'G':
		v->top = 1 << 28;
		break;
	case 'a':
		v->all = !v->all;
		break;
	default:
		return 0;
	}
	if (v->top < 0)
		v->top = 0;
	return 1;
}
