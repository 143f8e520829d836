-- clean statements: by primary key
\set aid random(1, 100000 * :scale)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
\set bid random(1, :scale)
SELECT bbalance FROM pgbench_branches WHERE bid = :bid;
