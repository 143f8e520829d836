#!/bin/sh
# N+1 loops (rule n_plus_one) in --report=json.
# (a) Simulated histories with planted parent and child pairs, over several seeds: every
#     planted pair is found on its child, naming its parent, with the child's calls per
#     parent call within 20% of the planted fan-out; the filler and the statements without
#     a parent give no n_plus_one finding.
# (b) A real throwaway PostgreSQL: a pgbench script that reads the 10 items of an order and
#     then looks up the product of each item, one statement per item, in a transaction,
#     beside pgbench's standard tpcb-like script, sampled every second: the lookup is found
#     with the items statement as its parent, and no pgbench statement gets a finding.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

tap_tmpdir
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
TZ=UTC
export HOME TZ
mkdir "$HOME"

# ---- (a) simulated histories ----

END=2026-11-26T10

# pick SEED K LO N: a number from LO to LO + N - 1 for the K-th choice of a seed
pick() {
	echo $(($3 + ($1 * 7919 + $2 * 104729) % $4))
}

# spec SEED: two weeks; three parent and child pairs (one whose fan-out is not the
# parent's rows a call), a cheap lookup and a report without a parent, and the filler.
spec() {
	s=$1
	cat <<EOF
seed = $s
end = $END
days = 14
filler = 60
filler_calls = 40

[statement orders]
text = SELECT id, total FROM orders WHERE customer_id = \$1 ORDER BY created_at DESC LIMIT 20
calls = $(pick "$s" 1 300 400)
noise = 0.1
rows = $(pick "$s" 2 5 20)
mean_ms = 1.5
daily_peak = 9 3
quiet = 0-5 0.3

[statement order_items]
text = SELECT product_id, quantity, price FROM order_items WHERE order_id = \$1
parent = orders
mean_ms = 0.2
rows = 1

[statement posts]
text = SELECT id, title, author_id FROM posts WHERE blog_id = \$1 ORDER BY id LIMIT 50
calls = $(pick "$s" 3 200 300)
noise = 0.15
rows = $(pick "$s" 4 6 25)
mean_ms = 2
weekday = sat 0.5
weekday = sun 0.5
daily_peak = 14 2

[statement authors]
text = SELECT name, email FROM authors WHERE id = \$1
parent = posts
mean_ms = 0.3
rows = 1

[statement invoices]
text = SELECT id, amount FROM invoices WHERE account_id = \$1
calls = $(pick "$s" 5 400 400)
noise = 0.1
rows = 20
mean_ms = 1
quiet = 22-6 0.4

[statement invoice_lines]
text = SELECT sku, qty FROM invoice_lines WHERE id = \$1
parent = invoices
fanout = $(pick "$s" 6 5 6)
mean_ms = 0.25
rows = 1.2

[statement sessions]
text = SELECT user_id FROM sessions WHERE token = \$1
calls = 3000
noise = 0.1
mean_ms = 0.1
rows = 1
daily_peak = 9 3

[statement report]
text = SELECT date_trunc('day', created_at), sum(total) FROM orders WHERE created_at >= \$1 GROUP BY 1
calls = 20
noise = 0.2
mean_ms = 400
rows = 30
EOF
}

# score TRUTH REPORT: a line per planted pair, "pair CHILD found|missed|wrong_parent
# FANOUT_FOUND FANOUT_PLANTED", and "false QUERYID" per n_plus_one finding on a statement
# that is not a planted child.
score() {
	jq -r -n --slurpfile t "$1" --slurpfile r "$2" '
		[$t[0].planted[] | select(.type == "n_plus_one")] as $p |
		[$r[0].findings[] | select(.rule == "n_plus_one")] as $fs |
		($p[] as $e |
			[$fs[] | select(.queryid == $e.child_queryid)] as $m |
			if ($m | length) == 0 then "pair \($e.child) missed 0 \($e.fanout)"
			elif $m[0].evidence.parent_queryid != $e.parent_queryid then
				"pair \($e.child) wrong_parent \($m[0].evidence.fanout) \($e.fanout)"
			else "pair \($e.child) found \($m[0].evidence.fanout) \($e.fanout)" end),
		($fs[] | select(. as $f | any($p[]; .child_queryid == $f.queryid) | not) |
			"false \(.queryid)")'
}

