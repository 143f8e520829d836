/* What a plan is asked with, and what is kept of it. */
#include "explain-ask.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "indexadv.h"
#include "plan.h"

/*
 * The index advisor's suggestions for one statement, from the catalog last sampled and
 * the statement's figures (fig over days, else its last 7 days in the history).
 */
static void
index_candidates(struct explain_ask *a, struct store *st, int64_t server_id, int64_t queryid,
		 double now, const struct stmt_total *fig, double days)
{
	struct pgt_err err = {{0}};
	struct stmt_total *rows = NULL;
	struct ix_table *tables = NULL;
	struct finding *finds = NULL;
	struct ix_opts o;
	struct ix_stmt ss;
	int n_rows = 0, n_tables = 0, n_finds = 0;

	if (st == NULL || server_id == 0)
		return;
	if (store_catalog(st, server_id, &tables, &n_tables, &err) < 0 || n_tables == 0)
		goto out;
	if (fig == NULL || days <= 0) {
		days = 7;
		if (store_statements(st, server_id, now - days * 86400.0, now, &rows, &n_rows,
				     &err) < 0)
			goto out;
	} else {
		rows = NULL;
	}
	memset(&ss, 0, sizeof ss);
	for (int i = 0; i < (fig != NULL && rows == NULL ? 1 : n_rows); i++) {
		const struct stmt_total *t = rows != NULL ? &rows[i] : fig;

		if (t->queryid != queryid)
			continue;
		ss.queryid = queryid;
		ss.text = a->text;
		ss.calls += (double)t->calls;
		ss.total_ms += t->total_ms;
		ss.rows += (double)t->rows;
		ss.shared_blks_hit += (double)t->shared_blks_hit;
		ss.shared_blks_read += (double)t->shared_blks_read;
	}
	if (ss.queryid == 0)
		goto out;
	ss.days = days;
	ix_opts_default(&o);
	n_finds = indexadv_find(tables, n_tables, &ss, 1, &o, &finds);
	for (int i = 0; i < n_finds; i++) {
		if (finds[i].suggestion == NULL)
			continue;
		a->hypo = xreallocarray(a->hypo, (size_t)a->n_hypo + 1, sizeof *a->hypo);
		a->hypo[a->n_hypo++] = xstrdup(finds[i].suggestion);
	}
out:
	findings_free(finds, n_finds);
	store_statements_free(rows, n_rows);
	store_catalog_free(tables, n_tables);
}

int
explain_ask_build(struct explain_ask *a, struct sampler *sm, struct store *st,
		  int64_t server_id, int64_t queryid, double now, const struct stmt_total *fig,
		  double fig_days, struct pgt_err *err)
{
	const char *s;

	memset(a, 0, sizeof *a);
	s = sm != NULL ? sampler_text(sm, queryid) : NULL;
	if (s == NULL && st != NULL && server_id != 0) {
		a->text = store_text(st, server_id, queryid);
	} else if (s != NULL) {
		a->text = xstrdup(s);
	}
	if (a->text == NULL) {
		pgt_err_set(err, "statement %lld: its text is neither in pg_stat_statements nor in"
				 " the history",
			    (long long)queryid);
		return -1;
	}
	if (sm != NULL && (s = sampler_stmt_dbname(sm, queryid)) != NULL)
		a->dbname = xstrdup(s);
	if (sm != NULL && (s = sampler_literal(sm, queryid)) != NULL)
		a->literal = xstrdup(s);
	if (st != NULL && server_id != 0 && (a->dbname == NULL || a->literal == NULL)) {
		struct pgt_err e2 = {{0}};
		struct stmt_total *rows = NULL;
		struct literal_text *lits = NULL;
		int n = 0, nl = 0;
		double from = now - 7 * 86400.0;

		if (a->dbname == NULL &&
		    store_statements_by_key(st, server_id, from, now, &rows, &n, &e2) == 0) {
			for (int i = 0; i < n; i++)
				if (rows[i].queryid == queryid && rows[i].dbname != NULL) {
					a->dbname = xstrdup(rows[i].dbname);
					break;
				}
			store_statements_free(rows, n);
		}
		if (a->literal == NULL &&
		    store_literal_texts(st, server_id, 1, queryid, from, now, 1, &lits, &nl,
					&e2) == 0) {
			if (nl > 0)
				a->literal = xstrdup(lits[0].text);
			store_literal_texts_free(lits, nl);
		}
	}
	index_candidates(a, st, server_id, queryid, now, fig, fig_days);
	a->rq.queryid = queryid;
	a->rq.text = a->text;
	a->rq.literal = a->literal;
	a->rq.dbname = a->dbname;
	a->rq.hypo = (const char *const *)a->hypo;
	a->rq.n_hypo = a->n_hypo;
	return 0;
}

