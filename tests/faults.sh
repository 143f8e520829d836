#!/bin/sh
# Faults pgmltop must survive or explain, on real throwaway PostgreSQL servers: a missing
# extension or library, a role without pg_read_all_stats, passwords, unreachable servers,
# kill -9 while writing the history, and two collectors on one history file.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

# ---- helpers ----

# The second server (no shared_preload_libraries) starts in the background, as the
# harness starts one; its directory is written to pg2.dir (empty when it failed).
start_pg2() {
	(
		(pg_start "shared_preload_libraries = ''" >&2 && echo "$PG_DIR") >"$TAP_TMP/pg2.tmp"
		mv "$TAP_TMP/pg2.tmp" "$TAP_TMP/pg2.dir"
	) &
}

PG2_DIR=
stop_pg2() {
	[ -z "$PG2_DIR" ] && [ -s "$TAP_TMP/pg2.dir" ] && PG2_DIR=$(cat "$TAP_TMP/pg2.dir")
	if [ -n "$PG2_DIR" ]; then
		(
			PG_DIR=$PG2_DIR
			PGDATA=$PG2_DIR/data
			pg_ctl_ -m immediate stop >/dev/null 2>&1
		)
		[ -n "${KEEP_TMP:-}" ] || rm -rf "$PG2_DIR"
		PG2_DIR=
	fi
}

# Kill what is still running in the background, then stop the servers.
cleanup() {
	bg_kill_all
	[ -n "${TAP_TMP:-}" ] && stop_pg2
	pg_cleanup
}
trap cleanup EXIT

# overlaps FILE: samples whose interval began before the sample stored ahead of them,
# so that some seconds are counted twice (by two writers, say). One writer's intervals
# equal the time between its samples exactly (both come from the server's clock); an
# interval may be shorter (a sample not stored), never longer.
overlaps() {
	sq "$1" "SELECT count(*) FROM (SELECT flags, interval_s,
		ts - lag(ts) OVER (PARTITION BY server_id ORDER BY ts) AS since FROM samples)
		WHERE flags & 1 = 0 AND (since IS NULL OR interval_s > since + 0.05)"
}

# since T0: seconds since T0 (date +%s.%N), to a tenth
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# run NAME ARGS...: run pgmltop in the foreground; exit status in $rc, stderr in NAME.err.
run() {
	rn=$1
	shift
	"$PGMLTOP_BIN" "$@" </dev/null >"$TAP_TMP/$rn.out" 2>"$TAP_TMP/$rn.err"
	rc=$?
}

# failed NAME DESCRIPTION: a test point for a run that must exit 1 with exactly one
# stderr line, prefixed "pgmltop: ".
failed() {
	if [ "$rc" = 1 ] && [ "$(wc -l <"$TAP_TMP/$1.err")" -eq 1 ] &&
		grep -q '^pgmltop: ' "$TAP_TMP/$1.err"; then
		ok "$2: exit 1 with one message"
	else
		not_ok "$2: exit 1 with one message"
		echo "exit status $rc, stderr:" | diag
		diag <"$TAP_TMP/$1.err"
	fi
}

# says NAME DESCRIPTION EXTENDED-REGEX: stderr of NAME matches.
says() {
	if grep -Eq -e "$3" "$TAP_TMP/$1.err"; then
		ok "$2"
	else
		not_ok "$2"
		diag <"$TAP_TMP/$1.err"
	fi
}

tap_tmpdir
start_pg2
pg_start
pg_pgbench_init 1
export PGMLTOP_BIN
H=$TAP_TMP/h.db

# ---- 1. the extension is not created in the database ----
pg_psql -c "CREATE DATABASE nopgss" >/dev/null
run nopgss --collect -s 1 -n 1 -H "$H" -d nopgss
failed nopgss "database without pg_stat_statements"
says nopgss "... and says: CREATE EXTENSION pg_stat_statements" \
	'CREATE EXTENSION pg_stat_statements'
says nopgss "... naming the database" 'nopgss'

