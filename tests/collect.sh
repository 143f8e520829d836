#!/bin/sh
# --collect against a real throwaway PostgreSQL running pgbench: what the history holds
# after a normal run, exact call counts, query texts stored once, a pg_stat_statements
# reset, a server crash and restart, pg_stat_activity and settings changes. Then, after a
# restart with pg_stat_statements.max = 100 and track_activity_query_size = 100: a query
# text of 1 MB, and 500 distinct statements churning through 100 entries (evictions).
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

# ---- helpers ----

# Kill what is still running in the background, then stop the server.
cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

show_err() {
	diag <"$TAP_TMP/$1.err"
}

pgmltop() {
	"$PGMLTOP_BIN" "$@" </dev/null
}

tap_tmpdir
pg_start
pg_pgbench_init 1
export PGMLTOP_BIN

# A background load for the whole script (the crash below ends it).
bg_start pgbench pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -c 2 -T 120 "$PGDATABASE" ||
	bail_out "pgbench did not start"

# ---- 1. five samples, the first a baseline ----
H=$TAP_TMP/h.db
K=200
pg_psql -c "CREATE TABLE pgmltop_marker (x int); INSERT INTO pgmltop_marker VALUES (1)"
awk -v k=$K 'BEGIN { for (i = 0; i < k; i++) print "SELECT x FROM pgmltop_marker;" }' \
	>"$TAP_TMP/marker.sql"

bg_start c1 "$PGMLTOP_BIN" --collect -s 1 -n 5 -H "$H"
# The marker statement runs K times, all after the baseline sample is stored and before
# the last sample is read: the deltas must add up to exactly K.
if wait_until 20 samples_at_least "$H" 1; then
	pg_psql -q -f "$TAP_TMP/marker.sql" >/dev/null
	marker_end=$(pg_value "SELECT extract(epoch from clock_timestamp())")
else
	marker_end=
fi
rc=$(bg_wait c1 30)
is "--collect -s 1 -n 5 exits 0" "$rc" 0
[ "$rc" = 0 ] || show_err c1
is "the history holds exactly 5 samples" "$(samples "$H")" 5
is "the first sample is a baseline (flags & 1, interval_s 0)" \
	"$(sq "$H" "SELECT flags & 1, interval_s FROM samples ORDER BY ts LIMIT 1")" "1|0.0"
is "the other 4 samples are intervals of about 1 s" \
	"$(sq "$H" "SELECT count(*) FROM samples WHERE flags & 1 = 0
		AND interval_s BETWEEN 0.5 AND 3")" 4

