#!/bin/sh
# The heatmap pane and the drill-down's patterns and findings, on a simulated history,
# offline, through tmux: the heatmap of the whole server appears, the cursor moves, and
# the value under it is the history's (checked against sqlite3 for calls, time and mean
# time, by hour of the week and by day); the heatmap of one statement; the server's
# execution-time pattern in the report; the patterns and
# findings of a statement in its pane; the ramp in ASCII without colours; a tiny
# terminal and back.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"

for tool in sqlite3 jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done
TMUX_BIN=${TMUX_BIN:-$(command -v tmux)}
[ -n "$TMUX_BIN" ] || bail_out "tmux not found (Debian: apt-get install tmux)"
unset TMUX

tap_tmpdir
W=100
H=32
tm() {
	"$TMUX_BIN" -L "pgmltop-heatmap-$$" -f "$TESTS_SRCDIR/tmux.conf" "$@"
}
cleanup() {
	tm kill-server >/dev/null 2>&1
	rm -rf "$TAP_TMP"
}
trap cleanup EXIT
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
mkdir home
TZ=UTC
export TZ

END=2026-11-26T10
END_S=$(date -u -d "$END:00" +%s)
# the whole hours of the 28-day window, as epoch hours
H0=$(((END_S - 28 * 86400) / 3600))
H1=$((END_S / 3600 - 1))

cat >h.spec <<EOF
seed = 5
end = $END
days = 28
filler = 20

[statement morning]
text = SELECT * FROM orders WHERE customer_id = \$1
calls = 400
noise = 0.1
daily_peak = 9 3

[statement monday]
text = SELECT sum(total) FROM orders WHERE week = \$1
calls = 200
noise = 0.1
weekly_peak = mon 10 4

[statement spiky]
text = SELECT count(*) FROM big_table
calls = 100
noise = 0.1
spike = 20 14 30
EOF
"$PGMLTOP_BIN" --simulate=h.spec -H h.db --truth=t.json >/dev/null 2>err ||
	{ diag <err; bail_out "the simulation failed"; }
morning=$(jq -r '.statements[] | select(.name == "morning") | .queryid' t.json)

# start SESSION ENV...: the offline screen of h.db in a new session of W x H.
start() {
	st_s=$1
	shift
	tm new-session -d -s "$st_s" -x "$W" -y "$H" \
		sh -c 'env "$@"; echo $? >"$0"; exec sleep 120' "$TAP_TMP/$st_s.rc" \
		TERM=screen HOME="$TAP_TMP/home" XDG_CONFIG_HOME="$TAP_TMP/config" TZ=UTC "$@" \
		"$PGMLTOP_BIN" --offline -H "$TAP_TMP/h.db" --days 28 --until "$END"
}
S=t
screen() {
	tm capture-pane -p -t "$S"
}
keys() {
	tm send-keys -t "$S" "$@"
}
show() {
	echo "screen of session $S:" | diag
	screen | awk '{ printf "%2d|%s\n", NR - 1, $0 }' | diag
}
# poll SECONDS COMMAND...: until COMMAND succeeds; on timeout show the screen and fail.
poll() {
	p_n=$(($1 * 10))
	shift
	while [ "$p_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		p_n=$((p_n - 1))
	done
	"$@" && return 0
	echo "timed out waiting for: $*" | diag
	show
	return 1
}
on_screen() {
	screen | grep -q -- "$1"
}
# The cursor line's text after "Cursor: ".
cursor() {
	screen | sed -n 's/^Cursor: //p'
}
# value_of TEXT: the number the cursor line shows, in calls or ms.
value_of() {
	echo "$1" | awk '{
		for (i = 1; i < NF && $i !~ /^[0-9][0-9]:00$/; i++)
			;
		v = $(i + 1); unit = $(i + 2)
		m = 1
		if (v ~ /k$/) { m = 1e3; sub(/k$/, "", v) }
		else if (v ~ /M$/) { m = 1e6; sub(/M$/, "", v) }
		if (unit == "s") m = 1e3
		else if (unit == "min") m = 6e4
		else if (unit == "h") m = 3.6e6
		printf "%.6f\n", v * m }'
}
# near A B: A within 0.5% of B (the screen shows four significant digits).
near() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.005 * (b < 0 ? -b : b) + 1e-9) }'
}
# bucket_sql QUERYID_FILTER WEEKDAY HOUR: the hours of that hour of the week in the window
# with each hour's calls and time summed over the statements.
hours_sql() {
	echo "SELECT hour, sum(calls) AS c, sum(total_ms) AS t FROM stmt_hourly
	      WHERE hour BETWEEN $H0 AND $H1 $1 GROUP BY hour"
}

