/*
 * Unit tests of the SQL-text rules: every shipped rule matches the texts it is for and
 * not its traps; literal evidence, conditions, templates; the rule-file parser's errors
 * name file and line; hostile text is matched in bounded time.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"
#include "xutil.h"

static struct rule_set *shipped;

static int
setup(void **state)
{
	struct pgt_err err = {{0}};
	char *path;

	(void)state;
	if (getenv("PGMLTOP_DATADIR") == NULL) {
		fprintf(stderr, "PGMLTOP_DATADIR is not set (make check sets it)\n");
		return -1;
	}
	path = xasprintf("%s/rules/sql.rules", getenv("PGMLTOP_DATADIR"));
	shipped = rules_new();
	if (rules_load_file(shipped, path, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rules_free(shipped);
	return 0;
}

/* A cheap statement: 1000 calls of 2 ms, a row each, over one day. */
static void
stmt_of(struct rule_stmt *s, const char *text)
{
	memset(s, 0, sizeof *s);
	s->queryid = 42;
	s->text = text;
	s->calls = 1000;
	s->total_ms = 2000;
	s->rows = 1000;
	s->days = 1;
}

/* The findings of rs for s: 1 when rule fired (its finding in *f when f), else 0. */
static int
fired(const struct rule_set *rs, const struct rule_stmt *s, const char *rule,
      struct finding *copy)
{
	struct finding *out = NULL;
	int n = 0, i, found = 0;

	rules_apply(rs, s, &out, &n);
	for (i = 0; i < n; i++)
		if (strcmp(out[i].rule, rule) == 0) {
			found = 1;
			if (copy != NULL) {
				*copy = out[i];
				memset(&out[i], 0, sizeof out[i]);
			}
		}
	findings_free(out, n);
	return found;
}

struct sample {
	const char *rule;
	int hit;
	const char *text;
};

