#include "config.h"

#include "indexadv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xutil.h"

void
ix_opts_default(struct ix_opts *o)
{
	o->min_table_rows = 10000;
	o->min_blocks_share = 0.3;
	o->min_blocks = 100;
	o->max_rows_share = 0.05;
	o->min_est_rows = 50;
	o->max_columns = 3;
}

/* ---- tokens ---- */

enum tok_kind { T_IDENT, T_PARAM, T_NUMBER, T_STRING, T_OP, T_PUNCT, T_END };

struct tok {
	enum tok_kind kind;
	char text[IX_NAME]; /* identifiers lower-cased unless quoted; cut at IX_NAME - 1 */
	int quoted;
};

struct toks {
	struct tok *t;
	int n, alloc;
};

static void
push(struct toks *ts, enum tok_kind k, const char *s, size_t len, int quoted)
{
	struct tok *t;
	size_t i;

	if (ts->n == ts->alloc) { /* doubled: a long text has hundreds of thousands */
		ts->alloc = ts->alloc ? ts->alloc * 2 : 64;
		ts->t = xreallocarray(ts->t, (size_t)ts->alloc, sizeof *ts->t);
	}
	t = &ts->t[ts->n++];
	t->kind = k;
	t->quoted = quoted;
	if (len > IX_NAME - 1)
		len = IX_NAME - 1;
	for (i = 0; i < len; i++)
		t->text[i] = quoted || k != T_IDENT ? s[i] : (char)tolower((unsigned char)s[i]);
	t->text[len] = '\0';
}

static void
tokenize(const char *p, struct toks *ts)
{
	while (*p) {
		const char *s = p;

		if (isspace((unsigned char)*p)) {
			p++;
		} else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
			       (unsigned char)*p >= 0x80)
				p++;
			push(ts, T_IDENT, s, (size_t)(p - s), 0);
		} else if (*p == '"') {
			struct strbuf sb = {0};

			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				sb_addc(&sb, *p);
			}
			if (*p)
				p++;
			/* "" is no name (PostgreSQL refuses it): nothing a parse can use */
			if (sb.len == 0)
				push(ts, T_OP, "\"\"", 2, 0);
			else
				push(ts, T_IDENT, sb_str(&sb), sb.len, 1);
			sb_release(&sb);
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			for (p++; isdigit((unsigned char)*p); p++)
				;
			push(ts, T_PARAM, s, (size_t)(p - s), 0);
		} else if (isdigit((unsigned char)*p)) {
			while (isalnum((unsigned char)*p) || *p == '.')
				p++;
			push(ts, T_NUMBER, s, (size_t)(p - s), 0);
		} else if (*p == '\'') {
			for (p++; *p && !(*p == '\'' && p[1] != '\''); p += *p == '\'' ? 2 : 1)
				;
			if (*p)
				p++;
			push(ts, T_STRING, "'", 1, 0);
		} else if (strchr("(),;.[]", *p) != NULL) {
			p++;
			push(ts, T_PUNCT, s, 1, 0);
		} else {
			/* an operator: a run of operator characters */
			while (*p && strchr("+-*/<>=~!@#%^&|`?:", *p) != NULL)
				p++;
			if (p == s)
				p++;
			push(ts, T_OP, s, (size_t)(p - s), 0);
		}
	}
	push(ts, T_END, "", 0, 0);
}

static int
kw(const struct tok *t, const char *word)
{
	return t->kind == T_IDENT && !t->quoted && strcmp(t->text, word) == 0;
}

static int
punct(const struct tok *t, char c)
{
	return t->kind == T_PUNCT && t->text[0] == c;
}

static int
op(const struct tok *t, const char *o)
{
	return t->kind == T_OP && strcmp(t->text, o) == 0;
}

