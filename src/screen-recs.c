#include "config.h"

#include "screen-recs.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

static const char *const filter_names[RECS_FILTERS] = {"open", "applied", "dismissed", "all"};

const char *
recs_filter_name(enum recs_filter f)
{
	return f < RECS_FILTERS ? filter_names[f] : "?";
}

static int
passes(const struct recs_view *v, const struct recommendation *r)
{
	int open = strcmp(r->state, "new") == 0 || strcmp(r->state, "acknowledged") == 0;

	if (v->category[0] != '\0' && (r->category == NULL || strcmp(r->category, v->category) != 0))
		return 0;
	switch (v->filter) {
	case RECS_OPEN:
		/* a stored state whose problem is gone is closed: shown under "all" */
		return open && r->outcome != REC_OUTCOME_VANISHED;
	case RECS_APPLIED:
		return strcmp(r->state, "applied") == 0;
	case RECS_DISMISSED:
		return strcmp(r->state, "dismissed") == 0;
	default:
		return 1;
	}
}

int
recs_visible(const struct recs_view *v, int **out)
{
	int n = 0;

	*out = NULL;
	if (v->rep == NULL)
		return 0;
	*out = xcalloc((size_t)(v->rep->n_recs ? v->rep->n_recs : 1), sizeof **out);
	for (int i = 0; i < v->rep->n_recs; i++)
		if (passes(v, &v->rep->recs[i]))
			(*out)[n++] = i;
	return n;
}

const struct recommendation *
recs_selected(const struct recs_view *v)
{
	int *idx, n;
	const struct recommendation *r = NULL;

	if (v->story && v->rep != NULL) {
		for (int i = 0; i < v->rep->n_recs; i++)
			if (strcmp(v->rep->recs[i].id, v->story_id) == 0)
				return &v->rep->recs[i];
		return NULL;
	}
	n = recs_visible(v, &idx);
	if (v->sel >= 0 && v->sel < n)
		r = &v->rep->recs[idx[v->sel]];
	free(idx);
	return r;
}

void
recs_next_category(struct recs_view *v)
{
	const char *next = NULL;
	int take = v->category[0] == '\0';

	if (v->rep == NULL)
		return;
	/* the categories in the order of their first recommendation */
	for (int i = 0; i < v->rep->n_recs && next == NULL; i++) {
		const char *c = v->rep->recs[i].category;
		int seen = 0;

		if (c == NULL)
			continue;
		for (int k = 0; k < i; k++)
			if (v->rep->recs[k].category != NULL && strcmp(v->rep->recs[k].category, c) == 0)
				seen = 1;
		if (seen)
			continue;
		if (take)
			next = c;
		else if (strcmp(c, v->category) == 0)
			take = 1;
	}
	strlcpy_(v->category, next != NULL ? next : "", sizeof v->category);
	v->sel = v->top = 0;
}

static void
ms_text(char *buf, size_t len, double ms)
{
	if (!isfinite(ms))
		strlcpy_(buf, "-", len);
	else if (ms >= 3600000)
		snprintf(buf, len, "%.1f h", ms / 3600000);
	else if (ms >= 60000)
		snprintf(buf, len, "%.1f min", ms / 60000);
	else if (ms >= 1000)
		snprintf(buf, len, "%.1f s", ms / 1000);
	else
		snprintf(buf, len, "%.0f ms", ms);
}

/* The title of a recommendation: its first fix's, or the one kept with its state. */
static void
title_of(const struct report *rep, const struct recommendation *r, struct strbuf *sb)
{
	if (r->n_fixes > 0)
		report_finding_title(sb, &rep->findings[r->fixes[0]]);
	else if (r->title != NULL)
		sb_add(sb, r->title);
	else
		sb_add(sb, "(no longer found)");
}

static const char *
state_text(const struct recommendation *r)
{
	if (r->outcome == REC_OUTCOME_VANISHED)
		return "gone";
	if (r->reopened)
		return "reopened";
	return r->state;
}

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

int
recs_list_lines(const struct recs_view *v, size_t width, char ***out)
{
	struct ln ls = {0};
	int *idx, n = recs_visible(v, &idx);

	(void)width;
	add(&ls, xasprintf("%8s %-10s %-12s %20s %10s %5s  %s", "SCORE", "CATEGORY", "STATE",
			   "QUERYID", "SAVES/DAY", "CONF", "TITLE"));
	for (int i = 0; i < n; i++) {
		const struct recommendation *r = &v->rep->recs[idx[i]];
		struct strbuf t = {0};
		char saving[32], q[24];

		title_of(v->rep, r, &t);
		ms_text(saving, sizeof saving, r->saving_ms_per_day);
		if (r->has_queryid)
			snprintf(q, sizeof q, "%lld", (long long)r->queryid);
		else
			strlcpy_(q, "server", sizeof q);
		add(&ls, xasprintf("%8.0f %-10.10s %-12.12s %20s %10s %4.0f%%  %s", r->score,
				   r->category != NULL ? r->category : "-", state_text(r), q, saving,
				   100 * r->confidence, sb_str(&t)));
		sb_release(&t);
	}
	free(idx);
	*out = ls.l;
	return ls.n;
}