static const struct sample samples[] = {
	{"select_star", 1, "SELECT * FROM users WHERE id = $1"},
	{"select_star", 1, "SELECT u.* FROM users u JOIN orders o ON o.user_id = u.id"},
	{"select_star", 0, "SELECT EXISTS (SELECT * FROM t WHERE a = $1)"},
	{"select_star", 0, "SELECT count(*) FROM users"},
	{"not_in_subquery", 1, "SELECT id FROM inventory WHERE isbn NOT IN (SELECT isbn FROM orders)"},
	{"not_in_subquery", 0, "SELECT id FROM t WHERE a NOT IN ($1, $2, $3)"},
	{"not_in_subquery", 0, "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.a = t.a)"},
	{"or_same_column", 1, "SELECT * FROM sales s WHERE s.prod_id = $1 OR s.prod_id = $2"},
	{"or_same_column", 0, "SELECT * FROM sales WHERE prod_id = $1 OR cust_id = $2"},
	{"or_across_columns", 1,
	 "SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.status = $1 "
	 "OR c.country = $2"},
	{"or_across_columns", 0, "SELECT * FROM sales s WHERE s.prod_id = $1 OR s.prod_id = $2"},
	{"or_across_columns", 0, "SELECT * FROM orders WHERE status = $1 OR country = $2"},
	{"function_on_column", 1, "SELECT id FROM users WHERE lower(email) = $1"},
	{"function_on_column", 1, "SELECT id FROM events WHERE date_trunc($1, created_at) = $2"},
	{"function_on_column", 1, "SELECT id FROM events WHERE created_at::date = $1"},
	{"function_on_column", 1, "SELECT id FROM a JOIN b ON upper(a.code) = b.code"},
	{"function_on_column", 0, "SELECT id FROM users WHERE email = lower($1)"},
	{"function_on_column", 0, "SELECT id FROM events WHERE created_at >= $1::date"},
	{"function_on_column", 0, "SELECT lower(email) FROM users WHERE id = $1"},
	{"count_for_existence", 1,
	 "SELECT id FROM users WHERE (SELECT count(*) FROM orders WHERE orders.user_id = "
	 "users.id) > $1"},
	{"count_for_existence", 0, "SELECT count(*) FROM orders WHERE user_id = $1"},
	{"large_in_list", 0, "SELECT * FROM t WHERE id IN ($1, $2, $3)"},
	{"squashed_in_list", 1, "SELECT * FROM test_squash WHERE id IN ($1 /*, ... */)"},
	{"squashed_in_list", 0, "SELECT * FROM t WHERE id IN ($1)"},
	{"order_by_random", 1, "SELECT * FROM t ORDER BY random() LIMIT $1"},
	{"order_by_random", 0, "SELECT * FROM t ORDER BY random_key LIMIT $1"},
	{"offset_pagination", 1, "SELECT * FROM t ORDER BY id LIMIT $1 OFFSET $2"},
	{"offset_pagination", 0, "SELECT * FROM t WHERE id > $1 ORDER BY id LIMIT $2"},
	{"correlated_subquery", 1,
	 "SELECT u.id, (SELECT max(created_at) FROM orders o WHERE o.user_id = u.id) FROM users u"},
	{"correlated_subquery", 0, "SELECT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = $1)"},
	{"correlated_subquery", 0, "SELECT u.id, (SELECT max(id) FROM orders) FROM users u"},
	{"distinct_over_join", 1,
	 "SELECT DISTINCT c.id, c.name FROM countries c JOIN customers e ON e.country_id = c.id"},
	{"distinct_over_join", 0, "SELECT DISTINCT ON (a) a, b FROM t JOIN u ON u.x = t.x"},
	{"distinct_over_join", 0, "SELECT DISTINCT a FROM t"},
	{"union_without_all", 1, "SELECT a FROM t UNION SELECT a FROM u"},
	{"union_without_all", 0, "SELECT a FROM t UNION ALL SELECT a FROM u"},
	{"having_without_aggregate", 1,
	 "SELECT cust_id, count(cust_id) FROM sales GROUP BY cust_id HAVING cust_id <> $1"},
	{"having_without_aggregate", 0,
	 "SELECT cust_id FROM sales GROUP BY cust_id HAVING count(*) > $1"},
	{"optional_filter", 1,
	 "SELECT * FROM products WHERE ($1::text IS NULL OR name = $2) AND ($3::int IS NULL OR "
	 "category_id = $4)"},
	{"optional_filter", 0, "SELECT * FROM products WHERE name = $1 AND deleted_at IS NULL"},
	{"for_update_without_skip_locked", 1,
	 "SELECT id FROM jobs WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE"},
	{"for_update_without_skip_locked", 0,
	 "SELECT id FROM jobs WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"},
	{"for_update_without_skip_locked", 0, "SELECT * FROM accounts WHERE id = $1 FOR UPDATE"},
	{"insert_without_columns", 1, "INSERT INTO t VALUES ($1, $2)"},
	{"insert_without_columns", 0, "INSERT INTO t (a, b) VALUES ($1, $2)"},
	{"too_many_joins", 1,
	 "SELECT * FROM a JOIN b ON b.a = a.id JOIN c ON c.b = b.id JOIN d ON d.c = c.id JOIN e ON "
	 "e.d = d.id JOIN f ON f.e = e.id JOIN g ON g.f = f.id JOIN h ON h.g = g.id JOIN i ON "
	 "i.h = h.id"},
	{"too_many_joins", 0, "SELECT * FROM a JOIN b ON b.a = a.id JOIN c ON c.b = b.id"},
	/* pgbench's own statements meet no rule */
	{"*", 0, "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"},
	{"*", 0, "SELECT abalance FROM pgbench_accounts WHERE aid = $1"},
	{"*", 0, "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2"},
	{"*", 0, "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2"},
	{"*", 0,
	 "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
	 "CURRENT_TIMESTAMP)"},
	{"*", 0, "BEGIN"},
	{"*", 0, "END"},
};

static void
every_rule_matches_its_texts_and_not_its_traps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		struct rule_stmt s;
		int got;

		stmt_of(&s, samples[i].text);
		if (strcmp(samples[i].rule, "*") == 0) {
			struct finding *out = NULL;
			int n = 0;

			got = rules_apply(shipped, &s, &out, &n);
			if (got != 0)
				fail_msg("'%s' met rule %s", samples[i].text, out[0].rule);
			findings_free(out, n);
			continue;
		}
		got = fired(shipped, &s, samples[i].rule, NULL);
		if (got != samples[i].hit)
			fail_msg("rule %s %s '%s'", samples[i].rule,
				 samples[i].hit ? "missed" : "matched", samples[i].text);
	}
}

