#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"

static void
settings_defaults_are_time_desc(void **state)
{
	struct settings c;

	(void)state;
	settings_defaults(&c);
	assert_string_equal(c.sort, "TIME%");
	assert_int_equal(c.reverse, 0);
	assert_true(c.interval == 0);
	assert_int_equal(c.color, 1);
}

static void
settings_parse_reads_every_key(void **state)
{
	struct settings c;
	struct pgt_err err = {{0}};

	(void)state;
	settings_defaults(&c);
	assert_int_equal(settings_parse("# comment\n\n sort = MEAN_MS \nreverse=yes\n"
					"interval = 4.5\r\ncolor = off\n",
					"f", &c, &err),
			 0);
	assert_string_equal(c.sort, "MEAN_MS");
	assert_int_equal(c.reverse, 1);
	assert_true(c.interval == 4.5);
	assert_int_equal(c.color, 0);
	assert_string_equal(err.msg, "");
}

static void
settings_parse_skips_bad_lines_and_names_the_first(void **state)
{
	struct settings c;
	struct pgt_err err = {{0}};

	(void)state;
	settings_defaults(&c);
	assert_int_equal(settings_parse("sort = MEAN_MS\nsort = BOGUS\ninterval = 0\n"
					"interval = abc\ncolor = maybe\nwhat = 1\nno equals here\n"
					"reverse = yes\n",
					"cfg", &c, &err),
			 6);
	/* good lines still apply; bad ones leave the value as it was */
	assert_string_equal(c.sort, "MEAN_MS");
	assert_true(c.interval == 0);
	assert_int_equal(c.color, 1);
	assert_int_equal(c.reverse, 1);
	assert_non_null(strstr(err.msg, "cfg:2:"));
	assert_non_null(strstr(err.msg, "unknown column"));
}

static void
settings_hidden_columns(void **state)
{
	struct settings c;
	struct pgt_err err = {{0}};

	(void)state;
	settings_defaults(&c);
	assert_string_equal(c.hidden, "");
	assert_int_equal(settings_parse("hidden = SHR_HIT,TEMP_WR\n", "f", &c, &err), 0);
	assert_string_equal(c.hidden, "SHR_HIT,TEMP_WR");
	/* QUERYID and QUERY are always shown; an unknown name refuses the line */
	assert_int_equal(settings_parse("hidden = QUERY\n", "f", &c, &err), 1);
	assert_int_equal(settings_parse("hidden = SHR_HIT,NOPE\n", "f", &c, &err), 1);
	assert_string_equal(c.hidden, "SHR_HIT,TEMP_WR");
	assert_non_null(strstr(err.msg, "f:1:"));
}

static void
settings_format_round_trips(void **state)
{
	struct settings a, b;
	struct pgt_err err = {{0}};
	char *text;

	(void)state;
	settings_defaults(&a);
	strcpy(a.sort, "SHR_READ");
	a.reverse = 1;
	a.interval = 0.5;
	a.color = 0;
	strcpy(a.hidden, "MAX_MS,SHR_HIT");
	a.alert_score = 250;
	a.alert_anomalies = 0;
	a.alert_bell = 1;
	strcpy(a.alert_command, "/usr/local/bin/page-dba --urgent");
	text = settings_format(&a);
	settings_defaults(&b);
	assert_int_equal(settings_parse(text, "x", &b, &err), 0);
	assert_string_equal(b.sort, "SHR_READ");
	assert_int_equal(b.reverse, 1);
	assert_true(b.interval == 0.5);
	assert_int_equal(b.color, 0);
	assert_string_equal(b.hidden, "MAX_MS,SHR_HIT");
	/* the alerts, which only the file sets, survive the screen's saving */
	assert_true(b.alert_score == 250);
	assert_int_equal(b.alert_anomalies, 0);
	assert_int_equal(b.alert_reconnect, 1);
	assert_int_equal(b.alert_bell, 1);
	assert_string_equal(b.alert_command, "/usr/local/bin/page-dba --urgent");
	free(text);

	/* values with more digits than %g keeps are saved as they were read */
	assert_int_equal(settings_parse("interval = 1234.56789\nalert_score = 1234567.891\n", "x",
					&a, &err),
			 0);
	text = settings_format(&a);
	settings_defaults(&b);
	assert_int_equal(settings_parse(text, "x", &b, &err), 0);
	assert_true(b.interval == 1234.56789);
	assert_true(b.alert_score == 1234567.891);
	free(text);
}

static void
settings_alert_values_checked(void **state)
{
	struct settings c;
	struct pgt_err err = {{0}};

	(void)state;
	settings_defaults(&c);
	assert_true(c.alert_score == 0); /* no alert on recommendations unless asked */
	assert_int_equal(settings_parse("alert_score = -1\nalert_bell = maybe\n", "f", &c, &err), 2);
	assert_true(c.alert_score == 0);
	assert_int_equal(c.alert_bell, 0);
	assert_non_null(strstr(err.msg, "f:1:"));
}

static void
settings_save_and_load_with_private_modes(void **state)
{
	char dir[] = "/tmp/pgmltop-settings.XXXXXX";
	char *path, *sub;
	struct settings a, b;
	struct pgt_err err = {{0}};
	struct stat sb;
	mode_t old = umask(0);

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = malloc(strlen(dir) + 32);
	sub = malloc(strlen(dir) + 32);
	sprintf(sub, "%s/pgmltop", dir);
	sprintf(path, "%s/pgmltop/config", dir);
	settings_defaults(&b);
	/* a missing file is no problem */
	assert_int_equal(settings_load(path, &b, &err), 0);
	settings_defaults(&a);
	strcpy(a.sort, "CALLS/S");
	a.interval = 8;
	assert_int_equal(settings_save(path, &a, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(settings_load(path, &b, &err), 0);
	assert_string_equal(b.sort, "CALLS/S");
	assert_true(b.interval == 8);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	umask(old);
	free(path);
	free(sub);
}

static void
settings_load_refuses_binary_and_huge_files(void **state)
{
	char path[] = "/tmp/pgmltop-settings-bin.XXXXXX";
	int fd = mkstemp(path);
	struct settings c;
	struct pgt_err err = {{0}};
	char junk[70000];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "sort = MEAN_MS\n\0\x01", 17), 17);
	close(fd);
	settings_defaults(&c);
	assert_int_equal(settings_load(path, &c, &err), 1);
	assert_non_null(strstr(err.msg, "not a text file"));
	assert_string_equal(c.sort, "TIME%");

	memset(junk, 'a', sizeof junk);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_int_equal(settings_load(path, &c, &err), 1);
	assert_non_null(strstr(err.msg, "larger than"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settings_defaults_are_time_desc),
		cmocka_unit_test(settings_parse_reads_every_key),
		cmocka_unit_test(settings_parse_skips_bad_lines_and_names_the_first),
		cmocka_unit_test(settings_hidden_columns),
		cmocka_unit_test(settings_format_round_trips),
		cmocka_unit_test(settings_alert_values_checked),
		cmocka_unit_test(settings_save_and_load_with_private_modes),
		cmocka_unit_test(settings_load_refuses_binary_and_huge_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
