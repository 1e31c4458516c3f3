// Package partition is one replica of one partition: its log, its role
// (leader or follower, at a leader epoch, with the ISR), the state of the
// idempotent producers writing to it, its high watermark and the waiters on
// it. The log is reached only through Log (log.go), which storage.Log
// implements and which the replica manager opens, so this package does not
// import storage and nothing above it can reach a log around the rule: the
// operations the handlers need (reads, timestamp and epoch lookups,
// DeleteRecords, config changes) are methods here, bounded by the high
// watermark where Kafka bounds them.
//
// The high-watermark rule, owned here and nowhere else: on the leader, the
// high watermark is the smallest log end offset among the in-sync replicas,
// the leader's own counting and each follower's as it last reported
// (UpdateFollower, from the follower's fetch, which Followers reports for
// the choice of a consumer's closest replica; a follower not heard from
// since this replica became leader holds it where it is); it never goes
// backwards while the replica leads. The rule is the pure function
// highWatermark, applied after every leader append, follower report and
// ISR change. While the ISR is the leader alone (every partition of a
// single-node cluster) it equals the log end offset after each append. On
// open it starts at the log start offset and a leader applies the rule at
// once (so a sole leader starts at its log end); there is no high-watermark
// checkpoint yet. A follower takes its leader's (SetHighWatermark), bounded
// by its own log end offset, and lowers it only when it truncates.
//
// log start offset <= high watermark <= log end offset. Consumers read
// below the high watermark; ListOffsets answers no record at or above it.
// Each move is pushed to the log (Log.SetCommitted), so retention
// and the cleaner never touch what is not committed; the last stable offset
// is pushed too (Log.SetStable), so the cleaner reads only decided
// transactions.
//
// The ISR rule (isr.go), also a pure function, isrChange: the leader keeps
// per follower Kafka's lastCaughtUpTime (UpdateFollower takes the fetch
// time); an ISR member behind the log end and not caught up for
// replica.lag.time.max.ms is proposed out, a replica whose log end reached
// the high watermark and the start of the leader's epoch is proposed in.
// ProposeISR holds the proposal pending until the next SetRole; members it
// adds count for the high watermark meanwhile (Kafka's maximal ISR). The
// ISR itself changes only through SetRole, from the metadata.
//
// Follower fetches (follower.go): ReadForFollower reads up to the log end,
// DivergingEpoch answers KIP-320's check, LatestEpoch is what a follower
// truncates from.
//
// Roles: AppendAsLeader assigns offsets and refuses with ErrNotLeader on a
// follower; AppendAsFollower stores the leader's batches with their offsets
// and epochs and refuses with ErrNotFollower on the leader. SetRole applies
// a leadership or ISR change from the metadata.
//
// Waiting: WaitForHighWatermark(ctx, offset) is the one waiting primitive,
// for acks=all and the coordinators: it returns once the high watermark
// reaches offset, when ctx ends, or with ErrNotLeader when the replica does
// not or no longer leads. Fetch long-polls register a channel with Watch,
// signalled when the log end offset or the high watermark moves.
// WaitDurable(ctx, offset) is the log's own wait, for the produce path
// under gregor.flush.before.ack: it returns once the local log has fsynced
// every batch below offset (group commit in storage), at once otherwise.
//
// Producer state follows Kafka's ProducerStateManager: per producer id the
// current epoch and the metadata of its last five batches, enough to answer a
// retried batch with its original offset. It is updated by leader and
// follower appends alike, written to `.snapshot` files (Kafka's v1 snapshot
// layout) on close and periodically, and rebuilt on open and after a
// truncation by loading the newest snapshot and replaying batch headers
// after it. As in Kafka since KIP-360, a producer stays known when retention
// or DeleteRecords removes its batches; a producer with no transaction
// ongoing whose last batch is older than producer.id.expiration.ms is
// forgotten (ExpireProducers, which the node runs every
// producer.id.expiration.check.interval.ms). A batch without a
// sequence (a coordinator's own transactional write) is checked for its
// epoch only.
//
// Transactions (txn.go): a transactional batch is appended only while its
// producer has a transaction ongoing here, or through AppendVerified with
// the guard VerifyTransaction handed out before the transaction
// coordinator confirmed the partition is in the transaction (KIP-890 part
// 1; a marker written meanwhile invalidates the guard). The producer state
// keeps each producer's currentTxnFirstOffset (persisted in the snapshot,
// Kafka's field) and the coordinator epoch of its last marker.
// WriteTxnMarker appends a commit or abort marker (refused for an older
// producer epoch or coordinator epoch); an abort is indexed in the log's
// aborted-transaction index (Log.AppendAbortedTransaction), also when a
// follower copies a marker and when a reopen replays markers after the
// snapshot. The last stable offset is min(first offset of the oldest
// undecided transaction, high watermark), where a transaction stays
// undecided until the high watermark passes its marker (Kafka's
// unreplicated transactions); ReadCommitted reads below it and answers
// the aborted transactions overlapping what it read.
//
// On a compacted topic every batch is decompressed at append, as a stream
// that holds no value, to refuse records without a key (INVALID_RECORD),
// as Kafka's LogValidator does.
//
// Locking: mu serializes appends and role changes; waitMu (taken after mu,
// never before) guards the waiters and watchers; the high watermark is an
// atomic read without either.
package partition
