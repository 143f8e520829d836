/*
 * Unit tests of the JSON parser and of the plan module on EXPLAIN (FORMAT JSON) output
 * captured from PostgreSQL 15 (tests/data/plans, described in its README): the parser's
 * escapes, numbers and errors on broken or hostile text; the plan's nodes, totals, labels
 * and shape; each plan rule firing on a plan above its threshold and silent on one below;
 * the findings; the rule-file parser's errors naming file and line.
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

#include "json.h"
#include "plan.h"
#include "xutil.h"

static struct plan_rules *shipped;

static char *
data_path(const char *name)
{
	const char *src = getenv("TESTS_SRCDIR");

	return xasprintf("%s/data/plans/%s", src != NULL ? src : "tests", name);
}

static char *
read_plan_text(const char *name)
{
	struct pgt_err err = {{0}};
	char *path = data_path(name), *text = read_text_file(path, "plan", &err);

	if (text == NULL)
		print_error("%s\n", err.msg);
	free(path);
	return text;
}

static struct plan *
load(const char *name)
{
	struct pgt_err err = {{0}};
	char *text = read_plan_text(name);
	struct plan *p;

	assert_non_null(text);
	p = plan_parse(text, strlen(text), &err);
	if (p == NULL)
		print_error("%s: %s\n", name, err.msg);
	assert_non_null(p);
	free(text);
	return p;
}

static int
setup(void **state)
{
	struct pgt_err err = {{0}};
	const char *data = getenv("PGMLTOP_DATADIR");
	char *path = xasprintf("%s/plan.rules", data != NULL ? data : "data");

	(void)state;
	shipped = plan_rules_new();
	if (plan_rules_load_file(shipped, path, &err) < 0) {
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
	plan_rules_free(shipped);
	return 0;
}

/* ---- JSON ---- */

static struct json *
parse_ok(const char *text)
{
	struct pgt_err err = {{0}};
	struct json *v = json_parse(text, strlen(text), &err);

	if (v == NULL)
		print_error("'%s': %s\n", text, err.msg);
	assert_non_null(v);
	return v;
}

/* The text must be refused with a message naming the byte. */
static void
parse_bad(const char *text, size_t len, const char *what)
{
	struct pgt_err err = {{0}};
	struct json *v = json_parse(text, len, &err);

	if (v != NULL)
		print_error("accepted: '%.*s'\n", (int)len, text);
	assert_null(v);
	assert_true(strncmp(err.msg, "JSON: ", 6) == 0);
	if (strstr(err.msg, " at byte ") == NULL || (what != NULL && strstr(err.msg, what) == NULL))
		print_error("'%.*s': %s\n", (int)len, text, err.msg);
	assert_non_null(strstr(err.msg, " at byte "));
	if (what != NULL)
		assert_non_null(strstr(err.msg, what));
}

#define BAD(s, what) parse_bad(s, strlen(s), what)

