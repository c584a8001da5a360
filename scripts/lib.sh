# Shared helpers for the local-infrastructure scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SENFLOW_STATE_DIR:-$ROOT/.senflow}"
mkdir -p "$STATE_DIR/logs" "$STATE_DIR/pids"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# pid_alive NAME: true when the pid file NAME exists and that process still runs.
pid_alive() {
  local f="$STATE_DIR/pids/$1.pid"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# stop_pid NAME: stop the process recorded in NAME's pid file (only ours), wait, forget it.
stop_pid() {
  local f="$STATE_DIR/pids/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# wait_port HOST PORT SECONDS: wait until a TCP port accepts connections.
wait_port() {
  local host=$1 port=$2 deadline=$((SECONDS + $3))
  while (( SECONDS < deadline )); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.3
  done
  return 1
}
