#!/bin/sh
# The command-line contract: help, version, usage errors (catalogue D1), the manual page,
# a missing history, and where --report may write. No database server is needed.
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"

tap_tmpdir
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TAP_TMP"' EXIT
trap 'exit 130' INT TERM

# Never touch the real home or data directory, and never reach a real server.
HOME=$TAP_TMP/home
XDG_DATA_HOME=$TAP_TMP/xdg
PGHOST=$TAP_TMP/nosocket
PGPORT=5432
PGCONNECT_TIMEOUT=5
export HOME XDG_DATA_HOME PGHOST PGPORT PGCONNECT_TIMEOUT
unset PGPASSWORD PGSERVICE PGSERVICEFILE PGDATABASE PGUSER NO_COLOR
mkdir "$HOME"
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"

OUT=$TAP_TMP/stdout
ERR=$TAP_TMP/stderr
MAN=$TESTS_SRCDIR/../doc/pgmltop.1

LONG_OPTIONS="host port username dbname no-password password interval iterations batch top
collect offline report output force csv-table days until peak-z server-memory history
no-history history-interval keep-raw keep-hourly no-color version
simulate seed truth explain analyze yes mark at reason read-only only help"

# run ARGS...: run the binary with stdin closed, a time limit, stdout and stderr kept.
run() {
	timeout 20 "$PGMLTOP_BIN" "$@" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

show() {
	{
		echo "exit status: $rc"
		echo "stdout:"
		head -n 20 "$OUT" | cat -v
		echo "stderr:"
		head -n 20 "$ERR" | cat -v
	} | diag
}

# Does FILE name the long option --NAME (not as part of a longer option)?
mentions_option() {
	grep -q -e "--$1\([^a-z-]\|\$\)" "$2"
}

# ---- --help and -? ----

for flag in --help '-?'; do
	run "$flag"
	if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ] && grep -q '^Usage:' "$OUT" &&
		grep -q 'pgmltop \[OPTION\]\.\.\. \[DBNAME \[USERNAME\]\]' "$OUT"; then
		ok "$flag prints the usage to stdout and exits 0"
	else
		not_ok "$flag prints the usage to stdout and exits 0"
		show
	fi
	missing=
	for opt in $LONG_OPTIONS; do
		mentions_option "$opt" "$OUT" || missing="$missing --$opt"
	done
	if [ -z "$missing" ]; then
		ok "$flag lists every long option"
	else
		not_ok "$flag lists every long option"
		echo "missing:$missing" | diag
	fi
done
run --help
cp "$OUT" "$TAP_TMP/help.long"
run '-?'
check "--help and -? print the same text" cmp -s "$TAP_TMP/help.long" "$OUT"

# Every option the parser accepts is in the help, and the help names none it does not.
for opt in $(grep -o -e '--[a-z][a-z-]*' "$TAP_TMP/help.long" | sed 's/^--//' | sort -u); do
	case " $(echo $LONG_OPTIONS) " in
	*" $opt "*) ;;
	*) unknown_in_help="${unknown_in_help:-} --$opt" ;;
	esac
done
if [ -z "${unknown_in_help:-}" ]; then
	ok "the help names no option that does not exist"
else
	not_ok "the help names no option that does not exist"
	echo "in the help but not in the list:$unknown_in_help" | diag
fi

# ---- --version ----

for flag in -V --version; do
	run "$flag"
	if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ] && [ "$(wc -l <"$OUT")" -eq 1 ] &&
		grep -q '^pgmltop [0-9][0-9.]*' "$OUT"; then
		ok "$flag prints 'pgmltop VERSION' and exits 0"
	else
		not_ok "$flag prints 'pgmltop VERSION' and exits 0"
		show
	fi
done

# ---- usage errors (D1) ----

