#!/bin/sh
# Faults that come while pgmltop runs, on a real throwaway PostgreSQL with a pgbench load:
#  1. DROP EXTENSION pg_stat_statements, then CREATE EXTENSION again;
#  2. REVOKE pg_read_all_stats from the monitoring role, then GRANT it again;
#  3. the statements' query waits on a lock until pgmltop's statement_timeout cancels it;
#  4. a network that stops answering (a TCP proxy that stops forwarding), under the screen
#     and under --collect, then answers again;
#  5. another cluster (another system identifier) on the same socket and port;
#  6. EXPLAIN of a statement whose table is locked, and the server killed while a plan is
#     being taken;
#  7. the disk of the history full (a 2 MB tmpfs, skipped unless root can mount one),
#     then space freed;
#  8. the screen and --collect under valgrind (skipped without valgrind);
#  9. EXECUTE on pg_stat_statements(boolean) revoked from PUBLIC while --collect runs as a
#     role that is not a superuser, then granted again;
# 10. sslmode=require against a server without TLS (through the TCP proxy of case 4);
# 11. --batch as a role without pg_read_all_stats while other roles' sessions run: what
#     it may not see is never printed as 0.
# Case 6 also stops the server with -m fast while a plan is taken.
# Each checks what a DBA sees: the process keeps running (or exits with its documented
# status), one clear message says what is wrong and what to do, sampling resumes by itself,
# and the history holds the gap as a gap: no negative delta, no interval counted twice, no
# count above what pg_stat_statements holds, integrity_check ok.
# FAULTS2_ONLY="1 4" runs only those cases.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"
. "$TESTS_SRCDIR/lib-tmux.sh"

for tool in sqlite3 timeout python3; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done
[ -n "$TMUX_BIN" ] || bail_out "tmux not found (Debian: apt-get install tmux)"

W=160
H=30
FULL_DIR=
B_DATA=

cleanup() {
	[ -n "${TMUX_SOCK:-}" ] && tm kill-server >/dev/null 2>&1
	bg_kill_all
	if [ -n "$FULL_DIR" ]; then
		umount "$FULL_DIR" 2>/dev/null
	fi
	if [ -n "$B_DATA" ] && [ -f "$B_DATA/postmaster.pid" ]; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$B_DATA" -m immediate -w stop >/dev/null 2>&1
	fi
	pg_cleanup
}
trap cleanup EXIT

# want N: case N is to run.
want() {
	[ -z "${FAULTS2_ONLY:-}" ] && return 0
	case " $FAULTS2_ONLY " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# err_wait NAME SECONDS EXTENDED-REGEX: wait until NAME.err has a matching line.
err_has() {
	grep -Eq -e "$2" "$TAP_TMP/$1.err"
}
err_wait() {
	wait_until "$2" err_has "$1" "$3"
}

# says NAME DESCRIPTION EXTENDED-REGEX [SECONDS]: a test point, NAME.err comes to match.
says() {
	if err_wait "$1" "${4:-20}" "$3"; then
		ok "$2"
	else
		not_ok "$2"
		diag <"$TAP_TMP/$1.err"
	fi
}

# grows FILE SECONDS [N]: N (default 2) more samples are stored within SECONDS.
grows() {
	gr_n=$(samples "$1")
	wait_until "$2" samples_at_least "$1" $((gr_n + ${3:-2}))
}

# overlaps FILE: intervals longer than the time since the sample stored before them
# (some seconds counted twice).
overlaps() {
	sq "$1" "SELECT count(*) FROM (SELECT flags, interval_s,
		ts - lag(ts) OVER (PARTITION BY server_id ORDER BY ts) AS since FROM samples)
		WHERE flags & 1 = 0 AND (since IS NULL OR interval_s > since + 0.05)"
}

# overcounted FILE [SERVER_ID]: statements whose stored calls add up to more than
# pg_stat_statements counted (counters not reset since the history began).
overcounted() {
	pg_psql -At -F, -c "SELECT queryid, sum(calls) FROM pg_stat_statements
		WHERE queryid IS NOT NULL GROUP BY 1" >"$TAP_TMP/pgss.csv" || return 1
	sqlite3 -batch -cmd '.timeout 10000' "$1" \
		"CREATE TEMP TABLE pgss (queryid INTEGER, calls INTEGER)" \
		".mode csv" ".import $TAP_TMP/pgss.csv pgss" \
		"SELECT count(*) FROM (SELECT d.queryid, sum(d.calls) AS c FROM stmt_deltas d
		  JOIN samples s ON s.id = d.sample_id
		  WHERE s.server_id = ${2:-s.server_id} GROUP BY d.queryid) h
		 LEFT JOIN pgss p ON p.queryid = h.queryid WHERE h.c > coalesce(p.calls, 0)"
}

# history_sound DESCRIPTION FILE: integrity_check ok, no negative delta, no interval
# counted twice.
history_sound() {
	is "$1: integrity_check ok" "$(sq "$2" "PRAGMA integrity_check")" ok
	is "$1: no negative delta" "$(neg_deltas "$2")" 0
	is "$1: no interval overlaps the sample before it" "$(overlaps "$2")" 0
}

