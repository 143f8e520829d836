#!/bin/sh
# Workload patterns scored against the simulator's truth: histories with planted daily,
# weekly (hour-of-week) and weekday peaks, quiet hours and quiet weekdays of various
# heights, noise, one-off spikes and regressions that must not become patterns, and
# background statements with nothing planted, over several seeds. Recall of the planted
# patterns must be at least 95%, and at most 5% of the reported ones may be unplanted.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

tap_tmpdir
trap 'rm -rf "$TAP_TMP"' EXIT
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
TZ=UTC
export HOME TZ
mkdir "$HOME"

# spec SEED END: four weeks ending at END (the report reads up to it with --until)
spec() {
	cat <<EOF
seed = $1
end = $2
days = 28
filler = 100
filler_calls = 40

[statement morning]
text = SELECT * FROM orders WHERE customer_id = \$1
calls = 400
noise = 0.1
daily_peak = 9 3 0.9
quiet = 0-5 0.25

[statement afternoon]
text = SELECT * FROM invoices WHERE account_id = \$1
calls = 300
noise = 0.1
daily_peak = 14 1.8

[statement monday]
text = SELECT sum(total) FROM orders WHERE week = \$1
calls = 200
noise = 0.1
weekly_peak = mon 10 2.5

[statement friday]
text = UPDATE stock SET reserved = reserved + \$1 WHERE item = \$2
calls = 250
noise = 0.1
weekly_peak = fri 16 3

[statement weekend]
text = SELECT * FROM sessions WHERE user_id = \$1
calls = 500
noise = 0.1
weekday = sat 0.4
weekday = sun 0.4

[statement midweek]
text = INSERT INTO audit (who, what) VALUES (\$1, \$2)
calls = 150
noise = 0.1
weekday = wed 1.8

[statement spiky]
text = SELECT count(*) FROM big_table
calls = 100
noise = 0.1
spike = 10 3 20
spike = 17 15 12

[statement faint]
text = SELECT name FROM products WHERE sku = \$1
calls = 300
noise = 0.15
daily_peak = 20 1.5 0.8

[statement noisy_weekly]
text = SELECT * FROM shipments WHERE carrier = \$1
calls = 200
noise = 0.2
weekly_peak = thu 11 2

[statement slower]
text = SELECT * FROM reports WHERE id = \$1
calls = 200
noise = 0.1
regression = 14 2.5
EOF
}

# The planted patterns of a truth file as lines "queryid type key".
planted() {
	jq -r '.planted[] |
		if .type == "daily_peak" then "\(.queryid) hour_peak \(.hour)"
		elif .type == "weekly_peak" then "\(.queryid) hour_of_week_peak \(.weekday)-\(.hour)"
		elif .type == "quiet" then "\(.queryid) quiet_hours \(.from_hour)-\(.to_hour)"
		elif .type == "weekday" and .factor < 1 then "\(.queryid) quiet_weekday \(.weekday)"
		elif .type == "weekday" and .factor > 1 then "\(.queryid) weekday_peak \(.weekday)"
		else empty end' "$1" | sort
}

# The patterns of statements in a report, as the same lines (quiet hours as their range).
reported() {
	jq -r '.patterns[] | select(.queryid != null) |
		if .pattern_type == "hour_peak" then "\(.queryid) hour_peak \(.metadata.hour)"
		elif .pattern_type == "hour_of_week_peak" then "\(.queryid) hour_of_week_peak \(.metadata.weekday)-\(.metadata.hour)"
		elif .pattern_type == "quiet_hours" then "\(.queryid) quiet_hours \(.metadata.hour)-\(.metadata.hour_to)"
		else "\(.queryid) \(.pattern_type) \(.metadata.weekday)" end' "$1" | sort
}

