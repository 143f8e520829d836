#!/bin/sh
# The interactive screen, driven through tmux against a real PostgreSQL running pgbench:
# the layout, the keys (sort, freeze, filter, drill-down, help, window, interval), resizing
# down to 1x1 and a storm of resizes, hostile query text and names, a server that stops
# under the screen (the attempts counted) or is replaced by another, a clean exit,
# --offline with a terminal, signals (INT, HUP, QUIT, TSTP/CONT, STOP/CONT, SEGV), cancel
# and terminate, monochrome and NO_COLOR, a password in the conninfo (not on the screen,
# in the history or its reports), and the refusals without a usable terminal (none, dumb,
# unknown or no TERM) or server. Then: the screen and --collect on one history, a damaged
# history, a monitoring query that waits on a lock until the statement timeout, a
# catastrophic filter over a long text, and DROP and CREATE EXTENSION pg_stat_statements.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"

TMUX_BIN=${TMUX_BIN:-$(command -v tmux)}
[ -n "$TMUX_BIN" ] || bail_out "tmux not found (Debian: apt-get install tmux)"
unset TMUX # never talk to a tmux this test runs in

started=$(date +%s)
tap_tmpdir
mkdir "$TAP_TMP/home" "$TAP_TMP/xdg"

# The screen size of every session (rows 4 .. H-3 hold statements). Wide enough that the
# query column, which takes what the batch table's columns leave, shows whole statements.
W=200
H=30

# tm ARGS...: the private tmux server of this run.
tm() {
	"$TMUX_BIN" -L "pgmltop-screen-$$" -f "$TESTS_SRCDIR/tmux.conf" "$@"
}