# the report: the server's load (its execution time per hour) peaks with the morning
# statement, a pattern of metric total_ms beside that of the calls
"$PGMLTOP_BIN" --report=json -H h.db --days 28 --until "$END" >r.json 2>err || diag <err
check "--report=json: the server's execution time peaks at 09:00 (metric total_ms)" \
	[ "$(jq '[.patterns[] | select(.queryid == null and .metadata.metric == "total_ms"
		and .pattern_type == "hour_peak" and .metadata.hour == 9)] | length' r.json)" = 1 ]
check "and no statement has a pattern of any metric but calls" \
	[ "$(jq '[.patterns[] | select(.queryid != null and .metadata.metric != "calls")] | length' r.json)" = 0 ]
# --peak-z: a higher bar keeps the planted 3x daily peak and drops the fainter ones
"$PGMLTOP_BIN" --report=json -H h.db --days 28 --until "$END" --peak-z 6 >r6.json 2>err || diag <err
n_default=$(jq '.patterns | length' r.json)
n_high=$(jq '.patterns | length' r6.json)
echo "patterns: $n_default at --peak-z 2.5, $n_high at 6" | diag
check "--peak-z 6 reports fewer patterns ($n_high) than the default ($n_default)" [ "$n_high" -lt "$n_default" ]
check "and still the morning statement's daily peak at 09:00" \
	[ "$(jq --arg q "$morning" '[.patterns[] | select(.queryid == $q and .pattern_type == "hour_peak" and .metadata.hour == 9)] | length' r6.json)" = 1 ]

start t LC_ALL=C.UTF-8
poll 10 on_screen QUERYID || bail_out "the offline screen did not start"
keys H
check "H opens the heatmap of the whole server, calls by hour of the week" \
	poll 10 on_screen "^Heatmap of the whole server: calls per hour, hour x weekday"
# rows 3 to 9 are the weekdays, under a line of the hours
week_rows() {
	screen | awk 'NR == 2 && /^ +00 01 02/ && / 23$/ { h = 1 }
		NR >= 3 && NR <= 9 { d = d substr($0, 1, 3) }
		END { exit !(h && d == "MonTueWedThuFriSatSun") }'
}
# cursor_at TEXT: the cursor line starts with TEXT
cursor_at() {
	case "$(cursor)" in
	"$1 "*) return 0 ;;
	*) return 1 ;;
	esac
}
# the grid's cells: rows 3 to 9 without their labels
grid() {
	screen | sed -n '3,9p' | cut -c5-
}
ascii_grid() {
	[ -n "$(grid | tr -d ' ')" ] && ! grid | grep -q '[^ .:+#-]'
}
colour_grid() {
	tm capture-pane -e -p -t "$S" | sed -n '3,9p' | grep -q '\[4[0-7]m\|;4[0-7]m'
}
check "its rows are the weekdays, Monday first, under the hours 00 to 23" week_rows
check "a legend of the marks" on_screen "^Legend: "
check "with colours, the cells carry a background colour" colour_grid
check "the cursor starts on Monday 00:00, its value below the grid" cursor_at "Mon 00:00"

# to Wednesday 09:00
keys j j l l l l l l l l l
check "arrows and h j k l move the cursor (to Wednesday 09:00)" poll 5 cursor_at "Wed 09:00"
line=$(cursor)
shown=$(value_of "$line")
want=$(sqlite3 h.db "SELECT avg(c), count(*) FROM ($(hours_sql '')) WHERE strftime('%w', hour * 3600, 'unixepoch') = '3' AND hour % 24 = 9")
want_v=${want%|*}
want_n=${want#*|}
echo "Wed 09:00: shown '$line', history $want_v calls per hour over $want_n hours" | diag
check "the value under the cursor is the history's: calls per hour on Wednesdays at 09:00" \
	near "$shown" "$want_v"
case "$line" in
*"(average of $want_n hours)") ok "and it says over how many hours ($want_n)" ;;
*) not_ok "and it says over how many hours ($want_n)" ;;
esac

keys m
poll 5 on_screen "^Heatmap of the whole server: time per hour" || true
line=$(cursor)
shown=$(value_of "$line")
want_v=$(sqlite3 h.db "SELECT avg(t) FROM ($(hours_sql '')) WHERE strftime('%w', hour * 3600, 'unixepoch') = '3' AND hour % 24 = 9")
echo "time: shown '$line', history $want_v ms per hour" | diag
check "m: execution time per hour, the history's" near "$shown" "$want_v"

keys m
poll 5 on_screen "^Heatmap of the whole server: mean time" || true
line=$(cursor)
shown=$(value_of "$line")
want_v=$(sqlite3 h.db "SELECT sum(t) / sum(c) FROM ($(hours_sql '')) WHERE strftime('%w', hour * 3600, 'unixepoch') = '3' AND hour % 24 = 9")
echo "mean: shown '$line', history $want_v ms per call" | diag
check "m again: mean time per call, the history's" near "$shown" "$want_v"

