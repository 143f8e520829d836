#!/bin/sh
# The parameter advisor. (a) On a simulated history with two planted settings changes, one
# that makes a statement faster and one that makes another slower, the report's
# before/after comparison finds each effect with its sign and about its size, and no effect
# on the statements that no change touched. (b) On a real throwaway PostgreSQL: pgbench
# on a default cluster gets neither the checkpoint rule nor the work_mem rule; with
# max_wal_size small and a write load the checkpoint rule fires with its evidence, and a
# role whose work_mem is tiny running a large sort gets the work_mem rule for that role.
# The settings pane shows the simulated history's changes and their effects (tmux).
set -u
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/pg-harness.sh"
. "$TESTS_SRCDIR/lib-history.sh"
. "$TESTS_SRCDIR/lib-tmux.sh"

for tool in jq sqlite3; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

cleanup() {
	bg_kill_all
	pg_cleanup
}
trap cleanup EXIT

tap_tmpdir

# within PCT percent of WANT
near() {
	awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= w * p / 100) }'
}

# ---- (a) a simulated history ----
cat >"$TAP_TMP/spec.sim" <<'SPEC'
seed = 7
days = 28
end = 2026-11-30
interval = 3600
server = params
filler = 20

[statement report]
text = SELECT date_trunc('day', created_at), sum(total) FROM orders GROUP BY 1 ORDER BY 1
calls = 30
mean_ms = 200
spread = 0.1
noise = 0.1
temp = 500
daily_peak = 9 3

[statement lookup]
text = SELECT id, total FROM orders WHERE customer_id = $1
calls = 600
mean_ms = 2
spread = 0.1
noise = 0.1
quiet = 22-6 0.2

[statement untouched]
text = SELECT name FROM customers WHERE id = $1
calls = 200
mean_ms = 5
spread = 0.1
noise = 0.1

[setting work_mem]
before = 4096
after = 65536
unit = kB
day = 14
hour = 3
effect = report 0.4

[setting random_page_cost]
before = 4
after = 1.1
day = 22
hour = 10
effect = lookup 2.5
SPEC
S=$TAP_TMP/sim.db
TZ=UTC "$PGMLTOP_BIN" --simulate="$TAP_TMP/spec.sim" -H "$S" --truth="$TAP_TMP/truth.json" \
	>/dev/null 2>"$TAP_TMP/sim.err" || { diag <"$TAP_TMP/sim.err"; bail_out "--simulate failed"; }
TZ=UTC "$PGMLTOP_BIN" --report=json -H "$S" --days 28 --until=2026-11-30T00 \
	>"$TAP_TMP/sim.json" 2>"$TAP_TMP/rep.err"
is "--report on the simulated history exits 0" "$?" 0
R=$TAP_TMP/sim.json
qid() { jq -r --arg n "$1" '.statements[] | select(.name == $n) | .queryid' "$TAP_TMP/truth.json"; }
q_report=$(qid report)
q_lookup=$(qid lookup)
q_untouched=$(qid untouched)
is "two settings changes are in the report" \
	"$(jq -r '[.settings_changes[].name] | join(",")' "$R")" "work_mem,random_page_cost"
is "work_mem's change is dated to the hour its new value was stored" \
	"$(jq -r '.settings_changes[0] | .from + " " + .to + " " + .ts' "$R")" \
	"4MB 64MB 2026-11-15T03:59:59Z"
eff() { # CHANGE QUERYID METRIC FIELD
	jq -r --argjson c "$1" --arg q "$2" --arg m "$3" --arg f "$4" \
		'.settings_changes[$c].effects[] | select(.queryid == $q and .metric == $m) | .[$f]' "$R"
}
is "work_mem: the report statement got faster" "$(eff 0 "$q_report" mean_ms effect)" decrease
r=$(eff 0 "$q_report" mean_ms ratio)
if near "$r" 0.4 25; then ok "work_mem: its mean time ratio $r is within 25% of the planted 0.4"; else
	not_ok "work_mem: its mean time ratio $r is within 25% of the planted 0.4"; fi