/* Words that end a table reference or a clause at depth 0. */
static int
clause_word(const struct tok *t)
{
	static const char *const words[] = {"where",  "order",	 "group",  "limit", "offset",
					    "for",    "returning", "having", "union", "intersect",
					    "except", "fetch",	 "window", "set",   "join",
					    "inner",  "left",	 "right",  "full",  "cross",
					    "natural", "on",	 "using",  "lateral", NULL};
	int i;

	if (t->kind != T_IDENT || t->quoted)
		return 0;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(t->text, words[i]) == 0)
			return 1;
	return 0;
}

/* ---- parsing ---- */

struct parser {
	const struct toks *ts;
	int i;
	char alias[IX_NAME];
	struct ix_pred *p;
};

/* A table reference at the parser's place: [schema.]name [[AS] alias]. 0 when not one. */
static int
table_ref(struct parser *ps)
{
	const struct tok *t = ps->ts->t;
	int i = ps->i;

	if (kw(&t[i], "only"))
		i++;
	if (t[i].kind != T_IDENT || clause_word(&t[i]))
		return 0;
	if (punct(&t[i + 1], '.') && t[i + 2].kind == T_IDENT) {
		strlcpy_(ps->p->schema, t[i].text, IX_NAME);
		strlcpy_(ps->p->table, t[i + 2].text, IX_NAME);
		i += 3;
	} else {
		strlcpy_(ps->p->table, t[i].text, IX_NAME);
		i++;
	}
	if (punct(&t[i], '('))
		return 0; /* a function in FROM */
	if (kw(&t[i], "as"))
		i++;
	if (t[i].kind == T_IDENT && !clause_word(&t[i])) {
		strlcpy_(ps->alias, t[i].text, IX_NAME);
		i++;
	}
	ps->i = i;
	return 1;
}

/* A column of the table at i: [alias.|table.]col not followed by "(" ; its name or NULL. */
static const char *
colref(struct parser *ps, int *i)
{
	const struct tok *t = ps->ts->t;
	int j = *i;
	const char *name;

	if (t[j].kind != T_IDENT || clause_word(&t[j]) || kw(&t[j], "not") || kw(&t[j], "and") ||
	    kw(&t[j], "or"))
		return NULL;
	if (punct(&t[j + 1], '.')) {
		if (t[j + 2].kind != T_IDENT)
			return NULL;
		if (strcmp(t[j].text, ps->alias) != 0 && strcmp(t[j].text, ps->p->table) != 0)
			return NULL; /* another table's column */
		name = t[j + 2].text;
		j += 3;
	} else {
		name = t[j].text;
		j++;
	}
	if (punct(&t[j], '('))
		return NULL; /* a function */
	/* words that are values, not columns */
	if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0 || strcmp(name, "null") == 0 ||
	    strncmp(name, "current_", 8) == 0 || strcmp(name, "localtimestamp") == 0)
		return NULL;
	*i = j;
	return name;
}

/* A value: a parameter, a constant, a cast of one, now() and the like; no column. */
static int
value(struct parser *ps, int *i)
{
	const struct tok *t = ps->ts->t;
	int j = *i, depth = 0;

	if (t[j].kind == T_PARAM || t[j].kind == T_NUMBER || t[j].kind == T_STRING) {
		j++;
	} else if (t[j].kind == T_IDENT && punct(&t[j + 1], '(')) {
		/* a function of values only (now(), lower($1)): skip to its ")" */
		for (j++; t[j].kind != T_END; j++) {
			if (punct(&t[j], '('))
				depth++;
			else if (punct(&t[j], ')') && --depth == 0)
				break;
			else if (t[j].kind == T_IDENT && depth > 0 && !punct(&t[j + 1], '(') &&
				 !op(&t[j - 1], "::"))
				return 0; /* a column inside */
		}
		if (t[j].kind == T_END)
			return 0;
		j++;
	} else if (t[j].kind == T_IDENT && !t[j].quoted &&
		   (strncmp(t[j].text, "current_", 8) == 0 || strcmp(t[j].text, "true") == 0 ||
		    strcmp(t[j].text, "false") == 0)) {
		j++;
	} else {
		return 0;
	}
	/* casts and simple arithmetic with other values: $1::date, now() - $1::interval */
	for (;;) {
		if (op(&t[j], "::") && t[j + 1].kind == T_IDENT) {
			j += 2;
			while (t[j].kind == T_IDENT && !clause_word(&t[j]) && !kw(&t[j], "and") &&
			       !kw(&t[j], "or") && !kw(&t[j], "asc") && !kw(&t[j], "desc"))
				j++; /* "character varying", "time zone" */
			if (punct(&t[j], '[') && punct(&t[j + 1], ']'))
				j += 2;
			continue;
		}
		if ((op(&t[j], "+") || op(&t[j], "-")) &&
		    (t[j + 1].kind == T_PARAM || t[j + 1].kind == T_NUMBER)) {
			j += 2;
			continue;
		}
		break;
	}
	*i = j;
	return 1;
}