cleanup() {
	tm kill-server >/dev/null 2>&1
	[ -f "$TAP_TMP/pgB/data/postmaster.pid" ] &&
		pg_as_owner "$PG_BIN/pg_ctl" -D "$TAP_TMP/pgB/data" -m immediate stop >/dev/null 2>&1
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

# More NAME=VALUE words for the environment of the next start (no blanks in them).
EXTRA_ENV=

# start SESSION TERM ARGS...: pgmltop ARGS in a new detached session of W x H (TERM -:
# TERM unset). The first call starts the server; set-clipboard on makes tmux keep any OSC 52 it receives as a
# paste buffer, so that one reaching the terminal can be seen. A shell around pgmltop
# writes its exit status to SESSION.rc (tmux 3.3 sometimes never reports the status of a
# pane) and then sleeps, so that the terminal stays as pgmltop left it.
start() {
	st_s=$1
	st_term=$2
	shift 2
	rm -f "$TAP_TMP/$st_s.rc"
	st_t=TERM=$st_term
	[ "$st_term" = - ] && st_t=-uTERM # env's option comes before the NAME=VALUE words
	# shellcheck disable=SC2016,SC2086 # the inner shell expands them; EXTRA_ENV is split
	tm set -s set-clipboard on ';' \
		new-session -d -s "$st_s" -x "$W" -y "$H" \
		sh -c 'env "$@"; echo $? >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep 120' \
		"$TAP_TMP/$st_s.rc" "$st_t" $EXTRA_ENV \
		HOME="$TAP_TMP/home" XDG_DATA_HOME="$TAP_TMP/xdg" \
		XDG_CONFIG_HOME="$TAP_TMP/config" PGMLTOP_CONFIG= \
		LC_ALL="${LC_ALL:-C.UTF-8}" PGHOST="${PGHOST:-}" PGPORT="${PGPORT:-}" \
		PGUSER="${PGUSER:-}" PGDATABASE="${PGDATABASE:-}" "$PGMLTOP_BIN" "$@"
}

# The session the keys go to and the screen is read from.
S=t

screen() {
	tm capture-pane -p -t "$S"
}

# row N: the text of row N (from 0) of the screen.
row() {
	screen | sed -n "$(($1 + 1))p"
}

# list: the statement rows (rows 4 .. H-3) of the screen.
list() {
	screen | sed -n "5,$((H - 2))p"
}

keys() {
	tm send-keys -t "$S" "$@"
}

text() {
	tm send-keys -t "$S" -l -- "$1"
}

pane() {
	tm display -p -t "$S" "$1"
}

# show: the screen as diagnostics, rows numbered from 0, control bytes visible.
show() {
	echo "screen of session $S:" | diag
	tm capture-pane -p -t "$S" -S - | cat -v | awk '{ printf "%2d|%s\n", NR - 1, $0 }' | diag
}

# poll SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds; on timeout show the
# screen and fail.
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

has() { screen | grep -qF -- "$1"; }
has_i() { screen | grep -qiF -- "$1"; }
row_has() { row "$1" | grep -qF -- "$2"; }
row_lacks() { ! row "$1" | grep -qF -- "$2"; }

# wait_row N TEXT [SECONDS]: row N shows TEXT.
wait_row() { poll "${3:-10}" row_has "$1" "$2"; }

# status: the exit status of pgmltop in session $S, empty while it runs.
status() {
	cat "$TAP_TMP/$S.rc" 2>/dev/null
}
status_is() { [ "$(status)" = "$1" ]; }
# wait_exit STATUS: pgmltop ended with STATUS.
wait_exit() {
	poll 10 status_is "$1" || {
		echo "exit status: '$(status)', want $1" | diag
		return 1
	}
}
alive() {
	if [ -n "$(status)" ] || [ "$(pane '#{pane_dead}')" != 0 ]; then
		echo "pgmltop ended with status '$(status)'" | diag
		show
		return 1
	fi
}

# column_ordered COLUMN desc|asc: the statement rows are ordered by COLUMN (a number),
# equal values allowed; at least two rows.
column_ordered() {
	list | awk -v c="$1" -v d="$2" '
		NF == 0 { next }
		{
			n++
			if ($c !~ /^[0-9]+(\.[0-9]+)?$/) bad = 1
			v = $c + 0
			if (n > 1 && ((d == "desc" && v > prev) || (d == "asc" && v < prev))) bad = 1
			prev = v
		}
		END { exit !(n >= 2 && !bad) }'
}

# sorted_by NAME desc|asc COLUMN: row 2 names the sort and the rows follow it.
sorted_by() {
	row_has 2 "Sort: $1 $2" && column_ordered "$3" "$2"
}

# filtered PATTERN: row 2 shows the filter and every statement row contains PATTERN.
filtered() {
	row_has 2 "Filter: $1" &&
		list | awk -v p="$1" 'NF { n++; if (index($0, p) == 0) bad = 1 }
			END { exit !(n >= 1 && !bad) }'
}

help_shown() {
	for w in quit filter sort window freeze; do
		has_i "$w" || return 1
	done
}

drill_shown() {
	has "Statement $1" && screen | grep -q '^ *Query *$' && screen | grep -q '^ *Counters'
}

ESC=$(printf '\033')
BEL=$(printf '\007')

# colours: how many colour parameters the SGR sequences of the screen hold (default
# colours, 39 and 49, not counted).
colours() {
	tm capture-pane -p -e -t "$S" | grep -o "$ESC\[[0-9;]*m" | sed "s/^$ESC\[//; s/m\$//" |
		tr ';' '\n' | grep -Ec '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$'
}
no_colour() {
	n=$(colours)
	[ "$n" = 0 ] || {
		echo "$n colour parameters on the screen:" | diag
		tm capture-pane -p -e -t "$S" | cat -v | diag
		return 1
	}
}

# The hostile statement is plain text, with raw bytes only inside it.
hostile_safe() {
	s=$(screen)
	printf '%s\n' "$s" | grep -qF 'hostile' &&
		printf '%s\n' "$s" | grep -qF '\x1b[2J' &&
		printf '%s\n' "$s" | grep -qF '\x1b]52;c;SGVsbG8=\x07'
}

# ---- a server with pgbench running ----

pg_start
pg_pgbench_init 1
bg_start bench pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -c 2 -j 1 -R 100 -T 100 \
	"$PGDATABASE" || bail_out "pgbench did not start"

start t screen -s 1 -H "$TAP_TMP/h.db" || bail_out "tmux could not start a session"

# 1. the layout, with statements of pgbench
header_ok() { row_has 0 pgmltop && row_has 0 "[connected]" && row_has 0 "every 1.0s"; }
columns_ok() { row_has 3 QUERYID && row_has 3 QUERY && row_has 3 "CALLS/S"; }
pgbench_rows() { list | grep -qF pgbench_; }
check "1: row 0 shows pgmltop, every 1.0s and [connected]" poll 10 header_ok
check "1: row 3 is the column header" poll 5 columns_ok
check "1: statements of pgbench are listed" poll 10 pgbench_rows
check "1: row 2 shows the window, sort and filter" \
	poll 5 row_has 2 "Window: last interval  Sort: TIME% desc  Filter: none"

# 2. sorting: > and F6 step right, < steps left, I inverts; the list frozen while read
keys '>'
check "2: > sorts by MEAN_MS" wait_row 2 "Sort: MEAN_MS desc"
keys F6
check "2: F6 sorts by MAX_MS" wait_row 2 "Sort: MAX_MS desc"
keys p
check "2: p freezes: row 0 shows [paused]" wait_row 0 "[paused]"
keys '<' '<' '<'
check "2: three < sort by CALLS/S, rows in non-increasing order" poll 5 sorted_by CALLS/S desc 2
keys I
check "2: I inverts: CALLS/S asc, rows in non-decreasing order" poll 5 sorted_by CALLS/S asc 2
keys I '>'
check "2: back to TIME% desc" wait_row 2 "Sort: TIME% desc"
keys p
check "2: p again: [connected]" wait_row 0 "[connected]"

# 3. filter
keys /
text pgbench_accounts
check "3: the message line prompts Filter: pgbench_accounts" \
	wait_row $((H - 2)) "Filter: pgbench_accounts"
keys Enter
check "3: / pgbench_accounts Enter: only its statements, row 2 shows the filter" \
	poll 10 filtered pgbench_accounts
text '\'
check "3: \\ clears the filter" wait_row 2 "Filter: none"
keys /
text '(unclosed'
invalid_shown() { row_has $((H - 2)) "invalid pattern" && pgbench_rows; }
check "3: an invalid pattern says so on the message line and lists all rows" poll 5 invalid_shown
keys Escape
invalid_gone() { row_has 2 "Filter: none" && row_lacks $((H - 2)) "invalid pattern"; }
check "3: Esc clears the invalid pattern and its message" poll 5 invalid_gone

# 4. drill-down on the first row (frozen, so the first row stays the same)
keys p
wait_row 0 "[paused]" >/dev/null
id=$(row 4 | awk '{ print $1 }')
keys g Enter
check "4: Enter opens Statement $id with Query and Counters" poll 5 drill_shown "$id"
keys Escape
check "4: Esc goes back to the list" wait_row 3 QUERYID
keys p
wait_row 0 "[connected]" >/dev/null

# 5. help
keys '?'
check "5: ? lists quit, filter, sort, window and freeze" poll 5 help_shown
keys q
check "5: q leaves the help for the list" wait_row 3 QUERYID
check "5: ... and pgmltop still runs" alive

# 6. windows
keys w
check "6: w: Window: last hour" wait_row 2 "Window: last hour"
keys w
check "6: w again: Window: last day" wait_row 2 "Window: last day"
keys F5
check "6: F5: Window: last 7 days" wait_row 2 "Window: last 7 days"
keys w
check "6: w after the last: Window: last interval" wait_row 2 "Window: last interval"

# 7. interval
keys +
check "7: + doubles the interval: every 2.0s" wait_row 0 "every 2.0s"
keys -
check "7: - halves it: every 1.0s" wait_row 0 "every 1.0s"

# 8. resize, down to 1x1
tm resize-window -t "$S" -x 20 -y 5
sleep 1 # nothing to poll for: the program must survive the time it has
check "8: alive at 20x5" alive
tm resize-window -t "$S" -x 1 -y 1
sleep 1
check "8: alive at 1x1" alive
tm resize-window -t "$S" -x "$W" -y "$H"
redrawn() { row_has 0 pgmltop && row_has 3 QUERYID && pgbench_rows; }
check "8: back at ${W}x$H the whole screen is drawn again" poll 10 redrawn

# 8b. a SIGWINCH storm: 30 resizes in a row, then 300x100 and back
for sz in 20x5 1x1 300x100 80x24 20x5 1x1 300x100 80x24 1x1 20x5 300x100 1x1 80x24 20x5 \
	300x100 20x5 1x1 80x24 300x100 1x1 20x5 80x24 1x1 300x100 20x5 80x24 1x1 300x100 \
	20x5 1x1; do
	tm resize-window -t "$S" -x "${sz%x*}" -y "${sz#*x}"
done
check "8b: alive after 30 resizes in a row" alive
tm resize-window -t "$S" -x 300 -y 100
# the whole screen: the header, the column titles, statements, and the key bar at the bottom
whole() { row_has 0 pgmltop && row_has 3 QUERYID && pgbench_rows && row_has "$1" "F10Quit"; }
check "8b: at 300x100 the whole screen is drawn, the key bar on row 99" poll 10 whole 99
keys '?'
check "8b: keys are answered: ? shows the help" poll 5 help_shown
keys q
check "8b: q goes back to the list" wait_row 3 QUERYID
tm resize-window -t "$S" -x "$W" -y "$H"
check "8b: back at ${W}x$H the whole screen is drawn, the key bar on row $((H - 1))" \
	poll 10 whole $((H - 1))

# 9. hostile query text: a clear-screen, an OSC 52 clipboard write and a BEL in a comment
printf 'SELECT 42 AS hostile /* \033[2J \033]52;c;SGVsbG8=\007 */;\n' >"$TAP_TMP/hostile.sql"
bg_start hostile pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 1 -R 10 -T 60 \
	-f "$TAP_TMP/hostile.sql" "$PGDATABASE"
keys /
text hostile
keys Enter
check "9: the hostile statement is shown with \\x1b and \\x07 as text" poll 10 hostile_safe
raw=$(screen | grep -c "$ESC")
raw_e=$(tm capture-pane -p -e -t "$S" | grep -c -e "$ESC]" -e "$BEL")
bufs=$(tm list-buffers | wc -l)
if [ "$raw" = 0 ] && [ "$raw_e" = 0 ] && [ "$bufs" = 0 ]; then
	ok "9: no raw ESC, OSC or BEL reached the terminal (no clipboard buffer)"
else
	not_ok "9: no raw ESC, OSC or BEL reached the terminal (no clipboard buffer)"
	echo "raw ESC lines: $raw; OSC/BEL lines with -e: $raw_e; tmux buffers: $bufs" | diag
	tm list-buffers | diag
	show
fi
intact() { row_has 0 pgmltop && row_has 3 QUERYID; }
check "9: the header is intact (no clear-screen reached the terminal)" poll 3 intact
kill "$(bg_pid hostile)" 2>/dev/null
text '\'
wait_row 2 "Filter: none" >/dev/null

# 10. the server stops under the screen
pg_crash
lost() { row_has 0 "[reconnecting (1)]" && row_has $((H - 2)) "connection lost"; }
check "10: [reconnecting (1)] and 'connection lost' after the server stopped" poll 10 lost
ms() { date +%s%3N; }
t1=$(ms)
check "10: the header counts the attempts: [reconnecting (2)]" \
	wait_row 0 "[reconnecting (2)]"
t2=$(ms)
check "10: [reconnecting (3)]" wait_row 0 "[reconnecting (3)]"
t3=$(ms)
# the waits before attempts 2 and 3 are 1 s and 2 s: the second at least 1.5 s
if [ $((t3 - t2)) -ge 1500 ] && [ $((t3 - t2)) -gt $((t2 - t1)) ]; then
	ok "10: the retries back off (waits of $((t2 - t1)) ms, then $((t3 - t2)) ms)"
else
	not_ok "10: the retries back off (waits of $((t2 - t1)) ms, then $((t3 - t2)) ms)"
fi
alerted() { row_has 1 "ALERT reconnect: the server was lost"; }
check "10: the alert of the lost server is in the header" poll 5 alerted
keys '?'
check "10: keys still work: ? shows the help" poll 5 help_shown
keys q
check "10: q goes back to the list" wait_row 3 QUERYID
check "10: the server starts again" pg_restart_server
check "10: [connected] again" wait_row 0 "[connected]" 20
check "10: the alert says it is connected again" wait_row 1 "ALERT reconnect: connected again"

# 11. quit
alt_on() { [ "$(pane '#{alternate_on}')" = 1 ]; }
alt_left() { [ "$(pane '#{alternate_on}')" = 0 ]; }
cursor_on() { [ "$(pane '#{cursor_flag}')" = 1 ]; }
check "11: the screen is on the alternate screen while it runs" alt_on
keys q
check "11: q ends pgmltop with status 0" wait_exit 0
check "11: the terminal left the alternate screen" alt_left
check "11: the cursor is visible" cursor_on
kill "$(bg_pid bench)" 2>/dev/null

# 12. --offline with a terminal shows the history
start o screen --offline --no-color -H "$TAP_TMP/h.db"
S=o
offline_ok() { row_has 0 "[offline]" && pgbench_rows; }
check "12: --offline: row 0 shows [offline], pgbench statements listed" poll 10 offline_ok
check "12: --offline starts at the last 7 days" wait_row 2 "Window: last 7 days"
check "12: --no-color: no colours on the screen" no_colour
keys q
check "12: q ends --offline with status 0" wait_exit 0

# SIGTERM restores the terminal too
EXTRA_ENV=NO_COLOR=1
start k screen --offline -H "$TAP_TMP/h.db"
EXTRA_ENV=
S=k
poll 10 offline_ok >/dev/null
check "12: NO_COLOR: no colours on the screen" no_colour
pid=$(ps -o pid= --ppid "$(pane '#{pane_pid}')" | tr -d ' ')
[ -n "$pid" ] && kill -TERM "$pid"
ended() { [ -n "$(status)" ]; }
check "12: SIGTERM ends pgmltop" poll 10 ended
check "12: after SIGTERM the terminal left the alternate screen" alt_left
check "12: after SIGTERM the cursor is visible" cursor_on

# 13. no usable terminal
"$PGMLTOP_BIN" -H "$TAP_TMP/x.db" </dev/null >"$TAP_TMP/o" 2>"$TAP_TMP/e"
rc=$?
if [ "$rc" = 1 ] && grep -q '^pgmltop: .*--batch' "$TAP_TMP/e"; then
	ok "13: stdout not a terminal: exit 1, the message mentions --batch"
else
	not_ok "13: stdout not a terminal: exit 1, the message mentions --batch"
	echo "exit status $rc, stderr:" | diag
	diag <"$TAP_TMP/e"
fi
start d dumb -H "$TAP_TMP/x.db"
S=d
check "13: TERM=dumb: exit 1" wait_exit 1
dumb_said() { tm capture-pane -p -S - -t "$S" | grep -qF -- --batch; }
check "13: TERM=dumb: the message mentions --batch" poll 2 dumb_said

# 14. no server before the screen
start c screen -h 127.0.0.1 -p 1 -H "$TAP_TMP/x.db"
S=c
check "14: unreachable server: exit 1" wait_exit 1
refused_said() {
	tm capture-pane -p -S - -t "$S" | grep -Eq '127\.0\.0\.1|port 1|running'
}
check "14: the message names the server or says it is not running" poll 2 refused_said

# 15. settings changed on the screen come back; -s wins over them
CFG="$TAP_TMP/config/pgmltop/config"
check "15: the screen saved its settings in XDG_CONFIG_HOME, mode 0600" \
	test "$(stat -c %a "$CFG" 2>/dev/null)" = 600
start p1 screen -H "$TAP_TMP/h.db"
S=p1
check "15: the interval saved at the last quit comes back (1.0s)" wait_row 0 "every 1.0s"
keys '>'
check "15: > sorts by MEAN_MS" wait_row 2 "Sort: MEAN_MS desc"
keys '+'
check "15: + doubles the interval" wait_row 0 "every 2.0s"
keys q
check "15: q ends pgmltop with status 0" wait_exit 0
start p2 screen -H "$TAP_TMP/h.db"
S=p2
check "15: the sort column comes back" wait_row 2 "Sort: MEAN_MS desc"
check "15: the interval comes back" wait_row 0 "every 2.0s"
keys q
check "15: q ends pgmltop with status 0 again" wait_exit 0
start p3 screen -s 3 -H "$TAP_TMP/h.db"
S=p3
check "15: -s wins over the saved interval" wait_row 0 "every 3.0s"
keys q
check "15: q ends pgmltop with status 0 (-s)" wait_exit 0
check "15: an interval given with -s is not saved" grep -q '^interval = 2$' "$CFG"
printf 'sort = BOGUS\n' >"$CFG"
start p4 screen -H "$TAP_TMP/h.db"
S=p4
check "15: a bad settings file is named with its line, defaults used" \
	poll 10 has "config:1: unknown column"
check "15: ... and the default sort is used" wait_row 2 "Sort: TIME% desc"
keys q
check "15: q ends pgmltop with status 0 (bad settings)" wait_exit 0

# 16. the sessions screen: a blocked session under its blocker, cancel with confirmation
pg_psql -c "CREATE TABLE IF NOT EXISTS screen_lock (id int PRIMARY KEY, v int)" \
	-c "INSERT INTO screen_lock VALUES (1, 0) ON CONFLICT DO NOTHING" >/dev/null
bg_start holder psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "BEGIN" -c "UPDATE screen_lock SET v = v + 1 WHERE id = 1" \
	-c "SELECT pg_sleep(60) AS holder_sleeps" -c "COMMIT"
holder_in() { [ "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%holder_sleeps%' AND pid <> pg_backend_pid()")" = 1 ]; }
poll 10 holder_in >/dev/null
bg_start waiter psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "UPDATE screen_lock SET v = v + 2 WHERE id = 1 /* waiter */"
start se screen -s 1 -H "$TAP_TMP/h.db"
S=se
check "16: connected" wait_row 0 "[connected]"
keys Tab
check "16: Tab opens the sessions screen" wait_row 2 "Sessions:"
check "16: the sessions header" wait_row 3 "PID USER"
blocked_shown() {
	screen | grep -q 'holder_sleeps' && screen | grep -q 'Lock:.*`- UPDATE screen_lock'
}
check "16: the waiting session is shown under the one holding the lock" poll 10 blocked_shown
holder_pid=$(pg_value "SELECT pid FROM pg_stat_activity WHERE query LIKE '%holder_sleeps%' AND pid <> pg_backend_pid()")
# select the holder: it is the longest-running root, the first line
keys Home c
check "16: c asks to confirm, naming the backend and its query" \
	poll 5 has "Cancel the query of backend $holder_pid (SELECT pg_sleep(60) AS holder_sleeps)?"
keys n
check "16: another key leaves it alone" poll 5 has "backend $holder_pid left alone"
check "16: ... and the holder still runs" holder_in
keys c y
check "16: y cancels: the server says so" poll 10 has "backend $holder_pid: query cancelled"
check "16: the holder's query was cancelled" \
	poll 10 grep -q "canceling statement due to user request" "$TAP_TMP/holder.err"
check "16: the waiter got its lock and ended" poll 10 test -e "$TAP_TMP/waiter.rc"
keys 1
check "16: 1 goes back to the statements" wait_row 3 "QUERYID"
keys q
check "16: q ends pgmltop with status 0" wait_exit 0

# 17. a role that may not signal other roles' backends: refused with the server's reason
pg_psql -c "DROP ROLE IF EXISTS weak" -c "CREATE ROLE weak LOGIN" \
	-c "GRANT pg_read_all_stats TO weak" >/dev/null
bg_start sleeper psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(30) AS sleeper_sleeps"
EXTRA_ENV=PGUSER=weak
start sw screen -s 1 -U weak -H "$TAP_TMP/weak.db"
EXTRA_ENV=
S=sw
check "17: connected as weak" wait_row 0 "[connected]"
check "17: with pg_read_all_stats the header's sessions are not marked as its own" \
	eval 'poll 5 row_has 1 "Sessions" && ! row_has 1 "yours"'
keys Tab
check "17: the sleeping session is listed" poll 10 has "sleeper_sleeps"
keys Home c y
check "17: the refusal is shown with the server's reason" \
	poll 10 has "cannot cancel the query of backend"
# PostgreSQL says "must be a superuser ..." for a superuser's backend, "permission
# denied ..." for another role's
refusal_reason() { screen | grep -Eq 'cannot cancel the query of backend [0-9]+: (must be|permission denied)'; }
check "17: ... it gives the server's reason" poll 5 refusal_reason
check "17: the session still runs" \
	test "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%sleeper_sleeps%' AND pid <> pg_backend_pid()")" = 1
keys q
check "17: q ends pgmltop with status 0" wait_exit 0

# 17b. --read-only: no cancel, no terminate
start ro screen -s 1 --read-only --no-history
S=ro
check "17b: connected with --read-only" wait_row 0 "[connected]"
keys Tab
check "17b: the sleeping session is listed" poll 10 has "sleeper_sleeps"
keys Home c
check "17b: c is refused with --read-only, nothing asked" poll 5 has "--read-only: sessions are not cancelled"
keys K
check "17b: K too" poll 5 has "--read-only: sessions are not cancelled or terminated"
check "17b: the session still runs" \
	test "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%sleeper_sleeps%' AND pid <> pg_backend_pid()")" = 1