/* Every shipped rule has a text it must match and one it must not, here or below. */
static void
every_rule_is_tested(void **state)
{
	static const char *const elsewhere[] = {"large_in_list", "write_without_where",
						"unbounded_result", "exact_count_of_table",
						"leading_wildcard_like", NULL};
	int i, k;

	(void)state;
	assert_true(rules_count(shipped) >= 20);
	for (i = 0; i < rules_count(shipped); i++) {
		const char *id = rules_id(shipped, i);
		int hit = 0, miss = 0;
		size_t j;

		for (k = 0; elsewhere[k] != NULL; k++)
			if (strcmp(elsewhere[k], id) == 0)
				hit = miss = 1;
		for (j = 0; j < sizeof samples / sizeof samples[0]; j++)
			if (strcmp(samples[j].rule, id) == 0) {
				hit |= samples[j].hit;
				miss |= !samples[j].hit;
			}
		if (!hit || !miss)
			fail_msg("rule %s has no text it %s", id, hit ? "must not match" : "must match");
	}
}

/* The texts made by hand: lists of 150 and 99 parameters; the statistics rules. */
static void
rules_with_sizes_and_statistics(void **state)
{
	struct strbuf sb = {0};
	struct rule_stmt s;
	int i;

	(void)state;
	sb_add(&sb, "SELECT * FROM t WHERE id IN ($1");
	for (i = 2; i <= 150; i++)
		sb_addf(&sb, ", $%d", i);
	sb_add(&sb, ")");
	stmt_of(&s, sb_str(&sb));
	assert_true(fired(shipped, &s, "large_in_list", NULL));
	sb_release(&sb);
	sb_add(&sb, "SELECT * FROM t WHERE id IN ($1");
	for (i = 2; i <= 99; i++)
		sb_addf(&sb, ", $%d", i);
	sb_add(&sb, ")");
	stmt_of(&s, sb_str(&sb));
	assert_false(fired(shipped, &s, "large_in_list", NULL));
	sb_release(&sb);

	/* a whole-table write: only when it writes many rows a call */
	stmt_of(&s, "UPDATE stock SET reserved = $1");
	assert_false(fired(shipped, &s, "write_without_where", NULL));
	s.rows = 5e6;
	assert_true(fired(shipped, &s, "write_without_where", NULL));
	stmt_of(&s, "DELETE FROM sessions WHERE expires < $1");
	s.rows = 5e6;
	assert_false(fired(shipped, &s, "write_without_where", NULL));

	/* many rows a call without a LIMIT */
	stmt_of(&s, "SELECT id, name FROM customers WHERE region = $1");
	assert_false(fired(shipped, &s, "unbounded_result", NULL));
	s.rows = 1000 * 20000.0;
	assert_true(fired(shipped, &s, "unbounded_result", NULL));
	stmt_of(&s, "SELECT id, name FROM customers WHERE region = $1 LIMIT $2");
	s.rows = 1000 * 20000.0;
	assert_false(fired(shipped, &s, "unbounded_result", NULL));

	/* an exact count of a table: only when it is slow */
	stmt_of(&s, "SELECT count(*) FROM orders");
	assert_false(fired(shipped, &s, "exact_count_of_table", NULL));
	s.total_ms = 1000 * 250.0;
	assert_true(fired(shipped, &s, "exact_count_of_table", NULL));
	stmt_of(&s, "SELECT count(*) FROM orders WHERE user_id = $1");
	s.total_ms = 1000 * 250.0;
	assert_false(fired(shipped, &s, "exact_count_of_table", NULL));
}

/*
 * leading_wildcard_like needs a literal text: none sampled, no finding; a sample with
 * 'abc%', none; a sample with '%abc', a finding that quotes it.
 */
static void
literal_evidence(void **state)
{
	struct rule_stmt s;
	struct finding f;
	const char *prefix[] = {"SELECT id FROM users WHERE name LIKE 'abc%'"};
	const char *both[] = {"SELECT id FROM users WHERE name LIKE 'abc%'",
			      "select id from users where name like '%smith' -- search"};

	(void)state;
	stmt_of(&s, "SELECT id FROM users WHERE name LIKE $1");
	assert_false(fired(shipped, &s, "leading_wildcard_like", NULL));
	s.literals = prefix;
	s.n_literals = 1;
	assert_false(fired(shipped, &s, "leading_wildcard_like", NULL));
	s.literals = both;
	s.n_literals = 2;
	assert_true(fired(shipped, &s, "leading_wildcard_like", &f));
	assert_non_null(strstr(f.evidence, "\"literal\": \"select id from users where name like "
					   "'%smith'\""));
	assert_non_null(strstr(f.evidence, "\"literal_texts_sampled\": 2"));
	assert_non_null(strstr(f.suggestion, "USING gin (name gin_trgm_ops)"));
	assert_string_equal(f.category, "index");
	assert_string_equal(f.severity, "high");
	finding_free(&f);
}

