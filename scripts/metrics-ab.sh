#!/usr/bin/env bash
# Metrics on against metrics off, same binary, interleaved so that drift of
# the machine hits both alike. "off" runs with http.listeners= (no admin
# listener, no metrics, no request observer); "on" with the admin listener
# on a free port and /metrics scraped every second during the run, as
# Prometheus would. One line per run:
#   <off|on> <rep> <producer-perf-test summary>
#
#   go build -o /tmp/gregor ./cmd/gregor && scripts/metrics-ab.sh /tmp/gregor [REPS]
set -euo pipefail
bin=$1 reps=${2:-3} n=${N100:-3000000}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
run() { # label rep
  local label=$1 rep=$2 dir port http pid scraper="" p
  dir=$(mktemp -d) port=$(free_port) http=""
  [ "$label" = on ] && http="http://127.0.0.1:$(free_port)"
  "$bin" server --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$dir/data" \
    --override "http.listeners=$http" --override schema.registry.listeners= --override rest.proxy.listeners= 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do grep -q 'gregor started' "$dir/server.log" && break; sleep 0.1; done
  "$bin" topics --bootstrap-server "127.0.0.1:$port" --create --topic ab --partitions 6 >/dev/null
  if [ -n "$http" ]; then
    (while sleep 1; do curl -s "$http/metrics" >/dev/null || true; done) &
    scraper=$!
  fi
  p=$("$bin" producer-perf-test --topic ab --num-records "$n" --record-size 100 --throughput -1 \
      --producer-props "bootstrap.servers=127.0.0.1:$port" acks=all | tail -1)
  [ -n "$scraper" ] && kill "$scraper"
  echo "$label $rep | $p"
  kill "$pid"; wait "$pid" || true
  rm -rf "$dir"
}
for rep in $(seq "$reps"); do
  run off "$rep"
  run on "$rep"
done