keys q
check "17b: q ends pgmltop with status 0" wait_exit 0
kill "$(bg_pid sleeper)" 2>/dev/null
pg_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE query LIKE '%sleeper_sleeps%' AND pid <> pg_backend_pid()" >/dev/null

# 18. only one database, only one user. (The two statements differ in shape: column
# aliases are not part of the query id, and the history keeps one text per query id.)
pg_psql -c "DROP DATABASE IF EXISTS scopedb" -c "CREATE DATABASE scopedb" \
	-c "DROP ROLE IF EXISTS scoper" -c "CREATE ROLE scoper LOGIN" >/dev/null
start sc screen -s 1 -H "$TAP_TMP/h.db"
S=sc
check "18: connected" wait_row 0 "[connected]"
i=0
while [ $i -lt 4 ]; do
	psql -X -q -h "$PGHOST" -p "$PGPORT" -U scoper -d scopedb \
		-c "SELECT 'scoped' AS in_scopedb, 2 AS two" >/dev/null
	pg_psql -c "SELECT 'other' AS in_postgres" >/dev/null
	sleep 0.5
	i=$((i + 1))
done
both_listed() { has "in_scopedb" && has "in_postgres"; }
# from the history: the last interval holds only what ran in the latest second
stored_both() {
	[ "$(sqlite3 "$TAP_TMP/h.db" "SELECT count(DISTINCT q.query) FROM stmt_deltas d
		JOIN queries q ON q.queryid = d.queryid
		WHERE q.query LIKE '%in_scopedb%' OR q.query LIKE '%in_postgres%'")" = 2 ]
}
poll 10 stored_both >/dev/null
keys w
check "18: statements of both databases are listed (last hour)" poll 10 both_listed
keys d
check "18: d: the first database by name (postgres)" wait_row 2 "db: postgres"
keys d
check "18: d again: the next database (scopedb)" wait_row 2 "db: scopedb"
only_scoped() { has "in_scopedb" && ! has "in_postgres"; }
check "18: ... only its statements are shown" poll 5 only_scoped
keys u
check "18: u: the first user by name (postgres)" wait_row 2 "user: postgres"
check "18: ... who ran nothing in scopedb" poll 5 row_has 2 "0 of"
keys u
check "18: u again: the next user (scoper)" wait_row 2 "user: scoper"
check "18: ... and its statement is still shown" poll 5 has "in_scopedb"
keys '\\'
check "18: \\ clears the database and the user" poll 5 both_listed
keys q
check "18: q ends pgmltop with status 0" wait_exit 0

