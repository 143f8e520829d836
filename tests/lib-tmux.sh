# Helpers for the shell tests that drive the screen in tmux: source it after lib-tap.sh.
# tmux_use NAME: the private tmux server NAME-PID for tm; tm ARGS...: a tmux command on it;
# pane_has TEXT: the pane of session p shows a line matching TEXT (a grep pattern);
# pane_wait SECONDS TEXT: wait for it, printing the pane as diagnostics on a timeout.
TMUX_BIN=${TMUX_BIN:-$(command -v tmux)}

tmux_use() {
	unset TMUX # never talk to a tmux this test runs in
	TMUX_SOCK="$1-$$"
}

tm() {
	"$TMUX_BIN" -L "$TMUX_SOCK" -f "$TESTS_SRCDIR/tmux.conf" "$@"
}

pane_has() {
	tm capture-pane -p -t p | grep -q -- "$1"
}

pane_wait() {
	pw_n=$(($1 * 10))
	while [ "$pw_n" -gt 0 ]; do
		pane_has "$2" && return 0
		sleep 0.1
		pw_n=$((pw_n - 1))
	done
	tm capture-pane -p -t p | sed 's/^/# /'
	return 1
}
