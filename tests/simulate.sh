#!/bin/sh
# The simulator (--simulate): its history, read back through SQLite and through pgmltop,
# reproduces the spec (planted peaks at their hours, totals within the spec's noise, the
# N+1 fan-out, the regression, the settings change and its effect, the spike), the same
# seed makes the same file, and bad specs and command lines are refused clearly.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq cmp timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

tap_tmpdir
trap 'rm -rf "$TAP_TMP"' EXIT
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
XDG_DATA_HOME=$TAP_TMP/xdg
XDG_CONFIG_HOME=$TAP_TMP/config
TZ=UTC
export HOME XDG_DATA_HOME XDG_CONFIG_HOME TZ
mkdir "$HOME"

OUT=$TAP_TMP/stdout
ERR=$TAP_TMP/stderr

run() {
	timeout 120 "$PGMLTOP_BIN" "$@" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

show() {
	{
		echo "exit status: $rc"
		echo "stdout:"
		head -n 10 "$OUT" | cut -c 1-200
		echo "stderr:"
		head -n 10 "$ERR" | cut -c 1-300
	} | diag
}

# near NAME GOT WANT TOLERANCE: one test point, |GOT - WANT| <= TOLERANCE * |WANT|.
near() {
	if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN {
		if (g !~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) exit 1
		d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w
		exit !(d <= t * a) }'; then
		ok "$1 ($2, expected $3)"
	else
		not_ok "$1"
		printf 'got:  %s\nwant: %s (within %s)\n' "$2" "$3" "$4" | diag
	fi
}

cat >spec <<'EOF'
# A spec for the test: every kind of planted behaviour once.
seed = 7
days = 21
end = 2026-11-23
filler = 40

[statement orders]
text = SELECT * FROM orders WHERE customer_id = $1
calls = 600
mean_ms = 0.5
spread = 0.1
noise = 0.05
rows = 20
daily_peak = 9 4 0.9
weekly_peak = mon 14 3
quiet = 1-5 0.2
regression = 15 10 3

[statement order_items]
text = SELECT * FROM order_items WHERE order_id = $1
parent = orders
fanout = 20
mean_ms = 0.05

[statement flat]
text = SELECT id FROM accounts WHERE id = $1
calls = 1000
mean_ms = 2
spread = 0.2
noise = 0.1

[statement report]
text = SELECT date_trunc('day', created_at), sum(total) FROM orders GROUP BY 1 ORDER BY 1
calls = 2
mean_ms = 800
spread = 0
noise = 0
temp = 500
spike = 10 3 30

[setting work_mem]
before = 4096
after = 65536
unit = kB
day = 18
hour = 12
effect = report 0.4
EOF

run --simulate=spec -H h.db --truth=truth.json
check "the simulator exits 0" [ "$rc" -eq 0 ] || show
check "it says what it simulated" grep -q '^simulated 21 days (2026-11-02 00:00 to 2026-11-23 00:00) of 44 statements' "$OUT"
check "the history file is private (0600)" [ "$(stat -c %a h.db)" = 600 ]
check "the history passes integrity_check" [ "$(sq h.db 'PRAGMA integrity_check')" = ok ]
check "the truth file is JSON and says it is simulated" \
	[ "$(jq -r '.simulated' truth.json 2>/dev/null)" = true ]
check "the truth lists each kind planted" [ "$(jq -r '[.planted[].type] | unique | join(",")' truth.json)" = \
	"daily_peak,n_plus_one,quiet,regression,setting_change,spike,weekly_peak" ]
check "the history is marked as simulated" \
	[ "$(sq h.db "SELECT count(*) FROM events WHERE kind = 'simulated'")" = 1 ]

qid() { jq -r --arg n "$1" '.statements[] | select(.name == $n) | .queryid' truth.json; }
ORDERS=$(qid orders)
ITEMS=$(qid order_items)
FLAT=$(qid flat)
REPORT=$(qid report)
check "query ids come from the texts" [ -n "$ORDERS" ] && [ -n "$REPORT" ]

# calls of a statement in rolled-up hours (and the raw hour not rolled up yet), by SQL
hourly() { # QUERYID WHERE-CLAUSE-ON-h (h is epoch seconds of the hour)
	sq h.db "SELECT sum(calls) FROM (
		SELECT hour * 3600 AS h, calls FROM stmt_hourly WHERE queryid = $1
		UNION ALL SELECT CAST(s.ts / 3600 AS INTEGER) * 3600, d.calls FROM stmt_deltas d
		JOIN samples s ON s.id = d.sample_id WHERE d.queryid = $1
		AND s.ts >= (SELECT (hour + 1) * 3600 FROM rollup_state)) WHERE $2"
}
hod() { echo "CAST(strftime('%H', h, 'unixepoch') AS INTEGER) = $1"; }
dow() { echo "CAST(strftime('%w', h, 'unixepoch') AS INTEGER) = $1"; }