static void
add_col(char list[][IX_NAME], int *n, const char *name)
{
	int k;

	for (k = 0; k < *n; k++)
		if (strcmp(list[k], name) == 0)
			return;
	if (*n < IX_MAX_COLS)
		strlcpy_(list[(*n)++], name, IX_NAME);
}

/*
 * The token after the parentheses that open at j, or -1 when they do not close; *sub
 * (when not NULL) says whether a SELECT stands inside.
 */
static int
after_parens(const struct tok *t, int j, int *sub)
{
	int depth = 0;

	for (; t[j].kind != T_END; j++) {
		if (punct(&t[j], '('))
			depth++;
		else if (punct(&t[j], ')') && --depth == 0)
			return j + 1;
		else if (sub != NULL && kw(&t[j], "select"))
			*sub = 1;
	}
	return -1;
}

/* One condition of the WHERE at *i, up to an AND at depth 0; 0 when the WHERE is not usable. */
static int
condition(struct parser *ps, int *i)
{
	const struct tok *t = ps->ts->t;
	struct ix_pred *p = ps->p;
	int j = *i;
	const char *col;

	if ((col = colref(ps, &j)) != NULL) {
		if (op(&t[j], "=") || op(&t[j], "==")) {
			j++;
			if (kw(&t[j], "any") && punct(&t[j + 1], '(')) {
				if ((j = after_parens(t, j + 1, NULL)) < 0)
					return 0;
			} else if (!value(ps, &j)) {
				return -1; /* column = column: a join, or not a value */
			}
			add_col(p->eq, &p->n_eq, col);
		} else if (op(&t[j], "<") || op(&t[j], ">") || op(&t[j], "<=") || op(&t[j], ">=")) {
			j++;
			if (!value(ps, &j))
				return -1;
			if (p->range[0] == '\0')
				strlcpy_(p->range, col, IX_NAME);
		} else if (kw(&t[j], "between")) {
			j++;
			if (!value(ps, &j) || !kw(&t[j], "and"))
				return -1;
			j++;
			if (!value(ps, &j))
				return -1;
			if (p->range[0] == '\0')
				strlcpy_(p->range, col, IX_NAME);
		} else if (kw(&t[j], "in") && punct(&t[j + 1], '(')) {
			int sub = 0;

			if ((j = after_parens(t, j + 1, &sub)) < 0)
				return 0;
			if (sub)
				return -1; /* IN (SELECT ...) */
			add_col(p->eq, &p->n_eq, col);
		} else if (kw(&t[j], "is") && kw(&t[j + 1], "null")) {
			j += 2;
			add_col(p->eq, &p->n_eq, col);
		} else {
			return -1; /* LIKE, IS NOT NULL, <>: nothing an index column is made of */
		}
	} else if (value(ps, &j)) {
		/* $1 = col */
		if (!(op(&t[j], "=") || op(&t[j], "<") || op(&t[j], ">") || op(&t[j], "<=") ||
		      op(&t[j], ">=")))
			return -1;
		{
			int eq = op(&t[j], "=");

			j++;
			if ((col = colref(ps, &j)) == NULL)
				return -1;
			if (eq)
				add_col(p->eq, &p->n_eq, col);
			else if (p->range[0] == '\0')
				strlcpy_(p->range, col, IX_NAME);
		}
	} else {
		return -1;
	}
	*i = j;
	return 1;
}

