#include "config.h"

#include "store-schema.h"

/*
 * Each entry takes the schema from version i to i + 1. Never edit an entry that has
 * shipped: add the next one.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE servers ("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE,"
	" sysid TEXT, host TEXT, port TEXT, version TEXT, version_num INTEGER,"
	" first_seen REAL NOT NULL, last_seen REAL NOT NULL);"
	"CREATE TABLE leases ("
	" server_id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL,"
	" ts REAL NOT NULL, ttl REAL NOT NULL);"
	"CREATE TABLE samples ("
	" id INTEGER PRIMARY KEY,"
	" server_id INTEGER NOT NULL,"
	" ts REAL NOT NULL,"
	" interval_s REAL NOT NULL,"
	" flags INTEGER NOT NULL,"
	" have INTEGER NOT NULL,"
	" n_statements INTEGER, n_hidden INTEGER, dealloc INTEGER, entry_resets INTEGER,"
	" sess_active INTEGER, sess_idle INTEGER, sess_idle_in_xact INTEGER,"
	" sess_waiting INTEGER, sess_total INTEGER);"
	"CREATE INDEX samples_server_ts ON samples (server_id, ts);"
	"CREATE TABLE queries ("
	" server_id INTEGER NOT NULL, queryid INTEGER NOT NULL, query TEXT NOT NULL,"
	" first_seen REAL NOT NULL, PRIMARY KEY (server_id, queryid)) WITHOUT ROWID;"
	"CREATE TABLE stmt_deltas ("
	" sample_id INTEGER NOT NULL, dbid INTEGER NOT NULL, userid INTEGER NOT NULL,"
	" queryid INTEGER NOT NULL, toplevel INTEGER NOT NULL,"
	" calls INTEGER NOT NULL, total_ms REAL NOT NULL, rows INTEGER NOT NULL,"
	" plans INTEGER, plan_ms REAL, min_ms REAL, max_ms REAL, stddev_ms REAL,"
	" shared_blks_hit INTEGER, shared_blks_read INTEGER, shared_blks_dirtied INTEGER,"
	" shared_blks_written INTEGER, local_blks_hit INTEGER, local_blks_read INTEGER,"
	" temp_blks_read INTEGER, temp_blks_written INTEGER, blk_read_ms REAL,"
	" blk_write_ms REAL, wal_records INTEGER, wal_fpi INTEGER, wal_bytes REAL,"
	" PRIMARY KEY (sample_id, dbid, userid, queryid, toplevel)) WITHOUT ROWID;"
	"CREATE TABLE activity ("
	" sample_id INTEGER NOT NULL, pid INTEGER NOT NULL, datname TEXT, usename TEXT,"
	" application_name TEXT, client_addr TEXT, backend_type TEXT, state TEXT,"
	" wait_event_type TEXT, wait_event TEXT, backend_start REAL, xact_start REAL,"
	" query_start REAL, state_change REAL, query_id INTEGER, query TEXT);"
	"CREATE INDEX activity_sample ON activity (sample_id);"
	"CREATE TABLE database_deltas ("
	" sample_id INTEGER NOT NULL, datid INTEGER NOT NULL, datname TEXT,"
	" numbackends INTEGER, xact_commit INTEGER, xact_rollback INTEGER, blks_read INTEGER,"
	" blks_hit INTEGER, tup_returned INTEGER, tup_fetched INTEGER, tup_inserted INTEGER,"
	" tup_updated INTEGER, tup_deleted INTEGER, temp_files INTEGER, temp_bytes INTEGER,"
	" deadlocks INTEGER, blk_read_ms REAL, blk_write_ms REAL,"
	" PRIMARY KEY (sample_id, datid)) WITHOUT ROWID;"
	"CREATE TABLE checkpoint_deltas ("
	" sample_id INTEGER PRIMARY KEY, timed INTEGER, requested INTEGER,"
	" buffers_written INTEGER, write_ms REAL, sync_ms REAL);"
	"CREATE TABLE settings ("
	" server_id INTEGER NOT NULL, name TEXT NOT NULL, ts REAL NOT NULL, setting TEXT,"
	" unit TEXT, source TEXT, pending_restart INTEGER,"
	" PRIMARY KEY (server_id, name, ts)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL, ts REAL NOT NULL,"
	" kind TEXT NOT NULL, detail TEXT);"
	"CREATE INDEX events_server_ts ON events (server_id, ts);"
	"CREATE TABLE stmt_hourly ("
	" server_id INTEGER NOT NULL, hour INTEGER NOT NULL, dbid INTEGER NOT NULL,"
	" userid INTEGER NOT NULL, queryid INTEGER NOT NULL, toplevel INTEGER NOT NULL,"
	" samples INTEGER NOT NULL, calls INTEGER NOT NULL, total_ms REAL NOT NULL,"
	" rows INTEGER NOT NULL, plans INTEGER, plan_ms REAL, max_ms REAL,"
	" shared_blks_hit INTEGER, shared_blks_read INTEGER, shared_blks_dirtied INTEGER,"
	" shared_blks_written INTEGER, local_blks_hit INTEGER, local_blks_read INTEGER,"
	" temp_blks_read INTEGER, temp_blks_written INTEGER, blk_read_ms REAL,"
	" blk_write_ms REAL, wal_records INTEGER, wal_fpi INTEGER, wal_bytes REAL,"
	" PRIMARY KEY (server_id, hour, dbid, userid, queryid, toplevel)) WITHOUT ROWID;"
	"CREATE TABLE database_hourly ("
	" server_id INTEGER NOT NULL, hour INTEGER NOT NULL, datid INTEGER NOT NULL,"
	" datname TEXT, samples INTEGER NOT NULL, xact_commit INTEGER, xact_rollback INTEGER,"
	" blks_read INTEGER, blks_hit INTEGER, tup_returned INTEGER, tup_fetched INTEGER,"
	" tup_inserted INTEGER, tup_updated INTEGER, tup_deleted INTEGER, temp_files INTEGER,"
	" temp_bytes INTEGER, deadlocks INTEGER, blk_read_ms REAL, blk_write_ms REAL,"
	" PRIMARY KEY (server_id, hour, datid)) WITHOUT ROWID;"
	"CREATE TABLE names ("
	" server_id INTEGER NOT NULL, kind TEXT NOT NULL, oid INTEGER NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY (server_id, kind, oid)) WITHOUT ROWID;"
	"CREATE TABLE rollup_state ("
	" server_id INTEGER PRIMARY KEY, hour INTEGER NOT NULL);",

	/*
	 * 1 -> 2: hourly statement rows keyed by a small statement number (stmt_keys) and
	 * with times in whole microseconds: about 51 bytes a statement-hour instead of 91.
	 * The view stmt_hourly keeps the columns of version 1 for readers.
	 */
	"CREATE TABLE stmt_keys ("
	" id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL, dbid INTEGER NOT NULL,"
	" userid INTEGER NOT NULL, queryid INTEGER NOT NULL, toplevel INTEGER NOT NULL,"
	" UNIQUE (server_id, queryid, dbid, userid, toplevel));"
	"INSERT INTO stmt_keys (server_id, dbid, userid, queryid, toplevel)"
	" SELECT DISTINCT server_id, dbid, userid, queryid, toplevel FROM stmt_hourly"
	" ORDER BY server_id, queryid, dbid, userid, toplevel;"
	"CREATE TABLE stmt_hours ("
	" server_id INTEGER NOT NULL, hour INTEGER NOT NULL, stmt INTEGER NOT NULL,"
	" samples INTEGER NOT NULL, calls INTEGER NOT NULL, total_us INTEGER NOT NULL,"
	" rows INTEGER NOT NULL, plans INTEGER, plan_us INTEGER, max_us INTEGER,"
	" shared_blks_hit INTEGER, shared_blks_read INTEGER, shared_blks_dirtied INTEGER,"
	" shared_blks_written INTEGER, local_blks_hit INTEGER, local_blks_read INTEGER,"
	" temp_blks_read INTEGER, temp_blks_written INTEGER, blk_read_us INTEGER,"
	" blk_write_us INTEGER, wal_records INTEGER, wal_fpi INTEGER, wal_bytes INTEGER,"
	" PRIMARY KEY (server_id, hour, stmt)) WITHOUT ROWID;"
	"INSERT INTO stmt_hours SELECT h.server_id, h.hour, k.id, h.samples, h.calls,"
	" CAST(round(h.total_ms * 1000) AS INTEGER), h.rows, h.plans,"
	" CAST(round(h.plan_ms * 1000) AS INTEGER), CAST(round(h.max_ms * 1000) AS INTEGER),"
	" h.shared_blks_hit, h.shared_blks_read, h.shared_blks_dirtied, h.shared_blks_written,"
	" h.local_blks_hit, h.local_blks_read, h.temp_blks_read, h.temp_blks_written,"
	" CAST(round(h.blk_read_ms * 1000) AS INTEGER), CAST(round(h.blk_write_ms * 1000) AS INTEGER),"
	" h.wal_records, h.wal_fpi, CAST(round(h.wal_bytes) AS INTEGER)"
	" FROM stmt_hourly h JOIN stmt_keys k ON k.server_id = h.server_id"
	" AND k.queryid = h.queryid AND k.dbid = h.dbid AND k.userid = h.userid"
	" AND k.toplevel = h.toplevel ORDER BY h.server_id, h.hour, k.id;"
	"DROP TABLE stmt_hourly;"
	"CREATE VIEW stmt_hourly AS SELECT h.server_id AS server_id, h.hour AS hour,"
	" k.dbid AS dbid, k.userid AS userid, k.queryid AS queryid, k.toplevel AS toplevel,"
	" h.samples AS samples, h.calls AS calls, h.total_us / 1000.0 AS total_ms,"
	" h.rows AS rows, h.plans AS plans, h.plan_us / 1000.0 AS plan_ms,"
	" h.max_us / 1000.0 AS max_ms, h.shared_blks_hit AS shared_blks_hit,"
	" h.shared_blks_read AS shared_blks_read, h.shared_blks_dirtied AS shared_blks_dirtied,"
	" h.shared_blks_written AS shared_blks_written, h.local_blks_hit AS local_blks_hit,"
	" h.local_blks_read AS local_blks_read, h.temp_blks_read AS temp_blks_read,"
	" h.temp_blks_written AS temp_blks_written, h.blk_read_us / 1000.0 AS blk_read_ms,"
	" h.blk_write_us / 1000.0 AS blk_write_ms, h.wal_records AS wal_records,"
	" h.wal_fpi AS wal_fpi, h.wal_bytes AS wal_bytes"
	" FROM stmt_hours h JOIN stmt_keys k ON k.id = h.stmt;",

	/*
	 * 2 -> 3: whole days of hourly statement rows summed once more, so that a window of
	 * weeks reads a row per statement and day; rollup_state.day marks the last one.
	 */
	"CREATE TABLE stmt_days ("
	" server_id INTEGER NOT NULL, day INTEGER NOT NULL, stmt INTEGER NOT NULL,"
	" hours INTEGER NOT NULL, samples INTEGER NOT NULL, calls INTEGER NOT NULL,"
	" total_us INTEGER NOT NULL, rows INTEGER NOT NULL, plans INTEGER, plan_us INTEGER,"
	" max_us INTEGER, shared_blks_hit INTEGER, shared_blks_read INTEGER,"
	" shared_blks_dirtied INTEGER, shared_blks_written INTEGER, local_blks_hit INTEGER,"
	" local_blks_read INTEGER, temp_blks_read INTEGER, temp_blks_written INTEGER,"
	" blk_read_us INTEGER, blk_write_us INTEGER, wal_records INTEGER, wal_fpi INTEGER,"
	" wal_bytes INTEGER, PRIMARY KEY (server_id, day, stmt)) WITHOUT ROWID;"
	"ALTER TABLE rollup_state ADD COLUMN day INTEGER;",

	/*
	 * 3 -> 4: each daily row keeps its hours' calls as text, "HOUR:CALLS,...", so that
	 * the analyses read a statement's hours of a day from one row. Days rolled up
	 * before have none and are read from the hourly rows.
	 */
	"ALTER TABLE stmt_days ADD COLUMN calls_by_hour TEXT;",

	/*
	 * 4 -> 5: and their execution time, "HOUR:MICROSECONDS,...", for the analyses of
	 * the mean time. Days rolled up before have none: their hours are read from the
	 * hourly rows.
	 */
	"ALTER TABLE stmt_days ADD COLUMN total_us_by_hour TEXT;",

	/*
	 * 5 -> 6: the catalog that the index advisor reads, as last sampled: user tables
	 * (size, rows, scans since the statistics were reset), the columns of their indexes
	 * in order (attname NULL for an expression), and how distinct their columns are.
	 */
	"CREATE TABLE rel_tables ("
	" server_id INTEGER NOT NULL, relid INTEGER NOT NULL, schemaname TEXT NOT NULL,"
	" relname TEXT NOT NULL, live_rows REAL, bytes REAL, seq_scan REAL, seq_tup_read REAL,"
	" idx_scan REAL, ts REAL NOT NULL, PRIMARY KEY (server_id, relid)) WITHOUT ROWID;"
	"CREATE TABLE rel_index_columns ("
	" server_id INTEGER NOT NULL, relid INTEGER NOT NULL, indexname TEXT NOT NULL,"
	" am TEXT, valid INTEGER, partial INTEGER, pos INTEGER NOT NULL, attname TEXT,"
	" PRIMARY KEY (server_id, relid, indexname, pos)) WITHOUT ROWID;"
	"CREATE TABLE rel_column_stats ("
	" server_id INTEGER NOT NULL, relid INTEGER NOT NULL, attname TEXT NOT NULL,"
	" n_distinct REAL, PRIMARY KEY (server_id, relid, attname)) WITHOUT ROWID;",

	/*
	 * 6 -> 7: plans, with the time they were taken (so that a change of plan shows),
	 * how (EXPLAIN of a text with its values, GENERIC_PLAN, PREPARE) and whether
	 * ANALYZE ran; the index advisor's candidates as hypopg planned them; and, for the
	 * plan rules' stale statistics, the rows changed since a table's last ANALYZE and
	 * when that was.
	 */
	"CREATE TABLE plans ("
	" id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL, queryid INTEGER NOT NULL,"
	" ts REAL NOT NULL, method TEXT NOT NULL, analyzed INTEGER NOT NULL,"
	" total_cost REAL, plan TEXT NOT NULL);"
	"CREATE INDEX plans_by_query ON plans (server_id, queryid, ts);"
	"CREATE TABLE index_checks ("
	" server_id INTEGER NOT NULL, queryid INTEGER NOT NULL, ddl TEXT NOT NULL,"
	" ts REAL NOT NULL, cost_before REAL, cost_after REAL, used INTEGER, error TEXT,"
	" PRIMARY KEY (server_id, queryid, ddl)) WITHOUT ROWID;"
	"ALTER TABLE rel_tables ADD COLUMN mod_since_analyze REAL;"
	"ALTER TABLE rel_tables ADD COLUMN last_analyze REAL;",

	/*
	 * 7 -> 8: what the user did with each recommendation (acknowledged, applied,
	 * dismissed, with a reason), when, and what it was then (its rule, the rules of its
	 * fixes, its statement and title), so that its outcome can be measured after an
	 * applied change, and each rule's record kept.
	 */
	"CREATE TABLE recommendation_states ("
	" server_id INTEGER NOT NULL, rec_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
	" changed_at REAL NOT NULL, applied_at REAL, rule TEXT NOT NULL, rules TEXT,"
	" category TEXT, queryid INTEGER, title TEXT,"
	" PRIMARY KEY (server_id, rec_id)) WITHOUT ROWID;",

	/*
	 * 8 -> 9: for the parameter advisor. The settings of databases and roles
	 * (pg_db_role_setting) as they change: each row a new value (setting NULL: reset),
	 * the value before, and whether it was there when first read (datname and rolname
	 * '' for every database or role); servers.role_settings_at says when they were first
	 * read. pg_stat_wal per interval, and per hour with the checkpoints. The tables'
	 * dead rows, vacuums and storage options, for the autovacuum rule.
	 */
	"CREATE TABLE role_settings ("
	" server_id INTEGER NOT NULL, datname TEXT NOT NULL, rolname TEXT NOT NULL,"
	" name TEXT NOT NULL, ts REAL NOT NULL, setting TEXT, old TEXT,"
	" first INTEGER NOT NULL,"
	" PRIMARY KEY (server_id, datname, rolname, name, ts)) WITHOUT ROWID;"
	"ALTER TABLE servers ADD COLUMN role_settings_at REAL;"
	"CREATE TABLE wal_deltas ("
	" sample_id INTEGER PRIMARY KEY, wal_records INTEGER, wal_fpi INTEGER, wal_bytes REAL);"
	"CREATE TABLE server_hourly ("
	" server_id INTEGER NOT NULL, hour INTEGER NOT NULL, samples INTEGER NOT NULL,"
	" ckpt_timed INTEGER, ckpt_requested INTEGER, wal_samples INTEGER,"
	" wal_seconds REAL, wal_records INTEGER, wal_fpi INTEGER, wal_bytes REAL,"
	" PRIMARY KEY (server_id, hour)) WITHOUT ROWID;"
	"ALTER TABLE rel_tables ADD COLUMN n_live_tup REAL;"
	"ALTER TABLE rel_tables ADD COLUMN n_dead_tup REAL;"
	"ALTER TABLE rel_tables ADD COLUMN last_vacuum REAL;"
	"ALTER TABLE rel_tables ADD COLUMN last_autovacuum REAL;"
	"ALTER TABLE rel_tables ADD COLUMN vacuum_count REAL;"
	"ALTER TABLE rel_tables ADD COLUMN autovacuum_count REAL;"
	"ALTER TABLE rel_tables ADD COLUMN reloptions TEXT;",
};

int
store_schema_count(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *
store_schema_step(int from_version)
{
	if (from_version < 0 || from_version >= store_schema_count())
		return 0;
	return migrations[from_version];
}
