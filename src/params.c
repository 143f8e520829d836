#include "config.h"

#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

#define MAX_THRESHOLDS 6
#define MAX_ID 63
#define WEEK 168

/* ---- the checks: the evidence each reads is code, its thresholds are data ---- */

enum check {
	C_WORK_MEM_ROLE,
	C_WORK_MEM_GLOBAL,
	C_CHECKPOINTS,
	C_CCT,
	C_SHARED_BUFFERS,
	C_MAX_CONNECTIONS,
	C_PGSS_MAX,
	C_TRACK_IO_TIMING,
	C_COMPUTE_QUERY_ID,
	C_EFFECTIVE_CACHE_SIZE,
	C_AUTOVACUUM,
	C_RANDOM_PAGE_COST,
	C_COUNT
};

struct check_def {
	const char *name;
	const char *setting;
	const char *thr[MAX_THRESHOLDS]; /* NULL-terminated when fewer */
	double def[MAX_THRESHOLDS];
};

static const struct check_def checks[C_COUNT] = {
	[C_WORK_MEM_ROLE] = {"work_mem_role", "work_mem",
			     {"min_temp_kb_per_call", "min_calls", "headroom", "max_mb",
			      "memory_share"},
			     {1024, 1, 2, 1024, 0.25}},
	[C_WORK_MEM_GLOBAL] = {"work_mem_global", "work_mem",
			       {"min_statements", "min_roles", "min_temp_files_per_day",
				"headroom", "max_mb", "memory_share"},
			       {5, 2, 100, 2, 256, 0.25}},
	[C_CHECKPOINTS] = {"checkpoints", "max_wal_size",
			   {"min_requested", "max_requested_share", "factor", "max_gb"},
			   {3, 0.2, 4, 64}},
	[C_CCT] = {"checkpoint_completion_target", "checkpoint_completion_target",
		   {"below", "recommend"},
		   {0.7, 0.9}},
	[C_SHARED_BUFFERS] = {"shared_buffers", "shared_buffers",
			      {"max_hit_ratio", "min_reads", "factor", "memory_share", "max_gb"},
			      {0.9, 100000, 2, 0.25, 8}},
	[C_MAX_CONNECTIONS] = {"max_connections", "max_connections",
			       {"max_use", "headroom"},
			       {0.8, 1.25}},
	[C_PGSS_MAX] = {"pg_stat_statements_max", "pg_stat_statements.max",
			{"min_dealloc", "factor", "max"},
			{1, 2, 100000}},
	[C_TRACK_IO_TIMING] = {"track_io_timing", "track_io_timing", {NULL}, {0}},
	[C_COMPUTE_QUERY_ID] = {"compute_query_id", "compute_query_id", {NULL}, {0}},
	[C_EFFECTIVE_CACHE_SIZE] = {"effective_cache_size", "effective_cache_size",
				    {"memory_share", "min_memory_share", "sb_factor", "min_sb_factor",
				     "max_hit_ratio", "min_reads"},
				    {0.75, 0.5, 3, 1, 0.99, 10000}},
	[C_AUTOVACUUM] = {"autovacuum", "autovacuum_vacuum_scale_factor",
			  {"min_dead_rows", "min_dead_share", "over_threshold", "min_lag_hours",
			   "scale_factor", "min_tables"},
			  {10000, 0.2, 2, 1, 0.05, 3}},
	[C_RANDOM_PAGE_COST] = {"random_page_cost", "random_page_cost",
				{"min_hit_ratio", "min_hours", "min_hours_share", "max_read_ms",
				 "min_reads", "recommend"},
				{0.99, 24, 0.9, 0.5, 10000, 1.1}},
};

struct prule {
	const char *id; /* interned */
	enum check check;
	int enabled;
	const char *severity;
	double confidence;
	double thr[MAX_THRESHOLDS];
	char *title;
	char *explain;
	int line;
};

struct param_rules {
	struct prule *r;
	int n;
	double mem; /* the machine's memory, NAN: not known */
};

/* ids outlive a rule set: findings and recommendations point at them */
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

static const char *const severities[] = {"low", "medium", "high", NULL};

struct param_rules *
params_rules_new(void)
{
	struct param_rules *pr = xcalloc(1, sizeof(struct param_rules));

	pr->mem = NAN;
	return pr;
}

void
params_rules_set_memory(struct param_rules *pr, double bytes)
{
	if (pr != NULL)
		pr->mem = isfinite(bytes) && bytes > 0 ? bytes : NAN;
}

double
params_rules_memory(const struct param_rules *pr)
{
	return pr != NULL ? pr->mem : NAN;
}

static void
prule_free(struct prule *r)
{
	free(r->title);
	free(r->explain);
}

void
params_rules_free(struct param_rules *pr)
{
	int i;

	if (pr == NULL)
		return;
	for (i = 0; i < pr->n; i++)
		prule_free(&pr->r[i]);
	free(pr->r);
	free(pr);
}

int
params_rules_count(const struct param_rules *pr)
{
	return pr != NULL ? pr->n : 0;
}

const char *
params_rules_id(const struct param_rules *pr, int i)
{
	return pr != NULL && i >= 0 && i < pr->n ? pr->r[i].id : NULL;
}

static int
valid_id(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= MAX_ID;
}

static void
append(char **dst, const char *v)
{
	char *n;

	if (*dst == NULL) {
		*dst = xstrdup(v);
		return;
	}
	n = xasprintf("%s %s", *dst, v);
	free(*dst);
	*dst = n;
}

static int
finish(struct param_rules *pr, struct prule *cur, int have_check, const char *name,
       struct pgt_err *err)
{
	int i;

	if (!have_check) {
		pgt_err_set(err, "%s:%d: rule '%s' has no 'check'", name, cur->line, cur->id);
		return -1;
	}
	if (cur->title == NULL) {
		pgt_err_set(err, "%s:%d: rule '%s' has no 'title'", name, cur->line, cur->id);
		return -1;
	}
	if (cur->explain == NULL) {
		pgt_err_set(err, "%s:%d: rule '%s' has no 'explain'", name, cur->line, cur->id);
		return -1;
	}
	for (i = 0; i < pr->n; i++)
		if (pr->r[i].id == cur->id) {
			prule_free(&pr->r[i]);
			pr->r[i] = *cur;
			return 0;
		}
	pr->r = xreallocarray(pr->r, (size_t)pr->n + 1, sizeof *pr->r);
	pr->r[pr->n++] = *cur;
	return 0;
}