/* Skip a condition that is no use (up to the next AND at depth 0); 0 at an OR. */
static int
skip_condition(struct parser *ps, int *i)
{
	const struct tok *t = ps->ts->t;
	int j = *i, depth = 0, between = 0;

	for (; t[j].kind != T_END; j++) {
		if (punct(&t[j], '('))
			depth++;
		else if (punct(&t[j], ')')) {
			if (depth == 0)
				break;
			depth--;
		} else if (depth == 0) {
			if (kw(&t[j], "or"))
				return 0;
			if (kw(&t[j], "between"))
				between = 1;
			else if (kw(&t[j], "and")) {
				if (!between)
					break;
				between = 0;
			} else if (clause_word(&t[j]) || punct(&t[j], ';'))
				break;
		}
	}
	*i = j;
	return 1;
}

static int
where_clause(struct parser *ps)
{
	const struct tok *t = ps->ts->t;
	int j = ps->i;

	for (;;) {
		int rc = condition(ps, &j);

		if (rc == 0)
			return 0;
		if (rc < 0 && !skip_condition(ps, &j))
			return 0; /* an OR: the conditions are not all needed */
		if (kw(&t[j], "and")) {
			j++;
			continue;
		}
		if (kw(&t[j], "or"))
			return 0;
		break;
	}
	ps->i = j;
	return 1;
}

static void
order_by(struct parser *ps)
{
	const struct tok *t = ps->ts->t;
	int j = ps->i, desc = -1;

	if (!(kw(&t[j], "order") && kw(&t[j + 1], "by")))
		return;
	j += 2;
	for (;;) {
		const char *col = colref(ps, &j);
		int d = 0;

		if (col == NULL)
			break;
		if (kw(&t[j], "asc"))
			j++;
		else if (kw(&t[j], "desc"))
			d = 1, j++;
		if (kw(&t[j], "nulls"))
			j += 2;
		/* a btree serves one direction for all its columns, or the reverse */
		if (desc >= 0 && d != desc)
			break;
		desc = d;
		add_col(ps->p->order, &ps->p->n_order, col);
		if (!punct(&t[j], ','))
			break;
		j++;
	}
	ps->i = j;
}

int
indexadv_parse(const char *text, struct ix_pred *p)
{
	struct toks ts = {0};
	struct parser ps;
	const struct tok *t;
	int ok = 0, depth = 0, j;

	memset(p, 0, sizeof *p);
	memset(&ps, 0, sizeof ps);
	ps.p = p;
	ps.ts = &ts;
	tokenize(text, &ts);
	t = ts.t;
	if (kw(&t[0], "select")) {
		/* to the FROM of this level */
		for (j = 1; t[j].kind != T_END; j++) {
			if (punct(&t[j], '('))
				depth++;
			else if (punct(&t[j], ')'))
				depth--;
			else if (depth == 0 && kw(&t[j], "from"))
				break;
		}
		if (t[j].kind == T_END)
			goto out;
		ps.i = j + 1;
		if (!table_ref(&ps))
			goto out;
	} else if (kw(&t[0], "update")) {
		ps.i = 1;
		if (!table_ref(&ps) || !kw(&t[ps.i], "set"))
			goto out;
		/* to the WHERE; a FROM after SET joins another table */
		for (j = ps.i; t[j].kind != T_END; j++) {
			if (punct(&t[j], '('))
				depth++;
			else if (punct(&t[j], ')'))
				depth--;
			else if (depth == 0 && (kw(&t[j], "where") || kw(&t[j], "from")))
				break;
		}
		if (!kw(&t[j], "where"))
			goto out;
		ps.i = j;
	} else if (kw(&t[0], "delete") && kw(&t[1], "from")) {
		ps.i = 2;
		if (!table_ref(&ps))
			goto out;
	} else {
		goto out;
	}
	if (!kw(&t[ps.i], "where")) {
		/* no WHERE: only an ORDER BY (with a LIMIT) can use an index */
		if (!clause_word(&t[ps.i]) && !punct(&t[ps.i], ';') && t[ps.i].kind != T_END)
			goto out; /* a second table, a join */
		if (kw(&t[ps.i], "group") || kw(&t[ps.i], "join") || kw(&t[ps.i], "inner") ||
		    kw(&t[ps.i], "left") || kw(&t[ps.i], "right") || kw(&t[ps.i], "full") ||
		    kw(&t[ps.i], "cross") || kw(&t[ps.i], "natural"))
			goto out;
		order_by(&ps);
		ok = p->n_order > 0;
		goto out;
	}
	ps.i++;
	if (!where_clause(&ps))
		goto out;
	if (kw(&t[ps.i], "group"))
		goto out; /* the grouping decides the order */
	order_by(&ps);
	ok = p->n_eq > 0 || p->range[0] != '\0';
out:
	free(ts.t);
	return ok;
}

