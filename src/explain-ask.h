/*
 * What a plan is asked with, and what is kept of it: the statement's text (from the
 * samples or the history), its database, a text with its values seen in the sessions,
 * and the indexes the index advisor suggests for it (tried with hypopg); then the plan
 * stored in the history, and each suggested index with the planned cost before and
 * after. Shared by --explain and the screen's plan pane.
 */
#ifndef PGMLTOP_EXPLAIN_ASK_H
#define PGMLTOP_EXPLAIN_ASK_H

#include <stdint.h>

#include "explain.h"
#include "sampler.h"
#include "store.h"

struct explain_ask {
	struct explain_request rq; /* points into the strings below */
	char *text;
	char *literal;
	char *dbname;
	char **hypo;
	int n_hypo;
};

/*
 * Fill a for queryid: sm may be NULL (the history alone), st too (the samples alone).
 * fig: the statement's figures over fig_days for the index advisor, or NULL to read its
 * last 7 days from the history. -1 with a message when its text is known nowhere.
 */
int explain_ask_build(struct explain_ask *a, struct sampler *sm, struct store *st,
		      int64_t server_id, int64_t queryid, double now, const struct stmt_total *fig,
		      double fig_days, struct pgt_err *err);
void explain_ask_free(struct explain_ask *a);

/* The top node's total cost of a JSON plan, NAN when it cannot be read. */
double explain_plan_cost(const char *json);

/* Store the plan and the checks of the suggested indexes (st NULL: nothing to do). */
int explain_keep(struct store *st, int64_t server_id, const struct explain_ask *a,
		 const struct explain_result *r, struct pgt_err *err);

struct plan_table_stats;
/*
 * The tables' statistics last sampled, for the plan rules: *ts (free it) points into *rs
 * (store_rel_stats_free). Returns how many; 0 when there are none.
 */
int explain_table_stats(struct store *st, int64_t server_id, struct rel_stat **rs,
			struct plan_table_stats **ts);

#endif
