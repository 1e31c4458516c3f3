#!/usr/bin/env bash
# Schema lookups by id against a gregor server's schema registry, with wrk
# (apt-get install wrk): one thread, 32 keep-alive connections, REPS runs
# of 10 s each on GET /schemas/ids/1. Usage: scripts/schema-registry-bench.sh GREGOR_BINARY
set -euo pipefail
bin=$1 reps=${REPS:-3}
dir=$(mktemp -d)
"$bin" server --override listeners=PLAINTEXT://127.0.0.1:0 --override http.listeners= \
  --override schema.registry.listeners=http://127.0.0.1:0 --override rest.proxy.listeners= --override "log.dirs=$dir/data" 2>"$dir/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -oE 'schema.registry.listeners=http://[0-9.]+:[0-9]+' "$dir/server.log" | head -1 | sed 's/^[^=]*=//' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$dir/server.log"; exit 1; }
curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' "$url/subjects/bench-value/versions" \
  -d '{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"}' >/dev/null
for i in $(seq "$reps"); do
  echo "run $i: $(wrk -t1 -c32 -d10s "$url/schemas/ids/1" | grep -E 'Requests/sec|Non-2xx')"
done