# 19. F2 setup: a column hidden there stays hidden, also after a restart
start su screen -s 1 -H "$TAP_TMP/h.db"
S=su
check "19: connected" wait_row 0 "[connected]"
keys F2
check "19: F2 opens the setup" poll 5 has "[x] SHR_HIT"
# SHR_HIT is the seventh item: CALLS/S TIME% MEAN_MS MAX_MS ROWS/CALL SHR_READ SHR_HIT
keys Down Down Down Down Down Down Space
check "19: space turns SHR_HIT off" poll 5 has "[ ] SHR_HIT"
keys Escape
check "19: back on the list" wait_row 3 "QUERYID"
check "19: the header has no SHR_HIT" poll 5 row_lacks 3 "SHR_HIT"
check "19: ... and still SHR_READ" row_has 3 "SHR_READ"
keys q
check "19: q ends pgmltop with status 0" wait_exit 0
check "19: the hidden column is saved" grep -q '^hidden = SHR_HIT$' "$CFG"
start su2 screen -s 1 -H "$TAP_TMP/h.db"
S=su2
check "19: after a restart, SHR_HIT is still hidden" poll 10 row_lacks 3 "SHR_HIT"
check "19: ... the other columns are there" wait_row 3 "SHR_READ"
keys '?'
check "19: the help lists F2" poll 5 has "F2"
keys q q
check "19: q ends pgmltop with status 0 again" wait_exit 0

