#include "config.h"

#include "simspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum section { SEC_GLOBAL, SEC_STMT, SEC_SETTING };

struct parser {
	const char *name;
	int line;
	struct pgt_err *err;
	struct sim_spec *spec;
	enum section sec;
	int *parent_line; /* per statement: the line of its parent =, for the message */
	int **effect_line; /* per setting, per effect */
};

static int fail(struct parser *p, const char *fmt, ...) PGT_PRINTF(2, 3);

static int
fail(struct parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pgt_err_set(p->err, "%s:%d: %s", p->name, p->line, msg);
	return -1;
}

int64_t
simspec_queryid(const char *text)
{
	uint64_t h = 14695981039346656037ULL;
	const unsigned char *s;

	for (s = (const unsigned char *)text; *s; s++)
		h = (h ^ *s) * 1099511628211ULL;
	/* a final mix, so that texts that differ at the end differ everywhere */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h == 0 ? 1 : (int64_t)h;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Split value into up to max words (in place); returns the number of words. */
static int
words(char *v, char **w, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(v, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

static int
num(struct parser *p, const char *key, const char *v, double min, double max, double *out)
{
	if (parse_double(v, min, max, out) < 0)
		return fail(p, "%s: '%s' is not a number from %g to %g", key, v, min, max);
	return 0;
}

static int
whole(struct parser *p, const char *key, const char *v, long min, long max, int *out)
{
	long l;

	if (parse_long(v, min, max, &l) < 0)
		return fail(p, "%s: '%s' is not a whole number from %ld to %ld", key, v, min, max);
	*out = (int)l;
	return 0;
}

static int
weekday(struct parser *p, const char *v, int *out)
{
	static const char *const names[7] = {"sunday",   "monday", "tuesday", "wednesday",
					     "thursday", "friday", "saturday"};
	int i;

	for (i = 0; i < 7; i++)
		if ((strlen(v) == 3 && strncasecmp(v, names[i], 3) == 0) ||
		    strcasecmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return fail(p, "'%s' is not a weekday (sun, mon, tue, wed, thu, fri, sat)", v);
}

static int
parse_end(struct parser *p, const char *v, double *out)
{
	if (parse_utc_hour(v, out) == 0)
		return 0;
	return fail(p, "end: '%s' is not an hour after 1970-01-01 00:00: give YYYY-MM-DD or "
		       "YYYY-MM-DDTHH:00 (UTC), or epoch seconds on an hour",
		    v);
}

static int
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
	return 0;
}

static int
global_key(struct parser *p, const char *key, char *v)
{
	struct sim_spec *s = p->spec;
	double d;

	if (strcmp(key, "seed") == 0) {
		char *end;

		errno = 0;
		s->seed = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0' || v[0] == '-' || v[0] == '\0')
			return fail(p, "seed: '%s' is not a whole number of 0 or more", v);
		return 0;
	}
	if (strcmp(key, "days") == 0)
		return whole(p, key, v, 1, 3650, &s->days);
	if (strcmp(key, "end") == 0)
		return parse_end(p, v, &s->end);
	if (strcmp(key, "interval") == 0 || strcmp(key, "raw_interval") == 0) {
		int *dst = key[0] == 'i' ? &s->interval : &s->raw_interval;

		if (whole(p, key, v, 1, 3600, dst) < 0)
			return -1;
		if (3600 % *dst != 0)
			return fail(p, "%s: %d s does not divide an hour", key, *dst);
		return 0;
	}
	if (strcmp(key, "raw_hours") == 0)
		return whole(p, key, v, 0, 24 * 366, &s->raw_hours);
	if (strcmp(key, "server") == 0)
		return set_str(&s->server, v);
	if (strcmp(key, "servers") == 0)
		return whole(p, key, v, 1, 100, &s->servers);
	if (strcmp(key, "server_key") == 0)
		return set_str(&s->server_key, v);
	if (strcmp(key, "database") == 0)
		return set_str(&s->database, v);
	if (strcmp(key, "user") == 0)
		return set_str(&s->user, v);
	if (strcmp(key, "truth") == 0)
		return set_str(&s->truth, v);
	if (strcmp(key, "filler") == 0)
		return whole(p, key, v, 0, 1000000, &s->filler);
	if (strcmp(key, "dbid") == 0 || strcmp(key, "userid") == 0) {
		long l;

		if (parse_long(v, 1, 4294967295L, &l) < 0)
			return fail(p, "%s: '%s' is not an oid (1 to 4294967295)", key, v);
		if (key[0] == 'd')
			s->dbid = (uint32_t)l;
		else
			s->userid = (uint32_t)l;
		return 0;
	}
	if (strcmp(key, "filler_calls") == 0) {
		if (num(p, key, v, 0, 1e9, &d) < 0)
			return -1;
		s->filler_calls = d;
		return 0;
	}
	if (strcmp(key, "filler_ms") == 0) {
		if (num(p, key, v, 0, 1e9, &d) < 0)
			return -1;
		s->filler_ms = d;
		return 0;
	}
	return fail(p, "unknown key '%s' (before any [statement] or [setting])", key);
}

static int
stmt_key(struct parser *p, const char *key, char *v)
{
	struct sim_stmt *st = &p->spec->stmts[p->spec->n_stmts - 1];
	char *w[5];
	int n;
	static const struct {
		const char *key;
		size_t off;
		double min, max;
	} nums[] = {
		{"calls", offsetof(struct sim_stmt, calls), 0, 1e9},
		{"mean_ms", offsetof(struct sim_stmt, mean_ms), 0, 1e9},
		{"spread", offsetof(struct sim_stmt, spread), 0, 10},
		{"noise", offsetof(struct sim_stmt, noise), 0, 10},
		{"rows", offsetof(struct sim_stmt, rows), 0, 1e9},
		{"hit", offsetof(struct sim_stmt, hit), 0, 1e9},
		{"read", offsetof(struct sim_stmt, read), 0, 1e9},
		{"temp", offsetof(struct sim_stmt, temp), 0, 1e9},
		{"trend", offsetof(struct sim_stmt, trend), -0.5, 1},
		{"fanout", offsetof(struct sim_stmt, fanout), 0.001, 1e6},
	};
	size_t i;

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
		if (strcmp(key, nums[i].key) == 0) {
			if (strcmp(key, "calls") == 0 || strcmp(key, "noise") == 0 ||
			    strcmp(key, "trend") == 0)
				st->own_calls = 1;
			return num(p, key, v, nums[i].min, nums[i].max,
				   (double *)(void *)((char *)st + nums[i].off));
		}
	if (strcmp(key, "text") == 0) {
		set_str(&st->text, v);
		if (!st->queryid_given)
			st->queryid = simspec_queryid(v);
		return 0;
	}
	if (strcmp(key, "queryid") == 0) {
		char *end;
		long long q;

		errno = 0;
		q = strtoll(v, &end, 10);
		if (errno != 0 || *end != '\0' || q == 0)
			return fail(p, "queryid: '%s' is not a query id (a 64-bit whole number, not 0)",
				    v);
		st->queryid = (int64_t)q;
		st->queryid_given = 1;
		return 0;
	}
	if (strcmp(key, "toplevel") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return fail(p, "toplevel: give yes or no, not '%s'", v);
		st->toplevel = v[0] == 'y';
		return 0;
	}
	if (strcmp(key, "parent") == 0) {
		set_str(&st->parent, v);
		p->parent_line[p->spec->n_stmts - 1] = p->line;
		return 0;
	}
	if (strcmp(key, "daily_peak") == 0 || strcmp(key, "weekly_peak") == 0) {
		int weekly = key[0] == 'w', base = weekly ? 1 : 0;
		struct sim_peak *pk;

		n = words(v, w, 4);
		if (n < base + 2 || n > base + 3)
			return fail(p, "%s: give %sHOUR HEIGHT [RECURRENCE]", key,
				    weekly ? "WEEKDAY " : "");
		if (st->n_peaks == SIM_MAX_PEAKS)
			return fail(p, "%s: at most %d peaks per statement", key, SIM_MAX_PEAKS);
		pk = &st->peaks[st->n_peaks];
		pk->weekday = -1;
		pk->recurrence = 1;
		if (weekly && weekday(p, w[0], &pk->weekday) < 0)
			return -1;
		if (whole(p, key, w[base], 0, 23, &pk->hour) < 0 ||
		    num(p, key, w[base + 1], 0, 1000, &pk->height) < 0 ||
		    (n == base + 3 && num(p, key, w[base + 2], 0, 1, &pk->recurrence) < 0))
			return -1;
		st->n_peaks++;
		return 0;
	}
	if (strcmp(key, "weekday") == 0) {
		int wd;

		if (words(v, w, 2) != 2)
			return fail(p, "weekday: give WEEKDAY FACTOR");
		if (weekday(p, w[0], &wd) < 0 ||
		    num(p, key, w[1], 0, 1000, &st->weekday_factor[wd]) < 0)
			return -1;
		st->own_calls = 1;
		return 0;
	}
	if (strcmp(key, "quiet") == 0) {
		struct sim_hours *q;
		char *dash;

		if (words(v, w, 2) != 2 || (dash = strchr(w[0], '-')) == NULL)
			return fail(p, "quiet: give FROM-TO FACTOR (hours 0 to 23)");
		if (st->n_quiet == SIM_MAX_PEAKS)
			return fail(p, "quiet: at most %d per statement", SIM_MAX_PEAKS);
		q = &st->quiet[st->n_quiet];
		*dash = '\0';
		if (whole(p, key, w[0], 0, 23, &q->from) < 0 ||
		    whole(p, key, dash + 1, 0, 23, &q->to) < 0 ||
		    num(p, key, w[1], 0, 1000, &q->factor) < 0)
			return -1;
		st->n_quiet++;
		return 0;
	}
	if (strcmp(key, "regression") == 0 || strcmp(key, "spike") == 0) {
		/* both DAY HOUR FACTOR; a regression may leave out the hour (00:00) */
		int spike = key[0] == 's';
		struct sim_event *e = spike ? &st->spikes[st->n_spikes]
					    : &st->regressions[st->n_regressions];
		int *count = spike ? &st->n_spikes : &st->n_regressions;

		n = words(v, w, 3);
		if (spike ? n != 3 : n != 2 && n != 3)
			return fail(p, "%s: give %s", key,
				    spike ? "DAY HOUR FACTOR" : "DAY [HOUR] FACTOR");
		if (*count == SIM_MAX_EVENTS)
			return fail(p, "%s: at most %d per statement", key, SIM_MAX_EVENTS);
		e->hour = 0;
		if (whole(p, key, w[0], 1, 3650, &e->day) < 0 ||
		    (n == 3 && whole(p, key, w[1], 0, 23, &e->hour) < 0) ||
		    num(p, key, w[n - 1], spike ? 0 : 0.001, 1e6, &e->factor) < 0)
			return -1;
		(*count)++;
		return 0;
	}
	return fail(p, "unknown key '%s' in a [statement]", key);
}

static int
setting_key(struct parser *p, const char *key, char *v)
{
	struct sim_setting *se = &p->spec->settings[p->spec->n_settings - 1];
	char *w[3];

	if (strcmp(key, "before") == 0)
		return set_str(&se->before, v);
	if (strcmp(key, "after") == 0)
		return set_str(&se->after, v);
	if (strcmp(key, "unit") == 0)
		return set_str(&se->unit, v);
	if (strcmp(key, "day") == 0)
		return whole(p, key, v, 1, 3650, &se->day);
	if (strcmp(key, "hour") == 0)
		return whole(p, key, v, 0, 23, &se->hour);
	if (strcmp(key, "effect") == 0) {
		struct sim_effect *ef;

		if (words(v, w, 2) != 2)
			return fail(p, "effect: give STATEMENT FACTOR (on its mean time)");
		if (se->n_effects == SIM_MAX_EFFECTS)
			return fail(p, "effect: at most %d per setting", SIM_MAX_EFFECTS);
		ef = &se->effects[se->n_effects];
		if (num(p, key, w[1], 0, 1000, &ef->factor) < 0)
			return -1;
		ef->stmt = xstrdup(w[0]);
		p->effect_line[p->spec->n_settings - 1][se->n_effects] = p->line;
		se->n_effects++;
		return 0;
	}
	return fail(p, "unknown key '%s' in a [setting]", key);
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int
find_stmt(const struct sim_spec *s, const char *name)
{
	int i;

	for (i = 0; i < s->n_stmts; i++)
		if (strcmp(s->stmts[i].name, name) == 0)
			return i;
	return -1;
}

static int
section(struct parser *p, char *line)
{
	struct sim_spec *s = p->spec;
	char *end = strchr(line, ']'), *w[3], *name;
	int n;

	if (end == NULL || trim(end + 1)[0] != '\0')
		return fail(p, "a section is [statement NAME] or [setting NAME]");
	*end = '\0';
	n = words(line + 1, w, 2);
	if (n != 2 || (strcmp(w[0], "statement") != 0 && strcmp(w[0], "setting") != 0))
		return fail(p, "a section is [statement NAME] or [setting NAME]");
	name = w[1];
	if (!valid_name(name))
		return fail(p, "'%s': a name has letters, digits, '_', '-' and '.' only", name);
	if (w[0][1] == 't') { /* statement */
		struct sim_stmt *st;
		int i;

		if (find_stmt(s, name) >= 0)
			return fail(p, "statement '%s' is defined twice", name);
		s->stmts = xreallocarray(s->stmts, (size_t)s->n_stmts + 1, sizeof *s->stmts);
		p->parent_line = xreallocarray(p->parent_line, (size_t)s->n_stmts + 1,
					       sizeof *p->parent_line);
		st = &s->stmts[s->n_stmts];
		p->parent_line[s->n_stmts] = 0;
		s->n_stmts++;
		memset(st, 0, sizeof *st);
		st->name = xstrdup(name);
		st->toplevel = 1;
		st->calls = 60;
		st->mean_ms = 1;
		st->rows = 1;
		st->hit = 4;
		st->parent_index = -1;
		for (i = 0; i < 7; i++)
			st->weekday_factor[i] = 1;
		p->sec = SEC_STMT;
	} else {
		struct sim_setting *se;
		int i;

		for (i = 0; i < s->n_settings; i++)
			if (strcmp(s->settings[i].name, name) == 0)
				return fail(p, "setting '%s' is defined twice", name);
		s->settings = xreallocarray(s->settings, (size_t)s->n_settings + 1,
					    sizeof *s->settings);
		p->effect_line = xreallocarray(p->effect_line, (size_t)s->n_settings + 1,
					       sizeof *p->effect_line);
		p->effect_line[s->n_settings] = xcalloc(SIM_MAX_EFFECTS, sizeof(int));
		se = &s->settings[s->n_settings++];
		memset(se, 0, sizeof *se);
		se->name = xstrdup(name);
		p->sec = SEC_SETTING;
	}
	return 0;
}

/* After the last line: names resolved, required keys present, days within the span. */
static int
check(struct parser *p)
{
	struct sim_spec *s = p->spec;
	int i, j;

	for (i = 0; i < s->n_stmts; i++) {
		struct sim_stmt *st = &s->stmts[i];

		p->line = 0;
		if (st->text == NULL) {
			pgt_err_set(p->err, "%s: statement '%s' has no text", p->name, st->name);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (s->stmts[j].queryid == st->queryid) {
				pgt_err_set(p->err, "%s: statements '%s' and '%s' have the same %s",
					    p->name, s->stmts[j].name, st->name,
					    st->queryid_given || s->stmts[j].queryid_given ? "query id"
											    : "text");
				return -1;
			}
		for (j = 0; j < st->n_regressions; j++)
			if (st->regressions[j].day > s->days) {
				pgt_err_set(p->err, "%s: statement '%s': regression on day %d of a "
						    "%d-day simulation",
					    p->name, st->name, st->regressions[j].day, s->days);
				return -1;
			}
		for (j = 0; j < st->n_spikes; j++)
			if (st->spikes[j].day > s->days) {
				pgt_err_set(p->err, "%s: statement '%s': spike on day %d of a %d-day "
						    "simulation",
					    p->name, st->name, st->spikes[j].day, s->days);
				return -1;
			}
		if (st->parent != NULL) {
			p->line = p->parent_line[i];
			st->parent_index = find_stmt(s, st->parent);
			if (st->parent_index < 0)
				return fail(p, "parent: there is no statement '%s'", st->parent);
			if (st->parent_index == i)
				return fail(p, "parent: a statement cannot be its own parent");
			if (s->stmts[st->parent_index].parent != NULL)
				return fail(p, "parent: '%s' has a parent itself (one level only)",
					    st->parent);
			if (st->fanout <= 0)
				st->fanout = s->stmts[st->parent_index].rows;
			if (st->own_calls || st->n_peaks > 0 || st->n_quiet > 0 || st->n_spikes > 0)
				return fail(p, "'%s' runs fanout times per call of its parent: its "
					       "calls, noise, trend, weekday, quiet, peaks and spikes "
					       "would not apply; set them on '%s'",
					    st->name, st->parent);
		}
	}
	for (i = 0; i < s->n_settings; i++) {
		struct sim_setting *se = &s->settings[i];

		if (se->before == NULL || se->after == NULL || se->day == 0) {
			pgt_err_set(p->err, "%s: setting '%s' needs before, after and day", p->name,
				    se->name);
			return -1;
		}
		if (se->day > s->days) {
			pgt_err_set(p->err, "%s: setting '%s' changes on day %d of a %d-day "
					    "simulation",
				    p->name, se->name, se->day, s->days);
			return -1;
		}
		for (j = 0; j < se->n_effects; j++) {
			p->line = p->effect_line[i][j];
			se->effects[j].stmt_index = find_stmt(s, se->effects[j].stmt);
			if (se->effects[j].stmt_index < 0)
				return fail(p, "effect: there is no statement '%s'",
					    se->effects[j].stmt);
		}
	}
	if (s->servers > 1 && s->server_key != NULL) {
		pgt_err_set(p->err, "%s: server_key names one server: it cannot be used with "
				    "servers = %d",
			    p->name, s->servers);
		return -1;
	}
	if (s->raw_hours > s->days * 24) {
		pgt_err_set(p->err, "%s: raw_hours %d is longer than the %d days simulated", p->name,
			    s->raw_hours, s->days);
		return -1;
	}
	return 0;
}

static void
defaults(struct sim_spec *s)
{
	memset(s, 0, sizeof *s);
	s->seed = 1;
	s->days = 28;
	s->interval = 3600;
	s->raw_interval = 60;
	s->server = xstrdup("simulated");
	s->database = xstrdup("app");
	s->user = xstrdup("app");
	s->filler_calls = 20;
	s->filler_ms = 2;
	s->dbid = 16384;
	s->userid = 16385;
	s->servers = 1;
}

int
simspec_parse(const char *text, const char *name, struct sim_spec *spec, struct pgt_err *err)
{
	struct parser p;
	char *copy = xstrdup(text), *line, *save = NULL;
	int rc = 0, i;

	memset(&p, 0, sizeof p);
	p.name = name;
	p.err = err;
	p.spec = spec;
	p.sec = SEC_GLOBAL;
	defaults(spec);
	/* strtok_r would skip empty lines and lose the count: walk the lines by hand */
	for (line = copy; line != NULL && rc == 0; line = save) {
		char *nl = strchr(line, '\n'), *l, *eq, *key, *v;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		p.line++;
		l = trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		if (*l == '[') {
			rc = section(&p, l);
			continue;
		}
		eq = strchr(l, '=');
		if (eq == NULL) {
			rc = fail(&p, "expected KEY = VALUE or a [section]");
			continue;
		}
		*eq = '\0';
		key = trim(l);
		v = trim(eq + 1);
		if (*v == '\0') {
			rc = fail(&p, "%s: the value is empty", key);
			continue;
		}
		switch (p.sec) {
		case SEC_GLOBAL:
			rc = global_key(&p, key, v);
			break;
		case SEC_STMT:
			rc = stmt_key(&p, key, v);
			break;
		case SEC_SETTING:
			rc = setting_key(&p, key, v);
			break;
		}
	}
	if (rc == 0)
		rc = check(&p);
	free(copy);
	free(p.parent_line);
	for (i = 0; i < spec->n_settings; i++)
		free(p.effect_line[i]);
	free(p.effect_line);
	if (rc < 0)
		simspec_free(spec);
	return rc;
}

int
simspec_load(const char *path, struct sim_spec *spec, struct pgt_err *err)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = {0};
	char buf[4096];
	size_t n;
	int rc;

	memset(spec, 0, sizeof *spec);
	if (f == NULL) {
		pgt_err_set(err, "cannot read the spec %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (memchr(buf, '\0', n) != NULL) {
			fclose(f);
			sb_release(&sb);
			pgt_err_set(err, "%s: not a text file", path);
			return -1;
		}
		sb_addn(&sb, buf, n);
		if (sb.len > (1u << 24)) {
			fclose(f);
			sb_release(&sb);
			pgt_err_set(err, "%s: larger than 16 MiB: not a spec", path);
			return -1;
		}
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		sb_release(&sb);
		pgt_err_set(err, "cannot read the spec %s: %s", path, strerror(e));
		return -1;
	}
	fclose(f);
	rc = simspec_parse(sb_str(&sb), path, spec, err);
	sb_release(&sb);
	return rc;
}

void
simspec_free(struct sim_spec *spec)
{
	int i, j;

	for (i = 0; i < spec->n_stmts; i++) {
		free(spec->stmts[i].name);
		free(spec->stmts[i].text);
		free(spec->stmts[i].parent);
	}
	free(spec->stmts);
	for (i = 0; i < spec->n_settings; i++) {
		free(spec->settings[i].name);
		free(spec->settings[i].before);
		free(spec->settings[i].after);
		free(spec->settings[i].unit);
		for (j = 0; j < spec->settings[i].n_effects; j++)
			free(spec->settings[i].effects[j].stmt);
	}
	free(spec->settings);
	free(spec->server);
	free(spec->server_key);
	free(spec->database);
	free(spec->user);
	free(spec->truth);
	memset(spec, 0, sizeof *spec);
}