static void
json_values_and_escapes(void **state)
{
	struct json *v;
	const struct json *s;

	(void)state;
	v = parse_ok(" {\"a\": [1, true, false, null, \"x\"], \"b\": {}, \"a\": 2} \n");
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(v->n, 3);
	/* the first of two members of a name */
	assert_int_equal(json_get(v, "a")->type, JSON_ARRAY);
	assert_int_equal(json_item(json_get(v, "a"), 1)->u.boolean, 1);
	assert_int_equal(json_item(json_get(v, "a"), 3)->type, JSON_NULL);
	assert_string_equal(json_str(json_item(json_get(v, "a"), 4)), "x");
	assert_null(json_item(json_get(v, "a"), 5));
	assert_null(json_get(v, "c"));
	assert_null(json_get(json_get(v, "a"), "a"));
	assert_true(isnan(json_num(json_get(v, "b"), NAN)));
	json_free(v);

	v = parse_ok("[\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\\u20AC \\u0041\"]");
	s = json_item(v, 0);
	assert_string_equal(s->u.str, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9\xe2\x82\xac A");
	json_free(v);

	/* \u0000: a NUL byte inside, the length tells */
	v = parse_ok("\"a\\u0000b\"");
	assert_int_equal(v->n, 3);
	assert_memory_equal(v->u.str, "a\0b", 3);
	json_free(v);

	/* UTF-8 passes as it is */
	v = parse_ok("\"gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80\"");
	assert_string_equal(v->u.str, "gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80");
	json_free(v);

	BAD("\"\\x\"", "unknown escape");
	BAD("\"\\u12g4\"", "bad hex digit");
	BAD("\"\\u12\"", NULL);
	BAD("\"a\tb\"", "control character");
	BAD("\"\xc3\"", "invalid UTF-8");
	BAD("\"\xc0\xaf\"", "invalid UTF-8");	  /* overlong '/' */
	BAD("\"\xed\xa0\x80\"", "invalid UTF-8"); /* a surrogate in UTF-8 */
	BAD("\"\xf4\x90\x80\x80\"", "invalid UTF-8"); /* past U+10FFFF */
}

static void
json_surrogates(void **state)
{
	struct json *v;

	(void)state;
	v = parse_ok("\"\\ud83d\\ude00 \\uD834\\uDD1E\"");
	assert_string_equal(v->u.str, "\xf0\x9f\x98\x80 \xf0\x9d\x84\x9e");
	json_free(v);
	v = parse_ok("\"\\udbff\\udfff\"");
	assert_string_equal(v->u.str, "\xf4\x8f\xbf\xbf");
	json_free(v);
	BAD("\"\\ud83d\"", "high surrogate without a low one");
	BAD("\"\\ud83dx\"", "high surrogate without a low one");
	BAD("\"\\ud83d\\u0041\"", "high surrogate without a low one");
	BAD("\"\\ud83d\\ud83d\"", "high surrogate without a low one");
	BAD("\"\\ude00\"", "low surrogate without a high one");
	BAD("\"\\ud83d\\", NULL);
}

static void
json_numbers(void **state)
{
	struct json *v;

	(void)state;
	v = parse_ok("[1e308, -0.5, 0, -0, 1E+2, 2.5e-3, 1e-400, 12345678901234567890, -1.7976931348623157e308]");
	assert_true(json_item(v, 0)->u.number == 1e308);
	assert_true(json_item(v, 1)->u.number == -0.5);
	assert_true(json_item(v, 2)->u.number == 0);
	assert_true(json_item(v, 3)->u.number == 0 && signbit(json_item(v, 3)->u.number));
	assert_true(json_item(v, 4)->u.number == 100);
	assert_true(json_item(v, 5)->u.number == 0.0025);
	/* too small for a double: as near zero as it gets, not an error */
	assert_true(json_item(v, 6)->u.number == 0);
	assert_true(json_item(v, 7)->u.number == 12345678901234567890.0);
	assert_true(json_item(v, 8)->u.number == -1.7976931348623157e308);
	json_free(v);

	BAD("1e309", "out of range");
	BAD("[-1e400]", "out of range");
	BAD("01", "text after the value");
	BAD("1.", "no digit after the decimal point");
	BAD(".5", "unexpected character");
	BAD("+1", "unexpected character");
	BAD("-", "bad number");
	BAD("1e", "no digit in the exponent");
	BAD("1e+", "no digit in the exponent");
	BAD("0x10", "text after the value");
	BAD("NaN", "unexpected character");
	BAD("Infinity", "unexpected character");
	BAD("-Infinity", "bad number");
}

static void
json_depth_and_size(void **state)
{
	char deep[2 * (JSON_MAX_DEPTH + 1) + 1];
	struct json_limits lim = {16, 4};
	struct pgt_err err = {{0}};
	struct json *v;
	int i;

	(void)state;
	/* JSON_MAX_DEPTH arrays in one another pass; one more does not */
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAX_DEPTH + i] = ']';
	}
	v = json_parse(deep, 2 * JSON_MAX_DEPTH, &err);
	assert_non_null(v);
	json_free(v);
	for (i = 0; i <= JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAX_DEPTH + 1 + i] = ']';
	}
	parse_bad(deep, 2 * (JSON_MAX_DEPTH + 1), "nested too deep");
	memset(deep, '{', sizeof deep);
	parse_bad(deep, sizeof deep, NULL);

	/* the limits of a call */
	v = json_parse_limits("[[[[1]]]]", 9, &lim, &err);
	assert_non_null(v);
	json_free(v);
	assert_null(json_parse_limits("[[[[[1]]]]]", 11, &lim, &err));
	assert_non_null(strstr(err.msg, "nested too deep at byte 4"));
	assert_null(json_parse_limits("[1, 2, 3, 4, 5, 6, 7]", 21, &lim, &err));
	assert_non_null(strstr(err.msg, "more than the 16 allowed"));
}

static void
json_truncated_and_garbage(void **state)
{
	static const char *const garbage[] = {
		"",	   "   ",   "nul",	"tru",	   "[1,]",     "[1 2]",	  "{\"a\" 1}",
		"{\"a\":}", "{a:1}", "{\"a\":1,}", "'a'",    "[1] x",	 "\x01",     "[\"a\"",
		"{\"a\"",  "{",	 "[",	     "\"abc",  "\xef\xbb\xbf{}", "]", "}",
	};
	struct pgt_err err = {{0}};
	char *text = read_plan_text("hash_spill.json");
	size_t len, cut, i;
	unsigned seed = 7;

	(void)state;
	for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
		BAD(garbage[i], NULL);
	parse_bad("[1, 2", 5, "truncated array at byte 5");
	parse_bad("{\"a\": 1", 7, "truncated object at byte 7");
	parse_bad("[1, 2]", 3, "truncated text");
	/* a NUL inside the text is a character like any other: refused */
	parse_bad("[1,\0 2]", 7, "unexpected character at byte 3");

	/* every cut of a real plan is refused, with no read past its end */
	assert_non_null(text);
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	for (cut = 0; cut < len; cut++) {
		char *part = xmalloc(cut + 1);
		struct json *v;

		memcpy(part, text, cut);
		v = json_parse(part, cut, &err);
		assert_null(v);
		free(part);
	}
	/* bytes changed at random: no crash, whatever the answer */
	for (i = 0; i < 2000; i++) {
		char *copy = xstrndup(text, len);
		struct json *v;
		int k;

		for (k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] = (char)(seed >> 20);
		}
		v = json_parse(copy, len, &err);
		json_free(v);
		free(copy);
	}
	free(text);
}