seeds=${N1_SEEDS:-11 22 33 44}
n_pairs=0
n_found=0
n_close=0
n_false=0
worst=0
for seed in $seeds; do
	spec "$seed" >"s$seed.spec"
	timeout 120 "$PGMLTOP_BIN" --simulate="s$seed.spec" -H "h$seed.db" --truth="t$seed.json" \
		>/dev/null 2>"err$seed" || { diag <"err$seed"; bail_out "the simulation failed"; }
	timeout 120 "$PGMLTOP_BIN" --report=json -H "h$seed.db" --days 14 --until "$END" \
		>"r$seed.json" 2>"err$seed" || { diag <"err$seed"; bail_out "the report failed"; }
	score "t$seed.json" "r$seed.json" >"score$seed" || bail_out "scoring seed $seed failed"
	pairs=$(grep -c '^pair ' "score$seed")
	found=$(grep -c '^pair .* found ' "score$seed")
	close=$(awk '$1 == "pair" && $3 == "found" { d = $4 / $5 - 1; if (d < 0) d = -d;
		if (d <= 0.2) n++ } END { print n + 0 }' "score$seed")
	w=$(awk '$1 == "pair" && $3 == "found" { d = $4 / $5 - 1; if (d < 0) d = -d;
		if (d > m) m = d } END { printf "%.3f", m + 0 }' "score$seed")
	false_n=$(grep -c '^false ' "score$seed")
	n_pairs=$((n_pairs + pairs))
	n_found=$((n_found + found))
	n_close=$((n_close + close))
	n_false=$((n_false + false_n))
	worst=$(awk -v a="$worst" -v b="$w" 'BEGIN { print (b > a ? b : a) }')
	{
		echo "seed $seed: pairs found $found of $pairs, fan-out within 20% $close," \
			"largest fan-out error $w, findings on other statements $false_n"
		sed 's/^/  /' "score$seed"
	} | diag
done

check "$n_pairs planted pairs over the seeds" [ "$n_pairs" -ge 3 ]
is "every planted pair is found on its child with the right parent" "$n_found" "$n_pairs"
is "every fan-out found is within 20% of the planted one (largest error $worst)" \
	"$n_close" "$n_pairs"
is "no n_plus_one finding on the filler or the statements without a parent" "$n_false" 0
first=${seeds%% *}
check "the findings have a title naming both statements, a suggestion and a saving" \
	[ "$(jq '[.findings[] | select(.rule == "n_plus_one") |
		select((.title | test("^N\\+1 loop: statement -?[0-9]+ runs .* per row of statement -?[0-9]+$")) and
			(.suggestion | test("= ANY\\(\\$1\\)")) and (.suggestion | test("prefetch_related")) and
			.est_saving_ms_per_day > 0 and .confidence > 0.5 and .confidence <= 0.8 and
			.category == "n_plus_one" and (.severity == "medium" or .severity == "high") and
			(.evidence.intervals >= 6))] | length' "r$first.json")" = 3 ]

# ---- (b) a real PostgreSQL ----

if [ -n "${N1_SKIP_PG:-}" ]; then
	done_testing
	exit
fi
pg_start
pg_pgbench_init 1
pg_psql <<'EOF' >/dev/null || bail_out "cannot build the shop schema"
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL);
INSERT INTO products SELECT g, 'product ' || g, g % 97 + 0.99 FROM generate_series(1, 10000) g;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL);
INSERT INTO orders SELECT g, g % 300 FROM generate_series(1, 1000) g;
CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders,
	product_id int NOT NULL REFERENCES products, quantity int NOT NULL);
INSERT INTO order_items SELECT g, (g - 1) / 10 + 1, (g * 7919) % 10000 + 1, g % 5 + 1
	FROM generate_series(1, 10000) g;
CREATE INDEX ON order_items (order_id);
VACUUM ANALYZE;
EOF