# the daily peak: hour 9 against hour 10, on the days it was planted
planted=$(jq '.planted[] | select(.type == "daily_peak") | .planted' truth.json)
chances=$(jq '.planted[] | select(.type == "daily_peak") | .chances' truth.json)
h9=$(hourly "$ORDERS" "$(hod 9) AND NOT ($(dow 1))")
h10=$(hourly "$ORDERS" "$(hod 10) AND NOT ($(dow 1))")
want=$(awk -v p="$planted" -v c="$chances" 'BEGIN { printf "%.4f", (4 * p + (c - p)) / c }')
near "the daily peak stands out at 09:00 as planted" \
	"$(awk -v a="$h9" -v b="$h10" 'BEGIN { printf "%.4f", a / b }')" "$want" 0.08
check "the daily peak was planted on most days (recurrence 0.9)" \
	[ "$planted" -ge 15 ] && [ "$planted" -lt "$chances" ]
# the weekly peak: Mondays 14:00 against Mondays 13:00
m14=$(hourly "$ORDERS" "$(hod 14) AND $(dow 1)")
m13=$(hourly "$ORDERS" "$(hod 13) AND $(dow 1)")
near "the weekly peak stands out on Mondays at 14:00" \
	"$(awk -v a="$m14" -v b="$m13" 'BEGIN { printf "%.4f", a / b }')" 3 0.08
t14=$(hourly "$ORDERS" "$(hod 14) AND $(dow 2)")
t13=$(hourly "$ORDERS" "$(hod 13) AND $(dow 2)")
near "and not on Tuesdays" "$(awk -v a="$t14" -v b="$t13" 'BEGIN { printf "%.4f", a / b }')" 1 0.08
q3=$(hourly "$ORDERS" "$(hod 3) AND NOT ($(dow 1))")
near "the quiet hours have a fifth of the calls" \
	"$(awk -v a="$q3" -v b="$h10" 'BEGIN { printf "%.4f", a / b }')" 0.2 0.1

# totals within the noise of the spec: 21 days of 1,000 calls an hour, 2 ms each
# hourly rows up to the rollup mark, raw rows after it (raw rows are kept two days)
after_mark="JOIN samples s ON s.id = d.sample_id WHERE s.ts >= (SELECT (hour + 1) * 3600 FROM rollup_state)"
fc=$(sq h.db "SELECT sum(calls) FROM (SELECT calls FROM stmt_hourly WHERE queryid = $FLAT
	UNION ALL SELECT d.calls FROM stmt_deltas d $after_mark AND d.queryid = $FLAT)")
near "the calls of a flat statement add up to the spec" "$fc" 504000 0.02
fm=$(sq h.db "SELECT sum(total_ms) / sum(calls) FROM (SELECT calls, total_ms FROM stmt_hourly
	WHERE queryid = $FLAT UNION ALL SELECT d.calls, d.total_ms FROM stmt_deltas d $after_mark
	AND d.queryid = $FLAT)")
near "its mean time is the spec's" "$fm" 2 0.05

# N+1: the child runs fanout times per call of the parent, hour by hour
worst=$(sq h.db "SELECT max(abs(c.calls * 1.0 / p.calls - 20) / 20) FROM stmt_hourly p
	JOIN stmt_hourly c ON c.hour = p.hour AND c.queryid = $ITEMS WHERE p.queryid = $ORDERS
	AND p.calls > 0")
check "the N+1 child follows its parent's calls, fan-out 20 in every hour (worst $worst)" \
	awk -v w="$worst" 'BEGIN { exit !(w ~ /^[0-9.eE-]+$/ && w < 0.1) }'

# the regression: mean time of orders in the week after against the week before
rts=$(jq '.planted[] | select(.type == "regression") | .ts' truth.json)
mean_between() { # QUERYID FROM TO
	sq h.db "SELECT sum(total_ms) / sum(calls) FROM stmt_hourly WHERE queryid = $1
		AND hour * 3600 >= $2 AND hour * 3600 < $3"
}
before=$(mean_between "$ORDERS" $((rts - 7 * 86400)) "$rts")
after=$(mean_between "$ORDERS" "$rts" $((rts + 5 * 86400)))
near "the regression triples the mean time from its day on" \
	"$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.4f", a / b }')" 3 0.05