/* The finding: template groups filled, evidence, saving per day, confidence. */
static void
finding_fields(void **state)
{
	struct rule_stmt s;
	struct finding f;

	(void)state;
	stmt_of(&s, "SELECT id FROM inventory WHERE isbn NOT IN (SELECT isbn FROM orders)");
	s.total_ms = 7200; /* over 2 days: 3600 ms a day */
	s.days = 2;
	assert_true(fired(shipped, &s, "not_in_subquery", &f));
	assert_string_equal(f.suggestion, "NOT EXISTS (SELECT 1 FROM ... WHERE ... = isbn) in "
					  "place of isbn NOT IN (SELECT isbn FROM orders...)");
	assert_true(fabs(f.saving_ms_per_day - 1800) < 1e-9); /* saving = 0.5 */
	assert_true(fabs(f.confidence - 0.85) < 1e-9);
	assert_int_equal(f.has_queryid, 1);
	assert_true(f.queryid == 42);
	assert_non_null(strstr(f.evidence, "\"matched\": \"isbn NOT IN (SELECT isbn FROM orders\""));
	assert_non_null(strstr(f.evidence, "\"mean_ms\": 7.200"));
	assert_non_null(f.title);
	assert_non_null(f.detail);
	finding_free(&f);

	stmt_of(&s, "SELECT id FROM events WHERE created_at::date = $1");
	assert_true(fired(shipped, &s, "function_on_column", &f));
	assert_non_null(strstr(f.suggestion, "(created_at >= $1 AND created_at < $1 + interval"));
	finding_free(&f);
}

/* Comments out, blanks made one, strings and the squash marker kept. */
static void
clean_text(void **state)
{
	char *t;

	(void)state;
	t = rules_clean_text("  SELECT /* hint */ a,\n\t b -- trailing\nFROM t WHERE c IN ($1 /*, "
			     "... */) AND d = 'x -- /* y'  ");
	assert_string_equal(t, "SELECT a, b FROM t WHERE c IN ($1 /*, ... */) AND d = 'x -- /* "
			       "y'");
	free(t);
	t = rules_clean_text("SELECT 'it''s' /* unterminated");
	assert_string_equal(t, "SELECT 'it''s'");
	free(t);
}

/* A bad rule names its file and line, and what is wrong. */
static void
bad_rules_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"title = x\n", "bad.rules:1: 'title' before any [rule ID]"},
		{"[rule Bad-Id]\n", "bad.rules:1: expected [rule ID] with an ID in snake_case"},
		{"# c\n[rule a]\nmatch = (unclosed\n",
		 "bad.rules:3: the pattern does not compile at offset 9: missing closing parenthesis"},
		{"[rule a]\nmatch = x\ntitle = t\nexplain = e\n", "bad.rules:1: rule a has no 'rewrite'"},
		{"[rule a]\ntitle = t\nexplain = e\nrewrite = r\n", "bad.rules:1: rule a has no 'match'"},
		{"[rule a]\nseverity = severe\n", "bad.rules:2: unknown severity 'severe'"},
		{"[rule a]\ncategory = style\n", "bad.rules:2: unknown category 'style'"},
		{"[rule a]\nconfidence = 1.5\n", "bad.rules:2: 'confidence' is a number from 0 to 1"},
		{"[rule a]\nwhen = speed > 3\n", "bad.rules:2: 'when' takes FIELD OP NUMBER"},
		{"[rule a]\nwhen = calls >> 3\n", "bad.rules:2: 'when' takes FIELD OP NUMBER"},
		{"[rule a]\ncolour = red\n", "bad.rules:2: unknown key 'colour'"},
		{"[rule a]\nmatch\n", "bad.rules:2: expected KEY = VALUE or [rule ID]"},
		{"[rule a]\nmatch =\n", "bad.rules:2: 'match' has no value"},
		{"[rule a]\nmatch = x\ntitle = t\nexplain = e\nrewrite = r\n[rule a]\n",
		 "bad.rules:6: rule a is defined twice in this file"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rule_set *rs = rules_new();
		struct pgt_err err = {{0}};

		assert_int_equal(rules_load_text(rs, bad[i].text, "bad.rules", &err), -1);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("for %s: got '%s', want '%s'", bad[i].text, err.msg, bad[i].msg);
		/* the rules complete before the bad line are kept */
		assert_int_equal(rules_count(rs), strstr(bad[i].msg, "twice") ? 1 : 0);
		rules_free(rs);
	}
}