# statements_back CASE HISTORY SINCE JOB: pg_stat_statements readable again since SINCE:
# the pgbench statements come back in the deltas of two samples or more, the first sample
# with statements again is a new baseline (no statement delta); then JOB is stopped and
# the history checked (sound, nothing counted above pg_stat_statements).
statements_back() {
	sb_h=$2
	sb_since=$3
	sb_back() {
		[ "$(sq "$sb_h" "SELECT count(DISTINCT d.sample_id) FROM stmt_deltas d
			JOIN samples s ON s.id = d.sample_id WHERE s.ts > $sb_since
			AND d.queryid IN (SELECT queryid FROM queries
			WHERE query LIKE 'UPDATE pgbench_accounts%')")" -ge 2 ]
	}
	check "$1: ... the pgbench statements come back in the deltas" wait_until 20 sb_back
	is "$1: ... the first sample with statements again has no statement delta (a new baseline)" \
		"$(sq "$sb_h" "SELECT count(*) FROM stmt_deltas WHERE sample_id = (SELECT id FROM
			samples WHERE ts > $sb_since AND flags & 64 = 0 ORDER BY ts LIMIT 1)")" 0
	is "$1: stopped by SIGTERM: exit 0" "$(stop_bg "$4")" 0
	history_sound "$1" "$sb_h"
	is "$1: no statement counted above pg_stat_statements" "$(overcounted "$sb_h")" 0
}

stop_bg() { # NAME: SIGTERM, then its exit status
	kill -TERM "$(bg_pid "$1")" 2>/dev/null
	bg_wait "$1" 15
}

load() { # SECONDS: a pgbench load as postgres in the background
	bg_start pgbench pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -c 2 -R 200 -T "$1" \
		"$PGDATABASE" || bail_out "pgbench did not start"
}

# start_screen ARGS...: pgmltop's screen in the tmux session p, its exit status in p.rc.
start_screen() {
	rm -f "$TAP_TMP/p.rc"
	# shellcheck disable=SC2016 # the inner shell expands them
	tm new-session -d -s p -x "$W" -y "$H" \
		sh -c '"$@"; echo $? >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep 300' \
		"$TAP_TMP/p.rc" env TERM=xterm-256color HOME="$TAP_TMP/home" \
		XDG_DATA_HOME="$TAP_TMP/xdg" XDG_CONFIG_HOME="$TAP_TMP/config" PGMLTOP_CONFIG= \
		LC_ALL=C.UTF-8 "$@"
}
screen_ended() { [ -e "$TAP_TMP/p.rc" ] && [ "$(cat "$TAP_TMP/p.rc")" = "$1" ]; }
help_shown() {
	for w in quit filter sort; do
		tm capture-pane -p -t p | grep -qi -- "$w" || return 1
	done
}

tap_tmpdir
mkdir "$TAP_TMP/home" "$TAP_TMP/xdg"
tmux_use pgmltop-faults2
pg_start
pg_pgbench_init 1
export PGMLTOP_BIN
load 170
started=$(date +%s)

# ---- 1. pg_stat_statements dropped while running, then created again ----
if want 1; then
	H1=$TAP_TMP/drop.db
	bg_start drop "$PGMLTOP_BIN" -b -s 1 -H "$H1" --top=5
	wait_until 20 samples_at_least "$H1" 3 || echo "no samples before the drop" | diag
	pg_psql -c "DROP EXTENSION pg_stat_statements" >/dev/null
	dropped=$(pg_value "SELECT extract(epoch from now())")
	says drop "1: DROP EXTENSION: the message names the database and CREATE EXTENSION" \
		'pg_stat_statements is not installed in database "postgres".*CREATE EXTENSION'
	grows "$H1" 10 3
	check "1: ... each batch table says why its statements are missing" \
		grep -q '^Statements unavailable: pg_stat_statements is not installed' "$TAP_TMP/drop.out"
	is "1: ... the process keeps running" "$(bg_running drop && echo yes)" yes
	is "1: ... the database view is still sampled (samples since the drop with deltas)" \
		"$(sq "$H1" "SELECT count(DISTINCT s.id) >= 2 FROM samples s JOIN database_deltas d
			ON d.sample_id = s.id WHERE s.ts > $dropped + 0.5")" 1
	is "1: ... and marked as samples without pg_stat_statements" \
		"$(sq "$H1" "SELECT count(*) FROM samples WHERE ts > $dropped + 0.5
			AND flags & 64 = 0 AND id IN (SELECT sample_id FROM stmt_deltas)")" 0
	n=$(grep -c 'not installed' "$TAP_TMP/drop.err")
	is "1: ... said once, not at every sample" "$n" 1
	lines=$(grep -c "^Sessions:" "$TAP_TMP/drop.out")
	grows "$H1" 10 1
	lines2=$(grep -c "^Sessions:" "$TAP_TMP/drop.out")
	if [ "$lines2" -gt "$lines" ]; then
		ok "1: ... the batch tables go on"
	else
		not_ok "1: ... the batch tables go on ($lines, then $lines2 tables)"
	fi
	pg_psql -c "CREATE EXTENSION pg_stat_statements" >/dev/null
	created=$(pg_value "SELECT extract(epoch from now())")
	says drop "1: CREATE EXTENSION again: pgmltop says it reads pg_stat_statements again" \
		'pg_stat_statements can be read again'
	statements_back 1 "$H1" "$created" drop
