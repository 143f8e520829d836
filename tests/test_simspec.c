/*
 * Unit tests of the parser of simulation specs: defaults, every key, the forms of end,
 * the messages ("NAME:LINE: message") of bad specs, the query ids, and loading a file.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simspec.h"
#include "xutil.h"

/* ---- helpers ---- */

/* Parse text that must be good; the spec is the caller's to free. */
static void
parse_ok(const char *text, struct sim_spec *spec)
{
	struct pgt_err err = {{0}};

	if (simspec_parse(text, "spec", spec, &err) != 0) {
		print_error("unexpected error: %s\n", err.msg);
		fail();
	}
	assert_string_equal(err.msg, "");
}

/* After a failed parse, nothing is left to free and freeing again is harmless. */
static void
assert_freed(struct sim_spec *spec)
{
	assert_int_equal(spec->n_stmts, 0);
	assert_null(spec->stmts);
	assert_int_equal(spec->n_settings, 0);
	assert_null(spec->settings);
	assert_null(spec->server);
	assert_null(spec->database);
	assert_null(spec->user);
	simspec_free(spec);
	assert_int_equal(spec->n_stmts, 0);
	assert_null(spec->stmts);
}

static int
tmp_path(char *buf, size_t size, const char *base)
{
	const char *dir = getenv("TMPDIR");
	int n;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	n = snprintf(buf, size, "%s/%s.XXXXXX", dir, base);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Write len bytes to a new temporary file; its path goes to path. */
static void
write_tmp(char *path, size_t size, const char *base, const char *data, size_t len)
{
	int fd;

	assert_int_equal(tmp_path(path, size, base), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* ---- defaults ---- */

static void
simspec_empty_spec_has_the_defaults(void **state)
{
	static const char *const texts[] = {"", "\n\n", "# only a comment\n\n   # another\n"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct sim_spec spec;

		parse_ok(texts[i], &spec);
		assert_true(spec.seed == 1);
		assert_int_equal(spec.days, 28);
		assert_true(spec.end == 0);
		assert_int_equal(spec.interval, 3600);
		assert_int_equal(spec.raw_hours, 0);
		assert_int_equal(spec.raw_interval, 60);
		assert_string_equal(spec.server, "simulated");
		assert_null(spec.server_key);
		assert_string_equal(spec.database, "app");
		assert_string_equal(spec.user, "app");
		assert_null(spec.truth);
		assert_int_equal(spec.filler, 0);
		assert_true(spec.filler_calls == 20);
		assert_true(spec.filler_ms == 2);
		assert_int_equal(spec.n_stmts, 0);
		assert_null(spec.stmts);
		assert_int_equal(spec.n_settings, 0);
		assert_null(spec.settings);
		simspec_free(&spec);
		assert_null(spec.server);
	}
}

static void
simspec_statement_defaults(void **state)
{
	struct sim_spec spec;
	const struct sim_stmt *st;
	int i;

	(void)state;
	parse_ok("[statement lookup]\ntext = SELECT 1\n", &spec);
	assert_int_equal(spec.n_stmts, 1);
	st = &spec.stmts[0];
	assert_string_equal(st->name, "lookup");
	assert_string_equal(st->text, "SELECT 1");
	assert_int_equal(st->toplevel, 1);
	assert_true(st->calls == 60);
	assert_true(st->mean_ms == 1);
	assert_true(st->spread == 0);
	assert_true(st->noise == 0);
	assert_true(st->rows == 1);
	assert_true(st->hit == 4);
	assert_true(st->read == 0);
	assert_true(st->temp == 0);
	assert_true(st->trend == 0);
	for (i = 0; i < 7; i++)
		assert_true(st->weekday_factor[i] == 1);
	assert_int_equal(st->n_peaks, 0);
	assert_int_equal(st->n_quiet, 0);
	assert_int_equal(st->n_regressions, 0);
	assert_int_equal(st->n_spikes, 0);
	assert_null(st->parent);
	assert_int_equal(st->parent_index, -1);
	assert_true(st->fanout == 0);
	assert_int_equal(st->filler, 0);
	simspec_free(&spec);
}

/* ---- every key ---- */

static void
simspec_global_keys(void **state)
{
	struct sim_spec spec;

	(void)state;
	parse_ok("seed = 18446744073709551615\n"
		 "days = 90\n"
		 "end = 2026-11-25T09:00\n"
		 "interval = 300\n"
		 "raw_hours = 48\n"
		 "raw_interval = 15\n"
		 "server = prod db 1\n"
		 "server_key = simulated:prod\n"
		 "database = shop\n"
		 "user = web\n"
		 "truth = truth.json\n"
		 "filler = 250\n"
		 "filler_calls = 7.5\n"
		 "filler_ms = 0.25\n",
		 &spec);
	assert_true(spec.seed == UINT64_MAX);
	assert_int_equal(spec.days, 90);
	assert_true(spec.end == 1795597200.0);
	assert_int_equal(spec.interval, 300);
	assert_int_equal(spec.raw_hours, 48);
	assert_int_equal(spec.raw_interval, 15);
	assert_string_equal(spec.server, "prod db 1");
	assert_string_equal(spec.server_key, "simulated:prod");
	assert_string_equal(spec.database, "shop");
	assert_string_equal(spec.user, "web");
	assert_string_equal(spec.truth, "truth.json");
	assert_int_equal(spec.filler, 250);
	assert_true(spec.filler_calls == 7.5);
	assert_true(spec.filler_ms == 0.25);
	assert_int_equal(spec.n_stmts, 0);
	simspec_free(&spec);

	/* a later value replaces an earlier one */
	parse_ok("seed = 0\nserver = a\nserver = b\ndays = 3\ndays = 4\n", &spec);
	assert_true(spec.seed == 0);
	assert_string_equal(spec.server, "b");
	assert_int_equal(spec.days, 4);
	simspec_free(&spec);
}

static void
simspec_statement_keys(void **state)
{
	struct sim_spec spec;
	const struct sim_stmt *st;

	(void)state;
	parse_ok("days = 30\n"
		 "[statement orders]\n"
		 "text = SELECT * FROM orders WHERE id = $1 -- # kept\n"
		 "toplevel = no\n"
		 "calls = 1200\n"
		 "mean_ms = 3.5\n"
		 "spread = 0.2\n"
		 "noise = 0.1\n"
		 "rows = 2.5\n"
		 "hit = 12\n"
		 "read = 0.5\n"
		 "temp = 3\n"
		 "trend = -0.25\n"
		 "daily_peak = 9 3\n"
		 "daily_peak = 14 2.5 0.5\n"
		 "weekly_peak = mon 10 4\n"
		 "weekly_peak = Monday 11 5 0.75\n"
		 "weekly_peak = SAT 23 1.5\n"
		 "weekday = sun 0.5\n"
		 "weekday = friday 1.25\n"
		 "quiet = 22-3 0.1\n"
		 "quiet = 12-13 2\n"
		 "regression = 12 3\n"
		 "regression = 20 14 1.5\n"
		 "spike = 5 10 8\n"
		 "spike = 30 23 0.5\n",
		 &spec);
	assert_int_equal(spec.n_stmts, 1);
	st = &spec.stmts[0];
	assert_string_equal(st->name, "orders");
	assert_string_equal(st->text, "SELECT * FROM orders WHERE id = $1 -- # kept");
	assert_int_equal(st->toplevel, 0);
	assert_true(st->calls == 1200);
	assert_true(st->mean_ms == 3.5);
	assert_true(st->spread == 0.2);
	assert_true(st->noise == 0.1);
	assert_true(st->rows == 2.5);
	assert_true(st->hit == 12);
	assert_true(st->read == 0.5);
	assert_true(st->temp == 3);
	assert_true(st->trend == -0.25);

	assert_int_equal(st->n_peaks, 5);
	assert_int_equal(st->peaks[0].weekday, -1);
	assert_int_equal(st->peaks[0].hour, 9);
	assert_true(st->peaks[0].height == 3);
	assert_true(st->peaks[0].recurrence == 1);
	assert_int_equal(st->peaks[1].weekday, -1);
	assert_int_equal(st->peaks[1].hour, 14);
	assert_true(st->peaks[1].height == 2.5);
	assert_true(st->peaks[1].recurrence == 0.5);
	assert_int_equal(st->peaks[2].weekday, 1);
	assert_int_equal(st->peaks[2].hour, 10);
	assert_true(st->peaks[2].height == 4);
	assert_true(st->peaks[2].recurrence == 1);
	assert_int_equal(st->peaks[3].weekday, 1);
	assert_int_equal(st->peaks[3].hour, 11);
	assert_true(st->peaks[3].height == 5);
	assert_true(st->peaks[3].recurrence == 0.75);
	assert_int_equal(st->peaks[4].weekday, 6);
	assert_int_equal(st->peaks[4].hour, 23);

	assert_true(st->weekday_factor[0] == 0.5);
	assert_true(st->weekday_factor[1] == 1);
	assert_true(st->weekday_factor[4] == 1);
	assert_true(st->weekday_factor[5] == 1.25);
	assert_true(st->weekday_factor[6] == 1);

	assert_int_equal(st->n_quiet, 2);
	assert_int_equal(st->quiet[0].from, 22);
	assert_int_equal(st->quiet[0].to, 3);
	assert_true(st->quiet[0].factor == 0.1);
	assert_int_equal(st->quiet[1].from, 12);
	assert_int_equal(st->quiet[1].to, 13);
	assert_true(st->quiet[1].factor == 2);

	assert_int_equal(st->n_regressions, 2);
	assert_int_equal(st->regressions[0].day, 12);
	assert_int_equal(st->regressions[0].hour, 0);
	assert_true(st->regressions[0].factor == 3);
	assert_int_equal(st->regressions[1].day, 20);
	assert_int_equal(st->regressions[1].hour, 14);
	assert_true(st->regressions[1].factor == 1.5);

	assert_int_equal(st->n_spikes, 2);
	assert_int_equal(st->spikes[0].day, 5);
	assert_int_equal(st->spikes[0].hour, 10);
	assert_true(st->spikes[0].factor == 8);
	assert_int_equal(st->spikes[1].day, 30);
	assert_int_equal(st->spikes[1].hour, 23);
	assert_true(st->spikes[1].factor == 0.5);

	assert_null(st->parent);
	assert_int_equal(st->parent_index, -1);
	simspec_free(&spec);
}

/* The oids and query ids of a live server can be given, so that a history continues it. */
static void
simspec_given_ids(void **state)
{
	struct sim_spec spec;
	struct pgt_err err = {{0}};

	(void)state;
	parse_ok("dbid = 5\nuserid = 10\n"
		 "[statement a]\nqueryid = -1234567890123\ntext = SELECT 1\n"
		 "[statement b]\ntext = SELECT 2\nqueryid = 9223372036854775807\n"
		 "[statement c]\ntext = SELECT 3\n",
		 &spec);
	assert_int_equal(spec.dbid, 5);
	assert_int_equal(spec.userid, 10);
	assert_true(spec.stmts[0].queryid == -1234567890123LL);
	assert_true(spec.stmts[1].queryid == INT64_MAX);
	assert_true(spec.stmts[2].queryid == simspec_queryid("SELECT 3"));
	simspec_free(&spec);
	parse_ok("", &spec);
	assert_int_equal(spec.dbid, 16384);
	assert_int_equal(spec.userid, 16385);
	simspec_free(&spec);
	assert_int_equal(simspec_parse("[statement a]\ntext = SELECT 1\nqueryid = 0\n", "q",
				       &spec, &err),
			 -1);
	assert_non_null(strstr(err.msg, "q:3: queryid: '0' is not a query id"));
	assert_int_equal(simspec_parse("[statement a]\ntext = SELECT 1\nqueryid = 7\n"
				       "[statement b]\ntext = SELECT 2\nqueryid = 7\n",
				       "q", &spec, &err),
			 -1);
	assert_non_null(strstr(err.msg, "'a' and 'b' have the same query id"));
	assert_int_equal(simspec_parse("servers = 2\nserver_key = 1:5432\n", "q", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "q: server_key names one server"));
	parse_ok("servers = 100\n", &spec);
	assert_int_equal(spec.servers, 100);
	simspec_free(&spec);
	assert_int_equal(simspec_parse("servers = 101\n", "q", &spec, &err), -1);
	assert_int_equal(simspec_parse("dbid = 0\n", "q", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "q:1: dbid: '0' is not an oid"));
}

static void
simspec_parent_and_fanout(void **state)
{
	struct sim_spec spec;

	(void)state;
	/* a child may come before its parent; fanout defaults to the parent's rows */
	parse_ok("[statement item]\n"
		 "text = SELECT * FROM item WHERE order_id = $1\n"
		 "parent = orders\n"
		 "[statement orders]\n"
		 "text = SELECT * FROM orders LIMIT $1\n"
		 "rows = 25\n"
		 "[statement price]\n"
		 "text = SELECT price FROM item WHERE id = $1\n"
		 "parent = orders\n"
		 "fanout = 3.5\n"
		 "[statement other]\n"
		 "text = SELECT 2\n"
		 "fanout = 7\n",
		 &spec);
	assert_int_equal(spec.n_stmts, 4);
	assert_string_equal(spec.stmts[0].parent, "orders");
	assert_int_equal(spec.stmts[0].parent_index, 1);
	assert_true(spec.stmts[0].fanout == 25);
	assert_null(spec.stmts[1].parent);
	assert_int_equal(spec.stmts[1].parent_index, -1);
	assert_string_equal(spec.stmts[2].parent, "orders");
	assert_int_equal(spec.stmts[2].parent_index, 1);
	assert_true(spec.stmts[2].fanout == 3.5);
	/* without a parent, fanout is kept as given and the index stays -1 */
	assert_int_equal(spec.stmts[3].parent_index, -1);
	assert_true(spec.stmts[3].fanout == 7);
	simspec_free(&spec);
}

static void
simspec_setting_keys(void **state)
{
	struct sim_spec spec;
	const struct sim_setting *se;

	(void)state;
	parse_ok("days = 14\n"
		 "[statement a]\n"
		 "text = SELECT a\n"
		 "[setting work_mem]\n"
		 "before = 4MB\n"
		 "after = 64 MB\n"
		 "unit = kB\n"
		 "day = 14\n"
		 "hour = 23\n"
		 "effect = b 0.5\n"
		 "effect = a 2\n"
		 "[statement b]\n"
		 "text = SELECT b\n"
		 "[setting random_page_cost]\n"
		 "before = 4\n"
		 "after = 1.1\n"
		 "day = 1\n",
		 &spec);
	assert_int_equal(spec.n_stmts, 2);
	assert_int_equal(spec.n_settings, 2);
	se = &spec.settings[0];
	assert_string_equal(se->name, "work_mem");
	assert_string_equal(se->before, "4MB");
	assert_string_equal(se->after, "64 MB");
	assert_string_equal(se->unit, "kB");
	assert_int_equal(se->day, 14);
	assert_int_equal(se->hour, 23);
	assert_int_equal(se->n_effects, 2);
	assert_string_equal(se->effects[0].stmt, "b");
	assert_int_equal(se->effects[0].stmt_index, 1);
	assert_true(se->effects[0].factor == 0.5);
	assert_string_equal(se->effects[1].stmt, "a");
	assert_int_equal(se->effects[1].stmt_index, 0);
	assert_true(se->effects[1].factor == 2);
	se = &spec.settings[1];
	assert_string_equal(se->name, "random_page_cost");
	assert_string_equal(se->before, "4");
	assert_string_equal(se->after, "1.1");
	assert_null(se->unit);
	assert_int_equal(se->day, 1);
	assert_int_equal(se->hour, 0);
	assert_int_equal(se->n_effects, 0);
	simspec_free(&spec);
}

/* ---- end ---- */

static void
simspec_end_forms(void **state)
{
	static const struct {
		const char *text;
		double end;
	} cases[] = {
		{"end = 2026-11-25\n", 1795564800.0},
		{"end = 2026-11-25T09:00\n", 1795597200.0},
		{"end = 2026-11-25T09\n", 1795597200.0},
		{"end = 1795597200\n", 1795597200.0},
		{"end = 3600\n", 3600.0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sim_spec spec;

		parse_ok(cases[i].text, &spec);
		if (spec.end != cases[i].end) {
			print_error("%s: got %.0f, want %.0f\n", cases[i].text, spec.end,
				    cases[i].end);
			fail();
		}
		simspec_free(&spec);
	}
}

static void
simspec_end_refused(void **state)
{
	static const char *const texts[] = {
		"days = 7\nend = 2026-11-25T09:30\n",
		"days = 7\nend = 1795597201\n",
		"days = 7\nend = 1795599000\n",
		"days = 7\nend = 2026-13-01\n",
		"days = 7\nend = 2026-11-25T24:00\n",
		"days = 7\nend = 2026-11-25T09:00:00\n",
		"days = 7\nend = tomorrow\n",
		"days = 7\nend = -3600\n",
		/* trailing text, a date that does not exist, the epoch itself */
		"days = 7\nend = 2026-11-25 09:00\n",
		"days = 7\nend = 2026-11-25junk\n",
		"days = 7\nend = +2026-11-25\n",
		"days = 7\nend = 2026-02-31\n",
		"days = 7\nend = 2026-11-25T09:00Z\n",
		"days = 7\nend = 1970-01-01\n",
		"days = 7\nend = 0\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct sim_spec spec;
		struct pgt_err err = {{0}};

		if (simspec_parse(texts[i], "when", &spec, &err) != -1) {
			print_error("accepted: %s\n", texts[i]);
			fail();
		}
		assert_int_equal(strncmp(err.msg, "when:2: end: '", 14), 0);
		assert_non_null(strstr(err.msg, "is not an hour"));
		assert_freed(&spec);
	}
}

/* ---- comments, blank lines and line numbers ---- */

static void
simspec_comments_and_line_numbers(void **state)
{
	struct sim_spec spec;
	struct pgt_err err = {{0}};

	(void)state;
	/* comments (also indented), blank and white lines, CRLF: all skipped */
	parse_ok("# a spec\r\n"
		 "\r\n"
		 "   # indented\n"
		 " \t \n"
		 "days = 10\r\n"
		 "[statement a]\n"
		 "# between keys\n"
		 "text = SELECT 1\r\n"
		 "\n"
		 "  calls = 5  \n",
		 &spec);
	assert_int_equal(spec.days, 10);
	assert_int_equal(spec.n_stmts, 1);
	assert_string_equal(spec.stmts[0].text, "SELECT 1");
	assert_true(spec.stmts[0].calls == 5);
	simspec_free(&spec);

	/* the same lines, then a bad one: its number counts every line above */
	assert_int_equal(simspec_parse("# a spec\r\n"
				       "\r\n"
				       "   # indented\n"
				       " \t \n"
				       "days = 10\r\n"
				       "[statement a]\n"
				       "# between keys\n"
				       "text = SELECT 1\r\n"
				       "\n"
				       "  calls = 5  \n"
				       "\n"
				       "\n"
				       "calls = many\n"
				       "calls = 6\n",
				       "lines.spec", &spec, &err),
			 -1);
	assert_int_equal(strncmp(err.msg, "lines.spec:13: ", 15), 0);
	assert_non_null(strstr(err.msg, "calls: 'many' is not a number"));
	assert_freed(&spec);
}

/* ---- bad specs ---- */

struct bad_spec {
	const char *text;
	const char *where; /* how the message starts */
	const char *what;  /* a part of the rest */
};

static const struct bad_spec bad_specs[] = {
	/* a fan-out of 0 is not "not given" */
	{"[statement p]\ntext = SELECT 1\n[statement c]\ntext = SELECT 2\nparent = p\n"
	 "fanout = 0\n",
	 "bad:6: ", "fanout: '0' is not a number from 0.001"},
	/* unknown keys */
	{"# top\n\nseed = 3\nbogus = 1\n", "bad:4: ", "unknown key 'bogus' (before any"},
	{"[statement a]\ntext = SELECT 1\n\ncolour = red\n", "bad:4: ",
	 "unknown key 'colour' in a [statement]"},
	{"[setting work_mem]\nbefore = 4MB\n# x\nafter = 64MB\nday = 2\nflavour = x\n", "bad:6: ",
	 "unknown key 'flavour' in a [setting]"},
	/* a global key after a section belongs to the section */
	{"[statement a]\ntext = SELECT 1\ndays = 3\n", "bad:3: ",
	 "unknown key 'days' in a [statement]"},

	/* values out of range or malformed */
	{"days = 0\n", "bad:1: ", "days: '0' is not a whole number from 1 to 3650"},
	{"\ndays = 3651\n", "bad:2: ", "days: '3651' is not a whole number"},
	{"seed = -1\n", "bad:1: ", "seed: '-1' is not a whole number of 0 or more"},
	{"seed = 18446744073709551616\n", "bad:1: ", "seed: '18446744073709551616' is not"},
	{"filler = lots\n", "bad:1: ", "filler: 'lots' is not a whole number"},
	{"filler_ms = -1\n", "bad:1: ", "filler_ms: '-1' is not a number"},
	{"raw_hours = 9000\n", "bad:1: ", "raw_hours: '9000' is not a whole number"},
	{"[statement a]\ntext = SELECT 1\ncalls = -5\n", "bad:3: ", "calls: '-5' is not a number"},
	{"[statement a]\ntext = SELECT 1\ntrend = 2\n", "bad:3: ",
	 "trend: '2' is not a number from -0.5 to 1"},
	{"[statement a]\ntext = SELECT 1\nspread = 0x10\n", "bad:3: ", "spread: '0x10' is not"},
	{"[statement a]\ntext = SELECT 1\nmean_ms = nan\n", "bad:3: ", "mean_ms: 'nan' is not"},
	{"[statement a]\ntext = SELECT 1\ntoplevel = maybe\n", "bad:3: ",
	 "toplevel: give yes or no, not 'maybe'"},
	{"[statement a]\ntext = SELECT 1\ndaily_peak = 24 2\n", "bad:3: ",
	 "daily_peak: '24' is not a whole number from 0 to 23"},
	{"[statement a]\ntext = SELECT 1\ndaily_peak = 9\n", "bad:3: ",
	 "daily_peak: give HOUR HEIGHT [RECURRENCE]"},
	{"[statement a]\ntext = SELECT 1\ndaily_peak = 9 2 0.5 1\n", "bad:3: ",
	 "daily_peak: give HOUR HEIGHT [RECURRENCE]"},
	{"[statement a]\ntext = SELECT 1\ndaily_peak = 9 2 1.5\n", "bad:3: ",
	 "daily_peak: '1.5' is not a number from 0 to 1"},
	{"[statement a]\ntext = SELECT 1\nweekly_peak = 9 2\n", "bad:3: ",
	 "weekly_peak: give WEEKDAY HOUR HEIGHT [RECURRENCE]"},
	{"[statement a]\ntext = SELECT 1\nquiet = 22 0.5\n", "bad:3: ",
	 "quiet: give FROM-TO FACTOR"},
	{"[statement a]\ntext = SELECT 1\nquiet = 22-24 0.5\n", "bad:3: ",
	 "quiet: '24' is not a whole number from 0 to 23"},
	{"[statement a]\ntext = SELECT 1\nregression = 3\n", "bad:3: ",
	 "regression: give DAY [HOUR] FACTOR"},
	{"[statement a]\ntext = SELECT 1\nregression = 3 25 2\n", "bad:3: ",
	 "regression: '25' is not a whole number from 0 to 23"},
	/* a regression to nothing would make every later time 0 */
	{"[statement a]\ntext = SELECT 1\nregression = 3 0\n", "bad:3: ",
	 "regression: '0' is not a number from 0.001"},
	/* a child's calls follow its parent: its own would be ignored */
	{"[statement p]\ntext = SELECT 1\n[statement c]\ntext = SELECT 2\ncalls = 5\n"
	 "parent = p\n",
	 "bad:6: ", "'c' runs fanout times per call of its parent"},
	{"[statement p]\ntext = SELECT 1\n[statement c]\ntext = SELECT 2\nparent = p\n"
	 "daily_peak = 9 2\n",
	 "bad:5: ", "its calls, noise, trend, weekday, quiet, peaks and spikes would not apply"},
	{"[statement a]\ntext = SELECT 1\nspike = 3 2\n", "bad:3: ", "spike: give DAY HOUR FACTOR"},
	{"[statement a]\ntext = SELECT 1\nspike = 0 2 3\n", "bad:3: ",
	 "spike: '0' is not a whole number from 1 to 3650"},
	{"[setting s]\nbefore = 1\nafter = 2\nday = 2\nhour = 24\n", "bad:5: ",
	 "hour: '24' is not a whole number from 0 to 23"},
	{"[setting s]\nbefore = 1\nafter = 2\nday = 0\n", "bad:4: ",
	 "day: '0' is not a whole number from 1 to 3650"},
	{"[statement a]\ntext = SELECT 1\n[setting s]\nbefore = 1\nafter = 2\nday = 2\n"
	 "effect = a\n",
	 "bad:7: ", "effect: give STATEMENT FACTOR"},
	{"[statement a]\ntext = SELECT 1\n[setting s]\nbefore = 1\nafter = 2\nday = 2\n"
	 "effect = a -1\n",
	 "bad:7: ", "effect: '-1' is not a number from 0 to 1000"},
	{"[statement a]\ntext = SELECT 1\n"
	 "daily_peak = 1 2\ndaily_peak = 2 2\ndaily_peak = 3 2\ndaily_peak = 4 2\n"
	 "daily_peak = 5 2\ndaily_peak = 6 2\ndaily_peak = 7 2\ndaily_peak = 8 2\n"
	 "daily_peak = 9 2\n",
	 "bad:11: ", "daily_peak: at most 8 peaks per statement"},

	/* interval and raw_interval must divide an hour */
	{"interval = 7\n", "bad:1: ", "interval: 7 s does not divide an hour"},
	{"interval = 600\n\nraw_interval = 70\n", "bad:3: ",
	 "raw_interval: 70 s does not divide an hour"},
	{"interval = 7200\n", "bad:1: ", "interval: '7200' is not a whole number from 1 to 3600"},

	/* weekdays */
	{"[statement a]\ntext = SELECT 1\n\nweekday = funday 2\n", "bad:4: ",
	 "'funday' is not a weekday"},
	{"[statement a]\ntext = SELECT 1\nweekly_peak = mo 9 2\n", "bad:3: ",
	 "'mo' is not a weekday"},
	{"[statement a]\ntext = SELECT 1\nweekly_peak = mond 9 2\n", "bad:3: ",
	 "'mond' is not a weekday"},
	{"[statement a]\ntext = SELECT 1\nweekday = mon\n", "bad:3: ",
	 "weekday: give WEEKDAY FACTOR"},

	/* sections and names */
	{"days = 3\n[query a]\n", "bad:2: ", "a section is [statement NAME] or [setting NAME]"},
	{"[statement a\n", "bad:1: ", "a section is [statement NAME] or [setting NAME]"},
	{"[statement a] x\n", "bad:1: ", "a section is [statement NAME] or [setting NAME]"},
	{"[statement]\n", "bad:1: ", "a section is [statement NAME] or [setting NAME]"},
	{"[Statement a]\n", "bad:1: ", "a section is [statement NAME] or [setting NAME]"},
	{"# x\n[statement my query]\n", "bad:2: ",
	 "a section is [statement NAME] or [setting NAME]"},
	{"[statement \"a\"]\n", "bad:1: ", "'\"a\"': a name has letters, digits"},
	{"[setting it's]\n", "bad:1: ", "'it's': a name has letters, digits"},
	{"[statement a]\ntext = SELECT 1\n\n[statement a]\ntext = SELECT 2\n", "bad:4: ",
	 "statement 'a' is defined twice"},
	{"[setting s]\nbefore = 1\nafter = 2\nday = 1\n[setting s]\n", "bad:5: ",
	 "setting 's' is defined twice"},

	/* lines that are not KEY = VALUE */
	{"server =\n", "bad:1: ", "server: the value is empty"},
	{"[statement a]\n\ntext =   \t\n", "bad:3: ", "text: the value is empty"},
	{"[statement a]\ntext = SELECT 1\ncalls 5\n", "bad:3: ",
	 "expected KEY = VALUE or a [section]"},

	/* found after the last line, on the line of the key at fault */
	{"[statement a]\ntext = SELECT 1\n\nparent = nope\n[statement b]\ntext = SELECT 2\n",
	 "bad:4: ", "parent: there is no statement 'nope'"},
	{"[statement a]\ntext = SELECT 1\n[statement b]\ntext = SELECT 2\nparent = a\n"
	 "[statement c]\ntext = SELECT 3\n# c's parent\nparent = b\n",
	 "bad:9: ", "parent: 'b' has a parent itself (one level only)"},
	{"[statement a]\ntext = SELECT 1\nparent = a\n", "bad:3: ",
	 "parent: a statement cannot be its own parent"},
	{"[statement a]\ntext = SELECT 1\n[setting s]\nbefore = 1\nafter = 2\nday = 3\n"
	 "effect = a 2\n\neffect = b 0.5\n",
	 "bad:9: ", "effect: there is no statement 'b'"},

	/* found after the last line, with no line to name */
	{"[statement a]\ncalls = 5\n", "bad: ", "statement 'a' has no text"},
	{"[statement a]\ntext = SELECT 1\n[statement b]\ntext = SELECT 1\n", "bad: ",
	 "statements 'a' and 'b' have the same text"},
	{"days = 7\n[statement a]\ntext = SELECT 1\nregression = 8 2\n", "bad: ",
	 "statement 'a': regression on day 8 of a 7-day simulation"},
	{"days = 7\n[statement a]\ntext = SELECT 1\nspike = 9 3 2\n", "bad: ",
	 "statement 'a': spike on day 9 of a 7-day simulation"},
	{"days = 7\n[setting s]\nbefore = 1\nafter = 2\nday = 8\n", "bad: ",
	 "setting 's' changes on day 8 of a 7-day simulation"},
	{"[setting s]\nbefore = 1\nday = 2\n", "bad: ", "setting 's' needs before, after and day"},
	{"[setting s]\nbefore = 1\nafter = 2\n", "bad: ",
	 "setting 's' needs before, after and day"},
	{"days = 2\nraw_hours = 49\n", "bad: ", "raw_hours 49 is longer than the 2 days simulated"},
};

static void
simspec_bad_specs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
		const struct bad_spec *b = &bad_specs[i];
		struct sim_spec spec;
		struct pgt_err err = {{0}};
		int rc = simspec_parse(b->text, "bad", &spec, &err);

		if (rc != -1 || strncmp(err.msg, b->where, strlen(b->where)) != 0 ||
		    strstr(err.msg + strlen(b->where), b->what) == NULL) {
			print_error("case %zu: rc %d, message \"%s\"; want \"%s...%s\"\n", i, rc,
				    err.msg, b->where, b->what);
			fail();
		}
		assert_freed(&spec);
	}
}

static void
simspec_good_limits(void **state)
{
	struct sim_spec spec;

	(void)state;
	/* the edges of the ranges are accepted */
	parse_ok("days = 2\n"
		 "raw_hours = 48\n"
		 "interval = 3600\n"
		 "raw_interval = 1\n"
		 "[statement a]\n"
		 "text = SELECT 1\n"
		 "trend = -0.5\n"
		 "regression = 2 23 0.001\n"
		 "spike = 2 0 0\n"
		 "quiet = 0-23 0\n"
		 "[setting s]\n"
		 "before = off\n"
		 "after = on\n"
		 "day = 2\n",
		 &spec);
	assert_int_equal(spec.raw_hours, 48);
	assert_int_equal(spec.raw_interval, 1);
	assert_true(spec.stmts[0].trend == -0.5);
	assert_int_equal(spec.stmts[0].regressions[0].day, 2);
	assert_int_equal(spec.stmts[0].regressions[0].hour, 23);
	assert_true(spec.stmts[0].regressions[0].factor == 0.001);
	assert_int_equal(spec.stmts[0].spikes[0].hour, 0);
	assert_int_equal(spec.stmts[0].quiet[0].from, 0);
	assert_int_equal(spec.stmts[0].quiet[0].to, 23);
	assert_int_equal(spec.settings[0].day, 2);
	simspec_free(&spec);
}

/* ---- query ids ---- */

static void
simspec_queryids(void **state)
{
	struct sim_spec spec;
	int64_t a = simspec_queryid("SELECT * FROM t WHERE a = $1");
	int64_t b = simspec_queryid("SELECT * FROM t WHERE a = $2");
	int i;

	(void)state;
	assert_true(a == simspec_queryid("SELECT * FROM t WHERE a = $1"));
	assert_true(a != 0);
	assert_true(b != 0);
	assert_true(a != b);
	assert_true(simspec_queryid("") != 0);
	assert_true(simspec_queryid("SELECT 1") != simspec_queryid("SELECT 1 "));
	/* a run of texts that differ only in the last character: all distinct, none 0 */
	{
		int64_t ids[26];
		char text[] = "UPDATE t SET x = x + 1 WHERE k = ?";
		size_t last = strlen(text) - 1;
		int j;

		for (i = 0; i < 26; i++) {
			text[last] = (char)('a' + i);
			ids[i] = simspec_queryid(text);
			assert_true(ids[i] != 0);
			for (j = 0; j < i; j++)
				assert_true(ids[i] != ids[j]);
		}
	}

	parse_ok("[statement a]\ntext = SELECT * FROM t WHERE a = $1\n"
		 "[statement b]\ntext =   SELECT * FROM t WHERE a = $2  \n",
		 &spec);
	assert_true(spec.stmts[0].queryid == a);
	assert_true(spec.stmts[1].queryid == b);
	simspec_free(&spec);

	/* a later text replaces the id too */
	parse_ok("[statement a]\ntext = SELECT 1\ntext = SELECT 2\n", &spec);
	assert_string_equal(spec.stmts[0].text, "SELECT 2");
	assert_true(spec.stmts[0].queryid == simspec_queryid("SELECT 2"));
	simspec_free(&spec);
}

/* ---- files ---- */

static void
simspec_load_reads_a_file(void **state)
{
	static const char good[] = "days = 5\n[statement a]\ntext = SELECT 1\nrows = 4\n";
	static const char bad[] = "days = 5\n\n[statement a]\ntext = SELECT 1\nrows = -4\n";
	char path[512], want[600];
	struct sim_spec spec;
	struct pgt_err err = {{0}};

	(void)state;
	write_tmp(path, sizeof path, "pgmltop-simspec", good, sizeof good - 1);
	assert_int_equal(simspec_load(path, &spec, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(spec.days, 5);
	assert_int_equal(spec.n_stmts, 1);
	assert_true(spec.stmts[0].rows == 4);
	simspec_free(&spec);
	assert_int_equal(unlink(path), 0);

	/* messages name the file */
	write_tmp(path, sizeof path, "pgmltop-simspec", bad, sizeof bad - 1);
	assert_int_equal(simspec_load(path, &spec, &err), -1);
	snprintf(want, sizeof want, "%s:5: ", path);
	assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
	assert_non_null(strstr(err.msg, "rows: '-4' is not a number"));
	assert_freed(&spec);
	assert_int_equal(unlink(path), 0);
}

static void
simspec_load_refuses_missing_and_binary_files(void **state)
{
	static const char binary[] = "days = 5\n\0\x01\x02";
	char path[512];
	struct sim_spec spec;
	struct pgt_err err = {{0}};

	(void)state;
	/* a file that was there and is no more */
	write_tmp(path, sizeof path, "pgmltop-simspec-gone", "", 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(simspec_load(path, &spec, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read the spec"));
	assert_non_null(strstr(err.msg, path));
	assert_freed(&spec);

	memset(&err, 0, sizeof err);
	write_tmp(path, sizeof path, "pgmltop-simspec-bin", binary, sizeof binary - 1);
	assert_int_equal(simspec_load(path, &spec, &err), -1);
	assert_non_null(strstr(err.msg, "not a text file"));
	assert_non_null(strstr(err.msg, path));
	assert_freed(&spec);
	assert_int_equal(unlink(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simspec_empty_spec_has_the_defaults),
		cmocka_unit_test(simspec_statement_defaults),
		cmocka_unit_test(simspec_global_keys),
		cmocka_unit_test(simspec_statement_keys),
		cmocka_unit_test(simspec_parent_and_fanout),
		cmocka_unit_test(simspec_given_ids),
		cmocka_unit_test(simspec_setting_keys),
		cmocka_unit_test(simspec_end_forms),
		cmocka_unit_test(simspec_end_refused),
		cmocka_unit_test(simspec_comments_and_line_numbers),
		cmocka_unit_test(simspec_bad_specs),
		cmocka_unit_test(simspec_good_limits),
		cmocka_unit_test(simspec_queryids),
		cmocka_unit_test(simspec_load_reads_a_file),
		cmocka_unit_test(simspec_load_refuses_missing_and_binary_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
