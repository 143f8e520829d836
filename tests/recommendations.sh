#!/bin/sh
# The recommendations on a simulated history with planted problems of known cost: two N+1
# loops and SELECT * on statements of 144, 24 and 7 seconds a day are ranked costlier
# first, and an N+1 child with a SELECT * is one recommendation with two fixes. Marking
# applied (--mark, at the hour of a planted change) reports "helped" with the measured
# x0.4 where the change made the statement faster, and "no effect" where it did not; the
# rule's record and its next findings' confidence move with each; a dismissal keeps its
# reason; the states persist in the history file. A recommendation whose problem is no
# longer found is closed. In tmux, the screen's list, a story, and marking.
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"
. "$TESTS_SRCDIR/lib-tmux.sh"

for tool in jq sqlite3 timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done
cleanup() {
	[ -n "${TMUX_SOCK:-}" ] && "$TMUX_BIN" -L "$TMUX_SOCK" kill-server >/dev/null 2>&1
	:
}
trap cleanup EXIT
tap_tmpdir

cat >"$TAP_TMP/spec.sim" <<'SPEC'
seed = 5
days = 28
end = 2026-11-30
interval = 3600
server = recs
filler = 20

[statement orders]
text = SELECT id, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20
calls = 400
noise = 0.1
rows = 20
mean_ms = 1.5
daily_peak = 9 3
quiet = 0-5 0.3

[statement order_items]
text = SELECT * FROM order_items WHERE order_id = $1
parent = orders
mean_ms = 0.2
rows = 1

[statement posts]
text = SELECT id, title, author_id FROM posts WHERE blog_id = $1 ORDER BY id LIMIT 50
calls = 100
noise = 0.1
rows = 10
mean_ms = 2
daily_peak = 14 2
weekday = sat 0.5
weekday = sun 0.5

[statement authors]
text = SELECT name, email FROM authors WHERE id = $1
parent = posts
mean_ms = 0.3
rows = 1

[statement report]
text = SELECT * FROM orders WHERE created_at >= $1 ORDER BY created_at
calls = 30
mean_ms = 200
spread = 0.1
noise = 0.1

[statement untouched]
text = SELECT * FROM customers WHERE id = $1
calls = 200
mean_ms = 5
spread = 0.1
noise = 0.1

[statement third]
text = SELECT * FROM invoices WHERE account_id = $1
calls = 100
mean_ms = 3
spread = 0.1
noise = 0.1

[setting work_mem]
before = 4096
after = 65536
unit = kB
day = 14
hour = 3
effect = report 0.4
SPEC
H=$TAP_TMP/h.db
TZ=UTC "$PGMLTOP_BIN" --simulate="$TAP_TMP/spec.sim" -H "$H" --truth="$TAP_TMP/truth.json" \
	>/dev/null 2>"$TAP_TMP/sim.err" || { diag <"$TAP_TMP/sim.err"; bail_out "--simulate failed"; }
WIN="--days 28 --until=2026-11-30T00"
report() { # OUT
	# shellcheck disable=SC2086 # WIN is two options
	TZ=UTC timeout 60 "$PGMLTOP_BIN" --report=json -H "$H" $WIN >"$TAP_TMP/$1" 2>"$TAP_TMP/$1.err"
}
mark() { # ARGS...
	# shellcheck disable=SC2086
	TZ=UTC timeout 60 "$PGMLTOP_BIN" -H "$H" $WIN "$@" >"$TAP_TMP/mark.out" 2>"$TAP_TMP/mark.err"
}
qid() { jq -r --arg n "$1" '.statements[] | select(.name == $n) | .queryid' "$TAP_TMP/truth.json"; }
rec() { # FILE QUERYID FIELD
	jq -r --arg q "$2" --arg f "$3" '[.recommendations[] | select(.queryid == $q)][0] | .[$f] | tostring' \
		"$TAP_TMP/$1"
}
q_items=$(qid order_items)
q_authors=$(qid authors)
q_report=$(qid report)
q_untouched=$(qid untouched)
q_third=$(qid third)

report r0.json
is "--report=json exits 0" "$?" 0
diag <"$TAP_TMP/r0.json.err"
is "every recommendation has the contract's fields" \
	"$(jq '[.recommendations[] | has("id") and has("category") and has("rule") and has("queryid") and has("title") and has("detail") and has("suggestion") and has("confidence") and has("est_saving_ms_per_day") and has("score") and has("state") and has("evidence")] | all' "$TAP_TMP/r0.json")" true
is "they are ranked by score, highest first" \
	"$(jq '[.recommendations[] | select(.current) | .score] | . == (sort | reverse)' "$TAP_TMP/r0.json")" true