/* ---- the advice ---- */

static const struct ix_column *
column(const struct ix_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->n_colstats; i++)
		if (strcmp(t->colstats[i].name, name) == 0)
			return &t->colstats[i];
	return NULL;
}

/* Rows a value of the column selects, or NAN when pg_stats does not say. */
static double
rows_per_value(const struct ix_table *t, const char *name)
{
	const struct ix_column *c = column(t, name);

	if (c == NULL || c->n_distinct == 0)
		return NAN;
	if (c->n_distinct > 0)
		return t->live_rows / c->n_distinct;
	return 1 / -c->n_distinct;
}

/* The table the statement names: with its schema, else the only one of that name. */
static const struct ix_table *
find_table(const struct ix_table *tables, int n, const struct ix_pred *p)
{
	const struct ix_table *found = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(tables[i].name, p->table) != 0)
			continue;
		if (p->schema[0] && strcmp(tables[i].schema, p->schema) != 0)
			continue;
		if (found != NULL && !p->schema[0])
			return strcmp(found->schema, "public") == 0	    ? found
			       : strcmp(tables[i].schema, "public") == 0 ? &tables[i]
									 : NULL;
		found = &tables[i];
	}
	return found;
}

struct cand {
	int n;
	char cols[IX_MAX_COLS][IX_NAME];
	int n_eq;
	int ordered; /* by the statistics */
};

/* Equality columns, most selective first (statistics unknown: as written). */
static void
order_eq(const struct ix_table *t, const struct ix_pred *p, char out[][IX_NAME], int *ordered)
{
	double r[IX_MAX_COLS];
	int idx[IX_MAX_COLS], i, j, known = 1;

	for (i = 0; i < p->n_eq; i++) {
		r[i] = rows_per_value(t, p->eq[i]);
		if (isnan(r[i]))
			known = 0;
		idx[i] = i;
	}
	if (known) {
		for (i = 1; i < p->n_eq; i++)
			for (j = i; j > 0 && r[idx[j - 1]] > r[idx[j]]; j--) {
				int tmp = idx[j];

				idx[j] = idx[j - 1];
				idx[j - 1] = tmp;
			}
	}
	for (i = 0; i < p->n_eq; i++)
		strlcpy_(out[i], p->eq[idx[i]], IX_NAME);
	*ordered = known && p->n_eq > 0;
}

static void
candidate(const struct ix_table *t, const struct ix_pred *p, const struct ix_opts *o,
	  struct cand *c)
{
	char eq[IX_MAX_COLS][IX_NAME];
	double est = t->live_rows;
	int i;

