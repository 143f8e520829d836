#!/bin/sh
# The SQL-text rules on a real throwaway PostgreSQL: a schema of our own with statements
# that carry known anti-patterns, pgbench's standard transaction beside them, sampled by
# --collect; the JSON report names each planted problem with its rule on its statement
# (the leading-wildcard LIKE from the text sampled from pg_stat_activity), and pgbench's
# statements get no finding above low severity. A bad rule file stops the report with
# its file and line. The index advice on a table scanned for a few rows a call, its
# CREATE INDEX lowering the planned cost.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in jq sqlite3 timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

tap_tmpdir
pg_start
pg_pgbench_init 1
H=$TAP_TMP/h.db

pg_psql -q <<'EOF' >/dev/null || bail_out "the schema could not be made"
CREATE TABLE users (id int PRIMARY KEY, name text, email text);
INSERT INTO users SELECT i, 'user' || i, 'u' || i || '@example.com' FROM generate_series(1, 5000) i;
CREATE TABLE orders (id int PRIMARY KEY, user_id int, isbn text, created_at timestamptz);
INSERT INTO orders SELECT i, i % 5000 + 1, 'isbn' || (i % 700), now() - i * interval '1 min'
	FROM generate_series(1, 20000) i;
CREATE TABLE inventory (id int PRIMARY KEY, isbn text);
INSERT INTO inventory SELECT i, 'isbn' || i FROM generate_series(1, 1000) i;
ANALYZE;
EOF

# the anti-patterns, each a pgbench script with random parameters (sent as literals, so
# that pg_stat_statements normalizes them and pg_stat_activity shows them)
cat >"$TAP_TMP/bad.sql" <<'EOF'
\set id random(1, 5000)
SELECT * FROM users WHERE id = :id;
SELECT id FROM users WHERE lower(email) = 'u' || :id || '@example.com';
SELECT id FROM inventory WHERE isbn NOT IN (SELECT isbn FROM orders WHERE user_id = :id);
SELECT id, created_at FROM orders ORDER BY random() LIMIT 1;
SELECT id FROM orders ORDER BY id LIMIT 10 OFFSET :id;
SELECT id, created_at FROM orders WHERE user_id = :id;
EOF

bg_start collect "$PGMLTOP_BIN" --collect -s 1 -n 8 -H "$H" ||
	bail_out "pgmltop --collect did not start"
wait_until 20 samples_at_least "$H" 1 || bail_out "no first sample"
bg_start bad pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 2 -T 5 -R 40 \
	-f "$TAP_TMP/bad.sql" "$PGDATABASE" || bail_out "pgbench did not start"
bg_start std pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 2 -T 5 -R 100 \
	-b tpcb-like "$PGDATABASE" || bail_out "pgbench did not start"
# a session that searched with a leading wildcard inside a transaction it keeps open
# (idle in transaction; idle sessions are not kept one by one): its text, with the
# literal, is in pg_stat_activity while the samples are taken
printf '%s\n' "BEGIN;" "SELECT id FROM users WHERE name LIKE '%42';" '\! sleep 12' "COMMIT;" \
	>"$TAP_TMP/like.sql"
bg_start like psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-f "$TAP_TMP/like.sql" || bail_out "psql did not start"
rc=$(bg_wait collect 60)
is "--collect -s 1 -n 8 exits 0" "$rc" 0
bg_wait bad 30 >/dev/null
bg_wait std 30 >/dev/null

timeout 60 "$PGMLTOP_BIN" --report=json -H "$H" --days 1 >"$TAP_TMP/r.json" 2>"$TAP_TMP/r.err"
is "--report=json exits 0" "$?" 0
diag <"$TAP_TMP/r.err"