# ---- 2. the library is not in shared_preload_libraries (a second server) ----
wait_until 60 test -e "$TAP_TMP/pg2.dir"
PG2_DIR=$(cat "$TAP_TMP/pg2.dir" 2>/dev/null)
if [ -n "$PG2_DIR" ] && [ -S "$PG2_DIR/.s.PGSQL.5432" ]; then
	ok "a second server without shared_preload_libraries, with the extension created"
else
	not_ok "a second server without shared_preload_libraries, with the extension created"
fi
run nopreload --collect -s 1 -n 1 -H "$TAP_TMP/nopreload.db" -h "$PG2_DIR" -p 5432
failed nopreload "extension without its library"
says nopreload "... and says to add it to shared_preload_libraries and restart" \
	'shared_preload_libraries.*restart'
stop_pg2

# A pgbench load (as postgres) for the rest of the script: statements mon may not see.
bg_start pgbench pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -c 2 -T 120 "$PGDATABASE" ||
	bail_out "pgbench did not start"

# ---- 3. a role without pg_read_all_stats ----
pg_psql -c "CREATE ROLE mon LOGIN" >/dev/null
pg_psql -c "SELECT count(*) FROM pgbench_branches" >/dev/null
M=$TAP_TMP/mon.db
run mon --collect -s 1 -n 3 -U mon -H "$M"
is "-U mon (no pg_read_all_stats): exit 0" "$rc" 0
n=$(grep -c 'hidden' "$TAP_TMP/mon.err")
if [ "$n" = 1 ] && grep 'hidden' "$TAP_TMP/mon.err" | grep -Eq 'pg_read_all_stats|pg_monitor'; then
	ok "... says once that texts are hidden and which role shows them"
else
	not_ok "... says once that texts are hidden and which role shows them"
	diag <"$TAP_TMP/mon.err"
fi
is "... every interval counts hidden statements (n_hidden > 0)" \
	"$(sq "$M" "SELECT count(*), sum(n_hidden > 0) FROM samples WHERE flags & 1 = 0")" "2|2"
is "... and '<insufficient privilege>' is never stored as a text" \
	"$(sq "$M" "SELECT (SELECT count(*) FROM queries WHERE query LIKE '%insufficient privilege%')
		+ (SELECT count(*) FROM activity WHERE query LIKE '%insufficient privilege%')")" 0

# ---- 4. passwords ----
# libpq must not find a password anywhere but where the test puts it.
PGPASSFILE=$TAP_TMP/no-such-pgpass
export PGPASSFILE
pg_psql -c "CREATE ROLE pwuser LOGIN PASSWORD 'right'" >/dev/null
pg_hba "local all pwuser scram-sha-256" "local all all trust"
needs_password() {
	! psql -X -w -h "$PGHOST" -p "$PGPORT" -U pwuser -d postgres -c "SELECT 1" \
		>/dev/null 2>&1
}
wait_until 10 needs_password || echo "pg_hba.conf was not reloaded" | diag
if PGPASSWORD=right psql -X -w -h "$PGHOST" -p "$PGPORT" -U pwuser -d postgres -Atc "SELECT 1" \
	>/dev/null 2>&1; then
	ok "pwuser logs in with the right password (psql)"
else
	not_ok "pwuser logs in with the right password (psql)"
fi
P=$TAP_TMP/pw.db
PGPASSWORD=wrong "$PGMLTOP_BIN" --collect -s 1 -n 1 -w -U pwuser -H "$P" \
	</dev/null >/dev/null 2>"$TAP_TMP/pw-wrong.err"
rc=$?
failed pw-wrong "wrong password"
says pw-wrong "... passes on: password authentication failed" 'password authentication failed'
says pw-wrong "... and says how to give the password (-W, .pgpass or PGPASSWORD)" \
	'-W|\.pgpass|PGPASSWORD'
if grep -q wrong "$TAP_TMP/pw-wrong.err"; then
	not_ok "... and never shows the password"
	diag <"$TAP_TMP/pw-wrong.err"
else
	ok "... and never shows the password"
fi
run pw-none --collect -s 1 -n 1 -w -U pwuser -H "$P"
failed pw-none "no password with -w"
says pw-none "... says how to give a password (-W, .pgpass or PGPASSWORD)" \
	'-W|\.pgpass|PGPASSWORD'