static void
threshold_names(enum check c, char *buf, size_t size)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < MAX_THRESHOLDS && checks[c].thr[i] != NULL; i++) {
		if (i)
			strncat(buf, ", ", size - strlen(buf) - 1);
		strncat(buf, checks[c].thr[i], size - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		strlcpy_(buf, "none", size);
}

int
params_rules_load_text(struct param_rules *pr, const char *text, const char *name,
		       struct pgt_err *err)
{
	char *copy = xstrdup(text), *line = copy, *next;
	struct prule cur;
	const char **seen = NULL;
	int n_seen = 0, lineno = 0, in_rule = 0, have_check = 0, rc = -1, i;

	memset(&cur, 0, sizeof cur);
	for (; line != NULL; line = next) {
		char *l, *eq, *key, *v;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		l = str_trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']'), *id;

			if (e == NULL || *str_trim(e + 1) != '\0' || strncmp(l, "[rule ", 6) != 0) {
				pgt_err_set(err, "%s:%d: a header is [rule ID]", name, lineno);
				goto out;
			}
			*e = '\0';
			id = str_trim(l + 6);
			if (!valid_id(id)) {
				pgt_err_set(err,
					    "%s:%d: '%s' is not a rule id (a-z, 0-9 and _, starting "
					    "with a letter, at most %d characters)",
					    name, lineno, id, MAX_ID);
				goto out;
			}
			if (in_rule && finish(pr, &cur, have_check, name, err) < 0)
				goto out;
			in_rule = 0;
			for (i = 0; i < n_seen; i++)
				if (strcmp(seen[i], id) == 0) {
					pgt_err_set(err, "%s:%d: rule '%s' appears twice in the file",
						    name, lineno, id);
					goto out;
				}
			memset(&cur, 0, sizeof cur);
			cur.id = intern(id);
			cur.line = lineno;
			cur.enabled = 1;
			cur.severity = "medium";
			cur.confidence = 0.7;
			cur.check = C_COUNT;
			have_check = 0;
			in_rule = 1;
			seen = xreallocarray(seen, (size_t)n_seen + 1, sizeof *seen);
			seen[n_seen++] = cur.id;
			continue;
		}
		if (!in_rule) {
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
		if (strcmp(key, "check") == 0) {
			enum check c;

			if (have_check) {
				pgt_err_set(err, "%s:%d: a second 'check'", name, lineno);
				goto out;
			}
			for (c = 0; c < C_COUNT && strcmp(checks[c].name, v) != 0; c++)
				;
			if (c == C_COUNT) {
				pgt_err_set(err,
					    "%s:%d: unknown check '%s' (work_mem_role, "
					    "work_mem_global, checkpoints, checkpoint_completion_target, "
					    "shared_buffers, max_connections, pg_stat_statements_max, "
					    "track_io_timing, compute_query_id, effective_cache_size, "
					    "autovacuum, random_page_cost)",
					    name, lineno, v);
				goto out;
			}
			cur.check = c;
			for (i = 0; i < MAX_THRESHOLDS; i++)
				cur.thr[i] = checks[c].def[i];
			have_check = 1;
		} else if (strcmp(key, "enabled") == 0) {
			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				pgt_err_set(err, "%s:%d: 'enabled' is yes or no, not '%s'", name,
					    lineno, v);
				goto out;
			}
			cur.enabled = v[0] == 'y';
		} else if (strcmp(key, "severity") == 0) {
			for (i = 0; severities[i] != NULL && strcmp(severities[i], v) != 0; i++)
				;
			if (severities[i] == NULL) {
				pgt_err_set(err, "%s:%d: unknown severity '%s' (low, medium, high)",
					    name, lineno, v);
				goto out;
			}
			cur.severity = severities[i];
		} else if (strcmp(key, "confidence") == 0) {
			if (parse_double(v, 0, 1, &cur.confidence) < 0) {
				pgt_err_set(err, "%s:%d: 'confidence' is a number from 0 to 1, not '%s'",
					    name, lineno, v);
				goto out;
			}
		} else if (strcmp(key, "title") == 0) {
			if (cur.title != NULL) {
				pgt_err_set(err, "%s:%d: a second 'title'", name, lineno);
				goto out;
			}
			cur.title = xstrdup(v);
		} else if (strcmp(key, "explain") == 0) {
			append(&cur.explain, v);
		} else {
			char names[256];

			if (!have_check) {
				pgt_err_set(err,
					    "%s:%d: unknown key '%s' (check, enabled, severity, "
					    "confidence, title, explain; a threshold after 'check')",
					    name, lineno, key);
				goto out;
			}
			for (i = 0; i < MAX_THRESHOLDS && checks[cur.check].thr[i] != NULL &&
				    strcmp(checks[cur.check].thr[i], key) != 0;
			     i++)
				;
			threshold_names(cur.check, names, sizeof names);
			if (i == MAX_THRESHOLDS || checks[cur.check].thr[i] == NULL) {
				pgt_err_set(err,
					    "%s:%d: unknown key '%s' (check %s has the thresholds: %s)",
					    name, lineno, key, checks[cur.check].name, names);
				goto out;
			}
			if (parse_double(v, 0, 1e15, &cur.thr[i]) < 0) {
				pgt_err_set(err, "%s:%d: '%s' is a number from 0 to 1e15, not '%s'",
					    name, lineno, key, v);
				goto out;
			}
		}
	}
	if (in_rule && finish(pr, &cur, have_check, name, err) < 0)
		goto out;
	in_rule = 0;
	rc = 0;
out:
	if (in_rule)
		prule_free(&cur);
	free(seen);
	free(copy);
	return rc;
}

int
params_rules_load_file(struct param_rules *pr, const char *path, struct pgt_err *err)
{
	char *text = read_text_file(path, "parameter rules", err);
	int rc;

	if (text == NULL)
		return -1;
	rc = params_rules_load_text(pr, text, path, err);
	free(text);
	return rc;
}

static int
load_file_cb(void *ctx, const char *path, struct pgt_err *err)
{
	return params_rules_load_file(ctx, path, err);
}

int
params_rules_load_default(struct param_rules *pr, struct pgt_err *err)
{
	return paths_load_rules("params.rules", "parameter rules", load_file_cb, pr,
				err);
}

/* ---- values ---- */

double
param_bytes(const char *setting, const char *unit)
{
	double v, mul = 1;
	char *end;

	if (setting == NULL)
		return NAN;
	errno = 0;
	v = strtod(setting, &end);
	if (end == setting || *end != '\0' || errno != 0 || !isfinite(v))
		return NAN;
	if (unit != NULL && unit[0]) {
		double n = 1;
		char *u;

		n = strtod(unit, &u);
		if (u == unit)
			n = 1;
		if (strcmp(u, "B") == 0)
			mul = 1;
		else if (strcmp(u, "kB") == 0)
			mul = 1024;
		else if (strcmp(u, "MB") == 0)
			mul = 1024.0 * 1024;
		else if (strcmp(u, "GB") == 0)
			mul = 1024.0 * 1024 * 1024;
		else if (strcmp(u, "TB") == 0)
			mul = 1024.0 * 1024 * 1024 * 1024;
		else
			mul = 1, n = 1; /* a unit of time: the value as it is */
		mul *= n;
	}
	return v * mul;
}

char *
param_size_text(double bytes)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB"};
	double v = bytes / 1024;
	int u = 0;

	if (!isfinite(bytes))
		return xstrdup("?");
	while (u < 3 && v >= 1024 && fmod(v, 1024) == 0) {
		v /= 1024;
		u++;
	}
	return xasprintf("%.0f%s", v, units[u]);
}

const struct param_setting *
param_find(const struct param_setting *s, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].name != NULL && strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

int
param_non_default(const struct param_setting *s)
{
	return s->source != NULL && strcmp(s->source, "default") != 0 &&
	       strcmp(s->source, "override") != 0;
}

char *
param_value_text(const struct param_setting *s)
{
	double b;

	if (s == NULL)
		return NULL;
	if (s->unit == NULL || s->unit[0] == '\0')
		return xstrdup(s->setting != NULL ? s->setting : "");
	b = param_bytes(s->setting, s->unit);
	if (strcmp(s->unit, "s") == 0 || strcmp(s->unit, "ms") == 0 ||
	    strcmp(s->unit, "min") == 0 || !isfinite(b))
		return xasprintf("%s%s", s->setting != NULL ? s->setting : "", s->unit);
	return param_size_text(b);
}

/* The smallest power of two of mebibytes at least bytes, as bytes. */
static double
mb_pow2(double bytes)
{
	double mb = 1;

	while (mb * 1048576.0 < bytes && mb < 1e9)
		mb *= 2;
	return mb * 1048576.0;
}

static void
sb_num(struct strbuf *sb, double v)
{
	if (!isfinite(v))
		sb_add(sb, "null");
	else if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(sb, "%.0f", v);
	else
		sb_addf(sb, "%.4g", v);
}

static void
sb_key(struct strbuf *sb, const char *key)
{
	if (sb->len > 1)
		sb_add(sb, ", ");
	sb_add_json(sb, key);
	sb_add(sb, ": ");
}

static void
ev_num(struct strbuf *sb, const char *key, double v)
{
	sb_key(sb, key);
	sb_num(sb, v);
}

static void
ev_str(struct strbuf *sb, const char *key, const char *v)
{
	sb_key(sb, key);
	if (v == NULL)
		sb_add(sb, "null");
	else
		sb_add_json(sb, v);
}

/* A quoted identifier for ALTER ROLE. */
static char *
quote_ident(const char *s)
{
	struct strbuf sb = {0};

	sb_addc(&sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			sb_addc(&sb, '"');
		sb_addc(&sb, *s);
	}
	sb_addc(&sb, '"');
	return sb_detach(&sb);
}

struct out {
	struct param_rec **recs;
	int *n_recs;
	struct finding **finds;
	int *n_finds;
	int added;
};

