// Package partition is one replica of one partition: its log, its leader
// epoch, the state of the idempotent producers writing to it, and its high
// watermark.
//
// The high-watermark rule: the high watermark is the smallest log end offset
// among the in-sync replicas. While a partition's ISR is the leader alone
// (every partition of a single-node cluster), it equals the leader's log end
// offset and moves with every append; replication will feed follower offsets
// into the same computation.
//
// Producer state follows Kafka's ProducerStateManager: per producer id the
// current epoch and the metadata of its last five batches, enough to answer a
// retried batch with its original offset. It is written to `.snapshot` files
// (Kafka's v1 snapshot layout) on close and periodically, and rebuilt on open
// by loading the newest snapshot and replaying batch headers after it. As in
// Kafka since KIP-360, a producer stays known when retention or
// DeleteRecords removes its batches: producers would expire by
// producer.id.expiration.ms, not implemented yet.
//
// On a compacted topic every batch is decompressed at append to refuse
// records without a key (INVALID_RECORD), as Kafka's LogValidator does.
package partition