total_planted=0
total_found=0
total_reported=0
total_false=0
spike_ok=1
# Two ends, so that the window starts at two different hours and weekdays: a Thursday
# at 10:00 and a Sunday at 19:00 (UTC). Fixed, so that a run does not depend on the day.
for run in 11:2026-11-26T10 22:2026-11-26T10 33:2026-11-26T10 44:2026-11-26T10 \
	11:2026-11-29T19 22:2026-11-29T19 33:2026-11-29T19 44:2026-11-29T19; do
	seed=${run%%:*}
	end=${run#*:}
	[ "$end" = 2026-11-26T10 ] || seed=${seed}b
	spec "${seed%b}" "$end" >"s$seed.spec"
	timeout 120 "$PGMLTOP_BIN" --simulate="s$seed.spec" -H "h$seed.db" --truth="t$seed.json" \
		>/dev/null 2>"err$seed" || { cat "err$seed" | diag; bail_out "the simulation failed"; }
	timeout 120 "$PGMLTOP_BIN" --report=json -H "h$seed.db" --days 28 --until "$end" \
		>"r$seed.json" 2>"err$seed" || { cat "err$seed" | diag; bail_out "the report failed"; }
	planted "t$seed.json" >"p$seed"
	reported "r$seed.json" >"f$seed"
	# the statements whose calls follow no pattern: nothing may be reported for them
	p=$(wc -l <"p$seed")
	found=$(comm -12 "p$seed" "f$seed" | wc -l)
	rep=$(wc -l <"f$seed")
	false_n=$(comm -13 "p$seed" "f$seed" | wc -l)
	total_planted=$((total_planted + p))
	total_found=$((total_found + found))
	total_reported=$((total_reported + rep))
	total_false=$((total_false + false_n))
	{
		echo "seed ${seed%b}, end $end: planted $p, found $found, reported $rep, not planted $false_n"
		comm -23 "p$seed" "f$seed" | sed 's/^/  missed: /'
		comm -13 "p$seed" "f$seed" | sed 's/^/  not planted: /'
	} | diag
	spiky=$(jq -r '.statements[] | select(.name == "spiky") | .queryid' "t$seed.json")
	[ -z "$(grep "^$spiky " "f$seed")" ] || spike_ok=0
done

recall=$(awk -v f="$total_found" -v p="$total_planted" 'BEGIN { printf "%.3f", p ? f / p : 0 }')
false_share=$(awk -v f="$total_false" -v r="$total_reported" 'BEGIN { printf "%.3f", r ? f / r : 1 }')
echo "recall $recall ($total_found of $total_planted planted), not planted $false_share ($total_false of $total_reported reported)" | diag
check "recall of planted patterns is at least 95% ($recall)" \
	awk -v r="$recall" 'BEGIN { exit !(r >= 0.95) }'
check "at most 5% of reported patterns were not planted ($false_share)" \
	awk -v f="$false_share" 'BEGIN { exit !(f <= 0.05) }'
check "one-off spikes never become patterns" [ "$spike_ok" -eq 1 ]
check "every planted pattern carries its metadata" \
	[ "$(jq '[.patterns[] | select(.metadata.recurrence == null or .metadata.height == null or .confidence > 1 or .confidence < 0)] | length' r11.json)" = 0 ]

# the hours of whole days are read from the daily rows' text; without it (days rolled up
# before schema 4) from the hourly rows: the same patterns either way
check "the daily rows keep their hours' calls" \
	[ "$(sqlite3 h11.db 'SELECT count(*) FROM stmt_days WHERE calls_by_hour IS NULL')" = 0 ]
jq -c '.patterns' r11.json >with-text
sqlite3 h11.db 'UPDATE stmt_days SET calls_by_hour = NULL' || bail_out "sqlite3 failed"
"$PGMLTOP_BIN" --report=json -H h11.db --days 28 --until 2026-11-26T10 |
	jq -c '.patterns' >without-text
check "the same patterns from the hourly rows alone" cmp -s with-text without-text

# too little history: no patterns, and the report says why
printf 'days = 3\nfiller = 5\n' >short.spec
"$PGMLTOP_BIN" --simulate=short.spec -H short.db >/dev/null 2>&1
"$PGMLTOP_BIN" --report=json -H short.db --days 7 >short.json 2>/dev/null
is "with 3 days of history no pattern is reported" "$(jq '.patterns | length' short.json)" 0
check "and the report says why" \
	grep -q '"patterns_note": "fewer days of history than hour-of-day patterns need"' short.json

done_testing