/* ---- plans ---- */

static void
parse_nodes(void **state)
{
	struct plan *p = load("hash_spill.json"), *q;
	const struct plan_node *n;
	struct pgt_err err = {{0}};
	char *text, *a, *b;

	(void)state;
	assert_int_equal(p->n, 4);
	assert_true(p->analyzed);
	assert_false(isnan(p->planning_ms));
	assert_false(isnan(p->execution_ms));
	n = &p->nodes[0];
	assert_string_equal(n->node_type, "Hash Join");
	assert_string_equal(n->join_type, "Inner");
	assert_string_equal(n->hash_cond, "(o.customer_id = c.id)");
	assert_int_equal(n->depth, 0);
	assert_int_equal(n->parent, -1);
	assert_int_equal(n->end, 4);
	assert_true(n->startup_cost == 923.64 && n->total_cost == 7831.73);
	assert_true(n->plan_rows == 200000 && n->actual_rows == 200000 && n->actual_loops == 1);
	n = &p->nodes[1];
	assert_string_equal(n->node_type, "Seq Scan");
	assert_string_equal(n->parent_rel, "Outer");
	assert_string_equal(n->relation, "orders");
	assert_string_equal(n->schema, "public");
	assert_string_equal(n->alias, "o");
	assert_int_equal(n->parent, 0);
	assert_int_equal(n->end, 2);
	n = &p->nodes[2];
	assert_string_equal(n->node_type, "Hash");
	assert_string_equal(n->parent_rel, "Inner");
	assert_true(n->hash_batches == 16 && n->orig_hash_batches == 16);
	assert_false(isnan(n->peak_memory_kb));
	assert_true(n->temp_written > 0);
	assert_string_equal(p->nodes[3].relation, "customers");
	assert_int_equal(p->nodes[3].depth, 2);
	assert_int_equal(p->nodes[3].parent, 2);
	/* children: 1 and 2 of 0, 3 of 2, none of 3 */
	assert_int_equal(plan_node_child(p, 0, 0), 1);
	assert_int_equal(plan_node_child(p, 0, 1), 2);
	assert_int_equal(plan_node_child(p, 0, 2), -1);
	assert_int_equal(plan_node_child(p, 2, 2), 3);
	assert_int_equal(plan_node_child(p, 3, 3), -1);
	assert_int_equal(plan_node_child(p, 1, 3), -1);
	plan_free(p);

	/* plain EXPLAIN: no actual figures, nor times */
	p = load("offset_plain.json");
	assert_false(p->analyzed);
	assert_true(isnan(p->execution_ms));
	assert_true(isnan(p->nodes[1].actual_rows));
	assert_true(isnan(plan_node_rows_total(&p->nodes[1])));
	assert_true(isnan(plan_node_self_ms(p, 0)));
	assert_true(plan_node_removed_total(&p->nodes[1]) == 0);
	assert_string_equal(p->nodes[1].index_name, "orders_pkey");
	assert_null(p->nodes[1].schema);
	plan_free(p);

	/* the object without its array */
	text = read_plan_text("sort_spill.json");
	a = strchr(text, '{');
	b = strrchr(text, '}');
	assert_true(a != NULL && b != NULL && b > a);
	q = plan_parse(a, (size_t)(b - a + 1), &err);
	assert_non_null(q);
	assert_int_equal(q->n, 2);
	assert_string_equal(q->nodes[0].sort_key, "pad");
	assert_string_equal(q->nodes[0].sort_method, "external merge");
	assert_string_equal(q->nodes[0].sort_space_type, "Disk");
	assert_true(q->nodes[0].sort_space_kb == 13648);
	plan_free(q);
	free(text);
}

static void
parse_refuses_what_is_no_plan(void **state)
{
	static const char *const bad[] = {
		"[]",
		"[{\"x\": 1}]",
		"{\"Plan\": 1}",
		"[{\"Plan\": {\"Plans\": []}}]",
		"[{\"Plan\": {\"Node Type\": \"Limit\", \"Plans\": {}}}]",
		"[{\"Plan\": {\"Node Type\": \"Limit\", \"Plans\": [1]}}]",
		"[{\"Plan\": {\"Node Type\": 5}}]",
		"[{\"Plan\": {\"Node Type\": \"Limit\"}}",
	};
	struct pgt_err err = {{0}};
	struct plan *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		p = plan_parse(bad[i], strlen(bad[i]), &err);
		if (p != NULL)
			print_error("accepted: %s\n", bad[i]);
		assert_null(p);
		assert_true(err.msg[0] != '\0');
	}
	/* figures of a strange type are taken as missing */
	{
		const char *odd = "[{\"Plan\": {\"Node Type\": \"Result\", \"Plan Rows\": \"x\"}}]";

		p = plan_parse(odd, strlen(odd), &err);
	}
	assert_non_null(p);
	assert_true(isnan(p->nodes[0].plan_rows));
	plan_free(p);
}