lo=$(eff 0 "$q_report" mean_ms low)
hi=$(eff 0 "$q_report" mean_ms high)
if awk -v l="$lo" -v h="$hi" -v r="$r" 'BEGIN { exit !(l != "" && l <= r && r <= h && h < 1) }'; then
	ok "work_mem: the interval [$lo, $hi] holds the ratio and leaves out 1"
else
	not_ok "work_mem: the interval [$lo, $hi] holds the ratio and leaves out 1"
fi
is "random_page_cost: the lookup statement got slower" "$(eff 1 "$q_lookup" mean_ms effect)" increase
r=$(eff 1 "$q_lookup" mean_ms ratio)
if near "$r" 2.5 25; then ok "random_page_cost: its mean time ratio $r is within 25% of the planted 2.5"; else
	not_ok "random_page_cost: its mean time ratio $r is within 25% of the planted 2.5"; fi
is "no statement effect on work_mem's change but the report's" \
	"$(jq -r --arg q "$q_report" '[.settings_changes[0].effects[] | select(.queryid != null and .queryid != $q)] | length' "$R")" 0
is "no statement effect on random_page_cost's change but the lookup's" \
	"$(jq -r --arg q "$q_lookup" '[.settings_changes[1].effects[] | select(.queryid != null and .queryid != $q)] | length' "$R")" 0
is "the untouched statement was compared and has no effect" \
	"$(jq -r --arg q "$q_untouched" '[.settings_changes[].effects[] | select(.queryid == $q)] | length' "$R")|$(jq -r '[.settings_changes[].statements_tested >= 23] | all' "$R")" "0|true"
is "the server's calls per hour: no effect found at either change" \
	"$(jq -r '[.settings_changes[].effects[] | select(.queryid == null and .metric == "calls") | .effect] | join(",")' "$R")" \
	"none,none"

# ---- the settings pane of the screen, offline on the same history, in tmux ----
if [ -n "$TMUX_BIN" ]; then
	tmux_use pgmltop-params
	tm new-session -d -s p -x 120 -y 45 env TERM=screen TZ=UTC HOME="$TAP_TMP" \
		XDG_CONFIG_HOME="$TAP_TMP/config" LC_ALL=C.UTF-8 \
		"$PGMLTOP_BIN" --offline -H "$S" --days 28 --until 2026-11-30
	pane_wait 10 QUERYID >/dev/null || true
	tm send-keys -t p S
	check "S opens the settings pane with the changes, newest first" \
		pane_wait 10 "^Changes (2), each against the same hours of the week before"
	check "random_page_cost's change with the lookup's measured slowdown" \
		pane_has "random_page_cost: 4 -> 1.1"
	check "work_mem's change with the report's speed-up and its interval" \
		pane_has "$q_report  *mean_ms .*: x0\.[34][0-9] \[0\.[0-9]*, 0\.[0-9]*\] decrease"
	check "the recommendation with its ALTER ROLE" pane_has 'ALTER ROLE "app" SET work_mem'
	tm send-keys -t p Escape
	check "Esc goes back to the list" pane_wait 5 QUERYID
	# the report statement's pane: the work_mem change that made it faster
	tm send-keys -t p / date_trunc Enter
	sleep 0.3
	tm send-keys -t p Enter
	pane_wait 10 "^ *Query" >/dev/null || true
	tm send-keys -t p NPage NPage
	check "the statement's pane lists the settings change that affected it, with its effect" \
		pane_wait 10 "work_mem 4MB -> 64MB: mean [0-9.]* -> [0-9.]* ms, x0\.[34][0-9] \[0\.[0-9]*, 0\.[0-9]*\] decrease"
	tm send-keys -t p Escape
	tm send-keys -t p q
	tm kill-server >/dev/null 2>&1
else
	ok "# SKIP tmux not found: the settings pane is not tested"
fi

# ---- (b) a real server ----
pg_start
pg_pgbench_init 1
report() { # HISTORY OUT
	"$PGMLTOP_BIN" --report=json -H "$1" --days 1 >"$2" 2>"$2.err" </dev/null
}
rules_fired() {
	jq -r '[.findings[] | select(.category == "parameter") | .rule] | sort | join(",")' "$1"
}