pos() { jq -r --arg q "$1" '[.recommendations[].queryid] | index($q)' "$TAP_TMP/r0.json"; }
is "SELECT * on statements of 144, 24 and 7 s a day: the costliest first" \
	"$([ "$(pos "$q_report")" -lt "$(pos "$q_untouched")" ] && [ "$(pos "$q_untouched")" -lt "$(pos "$q_third")" ] && echo ordered)" ordered
is "the N+1 loop of 38 s a day before the one of 6" \
	"$([ "$(pos "$q_items")" -lt "$(pos "$q_authors")" ] && echo ordered)" ordered
is "the N+1 child with a SELECT * is one recommendation with both fixes" \
	"$(jq -r --arg q "$q_items" '[.recommendations[] | select(.queryid == $q)] | (length | tostring) + " " + ([.[0].fixes[].rule] | join(","))' "$TAP_TMP/r0.json")" \
	"1 n_plus_one,select_star"
is "all are new" "$(jq -r '[.recommendations[].state] | unique | join(",")' "$TAP_TMP/r0.json")" new
conf0=$(rec r0.json "$q_third" confidence)

# ---- applied at the hour of the planted change: it helped the report, not the other ----
id_report=$(rec r0.json "$q_report" id)
id_untouched=$(rec r0.json "$q_untouched" id)
id_third=$(rec r0.json "$q_third" id)
mark --mark="$id_report=applied" --at=2026-11-15T03
is "--mark=ID=applied --at exits 0" "$?" 0
check "and says what it kept" grep -q "^$id_report: applied at 2026-11-15 03:00 UTC" "$TAP_TMP/mark.out"
report r1.json
is "the report statement's recommendation is applied" "$(rec r1.json "$q_report" state)" applied
is "its outcome: helped" "$(jq -r --arg q "$q_report" '.recommendations[] | select(.queryid == $q) | .outcome.result' "$TAP_TMP/r1.json")" helped
ratio=$(jq -r --arg q "$q_report" '.recommendations[] | select(.queryid == $q) | .outcome.ratio' "$TAP_TMP/r1.json")
diag <<EOF
report: mean time after / before = $ratio (planted 0.4)
EOF
check "with the measured change, about the planted x0.4 ($ratio)" \
	awk -v r="$ratio" 'BEGIN { exit !(r > 0.35 && r < 0.45) }'
is "select_star's record: 1 helped" \
	"$(jq -r '.track_record[] | select(.rule == "select_star") | "\(.helped) \(.no_effect) \(.dismissed)"' "$TAP_TMP/r1.json")" "1 0 0"
conf1=$(rec r1.json "$q_third" confidence)
check "the rule's next finding is surer ($conf0 -> $conf1)" \
	awk -v a="$conf0" -v b="$conf1" 'BEGIN { exit !(b > a) }'

SCHEMA=$TESTS_SRCDIR/../doc/report.schema.json
if command -v python3 >/dev/null 2>&1 && python3 -c 'import jsonschema' 2>/dev/null; then
	res=$(python3 - "$SCHEMA" "$TAP_TMP/r1.json" <<'PY'
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errors = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("/".join(str(p) for p in e.path), e.message)
print("invalid" if errors else "valid")
PY
)
	is "the report with an applied recommendation is valid against the schema" "$(echo "$res" | tail -n 1)" valid
	[ "$(echo "$res" | tail -n 1)" = valid ] || echo "$res" | diag
else
	ok "# SKIP python3-jsonschema is not installed"
fi

mark --mark="$id_untouched=applied" --at=2026-11-15T03
is "a second --mark exits 0" "$?" 0
report r2.json
is "the untouched statement's outcome: no effect" \
	"$(jq -r --arg q "$q_untouched" '.recommendations[] | select(.queryid == $q) | .outcome.result' "$TAP_TMP/r2.json")" no_effect
is "select_star's record: 1 helped, 1 without effect" \
	"$(jq -r '.track_record[] | select(.rule == "select_star") | "\(.helped) \(.no_effect) \(.dismissed)"' "$TAP_TMP/r2.json")" "1 1 0"
conf2=$(rec r2.json "$q_third" confidence)
check "the rule's next finding is less sure ($conf1 -> $conf2, below $conf0)" \
	awk -v a="$conf0" -v b="$conf1" -v c="$conf2" 'BEGIN { exit !(c < b && c < a) }'

mark --mark="$id_third=dismissed" --reason="an archive table, read once a day"
is "--mark=ID=dismissed --reason exits 0" "$?" 0
report r3.json
is "dismissed, with its reason" \
	"$(rec r3.json "$q_third" state) / $(rec r3.json "$q_third" reason)" \
	"dismissed / an archive table, read once a day"
