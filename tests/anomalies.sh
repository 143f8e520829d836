#!/bin/sh
# Anomalies and regressions scored against the simulator's truth: four-week histories with
# one-off spikes of calls (4 to 20 times), regressions of the mean time (1.5 to 4 times, at
# various days and hours), daily and weekly peaks, quiet hours and weekdays that must not
# become anomalies, and background statements with nothing planted, over several seeds.
# Every spike must be found as an anomaly of its statement (and not as a pattern), every
# regression as a regression of its statement starting within a day of the planted hour,
# and at most a small share of the reported findings may match nothing planted.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

tap_tmpdir
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TAP_TMP"' EXIT
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
TZ=UTC
export HOME TZ
mkdir "$HOME"

# pick SEED K LO N: a number from LO to LO + N - 1 for the K-th planted thing of a seed
pick() {
	echo $(($3 + ($1 * 7919 + $2 * 104729) % $4))
}

# spec SEED: four weeks ending at END (the report reads up to it with --until). Days
# 2 to 28 are whole; regressions come on days 6 to 26, so that three days at least have
# the old level and two the new one.
# The window's end, fixed, so that a run does not depend on the day or the hour.
END=2026-11-26T10

spec() {
	s=$1
	cat <<EOF
seed = $s
end = $END
days = 28
filler = 100
filler_calls = 40

[statement orders]
text = SELECT * FROM orders WHERE customer_id = \$1
calls = 400
noise = 0.1
daily_peak = 9 3
quiet = 0-5 0.25
spike = $(pick "$s" 1 2 27) $(pick "$s" 2 0 24) 4

[statement monday]
text = SELECT sum(total) FROM orders WHERE week = \$1
calls = 200
noise = 0.1
weekly_peak = mon 10 2.5
spike = $(pick "$s" 3 2 27) $(pick "$s" 4 0 24) 8

[statement weekend]
text = SELECT * FROM sessions WHERE user_id = \$1
calls = 500
noise = 0.1
weekday = sat 0.4
weekday = sun 0.4
weekly_peak = fri 16 3

[statement spiky]
text = SELECT count(*) FROM big_table
calls = 100
noise = 0.1
spike = $(pick "$s" 5 2 13) $(pick "$s" 6 0 24) 20
spike = $(pick "$s" 7 15 13) $(pick "$s" 8 0 24) 6

[statement bursty]
text = SELECT * FROM events WHERE kind = \$1 ORDER BY at DESC LIMIT 50
calls = 60
noise = 0.15
mean_ms = 3
spread = 0.1
spike = $(pick "$s" 9 2 27) $(pick "$s" 10 0 24) 12

[statement slower]
text = SELECT * FROM reports WHERE id = \$1
calls = 200
noise = 0.1
mean_ms = 5
spread = 0.1
regression = $(pick "$s" 11 6 21) $(pick "$s" 12 0 24) 2.5

[statement slightly_slower]
text = UPDATE stock SET reserved = reserved + \$1 WHERE item = \$2
calls = 120
noise = 0.1
mean_ms = 1
spread = 0.1
daily_peak = 14 2
regression = $(pick "$s" 13 6 21) $(pick "$s" 14 0 24) 1.5

[statement much_slower]
text = SELECT * FROM invoices WHERE account_id = \$1
calls = 40
noise = 0.15
mean_ms = 20
spread = 0.15
regression = $(pick "$s" 15 6 21) $(pick "$s" 16 0 24) 4

[statement weekly_slower]
text = INSERT INTO audit (who, what) VALUES (\$1, \$2)
calls = 300
noise = 0.1
mean_ms = 0.5
spread = 0.05
weekly_peak = thu 11 2
regression = $(pick "$s" 17 6 21) $(pick "$s" 18 0 24) 1.8
spike = $(pick "$s" 19 2 27) $(pick "$s" 20 0 24) 5
EOF
}