check "the truth gives the figures before and after" \
	[ "$(jq '.planted[] | select(.type == "regression") | .mean_ms_after / .mean_ms_before' truth.json)" = 3 ]

# the settings change: stored at its time, and its effect on the report's mean time
sts=$(jq '.planted[] | select(.type == "setting_change") | .ts' truth.json)
check "the settings change is stored at its time" \
	[ "$(sq h.db "SELECT setting FROM settings WHERE name = 'work_mem' AND ts >= $sts ORDER BY ts LIMIT 1")" = 65536 ]
check "the value before is stored too" \
	[ "$(sq h.db "SELECT setting FROM settings WHERE name = 'work_mem' ORDER BY ts LIMIT 1")" = 4096 ]
rb=$(mean_between "$REPORT" $((sts - 3 * 86400)) "$sts")
ra=$(mean_between "$REPORT" "$sts" $((sts + 3 * 86400)))
near "the change's effect: the report's mean time times 0.4" \
	"$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.4f", a / b }')" 0.4 0.01

# the spike: one hour with 30 times the calls
sp=$(jq '.planted[] | select(.type == "spike") | .ts' truth.json)
spike_calls=$(sq h.db "SELECT calls FROM stmt_hourly WHERE queryid = $REPORT AND hour * 3600 = $sp")
next_calls=$(sq h.db "SELECT calls FROM stmt_hourly WHERE queryid = $REPORT AND hour * 3600 = $((sp + 3600))")
is "the spike hour has 30 times the calls" "$spike_calls/$next_calls" "60/2"

# ---- the same seed, the same file ----
run --simulate=spec -H h2.db --truth=truth2.json
check "a second run with the same seed exits 0" [ "$rc" -eq 0 ] || show
check "and makes a byte-identical history" cmp -s h.db h2.db
check "and the same truth" cmp -s truth.json truth2.json
run --simulate=spec -H h3.db --seed=8
check "another seed makes another history" eval '[ "$rc" -eq 0 ] && ! cmp -s h.db h3.db'
check "the filler is seeded too" [ "$(sq h.db 'SELECT sum(calls) FROM stmt_hourly')" != \
	"$(sq h3.db 'SELECT sum(calls) FROM stmt_hourly')" ]

# ---- several servers from one spec ----
printf 'days = 3\nend = 2026-11-23\nservers = 3\nfiller = 10\n[statement a]\ntext = SELECT 1\ncalls = 100\nnoise = 0.1\ndaily_peak = 9 3\n' >many.spec
run --simulate=many.spec -H many.db --truth=many.json
check "servers = 3 simulates three servers" \
	eval '[ "$rc" -eq 0 ] && grep -q "of 11 statements on 3 servers" "$OUT"' || show
is "each with its own key, marked as simulated" \
	"$(sq many.db "SELECT group_concat(s.key, ' ') FROM servers s JOIN events e ON e.server_id = s.id AND e.kind = 'simulated'")" \
	"simulated:simulated-1 simulated:simulated-2 simulated:simulated-3"
is "the truth names the three" "$(jq -r '.server_keys | join(" ")' many.json)" \
	"simulated:simulated-1 simulated:simulated-2 simulated:simulated-3"
peaks=$(sq many.db "SELECT count(*) FROM (SELECT server_id, sum(CASE WHEN hour % 24 = 9 THEN calls END) * 1.0 / sum(CASE WHEN hour % 24 = 10 THEN calls END) AS r FROM stmt_hourly WHERE queryid = $(jq -r '.statements[0].queryid' many.json) GROUP BY server_id) WHERE r BETWEEN 2.3 AND 3.7")
is "the planted peak stands out on every server" "$peaks" 3
check "their noise differs" [ "$(sq many.db "SELECT count(DISTINCT calls) FROM stmt_hourly WHERE hour = (SELECT min(hour) + 12 FROM stmt_hourly) AND queryid = $(jq -r '.statements[0].queryid' many.json)")" -gt 1 ]

