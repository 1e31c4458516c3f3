// Package group is the consumer group coordinator: Kafka's classic
// protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup rebalancing), the
// consumer protocol of KIP-848 (ConsumerGroupHeartbeat with server-side
// assignors, see consumer_heartbeat.go), committed offsets and the admin
// views of groups.
//
// A group is classic or consumer: a consumer group with members refuses
// classic members (INCONSISTENT_GROUP_PROTOCOL) and a classic group with
// members refuses consumer-protocol members (GROUP_ID_NOT_FOUND), as Kafka
// with group.consumer.migration.policy=disabled; an empty group of either
// type becomes the other, keeping its offsets.
//
// State lives in the partitions of the internal topic __consumer_offsets.
// A group belongs to partition abs(hashCode(groupID)) % partitions; the
// coordinator serves the groups of the partitions led by this node, each
// a shard run by the coordinator runtime (internal/coord): one loop per
// partition orders every change of its groups, and timers (sessions,
// rebalance timeouts, the initial rebalance delay, KIP-848 member
// timers, the offsets retention check) fire as operations on that loop
// through the runtime's clock. Kafka's key and value schemas are used, so
// the topic reads the same as Kafka's.
//
// Persisted state changes only by replaying records (shard.Replay), the
// same code when a partition loads and when a change is live: an
// operation appends its records (offset commits and deletions, a classic
// group's metadata when a rebalance completes, a consumer group's records
// collected in a consumerTx, tombstones), the runtime replays them into
// the shard, and the answer waits until the high watermark passes them.
// What Kafka keeps only in memory stays in memory here too: the members
// of a classic rebalance in progress, pending member ids, the generation
// until it is stored, session deadlines. Requests that wait (JoinGroup
// until the rebalance completes, SyncGroup until the leader's assignment)
// park on a channel that the loop answers, never holding the loop.
//
// Transactional offsets (TxnOffsetCommit, txn_offsets.go) are written as a
// transactional batch of the producer and stay pending in the shard until
// the transaction's marker reaches the partition: CompleteTransaction,
// called by whoever wrote the marker, commits or drops them. A load
// replays them at their commit marker and keeps those of transactions
// still open pending again. A fetch that requires stable offsets
// (FetchStable, KIP-447) gets the partitions with pending offsets as
// unstable instead of their last committed offset.
package group