is "the record counts the dismissal" \
	"$(jq -r '.track_record[] | select(.rule == "select_star") | .dismissed' "$TAP_TMP/r3.json")" 1
is "the states are in the history file" \
	"$(sq "$H" "SELECT group_concat(state, ',') FROM (SELECT state FROM recommendation_states ORDER BY state)")" \
	"applied,applied,dismissed"

mark --mark=r0000000000000000=applied
is "an unknown id: exit 1" "$?" 1
check "which says where the ids are" grep -q "no recommendation r0000000000000000" "$TAP_TMP/mark.err"

# ---- a problem no longer found: its recommendation is closed ----
id_authors=$(rec r0.json "$q_authors" id)
mark --mark="$id_authors=acknowledged"
is "--mark=ID=acknowledged exits 0" "$?" 0
# the loop's parent stops being seen: without it, no N+1 is found for the child
sq "$H" "DELETE FROM queries WHERE queryid = $(qid posts)" >/dev/null
sq "$H" "DELETE FROM stmt_keys WHERE queryid = $(qid posts)" >/dev/null 2>&1
report r4.json
found=$(jq -r --arg q "$q_authors" '[.findings[] | select(.queryid == $q and .rule == "n_plus_one")] | length' "$TAP_TMP/r4.json")
if [ "$found" = 0 ]; then
	is "acknowledged, and its problem no longer found: closed as vanished" \
		"$(jq -r --arg q "$q_authors" '.recommendations[] | select(.queryid == $q) | "\(.state) \(.outcome.result) \(.current)"' "$TAP_TMP/r4.json")" \
		"acknowledged vanished false"
else
	ok "# SKIP the N+1 loop is still found without its parent's text ($found)"
fi

# ---- the screen, offline on the same history, in tmux ----
if [ -n "$TMUX_BIN" ]; then
	tmux_use pgmltop-recs
	# alerts: recommendations of score 100 or more, to a hook that keeps its arguments
	mkdir -p "$TAP_TMP/config/pgmltop"
	cat >"$TAP_TMP/hook" <<EOF
#!/bin/sh
printf '%s|%s|%s\n' "\$1" "\$2" "\$PGMLTOP_ALERT_ID" >>"$TAP_TMP/alerts"
EOF
	chmod +x "$TAP_TMP/hook"
	printf 'alert_score = 100\nalert_command = %s\n' "$TAP_TMP/hook" \
		>"$TAP_TMP/config/pgmltop/config"
	tm new-session -d -s p -x 160 -y 40 env TERM=screen TZ=UTC HOME="$TAP_TMP" \
		XDG_CONFIG_HOME="$TAP_TMP/config" LC_ALL=C.UTF-8 \
		"$PGMLTOP_BIN" --offline -H "$H" --days 28 --until 2026-11-30
	pane_wait 10 QUERYID >/dev/null || true
	check "the top recommendation is on the list's screen" pane_wait 10 "^Top: N+1 loop"
	check "a new one above the alert score is in the header" pane_wait 5 "^ALERT recommendation: N+1 loop"
	wait_until 5 test -s "$TAP_TMP/alerts"
	is "and the alert command ran with it, once per recommendation" \
		"$(grep -c "^recommendation|N+1 loop.*|$(rec r0.json "$q_items" id)\$" "$TAP_TMP/alerts" 2>/dev/null)" 1
	is "none for one already applied" \
		"$(grep -c "|$(rec r0.json "$q_untouched" id)\$" "$TAP_TMP/alerts" 2>/dev/null)" 0
	tm send-keys -t p R
	check "R opens the ranked list" pane_wait 10 "^ *SCORE CATEGORY *STATE"
	check "the open ones: the N+1 loop first, new" pane_wait 5 "n_plus_one new *$q_items"
	tm send-keys -t p Enter
	check "Enter shows its story with both fixes" pane_wait 5 "^Fix 2 of 2: select_star"
	check "and the suggestion to copy" pane_wait 5 "Suggestion:"
	tm send-keys -t p x
	check "x marks it applied" pane_wait 5 "state applied"
	tm send-keys -t p Escape
	check "Esc: the list, where it is no longer open" pane_wait 5 "^ *SCORE CATEGORY"
	sleep 1
	if pane_has "$q_items"; then not_ok "the applied one left the open list"; else ok "the applied one left the open list"; fi
	tm send-keys -t p f
	check "f: the applied ones" pane_wait 5 "applied *$q_items"
	tm send-keys -t p q q q
	tm kill-server >/dev/null 2>&1
	TMUX_SOCK=
	report r5.json
	is "marked on the screen, kept in the history" "$(rec r5.json "$q_items" state)" applied
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		ok "# SKIP tmux not found: the screen is not tested"
	done
fi

done_testing
