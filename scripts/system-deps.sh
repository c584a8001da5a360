#!/usr/bin/env bash
# Installs the system packages Senflow needs when they are missing (Debian/Ubuntu, as root):
# Java 17+ and Maven (the Kafka broker from Maven Central), PostgreSQL, Mosquitto,
# Prometheus, curl.
# Does nothing when everything is already there.
source "$(dirname "$0")/lib.sh"

missing=()
command -v java >/dev/null || missing+=(default-jre-headless)  # Java 17 on Debian 12
command -v mvn >/dev/null || missing+=(maven)
command -v curl >/dev/null || missing+=(curl)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
[[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)  # the MQTT broker (scripts/mosquitto.sh)
# Prometheus and promtool: `make up`'s metrics and alerts, and the alert rules' unit tests.
[[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || missing+=(prometheus)
command -v python3.11 >/dev/null || { log "Python 3.11 is required (python3.11 on PATH)"; exit 1; }
# Debian's own python3.11 needs python3.11-venv for `python3.11 -m venv`.
python3.11 -c "import ensurepip" 2>/dev/null || missing+=(python3.11-venv)

if (( ${#missing[@]} )); then
  if [[ "$(id -u)" != 0 ]]; then log "please install: ${missing[*]}"; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the broker it just installed as a system service on port 1883; Senflow
  # runs its own (scripts/mosquitto.sh), so that one is stopped and kept from booting.
  # The same for Prometheus (scripts/prometheus.sh runs Senflow's own on 9090).
  for service in mosquitto prometheus; do
    if [[ " ${missing[*]} " == *" $service "* ]] && command -v systemctl >/dev/null; then
      systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
fi
