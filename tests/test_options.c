/*
 * Unit tests of the command line: defaults, psql-style connection arguments, modes, and
 * every usage error with its message.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

#define MAX_ARGS 16
#define POOL_MAX 1024

/*
 * Every argument is a copy that lives until the end of the run: options borrow them, and
 * getopt may keep a pointer into the argv of the previous call.
 */
static void *pool[POOL_MAX];
static int pool_n;

/* Keep p (from malloc) until pool_free. */
static void *
pool_keep(void *p)
{
	assert_non_null(p);
	assert_true(pool_n < POOL_MAX);
	if (p == NULL || pool_n >= POOL_MAX)
		abort();
	pool[pool_n++] = p;
	return p;
}

static void
pool_free(void)
{
	while (pool_n > 0)
		free(pool[--pool_n]);
}

/* options_parse over "pgmltop" and the arguments up to NULL. */
static int
parse(struct options *o, struct pgt_err *err, ...)
{
	char **argv = pool_keep(calloc(MAX_ARGS + 1, sizeof *argv));
	va_list ap;
	const char *a;
	int argc = 0;

	argv[argc++] = pool_keep(strdup("pgmltop"));
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS)
		argv[argc++] = pool_keep(strdup(a));
	va_end(ap);
	argv[argc] = NULL;
	memset(err, 0, sizeof *err);
	return options_parse(argc, argv, o, err);
}

/* The parse must fail with a message that contains each of the words (up to NULL). */
static void
expect_usage_error(const char *what, int rc, const struct pgt_err *err, ...)
{
	va_list ap;
	const char *word;

	if (rc != -1)
		print_error("%s: options_parse returned %d, want -1\n", what, rc);
	assert_int_equal(rc, -1);
	assert_true(err->msg[0] != '\0');
	va_start(ap, err);
	while ((word = va_arg(ap, const char *)) != NULL) {
		if (strstr(err->msg, word) == NULL)
			print_error("%s: message \"%s\" does not name \"%s\"\n", what, err->msg,
				    word);
		assert_non_null(strstr(err->msg, word));
	}
	va_end(ap);
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("NO_COLOR");
	return 0;
}

static void
options_defaults(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.mode, MODE_SCREEN);
	assert_true(o.interval == DEFAULT_INTERVAL);
	assert_true(o.interval == 2.0);
	assert_int_equal(o.days, 7);
	assert_int_equal(o.top, 20);
	assert_int_equal(o.iterations, 0);
	assert_int_equal(o.prompt, PROMPT_AUTO);
	assert_null(o.conn.host);
	assert_null(o.conn.port);
	assert_null(o.conn.user);
	assert_null(o.conn.dbname);
	assert_null(o.conn.password);
	assert_null(o.history);
	assert_null(o.report_format);
	assert_null(o.output);
	assert_int_equal(o.no_history, 0);
	assert_int_equal(o.no_color, 0);
	assert_true(o.keep_raw_days == DEFAULT_KEEP_RAW_DAYS);
	assert_true(o.keep_hourly_days == DEFAULT_KEEP_HOURLY_DAYS);
	assert_true(o.history_interval == 0); /* not given: the mode's default */
}

