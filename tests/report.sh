#!/bin/sh
# The report writers (--report=html, md, csv, json) over a simulated 30-day history with
# planted hostile texts: the sections of each format, escaping (a <script> in a query text
# is text, a cell starting with = is not a formula, a pipe does not split a Markdown cell,
# backticks do not close a fence), the JSON against doc/report.schema.json, its totals
# against the history (sqlite3), how -o writes (umask, symbolic links, whole or nothing),
# and the HTML page rendered by headless Chromium when it is installed. Then, on a real
# throwaway PostgreSQL, a history written by --batch connected with a password in a URI and
# in a keyword conninfo: the password is in no report, no output and no message (E4).
set -u

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/lib-tap.sh"
. "$TESTS_SRCDIR/lib-history.sh"
. "$TESTS_SRCDIR/pg-harness.sh"

for tool in sqlite3 jq perl timeout; do
	command -v "$tool" >/dev/null 2>&1 || bail_out "$tool is needed for this test"
done

tap_tmpdir
trap pg_cleanup EXIT # the server of the last part, and $TAP_TMP
trap 'exit 130' INT TERM
cd "$TAP_TMP" || bail_out "cannot cd to $TAP_TMP"
HOME=$TAP_TMP/home
XDG_DATA_HOME=$TAP_TMP/xdg
XDG_CONFIG_HOME=$TAP_TMP/config
TZ=UTC
export HOME XDG_DATA_HOME XDG_CONFIG_HOME TZ
mkdir "$HOME"
umask 022

OUT=$TAP_TMP/stdout
ERR=$TAP_TMP/stderr
SCHEMA=$TESTS_SRCDIR/../doc/report.schema.json

