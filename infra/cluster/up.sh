#!/usr/bin/env bash
# Several cairn gateways on one 3-server NATS cluster, all on this machine (loopback).
#
#   infra/cluster/up.sh <dir> [cairn cluster init options]   start (or finish starting) everything
#   infra/cluster/down.sh <dir>                              stop everything
#
# Runs `cairn cluster init <dir>` when <dir> holds no cluster yet, starts each nats-server in the
# background (pid file and log in <dir>/n<i>/), waits until all see a JetStream leader, then
# starts one gateway per server, one after the other (data dir <dir>/gw<i>, HTTP port 8800+i,
# log <dir>/gw<i>.log), each once the previous answers /health. Anything already running is left
# as it is. Set CAIRN_NATS_SERVER_BIN to use another nats-server.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:?usage: infra/cluster/up.sh <dir> [cairn cluster init options]}"
shift
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
cairn() { node "$root/cli/bin.mjs" "$@"; }
nats_server="${CAIRN_NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Waits up to $2 seconds (wall clock) for the command after them to succeed.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local until=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$until" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "up.sh: $what did not come up within ${secs}s" >&2
  return 1
}

if [ ! -f "$dir/cluster.json" ] || [ $# -gt 0 ]; then cairn cluster init "$dir" "$@" >/dev/null; fi
# What init wrote: one line per server (name, config, pid file, url), then the URL list and creds.
info="$(cairn cluster init "$dir" --json | node -e '
  const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const s of c.servers) console.log(["server", s.name, s.configFile, s.pidFile, s.url].join("\t"));
  console.log(["urls", c.urls].join("\t"));
  console.log(["creds", c.creds.gateway].join("\t"));')"
urls="$(printf '%s\n' "$info" | awk -F'\t' '$1=="urls"{print $2}')"
creds="$(printf '%s\n' "$info" | awk -F'\t' '$1=="creds"{print $2}')"

while IFS=$'\t' read -r kind name conf pidfile _url; do
  [ "$kind" = server ] || continue
  if alive "$pidfile"; then echo "nats-server $name already running (pid $(cat "$pidfile"))"; continue; fi
  # nats-server writes its own pid file (pid_file in the config).
  nohup "$nats_server" -c "$conf" >>"$dir/$name/nats-server.log" 2>&1 </dev/null &
done <<<"$info"

sleep 0.5
while IFS=$'\t' read -r kind name _conf pidfile _url; do
  [ "$kind" = server ] || continue
  # A server that could not start (port taken, bad config) is gone by now: say why.
  alive "$pidfile" || { echo "up.sh: nats-server $name did not start:" >&2; tail -n 5 "$dir/$name/nats-server.log" >&2; exit 1; }
done <<<"$info"
wait_for "the NATS cluster (JetStream leader; 'cairn cluster status $dir')" 30 cairn cluster status "$dir"

# One gateway at a time, each answering /health before the next starts: gateways starting at the
# same moment on a fresh cluster race for the singleton aggregates (the pairing window) and the
# losers fail with a NATS timeout (cross-process ownership is not settled yet, issue 9).
n="$(printf '%s\n' "$info" | awk -F'\t' '$1=="server"' | wc -l)"
for i in $(seq "$n"); do
  gw="$dir/gw$i" port=$((8800 + i))
  mkdir -p "$gw"
  if [ -f "$dir/gw$i.pid" ] && kill -0 "$(cat "$dir/gw$i.pid")" 2>/dev/null; then
    echo "gateway $i already running (pid $(cat "$dir/gw$i.pid"))"
    continue
  fi
  CAIRN_DATA_DIR="$gw" CAIRN_PORT="$port" CAIRN_NATS_URL="$urls" CAIRN_NATS_CREDS="$creds" \
    CAIRN_WORKSPACES_DIR="$dir/workspaces" CAIRN_SKILLS_DIR="$dir/skills" \
    nohup node "$root/cli/bin.mjs" gateway >>"$dir/gw$i.log" 2>&1 </dev/null &
  echo $! >"$dir/gw$i.pid"
  wait_for "gateway $i (see $dir/gw$i.log)" 60 curl -fsS "http://127.0.0.1:$port/health"
done

echo "NATS cluster: $urls"
echo "gateway creds: $creds"
for i in $(seq "$n"); do
  echo "gateway $i: http://127.0.0.1:$((8800 + i))  (CAIRN_DATA_DIR=$dir/gw$i, log $dir/gw$i.log)"
done
echo "stop everything: infra/cluster/down.sh $dir"
