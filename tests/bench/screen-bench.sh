#!/bin/sh
# Screen benchmark: figures, not a test. `make bench` runs it after tests/bench/run.sh's
# storage figures; by hand:
#
#   sh tests/bench/screen-bench.sh BUILDDIR        (SHORT=1: 15 s per tool, not 60 s)
#
# A throwaway PostgreSQL carries a steady pgbench load (30 sessions, rate-limited) and
# about 1,000 distinct statements in pg_stat_statements, a slow trickle of which keeps
# running. On that load pgmltop, pg_top and pg_activity run one after the other in tmux
# at a 1 s refresh, each as its own role, for a minute each. One table follows: client
# CPU seconds per minute, peak memory (VmHWM), the server time of the tool's own queries
# per refresh (pg_stat_statements of its role, execution plus planning), and pgmltop's
# ratios. The reference, a bare SELECT * FROM pg_stat_statements(false), runs once a
# second alongside each tool.
# Then the server is given 10,000 statements and pgmltop's time from a key to the
# redrawn screen is read from PGMLTOP_KEY_TIMING over about 50 keys.
#
# pg_top and pg_activity (Debian packages pgtop and pg-activity) are installed with
# apt-get when missing and the script runs as root; without them pgmltop is measured
# alone. Exits non-zero only on a real error (pgmltop failing, the server failing).
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/bench/screen-bench.sh BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$1" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
pgmltop=$builddir/pgmltop
TESTS_SRCDIR=$srcdir/tests

# lib-tap.sh provides bail_out and diag for the harness; it prints nothing by itself.
. "$TESTS_SRCDIR/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

echo
if [ -n "${SHORT:-}" ]; then
	WINDOW=15
else
	WINDOW=60
fi
echo "== screen: pgmltop, pg_top and pg_activity at 1 s refresh, ${WINDOW} s each =="

TMUX_BIN=$(command -v tmux)
for need in "$PG_BIN/initdb" pgbench psql sqlite3 "$TMUX_BIN"; do
	if [ -z "$need" ] || ! command -v "$need" >/dev/null 2>&1; then
		echo "note: ${need:-tmux} not found (PostgreSQL server, pgbench, psql, sqlite3 and tmux are needed): screen figures skipped"
		exit 0
	fi
done
if [ ! -x "$pgmltop" ]; then
	echo "note: $pgmltop is not built: screen figures skipped"
	exit 0
fi
unset TMUX # never talk to a tmux this script runs in