run() {
	timeout 120 "$PGMLTOP_BIN" "$@" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

show() {
	{
		echo "exit status: $rc"
		echo "stdout:"
		head -n 10 "$OUT" | cut -c 1-200
		echo "stderr:"
		head -n 10 "$ERR" | cut -c 1-300
	} | diag
}

# The window: the 30 simulated days, to their end.
END=2026-11-23
WIN="--days=30 --until=$END"

cat >spec <<'EOF'
seed = 11
days = 30
end = 2026-11-23
filler = 30

[statement orders]
text = SELECT * FROM orders WHERE customer_id = $1
calls = 600
mean_ms = 0.5
rows = 20
daily_peak = 9 4 0.9
weekly_peak = mon 14 3
regression = 20 10 3

[statement order_items]
text = SELECT * FROM order_items WHERE order_id = $1
parent = orders
fanout = 20
mean_ms = 0.05

[statement hostile]
text = SELECT '<script>alert(1)</script>' AS x, 'a|b' AS "`pipe`" FROM t WHERE name NOT IN (SELECT n FROM u)
calls = 400
mean_ms = 3

[statement formula]
text = =HYPERLINK("http://example.invalid/", "x") -- SELECT 1, 2
calls = 300
mean_ms = 2

[statement fenced]
text = SELECT 'fence' AS f
calls = 200
mean_ms = 2

[statement nightly]
text = SELECT date_trunc('day', created_at), sum(total) FROM orders GROUP BY 1 ORDER BY 1
calls = 2
mean_ms = 800
spread = 0
noise = 0
temp = 500

[setting work_mem]
before = 4096
after = 65536
unit = kB
day = 18
hour = 12
effect = nightly 0.4
EOF

run --simulate=spec -H h.db --truth=truth.json
[ "$rc" -eq 0 ] || {
	show
	bail_out "the simulated history could not be made"
}
qid() { jq -r --arg n "$1" '.statements[] | select(.name == $n) | .queryid' truth.json; }
HOSTILE=$(qid hostile)
FORMULA=$(qid formula)
FENCED=$(qid fenced)
# a text of several lines whose backticks would close a fence of three, and a heading
sq h.db "UPDATE queries SET query = 'SELECT 1 -- \`\`\`' || char(10) || '\`\`\`' ||
	char(10) || '# not a heading' || char(13) || char(10) || '</pre><b>x</b>'
	WHERE queryid = $FENCED"

# texts a spreadsheet would take for a formula, one for each first character it acts on
# (catalogue E2), and an attribute break-out with an event handler for the HTML (E1)
PLANTED=$(sq h.db "SELECT queryid FROM queries WHERE queryid NOT IN
	($HOSTILE, $FORMULA, $FENCED) ORDER BY queryid LIMIT 6")
[ "$(echo "$PLANTED" | wc -l)" -eq 6 ] || bail_out "no six statements to plant texts in"
# shellcheck disable=SC2086 # six ids
set -- $PLANTED
Q_PLUS=$1 Q_MINUS=$2 Q_AT=$3 Q_TAB=$4 Q_CR=$5 Q_IMG=$6
sq h.db "UPDATE queries SET query = '+SELECT 1 -- plus' WHERE queryid = $Q_PLUS;
	UPDATE queries SET query = '-2+3+cmd|'' /C calc''!A0' WHERE queryid = $Q_MINUS;
	UPDATE queries SET query = '@SUM(1+1)*cmd|'' /C calc''!A0' WHERE queryid = $Q_AT;
	UPDATE queries SET query = char(9) || '=1+2 -- tab' WHERE queryid = $Q_TAB;
	UPDATE queries SET query = char(13) || '=1+2 -- cr' WHERE queryid = $Q_CR;
	UPDATE queries SET query = '\"><img src=x onerror=alert(1)> SELECT 1' WHERE queryid = $Q_IMG"

# ---- each format is written, whole, with nothing on standard output ----

for f in json html md csv; do
	run --report=$f -H h.db $WIN -o "report.$f"
	if [ "$rc" -eq 0 ] && [ ! -s "$OUT" ] && [ ! -s "$ERR" ] && [ -s "report.$f" ]; then
		ok "--report=$f -o FILE writes the report there and nothing else"
	else
		not_ok "--report=$f -o FILE writes the report there and nothing else"
		show
	fi
done
check "the files get the mode of the umask (0644 under 022)" \
	[ "$(stat -c %a report.html report.md report.csv report.json | sort -u)" = 644 ]
check "no temporary file is left beside them" \
	[ "$(ls -A | grep -c '^\.report')" -eq 0 ]
(umask 077 && run --report=md -H h.db $WIN -o private.md)
check "under umask 077 the file is 0600" [ "$(stat -c %a private.md)" = 600 ]
run --report=html -H h.db $WIN
check "without -o the report goes to standard output" cmp -s "$OUT" report.html

# ---- HTML ----

H=report.html
check "HTML: a page of its own (doctype, charset, closed)" \
	sh -c "head -n 1 $H | grep -q '^<!DOCTYPE html>' && grep -q '<meta charset=\"utf-8\">' $H &&
		tail -n 1 $H | grep -q '^</html>'"
missing=
for id in summary load heatmap top findings patterns anomalies parameters forecasts statements
do
	grep -q "<section id=\"$id\">" $H || missing="$missing $id"
done
is "HTML: every section is there" "${missing:-none missing}" "none missing"
check "HTML: the planted <script> is shown as text (&lt;script&gt;)" \
	grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" $H
check "HTML: no script element, no event handler, no javascript: URL" \
	sh -c "! grep -i -q -E -e '<script' -e '<[^>]+[[:space:]]on[a-z]+=' -e 'javascript:' $H"
check "HTML: the tags planted in a text are text too" \
	grep -q "&lt;/pre&gt;&lt;b&gt;x&lt;/b&gt;" $H
check "HTML: a planted '\"><img src=x onerror=...>' is shown as text (&quot;&gt;&lt;img)" \
	grep -q "&quot;&gt;&lt;img src=x onerror=alert(1)&gt; SELECT 1" $H
check "HTML: no <img element anywhere" sh -c "! grep -q -i '<img' $H"
# every onerror= left is inside the escaped text
check "HTML: no onerror= outside the escaped text" \
	sh -c "! sed 's/&lt;img src=x onerror=alert(1)&gt;//g' $H | grep -q -i 'onerror='"
check "HTML: nothing is fetched (no src=, no url(), no link element)" \
	sh -c "! grep -i -q -E -e '<[^>]+[[:space:]]src=' -e 'url\(' -e '<link' -e '@import' $H"
check "HTML: the load chart, the heatmaps and the sparklines are inline SVG" \
	[ "$(grep -c '<svg' $H)" -ge 2 ]
check "HTML: a sparkline per statement section" \
	[ "$(grep -c 'class="spark"' $H)" -ge 10 ]
check "HTML: the heatmap has 7 x 24 cells" \
	[ "$(grep -o '<rect[^>]*><title>\(Mon\|Tue\|Wed\|Thu\|Fri\|Sat\|Sun\) [0-9][0-9]:00' $H |
		wc -l)" -eq 336 ]
check "HTML: a print style sheet" grep -q '@media print' $H
check "HTML: the forecasts: a table, and charts of the server's next week in its band" \
	sh -c "sed -n '/<section id=\"forecasts\">/,/<\/section>/p' $H > fc.html &&
		grep -q '<th>Model</th>' fc.html && grep -q 'class=\"band\"' fc.html &&
		grep -q 'whole server: calls per hour, last week and next' fc.html"
check "HTML: the settings change and the advice are shown" \
	sh -c "grep -q '<code>work_mem</code>' $H && grep -q 'NOT IN over a subquery' $H"
check "HTML: the simulated history is said to be simulated" grep -q 'is simulated' $H

# ---- Markdown ----

M=report.md
# Every table row has as many cells as its header: pipes not escaped, less one.
bad=$(perl -ne '
	if (/^(`{3,})/) { if ($f eq "") { $f = $1; next } elsif (/^$f\s*$/) { $f = ""; next } }
	next if $f ne "";
	if (/^\|/) {
		# cut as GFM does: a backslash takes the character after it
		my $l = $_; $l =~ s/\\.//g; my $n = () = $l =~ /\|/g; $n--;
		if (!defined $cols) { $cols = $n } elsif ($n != $cols) { print "line $.: $n not $cols\n" }
	} else { undef $cols }
	BEGIN { $f = "" }' $M)
is "Markdown: each table row has its header's number of cells" "${bad:-all rows}" "all rows"
check "Markdown: the header rows are there" \
	sh -c "grep -q '^| # | Query id | Calls | Total | Mean | Rows/call | Shared read | Temp written | Query |\$' $M &&
		grep -q '^| Setting | Current | Recommended | Scope | Confidence | Statement |\$' $M"
# outside fences and code spans there is no raw tag
raw=$(perl -ne '
	if (/^(`{3,})/) { if ($f eq "") { $f = $1; next } elsif (/^$f\s*$/) { $f = ""; next } }
	next if $f ne "";
	s/(`+)(?!`).*?(?<!`)\1(?!`)//g;
	print if /<[a-z\/]/i;
	BEGIN { $f = "" }' $M)
is "Markdown: no raw HTML outside code" "${raw:-none}" "none"
check "Markdown: a pipe in a query is escaped in its cell" grep -q "'a\\\\|b'" $M
check "Markdown: a text with a run of three backticks is fenced with four" \
	sh -c "grep -q '^\`\`\`\`sql\$' $M && grep -q '^# not a heading\$' $M"
check "Markdown: the sections are there" \
	sh -c "for s in Summary 'Load over time' 'When the load comes' 'Top statements' \
		'Findings and recommendations' 'Workload patterns' 'Anomalies and regressions' \
		Parameters Forecasts 'The statements that took the most time'; do
		grep -q \"^## \$s\" $M || exit 1; done"

# ---- CSV ----

tables="statements findings patterns parameters settings_changes hours"
want_statements="queryid,toplevel,calls,total_ms,mean_ms,max_ms,rows,shared_blks_hit,shared_blks_read,temp_blks_written,query"
want_findings="rule,category,severity,queryid,metric,from,to,hours,observed,expected,low,high,severity_ratio,score,confidence,est_saving_ms_per_day,title,detail,suggestion,evidence"
want_patterns="queryid,pattern_type,metric,hour,hour_to,weekday,height,recurrence,consistency,confidence,observed,occurrences,first,last,description"
want_parameters="name,current,recommended,confidence,rule,scope,statement,evidence"
want_settings_changes="name,from,to,ts,source,pending_restart,statements_tested,note,effect_queryid,effect_metric,effect_hours,before,after,ratio,low,high,effect"
want_hours="hour,sampled,calls,total_ms,mean_ms"
for t in $tables; do
	run --report=csv --csv-table=$t -H h.db $WIN -o "$t.csv"
	eval want=\$want_$t
	got=$(head -n 1 "$t.csv" | tr -d '\r')
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$(wc -l <"$t.csv")" -ge 2 ]; then
		ok "CSV $t: its header and rows"
	else
		not_ok "CSV $t: its header and rows"
		printf 'got:  %s\nwant: %s\n' "$got" "$want" | diag
		show
	fi
done
check "CSV: --csv-table defaults to statements" cmp -s report.csv statements.csv
check "CSV: records end with CRLF" \
	sh -c "[ \"\$(head -n 1 statements.csv | od -An -c | tr -d ' ' | tail -c 5)\" = '\\r\\n' ] &&
		[ \"\$(tail -c 2 statements.csv | od -An -c | tr -d ' ')\" = '\\r\\n' ]"
check "CSV: the formula text is neutralised with a leading quote (quoted, quotes doubled)" \
	grep -q -F "\"'=HYPERLINK(\"\"http://example.invalid/\"\", \"\"x\"\") -- SELECT 1, 2\"" \
	statements.csv
check "CSV: no cell starts with = unquoted" sh -c "! grep -q -e ',=' -e ',\"=' -e '^=' statements.csv"
check "CSV: no cell starts with a quote unquoted (a neutralised cell is quoted)" \
	sh -c "! grep -q -e \",'\" -e \"^'\" statements.csv"
check "CSV: a negative query id is a plain number" grep -q '^-[0-9][0-9]*,' statements.csv
if command -v python3 >/dev/null 2>&1; then
	bad=$(python3 - $tables <<'EOF'
import csv, sys
for t in sys.argv[1:]:
    with open(t + ".csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    for i, r in enumerate(rows):
        if len(r) != len(rows[0]):
            print(t, i, len(r), len(rows[0]))
        for c in r:
            if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not c[1:2].isdigit()):
                print(t, i, "formula", c[:20])
EOF
)
	is "CSV: a strict reader reads every table, each row its header's width, no formula" \
		"${bad:-all good}" "all good"
	hostile=$(python3 -c '
import csv, sys
for r in csv.DictReader(open("statements.csv", newline="", encoding="utf-8")):
    if r["queryid"] == sys.argv[1]:
        print(r["query"])' "$HOSTILE")
	# each planted text: read back by a strict reader with the quote before it, and in
	# the file as a quoted cell that begins with the quote
	planted=$(python3 - "$Q_PLUS" "$Q_MINUS" "$Q_AT" "$Q_TAB" "$Q_CR" "$Q_IMG" <<'EOF'
import csv, sys
want = {sys.argv[1]: "+SELECT 1 -- plus", sys.argv[2]: "-2+3+cmd|' /C calc'!A0",
        sys.argv[3]: "@SUM(1+1)*cmd|' /C calc'!A0", sys.argv[4]: "\t=1+2 -- tab",
        sys.argv[5]: "\r=1+2 -- cr"}
raw = open("statements.csv", newline="", encoding="utf-8").read()
got = {r["queryid"]: r["query"] for r in
       csv.DictReader(open("statements.csv", newline="", encoding="utf-8"), strict=True)}
for q, t in want.items():
    if got.get(q) != "'" + t:
        print("read back", q, repr(got.get(q)))
    if ',"\'' + t.replace('"', '""') + '"\r\n' not in raw:
        print("not quoted", q, repr(t))
if got.get(sys.argv[6]) != '"><img src=x onerror=alert(1)> SELECT 1':
    print("read back", sys.argv[6], repr(got.get(sys.argv[6])))
EOF
)
	is "CSV: texts starting with + - @ TAB CR: neutralised with ' and quoted, read back so" \
		"${planted:-all good}" "all good"
	is "CSV: the hostile text reads back as it was" "$hostile" \
		"SELECT '<script>alert(1)</script>' AS x, 'a|b' AS \"\`pipe\`\" FROM t WHERE name NOT IN (SELECT n FROM u)"
else
	ok "CSV: a strict reader reads every table # SKIP python3 is not installed"
	ok "CSV: the hostile text reads back as it was # SKIP python3 is not installed"
	ok "CSV: texts starting with + - @ TAB CR # SKIP python3 is not installed"
fi

# ---- JSON: the schema, and its totals against the history ----

if command -v python3 >/dev/null 2>&1 && python3 -c 'import jsonschema' 2>/dev/null; then
	res=$(python3 - "$SCHEMA" report.json <<'EOF' 2>&1
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("/".join(str(p) for p in e.path), e.message[:200])
print("valid" if not errors else "invalid")
EOF
)
	is "JSON: the report is valid against doc/report.schema.json" "$(echo "$res" | tail -n 1)" valid
	[ "$(echo "$res" | tail -n 1)" = valid ] || echo "$res" | diag
	# the schema is not a rubber stamp: a report with a number for a query id fails
	jq '.statements[0].queryid = 42' report.json >broken.json
	res=$(python3 -c '
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
print("invalid" if list(v.iter_errors(json.load(open(sys.argv[2])))) else "valid")' \
		"$SCHEMA" broken.json)
	is "JSON: the schema refuses a query id that is a number" "$res" invalid
else
	ok "JSON: the report is valid against the schema # SKIP python3 with jsonschema is not installed (python3-jsonschema)"
	ok "JSON: the schema refuses a query id that is a number # SKIP no python3-jsonschema"
fi
check "JSON: the schema file is JSON" jq -e '."$schema"' "$SCHEMA"

# The totals: hourly rows up to the rollup mark, raw deltas after it, as the store reads.
TO=$(date -u -d "$END" +%s)
FROM=$((TO - 30 * 86400))
hist=$(sq h.db "WITH m AS (SELECT hour AS mark FROM rollup_state),
	t AS (SELECT calls, total_us / 1000.0 AS ms, rows, shared_blks_read AS rd,
	       temp_blks_written AS tw FROM stmt_hours, m
	      WHERE hour >= $FROM / 3600 AND hour <= min($TO / 3600, m.mark)
	      UNION ALL
	      SELECT d.calls, d.total_ms, d.rows, d.shared_blks_read, d.temp_blks_written
	      FROM stmt_deltas d JOIN samples s ON s.id = d.sample_id, m
	      WHERE s.ts >= max($FROM, (m.mark + 1) * 3600) AND s.ts <= $TO)
	SELECT sum(calls), sum(rows), sum(rd), sum(tw), printf('%.3f', sum(ms)) FROM t")
rep=$(jq -r '[([.statements[].calls] | add), ([.statements[].rows] | add),
	([.statements[].shared_blks_read] | add), ([.statements[].temp_blks_written] | add)] |
	map(tostring) | join("|")' report.json)
is "JSON totals = the history's: calls, rows, blocks read, temp blocks" "$rep" \
	"$(echo "$hist" | cut -d '|' -f 1-4)"
ms_rep=$(jq -r '[.statements[].total_ms] | add' report.json)
ms_hist=$(echo "$hist" | cut -d '|' -f 5)
n_stmts=$(jq -r '.statements | length' report.json)
check "JSON total time = the history's ($ms_rep, $ms_hist; 0.001 ms a statement)" \
	awk -v a="$ms_rep" -v b="$ms_hist" -v n="$n_stmts" \
	'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.0005 * n + 0.001) }'
is "JSON: the statement of a query id has its calls in the history" \
	"$(jq -r --arg q "$FORMULA" '.statements[] | select(.queryid == $q) | .calls' report.json)" \
	"$(sq h.db "WITH m AS (SELECT hour AS mark FROM rollup_state)
		SELECT (SELECT sum(h.calls) FROM stmt_hours h JOIN stmt_keys k ON k.id = h.stmt, m
		        WHERE k.queryid = $FORMULA AND h.hour >= $FROM / 3600
		        AND h.hour <= min($TO / 3600, m.mark))
		 + (SELECT coalesce(sum(d.calls), 0) FROM stmt_deltas d
		    JOIN samples s ON s.id = d.sample_id, m WHERE d.queryid = $FORMULA
		    AND s.ts >= max($FROM, (m.mark + 1) * 3600) AND s.ts <= $TO)")"

# ---- the command line ----

run --report=pdf -H h.db
check "an unknown format is a usage error listing the formats" \
	sh -c "[ $rc -eq 2 ] && grep -q \"'pdf'.*html, md, csv or json\" $ERR"
run --report=csv --csv-table=nope -H h.db
check "an unknown CSV table is a usage error listing the tables" \
	sh -c "[ $rc -eq 2 ] && grep -q \"'nope'.*statements, findings, patterns, parameters, settings_changes, hours\" $ERR"
run --report=json --csv-table=findings -H h.db
check "--csv-table without --report=csv is a usage error" \
	sh -c "[ $rc -eq 2 ] && grep -q 'csv-table' $ERR"

echo "keep me" >target
ln -s target link.html
run --report=html -H h.db $WIN -o link.html
check "-o SYMLINK: exit 1, a clear message, the target untouched, the link kept" \
	sh -c "[ $rc -eq 1 ] && grep -q 'symbolic link' $ERR && [ \"\$(cat target)\" = 'keep me' ] &&
		[ -L link.html ] && [ \$(ls -A | grep -c '^\.link') -eq 0 ]"
echo "the old report" >old.md
mkdir ro
cp old.md ro/old.md
chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then
	run --report=md -H h.db $WIN -o ro/old.md --force
	check "a directory that cannot be written: exit 1, the old file left as it was" \
		sh -c "[ $rc -eq 1 ] && grep -q 'cannot write the report to ro/old.md' $ERR &&
			cmp -s old.md ro/old.md"
else
	ok "a directory that cannot be written # SKIP root writes anywhere"
fi
chmod 755 ro
# a write that fails midway (a full device) leaves no half report and no temporary file
if [ -w /dev/full ]; then
	run --report=html -H h.db $WIN -o /dev/full
	check "a failed write (/dev/full) exits 1 and says so" \
		sh -c "[ $rc -eq 1 ] && grep -q 'cannot write the report to /dev/full' $ERR"
else
	ok "a failed write exits 1 # SKIP no /dev/full"
fi
# catalogue D5: an existing file is kept unless --force; a link or a directory never taken
run --report=md -H h.db $WIN -o old.md
check "-o EXISTING without --force: exit 1, one line naming the file and --force" \
	sh -c "[ $rc -eq 1 ] && [ \$(wc -l <$ERR) -eq 1 ] &&
		grep -q '^pgmltop: old.md exists: give --force to replace it' $ERR && [ ! -s $OUT ]"
check "... the file left as it was, no temporary file beside it" \
	sh -c "[ \"\$(cat old.md)\" = 'the old report' ] && [ \$(ls -A | grep -c '^\.old') -eq 0 ]"
run --report=md -H h.db $WIN -o old.md --force
check "--force: an existing report is replaced whole" \
	sh -c "[ $rc -eq 0 ] && [ ! -s $ERR ] && head -n 1 old.md | grep -q '^# pgmltop report'"
run --report=html -H h.db $WIN -o link.html --force
check "-o SYMLINK --force: still refused, the target untouched" \
	sh -c "[ $rc -eq 1 ] && grep -q 'symbolic link' $ERR && [ \"\$(cat target)\" = 'keep me' ]"
mkdir adir
run --report=json -H h.db $WIN -o adir --force
check "-o DIRECTORY --force: exit 1, a message naming it, nothing written in it" \
	sh -c "[ $rc -eq 1 ] && grep -q 'cannot write the report to adir: ' $ERR &&
		[ -z \"\$(ls -A adir)\" ]"
run --report=json -H h.db $WIN --force
check "--force without -o: a usage error" sh -c "[ $rc -eq 2 ] && grep -q -- '--force' $ERR"

# ---- the page in a browser ----

CHROMIUM=
for c in chromium chromium-browser; do
	command -v "$c" >/dev/null 2>&1 && CHROMIUM=$c && break
done
if [ -n "$CHROMIUM" ]; then
	# chrome_run OUTPUT-FILE ARGS...: headless, offline, a profile of its own
	chrome_run() {
		cr_out=$1
		shift
		cr_profile=$(mktemp -d "$TAP_TMP/chromium.XXXXXX")
		timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --user-data-dir="$cr_profile" "$@" \
			"file://$TAP_TMP/report.html" >"$cr_out" 2>"$cr_out.err"
	}
	chrome_run shot.out --screenshot="$TAP_TMP/report.png" --window-size=1280,2000 \
		--enable-logging=stderr --v=0
	size=$(stat -c %s report.png 2>/dev/null || echo 0)
	if [ "$size" -gt 50000 ] && [ "$(head -c 8 report.png | od -An -c | tr -d ' ')" = \
		'211PNG\r\n032\n' ]; then
		ok "Chromium renders the page to a PNG of $size bytes"
	else
		not_ok "Chromium renders the page to a PNG ($size bytes)"
		tail -n 5 shot.out.err | diag
	fi
	if grep -q -i -e 'Uncaught' -e 'CONSOLE' -e 'Refused to' shot.out.err; then
		not_ok "no console error, no policy refusal while rendering"
		grep -i -e 'Uncaught' -e 'CONSOLE' -e 'Refused to' shot.out.err | head -n 5 | diag
	else
		ok "no console error, no policy refusal while rendering"
	fi
	chrome_run dom.html --dump-dom
	check "the DOM Chromium built holds the SVG charts and the sections" \
		sh -c "[ \$(grep -c '<svg' dom.html) -ge 4 ] && grep -q 'id=\"forecasts\"' dom.html &&
			grep -q '&lt;script&gt;alert(1)' dom.html && ! grep -q '<script' dom.html"
else
	ok "Chromium renders the page # SKIP chromium is not installed"
	ok "no console error while rendering # SKIP chromium is not installed"
	ok "the DOM holds the SVG charts # SKIP chromium is not installed"
fi

# ---- the export menu of the screen, offline on the same history, in tmux ----
. "$TESTS_SRCDIR/lib-tmux.sh"
if [ -n "$TMUX_BIN" ]; then
	tmux_use pgmltop-export
	mkdir -p "$TAP_TMP/ex"
	# shellcheck disable=SC2086 # WIN is two options
	tm new-session -d -s p -c "$TAP_TMP/ex" -x 160 -y 40 env TERM=screen TZ=UTC \
		HOME="$HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" LC_ALL=C.UTF-8 \
		"$PGMLTOP_BIN" --offline -H "$TAP_TMP/h.db" $WIN
	pane_wait 10 QUERYID >/dev/null || true
	selected=$(tm capture-pane -p -t p | sed -n '5p' | awk '{ print $1 }')
	tm send-keys -t p E
	check "E opens the export menu" pane_wait 5 "^Export a report"
	defaults_shown() {
		pane_has "format   html" && pane_has "the last 30 days" && pane_has "the whole server"
	}
	check "html by default, the --days window, the whole server" defaults_shown
	tm send-keys -t p f f f s
	json_one() { pane_has "format   json" && pane_has "scope    the selected statement"; }
	check "f: on to json; s: the selected statement" pane_wait 5 "format   json"
	check "... and the scope shown" json_one
	tm send-keys -t p Enter
	check "Enter writes it and shows where" pane_wait 30 "Written: $TAP_TMP/ex/pgmltop-report-[0-9-]*\\.json"
	f=$(ls "$TAP_TMP"/ex/pgmltop-report-*.json 2>/dev/null | head -n 1)
	is "the file holds the selected statement only, and its findings" \
		"$(jq -r --arg q "$selected" '[(.statements | length), ([.statements[].queryid] | unique | join(",")), ([.findings[] | .queryid == $q] | all)] | map(tostring) | join(" ")' "$f" 2>/dev/null)" \
		"1 $selected true"
	# a name of one's own: the default cleared, then typed
	# shellcheck disable=SC2046
	tm send-keys -t p e $(printf 'BSpace %.0s' $(seq 1 60))
	tm send-keys -t p -l "mine.json"
	tm send-keys -t p Enter Enter
	check "the file named is written" pane_wait 30 "Written: $TAP_TMP/ex/mine.json"
	tm send-keys -t p Enter
	check "an existing file: asked before it is replaced" pane_wait 5 "mine.json exists: replace it?"
	tm send-keys -t p n
	check "n: not written" pane_wait 5 "Not written"
	tm send-keys -t p Escape
	check "Esc goes back to the list" pane_wait 5 QUERYID
	tm send-keys -t p q
	tm kill-server >/dev/null 2>&1
else
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ok "# SKIP tmux not found: the export menu is not tested"
	done
fi

# ---- E4: a password in the conninfo is in no report, no output, no message ----

SECRET=E4-pw-9f3Kq7
if [ ! -x "$PG_BIN/initdb" ] && [ -n "${PG_HARNESS_OPTIONAL:-}" ]; then
	ok "E4: --batch with a password in a URI and in a conninfo # SKIP no PostgreSQL"
	ok "E4: the password is in no report, output or message # SKIP no PostgreSQL"
else
	pg_start
	# the role's password set where pg_stat_statements does not keep the statement's text
	pg_psql -c "SET pg_stat_statements.track_utility = off" \
		-c "CREATE ROLE e4 LOGIN PASSWORD '$SECRET'" -c "GRANT pg_read_all_stats TO e4" \
		>/dev/null
	pg_hba "local all e4 scram-sha-256" "local all all trust"
	PGPASSFILE=$TAP_TMP/no-such-pgpass
	export PGPASSFILE
	needs_password() {
		! psql -X -w -h "$PGHOST" -p "$PGPORT" -U e4 -d postgres -c "SELECT 1" \
			>/dev/null 2>&1
	}
	check "E4: the role e4 must give its password (scram-sha-256)" wait_until 10 needs_password
	URI="postgresql://e4:$SECRET@/postgres?host=$PGHOST&port=$PGPORT"
	KW="host=$PGHOST port=$PGPORT dbname=postgres user=e4 password=$SECRET"
	# batch NAME ARGS...: --batch with -w (never a prompt), its outputs kept as NAME.out, .err
	batch() {
		b_name=$1
		shift
		run --batch -s 0.5 -n 3 -w --top=5 "$@"
		cp "$OUT" "$b_name.out"
		cp "$ERR" "$b_name.err"
	}
	batch e4-uri -H e4.db -d "$URI"
	check "E4: --batch -d URI with the password: exit 0, tables printed" \
		sh -c "[ $rc -eq 0 ] && grep -q '^Sessions:' e4-uri.out"
	[ "$rc" -eq 0 ] || show
	batch e4-kw -H e4.db -d "$KW"
	check "E4: --batch -d 'password=...' conninfo: exit 0, tables printed" \
		sh -c "[ $rc -eq 0 ] && grep -q '^Sessions:' e4-kw.out"
	[ "$rc" -eq 0 ] || show
	batch e4-bad -H e4.db -d "postgresql://e4:$SECRET@/no_such_db?host=$PGHOST&port=$PGPORT"
	check "E4: the URI to a database that does not exist: exit 1, a message naming it" \
		sh -c "[ $rc -eq 1 ] && grep -q 'no_such_db' e4-bad.err"
	# libpq quotes a URI it cannot parse (here an IPv6 address without its ])
	batch e4-malformed -H e4.db -d "postgresql://e4:$SECRET@[::1/postgres"
	check "E4: a malformed URI with the password: exit 1, the message quotes the URI" \
		sh -c "[ $rc -eq 1 ] && grep -q 'in URI: \"postgresql://e4:' e4-malformed.err"
	for f in html md csv json; do
		run --report=$f -H e4.db -o e4.$f
		[ "$rc" -eq 0 ] || show
		cp "$ERR" "e4-report-$f.err"
	done
	check "E4: the four reports of that history are written, with statements in them" \
		sh -c "[ -s e4.html ] && [ -s e4.md ] && [ -s e4.csv ] &&
			jq -e '.statements | length > 0' e4.json >/dev/null"
	leaks=$(grep -l -a -F -e "$SECRET" e4.html e4.md e4.csv e4.json e4-*.out e4-*.err \
		e4.db* 2>/dev/null | tr '\n' ' ')
	is "E4: the password is in no report, no output, no message and not in the history" \
		"${leaks:-none}" none
	pg_hba "local all all trust"
	unset PGPASSFILE
fi

done_testing
