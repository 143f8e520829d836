/*
 * Unit tests of the report model and its JSON writer, on a temporary history filled
 * through the store: exact query ids, escaping of any bytes, the empty history.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "delta.h"
#include "report.h"
#include "snapshot.h"
#include "store.h"
#include "xutil.h"

/* 2023-11-14T22:13:20Z */
#define NOW 1700000000.0

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
	int64_t server_id;
};

static int have_jq;

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct pgt_err err = {{0}};

	snprintf(f->dir, sizeof f->dir, "%s", "/tmp/test_report.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/history.db", f->dir);
	f->st = store_open(f->path, 0, &err);
	if (f->st == NULL) {
		print_error("store_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Record the server and take its lease. */
static void
add_server(struct fixture *f, const char *host)
{
	struct pgt_err err = {{0}};
	struct server_info srv;
	long holder = 0;

	memset(&srv, 0, sizeof srv);
	snprintf(srv.key, sizeof srv.key, "%s", "7300000000000000001:5432");
	snprintf(srv.sysid, sizeof srv.sysid, "%s", "7300000000000000001");
	snprintf(srv.host, sizeof srv.host, "%s", host);
	snprintf(srv.port, sizeof srv.port, "%s", "5432");
	snprintf(srv.version, sizeof srv.version, "%s", "16.4");
	srv.version_num = 160004;
	assert_int_equal(store_server(f->st, &srv, NOW - 86400, &f->server_id, &err), 0);
	assert_int_equal(store_lease(f->st, f->server_id, NOW - 86400, 60, &holder, &err), 1);
}

/* One sample at ts: a statement of queryid with calls and ms, and its text when not NULL. */
static void
add_sample(struct fixture *f, double ts, int64_t queryid, int64_t calls, double ms,
	   const char *text)
{
	struct pgt_err err = {{0}};
	struct snapshot s;
	struct delta_set d;
	struct stmt_row *r;

	memset(&s, 0, sizeof s);
	s.ts = ts;
	s.have = STMT_HAVE_TOPLEVEL | STMT_HAVE_PLANS | STMT_HAVE_WAL | STMT_HAVE_INFO;
	s.pgss_ok = 1;
	if (text != NULL) {
		s.texts = xcalloc(1, sizeof *s.texts);
		s.texts[0].queryid = queryid;
		s.texts[0].query = xstrdup(text);
		s.n_texts = 1;
	}
	memset(&d, 0, sizeof d);
	d.ts = ts;
	d.interval_s = 60;
	d.stmts = xcalloc(1, sizeof *d.stmts);
	d.n_stmts = 1;
	r = &d.stmts[0];
	r->dbid = 5;
	r->userid = 10;
	r->queryid = queryid;
	r->toplevel = 1;
	r->calls = calls;
	r->rows = calls * 2;
	r->total_exec_ms = ms;
	r->max_ms = ms / (double)(calls > 0 ? calls : 1) * 2;
	r->shared_blks_hit = 1000;
	r->shared_blks_read = 7;
	r->temp_blks_written = 3;
	assert_int_equal(store_sample(f->st, f->server_id, &s, &d, &err), 1);
	snapshot_free(&s);
	delta_set_free(&d);
}

/* The JSON report of the history over days before NOW (caller frees). */
static char *
report_text(struct fixture *f, long days)
{
	struct pgt_err err = {{0}};
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc;

	assert_non_null(out);
	if (out == NULL)
		abort();
	rc = report_build(f->st, NOW, days, &r, &err);
	if (rc != 0)
		print_error("report_build: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(report_write_json(&r, out), 0);
	fclose(out);
	report_free(&r);
	assert_non_null(buf);
	if (buf == NULL)
		abort();
	return buf;
}

/* The report of the last days in a format ("html", "md", "csv" with its statements). */
static char *
report_in(struct fixture *f, long days, const char *fmt)
{
	struct pgt_err err = {{0}};
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc;

	assert_non_null(out);
	if (out == NULL)
		abort();
	rc = report_build(f->st, NOW, days, &r, &err);
	if (rc == 0)
		rc = report_add_series(f->st, &r, REPORT_SERIES, &err);
	if (rc != 0)
		print_error("report: %s\n", err.msg);
	assert_int_equal(rc, 0);
	if (strcmp(fmt, "html") == 0)
		rc = report_write_html(&r, out);
	else if (strcmp(fmt, "md") == 0)
		rc = report_write_md(&r, out);
	else
		rc = report_write_csv(&r, "statements", out);
	assert_int_equal(rc, 0);
	fclose(out);
	report_free(&r);
	assert_non_null(buf);
	if (buf == NULL)
		abort();
	return buf;
}

static char *
json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (out == NULL)
		abort();
	json_string(out, s);
	fclose(out);
	return buf;
}

static void
check_json_string(const char *in, const char *want)
{
	char *got = json_of(in);

	if (strcmp(got, want) != 0)
		print_error("json_string: got %s, want %s\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

/* Run jq with filter over text; returns its standard output (caller frees), NULL on error. */
static char *
jq(struct fixture *f, const char *text, const char *filter)
{
	char file[192], cmd[512], *out = xcalloc(1, 65536);
	FILE *fp;
	size_t n;
	int rc;

	snprintf(file, sizeof file, "%s/report.json", f->dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	if (fp == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	snprintf(cmd, sizeof cmd, "jq -e -r '%s' '%s' 2>&1", filter, file);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	if (fp == NULL)
		abort();
	n = fread(out, 1, 65535, fp);
	out[n] = '\0';
	rc = pclose(fp);
	unlink(file);
	if (rc != 0) {
		print_error("jq '%s' failed: %s\n", filter, out);
		free(out);
		return NULL;
	}
	return out;
}

/* No raw control byte, DEL or invalid UTF-8 in a JSON text. */
static int
plain_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = 0, i;

		if (*p == '\n') { /* the writer's own layout */
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0)
			n = 4;
		else
			return 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

/* The code points of a valid UTF-8 string, as "c1,c2,...\n" (caller frees). */
static char *
code_points(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct strbuf sb = {0};

	while (*p) {
		uint32_t c;
		int n, i;

		if (*p < 0x80) {
			c = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			c = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			c = *p & 0x0f;
			n = 3;
		} else {
			c = *p & 0x07;
			n = 4;
		}
		for (i = 1; i < n; i++)
			c = (c << 6) | (p[i] & 0x3f);
		sb_addf(&sb, "%s%u", sb.len ? "," : "", (unsigned)c);
		p += n;
	}
	sb_addc(&sb, '\n');
	return sb_detach(&sb);
}

/* ---- tests ---- */

static void
report_empty_history(void **state)
{
	struct fixture *f = *state;
	char *text = report_text(f, 7), *v;

	assert_non_null(strstr(text, "\"pgmltop_version\": \"" PACKAGE_VERSION "\""));
	assert_non_null(strstr(text, "\"generated_at\": \"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(text, "\"from\": \"2023-11-07T22:13:20Z\""));
	assert_non_null(strstr(text, "\"to\": \"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(text, "\"samples\": 0"));
	assert_non_null(strstr(text, "\"server\": null"));
	assert_non_null(strstr(text, "\"statements\": []"));
	assert_non_null(strstr(text, "\"patterns\": []"));
	assert_non_null(strstr(text, "\"findings\": []"));
	assert_null(strstr(text, "\"findings_note\""));
	assert_non_null(strstr(text, "\"recommendations\": []"));
	assert_non_null(strstr(text, "\"parameters\": []"));
	assert_non_null(strstr(text, "\"forecasts\": []"));
	if (have_jq) {
		v = jq(f, text, "[.server, (.statements|length), (.patterns|length),"
				" (.findings|length), (.recommendations|length),"
				" (.parameters|length), (.forecasts|length)] | @csv");
		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, ",0,0,0,0,0,0\n");
		free(v);
	}
	free(text);
}

static void
report_server_without_samples(void **state)
{
	struct fixture *f = *state;
	char *text;

	add_server(f, "db\"quoted\\host");
	text = report_text(f, 7);
	assert_non_null(strstr(text, "\"id\": \"7300000000000000001:5432\""));
	assert_non_null(strstr(text, "\"version\": \"16.4\""));
	assert_non_null(strstr(text, "\"host\": \"db\\\"quoted\\\\host\""));
	assert_non_null(strstr(text, "\"port\": \"5432\""));
	assert_non_null(strstr(text, "\"samples\": 0"));
	assert_non_null(strstr(text, "\"statements\": []"));
	if (have_jq) {
		char *v = jq(f, text, ".server.host");

		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, "db\"quoted\\host\n");
		free(v);
	}
	free(text);
}

static void
report_queryid_exact(void **state)
{
	struct fixture *f = *state;
	char *text;

	add_server(f, "localhost");
	add_sample(f, NOW - 3000, INT64_MIN, 1, 40.0, "SELECT min");
	add_sample(f, NOW - 2000, INT64_MAX, 1, 30.0, "SELECT max");
	add_sample(f, NOW - 1000, -1, 1, 20.0, "SELECT minus one");
	add_sample(f, NOW - 500, 42, 1, 10.0, NULL);
	text = report_text(f, 7);
	assert_non_null(strstr(text, "\"queryid\": \"-9223372036854775808\""));
	assert_non_null(strstr(text, "\"queryid\": \"9223372036854775807\""));
	assert_non_null(strstr(text, "\"queryid\": \"-1\""));
	assert_non_null(strstr(text, "\"queryid\": \"42\", \"query\": null"));
	assert_non_null(strstr(text, "\"samples\": 4"));
	/* by total time: largest first */
	assert_true(strstr(text, "-9223372036854775808") < strstr(text, "9223372036854775807\""));
	assert_true(strstr(text, "\"-1\"") < strstr(text, "\"42\""));
	if (have_jq) {
		char *v = jq(f, text, "[.statements[].queryid] | join(\" \")");

		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, "-9223372036854775808 9223372036854775807 -1 42\n");
		free(v);
		v = jq(f, text, "[.statements[] | .queryid | type] | unique | join(\",\")");
		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, "string\n");
		free(v);
	}
	free(text);
}

static void
report_statement_figures(void **state)
{
	struct fixture *f = *state;
	char *text;

	add_server(f, "localhost");
	add_sample(f, NOW - 600, 7, 4, 10.0, "SELECT 7");
	add_sample(f, NOW - 300, 7, 4, 15.5, NULL);
	/* outside the one-day window */
	add_sample(f, NOW - 2 * 86400, 7, 100, 1000.0, NULL);
	add_sample(f, NOW - 2 * 86400 + 60, 8, 100, 1000.0, "SELECT 8");
	text = report_text(f, 1);
	assert_non_null(strstr(text, "\"samples\": 2"));
	assert_non_null(strstr(text, "\"queryid\": \"7\", \"query\": \"SELECT 7\", \"toplevel\": true,"
				     " \"calls\": 8, \"total_ms\": 25.500, \"mean_ms\": 3.188,"
				     " \"max_ms\": 7.750, \"rows\": 16, \"shared_blks_hit\": 2000,"
				     " \"shared_blks_read\": 14, \"temp_blks_written\": 6}"));
	assert_null(strstr(text, "\"8\""));
	free(text);

	/* the whole history */
	text = report_text(f, 7);
	assert_non_null(strstr(text, "\"samples\": 4"));
	assert_non_null(strstr(text, "\"queryid\": \"8\""));
	assert_non_null(strstr(text, "\"calls\": 108"));
	free(text);
}

/* Ten days of hourly samples of two statements; queryid 77 has ten times its calls once. */
#define F_DAYS 10
#define F_SPIKE (F_DAYS * 24 - 50)

static double
f_hour(int h)
{
	return floor(NOW / 3600) * 3600 - (double)(F_DAYS * 24 - h) * 3600;
}

static void
add_hours(struct fixture *f)
{
	struct pgt_err err = {{0}};
	int h;

	add_server(f, "localhost");
	for (h = 0; h <= F_DAYS * 24; h++) {
		int64_t calls = 100 + (h * 37 % 11) - 5;

		if (h == F_SPIKE)
			calls *= 10;
		add_sample(f, f_hour(h) + 1800, 77, calls, (double)calls * 2.5,
			   h == 0 ? "SELECT 77" : NULL);
		add_sample(f, f_hour(h) + 1900, 78, 200 + (h * 13 % 7), 400.0, NULL);
	}
	assert_int_equal(store_maintain(f->st, f->server_id, NOW, 1e9, 1e9, &err), 0);
}

static void
report_findings(void **state)
{
	struct fixture *f = *state;
	char *text;

	add_hours(f);
	text = report_text(f, 14);
	assert_null(strstr(text, "\"findings_note\""));
	if (have_jq) {
		char *v;
		time_t t = (time_t)f_hour(F_SPIKE);
		struct tm tm;
		char want[256], from[32], to[32];

		gmtime_r(&t, &tm);
		strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", &tm);
		t += 3600;
		gmtime_r(&t, &tm);
		strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(want, sizeof want, "1\nanomaly_calls\ncalls\n%s\n%s\n1\n%d\ntrue\ntrue\n",
			 from, to, (100 + (F_SPIKE * 37 % 11) - 5) * 10);
		v = jq(f, text, "[.findings[] | select(.queryid == \"77\")] | length, (.[0] | .rule,"
				" .metric, .from, .to, .hours, .observed, (.low < .expected and"
				" .expected < .high and .high < .observed), (.confidence > 0.5"
				" and .confidence <= 1))");
		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, want);
		free(v);
		/* the steady statement has none */
		v = jq(f, text, "[.findings[] | select(.queryid == \"78\")] | length");
		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, "0\n");
		free(v);
	}
	free(text);

	/* too short a window: none, and why */
	text = report_text(f, 3);
	assert_non_null(strstr(text, "\"findings\": []"));
	assert_non_null(
		strstr(text, "\"findings_note\": \"fewer days of history than anomalies need\""));
	free(text);
}