# ---- the live screen and signals, terminals, hostile names, another server ----

# Cluster B for 24, made meanwhile: another initdb (another system identifier) with
# pg_stat_statements created, on a socket of its own until 24 starts it on A's
B_DIR=$TAP_TMP/pgB
make_b() {
	mkdir -p "$B_DIR/data" &&
		{ [ "$(id -u)" != 0 ] || chown "$PG_OS_USER" "$B_DIR" "$B_DIR/data"; } &&
		pg_as_owner "$PG_BIN/initdb" -D "$B_DIR/data" -A trust -U postgres --no-sync &&
		printf '%s\n' "listen_addresses = ''" "unix_socket_directories = '$B_DIR'" \
			"port = $PGPORT" "fsync = off" "shared_preload_libraries = 'pg_stat_statements'" |
		pg_as_owner tee -a "$B_DIR/data/postgresql.conf" &&
		b_ctl -w -t 60 start &&
		psql -X -q -h "$B_DIR" -p "$PGPORT" -U postgres -d postgres \
			-c "CREATE EXTENSION pg_stat_statements" &&
		b_ctl -w stop
}
b_ctl() { pg_as_owner "$PG_BIN/pg_ctl" -D "$B_DIR/data" -l "$B_DIR/server.log" "$@"; }
make_b >"$TAP_TMP/make-b.log" 2>&1 &
make_b_pid=$!

# 20. signals sent to the live screen: the terminal restored, the history closed
pgmltop_pid() { ps -o pid= --ppid "$(pane '#{pane_pid}')" | tr -d ' '; }
SIG_DB=$TAP_TMP/sig.db
# live_start SESSION: a live screen storing into sig.db, connected, a sample stored
live_start() {
	start "$1" screen -s 1 -H "$SIG_DB"
	S=$1
	poll 10 row_has 0 "[connected]" && wait_until 10 samples_at_least "$SIG_DB" 1
}
# closed_clean: no lease left, no -wal file left, and the file is sound
closed_clean() {
	[ "$(sq "$SIG_DB" "SELECT count(*) FROM leases")" = 0 ] && [ ! -e "$SIG_DB-wal" ] &&
		[ "$(sq "$SIG_DB" "PRAGMA integrity_check")" = ok ]
}
# signal_ends SIG: SIG ends the screen of $S with status 0, the terminal restored, the
# history closed
signal_ends() {
	kill -"$1" "$(pgmltop_pid)"
	check "20: SIG$1 ends the live screen with status 0" wait_exit 0
	check "20: after SIG$1 the terminal left the alternate screen" alt_left
	check "20: after SIG$1 the cursor is visible" cursor_on
	check "20: after SIG$1 the history was closed: no lease, no -wal, integrity ok" \
		closed_clean
}
check "20: a live screen on sig.db is connected and storing" live_start si
signal_ends INT
live_start sh >/dev/null
signal_ends HUP
timeout 20 "$PGMLTOP_BIN" --collect -s 1 -n 1 -H "$SIG_DB" >"$TAP_TMP/o" 2>"$TAP_TMP/e"
rc=$?
if [ "$rc" = 0 ] && ! grep -q 'being written by process' "$TAP_TMP/e"; then
	ok "20: a --collect afterwards takes the history at once"
else
	not_ok "20: a --collect afterwards takes the history at once"
	echo "exit status $rc, stderr:" | diag
	diag <"$TAP_TMP/e"
fi
# In tmux the process group of pgmltop is orphaned: the stop that ncurses' SIGTSTP
# handler sends itself is dropped, so the screen is left and entered again at once.
live_start sq >/dev/null
kill -TSTP "$(pgmltop_pid)"
kill -CONT "$(pgmltop_pid)"
drawn() { row_has 0 "[connected]" && row_has 3 QUERYID && row_has $((H - 1)) "F10Quit"; }
check "20: SIGTSTP, SIGCONT: alive, the whole screen drawn, on the alternate screen" \
	poll 5 eval 'alive && drawn && alt_on'
# stopped, the terminal is written on (as a shell does); SIGCONT draws the screen again
kill -STOP "$(pgmltop_pid)"
printf '\033[HSTOPPED-GARBAGE\033[12;40HSTOPPED-GARBAGE' >"$(pane '#{pane_tty}')"
poll 2 has STOPPED-GARBAGE >/dev/null
kill -CONT "$(pgmltop_pid)"
garbage_gone() { ! has STOPPED-GARBAGE && drawn; }
check "20: SIGSTOP, writes on the terminal, SIGCONT: the screen is drawn again" \
	poll 5 garbage_gone
keys '?'
check "20: ... and keys are answered: ? shows the help" poll 5 help_shown
keys q
wait_row 3 QUERYID >/dev/null
signal_ends QUIT
live_start sg >/dev/null
kill -SEGV "$(pgmltop_pid)"
check "20: SIGSEGV: pgmltop dies of the signal (status 139)" wait_exit 139
check "20: after SIGSEGV the terminal left the alternate screen" alt_left
check "20: after SIGSEGV the cursor is visible" cursor_on

