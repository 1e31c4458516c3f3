#!/usr/bin/env bash
# REST proxy runner: curl-driven Confluent REST Proxy v2 and v3 flows against
# gregor's REST proxy. Usage: test.sh checks|matrix (matrix: nothing to do).
# Environment from compat/run: COMPAT_REST_PROXY (http://host:port),
# COMPAT_BOOTSTRAP, COMPAT_PREFIX, COMPAT_GREGOR (the gregor binary, whose
# console-consumer reads back what the proxy produced), and
# COMPAT_SCHEMA_REGISTRY (the registry the avro checks read; without it
# they expect the schema formats refused); the basic-auth and
# https-propagation checks start gregor servers of their own. Needs curl,
# jq and openssl.
set -uo pipefail

client=rest-proxy
[ "${1:-checks}" = matrix ] && exit 0
if [ -z "${COMPAT_REST_PROXY:-}" ]; then
  echo "FAIL $client runner: COMPAT_REST_PROXY is not set (the server's REST proxy address)"
  exit 0
fi
url=$COMPAT_REST_PROXY
prefix=$COMPAT_PREFIX-rest
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
v2=application/vnd.kafka.v2+json
v2json=application/vnd.kafka.json.v2+json
v2bin=application/vnd.kafka.binary.v2+json
v2avro=application/vnd.kafka.avro.v2+json
registry=${COMPAT_SCHEMA_REGISTRY:-}

# check NAME FUNCTION: FUNCTION prints a reason on standard output and
# returns non-zero when the check fails.
check() {
  local name=$1 reason
  echo "-- $name" >&2
  if reason=$("$2"); then
    echo "PASS $client $name"
  else
    echo "FAIL $client $name: $(echo "${reason:-failed}" | tr '\n' ' ' | cut -c1-300)"
  fi
}