static void
totals_and_self_time(void **state)
{
	struct plan *p = load("nested_loop.json");
	const struct plan_node *in = &p->nodes[2];
	double sum = 0;
	int i;

	(void)state;
	/* Actual Rows is per loop */
	assert_string_equal(in->node_type, "Index Scan");
	assert_true(in->actual_loops == 15866);
	assert_true(plan_node_rows_total(in) == in->actual_rows * 15866);
	assert_true(fabs(plan_node_time_total(in) - in->actual_total_ms * 15866) < 1e-9);
	/* the own times add up to the top node's time */
	for (i = 0; i < p->n; i++) {
		double s = plan_node_self_ms(p, i);

		assert_true(s >= 0);
		sum += s;
	}
	assert_true(fabs(sum - plan_node_time_total(&p->nodes[0])) < 0.01);
	plan_free(p);

	/* the filter's count is per loop too */
	p = load("index_filter.json");
	assert_true(plan_node_removed_total(&p->nodes[0]) == 4886);
	plan_free(p);
}

static void
labels_and_details(void **state)
{
	struct plan *p = load("hash_spill.json");
	char buf[256], small[16], *d;
	int n;

	(void)state;
	n = plan_node_label(p, 1, buf, sizeof buf);
	assert_int_equal(n, (int)strlen(buf));
	assert_true(strncmp(buf, "Seq Scan on public.orders o  (cost=0.00..4273.00 rows=200000 width=14)"
			    " (actual rows=200000 loops=1 time=",
			    104) == 0);
	assert_non_null(strstr(buf, " ms, "));
	assert_true(buf[strlen(buf) - 2] == '%' && buf[strlen(buf) - 1] == ')');
	/* a short buffer: cut and terminated, the wanted length returned */
	assert_int_equal(plan_node_label(p, 1, small, sizeof small), n);
	assert_string_equal(small, "Seq Scan on pub");
	plan_node_label(p, 0, buf, sizeof buf);
	assert_true(strncmp(buf, "Hash Join  (cost=923.64..7831.73 rows=200000 width=24) (actual", 62) == 0);
	/* out of range: empty */
	assert_int_equal(plan_node_label(p, 9, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	d = plan_node_detail(p, 2);
	assert_non_null(strstr(d, "Batches: 16  Memory Usage: "));
	free(d);
	d = plan_node_detail(p, 0);
	assert_non_null(strstr(d, "Hash Cond: (o.customer_id = c.id)\n"));
	free(d);
	plan_free(p);

	p = load("offset_plain.json");
	plan_node_label(p, 1, buf, sizeof buf);
	assert_string_equal(buf, "Index Scan using orders_pkey on orders  (cost=0.42..7480.42 rows=200000 width=57)");
	plan_node_label(p, 0, buf, sizeof buf);
	assert_string_equal(buf, "Limit  (cost=3740.42..3740.79 rows=10 width=57)");
	plan_free(p);

	p = load("subplan.json");
	plan_node_label(p, 1, buf, sizeof buf);
	assert_true(strncmp(buf, "SubPlan 1: Aggregate  (cost=", 28) == 0);
	assert_non_null(strstr(buf, "loops=20000"));
	plan_node_label(p, 3, buf, sizeof buf);
	assert_true(strncmp(buf, "Bitmap Index Scan on orders_customer_id  (cost=", 47) == 0);
	plan_free(p);

	p = load("sort_spill.json");
	d = plan_node_detail(p, 0);
	assert_non_null(strstr(d, "Sort Key: pad\n"));
	assert_non_null(strstr(d, "Sort Method: external merge  Disk: 13648kB\n"));
	assert_non_null(strstr(d, "Temp Blocks: read="));
	free(d);
	plan_free(p);

	p = load("lossy_bitmap.json");
	d = plan_node_detail(p, 0);
	assert_non_null(strstr(d, "Heap Blocks: exact=724 lossy=1549\n"));
	assert_non_null(strstr(d, "Recheck Cond: (customer_id < 5000)\n"));
	free(d);
	plan_free(p);
}

static void
shapes(void **state)
{
	struct plan *a = load("offset.json"), *b = load("offset_none.json");
	struct plan *c = load("offset_plain.json");
	char *s = plan_shape(a);

	(void)state;
	assert_string_equal(s, "Limit (Index Scan [Outer] on \"orders\" using \"orders_pkey\")");
	free(s);
	/* costs, figures and ANALYZE do not change the shape */
	assert_int_equal(plan_shape_differs(a, b), 0);
	assert_int_equal(plan_shape_differs(a, c), 0);
	plan_free(a);
	plan_free(b);
	plan_free(c);

	a = load("nested_loop.json");
	b = load("nested_loop_none.json");
	c = load("nested_loop_plain.json");
	assert_int_equal(plan_shape_differs(a, b), 1);
	assert_int_equal(plan_shape_differs(a, c), 0);
	s = plan_shape(b);
	assert_string_equal(s, "Nested Loop join=Inner (Index Scan [Outer] on \"customers\" using "
			       "\"customers_pkey\", Bitmap Heap Scan [Inner] on \"orders\" (Bitmap "
			       "Index Scan [Outer] using \"orders_customer_id\"))");
	free(s);
	plan_free(a);
	plan_free(b);
	plan_free(c);

	/* VERBOSE (a schema) or not, the same tree */
	a = load("hash_spill.json");
	b = load("hash_spill_none.json");
	assert_int_equal(plan_shape_differs(a, b), 0);
	assert_int_equal(plan_shape_differs(a, NULL), 1);
	assert_int_equal(plan_shape_differs(NULL, NULL), 0);
	plan_free(a);
	plan_free(b);
}

/* ---- rules ---- */

/* The issues of RULE on the plan in FILE; *first is the first of them, if any. */
static int
issues_of(const char *file, const struct plan_rules *r, const struct plan_table_stats *st,
	  int n_st, const char *rule, struct plan_issue *first)
{
	struct plan *p = load(file);
	struct plan_issue *iss;
	int n = plan_check(p, r != NULL ? r : shipped, st, n_st, &iss), i, k = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(iss[i].rule, rule) != 0)
			continue;
		if (k++ == 0 && first != NULL) {
			*first = iss[i];
			/* the strings are checked here: they are freed below */
			first->text = first->suggestion = NULL;
			if (iss[i].text == NULL || iss[i].suggestion == NULL ||
			    iss[i].text[0] == '\0')
				fail_msg("%s: %s has no text or suggestion", file, rule);
		}
	}
	plan_issues_free(iss, n);
	plan_free(p);
	return k;
}