/* What the screen's drill-down asks for: one statement, or the server. */
static void
report_stmt_analysis_one(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct pattern *pats = NULL;
	struct finding *finds = NULL;
	const char *note = NULL;
	int n_pats = -1, n_finds = -1;

	add_hours(f);
	assert_int_equal(report_stmt_analysis(f->st, f->server_id, 1, 77, NOW - 14 * 86400, NOW,
					      &pats, &n_pats, &finds, &n_finds, &note, &err),
			 0);
	assert_null(note);
	assert_int_equal(n_pats, 0);
	assert_int_equal(n_finds, 1);
	assert_string_equal(finds[0].rule, FINDING_ANOMALY_CALLS);
	assert_true(finds[0].has_queryid && finds[0].queryid == 77);
	assert_true(finds[0].from == f_hour(F_SPIKE));
	free(pats);
	free(finds);

	assert_int_equal(report_stmt_analysis(f->st, f->server_id, 1, 78, NOW - 14 * 86400, NOW,
					      &pats, &n_pats, &finds, &n_finds, &note, &err),
			 0);
	assert_int_equal(n_finds, 0);
	assert_null(finds);
	free(pats);

	/* a query id without rows: nothing, and no error */
	assert_int_equal(report_stmt_analysis(f->st, f->server_id, 1, 79, NOW - 14 * 86400, NOW,
					      &pats, &n_pats, &finds, &n_finds, &note, &err),
			 0);
	assert_int_equal(n_pats + n_finds, 0);

	/* the server: its calls, with the spike in them */
	assert_int_equal(report_stmt_analysis(f->st, f->server_id, 0, 0, NOW - 14 * 86400, NOW,
					      &pats, &n_pats, &finds, &n_finds, &note, &err),
			 0);
	assert_int_equal(n_finds, 1);
	assert_false(finds[0].has_queryid);
	assert_true(finds[0].from == f_hour(F_SPIKE));
	free(pats);
	free(finds);

	/* three days: too little history, and the note says so */
	assert_int_equal(report_stmt_analysis(f->st, f->server_id, 1, 77, NOW - 3 * 86400, NOW,
					      &pats, &n_pats, &finds, &n_finds, &note, &err),
			 0);
	assert_int_equal(n_pats + n_finds, 0);
	assert_non_null(note);
	assert_non_null(strstr(note, "fewer days of history"));
}