# req METHOD PATH [CONTENT-TYPE [BODY [curl args...]]] sets out to the
# answer's body and status to its HTTP status; every request is bounded in
# time.
req() {
  local method=$1 path=$2 ct=${3:-} data=${4:-}
  shift $(($# < 4 ? $# : 4))
  local args=(-s -m 30 -X "$method" -o "$scratch/body" -w '%{http_code}' "$@")
  [ -n "$ct" ] && args+=(-H "Content-Type: $ct")
  [ -n "$data" ] && args+=(--data-binary "$data")
  rm -f "$scratch/body"
  status=$(curl "${args[@]}" "$url$path") || status="curl-failed"
  out=$(cat "$scratch/body" 2>/dev/null)
}

# expect WHAT WANT GOT
expect() {
  [ "$2" = "$3" ] && return 0
  echo "$1: want [$2] got [$(echo "$3" | head -c 300)]"
  return 1
}

# The cluster id, which every v3 path names.
cluster=$(curl -s -m 30 "$url/v3/clusters" | jq -r '.data[0].cluster_id' 2>/dev/null)
topic=$prefix-v3
json_topic=$prefix-json
bin_topic=$prefix-bin
avro_topic=$prefix-avro

check_v3_clusters() {
  local out
  req GET /v3/clusters
  expect "GET /v3/clusters status" 200 "$status" || return 1
  expect "kind" KafkaClusterList "$(jq -r .kind <<<"$out")" || return 1
  expect "cluster_id" "$cluster" "$(jq -r '.data[0].cluster_id' <<<"$out")" || return 1
  [ -n "$cluster" ] && [ "$cluster" != null ] || { echo "no cluster_id in $out"; return 1; }
  req GET "/v3/clusters/$cluster/brokers"
  expect "brokers kind" KafkaBrokerList "$(jq -r .kind <<<"$out")" || return 1
  req GET /v3/clusters/no-such-cluster
  expect "unknown cluster status" 404 "$status"
}

check_v3_create_topic() {
  local out
  req POST "/v3/clusters/$cluster/topics" application/json \
    "{\"topic_name\":\"$topic\",\"partitions_count\":3,\"replication_factor\":1,\"configs\":[{\"name\":\"retention.ms\",\"value\":\"86400000\"}]}"
  expect "create status" 201 "$status" || return 1
  expect "partitions_count" 3 "$(jq -r .partitions_count <<<"$out")" || return 1
  req POST "/v3/clusters/$cluster/topics" application/json "{\"topic_name\":\"$topic\",\"partitions_count\":3}"
  expect "duplicate create status" 400 "$status" || return 1
  expect "duplicate error_code" 40002 "$(jq -r .error_code <<<"$out")" || return 1
  req GET "/v3/clusters/$cluster/topics/$topic/configs/retention.ms"
  expect "retention.ms" 86400000 "$(jq -r .value <<<"$out")" || return 1
  req GET "/v3/clusters/$cluster/topics/$topic/partitions"
  expect "partitions" 3 "$(jq '.data | length' <<<"$out")"
}

check_v3_produce() {
  local out
  req POST "/v3/clusters/$cluster/topics/$topic/records" application/json \
    '{"partition_id":0,"key":{"type":"STRING","data":"k0"},"value":{"type":"JSON","data":{"n":0}}}'
  expect "status" 200 "$status" || return 1
  expect "answer" "200 0 0 2 7" "$(jq -r '"\(.error_code) \(.partition_id) \(.offset) \(.key.size) \(.value.size)"' <<<"$out")"
}

# The streamed form: 100 record objects in one chunked body, one answer
# per record back, in order.
check_v3_streaming_produce() {
  local i out
  for i in $(seq 1 100); do
    printf '{"partition_id":%d,"key":{"type":"STRING","data":"k%d"},"value":{"type":"JSON","data":{"n":%d}}}\n' $((i % 3)) "$i" "$i"
  done >"$scratch/stream"
  out=$(curl -s -m 60 -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    --data-binary "@$scratch/stream" "$url/v3/clusters/$cluster/topics/$topic/records") || { echo "curl failed"; return 1; }
  expect "answers" 100 "$(jq -s length <<<"$out")" || return 1
  expect "all 200" 100 "$(jq -s '[.[] | select(.error_code == 200)] | length' <<<"$out")" || return 1
  expect "partitions in order" "$(seq 1 100 | while read -r i; do echo $((i % 3)); done | tr '\n' ' ')" \
    "$(jq -r '.partition_id' <<<"$out" | tr '\n' ' ')" || return 1
  # Offsets per partition: partition 0 had one record before the stream
  # (34 then), partition 1 takes 34 of the 100, partition 2 takes 33.
  expect "last offsets" "33 33 32" "$(jq -s -r '[group_by(.partition_id)[] | max_by(.offset).offset] | map(tostring) | join(" ")' <<<"$out")" || return 1
  local read
  read=$(timeout 30 "$COMPAT_GREGOR" console-consumer --bootstrap-server "$COMPAT_BOOTSTRAP" --topic "$topic" \
    --from-beginning --max-messages 101 --timeout-ms 10000 2>/dev/null | sort | head -3 | tr '\n' ' ')
  expect "records read back with Kafka's protocol" '{"n":0} {"n":100} {"n":10} ' "$read"
}

check_v3_errors() {
  local out
  req POST "/v3/clusters/$cluster/topics/$prefix-none/records" application/json '{"value":{"data":1}}'
  expect "unknown topic" 404 "$status" || return 1
  req POST "/v3/clusters/$cluster/topics/$topic/records" application/json '{"partition_id":9,"value":{"data":1}}{"value":{"type":"AVRO","data":1}}'
  # An AVRO value without a schema takes the subject's latest version:
  # there is none (42207), or no registry at all (42206).
  local want=42207
  [ -z "$registry" ] && want=42206
  expect "per-record errors" "404 $want" "$(jq -r .error_code <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
}

check_v2_topics() {
  local out
  req POST "/v3/clusters/$cluster/topics" application/json "{\"topic_name\":\"$json_topic\",\"partitions_count\":2}"
  expect "create $json_topic" 201 "$status" || return 1
  req POST "/v3/clusters/$cluster/topics" application/json "{\"topic_name\":\"$bin_topic\",\"partitions_count\":1}"
  expect "create $bin_topic" 201 "$status" || return 1
  req GET /topics
  expect "GET /topics lists it" true "$(jq --arg t "$json_topic" 'index($t) != null' <<<"$out")" || return 1
  req GET "/topics/$json_topic"
  expect "GET /topics/{t} partitions" 2 "$(jq '.partitions | length' <<<"$out")" || return 1
  req GET "/topics/$json_topic/partitions/1"
  expect "GET /topics/{t}/partitions/1" 1 "$(jq .partition <<<"$out")" || return 1
  req GET "/topics/$prefix-none"
  expect "unknown topic" "404 40401" "$status $(jq .error_code <<<"$out")"
}

check_v2_produce_json() {
  local out
  req POST "/topics/$json_topic" "$v2json" \
    '{"records":[{"key":"a","value":{"n":1}},{"value":{"n":2},"partition":1},{"value":[3],"partition":0}]}'
  expect "status" 200 "$status" || return 1
  expect "no errors" "null null null" "$(jq -r '[.offsets[].error_code] | map(tostring) | join(" ")' <<<"$out")" || return 1
  expect "schema ids" "null null" "$(jq -r '"\(.key_schema_id) \(.value_schema_id)"' <<<"$out")"
}

check_v2_produce_binary() {
  local out
  req POST "/topics/$bin_topic/partitions/0" "$v2bin" \
    "{\"records\":[{\"key\":\"$(printf k1 | base64)\",\"value\":\"$(printf 'hello' | base64)\"},{\"value\":\"$(printf 'world' | base64)\"}]}"
  expect "status" 200 "$status" || return 1
  expect "offsets" "0 1" "$(jq -r '[.offsets[].offset] | map(tostring) | join(" ")' <<<"$out")"
}

# The avro embedded format: a produce with key and value schemas registers
# them under the topic's subjects (read back from the registry), one by
# schema id reuses them, the records are in Confluent's wire format (the
# byte 0 and the schema id, read back with Kafka's protocol), and an avro
# consumer instance decodes them to the JSON produced. Errors: a key
# without a key schema (42201), data not of the schema (42203), a schema
# that does not parse (42205).
check_v2_avro_round_trip() {
  local out schema='{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}'
  req POST "/v3/clusters/$cluster/topics" application/json "{\"topic_name\":\"$avro_topic\",\"partitions_count\":1}"
  expect "create $avro_topic" 201 "$status" || return 1
  if [ -z "$registry" ]; then
    req POST "/topics/$avro_topic" "$v2avro" "{\"value_schema\":\"$schema\",\"records\":[{\"value\":{\"id\":1}}]}"
    expect "avro without a registry" "422 42206" "$status $(jq .error_code <<<"$out")"
    return
  fi
  req POST "/topics/$avro_topic" "$v2avro" \
    "{\"key_schema\":\"\\\"string\\\"\",\"value_schema\":\"$schema\",\"records\":[{\"key\":\"k1\",\"value\":{\"id\":1,\"note\":{\"string\":\"first\"}}},{\"value\":{\"id\":2}}]}"
  expect "produce status" 200 "$status" || return 1
  local key_id value_id
  key_id=$(jq -r .key_schema_id <<<"$out") value_id=$(jq -r .value_schema_id <<<"$out")
  expect "offsets" "0 1" "$(jq -r '[.offsets[].offset] | map(tostring) | join(" ")' <<<"$out")" || return 1
  expect "value schema registered as $avro_topic-value" "$value_id" \
    "$(curl -s -m 30 "$registry/subjects/$avro_topic-value/versions/latest" | jq -r .id)" || return 1
  expect "key schema registered as $avro_topic-key" "$key_id" \
    "$(curl -s -m 30 "$registry/subjects/$avro_topic-key/versions/latest" | jq -r .id)" || return 1
  req POST "/topics/$avro_topic" "$v2avro" "{\"value_schema_id\":$value_id,\"records\":[{\"value\":{\"id\":3}}]}"
  expect "produce by id" "200 $value_id 2" "$status $(jq -r '"\(.value_schema_id) \(.offsets[0].offset)"' <<<"$out")" || return 1
  # The first five bytes of each value, as hex: the magic byte and the id.
  local prefix_hex
  prefix_hex=$(printf '00%08x' "$value_id")
  local wire
  wire=$(timeout 30 "$COMPAT_GREGOR" console-consumer --bootstrap-server "$COMPAT_BOOTSTRAP" --topic "$avro_topic" \
    --from-beginning --max-messages 3 --timeout-ms 10000 2>/dev/null | head -c 5 | od -An -tx1 | tr -d ' \n')
  expect "wire-format prefix of the first value" "$prefix_hex" "$wire" || return 1
  req POST "/consumers/$prefix-ga" "$v2" '{"name":"a1","format":"avro","auto.offset.reset":"earliest"}'
  expect "create avro consumer" 200 "$status" || return 1
  local inst=/consumers/$prefix-ga/instances/a1 got
  req POST "$inst/subscription" "$v2" "{\"topics\":[\"$avro_topic\"]}"
  expect "subscribe" 204 "$status" || return 1
  got=$(poll "$inst" "$v2avro" 3)
  expect "decoded records" '"k1" {"id":1,"note":{"string":"first"}}|null {"id":2,"note":null}|null {"id":3,"note":null}' \
    "$(jq -c -r '[.[] | "\(.key | tojson) \(.value | tojson)"] | join("|")' <<<"$got")" || return 1
  req DELETE "$inst"
  req POST "/topics/$avro_topic" "$v2avro" "{\"value_schema\":\"$schema\",\"records\":[{\"key\":\"k\",\"value\":{\"id\":1}}]}"
  expect "key without a key schema" "422 42201" "$status $(jq .error_code <<<"$out")" || return 1
  req POST "/topics/$avro_topic" "$v2avro" "{\"value_schema_id\":$value_id,\"records\":[{\"value\":{\"id\":\"one\"}}]}"
  expect "data not of the schema" "422 42203" "$status $(jq .error_code <<<"$out")" || return 1
  req POST "/topics/$avro_topic" "$v2avro" '{"value_schema":"{\"type\":\"nope\"}","records":[{"value":1}]}'
  expect "schema that does not parse" "422 42205" "$status $(jq .error_code <<<"$out")"
}

# poll PATH ACCEPT N: polls until N records were handed out (20 s at most)
# and prints them as one JSON array.
poll() {
  local all='[]' i
  for i in $(seq 20); do
    req GET "$1/records?timeout=1000" "" "" -H "Accept: $2"
    [ "$status" = 200 ] || { echo "poll status $status: $out" >&2; break; }
    all=$(jq -c --argjson got "$out" '. + $got' <<<"$all")
    [ "$(jq length <<<"$all")" -ge "$3" ] && break
  done
  echo "$all"
}

check_v2_consumer_subscribe() {
  local out base inst got
  req POST "/consumers/$prefix-g1" "$v2" '{"name":"c1","format":"json","auto.offset.reset":"earliest","auto.commit.enable":"false"}'
  expect "create status" 200 "$status" || return 1
  base=$(jq -r .base_uri <<<"$out")
  inst=${base#"$url"}
  expect "base_uri" "/consumers/$prefix-g1/instances/c1" "$inst" || return 1
  req POST "/consumers/$prefix-g1" "$v2" '{"name":"c1","format":"json"}'
  expect "duplicate instance" 409 "$status" || return 1
  req POST "$inst/subscription" "$v2" "{\"topics\":[\"$json_topic\"]}"
  expect "subscribe" 204 "$status" || return 1
  req GET "$inst/subscription"
  expect "subscription" "$json_topic" "$(jq -r '.topics[0]' <<<"$out")" || return 1
  got=$(poll "$inst" "$v2json" 3)
  expect "values" '[3] {"n":1} {"n":2}' "$(jq -c -r '[.[].value | tojson] | sort | join(" ")' <<<"$got")" || return 1
  expect "key" '"a"' "$(jq -c '[.[] | select(.key != null) | .key][0]' <<<"$got")" || return 1
  req POST "$inst/offsets" "$v2" ""
  expect "commit" 200 "$status" || return 1
  req GET "$inst/offsets" "$v2" "{\"partitions\":[{\"topic\":\"$json_topic\",\"partition\":0},{\"topic\":\"$json_topic\",\"partition\":1}]}"
  expect "committed offsets sum" 3 "$(jq '[.offsets[].offset] | add' <<<"$out")" || return 1
  req POST "$inst/positions/beginning" "$v2" "{\"partitions\":[{\"topic\":\"$json_topic\",\"partition\":1}]}"
  expect "seek to beginning" 204 "$status" || return 1
  local p1 n1
  p1=$(jq -c -r '[.[] | select(.partition == 1)] | sort_by(.offset) | map(.value | tojson) | join(" ")' <<<"$got")
  n1=$(jq '[.[] | select(.partition == 1)] | length' <<<"$got")
  got=$(poll "$inst" "$v2json" "$n1")
  expect "re-read after seek" "$p1" "$(jq -c -r 'sort_by(.offset) | map(.value | tojson) | join(" ")' <<<"$got")" || return 1
  req DELETE "$inst"
  expect "delete" 204 "$status" || return 1
  req GET "$inst/records" "" "" -H "Accept: $v2json"
  expect "deleted instance" "404 40403" "$status $(jq .error_code <<<"$out")"
}

check_v2_consumer_assign() {
  local out inst=/consumers/$prefix-g2/instances/b1 got
  req POST "/consumers/$prefix-g2" "$v2" '{"name":"b1","format":"binary","auto.offset.reset":"earliest"}'
  expect "create" 200 "$status" || return 1
  req POST "$inst/assignments" "$v2" "{\"partitions\":[{\"topic\":\"$bin_topic\",\"partition\":0}]}"
  expect "assign" 204 "$status" || return 1
  req GET "$inst/records" "" "" -H "Accept: $v2json"
  expect "json Accept on a binary consumer" "406 40601" "$status $(jq .error_code <<<"$out")" || return 1
  got=$(poll "$inst" "$v2bin" 2)
  expect "values" "hello world" "$(jq -r '.[].value' <<<"$got" | while read -r v; do printf '%s' "$v" | base64 -d; echo; done | tr '\n' ' ' | sed 's/ $//')" || return 1
  req POST "$inst/offsets" "$v2" "{\"offsets\":[{\"topic\":\"$bin_topic\",\"partition\":0,\"offset\":1}]}"
  expect "commit" 200 "$status" || return 1
  req GET "$inst/offsets" "$v2" "{\"partitions\":[{\"topic\":\"$bin_topic\",\"partition\":0}]}"
  expect "committed (after the last record processed)" 2 "$(jq '.offsets[0].offset' <<<"$out")" || return 1
  req DELETE "$inst"
  expect "delete" 204 "$status"
}

check_v3_delete_topic() {
  req DELETE "/v3/clusters/$cluster/topics/$topic"
  expect "delete" 204 "$status" || return 1
  req GET "/v3/clusters/$cluster/topics/$topic"
  expect "deleted topic" 404 "$status"
}

# HTTP basic authentication (rest.proxy.authentication.*), on a gregor
# server of its own: 401 with WWW-Authenticate and Confluent's body
# without credentials or with wrong ones, 403 for a user without the
# role, the API for a user with it.
check_basic_auth() {
  local dir pid base=""
  dir=$(mktemp -d)
  printf 'alice: secret,developer\nbob: pw,viewer\n' >"$dir/users"
  "$COMPAT_GREGOR" server --override listeners=PLAINTEXT://127.0.0.1:0 --override http.listeners= \
    --override schema.registry.listeners= --override rest.proxy.listeners=http://127.0.0.1:0 \
    --override "log.dirs=$dir/data" --override rest.proxy.authentication.method=BASIC \
    --override "rest.proxy.authentication.users.file=$dir/users" \
    --override rest.proxy.authentication.roles=developer 2>"$dir/log" &
  pid=$!
  for _ in $(seq 100); do
    base=$(grep -oE 'rest.proxy.listeners=http://[0-9.]+:[0-9]+' "$dir/log" | head -1 | sed 's/^[^=]*=//')
    [ -n "$base" ] && break
    sleep 0.1
  done
  local result=0 got
  if [ -z "$base" ]; then
    echo "the server did not start: $(tail -c 300 "$dir/log")"; result=1
  else
    got=$(curl -s -m 30 -D "$dir/headers" "$base/topics")
    expect "without credentials" '{"error_code":401,"message":"Unauthorized"}' "$got" || result=1
    expect "WWW-Authenticate" 'Basic realm="KafkaRest"' "$(grep -i '^www-authenticate:' "$dir/headers" | sed 's/^[^:]*: *//' | tr -d '\r')" || result=1
    expect "wrong password" 401 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -u alice:nope "$base/topics")" || result=1
    expect "user without the role" 403 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -u bob:pw "$base/topics")" || result=1
    expect "alice" 200 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -u alice:secret "$base/topics")" || result=1
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir"
  return $result
}

