# TAP helpers for the shell tests. Source it; end with done_testing.
tap_n=0
tap_fail=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_fail=$((tap_fail + 1))
	echo "not ok $tap_n - $*"
}

# check DESCRIPTION COMMAND...: one test point, ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# Print stdin as TAP diagnostics.
diag() {
	sed 's/^/# /'
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail_out() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
}

# A private temporary directory, removed at exit (unless KEEP_TMP is set).
tap_tmpdir() {
	TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgmltop-test.XXXXXX") || bail_out "mktemp failed"
	chmod 755 "$TAP_TMP"
}

PGMLTOP_BIN=${PGMLTOP_BIN:-$(cd "$(dirname "$0")/.." && pwd)/pgmltop}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