	memset(c, 0, sizeof *c);
	order_eq(t, p, eq, &c->ordered);
	for (i = 0; i < p->n_eq && c->n < o->max_columns; i++) {
		double r = rows_per_value(t, eq[i]);

		if (c->n > 0 && !isnan(r) && est <= o->min_est_rows)
			break; /* the columns before already narrow it enough */
		strlcpy_(c->cols[c->n++], eq[i], IX_NAME);
		if (!isnan(r))
			est = fmin(est, r);
	}
	c->n_eq = c->n;
	if (p->range[0] && c->n < o->max_columns && (c->n == 0 || est > o->min_est_rows)) {
		strlcpy_(c->cols[c->n++], p->range, IX_NAME);
	} else if (!p->range[0] && est > o->min_est_rows) {
		/* the ORDER BY after the equalities: the index gives the order of many rows */
		for (i = 0; i < p->n_order && c->n < o->max_columns; i++) {
			int k, dup = 0;

			for (k = 0; k < c->n; k++)
				dup |= strcmp(c->cols[k], p->order[i]) == 0;
			if (!dup)
				strlcpy_(c->cols[c->n++], p->order[i], IX_NAME);
		}
	}
}

/* An index of the table already does what the candidate would. */
static const struct ix_index *
covered(const struct ix_table *t, const struct cand *c)
{
	int i, k, m;

	for (i = 0; i < t->n_indexes; i++) {
		const struct ix_index *x = &t->indexes[i];
		int need = c->n_eq > 0 ? c->n_eq : 1, ok = 1;

		if (!x->btree || !x->valid || x->partial || x->n_cols < need)
			continue;
		/* its first `need` columns are the candidate's equality columns, any order */
		for (k = 0; k < need && ok; k++) {
			int in = 0;

			for (m = 0; m < need; m++)
				in |= strcmp(x->cols[k], c->cols[m]) == 0;
			ok = in;
		}
		if (ok)
			return x;
	}
	return NULL;
}