# check_https_propagation: a gregor server of its own whose REST proxy
# listens on https:// (a PEM key store made with openssl) and propagates
# BASIC users to the broker over SASL PLAIN: curl without the CA is
# refused, alice (allowed by an ACL) produces, bob is refused by the
# broker's ACLs with Confluent's 40301.
check_https_propagation() {
  local dir pid base="" bootstrap="" result=0 got
  dir=$(mktemp -d)
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  if ! { openssl req -x509 "${ec[@]}" -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj /CN=compat-ca -days 2 &&
    openssl req "${ec[@]}" -keyout "$dir/server.key" -out "$dir/server.csr" -subj /CN=127.0.0.1 &&
    printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext" &&
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -out "$dir/server.pem" -days 2 -extfile "$dir/san.ext"; } >/dev/null 2>&1; then
    echo "openssl could not make the certificates"; rm -rf "$dir"; return 1
  fi
  cat "$dir/server.key" "$dir/server.pem" >"$dir/keystore.pem"
  printf 'alice: alice-secret\nbob: bob-secret\n' >"$dir/users"
  "$COMPAT_GREGOR" server --override listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0 \
    --override listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT \
    --override sasl.enabled.mechanisms=PLAIN \
    --override 'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";' \
    --override authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer \
    --override super.users=User:ANONYMOUS --override http.listeners= --override schema.registry.listeners= \
    --override rest.proxy.listeners=https://127.0.0.1:0 --override "rest.proxy.ssl.keystore.location=$dir/keystore.pem" \
    --override "log.dirs=$dir/data" --override rest.proxy.authentication.method=BASIC \
    --override "rest.proxy.authentication.users.file=$dir/users" \
    --override rest.proxy.auth.propagate.method=JETTY_AUTH --override rest.proxy.kafka.sasl.mechanism=PLAIN 2>"$dir/log" &
  pid=$!
  for _ in $(seq 100); do
    base=$(grep -oE 'rest.proxy.listeners=https://[0-9.]+:[0-9]+' "$dir/log" | head -1 | sed 's/^[^=]*=//')
    [ -n "$base" ] && break
    sleep 0.1
  done
  bootstrap=$(grep -oE 'listeners="?\[([A-Z_]+://)?[0-9.]+:[0-9]+' "$dir/log" | head -1 | sed -E 's@.*[[/]@@')
  if [ -z "$base" ] || [ -z "$bootstrap" ]; then
    echo "the server did not start: $(tail -c 300 "$dir/log")"; result=1
  else
    timeout 30 "$COMPAT_GREGOR" topics --bootstrap-server "$bootstrap" --create --topic paid --partitions 1 >/dev/null 2>&1 &&
      timeout 30 "$COMPAT_GREGOR" acls --bootstrap-server "$bootstrap" --add --allow-principal User:alice \
        --operation Write --operation Describe --topic paid >/dev/null 2>&1 || { echo "topic or ACL not created"; result=1; }
    curl -s -m 30 -u alice:alice-secret "$base/topics" >/dev/null 2>&1
    expect "curl without the CA (exit code)" 60 "$?" || result=1
    local tls=(-s -m 30 --cacert "$dir/ca.pem" -H "Content-Type: $v2json" --data-binary '{"records":[{"value":{"n":1}}]}')
    got=$(curl "${tls[@]}" -u alice:alice-secret "$base/topics/paid" | jq -r '.offsets[0].offset' 2>/dev/null)
    expect "alice's produce offset" 0 "$got" || result=1
    got=$(curl "${tls[@]}" -u bob:bob-secret -o /dev/null -w '%{http_code}' "$base/topics/paid")
    expect "bob's produce status" 403 "$got" || result=1
    got=$(curl "${tls[@]}" -u bob:bob-secret "$base/topics/paid" | jq -r '.error_code' 2>/dev/null)
    expect "bob's error_code" 40301 "$got" || result=1
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir"
  return $result
}

check v3-clusters check_v3_clusters
check v3-create-topic check_v3_create_topic
check v3-produce check_v3_produce
check v3-streaming-produce check_v3_streaming_produce
check v3-errors check_v3_errors
check v2-topics check_v2_topics
check v2-produce-json check_v2_produce_json
check v2-produce-binary check_v2_produce_binary
check v2-avro-round-trip check_v2_avro_round_trip
check v2-consumer-subscribe check_v2_consumer_subscribe
check v2-consumer-assign check_v2_consumer_assign
check v3-delete-topic check_v3_delete_topic
check basic-auth check_basic_auth
check https-propagation check_https_propagation
