#!/bin/sh
# Forecasts scored on a held-out week: histories of five weeks simulated from
# tests/data/forecast.sim (growth, decline, daily and weekly seasons, noise, a change of
# mean time) with several seeds; the report ends a week before the history does
# (--until), and its forecasts are compared with that last week as the history holds it.
# Over all seeds and series the 80% interval must cover 75% to 85% of the held-out hours;
# the planted statements' calls must beat the seasonal naive forecast (MASE < 1, and a
# smaller error on the held-out week than the value a week before).
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq timeout awk; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

TMUX_BIN=${TMUX_BIN:-$(command -v tmux)}
unset TMUX

tap_tmpdir
tm() {
	"$TMUX_BIN" -L "pgmltop-forecast-$$" -f "$TESTS_SRCDIR/tmux.conf" "$@"
}
cleanup() {
	[ -z "$TMUX_BIN" ] || tm kill-server >/dev/null 2>&1
	rm -rf "$TAP_TMP"
}
trap cleanup EXIT
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
TZ=UTC
export HOME TZ
mkdir "$HOME"

SPEC=$TESTS_SRCDIR/data/forecast.sim
# the spec's end, and a week before it: the report's end
UNTIL=2026-11-22
UNTIL_HOUR=$(($(date -u -d "$UNTIL" +%s) / 3600))
SEEDS="1 2 3 4"