# ---- the other tools ----
if { ! command -v pg_top >/dev/null 2>&1 || ! command -v pg_activity >/dev/null 2>&1; } &&
	[ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing pgtop and pg-activity with apt-get"
	apt_log=$(mktemp "${TMPDIR:-/tmp}/pgmltop-apt.XXXXXX")
	if ! apt-get install -y --no-install-recommends pgtop pg-activity >"$apt_log" 2>&1; then
		apt-get update >>"$apt_log" 2>&1
		apt-get install -y --no-install-recommends pgtop pg-activity >>"$apt_log" 2>&1 ||
			tail -n 3 "$apt_log" | sed 's/^/apt-get: /'
	fi
	rm -f "$apt_log"
fi
tools=pgmltop
if command -v pg_top >/dev/null 2>&1; then
	tools="$tools pg_top"
else
	echo "note: pg_top is not installed (Debian: pgtop): not measured"
fi
if command -v pg_activity >/dev/null 2>&1; then
	tools="$tools pg_activity"
else
	echo "note: pg_activity is not installed (Debian: pg-activity): not measured"
fi
# BENCH_TOOLS=pgmltop: pgmltop alone (BENCH_PERF=FILE: perf record -g of its window to
# FILE; BENCH_KEYS=no: stop after the table)
[ "${BENCH_TOOLS:-}" = pgmltop ] && tools=pgmltop

CLK_TCK=$(getconf CLK_TCK)
W=200
H=50
status=0

tap_tmpdir
mkdir "$TAP_TMP/home" "$TAP_TMP/xdg" "$TAP_TMP/config"

tm() {
	"$TMUX_BIN" -L "pgmltop-bench-$$" -f "$TESTS_SRCDIR/tmux.conf" "$@"
}

cleanup() {
	tm kill-server >/dev/null 2>&1
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

# ---- small helpers ----

# now: seconds since the epoch, with fractions.
now() {
	date +%s.%N
}

# fsub A B / fdiv A B / fmt FORMAT VALUE: arithmetic on decimals.
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
fdiv() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.6f", a / b }'; }
fmt() { awk -v f="$1" -v v="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else printf f, v }'; }

# cpm CPU0 CPU1 T0 T1: CPU seconds per minute between two readings of ticks.
cpm() {
	awk -v a="$1" -v b="$2" -v el="$(fsub "$4" "$3")" \
		'BEGIN { printf "%.3f", (b - a) / 1e9 * 60 / el }'
}

# ticks PID: the CPU time of a process, in nanoseconds: the sum of its threads' time on
# a CPU from /proc/PID/task/*/schedstat (the clock ticks of /proc/PID/stat count 10 ms
# each, too coarse for a tool that uses ten of them a minute); the ticks when schedstat
# is missing (the name in /proc/PID/stat is cut off first: it may hold blanks).
ticks() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
	else
		sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
			awk -v hz="$CLK_TCK" '{ printf "%.0f", ($12 + $13) / hz * 1e9 }'
	fi
}

# hwm_kib PID: the peak resident set of a process.
hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

screen_of() {
	tm capture-pane -p -t "$1" 2>/dev/null
}

# poll SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds.
poll() {
	p_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$p_end" ] && return 1
		sleep 0.1
	done
	return 0
}

shows() { screen_of "$1" | grep -qE -- "$2"; }
pane_alive() { [ "$(tm display -p -t "$1" '#{pane_dead}' 2>/dev/null)" = 0 ]; }
pane_dead() { ! pane_alive "$1"; }

# conns ROLE: connections the server has authorized for ROLE so far.
conns() {
	grep -c "connection authorized: user=$1 " "$PG_DIR/server.log" 2>/dev/null
}

# snap TAG: the pg_stat_statements counters of the bench_* roles, kept in bench_snap.
snap() {
	pg_psql -c "INSERT INTO bench_snap SELECT '$1', r.rolname, s.dbid, s.queryid,
	 s.toplevel, s.calls, s.total_exec_time + s.total_plan_time, s.query
	 FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
	 WHERE r.rolname LIKE 'bench\\_%'" >/dev/null
}

# delta_sql FROM TO ROLE: the top-level statements of ROLE between two snapshots.
delta_sql() {
	echo "WITH a AS (SELECT * FROM bench_snap WHERE tag = '$2' AND role = '$3' AND toplevel),
	 b AS (SELECT * FROM bench_snap WHERE tag = '$1' AND role = '$3' AND toplevel),
	 d AS (SELECT a.query, a.calls - coalesce(b.calls, 0) AS calls,
	 a.ms - coalesce(b.ms, 0) AS ms FROM a LEFT JOIN b USING (dbid, queryid))"
}

# server_cost FROM TO ROLE: "total_ms calls refreshes" of ROLE's statements. A refresh
# is counted by the statement on pg_stat_activity run most often (every tool reads it
# once per refresh).
server_cost() {
	pg_value "$(delta_sql "$@")
	 SELECT round(coalesce(sum(ms), 0)::numeric, 3) || ' ' || coalesce(sum(calls), 0) || ' '
	 || coalesce(max(calls) FILTER (WHERE query ILIKE '%pg_stat_activity%'), 0)
	 FROM d WHERE calls > 0"
}

# server_detail FROM TO ROLE: ROLE's costliest statements in the window.
server_detail() {
	pg_psql -At -F ' | ' -c "$(delta_sql "$@")
	 SELECT lpad(calls::text, 6), lpad(to_char(ms, 'FM9999990.000'), 10),
	 lpad(to_char(ms / calls, 'FM9990.000'), 8),
	 left(regexp_replace(query, '\\s+', ' ', 'g'), 100)
	 FROM d WHERE calls > 0 ORDER BY ms DESC LIMIT 8" | sed 's/^/    /'
}

# shapes N PER FILE: N statements that pg_stat_statements tells apart: PER lengths of the
# select list times N / PER lengths of an IN list (each constant of both is jumbled).
shapes() {
	awk -v n="$1" -v per="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = "SELECT 1"
			for (j = 2; j <= i % per + 1; j++)
				s = s ", " j
			s = s " FROM pgbench_branches WHERE bid IN (1"
			for (j = 2; j <= int(i / per) + 1; j++)
				s = s ", " j
			print s ");"
		}
	}' >"$3"
}

