#include "config.h"

#include "plan.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "paths.h"

/* ---- parsing ---- */

struct builder {
	struct plan *p;
	int alloc;
	struct pgt_err *err;
};

static char *
str_of(const struct json *node, const char *key)
{
	const char *s = json_str(json_get(node, key));

	return s != NULL ? xstrdup(s) : NULL;
}

static double
num_of(const struct json *node, const char *key)
{
	return json_num(json_get(node, key), NAN);
}

/* "Sort Key" is an array of expressions; shown joined. */
static char *
keys_of(const struct json *node, const char *key)
{
	const struct json *a = json_get(node, key);
	struct strbuf sb = {0};
	size_t i;

	if (a == NULL)
		return NULL;
	if (a->type == JSON_STRING)
		return xstrdup(a->u.str);
	if (a->type != JSON_ARRAY)
		return NULL;
	for (i = 0; i < a->n; i++) {
		const char *s = json_str(json_item(a, i));

		if (s == NULL)
			continue;
		if (sb.len)
			sb_add(&sb, ", ");
		sb_add(&sb, s);
	}
	return sb_detach(&sb);
}

static int
add_node(struct builder *b, const struct json *o, int depth, int parent)
{
	struct plan_node *n;
	const struct json *kids;
	int me;
	size_t i;

	if (o->type != JSON_OBJECT) {
		pgt_err_set(b->err, "plan: node %d is not a JSON object", b->p->n);
		return -1;
	}
	if (json_str(json_get(o, "Node Type")) == NULL) {
		pgt_err_set(b->err, "plan: node %d has no \"Node Type\"", b->p->n);
		return -1;
	}
	if (b->p->n >= PLAN_MAX_NODES) {
		pgt_err_set(b->err, "plan: more than %d nodes", PLAN_MAX_NODES);
		return -1;
	}
	if (b->p->n == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 16;
		b->p->nodes = xreallocarray(b->p->nodes, (size_t)b->alloc, sizeof *b->p->nodes);
	}
	me = b->p->n++;
	n = &b->p->nodes[me];
	memset(n, 0, sizeof *n);
	n->depth = depth;
	n->parent = parent;
	n->node_type = str_of(o, "Node Type");
	n->operation = str_of(o, "Operation");
	n->parent_rel = str_of(o, "Parent Relationship");
	n->subplan_name = str_of(o, "Subplan Name");
	n->relation = str_of(o, "Relation Name");
	n->schema = str_of(o, "Schema");
	n->alias = str_of(o, "Alias");
	n->index_name = str_of(o, "Index Name");
	n->join_type = str_of(o, "Join Type");
	n->strategy = str_of(o, "Strategy");
	n->sort_key = keys_of(o, "Sort Key");
	n->sort_method = str_of(o, "Sort Method");
	n->sort_space_type = str_of(o, "Sort Space Type");
	n->sort_space_kb = num_of(o, "Sort Space Used");
	n->filter = str_of(o, "Filter");
	n->index_cond = str_of(o, "Index Cond");
	n->recheck_cond = str_of(o, "Recheck Cond");
	n->hash_cond = str_of(o, "Hash Cond");
	n->join_filter = str_of(o, "Join Filter");
	n->parallel_aware = json_get(o, "Parallel Aware") != NULL &&
			    json_get(o, "Parallel Aware")->type == JSON_BOOL &&
			    json_get(o, "Parallel Aware")->u.boolean;
	n->startup_cost = num_of(o, "Startup Cost");
	n->total_cost = num_of(o, "Total Cost");
	n->plan_rows = num_of(o, "Plan Rows");
	n->plan_width = num_of(o, "Plan Width");
	n->actual_rows = num_of(o, "Actual Rows");
	n->actual_loops = num_of(o, "Actual Loops");
	n->actual_startup_ms = num_of(o, "Actual Startup Time");
	n->actual_total_ms = num_of(o, "Actual Total Time");
	n->removed_filter = num_of(o, "Rows Removed by Filter");
	n->removed_recheck = num_of(o, "Rows Removed by Index Recheck");
	n->removed_join_filter = num_of(o, "Rows Removed by Join Filter");
	n->exact_heap_blocks = num_of(o, "Exact Heap Blocks");
	n->lossy_heap_blocks = num_of(o, "Lossy Heap Blocks");
	n->hash_batches = num_of(o, "Hash Batches");
	n->orig_hash_batches = num_of(o, "Original Hash Batches");
	n->peak_memory_kb = num_of(o, "Peak Memory Usage");
	n->heap_fetches = num_of(o, "Heap Fetches");
	n->temp_read = num_of(o, "Temp Read Blocks");
	n->temp_written = num_of(o, "Temp Written Blocks");
	n->workers_planned = num_of(o, "Workers Planned");
	n->workers_launched = num_of(o, "Workers Launched");
	n->shared_hit = num_of(o, "Shared Hit Blocks");
	n->shared_read = num_of(o, "Shared Read Blocks");
	if (!isnan(n->actual_loops))
		b->p->analyzed = 1;

	kids = json_get(o, "Plans");
	if (kids != NULL && kids->type != JSON_ARRAY) {
		pgt_err_set(b->err, "plan: \"Plans\" of node %d is not an array", me);
		return -1;
	}
	for (i = 0; kids != NULL && i < kids->n; i++)
		if (add_node(b, &kids->u.items[i], depth + 1, me) < 0)
			return -1;
	/* the array may have moved: n is stale */
	b->p->nodes[me].end = b->p->n;
	return 0;
}

static void
node_free(struct plan_node *n)
{
	free(n->node_type);
	free(n->operation);
	free(n->parent_rel);
	free(n->subplan_name);
	free(n->relation);
	free(n->schema);
	free(n->alias);
	free(n->index_name);
	free(n->join_type);
	free(n->strategy);
	free(n->sort_key);
	free(n->sort_method);
	free(n->sort_space_type);
	free(n->filter);
	free(n->index_cond);
	free(n->recheck_cond);
	free(n->hash_cond);
	free(n->join_filter);
}

void
plan_free(struct plan *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		node_free(&p->nodes[i]);
	free(p->nodes);
	free(p);
}

