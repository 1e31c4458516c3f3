// Package restproxy serves Confluent REST Proxy's HTTP API on a node: v2
// (topics, produce in the json, binary, avro, jsonschema and protobuf
// embedded formats, consumer instances) and v3 (clusters, brokers, topics
// and partitions, produce, including the streamed form; the configs of
// topics, brokers and the cluster, read and changed, many topics' in one
// request too; consumer groups with their lag, and partition
// reassignments in progress, read-only; ACLs, listed, created and
// deleted).
//
// The proxy is a Kafka client of its own node, as the console and the CLI
// are: one franz-go client produces and administers, and each consumer
// instance owns a client of its own. Nothing here imports the broker.
//
// Error bodies are Confluent's: {"error_code":40401,"message":"..."}, with
// its codes (40401 topic not found, 40402 partition not found, 40403
// consumer instance not found, 40601 format mismatch, 40902 consumer
// already exists, 42204 invalid consumer config, 415 unsupported media
// type, ...); the v3 config resources answer Kafka's errors with
// Confluent's Kafka codes (40002 invalid config or a request Kafka refuses
// as invalid, as an ACL request to a node without an authorizer; 40403
// unknown topic; 40301 refused by an ACL; 50002, 50003; a bulk topic
// configs change answers 207 Multi-Status listing each topic Kafka
// refused, with those codes). The avro, jsonschema and protobuf embedded
// formats (see schemas.go) use the node's schema registry, which comes in
// as a Registry; without one they are refused with 42206, naming the
// reason.
//
// Bounds: every request body is read through http.MaxBytesReader
// (rest.proxy.request.max.bytes; in a streamed v3 produce, each record
// object), and every request runs under rest.proxy.request.timeout.ms (in
// a stream, each record's read and produce). Consumer instances idle for
// rest.proxy.consumer.instance.timeout.ms are closed.
package restproxy
