#!/usr/bin/env bash
# Runs the Senflow services locally (registry, router, dispatcher, HTTP ingest, MQTT bridge,
# consumer-lag exporter), with the same commands as docker-compose.yml.
#   scripts/services.sh start|stop|status
# `start` returns once every service answers /readyz. Only processes it started are stopped.
source "$(dirname "$0")/lib.sh"

ENV_FILE="$("$ROOT/scripts/env.sh")"
set -a; source "$ENV_FILE"; set +a
# Local receivers live on loopback: allow it here (never in a production deployment).
export DISPATCHER_EGRESS_ALLOW_CIDRS="${DISPATCHER_EGRESS_ALLOW_CIDRS:-127.0.0.1/32}"
export ROUTER_DATA_DIR="${ROUTER_DATA_DIR:-$STATE_DIR/router}"
BIN="$ROOT/.venv/bin"

# name | console script and arguments | readiness URL
SERVICES=(
  "registry|senflow-registry serve|http://127.0.0.1:${REGISTRY_HTTP_PORT:-8080}/readyz"
  "router|senflow-router|http://127.0.0.1:${ROUTER_HTTP_PORT:-8081}/readyz"
  "dispatcher|senflow-dispatcher|http://127.0.0.1:${DISPATCHER_HTTP_PORT:-8082}/readyz"
  "ingest|senflow-ingest|http://127.0.0.1:${INGEST_OPS_PORT:-8091}/readyz"
  "mqtt-bridge|senflow-mqtt-bridge|http://127.0.0.1:${MQTT_BRIDGE_HTTP_PORT:-8083}/readyz"
  "lag-exporter|senflow-lag-exporter|http://127.0.0.1:${LAG_EXPORTER_PORT:-9308}/readyz"
)

ready() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

start() {
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name cmd url <<<"$entry"
    read -r -a argv <<<"$cmd"
    if pid_alive "$name"; then log "$name already running"; else
      nohup "$BIN/${argv[0]}" "${argv[@]:1}" >>"$STATE_DIR/logs/$name.log" 2>&1 &
      record_pid "$name" $!
    fi
    # The router and dispatcher need the registry's topics: start in order, wait for each.
    local deadline=$((SECONDS + 120))
    until ready "$url"; do
      if ! pid_alive "$name"; then log "$name exited; see $STATE_DIR/logs/$name.log"; tail -20 "$STATE_DIR/logs/$name.log" >&2; exit 1; fi
      if (( SECONDS > deadline )); then log "$name not ready after 120s"; exit 1; fi
      sleep 0.5
    done
    log "$name ready ($url)"
  done
}

stop() {
  for (( i=${#SERVICES[@]}-1; i>=0; i-- )); do
    IFS='|' read -r name _ _ <<<"${SERVICES[$i]}"
    stop_pid "$name"
  done
  log "services stopped"
}

status() {
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name _ url <<<"$entry"
    if ready "$url"; then echo "$name: ready"; elif pid_alive "$name"; then echo "$name: starting"; else echo "$name: stopped"; fi
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