static void
fires(const char *file, const char *rule, const char *sev, double value, double tol, int node)
{
	struct plan_issue x;

	memset(&x, 0, sizeof x);
	if (issues_of(file, NULL, NULL, 0, rule, &x) != 1)
		fail_msg("%s: %s does not fire once", file, rule);
	assert_string_equal(x.severity, sev);
	if (fabs(x.value - value) > tol)
		fail_msg("%s: %s value %g, wanted %g", file, rule, x.value, value);
	assert_int_equal(x.node, node);
}

static void
silent(const char *file, const char *rule)
{
	if (issues_of(file, NULL, NULL, 0, rule, NULL) != 0)
		fail_msg("%s: %s fires", file, rule);
}

static void
rule_row_misestimate(void **state)
{
	struct plan_rules *r = plan_rules_new();
	struct pgt_err err = {{0}};
	struct plan_issue x;

	(void)state;
	fires("misestimate_high.json", PLAN_ROW_MISESTIMATE, "high", 200000, 0, 0);
	fires("misestimate_low.json", PLAN_ROW_MISESTIMATE, "low", 1000.0 / 16, 1e-9, 0);
	/* 3294 estimated, 1000 returned: 3.3 times */
	silent("misestimate_none.json", PLAN_ROW_MISESTIMATE);
	/* below a Limit, fewer rows than estimated is what a Limit does */
	silent("offset_none.json", PLAN_ROW_MISESTIMATE);
	/* no actual rows, no comparison */
	silent("seq_scan_filter_plain.json", PLAN_ROW_MISESTIMATE);
	/* the bands are data */
	assert_int_equal(plan_rules_load_text(r, "[rule row_misestimate]\nhigh_factor = 300000\n",
					      "t", &err),
			 0);
	assert_int_equal(issues_of("misestimate_high.json", r, NULL, 0, PLAN_ROW_MISESTIMATE, &x), 1);
	assert_string_equal(x.severity, "medium");
	assert_true(x.threshold == 100);
	assert_int_equal(plan_rules_load_text(r, "[rule row_misestimate]\nmin_rows = 2000\n", "t",
					      &err),
			 0);
	assert_int_equal(issues_of("misestimate_low.json", r, NULL, 0, PLAN_ROW_MISESTIMATE, NULL), 0);
	plan_rules_free(r);
}

static void
rule_seq_scan_filter(void **state)
{
	const struct plan_table_stats big = {"public", "big", 200000, 0, 1700000000, 0};
	const struct plan_table_stats small = {"public", "big", 50000, 0, 1700000000, 0};
	/* the same name in two schemas: a plan without VERBOSE cannot tell them apart */
	const struct plan_table_stats two[] = {{"public", "big", 200000, 0, 1700000000, 0},
					       {"archive", "big", 200000, 0, 1700000000, 0}};
	struct plan_issue x;

	(void)state;
	fires("seq_scan_filter.json", PLAN_SEQ_SCAN_FILTER, "medium", 0.999, 1e-9, 0);
	/* half the rows removed */
	silent("seq_scan_filter_none.json", PLAN_SEQ_SCAN_FILTER);
	/* without ANALYZE: 1000 rows expected of 200000 live */
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, &big, 1, PLAN_SEQ_SCAN_FILTER, &x), 1);
	assert_string_equal(x.severity, "low");
	assert_true(fabs(x.value - 0.005) < 1e-12);
	assert_true(x.threshold == 0.1);
	assert_int_equal(issues_of("seq_scan_filter_plain_none.json", NULL, &big, 1, PLAN_SEQ_SCAN_FILTER, NULL), 0);
	/* a table below min_live_rows, or none known */
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, &small, 1, PLAN_SEQ_SCAN_FILTER, NULL), 0);
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, NULL, 0, PLAN_SEQ_SCAN_FILTER, NULL), 0);
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, two, 2, PLAN_SEQ_SCAN_FILTER, NULL), 0);
}