# 21. an unknown TERM, no TERM
start tu xterm-nonexistent -H "$TAP_TMP/x.db"
S=tu
check "21: unknown TERM: exit 1" wait_exit 1
said() { tm capture-pane -p -S - -t "$S" | grep -q -- "$1"; }
check "21: the message names the type and mentions --batch" \
	poll 2 said "^pgmltop: unknown terminal type 'xterm-nonexistent'.*--batch"
start tn - -H "$TAP_TMP/x.db"
S=tn
check "21: TERM unset: exit 1" wait_exit 1
check "21: the message says TERM is not set and mentions --batch" \
	poll 2 said '^pgmltop: TERM is not set.*--batch'

# 22. a monochrome terminal and NO_COLOR on the live screen; a password in the conninfo
# (keyword and URI forms) is shown nowhere on the screen and not stored
PW=SeCrEt4711
no_password() {
	! tm capture-pane -p -S - -t "$S" | grep -qF "$PW" || {
		echo "the password is on the screen of $S" | diag
		return 1
	}
}
EXTRA_ENV=NO_COLOR=1
start nc screen -s 1 --history-interval=1 -H "$TAP_TMP/pw.db" \
	-d "postgresql://postgres:$PW@/postgres?host=$PGHOST&port=$PGPORT"
EXTRA_ENV=
S=nc
check "22: NO_COLOR, a URI with a password: connected" wait_row 0 "[connected]"
check "22: NO_COLOR on the live screen: no colours" no_colour
keys Tab
wait_row 2 "Sessions:" >/dev/null
check "22: NO_COLOR: the sessions screen, no colours either" no_colour
check "22: the password of the URI is not on the screen" no_password
keys q
check "22: q ends pgmltop with status 0 (URI)" wait_exit 0
pw_n=$(samples "$TAP_TMP/pw.db")
start mo xterm-mono -s 1 --history-interval=1 -H "$TAP_TMP/pw.db" \
	-d "dbname=postgres password=$PW"
S=mo
check "22: TERM=xterm-mono: connected, the column titles drawn" \
	poll 10 eval 'row_has 0 "[connected]" && row_has 3 QUERYID'
check "22: TERM=xterm-mono: no colours on the screen" no_colour
# C asks for colours (after the NO_COLOR test: the setting is saved at the quit)
keys C
check "22: C says this terminal has no colours" poll 5 has "this terminal has no colours"
check "22: ... and still no colours" no_colour
check "22: the password of the conninfo is not on the screen" no_password
# a baseline and an interval stored, so that the reports below have statements
wait_until 10 samples_at_least "$TAP_TMP/pw.db" $((pw_n + 2)) >/dev/null
keys q
check "22: q ends pgmltop with status 0" wait_exit 0
check "22: the password is not in the history" \
	eval '! cat "$TAP_TMP"/pw.db* | grep -aqF "$PW"'
for f in html md csv json; do
	"$PGMLTOP_BIN" --report=$f -H "$TAP_TMP/pw.db" </dev/null >"$TAP_TMP/pw.$f" 2>&1
done
n=$(jq '.statements | length' "$TAP_TMP/pw.json" 2>/dev/null)
leaks=$(grep -l -aF -e "$PW" "$TAP_TMP"/pw.html "$TAP_TMP"/pw.md "$TAP_TMP"/pw.csv \
	"$TAP_TMP"/pw.json | tr '\n' ' ')
if [ "${n:-0}" -gt 0 ] && [ -s "$TAP_TMP/pw.html" ] && [ -s "$TAP_TMP/pw.md" ] &&
	[ -s "$TAP_TMP/pw.csv" ] && [ -z "$leaks" ]; then
	ok "22: nor in its reports (html, md, csv, json), which hold its $n statements"
else
	not_ok "22: nor in its reports (html, md, csv, json), which hold its statements"
	echo "statements in the JSON report: '$n'; reports with the password: ${leaks:-none}" |
		diag
fi

# 23. hostile names on the sessions screen; terminating a session after a confirmation
# naming its PID and its query. A role named with two CJK characters and ESC[2J (11
# columns, 13 bytes: padding by bytes would misalign), a database named with a
# right-to-left mark and a BEL, an OSC 52 in the query and in application_name (which the
# server shows with ? in place of control bytes).
bg_start victim psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(60) AS victim_sleeps"
HDB=$(printf '\342\200\217d\007')
HROLE=$(printf '\347\224\250\346\210\267\033[2J')
pg_psql -c "CREATE DATABASE \"$HDB\"" -c "CREATE ROLE \"$HROLE\" LOGIN" >/dev/null
bg_start hostile_sess env PGAPPNAME="$(printf 'app\033]52;c;SGk=\007')" \
	psql -X -h "$PGHOST" -p "$PGPORT" -U "$HROLE" -d "$HDB" \
	-c "$(printf 'SELECT pg_sleep(60) AS hostile_sess /* \033]52;c;SGk=\007 \033[2J */')"
