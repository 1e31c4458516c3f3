// Package controller owns the cluster metadata: it turns admin requests into
// metadata records, makes them durable in the `__cluster_metadata` log, and
// publishes the resulting Image.
//
// Operations are pure functions of (Image, request) returning records
// (ops.go; configs.go for AlterConfigs and IncrementalAlterConfigs, which
// consult a ConfigSchema the handler provides). The Controller's event loop
// is the single owner of the current image: it runs one operation at a
// time, appends its records to the metadata log as one batch, fsyncs,
// applies them to the image and hands the new image to the publisher before
// answering. At start-up the same records are
// replayed from the log through the same Apply.
//
// Today the quorum is one node and the log is written directly; the Raft
// quorum (go.etcd.io/raft/v3) is meant to slot in beneath Submit without
// changing the operations.
package controller