# score TRUTH REPORT: one line per planted spike or regression and per unmatched finding:
#   spike QUERYID TS found|missed, pattern QUERYID TS (a pattern at a spike's hour, where
#   no peak was planted),
#   regression QUERYID TS OFFSET_HOURS|missed, false RULE QUERYID FROM
score() {
	jq -r -n --slurpfile t "$1" --slurpfile r "$2" '
		($t[0].planted) as $p |
		[$r[0].findings[] | select(.category == "anomaly" or .category == "regression") |
		 . + {f: (.from | fromdateiso8601), e: (.to | fromdateiso8601)}] as $fs |
		[$r[0].patterns[] | select(.queryid != null)] as $pats |
		def covers($s): .f <= $s.ts and $s.ts < .e;
		def spikes: [$p[] | select(.type == "spike")];
		def regressions: [$p[] | select(.type == "regression")];
		def wday($ts): ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][(($ts / 86400 | floor) + 4) % 7];
		(spikes[] as $s |
			if any($fs[]; .rule == "anomaly_calls" and .queryid == $s.queryid and covers($s))
			then "spike \($s.queryid) \($s.ts) found" else "spike \($s.queryid) \($s.ts) missed" end,
			(select(any($pats[]; .queryid == $s.queryid and .metadata.hour == $s.hour and
				(.pattern_type == "hour_peak" or (.pattern_type == "hour_of_week_peak" and
				 .metadata.weekday == wday($s.ts)))) and
				(any($p[]; .queryid == $s.queryid and .hour == $s.hour and
				 (.type == "daily_peak" or (.type == "weekly_peak" and .weekday == wday($s.ts)))) | not)) |
			 "pattern \($s.queryid) \($s.ts)")),
		(regressions[] as $g |
			[$fs[] | select(.rule == "regression_mean_time" and .queryid == $g.queryid) |
			 (.f - $g.ts) / 3600] as $off |
			if ($off | length) == 0 then "regression \($g.queryid) \($g.ts) missed"
			else "regression \($g.queryid) \($g.ts) \($off | min_by(fabs))" end),
		($fs[] | select(. as $f |
			(.rule == "anomaly_calls" and any(spikes[]; (.queryid == $f.queryid or $f.queryid == null) and
				. as $s | $f | covers($s))) or
			(.rule == "regression_mean_time" and any(regressions[]; .queryid == $f.queryid and
				((.ts - $f.f) | fabs) <= 86400)) | not) |
			"false \(.rule) \(.queryid) \(.from)")'
}

seeds=${ANOMALY_SEEDS:-11 22 33 44}
first=${seeds%% *}
n_seeds=0
total_spikes=0
total_spikes_found=0
total_regs=0
total_regs_found=0
total_findings=0
total_false=0
as_pattern=0
worst_offset=0
for seed in $seeds; do
	n_seeds=$((n_seeds + 1))
	spec "$seed" >"s$seed.spec"
	timeout 120 "$PGMLTOP_BIN" --simulate="s$seed.spec" -H "h$seed.db" --truth="t$seed.json" \
		>/dev/null 2>"err$seed" || { diag <"err$seed"; bail_out "the simulation failed"; }
	timeout 120 "$PGMLTOP_BIN" --report=json -H "h$seed.db" --days 28 --until "$END" >"r$seed.json" \
		2>"err$seed" || { diag <"err$seed"; bail_out "the report failed"; }
	score "t$seed.json" "r$seed.json" >"score$seed" || bail_out "scoring seed $seed failed"
	spikes=$(grep -c '^spike ' "score$seed")
	spikes_found=$(grep -c '^spike .* found$' "score$seed")
	regs=$(grep -c '^regression ' "score$seed")
	regs_found=$(grep '^regression ' "score$seed" | grep -vc ' missed$')
	findings=$(jq '[.findings[] | select(.rule | test("^(anomaly|regression|improvement)_"))] | length' "r$seed.json")
	false_n=$(grep -c '^false ' "score$seed")
	total_spikes=$((total_spikes + spikes))
	total_spikes_found=$((total_spikes_found + spikes_found))
	total_regs=$((total_regs + regs))
	total_regs_found=$((total_regs_found + regs_found))
	total_findings=$((total_findings + findings))
	total_false=$((total_false + false_n))
	as_pattern=$((as_pattern + $(grep -c '^pattern ' "score$seed")))
	offsets=$(awk '$1 == "regression" && $4 != "missed" { printf "%s%+g", sep, $4; sep = " " }' "score$seed")
	w=$(awk '$1 == "regression" && $4 != "missed" { o = $4 < 0 ? -$4 : $4; if (o > m) m = o } END { print m + 0 }' "score$seed")
	worst_offset=$(awk -v a="$worst_offset" -v b="$w" 'BEGIN { print (b > a ? b : a) }')
	{
		echo "seed $seed: spikes $spikes_found of $spikes, regressions $regs_found of $regs" \
			"(start offsets in hours: ${offsets:-none}), findings $findings, matching nothing planted $false_n"
		grep -E '^(spike .* missed|regression .* missed|pattern |false )' "score$seed" | sed 's/^/  /'
	} | diag
