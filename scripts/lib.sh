# Shared helpers for the local-infrastructure scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SENFLOW_STATE_DIR:-$ROOT/.senflow}"
mkdir -p "$STATE_DIR/logs" "$STATE_DIR/pids"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# A process's start time (clock ticks since boot): with the pid, it names one process, so a
# pid reused after a reboot or crash is never mistaken for ours.
start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

# record_pid NAME PID: remember PID as the process NAME that these scripts started.
record_pid() { echo "$2 $(start_time "$2")" >"$STATE_DIR/pids/$1.pid"; }

# our_pid NAME: the recorded pid of NAME if that very process still runs, else nothing.
our_pid() {
  local f="$STATE_DIR/pids/$1.pid" pid started
  [[ -f "$f" ]] || return 1
  read -r pid started <"$f"
  [[ -n "$pid" && -n "$started" && "$(start_time "$pid")" == "$started" ]] && echo "$pid"
}

# pid_alive NAME: true when the process NAME that we started still runs.
pid_alive() { our_pid "$1" >/dev/null; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# stop_pid NAME: stop the process recorded in NAME's pid file (only ours), wait, forget it.
stop_pid() {
  local f="$STATE_DIR/pids/$1.pid" pid
  [[ -f "$f" ]] || return 0
  if pid="$(our_pid "$1")"; then
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
    port_open "$host" "$port" && return 0
    sleep 0.3
  done
  return 1
}