fi

# ---- 2. pg_read_all_stats revoked while running, then granted again ----
if want 2; then
	H2=$TAP_TMP/revoke.db
	pg_psql -c "CREATE ROLE mon LOGIN; GRANT pg_read_all_stats TO mon" >/dev/null
	bg_start revoke "$PGMLTOP_BIN" --collect -s 1 -U mon -H "$H2"
	wait_until 20 samples_at_least "$H2" 3 || echo "no samples before the revoke" | diag
	if err_has revoke 'hidden'; then
		not_ok "2: with pg_read_all_stats: no word of hidden statements"
		diag <"$TAP_TMP/revoke.err"
	else
		ok "2: with pg_read_all_stats: no word of hidden statements"
	fi
	pg_psql -c "REVOKE pg_read_all_stats FROM mon" >/dev/null
	revoked=$(pg_value "SELECT extract(epoch from now())")
	says revoke "2: REVOKE: the warning names the role and what to GRANT" \
		'role mon cannot see the statements of other roles.*GRANT pg_read_all_stats'
	grows "$H2" 10 2
	is "2: ... sampling goes on, hidden statements counted (n_hidden > 0)" \
		"$(sq "$H2" "SELECT count(*) >= 2 FROM samples WHERE ts > $revoked + 1
			AND n_hidden > 0")" 1
	pg_psql -c "GRANT pg_read_all_stats TO mon" >/dev/null
	granted=$(pg_value "SELECT extract(epoch from now())")
	says revoke "2: GRANT again: it says the statements of other roles are seen again" \
		'statements of other roles (are|can be) seen again'
	grows "$H2" 10 3
	is "2: ... n_hidden back to 0" \
		"$(sq "$H2" "SELECT max(n_hidden) FROM samples WHERE ts > $granted + 1")" 0
	is "2: ... the warning was said once" "$(grep -c 'cannot see the statements' "$TAP_TMP/revoke.err")" 1
	is "2: stopped by SIGTERM: exit 0" "$(stop_bg revoke)" 0
	history_sound 2 "$H2"
	is "2: no statement counted above pg_stat_statements (none doubled when seen again)" \
		"$(overcounted "$H2")" 0
fi

# ---- 3. pgmltop's own statement_timeout cancels a query of the sample ----
# A session holds an ACCESS EXCLUSIVE lock on the pg_stat_statements_info view (as ALTER
# EXTENSION pg_stat_statements UPDATE in a long transaction would): the sample's first
# query waits on it until pgmltop's statement_timeout (5 s) cancels it.
if want 3; then
	H3=$TAP_TMP/timeout.db
	bg_start slow "$PGMLTOP_BIN" -b -s 1 -H "$H3" --top=5
	wait_until 20 samples_at_least "$H3" 2 || echo "no samples before the lock" | diag
	bg_start locker psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" \
		-c "BEGIN" -c "LOCK TABLE public.pg_stat_statements_info IN ACCESS EXCLUSIVE MODE" \
		-c "SELECT pg_sleep(7)" -c "COMMIT"
	locked_at=$(date +%s)
	says slow "3: the sample is skipped: the message says what waited, the timeout and pg_locks" \
		'sample skipped: reading pg_stat_statements_info took longer than .*statement timeout \(5000 ms\).*pg_locks' 15
	is "3: ... the process keeps running" "$(bg_running slow && echo yes)" yes
	bg_wait locker 20 >/dev/null
	unlocked=$(pg_value "SELECT extract(epoch from now())")
	says slow "3: the lock released: it says it samples again" 'sampling again, after [0-9]+ samples? skipped' 15
	after=$(($(date +%s) - locked_at))
	echo "the lock was held 7 s; sampling again $after s after it was taken" | diag
	back3() {
		[ "$(sq "$H3" "SELECT count(DISTINCT d.sample_id) FROM stmt_deltas d
			JOIN samples s ON s.id = d.sample_id WHERE s.ts > $unlocked")" -ge 2 ]
	}
	check "3: ... statement deltas again in the samples after it" wait_until 15 back3
	is "3: the skipped seconds are counted once, in the interval stored after them" \
		"$(sq "$H3" "SELECT count(*) FROM samples WHERE interval_s > 4.5")" 1
	is "3: stopped by SIGTERM: exit 0" "$(stop_bg slow)" 0
	history_sound 3 "$H3"
	is "3: no statement counted above pg_stat_statements" "$(overcounted "$H3")" 0
fi