# ---- read back through pgmltop ----
cat >now.spec <<'EOF'
days = 3
filler = 5
raw_hours = 2
raw_interval = 300
[statement orders]
text = SELECT * FROM orders WHERE customer_id = $1
calls = 100
EOF
run --simulate=now.spec -H now.db
check "a spec that ends now is simulated" [ "$rc" -eq 0 ] || show
is "the last raw_hours are sampled every raw_interval" \
	"$(sq now.db 'SELECT count(*) FROM samples WHERE interval_s = 300')" 24
run --offline -H now.db --days 7 --top 0
check "--offline lists the simulated statements" grep -q 'SELECT \* FROM orders WHERE customer_id' "$OUT" || show
check "and says the server is simulated" grep -q 'simulated' "$OUT"
run --report=json -H now.db --days 7
check "the JSON report reads the simulated history" \
	[ "$(jq -r '[.statements[].query] | map(select(startswith("SELECT * FROM orders"))) | length' "$OUT" 2>/dev/null)" = 1 ] || show
check "and names the simulated server" [ "$(jq -r '.server.host' "$OUT" 2>/dev/null)" = "simulated (simulated)" ]
# a window of whole days and hours at its edges: daily rows, hourly rows and raw rows
# together count every interval once (the same totals as the hourly rows alone)
printf 'days = 9\nfiller = 30\n[statement orders]\ntext = SELECT * FROM orders WHERE customer_id = $1\ncalls = 100\n' >days.spec
run --simulate=days.spec -H days.db
check "a 9-day history has whole days rolled up" [ "$(sq days.db 'SELECT count(*) FROM stmt_days')" -gt 100 ]
run --report=json -H days.db --days 5
from=$(jq -r '.window.from | fromdateiso8601' "$OUT")
to=$(jq -r '.window.to | fromdateiso8601' "$OUT")
want=$(sq days.db "SELECT sum(calls) || ' ' || printf('%.3f', sum(total_ms)) FROM (
	SELECT calls, total_ms FROM stmt_hourly WHERE hour >= CAST($from / 3600 AS INTEGER)
	 AND hour * 3600 <= $to AND hour <= (SELECT hour FROM rollup_state)
	UNION ALL SELECT d.calls, d.total_ms FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id
	 WHERE s.ts >= max($from, ((SELECT hour FROM rollup_state) + 1) * 3600) AND s.ts <= $to)")
is "the report of 5 days counts each interval once (calls)" \
	"$(jq -r '[.statements[].calls] | add' "$OUT")" "${want% *}"
near "and the same time" "$(jq -r '[.statements[].total_ms] | add' "$OUT")" "${want#* }" 0.000001