# tool_cmd TOOL: the command line of TOOL, connected as its own role.
tool_cmd() {
	case $1 in
	pgmltop)
		echo "$pgmltop -s 1 -H $TAP_TMP/h.db -h $PGHOST -p $PGPORT -U bench_pgmltop -d postgres"
		;;
	pg_top)
		echo "pg_top -s 1 -h $PGHOST -p $PGPORT -U bench_pgtop -d postgres"
		;;
	pg_activity)
		echo "pg_activity --refresh 1 -h $PGHOST -p $PGPORT -U bench_pgactivity -d postgres"
		;;
	esac
}

tool_role() {
	case $1 in
	pgmltop) echo bench_pgmltop ;;
	pg_top) echo bench_pgtop ;;
	pg_activity) echo bench_pgactivity ;;
	esac
}

# What the screen of each tool shows once it has data.
tool_ready() {
	case $1 in
	pgmltop) echo 'QUERYID' ;;
	pg_top) echo 'last pid|processes:' ;;
	pg_activity) echo 'PID' ;;
	esac
}

# start_session NAME ENV... -- COMMAND: a detached W x H session whose pane runs COMMAND
# itself (env execs it), so that the pane's pid is the tool's.
start_session() {
	ss_name=$1
	shift
	# shellcheck disable=SC2046 # the command words are split on purpose
	tm new-session -d -s "$ss_name" -x "$W" -y "$H" \
		env TERM=screen LC_ALL=C.UTF-8 HOME="$TAP_TMP/home" XDG_DATA_HOME="$TAP_TMP/xdg" \
		XDG_CONFIG_HOME="$TAP_TMP/config" PGMLTOP_CONFIG= PGPASSFILE=/dev/null "$@"
}

# ---- the server and its load ----

pg_start "pg_stat_statements.max = 5000" "pg_stat_statements.track_planning = on" \
	"log_connections = on" "max_connections = 100"
pg_pgbench_init 2
pg_psql -c "CREATE TABLE bench_snap (tag text, role name, dbid oid, queryid bigint,
	toplevel bool, calls bigint, ms float8, query text)" >/dev/null || bail_out "bench_snap"
for r in bench_pgmltop bench_pgtop bench_pgactivity bench_ref; do
	pg_psql -c "CREATE ROLE $r LOGIN; GRANT pg_monitor, pg_read_all_stats TO $r" >/dev/null ||
		bail_out "cannot create role $r"
done

shapes 1000 50 "$TAP_TMP/shapes1k.sql"
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -o /dev/null \
	-f "$TAP_TMP/shapes1k.sql" || bail_out "the statements did not run"

# The load: pgbench at 200 transactions/s over 30 sessions, and the 1,000 statements once
# every 10 s from one more.
load_start() {
	bg_start load pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 30 -j 2 -R 200 -T 3600 \
		postgres || bail_out "pgbench did not start"
	bg_start trickle pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 1 -R 0.1 -T 3600 \
		-f "$1" postgres || bail_out "pgbench (statements) did not start"
}
load_stop() {
	for j in load trickle; do
		bg_running "$j" && kill "$(bg_pid "$j")" 2>/dev/null
		[ "$(bg_wait "$j" 10)" = timeout ] && kill -9 "$(bg_pid "$j")" 2>/dev/null
	done
}
load_start "$TAP_TMP/shapes1k.sql"
sleep 5 # the load settles (pgbench connects its sessions)