run pw-notty --collect -s 1 -n 1 -U pwuser -H "$P"
failed pw-notty "no password and no terminal to ask on"
says pw-notty "... says how to give a password (-W, .pgpass or PGPASSWORD)" \
	'-W|\.pgpass|PGPASSWORD'
run pw-conninfo --collect -s 1 -n 1 -w -H "$P" "dbname=postgres user=pwuser password=wrong"
failed pw-conninfo "wrong password in a conninfo string"
says pw-conninfo "... is refused by the server" 'password authentication failed'
run pw-uri --collect -s 1 -n 1 -w -H "$P" \
	"postgresql://pwuser:wrong@/postgres?host=$PGHOST&port=$PGPORT"
failed pw-uri "wrong password in a URI"
says pw-uri "... is refused by the server" 'password authentication failed'
if grep -q wrong "$TAP_TMP/pw-conninfo.err" "$TAP_TMP/pw-uri.err"; then
	not_ok "... neither message shows the password"
	diag <"$TAP_TMP/pw-conninfo.err"
	diag <"$TAP_TMP/pw-uri.err"
else
	ok "... neither message shows the password"
fi
if [ -e "$P" ] && ! cat "$P"* | grep -aq wrong; then
	ok "... nor does the history file"
else
	not_ok "... nor does the history file"
	ls -l "$TAP_TMP" | diag
fi
pg_hba "local all all trust"
unset PGPASSFILE

# ---- 5. no server there ----
run refused --collect -s 1 -n 1 -H "$H" -h 127.0.0.1 -p 1
failed refused "connection refused"
says refused "... names the host and port, or asks whether the server is running" \
	'127\.0\.0\.1.*port 1|running'
run nohost --collect -s 1 -n 1 -H "$H" -h no-such-host.invalid
failed nohost "unknown host"
says nohost "... names the host" 'no-such-host\.invalid'

# ---- 6. kill -9 while writing, again and again ----
# KILL_LOOPS times (30 by default; the catalogue's B1 asks 200: KILL_LOOPS=200).
K=$TAP_TMP/kill.db
KILL_LOOPS=${KILL_LOOPS:-30}
case $KILL_LOOPS in
'' | *[!0-9]*) bail_out "KILL_LOOPS must be a whole number, not '$KILL_LOOPS'" ;;
esac
seed=$(($$ % 10000))
kill_start=$(date +%s.%N)
echo "$KILL_LOOPS delays from awk srand($seed)" | diag
nl='
'
prev=0
bad_check=0
went_down=0
i=0
for delay in $(awk -v s=$seed -v n="$KILL_LOOPS" \
	'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.2f\n", rand() * 1.5 }'); do
	"$PGMLTOP_BIN" --collect -s 0.2 -n 1000000 -H "$K" </dev/null 2>>"$TAP_TMP/kill.err" &
	pid=$!
	sleep "$delay"
	kill -9 $pid
	{ wait $pid; } 2>/dev/null
	# One sqlite3 run: the check, then the count (no count when killed before the schema
	# was made).
	if [ -e "$K" ]; then
		out=$(sq "$K" "PRAGMA integrity_check; SELECT count(*) FROM samples" 2>/dev/null)
	else
		out=ok
	fi
	chk=${out%%"$nl"*}
	cur=${out#*"$nl"}
	case $cur in
	'' | *[!0-9]*) cur=0 ;;
	esac
	if [ "$chk" != ok ]; then
		bad_check=$((bad_check + 1))
		echo "iteration $i (after $delay s): integrity_check:" | diag
		sq "$K" "PRAGMA integrity_check" 2>&1 | diag
	fi
	if [ "$cur" -lt "$prev" ]; then
		went_down=$((went_down + 1))
		echo "iteration $i (after $delay s): $prev samples, then $cur" | diag
	fi
	prev=$cur
	i=$((i + 1))