static void
options_modes(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	assert_int_equal(parse(&o, &err, "--collect", NULL), 0);
	assert_int_equal(o.mode, MODE_COLLECT);
	assert_true(o.interval == 60.0);
	assert_int_equal(parse(&o, &err, "--collect", "-s", "5", NULL), 0);
	assert_true(o.interval == 5.0);
	assert_int_equal(parse(&o, &err, "-s", "0.5", "--collect", NULL), 0);
	assert_true(o.interval == 0.5);
	assert_int_equal(parse(&o, &err, "-b", "-n", "3", "--top=0", NULL), 0);
	assert_int_equal(o.mode, MODE_BATCH);
	assert_true(o.interval == 2.0);
	assert_int_equal(o.iterations, 3);
	assert_int_equal(o.top, 0);
	assert_int_equal(parse(&o, &err, "--batch", "--batch", NULL), 0);
	assert_int_equal(o.mode, MODE_BATCH);
	assert_int_equal(parse(&o, &err, "--offline", "--days", "30", "-H", "/x/h.db", NULL), 0);
	assert_int_equal(o.mode, MODE_OFFLINE);
	assert_int_equal(o.days, 30);
	assert_string_equal(o.history, "/x/h.db");
	assert_int_equal(parse(&o, &err, "--report=json", "-o", "out.json", "--days=365", NULL),
			 0);
	assert_int_equal(o.mode, MODE_REPORT);
	assert_string_equal(o.report_format, "json");
	assert_string_equal(o.output, "out.json");
	assert_int_equal(o.days, 365);
	assert_true(o.until == 0);
	assert_true(o.peak_z == 2.5);
	assert_int_equal(parse(&o, &err, "--report=json", "--peak-z=3.5", NULL), 0);
	assert_true(o.peak_z == 3.5);
	assert_true(o.server_memory == 0);
	assert_int_equal(parse(&o, &err, "--report=json", "--server-memory=16GB", NULL), 0);
	assert_true(o.server_memory == 16.0 * 1073741824.0);
	assert_int_equal(parse(&o, &err, "--server-memory", "512M", NULL), 0);
	assert_true(o.server_memory == 512.0 * 1048576.0);
	assert_int_equal(parse(&o, &err, "--report=json", "--until=2026-11-26T10", NULL), 0);
	assert_true(o.until == 1795687200.0);
	assert_int_equal(parse(&o, &err, "--report=json", "--until", "2026-11-26", NULL), 0);
	assert_true(o.until == 1795651200.0);
	assert_int_equal(parse(&o, &err, "--report=json", "--until=1795687200", NULL), 0);
	assert_true(o.until == 1795687200.0);
	assert_int_equal(parse(&o, &err, "--report", "json", "--output=r.json", NULL), 0);
	assert_string_equal(o.output, "r.json");
	assert_null(o.csv_table);
	assert_int_equal(parse(&o, &err, "--report=html", "-o", "r.html", NULL), 0);
	assert_string_equal(o.report_format, "html");
	assert_int_equal(o.force, 0);
	assert_int_equal(parse(&o, &err, "--report=html", "-o", "r.html", "--force", NULL), 0);
	assert_int_equal(o.force, 1);
	assert_int_equal(parse(&o, &err, "--report=md", NULL), 0);
	assert_string_equal(o.report_format, "md");
	assert_int_equal(parse(&o, &err, "--report=csv", NULL), 0);
	assert_string_equal(o.report_format, "csv");
	assert_null(o.csv_table);
	assert_int_equal(parse(&o, &err, "--csv-table=settings_changes", "--report=csv", NULL), 0);
	assert_string_equal(o.csv_table, "settings_changes");
	assert_int_equal(parse(&o, &err, "--report=csv", "--csv-table", "hours", NULL), 0);
	assert_string_equal(o.csv_table, "hours");
	assert_int_equal(parse(&o, &err, "-b", "--no-history", NULL), 0);
	assert_int_equal(o.no_history, 1);
	assert_int_equal(parse(&o, &err, "--keep-raw=0.5", "--keep-hourly", "365", NULL), 0);
	assert_true(o.keep_raw_days == 0.5);
	assert_true(o.keep_hourly_days == 365.0);
	assert_int_equal(parse(&o, &err, "--history-interval=2.5", NULL), 0);
	assert_true(o.history_interval == 2.5);
	assert_int_equal(parse(&o, &err, "--days", "1", NULL), 0);
	assert_int_equal(o.days, 1);
}

