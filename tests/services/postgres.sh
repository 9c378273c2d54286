#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests, on 127.0.0.1 at a random free port, socket and data in DIR.
#   tests/services/postgres.sh start DIR   -> prints postgresql://USER@127.0.0.1:PORT/postgres (also in DIR/url)
#   tests/services/postgres.sh stop DIR    -> stops the server and removes DIR and the cluster
# The cluster (data, socket, server.log) lives in its own /tmp/phicrypto-pgdata.XXXXXX, named in
# DIR/datadir, so DIR may be anywhere, even inside a directory the postgres user cannot enter.
# Needs the postgresql-15 package (initdb, pg_ctl). As root, the server runs as the postgres user (runuser);
# otherwise as the current user. Authentication is "trust" on 127.0.0.1 only: for tests, never production.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bindir=${PG_BINDIR:-}
if [[ -z "$bindir" ]]; then
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && { bindir=$d; break; }; done
fi
[[ -x "$bindir/initdb" ]] || { echo "postgres.sh: initdb not found (install postgresql-15)" >&2; exit 3; }

if [[ $(id -u) -eq 0 ]]; then
  pguser=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  pguser=$(id -un)
  as_pg() { "$@"; }
fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -f "$dir/datadir" ]] || { echo "postgres.sh: $dir already has a cluster (stop it first)" >&2; exit 1; }
  local data
  data=$(mktemp -d /tmp/phicrypto-pgdata.XXXXXX)
  echo "$data" > "$dir/datadir"
  mkdir -p "$data/data" "$data/sock"
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$data"
  chmod 700 "$data/data"
  as_pg "$bindir/initdb" -D "$data/data" -U "$pguser" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_pg "$bindir/pg_ctl" -D "$data/data" -l "$data/server.log" -w -t 60 \
         -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data/sock -c fsync=off -c max_connections=50" \
         start >/dev/null 2>&1; then
      echo "$port" > "$dir/port"
      echo "postgresql://$pguser@127.0.0.1:$port/postgres" | tee "$dir/url"
      return 0
    fi
  done
  echo "postgres.sh: server did not start; see $data/server.log" >&2
  tail -20 "$data/server.log" >&2 || true
  exit 1
}

stop() {
  [[ -d "$dir" ]] || return 0
  local data=""
  [[ -f "$dir/datadir" ]] && data=$(cat "$dir/datadir")
  if [[ -n "$data" && "$data" == /tmp/phicrypto-pgdata.* ]]; then
    if [[ -f "$data/data/postmaster.pid" ]]; then
      as_pg "$bindir/pg_ctl" -D "$data/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$data"
  fi
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
