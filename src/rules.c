#include "config.h"

#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MAX_PATTERNS 8
#define MAX_CONDS 8
#define MAX_ID 63
/* Hostile text must not make a pattern backtrack for long: bounds per match. */
#define MATCH_LIMIT 2000000
#define DEPTH_LIMIT 20000
/* What the evidence quotes of a text at most (bytes). */
#define EVIDENCE_TEXT 2000
#define EVIDENCE_MATCH 400

enum field {
	F_CALLS,
	F_CALLS_PER_DAY,
	F_TOTAL_MS,
	F_MS_PER_DAY,
	F_MEAN_MS,
	F_ROWS_PER_CALL,
	F_SHARED_READ_PER_CALL,
	F_SHARED_HIT_PER_CALL,
	F_TEMP_WRITTEN_PER_CALL,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"calls",	 "calls_per_day",	 "total_ms",	     "ms_per_day",
	"mean_ms",	 "rows_per_call",	 "shared_read_per_call", "shared_hit_per_call",
	"temp_written_per_call"};

enum op { OP_GE, OP_LE, OP_GT, OP_LT, OP_EQ, OP_NE };
static const char *const op_names[] = {">=", "<=", ">", "<", "=", "!="};

struct cond {
	enum field field;
	enum op op;
	double value;
};

struct rule {
	const char *id; /* interned: findings keep pointing at it */
	const char *category;
	const char *severity;
	double confidence;
	double saving; /* share of the statement's time the fix is expected to save */
	pcre2_code *match[MAX_PATTERNS];
	int n_match;
	pcre2_code *unless[MAX_PATTERNS];
	int n_unless;
	pcre2_code *literal; /* NULL: the rule reads the normalized text only */
	struct cond when[MAX_CONDS];
	int n_when;
	char *title;
	char *explain;
	char *rewrite;
	int line; /* of its header, for messages */
};

struct rule_set {
	struct rule *r;
	int n;
	pcre2_match_context *mctx;
};

/* ---- ids that outlive a rule set (findings point at them) ---- */

struct interned {
	struct interned *next;
	char s[];
};
static struct interned *interned_ids;

static const char *
intern(const char *s)
{
	struct interned *p;
	size_t len = strlen(s);

	for (p = interned_ids; p != NULL; p = p->next)
		if (strcmp(p->s, s) == 0)
			return p->s;
	p = xmalloc(sizeof *p + len + 1);
	memcpy(p->s, s, len + 1);
	p->next = interned_ids;
	interned_ids = p;
	return p->s;
}

static const char *
known_word(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return *words;
	return NULL;
}

static const char *const categories[] = {"rewrite", "index", "n_plus_one", "plan", "schema",
					 NULL};
static const char *const severities[] = {"low", "medium", "high", NULL};

/* ---- the set ---- */

struct rule_set *
rules_new(void)
{
	struct rule_set *rs = xcalloc(1, sizeof *rs);

	rs->mctx = pcre2_match_context_create(NULL);
	if (rs->mctx == NULL)
		fatal("out of memory");
	pcre2_set_match_limit(rs->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, DEPTH_LIMIT);
	return rs;
}

static void
rule_free(struct rule *r)
{
	int i;

	for (i = 0; i < r->n_match; i++)
		pcre2_code_free(r->match[i]);
	for (i = 0; i < r->n_unless; i++)
		pcre2_code_free(r->unless[i]);
	pcre2_code_free(r->literal);
	free(r->title);
	free(r->explain);
	free(r->rewrite);
	memset(r, 0, sizeof *r);
}

