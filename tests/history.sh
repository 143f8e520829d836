#!/bin/sh
# The history file against a real throwaway PostgreSQL: file modes (catalogue B8), the
# default location, files that are not a usable history (B5, B6, B7), the JSON report
# (E3), hostile query text (C5), password redaction (E4) and a reader beside a writer.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"

tap_tmpdir
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
# never the real home or data directory
HOME=$TAP_TMP/home
XDG_DATA_HOME=$TAP_TMP/xdg-unused
export HOME XDG_DATA_HOME
mkdir "$HOME"
unset NO_COLOR COLUMNS

for tool in sqlite3 jq pgbench md5sum timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

pg_start
pg_pgbench_init 1

OUT=$TAP_TMP/stdout
ERR=$TAP_TMP/stderr
: >"$OUT"
: >"$ERR"

# run [timeout-seconds] ARGS...: the binary with stdin closed; stdout and stderr kept.
run() {
	limit=30
	case $1 in
	[0-9]*)
		limit=$1
		shift
		;;
	esac
	timeout "$limit" "$PGMLTOP_BIN" "$@" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

show() {
	{
		echo "exit status: $rc"
		echo "stdout:"
		head -n 15 "$OUT" | cut -c 1-200 | cat -v
		echo "stderr:"
		head -n 15 "$ERR" | cut -c 1-300 | cat -v
	} | diag
}