# ---- the screen over a simulated history ----
TMUX_BIN=${TMUX_BIN:-$(command -v tmux)}
[ -n "$TMUX_BIN" ] || bail_out "tmux not found (Debian: apt-get install tmux)"
unset TMUX
tm() { "$TMUX_BIN" -L "pgmltop-sim-$$" -f "$TESTS_SRCDIR/tmux.conf" "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TAP_TMP"' EXIT
screen_text() { tm capture-pane -p -t s; }
shows() { screen_text | grep -qF -- "$1"; }
poll_shows() { # SECONDS TEXT
	p_n=$(($1 * 10))
	while [ "$p_n" -gt 0 ]; do
		shows "$2" && return 0
		sleep 0.1
		p_n=$((p_n - 1))
	done
	echo "timed out waiting for: $2" | diag
	screen_text | diag
	return 1
}
tm new-session -d -s s -x 160 -y 30 env TERM=screen LC_ALL=C.UTF-8 HOME="$HOME" \
	XDG_DATA_HOME="$XDG_DATA_HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" PGMLTOP_CONFIG= TZ=UTC \
	"$PGMLTOP_BIN" --offline --no-color -H "$TAP_TMP/now.db"
check "--offline on a terminal lists the simulated statements" \
	poll_shows 10 'SELECT * FROM orders WHERE customer_id'
check "the window line says the history is simulated" \
	poll_shows 5 '[SIMULATED before'
tm send-keys -t s w
check "w: the next window, read again, still says it is simulated" \
	poll_shows 5 'Window: last hour'
check "the last hour lists the raw samples of the simulated server" \
	poll_shows 10 'SELECT * FROM orders WHERE customer_id'
# the mouse (X10 reports, as TERM=screen's kmous): a click selects a row, a double click
# opens it, a click on the key bar presses its key
click_seq() { # X Y (from 0): a press and a release of button 1
	printf '\033[M %b%b\033[M#%b%b' "\\$(printf %o $(($1 + 33)))" "\\$(printf %o $(($2 + 33)))" \
		"\\$(printf %o $(($1 + 33)))" "\\$(printf %o $(($2 + 33)))"
}
# the first reversed row below the column titles (row 3, reversed too without colours)
selected_row() { tm capture-pane -p -e -t s | awk 'NR > 4 && index($0, "\033[7m") { print NR - 1; exit }'; }
tm send-keys -t s -l "$(click_seq 30 6)"
sleep 0.3
is "a click on a list row selects that row" "$(selected_row)" 6
tm send-keys -t s -l "$(click_seq 30 7)$(click_seq 30 7)"
check "a double click opens the statement's pane" poll_shows 5 'History (last'
tm send-keys -t s Escape
check "Esc goes back to the list" poll_shows 5 'QUERYID'
tm send-keys -t s -l "$(click_seq 2 29)"
check "a click on F1Help in the key bar opens the help" poll_shows 5 'pgmltop help'
tm send-keys -t s q q

# ---- refusals ----
run --simulate=spec -H h.db
check "a file that holds the span already is refused (exit 1)" [ "$rc" -eq 1 ] || show
check "with a message that says why" grep -q "holds history of server simulated:simulated until 2026-11-22 23:59, after the simulated start" "$ERR"
check "and the file is left as it was" cmp -s h.db h2.db

sed 's/^end = .*/end = 2026-11-10/' spec >early.spec
run --simulate=early.spec -H h.db
check "so is a span that begins before the history of that server ends" \
	eval '[ "$rc" -eq 1 ] && grep -q "after the simulated start" "$ERR" && cmp -s h.db h2.db'

printf 'days = 2\nend = 2026-11-23T05:00\n[statement a]\ntext = SELECT 1\nspike = 1 2 5\n' >early-spike.spec
run --simulate=early-spike.spec -H spike.db
check "a spike before the first simulated hour is refused" \
	eval '[ "$rc" -eq 1 ] && grep -q "spike on day 1 at 02:00 is not a simulated hour (day 1 starts at 05:00" "$ERR"' || show

# a statement called once an hour, sampled every 5 minutes, keeps all its blocks
printf 'days = 1\nend = 2026-11-23\ninterval = 300\n[statement rare]\ntext = SELECT 2\ncalls = 1\nnoise = 0\ntemp = 3000\nrows = 7\n' >rare.spec
run --simulate=rare.spec -H rare.db
is "rows and blocks go with the calls of each sample" \
	"$(sq rare.db "SELECT sum(calls) || ' ' || sum(rows) || ' ' || sum(temp_blks_written) FROM stmt_deltas")" "24 168 72000"

printf 'days = 3\n\n[statement a]\ntext = SELECT 1\nparent = nobody\n' >bad.spec
run --simulate=bad.spec -H bad.db
check "a bad spec exits 1" [ "$rc" -eq 1 ]
check "naming the file and line" grep -q '^pgmltop: bad.spec:5: parent: there is no statement .nobody.' "$ERR" || show
check "and writes no history" [ ! -e bad.db ]
run --simulate=missing.spec -H x.db
check "a missing spec exits 1 with a message" \
	eval '[ "$rc" -eq 1 ] && grep -q "cannot read the spec missing.spec" "$ERR"'
run --simulate=spec
check "--simulate without -H is a usage error (exit 2)" \
	eval '[ "$rc" -eq 2 ] && grep -q "name its file with -H" "$ERR"'
run --simulate=spec -H y.db -h localhost
check "--simulate with connection options is a usage error" \
	eval '[ "$rc" -eq 2 ] && grep -q "connects to no server" "$ERR"'
run --seed=3 -H y.db --offline
check "--seed without --simulate is a usage error" [ "$rc" -eq 2 ]
run --simulate=spec -H y.db --seed=-1
check "a negative seed is a usage error" [ "$rc" -eq 2 ]
run --simulate=spec --batch -H y.db
check "--simulate with --batch is a usage error" [ "$rc" -eq 2 ]

done_testing