done
echo "$i kills in $(since "$kill_start") s; $prev samples stored" | diag
is "kill -9 at $i random moments: integrity_check ok after each" "$bad_check" 0
is "... the sample count never goes down" "$went_down" 0
if [ "$prev" -ge 10 ]; then
	ok "... samples were being written ($prev stored)"
else
	not_ok "... samples were being written ($prev stored)"
fi
is "... no negative delta" "$(neg_deltas "$K")" 0
is "... no interval overlaps the sample stored before it" \
	"$(overlaps "$K")" 0

# ---- 6b. kill -9 in the middle of the hourly rollup (B9) ----
# A history with 48 hours of raw samples not rolled up yet (60 an hour, B9_STMTS
# statements each, made with sqlite3): the collector rolls them up in one transaction
# as it starts. It is killed while it holds the write lock for that, then run again,
# which must roll up each hour exactly once and drop the raw rows older than 2 days.
R=$TAP_TMP/rollup.db
B9_STMTS=100
b9_start=$(date +%s.%N)
run b9-first --collect -s 0.2 -n 1 -H "$R"
b9_first=$rc
now=$(date +%s)
h1=$((now / 3600 - 12))
h0=$((h1 - 48))
# the hourly tables emptied: every raw sample, the collector's own included, is to roll up
sq "$R" "PRAGMA cache_size = -100000;
	DELETE FROM stmt_hours; DELETE FROM stmt_days; DELETE FROM database_hourly;
	DELETE FROM server_hourly; DELETE FROM rollup_state;
	WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 48 * 60 - 1)
	INSERT INTO samples (server_id, ts, interval_s, flags, have)
	SELECT (SELECT min(id) FROM servers), $h0 * 3600 + i * 60 + 30, 60, 0,
		(SELECT max(have) FROM samples) FROM k;
	WITH RECURSIVE q(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM q WHERE j < $B9_STMTS)
	INSERT INTO stmt_deltas (sample_id, dbid, userid, queryid, toplevel, calls, total_ms, rows)
	SELECT s.id, 5, 10, 1000000 + q.j, 1, q.j, q.j * 0.5, q.j FROM samples s, q
	WHERE s.ts < $h1 * 3600 ORDER BY s.id, q.j" >/dev/null
raw_rows=$(sq "$R" "SELECT count(*) FROM stmt_deltas WHERE queryid > 1000000")
# backlog_hours: hourly rows of the planted statements, their calls, and duplicates
backlog_hours() {
	sq "$R" "SELECT count(*), coalesce(sum(h.calls), 0),
		count(*) - count(DISTINCT h.server_id || ',' || h.hour || ',' || h.stmt)
		FROM stmt_hours h JOIN stmt_keys k ON k.id = h.stmt WHERE k.queryid > 1000000"
}
# write_locked: another connection holds the write lock (BEGIN IMMEDIATE fails at once)
write_locked() {
	! sqlite3 "$R" "BEGIN IMMEDIATE; ROLLBACK" >/dev/null 2>&1
}
in_rollup() {
	write_locked && sleep 0.1 && write_locked
}
echo "made the 48 hours in $(since "$b9_start") s" | diag
"$PGMLTOP_BIN" --collect -s 0.2 -n 2 -H "$R" </dev/null >/dev/null 2>"$TAP_TMP/b9-kill.err" &
pid=$!
seen=no
poll_step=0.02
if wait_until 20 in_rollup; then
	seen=yes
	sleep 0.1
fi
poll_step=0.2
kill -9 $pid 2>/dev/null
{ wait $pid; } 2>/dev/null
rc=$?
is "kill -9 while the collector rolls up 48 hours ($raw_rows raw rows): killed in its write transaction" \
	"$b9_first|$seen|$rc|$(backlog_hours)|$(sq "$R" "PRAGMA integrity_check")" "0|yes|137|0|0|0|ok"
rerun_at=$(date +%s.%N)
run b9-rerun --collect -s 0.2 -n 2 -H "$R"
echo "the rerun took $(since "$rerun_at") s" | diag
rerun_at=${rerun_at%.*}
is "the collector run again ends with 0, no message" "$rc|$(cat "$TAP_TMP/b9-rerun.err")" "0|"
is "... rolls up each of the 48 hours once: $((48 * B9_STMTS)) hourly rows, all the calls, no duplicate" \
	"$(backlog_hours)" "$((48 * B9_STMTS))|$((48 * 60 * B9_STMTS * (B9_STMTS + 1) / 2))|0"
