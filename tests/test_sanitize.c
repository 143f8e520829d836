/*
 * Unit tests of sanitize: text from the server made safe for one terminal line, and
 * passwords redacted from query texts.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

static int have_utf8_locale;

/* sanitize_line(in, max, utf8) must give want. */
static void
check_line(const char *in, size_t max, int utf8, const char *want)
{
	char *got = sanitize_line(in, max, utf8);
	int same = strcmp(got, want) == 0;

	if (!same)
		print_error("sanitize_line(max %zu, utf8 %d): got \"%s\", want \"%s\"\n", max, utf8,
			    got, want);
	free(got);
	assert_true(same);
}

static void
check_redact(const char *in, const char *want)
{
	char *got = sanitize_redact(in);
	int same = got != NULL && strcmp(got, want) == 0;

	if (!same)
		print_error("sanitize_redact: got \"%s\", want \"%s\"\n", got ? got : "(null)",
			    want);
	free(got);
	assert_true(same);
}

/* The secret must be gone from the redacted text, whatever replaces it. */
static void
check_hidden(const char *in, const char *secret)
{
	char *got = sanitize_redact(in);
	int leaked = got == NULL || strstr(got, secret) != NULL;

	if (leaked)
		print_error("sanitize_redact left \"%s\" in \"%s\"\n", secret,
			    got ? got : "(null)");
	free(got);
	assert_false(leaked);
}

/* No byte that a terminal would act on: controls, DEL, C1 controls, escapes. */
static int
terminal_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			return 0;
	}
	return 1;
}

/* ---- sanitize_line ---- */

static void
sanitize_line_control_bytes_escaped(void **state)
{
	(void)state;
	check_line("a\x1b[2Jb", 0, 1, "a\\x1b[2Jb");
	check_line("ring\x07", 0, 1, "ring\\x07");
	check_line("back\x08\x08space", 0, 1, "back\\x08\\x08space");
	check_line("del\x7f", 0, 1, "del\\x7f");
	check_line("\x1b]52;c;ZWNobw==\x07", 0, 1, "\\x1b]52;c;ZWNobw==\\x07");
	check_line("nul\x01soh", 0, 0, "nul\\x01soh");
	check_line("\x1b[31mred", 0, 0, "\\x1b[31mred");
}

static void
sanitize_line_whitespace_folded(void **state)
{
	(void)state;
	check_line("SELECT *\r\n  FROM t\n\tWHERE x = 1", 0, 1, "SELECT * FROM t WHERE x = 1");
	check_line("  \n\t lead and trail \r\n ", 0, 1, "lead and trail");
	check_line("a\r\rb", 0, 1, "a b");
	check_line("", 0, 1, "");
	check_line(" \n\t ", 0, 1, "");
	check_line(NULL, 0, 1, "");
}

/* Vertical tab and form feed are whitespace too: dropped at the start like the others. */
static void
sanitize_line_leading_vt_ff_dropped(void **state)
{
	(void)state;
	check_line("\fabc", 0, 1, "abc");
	check_line("\v abc", 0, 1, "abc");
	check_line("a\f\vb", 0, 1, "a b");
}

static void
sanitize_line_invalid_utf8_escaped(void **state)
{
	(void)state;
	check_line("bad\xff byte", 0, 1, "bad\\xff byte");
	check_line("cut \xe6\xbc", 0, 1, "cut \\xe6\\xbc");
	check_line("over\xc0\xaflong", 0, 1, "over\\xc0\\xaflong");
	check_line("sur\xed\xa0\x80rogate", 0, 1, "sur\\xed\\xa0\\x80rogate");
	check_line("big\xf4\x90\x80\x80", 0, 1, "big\\xf4\\x90\\x80\\x80");
	check_line("\x80\xbf", 0, 1, "\\x80\\xbf");
	check_line("caf\xc3\xa9", 0, 1, "caf\xc3\xa9"); /* valid: kept */
}

static void
sanitize_line_bidi_and_c1_escaped(void **state)
{
	char *got;

	(void)state;
	got = sanitize_line("abc\xe2\x80\xae" "cba", 0, 1); /* U+202E right-to-left override */
	assert_null(strstr(got, "\xe2\x80\xae"));
	assert_non_null(strstr(got, "202e"));
	assert_true(terminal_safe(got));
	free(got);
	got = sanitize_line("x\xe2\x81\xa6y\xe2\x80\x8fz\xd8\x9c", 0, 1); /* U+2066, U+200F, U+061C */
	assert_null(strstr(got, "\xe2\x81\xa6"));
	assert_null(strstr(got, "\xe2\x80\x8f"));
	assert_null(strstr(got, "\xd8\x9c"));
	free(got);
	got = sanitize_line("c1\xc2\x9b" "31m", 0, 1); /* U+009B, the 8-bit CSI */
	assert_true(terminal_safe(got));
	assert_null(strstr(got, "\xc2\x9b"));
	free(got);
}

