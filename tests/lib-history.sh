# Helpers for the shell tests that read a history file and run pgmltop in the
# background. Source it after lib-tap.sh; background jobs live in $TAP_TMP.

# How often wait_until polls, in seconds.
poll_step=0.2

# sq FILE SQL: run SQL on a history file (waits while a writer holds the lock).
sq() {
	sqlite3 -batch -cmd '.timeout 10000' "$1" "$2"
}

# samples FILE: the number of stored samples (0 while the file or table is missing).
samples() {
	n=$(sq "$1" "SELECT count(*) FROM samples" 2>/dev/null)
	echo "${n:-0}"
}

samples_at_least() {
	[ "$(samples "$1")" -ge "$2" ]
}

# wait_until SECONDS COMMAND...: poll every $poll_step s until COMMAND succeeds;
# 1 on timeout.
wait_until() {
	wu_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$wu_end" ] && return 1
		sleep "$poll_step"
	done
	return 0
}

# bg_start NAME COMMAND...: run COMMAND in the background with stdin from /dev/null.
# Its pid goes to $TAP_TMP/NAME.pid, stdout and stderr to NAME.out and NAME.err, and its
# exit status to NAME.rc once it has ended.
bg_start() {
	bg_n=$TAP_TMP/$1
	shift
	rm -f "$bg_n.pid" "$bg_n.rc"
	(
		sh -c 'echo $$ >"$0.pid.tmp" && mv "$0.pid.tmp" "$0.pid" && exec "$@"' \
			"$bg_n" "$@" </dev/null >"$bg_n.out" 2>"$bg_n.err"
		echo $? >"$bg_n.rc.tmp" && mv "$bg_n.rc.tmp" "$bg_n.rc"
	) 2>/dev/null &
	poll_step=0.05
	wait_until 10 test -s "$bg_n.pid"
	bg_rc=$?
	poll_step=0.2
	return $bg_rc
}

bg_pid() {
	cat "$TAP_TMP/$1.pid"
}

bg_running() {
	[ ! -e "$TAP_TMP/$1.rc" ]
}

# bg_wait NAME SECONDS: wait for NAME to end and print its exit status ("timeout" if not).
bg_wait() {
	poll_step=0.05
	if wait_until "$2" test -e "$TAP_TMP/$1.rc"; then
		cat "$TAP_TMP/$1.rc"
	else
		echo timeout
	fi
	poll_step=0.2
}

# neg_deltas FILE: how many rows hold a negative value in a per-interval column.
neg_deltas() {
	sq "$1" "SELECT
	 (SELECT count(*) FROM stmt_deltas WHERE calls < 0 OR total_ms < 0 OR rows < 0
	  OR plans < 0 OR plan_ms < 0 OR shared_blks_hit < 0 OR shared_blks_read < 0
	  OR shared_blks_dirtied < 0 OR shared_blks_written < 0 OR local_blks_hit < 0
	  OR local_blks_read < 0 OR temp_blks_read < 0 OR temp_blks_written < 0
	  OR blk_read_ms < 0 OR blk_write_ms < 0 OR wal_records < 0 OR wal_fpi < 0
	  OR wal_bytes < 0)
	 + (SELECT count(*) FROM database_deltas WHERE xact_commit < 0 OR xact_rollback < 0
	  OR blks_read < 0 OR blks_hit < 0 OR tup_returned < 0 OR tup_fetched < 0
	  OR tup_inserted < 0 OR tup_updated < 0 OR tup_deleted < 0 OR temp_files < 0
	  OR temp_bytes < 0 OR deadlocks < 0 OR blk_read_ms < 0 OR blk_write_ms < 0)
	 + (SELECT count(*) FROM checkpoint_deltas WHERE timed < 0 OR requested < 0
	  OR buffers_written < 0 OR write_ms < 0 OR sync_ms < 0)
	 + (SELECT count(*) FROM samples WHERE interval_s < 0)"
}

# is NAME GOT WANT: one test point comparing two strings.
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf 'got:  %s\nwant: %s\n' "$2" "$3" | diag
	fi
}

# bg_kill_all: kill -9 every background job started with bg_start that is still running.
bg_kill_all() {
	[ -n "${TAP_TMP:-}" ] || return 0
	for f in "$TAP_TMP"/*.pid; do
		[ -e "$f" ] || continue
		[ -e "${f%.pid}.rc" ] || kill -9 "$(cat "$f")" 2>/dev/null
	done
}
