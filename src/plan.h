/*
 * PostgreSQL plans from EXPLAIN (FORMAT JSON), with or without ANALYZE and BUFFERS: the
 * tree as a flat array, the plan rules (thresholds read from data/plan.rules, format in
 * doc/plan-rules.md) that turn it into findings, the text of a node for the screen's plan
 * pane, and a canonical shape to tell that a statement's plan changed. Pure: no libpq, no
 * SQLite, no curses.
 */
#ifndef PGMLTOP_PLAN_H
#define PGMLTOP_PLAN_H

#include <stdint.h>

#include "finding.h"
#include "xutil.h"

/*
 * One node. Strings are NULL when the plan lacks them (Schema comes with VERBOSE only);
 * numbers are NAN. Actual figures are per loop, as EXPLAIN gives them: see
 * plan_node_rows_total() and plan_node_time_total().
 */
struct plan_node {
	int depth;  /* 0: the top node */
	int parent; /* index of the parent node; -1 for the top */
	int end;    /* index just past the last node of its subtree */
	char *node_type;
	char *operation;  /* of a ModifyTable: "Insert", "Update", "Delete", "Merge" */
	char *parent_rel; /* "Outer", "Inner", "SubPlan", "InitPlan", "Member"... */
	char *subplan_name;
	char *relation;
	char *schema;
	char *alias;
	char *index_name;
	char *join_type;
	char *strategy;
	char *sort_key; /* the keys joined with ", " */
	char *sort_method;
	char *sort_space_type;
	double sort_space_kb;
	char *filter;
	char *index_cond;
	char *recheck_cond;
	char *hash_cond;
	char *join_filter;
	int parallel_aware;
	double startup_cost, total_cost, plan_rows, plan_width;
	double actual_rows, actual_loops, actual_startup_ms, actual_total_ms;
	double removed_filter, removed_recheck, removed_join_filter;
	double exact_heap_blocks, lossy_heap_blocks;
	double hash_batches, orig_hash_batches, peak_memory_kb;
	double heap_fetches;
	double temp_read, temp_written;
	double workers_planned, workers_launched;
	double shared_hit, shared_read;
};

struct plan {
	struct plan_node *nodes; /* pre-order: a node, then its children's subtrees in order */
	int n;
	double planning_ms, execution_ms; /* NAN when absent */
	int analyzed; /* the plan has actual figures (EXPLAIN ANALYZE) */
};

#define PLAN_MAX_NODES 100000

/*
 * Parse EXPLAIN (FORMAT JSON) output: the array [{"Plan": {...}, ...}] or that object
 * alone. NULL with the reason in err when it is not JSON or not a plan.
 */
struct plan *plan_parse(const char *text, size_t len, struct pgt_err *err);
void plan_free(struct plan *p);

/* Rows a node returned over all its loops (actual rows x loops); NAN without ANALYZE. */
double plan_node_rows_total(const struct plan_node *n);
/* Rows the node's filter removed over all its loops; 0 when it reports none. */
double plan_node_removed_total(const struct plan_node *n);
/* Time of the node and its subtree over all its loops, ms; NAN without ANALYZE. */
double plan_node_time_total(const struct plan_node *n);
/*
 * The node's own time, ms: its total time less that of its children (not below 0), as
 * explain tools count it; NAN without ANALYZE.
 */
double plan_node_self_ms(const struct plan *p, int i);
/* Index of the next child of node i after child c (c = i: the first); -1 when none. */
int plan_node_child(const struct plan *p, int i, int c);

/*
 * One line for the plan pane, as EXPLAIN writes a node: "Seq Scan on public.orders o
 * (cost=0.00..431.00 rows=20000 width=40)", then with ANALYZE " (actual rows=R loops=L
 * time=T ms, P%)": T the time over all loops, P the node's own share of the plan's time,
 * or " (never executed)". Returns the length it wanted, like snprintf.
 */
int plan_node_label(const struct plan *p, int i, char *buf, size_t len);
/* The node's conditions and figures, one "Name: value" a line (a new string, maybe ""). */
char *plan_node_detail(const struct plan *p, int i);

/*
 * A canonical text of the plan's shape: node types, strategies, join types, relations and
 * indexes in tree order, without costs or figures; a new string.
 */
char *plan_shape(const struct plan *p);
/* 1 when the shapes of the two plans differ, else 0. */
int plan_shape_differs(const struct plan *a, const struct plan *b);

/* ---- plan rules ---- */

#define PLAN_ROW_MISESTIMATE "row_misestimate"
#define PLAN_SEQ_SCAN_FILTER "seq_scan_filter"
#define PLAN_INDEX_FILTER "index_filter"
#define PLAN_SORT_SPILL "sort_spill"
#define PLAN_HASH_SPILL "hash_spill"
#define PLAN_NESTED_LOOP_INNER_LOOPS "nested_loop_inner_loops"
#define PLAN_LOSSY_BITMAP "lossy_bitmap"
#define PLAN_CORRELATED_SUBPLAN "correlated_subplan"
#define PLAN_LARGE_OFFSET "large_offset"
#define PLAN_STALE_STATS "stale_stats"

/* What the caller knows of a table (pg_stat_user_tables). */
struct plan_table_stats {
	const char *schema; /* NULL: any */
	const char *relname;
	double live_rows;         /* n_live_tup */
	double mod_since_analyze; /* n_mod_since_analyze */
	double last_analyze;      /* epoch seconds; 0: never */
	double last_autoanalyze;  /* epoch seconds; 0: never */
};

struct plan_issue {
	int node;         /* index in the plan's nodes */
	const char *rule; /* static: PLAN_... */
	const char *severity; /* static: "low", "medium", "high" */
	double value, threshold; /* the figure that fired and the threshold it passed */
	char *text;       /* one sentence with the figures */
	char *suggestion;
};

struct plan_rules;

/* Rules with their built-in thresholds, all enabled. */
struct plan_rules *plan_rules_new(void);
void plan_rules_free(struct plan_rules *r);
/* Load thresholds from text; errors are "NAME:LINE: message". */
int plan_rules_load_text(struct plan_rules *r, const char *text, const char *name,
			 struct pgt_err *err);
int plan_rules_load_file(struct plan_rules *r, const char *path, struct pgt_err *err);
/*
 * $PGMLTOP_DATADIR/plan.rules (else the installed data folder), which must exist, then
 * $XDG_CONFIG_HOME/pgmltop/plan.rules (else ~/.config/pgmltop/plan.rules), if any.
 */
int plan_rules_load_default(struct plan_rules *r, struct pgt_err *err);
/* A threshold of a rule; NAN when the rule or the key is unknown. */
double plan_rules_get(const struct plan_rules *r, const char *rule, const char *key);
int plan_rules_enabled(const struct plan_rules *r, const char *rule);

/*
 * Run the enabled rules over the plan; stats (n_stats of them, may be NULL) are the
 * tables' statistics for stale_stats and for seq_scan_filter without ANALYZE. The issues
 * are in node order; returns how many, with the array in *out (NULL when none).
 */
int plan_check(const struct plan *p, const struct plan_rules *r,
	       const struct plan_table_stats *stats, int n_stats, struct plan_issue **out);
void plan_issues_free(struct plan_issue *iss, int n);

/*
 * Findings of category "plan" from the issues, one each, in *out; returns their count.
 * The evidence names the node, its relation and the figures; the confidence rests on the
 * severity and on whether the plan had actual figures.
 */
int plan_issues_findings(const struct plan *p, const struct plan_issue *iss, int n,
			 int has_queryid, int64_t queryid, struct finding **out);

#endif
