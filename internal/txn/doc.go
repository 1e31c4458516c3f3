// Package txn is the transaction coordinator: the state of every
// transactional id, kept in the compacted internal topic
// __transaction_state with Kafka's record schemas (schema.go), and the
// operations of the transactional APIs on it: InitProducerId with a
// transactional id, AddPartitionsToTxn (and its verify-only form, which
// partition leaders use before a transaction's first write, KIP-890 part
// 1), AddOffsetsToTxn (the handler turns it into the __consumer_offsets
// partition of the group), EndTxn, DescribeTransactions and
// ListTransactions.
//
// An id belongs to partition abs(hashCode(id)) % partitions; the
// coordinator serves the ids of the partitions this node leads, each a
// shard on the coordinator runtime (internal/coord), so it moves with its
// partition: loaded by replay when leadership arrives, dropped when it
// leaves. State changes only by replaying records (shard.Replay); what
// Kafka keeps in memory only stays in memory (the last InitProducerId
// answer, for KIP-360 retries; whether markers are being sent).
//
// States and transitions (Kafka's; a client of transaction version 2 —
// EndTxn v5, KIP-890 part 2 — bumps the epoch at every end, see
// end_v2.go):
//
//	Empty/CompleteCommit/CompleteAbort --AddPartitions--> Ongoing
//	Ongoing --EndTxn(commit)--> PrepareCommit --markers--> CompleteCommit
//	Ongoing --EndTxn(abort), timeout, new producer--> PrepareAbort --markers--> CompleteAbort
//	idle --InitProducerId--> Empty at epoch+1 (a new producer id at epoch 0 when exhausted)
//
// A timeout or an InitProducerId that finds a transaction ongoing aborts
// it with the epoch bumped, so that the old producer is fenced. EndTxn
// answers once the prepare state is committed. When the markers can all
// be written and committed at once (partitions led here with no other
// replica in sync: ImmediateMarkerWriter), they are, and the transaction
// completes in the same operation. Otherwise the producer's next request
// that meets the transaction being completed waits for it on the
// coordinator (untilComplete), and the markers go to the
// leaders of the transaction's partitions through a MarkerWriter (local
// appends, or WriteTxnMarkers to another broker through txn/txnclient,
// which also carries the leaders' verification requests to a coordinator
// on another node), retried until written,
// from a goroutine the shard owns; the transaction completes on the loop
// when all are written. A shard that loads a transaction in a prepare
// state sends its markers again: markers are idempotent for the partition
// (a second marker of an ended transaction changes nothing a reader sees).
//
// Time comes from the runtime's clock: the abort of timed-out
// transactions (transaction.abort.timed.out.transaction.cleanup.interval.ms)
// and the expiry of idle ids (transactional.id.expiration.ms) are timers
// on each shard's loop.
//
// Coordinator epoch: the leader epoch of the partition when it was loaded;
// markers carry it, and a partition refuses a marker from an older one.
package txn