/* Add a recommendation and its finding; takes evidence, detail and suggestion. */
static void
emit(struct out *o, const struct prule *r, const char *setting, char *current, char *recommended,
     char *scope, char *statement, char *evidence, char *figures, char *reason, int has_queryid,
     int64_t queryid)
{
	struct param_rec *pr;
	struct finding *f;

	*o->recs = xreallocarray(*o->recs, (size_t)*o->n_recs + 1, sizeof **o->recs);
	pr = &(*o->recs)[(*o->n_recs)++];
	memset(pr, 0, sizeof *pr);
	pr->rule = r->id;
	pr->name = xstrdup(setting);
	pr->current = current;
	pr->recommended = recommended;
	pr->scope = scope;
	pr->statement = statement;
	pr->confidence = r->confidence;
	pr->evidence = evidence;

	*o->finds = xreallocarray(*o->finds, (size_t)*o->n_finds + 1, sizeof **o->finds);
	f = &(*o->finds)[(*o->n_finds)++];
	finding_init(f);
	f->rule = r->id;
	f->metric = intern(setting);
	f->category = "parameter";
	f->severity = r->severity;
	f->confidence = r->confidence;
	f->has_queryid = has_queryid;
	f->queryid = queryid;
	f->title = xstrdup(r->title);
	f->detail = xasprintf("%s %s", r->explain, figures);
	f->suggestion = xasprintf("%s\n%s", statement, reason);
	f->evidence = xstrdup(evidence);
	free(figures);
	free(reason);
	o->added++;
}

static char *
alter_system(const char *name, const char *value, int restart)
{
	return xasprintf("ALTER SYSTEM SET %s = '%s'; %s", name, value,
			 restart ? "-- then restart the server" : "SELECT pg_reload_conf();");
}

/* ---- the checks ---- */

/*
 * A value as ALTER ROLE ... SET keeps it ("64kB", or "65536" in the setting's unit) in
 * bytes; NAN when it is not a size.
 */
static double
param_text_bytes(const char *v, const char *unit)
{
	double n;
	char *end;

	if (v == NULL)
		return NAN;
	errno = 0;
	n = strtod(v, &end);
	if (end == v || errno != 0 || !isfinite(n))
		return NAN;
	while (*end == ' ')
		end++;
	if (*end == '\0') {
		char num[64];

		snprintf(num, sizeof num, "%.17g", n);
		return param_bytes(num, unit);
	}
	if (strcmp(end, "B") == 0)
		return n;
	if (strcmp(end, "kB") == 0)
		return n * 1024;
	if (strcmp(end, "MB") == 0)
		return n * 1048576.0;
	if (strcmp(end, "GB") == 0)
		return n * 1073741824.0;
	if (strcmp(end, "TB") == 0)
		return n * 1099511627776.0;
	return NAN;
}

/*
 * What a role sets for a setting (ALTER ROLE ... SET): in every database first, else in
 * one of them; NULL when it sets none.
 */
static const struct param_role_setting *
role_setting(const struct param_input *in, const char *role, const char *name)
{
	const struct param_role_setting *any = NULL;
	int i;

	for (i = 0; i < in->n_role_settings; i++) {
		const struct param_role_setting *rs = &in->role_settings[i];

		if (rs->role == NULL || rs->setting == NULL || strcmp(rs->role, role) != 0 ||
		    strcmp(rs->name, name) != 0)
			continue;
		if (rs->database == NULL)
			return rs;
		if (any == NULL)
			any = rs;
	}
	return any;
}

struct role_group {
	const char *role;
	int *idx;
	int n;
};

