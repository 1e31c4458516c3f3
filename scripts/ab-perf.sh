#!/usr/bin/env bash
# A/B of two gregor server binaries with the same client tools, interleaved
# so that drift of the machine hits both alike. Prints one line per run:
#   <label> <rep> <workload> <producer summary> | <consumer summary>
#
#   scripts/ab-perf.sh OLD_BINARY NEW_BINARY [REPS]
#
# Each run starts the server on a fresh data dir on a free loopback port,
# produces N records (6 partitions, acks=all, linger 5 ms as Kafka 4's
# default) with the NEW binary's producer-perf-test, consumes them with its
# consumer-perf-test, and stops the server by PID.
set -euo pipefail
old=$1 new=$2 reps=${3:-3}
tools=$new
run() { # label binary rep size count
  local label=$1 bin=$2 rep=$3 size=$4 n=$5 dir port pid topic p c
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" server --override "listeners=PLAINTEXT://127.0.0.1:$port" --override http.listeners=http://127.0.0.1:0 --override schema.registry.listeners= --override rest.proxy.listeners= --override "log.dirs=$dir/data" 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do grep -q 'gregor started' "$dir/server.log" && break; sleep 0.1; done
  topic=ab-$size
  "$tools" topics --bootstrap-server "127.0.0.1:$port" --create --topic "$topic" --partitions 6 >/dev/null
  p=$("$tools" producer-perf-test --topic "$topic" --num-records "$n" --record-size "$size" --throughput -1 \
      --producer-props "bootstrap.servers=127.0.0.1:$port" acks=all | tail -1)
  c=$("$tools" consumer-perf-test --bootstrap-server "127.0.0.1:$port" --topic "$topic" --num-records "$n" --hide-header)
  echo "$label $rep size=$size | $p | $c"
  kill "$pid"; wait "$pid" || true
  rm -rf "$dir"
}
for rep in $(seq "$reps"); do
  for size in 100 1024; do
    n=$(( size == 100 ? ${N100:-8000000} : ${N1K:-1500000} ))
    run before "$old" "$rep" "$size" "$n"
    run after "$new" "$rep" "$size" "$n"
  done
done
