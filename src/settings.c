#include "config.h"

#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

#define SETTINGS_MAX_BYTES (64 * 1024)

void
settings_defaults(struct settings *c)
{
	memset(c, 0, sizeof *c);
	strlcpy_(c->sort, "TIME%", sizeof c->sort);
	c->reverse = 0;
	c->interval = 0; /* 0: the mode's default */
	c->alert_score = 0;
	c->alert_anomalies = 1;
	c->alert_reconnect = 1;
	c->alert_bell = 0;
	c->alert_command[0] = '\0';
	c->color = 1;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
		 strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
known_column(const char *v)
{
	static const char *const cols[] = {"QUERYID",   "CALLS/S",  "TIME%",   "MEAN_MS", "MAX_MS",
					   "ROWS/CALL", "SHR_READ", "SHR_HIT", "TEMP_WR", "QUERY"};
	size_t i;

	for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (strcmp(v, cols[i]) == 0)
			return 1;
	return 0;
}

int
settings_parse(const char *text, const char *name, struct settings *c, struct pgt_err *err)
{
	char *copy = xstrdup(text), *line, *next;
	int problems = 0, lineno = 0;

	for (line = copy; line != NULL; line = next) {
		char *key, *val, *eq;
		const char *why = NULL;
		double d;
		int b;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		key = str_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			why = "expected key=value";
		} else {
			*eq = '\0';
			val = str_trim(eq + 1);
			key = str_trim(key);
			if (strcmp(key, "sort") == 0) {
				if (known_column(val))
					strlcpy_(c->sort, val, sizeof c->sort);
				else
					why = "unknown column";
			} else if (strcmp(key, "reverse") == 0) {
				if (parse_bool(val, &b) == 0)
					c->reverse = b;
				else
					why = "expected yes or no";
			} else if (strcmp(key, "interval") == 0) {
				if (parse_double(val, 0.5, 3600, &d) == 0)
					c->interval = d;
				else
					why = "expected seconds from 0.5 to 3600";
			} else if (strcmp(key, "hidden") == 0) {
				char *list = xstrdup(val), *tok, *save = NULL;

				for (tok = strtok_r(list, ",", &save); tok && !why;
				     tok = strtok_r(NULL, ",", &save)) {
					const char *col = str_trim(tok);

					if (!known_column(col) || strcmp(col, "QUERY") == 0 ||
					    strcmp(col, "QUERYID") == 0)
						why = "unknown or required column";
				}
				if (!why && strlen(val) < sizeof c->hidden)
					strlcpy_(c->hidden, val, sizeof c->hidden);
				else if (!why)
					why = "too long";
				free(list);
			} else if (strcmp(key, "alert_score") == 0) {
				if (parse_double(val, 0, 1e15, &d) == 0)
					c->alert_score = d;
				else
					why = "expected a score of 0 (none) or more";
			} else if (strcmp(key, "alert_anomalies") == 0 ||
				   strcmp(key, "alert_reconnect") == 0 ||
				   strcmp(key, "alert_bell") == 0) {
				if (parse_bool(val, &b) != 0)
					why = "expected yes or no";
				else if (key[6] == 'a')
					c->alert_anomalies = b;
				else if (key[6] == 'r')
					c->alert_reconnect = b;
				else
					c->alert_bell = b;
			} else if (strcmp(key, "alert_command") == 0) {
				if (strlen(val) < sizeof c->alert_command)
					strlcpy_(c->alert_command, val, sizeof c->alert_command);
				else
					why = "too long";
			} else if (strcmp(key, "color") == 0) {
				if (parse_bool(val, &b) == 0)
					c->color = b;
				else
					why = "expected yes or no";
			} else {
				why = "unknown setting";
			}
		}
		if (why != NULL) {
			if (problems++ == 0)
				pgt_err_set(err, "%s:%d: %s (the line is ignored)", name, lineno, why);
		}
	}
	free(copy);
	return problems;
}

/* "key = value" with as many digits as it takes to read the same value back. */
static void
add_number(struct strbuf *sb, const char *key, double v)
{
	char buf[40];
	int prec;

	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof buf, "%.*g", prec, v);
	sb_addf(sb, "%s = %s\n", key, buf);
}

char *
settings_format(const struct settings *c)
{
	struct strbuf sb = {0};

	sb_add(&sb, "# pgmltop settings, saved when the screen quits\n");
	sb_addf(&sb, "sort = %s\n", c->sort);
	sb_addf(&sb, "reverse = %s\n", c->reverse ? "yes" : "no");
	if (c->interval > 0)
		add_number(&sb, "interval", c->interval);
	sb_addf(&sb, "color = %s\n", c->color ? "yes" : "no");
	sb_addf(&sb, "hidden = %s\n", c->hidden);
	/* kept as they were written: the screen never changes them */
	add_number(&sb, "alert_score", c->alert_score);
	sb_addf(&sb, "alert_anomalies = %s\n", c->alert_anomalies ? "yes" : "no");
	sb_addf(&sb, "alert_reconnect = %s\n", c->alert_reconnect ? "yes" : "no");
	sb_addf(&sb, "alert_bell = %s\n", c->alert_bell ? "yes" : "no");
	sb_addf(&sb, "alert_command = %s\n", c->alert_command);
	return sb_detach(&sb);
}

char *
settings_path(struct pgt_err *err)
{
	const char *env = getenv("PGMLTOP_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/pgmltop/config", xdg);
	if (home == NULL || home[0] == '\0') {
		pgt_err_set(err, "no home directory for the settings file: set XDG_CONFIG_HOME");
		return NULL;
	}
	return xasprintf("%s/.config/pgmltop/config", home);
}

int
settings_load(const char *path, struct settings *c, struct pgt_err *err)
{
	struct strbuf sb = {0};
	char buf[4096];
	ssize_t n;
	int fd, problems;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		pgt_err_set(err, "cannot read the settings %s: %s (defaults used)", path,
			    strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (sb.len + (size_t)n > SETTINGS_MAX_BYTES) {
			pgt_err_set(err, "%s is larger than %d bytes: not a settings file (defaults "
					 "used)",
				    path, SETTINGS_MAX_BYTES);
			close(fd);
			sb_release(&sb);
			return 1;
		}
		sb_addn(&sb, buf, (size_t)n);
	}
	close(fd);
	if (n < 0) {
		pgt_err_set(err, "cannot read the settings %s: %s (defaults used)", path,
			    strerror(errno));
		sb_release(&sb);
		return 1;
	}
	if (memchr(sb_str(&sb), '\0', sb.len) != NULL) {
		pgt_err_set(err, "%s is not a text file (defaults used)", path);
		sb_release(&sb);
		return 1;
	}
	problems = settings_parse(sb_str(&sb), path, c, err);
	sb_release(&sb);
	return problems;
}

int
settings_save(const char *path, const struct settings *c, struct pgt_err *err)
{
	char *text = settings_format(c), *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	size_t len = strlen(text);
	int fd, rc = -1;

	if (paths_make_parent(path, err) < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		pgt_err_set(err, "cannot save the settings in %s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		pgt_err_set(err, "cannot save the settings in %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		pgt_err_set(err, "cannot save the settings in %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(tmp);
	return rc;
}