struct plan *
plan_parse(const char *text, size_t len, struct pgt_err *err)
{
	struct json *doc = json_parse(text, len, err);
	const struct json *top, *root;
	struct builder b;

	if (doc == NULL)
		return NULL;
	/* EXPLAIN gives a one-item array; the object alone is taken too */
	top = doc->type == JSON_ARRAY ? json_item(doc, 0) : doc;
	root = json_get(top, "Plan");
	if (root == NULL || root->type != JSON_OBJECT) {
		pgt_err_set(err, "plan: no \"Plan\" object: not EXPLAIN (FORMAT JSON) output");
		json_free(doc);
		return NULL;
	}
	memset(&b, 0, sizeof b);
	b.p = xcalloc(1, sizeof *b.p);
	b.err = err;
	b.p->planning_ms = num_of(top, "Planning Time");
	b.p->execution_ms = num_of(top, "Execution Time");
	if (add_node(&b, root, 0, -1) < 0) {
		plan_free(b.p);
		json_free(doc);
		return NULL;
	}
	json_free(doc);
	return b.p;
}

/* ---- figures ---- */

double
plan_node_rows_total(const struct plan_node *n)
{
	return n->actual_rows * n->actual_loops;
}

double
plan_node_removed_total(const struct plan_node *n)
{
	/* EXPLAIN divides the count by the loops; a plan without ANALYZE has none */
	if (isnan(n->removed_filter) || isnan(n->actual_loops))
		return 0;
	return n->removed_filter * n->actual_loops;
}

double
plan_node_time_total(const struct plan_node *n)
{
	return n->actual_total_ms * n->actual_loops;
}

int
plan_node_child(const struct plan *p, int i, int c)
{
	int next;

	if (p == NULL || i < 0 || i >= p->n || c < i || c >= p->nodes[i].end)
		return -1;
	next = c == i ? i + 1 : p->nodes[c].end;
	return next < p->nodes[i].end ? next : -1;
}

double
plan_node_self_ms(const struct plan *p, int i)
{
	double self;
	int c;

	if (p == NULL || i < 0 || i >= p->n)
		return NAN;
	self = plan_node_time_total(&p->nodes[i]);
	if (isnan(self))
		return NAN;
	for (c = plan_node_child(p, i, i); c >= 0; c = plan_node_child(p, i, c)) {
		double t = plan_node_time_total(&p->nodes[c]);

		if (!isnan(t))
			self -= t;
	}
	return self > 0 ? self : 0;
}

/* ---- text ---- */

static int
eq(const char *s, const char *v)
{
	return s != NULL && strcmp(s, v) == 0;
}

/* The node's name as EXPLAIN's text format writes it. */
static void
add_name(struct strbuf *sb, const struct plan_node *n)
{
	const char *t = n->node_type;
	size_t len = strlen(t);

	if (n->parallel_aware)
		sb_add(sb, "Parallel ");
	if (eq(t, "ModifyTable") && n->operation != NULL) {
		/* as EXPLAIN writes it: Insert on t, Update on t... */
		sb_add(sb, n->operation);
	} else if (eq(t, "Aggregate") || eq(t, "SetOp")) {
		if (eq(n->strategy, "Sorted") && eq(t, "Aggregate"))
			sb_add(sb, "Group");
		else if (eq(n->strategy, "Hashed"))
			sb_add(sb, "Hash");
		else if (eq(n->strategy, "Mixed"))
			sb_add(sb, "Mixed");
		sb_add(sb, t);
	} else if (n->join_type != NULL && !eq(n->join_type, "Inner") &&
		   (eq(t, "Nested Loop") || (len > 5 && strcmp(t + len - 5, " Join") == 0))) {
		/* Hash Join, Left -> Hash Left Join; Nested Loop, Left -> Nested Loop Left Join */
		if (eq(t, "Nested Loop"))
			sb_add(sb, t);
		else
			sb_addn(sb, t, len - 5);
		sb_addf(sb, " %s Join", n->join_type);
	} else {
		sb_add(sb, t);
	}
	if (n->index_name != NULL)
		sb_addf(sb, eq(t, "Bitmap Index Scan") ? " on %s" : " using %s", n->index_name);
	if (n->relation != NULL) {
		sb_add(sb, " on ");
		if (n->schema != NULL)
			sb_addf(sb, "%s.", n->schema);
		sb_add(sb, n->relation);
		if (n->alias != NULL && strcmp(n->alias, n->relation) != 0)
			sb_addf(sb, " %s", n->alias);
	}
}

/* The time the percentages are shares of: the top node's, else the execution time. */
static double
plan_time(const struct plan *p)
{
	double t = p->n > 0 ? plan_node_time_total(&p->nodes[0]) : NAN;

	return !isnan(t) && t > 0 ? t : p->execution_ms;
}

int
plan_node_label(const struct plan *p, int i, char *buf, size_t len)
{
	struct strbuf sb = {0};
	const struct plan_node *n;
	size_t wanted;

	if (p == NULL || i < 0 || i >= p->n) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	n = &p->nodes[i];
	if (n->subplan_name != NULL)
		sb_addf(&sb, "%s: ", n->subplan_name);
	add_name(&sb, n);
	sb_addf(&sb, "  (cost=%.2f..%.2f rows=%.0f width=%.0f)", n->startup_cost, n->total_cost,
		n->plan_rows, n->plan_width);
	if (p->analyzed) {
		if (isnan(n->actual_loops) || n->actual_loops == 0) {
			sb_add(&sb, " (never executed)");
		} else {
			double self = plan_node_self_ms(p, i), all = plan_time(p);

			sb_addf(&sb, " (actual rows=%.0f loops=%.0f time=%.3f ms", n->actual_rows,
				n->actual_loops, plan_node_time_total(n));
			if (!isnan(self) && !isnan(all) && all > 0)
				sb_addf(&sb, ", %.0f%%", 100 * fmin(self / all, 1));
			sb_addc(&sb, ')');
		}
	}
	wanted = sb.len;
	if (len > 0)
		strlcpy_(buf, sb_str(&sb), len);
	sb_release(&sb);
	return (int)wanted;
}