/* Add text cut into lines of at most width (by bytes; the drawing cuts by columns). */
static void
add_wrapped(struct ln *ls, const char *indent, const char *text, size_t width)
{
	size_t w = width > strlen(indent) + 20 ? width - strlen(indent) : 20;

	for (const char *p = text; p != NULL && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > w) {
			size_t cut = w;

			while (cut > w / 2 && p[cut] != ' ')
				cut--;
			if (p[cut] != ' ')
				cut = w;
			len = cut;
			add(ls, xasprintf("%s%.*s", indent, (int)len, p));
			p += len;
			while (*p == ' ')
				p++;
			continue;
		}
		add(ls, xasprintf("%s%.*s", indent, (int)len, p));
		p += len + (nl ? 1 : 0);
	}
}

static void
utc(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		strlcpy_(buf, "-", len);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

int
recs_story_lines(const struct recs_view *v, size_t width, char ***out)
{
	struct ln ls = {0};
	const struct recommendation *r = recs_selected(v);
	struct strbuf t = {0};
	char saving[32], when[40];

	*out = NULL;
	if (r == NULL)
		return 0;
	title_of(v->rep, r, &t);
	add_wrapped(&ls, "", sb_str(&t), width);
	sb_release(&t);
	ms_text(saving, sizeof saving, r->saving_ms_per_day);
	add(&ls, xasprintf("id %s   %s%s%s", r->id, r->category != NULL ? r->category : "-",
			   r->rule != NULL ? " / " : "", r->rule != NULL ? r->rule : ""));
	if (r->has_queryid)
		add(&ls, xasprintf("statement %lld   (s: its pane)", (long long)r->queryid));
	else
		add(&ls, xstrdup("the whole server"));
	add(&ls, xasprintf("saves about %s a day   confidence %.0f%%   effort %.0f   score %.0f",
			   saving, 100 * r->confidence, r->effort, r->score));
	utc(r->changed_at, when, sizeof when);
	add(&ls, xasprintf("state %s%s%s", state_text(r), r->changed_at > 0 ? " since " : "",
			   r->changed_at > 0 ? when : ""));
	if (r->reason != NULL)
		add_wrapped(&ls, "  reason: ", r->reason, width);
	if (r->applied_at > 0) {
		utc(r->applied_at, when, sizeof when);
		add(&ls, xasprintf("applied %s", when));
	}
	switch (r->outcome) {
	case REC_OUTCOME_PENDING:
		add(&ls, xasprintf("outcome: not known yet (%d of 24 hours after the change"
				   " matched with the week before)",
				   r->outcome_pairs));
		break;
	case REC_OUTCOME_HELPED:
	case REC_OUTCOME_NO_EFFECT:
	case REC_OUTCOME_WORSE:
		add(&ls, xasprintf("outcome: %s   %s %.3f -> %.3f (x%.2f, %.2f to %.2f) over %d hours"
				   " against the same hours a week before",
				   r->outcome == REC_OUTCOME_HELPED     ? "helped"
				   : r->outcome == REC_OUTCOME_WORSE ? "worse"
								     : "no effect",
				   r->outcome_metric, r->outcome_before, r->outcome_after,
				   r->outcome_ratio, r->outcome_low, r->outcome_high, r->outcome_pairs));
		break;
	case REC_OUTCOME_VANISHED:
		add(&ls, xstrdup("outcome: its problem is no longer found (closed)"));
		break;
	default:
		break;
	}
	for (int k = 0; k < r->n_fixes; k++) {
		const struct finding *f = &v->rep->findings[r->fixes[k]];
		struct strbuf ft = {0};

		report_finding_title(&ft, f);
		add(&ls, xstrdup(""));
		add(&ls, xasprintf("Fix %d of %d: %s (%s), confidence %.0f%%", k + 1, r->n_fixes,
				   f->rule, f->category != NULL ? f->category : "anomaly",
				   100 * f->confidence));
		add_wrapped(&ls, "  ", sb_str(&ft), width);
		sb_release(&ft);
		if (f->detail != NULL)
			add_wrapped(&ls, "  ", f->detail, width);
		if (f->suggestion != NULL) {
			add(&ls, xstrdup("  Suggestion:"));
			/* as it is, line by line, to be copied */
			for (const char *p = f->suggestion; *p;) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p) : strlen(p);

				add(&ls, xasprintf("    %.*s", (int)len, p));
				p += len + (nl ? 1 : 0);
			}
		}
		if (f->evidence != NULL) {
			add(&ls, xstrdup("  Evidence:"));
			add_wrapped(&ls, "    ", f->evidence, width);
		}
	}
	*out = ls.l;
	return ls.n;
}

