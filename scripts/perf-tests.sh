#!/usr/bin/env bash
# Runs Kafka-style producer-perf-test / consumer-perf-test against a broker
# and prints their summary lines, REPS times each (take the median).
#
#   go build -o gregor ./cmd/gregor && ./gregor server &
#   scripts/perf-tests.sh                 # BROKER=127.0.0.1:9092 REPS=3
set -euo pipefail
BROKER=${BROKER:-127.0.0.1:9092}
REPS=${REPS:-3}
GREGOR=${GREGOR:-./gregor}

for rep in $(seq "$REPS"); do
  for size in 100 1024; do
    n=$(( size == 100 ? 3000000 : 500000 ))
    for acks in 1 all; do
      topic="perf-$size-$acks-$rep-$$"
      "$GREGOR" topics --bootstrap-server "$BROKER" --create --topic "$topic" --partitions 6 >/dev/null
      echo "producer size=$size acks=$acks rep=$rep: $("$GREGOR" producer-perf-test --topic "$topic" \
        --num-records "$n" --record-size "$size" --throughput -1 \
        --producer-props "bootstrap.servers=$BROKER" "acks=$acks" | tail -1)"
      echo "consumer size=$size acks=$acks rep=$rep: $("$GREGOR" consumer-perf-test --bootstrap-server "$BROKER" \
        --topic "$topic" --num-records "$n" --hide-header)"
      "$GREGOR" topics --bootstrap-server "$BROKER" --delete --topic "$topic" >/dev/null
    done
  done
  topic="perf-lat-$rep-$$"
  "$GREGOR" topics --bootstrap-server "$BROKER" --create --topic "$topic" --partitions 6 >/dev/null
  echo "latency size=1024 rate=5000 acks=all rep=$rep: $("$GREGOR" producer-perf-test --topic "$topic" \
    --num-records 50000 --record-size 1024 --throughput 5000 \
    --producer-props "bootstrap.servers=$BROKER" acks=all linger.ms=0 | tail -1)"
  "$GREGOR" topics --bootstrap-server "$BROKER" --delete --topic "$topic" >/dev/null
done