static void
rule_index_filter(void **state)
{
	(void)state;
	fires("index_filter.json", PLAN_INDEX_FILTER, "medium", 4886.0 / 4977, 1e-9, 0);
	/* 2079 of 4977 removed: 42% */
	silent("index_filter_none.json", PLAN_INDEX_FILTER);
	/* a Seq Scan is the other rule's */
	silent("seq_scan_filter.json", PLAN_INDEX_FILTER);
}

static void
rule_sort_spill(void **state)
{
	struct plan_rules *r = plan_rules_new();
	struct pgt_err err = {{0}};
	struct plan_issue x;

	(void)state;
	fires("sort_spill.json", PLAN_SORT_SPILL, "medium", 13648, 0, 0);
	silent("sort_spill_none.json", PLAN_SORT_SPILL);
	assert_int_equal(plan_rules_load_text(r, "[rule sort_spill]\nhigh_space_kb = 10000\n", "t", &err), 0);
	assert_int_equal(issues_of("sort_spill.json", r, NULL, 0, PLAN_SORT_SPILL, &x), 1);
	assert_string_equal(x.severity, "high");
	assert_int_equal(plan_rules_load_text(r, "[rule sort_spill]\nmin_space_kb = 20000\n", "t", &err), 0);
	assert_int_equal(issues_of("sort_spill.json", r, NULL, 0, PLAN_SORT_SPILL, NULL), 0);
	plan_rules_free(r);
}

static void
rule_hash_spill(void **state)
{
	(void)state;
	/* on the Hash node, not the join */
	fires("hash_spill.json", PLAN_HASH_SPILL, "medium", 16, 0, 2);
	silent("hash_spill_none.json", PLAN_HASH_SPILL);
}

static void
rule_nested_loop(void **state)
{
	(void)state;
	fires("nested_loop.json", PLAN_NESTED_LOOP_INNER_LOOPS, "medium", 15866, 0, 0);
	/* 49 loops */
	silent("nested_loop_none.json", PLAN_NESTED_LOOP_INNER_LOOPS);
	fires("nested_loop_plain.json", PLAN_NESTED_LOOP_INNER_LOOPS, "low", 21250, 0, 0);
	silent("nested_loop_plain_none.json", PLAN_NESTED_LOOP_INNER_LOOPS);
}

static void
rule_lossy_bitmap(void **state)
{
	(void)state;
	fires("lossy_bitmap.json", PLAN_LOSSY_BITMAP, "high", 1549.0 / 2273, 1e-9, 0);
	silent("lossy_bitmap_none.json", PLAN_LOSSY_BITMAP);
}

static void
rule_correlated_subplan(void **state)
{
	(void)state;
	/* 20000 runs: past high_loops */
	fires("subplan.json", PLAN_CORRELATED_SUBPLAN, "medium", 20000, 0, 1);
	silent("subplan_none.json", PLAN_CORRELATED_SUBPLAN);
	fires("subplan_plain.json", PLAN_CORRELATED_SUBPLAN, "low", 26562, 0, 1);
	silent("subplan_plain_none.json", PLAN_CORRELATED_SUBPLAN);
}

static void
rule_large_offset(void **state)
{
	(void)state;
	fires("offset.json", PLAN_LARGE_OFFSET, "medium", 100000, 0, 0);
	silent("offset_none.json", PLAN_LARGE_OFFSET);
	/* from the costs: (3740.42 - 0.42) / (7480.42 - 0.42) x 200000 */
	fires("offset_plain.json", PLAN_LARGE_OFFSET, "medium", 100000, 1, 0);
	silent("offset_plain_none.json", PLAN_LARGE_OFFSET);
}

static void
rule_stale_stats(void **state)
{
	/* pg_stat_user_tables as the server had it when the plans were taken */
	const struct plan_table_stats st[] = {
		{"public", "big", 200000, 0, 1796283157, 0},
		{"public", "customers", 20000, 6666, 1796283157, 0},
		{"public", "events", 320000, 220000, 1796283157, 0},
		{"public", "orders", 200000, 0, 1796283157, 0},
	};
	const struct plan_table_stats never = {NULL, "big", 200000, 0, 0, 0};
	const struct plan_table_stats never_small = {NULL, "big", 500, 0, 0, 0};
	struct plan_issue x;

	(void)state;
	assert_int_equal(issues_of("misestimate_high.json", NULL, st, 4, PLAN_STALE_STATS, &x), 1);
	assert_string_equal(x.severity, "medium");
	assert_true(fabs(x.value - 220000.0 / 320000) < 1e-12);
	assert_true(x.threshold == 0.2);
	/* customers and orders: customers changed a third, orders not */
	assert_int_equal(issues_of("hash_spill.json", NULL, st, 4, PLAN_STALE_STATS, &x), 1);
	assert_int_equal(x.node, 3);
	assert_int_equal(issues_of("offset.json", NULL, st, 4, PLAN_STALE_STATS, NULL), 0);
	assert_int_equal(issues_of("offset.json", NULL, NULL, 0, PLAN_STALE_STATS, NULL), 0);
	/* never analyzed */
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, &never, 1, PLAN_STALE_STATS, &x), 1);
	assert_string_equal(x.severity, "high");
	assert_int_equal(issues_of("seq_scan_filter_plain.json", NULL, &never_small, 1, PLAN_STALE_STATS, NULL), 0);
}