# day by day: the cursor goes to the newest day; one up is the day before
keys v
poll 5 on_screen "^Heatmap of the whole server: mean time, day x hour" || true
keys k
check "v: day x hour, the cursor on the newest days; k: the day before" \
	poll 5 cursor_at "Wed 2026-11-25 09:00"
line=$(cursor)
hour=$(( $(date -u -d 2026-11-25T09:00 +%s) / 3600 ))
want_v=$(sqlite3 h.db "SELECT sum(total_ms) / sum(calls) FROM stmt_hourly WHERE hour = $hour")
check "the value of one hour is the history's mean time of that hour" \
	near "$(value_of "$line")" "$want_v"
keys m
poll 5 on_screen "^Heatmap of the whole server: calls per hour, day x hour" || true
line=$(cursor)
want_v=$(sqlite3 h.db "SELECT sum(calls) FROM stmt_hourly WHERE hour = $hour")
check "and its calls ($want_v)" near "$(value_of "$line")" "$want_v"

# a tiny terminal, and back
tm resize-window -t "$S" -x 20 -y 5
sleep 0.5
tm resize-window -t "$S" -x "$W" -y "$H"
check "resized to 20x5 and back, the heatmap is drawn again" \
	poll 5 on_screen "^Heatmap of the whole server"

# back to the list; the morning statement's pane lists its daily peak
keys Escape
poll 5 on_screen QUERYID || true
keys / customer_id Enter
sleep 0.3
keys Enter
check "the drill-down lists the statement's patterns: its peak at 09:00" \
	poll 10 on_screen "^ peak at 09:00 most days: "
check "and its findings section" on_screen "^ Findings"
check "in UTF-8 its sparkline of calls is drawn with block characters" \
	poll 10 on_screen '^ *calls  *|.*[▁▂▃▄▅▆▇█]'

# H in the pane: the heatmap of that statement, back on hour x weekday
keys H
check "H in a statement's pane opens its heatmap" \
	poll 10 on_screen "^Heatmap of statement $morning: calls per hour, day x hour"
keys v
poll 5 cursor_at "Mon 09:00" || true
line=$(cursor)
want_v=$(sqlite3 h.db "SELECT avg(c) FROM ($(hours_sql "AND queryid = $morning")) WHERE strftime('%w', hour * 3600, 'unixepoch') = '1' AND hour % 24 = 9")
echo "statement, Mon 09:00: shown '$line', history $want_v" | diag
check "v: by hour of the week, on Monday 09:00" cursor_at "Mon 09:00"
check "its value is the statement's calls on Mondays at 09:00" near "$(value_of "$line")" "$want_v"
keys a
check "a: the whole server again" poll 5 on_screen "^Heatmap of the whole server"

# the spike's statement: an anomaly in its pane, not a pattern
keys Escape Escape
sleep 0.3
keys '\' / big_table Enter
sleep 0.3
keys Enter
poll 10 on_screen "^ Findings" || true
spike_at=$(date -u -d "@$(jq '.planted[] | select(.type == "spike") | .ts' t.json)" '+%Y-%m-%d %H:%M')
check "a one-off spike is an unusual hour in its statement's findings ($spike_at)" \
	on_screen "^ unusual calls at $spike_at for 1 h"
check "and no pattern of it" on_screen "^ none: no hour or day recurs"

keys q q
poll 10 test -s "$TAP_TMP/t.rc" || true
is "q leaves the heatmap and the screen; exit status 0" "$(cat "$TAP_TMP/t.rc" 2>/dev/null)" 0

# without colours, in a locale without UTF-8: the ramp in ASCII marks of increasing density
S=mono
start mono LC_ALL=C NO_COLOR=1
poll 10 on_screen QUERYID || bail_out "the second screen did not start"
keys H
poll 10 on_screen "^Heatmap of the whole server" || true
check "in ASCII the legend has the marks ' ', '.', ':', '+', '#'" \
	on_screen '^Legend:    <=.*\.\. <=.*:: <=.*++ <=.*## <='
check "and the grid uses them, nothing else" ascii_grid
no_colour_grid() {
	! colour_grid
}
check "no colour reaches the terminal with NO_COLOR" no_colour_grid

# the statement's pane in that locale: its sparklines in ASCII marks, no other byte
keys Escape
poll 5 on_screen QUERYID || true
keys / customer_id Enter
sleep 0.3
keys Enter
check "in ASCII the pane's sparkline of calls is drawn with ASCII marks" \
	poll 10 on_screen '^ *calls  *|[ _.:=+*#-]*[_.:=+*#-][ _.:=+*#-]*|'
non_ascii_free() {
	! screen | LC_ALL=C grep -q '[^ -~]'
}
check "and no byte outside printable ASCII reaches the screen" non_ascii_free

S=t
keys q 2>/dev/null

done_testing