static void
report_text_escaped(void **state)
{
	struct fixture *f = *state;
	static const char query[] = "SELECT '\x1b[2J', \"q\" \\ x\n\tFROM t\r\x7f\x01 \xff end"
				    " \xc3\xa9 \xe2\x80\xa8";
	char *text;

	add_server(f, "localhost");
	add_sample(f, NOW - 100, 99, 1, 1.0, query);
	text = report_text(f, 7);
	assert_non_null(strstr(text, "\"query\": \"SELECT '\\u001b[2J', \\\"q\\\" \\\\ x\\n\\tFROM"
				     " t\\r\\u007f\\u0001 \\ufffd end \xc3\xa9 \\u2028\""));
	assert_true(plain_utf8(text));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\t'));
	if (have_jq) {
		/* what jq reads back: the same code points, U+FFFD for the invalid byte */
		char *v = jq(f, text, ".statements[0].query | explode | map(tostring) | join(\",\")");
		char *want = code_points("SELECT '\x1b[2J', \"q\" \\ x\n\tFROM t\r\x7f\x01"
					 " \xef\xbf\xbd end \xc3\xa9 \xe2\x80\xa8");

		assert_non_null(v);
		if (v != NULL)
			assert_string_equal(v, want);
		free(v);
		free(want);
	}
	free(text);
}