# heldout SEED: one line per forecast compared with the week after it:
# "queryid metric hours sum|f-y| sum|naive-y| in80 in95 naive_mae"
heldout() {
	jq -r '.forecasts[] | select(.status == "ok") |
		(.queryid // "server") as $q | .metric as $m | .backtest.naive_mae as $s |
		.points[] | [$q, $m, ((.t | fromdateiso8601) / 3600), .value, .low, .high,
			     .low95, .high95, $s] | @csv' "r$1.json" >"f$1.csv"
	sqlite3 -batch "h$1.db" <<EOF
CREATE TEMP TABLE f (qid TEXT, metric TEXT, hour INTEGER, value REAL, low REAL, high REAL,
		     low95 REAL, high95 REAL, naive_mae REAL);
.mode csv
.import f$1.csv f
.mode list
.separator ' '
CREATE TEMP TABLE act AS SELECT queryid, hour, sum(calls) AS c, sum(total_ms) AS t
	FROM stmt_hourly GROUP BY queryid, hour;
CREATE TEMP TABLE y AS
	SELECT CAST(queryid AS TEXT) AS qid, 'calls' AS metric, hour, c AS y FROM act
	UNION ALL SELECT CAST(queryid AS TEXT), 'mean_ms', hour, t / c FROM act WHERE c > 0
	UNION ALL SELECT 'server', 'calls', hour, sum(c) FROM act GROUP BY hour
	UNION ALL SELECT 'server', 'total_ms', hour, sum(t) FROM act GROUP BY hour;
CREATE INDEX y_key ON y (qid, metric, hour);
SELECT f.qid, f.metric, count(*), sum(abs(f.value - a.y)), sum(abs(b.y - a.y)),
	sum(a.y >= f.low AND a.y <= f.high), sum(a.y >= f.low95 AND a.y <= f.high95),
	max(f.naive_mae)
FROM f JOIN y a ON a.qid = f.qid AND a.metric = f.metric AND a.hour = f.hour
	JOIN y b ON b.qid = f.qid AND b.metric = f.metric AND b.hour = f.hour - 168
GROUP BY f.qid, f.metric ORDER BY f.qid, f.metric;
EOF
}

: >all
: >planted
for seed in $SEEDS; do
	timeout 120 "$PGMLTOP_BIN" --simulate="$SPEC" --seed="$seed" -H "h$seed.db" \
		--truth="t$seed.json" >/dev/null 2>"err$seed" ||
		{ diag <"err$seed"; bail_out "the simulation failed"; }
	timeout 120 "$PGMLTOP_BIN" --report=json -H "h$seed.db" --days 28 --until "$UNTIL" \
		>"r$seed.json" 2>"err$seed" || { diag <"err$seed"; bail_out "the report failed"; }
	heldout "$seed" >"held$seed" || bail_out "sqlite3 failed on seed $seed"
	cat "held$seed" >>all
	for name in growing weekly declining slower; do
		q=$(jq -r --arg n "$name" '.statements[] | select(.name == $n) | .queryid' "t$seed.json")
		awk -v q="$q" -v n="$name" -v s="$seed" '$1 == q && $2 == "calls" { print n, s, $0 }' \
			"held$seed" >>planted
	done
done

r=r1.json
n_stmts=$(jq '[.statements[].queryid] | unique | length' "$r")
want=$((2 + 2 * (n_stmts < 20 ? n_stmts : 20)))
is "the server's two series and two of each of the first 20 statements are forecast" \
	"$(jq '.forecasts | length' "$r")" "$want"
is "every series has a forecast of 168 points" \
	"$(jq '[.forecasts[] | select(.status != "ok" or .horizon_hours != 168 or (.points | length) != 168)] | length' "$r")" 0
is "the first point is the hour the report ends" \
	"$(jq -r '[.forecasts[].points[0].t] | unique | join(" ")' "$r")" "${UNTIL}T00:00:00Z"
is "the points are hourly" \
	"$(jq '[.forecasts[] | .points | to_entries[] | select((.value.t | fromdateiso8601) != (.key * 3600 + '"$UNTIL_HOUR"' * 3600))] | length' "$r")" 0
is "low <= value <= high, inside low95 and high95, everywhere" \
	"$(jq '[.forecasts[].points[] | select(.low > .value or .value > .high or .low95 > .low or .high > .high95 or .low < 0)] | length' "$r")" 0
is "each has its backtest: mape, coverage, mase, bias and its model" \
	"$(jq '[.forecasts[] | select((.backtest.mape | type) != "number" or (.backtest.coverage | type) != "number" or (.backtest.mase | type) != "number" or (.backtest.bias | type) != "number" or .backtest.origins < 7 or .backtest.origins > 14 or (.model | IN("seasonal_naive", "regression", "holt_winters") | not))] | length' "$r")" 0
is "no model's backtest coverage of the 80% interval is outside 0.65 to 0.92" \
	"$(jq '[.forecasts[] | select(.backtest.coverage < 0.65 or .backtest.coverage > 0.92 or .flagged)] | length' "$r")" 0
is "queryid is a string, or null for the whole server" \
	"$(jq -r '[.forecasts[] | .queryid | type] | unique | join(",")' "$r")" "null,string"

# the statement made three times slower on day 10: its mean time is fitted after it
slower=$(jq -r '.statements[] | select(.name == "slower") | .queryid' t1.json)
is "a change of mean time restricts that series' fit to the hours after it" \
	"$(jq -r --arg q "$slower" '.forecasts[] | select(.queryid == $q and .metric == "mean_ms") | "\(.restricted) \(.fit_from)"' "$r")" \
	"true 2026-11-03T12:00:00Z"
is "and not that of its calls" \
	"$(jq -r --arg q "$slower" '.forecasts[] | select(.queryid == $q and .metric == "calls") | .restricted' "$r")" false

# capacity: the statement growing 2% a day (its time doubles in 35 days)
grow_ok=1
for seed in $SEEDS; do
	q=$(jq -r '.statements[] | select(.name == "growing") | .queryid' "t$seed.json")
	jq -r --arg q "$q" '.findings[] | select(.rule == "forecast_growth" and .queryid == $q) |
		"seed '"$seed"': \(.title) (\(.evidence.model), MASE \(.evidence.mase))"' "r$seed.json" >g
	diag <g
	[ -s g ] || grow_ok=0
done
check "forecast_growth is found for the growing statement with every seed" [ "$grow_ok" -eq 1 ]
is "forecast findings carry the model, mase, coverage and horizon" \
	"$(jq '[.findings[] | select(.category == "forecast") | select(.evidence.model == null or .evidence.mase == null or .evidence.coverage == null or .evidence.horizon == null)] | length' r1.json)" 0
is "no statement that does not grow is said to" \
	"$(for seed in $SEEDS; do
		q=$(jq -r '.statements[] | select(.name == "growing") | .queryid' "t$seed.json")
		jq --arg q "$q" '[.findings[] | select(.rule == "forecast_growth" and .queryid != $q)] | length' "r$seed.json"
	done | sort -u | tr '\n' ' ')" "0 "

