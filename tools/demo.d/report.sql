-- a reporting query that scans a table: slow, rare
SELECT bid, count(*), sum(abalance) FROM pgbench_accounts GROUP BY bid ORDER BY 3 DESC;
