/* Unit tests of the index advisor: the predicate parser and the suggestions. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "indexadv.h"
#include "xutil.h"

/* "eq1,eq2|range|order1,order2" of a parse, or "-" when the text gives no candidate. */
static void
parsed(const char *text, const char *want)
{
	struct ix_pred p;
	struct strbuf sb = {0};
	int i;

	if (!indexadv_parse(text, &p)) {
		sb_add(&sb, "-");
	} else {
		sb_addf(&sb, "%s%s%s:", p.schema, p.schema[0] ? "." : "", p.table);
		for (i = 0; i < p.n_eq; i++)
			sb_addf(&sb, "%s%s", i ? "," : "", p.eq[i]);
		sb_addf(&sb, "|%s|", p.range);
		for (i = 0; i < p.n_order; i++)
			sb_addf(&sb, "%s%s", i ? "," : "", p.order[i]);
	}
	if (strcmp(sb_str(&sb), want) != 0)
		fail_msg("'%s': got '%s', want '%s'", text, sb_str(&sb), want);
	sb_release(&sb);
}

static void
parser_finds_the_conditions(void **state)
{
	(void)state;
	parsed("SELECT * FROM orders WHERE customer_id = $1", "orders:customer_id||");
	parsed("SELECT id FROM public.orders o WHERE o.status = $1 AND o.created_at > $2 ORDER BY "
	       "o.created_at",
	       "public.orders:status|created_at|created_at");
	parsed("select id from Orders where $1 = customer_id and region IN ($2, $3)",
	       "orders:customer_id,region||");
	parsed("SELECT * FROM events WHERE ts BETWEEN $1 AND $2 AND kind = $3",
	       "events:kind|ts|");
	parsed("SELECT * FROM t WHERE a = ANY($1) AND b IS NULL ORDER BY c DESC, d DESC LIMIT $2",
	       "t:a,b||c,d");
	parsed("SELECT * FROM t WHERE a = $1 ORDER BY c, d DESC", "t:a||c");
	parsed("UPDATE accounts SET balance = balance + $1 WHERE owner = $2", "accounts:owner||");
	parsed("DELETE FROM sessions WHERE expires_at < now() - $1::interval",
	       "sessions:|expires_at|");
	parsed("SELECT * FROM t WHERE created_at >= $1::timestamp with time zone",
	       "t:|created_at|");
	parsed("SELECT * FROM \"Mixed\" WHERE \"Col\" = $1", "Mixed:Col||");
	parsed("SELECT * FROM t ORDER BY created_at DESC LIMIT $1", "t:||created_at");
	/* a useless condition beside a useful one */
	parsed("SELECT * FROM t WHERE name LIKE $1 AND kind = $2", "t:kind||");
	parsed("SELECT * FROM t WHERE lower(email) = $1 AND tenant = $2", "t:tenant||");
}

static void
parser_refuses_what_it_cannot_index(void **state)
{
	(void)state;
	parsed("SELECT * FROM a JOIN b ON b.a_id = a.id WHERE a.x = $1", "-");
	parsed("SELECT * FROM a, b WHERE a.x = $1 AND b.y = a.y", "-");
	parsed("SELECT * FROM t WHERE a = $1 OR b = $2", "-");
	parsed("SELECT * FROM t WHERE lower(email) = $1", "-");
	parsed("SELECT * FROM t WHERE name LIKE $1", "-");
	parsed("SELECT * FROM (SELECT * FROM t) s WHERE s.a = $1", "-");
	parsed("SELECT * FROM generate_series($1, $2) g WHERE g > $3", "-");
	parsed("SELECT * FROM t WHERE a IN (SELECT a FROM u)", "-");
	parsed("SELECT kind, count(*) FROM t GROUP BY kind", "-");
	parsed("SELECT count(*) FROM t", "-");
	parsed("INSERT INTO t (a) VALUES ($1)", "-");
	parsed("UPDATE t SET a = $1 FROM u WHERE u.id = t.id", "-");
	parsed("BEGIN", "-");
	parsed("", "-");
	parsed("SELECT ((((((((((", "-");
	/* "" is no name: PostgreSQL refuses a zero-length quoted identifier */
	parsed("SELECT * FROM \"\" t WHERE a = $1", "-");
	parsed("SELECT * FROM t WHERE \"\" = $1", "-");
}

/* A table of 1,000,000 rows in 12,500 pages; statements read all of it or an index's worth. */
static struct ix_index idx_pkey = {"orders_pkey", 1, {"id"}, 1, 1, 0};
static struct ix_index idx_status = {"orders_status_idx", 2, {"status", "created_at"}, 1, 1, 0};
static struct ix_column cols[] = {
	{"id", -1}, {"customer_id", 50000}, {"status", 5}, {"created_at", -0.9}, {"region", 20}};

static void
table_of(struct ix_table *t, int with_status_index)
{
	static struct ix_index both[2];

	memset(t, 0, sizeof *t);
	strcpy(t->schema, "public");
	strcpy(t->name, "orders");
	t->live_rows = 1e6;
	t->bytes = 12500.0 * 8192;
	t->seq_scan = 3000;
	t->seq_tup_read = 3000 * 1e6;
	both[0] = idx_pkey;
	both[1] = idx_status;
	t->indexes = both;
	t->n_indexes = with_status_index ? 2 : 1;
	t->colstats = cols;
	t->n_colstats = (int)(sizeof cols / sizeof cols[0]);
}

