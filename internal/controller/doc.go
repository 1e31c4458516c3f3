// Package controller owns the cluster metadata: it is this node's member
// of the controller quorum, a Raft group (go.etcd.io/raft/v3) whose log is
// the `__cluster_metadata` log. It turns typed requests into metadata
// records, commits them through the quorum, applies every committed entry
// to the image and publishes it.
//
// Every write is a Request (requests.go): CreateTopicsRequest,
// DeleteTopicsRequest, CreatePartitionsRequest, AlterConfigsRequest
// (incremental or replacing), AllocateProducerIDsRequest,
// RegisterBrokerRequest, BrokerHeartbeatRequest and UnregisterBrokerRequest
// (lifecycle.go),
// AlterPartitionRequest (a partition leader's ISR change, alter_partition.go),
// AlterScramCredentialsRequest (scram.go), AlterClientQuotasRequest
// (quotas.go), CreateACLsRequest and
// DeleteACLsRequest (acls.go), ElectLeadersRequest (election.go),
// AlterPartitionReassignmentsRequest (reassign.go) and the delegation
// token requests (tokens.go: create, renew, expire; the active controller
// removes expired tokens every delegation.token.expiry.check.interval.ms,
// the operations taking the controller's clock as an input), each answered by the
// Response of the same name; DescribeQuorumRequest (status.go) reads the
// leader's raft status and writes nothing. Requests are plain data, never
// functions, so that a node can forward one to the active controller. A
// request that names several items (topics, resources) treats each on its
// own: one failing does not stop the others, and its error is in the
// response; validate-only requests run every check and return no records.
//
// operate is the one switch over request types; each case is a pure
// function of the image, the Cluster (defaults and the config schema of
// internal/config, taken from the node's configuration) and the request,
// returning records and a response (ops.go; configs.go for config
// changes; lifecycle.go for heartbeats, fencing and leader election).
// Brokers come from the image's registration records: replicas are placed
// on registered, unfenced brokers by Kafka's rack-aware assignment
// (internal/placement), starting at the broker that is preferred leader of
// the fewest partitions (placement.go); a replication factor above the live
// brokers is INVALID_REPLICATION_FACTOR. What is not pure — new topic ids, the
// log offset that becomes a broker epoch — the loop draws and passes in.
//
// The loop (Run, loop.go) drives a raft.RawNode: it ticks every 50 ms,
// steps messages from the other voters, and for each Ready persists (disk.go),
// sends, applies committed entries and advances. Submit on the leader (the
// active controller) queues the request; one at a time, the loop executes
// it against the image, proposes its records as one entry, and answers
// once the entry is committed and applied, after the Publisher has seen
// the new image. The first entry of a new cluster's log also finalizes
// the bootstrapped features at their defaults (metadata.BootstrapRecords:
// transaction.version 2); a log that has entries but no such record was
// written by an older Gregor, whose cluster stays at level 0 until
// UpdateFeatures upgrades it. A new leader first applies every entry of earlier terms.
// Submit on another node forwards the request to the leader and, before
// returning, waits until this node has applied the index the leader
// reports, so that a client reads its write from this node's image; while
// there is no leader, or it moves, Submit retries until its context ends.
//
// Storage (disk.go): each raft entry is one batch of the metadata log
// holding one record: the batch's offset is the entry's index - 1, its
// leader epoch the entry's term, the record's key the entry type and its
// value the entry's data (an entry of a request: the proposer, a sequence
// number and the records, JSON). The HardState goes to quorum-state,
// fsynced, whenever the term or vote changes, before the Ready's entries
// (fsynced too) and before any message is sent. When the entries applied
// after the latest snapshot hold metadata.log.max.record.bytes.between.snapshots
// bytes, or metadata.log.max.snapshot.interval.ms has passed since it with
// entries applied after it (as KRaft decides), the image is written, as
// records in record batches, to
// <index>-<term>.checkpoint (KRaft's <offset>-<epoch>), and the log below
// it is deleted, so start-up loads the newest checkpoint and the entries
// after it. A sole voter treats every stored entry as committed; with
// several voters, quorum-state.commit (not fsynced) tells a restarted node
// how far it may apply before it hears from the leader. A log written
// before the quorum existed is replayed once and becomes the first
// checkpoint. Membership is static: controller.quorum.voters (node id n
// is raft id n+1), or this node alone when unset, in which case it
// campaigns at once.
//
// Transport (transport.go): the CONTROLLER listener carries length-prefixed
// frames (a 4-byte length, a kind byte, the payload): a hello with the
// cluster id first on every connection (a node of another cluster is
// refused, and a node that finds every other voter of another cluster
// stops with that reason), raft
// messages (protobuf) on one long-lived connection per peer with a queue
// that drops when full, and forwarded requests and their replies (JSON,
// forward.go) and observers' fetches on a connection per request. Errors cross as the sentinel
// they wrap, by name, and their message.
//
// Observers (observer.go): a broker-only node, not among the voters, runs
// no raft node. It fetches committed entries (or a snapshot, when they were
// compacted) from the leader, or from the voters in turn while it knows
// none, long-polling; it stores them in its own log and checkpoints as a
// voter does, applies and publishes them, and forwards its requests. The
// leader lists the observers that fetch from it in DescribeQuorum.
//
// Broker lifecycle (lifecycle.go): the leader keeps each broker's session
// in memory; a broker silent for the session timeout is fenced — its
// registration marked fenced, its replicas out of every ISR they are not
// the last member of, its leaderships moved to the first live ISR member
// (or, with unclean.leader.election.enable, the first live replica; else
// no leader, -1), leader and partition epochs bumped. A fenced broker that
// heartbeats again is unfenced and leads the partitions left without a
// leader that it can lead. A heartbeat with WantShutdown fences the broker
// at once: the controlled shutdown of a stopping node.
//
// Leadership (election.go): leaders come from the ISR only, unless
// unclean.leader.election.enable (topic, dynamic cluster default, static
// config). ElectLeaders elects preferred leaders (the first replica, when
// live and in sync) or, uncleanly, gives leaderless partitions a leader,
// answering per partition as KRaft does. With auto.leader.rebalance.enable
// the leader queues a balance every leader.imbalance.check.interval.seconds:
// preferred elections for each broker whose share of preferred partitions
// it does not lead exceeds leader.imbalance.per.broker.percentage.
//
// Reassignment (reassign.go): KRaft's semantics. A partition being moved
// records its replicas as target plus those leaving, with adding and
// removing replicas; the ISR change that takes in the last adding replica
// completes it (AlterPartition calls CompleteReassignment), moving a
// leader that is removed; a cancellation drops the adding replicas.
package controller