void
explain_ask_free(struct explain_ask *a)
{
	free(a->text);
	free(a->literal);
	free(a->dbname);
	for (int i = 0; i < a->n_hypo; i++)
		free(a->hypo[i]);
	free(a->hypo);
	memset(a, 0, sizeof *a);
}

double
explain_plan_cost(const char *json)
{
	struct pgt_err err = {{0}};
	struct plan *p;
	double cost = NAN;

	if (json == NULL || (p = plan_parse(json, strlen(json), &err)) == NULL)
		return NAN;
	if (p->n > 0)
		cost = p->nodes[0].total_cost;
	plan_free(p);
	return cost;
}

/* Does the plan use a hypothetical index (hypopg names them "<oid>name")? */
static int
uses_hypothetical(const char *json)
{
	struct pgt_err err = {{0}};
	struct plan *p;
	int used = 0;

	if (json == NULL || (p = plan_parse(json, strlen(json), &err)) == NULL)
		return 0;
	for (int i = 0; i < p->n && !used; i++)
		used = p->nodes[i].index_name != NULL && p->nodes[i].index_name[0] == '<';
	plan_free(p);
	return used;
}

int
explain_keep(struct store *st, int64_t server_id, const struct explain_ask *a,
	     const struct explain_result *r, struct pgt_err *err)
{
	double before;

	if (st == NULL || server_id == 0 || r->failed || r->plan == NULL)
		return 0;
	before = explain_plan_cost(r->plan);
	if (store_plan_add(st, server_id, r->queryid, r->taken_at, r->method, r->analyzed, before,
			   r->plan, err) < 0)
		return -1;
	for (int i = 0; i < r->n_hypo && i < a->n_hypo; i++) {
		struct index_check c;

		memset(&c, 0, sizeof c);
		c.queryid = r->queryid;
		c.ddl = a->hypo[i];
		c.ts = r->taken_at;
		c.cost_before = before;
		c.cost_after = explain_plan_cost(r->hypo_plans[i]);
		c.used = uses_hypothetical(r->hypo_plans[i]);
		c.error = r->hypo_errors[i];
		if (store_index_check_add(st, server_id, &c, err) < 0)
			return -1;
	}
	return 0;
}

int
explain_table_stats(struct store *st, int64_t server_id, struct rel_stat **rs,
		    struct plan_table_stats **ts)
{
	struct pgt_err err = {{0}};
	int n = 0;

	*rs = NULL;
	*ts = NULL;
	if (st == NULL || server_id == 0 || store_rel_stats(st, server_id, rs, &n, &err) < 0 ||
	    n == 0)
		return 0;
	*ts = xcalloc((size_t)n, sizeof **ts);
	for (int i = 0; i < n; i++) {
		(*ts)[i].schema = (*rs)[i].schema;
		(*ts)[i].relname = (*rs)[i].name;
		(*ts)[i].live_rows = (*rs)[i].live_rows;
		(*ts)[i].mod_since_analyze = (*rs)[i].mod_since_analyze;
		(*ts)[i].last_analyze = (*rs)[i].last_analyze;
		(*ts)[i].last_autoanalyze = 0; /* the latest of both is in last_analyze */
	}
	return n;
}