char *
plan_node_detail(const struct plan *p, int i)
{
	struct strbuf sb = {0};
	const struct plan_node *n;

	if (p == NULL || i < 0 || i >= p->n)
		return xstrdup("");
	n = &p->nodes[i];
#define LINE_S(label, v)                                                                  \
	do {                                                                              \
		if ((v) != NULL)                                                          \
			sb_addf(&sb, "%s: %s\n", label, v);                               \
	} while (0)
#define LINE_N(label, v)                                                                  \
	do {                                                                              \
		if (!isnan(v))                                                            \
			sb_addf(&sb, "%s: %.0f\n", label, v);                             \
	} while (0)
	LINE_S("Join Type", n->join_type);
	LINE_S("Hash Cond", n->hash_cond);
	LINE_S("Index Cond", n->index_cond);
	LINE_S("Recheck Cond", n->recheck_cond);
	LINE_S("Join Filter", n->join_filter);
	LINE_N("Rows Removed by Join Filter", n->removed_join_filter);
	LINE_S("Filter", n->filter);
	LINE_N("Rows Removed by Filter", n->removed_filter);
	LINE_N("Rows Removed by Index Recheck", n->removed_recheck);
	LINE_S("Sort Key", n->sort_key);
	if (n->sort_method != NULL) {
		sb_addf(&sb, "Sort Method: %s", n->sort_method);
		if (n->sort_space_type != NULL && !isnan(n->sort_space_kb))
			sb_addf(&sb, "  %s: %.0fkB", n->sort_space_type, n->sort_space_kb);
		sb_addc(&sb, '\n');
	}
	if (!isnan(n->exact_heap_blocks) || !isnan(n->lossy_heap_blocks))
		sb_addf(&sb, "Heap Blocks: exact=%.0f lossy=%.0f\n",
			isnan(n->exact_heap_blocks) ? 0 : n->exact_heap_blocks,
			isnan(n->lossy_heap_blocks) ? 0 : n->lossy_heap_blocks);
	if (!isnan(n->hash_batches)) {
		sb_addf(&sb, "Batches: %.0f", n->hash_batches);
		if (!isnan(n->orig_hash_batches) && n->orig_hash_batches != n->hash_batches)
			sb_addf(&sb, " (originally %.0f)", n->orig_hash_batches);
		if (!isnan(n->peak_memory_kb))
			sb_addf(&sb, "  Memory Usage: %.0fkB", n->peak_memory_kb);
		sb_addc(&sb, '\n');
	}
	LINE_N("Heap Fetches", n->heap_fetches);
	LINE_N("Workers Planned", n->workers_planned);
	LINE_N("Workers Launched", n->workers_launched);
	if (!isnan(n->shared_hit) || !isnan(n->shared_read))
		sb_addf(&sb, "Buffers: shared hit=%.0f read=%.0f\n",
			isnan(n->shared_hit) ? 0 : n->shared_hit,
			isnan(n->shared_read) ? 0 : n->shared_read);
	if ((!isnan(n->temp_read) && n->temp_read > 0) ||
	    (!isnan(n->temp_written) && n->temp_written > 0))
		sb_addf(&sb, "Temp Blocks: read=%.0f written=%.0f\n",
			isnan(n->temp_read) ? 0 : n->temp_read,
			isnan(n->temp_written) ? 0 : n->temp_written);
#undef LINE_S
#undef LINE_N
	return sb_detach(&sb);
}

/* ---- shape ---- */

char *
plan_shape(const struct plan *p)
{
	struct strbuf sb = {0};
	int i, open = 0;

	if (p == NULL)
		return xstrdup("");
	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];

		/* close the subtrees that ended before this node */
		for (; open > n->depth; open--)
			sb_addc(&sb, ')');
		if (i > 0 && p->nodes[i - 1].depth >= n->depth)
			sb_add(&sb, ", ");
		/* names quoted as JSON strings: no name can fake the punctuation */
		sb_add(&sb, n->node_type);
		if (n->parallel_aware)
			sb_add(&sb, " parallel");
		if (n->parent_rel != NULL)
			sb_addf(&sb, " [%s]", n->parent_rel);
		if (n->strategy != NULL)
			sb_addf(&sb, " strategy=%s", n->strategy);
		if (n->join_type != NULL)
			sb_addf(&sb, " join=%s", n->join_type);
		/* the schema comes with VERBOSE only: left out, so that captures compare */
		if (n->relation != NULL) {
			sb_add(&sb, " on ");
			sb_add_json(&sb, n->relation);
		}
		if (n->index_name != NULL) {
			sb_add(&sb, " using ");
			sb_add_json(&sb, n->index_name);
		}
		if (n->end > i + 1) {
			sb_add(&sb, " (");
			open++;
		}
	}
	for (; open > 0; open--)
		sb_addc(&sb, ')');
	return sb_detach(&sb);
}

int
plan_shape_differs(const struct plan *a, const struct plan *b)
{
	char *sa, *sb;
	int d;

	if (a == NULL || b == NULL)
		return a != b;
	sa = plan_shape(a);
	sb = plan_shape(b);
	d = strcmp(sa, sb) != 0;
	free(sa);
	free(sb);
	return d;
}

/* ---- rules: what a rule reads is code, its thresholds are data ---- */

#define MAX_KEYS 6

enum rule {
	R_ROW_MISESTIMATE,
	R_SEQ_SCAN_FILTER,
	R_INDEX_FILTER,
	R_SORT_SPILL,
	R_HASH_SPILL,
	R_NESTED_LOOP,
	R_LOSSY_BITMAP,
	R_SUBPLAN,
	R_LARGE_OFFSET,
	R_STALE_STATS,
	R_COUNT
};

struct rule_def {
	const char *id;
	const char *metric; /* what the issue's value measures */
	const char *title;
	const char *keys[MAX_KEYS]; /* NULL-terminated when fewer */
	double def[MAX_KEYS];
};

static const struct rule_def defs[R_COUNT] = {
	[R_ROW_MISESTIMATE] = {PLAN_ROW_MISESTIMATE, "misestimate_factor",
			       "Row estimate far from the rows returned",
			       {"min_rows", "low_factor", "medium_factor", "high_factor"},
			       {100, 10, 100, 1000}},
	[R_SEQ_SCAN_FILTER] = {PLAN_SEQ_SCAN_FILTER, "removed_share",
			       "Sequential scan discards most of the rows it reads",
			       {"min_removed_share", "min_rows_read", "high_rows_read",
				"min_live_rows", "max_estimated_share"},
			       {0.9, 10000, 1000000, 100000, 0.1}},
	[R_INDEX_FILTER] = {PLAN_INDEX_FILTER, "removed_share",
			    "Index scan filters out most of the rows it fetches",
			    {"min_removed_share", "min_rows_read", "high_rows_read"},
			    {0.8, 1000, 1000000}},
	[R_SORT_SPILL] = {PLAN_SORT_SPILL, "sort_disk_kb", "Sort spilled to disk",
			  {"min_space_kb", "high_space_kb"},
			  {0, 102400}},
	[R_HASH_SPILL] = {PLAN_HASH_SPILL, "hash_batches",
			  "Hash table split into batches on disk",
			  {"min_batches", "high_batches"},
			  {2, 64}},
	[R_NESTED_LOOP] = {PLAN_NESTED_LOOP_INNER_LOOPS, "inner_loops",
			   "Nested loop runs its inner side many times",
			   {"min_loops", "min_inner_ms", "high_inner_ms"},
			   {1000, 100, 1000}},
	[R_LOSSY_BITMAP] = {PLAN_LOSSY_BITMAP, "lossy_share",
			    "Bitmap heap scan lost track of rows (lossy pages)",
			    {"min_lossy_share", "high_lossy_share", "min_blocks"},
			    {0.1, 0.5, 100}},
	[R_SUBPLAN] = {PLAN_CORRELATED_SUBPLAN, "subplan_loops",
		       "Subquery runs once for each outer row",
		       {"min_loops", "high_loops"},
		       {1000, 10000}},
	[R_LARGE_OFFSET] = {PLAN_LARGE_OFFSET, "skipped_rows",
			    "Limit reads far more rows than it returns",
			    {"min_skipped_rows", "min_ratio", "high_skipped_rows"},
			    {10000, 100, 1000000}},
	[R_STALE_STATS] = {PLAN_STALE_STATS, "modified_share", "Table statistics are stale",
			   {"min_modified_share", "min_rows", "high_modified_share"},
			   {0.2, 1000, 1}},
};