# ---- 2. deltas add up to what pg_stat_statements counted ----
qid=$(pg_value "SELECT queryid FROM pg_stat_statements
	WHERE query LIKE 'SELECT x FROM pgmltop_marker%'")
pgss_calls=$(pg_value "SELECT sum(calls) FROM pg_stat_statements WHERE queryid = '$qid'")
last_ts=$(sq "$H" "SELECT max(ts) FROM samples")
if [ -n "$marker_end" ] && [ -n "$qid" ] &&
	awk -v a="$last_ts" -v b="$marker_end" 'BEGIN { exit !(a > b) }'; then
	ok "the marker workload ran between the baseline and the last sample"
else
	not_ok "the marker workload ran between the baseline and the last sample"
	printf 'queryid %s, workload ended %s, last sample %s\n' "$qid" "$marker_end" \
		"$last_ts" | diag
fi
is "pg_stat_statements counted the $K marker calls" "$pgss_calls" "$K"
is "the per-interval marker deltas add up to $K calls" \
	"$(sq "$H" "SELECT sum(calls) || '|' || sum(rows) FROM stmt_deltas WHERE queryid = $qid")" \
	"$K|$K"
is "no marker calls in the baseline" \
	"$(sq "$H" "SELECT count(*) FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id
		WHERE d.queryid = $qid AND s.flags & 1")" 0
acc=$(sq "$H" "SELECT coalesce(sum(d.calls), 0) FROM stmt_deltas d
	JOIN queries q ON q.queryid = d.queryid
	WHERE q.query LIKE 'UPDATE pgbench_accounts SET abalance%'")
if [ "${acc:-0}" -gt 0 ]; then
	ok "the pgbench UPDATE of pgbench_accounts has calls in the deltas ($acc)"
else
	not_ok "the pgbench UPDATE of pgbench_accounts has calls in the deltas"
	sq "$H" "SELECT queryid, query FROM queries" | diag
fi
is "no negative delta" "$(neg_deltas "$H")" 0

# ---- 3. each query text stored once ----
q=$(sq "$H" "SELECT count(*) || '|' || count(DISTINCT queryid) FROM queries")
if [ "${q%|*}" = "${q#*|}" ] && [ "${q%|*}" -gt 0 ]; then
	ok "each query id has one stored text ($q)"
else
	not_ok "each query id has one stored text"
	echo "count|distinct: $q" | diag
fi
is "every statement in the deltas has its text stored" \
	"$(sq "$H" "SELECT count(DISTINCT queryid) FROM stmt_deltas
		WHERE queryid NOT IN (SELECT queryid FROM queries)")" 0
for pat in 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2' \
	'SELECT abalance FROM pgbench_accounts WHERE aid = $1' \
	'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2' \
	'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2' \
	'INSERT INTO pgbench_history %'; do
	is "the pgbench text is stored once: $pat" \
		"$(sq "$H" "SELECT count(*) FROM queries WHERE query LIKE '$pat'")" 1
done
# A second run on the same file is the same server: nothing stored twice.
n_texts=$(sq "$H" "SELECT count(*) FROM queries")
pgmltop --collect -s 0.5 -n 2 -H "$H" 2>"$TAP_TMP/c1b.err"
rc=$?
is "a second --collect on the same file exits 0" "$rc" 0
is "... and adds 2 samples to the same server" \
	"$(sq "$H" "SELECT count(*) || '|' || count(DISTINCT server_id) FROM samples")
$(sq "$H" "SELECT count(*) FROM servers")" "7|1
1"
q=$(sq "$H" "SELECT count(*) || '|' || count(DISTINCT queryid) FROM queries")
n_texts2=${q%|*}
if [ "${q#*|}" = "$n_texts2" ] && [ "$n_texts2" -ge "$n_texts" ]; then
	ok "... and stores no text twice ($n_texts then $q)"
else
	not_ok "... and stores no text twice"
	echo "before: $n_texts, after count|distinct: $q" | diag
fi

# ---- 4. pg_stat_statements_reset() in the middle of a collection ----
R=$TAP_TMP/reset.db
bg_start c4 "$PGMLTOP_BIN" --collect -s 1 -n 6 -H "$R"
if wait_until 20 samples_at_least "$R" 2; then
	pg_value "SELECT pg_stat_statements_reset()" >/dev/null
	reset_ts=$(pg_value "SELECT extract(epoch from stats_reset) FROM pg_stat_statements_info")
else
	reset_ts=0
fi
rc=$(bg_wait c4 30)
is "--collect across a reset exits 0" "$rc" 0
[ "$rc" = 0 ] || show_err c4
is "the reset happened in the middle (samples before and after it)" \
	"$(sq "$R" "SELECT (SELECT count(*) FROM samples WHERE ts < $reset_ts) >= 2,
		(SELECT count(*) FROM samples WHERE ts > $reset_ts) >= 2")" "1|1"
is "no negative delta across the reset" "$(neg_deltas "$R")" 0
is "the reset is recorded as an event" \
	"$(sq "$R" "SELECT count(*) FROM events WHERE kind = 'reset'")" 1
is "the first sample after the reset is flagged DELTA_RESET (2)" \
	"$(sq "$R" "SELECT flags & 2 FROM samples WHERE ts > $reset_ts ORDER BY ts LIMIT 1")" 2
is "the next interval counts statements again" \
	"$(sq "$R" "SELECT sum(calls) > 0 FROM stmt_deltas WHERE sample_id =
		(SELECT id FROM samples WHERE ts > $reset_ts ORDER BY ts LIMIT 1 OFFSET 1)")" 1
if [ "$(sq "$R" "SELECT count(*) FROM samples WHERE flags & 2")" -eq 1 ]; then
	ok "only that one sample is flagged as a reset"
else
	not_ok "only that one sample is flagged as a reset"
	sq "$R" "SELECT id, ts, interval_s, flags FROM samples" | diag
fi

# ---- 5. the server stops (immediate) and comes back ----
C=$TAP_TMP/crash.db
bg_start c5 "$PGMLTOP_BIN" --collect -s 1 -n 1000 -H "$C"
wait_until 20 samples_at_least "$C" 2 || echo "no samples before the crash" | diag
before=$(samples "$C")
pg_crash
sleep 3 # the server stays down for a while, as a real restart does
pg_restart_server || bail_out "the server did not start again"
after_lost() {
	[ "$(sq "$C" "SELECT count(*) FROM samples
		WHERE ts > (SELECT min(ts) FROM events WHERE kind = 'lost')" 2>/dev/null)" -ge 2 ]
}
wait_until 40 after_lost
if bg_running c5; then
	ok "the collector keeps running through the outage"
else
	not_ok "the collector keeps running through the outage"
	show_err c5
fi
after=$(samples "$C")
if [ "$after" -ge $((before + 2)) ] && after_lost; then
	ok "it reconnects by itself and stores samples again ($before before, $after now)"
else
	not_ok "it reconnects by itself and stores samples again"
	echo "samples before the crash: $before, now: $after" | diag
	show_err c5
fi
kill -TERM "$(bg_pid c5)"
t0=$(date +%s)
rc=$(bg_wait c5 10)
t1=$(date +%s)
is "SIGTERM: exit status 0" "$rc" 0
if [ "$rc" != timeout ] && [ $((t1 - t0)) -le 5 ]; then
	ok "SIGTERM: the collector ends promptly ($((t1 - t0)) s)"
else
	not_ok "SIGTERM: the collector ends promptly"
fi
if [ ! -e "$C-wal" ] && [ "$(sq "$C" "SELECT count(*) FROM leases")" = 0 ]; then
	ok "SIGTERM: the history is closed cleanly (lease released, no WAL left)"
else
	not_ok "SIGTERM: the history is closed cleanly (lease released, no WAL left)"
	ls -l "$TAP_TMP" | diag
fi
lost_line=$(grep -n 'connection lost' "$TAP_TMP/c5.err" | head -n 1 | cut -d: -f1)
conn_line=$(grep -n 'connected' "$TAP_TMP/c5.err" | grep -v 'connection lost' |
	tail -n 1 | cut -d: -f1)
if [ -n "$lost_line" ] && [ -n "$conn_line" ] && [ "$conn_line" -gt "$lost_line" ]; then
	ok "stderr says the connection was lost, then connected again"
else
	not_ok "stderr says the connection was lost, then connected again"
	show_err c5
fi
if grep -v '^pgmltop: ' "$TAP_TMP/c5.err" | grep -q .; then
	not_ok "every stderr line starts with 'pgmltop: '"
	show_err c5
else
	ok "every stderr line starts with 'pgmltop: '"
fi
is "the lost connection is recorded as an event" \
	"$(sq "$C" "SELECT count(*) > 0 FROM events WHERE kind = 'lost'")" 1
f=$(sq "$C" "SELECT flags FROM samples
	WHERE ts > (SELECT min(ts) FROM events WHERE kind = 'lost') ORDER BY ts LIMIT 1")
if [ -n "$f" ] && [ $((f & 1)) -eq 1 ] && [ $((f & 20)) -ne 0 ]; then
	ok "the first sample after reconnecting is a baseline flagged GAP or RESTART ($f)"
else
	not_ok "the first sample after reconnecting is a baseline flagged GAP or RESTART"
	sq "$C" "SELECT id, ts, interval_s, flags FROM samples" | diag
fi
is "no negative delta across the restart" "$(neg_deltas "$C")" 0
is "integrity_check after the restart" "$(sq "$C" "PRAGMA integrity_check")" ok
bg_wait pgbench 10 >/dev/null

# ---- 6. pg_stat_activity: a running statement is sampled ----
A=$TAP_TMP/act.db
bg_start sleeper psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(3)"
sleeping() {
	[ "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query = 'SELECT pg_sleep(3)'")" = 1 ]
}
wait_until 10 sleeping || echo "pg_sleep did not show up in pg_stat_activity" | diag
pgmltop --collect -s 0.5 -n 2 -H "$A" 2>"$TAP_TMP/c6.err"
rc=$?
is "--collect while pg_sleep runs exits 0" "$rc" 0
sid=$(sq "$A" "SELECT sample_id FROM activity WHERE state = 'active'
	AND query LIKE '%pg_sleep%' LIMIT 1")
if [ -n "$sid" ]; then
	ok "the activity table holds the running pg_sleep as 'active'"
else
	not_ok "the activity table holds the running pg_sleep as 'active'"
	sq "$A" "SELECT sample_id, pid, state, query FROM activity" | diag
	sid=0
fi
is "that sample counts at least one active session" \
	"$(sq "$A" "SELECT sess_active >= 1 FROM samples WHERE id = $sid")" 1
bg_wait sleeper 10 >/dev/null

# ---- 7. settings are stored when they change ----
# They are read whole only when the session loaded its configuration again (or when a
# read was not stored): pg_stat_statements counts the rows of the collector's query.
settings_rows() {
	pg_value "SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(rows), 0)
		FROM pg_stat_statements WHERE query LIKE '%pending_restart%pg_conf_load_time%'"
}
rows0=$(settings_rows)
S=$TAP_TMP/settings.db
bg_start c7 "$PGMLTOP_BIN" --collect -s 1 -n 1000 -H "$S"
wait_until 20 samples_at_least "$S" 2 || echo "fewer than 2 samples" | diag
n_set=$(sq "$S" "SELECT count(*) FROM settings")
is "after two samples: one settings row per pg_settings row" \
	"$n_set|$(sq "$S" "SELECT count(DISTINCT name) FROM settings")" \
	"$(pg_value "SELECT count(*) FROM pg_settings")|$n_set"
pg_psql -c "ALTER SYSTEM SET work_mem = '7MB'" -c "SELECT pg_reload_conf()" >/dev/null
work_mem_rows() {
	[ "$(sq "$S" "SELECT count(*) FROM settings WHERE name = 'work_mem'")" -ge 2 ]
}
wait_until 20 work_mem_rows
n=$(samples "$S")
wait_until 10 samples_at_least "$S" $((n + 1))
kill -TERM "$(bg_pid c7)"
rc=$(bg_wait c7 10)
is "--collect stopped with SIGTERM exits 0" "$rc" 0
is "the work_mem change is stored: 2 rows, the latest 7168" \
	"$(sq "$S" "SELECT count(*) FROM settings WHERE name = 'work_mem'")|$(sq "$S" \
		"SELECT setting FROM settings WHERE name = 'work_mem' ORDER BY ts DESC LIMIT 1")" \
	"2|7168"
is "nothing else is stored again" \
	"$(($(sq "$S" "SELECT count(*) FROM settings") - n_set))|$(sq "$S" \
		"SELECT group_concat(name) FROM (SELECT name FROM settings GROUP BY name
		HAVING count(*) > 1)")" "1|work_mem"
rows1=$(settings_rows)
n_samples=$(samples "$S")
calls=$((${rows1% *} - ${rows0% *}))
rows=$((${rows1#* } - ${rows0#* }))
if [ "$calls" -ge "$n_samples" ] && [ "$calls" -ge 3 ] && [ "$rows" -eq $((2 * n_set)) ]; then
	ok "pg_settings asked at each sample ($calls), read whole twice: at the start and after the reload"
else
	not_ok "pg_settings asked at each sample, read whole twice: at the start and after the reload"
	echo "samples $n_samples, calls $calls, rows $rows, settings $n_set" | diag
fi

# ---- 8. one entry reset while collecting: no stale counters ----
# The collector reads only the rows that changed since its last sample; an entry reset
# alone (as an eviction) must leave its rows, so that when the statement runs again its
# calls count whole, not less what the entry had before.
R=$TAP_TMP/reset1.db
run_marker() {
	i=0
	while [ $i -lt "$1" ]; do
		echo "SELECT x + 4242 FROM pgmltop_marker;"
		i=$((i + 1))
	done >"$TAP_TMP/m2.sql"
	pg_psql -q -f "$TAP_TMP/m2.sql" >/dev/null
}
next_sample() {
	n=$(samples "$R")
	wait_until 20 samples_at_least "$R" $((n + 2))
}
bg_start c8 "$PGMLTOP_BIN" --collect -s 1 -n 1000 -H "$R"
wait_until 20 samples_at_least "$R" 1 || echo "no sample" | diag
run_marker 5
next_sample
q8=$(pg_value "SELECT queryid FROM pg_stat_statements WHERE query LIKE 'SELECT x + \$1 FROM pgmltop_marker%'")
pg_psql -c "SELECT pg_stat_statements_reset(0, 0, $q8)" >/dev/null
next_sample
run_marker 8
next_sample
kill -TERM "$(bg_pid c8)"
rc=$(bg_wait c8 10)
is "--collect (8) stopped with SIGTERM exits 0" "$rc" 0
is "calls before and after the entry's reset add up: 5 + 8" \
	"$(sq "$R" "SELECT sum(calls) FROM stmt_deltas WHERE queryid = $q8")" 13
is "no negative delta (8)" "$(neg_deltas "$R")" 0
last_n=$(sq "$R" "SELECT n_statements FROM samples ORDER BY ts DESC LIMIT 1")
if [ -n "$last_n" ] && [ "$last_n" -le "$(pg_value "SELECT count(*) FROM pg_stat_statements")" ]; then
	ok "the last sample counts no statement that is gone ($last_n)"
else
	not_ok "the last sample counts no statement that is gone"
	echo "n_statements $last_n, pg_stat_statements $(pg_value "SELECT count(*) FROM pg_stat_statements")" | diag
fi

# ---- 9. a query text of 1 MB; texts cut by track_activity_query_size ----
t_small=$(date +%s)
pg_conf "pg_stat_statements.max = 100" "track_activity_query_size = 100"
pg_stop
pg_restart_server || bail_out "the server did not start again"
pg_psql -c "SELECT pg_stat_statements_reset()" >/dev/null
# a comment is kept in the text, where constants would be made $n: one word of 1 MB
awk 'BEGIN { s = "SELECT 1 AS big16, 2 AS c1 /* ";
	while (length(s) < 1048576) s = s "padding_padding_padding_padding_padding_";
	print s " */;" }' >"$TAP_TMP/big.sql"
B9=$TAP_TMP/big.db
bg_start c9 "$PGMLTOP_BIN" --collect -s 1 -H "$B9"
wait_until 20 samples_at_least "$B9" 1 || echo "no sample" | diag
bg_start b9 env COLUMNS=200 "$PGMLTOP_BIN" -b -s 1 -n 4 --top=0 --no-history
bg_start sleeper9 psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(2.5) AS a_name_long_enough_to_be_cut, 1 AS another_name_long_enough_to_be_cut_at_100_bytes"
for i in 1 2 3 4 5 6; do
	pg_psql -q -o /dev/null -f "$TAP_TMP/big.sql"
	sleep 0.5
done
is "--batch -n 4 with the 1 MB text: exit 0" "$(bg_wait b9 30)" 0
bg_wait sleeper9 10 >/dev/null
wait_until 10 samples_at_least "$B9" $(($(samples "$B9") + 2))
kill -TERM "$(bg_pid c9)"
is "--collect (9) stopped with SIGTERM exits 0" "$(bg_wait c9 10)" 0
qbig=$(pg_value "SELECT queryid FROM pg_stat_statements WHERE query LIKE 'SELECT \$1 AS big16%'")
len=$(pg_value "SELECT length(query) FROM pg_stat_statements WHERE queryid = $qbig")
check "pg_stat_statements holds the text whole ($len characters)" test "${len:-0}" -ge 1048576
is "the history holds it once, whole" \
	"$(sq "$B9" "SELECT count(*) || '|' || max(length(query)) FROM queries
		WHERE query LIKE 'SELECT \$1 AS big16%'")" "1|$len"
is "its calls are stored (6 runs, all after the first sample)" \
	"$(sq "$B9" "SELECT sum(calls) FROM stmt_deltas WHERE queryid = $qbig")" 6
big_lines=$(grep -F 'SELECT $1 AS big16, $2 AS c1 /* padding_' "$TAP_TMP/b9.out")
check "--batch shows it" test -n "$big_lines"
bad=$(echo "$big_lines" | awk 'length($0) > 200 || $0 !~ /\.\.\.$/')
is "--batch: each line of it cut to the 200 columns, ending with ..." "${bad:-all cut}" "all cut"
is "--batch: no line longer than 200 columns" \
	"$(awk 'length($0) > 200' "$TAP_TMP/b9.out" | wc -l)" 0
is "a running statement's text, cut by the server at 99 bytes, is stored so" \
	"$(sq "$B9" "SELECT count(DISTINCT query) || '|' || max(length(query)) FROM activity
		WHERE query LIKE 'SELECT pg_sleep(2.5) AS a_name_long%'")" "1|99"
timeout 60 "$PGMLTOP_BIN" --report=json -H "$B9" --days 1 -o "$TAP_TMP/big.json" \
	</dev/null 2>"$TAP_TMP/big-report.err"
is "--report=json of that history: exit 0" "$?" 0
is "the report has the 1 MB text whole" \
	"$(jq -r --arg q "$qbig" '.statements[] | select(.queryid == $q) | .query | length' \
		"$TAP_TMP/big.json")" "$len"
is "integrity_check ok (9)" "$(sq "$B9" "PRAGMA integrity_check")" ok

# ---- 10. 500 distinct statements through 100 entries: evictions ----
# Round r runs each of 500 statements once, then each of 20 others r times; entries are
# evicted (pg_stat_statements_info.dealloc) and come back. No statement may be counted
# above the calls it had: 6 for the 500, 1 + 2 + ... + 6 = 21 for the 20.
pg_psql -q -c "CREATE TABLE churn (id int); CREATE TABLE back10 (id int)" \
	-c "SELECT pg_stat_statements_reset()" >/dev/null
# N statements on TABLE that pg_stat_statements tells apart: select lists of 1 to 25
# constants, IN lists of 1 to N / 25 constants (each constant is jumbled)
shapes() {
	awk -v n="$1" -v t="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = "SELECT 1"
			for (j = 2; j <= i % 25 + 1; j++) s = s ", " j
			s = s " FROM " t " WHERE id IN (1"
			for (j = 2; j <= int(i / 25) + 1; j++) s = s ", " j
			print s ");"
		}
	}'
}
shapes 500 churn >"$TAP_TMP/churn.sql"
shapes 20 back10 >"$TAP_TMP/back.sql"
E=$TAP_TMP/evict.db
bg_start c10 "$PGMLTOP_BIN" --collect -s 1 -H "$E"
bg_start b10 "$PGMLTOP_BIN" -b -s 1 --top=3 --no-history
wait_until 20 samples_at_least "$E" 2 || echo "no sample" | diag
t0=$(date +%s)
for r in 1 2 3 4 5 6; do
	pg_psql -q -o /dev/null -f "$TAP_TMP/churn.sql"
	for _ in $(seq "$r"); do cat "$TAP_TMP/back.sql"; done | pg_psql -q -o /dev/null
	sleep 0.6
done
echo "the 6 rounds took $(($(date +%s) - t0)) s" | diag
wait_until 10 samples_at_least "$E" $(($(samples "$E") + 2))
kill -TERM "$(bg_pid c10)" "$(bg_pid b10)"
is "--collect (10) stopped with SIGTERM exits 0" "$(bg_wait c10 10)" 0
is "--batch (10) stopped with SIGTERM exits 0" "$(bg_wait b10 10)" 0
dealloc=$(pg_value "SELECT dealloc FROM pg_stat_statements_info")
check "pg_stat_statements evicted entries ($dealloc times)" test "${dealloc:-0}" -gt 0
is "the history has 'evicted' events" \
	"$(sq "$E" "SELECT count(*) > 0 FROM events WHERE kind = 'evicted'")" 1
check "... and the evictions counted in the samples, at most the server's count" \
	test "$(sq "$E" "SELECT coalesce(sum(dealloc), 0) FROM samples")" -le "$dealloc"
evict_re='pg_stat_statements is full: it evicted entries [0-9]+ times? since the last sample .*raise pg_stat_statements.max \(a restart is needed\)'
is "--collect warns on stderr, once (at most every 10 min)" \
	"$(grep -c -E "$evict_re" "$TAP_TMP/c10.err")" 1
grep -E "$evict_re" "$TAP_TMP/c10.err" | diag
is "--batch warns on stderr too, once" "$(grep -c -E "$evict_re" "$TAP_TMP/b10.err")" 1
check "--batch notes the evictions under a table" \
	grep -q -E '^Note: pg_stat_statements evicted entries [0-9]+ times? in the interval' \
	"$TAP_TMP/b10.out"
is "churn: each of the 500 stored at most its 6 calls" \
	"$(sq "$E" "SELECT count(*) FROM (SELECT d.queryid FROM stmt_deltas d JOIN queries q
		ON q.queryid = d.queryid WHERE q.query LIKE '% FROM churn %'
		GROUP BY d.queryid HAVING sum(d.calls) > 6)")" 0
is "back: each of the 20 stored at most its 21 calls" \
	"$(sq "$E" "SELECT count(*) FROM (SELECT d.queryid FROM stmt_deltas d JOIN queries q
		ON q.queryid = d.queryid WHERE q.query LIKE '% FROM back10 %'
		GROUP BY d.queryid HAVING sum(d.calls) > 21)")" 0
n_churn=$(sq "$E" "SELECT count(DISTINCT d.queryid) FROM stmt_deltas d JOIN queries q
	ON q.queryid = d.queryid WHERE q.query LIKE '% FROM churn %'")
n_back=$(sq "$E" "SELECT count(*) FROM (SELECT d.queryid FROM stmt_deltas d JOIN queries q
	ON q.queryid = d.queryid WHERE q.query LIKE '% FROM back10 %'
	GROUP BY d.queryid HAVING count(DISTINCT d.sample_id) >= 2)")
echo "$n_churn of the 500 and $n_back of the 20 (in two samples or more) have deltas" | diag
check "... checked on some: the 500 ($n_churn with deltas)" test "${n_churn:-0}" -ge 20
check "... entries that came back: of the 20, some in two samples or more ($n_back)" \
	test "${n_back:-0}" -ge 1
is "statements of unknown text: none stored above 21 calls" \
	"$(sq "$E" "SELECT count(*) FROM (SELECT queryid FROM stmt_deltas WHERE queryid NOT IN
		(SELECT queryid FROM queries) GROUP BY queryid HAVING sum(calls) > 21)")" 0
is "no negative delta (10)" "$(neg_deltas "$E")" 0
is "integrity_check ok (10)" "$(sq "$E" "PRAGMA integrity_check")" ok
echo "sections 9 and 10 took $(($(date +%s) - t_small)) s" | diag

done_testing