done

recall=$(awk -v f="$((total_spikes_found + total_regs_found))" -v p="$((total_spikes + total_regs))" \
	'BEGIN { printf "%.3f", p ? f / p : 0 }')
false_share=$(awk -v f="$total_false" -v r="$total_findings" 'BEGIN { printf "%.3f", r ? f / r : 1 }')
echo "recall $recall (spikes $total_spikes_found of $total_spikes, regressions $total_regs_found of $total_regs)," \
	"matching nothing planted $false_share ($total_false of $total_findings findings), largest start offset $worst_offset h" | diag

check "$n_seeds seeds simulated, $total_spikes spikes and $total_regs regressions planted" \
	awk -v s="$total_spikes" -v g="$total_regs" -v n="$n_seeds" 'BEGIN { exit !(s >= 6 * n && g >= 4 * n) }'
is "every planted spike is an anomaly of its statement covering the hour" \
	"$total_spikes_found" "$total_spikes"
is "no planted spike is reported as a pattern" "$as_pattern" 0
is "every planted regression is a regression of its statement" "$total_regs_found" "$total_regs"
check "every regression starts within 24 h of the planted hour (largest offset $worst_offset h)" \
	awk -v w="$worst_offset" 'BEGIN { exit !(w <= 24) }'
check "at most 5% of the findings match nothing planted ($false_share)" \
	awk -v f="$false_share" 'BEGIN { exit !(f <= 0.05) }'

# the fields of a finding (of this advisor: the SQL rules have findings of their own),
# and the daily and weekly peaks are patterns, not anomalies
check "every finding has its fields" \
	[ "$(jq '[.findings[] | select(.category == "anomaly" or .category == "regression") |
		select(.rule == null or .from == null or .to == null or
		.observed == null or .expected == null or .low == null or .high == null or
		.confidence == null or .confidence < 0 or .confidence > 1 or
		(.queryid != null and (.queryid | test("^-?[0-9]+$") | not)))] | length' "r$first.json")" = 0 ]
check "a regression's before and after levels are the planted mean times" \
	[ "$(jq -n --slurpfile t "t$first.json" --slurpfile r "r$first.json" '
		[$t[0].planted[] | select(.type == "regression") | . as $g |
		 $r[0].findings[] | select(.rule == "regression_mean_time" and .queryid == $g.queryid) |
		 select(((.expected / $g.mean_ms_before) - 1 | fabs) > 0.1 or
			((.observed / $g.mean_ms_after) - 1 | fabs) > 0.1)] | length')" = 0 ]
orders=$(jq -r '.statements[] | select(.name == "orders") | .queryid' "t$first.json")
check "the daily peak is a pattern of its statement" \
	[ "$(jq --arg q "$orders" '[.patterns[] | select(.queryid == $q and .pattern_type == "hour_peak" and .metadata.hour == 9)] | length' "r$first.json")" = 1 ]

# the hours of whole days are read from the daily rows' text; without the times (days
# rolled up before schema 5) from the hourly rows: the same findings either way
check "the daily rows keep their hours' times" \
	[ "$(sq "h$first.db" 'SELECT count(*) FROM stmt_days WHERE total_us_by_hour IS NULL')" = 0 ]
"$PGMLTOP_BIN" --report=json -H "h$first.db" --days 28 --until "$END" | jq -c '.findings' >with-text
sq "h$first.db" 'UPDATE stmt_days SET total_us_by_hour = NULL' || bail_out "sqlite3 failed"
"$PGMLTOP_BIN" --report=json -H "h$first.db" --days 28 --until "$END" | jq -c '.findings' >without-text
check "the same findings from the hourly rows alone" cmp -s with-text without-text

# too little history: no findings, and the report says why
printf 'days = 3\nfiller = 5\n' >short.spec
"$PGMLTOP_BIN" --simulate=short.spec -H short.db >/dev/null 2>&1
"$PGMLTOP_BIN" --report=json -H short.db --days 7 >short.json 2>/dev/null
is "with 3 days of history no finding is reported" "$(jq '.findings | length' short.json)" 0
check "and the report says why" \
	grep -q '"findings_note": "fewer days of history than anomalies need"' short.json

done_testing
