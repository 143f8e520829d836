/*
 * The SQL-text advisor: rules that are data (data/rules/ *.rules, and the user's own in
 * $XDG_CONFIG_HOME/pgmltop/rules/), each a set of PCRE2 patterns over a statement's
 * normalized text, conditions on its statistics, a title, an explanation and a rewrite
 * template, applied to a statement to give findings. The format is in doc/rules.md.
 * Pure: no SQLite, no libpq, no curses.
 */
#ifndef PGMLTOP_RULES_H
#define PGMLTOP_RULES_H

#include <stdint.h>

#include "finding.h"
#include "xutil.h"

struct rule_set;

/* A statement to judge: its text and what it cost over a window of `days` days. */
struct rule_stmt {
	int64_t queryid;
	const char *text; /* normalized, as pg_stat_statements has it */
	/* texts of the same query id with their literals, sampled from pg_stat_activity */
	const char *const *literals;
	int n_literals;
	double calls, total_ms, rows;
	double shared_blks_read, shared_blks_hit, temp_blks_written;
	double days; /* the window, for the figures per day (> 0) */
};

struct rule_set *rules_new(void);
void rules_free(struct rule_set *rs);

/*
 * Add the rules of a file's text (name in messages). A rule with the id of one loaded
 * before replaces it. Returns 0, or -1 with "NAME:LINE: what is wrong" in err (the
 * rules read before the bad one are kept, the bad one is not).
 */
int rules_load_text(struct rule_set *rs, const char *text, const char *name,
		    struct pgt_err *err);
int rules_load_file(struct rule_set *rs, const char *path, struct pgt_err *err);

/*
 * The rules pgmltop ships ($PGMLTOP_DATADIR/rules, else the installed data directory),
 * then the user's ($XDG_CONFIG_HOME/pgmltop/rules, else ~/.config/pgmltop/rules), each
 * folder's *.rules files in name order. A missing user folder is no error; a missing
 * shipped folder is. Returns 0 or -1 with the message of the first problem.
 */
int rules_load_default(struct rule_set *rs, struct pgt_err *err);

int rules_count(const struct rule_set *rs);
const char *rules_id(const struct rule_set *rs, int i);

/*
 * The findings of the rules that s meets, appended to *out (n_out counts). Each carries
 * the rule, the category, the severity, a title, the explanation, the rewrite with the
 * matched parts filled in, the evidence (what matched, in which text, the figures the
 * conditions read) and the saving per day. Returns the number added.
 */
int rules_apply(const struct rule_set *rs, const struct rule_stmt *s, struct finding **out,
		int *n_out);

/* The text rules match: comments removed (not the "/ *, ... * /" of a squashed list), one space for any run of blanks. */
char *rules_clean_text(const char *text);

#endif
