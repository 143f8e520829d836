-- The spec of four weeks of simulated history behind the demo's statements: one
-- [statement] per statement the workload has run once, with its query id, so that the
-- live samples continue the simulated ones. psql variables: sysid, port, days.
SELECT format(E'# simulated history behind the demo (pgmltop --simulate)\n'
              'seed = 2026\ndays = %s\nserver = demo\nserver_key = %s:%s\n'
              'database = %s\nuser = %s\ndbid = %s\nuserid = %s\nfiller = 150\n'
              'filler_calls = 30\nfiller_ms = 1.5\n',
              :days, :'sysid', :'port', current_database(), current_user,
              (SELECT oid FROM pg_database WHERE datname = current_database()),
              (SELECT oid FROM pg_roles WHERE rolname = current_user));

WITH s AS (
  SELECT queryid, regexp_replace(query, '\s+', ' ', 'g') AS text,
         CASE
           WHEN query ~ 'SELECT tid FROM pgbench_tellers WHERE bid' THEN 'tellers_of_branch'
           WHEN query ~ 'SELECT tbalance FROM pgbench_tellers WHERE tid' THEN 'teller_balance'
           WHEN query ~ 'GROUP BY bid' THEN 'report_by_branch'
           WHEN query ~ 'ORDER BY filler' THEN 'sort_spilling'
           WHEN query ~ 'FROM pgbench_history WHERE aid' THEN 'history_of_account'
           WHEN query ~ 'aid::text' THEN 'balance_by_text'
           WHEN query ~ '^UPDATE pgbench_accounts' THEN 'update_account'
           WHEN query ~ '^SELECT abalance FROM pgbench_accounts WHERE aid = ' THEN 'account_balance'
           WHEN query ~ '^UPDATE pgbench_tellers' THEN 'update_teller'
           WHEN query ~ '^UPDATE pgbench_branches' THEN 'update_branch'
           WHEN query ~ '^INSERT INTO pgbench_history' THEN 'insert_history'
           WHEN query ~ '^SELECT bbalance FROM pgbench_branches' THEN 'branch_balance'
         END AS name
  FROM pg_stat_statements
  WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)
)
SELECT format(E'\n[statement %s]\nqueryid = %s\ntext = %s\n%s', name, queryid, text,
  CASE name
    -- the application: busy in office hours, quiet at night and at weekends
    WHEN 'tellers_of_branch' THEN E'calls = 2000\nmean_ms = 0.05\nrows = 10\nnoise = 0.1\n'
      'daily_peak = 9 2.5 0.9\ndaily_peak = 14 1.8 0.8\nweekly_peak = mon 10 1.6\n'
      'quiet = 0-6 0.2\nweekday = sat 0.4\nweekday = sun 0.3\n'
    WHEN 'teller_balance' THEN E'parent = tellers_of_branch\nfanout = 4\nmean_ms = 0.03\n'
    WHEN 'report_by_branch' THEN E'calls = 60\nmean_ms = 180\nspread = 0.15\nhit = 8000\n'
      'read = 200\ndaily_peak = 8 4 1\nregression = 15 10 2.2\n'
    WHEN 'sort_spilling' THEN E'calls = 60\nmean_ms = 260\ntemp = 1400\nhit = 8200\n'
    WHEN 'history_of_account' THEN E'calls = 400\nmean_ms = 6\ntrend = 0.03\nhit = 1500\n'
    WHEN 'balance_by_text' THEN E'calls = 300\nmean_ms = 45\nhit = 8200\nquiet = 0-6 0.3\n'
    WHEN 'insert_history' THEN E'calls = 20000\nmean_ms = 0.04\nquiet = 0-6 0.3\n'
    ELSE E'calls = 20000\nmean_ms = 0.08\nquiet = 0-6 0.3\nweekday = sat 0.5\nweekday = sun 0.5\n'
  END)
FROM s WHERE name IS NOT NULL ORDER BY name;

SELECT E'\n[setting work_mem]\nbefore = 16384\nafter = 4096\nunit = kB\nday = 20\nhour = 11\n'
       || string_agg('effect = ' || name || ' 1.6', E'\n')
FROM (SELECT 'sort_spilling' AS name) e;
