#!/usr/bin/env bash
# Stops what infra/cluster/up.sh <dir> started: the gateways first (SIGTERM, they drain and
# stop in order), then the nats-servers (SIGTERM: JetStream shuts down cleanly). Data is kept.
set -euo pipefail
dir="${1:?usage: infra/cluster/down.sh <dir>}"
dir="$(cd "$dir" && pwd)"

# SIGTERM, then up to 20 s for the process to be gone, then SIGKILL.
stop_pid() {
  local what="$1" pid="$2"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || { echo "stopped $what (pid $pid)"; return 0; }; sleep 0.1; done
  echo "$what (pid $pid) ignored SIGTERM for 20 s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

for f in "$dir"/gw*.pid; do
  [ -f "$f" ] || continue
  stop_pid "gateway $(basename "$f" .pid)" "$(cat "$f")"
  rm -f "$f"
done
for f in "$dir"/n*/nats-server.pid; do
  [ -f "$f" ] || continue
  stop_pid "nats-server $(basename "$(dirname "$f")")" "$(cat "$f")"
done