struct plan_rules {
	int enabled[R_COUNT];
	double thr[R_COUNT][MAX_KEYS];
};

struct plan_rules *
plan_rules_new(void)
{
	struct plan_rules *r = xcalloc(1, sizeof *r);
	int i, k;

	for (i = 0; i < R_COUNT; i++) {
		r->enabled[i] = 1;
		for (k = 0; k < MAX_KEYS; k++)
			r->thr[i][k] = defs[i].def[k];
	}
	return r;
}

void
plan_rules_free(struct plan_rules *r)
{
	free(r);
}

static int
rule_of(const char *id)
{
	int i;

	for (i = 0; id != NULL && i < R_COUNT; i++)
		if (strcmp(defs[i].id, id) == 0)
			return i;
	return -1;
}

static int
key_of(int rule, const char *key)
{
	int k;

	for (k = 0; k < MAX_KEYS && defs[rule].keys[k] != NULL; k++)
		if (strcmp(defs[rule].keys[k], key) == 0)
			return k;
	return -1;
}

double
plan_rules_get(const struct plan_rules *r, const char *rule, const char *key)
{
	int i = rule_of(rule), k;

	if (r == NULL || i < 0 || key == NULL || (k = key_of(i, key)) < 0)
		return NAN;
	return r->thr[i][k];
}

int
plan_rules_enabled(const struct plan_rules *r, const char *rule)
{
	int i = rule_of(rule);

	return r != NULL && i >= 0 && r->enabled[i];
}

static void
list_names(struct strbuf *sb, int rule)
{
	int i;

	for (i = 0; rule < 0 ? i < R_COUNT : i < MAX_KEYS && defs[rule].keys[i] != NULL; i++) {
		if (i)
			sb_add(sb, ", ");
		sb_add(sb, rule < 0 ? defs[i].id : defs[rule].keys[i]);
	}
}

int
plan_rules_load_text(struct plan_rules *r, const char *text, const char *name,
		     struct pgt_err *err)
{
	char *copy = xstrdup(text), *line, *next;
	struct plan_rules work = *r;
	int seen[R_COUNT] = {0};
	int lineno = 0, cur = -1, rc = -1;

	/* into a copy: a file with an error changes nothing */
	for (line = copy; line != NULL; line = next) {
		char *l, *eq, *key, *v;
		struct strbuf names = {0};
		int k;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		l = str_trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']');

			if (e == NULL || *str_trim(e + 1) != '\0' || strncmp(l, "[rule ", 6) != 0) {
				pgt_err_set(err, "%s:%d: a header is [rule ID]", name, lineno);
				goto out;
			}
			*e = '\0';
			cur = rule_of(str_trim(l + 6));
			if (cur < 0) {
				list_names(&names, -1);
				pgt_err_set(err, "%s:%d: unknown plan rule '%s' (%s)", name, lineno,
					    str_trim(l + 6), sb_str(&names));
				sb_release(&names);
				goto out;
			}
			if (seen[cur]) {
				pgt_err_set(err, "%s:%d: rule '%s' appears twice in the file", name,
					    lineno, defs[cur].id);
				goto out;
			}
			seen[cur] = 1;
			continue;
		}
		if (cur < 0) {
			pgt_err_set(err, "%s:%d: a key before the first [rule ID]", name, lineno);
			goto out;
		}
		eq = strchr(l, '=');
		if (eq == NULL) {
			pgt_err_set(err, "%s:%d: a line is KEY = VALUE", name, lineno);
			goto out;
		}
		*eq = '\0';
		key = str_trim(l);
		v = str_trim(eq + 1);
		if (*v == '\0') {
			pgt_err_set(err, "%s:%d: '%s' has no value", name, lineno, key);
			goto out;
		}
		if (strcmp(key, "enabled") == 0) {
			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				pgt_err_set(err, "%s:%d: 'enabled' is yes or no, not '%s'", name,
					    lineno, v);
				goto out;
			}
			work.enabled[cur] = v[0] == 'y';
			continue;
		}
		k = key_of(cur, key);
		if (k < 0) {
			list_names(&names, cur);
			pgt_err_set(err, "%s:%d: unknown key '%s' (rule %s has: enabled, %s)", name,
				    lineno, key, defs[cur].id, sb_str(&names));
			sb_release(&names);
			goto out;
		}
		if (parse_double(v, 0, 1e15, &work.thr[cur][k]) < 0) {
			pgt_err_set(err, "%s:%d: '%s' is a number from 0 to 1e15, not '%s'", name,
				    lineno, key, v);
			goto out;
		}
	}
	*r = work;
	rc = 0;
out:
	free(copy);
	return rc;
}

int
plan_rules_load_file(struct plan_rules *r, const char *path, struct pgt_err *err)
{
	char *text = read_text_file(path, "plan rules", err);
	int rc;

	if (text == NULL)
		return -1;
	rc = plan_rules_load_text(r, text, path, err);
	free(text);
	return rc;
}

static int
load_file_cb(void *ctx, const char *path, struct pgt_err *err)
{
	return plan_rules_load_file(ctx, path, err);
}

int
plan_rules_load_default(struct plan_rules *r, struct pgt_err *err)
{
	return paths_load_rules("plan.rules", "plan rules", load_file_cb, r, err);
}