# 1. the default cluster running pgbench
H1=$TAP_TMP/h1.db
bg_start c1 "$PGMLTOP_BIN" --collect -s 1 -n 8 -H "$H1" || bail_out "--collect did not start"
wait_until 20 samples_at_least "$H1" 1 || bail_out "no first sample"
pg_pgbench -n -c 2 -T 5 >/dev/null 2>&1
is "--collect on the default cluster exits 0" "$(bg_wait c1 30)" 0
report "$H1" "$TAP_TMP/r1.json"
is "--report on it exits 0" "$?" 0
f=$(rules_fired "$TAP_TMP/r1.json")
case ",$f," in
*,checkpoints_requested,* | *,work_mem_role,* | *,work_mem_global,*)
	not_ok "pgbench on a default cluster: neither the checkpoint nor the work_mem rule fires"
	echo "fired: $f" | diag ;;
*) ok "pgbench on a default cluster: neither the checkpoint nor the work_mem rule fires" ;;
esac
is "pgbench on a default cluster: no effective_cache_size, random_page_cost or autovacuum advice above low" \
	"$(jq -r '[.findings[] | select(.rule == "effective_cache_size_low" or .rule == "random_page_cost_ssd"
		or .rule == "autovacuum_lag") | select(.severity != "low") | .rule] | join(",")' "$TAP_TMP/r1.json")" ""

# 2. max_wal_size small, a write load, and a role with a tiny work_mem running a sort
pg_psql -q >/dev/null <<'SQL' || bail_out "setting up failed"
ALTER SYSTEM SET max_wal_size = '32MB';
ALTER SYSTEM SET min_wal_size = '32MB';
SELECT pg_reload_conf();
CREATE ROLE sorter LOGIN;
GRANT pg_read_all_data TO sorter;
CREATE TABLE wal_load (id int, pad text);
CREATE TABLE dead_rows (id int, pad text) WITH (autovacuum_enabled = off);
INSERT INTO dead_rows SELECT g, 'x' FROM generate_series(1, 100000) g;
DELETE FROM dead_rows WHERE id <= 60000;
SQL
H2=$TAP_TMP/h2.db
bg_start c2 "$PGMLTOP_BIN" --collect -s 1 -n 10 -H "$H2" || bail_out "--collect did not start"
wait_until 20 samples_at_least "$H2" 1 || bail_out "no first sample"
# a role's setting needs no reload; the reload makes pgmltop read them now, not with the
# catalog ten minutes later
pg_psql -q -c "ALTER ROLE sorter SET work_mem = '64kB'" -c "SELECT pg_reload_conf()" >/dev/null
bg_start load pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 2 -T 6 "$PGDATABASE" ||
	bail_out "pgbench did not start"
# (50000 rows of generate_series fit in the default work_mem: postgres spills nothing)
for i in 1 2 3 4 5 6; do
	pg_psql -c "INSERT INTO wal_load SELECT g, repeat('x', 500) FROM generate_series(1, 50000) g" >/dev/null
	psql -X -q -h "$PGHOST" -p "$PGPORT" -U sorter -d "$PGDATABASE" \
		-c "SELECT id FROM wal_load ORDER BY pad || id DESC OFFSET 10000000" >/dev/null ||
		echo "the sort of sorter failed" | diag
done
bg_wait load 20 >/dev/null
is "--collect with max_wal_size small exits 0" "$(bg_wait c2 40)" 0
report "$H2" "$TAP_TMP/r2.json"
is "--report on it exits 0" "$?" 0
R2=$TAP_TMP/r2.json
f=$(rules_fired "$R2")
case ",$f," in
*,checkpoints_requested,*) ok "the checkpoint rule fires" ;;
*) not_ok "the checkpoint rule fires"; echo "fired: $f" | diag
   sq "$H2" "SELECT sum(timed), sum(requested) FROM checkpoint_deltas" | diag ;;
esac
is "its evidence: requested checkpoints of max_wal_size 32MB" \
	"$(jq -r '.parameters[] | select(.rule == "checkpoints_requested") |
		[.name, .current, (.evidence.checkpoints_requested >= 3), (.evidence.requested_share > 0.2), .evidence.max_wal_size] | map(tostring) | join(" ")' "$R2")" \
	"max_wal_size 32MB true true 32MB"
