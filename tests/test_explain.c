/*
 * Unit tests of the EXPLAIN guard: what a statement's text is before any of it is sent,
 * and that a second statement hidden after a semicolon is always refused.
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

#include "explain.h"

static void
check(const char *sql, enum explain_kind kind, const char *verb, int max_param)
{
	struct explain_check ck;

	explain_check_text(sql, &ck);
	if (ck.kind != kind || (verb != NULL && strcmp(ck.verb, verb) != 0) ||
	    ck.max_param != max_param)
		print_error("\"%s\": kind %d verb %s params %d (%s); want kind %d verb %s params %d\n",
			    sql, (int)ck.kind, ck.verb, ck.max_param, ck.why, (int)kind,
			    verb != NULL ? verb : "-", max_param);
	assert_int_equal(ck.kind, kind);
	if (verb != NULL)
		assert_string_equal(ck.verb, verb);
	assert_int_equal(ck.max_param, max_param);
	if (kind == EXPLAIN_REFUSED)
		assert_true(ck.why[0] != '\0');
}

static void
reads(void **state)
{
	(void)state;
	check("SELECT 1", EXPLAIN_READ, "SELECT", 0);
	check("select * from t where a = $1 and b = $12", EXPLAIN_READ, "SELECT", 12);
	check("  /* lead ; */ SELECT 1", EXPLAIN_READ, "SELECT", 0);
	check("/* nested /* ; */ still a comment; */ SELECT 1", EXPLAIN_READ, "SELECT", 0);
	check("-- a comment; DROP TABLE t\nSELECT 1", EXPLAIN_READ, "SELECT", 0);
	check("(SELECT 1) UNION (SELECT 2)", EXPLAIN_READ, "SELECT", 0);
	check("VALUES (1), ($2)", EXPLAIN_READ, "VALUES", 2);
	check("TABLE t", EXPLAIN_READ, "TABLE", 0);
	check("WITH x AS (SELECT 1) SELECT * FROM x", EXPLAIN_READ, "WITH", 0);
	/* a word in a string or a quoted name is not a keyword */
	check("WITH x AS (SELECT 'delete') SELECT * FROM x", EXPLAIN_READ, "WITH", 0);
	check("WITH x AS (SELECT 1 AS \"update\") SELECT * FROM x", EXPLAIN_READ, "WITH", 0);
	/* a $ inside a name or a string is no parameter */
	check("SELECT a$1 FROM t WHERE x = '$7'", EXPLAIN_READ, "SELECT", 0);
}

static void
writes(void **state)
{
	(void)state;
	check("INSERT INTO t (a) VALUES ($1)", EXPLAIN_WRITE, "INSERT", 1);
	check("update t set a = $1 where id = $2", EXPLAIN_WRITE, "UPDATE", 2);
	check("DELETE FROM t WHERE id = $1", EXPLAIN_WRITE, "DELETE", 1);
	check("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", EXPLAIN_WRITE,
	      "MERGE", 0);
	check("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", EXPLAIN_WRITE, "WITH", 0);
	check("SELECT * INTO copy FROM t", EXPLAIN_WRITE, "SELECT", 0);
}

static void
one_statement_only(void **state)
{
	(void)state;
	check("SELECT 1;", EXPLAIN_READ, "SELECT", 0);
	check("SELECT 1 ;  -- done\n", EXPLAIN_READ, "SELECT", 0);
	check("SELECT 1; DROP TABLE t", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT * FROM t WHERE a = $1; DROP TABLE t", EXPLAIN_REFUSED, NULL, 1);
	check("SELECT 1;;", EXPLAIN_READ, "SELECT", 0);
	check("SELECT 1; /* c */ ; SELECT 2", EXPLAIN_REFUSED, NULL, 0);
	/* semicolons inside strings, quoted names, dollar quotes and comments */
	check("SELECT ';DROP TABLE t'", EXPLAIN_READ, "SELECT", 0);
	check("SELECT 'it''s; fine'", EXPLAIN_READ, "SELECT", 0);
	check("SELECT E'\\';DROP TABLE t'", EXPLAIN_READ, "SELECT", 0);
	check("SELECT \"a;b\" FROM t", EXPLAIN_READ, "SELECT", 0);
	check("SELECT $$;DROP TABLE t$$", EXPLAIN_READ, "SELECT", 0);
	check("SELECT $q$ $$; $q$, 1", EXPLAIN_READ, "SELECT", 0);
	/* a backslash ends nothing in a standard string: the quote after it closes it */
	check("SELECT 'a\\'; DROP TABLE t", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT xE'\\'; DROP TABLE t", EXPLAIN_REFUSED, NULL, 0);
	/*
	 * An E after "$", a number or a parameter starts a token of its own, an E'' string,
	 * for the server's lexer: its \' is no end, and the semicolon after the next quote is
	 * outside any string
	 */
	check("SELECT $E'\\' x ' ; DROP TABLE t; -- '", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT 1E'\\' x ' ; DROP TABLE t; -- '", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT $1e'\\' x ' ; DROP TABLE t; -- '", EXPLAIN_REFUSED, NULL, 1);
	check("SELECT $E'\\';' x", EXPLAIN_READ, "SELECT", 0);
}

static void
refused(void **state)
{
	(void)state;
	check("", EXPLAIN_REFUSED, NULL, 0);
	check("   -- only a comment", EXPLAIN_REFUSED, NULL, 0);
	check("DROP TABLE t", EXPLAIN_REFUSED, "DROP", 0);
	check("VACUUM t", EXPLAIN_REFUSED, "VACUUM", 0);
	check("EXPLAIN SELECT 1", EXPLAIN_REFUSED, "EXPLAIN", 0);
	check("COPY t TO PROGRAM 'rm -rf /'", EXPLAIN_REFUSED, "COPY", 0);
	check("ALTER ROLE a PASSWORD 'x'", EXPLAIN_REFUSED, "ALTER", 0);
	/* cut texts: an open string, quoted name, dollar quote or comment */
	check("SELECT 'abc", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT \"abc", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT $x$abc", EXPLAIN_REFUSED, NULL, 0);
	check("SELECT 1 /* abc", EXPLAIN_REFUSED, NULL, 0);
}

static void
risky_calls(void **state)
{
	struct explain_check ck;

	(void)state;
	explain_check_text("SELECT pg_terminate_backend($1)", &ck);
	assert_int_equal(ck.kind, EXPLAIN_READ);
	assert_true(ck.risky_call);
	explain_check_text("SELECT PG_CANCEL_BACKEND (pid) FROM pg_stat_activity", &ck);
	assert_true(ck.risky_call);
	explain_check_text("SELECT pg_sleep($1)", &ck);
	assert_false(ck.risky_call);
	/* a name alone, not a call */
	explain_check_text("SELECT 'pg_terminate_backend(1)', dblink FROM t", &ck);
	assert_false(ck.risky_call);
}

static void
long_text_refused(void **state)
{
	struct explain_check ck;
	size_t n = EXPLAIN_MAX_TEXT + 10;
	char *s = malloc(n + 1);

	(void)state;
	assert_non_null(s);
	memset(s, ' ', n);
	memcpy(s, "SELECT 1", 8);
	s[n] = '\0';
	explain_check_text(s, &ck);
	assert_int_equal(ck.kind, EXPLAIN_REFUSED);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads),
		cmocka_unit_test(writes),
		cmocka_unit_test(one_statement_only),
		cmocka_unit_test(refused),
		cmocka_unit_test(risky_calls),
		cmocka_unit_test(long_text_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
