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
// type becomes the other, keeping its offsets. A consumer group's state
// changes only by applying its records (consumer_records.go), the same way
// when it is loaded and when it is live: a change collects records in a
// consumerTx, appends them, then installs the result.
//
// State lives in the partitions of the internal topic __consumer_offsets.
// A group belongs to partition abs(javaHash(groupID)) % partitions; the
// coordinator serves the groups of the partitions led by this node. When a
// partition becomes led here, its groups are rebuilt by replaying the
// partition (Kafka's key and value schemas, so the topic reads the same as
// Kafka's); every change is appended to it before it is acknowledged.
//
// Each partition is a shard with one mutex that orders every change of its
// groups, as Kafka's coordinator runtime runs one event loop per partition.
// Requests that wait (JoinGroup until the rebalance completes, SyncGroup
// until the leader's assignment) park on a channel, never holding the lock.
package group