# usage_error DESCRIPTION EXPECTED-TEXT ARGS...: exit 2, nothing on stdout, exactly the
# "pgmltop: ..." line and the "Try" line on stderr, and the message contains EXPECTED-TEXT.
usage_error() {
	desc=$1
	want=$2
	shift 2
	run "$@"
	first=$(sed -n 1p "$ERR")
	second=$(sed -n 2p "$ERR")
	why=
	[ "$rc" -eq 2 ] || why="$why exit status $rc, not 2;"
	[ ! -s "$OUT" ] || why="$why stdout not empty;"
	[ "$(wc -l <"$ERR")" -eq 2 ] || why="$why stderr has $(wc -l <"$ERR") lines, not 2;"
	case $first in
	"pgmltop: "?*) ;;
	*) why="$why first line does not start with 'pgmltop: ';" ;;
	esac
	[ "$second" = "Try 'pgmltop --help' for more information." ] ||
		why="$why no 'Try' line;"
	case $first in
	*"$want"*) ;;
	*) why="$why message does not name $want;" ;;
	esac
	if ! LC_ALL=C tr -d '\000-\010\013-\037\177' <"$ERR" | cmp -s - "$ERR"; then
		why="$why control characters in the message;"
	fi
	if [ -z "$why" ]; then
		ok "usage error: $desc"
	else
		not_ok "usage error: $desc"
		echo "$why" | diag
		show
	fi
}

usage_error "-s 0" "'0'" -s 0
usage_error "-s -1" "'-1'" -s -1
usage_error "-s abc" "'abc'" -s abc
usage_error "-s 1e9" "'1e9'" -s 1e9
usage_error "--interval=nan" "'nan'" --interval=nan
usage_error "--days 100000" "'100000'" --days 100000
usage_error "--days 0" "'0'" --days 0
usage_error "--days abc" "'abc'" --days abc
usage_error "-n abc" "'abc'" -n abc
usage_error "-n 0" "'0'" -n 0
usage_error "-n 1.5" "'1.5'" -n 1.5
usage_error "-n 99999999999999999999 (overflow)" "'99999999999999999999'" \
	-n 99999999999999999999
usage_error "--top -1" "'-1'" --top -1
usage_error "--bogus" "'--bogus'" --bogus
usage_error "--explain=abc" "'abc'" --explain=abc
usage_error "--explain=0" "'0'" --explain=0
usage_error "--explain=99999999999999999999 (overflow)" "'99999999999999999999'" \
	--explain=99999999999999999999
usage_error "--analyze without --explain" "--analyze" --analyze
usage_error "--yes without --explain" "--yes" --yes
usage_error "--explain with --report" "--explain" --report=json --explain=1
usage_error "--mark without a state" "'r1'" --mark=r1
usage_error "--mark with an unknown state" "'r1=done'" --mark=r1=done
usage_error "--mark with no id" "'=applied'" --mark==applied
usage_error "--at without --mark" "--at" --at=2026-11-15T03
usage_error "--reason without --mark" "--reason" --reason=x
usage_error "--read-only with --analyze" "--read-only" --read-only --explain=1 --analyze
usage_error "--only without --report" "--only" --only=1
usage_error "--only with a bad id" "'1,x'" --report=json --only=1,x
usage_error "--at not an hour" "'2026-11-15T03:30'" --mark=r1=applied --at=2026-11-15T03:30
usage_error "-x" "'x'" -x
usage_error "--report=pdf" "'pdf'" --report=pdf
usage_error "--csv-table without --report=csv" "--csv-table" --csv-table=findings
usage_error "--batch --collect" "--batch and --collect" --batch --collect
usage_error "--offline --report=json" "--offline and --report" --offline --report=json
usage_error "--output without --report" "--report" --output "$TAP_TMP/out.json"
usage_error "three positional arguments" "'third'" first second third
usage_error "-s with no value" "'-s'" -s
usage_error "--report with no value" "'--report'" --report
usage_error "--keep-raw=0" "'0'" --keep-raw=0
usage_error "--history-interval=abc" "'abc'" --history-interval=abc
usage_error "--keep-hourly=-5" "'-5'" --keep-hourly=-5
usage_error "--no-history --collect" "--no-history" --no-history --collect
# an option without a value given one: the message must name it, with no raw bytes
usage_error "--collect=x (an option that takes no value)" "--collect" --collect=x
usage_error "--help=1 (an option that takes no value)" "--help" --help=1

