#!/bin/sh
# Storage benchmarks: figures, not tests. Builds nothing; `make bench` builds and runs it.
#
#   sh tests/bench/run.sh BUILDDIR
#
# Runs tests/bench/store-bench with a few parameter sets, tests/bench/history-bench.sh
# (simulated histories of 7 to 365 days), tests/bench/report-bench.sh (each report format
# over 90 days of 1,000 statements), then, when a PostgreSQL server installation is
# found, a live figure (pgmltop --collect against a throwaway server under pgbench load)
# and tests/bench/screen-bench.sh (15 s per tool; BENCH_FULL=1 for a minute each).
# Exits non-zero only on a real error (a failed write, a collector failure).
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/bench/run.sh BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$1" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
bench=$builddir/tests/bench/store-bench
pgmltop=$builddir/pgmltop
status=0

if [ ! -x "$bench" ]; then
	echo "store-bench: $bench is not built (make tests/bench/store-bench)" >&2
	exit 1
fi

run_bench() {
	title=$1
	shift
	echo
	echo "== store-bench $* ($title) =="
	if ! "$bench" "$@"; then
		echo "store-bench $* failed" >&2
		status=1
	fi
}

run_bench "defaults"
run_bench "a small server" -n 1000
run_bench "10% of statements active per interval, a realistic server" -n 10000 -a 0.1

# ---- long histories, made by the simulator ----
sh "$srcdir/tests/bench/history-bench.sh" "$builddir" || status=1

# ---- the reports of 90 days of 1,000 statements, in each format ----
sh "$srcdir/tests/bench/report-bench.sh" "$builddir" || status=1

# ---- live: the collector against a real server under load ----
echo
echo "== live: pgmltop --collect -s 1 -n 15 under pgbench -c 4 -T 20 =="

# lib-tap.sh provides bail_out and diag for the harness; it prints nothing by itself.
. "$srcdir/tests/lib-tap.sh"
. "$srcdir/tests/pg-harness.sh"

if [ ! -x "$PG_BIN/initdb" ] || ! command -v pgbench >/dev/null 2>&1 ||
	! command -v psql >/dev/null 2>&1; then
	echo "note: PostgreSQL server binaries (initdb, pgbench, psql) not found: live figure skipped"
	exit "$status"
fi
if [ ! -x "$pgmltop" ]; then
	echo "note: $pgmltop is not built: live figure skipped"
	exit "$status"
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "note: the sqlite3 command is not installed: live figure skipped"
	exit "$status"
fi

# The harness removes $TAP_TMP and stops the server at exit.
tap_tmpdir
pg_start
pg_pgbench_init 1

pg_pgbench -c 4 -T 20 >"$TAP_TMP/pgbench.log" 2>&1 &
pgbench_pid=$!

hist=$TAP_TMP/h.db
timefmt=
if [ -x /usr/bin/time ]; then
	set -- /usr/bin/time -f %M -o "$TAP_TMP/rss" "$pgmltop"
	timefmt=yes
else
	set -- "$pgmltop"
fi
start=$(date +%s)
"$@" --collect -s 1 -n 15 -H "$hist" >"$TAP_TMP/collect.log" 2>&1
rc=$?
end=$(date +%s)
wait "$pgbench_pid"
pgbench_rc=$?

if [ "$rc" -ne 0 ]; then
	echo "pgmltop --collect exited with status $rc:" >&2
	cat "$TAP_TMP/collect.log" >&2
	exit 1
fi
if [ "$pgbench_rc" -ne 0 ]; then
	echo "note: pgbench exited with status $pgbench_rc (the load may have been short):"
	diag <"$TAP_TMP/pgbench.log"
fi

# Fold the WAL into the file so that its size is the history's.
sqlite3 "$hist" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null 2>&1
size=$(($(wc -c <"$hist") + 0))
if [ -f "$hist-wal" ]; then
	size=$((size + $(wc -c <"$hist-wal")))
fi
samples=$(sqlite3 "$hist" "SELECT count(*) FROM samples;") || status=1
rows=$(sqlite3 "$hist" "SELECT count(*) FROM stmt_deltas;") || status=1
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TAP_TMP/pgbench.log" | head -n 1)

echo "collector wall time: $((end - start)) s"
[ -n "$tps" ] && echo "pgbench throughput: $tps tps"
echo "samples stored: ${samples:-?} samples"
echo "stmt_deltas rows: ${rows:-?} rows"
echo "history file size: $size bytes"
if [ -n "${rows:-}" ] && [ "$rows" -gt 0 ]; then
	# the whole file (schema, texts, settings, activity) over the statement rows
	echo "history bytes per statement-sample: $(awk -v s="$size" -v r="$rows" 'BEGIN { printf "%.1f", s / r }') bytes"
	tbytes=$(sqlite3 "$hist" "SELECT sum(pgsize) FROM dbstat WHERE name = 'stmt_deltas';" 2>/dev/null)
	if [ -n "$tbytes" ]; then
		echo "stmt_deltas bytes per row: $(awk -v s="$tbytes" -v r="$rows" 'BEGIN { printf "%.1f", s / r }') bytes"
	fi
fi
if [ -n "$timefmt" ] && [ -s "$TAP_TMP/rss" ]; then
	echo "collector peak RSS: $(tail -n 1 "$TAP_TMP/rss") kB"
fi
# the screen comparison at 15 s per tool keeps make bench under ten minutes;
# BENCH_FULL=1 measures a minute per tool
if [ -z "${BENCH_FULL:-}" ]; then
	SHORT=${SHORT:-1}
	export SHORT
fi
sh "$srcdir/tests/bench/screen-bench.sh" "$builddir" || status=1
exit "$status"