static void
options_psql_connection(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	assert_int_equal(parse(&o, &err, "mydb", "bob", NULL), 0);
	assert_string_equal(o.conn.dbname, "mydb");
	assert_string_equal(o.conn.user, "bob");

	assert_int_equal(parse(&o, &err, "mydb", NULL), 0);
	assert_string_equal(o.conn.dbname, "mydb");
	assert_null(o.conn.user);

	/* -d given: the one argument is the user */
	assert_int_equal(parse(&o, &err, "-d", "mydb", "bob", NULL), 0);
	assert_string_equal(o.conn.dbname, "mydb");
	assert_string_equal(o.conn.user, "bob");

	/* -U given: the one argument is the database */
	assert_int_equal(parse(&o, &err, "-U", "bob", "mydb", NULL), 0);
	assert_string_equal(o.conn.dbname, "mydb");
	assert_string_equal(o.conn.user, "bob");

	/* a conninfo string or a URI as DBNAME */
	assert_int_equal(parse(&o, &err, "host=db.example port=5433 dbname=app", NULL), 0);
	assert_string_equal(o.conn.dbname, "host=db.example port=5433 dbname=app");
	assert_int_equal(parse(&o, &err, "postgresql://u@db.example:5433/app", "-b", NULL), 0);
	assert_string_equal(o.conn.dbname, "postgresql://u@db.example:5433/app");
	assert_int_equal(o.mode, MODE_BATCH);

	assert_int_equal(parse(&o, &err, "-h", "/tmp/sock", "-p", "5433", "-U", "u", "-d", "d",
			       "-w", NULL),
			 0);
	assert_string_equal(o.conn.host, "/tmp/sock");
	assert_string_equal(o.conn.port, "5433");
	assert_string_equal(o.conn.user, "u");
	assert_string_equal(o.conn.dbname, "d");
	assert_int_equal(o.prompt, PROMPT_NEVER);
	assert_int_equal(parse(&o, &err, "--host=h", "--port=1", "--username=v", "--dbname=e",
			       "--password", NULL),
			 0);
	assert_string_equal(o.conn.host, "h");
	assert_string_equal(o.conn.port, "1");
	assert_string_equal(o.conn.user, "v");
	assert_string_equal(o.conn.dbname, "e");
	assert_int_equal(o.prompt, PROMPT_ALWAYS);
	assert_int_equal(parse(&o, &err, "-W", NULL), 0);
	assert_int_equal(o.prompt, PROMPT_ALWAYS);
	assert_null(o.conn.password);
}