versions="$("$pgmltop" -V 2>/dev/null | head -n 1)"
for t in $tools; do
	case $t in
	pg_top) versions="$versions, $(pg_top -V 2>/dev/null | head -n 1)" ;;
	pg_activity) versions="$versions, $(pg_activity --version 2>/dev/null | head -n 1)" ;;
	esac
done
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))," \
	"PostgreSQL $(pg_value 'SHOW server_version'), $("$TMUX_BIN" -V)"
echo "tools: $versions"
echo "machine load average before the tools: $(cut -d ' ' -f 1-3 /proc/loadavg)" \
	"(other work on the machine skews the figures)"
n_stmts=$(pg_value "SELECT count(*) FROM pg_stat_statements")
n_sessions=$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
echo "load: pgbench -c 30 -j 2 -R 200 (scale 2), 1,000 statement shapes every 10 s;" \
	"$n_stmts statements in pg_stat_statements, $n_sessions client sessions"

# ---- each tool for WINDOW seconds ----

# The reference, a bare read of pg_stat_statements, runs alongside each tool as its own
# role, once a second: it sees the same server at the same time (on a small machine the
# server's speed drifts with whatever else runs).
{
	echo '\o /dev/null'
	i=1
	while [ $i -lt "$WINDOW" ]; do
		echo 'SELECT pg_sleep(1);'
		echo 'SELECT * FROM pg_stat_statements(false);'
		i=$((i + 1))
	done
} >"$TAP_TMP/ref.sql"

# measure TOOL: run it; its figures go to $TAP_TMP/TOOL.res as one line of
#   cpu (s/min) rss (MiB) server_ms/refresh refreshes connections window (s) server_ms
#   calls bare_read_ms bare_read_calls
# and stay missing when the tool failed.
measure() {
	t=$1
	role=$(tool_role "$t")
	rm -f "$TAP_TMP/$t.res"
	# shellcheck disable=SC2046 # tool_cmd gives words without blanks in them
	start_session "$t" $(tool_cmd "$t")
	pid=$(tm display -p -t "$t" '#{pane_pid}')
	if ! poll 30 shows "$t" "$(tool_ready "$t")"; then
		echo "note: $t did not show its screen within 30 s; its screen:"
		screen_of "$t" | sed '/^ *$/d; s/^/    /' | head -n 20
		tm kill-session -t "$t" >/dev/null 2>&1
		[ "$t" = pgmltop ] && status=1
		return
	fi
	sleep 3 # past start-up: the window measures the steady state
	c0=$(conns "$role")
	snap "$t:0"
	bg_start "ref-$t" psql -X -q -h "$PGHOST" -p "$PGPORT" -U bench_ref -d postgres \
		-f "$TAP_TMP/ref.sql" || bail_out "the reference reads did not start"
	k0=$(ticks "$pid")
	w0=$(now)
	if [ -n "${BENCH_PERF:-}" ] && [ "$t" = pgmltop ]; then
		perf record -q -g -o "$BENCH_PERF" -p "$pid" -- sleep "$WINDOW" >/dev/null 2>&1
	else
		sleep "$WINDOW"
	fi
	k1=$(ticks "$pid")
	w1=$(now)
	rss=$(hwm_kib "$pid")
	snap "$t:1"
	c1=$(conns "$role")
	bg_running "ref-$t" && kill "$(bg_pid "ref-$t")" 2>/dev/null
	if ! pane_alive "$t" || [ -z "$k1" ]; then
		echo "note: $t ended during its window; its screen:"
		tm capture-pane -p -S - -t "$t" | sed '/^ *$/d; s/^/    /' | tail -n 20
		tm kill-session -t "$t" >/dev/null 2>&1
		[ "$t" = pgmltop ] && status=1
		return
	fi
	screen_of "$t" >"$TAP_TMP/$t.screen"
	tm send-keys -t "$t" q
	poll 10 pane_dead "$t" || echo "note: $t did not end on q"
	tm kill-session -t "$t" >/dev/null 2>&1

	bare=$(pg_value "$(delta_sql "$t:0" "$t:1" bench_ref)
	 SELECT coalesce(round(sum(ms)::numeric, 3), 0) || ' ' || coalesce(sum(calls), 0)
	 FROM d WHERE query ILIKE '%pg_stat_statements(%'")
	server_cost "$t:0" "$t:1" "$role" | {
		read -r ms calls refreshes
		printf '%s %s %s %s %s %s %s %s %s\n' "$(cpm "$k0" "$k1" "$w0" "$w1")" \
			"$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
			"$(fdiv "$ms" "$refreshes")" "$refreshes" "$((c1 - c0))" \
			"$(fmt %.1f "$(fsub "$w1" "$w0")")" "$ms" "$calls" "$bare"
	} >"$TAP_TMP/$t.res"
}

# measured TOOL: TOOL was measured. res TOOL N: its Nth figure (see measure).
measured() { [ -s "$TAP_TMP/$1.res" ]; }
res() { awk -v n="$2" '{ print $n }' "$TAP_TMP/$1.res" 2>/dev/null; }
# bare TOOL: the bare read's ms per call in TOOL's window.
bare() { fdiv "$(res "$1" 9)" "$(res "$1" 10)"; }

for t in $tools; do
	measure "$t"
	# pgmltop's own count of samples, to check the refresh count against
	if [ "$t" = pgmltop ] && measured pgmltop; then
		hist_samples=$(sq "$TAP_TMP/h.db" "SELECT count(*) FROM samples")
	fi
done
load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)

