#!/bin/sh
# Report benchmark: figures, not a test. `make bench` runs it; by hand:
#
#   sh tests/bench/report-bench.sh BUILDDIR        (DAYS=N: another span than 90 days)
#
# Simulates 1,000 statements over 90 days (hourly samples, as tests/bench/history-bench.sh
# does), then writes the report of the whole span in each format (--report=html, md, csv
# with each table, json) and prints the wall time (median of 3 runs), the peak memory and
# the size of each. Exits non-zero only on a real error.
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/bench/report-bench.sh BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$1" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
pgmltop=$builddir/pgmltop
days=${DAYS:-90}
status=0

if [ ! -x "$pgmltop" ]; then
	echo "report-bench: build pgmltop first" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgmltop-rbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
TZ=UTC
# the rule files of the sources, unless told otherwise (pgmltop may not be installed)
PGMLTOP_DATADIR=${PGMLTOP_DATADIR:-$srcdir/data}
export TZ PGMLTOP_DATADIR

echo
echo "== report: each format over $days days of 1,000 simulated statements =="
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))"

cat >"$tmp/spec" <<EOF
seed = 42
days = $days
end = 2026-11-30
filler = 1000
[statement orders]
text = SELECT * FROM orders WHERE customer_id = \$1
calls = 3600
mean_ms = 0.4
rows = 10
daily_peak = 9 3 0.9
weekly_peak = mon 10 2
[statement order_lines]
text = SELECT * FROM order_lines WHERE order_id = \$1
parent = orders
mean_ms = 0.05
[statement report]
text = SELECT date_trunc('day', created_at), sum(total) FROM orders GROUP BY 1
calls = 2
mean_ms = 900
temp = 2000
regression = $((days / 2)) 2
[setting work_mem]
before = 4096
after = 65536
unit = kB
day = $((days - 10))
hour = 12
effect = report 0.4
EOF
if ! "$pgmltop" --simulate="$tmp/spec" -H "$tmp/h.db" >"$tmp/sim.out" 2>"$tmp/sim.err"; then
	echo "pgmltop --simulate failed:" >&2
	cat "$tmp/sim.err" >&2
	exit 1
fi
sed -n 1p "$tmp/sim.out"

# one LABEL ARGS...: three runs of the report; the median time, the peak memory, the size
one() {
	label=$1
	shift
	times=
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		if [ -x /usr/bin/time ]; then
			/usr/bin/time -f %M -o "$tmp/rss" "$pgmltop" -H "$tmp/h.db" --days="$days" \
				--until=2026-11-30 "$@" -o "$tmp/out" 2>"$tmp/err"
		else
			"$pgmltop" -H "$tmp/h.db" --days="$days" --until=2026-11-30 "$@" \
				-o "$tmp/out" 2>"$tmp/err"
		fi
		rc=$?
		t1=$(date +%s.%N)
		if [ "$rc" -ne 0 ]; then
			echo "pgmltop $* failed:" >&2
			cat "$tmp/err" >&2
			status=1
			return
		fi
		times="$times $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
	done
	median=$(echo $times | tr ' ' '\n' | sort -n | sed -n 2p)
	rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/rss" 2>/dev/null)
	printf '%-34s %8s %10s %8s\n' "$label" "$median" "$(stat -c %s "$tmp/out")" "${rss:--}"
}

printf '%-34s %8s %10s %8s\n' format time_s bytes MiB
one json --report=json
one html --report=html
one md --report=md
for t in statements findings patterns parameters settings_changes hours; do
	one "csv --csv-table=$t" --report=csv --csv-table=$t
done
cat <<'EOF'
columns: time_s the wall time of the whole run (open the history, build the model with
its patterns, findings and parameter advice, write the format), median of 3; bytes the
report's size; MiB the peak memory.
EOF
exit "$status"