static void
findings_of_issues(void **state)
{
	struct plan *p = load("misestimate_high.json");
	struct pgt_err err = {{0}};
	struct plan_issue *iss;
	struct finding *f;
	struct json *ev;
	int n, nf;

	(void)state;
	n = plan_check(p, shipped, NULL, 0, &iss);
	assert_int_equal(n, 1);
	nf = plan_issues_findings(p, iss, n, 1, -42, &f);
	assert_int_equal(nf, 1);
	assert_string_equal(f[0].category, "plan");
	assert_string_equal(f[0].rule, "row_misestimate");
	assert_string_equal(f[0].severity, "high");
	assert_int_equal(f[0].has_queryid, 1);
	assert_int_equal(f[0].queryid, -42);
	assert_true(f[0].confidence == 0.8);
	assert_true(isnan(f[0].saving_ms_per_day));
	assert_string_equal(f[0].title, "Row estimate far from the rows returned: Seq Scan on events");
	assert_non_null(strstr(f[0].detail, "estimated 1 row and got 200000 over 1 loop"));
	assert_non_null(strstr(f[0].suggestion, "ANALYZE"));
	/* the evidence is JSON, with the node and its figures */
	ev = json_parse(f[0].evidence, strlen(f[0].evidence), &err);
	assert_non_null(ev);
	assert_true(json_num(json_get(ev, "node"), -1) == 0);
	assert_string_equal(json_str(json_get(ev, "node_type")), "Seq Scan");
	assert_string_equal(json_str(json_get(ev, "relation")), "events");
	assert_int_equal(json_get(ev, "schema")->type, JSON_NULL);
	assert_true(json_get(ev, "analyzed")->u.boolean);
	assert_true(json_num(json_get(ev, "value"), 0) == 200000);
	assert_true(json_num(json_get(ev, "threshold"), 0) == 1000);
	assert_true(json_num(json_get(ev, "actual_rows"), 0) == 200000);
	assert_true(json_num(json_get(ev, "plan_rows"), 0) == 1);
	json_free(ev);
	findings_free(f, nf);
	plan_issues_free(iss, n);
	plan_free(p);

	/* estimates only: less confident; no queryid */
	p = load("subplan_plain.json");
	n = plan_check(p, shipped, NULL, 0, &iss);
	assert_int_equal(n, 1);
	nf = plan_issues_findings(p, iss, n, 0, 0, &f);
	assert_int_equal(nf, 1);
	assert_string_equal(f[0].rule, "correlated_subplan");
	assert_true(fabs(f[0].confidence - 0.2) < 1e-12);
	assert_int_equal(f[0].has_queryid, 0);
	ev = json_parse(f[0].evidence, strlen(f[0].evidence), &err);
	assert_non_null(ev);
	assert_false(json_get(ev, "analyzed")->u.boolean);
	assert_int_equal(json_get(ev, "actual_rows")->type, JSON_NULL);
	json_free(ev);
	findings_free(f, nf);
	plan_issues_free(iss, n);
	plan_free(p);

	assert_int_equal(plan_issues_findings(NULL, NULL, 0, 0, 0, &f), 0);
	assert_null(f);
}