# the held-out week
awk '{ printf "%s %s %s: %s %s hours, MASE %.3f, vs naive %.3f, 80%% %.3f, 95%% %.3f\n",
	$1, $2, $3, $4, $5, $6 / $5 / $10, $6 / $7, $8 / $5, $9 / $5 }' planted | diag
awk '{ n += $3; in80 += $6; in95 += $7 } END {
	printf "all %d series of %d seeds, %d held-out hours: 80%% interval coverage %.3f, 95%% %.3f\n",
		NR, '"$(echo $SEEDS | wc -w)"', n, in80 / n, in95 / n }' all | diag
cov=$(awk '{ n += $3; c += $6 } END { printf "%.3f", c / n }' all)
cov95=$(awk '{ n += $3; c += $7 } END { printf "%.3f", c / n }' all)
check "the 80% interval covers 75% to 85% of the held-out hours ($cov)" \
	awk -v c="$cov" 'BEGIN { exit !(c >= 0.75 && c <= 0.85) }'
check "the 95% interval covers at least 88% of them ($cov95)" \
	awk -v c="$cov95" 'BEGIN { exit !(c >= 0.88) }'
mase=$(awk '{ s += $6 / $5 / $10 } END { printf "%.3f", s / NR }' planted)
check "the planted statements' calls: mean held-out MASE below 1 ($mase)" \
	awk -v m="$mase" 'BEGIN { exit !(m < 1) }'
check "each beats the seasonal naive forecast on its held-out week" \
	[ "$(awk '$6 >= $7' planted | wc -l)" -eq 0 ]
check "and its backtest MASE is below 1" \
	[ "$(for seed in $SEEDS; do
		jq -r '.statements[] | select(.name | IN("growing", "weekly", "declining", "slower")) | .queryid' "t$seed.json" |
		while read -r q; do
			jq --arg q "$q" '.forecasts[] | select(.queryid == $q and .metric == "calls") | .backtest.mase >= 1' "r$seed.json"
		done
	done | grep -c true)" -eq 0 ]

# the same history gives the same forecasts
"$PGMLTOP_BIN" --report=json -H h1.db --days 28 --until "$UNTIL" | jq -c '.forecasts' >again
jq -c '.forecasts' r1.json >first
check "the forecasts are the same from one run to the next" cmp -s first again

# too little history: learning, no numbers
printf 'days = 10\nend = 2026-11-22\nfiller = 5\n' >short.sim
"$PGMLTOP_BIN" --simulate=short.sim -H short.db >/dev/null 2>&1 || bail_out "the short simulation failed"
"$PGMLTOP_BIN" --report=json -H short.db --days 7 --until "$UNTIL" >short.json 2>/dev/null ||
	bail_out "the short report failed"
# (the last hour of a simulated history is kept raw, not rolled up: 239 hours)
is "with 10 days of history every forecast is learning, with no points" \
	"$(jq -r '[.forecasts[] | "\(.status) \(.points | length) \(.hours) \(.hours_needed)"] | unique | join(",")' short.json)" \
	"learning 0 239 336"
is "and the backtest says nothing" \
	"$(jq -c '[.forecasts[].backtest] | unique' short.json)" '[{"mape":null,"coverage":null}]'


