#!/bin/sh
# The server's clock set back an hour between two samples (libfaketime preloaded into a
# throwaway PostgreSQL, its offset changed while --collect runs): samples are keyed by the
# server's clock, so the sample after the step is a new baseline flagged DELTA_CLOCK (8),
# an event says so, no interval is negative, and the calls after the step are counted.
# Skipped when libfaketime is not installed (Debian: libfaketime).
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

FAKETIME_LIB=
for d in /usr/lib/*/faketime /usr/lib/faketime /usr/local/lib/faketime; do
	if [ -r "$d/libfaketimeMT.so.1" ]; then
		FAKETIME_LIB=$d/libfaketimeMT.so.1
		break
	fi
done
[ -n "$FAKETIME_LIB" ] || skip_all "libfaketime is not installed (Debian: libfaketime)"

tap_tmpdir
# The offset is read from this file at each clock call; monotonic clocks stay real, so
# the server's timers and pgmltop's schedule are not disturbed.
OFFSET=$TAP_TMP/faketime
echo "+0" >"$OFFSET"
chmod 644 "$OFFSET"
LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$OFFSET FAKETIME_NO_CACHE=1 \
	FAKETIME_DONT_FAKE_MONOTONIC=1 pg_start
export PGMLTOP_BIN

pg_psql -c "CREATE TABLE clock_marker (x int); INSERT INTO clock_marker VALUES (1)" >/dev/null
awk 'BEGIN { for (i = 0; i < 25; i++) print "SELECT x FROM clock_marker;" }' >"$TAP_TMP/m.sql"

H=$TAP_TMP/h.db
bg_start c "$PGMLTOP_BIN" --collect -s 0.5 -n 16 -H "$H"
wait_until 20 samples_at_least "$H" 3 || echo "fewer than 3 samples before the step" | diag
t_before=$(pg_value "SELECT extract(epoch from clock_timestamp())")
echo "-1h" >"$OFFSET"
t_after=$(pg_value "SELECT extract(epoch from clock_timestamp())")
if awk -v a="$t_before" -v b="$t_after" 'BEGIN { exit !(a - b > 3500 && a - b < 3700) }'; then
	ok "the server's clock went back an hour ($t_before -> $t_after)"
else
	not_ok "the server's clock went back an hour"
	printf 'before %s, after %s\n' "$t_before" "$t_after" | diag
fi
# 25 calls after the step, once the baseline after it is stored
wait_until 20 sh -c "[ \"\$(sqlite3 '$H' 'SELECT count(*) FROM samples WHERE flags & 8')\" -ge 1 ]" ||
	echo "no sample flagged DELTA_CLOCK yet" | diag
pg_psql -q -f "$TAP_TMP/m.sql" >/dev/null
rc=$(bg_wait c 30)
is "--collect across the clock step exits 0" "$rc" 0
[ "$rc" = 0 ] || diag <"$TAP_TMP/c.err"
is "one sample is a baseline flagged DELTA_CLOCK (flags 1 + 8)" \
	"$(sq "$H" "SELECT count(*) FROM samples WHERE flags & 9 = 9")" 1
is "its interval is 0, and no interval is negative" \
	"$(sq "$H" "SELECT interval_s || '|' || (SELECT count(*) FROM samples WHERE interval_s < 0)
		FROM samples WHERE flags & 8")" "0.0|0"
is "the step is recorded as a 'clock' event" \
	"$(sq "$H" "SELECT count(*) FROM events WHERE kind = 'clock'")" 1
is "the samples after the step are keyed by the server's clock, an hour earlier" \
	"$(sq "$H" "SELECT (SELECT min(ts) FROM samples WHERE flags & 8)
		< (SELECT max(ts) FROM samples) - 3500")" 1
qid=$(pg_value "SELECT queryid FROM pg_stat_statements WHERE query = 'SELECT x FROM clock_marker'")
is "the 25 calls after the step are counted once" \
	"$(sq "$H" "SELECT sum(calls) FROM stmt_deltas WHERE queryid = ${qid:-0}")" 25
is "no negative delta" "$(neg_deltas "$H")" 0
is "integrity_check" "$(sq "$H" "PRAGMA integrity_check")" ok

done_testing