void
rules_free(struct rule_set *rs)
{
	int i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(&rs->r[i]);
	free(rs->r);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

int
rules_count(const struct rule_set *rs)
{
	return rs->n;
}

const char *
rules_id(const struct rule_set *rs, int i)
{
	return i >= 0 && i < rs->n ? rs->r[i].id : NULL;
}

/* ---- reading a file ---- */

static int
valid_id(const char *id)
{
	const char *p;

	if (!(*id >= 'a' && *id <= 'z') || strlen(id) > MAX_ID)
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static pcre2_code *
compile(const char *pattern, const char *name, int line, struct pgt_err *err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &off,
				       NULL);

	if (re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof msg);
		pgt_err_set(err, "%s:%d: the pattern does not compile at offset %zu: %s", name,
			    line, (size_t)off, (const char *)msg);
		return NULL;
	}
	/* JIT where the platform has it; the interpreter otherwise */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static int
parse_cond(const char *v, struct cond *c)
{
	char name[32];
	int i, used = 0;
	const char *p;
	char *end;

	if (sscanf(v, "%31[a-z_]%n", name, &used) != 1)
		return -1;
	for (i = 0; i < F_COUNT && strcmp(name, field_names[i]) != 0; i++)
		;
	if (i == F_COUNT)
		return -1;
	c->field = (enum field)i;
	p = v + used;
	while (*p == ' ')
		p++;
	if (strncmp(p, ">=", 2) == 0)
		c->op = OP_GE, p += 2;
	else if (strncmp(p, "<=", 2) == 0)
		c->op = OP_LE, p += 2;
	else if (strncmp(p, "!=", 2) == 0)
		c->op = OP_NE, p += 2;
	else if (*p == '>')
		c->op = OP_GT, p++;
	else if (*p == '<')
		c->op = OP_LT, p++;
	else if (*p == '=')
		c->op = OP_EQ, p++;
	else
		return -1;
	while (*p == ' ')
		p++;
	errno = 0;
	c->value = strtod(p, &end);
	if (errno != 0 || end == p || *str_trim(end) != '\0' || !isfinite(c->value))
		return -1;
	return 0;
}

/* Append a line to a text that may repeat (explain, rewrite), with sep between. */
static void
append(char **dst, const char *v, const char *sep)
{
	char *n = *dst == NULL ? xstrdup(v) : xasprintf("%s%s%s", *dst, sep, v);

	free(*dst);
	*dst = n;
}

/* The rule just read is complete: add it (replacing one of the same id) or say why not. */
static int
finish(struct rule_set *rs, struct rule *r, const char *name, struct pgt_err *err)
{
	int i;
	const char *missing = r->n_match == 0 ? "match" : r->title == NULL ? "title"
						     : r->explain == NULL ? "explain"
						     : r->rewrite == NULL ? "rewrite"
									  : NULL;

	if (missing != NULL) {
		pgt_err_set(err, "%s:%d: rule %s has no '%s'", name, r->line, r->id, missing);
		rule_free(r);
		return -1;
	}
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].id == r->id) {
			rule_free(&rs->r[i]);
			rs->r[i] = *r;
			memset(r, 0, sizeof *r);
			return 0;
		}
	rs->r = xreallocarray(rs->r, (size_t)rs->n + 1, sizeof *rs->r);
	rs->r[rs->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

int
rules_load_text(struct rule_set *rs, const char *text, const char *name, struct pgt_err *err)
{
	char *copy = xstrdup(text), *line, *next;
	struct rule cur;
	const char **seen = NULL; /* ids of this file */
	int lineno = 0, in_rule = 0, n_seen = 0, rc = -1, i;

	memset(&cur, 0, sizeof cur);
	for (line = copy; line != NULL; line = next) {
		char *s, *eq, *key, *v;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		s = str_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			char id[MAX_ID + 2];
			int used = 0;

			if (in_rule && finish(rs, &cur, name, err) < 0)
				goto out;
			in_rule = 0;
			if (sscanf(s, "[rule %64[^] ]]%n", id, &used) != 1 || s[used] != '\0' ||
			    !valid_id(id)) {
				pgt_err_set(err, "%s:%d: expected [rule ID] with an ID in snake_case "
						 "(a-z, 0-9, _; at most %d characters)",
					    name, lineno, MAX_ID);
				goto out;
			}
			for (i = 0; i < n_seen; i++)
				if (strcmp(seen[i], id) == 0) {
					pgt_err_set(err, "%s:%d: rule %s is defined twice in this file",
						    name, lineno, id);
					goto out;
				}
			memset(&cur, 0, sizeof cur);
			cur.id = intern(id);
			seen = xreallocarray(seen, (size_t)n_seen + 1, sizeof *seen);
			seen[n_seen++] = cur.id;
			cur.category = "rewrite";
			cur.severity = "medium";
			cur.confidence = 0.7;
			cur.saving = 0.2;
			cur.line = lineno;
			in_rule = 1;
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			pgt_err_set(err, "%s:%d: expected KEY = VALUE or [rule ID]", name, lineno);
			goto out;
		}
		*eq = '\0';
		key = str_trim(s);
		v = str_trim(eq + 1);
		if (!in_rule) {
			pgt_err_set(err, "%s:%d: '%s' before any [rule ID]", name, lineno, key);
			goto out;
		}
		if (*v == '\0') {
			pgt_err_set(err, "%s:%d: '%s' has no value", name, lineno, key);
			goto out;
		}
		if (strcmp(key, "match") == 0 || strcmp(key, "unless") == 0) {
			int m = key[0] == 'm';
			pcre2_code *re;

			if ((m ? cur.n_match : cur.n_unless) >= MAX_PATTERNS) {
				pgt_err_set(err, "%s:%d: more than %d '%s' patterns", name, lineno,
					    MAX_PATTERNS, key);
				goto out;
			}
			if ((re = compile(v, name, lineno, err)) == NULL)
				goto out;
			if (m)
				cur.match[cur.n_match++] = re;
			else
				cur.unless[cur.n_unless++] = re;
		} else if (strcmp(key, "literal") == 0) {
			if (cur.literal != NULL) {
				pgt_err_set(err, "%s:%d: a second 'literal'", name, lineno);
				goto out;
			}
			if ((cur.literal = compile(v, name, lineno, err)) == NULL)
				goto out;
		} else if (strcmp(key, "when") == 0) {
			if (cur.n_when >= MAX_CONDS || parse_cond(v, &cur.when[cur.n_when]) < 0) {
				pgt_err_set(err,
					    "%s:%d: 'when' takes FIELD OP NUMBER (at most %d), FIELD "
					    "one of calls, calls_per_day, total_ms, ms_per_day, "
					    "mean_ms, rows_per_call, shared_read_per_call, "
					    "shared_hit_per_call, temp_written_per_call; OP one of "
					    ">= <= > < = !=",
					    name, lineno, MAX_CONDS);
				goto out;
			}
			cur.n_when++;
		} else if (strcmp(key, "category") == 0) {
			if ((cur.category = known_word(v, categories)) == NULL) {
				pgt_err_set(err, "%s:%d: unknown category '%s' (rewrite, index, "
						 "n_plus_one, plan, schema)",
					    name, lineno, v);
				goto out;
			}
		} else if (strcmp(key, "severity") == 0) {
			if ((cur.severity = known_word(v, severities)) == NULL) {
				pgt_err_set(err, "%s:%d: unknown severity '%s' (low, medium, high)",
					    name, lineno, v);
				goto out;
			}
		} else if (strcmp(key, "confidence") == 0 || strcmp(key, "saving") == 0) {
			double d;

			if (parse_double(v, 0, 1, &d) < 0) {
				pgt_err_set(err, "%s:%d: '%s' is a number from 0 to 1, not '%s'", name,
					    lineno, key, v);
				goto out;
			}
			if (key[0] == 'c')
				cur.confidence = d;
			else
				cur.saving = d;
		} else if (strcmp(key, "title") == 0) {
			if (cur.title != NULL) {
				pgt_err_set(err, "%s:%d: a second 'title'", name, lineno);
				goto out;
			}
			cur.title = xstrdup(v);
		} else if (strcmp(key, "explain") == 0) {
			append(&cur.explain, v, " ");
		} else if (strcmp(key, "rewrite") == 0) {
			append(&cur.rewrite, v, "\n");
		} else {
			pgt_err_set(err,
				    "%s:%d: unknown key '%s' (category, severity, confidence, saving, "
				    "match, unless, literal, when, title, explain, rewrite)",
				    name, lineno, key);
			goto out;
		}
	}
	if (in_rule && finish(rs, &cur, name, err) < 0)
		goto out;
	in_rule = 0;
	rc = 0;
out:
	if (in_rule)
		rule_free(&cur);
	free(seen);
	free(copy);
	return rc;
}