static void
check_work_mem_role(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double min_kb = r->thr[0], min_calls = r->thr[1], headroom = r->thr[2],
		     max_bytes = r->thr[3] * 1048576.0, mem_share = r->thr[4];
	const struct param_setting *wm =
		param_find(in->settings, in->n_settings, "work_mem");
	const struct param_setting *mc =
		param_find(in->settings, in->n_settings, "max_connections");
	double cur = wm != NULL ? param_bytes(wm->setting, wm->unit) : NAN;
	double conns = mc != NULL ? param_bytes(mc->setting, mc->unit) : NAN;
	struct role_group *g = NULL;
	int n_g = 0, i, k;

	for (i = 0; i < in->n_stmts; i++) {
		const struct param_stmt *s = &in->stmts[i];
		double kb;

		if (s->calls < min_calls || s->calls <= 0)
			continue;
		kb = s->temp_blks_written * 8.0 / s->calls;
		if (kb < min_kb)
			continue;
		for (k = 0; k < n_g; k++)
			if ((g[k].role == NULL && s->role == NULL) ||
			    (g[k].role != NULL && s->role != NULL && strcmp(g[k].role, s->role) == 0))
				break;
		if (k == n_g) {
			g = xreallocarray(g, (size_t)n_g + 1, sizeof *g);
			memset(&g[n_g++], 0, sizeof *g);
			g[k].role = s->role;
		}
		g[k].idx = xreallocarray(g[k].idx, (size_t)g[k].n + 1, sizeof *g[k].idx);
		g[k].idx[g[k].n++] = i;
	}
	for (k = 0; k < n_g; k++) {
		struct strbuf ev = {0};
		double need = 0, rec, bound = max_bytes, top_temp = -1, eff = cur;
		const char *bound_by = "max_mb";
		const struct param_role_setting *rs =
			g[k].role != NULL ? role_setting(in, g[k].role, "work_mem") : NULL;
		int64_t top = 0;
		char *rec_text, *cur_text, *stmt, *figures, *reason, *scope, *role_note;

		/* the role's own value is the one its sessions start with */
		if (rs != NULL && isfinite(param_text_bytes(rs->setting, wm != NULL ? wm->unit : "kB")))
			eff = param_text_bytes(rs->setting, wm != NULL ? wm->unit : "kB");
		for (i = 0; i < g[k].n; i++) {
			const struct param_stmt *s = &in->stmts[g[k].idx[i]];
			double b = s->temp_blks_written * 8192.0 / s->calls;

			if (b > need)
				need = b;
			if (s->temp_blks_written > top_temp) {
				top_temp = s->temp_blks_written;
				top = s->queryid;
			}
		}
		rec = mb_pow2(need * headroom);
		if (isfinite(eff) && rec < 2 * eff)
			rec = mb_pow2(2 * eff);
		if (isfinite(in->mem_bytes) && isfinite(conns) && conns > 0 &&
		    mem_share * in->mem_bytes / conns < bound) {
			bound = mem_share * in->mem_bytes / conns;
			bound_by = "memory";
		}
		if (rec > bound) {
			rec = bound;
			rec = floor(rec / 1048576.0) * 1048576.0;
		}
		if (isfinite(eff) && rec <= eff) {
			free(g[k].idx);
			continue;
		}
		rec_text = param_size_text(rec);
		cur_text = rs == NULL		? param_value_text(wm)
			   : isfinite(param_text_bytes(rs->setting, wm != NULL ? wm->unit : "kB"))
				? param_size_text(eff)
				: xstrdup(rs->setting);
		sb_addc(&ev, '{');
		ev_str(&ev, "role", g[k].role);
		ev_str(&ev, "work_mem", cur_text);
		sb_key(&ev, "role_setting");
		if (rs == NULL) {
			sb_add(&ev, "null");
		} else {
			sb_addc(&ev, '{');
			sb_add(&ev, "\"work_mem\": ");
			sb_add_json(&ev, rs->setting);
			sb_add(&ev, ", \"database\": ");
			if (rs->database != NULL)
				sb_add_json(&ev, rs->database);
			else
				sb_add(&ev, "null");
			sb_addc(&ev, '}');
		}
		sb_key(&ev, "statements");
		sb_addc(&ev, '[');
		for (i = 0; i < g[k].n && i < 10; i++) {
			const struct param_stmt *s = &in->stmts[g[k].idx[i]];

			sb_addf(&ev, "%s{\"queryid\": \"%lld\", \"calls\": ", i ? ", " : "",
				(long long)s->queryid);
			sb_num(&ev, s->calls);
			sb_add(&ev, ", \"temp_kb_per_call\": ");
			sb_num(&ev, round(s->temp_blks_written * 8.0 / s->calls));
			sb_add(&ev, ", \"temp_blks_written\": ");
			sb_num(&ev, s->temp_blks_written);
			sb_addc(&ev, '}');
		}
		sb_addc(&ev, ']');
		ev_num(&ev, "spilling_statements", g[k].n);
		ev_num(&ev, "largest_spill_kb_per_call", round(need / 1024));
		ev_num(&ev, "max_connections", conns);
		ev_num(&ev, "memory_bytes", in->mem_bytes);
		ev_str(&ev, "bounded_by", rec >= mb_pow2(need * headroom) ? NULL : bound_by);
		ev_str(&ev, "bound_skipped", isfinite(in->mem_bytes) ? NULL : "memory_share");
		sb_key(&ev, "spill_below_work_mem");
		sb_add(&ev, isfinite(eff) && need < eff ? "true" : "false");
		sb_addc(&ev, '}');
		if (g[k].role != NULL) {
			char *q = quote_ident(g[k].role);

			scope = xasprintf("role %s", g[k].role);
			if (rs != NULL && rs->database != NULL) {
				char *d = quote_ident(rs->database);

				stmt = xasprintf("ALTER ROLE %s IN DATABASE %s SET work_mem = '%s';", q,
						 d, rec_text);
				free(d);
			} else {
				stmt = xasprintf("ALTER ROLE %s SET work_mem = '%s';", q, rec_text);
			}
			free(q);
		} else {
			scope = xstrdup("statement");
			stmt = xasprintf("SET LOCAL work_mem = '%s';", rec_text);
		}
		if (rs != NULL)
			role_note = xasprintf(" The role already sets work_mem = %s%s%s (ALTER ROLE): "
					      "that is the value its sessions start with, and the one "
					      "to raise.",
					      rs->setting, rs->database != NULL ? " in database " : "",
					      rs->database != NULL ? rs->database : "");
		else
			role_note = xstrdup("");
		figures = xasprintf("%d statement%s%s%s wrote temporary files, the largest %.0f kB "
				    "a call; work_mem is %s%s.",
				    g[k].n, g[k].n == 1 ? "" : "s",
				    g[k].role != NULL ? " of role " : "",
				    g[k].role != NULL ? g[k].role : "", need / 1024,
				    cur_text != NULL ? cur_text : "not in the history",
				    rs != NULL ? " (the role's own setting)" : "");
		reason = xasprintf(
			"%s's sorts and hashes would fit in memory with %.0f times the largest "
			"spill; %s. New sessions of the role take it; for one statement, SET LOCAL "
			"work_mem in its transaction does the same.%s %s",
			g[k].role != NULL ? g[k].role : "the statement", headroom,
			isfinite(in->mem_bytes)
				? "bounded so that max_connections sessions at this work_mem fit in "
				  "the memory share"
				: "the machine's memory is not known (--server-memory), so that bound "
				  "is skipped: check that the role's sessions times this work_mem fit "
				  "in memory",
			role_note,
			rs == NULL && isfinite(eff) && need < eff
				? "The spill is smaller than the server's work_mem and the role sets "
				  "none of its own: its sessions or the statement's function may set a "
				  "lower one; a per-role setting replaces the server's."
				: "A per-role or per-statement setting leaves the other sessions as "
				  "they are.");
		free(role_note);
		emit(o, r, "work_mem", cur_text, rec_text, scope, stmt, sb_detach(&ev), figures,
		     reason, 1, top);
		free(g[k].idx);
	}
	free(g);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
check_work_mem_global(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double min_stmts = r->thr[0], min_roles = r->thr[1], min_files = r->thr[2],
		     headroom = r->thr[3], max_bytes = r->thr[4] * 1048576.0, mem_share = r->thr[5];
	const struct param_setting *wm = param_find(in->settings, in->n_settings, "work_mem");
	const struct param_setting *mc =
		param_find(in->settings, in->n_settings, "max_connections");
	double cur = wm != NULL ? param_bytes(wm->setting, wm->unit) : NAN;
	double conns = mc != NULL ? param_bytes(mc->setting, mc->unit) : NAN;
	double *need = xcalloc((size_t)in->n_stmts + 1, sizeof *need), files_per_day, rec, med;
	const char *roles[64];
	int n = 0, n_roles = 0, i, k;
	struct strbuf ev = {0};
	char *rec_text, *cur_text;

	if (!in->have_db || in->days <= 0) {
		free(need);
		return;
	}
	files_per_day = in->temp_files / in->days;
	for (i = 0; i < in->n_stmts; i++) {
		const struct param_stmt *s = &in->stmts[i];

		if (s->calls <= 0 || s->temp_blks_written <= 0)
			continue;
		need[n++] = s->temp_blks_written * 8192.0 / s->calls;
		for (k = 0; k < n_roles; k++)
			if (s->role != NULL && roles[k] != NULL && strcmp(roles[k], s->role) == 0)
				break;
		if (k == n_roles && n_roles < 64)
			roles[n_roles++] = s->role;
	}
	if (n < min_stmts || n_roles < min_roles || files_per_day < min_files) {
		free(need);
		return;
	}
	qsort(need, (size_t)n, sizeof *need, cmp_double);
	med = need[n / 2];
	rec = mb_pow2(med * headroom);
	if (isfinite(cur) && rec < 2 * cur)
		rec = mb_pow2(2 * cur);
	if (rec > max_bytes)
		rec = max_bytes;
	if (isfinite(in->mem_bytes) && isfinite(conns) && conns > 0 &&
	    rec > mem_share * in->mem_bytes / conns)
		rec = floor(mem_share * in->mem_bytes / conns / 1048576.0) * 1048576.0;
	free(need);
	if (isfinite(cur) && rec <= cur)
		return;
	rec_text = param_size_text(rec);
	cur_text = param_value_text(wm);
	sb_addc(&ev, '{');
	ev_str(&ev, "work_mem", cur_text);
	ev_num(&ev, "spilling_statements", n);
	ev_num(&ev, "roles", n_roles);
	ev_num(&ev, "temp_files", in->temp_files);
	ev_num(&ev, "temp_bytes", in->temp_bytes);
	ev_num(&ev, "temp_files_per_day", round(files_per_day));
	ev_num(&ev, "median_spill_kb_per_call", round(med / 1024));
	ev_num(&ev, "max_connections", conns);
	ev_num(&ev, "memory_bytes", in->mem_bytes);
	ev_str(&ev, "bound_skipped", isfinite(in->mem_bytes) ? NULL : "memory_share");
	sb_addc(&ev, '}');
	emit(o, r, "work_mem", cur_text, rec_text, xstrdup("system"),
	     alter_system("work_mem", rec_text, 0), sb_detach(&ev),
	     xasprintf("%d statements of %d roles spilled to temporary files, %.0f files a day; "
		       "the median spill is %.0f kB a call; work_mem is %s.",
		       n, n_roles, files_per_day, med / 1024,
		       cur_text != NULL ? cur_text : "not in the history"),
	     xasprintf("Spills are spread over many statements and roles, so the default is "
		       "raised (to %.0f times the median spill, at most %.0f MB%s). Every sort "
		       "or hash of every session may take this much: per-role settings come first "
		       "where one role spills most.",
		       headroom, r->thr[4],
		       isfinite(in->mem_bytes) ? ", and within the memory share per connection"
					       : "; the machine's memory is not known (--server-memory), so "
						 "that bound is skipped"),
	     0, 0);
}

static void
check_checkpoints(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double min_req = r->thr[0], max_share = r->thr[1], factor = r->thr[2],
		     max_bytes = r->thr[3] * 1073741824.0;
	const struct param_setting *mws =
		param_find(in->settings, in->n_settings, "max_wal_size");
	const struct param_setting *cto =
		param_find(in->settings, in->n_settings, "checkpoint_timeout");
	double cur, rec, share, total, per_hour = NAN, per_ckpt = NAN, at_peak = NAN, timeout;
	struct strbuf ev = {0};
	char *rec_text, *cur_text, *timeout_text, *wal_text;

	if (!in->have_ckpt)
		return;
	total = in->ckpt_timed + in->ckpt_requested;
	share = total > 0 ? in->ckpt_requested / total : 0;
	if (in->ckpt_requested < min_req || share <= max_share)
		return;
	cur = mws != NULL ? param_bytes(mws->setting, mws->unit) : NAN;
	if (!isfinite(cur))
		cur = 1073741824.0; /* the default */
	rec = cur * factor;
	if (rec > max_bytes)
		rec = max_bytes;
	rec = ceil(rec / 1048576.0) * 1048576.0;
	if (rec <= cur)
		return;
	rec_text = param_size_text(rec);
	cur_text = param_value_text(mws);
	timeout_text = param_value_text(cto);
	timeout = cto != NULL ? param_bytes(cto->setting, cto->unit) : NAN;
	if (cto != NULL && cto->unit != NULL && strcmp(cto->unit, "min") == 0)
		timeout *= 60;
	if (!isfinite(timeout) || timeout <= 0)
		timeout = 300; /* the default */
	/* the WAL volume (pg_stat_wal): per hour, between checkpoints, per checkpoint_timeout */
	if (in->have_wal && in->wal_hours > 0) {
		per_hour = in->wal_bytes / in->wal_hours;
		at_peak = in->wal_peak_hour * timeout / 3600.0;
	}
	if (in->have_wal && in->wal_ckpt_count > 0)
		per_ckpt = in->wal_ckpt_bytes / in->wal_ckpt_count;
	if (isfinite(per_hour))
		wal_text = xasprintf(" WAL written: %.0f MB an hour on average, %.0f MB in the "
				     "busiest hour, so %.0f MB per checkpoint_timeout at that rate.",
				     per_hour / 1048576.0, in->wal_peak_hour / 1048576.0,
				     at_peak / 1048576.0);
	else
		wal_text = xstrdup(" The WAL volume is not in the history (pg_stat_wal: PostgreSQL "
				   "14 and later).");
	if (isfinite(per_ckpt)) {
		char *t = xasprintf("%s %.0f MB of WAL was written per checkpoint in the samples "
				    "that saw them, against max_wal_size %s.",
				    wal_text, per_ckpt / 1048576.0,
				    cur_text != NULL ? cur_text : "of 1GB");
		free(wal_text);
		wal_text = t;
	}
	sb_addc(&ev, '{');
	ev_num(&ev, "checkpoints_timed", in->ckpt_timed);
	ev_num(&ev, "checkpoints_requested", in->ckpt_requested);
	ev_num(&ev, "requested_share", round(share * 1000) / 1000);
	ev_num(&ev, "hours", round(in->ckpt_hours * 100) / 100);
	ev_num(&ev, "requested_per_hour",
	       in->ckpt_hours > 0 ? round(in->ckpt_requested / in->ckpt_hours * 10) / 10 : NAN);
	ev_str(&ev, "max_wal_size", cur_text);
	ev_str(&ev, "checkpoint_timeout", timeout_text);
	ev_num(&ev, "wal_bytes", in->have_wal ? in->wal_bytes : NAN);
	ev_num(&ev, "wal_bytes_per_hour", isfinite(per_hour) ? round(per_hour) : NAN);
	ev_num(&ev, "wal_bytes_peak_hour", in->have_wal ? in->wal_peak_hour : NAN);
	ev_num(&ev, "wal_bytes_per_checkpoint", isfinite(per_ckpt) ? round(per_ckpt) : NAN);
	ev_num(&ev, "wal_bytes_per_checkpoint_timeout_at_peak",
	       isfinite(at_peak) ? round(at_peak) : NAN);
	ev_num(&ev, "max_wal_size_bytes", cur);
	sb_addc(&ev, '}');
	emit(o, r, "max_wal_size", cur_text, rec_text, xstrdup("system"),
	     alter_system("max_wal_size", rec_text, 0), sb_detach(&ev),
	     xasprintf("%.0f of %.0f checkpoints (%.0f%%) were requested, not timed, in %.1f "
		       "hours sampled; max_wal_size is %s, checkpoint_timeout %s.%s",
		       in->ckpt_requested, total, share * 100, in->ckpt_hours,
		       cur_text != NULL ? cur_text : "not in the history",
		       timeout_text != NULL ? timeout_text : "not in the history", wal_text),
	     xasprintf("WAL fills max_wal_size before checkpoint_timeout ends, so checkpoints come "
		       "early and often, each followed by full-page writes. %.0f times the "
		       "size (at most %.0f GB) lets checkpoint_timeout pace them; it needs the "
		       "disk room for that much WAL.%s",
		       factor, r->thr[3],
		       isfinite(at_peak) && at_peak > rec
			       ? " The busiest hour wrote more than that per checkpoint_timeout: "
				 "checkpoints may still be requested then."
			       : ""),
	     0, 0);
	free(timeout_text);
	free(wal_text);
}

static void
check_cct(const struct prule *r, const struct param_input *in, struct out *o)
{
	const struct param_setting *s =
		param_find(in->settings, in->n_settings, "checkpoint_completion_target");
	double v = s != NULL ? param_bytes(s->setting, s->unit) : NAN;
	struct strbuf ev = {0};
	char rec[32];

	if (!isfinite(v) || v >= r->thr[0])
		return;
	snprintf(rec, sizeof rec, "%g", r->thr[1]);
	sb_addc(&ev, '{');
	ev_num(&ev, "checkpoint_completion_target", v);
	ev_num(&ev, "below", r->thr[0]);
	sb_addc(&ev, '}');
	emit(o, r, "checkpoint_completion_target", xstrdup(s->setting), xstrdup(rec),
	     xstrdup("system"), alter_system("checkpoint_completion_target", rec, 0),
	     sb_detach(&ev),
	     xasprintf("checkpoint_completion_target is %s, below %g.", s->setting, r->thr[0]),
	     xasprintf("A checkpoint's writes are spread over that share of the time between "
		       "checkpoints; %s spreads them over most of it.",
		       rec),
	     0, 0);
}

static void
check_shared_buffers(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double max_ratio = r->thr[0], min_reads = r->thr[1], factor = r->thr[2],
		     share = r->thr[3], max_bytes = r->thr[4] * 1073741824.0;
	const struct param_setting *sb =
		param_find(in->settings, in->n_settings, "shared_buffers");
	double cur = sb != NULL ? param_bytes(sb->setting, sb->unit) : NAN, ratio, rec,
	       bound = max_bytes;
	struct strbuf ev = {0};
	char *rec_text, *cur_text;

	if (!in->have_db || in->blks_read + in->blks_hit <= 0 || !isfinite(cur))
		return;
	ratio = in->blks_hit / (in->blks_hit + in->blks_read);
	if (ratio >= max_ratio || in->blks_read < min_reads)
		return;
	if (isfinite(in->mem_bytes))
		bound = share * in->mem_bytes;
	rec = cur * factor;
	if (rec > bound)
		rec = floor(bound / 1048576.0) * 1048576.0;
	if (rec <= cur)
		return;
	rec_text = param_size_text(rec);
	cur_text = param_value_text(sb);
	sb_addc(&ev, '{');
	ev_num(&ev, "blks_hit", in->blks_hit);
	ev_num(&ev, "blks_read", in->blks_read);
	ev_num(&ev, "hit_ratio", round(ratio * 10000) / 10000);
	ev_str(&ev, "shared_buffers", cur_text);
	ev_num(&ev, "memory_bytes", in->mem_bytes);
	ev_str(&ev, "bound_skipped", isfinite(in->mem_bytes) ? NULL : "memory_share");
	ev_str(&ev, "bounded_by", isfinite(in->mem_bytes) ? "memory_share" : "max_gb");
	sb_addc(&ev, '}');
	emit(o, r, "shared_buffers", cur_text, rec_text, xstrdup("system"),
	     alter_system("shared_buffers", rec_text, 1), sb_detach(&ev),
	     xasprintf("%.1f%% of the blocks read were found in shared buffers (%.0f read from "
		       "outside); shared_buffers is %s.",
		       ratio * 100, in->blks_read, cur_text),
	     xasprintf("A larger cache keeps more of the working set; %s. Reads that the "
		       "operating system's cache serves are counted as reads too, so check the "
		       "read times (track_io_timing) before a restart.",
		       isfinite(in->mem_bytes) ? "at most the memory share"
					       : "the machine's memory is not known (--server-memory), so "
						 "the bound is max_gb: keep it near a quarter of the memory"),
	     0, 0);
}

static void
check_max_connections(const struct prule *r, const struct param_input *in, struct out *o)
{
	const struct param_setting *mc =
		param_find(in->settings, in->n_settings, "max_connections");
	double cur = mc != NULL ? param_bytes(mc->setting, mc->unit) : NAN, use, rec;
	struct strbuf ev = {0};
	char rec_text[32];

	if (!in->have_sess || !isfinite(cur) || cur <= 0)
		return;
	use = in->sess_peak / cur;
	if (use < r->thr[0])
		return;
	rec = ceil(in->sess_peak * r->thr[1] / 10) * 10;
	if (rec <= cur)
		rec = cur + 10;
	snprintf(rec_text, sizeof rec_text, "%.0f", rec);
	sb_addc(&ev, '{');
	ev_num(&ev, "peak_sessions", in->sess_peak);
	ev_num(&ev, "max_connections", cur);
	ev_num(&ev, "peak_use", round(use * 1000) / 1000);
	sb_addc(&ev, '}');
	emit(o, r, "max_connections", xstrdup(mc->setting), xstrdup(rec_text), xstrdup("system"),
	     alter_system("max_connections", rec_text, 1), sb_detach(&ev),
	     xasprintf("At the peak, %.0f sessions of %.0f allowed (%.0f%%).", in->sess_peak, cur,
		       use * 100),
	     xasprintf("New connections are refused at the limit. %.0f leaves room above the "
		       "peak; a connection pooler in front of the server is the other way out, and "
		       "every connection may take work_mem per sort.",
		       rec),
	     0, 0);
}

static void
check_pgss_max(const struct prule *r, const struct param_input *in, struct out *o)
{
	const struct param_setting *m =
		param_find(in->settings, in->n_settings, "pg_stat_statements.max");
	double cur = m != NULL ? param_bytes(m->setting, m->unit) : NAN, rec;
	struct strbuf ev = {0};
	char rec_text[32];

	if (!in->have_dealloc || in->dealloc < r->thr[0] || !isfinite(cur))
		return;
	rec = cur * r->thr[1];
	if (rec > r->thr[2])
		rec = r->thr[2];
	if (rec <= cur)
		return;
	snprintf(rec_text, sizeof rec_text, "%.0f", rec);
	sb_addc(&ev, '{');
	ev_num(&ev, "dealloc", in->dealloc);
	ev_num(&ev, "pg_stat_statements.max", cur);
	sb_addc(&ev, '}');
	emit(o, r, "pg_stat_statements.max", xstrdup(m->setting), xstrdup(rec_text),
	     xstrdup("system"), alter_system("pg_stat_statements.max", rec_text, 1),
	     sb_detach(&ev),
	     xasprintf("pg_stat_statements dropped its least used entries %.0f times in the "
		       "window (pg_stat_statements_info.dealloc); it keeps %.0f.",
		       in->dealloc, cur),
	     xstrdup("A dropped entry loses its counters, and its statement comes back with "
		     "figures that start again: room for more entries keeps the history whole."),
	     0, 0);
}

static void
check_switch(const struct prule *r, const struct param_input *in, struct out *o,
	     const char *name, const char *bad, const char *good, const char *why)
{
	const struct param_setting *s = param_find(in->settings, in->n_settings, name);
	struct strbuf ev = {0};

	if (s == NULL || s->setting == NULL || strcmp(s->setting, bad) != 0)
		return;
	sb_addc(&ev, '{');
	ev_str(&ev, name, s->setting);
	ev_str(&ev, "source", s->source);
	sb_addc(&ev, '}');
	emit(o, r, name, xstrdup(s->setting), xstrdup(good), xstrdup("system"),
	     alter_system(name, good, 0), sb_detach(&ev),
	     xasprintf("%s is %s.", name, s->setting), xstrdup(why), 0, 0);
}

/* A number of a setting as it is; NAN when not in the history or not a number. */
static double
setting_num(const struct param_input *in, const char *name)
{
	const struct param_setting *p = param_find(in->settings, in->n_settings, name);

	return p != NULL ? param_bytes(p->setting, p->unit) : NAN;
}

/* A size in bytes rounded down to whole mebibytes (at least one). */
static double
whole_mb(double bytes)
{
	double mb = floor(bytes / 1048576.0);

	return (mb < 1 ? 1 : mb) * 1048576.0;
}

static void
check_effective_cache_size(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double mem_share = r->thr[0], min_mem_share = r->thr[1], sb_factor = r->thr[2],
		     min_sb_factor = r->thr[3], max_hit = r->thr[4], min_reads = r->thr[5];
	const struct param_setting *ecs_s =
		param_find(in->settings, in->n_settings, "effective_cache_size");
	const struct param_setting *sb_s =
		param_find(in->settings, in->n_settings, "shared_buffers");
	double ecs = ecs_s != NULL ? param_bytes(ecs_s->setting, ecs_s->unit) : NAN;
	double sb = sb_s != NULL ? param_bytes(sb_s->setting, sb_s->unit) : NAN;
	double rec, ratio = NAN;
	int by_memory = isfinite(in->mem_bytes);
	struct strbuf ev = {0};
	char *rec_text, *cur_text, *sb_text;

	if (!isfinite(ecs) || !isfinite(sb))
		return;
	if (in->have_db && in->blks_hit + in->blks_read > 0)
		ratio = in->blks_hit / (in->blks_hit + in->blks_read);
	if (by_memory) {
		/* the planner's guess of the cache, against the machine's memory */
		if (ecs >= min_mem_share * in->mem_bytes)
			return;
		rec = whole_mb(mem_share * in->mem_bytes);
	} else {
		/*
		 * Without the memory, only a value below shared_buffers is plainly wrong (shared
		 * buffers are cache too), and it matters only when blocks are read from outside
		 * them.
		 */
		if (ecs >= min_sb_factor * sb || !isfinite(ratio) || ratio >= max_hit ||
		    in->blks_read < min_reads)
			return;
		rec = whole_mb(sb_factor * sb);
	}
	if (rec <= ecs)
		return;
	rec_text = param_size_text(rec);
	cur_text = param_value_text(ecs_s);
	sb_text = param_value_text(sb_s);
	sb_addc(&ev, '{');
	ev_str(&ev, "effective_cache_size", cur_text);
	ev_str(&ev, "shared_buffers", sb_text);
	ev_num(&ev, "memory_bytes", in->mem_bytes);
	ev_str(&ev, "bound_skipped", by_memory ? NULL : "memory_share");
	ev_str(&ev, "based_on", by_memory ? "memory" : "shared_buffers");
	ev_num(&ev, "hit_ratio", isfinite(ratio) ? round(ratio * 10000) / 10000 : NAN);
	ev_num(&ev, "blks_read", in->have_db ? in->blks_read : NAN);
	sb_addc(&ev, '}');
	emit(o, r, "effective_cache_size", cur_text, rec_text, xstrdup("system"),
	     alter_system("effective_cache_size", rec_text, 0), sb_detach(&ev),
	     by_memory ? xasprintf("effective_cache_size is %s, less than %.0f%% of the machine's "
				   "%.0f MB of memory.",
				   cur_text, min_mem_share * 100, in->mem_bytes / 1048576.0)
		       : xasprintf("effective_cache_size is %s, below shared_buffers (%s), while "
				   "%.1f%% of the blocks came from outside shared buffers (%.0f "
				   "read).",
				   cur_text, sb_text, (1 - ratio) * 100, in->blks_read),
	     by_memory ? xasprintf("The planner takes effective_cache_size as the memory that "
				   "caches data (shared buffers and the operating system's cache); "
				   "%.0f%% of the memory is the usual estimate on a machine that "
				   "runs the database only. It allocates nothing.",
				   mem_share * 100)
		       : xasprintf("The planner takes effective_cache_size as the memory that "
				   "caches data, shared buffers included: below shared_buffers it "
				   "underrates index scans. %.0f times shared_buffers is the estimate "
				   "when shared_buffers is a quarter of the memory; the machine's "
				   "memory is not known (--server-memory), so that bound is skipped. "
				   "It allocates nothing.",
				   sb_factor),
	     0, 0);
	free(sb_text);
}

/* The value of KEY in a table's storage options ("a=1,b=off"), or NULL. */
static char *
reloption(const char *opts, const char *key)
{
	size_t len = strlen(key);
	const char *p = opts;

	while (p != NULL && *p) {
		if (strncmp(p, key, len) == 0 && p[len] == '=') {
			const char *v = p + len + 1;

			return xstrndup(v, strcspn(v, ","));
		}
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static int
is_off(const char *v)
{
	return v != NULL && (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
			     strcmp(v, "0") == 0 || strcmp(v, "no") == 0);
}

/* "schema"."table" */
static char *
table_ident(const struct param_table *t)
{
	char *a = quote_ident(t->schema != NULL ? t->schema : "public");
	char *b = quote_ident(t->name != NULL ? t->name : "");
	char *r = xasprintf("%s.%s", a, b);

	free(a);
	free(b);
	return r;
}

struct lag {
	const struct param_table *t;
	double trigger, sf;
	int disabled;
	double lag_h; /* hours since the last vacuum, INFINITY: never */
};

static int
cmp_lag(const void *a, const void *b)
{
	const struct lag *x = a, *y = b;

	return x->t->dead_rows > y->t->dead_rows ? -1 : x->t->dead_rows < y->t->dead_rows;
}

#define MAX_TABLE_ADVICE 10

static void
check_autovacuum(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double min_dead = r->thr[0], min_share = r->thr[1], over = r->thr[2],
		     min_lag_s = r->thr[3] * 3600, rec_sf = r->thr[4], min_tables = r->thr[5];
	const struct param_setting *av = param_find(in->settings, in->n_settings, "autovacuum");
	double g_sf = setting_num(in, "autovacuum_vacuum_scale_factor");
	double g_thr = setting_num(in, "autovacuum_vacuum_threshold");
	double naptime = setting_num(in, "autovacuum_naptime");
	double workers = setting_num(in, "autovacuum_max_workers");
	int global_off = av != NULL && is_off(av->setting);
	struct lag *lags = NULL;
	int n = 0, n_busy = 0, i;
	char rec_text[64];

	if (!isfinite(g_sf))
		g_sf = 0.2; /* the defaults */
	if (!isfinite(g_thr))
		g_thr = 50;
	for (i = 0; i < in->n_tables; i++) {
		const struct param_table *t = &in->tables[i];
		char *en = reloption(t->reloptions, "autovacuum_enabled");
		char *sf_s = reloption(t->reloptions, "autovacuum_vacuum_scale_factor");
		char *th_s = reloption(t->reloptions, "autovacuum_vacuum_threshold");
		double sf = sf_s != NULL ? strtod(sf_s, NULL) : g_sf;
		double th = th_s != NULL ? strtod(th_s, NULL) : g_thr;
		double total = t->live_rows + t->dead_rows, trigger = th + sf * t->live_rows;
		double lag = t->last_vacuum > 0 ? t->ts - t->last_vacuum : INFINITY;
		int disabled = is_off(en);

		free(en);
		free(sf_s);
		free(th_s);
		if (t->dead_rows < min_dead || total <= 0 || t->dead_rows / total < min_share ||
		    t->dead_rows < over * trigger || lag < min_lag_s)
			continue;
		lags = xreallocarray(lags, (size_t)n + 1, sizeof *lags);
		lags[n].t = t;
		lags[n].trigger = trigger;
		lags[n].sf = sf;
		lags[n].disabled = disabled;
		lags[n].lag_h = lag / 3600;
		n++;
	}
	if (n == 0)
		return;
	qsort(lags, (size_t)n, sizeof *lags, cmp_lag);
	for (i = 0; i < n; i++) {
		const struct lag *l = &lags[i];
		const struct param_table *t = l->t;
		struct strbuf ev = {0};
		char *ident, *stmt, *cur;
		double sf = l->sf > rec_sf ? rec_sf : l->sf;

		if (!l->disabled && (global_off || l->sf <= rec_sf)) {
			n_busy += !global_off; /* autovacuum runs and the factor is low already */
			continue;
		}
		if (i >= MAX_TABLE_ADVICE)
			continue;
		ident = table_ident(t);
		snprintf(rec_text, sizeof rec_text, "%g", sf);
		sb_addc(&ev, '{');
		ev_str(&ev, "table", ident);
		ev_num(&ev, "n_dead_tup", t->dead_rows);
		ev_num(&ev, "n_live_tup", t->live_rows);
		ev_num(&ev, "dead_share", round(t->dead_rows / (t->live_rows + t->dead_rows) * 1000) /
						  1000);
		ev_num(&ev, "vacuum_trigger_rows", round(l->trigger));
		ev_num(&ev, "hours_since_vacuum", isfinite(l->lag_h) ? round(l->lag_h * 10) / 10 : NAN);
		ev_num(&ev, "autovacuum_count", t->autovacuum_count);
		ev_num(&ev, "vacuum_count", t->vacuum_count);
		ev_str(&ev, "autovacuum_enabled", l->disabled ? "off" : "on");
		ev_num(&ev, "autovacuum_vacuum_scale_factor", l->sf);
		ev_str(&ev, "reloptions", t->reloptions);
		sb_addc(&ev, '}');
		if (l->disabled)
			stmt = xasprintf("ALTER TABLE %s SET (autovacuum_enabled = on, "
					 "autovacuum_vacuum_scale_factor = %s); VACUUM (ANALYZE) %s;",
					 ident, rec_text, ident);
		else
			stmt = xasprintf("ALTER TABLE %s SET (autovacuum_vacuum_scale_factor = %s);",
					 ident, rec_text);
		cur = xasprintf("%g", l->sf);
		emit(o, r, "autovacuum_vacuum_scale_factor", cur, xstrdup(rec_text),
		     xasprintf("table %s", ident), stmt, sb_detach(&ev),
		     xasprintf("%s has %.0f dead rows, %.0f%% of its rows, %.1f times the %.0f at "
			       "which autovacuum vacuums it; %s%s.",
			       ident, t->dead_rows,
			       t->dead_rows / (t->live_rows + t->dead_rows) * 100,
			       t->dead_rows / (l->trigger > 0 ? l->trigger : 1), l->trigger,
			       isfinite(l->lag_h) ? "last vacuumed hours ago" : "never vacuumed",
			       l->disabled ? ", and autovacuum is off for the table" : ""),
		     xasprintf("Dead rows take room and slow scans until a vacuum makes the room "
			       "reusable.%s A scale factor of %s vacuums the table once that share "
			       "of its rows is dead.",
			       l->disabled ? " Autovacuum is turned off for this table "
					     "(autovacuum_enabled = off): turn it back on, and vacuum "
					     "it now."
					   : "",
			       rec_text),
		     0, 0);
		free(ident);
	}
	/* the server's: autovacuum off, or many tables behind although their factor is low */
	if (global_off || n_busy >= min_tables) {
		struct strbuf ev = {0};
		const char *name;
		char *cur, *why;
		int restart = 0;

		if (global_off) {
			name = "autovacuum";
			cur = xstrdup(av->setting);
			snprintf(rec_text, sizeof rec_text, "on");
			why = xstrdup("Without autovacuum no table is vacuumed unless by hand, and "
				      "dead rows grow until then (transaction ids too).");
		} else if (isfinite(workers) && n_busy > workers) {
			double w = n_busy < 2 * workers ? n_busy : 2 * workers;

			name = "autovacuum_max_workers";
			cur = xasprintf("%.0f", workers);
			snprintf(rec_text, sizeof rec_text, "%.0f", w);
			restart = 1;
			why = xasprintf("More tables are behind than autovacuum has workers (%.0f): "
					"more workers vacuum more tables at once (they share "
					"autovacuum_vacuum_cost_limit, so raise that too if they stay "
					"slow).",
					workers);
		} else if (isfinite(naptime) && naptime > 15) {
			name = "autovacuum_naptime";
			cur = xasprintf("%.0fs", naptime);
			snprintf(rec_text, sizeof rec_text, "%.0fs", naptime / 2 < 15 ? 15 : naptime / 2);
			why = xstrdup("Autovacuum looks at each database once per naptime: a shorter "
				      "one starts the vacuums of the tables behind sooner.");
		} else {
			free(lags);
			return;
		}
		sb_addc(&ev, '{');
		ev_num(&ev, "tables_behind", global_off ? n : n_busy);
		ev_str(&ev, "autovacuum", av != NULL ? av->setting : NULL);
		ev_num(&ev, "autovacuum_max_workers", workers);
		ev_num(&ev, "autovacuum_naptime", naptime);
		ev_num(&ev, "autovacuum_vacuum_scale_factor", g_sf);
		sb_key(&ev, "tables");
		sb_addc(&ev, '[');
		for (i = 0; i < n && i < MAX_TABLE_ADVICE; i++) {
			char *id = table_ident(lags[i].t);

			if (i)
				sb_add(&ev, ", ");
			sb_add_json(&ev, id);
			free(id);
		}
		sb_addc(&ev, ']');
		sb_addc(&ev, '}');
		emit(o, r, name, cur, xstrdup(rec_text), xstrdup("system"),
		     alter_system(name, rec_text, restart), sb_detach(&ev),
		     xasprintf("%d tables have more dead rows than autovacuum should have let "
			       "them keep%s.",
			       global_off ? n : n_busy,
			       global_off ? ", and autovacuum is off" : ", with a low scale factor"),
		     why, 0, 0);
	}
	free(lags);
}

static void
check_random_page_cost(const struct prule *r, const struct param_input *in, struct out *o)
{
	const double min_hit = r->thr[0], min_hours = r->thr[1], min_hours_share = r->thr[2],
		     max_read_ms = r->thr[3], min_reads = r->thr[4], rec = r->thr[5];
	const struct param_setting *tio =
		param_find(in->settings, in->n_settings, "track_io_timing");
	double rpc = setting_num(in, "random_page_cost"), spc = setting_num(in, "seq_page_cost");
	double per_block, ratio;
	int hours = 0, high = 0, i;
	struct strbuf ev = {0};
	char rec_text[32], *cur;

	/* only with evidence: read times measured, and the cost above what is advised */
	if (tio == NULL || tio->setting == NULL || strcmp(tio->setting, "on") != 0 ||
	    !isfinite(rpc) || rpc <= rec * 1.5 || !in->have_db || in->blks_read < min_reads)
		return;
	for (i = 0; i < in->n_io_hours; i++) {
		double all = in->hour_hit[i] + in->hour_read[i];

		if (all <= 0)
			continue;
		hours++;
		high += in->hour_hit[i] / all >= min_hit;
	}
	if (hours < min_hours || high < min_hours_share * hours)
		return;
	per_block = in->blk_read_ms / in->blks_read;
	if (!(per_block > 0) || per_block > max_read_ms)
		return; /* no time measured, or reads as slow as a disk's */
	ratio = in->blks_hit / (in->blks_hit + in->blks_read);
	snprintf(rec_text, sizeof rec_text, "%g", rec);
	cur = xasprintf("%g", rpc);
	sb_addc(&ev, '{');
	ev_num(&ev, "random_page_cost", rpc);
	ev_num(&ev, "seq_page_cost", spc);
	ev_num(&ev, "hit_ratio", round(ratio * 10000) / 10000);
	ev_num(&ev, "hours", hours);
	ev_num(&ev, "hours_hit_ratio_above", high);
	ev_num(&ev, "min_hit_ratio", min_hit);
	ev_num(&ev, "blks_read", in->blks_read);
	ev_num(&ev, "blk_read_ms", round(in->blk_read_ms * 1000) / 1000);
	ev_num(&ev, "read_ms_per_block", round(per_block * 10000) / 10000);
	ev_str(&ev, "track_io_timing", tio->setting);
	sb_addc(&ev, '}');
	emit(o, r, "random_page_cost", cur, xstrdup(rec_text), xstrdup("system"),
	     alter_system("random_page_cost", rec_text, 0), sb_detach(&ev),
	     xasprintf("In %d of %d hours %.1f%% or more of the blocks were found in shared "
		       "buffers, and the %.0f blocks read from outside took %.3f ms each "
		       "(track_io_timing); random_page_cost is %g.",
		       high, hours, min_hit * 100, in->blks_read, per_block, rpc),
	     xasprintf("random_page_cost %g prices a random read as a disk seek. Reads this "
		       "cheap (a solid-state disk, or the operating system's cache) cost about "
		       "what a sequential one does, so %s lets the planner use index scans "
		       "where they pay. Compare the plans of the main statements before and "
		       "after (SET random_page_cost in a session first).",
		       rpc, rec_text),
	     0, 0);
}

int
params_advise(const struct param_rules *pr, const struct param_input *in,
	      struct param_rec **recs, int *n_recs, struct finding **finds, int *n_finds)
{
	struct out o = {recs, n_recs, finds, n_finds, 0};
	int i;

	if (pr == NULL)
		return 0;
	for (i = 0; i < pr->n; i++) {
		const struct prule *r = &pr->r[i];

		if (!r->enabled)
			continue;
		switch (r->check) {
		case C_WORK_MEM_ROLE:
			check_work_mem_role(r, in, &o);
			break;
		case C_WORK_MEM_GLOBAL:
			check_work_mem_global(r, in, &o);
			break;
		case C_CHECKPOINTS:
			check_checkpoints(r, in, &o);
			break;
		case C_CCT:
			check_cct(r, in, &o);
			break;
		case C_SHARED_BUFFERS:
			check_shared_buffers(r, in, &o);
			break;
		case C_MAX_CONNECTIONS:
			check_max_connections(r, in, &o);
			break;
		case C_PGSS_MAX:
			check_pgss_max(r, in, &o);
			break;
		case C_TRACK_IO_TIMING:
			check_switch(r, in, &o, "track_io_timing", "off", "on",
				     "Without it, pg_stat_statements and pg_stat_database have no "
				     "read and write times, and pgmltop cannot tell a cached read "
				     "from a disk read. Its cost is a clock read per I/O "
				     "(pg_test_timing shows how cheap that is here).");
			break;
		case C_COMPUTE_QUERY_ID:
			check_switch(r, in, &o, "compute_query_id", "off", "auto",
				     "pg_stat_statements needs a query id (auto turns it on when "
				     "the module is loaded), and pg_stat_activity shows it only "
				     "when it is computed: pgmltop joins the sessions to the "
				     "statements by it.");
			break;
		case C_EFFECTIVE_CACHE_SIZE:
			check_effective_cache_size(r, in, &o);
			break;
		case C_AUTOVACUUM:
			check_autovacuum(r, in, &o);
			break;
		case C_RANDOM_PAGE_COST:
			check_random_page_cost(r, in, &o);
			break;
		case C_COUNT:
			break;
		}
	}
	return o.added;
}

void
param_recs_free(struct param_rec *r, int n)
{
	int i;

	for (i = 0; i < n && r != NULL; i++) {
		free(r[i].name);
		free(r[i].current);
		free(r[i].recommended);
		free(r[i].scope);
		free(r[i].statement);
		free(r[i].evidence);
	}
	free(r);
}

/* ---- before and after ---- */

void
ba_opts_default(struct ba_opts *o)
{
	/* the hour before the first one after the change holds the change: never a "before" */
	o->max_hours = WEEK - 1;
	o->min_pairs = 24;
	o->level = 0.99;
	o->min_change = 0.1;
}

/* The upper quantile of the standard normal distribution for p in (0, 0.5]. */
static double
normal_upper(double p)
{
	double t = sqrt(-2 * log(p));

	return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
			   (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

double
params_t_quantile(double level, double df)
{
	double z = normal_upper((1 - level) / 2), z3 = z * z * z, z5 = z3 * z * z;

	if (df < 1)
		df = 1;
	/* Cornish-Fisher expansion of t in terms of z */
	return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) +
	       (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df);
}

int
params_before_after(const double *v, int n, int change, const struct ba_opts *o,
		    struct ba_result *out)
{
	int h, k = 0, hours = o->max_hours < WEEK ? o->max_hours : WEEK;
	double sa = 0, sb = 0, sd = 0, sdd = 0, md, var, se, t, lo, hi;

	memset(out, 0, sizeof *out);
	out->before = out->after = out->ratio = out->low = out->high = NAN;
	for (h = change; h < n && h < change + hours; h++) {
		double b, a;

		if (h - WEEK < 0)
			continue;
		a = v[h];
		b = v[h - WEEK];
		if (!isfinite(a) || !isfinite(b))
			continue;
		sa += a;
		sb += b;
		sd += a - b;
		sdd += (a - b) * (a - b);
		k++;
	}
	out->pairs = k;
	if (k < o->min_pairs || k < 2)
		return -1;
	out->before = sb / k;
	out->after = sa / k;
	md = sd / k;
	var = (sdd - k * md * md) / (k - 1);
	se = sqrt(var > 0 ? var / k : 0);
	t = params_t_quantile(o->level, k - 1);
	lo = md - t * se;
	hi = md + t * se;
	if (out->before > 0) {
		out->ratio = out->after / out->before;
		out->low = 1 + lo / out->before;
		out->high = 1 + hi / out->before;
		out->found = (out->low > 1 || out->high < 1) &&
			     fabs(out->ratio - 1) >= o->min_change;
	} else {
		out->found = lo > 0 || hi < 0;
	}
	return 0;
}

void
params_model_free(struct params_model *m)
{
	int i;

	for (i = 0; i < m->n_cur; i++) {
		free(m->cur[i].name);
		free(m->cur[i].setting);
		free(m->cur[i].unit);
		free(m->cur[i].source);
	}
	free(m->cur);
	for (i = 0; i < m->n_role_cur; i++) {
		free(m->role_cur[i].database);
		free(m->role_cur[i].role);
		free(m->role_cur[i].name);
		free(m->role_cur[i].setting);
		free(m->role_cur[i].old);
	}
	free(m->role_cur);
	for (i = 0; i < m->n_changes; i++) {
		free(m->changes[i].name);
		free(m->changes[i].scope);
		free(m->changes[i].database);
		free(m->changes[i].role);
		free(m->changes[i].from);
		free(m->changes[i].to);
		free(m->changes[i].source);
		free(m->changes[i].effects);
	}
	free(m->changes);
	param_recs_free(m->recs, m->n_recs);
	findings_free(m->finds, m->n_finds);
	memset(m, 0, sizeof *m);
}