# ---- 4. a network that stops answering ----
# A TCP proxy in front of the server's socket; SIGUSR1 stalls it (nothing read, nothing
# accepted, nothing closed), SIGUSR2 lets it go on.
cat >"$TAP_TMP/proxy.py" <<'EOF'
import os, selectors, signal, socket, sys, time
upstream, portfile = sys.argv[1], sys.argv[2]
stalled = False
def stall(*a):
    global stalled
    stalled = True
def resume(*a):
    global stalled
    stalled = False
signal.signal(signal.SIGUSR1, stall)
signal.signal(signal.SIGUSR2, resume)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
peer = {}
def close(s):
    for x in (s, peer.get(s)):
        if x is not None and x in peer:
            sel.unregister(x)
            x.close()
            del peer[x]
while True:
    if stalled:
        time.sleep(0.05)
        continue
    for key, _ in sel.select(0.1):
        s = key.fileobj
        if stalled:
            break
        if s is ls:
            c, _ = ls.accept()
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(upstream)
            except OSError:
                c.close()
                continue
            peer[c], peer[u] = u, c
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            continue
        if s not in peer:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(s)
            continue
        try:
            peer[s].sendall(data)
        except OSError:
            close(s)
EOF
if want 4; then
	bg_start proxy python3 "$TAP_TMP/proxy.py" "$PGHOST/.s.PGSQL.$PGPORT" "$TAP_TMP/proxy.port"
	wait_until 10 test -s "$TAP_TMP/proxy.port" || bail_out "the proxy did not start"
	PP=$(cat "$TAP_TMP/proxy.port")
	H4=$TAP_TMP/stall.db
	bg_start stall "$PGMLTOP_BIN" --collect -s 1 -h 127.0.0.1 -p "$PP" -H "$H4"
	start_screen "$PGMLTOP_BIN" -s 1 -h 127.0.0.1 -p "$PP" --no-history
	check "4: the screen through the proxy is [connected]" pane_wait 20 '\[connected\]'
	wait_until 20 samples_at_least "$H4" 3 || echo "no samples through the proxy" | diag
	kill -USR1 "$(bg_pid proxy)"
	t0=$(date +%s)
	tm send-keys -t p '?'
	check "4: stalled: the screen still answers keys (? shows the help)" \
		wait_until 3 help_shown
	tm send-keys -t p q
	check "4: ... and q goes back to the list" pane_wait 5 'QUERYID'
	check "4: the header says how long the server has not answered, before it gives up" \
		pane_wait 15 '\[connected\]  no answer for [0-9]* s'
	check "4: the screen says [reconnecting] within 30 s" pane_wait 30 '\[reconnecting'
	t1=$(date +%s)
	echo "the screen said [reconnecting] $((t1 - t0)) s after the stall" | diag
	says stall "4: --collect says the connection was lost: no answer from the server" \
		'connection lost: no answer from the server; reconnecting' 30
	t2=$(date +%s)
	echo "--collect said it $((t2 - t0)) s after the stall" | diag
	if [ $((t1 - t0)) -le 25 ] && [ $((t2 - t0)) -le 25 ]; then
		ok "4: ... both within 25 s"
	else
		not_ok "4: ... both within 25 s ($((t1 - t0)) s, $((t2 - t0)) s)"
	fi
	tm send-keys -t p '?'
	check "4: reconnecting: keys still answered" wait_until 3 help_shown
	tm send-keys -t p q
	stalled_n=$(samples "$H4")
	sleep 2
	kill -USR2 "$(bg_pid proxy)"
	check "4: the proxy goes on: the screen is [connected] again within 40 s" \
		pane_wait 40 '\[connected\]'
	check "4: ... and --collect stores samples again" grows "$H4" 40 2
	is "4: --collect kept running" "$(bg_running stall && echo yes)" yes
	is "4: the loss is in the history's events" \
		"$(sq "$H4" "SELECT count(*) >= 1 FROM events WHERE kind = 'lost'")" 1
	is "4: the first sample after the stall is a new baseline (flag 16)" \
		"$(sq "$H4" "SELECT flags & 17 FROM samples ORDER BY ts LIMIT 1 OFFSET $stalled_n")" 17
	is "4: stopped by SIGTERM: exit 0" "$(stop_bg stall)" 0
	history_sound 4 "$H4"
	is "4: no statement counted above pg_stat_statements" "$(overcounted "$H4")" 0
	tm send-keys -t p q
	check "4: q ends the screen with 0" wait_until 10 screen_ended 0
	tm kill-session -t p 2>/dev/null
	kill "$(bg_pid proxy)" 2>/dev/null
fi

