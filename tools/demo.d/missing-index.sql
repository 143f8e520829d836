-- a lookup on a column with no index: pgbench_history grows and is scanned every time
\set aid random(1, 100000 * :scale)
SELECT tid, delta, mtime FROM pgbench_history WHERE aid = :aid;