# the items of an order (10 rows), then each item's product, one statement per item
{
	echo '\set oid random(1, 1000)'
	echo 'BEGIN;'
	echo 'SELECT id, product_id, quantity FROM order_items WHERE order_id = :oid ORDER BY id;'
	for k in 1 2 3 4 5 6 7 8 9 10; do
		echo "\\set pid random(1, 10000)"
		echo 'SELECT name, price FROM products WHERE id = :pid;'
	done
	echo 'END;'
} >n1.sql

PG_H=$TAP_TMP/pg.db
SAMPLES=34
bg_start collect "$PGMLTOP_BIN" --collect -s 1 -n "$SAMPLES" -H "$PG_H" ||
	bail_out "the collector did not start"
wait_until 15 samples_at_least "$PG_H" 1 || bail_out "no baseline sample"
# pgbench's standard script at a steady rate, for the whole run
bg_start tpcb pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -b tpcb-like -c 1 -R 40 \
	-T 32 "$PGDATABASE" || bail_out "pgbench (tpcb-like) did not start"
# the loop at rates that rise and fall, 4 s each
for rate in 40 120 60 160 30 100 50 140; do
	pg_pgbench -n -f n1.sql -c 2 -R "$rate" -T 4 >>n1.out 2>&1 ||
		{ diag <n1.out; bail_out "pgbench (the loop) failed"; }
done
rc=$(bg_wait collect 30)
is "--collect -s 1 -n $SAMPLES exits 0" "$rc" 0
rc=$(bg_wait tpcb 15)
is "pgbench tpcb-like exits 0" "$rc" 0

timeout 60 "$PGMLTOP_BIN" --report=json -H "$PG_H" --days 1 >pg.json 2>pg.err ||
	{ diag <pg.err; bail_out "the report failed"; }
child=$(sqlite3 "$PG_H" "SELECT queryid FROM queries WHERE query LIKE 'SELECT name, price FROM products WHERE id = \$1%'")
parent=$(sqlite3 "$PG_H" "SELECT queryid FROM queries WHERE query LIKE 'SELECT id, product_id, quantity FROM order_items%'")
[ -n "$child" ] && [ -n "$parent" ] || bail_out "the loop's statements are not in the history"
jq -c '.findings[] | select(.rule == "n_plus_one") | {queryid, title, confidence,
	severity, est_saving_ms_per_day, evidence}' pg.json | diag
check "the product lookup has an n_plus_one finding naming the items statement as its parent" \
	[ "$(jq --arg c "$child" --arg p "$parent" '[.findings[] | select(.rule == "n_plus_one" and
		.queryid == $c and .evidence.parent_queryid == $p)] | length' pg.json)" = 1 ]
fan=$(jq -r --arg c "$child" '.findings[] | select(.rule == "n_plus_one" and .queryid == $c) |
	.evidence.fanout' pg.json)
check "its fan-out is about the 10 items of an order (${fan:-none})" \
	awk -v f="${fan:-0}" 'BEGIN { exit !(f >= 8 && f <= 12) }'
check "its suggestion has the batched form" \
	[ "$(jq -r --arg c "$child" '.findings[] | select(.rule == "n_plus_one" and .queryid == $c) |
		.suggestion' pg.json | grep -c 'WHERE id = ANY(\$1)')" = 1 ]
bench=$(jq -r '[.statements[] | select(.query | test("pgbench_")) | .queryid] | join(" ")' pg.json)
check "the pgbench statements ran ($(echo "$bench" | wc -w) of them)" [ -n "$bench" ]
on_bench=$(jq --arg b "$bench" '($b | split(" ")) as $ids | [.findings[] |
	select(.rule == "n_plus_one" and (.queryid as $q | $ids | index($q)))] | length' pg.json)
is "no n_plus_one finding on a pgbench statement" "$on_bench" 0
others=$(jq --arg c "$child" '[.findings[] | select(.rule == "n_plus_one" and .queryid != $c)] | length' pg.json)
is "no other n_plus_one finding" "$others" 0

done_testing
