/*
 * The parameter advisor over the history: reads what src/params.c needs through the store
 * and fills a params_model (for the report and the settings screen).
 */
#ifndef PGMLTOP_PARAMS_LOAD_H
#define PGMLTOP_PARAMS_LOAD_H

#include "params.h"
#include "store.h"

/*
 * The settings, their changes in [from, to] with the before/after comparison of each, and
 * the rules' recommendations (pr may be NULL: none). Findings get from and to.
 */
int params_load(struct store *st, int64_t server_id, double from, double to,
		const struct param_rules *pr, struct params_model *m, struct pgt_err *err);

#endif