is "its evidence has the WAL volume from pg_stat_wal, per hour and between checkpoints" \
	"$(jq -r '.parameters[] | select(.rule == "checkpoints_requested") | .evidence |
		[(.wal_bytes_per_hour > 0), (.wal_bytes_per_checkpoint > 0),
		 (.wal_bytes_peak_hour >= .wal_bytes_per_checkpoint), .max_wal_size_bytes] |
		map(tostring) | join(" ")' "$R2")" \
	"true true true 33554432"
is "it suggests ALTER SYSTEM SET max_wal_size = '128MB'" \
	"$(jq -r '.parameters[] | select(.rule == "checkpoints_requested") | .statement' "$R2")" \
	"ALTER SYSTEM SET max_wal_size = '128MB'; SELECT pg_reload_conf();"
is "the work_mem rule fires for the role sorter" \
	"$(jq -r '.parameters[] | select(.rule == "work_mem_role") | .scope' "$R2")" "role sorter"
is "naming the sort's statement, and ALTER ROLE sorter" \
	"$(jq -r '.findings[] | select(.rule == "work_mem_role") | [(.queryid != null), (.suggestion | startswith("ALTER ROLE \"sorter\" SET work_mem"))] | map(tostring) | join(" ")' "$R2")" \
	"true true"
is "ALTER ROLE sorter SET work_mem is a change of the role's setting, with its scope" \
	"$(jq -r '.settings_changes[] | select(.name == "work_mem" and .role != null) |
		[.scope, .role, (.database // "-"), (.from // "-"), .to, .source] | join("|")' "$R2")" \
	"role sorter|sorter|-|-|64kB|user"
is "the history holds it with the time it was read and no value before" \
	"$(sq "$H2" "SELECT rolname, datname, setting, old IS NULL, first, ts > (SELECT min(ts) FROM samples)
		FROM role_settings WHERE name = 'work_mem'")" "sorter||64kB|1|0|1"
is "the work_mem rule names the role's own setting" \
	"$(jq -r '.parameters[] | select(.rule == "work_mem_role") |
		[.current, .evidence.role_setting.work_mem, (.evidence.memory_bytes == null),
		 .evidence.bound_skipped] | map(tostring) | join(" ")' "$R2")" \
	"64kB 64kB true memory_share"
"$PGMLTOP_BIN" --report=json -H "$H2" --days 1 --server-memory=1GB >"$TAP_TMP/r2m.json" 2>&1 </dev/null
is "with --server-memory the memory bounds apply: work_mem within a quarter of it per connection" \
	"$(jq -r '.parameters[] | select(.rule == "work_mem_role") |
		[.evidence.memory_bytes, (.evidence.bound_skipped // "-")] | map(tostring) | join(" ")' \
		"$TAP_TMP/r2m.json")" "1073741824 -"
wal=$(sq "$H2" "SELECT count(*) > 0, sum(wal_bytes) > 50000 * 500, min(wal_bytes) >= 0 FROM wal_deltas")
is "pg_stat_wal's deltas are stored (the inserts wrote more than 25 MB)" "$wal" "1|1|1"
is "the table with autovacuum off and 60,000 dead rows gets the autovacuum advice" \
	"$(jq -r '.parameters[] | select(.rule == "autovacuum_lag") |
		[.scope, .evidence.n_dead_tup, .evidence.autovacuum_enabled, .statement] | map(tostring) | join("|")' "$R2")" \
	'table "public"."dead_rows"|60000|off|ALTER TABLE "public"."dead_rows" SET (autovacuum_enabled = on, autovacuum_vacuum_scale_factor = 0.05); VACUUM (ANALYZE) "public"."dead_rows";'
is "the history holds the tables' dead rows from the catalog" \
	"$(sq "$H2" "SELECT n_dead_tup, n_live_tup, reloptions, last_vacuum IS NULL FROM rel_tables WHERE relname = 'dead_rows'")" \
	"60000.0|40000.0|autovacuum_enabled=off|1"
is "no work_mem rule for the role running pgbench" \
	"$(jq -r '[.parameters[] | select(.rule == "work_mem_role" and .scope != "role sorter")] | length' "$R2")" 0

done_testing