# ---- the table ----

echo
echo "window: ${WINDOW} s per tool$([ -n "${SHORT:-}" ] && echo ' (SHORT=1)'), after 3 s of start-up;" \
	"server time = total_exec_time + total_plan_time of the tool's role"
printf '%-12s %16s %13s %18s %10s %12s %20s\n' tool "client CPU s/min" "peak RSS MiB" \
	"server ms/refresh" refreshes connections "bare read ms/call"
for t in $tools; do
	if measured "$t"; then
		printf '%-12s %16s %13s %18s %10s %12s %20s\n' "$t" "$(res "$t" 1)" "$(res "$t" 2)" \
			"$(fmt %.3f "$(res "$t" 3)")" "$(res "$t" 4)" "$(res "$t" 5)" \
			"$(fmt %.3f "$(bare "$t")")"
	else
		printf '%-12s %16s\n' "$t" "failed (see the note above)"
	fi
done
echo "refreshes: calls of the tool's most frequent statement on pg_stat_activity in the window"
echo "connections: sessions the server authorized for the tool's role in the window" \
	"(their start-up is in no column)"
echo "bare read: SELECT * FROM pg_stat_statements(false) as its own role, once a second" \
	"alongside the tool, ms per call"
echo "machine load average after the tools: $load_after"

# ratio N TOOL: pgmltop's Nth figure over TOOL's.
ratio() { fmt %.2f "$(fdiv "$(res pgmltop "$1")" "$(res "$2" "$1")")"; }
if measured pgmltop; then
	echo
	for t in $tools; do
		[ "$t" = pgmltop ] && continue
		measured "$t" || continue
		printf 'pgmltop / %-12s CPU %sx  memory %sx  server time %sx\n' "$t" \
			"$(ratio 1 "$t")" "$(ratio 2 "$t")" "$(ratio 3 "$t")"
	done
	bare_ratio=$(fdiv "$(res pgmltop 3)" "$(bare pgmltop)")
	printf 'pgmltop / bare read    server time %sx (in the same window)\n' \
		"$(fmt %.2f "$bare_ratio")"
	echo "pgmltop samples stored in its history: ${hist_samples:-?}" \
		"(start-up, the 3 s before the window and the window)"
fi

echo
echo "server time by statement in the window (calls | ms | ms/call | query):"
for t in $tools; do
	measured "$t" || continue
	echo "  $t ($(tool_role "$t")):"
	server_detail "$t:0" "$t:1" "$(tool_role "$t")"
