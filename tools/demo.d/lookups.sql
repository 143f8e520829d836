-- an application loop: one parent row, then one query per child (N+1)
\set bid random(1, :scale)
SELECT tid FROM pgbench_tellers WHERE bid = :bid;
\set tid random(1, 10 * :scale)
SELECT tbalance FROM pgbench_tellers WHERE tid = :tid;
\set tid random(1, 10 * :scale)
SELECT tbalance FROM pgbench_tellers WHERE tid = :tid;
\set tid random(1, 10 * :scale)
SELECT tbalance FROM pgbench_tellers WHERE tid = :tid;
\set tid random(1, 10 * :scale)
SELECT tbalance FROM pgbench_tellers WHERE tid = :tid;