victim_runs() { [ "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%victim_sleeps%' AND pid <> pg_backend_pid()")" = 1 ]; }
poll 10 victim_runs >/dev/null
victim_pid=$(pg_value "SELECT pid FROM pg_stat_activity WHERE query LIKE '%victim_sleeps%' AND pid <> pg_backend_pid()")
start hs screen -s 1 --no-history
S=hs
wait_row 0 "[connected]" >/dev/null
keys Tab
check "23: the sessions screen lists the victim and the hostile session" \
	poll 10 eval 'has victim_sleeps && has hostile_sess'
check "23: the database name is shown escaped: \\u200fd\\x07" has '\u200fd\x07'
check "23: the role name is shown escaped, the CJK characters kept" \
	has "$(printf '\347\224\250\346\210\267')\\x1b[2J"
check "23: the OSC 52 of the query is shown escaped" has '\x1b]52;c;SGk=\x07'
raw=$(screen | grep -c "$ESC")
raw_e=$(tm capture-pane -p -e -t "$S" | grep -c -e "$ESC]" -e "$BEL")
bufs=$(tm list-buffers | wc -l)
if [ "$raw" = 0 ] && [ "$raw_e" = 0 ] && [ "$bufs" = 0 ]; then
	ok "23: no raw ESC, OSC or BEL reached the terminal (no clipboard buffer)"
else
	not_ok "23: no raw ESC, OSC or BEL reached the terminal (no clipboard buffer)"
	echo "raw ESC lines: $raw; OSC/BEL lines with -e: $raw_e; tmux buffers: $bufs" | diag
	show
fi
# the STATE column starts at column 33 (PID 7, USER 12, DATABASE 12) on both rows
state_col() {
	screen | grep -F "$1" | head -n 1 | sed 's/ active .*//' | LC_ALL=C.UTF-8 wc -L
}
aligned() {
	[ "$(state_col victim_sleeps)" = 33 ] && [ "$(state_col hostile_sess)" = 33 ] || {
		echo "STATE at $(state_col victim_sleeps) and $(state_col hostile_sess)" | diag
		return 1
	}
}
check "23: the columns stay aligned with the wide character" aligned
check "23: the header stays intact (no clear-screen reached the terminal)" \
	eval 'row_has 0 pgmltop && row_has 3 "PID USER"'
# the victim runs longest: the first line
keys Home K
check "23: K asks to confirm, naming the PID" \
	poll 5 row_has $((H - 2)) "Terminate backend $victim_pid ("
check "23: ... and the session's query" row_has $((H - 2)) "AS victim_sleeps)?"
keys n
check "23: another key leaves it alone" poll 5 has "backend $victim_pid left alone"
check "23: ... and the victim still runs" victim_runs
keys K
poll 5 row_has $((H - 2)) "Terminate backend $victim_pid (" >/dev/null
keys y
check "23: y terminates: the server says so" poll 10 has "backend $victim_pid: terminated"
check "23: the victim is gone from pg_stat_activity" poll 10 eval '! victim_runs'
keys q
check "23: q ends pgmltop with status 0" wait_exit 0
kill "$(bg_pid hostile_sess)" 2>/dev/null

# 24. another server comes up on the same socket and port: said on the message line
start fo screen -s 1 -H "$TAP_TMP/fo.db"
S=fo
check "24: connected to A" wait_row 0 "[connected]"
if wait "$make_b_pid"; then
	ok "24: cluster B is ready"
else
	not_ok "24: cluster B is ready"
	diag <"$TAP_TMP/make-b.log"
fi
pg_stop
b_ctl -w -t 60 start -o "-c unix_socket_directories='$PG_DIR'" >/dev/null 2>&1
check "24: the message line says it is another server, kept apart" \
	poll 15 row_has $((H - 2)) "this is another server than before"
check "24: [connected] to B" wait_row 0 "[connected]"
keys q
check "24: q ends pgmltop with status 0" wait_exit 0
b_ctl -m immediate -w stop >/dev/null 2>&1

# ---- A again: a history shared with --collect, a damaged history, a monitoring query
# that waits on a lock, a catastrophic filter, pg_stat_statements dropped ----

check "25: server A starts again" pg_restart_server
bg_start bench2 pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -c 1 -R 50 -T 120 \
	"$PGDATABASE" || bail_out "pgbench did not start"

# 25. the screen and --collect on one history file (catalogue B2): the second to come says
# who writes and keeps going; when the writer ends, the other takes over
B2_DB=$TAP_TMP/b2.db
# overlaps FILE: stored intervals that begin before the sample stored before them ended
# (ts - interval_s before the previous ts: some seconds counted twice)
overlaps() {
	sq "$1" "SELECT count(*) FROM (SELECT flags, interval_s,
		ts - lag(ts) OVER (PARTITION BY server_id ORDER BY ts) AS since FROM samples)
		WHERE flags & 1 = 0 AND (since IS NULL OR interval_s > since + 0.05)"
}
grown() { # FILE N: more than N samples stored
	[ "$(samples "$1")" -gt "$2" ]
}
err_has() { grep -q -- "$2" "$TAP_TMP/$1.err"; }
bg_start b2c "$PGMLTOP_BIN" --collect -s 1 -H "$B2_DB"
wait_until 15 samples_at_least "$B2_DB" 1 || echo "the collector stores nothing" | diag
col_pid=$(bg_pid b2c)
start b2 screen -s 1 --history-interval=1 -H "$B2_DB"
S=b2
check "25: a screen on the collector's history says it is written by process $col_pid" \
	poll 10 row_has $((H - 2)) "is being written by process $col_pid"
check "25: ... and shows live data: connected, pgbench statements listed" \
	poll 10 eval 'row_has 0 "[connected]" && pgbench_rows'
is "25: ... the lease stays with the collector" "$(sq "$B2_DB" "SELECT pid FROM leases")" \
	"$col_pid"
kill -TERM "$col_pid"
is "25: the collector ends on SIGTERM with 0" "$(bg_wait b2c 10)" 0
n=$(samples "$B2_DB")
check "25: the screen says it is now writing the history of this server" \
	poll 10 has "now writing the history of this server"
check "25: ... and stores samples" wait_until 10 grown "$B2_DB" "$((n + 1))"
scr_pid=$(pgmltop_pid)
bg_start b2c2 "$PGMLTOP_BIN" --collect -s 1 -H "$B2_DB"
check "25: a collector started then says process $scr_pid (the screen) writes, and waits" \
	wait_until 10 err_has b2c2 "is being written by process $scr_pid: waiting"
keys q
check "25: q ends the screen with status 0" wait_exit 0
n=$(samples "$B2_DB")
check "25: the collector takes over: it says so" wait_until 10 err_has b2c2 "now writing"
check "25: ... and stores samples" wait_until 10 grown "$B2_DB" "$((n + 1))"
kill -TERM "$(bg_pid b2c2)"
is "25: the collector ends on SIGTERM with 0" "$(bg_wait b2c2 10)" 0
is "25: integrity_check ok after the two writers" "$(sq "$B2_DB" "PRAGMA integrity_check")" ok
n=$(overlaps "$B2_DB")
if [ "$n" = 0 ]; then
	ok "25: no stored sample overlaps the one before it"
else
	not_ok "25: no stored sample overlaps the one before it ($n do)"
	sq "$B2_DB" "SELECT id, ts, interval_s, ts - lag(ts) OVER (ORDER BY ts), flags
		FROM samples" | diag
fi
is "25: no negative delta" "$(neg_deltas "$B2_DB")" 0