/* ---- checks ---- */

struct issues {
	struct plan_issue *v;
	int n, alloc;
};

static double
th(const struct plan_rules *r, enum rule rule, const char *key)
{
	int k = key_of(rule, key);

	return k >= 0 ? r->thr[rule][k] : NAN;
}

static void PGT_PRINTF(7, 8)
add_issue(struct issues *is, int node, enum rule rule, const char *sev, double value,
	  double thr, const char *fmt, ...)
{
	struct plan_issue *x;
	va_list ap;

	if (is->n == is->alloc) {
		is->alloc = is->alloc ? is->alloc * 2 : 8;
		is->v = xreallocarray(is->v, (size_t)is->alloc, sizeof *is->v);
	}
	x = &is->v[is->n++];
	x->node = node;
	x->rule = defs[rule].id;
	x->severity = sev;
	x->value = value;
	x->threshold = thr;
	{
		struct strbuf sb = {0};

		va_start(ap, fmt);
		sb_vaddf(&sb, fmt, ap);
		va_end(ap);
		x->text = sb_detach(&sb);
	}
	x->suggestion = NULL;
}

static void
suggest(struct issues *is, char *s)
{
	is->v[is->n - 1].suggestion = s;
}

/* "Seq Scan on events" for the texts: a new string */
static char *
name_of(const struct plan_node *n)
{
	struct strbuf sb = {0};

	add_name(&sb, n);
	return sb_detach(&sb);
}

static int
ran(const struct plan_node *n)
{
	return !isnan(n->actual_loops) && n->actual_loops > 0;
}

/* Below a Limit a node may stop early: fewer rows than estimated is no error there. */
static int
under_limit(const struct plan *p, int i)
{
	for (i = p->nodes[i].parent; i >= 0; i = p->nodes[i].parent)
		if (eq(p->nodes[i].node_type, "Limit"))
			return 1;
	return 0;
}

static void
check_misestimate(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_rows = th(r, R_ROW_MISESTIMATE, "min_rows");
	double low = th(r, R_ROW_MISESTIMATE, "low_factor");
	double medium = th(r, R_ROW_MISESTIMATE, "medium_factor");
	double high = th(r, R_ROW_MISESTIMATE, "high_factor");
	int i;

	if (!p->analyzed)
		return;
	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		double est, act, factor, thr;
		const char *sev;
		char *name;

		if (!ran(n) || isnan(n->plan_rows) || isnan(n->actual_rows))
			continue;
		/* both per loop in EXPLAIN: compared over all loops */
		est = n->plan_rows * n->actual_loops;
		act = plan_node_rows_total(n);
		if (est < min_rows && act < min_rows)
			continue;
		if (act < est && under_limit(p, i))
			continue;
		factor = fmax(est, act) / fmax(fmin(est, act), 1);
		if (factor >= high) {
			sev = "high";
			thr = high;
		} else if (factor >= medium) {
			sev = "medium";
			thr = medium;
		} else if (factor >= low) {
			sev = "low";
			thr = low;
		} else {
			continue;
		}
		name = name_of(n);
		add_issue(is, i, R_ROW_MISESTIMATE, sev, factor, thr,
			  "%s: the planner estimated %.0f row%s and got %.0f over %.0f loop%s, "
			  "%.0f times %s.",
			  name, est, est == 1 ? "" : "s", act, n->actual_loops,
			  n->actual_loops == 1 ? "" : "s", factor, act > est ? "more" : "fewer");
		suggest(is, xstrdup("Run ANALYZE on the tables it reads; if the estimate stays "
				    "wrong, raise the statistics target of the columns in its "
				    "conditions or add extended statistics (CREATE STATISTICS) for "
				    "columns that depend on each other."));
		free(name);
	}
}

/* The statistics of the node's table: NULL when unknown, or ambiguous without a schema. */
static const struct plan_table_stats *
stats_of(const struct plan_node *n, const struct plan_table_stats *st, int n_st)
{
	const struct plan_table_stats *found = NULL;
	int i;

	if (n->relation == NULL)
		return NULL;
	for (i = 0; i < n_st; i++) {
		if (st[i].relname == NULL || strcmp(st[i].relname, n->relation) != 0)
			continue;
		if (n->schema != NULL && st[i].schema != NULL && strcmp(n->schema, st[i].schema) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = &st[i];
	}
	return found;
}

static void
check_seq_scan(const struct plan *p, const struct plan_rules *r,
	       const struct plan_table_stats *st, int n_st, struct issues *is)
{
	double min_share = th(r, R_SEQ_SCAN_FILTER, "min_removed_share");
	double min_read = th(r, R_SEQ_SCAN_FILTER, "min_rows_read");
	double high_read = th(r, R_SEQ_SCAN_FILTER, "high_rows_read");
	double min_live = th(r, R_SEQ_SCAN_FILTER, "min_live_rows");
	double max_est = th(r, R_SEQ_SCAN_FILTER, "max_estimated_share");
	const char *why = "An index on the columns of the filter lets PostgreSQL read only the "
			  "rows that match, instead of the whole table.";
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		const struct plan_table_stats *s;
		double removed, read, share;
		char *name;

		if (!eq(n->node_type, "Seq Scan") || n->filter == NULL)
			continue;
		if (p->analyzed) {
			if (!ran(n))
				continue;
			removed = plan_node_removed_total(n);
			read = plan_node_rows_total(n) + removed;
			if (read < min_read || read <= 0)
				continue;
			share = removed / read;
			if (share < min_share)
				continue;
			name = name_of(n);
			add_issue(is, i, R_SEQ_SCAN_FILTER, read >= high_read ? "high" : "medium",
				  share, min_share,
				  "%s read %.0f rows and its filter %s discarded %.0f of them "
				  "(%.1f%%).",
				  name, read, n->filter, removed, 100 * share);
		} else {
			/* no actual rows: the estimate against the table's live rows */
			s = stats_of(n, st, n_st);
			if (s == NULL || isnan(s->live_rows) || s->live_rows < min_live ||
			    isnan(n->plan_rows))
				continue;
			share = n->plan_rows / s->live_rows;
			if (share > max_est)
				continue;
			name = name_of(n);
			add_issue(is, i, R_SEQ_SCAN_FILTER,
				  s->live_rows >= high_read ? "medium" : "low", share, max_est,
				  "%s reads a table of %.0f live rows to keep an estimated %.0f "
				  "(%.2f%%) with the filter %s.",
				  name, s->live_rows, n->plan_rows, 100 * share, n->filter);
		}
		suggest(is, xstrdup(why));
		free(name);
	}
}

