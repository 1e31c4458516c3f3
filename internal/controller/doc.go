// Package controller owns the cluster metadata: it turns typed requests
// into metadata records, makes them durable in the `__cluster_metadata`
// log, and publishes the resulting Image.
//
// Every write is a Request (requests.go): CreateTopicsRequest,
// DeleteTopicsRequest, CreatePartitionsRequest, AlterConfigsRequest
// (incremental or replacing), AllocateProducerIDsRequest,
// RegisterBrokerRequest, AlterPartitionRequest (a partition leader's ISR
// change, alter_partition.go), AlterScramCredentialsRequest (scram.go) and
// CreateACLsRequest and DeleteACLsRequest (acls.go), each answered by the
// Response of the same name.
// Requests are plain data, never functions, so that a broker can forward
// one to the active controller. A request that names several items (topics,
// resources) treats each on its own: one failing does not stop the others,
// and its error is in the response; validate-only requests run every check
// and return no records.
//
// operate is the one switch over request types; each case is a pure
// function of the image, the Cluster (defaults and the config schema of
// internal/config, taken from the node's configuration) and the request,
// returning records and a response (ops.go; configs.go for config
// changes). Brokers come from the image's registration records: replicas
// are placed on registered, unfenced brokers. What is not pure — new topic
// ids, the log offset that becomes a broker epoch — the loop draws and
// passes in.
//
// The Controller's event loop (Run) is the single owner of the current
// image: it executes one request at a time, appends its records to the
// metadata log as one batch, fsyncs, applies them and hands the new image
// to the Publisher before answering. At start-up the same records are
// replayed from the log through the same Apply.
//
// Today the quorum is one node and the log is written directly; the Raft
// quorum (go.etcd.io/raft/v3) is meant to slot in beneath Submit without
// changing the requests or the operations.
package controller