/*
 * The user's folder: a rule of the same id replaces the shipped one, a new one is added;
 * the shipped folder must exist.
 */
static void
user_rules_override(void **state)
{
	char dir[] = "/tmp/pgmltop-rules-XXXXXX";
	char *rules_dir, *path, *old_xdg = getenv("XDG_CONFIG_HOME");
	struct rule_set *rs = rules_new();
	struct pgt_err err = {{0}};
	struct rule_stmt s;
	struct finding f;
	FILE *fp;
	int n_shipped = rules_count(shipped);

	(void)state;
	old_xdg = old_xdg ? xstrdup(old_xdg) : NULL;
	assert_non_null(mkdtemp(dir));
	rules_dir = xasprintf("%s/pgmltop", dir);
	assert_int_equal(mkdir(rules_dir, 0700), 0);
	free(rules_dir);
	rules_dir = xasprintf("%s/pgmltop/rules", dir);
	assert_int_equal(mkdir(rules_dir, 0700), 0);
	path = xasprintf("%s/mine.rules", rules_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[rule select_star]\nseverity = high\nmatch = (?i)\\bselect\\s+\\*\n"
	      "title = mine\nexplain = e\nrewrite = r\n\n"
	      "[rule no_tenant_filter]\nmatch = (?i)\\bfrom\\s+invoices\\b\n"
	      "unless = (?i)\\btenant_id\\s*=\nwhen = calls >= 10\ntitle = t\nexplain = e\n"
	      "rewrite = add tenant_id = $n\n",
	      fp);
	fclose(fp);
	setenv("XDG_CONFIG_HOME", dir, 1);
	assert_int_equal(rules_load_default(rs, &err), 0);
	assert_int_equal(rules_count(rs), n_shipped + 1);
	stmt_of(&s, "SELECT * FROM invoices WHERE id = $1");
	assert_true(fired(rs, &s, "select_star", &f));
	assert_string_equal(f.title, "mine");
	finding_free(&f);
	assert_true(fired(rs, &s, "no_tenant_filter", NULL));
	stmt_of(&s, "SELECT id FROM invoices WHERE tenant_id = $1");
	assert_false(fired(rs, &s, "no_tenant_filter", NULL));
	rules_free(rs);

	/* the shipped folder missing is an error */
	{
		char *old_data = xstrdup(getenv("PGMLTOP_DATADIR"));

		setenv("PGMLTOP_DATADIR", dir, 1);
		rs = rules_new();
		assert_int_equal(rules_load_default(rs, &err), -1);
		assert_non_null(strstr(err.msg, "cannot read the rules folder"));
		rules_free(rs);
		setenv("PGMLTOP_DATADIR", old_data, 1);
		free(old_data);
	}
	unlink(path);
	rmdir(rules_dir);
	free(path);
	free(rules_dir);
	path = xasprintf("%s/pgmltop", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old_xdg);
}

/* A megabyte of text built to make patterns backtrack: every rule answers, nothing hangs. */
static void
hostile_text_is_bounded(void **state)
{
	struct strbuf sb = {0};
	struct rule_stmt s;
	struct finding *out = NULL;
	int n = 0, i;
	double t0;

	(void)state;
	sb_add(&sb, "SELECT ");
	for (i = 0; i < 100000; i++)
		sb_add(&sb, "(a = $1 OR ");
	sb_add(&sb, "\x1b[2J\xff\xfe JOIN union having offset NOT IN (select");
	stmt_of(&s, sb_str(&sb));
	t0 = now_mono();
	rules_apply(shipped, &s, &out, &n);
	print_message("# %d findings on %zu bytes in %.3f s\n", n, sb.len, now_mono() - t0);
	findings_free(out, n);
	sb_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_rule_matches_its_texts_and_not_its_traps),
		cmocka_unit_test(every_rule_is_tested),
		cmocka_unit_test(rules_with_sizes_and_statistics),
		cmocka_unit_test(literal_evidence),
		cmocka_unit_test(finding_fields),
		cmocka_unit_test(clean_text),
		cmocka_unit_test(bad_rules_name_file_and_line),
		cmocka_unit_test(user_rules_override),
		cmocka_unit_test(hostile_text_is_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