/* Any bytes in a query text: escaped in each format, and valid UTF-8 there. */
static void
report_formats_escape(void **state)
{
	struct fixture *f = *state;
	static const char query[] = "SELECT '<script>x</script>' & \"q\" | `t` \\| \x1b\xff\n"
				    "```\n@x \xc3\xa9";
	char *text;

	add_server(f, "db<1>");
	add_sample(f, NOW - 100, 99, 1, 1.0, query);
	add_sample(f, NOW - 50, -7, 1, 1.0, "=1+2");

	text = report_in(f, 7, "html");
	assert_non_null(strstr(text, "SELECT &#39;&lt;script&gt;x&lt;/script&gt;&#39; &amp; "
				     "&quot;q&quot; | `t` \\| \\x1b\xef\xbf\xbd\n```\n@x \xc3\xa9"));
	assert_null(strstr(text, "<script"));
	assert_non_null(strstr(text, "db&lt;1&gt;"));
	assert_true(plain_utf8(text));
	free(text);

	text = report_in(f, 7, "md");
	/* the code span of the table: a longer fence, pipes escaped, one more backslash */
	assert_non_null(strstr(text, "`` SELECT '<script>x</script>' & \"q\" \\| `t` \\\\\\| "
				     "\\x1b\xef\xbf\xbd ``` @x \xc3\xa9 ``"));
	/* the fenced block: four backticks around a text with three */
	assert_non_null(strstr(text, "\n````sql\nSELECT"));
	assert_non_null(strstr(text, "db&lt;1&gt;"));
	assert_true(plain_utf8(text));
	free(text);

	text = report_in(f, 7, "csv");
	assert_non_null(strstr(text, ",\"SELECT '<script>x</script>' & \"\"q\"\" | `t` \\| \x1b"
				     "\xef\xbf\xbd\n```\n@x \xc3\xa9\"\r\n"));
	assert_non_null(strstr(text, "\r\n-7,true,1,1.000,1.000,"));
	/* neutralised, and quoted as well */
	assert_non_null(strstr(text, ",\"'=1+2\"\r\n"));
	assert_null(strstr(text, ",'=1+2\r\n"));
	free(text);
}

