#!/usr/bin/env bash
# A private PostgreSQL cluster (own data folder, own port) from Debian's packages.
#   scripts/postgres.sh start|stop|status|url
# It never touches a PostgreSQL the machine already runs. Idempotent.
source "$(dirname "$0")/lib.sh"

PORT="${SENFLOW_PG_PORT:-55432}"
DATA="$STATE_DIR/postgres/data"
DB="senflow"
SOCK_DIR="$STATE_DIR/postgres"
RUN_AS=()

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }; done
  return 1
}

install_if_missing() {
  find_bindir >/dev/null && return 0
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
}

setup() {
  BIN="$(find_bindir)" || { log "PostgreSQL is not installed"; exit 1; }
  # initdb refuses to run as root: run the cluster as the unprivileged `postgres` user.
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home "$STATE_DIR/postgres" postgres
    RUN_AS=(runuser -u postgres --)
    mkdir -p "$STATE_DIR/postgres"
    chown -R postgres "$STATE_DIR/postgres"
    # A clone under a private (0700) parent folder is out of the postgres user's reach:
    # keep the cluster in a per-clone folder under /tmp instead, linked from the state folder.
    if ! runuser -u postgres -- test -w "$STATE_DIR/postgres"; then
      local alt="/tmp/senflow-pg-$(echo "$STATE_DIR" | md5sum | cut -c1-12)"
      # Never follow a link or adopt a folder someone else made there.
      if [[ -L "$alt" ]] || { [[ -e "$alt" ]] && [[ "$(stat -c %U "$alt")" != postgres ]]; }; then
        log "$alt exists and is not ours; remove it"; exit 1
      fi
      mkdir -p "$alt" && chown postgres "$alt" && chmod 700 "$alt"
      DATA="$alt/data"; SOCK_DIR="$alt"
      ln -sfn "$alt" "$STATE_DIR/postgres/cluster"
    fi
  fi
}

url() { echo "postgresql://senflow:senflow@127.0.0.1:$PORT/$DB"; }

start() {
  install_if_missing
  setup
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    "${RUN_AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 >/dev/null
  fi
  if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$(dirname "$DATA")/server.log" -w -t 60 \
      -o "-p $PORT -k $SOCK_DIR -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
  fi
  record_pid postgres "$(head -1 "$DATA/postmaster.pid")"
  local psql=("${RUN_AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname='senflow'")" ]]; then
    "${psql[@]}" -c "create role senflow login password 'senflow' createdb"
  fi
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_database where datname='$DB'")" ]]; then
    "${psql[@]}" -c "create database $DB owner senflow"
  fi
  log "PostgreSQL ready: $(url)"
}

stop() {
  find_bindir >/dev/null || return 0  # never installed: nothing of ours runs
  setup
  if [[ -f "$DATA/PG_VERSION" ]]; then
    "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -f "$STATE_DIR/pids/postgres.pid"
  log "PostgreSQL stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) pid_alive postgres && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
