-- a cast on the column side: the primary key index cannot be used
\set aid random(1, 100000 * :scale)
SELECT abalance FROM pgbench_accounts WHERE aid::text = :aid::text;