static void
quote_ident(struct strbuf *sb, const char *s)
{
	const char *p;
	int plain = (*s >= 'a' && *s <= 'z') || *s == '_';

	for (p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (plain) {
		sb_add(sb, s);
		return;
	}
	sb_addc(sb, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			sb_addc(sb, '"');
		sb_addc(sb, *p);
	}
	sb_addc(sb, '"');
}

int
indexadv_find(const struct ix_table *tables, int n_tables, const struct ix_stmt *stmts,
	      int n_stmts, const struct ix_opts *o, struct finding **out)
{
	int n_out = 0, i, k;

	*out = NULL;
	for (i = 0; i < n_stmts; i++) {
		const struct ix_stmt *s = &stmts[i];
		const struct ix_table *t;
		const struct ix_index *have;
		struct ix_pred p;
		struct cand c;
		struct strbuf sb = {0};
		struct finding *f;
		double pages, blocks, rows_call, days = s->days > 0 ? s->days : 1, ms_day;
		double seq_rows;

		if (s->text == NULL || s->calls <= 0 || !indexadv_parse(s->text, &p))
			continue;
		t = find_table(tables, n_tables, &p);
		if (t == NULL || t->live_rows < o->min_table_rows)
			continue;
		pages = fmax(1, t->bytes / 8192);
		blocks = (s->shared_blks_hit + s->shared_blks_read) / s->calls;
		rows_call = s->rows / s->calls;
		if (blocks < o->min_blocks || blocks < o->min_blocks_share * pages ||
		    rows_call > o->max_rows_share * t->live_rows)
			continue;
		candidate(t, &p, o, &c);
		if (c.n == 0)
			continue;
		if ((have = covered(t, &c)) != NULL)
			continue;
		seq_rows = t->seq_scan > 0 ? t->seq_tup_read / t->seq_scan : NAN;
		ms_day = s->total_ms / days;

		*out = xreallocarray(*out, (size_t)n_out + 1, sizeof **out);
		f = &(*out)[n_out++];
		finding_init(f);
		f->rule = FINDING_MISSING_INDEX;
		f->category = "index";
		f->metric = "ms_per_day";
		f->has_queryid = 1;
		f->queryid = s->queryid;
		f->observed = ms_day;
		f->confidence = 0.5 + (blocks >= 0.8 * pages ? 0.2 : 0) + (c.ordered ? 0.1 : 0) +
				(!isnan(seq_rows) && seq_rows >= 0.5 * t->live_rows ? 0.1 : 0);
		f->saving_ms_per_day = ms_day * 0.9 * (1 - fmin(1, rows_call / t->live_rows));
		f->severity = f->saving_ms_per_day >= 60000 ? "high"
			      : f->saving_ms_per_day >= 5000 ? "medium"
							     : "low";

		sb_add(&sb, "CREATE INDEX CONCURRENTLY ON ");
		if (t->schema[0]) {
			quote_ident(&sb, t->schema);
			sb_addc(&sb, '.');
		}
		quote_ident(&sb, t->name);
		sb_add(&sb, " (");
		for (k = 0; k < c.n; k++) {
			if (k)
				sb_add(&sb, ", ");
			quote_ident(&sb, c.cols[k]);
		}
		sb_add(&sb, ");");
		f->suggestion = sb_detach(&sb);
		f->title = xasprintf("No index for the conditions on %s (%s%s)", t->name,
				     c.cols[0], c.n > 1 ? ", ..." : "");
		f->detail = xasprintf(
			"Each call reads %.0f blocks of %s (%.0f pages, %.0f live rows) to return %.1f "
			"rows: the table is scanned. An index on (%s%s%s%s%s) %s; equality columns "
			"come first%s, then a range or the ORDER BY. Build it with CONCURRENTLY so that "
			"writes go on, and check the plan afterwards.",
			blocks, t->name, pages, t->live_rows, rows_call, c.cols[0],
			c.n > 1 ? ", " : "", c.n > 1 ? c.cols[1] : "", c.n > 2 ? ", " : "",
			c.n > 2 ? c.cols[2] : "",
			c.n_eq > 0 ? "finds the rows by their values" : "reads them in order",
			c.ordered ? ", the most distinct first (pg_stats)" : "");
		sb_add(&sb, "{\"text\": ");
		{
			size_t len = strlen(s->text);
			char *cut = len > 2000 ? xasprintf("%.2000s...", s->text) : xstrdup(s->text);

			sb_add_json(&sb, cut);
			free(cut);
		}
		sb_add(&sb, ", \"table\": ");
		{
			char *qual = xasprintf("%s%s%s", t->schema, t->schema[0] ? "." : "", t->name);

			sb_add_json(&sb, qual);
			free(qual);
		}
		sb_add(&sb, ", \"columns\": [");
		for (k = 0; k < c.n; k++) {
			if (k)
				sb_add(&sb, ", ");
			sb_add_json(&sb, c.cols[k]);
		}
		sb_addf(&sb, "], \"equality_columns\": %d, \"ordered_by_statistics\": %s", c.n_eq,
			c.ordered ? "true" : "false");
		sb_addf(&sb, ", \"blocks_per_call\": %.1f, \"table_pages\": %.0f, \"live_rows\": %.0f",
			blocks, pages, t->live_rows);
		sb_addf(&sb, ", \"rows_per_call\": %.3f, \"calls\": %.0f, \"ms_per_day\": %.3f",
			rows_call, s->calls, ms_day);
		if (isnan(seq_rows))
			sb_add(&sb, ", \"seq_scans\": null, \"rows_per_seq_scan\": null");
		else
			sb_addf(&sb, ", \"seq_scans\": %.0f, \"rows_per_seq_scan\": %.0f", t->seq_scan,
				seq_rows);
		sb_add(&sb, ", \"existing_indexes\": [");
		for (k = 0; k < t->n_indexes; k++) {
			if (k)
				sb_add(&sb, ", ");
			sb_add_json(&sb, t->indexes[k].name);
		}
		sb_add(&sb, "], \"hypothetical\": null}");
		f->evidence = sb_detach(&sb);
	}
	return n_out;
}