# ---- 5. another cluster on the same socket and port ----
if want 5; then
	H5=$TAP_TMP/failover.db
	# cluster B, made before A stops: another initdb, so another system identifier
	B_DIR=$TAP_TMP/pgB
	B_DATA=$B_DIR/data
	mkdir -p "$B_DATA"
	[ "$(id -u)" -eq 0 ] && chown "$PG_OS_USER" "$B_DIR" "$B_DATA"
	pg_as_owner "$PG_BIN/initdb" -D "$B_DATA" -A trust -U postgres --no-sync \
		>"$TAP_TMP/initdb-b.log" 2>&1 || bail_out "initdb of cluster B failed"
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$PG_DIR'"
		echo "port = $PGPORT"
		echo "fsync = off"
		echo "shared_preload_libraries = 'pg_stat_statements'"
		echo "pg_stat_statements.track = all"
	} | pg_as_owner tee -a "$B_DATA/postgresql.conf" >/dev/null
	sysid_a=$(pg_value "SELECT system_identifier FROM pg_control_system()")
	bg_start failover "$PGMLTOP_BIN" --collect -s 1 -H "$H5"
	wait_until 20 samples_at_least "$H5" 3 || echo "no samples from A" | diag
	pg_stop
	bg_wait pgbench 10 >/dev/null
	if pg_as_owner "$PG_BIN/pg_ctl" -D "$B_DATA" -l "$B_DIR/server.log" -w -t 60 start \
		>/dev/null 2>&1 && pg_psql -c "CREATE EXTENSION pg_stat_statements" >/dev/null; then
		ok "5: A stopped; cluster B runs on the same socket and port"
	else
		not_ok "5: A stopped; cluster B runs on the same socket and port"
		diag <"$B_DIR/server.log"
	fi
	sysid_b=$(pg_value "SELECT system_identifier FROM pg_control_system()")
	bg_start loadb pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 1 -R 50 -T 20 \
		-f /dev/stdin "$PGDATABASE" <<'SQL'
SELECT count(*) FROM pg_class;
SQL
	says failover "5: pgmltop says it is another server, kept apart, naming B's identifier" \
		"another server than before \\($sysid_b:$PGPORT, was $sysid_a:$PGPORT\\): its history is kept apart" 30
	on_b() {
		[ "$(sq "$H5" "SELECT count(*) FROM samples WHERE server_id =
			(SELECT id FROM servers WHERE sysid = '$sysid_b')")" -ge 4 ]
	}
	check "5: ... and stores B's samples" wait_until 20 on_b
	is "5: the servers table has A and B, by system identifier" \
		"$(sq "$H5" "SELECT group_concat(sysid, ' ') FROM (SELECT sysid FROM servers ORDER BY id)")" \
		"$sysid_a $sysid_b"
	is "5: B's first sample is a baseline (no delta across A and B)" \
		"$(sq "$H5" "SELECT flags & 1, interval_s FROM samples WHERE server_id =
			(SELECT id FROM servers WHERE sysid = '$sysid_b') ORDER BY ts LIMIT 1")" "1|0.0"
	is "5: --collect kept running" "$(bg_running failover && echo yes)" yes
	is "5: stopped by SIGTERM: exit 0" "$(stop_bg failover)" 0
	history_sound 5 "$H5"
	is "5: no statement of B counted above B's pg_stat_statements" \
		"$(overcounted "$H5" "(SELECT id FROM servers WHERE sysid = '$sysid_b')")" 0
	bg_wait loadb 30 >/dev/null
	pg_as_owner "$PG_BIN/pg_ctl" -D "$B_DATA" -m fast -w stop >/dev/null 2>&1
	pg_restart_server || bail_out "server A did not start again"
fi

# ---- 6. EXPLAIN: a locked table, and the server killed while a plan is taken ----
if want 6; then
	H6=$TAP_TMP/explain.db
	pg_psql -q >/dev/null <<'SQL' || bail_out "the schema of case 6 could not be made"
CREATE TABLE locked6 (id int PRIMARY KEY);
INSERT INTO locked6 SELECT generate_series(1, 1000);
-- folded into a constant while planning: planning takes 2.5 s
CREATE FUNCTION slow_plan6() RETURNS int IMMUTABLE LANGUAGE plpgsql
	AS 'BEGIN PERFORM pg_sleep(2.5); RETURN 1; END';
