/*
 * The EXPLAIN (FORMAT JSON) path: json_parse on the raw bytes (not NUL-terminated: the
 * parser is given a length), a walk over the tree, then plan_parse and, for a plan, every
 * reader of it: the rules (built-in thresholds and the shipped data/plan.rules), their
 * findings, each node's label (in a buffer large enough and in one too small) and detail,
 * times, children, and the plan's shape.
 */
#include <math.h>

#include "fuzz.h"
#include "json.h"
#include "plan.h"

static struct plan_rules *builtin, *shipped;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pgt_err err = {{0}};
	char *path = fuzz_data_path("plan.rules");

	(void)argc;
	(void)argv;
	builtin = plan_rules_new();
	shipped = plan_rules_new();
	if (plan_rules_load_file(shipped, path, &err) < 0) {
		fprintf(stderr, "fuzz_json_plan: %s\n", err.msg);
		exit(1);
	}
	free(path);
	return 0;
}

/* Visit every value: the accessors on each, and the bounds of what the parser built. */
static size_t
walk(const struct json *v, int depth)
{
	size_t n = 1;

	FUZZ_ASSERT(depth <= JSON_MAX_DEPTH + 1);
	(void)json_num(v, 0);
	(void)json_str(v);
	(void)json_get(v, "Plan");
	(void)json_item(v, 0);
	switch (v->type) {
	case JSON_STRING:
		FUZZ_ASSERT(v->u.str != NULL && v->u.str[v->n] == '\0');
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->n; i++)
			n += walk(&v->u.items[i], depth + 1);
		FUZZ_ASSERT(json_item(v, v->n) == NULL);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->n; i++) {
			const struct json_member *m = &v->u.members[i];

			FUZZ_ASSERT(m->key != NULL && m->key[m->key_len] == '\0');
			n += walk(&m->value, depth + 1);
		}
		break;
	case JSON_NUMBER:
		FUZZ_ASSERT(isfinite(v->u.number));
		break;
	default:
		break;
	}
	return n;
}

static void
check_plan(const struct plan *p, const struct plan_rules *rules)
{
	struct plan_table_stats stats[2] = {
		{"public", "orders", 1.0e6, 5.0e5, 0, 1.6e9},
		{NULL, "customers", 100, 0, 1.7e9, 0},
	};
	struct plan_issue *iss = NULL;
	struct finding *f = NULL;
	int n, nf;

	n = plan_check(p, rules, stats, 2, &iss);
	FUZZ_ASSERT(n >= 0);
	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(iss[i].node >= 0 && iss[i].node < p->n);
		FUZZ_ASSERT(iss[i].rule != NULL && iss[i].text != NULL);
	}
	nf = plan_issues_findings(p, iss, n, 1, 42, &f);
	findings_free(f, nf);
	plan_issues_free(iss, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact copy, without a terminator: the parsers read len bytes, no more */
	char *text = malloc(size ? size : 1);
	struct pgt_err err = {{0}};
	struct json *doc;
	struct plan *p;

	if (text == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	doc = json_parse(text, size, &err);
	if (doc != NULL) {
		walk(doc, 0);
		json_free(doc);
	} else {
		FUZZ_ASSERT(strncmp(err.msg, "JSON: ", 6) == 0);
	}

	memset(&err, 0, sizeof err);
	p = plan_parse(text, size, &err);
	if (p != NULL) {
		char big[4096], small[8];
		char *s;

		FUZZ_ASSERT(p->n >= 1 && p->n <= PLAN_MAX_NODES);
		for (int i = 0; i < p->n; i++) {
			const struct plan_node *nd = &p->nodes[i];
			int want, c;

			FUZZ_ASSERT(nd->end > i && nd->end <= p->n);
			FUZZ_ASSERT(i == 0 ? nd->parent == -1 : (nd->parent >= 0 && nd->parent < i));
			want = plan_node_label(p, i, big, sizeof big);
			FUZZ_ASSERT(want >= 0);
			if ((size_t)want < sizeof big)
				FUZZ_ASSERT(strlen(big) == (size_t)want);
			FUZZ_ASSERT(plan_node_label(p, i, small, sizeof small) == want);
			FUZZ_ASSERT(strlen(small) < sizeof small);
			s = plan_node_detail(p, i);
			FUZZ_ASSERT(s != NULL);
			free(s);
			(void)plan_node_rows_total(nd);
			(void)plan_node_removed_total(nd);
			(void)plan_node_time_total(nd);
			(void)plan_node_self_ms(p, i);
			/* the children: each inside the node's subtree, in order, finitely many */
			c = i;
			for (int k = 0; k <= p->n; k++) {
				int next = plan_node_child(p, i, c);

				if (next < 0)
					break;
				FUZZ_ASSERT(next > c && next < nd->end);
				FUZZ_ASSERT(p->nodes[next].parent == i);
				c = next;
			}
		}
		check_plan(p, builtin);
		check_plan(p, shipped);
		s = plan_shape(p);
		FUZZ_ASSERT(s != NULL);
		free(s);
		FUZZ_ASSERT(plan_shape_differs(p, p) == 0);
		plan_free(p);
	} else {
		FUZZ_ASSERT(err.msg[0] != '\0');
	}
	free(text);
	return 0;
}