# rule_on RULE TEXT_REGEX: a finding of RULE on a statement whose text matches
rule_on() {
	jq -e --arg rule "$1" --arg re "$2" '
		([.statements[] | select(.query != null and (.query | test($re; "i"))) | .queryid]) as $ids
		| [.findings[] | select(.rule == $rule and (.queryid as $q | $ids | index($q)))]
		| length > 0' "$TAP_TMP/r.json" >/dev/null
}
# jqok FILTER [FILE]: the filter gives true on the report
jqok() {
	jq -e "$1" "${2:-$TAP_TMP/r.json}" >/dev/null 2>&1
}
check "select_star on SELECT * FROM users" rule_on select_star '^SELECT \* FROM users WHERE id'
check "function_on_column on lower(email)" rule_on function_on_column 'lower\(email\)'
check "not_in_subquery on NOT IN (SELECT isbn ...)" rule_on not_in_subquery 'NOT IN \(SELECT isbn'
check "order_by_random on ORDER BY random()" rule_on order_by_random 'ORDER BY random\(\)'
check "offset_pagination on OFFSET" rule_on offset_pagination 'OFFSET \$'
check "leading_wildcard_like from the text sampled from pg_stat_activity" \
	rule_on leading_wildcard_like 'name LIKE \$1'
# the seq scan an index would fix: orders has no index on user_id
check "missing_index on orders WHERE user_id = \$1" rule_on missing_index '^SELECT id, created_at FROM orders WHERE user_id'
suggestion=$(jq -r '[.findings[] | select(.rule == "missing_index")][0].suggestion' "$TAP_TMP/r.json")
is "its suggestion is the CREATE INDEX" "$suggestion" "CREATE INDEX CONCURRENTLY ON public.orders (user_id);"
jq -c "[.findings[] | select(.rule == \"missing_index\")][0].evidence" "$TAP_TMP/r.json" | diag
check "and its evidence has the blocks a call read and the table's pages" \
	jqok '[.findings[] | select(.rule == "missing_index")][0].evidence
		| .blocks_per_call >= 0.3 * .table_pages and .live_rows == 20000 and .rows_per_call == 4
		  and (.existing_indexes | index("orders_pkey"))'
# the suggestion, applied for real, lowers the planned cost of the statement
cost() {
	pg_value "EXPLAIN (FORMAT JSON) SELECT id, created_at FROM orders WHERE user_id = 42" |
		jq '.[0].Plan["Total Cost"]'
}
before=$(cost)
pg_psql -q -c "$suggestion" >/dev/null
after=$(cost)
echo "planned cost of the statement: $before before the index, $after after" | diag
check "the suggested index lowers the planned cost ($before to $after)" \
	awk -v a="$before" -v b="$after" 'BEGIN { exit !(b < a / 2) }'
pg_psql -q -c "DROP INDEX orders_user_id_idx" >/dev/null

check "and its evidence quotes that text" \
	jqok '[.findings[] | select(.rule == "leading_wildcard_like")][0].evidence.literal
		| test("LIKE .%42")'
check "each rule finding has a title, detail, suggestion, severity, confidence and saving" \
	jqok '[.findings[] | select(.category == "rewrite" or .category == "index")
		| select(.title == null or .detail == null or .suggestion == null
			or .severity == null or .confidence == null or .est_saving_ms_per_day == null
			or .evidence.text == null)] | length == 0'