# the statement's pane: the chart of its last week and the forecast, as in the report.
# The list of statements shows the last days before now, so these histories end at the
# current hour (the spec without its end); the pane's analyses end where the history does.
# screen_of S DB TEXT: the offline screen of DB in a new session S, on the first
# statement's pane, showing TEXT
screen_of() {
	tm new-session -d -s "$1" -x 110 -y 50 \
		env TERM=screen HOME="$HOME" TZ=UTC LC_ALL=C.UTF-8 "$PGMLTOP_BIN" --offline \
		-H "$TAP_TMP/$2" --days 28
	wait_until 10 sh -c '"$0" -L "pgmltop-forecast-$1" capture-pane -p -t "$2" | grep -q " of [1-9][0-9]* statements"' \
		"$TMUX_BIN" "$$" "$1" || return 1
	tm send-keys -t "$1" Enter
	wait_until 10 sh -c '"$0" -L "pgmltop-forecast-$1" capture-pane -p -t "$2" | grep -q "^ *Statement "' \
		"$TMUX_BIN" "$$" "$1" || return 1
	tm send-keys -t "$1" End
	wait_until 10 sh -c '"$0" -L "pgmltop-forecast-$1" capture-pane -p -t "$2" | grep -q "$3"' \
		"$TMUX_BIN" "$$" "$1" "$3"
}
if [ -z "$TMUX_BIN" ]; then
	ok "# SKIP tmux not found: the statement's pane is not checked"
else
	sed '/^end = /d' "$SPEC" >now.sim
	"$PGMLTOP_BIN" --simulate=now.sim -H now.db >now.out 2>&1 || { diag <now.out; bail_out "the simulation failed"; }
	# its end, "... to 2026-12-03 08:00) ...", as --until
	now_end=$(sed -n 's/^simulated [0-9]* days ([^)]* to \([0-9-]*\) \([0-9]*\):00).*/\1T\2/p' now.out)
	"$PGMLTOP_BIN" --report=json -H now.db --days 28 --until "$now_end" >rnow.json 2>err ||
		{ diag <err; bail_out "the report failed"; }
	if screen_of f now.db "busiest hour ahead"; then
		tm capture-pane -p -t f >pane
		sed -n '/^ *Forecast$/,/busiest hour ahead/p' pane | diag
		q=$(sed -n 's/^ *Statement \(-*[0-9]*\).*/\1/p' pane)
		want=$(jq -r --arg q "$q" '.forecasts[] | select(.queryid == $q and .metric == "calls") |
			"calls/h, model \(.model): backtest MASE \(.backtest.mase * 100 | round / 100)"' rnow.json)
		got=$(sed -n 's/^ *\(calls\/h, model [a-z_]*: backtest MASE [0-9.]*\),.*/\1/p' pane |
			sed 's/\(MASE [0-9]*\.[0-9]\)0$/\1/; s/\(MASE [0-9]*\)\.0$/\1/')
		is "the pane shows the statement's forecast with the report's model and MASE" "$got" "$want"
		check "with its chart: 6 rows of the past week and of the next" \
			[ "$(sed -n '/^ *Forecast$/,/busiest/p' pane | grep -c '|.*|[ o:]*$')" -eq 6 ]
	else
		not_ok "the pane shows the statement's forecast"
		tm capture-pane -p -t f | diag
	fi
	printf 'days = 10\nfiller = 5\n' >shortnow.sim
	"$PGMLTOP_BIN" --simulate=shortnow.sim -H shortnow.db >/dev/null 2>&1 ||
		bail_out "the short simulation failed"
	if screen_of g shortnow.db "learning ("; then
		tm capture-pane -p -t g >pane
		check "with 10 days of history the pane says it is learning" \
			grep -q '^ *learning ([0-9]* of 336 hours)' pane
	else
		not_ok "with 10 days of history the pane says it is learning"
		tm capture-pane -p -t g | diag
	fi
fi

done_testing
