#!/bin/sh
# --history-interval: the screen and --batch sample every interval but store a sample only
# every --history-interval seconds, with the counters since the sample stored before, so
# that nothing in between is lost; a reset is stored at once with the sample before it;
# a stop of the server keeps the calls before it and leaves a gap; --collect stores every
# sample. Against a real throwaway PostgreSQL.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

tap_tmpdir
pg_start
export PGMLTOP_BIN

pg_psql -c "CREATE TABLE hi_marker (x int); INSERT INTO hi_marker VALUES (1)" >/dev/null

# marker_loop N PAUSE: N calls of the marker statement, PAUSE seconds apart, in one session.
marker_loop() {
	awk -v n="$1" -v p="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "SELECT x FROM hi_marker; SELECT pg_sleep(%s);\n", p }' >"$TAP_TMP/loop.sql"
	pg_psql -q -f "$TAP_TMP/loop.sql" >/dev/null
}

marker_qid() {
	pg_value "SELECT queryid FROM pg_stat_statements WHERE query = 'SELECT x FROM hi_marker'"
}

# ---- 1. --batch at 0.3 s, history every 1.5 s: fewer rows, the same calls ----
H=$TAP_TMP/h1.db
bg_start b1 "$PGMLTOP_BIN" --batch -s 0.3 -n 20 --history-interval=1.5 -H "$H"
wait_until 20 samples_at_least "$H" 1 || true
# 30 calls over about 3 s, all after the first sample (the baseline) and before the last
marker_loop 30 0.1
rc=$(bg_wait b1 30)
is "--batch -s 0.3 -n 20 --history-interval=1.5 exits 0" "$rc" 0
n=$(samples "$H")
# 20 samples over about 6 s: the first, one every 1.5 s and the last (at the end)
if [ "${n:-0}" -ge 3 ] && [ "${n:-0}" -le 8 ]; then
	ok "20 samples shown, $n stored (3 to 8)"
else
	not_ok "20 samples shown, 3 to 8 stored"
	echo "stored: $n" | diag
fi
is "the stored intervals are about 1.5 s, the last one up to it" \
	"$(sq "$H" "SELECT count(*) FROM samples WHERE flags & 1 = 0
		AND (interval_s < 0.2 OR interval_s > 2.2)")" 0
qid=$(marker_qid)
is "the stored deltas add up to the 30 marker calls" \
	"$(sq "$H" "SELECT sum(calls) FROM stmt_deltas WHERE queryid = ${qid:-0}")" 30
is "the marker text is stored once" \
	"$(sq "$H" "SELECT count(*) FROM queries WHERE queryid = ${qid:-0}")" 1
is "no negative delta" "$(neg_deltas "$H")" 0

# ---- 2. a reset between two stored samples ----
H=$TAP_TMP/h2.db
bg_start b2 "$PGMLTOP_BIN" --batch -s 0.3 -n 24 --history-interval=3 -H "$H"
wait_until 20 samples_at_least "$H" 1 || true
marker_loop 10 0.1
sleep 0.5
# the calls before the reset are stored with the sample before it
before=$(sq "$H" "SELECT count(*) FROM samples")
pg_psql -c "SELECT pg_stat_statements_reset()" >/dev/null
sleep 1
marker_loop 10 0.1
rc=$(bg_wait b2 30)
is "--batch with a reset exits 0" "$rc" 0
is "the reset is recorded as an event" \
	"$(sq "$H" "SELECT count(*) > 0 FROM events WHERE kind = 'reset'")" 1
is "one stored sample is flagged DELTA_RESET (2)" \
	"$(sq "$H" "SELECT count(*) FROM samples WHERE flags & 2")" 1
qid=$(marker_qid)
is "the 10 calls before the reset were stored before it" \
	"$(sq "$H" "SELECT coalesce(sum(d.calls), 0) FROM stmt_deltas d
		JOIN samples s ON s.id = d.sample_id WHERE d.queryid = ${qid:-0}
		AND s.ts < (SELECT min(ts) FROM samples WHERE flags & 2)")" 10
is "the 10 calls after the reset are stored after it" \
	"$(sq "$H" "SELECT coalesce(sum(d.calls), 0) FROM stmt_deltas d
		JOIN samples s ON s.id = d.sample_id WHERE d.queryid = ${qid:-0}
		AND s.ts > (SELECT min(ts) FROM samples WHERE flags & 2)")" 10
if [ "$(samples "$H")" -gt "${before:-0}" ]; then
	ok "samples were stored after the reset"
else
	not_ok "samples were stored after the reset"
fi
is "no negative delta across the reset" "$(neg_deltas "$H")" 0

# ---- 3. the server stopped and started again between two stored samples ----
H=$TAP_TMP/h4.db
bg_start b4 "$PGMLTOP_BIN" --batch -s 0.3 -n 40 --history-interval=2 -H "$H"
wait_until 20 samples_at_least "$H" 1 || true
marker_loop 10 0.05
sleep 0.5
stop_ts=$(pg_value "SELECT extract(epoch from clock_timestamp())")
pg_stop
sleep 2
pg_restart_server || bail_out "the server did not start again"
wait_until 20 sh -c "[ \"\$(sqlite3 '$H' 'SELECT count(*) FROM samples WHERE ts > $stop_ts')\" -ge 1 ]" ||
	echo "no sample stored after the restart" | diag
marker_loop 10 0.05
rc=$(bg_wait b4 40)
is "--batch across a stop and a start of the server exits 0" "$rc" 0
[ "$rc" = 0 ] || diag <"$TAP_TMP/b4.err"
qid=$(marker_qid)
is "the 10 calls before the stop were stored before it" \
	"$(sq "$H" "SELECT coalesce(sum(calls), 0) FROM stmt_deltas d JOIN samples s
		ON s.id = d.sample_id WHERE d.queryid = ${qid:-0} AND s.ts < $stop_ts")" 10
is "the first sample stored after it is a baseline (flags & 1)" \
	"$(sq "$H" "SELECT flags & 1 FROM samples WHERE ts > $stop_ts ORDER BY ts LIMIT 1")" 1
is "no stored interval spans the stop (none over 2.5 s)" \
	"$(sq "$H" "SELECT count(*) FROM samples WHERE interval_s > 2.5")" 0
is "the 10 calls after the start are stored after it" \
	"$(sq "$H" "SELECT coalesce(sum(calls), 0) FROM stmt_deltas d JOIN samples s
		ON s.id = d.sample_id WHERE d.queryid = ${qid:-0} AND s.ts > $stop_ts")" 10
is "no negative delta across the stop" "$(neg_deltas "$H")" 0

# ---- 4. --collect stores every sample ----
H=$TAP_TMP/h3.db
rc=0
"$PGMLTOP_BIN" --collect -s 0.3 -n 6 --history-interval=5 -H "$H" </dev/null \
	>/dev/null 2>"$TAP_TMP/c3.err" || rc=$?
is "--collect -s 0.3 -n 6 --history-interval=5 exits 0" "$rc" 0
is "--collect stored each of its 6 samples" "$(samples "$H")" 6

# ---- 5. usage ----
rc=0
"$PGMLTOP_BIN" --batch --history-interval=0 </dev/null >/dev/null 2>"$TAP_TMP/u.err" || rc=$?
is "--history-interval=0 is a usage error (exit 2)" "$rc" 2
if grep -q "invalid --history-interval '0'" "$TAP_TMP/u.err"; then
	ok "... and the message names the option and the value"
else
	not_ok "... and the message names the option and the value"
	diag <"$TAP_TMP/u.err"
fi

done_testing
