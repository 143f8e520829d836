#!/bin/sh
# History benchmark: figures, not a test. `make bench` runs it; by hand:
#
#   sh tests/bench/history-bench.sh BUILDDIR        (QUICK=1: 7 and 30 days only;
#                                                   DAYS="90": those windows only)
#
# Builds simulated histories of 1,000 statements over 7, 30, 90 and 365 days with
# pgmltop --simulate (hourly samples, as a collector at -s 3600 would store them; the
# rollups are the store's own), then one of 10,000 statements whose last day is sampled
# every minute. For each it prints the time to simulate, to store one sample and to roll
# up, the file size and bytes per statement-hour, the time of the reads the screen and
# the report make and of the forecasts of every statement (tests/bench/history-bench),
# and the peak memory. Exits non-zero only on a real error.
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/bench/history-bench.sh BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$1" && pwd)
pgmltop=$builddir/pgmltop
reader=$builddir/tests/bench/history-bench
status=0

if [ ! -x "$pgmltop" ] || [ ! -x "$reader" ]; then
	echo "history-bench: build pgmltop and tests/bench/history-bench first" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgmltop-hbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# the hours of the simulation are local time: the same figures whatever the machine's zone
TZ=UTC
export TZ

echo
echo "== history: simulated histories of 1,000 statements, and a day of 10,000 sampled every minute =="
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), $(df -h "$tmp" | awk 'NR == 2 { print $1 }') for the files"

# spec DAYS FILLER [MORE LINES]: a spec of DAYS days, FILLER background statements and a
# few planted ones (a daily peak, a weekly peak, an N+1 pair, a regression, a change).
spec() {
	cat <<EOF
seed = 42
days = $1
filler = $2
$3
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
regression = $(($1 > 3 ? $1 / 2 : 2)) 2
EOF
}

# field NAME FILE: the value after NAME in the reader's one line of figures.
field() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"
}

run_one() { # LABEL DAYS FILLER [MORE SPEC LINES]
	label=$1
	spec "$2" "$3" "${4:-}" >"$tmp/$label.spec"
	rm -f "$tmp/$label.db"
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$tmp/$label.rss" "$pgmltop" --simulate="$tmp/$label.spec" \
			-H "$tmp/$label.db" >"$tmp/$label.out" 2>"$tmp/$label.err"
	else
		"$pgmltop" --simulate="$tmp/$label.spec" -H "$tmp/$label.db" >"$tmp/$label.out" \
			2>"$tmp/$label.err"
	fi
	rc=$?
	t1=$(date +%s.%N)
	if [ "$rc" -ne 0 ]; then
		echo "pgmltop --simulate failed for $label:" >&2
		cat "$tmp/$label.err" >&2
		status=1
		return
	fi
	if ! "$reader" "$tmp/$label.db" >"$tmp/$label.read" 2>"$tmp/$label.rerr"; then
		echo "history-bench failed for $label:" >&2
		cat "$tmp/$label.rerr" >&2
		status=1
		return
	fi
	sim_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	store_ms=$(sed -n 's/^stored in [0-9.]* s (\([0-9.]*\) ms a sample).*/\1/p' "$tmp/$label.out")
	roll_ms=$(sed -n 's/.*the longest run \([0-9]*\) ms.*/\1/p' "$tmp/$label.out")
	sim_rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/$label.rss" 2>/dev/null)
	size_mb=$(awk -v b="$(field file_bytes "$tmp/$label.read")" 'BEGIN { printf "%.1f", b / 1048576 }')
	printf '%-10s %7s %9s %9s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %6s %6s\n' \
		"$label" "$sim_s" "${store_ms:--}" "${roll_ms:--}" "$size_mb" \
		"$(field bytes_per_stmt_hour "$tmp/$label.read")" \
		"$(field table_bytes_per_stmt_hour "$tmp/$label.read")" \
		"$(field list_hour_ms "$tmp/$label.read")" "$(field list_day_ms "$tmp/$label.read")" \
		"$(field list_7d_ms "$tmp/$label.read")" "$(field list_30d_ms "$tmp/$label.read")" \
		"$(field list_90d_ms "$tmp/$label.read")" "$(field list_365d_ms "$tmp/$label.read")" \
		"$(field stmt_history_all_ms "$tmp/$label.read")" \
		"$(field report_7d_ms "$tmp/$label.read")" "$(field report_all_ms "$tmp/$label.read")" \
		"$(field detect_all_ms "$tmp/$label.read")" \
		"$(field nplusone_all_ms "$tmp/$label.read")" \
		"$(field heatmap_all_ms "$tmp/$label.read")" \
		"$(field stmt_analysis_all_ms "$tmp/$label.read")" \
		"$(field forecast_read_ms "$tmp/$label.read")" \
		"$(field forecast_all_ms "$tmp/$label.read")" \
		"${sim_rss:--}" "$(field peak_rss_mib "$tmp/$label.read")"
	rm -f "$tmp/$label.db" "$tmp/$label.db-wal" "$tmp/$label.db-shm"
}

printf '%-10s %7s %9s %9s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s %6s %6s\n' \
	history sim_s store_ms roll_ms file_MB B/sh tblB/sh hour day 7d 30d 90d 365d \
	stmt_h rep_7d rep_all detect n_plus_1 heatmap stmt_an fc_read fc_all simMiB rdMiB
if [ -n "${DAYS:-}" ]; then
	set -- $DAYS
elif [ -n "${QUICK:-}" ]; then
	set -- 7 30
else
	set -- 7 30 90 365
fi
for days in "$@"; do
	run_one "1k_x_${days}d" "$days" 1000
done
[ -n "${DAYS:-}" ] || run_one "10k_raw_1d" 2 10000 "raw_hours = 24
raw_interval = 60"
cat <<'EOF'
columns: sim_s the simulation (wall s); store_ms the mean time to store one sample;
roll_ms the longest single rollup run (a day of hourly samples, or one hour of
per-minute samples); file_MB the history file; B/sh its bytes per statement-hour and
tblB/sh those of the hourly table alone; hour..365d the statement list of that window
(ms, median of 3; "-" past the history); stmt_h one statement's hourly history over the
whole history (ms); rep_7d and rep_all the JSON report's model, patterns and findings
included (ms); detect the patterns, anomalies and changes of level alone over the whole
history (ms); n_plus_1 the report's N+1 pass alone (its last 7 days, ms); heatmap the
screen's heatmap of the whole server over the whole history (its hours summed, both grids
built) and stmt_an a statement's pane (its hours, patterns and findings), ms; fc_read the
read of every statement's hours over the whole history and fc_all the forecasts of each
one's calls and mean time (three models fitted and backtested at 14 origins, a week
ahead; 2 series a statement), ms; simMiB and rdMiB the peak memory of the simulation and
of the reads.
EOF
exit "$status"
