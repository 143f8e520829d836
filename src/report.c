#include "config.h"

#include "report.h"

#include <string.h>

int
report_build(struct store *st, double now, long days, struct report *r, struct pgt_err *err)
{
	int found;
	double first, last;

	memset(r, 0, sizeof *r);
	r->generated_at = now;
	r->to = now;
	r->from = now - (double)days * 86400.0;
	found = store_latest_server(st, &r->server, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return 0;
	r->has_server = 1;
	if (store_sample_span(st, r->server.id, r->from, r->to, &r->n_samples, &first, &last,
			      err) < 0)
		return -1;
	return store_statements(st, r->server.id, r->from, r->to, &r->stmts, &r->n_stmts, err);
}

void
report_free(struct report *r)
{
	store_statements_free(r->stmts, r->n_stmts);
	r->stmts = NULL;
	r->n_stmts = 0;
}