# wait_until SECONDS COMMAND...: poll every 0.2 s until the command succeeds.
wait_until() {
	limit=$(($1 * 5))
	shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		"$@" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

sql() {
	sqlite3 -readonly "$1" "$2" 2>/dev/null
}

samples_at_least() {
	[ "$(sql "$1" "SELECT count(*) FROM samples")" -ge "$2" ] 2>/dev/null
}

md5() {
	md5sum <"$1" | cut -d' ' -f1
}

# one_error PATTERN: exactly one line on stderr, "pgmltop: ..." matching PATTERN (grep -E,
# case-insensitive), nothing on stdout; sets why.
one_error() {
	[ ! -s "$OUT" ] || why="$why stdout not empty;"
	[ "$(wc -l <"$ERR")" -eq 1 ] || why="$why stderr has $(wc -l <"$ERR") lines, not 1;"
	grep -q '^pgmltop: ' "$ERR" || why="$why no 'pgmltop: ' message;"
	grep -q -i -E "$1" "$ERR" || why="$why message does not match /$1/;"
}

# result DESCRIPTION: ok when why is empty, else not ok with the reasons.
result() {
	if [ -z "$why" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "$why" | diag
		show
	fi
}

# ---- B8: modes of a new history, even with umask 000 ----

NEW=$TAP_TMP/newdir/sub/h.db
(
	umask 000
	exec timeout 60 "$PGMLTOP_BIN" --collect -s 0.2 -n 10 -H "$NEW"
) </dev/null >"$TAP_TMP/modes.out" 2>&1 &
collector=$!
wal_mode=none
shm_mode=none
wal_and_shm() {
	[ -f "$NEW-wal" ] && [ -f "$NEW-shm" ]
}
if wait_until 10 wal_and_shm; then
	wal_mode=$(stat -c %a "$NEW-wal")
	shm_mode=$(stat -c %a "$NEW-shm")
fi
wait "$collector"
rc=$?
if [ "$rc" -eq 0 ] && samples_at_least "$NEW" 10; then
	ok "--collect -n 10 into a new file in new directories"
else
	not_ok "--collect -n 10 into a new file in new directories"
	{
		echo "exit status $rc, $(sql "$NEW" "SELECT count(*) FROM samples") samples"
		cat -v "$TAP_TMP/modes.out"
	} | diag
fi
modes="newdir=$(stat -c %a "$TAP_TMP/newdir" 2>&1) sub=$(stat -c %a "$TAP_TMP/newdir/sub" 2>&1)"
if [ "$modes" = "newdir=700 sub=700" ]; then
	ok "with umask 000 the new directories have mode 0700"
else
	not_ok "with umask 000 the new directories have mode 0700"
	echo "$modes" | diag
fi
mode=$(stat -c %a "$NEW" 2>&1)
if [ "$mode" = 600 ]; then
	ok "with umask 000 the history file has mode 0600"
else
	not_ok "with umask 000 the history file has mode 0600"
	echo "mode: $mode" | diag
fi
if [ "$wal_mode" = none ]; then
	ok "the -wal and -shm files have mode 0600 # SKIP they were not seen while collecting"
elif [ "$wal_mode" = 600 ] && [ "$shm_mode" = 600 ]; then
	ok "the -wal and -shm files have mode 0600"
else
	not_ok "the -wal and -shm files have mode 0600"
	echo "-wal: $wal_mode, -shm: $shm_mode" | diag
fi
KNOWN_VERSION=$(sql "$NEW" "PRAGMA user_version")

# ---- the default location ----

(
	XDG_DATA_HOME=$TAP_TMP/xdg
	HOME=$TAP_TMP/home-xdg
	export XDG_DATA_HOME HOME
	mkdir "$HOME"
	exec timeout 30 "$PGMLTOP_BIN" --collect -s 0.2 -n 2
) </dev/null >"$OUT" 2>"$ERR"
rc=$?
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
samples_at_least "$TAP_TMP/xdg/pgmltop/history.db" 1 ||
	why="$why no samples in \$XDG_DATA_HOME/pgmltop/history.db;"
[ -z "$(ls -A "$TAP_TMP/home-xdg")" ] || why="$why something was written under HOME;"
[ "$(stat -c %a "$TAP_TMP/xdg/pgmltop" 2>&1)" = 700 ] ||
	why="$why \$XDG_DATA_HOME/pgmltop does not have mode 0700;"
result "without -H the history is \$XDG_DATA_HOME/pgmltop/history.db"

(
	unset XDG_DATA_HOME
	HOME=$TAP_TMP/home-plain
	export HOME
	mkdir "$HOME"
	exec timeout 30 "$PGMLTOP_BIN" --collect -s 0.2 -n 2
) </dev/null >"$OUT" 2>"$ERR"
rc=$?
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
samples_at_least "$TAP_TMP/home-plain/.local/share/pgmltop/history.db" 1 ||
	why="$why no samples in \$HOME/.local/share/pgmltop/history.db;"
result "without -H and XDG_DATA_HOME the history is ~/.local/share/pgmltop/history.db"

(
	unset XDG_DATA_HOME
	HOME=$TAP_TMP/home-plain
	export HOME
	exec timeout 30 "$PGMLTOP_BIN" --report=json
) </dev/null >"$OUT" 2>"$ERR"
rc=$?
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
jq -e '.server.id | type == "string"' "$OUT" >/dev/null 2>&1 ||
	why="$why the report has no server;"
result "--report without -H reads the same default file"

# ---- B7: files that are not a history ----

# refused KIND FILE PATTERN: --offline, --report=json and --collect each refuse FILE
# with one message matching PATTERN, exit 1, within 10 seconds, without changing it.
refused() {
	kind=$1
	file=$2
	pattern=$3
	for mode in --offline --report=json --collect; do
		if [ -f "$file" ]; then
			before=$(md5 "$file")
		else
			before=
		fi
		set -- "$mode"
		[ "$mode" = --collect ] && set -- --collect -n 1 -s 0.2
		run 10 "$@" -H "$file"
		why=
		[ "$rc" -ne 124 ] || why="$why it hung (killed after 10 s);"
		[ "$rc" -lt 128 ] || why="$why it crashed (exit status $rc);"
		[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
		one_error "$pattern"
		if [ -n "$before" ] && [ "$(md5 "$file")" != "$before" ]; then
			why="$why the file was changed;"
		fi
		for suffix in -wal -shm -journal; do
			[ ! -e "$file$suffix" ] || why="$why $file$suffix was created;"
		done
		result "$kind, $mode: exit 1, one clear message, nothing changed"
	done
}

awk 'BEGIN { for (i = 0; i < 128; i++) printf "line %058d\n", i }' >"$TAP_TMP/text.db"
[ "$(wc -c <"$TAP_TMP/text.db")" -eq 8192 ] || bail_out "could not make an 8 KiB text file"
refused "8 KiB of text" "$TAP_TMP/text.db" "not a pgmltop history"

dd if=/dev/urandom of="$TAP_TMP/random.db" bs=8192 count=1 2>/dev/null
refused "8 KiB of random bytes" "$TAP_TMP/random.db" "not a pgmltop history"

mkdir "$TAP_TMP/emptydir"
refused "an empty directory" "$TAP_TMP/emptydir" "directory"
if [ -z "$(ls -A "$TAP_TMP/emptydir")" ]; then
	ok "nothing was made inside a directory given as -H"
else
	not_ok "nothing was made inside a directory given as -H"
	ls -la "$TAP_TMP/emptydir" | diag
fi

mkfifo "$TAP_TMP/fifo.db"
refused "a FIFO" "$TAP_TMP/fifo.db" "not a regular file|fifo|pipe"

sqlite3 "$TAP_TMP/other.db" "CREATE TABLE x(a); INSERT INTO x VALUES (1)"
refused "an SQLite database of another program" "$TAP_TMP/other.db" \
	"not a pgmltop history"

# An empty file (B7): reading it is refused, saying to collect first; collecting into it
# makes it a history (SQLite takes an empty file as a new database).
: >"$TAP_TMP/empty.db"
for mode in --offline --report=json; do
	run 10 "$mode" -H "$TAP_TMP/empty.db"
	why=
	[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
	one_error "empty\.db is empty: it holds no history yet.*--collect"
	[ ! -s "$TAP_TMP/empty.db" ] || why="$why the file was written;"
	for suffix in -wal -shm -journal; do
		[ ! -e "$TAP_TMP/empty.db$suffix" ] || why="$why empty.db$suffix was created;"
	done
	result "an empty file, $mode: exit 1, 'is empty: it holds no history yet ... --collect'"
done
run 30 --collect -n 2 -s 0.2 -H "$TAP_TMP/empty.db"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
samples_at_least "$TAP_TMP/empty.db" 2 || why="$why fewer than 2 samples;"
[ "$(sql "$TAP_TMP/empty.db" "PRAGMA user_version")" = "$KNOWN_VERSION" ] ||
	why="$why schema version $(sql "$TAP_TMP/empty.db" "PRAGMA user_version");"
result "an empty file, --collect -n 2: made a history (version $KNOWN_VERSION, 2 samples)"

# ---- C8: stdin closed, not only /dev/null ----

# closed [timeout-seconds] ARGS...: as run, with stdin closed.
closed() {
	limit=$1
	shift
	timeout "$limit" "$PGMLTOP_BIN" "$@" <&- >"$OUT" 2>"$ERR"
	rc=$?
}
CLOSED=$TAP_TMP/closed.db
closed 30 -b -n 2 -s 0.2 --top 5 -H "$CLOSED"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
[ "$(grep -c '^pgmltop ' "$OUT")" -eq 2 ] || why="$why not 2 tables;"
grep -q 'QUERYID' "$OUT" || why="$why no statement table;"
result "stdin closed: --batch -n 2 prints 2 tables, exit 0"
n=$(sql "$CLOSED" "SELECT count(*) FROM samples")
closed 30 --collect -n 2 -s 0.2 -H "$CLOSED"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
[ ! -s "$OUT" ] || why="$why stdout not empty;"
samples_at_least "$CLOSED" $((${n:-0} + 2)) || why="$why not 2 more samples than ${n:-0};"
[ "$(sql "$CLOSED" "PRAGMA integrity_check")" = ok ] || why="$why integrity_check failed;"
result "stdin closed: --collect -n 2 stores 2 samples, exit 0"
closed 30 --report=json -H "$CLOSED"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
jq -e '.statements | length > 0' "$OUT" >/dev/null 2>&1 || why="$why no statements in JSON;"
result "stdin closed: --report=json writes the JSON report, exit 0"
closed 30 --offline --top 5 -H "$CLOSED"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
grep -q 'QUERYID' "$OUT" || why="$why no statement table;"
result "stdin closed: --offline prints the table, exit 0"

# ---- a real collection under pgbench ----

MAIN=$TAP_TMP/main.db
pg_pgbench -c 2 -T 5 >"$TAP_TMP/pgbench.log" 2>&1 &
bench=$!
run 60 --collect -s 0.25 -n 16 --keep-raw=1000 -H "$MAIN"
wait "$bench"
bench_rc=$?
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ "$bench_rc" -eq 0 ] || why="$why pgbench failed ($(tail -n 1 "$TAP_TMP/pgbench.log"));"
samples_at_least "$MAIN" 16 || why="$why fewer than 16 samples;"
[ ! -s "$MAIN-wal" ] || why="$why the -wal file was not checkpointed at exit;"
result "--collect -s 0.25 -n 16 under pgbench"
cp "$MAIN" "$TAP_TMP/pristine.db"

# ---- E3: the JSON report ----

REPORT=$TAP_TMP/report.json
run --report=json -H "$MAIN"
cp "$OUT" "$REPORT"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
jq . "$REPORT" >/dev/null 2>&1 || why="$why jq rejects it;"
result "--report=json exits 0 with JSON that jq accepts"

# jqcheck DESCRIPTION FILTER: one test point, ok when the filter yields true.
jqcheck() {
	if jq -e "$2" "$REPORT" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1"
		echo "jq -e '$2' gave: $(jq -c "$2" "$REPORT" 2>&1 | cut -c 1-300)" | diag
	fi
}

iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$'
jqcheck "the report has statements" '.statements | length > 0'
jqcheck "every queryid is a decimal string" \
	'all(.statements[]; .queryid | type == "string" and test("^-?[0-9]+$"))'
jqcheck "the pgbench UPDATE pgbench_accounts is there with calls > 0" \
	'any(.statements[]; ((.query // "") | test("^UPDATE pgbench_accounts SET")) and .calls > 0)'
jqcheck "patterns, recommendations, parameters and forecasts are arrays" \
	'[.patterns, .recommendations, .parameters, .forecasts] | all(type == "array")'
jqcheck "pgmltop_version is the version of the binary" \
	".pgmltop_version == \"$("$PGMLTOP_BIN" --version | cut -d' ' -f2)\""
jqcheck "generated_at, window.from and window.to are ISO-8601 UTC times" \
	"[.generated_at, .window.from, .window.to] | all(type == \"string\" and test(\"$iso\"))"
jqcheck "window.from is before window.to" '.window.from < .window.to'
jqcheck "server.id and server.version are non-empty strings" \
	'[.server.id, .server.version] | all(type == "string" and length > 0)'
jqcheck "every statement has the contract's fields" \
	'all(.statements[]; has("queryid") and has("query") and has("calls") and has("total_ms") and has("mean_ms") and has("rows") and has("shared_blks_hit") and has("shared_blks_read") and has("temp_blks_written"))'

# The calls of each queryid in the report are the sum of its stored deltas.
jq -r '[.statements[] | {q: .queryid, c: .calls}] | group_by(.q) | .[]
	| "\(.[0].q) \(map(.c) | add)"' "$REPORT" | sort >"$TAP_TMP/calls.report"
sql "$MAIN" "SELECT queryid || ' ' || sum(calls) FROM stmt_deltas GROUP BY queryid" |
	sort >"$TAP_TMP/calls.stored"
if [ -s "$TAP_TMP/calls.report" ] && cmp -s "$TAP_TMP/calls.report" "$TAP_TMP/calls.stored"
then
	ok "the calls of every queryid in the report equal sum(calls) of stmt_deltas"
else
	not_ok "the calls of every queryid in the report equal sum(calls) of stmt_deltas"
	diff "$TAP_TMP/calls.report" "$TAP_TMP/calls.stored" | head -n 20 | diag
fi
upd=$(jq -r 'first(.statements[] | select((.query // "") | test("^UPDATE pgbench_accounts SET"))
	| .queryid) // empty' "$REPORT")
if [ -n "$upd" ]; then
	in_report=$(jq "[.statements[] | select(.queryid == \"$upd\") | .calls] | add" "$REPORT")
	stored=$(sql "$MAIN" "SELECT sum(calls) FROM stmt_deltas WHERE queryid = $upd")
	in_server=$(pg_value "SELECT sum(calls) FROM pg_stat_statements WHERE queryid = $upd")
	if [ "$in_report" = "$stored" ] && [ "$in_report" -gt 0 ] &&
		[ "$in_report" -le "$in_server" ]; then
		ok "UPDATE pgbench_accounts: report calls = stored calls <= calls PostgreSQL counted"
	else
		not_ok "UPDATE pgbench_accounts: report calls = stored calls <= calls PostgreSQL counted"
		echo "report $in_report, stmt_deltas $stored, pg_stat_statements $in_server" | diag
	fi
else
	not_ok "UPDATE pgbench_accounts: report calls = stored calls <= calls PostgreSQL counted"
	echo "no UPDATE pgbench_accounts statement in the report" | diag
fi

run --report=json -H "$MAIN" -o "$TAP_TMP/report-o.json"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
[ ! -s "$OUT" ] || why="$why stdout not empty;"
[ ! -s "$ERR" ] || why="$why stderr not empty;"
jq -S 'del(.generated_at, .window)' "$REPORT" >"$TAP_TMP/a.json" 2>/dev/null
jq -S 'del(.generated_at, .window)' "$TAP_TMP/report-o.json" >"$TAP_TMP/b.json" 2>/dev/null ||
	why="$why the -o file is not JSON;"
cmp -s "$TAP_TMP/a.json" "$TAP_TMP/b.json" || why="$why it differs from the stdout report;"
result "-o FILE writes the same report to FILE and nothing to stdout"

# ---- --offline ----

run --offline -H "$MAIN" --top 5
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
grep -q 'QUERYID' "$OUT" || why="$why no table header;"
grep -q 'pgbench_' "$OUT" || why="$why no pgbench statement;"
rows=$(grep -c -E '^ *-?[0-9]+ +[0-9]' "$OUT")
[ "$rows" -ge 1 ] && [ "$rows" -le 5 ] || why="$why $rows statement rows, not 1 to 5;"
result "--offline --top 5 prints the table with pgbench statements"

# ---- B4: a history that cannot be written ----
# Root writes whatever the modes say: as root, the runs are made as the unprivileged
# $PG_OS_USER (the test server's owner), and a read-only bind mount in a mount namespace
# of their own (unshare -m) stands for a read-only file system.

if [ "$(id -u)" -eq 0 ]; then
	as_user() {
		runuser -u "$PG_OS_USER" -- "$@"
	}
else
	as_user() {
		"$@"
	}
fi

# run_in DIR [ro] ARGS...: pgmltop, stdin from /dev/null, as the unprivileged user; with
# ro, as this user with DIR mounted read-only. Sets rc; stdout and stderr kept.
run_in() {
	ri_dir=$1
	shift
	if [ "$1" = ro ]; then
		shift
		unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" &&
			shift && exec "$@"' sh "$ri_dir" timeout 20 "$PGMLTOP_BIN" "$@" \
			</dev/null >"$OUT" 2>"$ERR"
	else
		as_user timeout 20 "$PGMLTOP_BIN" "$@" </dev/null >"$OUT" 2>"$ERR"
	fi
	rc=$?
}

# readonly_case DESCRIPTION DIR FILE COLLECT-PATTERN [ro]: --offline and --report=json
# read FILE; --collect exits 1 with one message matching the pattern; the file is left
# as it was, and no -wal, -shm or -journal file is left in DIR.
readonly_case() {
	rc_desc=$1
	rc_dir=$2
	rc_file=$3
	rc_pattern=$4
	rc_ro=${5:-}
	rc_before=$(md5 "$rc_file")
	run_in "$rc_dir" $rc_ro --offline --top 5 -H "$rc_file"
	why=
	[ "$rc" -eq 0 ] || why="$why exit status $rc;"
	[ ! -s "$ERR" ] || why="$why stderr not empty;"
	grep -q 'pgbench_' "$OUT" || why="$why no pgbench statement;"
	result "$rc_desc: --offline reads it"
	run_in "$rc_dir" $rc_ro --report=json -H "$rc_file"
	why=
	[ "$rc" -eq 0 ] || why="$why exit status $rc;"
	[ ! -s "$ERR" ] || why="$why stderr not empty;"
	jq -e '.statements | length > 0' "$OUT" >/dev/null 2>&1 || why="$why no statements;"
	result "$rc_desc: --report=json reads it"
	run_in "$rc_dir" $rc_ro --collect -n 1 -s 0.2 -H "$rc_file"
	why=
	[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
	one_error "$rc_pattern"
	result "$rc_desc: --collect exits 1 with one message: /$rc_pattern/"
	why=
	[ "$(md5 "$rc_file")" = "$rc_before" ] || why="$why the file was changed;"
	for f in "$rc_file"-wal "$rc_file"-shm "$rc_file"-journal; do
		[ ! -e "$f" ] || why="$why ${f##*/} was left behind;"
	done
	result "$rc_desc: the file is unchanged, no -wal, -shm or -journal left"
}

RO=$TAP_TMP/ro
mkdir "$RO"
cp "$TAP_TMP/pristine.db" "$RO/h.db"
chmod 600 "$RO/h.db"
[ "$(id -u)" -ne 0 ] || chown -R "$PG_OS_USER" "$RO"
if ! as_user "$PGMLTOP_BIN" --version >/dev/null 2>&1 ||
	! as_user test -r "${PGMLTOP_DATADIR:-.}/rules/sql.rules"; then
	for p in "a read-only history" "a history in a read-only directory" \
		"a -wal file beside a history in a read-only directory"; do
		ok "$p # SKIP $PG_OS_USER cannot run $PGMLTOP_BIN or read its rules"
	done
else
	chmod 444 "$RO/h.db"
	rm -f "$RO/h.db-wal" "$RO/h.db-shm"
	readonly_case "a read-only history (mode 0444)" "$RO" "$RO/h.db" \
		"cannot write the history file .*h\.db: permission denied: make it writable"
	chmod 600 "$RO/h.db"
	rm -f "$RO/h.db-wal" "$RO/h.db-shm"
	chmod 555 "$RO"
	readonly_case "a history in a read-only directory (mode 0555)" "$RO" "$RO/h.db" \
		"its directory .*/ro is not writable .*-wal and -shm.*make the directory writable"
	chmod 755 "$RO"

	# Changes still in the -wal file (a collector killed, say): reading the file as
	# immutable would miss them; refused, naming the -wal file.
	sqlite3 "$RO/h.db" "PRAGMA wal_autocheckpoint = 0;
		INSERT INTO events (server_id, ts, kind, detail)
		VALUES (1, 0, 'marker', 'in the -wal file only')" \
		".shell cp '$RO/h.db' '$RO/w.db' && cp '$RO/h.db-wal' '$RO/w.db-wal'" >/dev/null
	[ "$(id -u)" -ne 0 ] || chown -R "$PG_OS_USER" "$RO"
	chmod 555 "$RO"
	run_in "$RO" --report=json -H "$RO/w.db"
	why=
	[ -s "$RO/w.db-wal" ] || why="$why could not make a -wal file with changes;"
	[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
	one_error "w\.db-wal holds changes not yet in the file.*make the directory writable"
	[ ! -e "$RO/w.db-shm" ] || why="$why w.db-shm was made;"
	result "a -wal file beside a history in a read-only directory: --report exits 1 naming it"
	chmod 755 "$RO"
	rm -f "$RO/w.db" "$RO/w.db-wal"
fi

# A read-only file system, as root (whom file modes do not stop).
if [ "$(id -u)" -ne 0 ]; then
	ok "a history on a read-only file system # SKIP not root: no bind mount can be made"
elif ! unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1"' \
	sh "$RO" 2>"$TAP_TMP/mount.err"; then
	ok "a history on a read-only file system # SKIP no read-only bind mount: $(head -n 1 "$TAP_TMP/mount.err")"
else
	chown -R root "$RO"
	rm -f "$RO/h.db-wal" "$RO/h.db-shm"
	readonly_case "a history on a read-only file system (as root)" "$RO" "$RO/h.db" \
		"cannot write the history file .*h\.db: read-only file system: make it writable" ro
fi

# ---- B6: a history from a newer pgmltop ----

NEWER=$TAP_TMP/newer.db
cp "$TAP_TMP/pristine.db" "$NEWER"
sqlite3 "$NEWER" "PRAGMA user_version = 99"
if [ "$(sql "$NEWER" "PRAGMA user_version")" = 99 ] && [ -n "$KNOWN_VERSION" ]; then
	before=$(md5 "$NEWER")
	for mode in --offline --report=json --collect; do
		set -- "$mode"
		[ "$mode" = --collect ] && set -- --collect -n 1 -s 0.2
		run 10 "$@" -H "$NEWER"
		why=
		[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
		one_error "99"
		# the version this pgmltop knows, as a number of its own (the path removed)
		sed -e "s|$NEWER||g" -e 's/99//g' "$ERR" |
			grep -q -E "(^|[^0-9])$KNOWN_VERSION([^0-9]|\$)" ||
			why="$why the message does not name version $KNOWN_VERSION;"
		[ "$(md5 "$NEWER")" = "$before" ] || why="$why the file was changed;"
		[ ! -s "$NEWER-wal" ] || why="$why something was written to the -wal file;"
		result "schema version 99, $mode: refused naming 99 and $KNOWN_VERSION, file untouched"
	done
else
	not_ok "schema version 99: could not set up the file"
fi

# ---- B5: a damaged file ----
# (pages that hold cells: damage to the free part of an empty table's page goes unseen)

CORRUPT=$TAP_TMP/corrupt.db
page_size=$(sql "$TAP_TMP/pristine.db" "PRAGMA page_size")
pages=$(sql "$TAP_TMP/pristine.db" \
	"SELECT pageno FROM dbstat WHERE pageno >= 3 AND pagetype IN ('leaf', 'internal')
	 AND ncell > 0 ORDER BY pageno")
n_pages=$(echo "$pages" | grep -c .)
damaged=
if [ "$n_pages" -ge 3 ]; then
	# start in the middle, then the first half; take the first page whose damage SQLite
	# itself notices (an empty table's page has only free space there)
	for pageno in $(echo "$pages" | sed -n "$((n_pages / 2)),\$p"; echo "$pages" |
		sed -n "1,$((n_pages / 2 - 1))p"); do
		cp "$TAP_TMP/pristine.db" "$CORRUPT"
		rm -f "$CORRUPT-wal" "$CORRUPT-shm"
		dd if=/dev/urandom of="$CORRUPT" bs=1 seek=$(((pageno - 1) * page_size + 100)) \
			count=512 conv=notrunc 2>/dev/null
		check=$(sqlite3 -readonly "$CORRUPT" "PRAGMA quick_check" 2>&1)
		rm -f "$CORRUPT-wal" "$CORRUPT-shm"
		if [ "$check" != ok ]; then
			damaged=$pageno
			break
		fi
	done
fi
if [ -n "$damaged" ]; then
	before=$(md5 "$CORRUPT")
	for mode in --offline --report=json --collect; do
		set -- "$mode"
		[ "$mode" = --collect ] && set -- --collect -n 1 -s 0.2
		run 10 "$@" -H "$CORRUPT"
		why=
		[ "$rc" -lt 128 ] || why="$why it crashed (exit status $rc);"
		[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
		one_error "damaged"
		grep -q -i "move it aside" "$ERR" || why="$why the message does not say to move it aside;"
		[ "$(md5 "$CORRUPT")" = "$before" ] || why="$why the file was changed;"
		result "512 bytes overwritten in page $damaged, $mode: exit 1, 'damaged ... move it aside'"
	done
else
	not_ok "a damaged file: could not damage a copy of the history ($n_pages b-tree pages)"
fi

# ---- B2 (reading side): reports while a collector writes ----

CONC=$TAP_TMP/concurrent.db
pg_pgbench -c 2 -T 5 >"$TAP_TMP/pgbench2.log" 2>&1 &
bench=$!
timeout 60 "$PGMLTOP_BIN" --collect -s 0.2 -n 25 -H "$CONC" </dev/null \
	>"$TAP_TMP/conc.out" 2>&1 &
collector=$!
if wait_until 15 samples_at_least "$CONC" 2; then
	good=0
	bad=
	for i in 1 2 3 4 5; do
		run --report=json -H "$CONC"
		if [ "$rc" -eq 0 ] && jq -e '.statements | length > 0' "$OUT" >/dev/null 2>&1; then
			good=$((good + 1))
		else
			bad="$bad run $i: exit $rc, $(head -c 300 "$ERR");"
		fi
	done
	if [ "$good" -eq 5 ]; then
		ok "5 reports while a collector writes every 0.2 s: all exit 0 with valid JSON"
	else
		not_ok "5 reports while a collector writes every 0.2 s: all exit 0 with valid JSON"
		echo "$bad" | diag
	fi
else
	not_ok "5 reports while a collector writes every 0.2 s: all exit 0 with valid JSON"
	echo "the collector stored no samples" | diag
fi
wait "$collector"
rc=$?
wait "$bench"
why=
[ "$rc" -eq 0 ] || why="$why the collector exited $rc: $(head -c 300 "$TAP_TMP/conc.out");"
samples_at_least "$CONC" 25 || why="$why fewer than 25 samples;"
[ "$(sql "$CONC" "PRAGMA integrity_check")" = ok ] || why="$why integrity_check failed;"
result "the collector beside the readers stored all 25 samples, integrity_check ok"

# ---- E4: passwords never reach the history ----

PW=$TAP_TMP/passwords.db
PGPASSWORD=envsecret42 timeout 60 "$PGMLTOP_BIN" --collect -s 0.25 -n 200 -H "$PW" \
	-d "dbname=postgres password=connsecret42" </dev/null >"$TAP_TMP/pw.out" 2>&1 &
collector=$!
wait_until 15 samples_at_least "$PW" 1 || diag <"$TAP_TMP/pw.out"
pg_psql -c "CREATE ROLE secretive LOGIN PASSWORD 'hunter2secret'" \
	-c "ALTER ROLE secretive PASSWORD 'hunter2secret'" \
	-c "ALTER ROLE secretive WITH ENCRYPTED PASSWORD 'hunter2secret' VALID UNTIL 'infinity'" \
	-c "ALTER ROLE secretive PASSWORD E'estring2secret'" \
	-c "ALTER ROLE secretive PASSWORD \$\$dollar2secret\$\$" >/dev/null 2>&1
# a session idle in a transaction shows its last statement in pg_stat_activity
{
	echo "BEGIN;"
	echo "ALTER ROLE secretive PASSWORD 'hunter2secret';"
	sleep 3
	echo "COMMIT;"
} | pg_psql >/dev/null 2>&1 &
idle=$!

stored_texts() {
	[ "$(sql "$PW" "SELECT count(*) FROM queries WHERE query LIKE '%ROLE secretive%'")" -ge 5 ] \
		2>/dev/null
}
activity_seen() {
	[ "$(sql "$PW" "SELECT count(*) FROM activity
		WHERE query LIKE '%ROLE secretive%PASSWORD ''%'")" -ge 1 ] 2>/dev/null
}
wait_until 15 stored_texts
wait_until 5 activity_seen
wait "$idle"

# leaked FILE...: the secrets found in the files, if any
leaked() {
	found=
	for secret in hunter2secret estring2secret dollar2secret envsecret42 connsecret42; do
		for f in "$@"; do
			if [ -f "$f" ] && grep -a -q "$secret" "$f"; then
				found="$found $secret in ${f##*/};"
			fi
		done
	done
	echo "$found"
}
while_running=$(leaked "$PW" "$PW-wal")
kill -TERM "$collector"
wait "$collector"
rc=$?
after=$(leaked "$PW" "$PW-wal")

texts=$(sql "$PW" "SELECT count(*) FROM queries WHERE query LIKE '%ROLE secretive%'")
why=
[ "$rc" -eq 0 ] || why="$why the collector exited $rc after SIGTERM: $(head -c 300 "$TAP_TMP/pw.out");"
[ "${texts:-0}" -ge 5 ] || why="$why only ${texts:-0} of the 5 role statements were stored;"
result "the CREATE/ALTER ROLE ... PASSWORD statements were stored (and SIGTERM ends cleanly)"

leak_point() {
	desc=$1
	secret=$2
	case "$while_running $after" in
	*"$secret"*)
		not_ok "$desc"
		echo "while running:$while_running after:$after" | diag
		sql "$PW" "SELECT query FROM queries WHERE query LIKE '%ROLE secretive%'" | diag
		;;
	*) ok "$desc" ;;
	esac
}
leak_point "PASSWORD 'literal' is not in the .db or -wal file" hunter2secret
leak_point "PASSWORD E'literal' is not in the .db or -wal file" estring2secret
leak_point "PASSWORD \$\$literal\$\$ is not in the .db or -wal file" dollar2secret
leak_point "the password of the conninfo string is not in the history" connsecret42
leak_point "PGPASSWORD is not in the history" envsecret42
if grep -a -q -e secret42 "$TAP_TMP/pw.out"; then
	not_ok "no password in the collector's messages"
	cat -v "$TAP_TMP/pw.out" | diag
else
	ok "no password in the collector's messages"
fi

plain=$(sql "$PW" "SELECT query FROM queries WHERE query LIKE '%ROLE secretive%PASSWORD ''%'")
if [ -n "$plain" ] && ! echo "$plain" | grep -v -q -F "'***'"; then
	ok "stored texts of PASSWORD '...' show '***'"
else
	not_ok "stored texts of PASSWORD '...' show '***'"
	echo "$plain" | diag
fi
act=$(sql "$PW" "SELECT DISTINCT query FROM activity
	WHERE query LIKE '%ROLE secretive%PASSWORD ''%'")
if [ -z "$act" ]; then
	ok "pg_stat_activity text of PASSWORD '...' shows '***' # SKIP the idle session was not sampled"
elif ! echo "$act" | grep -v -q -F "'***'"; then
	ok "pg_stat_activity text of PASSWORD '...' shows '***'"
else
	not_ok "pg_stat_activity text of PASSWORD '...' shows '***'"
	echo "$act" | diag
fi

# ---- C5/E3: hostile query text ----

# Control characters are valid UTF-8: any database takes them, and pg_stat_statements
# keeps the comment they are in.
printf 'SELECT 1, 2, 3 AS hostile_marker /* \033[2J \033]52;c;SGVsbG8=\007 cr\r bs\b end */;\n' \
	>"$TAP_TMP/control.sql"
# Invalid UTF-8 only a SQL_ASCII database takes.
printf 'SELECT 1, 2, 3, 4, 5 AS badutf8_marker /* \377\376 end */;\n' >"$TAP_TMP/badutf8.sql"
ESC=$(printf '\033')

# load DBNAME FILE: run FILE in DBNAME every 0.2 s until $TAP_TMP/stop-load exists.
load() {
	i=0
	while [ "$i" -lt 100 ] && [ ! -e "$TAP_TMP/stop-load" ]; do
		PGCLIENTENCODING=SQL_ASCII pg_psql -d "$1" -f "$2" >/dev/null 2>&1
		sleep 0.2
		i=$((i + 1))
	done
}
stop_load() {
	touch "$TAP_TMP/stop-load"
	wait "$1"
	rm -f "$TAP_TMP/stop-load"
}

# no_raw_controls FILE: no ESC, BEL, CR or backspace byte in FILE
no_raw_controls() {
	LC_ALL=C tr -d '\033\007\015\010' <"$1" | cmp -s - "$1"
}

load postgres "$TAP_TMP/control.sql" &
loader=$!
HOSTILE=$TAP_TMP/hostile.db
run 60 -b -n 3 -s 1 --top 0 -H "$HOSTILE"
stop_load "$loader"
cp "$OUT" "$TAP_TMP/batch.out"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
grep -q hostile_marker "$OUT" || why="$why the statement is not shown;"
result "--batch shows the statement with control characters in its text"

if no_raw_controls "$TAP_TMP/batch.out"; then
	ok "--batch output has no raw ESC, BEL, CR or backspace byte"
else
	not_ok "--batch output has no raw ESC, BEL, CR or backspace byte"
	grep -a hostile_marker "$TAP_TMP/batch.out" | cut -c 1-300 | cat -v | diag
fi
if grep -q -F '\x1b[2J' "$TAP_TMP/batch.out" && grep -q -F '\x1b]52;c;SGVsbG8=\x07' \
	"$TAP_TMP/batch.out"; then
	ok "--batch shows the escape sequences escaped as \\x1b, \\x07"
else
	not_ok "--batch shows the escape sequences escaped as \\x1b, \\x07"
	grep -a hostile_marker "$TAP_TMP/batch.out" | cut -c 1-300 | cat -v | diag
fi

run --report=json -H "$HOSTILE"
cp "$OUT" "$TAP_TMP/hostile.json"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
jq . "$TAP_TMP/hostile.json" >/dev/null 2>&1 || why="$why jq rejects it;"
LC_ALL=C tr -d '\000-\011\013-\037\177' <"$TAP_TMP/hostile.json" |
	cmp -s - "$TAP_TMP/hostile.json" || why="$why raw control bytes in the JSON;"
result "--report=json with control characters in a text is valid JSON, no raw control bytes"

jq -r '.statements[] | select((.query // "") | contains("hostile_marker")) | .query' \
	"$TAP_TMP/hostile.json" >"$TAP_TMP/hostile.txt" 2>/dev/null
if grep -q -F "$ESC[2J $ESC]52;c;SGVsbG8=$(printf '\007') cr" "$TAP_TMP/hostile.txt" &&
	LC_ALL=C grep -q "$(printf 'cr\r bs\b end')" "$TAP_TMP/hostile.txt"; then
	ok "the JSON query text round-trips: jq gives back ESC, BEL, CR and backspace"
else
	not_ok "the JSON query text round-trips: jq gives back ESC, BEL, CR and backspace"
	cat -v "$TAP_TMP/hostile.txt" | diag
fi

run --offline -H "$HOSTILE" --top 0
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
grep -q -F '\x1b[2J' "$OUT" || why="$why no \\x1b in the table;"
no_raw_controls "$OUT" || why="$why raw control bytes;"
result "--offline shows the text escaped, no raw control bytes"

pg_psql -c "CREATE DATABASE asciidb ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'
	TEMPLATE template0" >/dev/null || bail_out "cannot create a SQL_ASCII database"
pg_psql -d asciidb -c "CREATE EXTENSION pg_stat_statements" >/dev/null ||
	bail_out "cannot create pg_stat_statements in asciidb"
load asciidb "$TAP_TMP/badutf8.sql" &
loader=$!
ASCII=$TAP_TMP/ascii.db
run 60 -b -n 3 -s 1 --top 0 -d asciidb -H "$ASCII"
cp "$OUT" "$TAP_TMP/batch-ascii.out"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
grep -q badutf8_marker "$OUT" || why="$why the statement is not shown;"
grep -q -F '\xff\xfe' "$OUT" || why="$why the bytes are not shown as \\xff\\xfe;"
LC_ALL=C grep -a -q "$(printf '[\376\377]')" "$OUT" && why="$why a raw 0xff or 0xfe byte;"
result "--batch shows invalid UTF-8 in a text as \\xff\\xfe, never raw"

run --report=json -H "$ASCII"
cp "$OUT" "$TAP_TMP/ascii.json"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
jq . "$TAP_TMP/ascii.json" >/dev/null 2>&1 || why="$why jq rejects it;"
LC_ALL=C grep -a -q "$(printf '[\376\377]')" "$TAP_TMP/ascii.json" &&
	why="$why a raw 0xff or 0xfe byte;"
badtext=$(jq -r '.statements[] | select((.query // "") | contains("badutf8_marker")) | .query' \
	"$TAP_TMP/ascii.json" 2>/dev/null)
case $badtext in
*"$(printf '\357\277\275')"*) ;;
*) why="$why the text has no U+FFFD: $(echo "$badtext" | cat -v);" ;;
esac
result "--report=json with invalid UTF-8 in a text: valid JSON, U+FFFD in its place"

# That text makes pg_stat_statements(true) fail in a UTF-8 database ("invalid byte sequence
# for encoding UTF8"): the statistics must still be sampled and stored, with or without
# the texts.
UTF8=$TAP_TMP/utf8.db
run 60 -b -n 3 -s 0.5 --top 5 -d postgres -H "$UTF8"
stop_load "$loader"
why=
[ "$rc" -eq 0 ] || why="$why exit status $rc;"
grep -q QUERYID "$OUT" || why="$why no statement table;"
n=$(sql "$UTF8" "SELECT count(*) FROM stmt_deltas")
[ "${n:-0}" -gt 0 ] || why="$why no statement deltas stored;"
result "an invalid UTF-8 text in pg_stat_statements does not stop the statistics"
pg_value "SELECT pg_stat_statements_reset()" >/dev/null

if [ ! -e "$XDG_DATA_HOME" ] && [ -z "$(ls -A "$HOME")" ]; then
	ok "runs with -H wrote nothing to the default history location"
else
	not_ok "runs with -H wrote nothing to the default history location"
	find "$XDG_DATA_HOME" "$HOME" 2>/dev/null | diag
fi

done_testing