static void
check_index_filter(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_share = th(r, R_INDEX_FILTER, "min_removed_share");
	double min_read = th(r, R_INDEX_FILTER, "min_rows_read");
	double high_read = th(r, R_INDEX_FILTER, "high_rows_read");
	int i;

	if (!p->analyzed)
		return;
	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		double removed, read, share;
		char *name;

		if (!(eq(n->node_type, "Index Scan") || eq(n->node_type, "Index Only Scan") ||
		      eq(n->node_type, "Bitmap Heap Scan")) ||
		    n->filter == NULL || !ran(n))
			continue;
		removed = plan_node_removed_total(n);
		read = plan_node_rows_total(n) + removed;
		if (read < min_read || read <= 0)
			continue;
		share = removed / read;
		if (share < min_share)
			continue;
		name = name_of(n);
		add_issue(is, i, R_INDEX_FILTER, read >= high_read ? "high" : "medium", share,
			  min_share,
			  "%s fetched %.0f rows and its filter %s discarded %.0f of them (%.1f%%).",
			  name, read, n->filter, removed, 100 * share);
		suggest(is, xstrdup("Put the filtered columns in the index (or make it a partial "
				    "index on the filter) so that rows are rejected in the index "
				    "rather than after fetching them from the table."));
		free(name);
	}
}

static void
check_sort_spill(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_kb = th(r, R_SORT_SPILL, "min_space_kb");
	double high_kb = th(r, R_SORT_SPILL, "high_space_kb");
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		double kb = isnan(n->sort_space_kb) ? 0 : n->sort_space_kb;

		if (!(eq(n->sort_space_type, "Disk") ||
		      (n->sort_method != NULL && strstr(n->sort_method, "external") != NULL)))
			continue;
		if (kb < min_kb)
			continue;
		add_issue(is, i, R_SORT_SPILL, kb >= high_kb ? "high" : "medium", kb, min_kb,
			  "The sort%s%s wrote %.0f kB to disk (%s).",
			  n->sort_key != NULL ? " by " : "", n->sort_key != NULL ? n->sort_key : "",
			  kb, n->sort_method != NULL ? n->sort_method : "external sort");
		suggest(is, xasprintf("Give the statement more work_mem than the %.0f kB the sort "
				      "wrote (SET LOCAL work_mem), sort fewer rows, or read them "
				      "in order from an index.",
				      kb));
	}
}

static void
check_hash_spill(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_b = th(r, R_HASH_SPILL, "min_batches");
	double high_b = th(r, R_HASH_SPILL, "high_batches");
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		double b = n->hash_batches, o = n->orig_hash_batches;

		if (!eq(n->node_type, "Hash") || isnan(b))
			continue;
		if (!(b >= min_b || (!isnan(o) && b > o && b > 1)))
			continue;
		if (!isnan(o) && b > o)
			add_issue(is, i, R_HASH_SPILL, b >= high_b ? "high" : "medium", b, min_b,
				  "The hash table grew to %.0f batches on disk, from the %.0f "
				  "planned: the hashed side had more rows than estimated.",
				  b, o);
		else
			add_issue(is, i, R_HASH_SPILL, b >= high_b ? "high" : "medium", b, min_b,
				  "The hash table was split into %.0f batches, written to disk in "
				  "turn%s.",
				  b,
				  !isnan(n->peak_memory_kb) && n->peak_memory_kb > 0
					  ? ", as it did not fit in work_mem"
					  : "");
		suggest(is, xstrdup("Raise work_mem (or hash_mem_multiplier) for the statement "
				    "so that the hash table fits in memory, and check the row "
				    "estimate of the hashed side."));
	}
}

static void
check_nested_loop(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_loops = th(r, R_NESTED_LOOP, "min_loops");
	double min_ms = th(r, R_NESTED_LOOP, "min_inner_ms");
	double high_ms = th(r, R_NESTED_LOOP, "high_inner_ms");
	const char *why = "Check the row estimate of the outer side: for this many rows a hash "
			  "or merge join may be cheaper; otherwise an index that fits the join "
			  "condition makes each inner run short.";
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		int outer = plan_node_child(p, i, i), inner, c;
		char *name;

		if (!eq(n->node_type, "Nested Loop") || outer < 0)
			continue;
		inner = plan_node_child(p, i, outer);
		for (c = outer; c >= 0; c = plan_node_child(p, i, c))
			if (eq(p->nodes[c].parent_rel, "Inner"))
				inner = c;
		if (inner < 0 || inner == outer)
			continue;
		if (p->analyzed) {
			const struct plan_node *in = &p->nodes[inner];
			double loops = in->actual_loops, ms;

			if (!ran(n) || isnan(loops) || loops < min_loops)
				continue;
			/*
			 * The inner node's own time per loop is rounded to microseconds,
			 * which hides fast loops: the join's time less the outer side's
			 * counts them too.
			 */
			ms = fmax(plan_node_time_total(in),
				  plan_node_time_total(n) - plan_node_time_total(&p->nodes[outer]));
			if (isnan(ms) || ms < min_ms)
				continue;
			name = name_of(in);
			add_issue(is, i, R_NESTED_LOOP, ms >= high_ms ? "high" : "medium", loops,
				  min_loops,
				  "The nested loop ran its inner side (%s) %.0f times, for %.1f ms "
				  "in all.",
				  name, loops, ms);
		} else {
			double est = p->nodes[outer].plan_rows;

			if (isnan(est) || est < min_loops)
				continue;
			name = name_of(&p->nodes[inner]);
			add_issue(is, i, R_NESTED_LOOP, "low", est, min_loops,
				  "The nested loop is planned to run its inner side (%s) once for "
				  "each of an estimated %.0f outer rows.",
				  name, est);
		}
		suggest(is, xstrdup(why));
		free(name);
	}
}