static void
rule_file_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"\n[rule sort_spill\n", "t:2: a header is [rule ID]"},
		{"[rule nope]\n", "t:1: unknown plan rule 'nope' (row_misestimate, seq_scan_filter,"},
		{"min_rows = 5\n", "t:1: a key before the first [rule ID]"},
		{"[rule hash_spill]\n# c\nmin_batches\n", "t:3: a line is KEY = VALUE"},
		{"[rule hash_spill]\nmin_batches =\n", "t:2: 'min_batches' has no value"},
		{"[rule hash_spill]\nmin_rows = 3\n",
		 "t:2: unknown key 'min_rows' (rule hash_spill has: enabled, min_batches, high_batches)"},
		{"[rule hash_spill]\nmin_batches = -1\n", "t:2: 'min_batches' is a number from 0 to 1e15, not '-1'"},
		{"[rule hash_spill]\nmin_batches = 2x\n", "t:2: 'min_batches' is a number"},
		{"[rule hash_spill]\nenabled = maybe\n", "t:2: 'enabled' is yes or no, not 'maybe'"},
		{"[rule hash_spill]\n[rule sort_spill]\n[rule hash_spill]\n",
		 "t:3: rule 'hash_spill' appears twice in the file"},
	};
	struct plan_rules *r = plan_rules_new();
	struct pgt_err err = {{0}};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		assert_int_equal(plan_rules_load_text(r, bad[i].text, "t", &err), -1);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("got '%s', wanted '%s'", err.msg, bad[i].msg);
	}
	/* a file with an error changes nothing */
	assert_int_equal(plan_rules_load_text(r, "[rule hash_spill]\nmin_batches = 8\nx = 1\n", "t", &err), -1);
	assert_true(plan_rules_get(r, PLAN_HASH_SPILL, "min_batches") == 2);
	assert_int_equal(plan_rules_load_file(r, "/nonexistent/plan.rules", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/plan.rules"));

	/* the shipped file has the built-in values; a key left out keeps its value */
	assert_true(plan_rules_get(shipped, PLAN_CORRELATED_SUBPLAN, "high_loops") ==
		    plan_rules_get(r, PLAN_CORRELATED_SUBPLAN, "high_loops"));
	assert_true(plan_rules_get(shipped, PLAN_STALE_STATS, "min_modified_share") == 0.2);
	assert_true(isnan(plan_rules_get(shipped, PLAN_STALE_STATS, "nope")));
	assert_true(isnan(plan_rules_get(shipped, "nope", "min_rows")));

	/* enabled = no */
	assert_int_equal(plan_rules_load_text(r, "[rule sort_spill]\nenabled = no\n", "t", &err), 0);
	assert_false(plan_rules_enabled(r, PLAN_SORT_SPILL));
	assert_true(plan_rules_enabled(r, PLAN_HASH_SPILL));
	assert_int_equal(issues_of("sort_spill.json", r, NULL, 0, PLAN_SORT_SPILL, NULL), 0);
	plan_rules_free(r);

	/* the default load reads $PGMLTOP_DATADIR */
	r = plan_rules_new();
	if (plan_rules_load_default(r, &err) < 0)
		fail_msg("%s", err.msg);
	plan_rules_free(r);
}

/* Every stored plan: every rule runs, each issue names a node and has a sentence. */
static void
all_plans_check_cleanly(void **state)
{
	static const char *const files[] = {
		"hash_spill.json",	    "hash_spill_none.json",	      "index_filter.json",
		"index_filter_none.json",    "lossy_bitmap.json",	      "lossy_bitmap_none.json",
		"misestimate_high.json",     "misestimate_low.json",	      "misestimate_none.json",
		"nested_loop.json",	    "nested_loop_none.json",	      "nested_loop_plain.json",
		"nested_loop_plain_none.json", "offset.json",		      "offset_none.json",
		"offset_plain.json",	    "offset_plain_none.json",	      "seq_scan_filter.json",
		"seq_scan_filter_none.json", "seq_scan_filter_plain.json", "seq_scan_filter_plain_none.json",
		"sort_spill.json",	    "sort_spill_none.json",	      "subplan.json",
		"subplan_none.json",	    "subplan_plain.json",	      "subplan_plain_none.json",
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof files / sizeof files[0]; k++) {
		struct plan *p = load(files[k]);
		struct plan_issue *iss;
		struct finding *f;
		char buf[512];
		int n = plan_check(p, shipped, NULL, 0, &iss), i, nf;

		for (i = 0; i < n; i++) {
			assert_true(iss[i].node >= 0 && iss[i].node < p->n);
			assert_true(i == 0 || iss[i - 1].node <= iss[i].node);
			assert_non_null(iss[i].text);
			assert_non_null(iss[i].suggestion);
		}
		nf = plan_issues_findings(p, iss, n, 0, 0, &f);
		assert_int_equal(nf, n);
		findings_free(f, nf);
		for (i = 0; i < p->n; i++) {
			char *d = plan_node_detail(p, i);

			assert_true(plan_node_label(p, i, buf, sizeof buf) > 0);
			free(d);
		}
		plan_issues_free(iss, n);
		plan_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_values_and_escapes),
		cmocka_unit_test(json_surrogates),
		cmocka_unit_test(json_numbers),
		cmocka_unit_test(json_depth_and_size),
		cmocka_unit_test(json_truncated_and_garbage),
		cmocka_unit_test(parse_nodes),
		cmocka_unit_test(parse_refuses_what_is_no_plan),
		cmocka_unit_test(totals_and_self_time),
		cmocka_unit_test(labels_and_details),
		cmocka_unit_test(shapes),
		cmocka_unit_test(rule_row_misestimate),
		cmocka_unit_test(rule_seq_scan_filter),
		cmocka_unit_test(rule_index_filter),
		cmocka_unit_test(rule_sort_spill),
		cmocka_unit_test(rule_hash_spill),
		cmocka_unit_test(rule_nested_loop),
		cmocka_unit_test(rule_lossy_bitmap),
		cmocka_unit_test(rule_correlated_subplan),
		cmocka_unit_test(rule_large_offset),
		cmocka_unit_test(rule_stale_stats),
		cmocka_unit_test(findings_of_issues),
		cmocka_unit_test(rule_file_errors),
		cmocka_unit_test(all_plans_check_cleanly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