is "... drops the raw samples older than 2 days (and their rows), keeps the newer ones" \
	"$(sq "$R" "SELECT (SELECT count(*) FROM samples WHERE ts < $rerun_at - 2 * 86400 - 60),
		(SELECT count(*) FROM samples WHERE ts >= $((h1 - 24)) * 3600 AND ts < $h1 * 3600),
		(SELECT count(*) FROM stmt_deltas d LEFT JOIN samples s ON s.id = d.sample_id
		 WHERE s.id IS NULL)")" "0|1440|0"
is "... integrity_check ok, no negative delta" \
	"$(sq "$R" "PRAGMA integrity_check")|$(neg_deltas "$R")" "ok|0"
echo "B9 took $(since "$b9_start") s in all" | diag

# ---- 7. two collectors on one file ----
T=$TAP_TMP/two.db
bg_start first "$PGMLTOP_BIN" --collect -s 1 -n 1000 -H "$T"
wait_until 20 samples_at_least "$T" 1 || echo "the first collector stores nothing" | diag
# Start the second half an interval after a sample of the first: had the second stored
# an interval it measured while waiting, that interval would overlap the first's last one
# by about half a second, which the check below sees.
n=$(samples "$T")
wait_until 10 samples_at_least "$T" $((n + 1))
sleep 0.4
bg_start second "$PGMLTOP_BIN" --collect -s 1 -n 1000 -H "$T"
first_pid=$(bg_pid first)
waiting() {
	grep -q "process $first_pid" "$TAP_TMP/second.err"
}
wait_until 15 waiting
n=$(samples "$T")
wait_until 10 samples_at_least "$T" $((n + 1))
if waiting && grep -q 'waiting' "$TAP_TMP/second.err"; then
	ok "the second collector says the history is written by process $first_pid and waits"
else
	not_ok "the second collector says the history is written by process $first_pid and waits"
	diag <"$TAP_TMP/second.err"
fi
is "... keeps running, and the lease stays with the first" \
	"$(bg_running second && echo running)|$(sq "$T" "SELECT pid FROM leases")" \
	"running|$first_pid"
# Stop the first just after it stored a sample.
n=$(samples "$T")
wait_until 10 samples_at_least "$T" $((n + 1))
kill -TERM "$first_pid"
is "the first collector ends on SIGTERM with 0" "$(bg_wait first 10)" 0
stopped=$(samples "$T")
wait_until 60 samples_at_least "$T" $((stopped + 1))
now=$(samples "$T")
second_pid=$(bg_pid second)
if [ "$now" -gt "$stopped" ] && [ "$(sq "$T" "SELECT pid FROM leases")" = "$second_pid" ]; then
	ok "then the second takes over and stores samples ($stopped, then $now)"
else
	not_ok "then the second takes over and stores samples ($stopped, then $now)"
	diag <"$TAP_TMP/second.err"
fi
says second "... and says so" 'now writing'
kill -TERM "$second_pid"
is "the second collector ends on SIGTERM with 0" "$(bg_wait second 10)" 0
is "integrity_check after two writers" "$(sq "$T" "PRAGMA integrity_check")" ok
n=$(overlaps "$T")
if [ "$n" = 0 ]; then
	ok "one writer at a time: no interval overlaps the sample stored before it"
else
	not_ok "one writer at a time: no interval overlaps the sample stored before it"
	sq "$T" "SELECT id, ts, interval_s, ts - lag(ts) OVER (ORDER BY ts), flags
		FROM samples" | diag
fi
is "... and no two samples share a timestamp" \
	"$(sq "$T" "SELECT count(*) - count(DISTINCT ts) FROM samples")" 0
is "no negative delta with two writers" "$(neg_deltas "$T")" 0

kill -TERM "$(bg_pid pgbench)" 2>/dev/null
bg_wait pgbench 10 >/dev/null
done_testing
