#include "config.h"

#include "screen-plan.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

void
plan_pane_clear(struct plan_pane *pp)
{
	int utf8 = pp->utf8;

	store_plans_free(pp->recs, pp->n_recs);
	plan_free(pp->plan);
	plan_free(pp->prev);
	plan_issues_free(pp->iss, pp->n_iss);
	free(pp->extra);
	memset(pp, 0, sizeof *pp);
	pp->utf8 = utf8;
}

void
plan_pane_set(struct plan_pane *pp, struct plan_rec *recs, int n_recs,
	      const struct plan_rules *rules, const struct plan_table_stats *stats, int n_stats)
{
	struct pgt_err err = {{0}};

	store_plans_free(pp->recs, pp->n_recs);
	plan_free(pp->plan);
	plan_free(pp->prev);
	plan_issues_free(pp->iss, pp->n_iss);
	pp->plan = pp->prev = NULL;
	pp->iss = NULL;
	pp->n_iss = 0;
	pp->recs = recs;
	pp->n_recs = n_recs;
	pp->top = 0;
	if (n_recs > 0 && recs[0].plan != NULL) {
		pp->plan = plan_parse(recs[0].plan, strlen(recs[0].plan), &err);
		if (pp->plan == NULL) {
			snprintf(pp->status, sizeof pp->status, "the plan kept cannot be read: %.400s",
				 err.msg);
			pp->status_error = 1;
		}
	}
	if (n_recs > 1 && recs[1].plan != NULL)
		pp->prev = plan_parse(recs[1].plan, strlen(recs[1].plan), &err);
	if (pp->plan != NULL)
		pp->n_iss = plan_check(pp->plan, rules, stats, n_stats, &pp->iss);
}

struct ln {
	char **l;
	int *m;
	int n;
};

static void
add(struct ln *ls, int mark, char *line)
{
	ls->l = xreallocarray(ls->l, (size_t)ls->n + 1, sizeof *ls->l);
	ls->m = xreallocarray(ls->m, (size_t)ls->n + 1, sizeof *ls->m);
	ls->l[ls->n] = line;
	ls->m[ls->n++] = mark;
}

static void
local_time(double ts, char *buf, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		strlcpy_(buf, "?", size);
}

static const char *
method_text(const char *m)
{
	if (m == NULL)
		return "?";
	if (strcmp(m, "literal") == 0)
		return "its text with values seen in pg_stat_activity";
	if (strcmp(m, "generic_plan") == 0)
		return "EXPLAIN (GENERIC_PLAN) of its normalized text";
	if (strcmp(m, "prepare") == 0)
		return "a generic plan of its normalized text (PREPARE, NULL parameters)";
	return "its text, which has no parameters";
}

static void
tree(struct ln *ls, const struct plan *p, const struct plan_issue *iss, int n_iss)
{
	for (int i = 0; i < p->n; i++) {
		char label[1024];
		int marked = 0;

		for (int k = 0; k < n_iss; k++)
			marked |= iss[k].node == i;
		plan_node_label(p, i, label, sizeof label);
		add(ls, marked, xasprintf("%s %*s%s%s", marked ? "!" : " ", 4 * p->nodes[i].depth,
					  "", p->nodes[i].depth > 0 ? "-> " : "", label));
	}
}

