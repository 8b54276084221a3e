#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs COMMAND against a throwaway PostgreSQL 15 server:
#   pg-server.sh COMMAND [ARGS...]
# initdb's a cluster in a temporary directory (Unix socket only, fsync off), starts it,
# runs COMMAND with DBPOOL_TEST_PG_URI set to it, stops it and removes the directory.
# The server cannot run as root: as root it runs as the `postgres` user (Debian's
# postgresql package creates it), else `nobody`. Where no server can be started the
# command is not run and the exit status is 77, meson's "skipped", with the reason on
# stderr (TAP's "1..0 # SKIP" on stdout, so a TAP test reads as skipped too).
set -u

BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PORT=5440

skip() {
  echo "1..0 # SKIP no PostgreSQL server for the tests: $*"
  echo "pg-server.sh: skipped: $*" >&2
  exit 77
}

[ $# -ge 1 ] || { echo "usage: pg-server.sh COMMAND [ARGS...]" >&2; exit 2; }
[ -x "$BIN/initdb" ] && [ -x "$BIN/pg_ctl" ] ||
  skip "$BIN/initdb not found (install Debian's postgresql-15, or set PG_BINDIR)"

D=$(mktemp -d "${TMPDIR:-/tmp}/dbpool-pg.XXXXXX") || skip "cannot make a temporary directory"
as_server() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown "$user" "$D"
  as_server() { runuser -u "$user" -- "$@"; }
fi
cleanup() {
  as_server "$BIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_server "$BIN/initdb" -D "$D/data" -A trust -U tester --no-sync -E UTF8 --locale=C \
  >"$D/initdb.log" 2>&1 || { cat "$D/initdb.log" >&2; skip "initdb failed (log above)"; }
cat >>"$D/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$D'
fsync = off
full_page_writes = off
max_connections = 60
CONF
as_server "$BIN/pg_ctl" -D "$D/data" -o "-p $PORT" -l "$D/server.log" -w -t 30 start \
  >/dev/null 2>&1 || { cat "$D/server.log" >&2; skip "the server did not start (log above)"; }

export DBPOOL_TEST_PG_URI="postgresql://tester@/postgres?host=$D&port=$PORT"
# Tests that stop and start the server themselves (a server gone) use these.
export DBPOOL_TEST_PG_DATA="$D/data"
export DBPOOL_TEST_PG_CTL="$BIN/pg_ctl"
export DBPOOL_TEST_PG_PORT="$PORT"
export DBPOOL_TEST_PG_USER="${user:-}"
"$@"
