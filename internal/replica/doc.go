// Package replica is the replica manager: it keeps the local replicas in
// step with the metadata image and copies the partitions this node follows.
//
// Apply (the metadata publisher) opens a replica for every partition whose
// replicas include this node, as leader when the image says this node
// leads it and as follower otherwise, and applies each change of leader,
// leader epoch or ISR with partition.SetRole. A replica the image takes off
// this node is stopped and its log deleted (Kafka's StopReplica with
// delete): a replica a reassignment removes goes this way once the
// reassignment completes. OnLeader and OnStop tell the coordinators of
// leadership only. Partition answers lookups with leaders only: clients
// and follower fetches reach leaders; Replica answers with any local
// replica, for consumers that fetch from the closest replica (KIP-392).
//
// With Replication set (a node of a cluster), Run runs one fetcher per
// leader broker (fetcher.go; Kafka's ReplicaFetcherThread with
// num.replica.fetchers=1). A fetcher copies every partition it follows
// from that leader through a FetchSource (source.go), an interface so that
// tests use an in-memory leader; the node supplies a Dialer that reaches
// the leader's inter-broker listener. A partition that starts following,
// or whose leader or leader epoch changes, first truncates to its leader's
// log (truncate.go, KIP-101/KIP-279: OffsetForLeaderEpoch for its latest
// epoch, stepping back an epoch at a time) and then fetches from its log
// end with its last fetched epoch, truncating again on a diverging epoch
// (KIP-320). Fetched batches are stored with the leader's offsets and
// epochs (AppendAsFollower, which also updates producer state and the
// leader-epoch checkpoint) and the high watermark taken from the answer.
// Errors back off by replica.fetch.backoff.ms per partition, but for a
// leader that has not applied the follower's leader epoch yet (or the
// reverse), which is retried after 50 ms: unlike Kafka, so that a moved
// leadership is not a second of stalled acks=all produce. A broken
// connection is redialled.
//
// Run also applies the ISR rule (partition.ProposeISR) to every partition
// led here, every half of replica.lag.time.max.ms and whenever a follower
// catches up, and sends each change to the Controller (AlterPartition);
// the ISR changes locally only when the image that holds it is applied.
package replica
