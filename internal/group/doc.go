// Package group is the consumer group coordinator of Kafka's classic
// protocol: JoinGroup/SyncGroup/Heartbeat/LeaveGroup rebalancing, committed
// offsets and the admin views of groups.
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