void
recs_pane_draw(struct recs_view *v, const char *title, int y0, int height)
{
	char **ln = NULL;
	size_t width = (size_t)(COLS > 0 ? COLS : 1);
	int n, y = y0, first;

	if (title != NULL && height > 0) {
		char *t = sanitize_line(title, width, v->utf8);

		attron(A_BOLD);
		mvaddstr(y++, 0, t);
		attroff(A_BOLD);
		free(t);
	}
	if (v->rep == NULL) {
		char *t = sanitize_line(v->status != NULL ? v->status : "(reading the history...)",
					width, v->utf8);

		mvaddstr(y, 0, t);
		free(t);
		return;
	}
	if (v->story) {
		n = recs_story_lines(v, width, &ln);
		if (v->story_top > n - (height - 1))
			v->story_top = n - (height - 1);
		if (v->story_top < 0)
			v->story_top = 0;
		for (int i = v->story_top; i < n && y < y0 + height; i++, y++) {
			char *t = sanitize_cut(ln[i], width, v->utf8);
			int head = i == 0 || strncmp(ln[i], "Fix ", 4) == 0;

			if (head)
				attron(A_BOLD);
			mvaddstr(y, 0, t);
			if (head)
				attroff(A_BOLD);
			free(t);
		}
	} else {
		int rows = height - 2;

		n = recs_list_lines(v, width, &ln);
		if (v->sel > n - 2)
			v->sel = n - 2;
		if (v->sel < 0)
			v->sel = 0;
		if (v->sel < v->top)
			v->top = v->sel;
		if (rows > 0 && v->sel >= v->top + rows)
			v->top = v->sel - rows + 1;
		if (n > 0) {
			char *t = sanitize_cut(ln[0], width, v->utf8);

			attron(A_BOLD);
			mvaddstr(y++, 0, t);
			attroff(A_BOLD);
			free(t);
		}
		if (n <= 1)
			mvaddstr(y, 0, v->filter == RECS_OPEN && v->category[0] == '\0'
					       ? "No open recommendation."
					       : "No recommendation passes the filter (f, c).");
		first = 1 + v->top;
		for (int i = first; i < n && y < y0 + height; i++, y++) {
			char *t = sanitize_cut(ln[i], width, v->utf8);
			attr_t a = i - 1 == v->sel ? (v->color ? COLOR_PAIR(4) : A_REVERSE) : 0;

			attron(a);
			mvaddstr(y, 0, t);
			for (int x = (int)strlen(t); a && x < COLS; x++)
				addch(' ');
			attroff(a);
			free(t);
		}
	}
	for (int i = 0; i < n; i++)
		free(ln[i]);
	free(ln);
}

int
recs_pane_key(struct recs_view *v, int ch, int height)
{
	int page = height > 3 ? height - 3 : 1;
	int *sel = v->story ? &v->story_top : &v->sel;

	switch (ch) {
	case KEY_UP:
	case 'k':
		(*sel)--;
		return 1;
	case KEY_DOWN:
	case 'j':
		(*sel)++;
		return 1;
	case KEY_PPAGE:
		*sel -= page;
		return 1;
	case KEY_NPAGE:
		*sel += page;
		return 1;
	case KEY_HOME:
	case 'g':
		*sel = 0;
		return 1;
	case KEY_END:
	case 'G':
		*sel = 1 << 20;
		return 1;
	}
	return 0;
}

void
recs_top_line(const struct report *rep, char *buf, size_t len)
{
	buf[0] = '\0';
	if (rep == NULL)
		return;
	for (int i = 0; i < rep->n_recs; i++) {
		const struct recommendation *r = &rep->recs[i];
		struct strbuf t = {0};
		char saving[32];
		int open = strcmp(r->state, "new") == 0 || strcmp(r->state, "acknowledged") == 0;

		if (!open || r->n_fixes == 0)
			continue;
		title_of(rep, r, &t);
		ms_text(saving, sizeof saving, r->saving_ms_per_day);
		snprintf(buf, len, "Top: %s (saves ~%s/day; R: all %d)", sb_str(&t), saving,
			 rep->n_recs);
		sb_release(&t);
		return;
	}
}