# 26. a damaged history opened by the screen (catalogue B5): exit 1 with what to do, the
# terminal restored, the file left as it was. 512 bytes overwritten in a page that holds
# cells (damage to free space goes unseen), the first page whose damage SQLite notices.
md5() { md5sum <"$1" | cut -d' ' -f1; }
said_joined() { tm capture-pane -p -J -S - -t "$S" | grep -q -- "$1"; } # wrapped lines joined
CORRUPT=$TAP_TMP/corrupt.db
page_size=$(sq "$B2_DB" "PRAGMA page_size")
damaged=
for pageno in $(sq "$B2_DB" "SELECT pageno FROM dbstat WHERE pageno >= 3
	AND pagetype IN ('leaf', 'internal') AND ncell > 0 ORDER BY pageno DESC"); do
	cp "$B2_DB" "$CORRUPT"
	dd if=/dev/urandom of="$CORRUPT" bs=1 seek=$(((pageno - 1) * page_size + 100)) \
		count=512 conv=notrunc 2>/dev/null
	qc=$(sqlite3 -readonly "$CORRUPT" "PRAGMA quick_check" 2>&1)
	rm -f "$CORRUPT-wal" "$CORRUPT-shm"
	if [ "$qc" != ok ]; then
		damaged=$pageno
		break
	fi
done
if [ -n "$damaged" ]; then
	before=$(md5 "$CORRUPT")
	for mode in live offline; do
		if [ $mode = live ]; then
			start b5 screen -s 1 -H "$CORRUPT"
		else
			start b5 screen --offline -H "$CORRUPT"
		fi
		S=b5
		check "26: page $damaged damaged, the $mode screen: exit 1" wait_exit 1
		check "26: ... the message says the file is damaged and to move it aside" \
			poll 2 said_joined "damaged.*move it aside"
		check "26: ... the terminal left the alternate screen" alt_left
		check "26: ... the cursor is visible" cursor_on
		is "26: ... the file is unchanged" "$(md5 "$CORRUPT")" "$before"
		tm kill-session -t b5
	done
else
	not_ok "26: could not damage a copy of the history so that quick_check sees it"
fi

# 27. a monitoring query that waits on a lock until the statement timeout (catalogue A13):
# a session holds an ACCESS EXCLUSIVE lock on the pg_stat_statements_info view for 7 s
start lk screen -s 1 --no-history
S=lk
wait_row 0 "[connected]" >/dev/null
poll 10 pgbench_rows >/dev/null
bg_start locker psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "BEGIN" -c "LOCK TABLE public.pg_stat_statements_info IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(7)" -c "COMMIT"
waits_on_lock() {
	[ "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE '%pg_stat_statements_info%' AND pid <> pg_backend_pid()")" -ge 1 ]
}
check "27: the screen's sample waits on the lock" poll 5 waits_on_lock
keys '?'
check "27: while it waits, keys are answered: ? shows the help within 2 s" poll 2 help_shown
keys q
check "27: q goes back to the list" poll 2 row_has 3 QUERYID
check "27: the message line says the sample was skipped and what waited" \
	poll 8 row_has $((H - 2)) "sample skipped: reading pg_stat_statements_info took longer"
check "27: ... and it is still running" alive
check "27: the lock released: the message line says it samples again" \
	poll 10 row_has $((H - 2)) "sampling again"
keys q
check "27: q ends pgmltop with status 0" wait_exit 0

# 28. a catastrophic filter over a statement of 50,000 'a' (catalogue D4): the screen
# keeps answering keys. (Five columns: a shape of its own, as column aliases are not part of
# the query id, and pg_stat_statements keeps the first text of a query id.)
{
	printf 'SELECT 1, 2, 3, 4, 5 AS long_a /* '
	head -c 50000 /dev/zero | tr '\0' a
	printf ' */;\n'
} >"$TAP_TMP/long_a.sql"
bg_start long_a pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 1 -R 5 -T 60 \
	-f "$TAP_TMP/long_a.sql" "$PGDATABASE"
start fl screen -s 1 --no-history
S=fl
long_a_listed() { has "long_a /* aaaa"; }
check "28: the statement of 50,000 'a' is listed" poll 10 long_a_listed
keys /
text '(a+)+$'
check "28: typing (a+)+\$: the message line says the pattern is too costly" \
	poll 5 row_has $((H - 2)) 'Filter: (a+)+$   the pattern is too costly for'
check "28: ... the statement is shown unfiltered" long_a_listed
keys Escape
check "28: Esc clears the filter within 3 s" \
	poll 3 eval 'row_has 2 "Filter: none" && row_lacks $((H - 2)) "too costly"'
keys '?'
check "28: ? shows the help within 2 s" poll 2 help_shown
keys q
poll 2 row_has 3 QUERYID >/dev/null
keys /
text '(a+)+$'
keys Enter
check "28: Enter applies it: row 2 shows the filter" poll 3 row_has 2 'Filter: (a+)+$'
check "28: ... and the message line still says it is too costly" \
	row_has $((H - 2)) "the pattern is too costly for"
sleep 2 # two samples matched against it
keys '?'
check "28: with the filter applied, ? shows the help within 2 s" poll 2 help_shown
keys q
text '\'
check "28: \\ clears it within 3 s" poll 3 row_has 2 "Filter: none"
keys q
check "28: q ends pgmltop with status 0" wait_exit 0
kill "$(bg_pid long_a)" 2>/dev/null

# 29. DROP EXTENSION pg_stat_statements under the screen, then CREATE EXTENSION (A9)
echo "SELECT 1, 2, 3, 4, 5, 6 AS a9_back;" >"$TAP_TMP/a9back.sql" # a shape of its own
start dx screen -s 1 --no-history
S=dx
poll 10 pgbench_rows >/dev/null
pg_psql -c "DROP EXTENSION pg_stat_statements" >/dev/null
check "29: DROP EXTENSION: the message line names CREATE EXTENSION" \
	poll 10 row_has $((H - 2)) "CREATE EXTENSION"
check "29: ... the list no longer shows the rates of before, and says why" \
	eval 'poll 5 has "(pg_stat_statements cannot be read" && ! pgbench_rows'
keys 2
check "29: 2 opens the sessions screen" wait_row 2 "Sessions:"
bg_start a9 psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(30) AS a9_sleeps"
check "29: ... a session started after the drop is listed" poll 10 has a9_sleeps
pg_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE query LIKE '%a9_sleeps%' AND pid <> pg_backend_pid()" >/dev/null
check "29: ... and is gone once it ended" poll 10 eval '! has a9_sleeps'
keys 1
wait_row 3 QUERYID >/dev/null
pg_psql -c "CREATE EXTENSION pg_stat_statements" >/dev/null
check "29: CREATE EXTENSION again: the message line says it reads pg_stat_statements again" \
	poll 10 row_has $((H - 2)) "pg_stat_statements can be read again"
# a statement first run now: listed only if the statements are read again
bg_start a9back pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 1 -R 10 -T 20 \
	-f "$TAP_TMP/a9back.sql" "$PGDATABASE"
check "29: ... a statement run since then is listed, with the pgbench statements" \
	poll 10 eval 'has a9_back && pgbench_rows'
kill "$(bg_pid a9back)" 2>/dev/null
keys q
check "29: q ends pgmltop with status 0" wait_exit 0
kill "$(bg_pid bench2)" 2>/dev/null

# 30. a role without pg_read_all_stats: other roles' sessions are NULL to it, so the
# header counts its own sessions and says so
pg_psql -c "DROP ROLE IF EXISTS blind" -c "CREATE ROLE blind LOGIN" >/dev/null
bg_start blindsleeper psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
	-c "SELECT pg_sleep(20) AS blind_sleeps"
EXTRA_ENV=PGUSER=blind
start bl screen -s 1 -U blind --no-history
EXTRA_ENV=
S=bl
check "30: connected as a role without pg_read_all_stats" wait_row 0 "[connected]"
check "30: the header's sessions are marked as the role's own" \
	poll 5 row_has 1 "Sessions (yours: no pg_read_all_stats)"
keys q
check "30: q ends pgmltop with status 0" wait_exit 0
kill "$(bg_pid blindsleeper)" 2>/dev/null

echo "wall time $(($(date +%s) - started)) s" | diag
done_testing
