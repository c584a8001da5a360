#!/usr/bin/env bash
# A private Prometheus on 127.0.0.1 (Debian's `prometheus` package) scraping the services of
# `make up` and evaluating Senflow's alert rules (infra/prometheus/alerts.yml).
#   scripts/prometheus.sh start|stop|status|config|url
# `config` only writes the configuration and prints its path. Stops only what it started.
source "$(dirname "$0")/lib.sh"

PORT="${SENFLOW_PROMETHEUS_PORT:-9090}"
PROMETHEUS=/usr/bin/prometheus
DIR="$STATE_DIR/prometheus"
CONF="$DIR/prometheus.yml"

write_config() {
  mkdir -p "$DIR/data"
  cp "$ROOT/infra/prometheus/alerts.yml" "$DIR/alerts.yml"
  cat >"$CONF" <<CONF
# Written by scripts/prometheus.sh on every start; edits here are lost. The compose
# deployment uses infra/prometheus/prometheus.yml (same jobs, found by DNS there).
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: senflow-registry
    static_configs: [{targets: ["127.0.0.1:${REGISTRY_HTTP_PORT:-8080}"]}]
  - job_name: senflow-router
    static_configs: [{targets: ["127.0.0.1:${ROUTER_HTTP_PORT:-8081}"]}]
  - job_name: senflow-dispatcher
    static_configs: [{targets: ["127.0.0.1:${DISPATCHER_HTTP_PORT:-8082}"]}]
  - job_name: senflow-ingest
    static_configs: [{targets: ["127.0.0.1:${INGEST_OPS_PORT:-8091}"]}]
  - job_name: senflow-mqtt-bridge
    static_configs: [{targets: ["127.0.0.1:${MQTT_BRIDGE_HTTP_PORT:-8083}"]}]
  - job_name: senflow-lag-exporter
    static_configs: [{targets: ["127.0.0.1:${LAG_EXPORTER_PORT:-9308}"]}]
CONF
}

start() {
  [[ -x "$PROMETHEUS" ]] || { log "Prometheus is not installed (scripts/system-deps.sh installs it)"; exit 1; }
  if pid_alive prometheus; then log "Prometheus already running on 127.0.0.1:$PORT"; return 0; fi
  if port_open 127.0.0.1 "$PORT"; then
    log "port $PORT is taken by a process this script did not start; set SENFLOW_PROMETHEUS_PORT"; exit 1
  fi
  write_config
  nohup "$PROMETHEUS" --config.file="$CONF" --storage.tsdb.path="$DIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PORT" \
    >>"$STATE_DIR/logs/prometheus.log" 2>&1 &
  record_pid prometheus $!
  if ! wait_port 127.0.0.1 "$PORT" 30; then
    log "Prometheus did not open 127.0.0.1:$PORT; see $STATE_DIR/logs/prometheus.log"
    tail -20 "$STATE_DIR/logs/prometheus.log" >&2; stop_pid prometheus; exit 1
  fi
  log "Prometheus ready on http://127.0.0.1:$PORT"
}

case "${1:-start}" in
  start) start ;;
  stop) stop_pid prometheus; log "Prometheus stopped" ;;
  status) pid_alive prometheus && echo running || { echo stopped; exit 1; } ;;
  config) write_config; echo "$CONF" ;;
  url) echo "http://127.0.0.1:$PORT" ;;
  *) echo "usage: $0 start|stop|status|config|url" >&2; exit 2 ;;
esac
