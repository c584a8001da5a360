#!/usr/bin/env bash
# Installs the system packages Senflow needs when they are missing (Debian/Ubuntu, as root):
# Java 17+ and Maven (the Kafka broker from Maven Central), PostgreSQL, curl.
# Does nothing when everything is already there.
source "$(dirname "$0")/lib.sh"

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v curl >/dev/null || missing+=(curl)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v python3.11 >/dev/null || { log "Python 3.11 is required (python3.11 on PATH)"; exit 1; }

if (( ${#missing[@]} )); then
  if [[ "$(id -u)" != 0 ]]; then log "please install: ${missing[*]}"; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