static void
scanning(struct ix_stmt *s, const char *text)
{
	memset(s, 0, sizeof *s);
	s->queryid = 7;
	s->text = text;
	s->calls = 1000;
	s->total_ms = 1000 * 120.0;
	s->rows = 1000 * 20.0;
	s->shared_blks_hit = 1000 * 12500.0;
	s->days = 1;
}

static void
suggests_the_index_with_its_evidence(void **state)
{
	struct ix_table t;
	struct ix_stmt s;
	struct ix_opts o;
	struct finding *f = NULL;
	int n;

	(void)state;
	ix_opts_default(&o);
	table_of(&t, 0);
	scanning(&s, "SELECT * FROM orders WHERE region = $1 AND customer_id = $2 ORDER BY id");
	n = indexadv_find(&t, 1, &s, 1, &o, &f);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].rule, "missing_index");
	assert_string_equal(f[0].category, "index");
	/* customer_id selects 20 rows a value: enough, region is not added */
	assert_string_equal(f[0].suggestion, "CREATE INDEX CONCURRENTLY ON public.orders "
					     "(customer_id);");
	assert_true(fabs(f[0].confidence - 0.9) < 1e-9);
	assert_true(fabs(f[0].saving_ms_per_day - 120000 * 0.9 * (1 - 20 / 1e6)) < 1e-6);
	assert_string_equal(f[0].severity, "high");
	assert_non_null(strstr(f[0].evidence, "\"blocks_per_call\": 12500.0"));
	assert_non_null(strstr(f[0].evidence, "\"rows_per_seq_scan\": 1000000"));
	assert_non_null(strstr(f[0].evidence, "\"existing_indexes\": [\"orders_pkey\"]"));
	findings_free(f, n);

	/* equality on a column of 5 values, then the range */
	scanning(&s, "SELECT id FROM orders WHERE status = $1 AND created_at > $2");
	s.rows = 1000 * 300.0;
	n = indexadv_find(&t, 1, &s, 1, &o, &f);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].suggestion, "CREATE INDEX CONCURRENTLY ON public.orders "
					     "(status, created_at);");
	findings_free(f, n);
}

static void
no_suggestion_when_not_needed(void **state)
{
	struct ix_table t;
	struct ix_stmt s;
	struct ix_opts o;
	struct finding *f = NULL;

	(void)state;
	ix_opts_default(&o);
	table_of(&t, 1);
	/* an index already begins with the equality column */
	scanning(&s, "SELECT id FROM orders WHERE status = $1 AND created_at > $2");
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	/* the primary key covers it */
	scanning(&s, "SELECT * FROM orders WHERE id = $1");
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	/* it reads few blocks a call: an index is used already */
	scanning(&s, "SELECT * FROM orders WHERE customer_id = $1");
	s.shared_blks_hit = 1000 * 4.0;
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	/* it returns a large part of the table: a scan is right */
	scanning(&s, "SELECT * FROM orders WHERE region = $1");
	s.rows = 1000 * 100000.0;
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	/* a small table */
	scanning(&s, "SELECT * FROM orders WHERE customer_id = $1");
	t.live_rows = 5000;
	t.bytes = 40 * 8192;
	s.shared_blks_hit = 1000 * 40.0;
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	/* a table it does not know */
	table_of(&t, 0);
	scanning(&s, "SELECT * FROM invoices WHERE customer_id = $1");
	assert_int_equal(indexadv_find(&t, 1, &s, 1, &o, &f), 0);
	assert_null(f);
}

/* Without statistics: the columns as written; a partial or invalid index covers nothing. */
static void
unknown_statistics_and_partial_indexes(void **state)
{
	struct ix_table t;
	struct ix_stmt s;
	struct ix_opts o;
	struct finding *f = NULL;
	struct ix_index partial = {"orders_open", 1, {"status"}, 1, 1, 1};
	int n;

	(void)state;
	ix_opts_default(&o);
	table_of(&t, 0);
	t.n_colstats = 0;
	t.seq_scan = NAN;
	t.indexes = &partial;
	t.n_indexes = 1;
	scanning(&s, "SELECT * FROM orders WHERE region = $1 AND status = $2 ORDER BY created_at");
	n = indexadv_find(&t, 1, &s, 1, &o, &f);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].suggestion, "CREATE INDEX CONCURRENTLY ON public.orders "
					     "(region, status, created_at);");
	assert_true(fabs(f[0].confidence - 0.7) < 1e-9);
	assert_non_null(strstr(f[0].evidence, "\"seq_scans\": null"));
	findings_free(f, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parser_finds_the_conditions),
		cmocka_unit_test(parser_refuses_what_it_cannot_index),
		cmocka_unit_test(suggests_the_index_with_its_evidence),
		cmocka_unit_test(no_suggestion_when_not_needed),
		cmocka_unit_test(unknown_statistics_and_partial_indexes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