static void
check_lossy(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_share = th(r, R_LOSSY_BITMAP, "min_lossy_share");
	double high_share = th(r, R_LOSSY_BITMAP, "high_lossy_share");
	double min_blocks = th(r, R_LOSSY_BITMAP, "min_blocks");
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		double lossy = n->lossy_heap_blocks, all, share, recheck;

		if (!eq(n->node_type, "Bitmap Heap Scan") || isnan(lossy) || lossy <= 0)
			continue;
		all = lossy + (isnan(n->exact_heap_blocks) ? 0 : n->exact_heap_blocks);
		share = lossy / all;
		if (all < min_blocks || share < min_share)
			continue;
		/* Rows Removed by Index Recheck is per loop, like the filter's count */
		recheck = n->removed_recheck * (ran(n) ? n->actual_loops : 1);
		add_issue(is, i, R_LOSSY_BITMAP, share >= high_share ? "high" : "medium", share,
			  min_share,
			  "The bitmap kept %.0f of %.0f heap blocks (%.0f%%) as whole pages "
			  "(lossy), whose rows were all checked again.",
			  lossy, all, 100 * share);
		if (!isnan(recheck)) {
			struct plan_issue *x = &is->v[is->n - 1];
			char *t = xasprintf("%s The recheck removed %.0f rows.", x->text, recheck);

			free(x->text);
			x->text = t;
		}
		suggest(is, xstrdup("Raise work_mem for the statement so that the bitmap keeps "
				    "exact row positions, or make the condition more selective."));
	}
}

/* A hashed SubPlan runs once, whatever the rows around it. */
static int
hashed_subplan(const struct plan_node *parent, const char *name)
{
	const char *conds[] = {parent->filter, parent->join_filter, parent->index_cond,
			       parent->recheck_cond, parent->hash_cond};
	char *pat;
	size_t i;
	int found = 0;

	if (name == NULL)
		return 0;
	pat = xasprintf("hashed %s", name);
	for (i = 0; i < sizeof conds / sizeof conds[0] && !found; i++)
		found = conds[i] != NULL && strstr(conds[i], pat) != NULL;
	free(pat);
	return found;
}

static void
check_subplan(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_loops = th(r, R_SUBPLAN, "min_loops");
	double high_loops = th(r, R_SUBPLAN, "high_loops");
	const char *why = "Rewrite the subquery as a join (a LATERAL join, or a join to the "
			  "subquery grouped by the correlated column) so that it runs once "
			  "rather than once per row.";
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i];
		const char *sp = n->subplan_name != NULL ? n->subplan_name : "the subplan";

		if (!eq(n->parent_rel, "SubPlan") || n->parent < 0)
			continue;
		if (p->analyzed) {
			double loops = n->actual_loops;

			if (isnan(loops) || loops < min_loops)
				continue;
			add_issue(is, i, R_SUBPLAN, loops > high_loops ? "medium" : "low", loops,
				  min_loops, "%s ran %.0f times, once for each outer row, for %.1f ms "
				  "in all.",
				  sp, loops, plan_node_time_total(n));
		} else {
			const struct plan_node *up = &p->nodes[n->parent];

			if (isnan(up->plan_rows) || up->plan_rows < min_loops ||
			    hashed_subplan(up, n->subplan_name))
				continue;
			add_issue(is, i, R_SUBPLAN, "low", up->plan_rows, min_loops,
				  "%s runs once for each row of its parent, an estimated %.0f times.",
				  sp, up->plan_rows);
		}
		suggest(is, xstrdup(why));
	}
}

static void
check_offset(const struct plan *p, const struct plan_rules *r, struct issues *is)
{
	double min_skip = th(r, R_LARGE_OFFSET, "min_skipped_rows");
	double min_ratio = th(r, R_LARGE_OFFSET, "min_ratio");
	double high_skip = th(r, R_LARGE_OFFSET, "high_skipped_rows");
	int i;

	for (i = 0; i < p->n; i++) {
		const struct plan_node *n = &p->nodes[i], *c;
		int ci = plan_node_child(p, i, i);
		double in, out, skipped;

		if (!eq(n->node_type, "Limit") || ci < 0)
			continue;
		c = &p->nodes[ci];
		if (p->analyzed) {
			if (!ran(n) || !ran(c))
				continue;
			in = plan_node_rows_total(c);
			out = plan_node_rows_total(n);
		} else {
			/*
			 * The planner charges the rows an OFFSET skips to the Limit's startup
			 * cost, in proportion to its input's run cost: that share of the
			 * input's rows is what the Limit is planned to read and throw away.
			 */
			double run = c->total_cost - c->startup_cost;

			if (!(run > 0) || isnan(c->plan_rows) || isnan(n->startup_cost))
				continue;
			out = n->plan_rows;
			in = (n->startup_cost - c->startup_cost) / run * c->plan_rows;
			in = fmax(in, 0) + (isnan(out) ? 0 : out);
		}
		skipped = in - (isnan(out) ? 0 : out);
		if (isnan(skipped) || skipped < min_skip || in < min_ratio * fmax(out, 1))
			continue;
		add_issue(is, i, R_LARGE_OFFSET, skipped >= high_skip ? "high" : "medium", skipped,
			  min_skip,
			  p->analyzed ? "The Limit read %.0f rows to return %.0f: %.0f were "
					"skipped (OFFSET)."
				      : "The Limit is planned to read %.0f rows to return %.0f: "
					"%.0f skipped (OFFSET).",
			  in, out, skipped);
		suggest(is, xstrdup("Page with a condition on the sort key (WHERE key > the last "
				    "value seen ORDER BY key LIMIT n) instead of OFFSET, which "
				    "reads and discards every skipped row."));
	}
}

static void
check_stale(const struct plan *p, const struct plan_rules *r, const struct plan_table_stats *st,
	    int n_st, struct issues *is)
{
	double min_share = th(r, R_STALE_STATS, "min_modified_share");
	double min_rows = th(r, R_STALE_STATS, "min_rows");
	double high_share = th(r, R_STALE_STATS, "high_modified_share");
	int k, i;

	/* per table: the first node that reads it carries the issue */
	for (k = 0; k < n_st; k++) {
		const struct plan_table_stats *s = &st[k];
		double live = isnan(s->live_rows) ? 0 : s->live_rows;
		double mod = isnan(s->mod_since_analyze) ? 0 : s->mod_since_analyze;
		char *qual;

		for (i = 0; i < p->n && stats_of(&p->nodes[i], st, n_st) != s; i++)
			;
		if (i == p->n)
			continue;
		qual = s->schema != NULL ? xasprintf("%s.%s", s->schema, s->relname)
					 : xstrdup(s->relname);
		if (!(s->last_analyze > 0) && !(s->last_autoanalyze > 0)) {
			if (live + mod < min_rows) {
				free(qual);
				continue;
			}
			add_issue(is, i, R_STALE_STATS, "high", live, min_rows,
				  "The table %s (%.0f live rows) has never been analyzed: the "
				  "planner guesses its rows and values.",
				  qual, live);
		} else {
			double share = mod / fmax(live, 1);

			if (mod < min_rows || share < min_share) {
				free(qual);
				continue;
			}
			add_issue(is, i, R_STALE_STATS, share >= high_share ? "high" : "medium",
				  share, min_share,
				  "The table %s had %.0f rows changed since its last analyze, %.0f%% "
				  "of its %.0f live rows.",
				  qual, mod, 100 * share, live);
		}
		suggest(is, xasprintf("Run ANALYZE %s; and check that autovacuum analyzes it often "
				      "enough (autovacuum_analyze_scale_factor for the table).",
				      qual));
		free(qual);
	}
}

