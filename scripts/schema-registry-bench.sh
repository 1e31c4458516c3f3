#!/usr/bin/env bash
# Schema lookups by id against gregor servers' schema registries, with wrk
# (apt-get install wrk): one thread, 32 keep-alive connections, REPS rounds
# (default 3) of 10 s runs (SECONDS_PER_RUN) on GET /schemas/ids/1.
#
#   scripts/schema-registry-bench.sh GREGOR_BINARY [GREGOR_BINARY...]
#
# Each binary runs its own server, one schema registered. The limit of the
# machine is measured in the same rounds: a plain net/http server (built
# here with the go command) answering every request with the same body and
# Content-Type as gregor's answer. Each round runs every target once, in
# turn, so that the machine's load falls on all of them alike; the summary
# gives each target's median and its ratio to the net/http one.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 GREGOR_BINARY [GREGOR_BINARY...]" >&2; exit 2; }
reps=${REPS:-3} secs=${SECONDS_PER_RUN:-10}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT

names=() urls=()
i=0
for bin in "$@"; do
  i=$((i + 1))
  "$bin" server --override listeners=PLAINTEXT://127.0.0.1:0 --override http.listeners= \
    --override schema.registry.listeners=http://127.0.0.1:0 --override rest.proxy.listeners= \
    --override "log.dirs=$dir/data$i" 2>"$dir/server$i.log" &
  pids+=($!)
  url=""
  for _ in $(seq 100); do
    url=$(grep -oE 'schema.registry.listeners=http://[0-9.]+:[0-9]+' "$dir/server$i.log" | head -1 | sed 's/^[^=]*=//' || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$dir/server$i.log"; exit 1; }
  curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' "$url/subjects/bench-value/versions" \
    -d '{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"}' >/dev/null
  names+=("gregor$i:$bin") urls+=("$url/schemas/ids/1")
done

# The net/http limit: the same answer from a handler that only writes it.
curl -sf "${urls[0]}" >"$dir/body"
mkdir "$dir/hello"
cat >"$dir/hello/main.go" <<'EOF'
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr())
	panic(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.Write(body)
	})))
}
EOF
printf 'module hello\n\ngo 1.22\n' >"$dir/hello/go.mod"
(cd "$dir/hello" && go build -o hello .)
"$dir/hello/hello" "$dir/body" >"$dir/hello.addr" 2>"$dir/hello.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$dir/hello.addr" ] && break; sleep 0.1; done
names+=("net/http") urls+=("http://$(head -1 "$dir/hello.addr")/schemas/ids/1")

echo "date $(date -u '+%Y-%m-%dT%H:%M:%SZ'), load average $(cut -d' ' -f1-3 /proc/loadavg), wrk -t1 -c32 -d${secs}s, $reps rounds"
for r in $(seq "$reps"); do
  for t in "${!urls[@]}"; do
    out=$(wrk -t1 -c32 -d"${secs}s" "${urls[$t]}")
    rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    if echo "$out" | grep -q 'Non-2xx'; then echo "${names[$t]}: non-2xx answers" >&2; exit 1; fi
    echo "round $r ${names[$t]} $rate req/s"
    echo "$t $rate" >>"$dir/rates"
  done
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
median() {
  awk -v t="$1" '$1 == t {print $2}' "$dir/rates" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
limit=$(median $((${#urls[@]} - 1)))
for t in "${!urls[@]}"; do
  med=$(median "$t")
  echo "median ${names[$t]} $med req/s ($(awk -v a="$med" -v b="$limit" 'BEGIN {printf "%.2f", a / b}')× net/http)"
done
