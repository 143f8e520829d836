/*
 * The plan pane of the screen: a statement's latest plan as an indented tree with each
 * node's cost and rows (and, after ANALYZE, its rows, loops and share of the time), the
 * nodes the plan rules find a problem in marked and explained, and a change of plan since
 * the capture before. Draws with curses what the caller gives it; knows nothing of the
 * server or the history.
 */
#ifndef PGMLTOP_SCREEN_PLAN_H
#define PGMLTOP_SCREEN_PLAN_H

#include <stdint.h>

#include "plan.h"
#include "store.h"

struct plan_pane {
	int64_t queryid;
	int utf8;
	int top;              /* the first line shown */
	struct plan_rec *recs; /* the plans kept, newest first (at most 2), owned */
	int n_recs;
	struct plan *plan;    /* the newest, parsed; NULL when none or unreadable */
	struct plan *prev;    /* the one before, when there is one */
	struct plan_issue *iss;
	int n_iss;
	char *extra;          /* more lines to show (the indexes hypopg planned), or NULL */
	char status[512];     /* what is going on: taking a plan, a refusal, a question */
	int status_error;
};

/* Show these plans (taken over: recs is the pane's now); rules and stats may be NULL. */
void plan_pane_set(struct plan_pane *pp, struct plan_rec *recs, int n_recs,
		   const struct plan_rules *rules, const struct plan_table_stats *stats,
		   int n_stats);
void plan_pane_clear(struct plan_pane *pp);

/* The lines the pane draws (*out); (*marks)[i]: 1 for a problem node, 2 for a heading. */
int plan_pane_lines(const struct plan_pane *pp, char ***out, int **marks);

/* Draw on lines [y0, y0 + height); title is made safe here. */
void plan_pane_draw(struct plan_pane *pp, const char *title, int y0, int height);

/* Scrolling keys: 1 when used. */
int plan_pane_key(struct plan_pane *pp, int ch, int height);

#endif
