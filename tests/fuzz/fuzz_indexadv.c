/*
 * indexadv_parse, the parser of a statement's predicates, on any text; when it finds a
 * one-table statement, indexadv_find on that table (large, scanned, with one index and
 * column statistics), so that the candidate is built and judged too.
 */
#include <math.h>

#include "fuzz.h"
#include "indexadv.h"

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct ix_pred p;
	struct ix_table t;
	struct ix_index ix;
	struct ix_column cs[2];
	struct ix_stmt st;
	struct ix_opts o;
	struct finding *out = NULL;
	int n, i;

	memset(&p, 0xa5, sizeof p); /* the parser must fill what it reports */
	if (!indexadv_parse(text, &p)) {
		free(text);
		return 0;
	}
	FUZZ_ASSERT(terminated(p.schema, sizeof p.schema));
	FUZZ_ASSERT(terminated(p.table, sizeof p.table) && p.table[0] != '\0');
	FUZZ_ASSERT(p.n_eq >= 0 && p.n_eq <= IX_MAX_COLS);
	FUZZ_ASSERT(p.n_order >= 0 && p.n_order <= IX_MAX_COLS);
	FUZZ_ASSERT(terminated(p.range, sizeof p.range));
	/* every name it reports is a name: an index is written on it */
	for (i = 0; i < p.n_eq; i++)
		FUZZ_ASSERT(terminated(p.eq[i], sizeof p.eq[i]) && p.eq[i][0] != '\0');
	for (i = 0; i < p.n_order; i++)
		FUZZ_ASSERT(terminated(p.order[i], sizeof p.order[i]) && p.order[i][0] != '\0');

	memset(&t, 0, sizeof t);
	memset(&ix, 0, sizeof ix);
	memset(cs, 0, sizeof cs);
	strlcpy_(t.schema, p.schema[0] ? p.schema : "public", sizeof t.schema);
	strlcpy_(t.name, p.table, sizeof t.name);
	t.live_rows = 1.0e6;
	t.bytes = 8192.0 * 10000;
	t.seq_scan = 500;
	t.seq_tup_read = 5.0e8;
	strlcpy_(ix.name, "pkey", sizeof ix.name);
	ix.n_cols = 1;
	strlcpy_(ix.cols[0], "id", sizeof ix.cols[0]);
	ix.btree = ix.valid = 1;
	t.n_indexes = 1;
	t.indexes = &ix;
	if (p.n_eq > 0) {
		strlcpy_(cs[0].name, p.eq[0], sizeof cs[0].name);
		cs[0].n_distinct = -0.5;
	}
	strlcpy_(cs[1].name, p.range[0] ? p.range : "id", sizeof cs[1].name);
	cs[1].n_distinct = 1000;
	t.n_colstats = 2;
	t.colstats = cs;

	memset(&st, 0, sizeof st);
	st.queryid = 7;
	st.text = text;
	st.calls = 1000;
	st.total_ms = 90000;
	st.rows = 1000;
	st.shared_blks_hit = 1.0e7;
	st.shared_blks_read = 0;
	st.days = 7;
	ix_opts_default(&o);
	n = indexadv_find(&t, 1, &st, 1, &o, &out);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(out[i].title != NULL && out[i].suggestion != NULL);
		FUZZ_ASSERT(out[i].confidence >= 0 && out[i].confidence <= 1);
	}
	findings_free(out, n);
	free(text);
	return 0;
}