int
plan_pane_lines(const struct plan_pane *pp, char ***out, int **marks)
{
	struct ln ls = {0};
	char when[40];

	if (pp->status[0] != '\0')
		add(&ls, pp->status_error ? 1 : 0, xstrdup(pp->status));
	if (pp->n_recs == 0) {
		add(&ls, 0, xstrdup("No plan of this statement was taken yet."));
	} else {
		const struct plan_rec *r = &pp->recs[0];

		local_time(r->ts, when, sizeof when);
		add(&ls, 2, xasprintf("Plan taken %s%s", when,
				      r->analyzed ? " with EXPLAIN ANALYZE (the statement ran)"
						  : " (EXPLAIN: the statement did not run)"));
		add(&ls, 0, xasprintf("  from %s", method_text(r->method)));
		if (pp->plan != NULL) {
			if (!isnan(pp->plan->planning_ms) || !isnan(pp->plan->execution_ms))
				add(&ls, 0,
				    xasprintf("  planning %.3f ms%s", pp->plan->planning_ms,
					      isnan(pp->plan->execution_ms) ? "" : ", execution below"));
			if (!isnan(pp->plan->execution_ms))
				add(&ls, 0, xasprintf("  execution %.3f ms", pp->plan->execution_ms));
			add(&ls, 0, xstrdup(""));
			tree(&ls, pp->plan, pp->iss, pp->n_iss);
			add(&ls, 0, xstrdup(""));
			if (pp->n_iss == 0) {
				add(&ls, 2, xstrdup("No problem found by the plan rules"));
			} else {
				add(&ls, 2, xasprintf("Problems (%d, marked ! in the plan)", pp->n_iss));
				for (int k = 0; k < pp->n_iss; k++) {
					add(&ls, 1, xasprintf("  %s (%s): %s", pp->iss[k].rule,
							      pp->iss[k].severity, pp->iss[k].text));
					if (pp->iss[k].suggestion != NULL)
						add(&ls, 0, xasprintf("      %s", pp->iss[k].suggestion));
				}
			}
		}
		if (pp->n_recs > 1) {
			const struct plan_rec *o = &pp->recs[1];

			local_time(o->ts, when, sizeof when);
			add(&ls, 0, xstrdup(""));
			if (pp->plan != NULL && pp->prev != NULL && plan_shape_differs(pp->prev, pp->plan)) {
				add(&ls, 1, xasprintf("The plan changed since the one taken %s (cost %.2f"
						      " then, %.2f now):",
						      when, o->total_cost, r->total_cost));
				tree(&ls, pp->prev, NULL, 0);
			} else {
				add(&ls, 0, xasprintf("Same plan as the one taken %s (cost %.2f then)",
						      when, o->total_cost));
			}
		}
	}
	if (pp->extra != NULL) {
		const char *p = pp->extra;

		add(&ls, 0, xstrdup(""));
		while (*p) {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			add(&ls, p == pp->extra ? 2 : 0, xstrndup(p, len));
			p += len + (e ? 1 : 0);
		}
	}
	*out = ls.l;
	*marks = ls.m;
	return ls.n;
}

void
plan_pane_draw(struct plan_pane *pp, const char *title, int y0, int height)
{
	char **ln;
	int *mk;
	int n = plan_pane_lines(pp, &ln, &mk), i, y = y0;
	size_t width = (size_t)(COLS > 0 ? COLS : 1);

	if (title != NULL && height > 0) {
		char *t = sanitize_line(title, width, pp->utf8);

		attron(A_BOLD);
		mvaddstr(y++, 0, t);
		attroff(A_BOLD);
		free(t);
	}
	if (pp->top > n - (height - 1))
		pp->top = n - (height - 1);
	if (pp->top < 0)
		pp->top = 0;
	for (i = pp->top; i < n && y < y0 + height; i++, y++) {
		/* the plan quotes the statement's conditions: data from outside */
		char *t = sanitize_cut(ln[i], width, pp->utf8);
		attr_t a = mk[i] == 2 ? A_BOLD : mk[i] == 1 ? A_BOLD | A_STANDOUT : 0;

		attron(a);
		mvaddstr(y, 0, t);
		attroff(a);
		free(t);
	}
	for (i = 0; i < n; i++)
		free(ln[i]);
	free(ln);
	free(mk);
}

int
plan_pane_key(struct plan_pane *pp, int ch, int height)
{
	int page = height > 2 ? height - 2 : 1;

	switch (ch) {
	case KEY_UP:
	case 'k':
		pp->top--;
		return 1;
	case KEY_DOWN:
	case 'j':
		pp->top++;
		return 1;
	case KEY_PPAGE:
		pp->top -= page;
		return 1;
	case KEY_NPAGE:
	case ' ':
		pp->top += page;
		return 1;
	case KEY_HOME:
	case 'g':
		pp->top = 0;
		return 1;
	case KEY_END:
	case 'G':
		pp->top = 1 << 20;
		return 1;
	}
	return 0;
}