SELECT count(*) FROM locked6;
SELECT id FROM locked6 WHERE id = slow_plan6();
SQL
	q_locked=$(pg_value "SELECT queryid FROM pg_stat_statements
		WHERE query = 'SELECT count(*) FROM locked6'")
	q_slow=$(pg_value "SELECT queryid FROM pg_stat_statements
		WHERE query LIKE 'SELECT id FROM locked6 WHERE id = slow_plan6()%'")
	PGAPPNAME=locker6 bg_start locker6 psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres \
		-d "$PGDATABASE" -c "BEGIN" -c "LOCK TABLE locked6 IN ACCESS EXCLUSIVE MODE" \
		-c "SELECT pg_sleep(60)"
	lock_held() {
		[ "$(pg_value "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'locked6' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
	}
	wait_until 10 lock_held || echo "the lock of case 6 was not taken" | diag
	t0=$(date +%s)
	timeout 30 "$PGMLTOP_BIN" -H "$H6" --explain="$q_locked" --yes </dev/null \
		>"$TAP_TMP/ex-lock.out" 2>"$TAP_TMP/ex-lock.err"
	rc=$?
	t1=$(date +%s)
	is "6: EXPLAIN of a statement on a locked table: exit 1" "$rc" 1
	says ex-lock "6: ... the message says the table is locked and what to do" \
		'EXPLAIN failed: a table it needs is locked by another session.*lock_timeout.*try again once the lock is released [(]see pg_locks[)]' 1
	echo "it took $((t1 - t0)) s" | diag
	check "6: ... within 15 s (lock_timeout 1 s; the sample's own reads wait at most 5 s)" \
		test $((t1 - t0)) -le 15
	pg_value "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'locker6'" >/dev/null
	bg_wait locker6 10 >/dev/null

	bg_start ex-crash timeout 30 "$PGMLTOP_BIN" -H "$H6" --explain="$q_slow"
	planning() {
		[ "$(pg_value "SELECT count(*) FROM pg_stat_activity WHERE application_name =
			'pgmltop explain' AND state = 'active' AND query LIKE 'EXPLAIN%'")" = 1 ]
	}
	if wait_until 20 planning; then
		ok "6: the plan is being taken (EXPLAIN active in pg_stat_activity)"
	else
		not_ok "6: the plan is being taken (EXPLAIN active in pg_stat_activity)"
		diag <"$TAP_TMP/ex-crash.err"
	fi
	pg_crash
	t0=$(date +%s)
	rc=$(bg_wait ex-crash 35)
	t1=$(date +%s)
	is "6: the server killed while planning: exit 1, no hang" "$rc" 1
	echo "it ended $((t1 - t0)) s after the server was killed" | diag
	says ex-crash "6: ... the message says the connection was lost and what to do" \
		'EXPLAIN failed: the connection to the server was lost [(]server closed the connection.*request[.][)]: take the plan again once the server is back' 1
	is "6: ... one message" "$(wc -l <"$TAP_TMP/ex-crash.err")" 1
	pg_restart_server || bail_out "the server did not start again"
	is "6: the history of the explains: integrity_check ok" "$(sq "$H6" "PRAGMA integrity_check")" ok

	# the same, with a fast shutdown: the backend taking the plan is terminated
	bg_start ex-fast timeout 30 "$PGMLTOP_BIN" -H "$H6" --explain="$q_slow"
	if wait_until 20 planning; then
		ok "6: fast: the plan is being taken"
	else
		not_ok "6: fast: the plan is being taken"
		diag <"$TAP_TMP/ex-fast.err"
	fi
	t0=$(date +%s)
	pg_stop
	rc=$(bg_wait ex-fast 35)
	t1=$(date +%s)
	is "6: pg_ctl stop -m fast while planning: exit 1, no hang" "$rc" 1
	echo "it ended $((t1 - t0)) s after the fast shutdown began" | diag
	check "6: ... within 10 s" test $((t1 - t0)) -le 10
	says ex-fast "6: ... the message says the server shut down and what to do" \
		'EXPLAIN failed: .*(shut ?down|administrator command|connection to the server was lost).*: take the plan again once the server is back' 1
	is "6: ... one message" "$(wc -l <"$TAP_TMP/ex-fast.err")" 1
	diag <"$TAP_TMP/ex-fast.err"
	pg_restart_server || bail_out "the server did not start again"
	timeout 30 "$PGMLTOP_BIN" --collect -s 1 -n 2 -H "$H6" </dev/null >/dev/null \
		2>"$TAP_TMP/after-fast.err"
	is "6: started again: --collect -s 1 -n 2 samples it, exit 0" "$?" 0
	is "6: ... and stores the samples after the explains' ones" \
		"$(sq "$H6" "SELECT count(*) >= 2 FROM samples WHERE ts > $t1")" 1
	is "6: the history: integrity_check ok" "$(sq "$H6" "PRAGMA integrity_check")" ok
fi

# ---- 7. the disk of the history full, then space freed ----
if want 7; then
	FULL=$TAP_TMP/full
	mkdir "$FULL"
	if [ "$(id -u)" -ne 0 ]; then
		why="not root: no tmpfs can be mounted"
	elif ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$FULL" 2>"$TAP_TMP/mount.err"; then
		why="mount -t tmpfs failed: $(cat "$TAP_TMP/mount.err")"
	else
		why=
		FULL_DIR=$FULL
	fi
fi
if want 7 && [ -n "$why" ]; then
	ok "7: disk full # SKIP $why"
elif want 7; then
	bg_kill_all
	load 60
	H7=$FULL/h.db
	bg_start full "$PGMLTOP_BIN" --collect -s 1 -H "$H7"
	wait_until 20 samples_at_least "$H7" 3 || echo "no samples before the disk filled" | diag
	dd if=/dev/zero of="$FULL/fill" bs=16k >/dev/null 2>&1
	before=$(sq "$H7" "SELECT count(*) || ':' || sum(ts) FROM samples")
	n_before=${before%%:*}
	says full "7: the disk fills: a clear message, the disk is full, samples not stored" \
		'disk is full.*samples are not stored until this is solved' 30
	is "7: ... the process keeps running" "$(bg_running full && echo yes)" yes
	is "7: ... the samples stored before are intact (integrity_check ok)" \
		"$(sq "$H7" "PRAGMA integrity_check")" ok
	is "7: ... and all there" \
		"$(sq "$H7" "SELECT count(*) || ':' || sum(ts) FROM samples WHERE id <= (SELECT
			max(id) FROM (SELECT id FROM samples ORDER BY id LIMIT $n_before))")" "$before"
	n_full=$(samples "$H7")
	sleep 2
	rm -f "$FULL/fill"
	says full "7: space freed: it says it stores samples again" 'storing samples again' 20
	check "7: ... and stores them" grows "$H7" 10 2
	echo "$n_before samples before the disk filled, $n_full while full, $(samples "$H7") now" | diag
	is "7: stopped by SIGTERM: exit 0" "$(stop_bg full)" 0
	history_sound 7 "$H7"
	umount "$FULL" && FULL_DIR=
fi

# ---- 8. valgrind: the screen and --collect, leak-free ----
VALGRIND=$(command -v valgrind)
VG_S=${VG_SECONDS:-20}
if want 8 && [ -z "$VALGRIND" ]; then
	ok "8: valgrind # SKIP valgrind is not installed"
elif want 8 && grep -q __asan_init "$PGMLTOP_BIN"; then
	ok "8: valgrind # SKIP built with AddressSanitizer, which valgrind cannot run"
elif want 8; then
	bg_kill_all
	load 90
	H8=$TAP_TMP/vg.db
	bg_start vgcollect "$VALGRIND" -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$TAP_TMP/vg-collect.log" "$PGMLTOP_BIN" --collect -s 1 -n "$VG_S" -H "$H8"
	start_screen "$VALGRIND" -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$TAP_TMP/vg-screen.log" \
		"$PGMLTOP_BIN" -s 1 --history-interval=2 -H "$TAP_TMP/vg-screen.db"
	check "8: the screen under valgrind is [connected]" pane_wait 60 '\[connected\]'
	sleep "$VG_S"
	tm send-keys -t p '?'
	check "8: ... answers keys" wait_until 10 help_shown
	tm send-keys -t p q
	tm send-keys -t p q
	rc=$(bg_wait vgcollect 60)
	is "8: --collect -s 1 -n $VG_S under valgrind: exit 0 (99: an error or a leak)" "$rc" 0
	[ "$rc" = 0 ] || diag <"$TAP_TMP/vg-collect.log"
	is "8: ... stored $VG_S samples" "$(samples "$H8")" "$VG_S"
	if wait_until 60 test -e "$TAP_TMP/p.rc" && [ "$(cat "$TAP_TMP/p.rc")" = 0 ]; then
		ok "8: the screen under valgrind for $VG_S s: exit 0 (99: an error or a leak)"
	else
		not_ok "8: the screen under valgrind for $VG_S s: exit 0 (99: an error or a leak)"
		diag <"$TAP_TMP/p.rc" 2>/dev/null
		diag <"$TAP_TMP/vg-screen.log"
	fi
	n=$(sq "$TAP_TMP/vg-screen.db" "SELECT count(*) FROM samples")
	check "8: ... it stored a sample every 2 s ($n samples)" test "${n:-0}" -ge $((VG_S / 4))
	tm kill-session -t p 2>/dev/null
fi

# ---- 9. EXECUTE on pg_stat_statements(boolean) revoked while running, then granted ----
if want 9; then
	bg_kill_all
	load 60
	H9=$TAP_TMP/execute.db
	pg_psql -c "CREATE ROLE mon9 LOGIN; GRANT pg_read_all_stats TO mon9" >/dev/null
	bg_start execute "$PGMLTOP_BIN" --collect -s 1 -U mon9 -H "$H9"
	wait_until 20 samples_at_least "$H9" 3 || echo "no samples before the revoke" | diag
	pg_psql -c "REVOKE EXECUTE ON FUNCTION pg_stat_statements(boolean) FROM PUBLIC" >/dev/null
	revoked=$(pg_value "SELECT extract(epoch from now())")
	says execute "9: REVOKE EXECUTE: the message says what failed and the GRANT to give" \
		'permission denied reading pg_stat_statements: GRANT EXECUTE ON FUNCTION public\.pg_stat_statements\(boolean\) TO mon9'
	check "9: ... it does not send the role to pg_read_all_stats, which it has" \
		sh -c "! grep -q 'GRANT pg_read_all_stats' '$TAP_TMP/execute.err'"
	grows "$H9" 10 3
	is "9: ... the process keeps running" "$(bg_running execute && echo yes)" yes
	is "9: ... the database view is still sampled (samples since the revoke with deltas)" \
		"$(sq "$H9" "SELECT count(DISTINCT s.id) >= 2 FROM samples s JOIN database_deltas d
			ON d.sample_id = s.id WHERE s.ts > $revoked + 0.5")" 1
	is "9: ... and so is the activity (sessions counted since the revoke)" \
		"$(sq "$H9" "SELECT count(*) >= 2 FROM samples WHERE ts > $revoked + 0.5
			AND sess_total > 0")" 1
	is "9: ... no statement delta since the revoke" \
		"$(sq "$H9" "SELECT count(*) FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id
			WHERE s.ts > $revoked + 0.5")" 0
	is "9: ... said once" "$(grep -c 'GRANT EXECUTE' "$TAP_TMP/execute.err")" 1
	grep 'GRANT EXECUTE' "$TAP_TMP/execute.err" | diag
	pg_psql -c "GRANT EXECUTE ON FUNCTION pg_stat_statements(boolean) TO PUBLIC" >/dev/null
	granted=$(pg_value "SELECT extract(epoch from now())")
	says execute "9: GRANT again: it says pg_stat_statements can be read again" \
		'pg_stat_statements can be read again'
	statements_back 9 "$H9" "$granted" execute
fi

# ---- 10. sslmode=require against a server without TLS ----
if want 10; then
	bg_start proxy10 python3 "$TAP_TMP/proxy.py" "$PGHOST/.s.PGSQL.$PGPORT" \
		"$TAP_TMP/proxy10.port"
	wait_until 10 test -s "$TAP_TMP/proxy10.port" || bail_out "the proxy did not start"
	PP=$(cat "$TAP_TMP/proxy10.port")
	for mode in -b --collect; do
		timeout 30 "$PGMLTOP_BIN" $mode -n 1 -H "$TAP_TMP/ssl.db" -h 127.0.0.1 -p "$PP" \
			-d "dbname=$PGDATABASE sslmode=require" </dev/null >"$TAP_TMP/ssl.out" \
			2>"$TAP_TMP/ssl.err"
		rc=$?
		if [ "$rc" = 1 ] && [ ! -s "$TAP_TMP/ssl.out" ] && [ "$(wc -l <"$TAP_TMP/ssl.err")" = 1 ]; then
			ok "10: $mode sslmode=require, no TLS on the server: exit 1, one line, nothing else"
		else
			not_ok "10: $mode sslmode=require, no TLS on the server: exit 1, one line, nothing else"
			echo "exit status $rc" | diag
			diag <"$TAP_TMP/ssl.err"
		fi
		says ssl "10: ... libpq's message passed on, and what to check (sslmode)" \
			'^pgmltop: cannot connect: .*server does not support SSL, but SSL was required.*check sslmode' 1
	done
	diag <"$TAP_TMP/ssl.err"
	is "10: ... no sample stored" "$(samples "$TAP_TMP/ssl.db")" 0
	kill "$(bg_pid proxy10)" 2>/dev/null
fi

# ---- 11. --batch without pg_read_all_stats: unknown is not 0 ----
if want 11; then
	bg_kill_all
	load 30
	pg_psql -c "CREATE ROLE mon11 LOGIN" >/dev/null
	pgbench_on() {
		[ "$(pg_value "SELECT count(*) FROM pg_stat_activity
			WHERE usename = 'postgres' AND application_name = 'pgbench'")" -ge 2 ]
	}
	wait_until 10 pgbench_on || echo "pgbench's sessions are not there" | diag
	COLUMNS=200 timeout 30 "$PGMLTOP_BIN" -b -s 1 -n 3 --top=0 -U mon11 --no-history \
		</dev/null >"$TAP_TMP/mon11.out" 2>"$TAP_TMP/mon11.err"
	is "11: --batch -n 3 as a role without pg_read_all_stats: exit 0" "$?" 0
	is "11: ... three tables" "$(grep -c '^Sessions:' "$TAP_TMP/mon11.out")" 3
	# pgbench's two sessions are postgres's: all their columns are NULL for mon11, and
	# their number is unknown to it: no "0 total", no "0 active" of all sessions
	bad=$(grep '^Sessions:' "$TAP_TMP/mon11.out" |
		grep -v -E '^Sessions: those of other roles are hidden \(no pg_read_all_stats\); of the [0-9]+ seen: [0-9]+ active, ')
	is "11: the sessions of other roles are said hidden, not counted as 0" "${bad:-none}" none
	check "11: ... the note says statements of other roles are hidden" \
		grep -q '^Note: [1-9][0-9]* statements of other roles are hidden' "$TAP_TMP/mon11.out"
	# a hidden statement has no query id and no text: none printed as query id 0 or as
	# <insufficient privilege>
	is "11: no row with query id 0" \
		"$(grep -c -E '^ +0 +[0-9.]+ ' "$TAP_TMP/mon11.out")" 0
	is "11: no <insufficient privilege> text" \
		"$(grep -c 'insufficient privilege' "$TAP_TMP/mon11.out")" 0
	check "11: mon11's own statements are there (its sampling queries)" \
		grep -q 'SELECT datid, datname, numbackends' "$TAP_TMP/mon11.out"
	check "11: the warning names the roles that grant them, once" \
		sh -c "[ \$(grep -c 'GRANT pg_read_all_stats (or pg_monitor) TO mon11' '$TAP_TMP/mon11.err') -eq 1 ]"
fi

echo "faults2.sh took $(($(date +%s) - started)) s" | diag
done_testing
