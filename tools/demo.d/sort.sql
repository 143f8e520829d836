-- a sort bigger than work_mem: writes temporary files
SET work_mem = '64kB';
SELECT aid FROM pgbench_accounts ORDER BY filler DESC, abalance OFFSET 499990;