static void
sanitize_line_wide_chars(void **state)
{
	char *got;

	(void)state;
	if (!have_utf8_locale)
		skip();
	assert_int_equal(sanitize_width("\xe6\xbc\xa2\xe5\xad\x97", 1), 4); /* 漢字 */
	assert_int_equal(sanitize_width("a\xe6\xbc\xa2" "b", 1), 4);
	assert_int_equal(sanitize_width("e\xcc\x81", 1), 1); /* e and a combining accent */
	assert_int_equal(sanitize_width("abc", 1), 3);
	assert_int_equal(sanitize_width("\xe6\xbc\xa2", 0), 3); /* bytes, without UTF-8 */
	assert_int_equal(sanitize_width("", 1), 0);

	/* 漢字テスト: 10 columns */
	got = sanitize_line("\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", 10, 1);
	assert_string_equal(got, "\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88");
	free(got);
	got = sanitize_line("\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", 9, 1);
	assert_true(sanitize_width(got, 1) <= 9);
	assert_string_equal(got, "\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86..."); /* never half */
	free(got);
	got = sanitize_line("\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86", 5, 1);
	assert_string_equal(got, "\xe6\xbc\xa2...");
	free(got);
	check_line("e\xcc\x81t\xc3\xa9", 0, 1, "e\xcc\x81t\xc3\xa9");
}

static void
sanitize_line_truncation(void **state)
{
	(void)state;
	check_line("abcde", 5, 1, "abcde");    /* fits exactly: no ellipsis */
	check_line("abcdef", 5, 1, "ab...");
	check_line("abcdef", 6, 1, "abcdef");
	check_line("abc   ", 3, 1, "abc");    /* trailing space does not count */
	check_line("a\n\nb", 3, 1, "a b");
	check_line("abcdefghij", 4, 1, "a...");
	check_line("\x1b\x1b\x1b", 8, 1, "\\x1b...");  /* escapes count their width */
	check_line("\x1b\x1b", 8, 1, "\\x1b\\x1b");
}

/* Whatever the input and the limit: never wider than max_cols, nothing raw. */
static void
sanitize_line_width_never_exceeds(void **state)
{
	static const char *const inputs[] = {
		"plain ascii text that goes on and on",
		"\xe6\xbc\xa2\xe5\xad\x97\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 wide",
		"a\xe6\xbc\xa2" "b\xe5\xad\x97" "c\xe3\x83\x86" "d",
		"\x1b[2J\x07\x08\x7f\xff\xfe mixed \xe2\x80\xae bidi",
		"e\xcc\x81\xcc\x81\xcc\x81 combining \xf0\x9f\x98\x80 emoji \xf0\x9f\x98\x80",
		"  \t\n  spaced   \r\n  out  ",
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	};
	size_t i, max;
	int utf8;

	(void)state;
	if (!have_utf8_locale)
		skip();
	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
		for (utf8 = 0; utf8 <= 1; utf8++)
			for (max = 1; max <= 40; max++) {
				char *got = sanitize_line(inputs[i], max, utf8);
				size_t w = sanitize_width(got, utf8);
				size_t len = strlen(got);

				if (w > max)
					print_error("input %zu utf8 %d max %zu: \"%s\" is %zu wide\n",
						    i, utf8, max, got, w);
				assert_true(w <= max);
				assert_true(terminal_safe(got));
				if (!utf8) {
					size_t k;

					for (k = 0; k < len; k++)
						assert_true((unsigned char)got[k] < 0x80);
				}
				if (len >= 3 && strcmp(got + len - 3, "...") == 0) {
					/* cut: the whole would not have fitted */
					char *all = sanitize_line(inputs[i], 0, utf8);

					assert_true(sanitize_width(all, utf8) > max);
					free(all);
				}
				free(got);
			}
}

static void
sanitize_line_ascii_only(void **state)
{
	(void)state;
	check_line("caf\xc3\xa9", 0, 0, "caf\\xc3\\xa9");
	check_line("\xe6\xbc\xa2", 0, 0, "\\xe6\\xbc\\xa2");
	check_line("ok", 0, 0, "ok");
	check_line("caf\xc3\xa9", 6, 0, "caf...");
}

