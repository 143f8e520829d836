#!/bin/sh
# A short fuzzing run: each libFuzzer target of tests/fuzz/ (built by tools/fuzz with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer) runs for FUZZ_SECONDS (default
# 8) over its seed corpus, in a temporary directory. One test point a target: ok when it
# ran clean, not ok on a crash, a leak, undefined behaviour, a broken invariant or an
# input that took longer than FUZZ_TIMEOUT seconds (default 10); the input is printed
# as diagnostics. Skipped when clang cannot build a libFuzzer target, or when FUZZ_SECONDS
# is 0 (tools/check runs it in one of its two builds only).
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"

fuzz="$TESTS_SRCDIR/../tools/fuzz"
seconds=${FUZZ_SECONDS:-8}
case $seconds in
'' | *[!0-9]*) bail_out "FUZZ_SECONDS must be a number of seconds" ;;
esac
[ "$seconds" -gt 0 ] || skip_all "FUZZ_SECONDS is 0"
command -v "${CC_FUZZ:-clang}" >/dev/null 2>&1 || skip_all "clang is not installed"
# the sanitizer build's ASAN_OPTIONS are not for libFuzzer: it sets its own
unset ASAN_OPTIONS UBSAN_OPTIONS
CC=${CC_FUZZ:-clang}
export CC
[ "$("$fuzz" check)" = 1 ] || skip_all "clang cannot build a libFuzzer target (Debian: libclang-rt-dev)"

tap_tmpdir
trap 'rm -rf "$TAP_TMP"' EXIT
FUZZ_DIR="$TAP_TMP/fuzz"
export FUZZ_DIR

if ! nice -n 10 "$fuzz" build >"$TAP_TMP/build.log" 2>&1; then
	diag <"$TAP_TMP/build.log"
	not_ok "the fuzz targets build"
	done_testing
	exit 1
fi
ok "the fuzz targets build"

for t in $("$fuzz" list); do
	# at a lower priority: the other tests of a parallel make check keep their pace
	if nice -n 10 "$fuzz" run "$seconds" "$t" >"$TAP_TMP/$t.out" 2>&1; then
		ok "$t: $(sed -n 1p "$TAP_TMP/$t.out" | tr -s ' ' | cut -d' ' -f2-)"
	else
		not_ok "$t"
		diag <"$TAP_TMP/$t.out"
		for a in "$FUZZ_DIR"/artifacts/"$t"-*; do
			[ -f "$a" ] || continue
			echo "the input, base64 (${a##*/}):" | diag
			base64 "$a" | head -c 20000 | diag
		done
	fi
done
done_testing