int
rules_load_file(struct rule_set *rs, const char *path, struct pgt_err *err)
{
	char *text = read_text_file(path, "rules", err);
	int rc;

	if (text == NULL)
		return -1;
	rc = rules_load_text(rs, text, path, err);
	free(text);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load DIR's *.rules in name order; 0 when missing and may_miss. */
static int
load_dir(struct rule_set *rs, const char *dir, int may_miss, struct pgt_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int n = 0, i, rc = 0;

	if (d == NULL) {
		if (may_miss && errno == ENOENT)
			return 0;
		pgt_err_set(err, "cannot read the rules folder %s: %s%s", dir, strerror(errno),
			    may_miss ? ""
				     : " (install pgmltop with make install, or set PGMLTOP_DATADIR "
				       "to the data folder of its sources)");
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 6 && strcmp(e->d_name + len - 6, ".rules") == 0 && e->d_name[0] != '.') {
			names = xreallocarray(names, (size_t)n + 1, sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(names, (size_t)n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		if (rc == 0 && rules_load_file(rs, path, err) < 0)
			rc = -1;
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
rules_load_default(struct rule_set *rs, struct pgt_err *err)
{
	const char *data = getenv("PGMLTOP_DATADIR");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *dir;
	int rc;

	dir = xasprintf("%s/rules", data != NULL && data[0] ? data : PKGDATADIR);
	rc = load_dir(rs, dir, 0, err);
	free(dir);
	if (rc < 0)
		return -1;
	if (xdg != NULL && xdg[0] == '/')
		dir = xasprintf("%s/pgmltop/rules", xdg);
	else if (home != NULL && home[0])
		dir = xasprintf("%s/.config/pgmltop/rules", home);
	else
		return 0;
	rc = load_dir(rs, dir, 1, err);
	free(dir);
	return rc;
}

/* ---- matching ---- */

char *
rules_clean_text(const char *text)
{
	struct strbuf sb = {0};
	const char *p = text;
	int space = 0;

	while (*p) {
		if (*p == '\'') {
			/* a string literal (in a sampled text): copied whole, '' included */
			const char *q = p + 1;

			while (*q && !(*q == '\'' && q[1] != '\''))
				q += *q == '\'' ? 2 : 1;
			if (*q)
				q++;
			if (space && sb.len > 0)
				sb_addc(&sb, ' ');
			space = 0;
			sb_addn(&sb, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (p[0] == '/' && p[1] == '*' && strncmp(p, "/*, ... */", 10) != 0) {
			const char *e = strstr(p + 2, "*/");

			p = e != NULL ? e + 2 : p + strlen(p);
			space = 1;
			continue;
		}
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
			space = 1;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
		    *p == '\v') {
			space = 1;
			p++;
			continue;
		}
		if (space && sb.len > 0)
			sb_addc(&sb, ' ');
		space = 0;
		sb_addc(&sb, *p++);
	}
	return sb_detach(&sb);
}

/* 1 when re matches text (ovector of md filled), 0 when not or when it gave up. */
static int
matches(const struct rule_set *rs, const pcre2_code *re, const char *text, pcre2_match_data *md)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, rs->mctx);

	return rc >= 0;
}

static double
field_value(const struct rule_stmt *s, enum field f)
{
	double calls = s->calls, days = s->days > 0 ? s->days : 1;

	switch (f) {
	case F_CALLS:
		return calls;
	case F_CALLS_PER_DAY:
		return calls / days;
	case F_TOTAL_MS:
		return s->total_ms;
	case F_MS_PER_DAY:
		return s->total_ms / days;
	case F_MEAN_MS:
		return calls > 0 ? s->total_ms / calls : 0;
	case F_ROWS_PER_CALL:
		return calls > 0 ? s->rows / calls : 0;
	case F_SHARED_READ_PER_CALL:
		return calls > 0 ? s->shared_blks_read / calls : 0;
	case F_SHARED_HIT_PER_CALL:
		return calls > 0 ? s->shared_blks_hit / calls : 0;
	case F_TEMP_WRITTEN_PER_CALL:
		return calls > 0 ? s->temp_blks_written / calls : 0;
	default:
		return 0;
	}
}

static int
cond_holds(const struct cond *c, double v)
{
	switch (c->op) {
	case OP_GE:
		return v >= c->value;
	case OP_LE:
		return v <= c->value;
	case OP_GT:
		return v > c->value;
	case OP_LT:
		return v < c->value;
	case OP_EQ:
		return v == c->value;
	default:
		return v != c->value;
	}
}

/* At most max bytes of s, not cutting a UTF-8 sequence; "..." when cut. */
static char *
cut(const char *s, size_t len, size_t max)
{
	size_t n = len;

	if (n <= max)
		return xstrndup(s, n);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xasprintf("%.*s...", (int)n, s);
}

/* The template with {0}..{9} replaced by the groups of the first match. */
static char *
fill(const char *tmpl, const char *text, pcre2_match_data *md)
{
	struct strbuf sb = {0};
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t pairs = pcre2_get_ovector_count(md);
	const char *p;

	for (p = tmpl; *p; p++) {
		if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
			uint32_t g = (uint32_t)(p[1] - '0');

			if (g < pairs && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g])
				sb_addn(&sb, text + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
			p += 2;
			continue;
		}
		sb_addc(&sb, *p);
	}
	return sb_detach(&sb);
}

static void
add_json_field(struct strbuf *sb, const char *key, double v)
{
	if (isfinite(v))
		sb_addf(sb, ", \"%s\": %.3f", key, v);
	else
		sb_addf(sb, ", \"%s\": null", key);
}

int
rules_apply(const struct rule_set *rs, const struct rule_stmt *s, struct finding **out,
	    int *n_out)
{
	char *text, **lits = NULL;
	pcre2_match_data *md, *md2;
	int i, j, added = 0;

	if (s->text == NULL || rs->n == 0)
		return 0;
	text = rules_clean_text(s->text);
	md = pcre2_match_data_create(10, NULL);
	md2 = pcre2_match_data_create(10, NULL);
	if (md == NULL || md2 == NULL)
		fatal("out of memory");
	if (s->n_literals > 0) {
		lits = xcalloc((size_t)s->n_literals, sizeof *lits);
		for (j = 0; j < s->n_literals; j++)
			lits[j] = s->literals[j] != NULL ? rules_clean_text(s->literals[j]) : NULL;
	}
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const char *literal = NULL;
		struct strbuf ev = {0};
		struct finding *f;
		PCRE2_SIZE *ov;
		char *quoted;
		int ok = 1;

		for (j = 0; j < r->n_when && ok; j++)
			ok = cond_holds(&r->when[j], field_value(s, r->when[j].field));
		for (j = 1; j < r->n_match && ok; j++)
			ok = matches(rs, r->match[j], text, md2);
		for (j = 0; j < r->n_unless && ok; j++)
			ok = !matches(rs, r->unless[j], text, md2);
		/* the first match last: its groups fill the template */
		if (!ok || !matches(rs, r->match[0], text, md))
			continue;
		if (r->literal != NULL) {
			for (j = 0; j < s->n_literals && literal == NULL; j++)
				if (lits[j] != NULL && matches(rs, r->literal, lits[j], md2))
					literal = lits[j];
			if (literal == NULL)
				continue; /* it needs a value the normalized text hides */
		}
		*out = xreallocarray(*out, (size_t)*n_out + 1, sizeof **out);
		f = &(*out)[(*n_out)++];
		added++;
		finding_init(f);
		f->rule = r->id;
		f->category = r->category;
		f->severity = r->severity;
		f->metric = "ms_per_day";
		f->has_queryid = 1;
		f->queryid = s->queryid;
		f->observed = field_value(s, F_MS_PER_DAY);
		f->confidence = r->confidence;
		f->saving_ms_per_day = field_value(s, F_MS_PER_DAY) * r->saving;
		f->title = xstrdup(r->title);
		f->detail = fill(r->explain, text, md);
		f->suggestion = fill(r->rewrite, text, md);

		ov = pcre2_get_ovector_pointer(md);
		sb_add(&ev, "{\"text\": ");
		quoted = cut(text, strlen(text), EVIDENCE_TEXT);
		sb_add_json(&ev, quoted);
		free(quoted);
		sb_add(&ev, ", \"matched\": ");
		quoted = cut(text + ov[0], ov[1] > ov[0] ? ov[1] - ov[0] : 0, EVIDENCE_MATCH);
		sb_add_json(&ev, quoted);
		free(quoted);
		sb_add(&ev, ", \"literal\": ");
		if (literal != NULL) {
			quoted = cut(literal, strlen(literal), EVIDENCE_TEXT);
			sb_add_json(&ev, quoted);
			free(quoted);
		} else {
			sb_add(&ev, "null");
		}
		sb_addf(&ev, ", \"literal_texts_sampled\": %d", s->n_literals);
		add_json_field(&ev, "calls", s->calls);
		add_json_field(&ev, "mean_ms", field_value(s, F_MEAN_MS));
		add_json_field(&ev, "ms_per_day", field_value(s, F_MS_PER_DAY));
		add_json_field(&ev, "rows_per_call", field_value(s, F_ROWS_PER_CALL));
		sb_add(&ev, ", \"conditions\": [");
		for (j = 0; j < r->n_when; j++)
			sb_addf(&ev, "%s\"%s %s %g\"", j ? ", " : "", field_names[r->when[j].field],
				op_names[r->when[j].op], r->when[j].value);
		sb_add(&ev, "]}");
		f->evidence = sb_detach(&ev);
	}
	for (j = 0; j < s->n_literals; j++)
		free(lits[j]);
	free(lits);
	pcre2_match_data_free(md);
	pcre2_match_data_free(md2);
	free(text);
	return added;
}
