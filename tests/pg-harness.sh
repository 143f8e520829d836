# A throwaway PostgreSQL for a test: source it after lib-tap.sh, then call pg_start.
#
#   pg_start [postgresql.conf lines...]   initdb, start, CREATE EXTENSION pg_stat_statements
#   pg_stop / pg_restart / pg_crash       stop (fast) / restart / stop -m immediate
#   pg_psql [psql args...]                psql as the superuser on the test database
#
# The server listens only on a Unix socket in its own temporary directory; PGHOST, PGPORT,
# PGUSER and PGDATABASE point at it. initdb refuses to run as root, so as root the server
# runs as the unprivileged user PG_OS_USER (default: nobody). The server is stopped when
# the test exits, whether it passes or fails. Set PG_HARNESS_OPTIONAL=1 to skip the test
# (instead of failing) when PostgreSQL is not installed; CI never sets it.

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || d=$(pg_config --bindir 2>/dev/null)
	echo "$d"
}

PG_BIN=$(pg_bindir)
PG_OS_USER=${PG_OS_USER:-nobody}

pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_OS_USER" -- "$@"
	else
		"$@"
	fi
}

pg_ctl_() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_DIR/server.log" "$@"
}

pg_cleanup() {
	if [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ]; then
		pg_ctl_ -m immediate stop >/dev/null 2>&1
	fi
	if [ -n "${PG_DIR:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$PG_DIR"
	fi
	if [ -n "${TAP_TMP:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$TAP_TMP"
	fi
}
trap pg_cleanup EXIT
trap 'exit 130' INT TERM

pg_start() {
	if [ ! -x "$PG_BIN/initdb" ]; then
		if [ -n "${PG_HARNESS_OPTIONAL:-}" ]; then
			skip_all "PostgreSQL server binaries not found"
		fi
		bail_out "PostgreSQL server binaries not found (Debian: apt-get install postgresql postgresql-contrib)"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgmltop-pg.XXXXXX") || bail_out "mktemp failed"
	chmod 755 "$PG_DIR"
	PGDATA=$PG_DIR/data
	mkdir "$PGDATA"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_OS_USER" "$PG_DIR" "$PGDATA"
	fi
	pg_as_owner "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres --no-sync \
		>"$PG_DIR/initdb.log" 2>&1 || {
		diag <"$PG_DIR/initdb.log"
		bail_out "initdb failed"
	}
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$PG_DIR'"
		echo "port = 5432"
		echo "fsync = off"
		echo "shared_preload_libraries = 'pg_stat_statements'"
		echo "track_io_timing = on"
		echo "pg_stat_statements.track = all"
		for line in "$@"; do
			echo "$line"
		done
	} | pg_as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null
	pg_ctl_ -w -t 60 start >/dev/null 2>&1 || {
		diag <"$PG_DIR/server.log"
		bail_out "the test server did not start"
	}
	PGHOST=$PG_DIR
	PGPORT=5432
	PGUSER=postgres
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE PGDATA
	unset PGPASSWORD PGSERVICE PGSERVICEFILE PGPASSFILE PGAPPNAME PGOPTIONS
	pg_psql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null ||
		bail_out "cannot create pg_stat_statements"
}

pg_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d "$PGDATABASE" "$@"
}

# One value from a query.
pg_value() {
	pg_psql -At -c "$1"
}

pg_stop() {
	pg_ctl_ -m fast -w stop >/dev/null 2>&1
}

pg_crash() {
	pg_ctl_ -m immediate -w stop >/dev/null 2>&1
}

pg_restart_server() {
	pg_ctl_ -w -t 60 start >/dev/null 2>&1 || {
		diag <"$PG_DIR/server.log"
		return 1
	}
}

# Add lines to postgresql.conf (takes effect at the next start).
pg_conf() {
	for line in "$@"; do
		echo "$line"
	done | pg_as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null
}

# Write pg_hba.conf from the given lines (the server must be reloaded or restarted).
pg_hba() {
	for line in "$@"; do
		echo "$line"
	done | pg_as_owner tee "$PGDATA/pg_hba.conf" >/dev/null
	pg_ctl_ reload >/dev/null 2>&1
}

# pgbench on the test database: pg_pgbench_init SCALE, pg_pgbench ARGS...
pg_pgbench_init() {
	pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -i -q -s "${1:-1}" "$PGDATABASE" \
		>/dev/null 2>&1 || bail_out "pgbench -i failed"
}

pg_pgbench() {
	pgbench -h "$PGHOST" -p "$PGPORT" -U postgres "$@" "$PGDATABASE"
}
