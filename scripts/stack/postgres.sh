#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local PostgreSQL (Debian's 15) for the demo, the tests and the
# benchmarks: a private cluster in $XF_STACK_DIR/postgres (git-ignored),
# listening on 127.0.0.1 and on a unix socket in that folder, on a port of its
# own. `start` runs initdb on first use (as the unprivileged `postgres` user
# when run as root), starts the server, and creates the role and database
# `xdpflow` (password `xdpflow`, TCP connections need it). Idempotent; on
# failure it stops what it started. `stop` stops it (fast, then immediate);
# `status` exits 0 when it is up. Prints PGURI=postgresql://...
#
# The server also takes TLS (ssl=on, a certificate for localhost signed by
# the stack's test CA, scripts/stack/tls.sh), and the role `xdpflow_tls`
# (password `xdpflow-tls`, CREATEDB) may log in over TLS only (hostssl,
# scram-sha-256). `start` then also prints PG_TLS_URI (that role, host
# localhost, no query: clients add ?sslmode=verify-full&sslrootcert=$PG_CA)
# and PG_CA. The settings are applied at each start, so an older cluster
# gets them when it is restarted.
#
# Environment: XF_STACK_DIR (default build/stack), XF_PG_PORT (25432),
# XF_PG_TIMEOUT (60 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

STACK=${XF_STACK_DIR:-$ROOT/build/stack}
DIR=$STACK/postgres
mkdir -p "$STACK"
# When the server's user cannot reach the project (a parent folder without
# o+x, e.g. under /root) or the socket path would be too long for a unix
# socket, the cluster lives in a folder of its own under /tmp, linked from
# $STACK/postgres.
if [ ! -d "$DIR" ] || [ -L "$DIR" ]; then
	alt=/tmp/xdpflow-stack-$(printf '%s' "$STACK" | sha1sum | cut -c1-10)/postgres
	if { [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$STACK"; } ||
		[ ${#DIR} -gt 80 ] || [ -L "$DIR" ]; then
		mkdir -p "$alt"
		ln -sfn "$alt" "$DIR"
		DIR=$alt
	fi
fi
DATA=$DIR/data
SOCK=$DIR/run
LOG=$DIR/postgres.log
PORT=${XF_PG_PORT:-25432}
TIMEOUT=${XF_PG_TIMEOUT:-60}
PGURI="postgresql://xdpflow:xdpflow@127.0.0.1:$PORT/xdpflow"
TLS=$STACK/tls
PG_TLS_URI="postgresql://xdpflow_tls:xdpflow-tls@localhost:$PORT/xdpflow"

say() { echo "postgres: $*" >&2; }

BIN=""
for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
	[ -x "$d/pg_ctl" ] && { BIN=$d; break; }
done

# Runs a command as the cluster's owner: `postgres` when we are root
# (initdb and the server refuse to run as root), else ourselves.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_ctl() { as_owner "$BIN/pg_ctl" -D "$DATA" "$@"; }

psql_su() { # psql as the superuser over the private unix socket
	as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres "$@"
}

is_up() {
	[ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ] && pg_ctl status >/dev/null 2>&1
}

init_cluster() {
	[ -f "$DATA/PG_VERSION" ] && return 0
	say "initdb in $DATA"
	mkdir -p "$DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$DIR"
		runuser -u postgres -- test -x "$DIR" ||
			{ say "user postgres cannot reach $DIR"; return 1; }
	fi
	as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
		{ say "initdb failed: see $DIR/initdb.log"; return 1; }
	cat >>"$DATA/postgresql.conf" <<EOF

# Added by scripts/stack/postgres.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 15min
wal_level = minimal
max_wal_senders = 0
wal_compression = on
max_connections = 50
log_min_messages = warning
log_statement = none
EOF
}

# TLS: the server's certificate and key in the data folder (the key must be
# the server user's, mode 0600), tls.conf included from postgresql.conf, and
# the hostssl-only rules for xdpflow_tls first in pg_hba.conf. Idempotent.
tls_config() {
	scripts/stack/tls.sh make "$TLS" || return 1
	install -m 600 "$TLS/server.pem" "$DATA/server.crt"
	install -m 600 "$TLS/server.key" "$DATA/server.key"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$DATA/server.crt" "$DATA/server.key"
	printf '%s\n' "# Written by scripts/stack/postgres.sh" "ssl = on" \
		"ssl_cert_file = 'server.crt'" "ssl_key_file = 'server.key'" >"$DATA/tls.conf"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$DATA/tls.conf"
	grep -q "^include_if_exists = 'tls.conf'" "$DATA/postgresql.conf" ||
		echo "include_if_exists = 'tls.conf'" >>"$DATA/postgresql.conf"
	if ! grep -q '^hostssl all xdpflow_tls ' "$DATA/pg_hba.conf"; then
		{
			echo "# Added by scripts/stack/postgres.sh: xdpflow_tls over TLS only"
			echo "hostssl all xdpflow_tls 127.0.0.1/32 scram-sha-256"
			echo "host all xdpflow_tls 127.0.0.1/32 reject"
			cat "$DATA/pg_hba.conf"
		} >"$DATA/pg_hba.conf.new"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$DATA/pg_hba.conf.new"
		mv "$DATA/pg_hba.conf.new" "$DATA/pg_hba.conf"
	fi
}

print_settings() {
	echo "PGURI=$PGURI"
	[ "$(psql_su -d postgres -Atc 'SHOW ssl' 2>/dev/null)" = on ] || return 0
	echo "PG_TLS_URI=$PG_TLS_URI"
	echo "PG_CA=$TLS/ca.pem"
}

stop() {
	[ -n "$BIN" ] || return 0
	[ -f "$DATA/postmaster.pid" ] || return 0
	pg_ctl stop -m fast -w -t 30 >/dev/null 2>&1 ||
		pg_ctl stop -m immediate -w -t 10 >/dev/null 2>&1 || true
}

start() {
	[ -n "$BIN" ] || { say "PostgreSQL server not installed (run scripts/deps.sh)"; return 1; }
	if is_up; then
		print_settings
		return 0
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		say "port $PORT on 127.0.0.1 is taken by another process (set XF_PG_PORT)"
		return 1
	fi
	init_cluster
	tls_config
	mkdir -p "$SOCK"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$SOCK"
	if ! pg_ctl start -w -t "$TIMEOUT" -l "$LOG" -o "-p $PORT" >/dev/null 2>&1; then
		say "server did not start: see $LOG"
		stop
		return 1
	fi
	if ! psql_su -d postgres >/dev/null <<'EOF'
SELECT 'CREATE ROLE xdpflow LOGIN CREATEDB PASSWORD ''xdpflow'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xdpflow') \gexec
SELECT 'CREATE DATABASE xdpflow OWNER xdpflow'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'xdpflow') \gexec
SELECT 'CREATE ROLE xdpflow_tls LOGIN CREATEDB PASSWORD ''xdpflow-tls'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xdpflow_tls') \gexec
EOF
	then
		say "could not create role/database xdpflow; stopping"
		stop
		return 1
	fi
	say "up on 127.0.0.1:$PORT, TLS too (socket $SOCK)"
	print_settings
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
	if is_up; then
		echo "postgres: running on 127.0.0.1:$PORT (socket $SOCK)"
	else
		echo "postgres: not running"
		exit 1
	fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