static void
options_usage_errors(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	expect_usage_error("-s 0", parse(&o, &err, "-s", "0", NULL), &err, "'0'", NULL);
	expect_usage_error("-s abc", parse(&o, &err, "-s", "abc", NULL), &err, "'abc'", NULL);
	expect_usage_error("-s -1", parse(&o, &err, "-s", "-1", NULL), &err, "'-1'", NULL);
	expect_usage_error("-s nan", parse(&o, &err, "-s", "nan", NULL), &err, "'nan'", NULL);
	expect_usage_error("-s 2x", parse(&o, &err, "-s", "2x", NULL), &err, "'2x'", NULL);
	expect_usage_error("--interval=0.05", parse(&o, &err, "--interval=0.05", NULL), &err,
			   "'0.05'", NULL);
	expect_usage_error("-s 86401", parse(&o, &err, "-s", "86401", NULL), &err, "'86401'",
			   NULL);
	expect_usage_error("-n 0", parse(&o, &err, "-n", "0", NULL), &err, "'0'", NULL);
	expect_usage_error("-n abc", parse(&o, &err, "-n", "abc", NULL), &err, "'abc'", NULL);
	expect_usage_error("--days 0", parse(&o, &err, "--days", "0", NULL), &err, "'0'", NULL);
	expect_usage_error("--days 366", parse(&o, &err, "--days", "366", NULL), &err, "'366'",
			   "1 to 365", NULL);
	expect_usage_error("--peak-z 1", parse(&o, &err, "--peak-z", "1", NULL), &err, "'1'",
			   "1.5 to 10", NULL);
	expect_usage_error("--server-memory 16", parse(&o, &err, "--server-memory", "16", NULL),
			   &err, "'16'", "64MB", NULL);
	expect_usage_error("--server-memory=16QB", parse(&o, &err, "--server-memory=16QB", NULL),
			   &err, "'16QB'", NULL);
	expect_usage_error("--until 2026-02-30", parse(&o, &err, "--until", "2026-02-30", NULL),
			   &err, "'2026-02-30'", "UTC", NULL);
	expect_usage_error("--until=2026-11-26T10:30",
			   parse(&o, &err, "--until=2026-11-26T10:30", NULL), &err,
			   "'2026-11-26T10:30'", NULL);
	expect_usage_error("--until=1795687201", parse(&o, &err, "--until=1795687201", NULL),
			   &err, "'1795687201'", NULL);
	expect_usage_error("--days=100000", parse(&o, &err, "--days=100000", NULL), &err,
			   "'100000'", NULL);
	expect_usage_error("--top -1", parse(&o, &err, "--top", "-1", NULL), &err, "'-1'", NULL);
	expect_usage_error("--keep-raw 0", parse(&o, &err, "--keep-raw", "0", NULL), &err, "'0'",
			   "--keep-raw", NULL);
	expect_usage_error("--history-interval=0.05",
			   parse(&o, &err, "--history-interval=0.05", NULL), &err, "'0.05'",
			   "--history-interval", NULL);
	expect_usage_error("--keep-hourly x", parse(&o, &err, "--keep-hourly", "x", NULL), &err,
			   "'x'", "--keep-hourly", NULL);
	expect_usage_error("--report=pdf", parse(&o, &err, "--report=pdf", NULL), &err, "'pdf'",
			   "html, md, csv or json", NULL);
	expect_usage_error("--report=HTML", parse(&o, &err, "--report=HTML", NULL), &err, "'HTML'",
			   NULL);
	expect_usage_error("--csv-table=nope", parse(&o, &err, "--report=csv", "--csv-table=nope",
						     NULL),
			   &err, "'nope'", "statements", "settings_changes", NULL);
	expect_usage_error("--csv-table with json",
			   parse(&o, &err, "--report=json", "--csv-table=findings", NULL), &err,
			   "--csv-table", NULL);
	expect_usage_error("--csv-table without --report",
			   parse(&o, &err, "--csv-table=findings", NULL), &err, "--csv-table",
			   NULL);
	expect_usage_error("-b --collect", parse(&o, &err, "-b", "--collect", NULL), &err,
			   "--batch", "--collect", NULL);
	expect_usage_error("--collect --offline", parse(&o, &err, "--collect", "--offline", NULL),
			   &err, "--collect", "--offline", NULL);
	expect_usage_error("--report --batch", parse(&o, &err, "--report=json", "-b", NULL), &err,
			   "--report", "--batch", NULL);
	expect_usage_error("--output without --report", parse(&o, &err, "-o", "x.json", NULL),
			   &err, "--output", NULL);
	expect_usage_error("--force without -o", parse(&o, &err, "--report=md", "--force", NULL),
			   &err, "--force", "-o", NULL);
	expect_usage_error("--force with --collect", parse(&o, &err, "--collect", "--force", NULL),
			   &err, "--force", NULL);
	expect_usage_error("--output with --collect",
			   parse(&o, &err, "--collect", "--output=x.json", NULL), &err, "--output",
			   NULL);
	expect_usage_error("--no-history --collect",
			   parse(&o, &err, "--no-history", "--collect", NULL), &err,
			   "--no-history", NULL);
	expect_usage_error("--report --no-history",
			   parse(&o, &err, "--report=json", "--no-history", NULL), &err,
			   "--no-history", NULL);
	expect_usage_error("--offline --no-history",
			   parse(&o, &err, "--offline", "--no-history", NULL), &err,
			   "--no-history", NULL);
	expect_usage_error("three arguments", parse(&o, &err, "db", "user", "extra", NULL), &err,
			   "too many", "'extra'", NULL);
	expect_usage_error("-d and two arguments",
			   parse(&o, &err, "-d", "db", "user", "extra", NULL), &err, "'extra'",
			   NULL);
	expect_usage_error("-d -U and one argument",
			   parse(&o, &err, "-d", "db", "-U", "u", "stray", NULL), &err, "'stray'",
			   NULL);
	expect_usage_error("-s without value", parse(&o, &err, "-s", NULL), &err, "-s", NULL);
	expect_usage_error("--days without value", parse(&o, &err, "--days", NULL), &err,
			   "--days", NULL);
	expect_usage_error("-H empty", parse(&o, &err, "-H", "", NULL), &err, "empty", NULL);
	expect_usage_error("unknown long", parse(&o, &err, "--bogus", NULL), &err, "--bogus",
			   NULL);
	expect_usage_error("unknown short", parse(&o, &err, "-x", NULL), &err, "'x'", NULL);
}