/* ---- sanitize_redact ---- */

static void
sanitize_redact_role_password(void **state)
{
	(void)state;
	check_redact("CREATE ROLE x PASSWORD 'secret'", "CREATE ROLE x PASSWORD '***'");
	check_redact("ALTER ROLE x WITH PASSWORD 'it''s' VALID UNTIL 'infinity'",
		     "ALTER ROLE x WITH PASSWORD '***' VALID UNTIL 'infinity'");
	check_hidden("ALTER ROLE x WITH PASSWORD 'it''s'", "s'");
	check_redact("alter role x password 'x'", "alter role x password '***'");
	check_redact("CREATE USER u ENCRYPTED PASSWORD 'md5abc' LOGIN",
		     "CREATE USER u ENCRYPTED PASSWORD '***' LOGIN");
	check_redact("ALTER USER u PASSWORD\n\t'multi line'", "ALTER USER u PASSWORD\n\t'***'");
	check_redact("ALTER ROLE a PASSWORD 'one'; ALTER ROLE b PASSWORD 'two'",
		     "ALTER ROLE a PASSWORD '***'; ALTER ROLE b PASSWORD '***'");
	check_redact("ALTER ROLE a PASSWORD NULL", "ALTER ROLE a PASSWORD NULL");
	check_hidden("ALTER ROLE a PASSWORD 'never closed", "never closed");
}

static void
sanitize_redact_conninfo(void **state)
{
	(void)state;
	check_redact("SELECT dblink_connect('host=a password=secret dbname=b')",
		     "SELECT dblink_connect('host=a password=*** dbname=b')");
	check_redact("host=a password = secret dbname=b", "host=a password = *** dbname=b");
	check_redact("password=secret", "password=***");
	check_hidden("SELECT dblink('password=s3cr3t', 'SELECT 1')", "s3cr3t");
}

static void
sanitize_redact_leaves_other_text(void **state)
{
	(void)state;
	check_redact("SELECT password_hash, mypassword, \"mypassword\" FROM users",
		     "SELECT password_hash, mypassword, \"mypassword\" FROM users");
	check_redact("SELECT 1", "SELECT 1");
	check_redact("", "");
	check_redact("UPDATE t SET old_password_at = now()",
		     "UPDATE t SET old_password_at = now()");
	assert_null(sanitize_redact(NULL));
}

/* E'...' and $$...$$ are string constants too: ALTER ROLE accepts them for PASSWORD. */
static void
sanitize_redact_other_string_syntax(void **state)
{
	(void)state;
	check_hidden("ALTER ROLE x PASSWORD E'secret'", "secret");
	check_hidden("ALTER ROLE x PASSWORD $$secret$$", "secret");
	check_hidden("ALTER ROLE x PASSWORD $pw$secret$pw$", "secret");
}

/* A quoted conninfo value, as libpq allows: password='...' (doubled inside SQL). */
static void
sanitize_redact_quoted_conninfo(void **state)
{
	(void)state;
	check_hidden("SELECT dblink_connect('host=a password=''s3cr3t'' dbname=b')", "s3cr3t");
}

/* A password in a connection URI (design: never stored). */
static void
sanitize_redact_uri_password(void **state)
{
	(void)state;
	check_hidden("SELECT dblink_connect('postgresql://app:s3cr3t@db.example/app')", "s3cr3t");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sanitize_line_control_bytes_escaped),
		cmocka_unit_test(sanitize_line_whitespace_folded),
		cmocka_unit_test(sanitize_line_leading_vt_ff_dropped),
		cmocka_unit_test(sanitize_line_invalid_utf8_escaped),
		cmocka_unit_test(sanitize_line_bidi_and_c1_escaped),
		cmocka_unit_test(sanitize_line_wide_chars),
		cmocka_unit_test(sanitize_line_truncation),
		cmocka_unit_test(sanitize_line_width_never_exceeds),
		cmocka_unit_test(sanitize_line_ascii_only),
		cmocka_unit_test(sanitize_redact_role_password),
		cmocka_unit_test(sanitize_redact_conninfo),
		cmocka_unit_test(sanitize_redact_leaves_other_text),
		cmocka_unit_test(sanitize_redact_other_string_syntax),
		cmocka_unit_test(sanitize_redact_quoted_conninfo),
		cmocka_unit_test(sanitize_redact_uri_password),
	};

	/* wcwidth needs a UTF-8 locale */
	have_utf8_locale = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
