#!/usr/bin/env bash
# A private Mosquitto MQTT broker on 127.0.0.1 (own config, data and port), from Debian's
# `mosquitto` package, for the MQTT bridge in local development and tests.
#   scripts/mosquitto.sh start|stop|status|url
# It never touches a Mosquitto the machine already runs (e.g. the Debian service), and
# stops only the process it started. Idempotent.
source "$(dirname "$0")/lib.sh"

PORT="${SENFLOW_MQTT_PORT:-1883}"
MOSQUITTO=/usr/sbin/mosquitto
DIR="$STATE_DIR/mosquitto"
CONF="$DIR/mosquitto.conf"

write_config() {
  mkdir -p "$DIR/data"
  cat >"$CONF" <<CONF
# Written by scripts/mosquitto.sh on every start; edits here are lost.
listener $PORT 127.0.0.1
# Local development only: any client may connect, without a password, and publish or
# subscribe anywhere (a device could read another's downlinks). A real broker
# authenticates devices (password_file) and lets each publish only to its own uplink topic
# and read only its own downlink topic (see infra/mosquitto: use_username_as_clientid, and
# an acl_file with pattern write senflow/devices/%u/up and pattern read
# senflow/devices/%u/down; the bridge's user reads senflow/devices/+/up and writes
# senflow/devices/+/down).
allow_anonymous true
# Sessions (the bridge's subscription and the messages queued for it) survive a restart.
# Mosquitto writes them on shutdown and every autosave_interval seconds.
persistence true
persistence_location $DIR/data/
autosave_interval 10
# Messages queued for a disconnected client (the bridge, while it restarts); the default
# 1000 would drop the rest.
max_queued_messages 100000
# Run as the user who started it (like the Kafka broker), so it can write its data folder.
user $(id -un)
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
log_timestamp_format %Y-%m-%dT%H:%M:%S
CONF
}

start() {
  [[ -x "$MOSQUITTO" ]] || { log "Mosquitto is not installed (scripts/system-deps.sh installs it)"; exit 1; }
  if pid_alive mosquitto; then log "Mosquitto already running on 127.0.0.1:$PORT"; return 0; fi
  if port_open 127.0.0.1 "$PORT"; then
    log "port $PORT is taken by a process this script did not start; set SENFLOW_MQTT_PORT"; exit 1
  fi
  write_config
  nohup "$MOSQUITTO" -c "$CONF" >>"$STATE_DIR/logs/mosquitto.log" 2>&1 &
  record_pid mosquitto $!
  if ! wait_port 127.0.0.1 "$PORT" 15; then
    log "Mosquitto did not open 127.0.0.1:$PORT; see $STATE_DIR/logs/mosquitto.log"
    tail -20 "$STATE_DIR/logs/mosquitto.log" >&2; stop_pid mosquitto; exit 1
  fi
  log "Mosquitto ready on 127.0.0.1:$PORT"
}

case "${1:-start}" in
  start) start ;;
  stop) stop_pid mosquitto; log "Mosquitto stopped" ;;
  status) pid_alive mosquitto && echo running || { echo stopped; exit 1; } ;;
  url) echo "mqtt://127.0.0.1:$PORT" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