/* A long option that takes no value, given one: the message names that option. */
static void
options_value_for_flag(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	expect_usage_error("--batch=1", parse(&o, &err, "--batch=1", NULL), &err, "--batch",
			   NULL);
	expect_usage_error("--collect=yes", parse(&o, &err, "--collect=yes", NULL), &err,
			   "--collect", NULL);
}

/* Run a parse with standard output sent to a file; returns what was printed. */
static char *
parse_captured(int *rc, const char *arg)
{
	char dir[] = "/tmp/test_options.XXXXXX", path[64];
	struct options o;
	struct pgt_err err;
	int saved, fd;
	FILE *fp;
	char *text = calloc(1, 8192);

	assert_non_null(text);
	if (text == NULL)
		abort();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out", dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	*rc = parse(&o, &err, arg, NULL);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fp = fopen(path, "r");
	assert_non_null(fp);
	if (fp != NULL) {
		size_t n = fread(text, 1, 8191, fp);

		text[n] = '\0';
		fclose(fp);
	}
	unlink(path);
	rmdir(dir);
	return text;
}

static void
options_help_and_version(void **state)
{
	int rc = 0;
	char *out;

	(void)state;
	out = parse_captured(&rc, "--help");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "Usage:"));
	assert_non_null(strstr(out, "--report=FORMAT"));
	free(out);
	out = parse_captured(&rc, "-?");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "Usage:"));
	free(out);
	out = parse_captured(&rc, "-V");
	assert_int_equal(rc, 1);
	assert_string_equal(out, "pgmltop " PACKAGE_VERSION "\n");
	free(out);
	out = parse_captured(&rc, "--version");
	assert_int_equal(rc, 1);
	assert_string_equal(out, "pgmltop " PACKAGE_VERSION "\n");
	free(out);
	/* a usage error prints nothing on standard output */
	out = parse_captured(&rc, "--days=0");
	assert_int_equal(rc, -1);
	assert_string_equal(out, "");
	free(out);
}

static void
options_no_color(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	unsetenv("NO_COLOR");
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.no_color, 0);
	assert_int_equal(parse(&o, &err, "--no-color", NULL), 0);
	assert_int_equal(o.no_color, 1);
	setenv("NO_COLOR", "1", 1);
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.no_color, 1);
	/* set but empty: not asked for (no-color.org) */
	setenv("NO_COLOR", "", 1);
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.no_color, 0);
	unsetenv("NO_COLOR");
}

/* Each call starts afresh, even after an error in the middle of "-zb". */
static void
options_parse_twice(void **state)
{
	struct options o;
	struct pgt_err err;

	(void)state;
	expect_usage_error("-zb", parse(&o, &err, "-zb", NULL), &err, "'z'", NULL);
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.mode, MODE_SCREEN);
	assert_int_equal(parse(&o, &err, "-bn", "4", NULL), 0);
	assert_int_equal(o.mode, MODE_BATCH);
	assert_int_equal(o.iterations, 4);
	assert_int_equal(parse(&o, &err, NULL), 0);
	assert_int_equal(o.mode, MODE_SCREEN);
	assert_int_equal(o.iterations, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(options_defaults, setup),
		cmocka_unit_test_setup(options_modes, setup),
		cmocka_unit_test_setup(options_psql_connection, setup),
		cmocka_unit_test_setup(options_usage_errors, setup),
		cmocka_unit_test_setup(options_value_for_flag, setup),
		cmocka_unit_test_setup(options_help_and_version, setup),
		cmocka_unit_test_setup(options_no_color, setup),
		cmocka_unit_test_setup(options_parse_twice, setup),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pool_free();
	return rc;
}