if [ ! -e "$XDG_DATA_HOME" ] && [ -z "$(ls -A "$HOME")" ]; then
	ok "usage errors create no history file"
else
	not_ok "usage errors create no history file"
	find "$XDG_DATA_HOME" "$HOME" 2>/dev/null | diag
fi

# ---- the manual page documents every long option ----

# groff writes a dash as - or \-: --no-password may be \-\-no\-password.
if [ -s "$MAN" ]; then
	missing=
	dash='\(\\-\|-\)'
	for opt in $LONG_OPTIONS; do
		re=$dash$dash$(echo "$opt" | sed 's/-/\\(\\\\-\\|-\\)/g')'\([^a-z-]\|$\)'
		grep -q -e "$re" "$MAN" || missing="$missing --$opt"
	done
	if [ -z "$missing" ]; then
		ok "the manual page documents every long option"
	else
		not_ok "the manual page documents every long option"
		echo "missing from doc/pgmltop.1:$missing" | diag
	fi
else
	not_ok "the manual page documents every long option"
	echo "doc/pgmltop.1 is missing or empty" | diag
fi

# ---- a history that does not exist ----

missing_history() {
	desc=$1
	shift
	hist=$TAP_TMP/none/h.db
	run "$@" -H "$hist"
	why=
	[ "$rc" -eq 1 ] || why="$why exit status $rc, not 1;"
	[ ! -s "$OUT" ] || why="$why stdout not empty;"
	[ "$(wc -l <"$ERR")" -eq 1 ] || why="$why stderr has $(wc -l <"$ERR") lines, not 1;"
	grep -q "^pgmltop: .*no history" "$ERR" || why="$why message does not say there is no history;"
	grep -q -e "--collect" "$ERR" || why="$why message does not say how to make one (--collect);"
	grep -q -F "$hist" "$ERR" || why="$why message does not name the file;"
	[ ! -e "$hist" ] || why="$why the file was created;"
	[ ! -e "$TAP_TMP/none" ] || why="$why its directory was created;"
	if [ -z "$why" ]; then
		ok "$desc on a missing history: exit 1, says how to make one, creates nothing"
	else
		not_ok "$desc on a missing history: exit 1, says how to make one, creates nothing"
		echo "$why" | diag
		show
	fi
}

missing_history "--offline" --offline
missing_history "--report=json" --report=json
missing_history "--report=json -o FILE" --report=json -o "$TAP_TMP/report.json"
check "--report with a missing history does not create the -o file" \
	test ! -e "$TAP_TMP/report.json"

# The default file: $XDG_DATA_HOME/pgmltop/history.db; a relative XDG_DATA_HOME is ignored
# (XDG base directory rules) for ~/.local/share.
run --offline
if [ "$rc" -eq 1 ] && grep -q -F "$XDG_DATA_HOME/pgmltop/history.db" "$ERR" &&
	[ ! -e "$XDG_DATA_HOME" ]; then
	ok "without -H the history is \$XDG_DATA_HOME/pgmltop/history.db (not created by --offline)"
else
	not_ok "without -H the history is \$XDG_DATA_HOME/pgmltop/history.db (not created by --offline)"
	show
fi
XDG_DATA_HOME=relative/dir
run --offline
XDG_DATA_HOME=$TAP_TMP/xdg
if [ "$rc" -eq 1 ] && grep -q -F "$HOME/.local/share/pgmltop/history.db" "$ERR" &&
	[ ! -e "$HOME/.local" ] && [ ! -e relative ]; then
	ok "a relative XDG_DATA_HOME is ignored: ~/.local/share/pgmltop/history.db"
else
	not_ok "a relative XDG_DATA_HOME is ignored: ~/.local/share/pgmltop/history.db"
	show
fi

# ---- where --report writes ----

# A valid history with no samples: a collection that cannot connect has already opened
# (created) its history. Without one, the points below are skipped.
HIST=$TAP_TMP/empty/h.db
run --collect -n 1 -H "$HIST" -h "$TAP_TMP/nosocket"
if [ "$rc" -eq 1 ] && grep -q "^pgmltop: .*connect" "$ERR"; then
	ok "--collect against no server exits 1 and says it cannot connect"