done

load_stop
# BENCH_KEYS=no: not the part with 10,000 statements
[ "${BENCH_KEYS:-}" = no ] && exit "$status"

# ---- key to screen with 10,000 statements ----

echo
echo "== screen: pgmltop, a key to the redrawn screen with 10,000 statements =="
pg_stop
pg_conf "pg_stat_statements.max = 20000"
pg_restart_server || bail_out "the server did not start again"
pg_psql -c "SELECT pg_stat_statements_reset()" >/dev/null
shapes 10000 100 "$TAP_TMP/shapes10k.sql"
load_start "$TAP_TMP/shapes1k.sql"

timing=$TAP_TMP/keys.timing
rm -f "$TAP_TMP/h.db" "$TAP_TMP/h.db-wal" "$TAP_TMP/h.db-shm"
snap keys:0
# shellcheck disable=SC2046
start_session keys PGMLTOP_KEY_TIMING="$timing" $(tool_cmd pgmltop)
kpid=$(tm display -p -t keys '#{pane_pid}')
if ! poll 30 shows keys QUERYID; then
	echo "pgmltop did not show its screen; its screen:" >&2
	screen_of keys | sed '/^ *$/d' >&2
	exit 1
fi
# The 10,000 statements run while pgmltop samples, so that each has a delta in the
# history; the 'last hour' window (w) then lists all of them.
g0=$(now)
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -o /dev/null \
	-f "$TAP_TMP/shapes10k.sql" || bail_out "the 10,000 statements did not run"
g1=$(now)
hist_ids() {
	sq "$TAP_TMP/h.db" "SELECT count(DISTINCT queryid) FROM stmt_deltas" 2>/dev/null
}
hist_ready() {
	n=$(hist_ids)
	[ "${n:-0}" -ge 10000 ]
}
texts_ready() {
	n=$(sq "$TAP_TMP/h.db" "SELECT count(*) FROM queries" 2>/dev/null)
	[ "${n:-0}" -ge 10000 ]
}
poll 60 hist_ready || echo "note: the history holds $(hist_ids) statements, not 10,000"
t_texts=$(now)
poll 120 texts_ready || echo "note: not all query texts were stored within 120 s"
t_texts=$(fsub "$(now)" "$t_texts")
n_stmts=$(pg_value "SELECT count(*) FROM pg_stat_statements")
echo "the 10,000 statements ran in $(fmt %.1f "$(fsub "$g1" "$g0")") s;" \
	"$n_stmts statements in pg_stat_statements, $(hist_ids) in pgmltop's history"

# pgmltop sampling 10,000 statements each second, no keys, the last interval shown
ki0=$(ticks "$kpid")
kiw0=$(now)
sleep 10
ki1=$(ticks "$kpid")
kiw1=$(now)

kk0=$(ticks "$kpid")
kw0=$(now)
: >"$timing"
tm send-keys -t keys w
hour_shown() { grep -q '^history_read_ms' "$timing"; }
poll 20 hour_shown || echo "note: the screen did not read the 'last hour' window"
sleep 1
w_line=$(grep -m 1 '^key_to_screen_ms' "$timing")
h_line=$(grep -m 1 '^history_read_ms' "$timing")
: >"$timing"

# about 50 keys, a pause after each
key_list="Down Down Down Down Down Down Down Down Down Down
NPage NPage NPage NPage NPage NPage NPage NPage NPage NPage
> > > > > < < < < < I I I I Up Up Up Up
/ a Escape / a Escape / a Escape / a Escape"
n_keys=0
for k in $key_list; do
	tm send-keys -t keys "$k"
	n_keys=$((n_keys + 1))
	sleep 0.3
done
sleep 1
kk1=$(ticks "$kpid")
kw1=$(now)
rss_keys=$(hwm_kib "$kpid")
pane_alive keys || {
	echo "pgmltop ended during the keys" >&2
	status=1
}
tm send-keys -t keys q
poll 10 pane_dead keys || echo "note: pgmltop did not end on q"
tm kill-session -t keys >/dev/null 2>&1
snap keys:1
load_stop