static void
report_json_string_bytes(void **state)
{
	(void)state;
	check_json_string("", "\"\"");
	check_json_string(NULL, "null"); /* a missing string is null, never a crash */
	check_json_string("plain", "\"plain\"");
	check_json_string("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	check_json_string("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	check_json_string("\b\f", "\"\\u0008\\u000c\"");
	check_json_string("caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80",
			  "\"caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80\"");
	check_json_string("\xff", "\"\\ufffd\"");
	check_json_string("a\xe6\xbc", "\"a\\ufffd\\ufffd\"");   /* cut short */
	check_json_string("\xc0\xaf", "\"\\ufffd\\ufffd\"");     /* overlong */
	check_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	check_json_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	check_json_string("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
}

/* A file read back whole into buf (NUL-terminated); its length, -1 when it cannot be read. */
static long
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (long)n;
}

/* Entries of dir whose name starts with '.': the temporary files of report_out. */
static int
hidden_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * report_out with keep: the report goes in place where nothing is; a file that appears at
 * the path while the report is written is kept, and the report is dropped with a message
 * naming --force. Without keep it is replaced whole.
 */
static void
report_out_keeps_a_file_made_meanwhile(void **state)
{
	struct fixture *f = *state;
	struct pgt_err err = {{0}};
	struct report_out ro;
	char path[160], buf[64];
	FILE *other;

	snprintf(path, sizeof path, "%s/report.json", f->dir);
	/* nothing there: put in place */
	assert_int_equal(report_out_open(&ro, path, &err), 0);
	ro.keep = 1;
	fputs("first", ro.f);
	assert_int_equal(report_out_close(&ro, 0, &err), 0);
	assert_int_equal(slurp(path, buf, sizeof buf), 5);
	assert_string_equal(buf, "first");
	assert_int_equal(unlink(path), 0);

	/* a file made at the path between open and close: kept */
	assert_int_equal(report_out_open(&ro, path, &err), 0);
	ro.keep = 1;
	fputs("report", ro.f);
	other = fopen(path, "w");
	assert_non_null(other);
	fputs("someone else's", other);
	fclose(other);
	assert_int_equal(report_out_close(&ro, 0, &err), -1);
	assert_non_null(strstr(err.msg, "exists: give --force"));
	assert_int_equal(slurp(path, buf, sizeof buf), 14);
	assert_string_equal(buf, "someone else's");
	assert_int_equal(hidden_entries(f->dir), 0);

	/* without keep (--force): replaced whole */
	assert_int_equal(report_out_open(&ro, path, &err), 0);
	fputs("forced", ro.f);
	assert_int_equal(report_out_close(&ro, 0, &err), 0);
	assert_int_equal(slurp(path, buf, sizeof buf), 6);
	assert_string_equal(buf, "forced");
	assert_int_equal(hidden_entries(f->dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(report_empty_history, setup, teardown),
		cmocka_unit_test_setup_teardown(report_server_without_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(report_queryid_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(report_statement_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(report_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(report_stmt_analysis_one, setup, teardown),
		cmocka_unit_test_setup_teardown(report_text_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(report_formats_escape, setup, teardown),
		cmocka_unit_test(report_json_string_bytes),
		cmocka_unit_test_setup_teardown(report_out_keeps_a_file_made_meanwhile, setup,
						teardown),
	};

	have_jq = system("command -v jq >/dev/null 2>&1") == 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