else
	not_ok "--collect against no server exits 1 and says it cannot connect"
	show
fi

if [ -f "$HIST" ]; then
	run --report=json -H "$HIST"
	if [ "$rc" -eq 0 ] && jq -e '(.statements | length) == 0 and .server == null' "$OUT" \
		>/dev/null 2>&1; then
		ok "--report=json on a history with no samples: valid JSON, no statements"
	else
		not_ok "--report=json on a history with no samples: valid JSON, no statements"
		show
	fi

	run --offline -H "$HIST"
	if [ "$rc" -eq 0 ] && grep -q "no samples" "$OUT"; then
		ok "--offline on a history with no samples says so and exits 0"
	else
		not_ok "--offline on a history with no samples says so and exits 0"
		show
	fi

	mkdir "$TAP_TMP/outdir"
	run --report=json -H "$HIST" -o "$TAP_TMP/outdir"
	if [ "$rc" -eq 1 ] && [ ! -s "$OUT" ] && [ "$(wc -l <"$ERR")" -eq 1 ] &&
		grep -q -F "pgmltop: cannot write the report to $TAP_TMP/outdir" "$ERR" &&
		grep -q -i "directory" "$ERR" && [ -z "$(ls -A "$TAP_TMP/outdir")" ]; then
		ok "-o DIRECTORY: exit 1, one message naming it as a directory"
	else
		not_ok "-o DIRECTORY: exit 1, one message naming it as a directory"
		show
	fi

	# catalogue D5: never follow a symbolic link to elsewhere
	echo "keep me" >"$TAP_TMP/target"
	ln -s "$TAP_TMP/target" "$TAP_TMP/link"
	run --report=json -H "$HIST" -o "$TAP_TMP/link"
	if [ "$rc" -eq 1 ] && [ "$(cat "$TAP_TMP/target")" = "keep me" ] &&
		grep -q -F "pgmltop: cannot write the report to $TAP_TMP/link" "$ERR"; then
		ok "-o SYMLINK: exit 1, the link target is not written"
	else
		not_ok "-o SYMLINK: exit 1, the link target is not written"
		show
	fi

	run --report=json -H "$HIST" -o "$TAP_TMP/report.json"
	if [ "$rc" -eq 0 ] && [ ! -s "$OUT" ] && jq -e . "$TAP_TMP/report.json" >/dev/null 2>&1
	then
		ok "-o FILE writes the JSON report there and nothing to stdout"
	else
		not_ok "-o FILE writes the JSON report there and nothing to stdout"
		show
	fi
else
	for p in "report on an empty history" "offline on an empty history" "-o DIRECTORY" \
		"-o SYMLINK" "-o FILE"; do
		ok "$p # SKIP no empty history could be made without a server"
	done
fi

# A password in a URI or a conninfo that libpq cannot use whole: its message may quote the
# URI, or a piece of it (an unencoded / cuts "px9" off "px9/ssw0rd" as a port); none of it is
# shown. No server is needed: each fails before connecting, or on port 1.
n_uri=0
for uri in 'postgres://u:px9/ssw0rd@localhost:1/db' 'postgres://u:s3cr%2Fet@[::1/db' \
	'postgres://u:hunter2hunter2@[::1/db' 'host=localhost port=1 password=opensesame9 dbname=x'; do
	run -b -n 1 --no-history "$uri"
	n_uri=$((n_uri + 1))
	secret_seen=
	for piece in px9 ssw0rd s3cr%2Fet s3cr/et hunter2hunter2 opensesame9; do
		case "$uri" in *"$piece"*) ;; *) continue ;; esac
		grep -qF -- "$piece" "$OUT" "$ERR" && secret_seen="$secret_seen $piece"
	done
	if [ "$rc" -eq 1 ] && [ -s "$ERR" ] && [ -z "$secret_seen" ]; then
		ok "password $n_uri of 4, in a URI or conninfo libpq cannot use: in no message"
	else
		not_ok "password $n_uri of 4, in a URI or conninfo libpq cannot use: in no message"
		echo "shown:$secret_seen" | diag
		show
	fi
done

done_testing