static int
issue_cmp(const void *a, const void *b)
{
	const struct plan_issue *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	/* the rules in the order of defs, which is fixed */
	return rule_of(x->rule) - rule_of(y->rule);
}

int
plan_check(const struct plan *p, const struct plan_rules *r,
	   const struct plan_table_stats *stats, int n_stats, struct plan_issue **out)
{
	struct issues is = {0};

	*out = NULL;
	if (p == NULL || r == NULL)
		return 0;
	if (stats == NULL)
		n_stats = 0;
	if (r->enabled[R_ROW_MISESTIMATE])
		check_misestimate(p, r, &is);
	if (r->enabled[R_SEQ_SCAN_FILTER])
		check_seq_scan(p, r, stats, n_stats, &is);
	if (r->enabled[R_INDEX_FILTER])
		check_index_filter(p, r, &is);
	if (r->enabled[R_SORT_SPILL])
		check_sort_spill(p, r, &is);
	if (r->enabled[R_HASH_SPILL])
		check_hash_spill(p, r, &is);
	if (r->enabled[R_NESTED_LOOP])
		check_nested_loop(p, r, &is);
	if (r->enabled[R_LOSSY_BITMAP])
		check_lossy(p, r, &is);
	if (r->enabled[R_SUBPLAN])
		check_subplan(p, r, &is);
	if (r->enabled[R_LARGE_OFFSET])
		check_offset(p, r, &is);
	if (r->enabled[R_STALE_STATS])
		check_stale(p, r, stats, n_stats, &is);
	if (is.n > 1)
		qsort(is.v, (size_t)is.n, sizeof *is.v, issue_cmp);
	*out = is.v;
	return is.n;
}

void
plan_issues_free(struct plan_issue *iss, int n)
{
	int i;

	for (i = 0; i < n && iss != NULL; i++) {
		free(iss[i].text);
		free(iss[i].suggestion);
	}
	free(iss);
}

/* ---- findings ---- */

/* A number in JSON: the C locale's decimal point whatever the program's locale. */
static void
add_num(struct strbuf *sb, double v)
{
	char b[64], *q;
	const char *dp = localeconv()->decimal_point;

	if (!isfinite(v)) {
		sb_add(sb, "null");
		return;
	}
	snprintf(b, sizeof b, "%.15g", v);
	if (dp != NULL && dp[0] != '\0' && dp[0] != '.' && dp[1] == '\0' &&
	    (q = strchr(b, dp[0])) != NULL)
		*q = '.';
	sb_add(sb, b);
}

static void
add_str_or_null(struct strbuf *sb, const char *s)
{
	if (s != NULL)
		sb_add_json(sb, s);
	else
		sb_add(sb, "null");
}

static char *
evidence(const struct plan *p, const struct plan_issue *x)
{
	const struct plan_node *n = &p->nodes[x->node];
	struct strbuf sb = {0};

	sb_addf(&sb, "{\"node\": %d, \"node_type\": ", x->node);
	sb_add_json(&sb, n->node_type);
	sb_add(&sb, ", \"schema\": ");
	add_str_or_null(&sb, n->schema);
	sb_add(&sb, ", \"relation\": ");
	add_str_or_null(&sb, n->relation);
	sb_add(&sb, ", \"index\": ");
	add_str_or_null(&sb, n->index_name);
	sb_addf(&sb, ", \"analyzed\": %s, \"severity\": \"%s\", \"value\": ",
		p->analyzed ? "true" : "false", x->severity);
	add_num(&sb, x->value);
	sb_add(&sb, ", \"threshold\": ");
	add_num(&sb, x->threshold);
	sb_add(&sb, ", \"plan_rows\": ");
	add_num(&sb, n->plan_rows);
	sb_add(&sb, ", \"total_cost\": ");
	add_num(&sb, n->total_cost);
	sb_add(&sb, ", \"actual_rows\": ");
	add_num(&sb, n->actual_rows);
	sb_add(&sb, ", \"actual_loops\": ");
	add_num(&sb, n->actual_loops);
	sb_add(&sb, ", \"rows_removed_by_filter\": ");
	add_num(&sb, n->removed_filter);
	sb_add(&sb, ", \"time_ms\": ");
	add_num(&sb, plan_node_time_total(n));
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

int
plan_issues_findings(const struct plan *p, const struct plan_issue *iss, int n,
		     int has_queryid, int64_t queryid, struct finding **out)
{
	struct finding *f;
	int i, k = 0;

	*out = NULL;
	if (p == NULL || iss == NULL || n <= 0)
		return 0;
	f = xcalloc((size_t)n, sizeof *f);
	for (i = 0; i < n; i++) {
		const struct plan_issue *x = &iss[i];
		int rule = rule_of(x->rule);
		double conf;
		char *name;

		if (rule < 0 || x->node < 0 || x->node >= p->n)
			continue;
		finding_init(&f[k]);
		f[k].category = "plan";
		f[k].rule = defs[rule].id;
		f[k].metric = defs[rule].metric;
		f[k].severity = x->severity;
		f[k].has_queryid = has_queryid;
		f[k].queryid = has_queryid ? queryid : 0;
		f[k].observed = x->value;
		conf = eq(x->severity, "high") ? 0.8 : eq(x->severity, "medium") ? 0.6 : 0.4;
		/* estimates alone are weaker evidence; table statistics need no ANALYZE */
		if (!p->analyzed && rule != R_STALE_STATS)
			conf -= 0.2;
		f[k].confidence = conf;
		name = name_of(&p->nodes[x->node]);
		f[k].title = xasprintf("%s: %s", defs[rule].title, name);
		free(name);
		f[k].detail = xstrdup(x->text != NULL ? x->text : "");
		f[k].suggestion = x->suggestion != NULL ? xstrdup(x->suggestion) : NULL;
		f[k].evidence = evidence(p, x);
		f[k].saving_ms_per_day = NAN;
		k++;
	}
	if (k == 0) {
		free(f);
		return 0;
	}
	*out = f;
	return k;
}