n_pgbench=$(jq '[.statements[] | select(.query != null and (.query | test("pgbench_")))] | length' "$TAP_TMP/r.json")
check "pgbench's statements are in the report ($n_pgbench)" [ "$n_pgbench" -ge 5 ]
above_low=$(jq -r '([.statements[] | select(.query != null and (.query | test("pgbench_"))) | .queryid]) as $ids
	| [.findings[] | select((.queryid as $q | $ids | index($q)) and .severity != null and .severity != "low")
	   | .rule] | join(",")' "$TAP_TMP/r.json")
is "pgbench's statements get no finding above low severity" "$above_low" ""

# a bad rule of the user's stops the report, naming its file and line
mkdir -p "$TAP_TMP/config/pgmltop/rules"
printf '[rule mine]\nmatch = (unclosed\n' >"$TAP_TMP/config/pgmltop/rules/mine.rules"
XDG_CONFIG_HOME=$TAP_TMP/config timeout 60 "$PGMLTOP_BIN" --report=json -H "$H" --days 1 \
	>/dev/null 2>"$TAP_TMP/bad.err"
is "a bad user rule: --report exits 1" "$?" 1
check "and says which file and line" \
	grep -q "^pgmltop: $TAP_TMP/config/pgmltop/rules/mine.rules:2: the pattern does not compile" \
	"$TAP_TMP/bad.err"
diag <"$TAP_TMP/bad.err"
# a 10 MB line in a rule file of the user's (catalogue D2): refused at once by the file's
# size, named with the file; a 3 MB line, under the cap, named by its line; a rule file
# without end (/dev/zero) refused once the cap is read
RULES=$TAP_TMP/config/pgmltop/rules
# bad_rules NAME: --report=json with the user's rules; exit status in rc, stderr in NAME.err
bad_rules() {
	XDG_CONFIG_HOME=$TAP_TMP/config timeout 20 "$PGMLTOP_BIN" --report=json -H "$H" --days 1 \
		</dev/null >/dev/null 2>"$TAP_TMP/$1.err"
	rc=$?
}
# one_line NAME REGEX: NAME.err is one line that matches
one_line() {
	[ "$(wc -l <"$TAP_TMP/$1.err")" -eq 1 ] && grep -q -E -e "$2" "$TAP_TMP/$1.err"
}
{
	printf '[rule big]\nseverity = low\nmatch = '
	head -c 10000000 /dev/zero | tr '\0' a
	printf '\ntitle = t\nexplain = e\nrewrite = r\n'
} >"$RULES/mine.rules"
size=$(wc -c <"$RULES/mine.rules")
bad_rules big
is "a rule file with a 10 MB line: --report exits 1" "$rc" 1
check "... with one message naming the file, its $size bytes and the 4 MiB cap" one_line big \
	"^pgmltop: cannot read the rules in $RULES/mine\.rules: the file has $size bytes, more than the 4 MiB"
diag <"$TAP_TMP/big.err"
{
	printf '[rule big]\nseverity = low\n'
	head -c 3000000 /dev/zero | tr '\0' a
	printf '\n'
} >"$RULES/mine.rules"
bad_rules long
is "a rule file with a 3 MB line (under the cap): --report exits 1" "$rc" 1
check "... naming the file and the line" one_line long \
	"^pgmltop: $RULES/mine\.rules:3: expected KEY = VALUE"
rm -f "$RULES/mine.rules"
ln -s /dev/zero "$RULES/zero.rules"
if ldd "$PGMLTOP_BIN" 2>/dev/null | grep -q libasan; then
	# AddressSanitizer reserves terabytes of address space: no ulimit -v
	bad_rules zero
else
	# a bound on memory, should the reading go on without end
	(
		ulimit -v 1000000
		bad_rules zero
		exit $rc
	)
	rc=$?
fi
is "a rule file that never ends (/dev/zero): --report exits 1, no hang" "$rc" 1
check "... saying it holds more than the 4 MiB cap" one_line zero \
	"^pgmltop: cannot read the rules in $RULES/zero\.rules: it holds more than the 4 MiB"
rm -f "$RULES/zero.rules"
# a rule of the user's that parses joins the shipped ones
printf '[rule orders_by_user]\nseverity = low\nmatch = (?i)\\bfrom orders\\b\ntitle = t\nexplain = e\nrewrite = r\n' \
	>"$TAP_TMP/config/pgmltop/rules/mine.rules"
XDG_CONFIG_HOME=$TAP_TMP/config timeout 60 "$PGMLTOP_BIN" --report=json -H "$H" --days 1 \
	>"$TAP_TMP/r2.json" 2>"$TAP_TMP/r2.err"
check "a user's rule from \$XDG_CONFIG_HOME/pgmltop/rules gives findings" \
	jqok '[.findings[] | select(.rule == "orders_by_user")] | length > 0' "$TAP_TMP/r2.json"

done_testing