echo "keys sent: $n_keys (Down, PgDn, >, <, I, Up, / a Esc), 0.3 s apart, in the 'last hour' window"
awk '$1 == "key_to_screen_ms" { print $2, $4 }' "$timing" | sort -n >"$TAP_TMP/keys.sorted"
n=$(wc -l <"$TAP_TMP/keys.sorted")
if [ "$n" -gt 0 ]; then
	awk -v n="$n" '
		{ ms[NR] = $1; r[NR] = $2 }
		END {
			p50 = ms[int((n + 1) / 2)]
			i = int(n * 0.9 + 0.999999); if (i < 1) i = 1; if (i > n) i = n
			rmin = r[1]; rmax = r[1]
			for (k = 2; k <= n; k++) { if (r[k] < rmin) rmin = r[k]; if (r[k] > rmax) rmax = r[k] }
			printf "key to screen: median %.1f ms, p90 %.1f ms, max %.1f ms over %d redraws\n", \
				p50, ms[i], ms[n], n
			printf "rows listed: %d to %d\n", rmin, rmax
		}' "$TAP_TMP/keys.sorted"
	w_ms=$(echo "$w_line" | awk '{ print $2 }')
	h_ms=$(echo "$h_line" | awk '{ print $2 }')
	h_screen=$(echo "$h_line" | awk '{ print $4 }')
	h_rows=$(echo "$h_line" | awk '{ print $6 }')
	echo "w (to 'last hour'): the key to the redrawn screen $(fmt %.1f "$w_ms") ms; the" \
		"history read in the background $(fmt %.1f "$h_ms") ms, its rows on the screen" \
		"$(fmt %.1f "$h_screen") ms after the key, rows ${h_rows:-?}"
	echo "all texts stored $(fmt %.1f "$t_texts") s after the statements were in the history"
	echo "pgmltop with 10,000 statements, 10 s without keys (last interval):" \
		"CPU $(cpm "$ki0" "$ki1" "$kiw0" "$kiw1") s/min"
	echo "pgmltop during the keys (last hour): CPU $(cpm "$kk0" "$kk1" "$kw0" "$kw1") s/min;" \
		"peak RSS $(awk -v k="$rss_keys" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
	echo "server time by statement, pgmltop's whole run (calls | ms | ms/call | query):"
	server_detail keys:0 keys:1 bench_pgmltop
else
	echo "note: PGMLTOP_KEY_TIMING recorded no key (was $pgmltop built with it?)"
	status=1
fi

# ---- goals ----

echo
goal() {
	if [ "$2" = yes ]; then
		echo "goal met:     $1"
	elif [ "$2" = no ]; then
		echo "goal not met: $1"
	else
		echo "goal unknown: $1"
	fi
}
cmp_le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "") print "?"; else print (a <= b ? "yes" : "no") }'; }
if measured pgmltop; then
	if measured pg_top; then
		goal "client CPU at or below pg_top's ($(res pgmltop 1) <= $(res pg_top 1) s/min)" \
			"$(cmp_le "$(res pgmltop 1)" "$(res pg_top 1)")"
	fi
	goal "peak memory under 16 MiB ($(res pgmltop 2) MiB)" "$(cmp_le "$(res pgmltop 2)" 16)"
	goal "server time per refresh within 1.2x of the bare read ($(fmt %.2f "$bare_ratio")x)" \
		"$(cmp_le "$bare_ratio" 1.2)"
fi
if [ "$n" -gt 0 ]; then
	p90=$(awk -v n="$n" 'NR == int(n * 0.9 + 0.999999) { print $1 }' "$TAP_TMP/keys.sorted")
	goal "a key to the redrawn screen under 50 ms with 10,000 statements (p90 $(fmt %.1f "$p90") ms)" \
		"$(awk -v m="$p90" 'BEGIN { print (m < 50 ? "yes" : "no") }')"
fi
exit "$status"
