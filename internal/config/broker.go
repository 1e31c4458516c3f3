package config

import (
	"sort"
	"strconv"
	"strings"
)

// brokerDef is one known broker property. Every other view of the broker
// configuration (defaults, validation, Entries, unknown-key warnings, topic
// synonyms) derives from brokerDefs.
type brokerDef struct {
	name string
	typ  string // one of the type* constants
	def  string // Kafka's default as a string; ignored when null
	null bool   // Kafka's default is null: unset unless given
	doc  string
	// check, if set, validates a value that has already passed the type check.
	check checker
	// dynamic marks keys Kafka can update per broker at runtime; the others are
	// reported read-only.
	dynamic bool
	// dynamicOnly marks keys Kafka knows only as dynamic broker configs (the
	// replication quotas): DescribeConfigs lists them only when set
	// dynamically, with no default synonym.
	dynamicOnly bool
	// set, if non-nil, stores a valid non-null value in its Config field.
	set func(c *Config, value string)
}

var (
	nonNegative = atLeast(0)
	positive    = atLeast(1)
)

// The replica selectors replica.selector.class accepts (KIP-392), by
// Kafka's class names.
const (
	RackAwareReplicaSelector = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
	LeaderSelector           = "org.apache.kafka.common.replica.LeaderSelector"
)

var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// brokerDefs is the table of known broker properties, in Kafka 4.x's names and
// defaults except where marked "gregor:" (our single-node dev defaults).
var brokerDefs = []brokerDef{
	// Identity and roles.
	{name: "node.id", typ: typeInt, def: "1", doc: "The node ID of this server (gregor: defaults to 1 for single-node dev mode).",
		set: i32(func(c *Config) *int32 { return &c.NodeID })},
	{name: "broker.id", typ: typeInt, def: "-1", doc: "Alias of node.id kept for compatibility; if both are set they must match."},
	{name: "broker.rack", typ: typeString, null: true, doc: "Rack of the broker, used in rack-aware replica placement."},
	{name: "process.roles", typ: typeList, def: "broker,controller", check: listOf("broker", "controller"),
		doc: "The roles this node plays: broker, controller, or both (gregor: defaults to both).",
		set: list(func(c *Config) *[]string { return &c.ProcessRoles })},

	// Listeners.
	{name: "listeners", typ: typeString, def: "PLAINTEXT://localhost:9092",
		doc: "Comma-separated listener URIs NAME://host:port; an empty host binds all interfaces (gregor: defaults to PLAINTEXT://localhost:9092)."},
	{name: "advertised.listeners", typ: typeString, null: true, dynamic: true,
		doc: "Listeners published to clients if different from listeners; by default listeners minus the controller listeners."},
	{name: "listener.security.protocol.map", typ: typeString, def: "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT", dynamic: true,
		doc: "Map from listener name to security protocol, as NAME:PROTOCOL pairs."},
	{name: "inter.broker.listener.name", typ: typeString, null: true,
		doc: "Listener used between brokers; defaults to the listener named after security.inter.broker.protocol."},
	{name: "security.inter.broker.protocol", typ: typeString, def: "PLAINTEXT", check: oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
		doc: "Security protocol used between brokers when inter.broker.listener.name is not set."},
	{name: "controller.listener.names", typ: typeString, null: true,
		doc: "Comma-separated names of the listeners used by the controller.",
		set: func(c *Config, v string) { c.ControllerListenerNames = splitList(v) }},
	{name: "controller.quorum.voters", typ: typeList, def: "",
		doc: "Map of id/endpoint for the set of voters, as id@host:port pairs.",
		set: str(func(c *Config) *string { return &c.ControllerQuorumVoters })},
	{name: "controller.quorum.bootstrap.servers", typ: typeList, def: "",
		doc: "host:port pairs used to discover the controller quorum when controller.quorum.voters is not set: a broker asks them for the voters; a controller takes its voters from `storage format --standalone` or `--initial-controllers`.",
		set: list(func(c *Config) *[]string { return &c.QuorumBootstrapServers })},
	{name: "broker.heartbeat.interval.ms", typ: typeInt, def: "2000", check: positive,
		doc: "The interval between heartbeats a broker sends to the active controller.",
		set: i32(func(c *Config) *int32 { return &c.BrokerHeartbeatIntervalMs })},
	{name: "broker.session.timeout.ms", typ: typeInt, def: "9000", check: positive,
		doc: "A broker that sends no heartbeat for this long is fenced by the active controller.",
		set: i32(func(c *Config) *int32 { return &c.BrokerSessionTimeoutMs })},

	// Network.
	{name: "num.network.threads", typ: typeInt, def: "3", check: positive, dynamic: true, doc: "Threads receiving requests from and sending responses to the network. Accepted for compatibility; no effect in Gregor: each connection has a goroutine of its own that reads, serves and answers its requests (Go's scheduler spreads them over the CPUs)."},
	{name: "num.io.threads", typ: typeInt, def: "8", check: positive, dynamic: true, doc: "Threads processing requests, which may include disk I/O. Accepted for compatibility; no effect in Gregor: a connection's own goroutine serves its requests; queued.max.requests bounds how many are served at once."},
	{name: "background.threads", typ: typeInt, def: "10", check: positive, dynamic: true, doc: "Threads used for background tasks. Accepted for compatibility; no effect in Gregor: background tasks are goroutines of their own."},
	{name: "queued.max.request.bytes", typ: typeLong, def: "104857600", doc: "Bytes of requests being read or served at once over all connections; -1: no limit (Kafka's default; gregor's is 100 MiB)."},
	{name: "queued.max.requests", typ: typeInt, def: "500", check: positive, doc: "Queued requests allowed before blocking the network threads."},
	{name: "socket.send.buffer.bytes", typ: typeInt, def: "102400", doc: "The SO_SNDBUF buffer of the socket server sockets, on every listener; -1 uses the OS default (gregor: as does any value below 1)."},
	{name: "socket.receive.buffer.bytes", typ: typeInt, def: "102400", doc: "The SO_RCVBUF buffer of the socket server sockets, on every listener; -1 uses the OS default (gregor: as does any value below 1)."},
	{name: "socket.request.max.bytes", typ: typeInt, def: "104857600", check: positive, doc: "The maximum size of a request frame.",
		set: i32(func(c *Config) *int32 { return &c.SocketRequestMaxBytes })},
	{name: "connections.max.idle.ms", typ: typeLong, def: "600000", doc: "Idle connections are closed after this many milliseconds."},
	{name: "max.connections", typ: typeInt, def: maxInt, check: nonNegative, dynamic: true, doc: "Maximum connections allowed on the broker."},
	{name: "max.connections.per.ip", typ: typeInt, def: maxInt, check: nonNegative, dynamic: true, doc: "Maximum connections allowed from each IP address."},
	{name: "max.connections.per.ip.overrides", typ: typeString, def: "", check: connectionOverrides, dynamic: true,
		doc: "Per-IP or hostname overrides of max.connections.per.ip, as host:count pairs separated by commas."},
	// Client quotas (KIP-13): the sampling of every quota's rate.
	{name: "quota.window.num", typ: typeInt, def: "11", check: atLeast(1), doc: "The number of samples to retain in memory for client quotas."},
	{name: "quota.window.size.seconds", typ: typeInt, def: "1", check: atLeast(1), doc: "The time span of each sample for client quotas."},
	// Replication quotas (KIP-73): bytes per second a broker copies for the
	// replicas its topics' leader/follower.replication.throttled.replicas name.
	{name: "leader.replication.throttled.rate", typ: typeLong, def: maxLong, check: nonNegative, dynamic: true, dynamicOnly: true,
		doc: "Bytes per second this broker, as leader, sends to followers of the replicas named in a topic's leader.replication.throttled.replicas while those followers are not in sync (a fetch past the rate gets no data for them until it falls). Set by reassign-partitions --throttle."},
	{name: "follower.replication.throttled.rate", typ: typeLong, def: maxLong, check: nonNegative, dynamic: true, dynamicOnly: true,
		doc: "Bytes per second this broker, as follower, fetches for its replicas named in a topic's follower.replication.throttled.replicas while they are not in sync (past the rate they are left out of its fetches until it falls). Set by reassign-partitions --throttle."},
	{name: "replica.alter.log.dirs.io.max.bytes.per.second", typ: typeLong, def: maxLong, check: nonNegative, dynamic: true, dynamicOnly: true,
		doc: "Bytes per second that copies of replicas moving between this broker's log dirs (AlterReplicaLogDirs) read, together. The last round of a copy, which holds the log's appends, is not throttled."},
	{name: "replication.quota.window.num", typ: typeInt, def: "11", check: atLeast(1), doc: "The number of samples to retain in memory for replication quotas."},
	{name: "replication.quota.window.size.seconds", typ: typeInt, def: "1", check: atLeast(1), doc: "The time span of each sample for replication quotas."},
	{name: "controller.quota.window.num", typ: typeInt, def: "11", check: atLeast(1), doc: "The number of samples to retain in memory for controller mutation quotas."},
	{name: "controller.quota.window.size.seconds", typ: typeInt, def: "1", check: atLeast(1), doc: "The time span of each sample for controller mutations quotas."},
	// Observability (gregor): the HTTP admin listener and the logs.
	{name: "http.listeners", typ: typeString, def: "http://127.0.0.1:9644", check: httpListeners,
		doc: "The HTTP admin listener (metrics, health, console) as http://host:port; empty turns it off (gregor)."},
	{name: "schema.registry.listeners", typ: typeString, def: "http://127.0.0.1:8081", check: serviceListeners,
		doc: "The schema registry's listener (Confluent Schema Registry's REST API) as http://host:port, or https://host:port with TLS (schema.registry.ssl.*); empty turns it off (gregor)."},
	{name: "schema.registry.authentication.method", typ: typeString, def: "NONE", check: oneOf("NONE", "BASIC", "BEARER"),
		doc: "How the schema registry authenticates HTTP clients: NONE; BASIC (HTTP basic authentication against schema.registry.authentication.users.file); or BEARER (an OAuth JWT validated against schema.registry.oauthbearer.jwks.endpoint.url), as Confluent's authentication.method (gregor)."},
	{name: "schema.registry.authentication.users.file", typ: typeString, def: "",
		doc: "The users of BASIC authentication of the schema registry, one a line as Jetty's property user store (Confluent's JAAS PropertyFileLoginModule file): user: password[,role...]; a password is plain text or MD5:<hex digest>; # starts a comment (gregor)."},
	{name: "schema.registry.authentication.roles", typ: typeString, def: "*",
		doc: "The roles, comma-separated, of which a user needs one to use the schema registry; * lets every user in (Confluent's authentication.roles) (gregor)."},
	{name: "http.pprof.enable", typ: typeBoolean, def: "false", doc: "Serve Go's pprof profiles under /debug/pprof/ on the HTTP listener (gregor)."},
	{name: "http.console.read.only", typ: typeBoolean, def: "false", doc: "The web console shows but never changes anything (gregor)."},
	{name: "http.console.sasl.mechanism", typ: typeString, def: "", check: oneOf("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
		doc: "When set, the web console asks for a user name and password (HTTP Basic) and reaches the node as that user with this SASL mechanism on its first SASL_PLAINTEXT listener that enables it, so the node's ACLs apply to each user; empty: no login (gregor)."},
	// The REST proxy (gregor): Confluent REST Proxy's v2 and v3 APIs.
	{name: "rest.proxy.listeners", typ: typeString, def: "http://127.0.0.1:8082", check: serviceListeners,
		doc: "The REST proxy listener (Confluent REST Proxy's v2 and v3 APIs) as http://host:port, or https://host:port with TLS (rest.proxy.ssl.*); empty turns it off (gregor)."},
	{name: "rest.proxy.consumer.instance.timeout.ms", typ: typeLong, def: "300000", check: positive,
		doc: "A REST proxy consumer instance idle this long is closed (consumer.instance.timeout.ms of Confluent REST Proxy)."},
	{name: "rest.proxy.request.max.bytes", typ: typeInt, def: "67108864", check: positive,
		doc: "The largest REST proxy request body; in a streamed v3 produce, the largest record object (gregor)."},
	{name: "rest.proxy.request.timeout.ms", typ: typeLong, def: "30000", check: positive,
		doc: "Bounds each REST proxy request; in a streamed v3 produce, each record's read and produce (gregor)."},
	{name: "rest.proxy.authentication.method", typ: typeString, def: "NONE", check: oneOf("NONE", "BASIC", "BEARER"),
		doc: "How the REST proxy authenticates HTTP clients: NONE; BASIC (HTTP basic authentication against rest.proxy.authentication.users.file); or BEARER (an OAuth JWT validated against rest.proxy.oauthbearer.jwks.endpoint.url), as Confluent's authentication.method (gregor)."},
	{name: "rest.proxy.auth.propagate.method", typ: typeString, def: "NONE", check: oneOf("NONE", "JETTY_AUTH"),
		doc: "JETTY_AUTH: each REST proxy request reaches Kafka as the principal that authenticated it over HTTP (a BEARER token with OAUTHBEARER, a BASIC user with rest.proxy.kafka.sasl.mechanism), so the broker's ACLs apply to it; NONE: as the proxy (Confluent's confluent.rest.auth.propagate.method) (gregor)."},
	{name: "rest.proxy.kafka.sasl.mechanism", typ: typeString, def: "PLAIN", check: oneOf("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
		doc: "With rest.proxy.auth.propagate.method=JETTY_AUTH and BASIC authentication: the SASL mechanism with which a user's requests authenticate to Kafka, with the user's password (gregor)."},
	{name: "rest.proxy.authentication.users.file", typ: typeString, def: "",
		doc: "The users of BASIC authentication of the REST proxy, one a line as Jetty's property user store (Confluent's JAAS PropertyFileLoginModule file): user: password[,role...]; a password is plain text or MD5:<hex digest>; # starts a comment (gregor)."},
	{name: "rest.proxy.authentication.roles", typ: typeString, def: "*",
		doc: "The roles, comma-separated, of which a user needs one to use the REST proxy; * lets every user in (Confluent's authentication.roles) (gregor)."},
	{name: "log.format", typ: typeString, def: "text", check: oneOf("text", "json"), doc: "The broker's log format: text or json (gregor)."},
	{name: "log.level", typ: typeString, def: "info", check: oneOf("debug", "info", "warn", "error"), doc: "The broker's log level: debug, info, warn or error (gregor)."},

	{name: "message.max.bytes", typ: typeInt, def: "1048588", check: nonNegative, dynamic: true, doc: "The largest record batch size allowed.",
		set: i32(func(c *Config) *int32 { return &c.MessageMaxBytes })},
	{name: "fetch.max.bytes", typ: typeInt, def: "57671680", check: atLeast(1024),
		doc: "The maximum bytes returned for a fetch request; a request asking for more gets this many (at least one record batch is returned, even if larger).",
		set: i32(func(c *Config) *int32 { return &c.FetchMaxBytes })},

	// Topics and replication.
	{name: "num.partitions", typ: typeInt, def: "1", check: positive, doc: "The default number of partitions per topic.",
		set: i32(func(c *Config) *int32 { return &c.NumPartitions })},
	{name: "default.replication.factor", typ: typeInt, def: "1", check: shortRange(1), doc: "The default replication factor for created topics.",
		set: func(c *Config, v string) { n, _ := strconv.ParseInt(v, 10, 16); c.DefaultReplicationFactor = int16(n) }},
	{name: "min.insync.replicas", typ: typeInt, def: "1", check: positive, dynamic: true, doc: "Replicas that must acknowledge an acks=all write.",
		set: i32(func(c *Config) *int32 { return &c.MinInsyncReplicas })},
	{name: "max.request.partition.size.limit", typ: typeInt, def: "2000", check: positive,
		doc: "The most partitions one DescribeTopicPartitions answer describes; a client asks for the rest from the cursor it is given."},
	{name: "auto.create.topics.enable", typ: typeBoolean, def: "true", doc: "Enable automatic topic creation on the server.",
		set: boolean(func(c *Config) *bool { return &c.AutoCreateTopicsEnable })},
	{name: "delete.topic.enable", typ: typeBoolean, def: "true", doc: "Enables topic deletion.",
		set: boolean(func(c *Config) *bool { return &c.DeleteTopicEnable })},
	{name: "auto.leader.rebalance.enable", typ: typeBoolean, def: "true", doc: "Periodically move leadership back to preferred replicas."},
	{name: "leader.imbalance.check.interval.seconds", typ: typeLong, def: "300", check: positive, doc: "How often the controller checks leader balance."},
	{name: "leader.imbalance.per.broker.percentage", typ: typeInt, def: "10", check: nonNegative, doc: "The share of a broker's preferred partitions it may not lead before the controller rebalances them."},
	{name: "replica.selector.class", typ: typeString, null: true, check: oneOf(RackAwareReplicaSelector, LeaderSelector),
		doc: "The replica selector: org.apache.kafka.common.replica.RackAwareReplicaSelector lets consumers with client.rack fetch from a replica in their rack."},
	{name: "unclean.leader.election.enable", typ: typeBoolean, def: "false", dynamic: true, doc: "Allow replicas outside the ISR to become leader, at the risk of data loss."},
	{name: "replica.lag.time.max.ms", typ: typeLong, def: "30000", doc: "A follower that has not caught up for this long is removed from the ISR."},
	{name: "replica.fetch.max.bytes", typ: typeInt, def: "1048576", check: nonNegative, doc: "Bytes per partition a follower fetches."},
	{name: "replica.fetch.min.bytes", typ: typeInt, def: "1", doc: "Minimum bytes for a follower fetch response."},
	{name: "replica.fetch.wait.max.ms", typ: typeInt, def: "500", doc: "Maximum wait of a follower fetch."},
	{name: "request.timeout.ms", typ: typeInt, def: "30000", check: positive,
		doc: "How long a write of the transaction coordinator waits for its records to reach every in-sync replica of __transaction_state before it answers COORDINATOR_NOT_AVAILABLE; the records stay in the log and may still commit."},
	{name: "replica.socket.timeout.ms", typ: typeInt, def: "30000",
		doc: "The socket timeout for network requests of a follower to its leader: one not answered by then fails and the follower reconnects. Its value should be at least replica.fetch.wait.max.ms."},
	{name: "num.replica.fetchers", typ: typeInt, def: "1", check: positive, dynamic: true, doc: "Fetcher threads per source broker. Accepted for compatibility; no effect in Gregor: a follower fetches all it follows from one leader with one fetcher (Kafka's default, 1)."},
	{name: "controlled.shutdown.enable", typ: typeBoolean, def: "true",
		doc: "A broker that stops cleanly first asks the controller to move its leaderships to other brokers; false: it just stops, and its partitions move once the controller fences it (broker.session.timeout.ms).",
		set: boolean(func(c *Config) *bool { return &c.ControlledShutdownEnable })},
	{name: "compression.type", typ: typeString, def: "producer", check: oneOf(compressionTypes...), dynamic: true,
		doc: "Default final compression of topic data: gzip, snappy, lz4 or zstd, uncompressed, or producer to keep the producer's codec. With a codec, the leader re-encodes a produced batch in another codec before storing it (control batches stay uncompressed); followers copy the leader's bytes."},

	{name: "compression.gzip.level", typ: typeInt, def: "-1", check: gzipLevel, dynamic: true,
		doc: "The compression level to use if compression.type is set to gzip: 1 (fastest) to 9 (smallest), or -1 for the codec's default."},
	{name: "compression.lz4.level", typ: typeInt, def: "9", check: intBetween(1, 17), dynamic: true,
		doc: "The compression level to use if compression.type is set to lz4: 9, the default, is the fast compressor; another level the high-compression one at that level (levels above 9 compress as 9)."},
	{name: "compression.zstd.level", typ: typeInt, def: "3", check: intBetween(-131072, 22), dynamic: true,
		doc: "The compression level to use if compression.type is set to zstd; Gregor's encoder has four speeds: below 3, 3 to 5, 6 to 9, and 10 or more."},
	// Log.
	{name: "log.dir", typ: typeList, def: "./gregor-data", doc: "The directory holding log data, used when log.dirs is not set (gregor: defaults to ./gregor-data)."},
	{name: "log.dirs", typ: typeList, null: true, doc: "Comma-separated directories holding log data; if not set, log.dir is used."},
	{name: "metadata.log.dir", typ: typeString, null: true, doc: "Directory of the cluster metadata log; if not set, the first log directory."},
	{name: "metadata.log.max.record.bytes.between.snapshots", typ: typeLong, def: "20971520", check: positive,
		doc: "A snapshot of the metadata is taken once the metadata log holds this many bytes after the latest one.",
		set: func(c *Config, v string) { c.MetadataSnapshotMaxNewRecordBytes, _ = strconv.ParseInt(v, 10, 64) }},
	{name: "metadata.log.max.snapshot.interval.ms", typ: typeLong, def: "3600000", check: nonNegative,
		doc: "A snapshot of the metadata is taken this long after the latest one if the log has records after it; 0 disables time-based snapshots.",
		set: func(c *Config, v string) { c.MetadataSnapshotMaxIntervalMs, _ = strconv.ParseInt(v, 10, 64) }},
	{name: "log.segment.bytes", typ: typeInt, def: "1073741824", check: atLeast(1024 * 1024), dynamic: true, doc: "The maximum size of a single log segment file.",
		set: func(c *Config, v string) { c.LogSegmentBytes, _ = strconv.ParseInt(v, 10, 64) }},
	{name: "log.roll.ms", typ: typeLong, null: true, check: positive, dynamic: true, doc: "Maximum age of a segment before it is rolled, in ms; if not set, log.roll.hours."},
	{name: "log.roll.hours", typ: typeInt, def: "168", check: positive, doc: "Maximum age of a segment before it is rolled, in hours."},
	{name: "log.roll.jitter.ms", typ: typeLong, null: true, check: nonNegative, dynamic: true, doc: "Maximum jitter subtracted from the roll time, in ms; if not set, log.roll.jitter.hours."},
	{name: "log.roll.jitter.hours", typ: typeInt, def: "0", check: nonNegative, doc: "Maximum jitter subtracted from the roll time, in hours."},
	{name: "log.retention.ms", typ: typeLong, null: true, dynamic: true, doc: "Time to keep a segment before deleting it, in ms; -1 means no limit. If not set, log.retention.minutes."},
	{name: "log.retention.minutes", typ: typeInt, null: true, doc: "Time to keep a segment, in minutes; if not set, log.retention.hours."},
	{name: "log.retention.hours", typ: typeInt, def: "168", doc: "Time to keep a segment, in hours."},
	{name: "log.retention.bytes", typ: typeLong, def: "-1", dynamic: true, doc: "Maximum size of a partition's log before old segments are deleted; -1 means no limit.",
		set: i64(func(c *Config) *int64 { return &c.LogRetentionBytes })},
	{name: "log.retention.check.interval.ms", typ: typeLong, def: "300000", check: positive, doc: "How often retention is checked.",
		set: i64(func(c *Config) *int64 { return &c.LogRetentionCheckIntervalMs })},
	{name: "log.cleanup.policy", typ: typeList, def: "delete", check: listOf("compact", "delete"), dynamic: true, doc: "Default cleanup policy: delete, compact, or both.",
		set: func(c *Config, v string) { c.LogCleanupPolicy = strings.Join(splitList(v), ",") }},
	{name: "log.index.interval.bytes", typ: typeInt, def: "4096", check: nonNegative, dynamic: true, doc: "Bytes between entries of the offset index.",
		set: i32(func(c *Config) *int32 { return &c.LogIndexIntervalBytes })},
	{name: "log.index.size.max.bytes", typ: typeInt, def: "10485760", check: atLeast(4), dynamic: true, doc: "Maximum size of an offset index file.",
		set: i32(func(c *Config) *int32 { return &c.LogIndexSizeMaxBytes })},
	{name: "log.flush.interval.messages", typ: typeLong, def: maxLong, check: positive, dynamic: true, doc: "Messages appended to a partition before it is fsynced.",
		set: i64(func(c *Config) *int64 { return &c.LogFlushIntervalMessages })},
	{name: "log.flush.interval.ms", typ: typeLong, null: true, check: nonNegative, dynamic: true, doc: "Maximum time a message stays unflushed, in ms; if not set, log.flush.scheduler.interval.ms."},
	{name: "log.flush.scheduler.interval.ms", typ: typeLong, def: maxLong, doc: "How often the flusher checks whether a log needs flushing."},
	{name: "log.flush.offset.checkpoint.interval.ms", typ: typeInt, def: "60000", check: nonNegative,
		doc: "How often the recovery points (up to where each log is known flushed) are checkpointed, in every log dir's recovery-point-offset-checkpoint; they are at a clean stop too. 0: only then (gregor).",
		set: i32(func(c *Config) *int32 { return &c.RecoveryPointCheckpointMs })},
	{name: "log.flush.start.offset.checkpoint.interval.ms", typ: typeInt, def: "60000", check: nonNegative, doc: "How often the log start offset is checkpointed. Accepted for compatibility; no effect in Gregor: a log's start offset is written to its log-start-offset file, durably, whenever it moves, so there is nothing to checkpoint."},
	{name: "log.segment.delete.delay.ms", typ: typeLong, def: "60000", check: nonNegative, dynamic: true, doc: "Delay before a deleted segment's files are removed."},
	{name: "gregor.flush.before.ack", typ: typeBoolean, def: "false", dynamic: true,
		doc: "Acknowledge a produce (acks=1 and acks=all) only once an fsync covers its records, shared by concurrent appends (group commit): a power cut then loses nothing acknowledged. Gregor's own; Kafka has no such setting."},
	{name: "gregor.log.fd.cache.size", typ: typeInt, def: "0", check: nonNegative,
		doc: "Segment files kept open across all partitions; idle ones beyond it are closed and reopened on demand, so that many partitions need few descriptors. 0: half of the process's open-file limit. Gregor's own; Kafka keeps every segment open.",
		set: i32(func(c *Config) *int32 { return &c.LogFDCacheSize })},
	{name: "gregor.fetch.sendfile.enable", typ: typeBoolean, def: "true",
		doc: "On PLAINTEXT and SASL_PLAINTEXT listeners, send a consumer's (read_uncommitted) or a follower's Fetch records from the segment file with sendfile(2) rather than reading them first, for batches appended since the segment was opened (older ones are read and their CRCs checked). Gregor's own; Kafka always uses sendfile on plaintext listeners.",
		set: boolean(func(c *Config) *bool { return &c.FetchSendfileEnable })},
	{name: "log.preallocate", typ: typeBoolean, def: "false", dynamic: true, doc: "Preallocate segment files. Accepted for compatibility; no effect in Gregor: segment and index files grow as they are written."},
	{name: "log.message.timestamp.type", typ: typeString, def: "CreateTime", check: oneOf("CreateTime", "LogAppendTime"), dynamic: true, doc: "Record timestamps: CreateTime or LogAppendTime."},
	{name: "log.message.timestamp.before.max.ms", typ: typeLong, def: maxLong, check: nonNegative, dynamic: true, doc: "How far a CreateTime timestamp may be before the broker's clock."},
	{name: "log.message.timestamp.after.max.ms", typ: typeLong, def: "3600000", check: nonNegative, dynamic: true, doc: "How far a CreateTime timestamp may be after the broker's clock."},
	{name: "num.recovery.threads.per.data.dir", typ: typeInt, def: "2", check: positive, dynamic: true, doc: "Threads per log dir for recovery at startup and flushing at shutdown. Accepted for compatibility; no effect in Gregor: a start opens, and a clean stop flushes and closes, 16 logs of a log dir at a time (2 made closing 2,000 logs two to three times slower)."},

	// Log cleaner.
	{name: "log.cleaner.enable", typ: typeBoolean, def: "true", doc: "Run the log cleaner (needed for compacted topics such as __consumer_offsets).",
		set: boolean(func(c *Config) *bool { return &c.LogCleanerEnable })},
	{name: "log.cleaner.threads", typ: typeInt, def: "1", check: nonNegative, dynamic: true, doc: "Background threads for log cleaning.",
		set: i32(func(c *Config) *int32 { return &c.LogCleanerThreads })},
	{name: "log.cleaner.backoff.ms", typ: typeLong, def: "15000", check: nonNegative, dynamic: true, doc: "Sleep when there is nothing to clean.",
		set: i64(func(c *Config) *int64 { return &c.LogCleanerBackoffMs })},
	{name: "log.cleaner.delete.retention.ms", typ: typeLong, def: "86400000", check: nonNegative, dynamic: true, doc: "How long delete tombstones are kept on compacted topics."},
	{name: "log.cleaner.min.compaction.lag.ms", typ: typeLong, def: "0", check: nonNegative, dynamic: true, doc: "Minimum time a record stays uncompacted."},
	{name: "log.cleaner.max.compaction.lag.ms", typ: typeLong, def: maxLong, check: positive, dynamic: true, doc: "Maximum time a record stays ineligible for compaction."},
	{name: "log.cleaner.min.cleanable.ratio", typ: typeDouble, def: "0.5", check: between(0, 1), dynamic: true, doc: "Minimum dirty ratio for a log to be cleaned."},
	{name: "log.cleaner.dedupe.buffer.size", typ: typeLong, def: "134217728", dynamic: true,
		doc: "The bytes of keys the cleaner threads together may map: each thread's cleaning maps its share (more than 1 MiB) and stops at the segment boundary past it; the next cleaning goes on from there. Gregor counts whole keys plus a fixed overhead per key rather than Kafka's hashed entries."},
	{name: "log.cleaner.io.buffer.size", typ: typeInt, def: "524288", check: nonNegative, dynamic: true,
		doc: "The total memory used for log cleaner I/O buffers across all cleaner threads. Accepted for compatibility; no effect in Gregor: each thread reads through a buffer of up to 1 MiB and writes in chunks of 1 MiB."},
	{name: "log.cleaner.io.buffer.load.factor", typ: typeDouble, def: "0.9", dynamic: true,
		doc: "How full Kafka's hashed dedupe buffer may become. Accepted for compatibility; no effect in Gregor: its key map holds whole keys, bounded by log.cleaner.dedupe.buffer.size."},
	{name: "log.cleaner.io.max.bytes.per.second", typ: typeDouble, def: "1.7976931348623157E308", dynamic: true,
		doc: "The bytes per second the cleaner threads together read and write: past it, every check interval (300 ms), they sleep until the rate is back to it."},

	// Group coordinator.
	{name: "group.initial.rebalance.delay.ms", typ: typeInt, def: "3000", doc: "Wait for more members before the first rebalance of a new group.",
		set: i32(func(c *Config) *int32 { return &c.GroupInitialRebalanceDelayMs })},
	{name: "group.min.session.timeout.ms", typ: typeInt, def: "6000", doc: "Minimum session timeout for classic group members.",
		set: i32(func(c *Config) *int32 { return &c.GroupMinSessionTimeoutMs })},
	{name: "group.max.session.timeout.ms", typ: typeInt, def: "1800000", doc: "Maximum session timeout for classic group members.",
		set: i32(func(c *Config) *int32 { return &c.GroupMaxSessionTimeoutMs })},
	{name: "group.max.size", typ: typeInt, def: maxInt, check: positive, doc: "Maximum members of a classic group.",
		set: i32(func(c *Config) *int32 { return &c.GroupMaxSize })},
	{name: "group.consumer.session.timeout.ms", typ: typeInt, def: "45000", check: positive, doc: "Session timeout of consumer-protocol (KIP-848) members.",
		set: i32(func(c *Config) *int32 { return &c.GroupConsumerSessionTimeoutMs })},
	{name: "group.consumer.heartbeat.interval.ms", typ: typeInt, def: "5000", check: positive, doc: "Heartbeat interval of consumer-protocol (KIP-848) members.",
		set: i32(func(c *Config) *int32 { return &c.GroupConsumerHeartbeatIntervalMs })},
	{name: "group.consumer.min.session.timeout.ms", typ: typeInt, def: "45000", check: positive, doc: "The smallest consumer.session.timeout.ms a group config may set."},
	{name: "group.consumer.max.session.timeout.ms", typ: typeInt, def: "60000", check: positive, doc: "The largest consumer.session.timeout.ms a group config may set."},
	{name: "group.consumer.min.heartbeat.interval.ms", typ: typeInt, def: "5000", check: positive, doc: "The smallest consumer.heartbeat.interval.ms a group config may set."},
	{name: "group.consumer.max.heartbeat.interval.ms", typ: typeInt, def: "15000", check: positive, doc: "The largest consumer.heartbeat.interval.ms a group config may set."},
	{name: "group.consumer.max.size", typ: typeInt, def: maxInt, check: positive, doc: "Maximum members of a consumer-protocol (KIP-848) group.",
		set: i32(func(c *Config) *int32 { return &c.GroupConsumerMaxSize })},
	{name: "group.consumer.assignors", typ: typeList, def: "uniform,range", check: listOf("uniform", "range"), doc: "Server-side assignors of consumer-protocol groups; the first is the default.",
		set: list(func(c *Config) *[]string { return &c.GroupConsumerAssignors })},
	{name: "group.consumer.migration.policy", typ: typeString, def: "disabled", check: oneOf("disabled"), doc: "Conversion between classic and consumer groups with members; only disabled is supported (empty groups convert either way).",
		set: str(func(c *Config) *string { return &c.GroupConsumerMigrationPolicy })},
	{name: "offsets.topic.num.partitions", typ: typeInt, def: "50", check: positive, doc: "Partitions of __consumer_offsets; do not change after deployment.",
		set: i32(func(c *Config) *int32 { return &c.OffsetsTopicNumPartitions })},
	{name: "offsets.topic.replication.factor", typ: typeShort, def: "3", check: positive, doc: "Replication factor of __consumer_offsets.",
		set: i16(func(c *Config) *int16 { return &c.OffsetsTopicReplicationFactor })},
	{name: "offsets.topic.segment.bytes", typ: typeInt, def: "104857600", check: positive, doc: "Segment size of __consumer_offsets.",
		set: i32(func(c *Config) *int32 { return &c.OffsetsTopicSegmentBytes })},
	{name: "offsets.topic.compression.codec", typ: typeInt, def: "0", check: oneOf("0", "1", "2", "3", "4"),
		doc: "Compression codec of the batches the group coordinator writes to __consumer_offsets: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.",
		set: func(c *Config, v string) { n, _ := strconv.Atoi(v); c.OffsetsTopicCompressionCodec = int8(n) }},
	{name: "offsets.retention.minutes", typ: typeInt, def: "10080", check: positive, doc: "Committed offsets of an empty group are kept this long.",
		set: i32(func(c *Config) *int32 { return &c.OffsetsRetentionMinutes })},
	{name: "offsets.retention.check.interval.ms", typ: typeLong, def: "600000", check: positive, doc: "How often stale offsets are checked.",
		set: i64(func(c *Config) *int64 { return &c.OffsetsRetentionCheckIntervalMs })},
	{name: "offset.metadata.max.bytes", typ: typeInt, def: "4096", check: positive, doc: "Maximum size of the metadata string of a committed offset.",
		set: i32(func(c *Config) *int32 { return &c.OffsetMetadataMaxBytes })},
	{name: "offsets.commit.timeout.ms", typ: typeInt, def: "5000", check: positive,
		doc: "How long a write of the group coordinator (an offset commit, a join, a sync) waits for its records to reach every in-sync replica of __consumer_offsets before it answers COORDINATOR_NOT_AVAILABLE (NOT_COORDINATOR for OffsetFetch); the records stay in the log and may still commit."},
	{name: "offsets.load.buffer.size", typ: typeInt, def: "5242880", check: positive, doc: "Batch size when loading offsets into the cache. Accepted for compatibility; no effect in Gregor: a coordinator loads its partition 1 MiB at a time (at least one batch)."},

	// Transaction coordinator.
	{name: "transaction.state.log.num.partitions", typ: typeInt, def: "50", check: positive, doc: "Partitions of __transaction_state.",
		set: i32(func(c *Config) *int32 { return &c.TransactionStateLogNumPartitions })},
	{name: "transaction.state.log.replication.factor", typ: typeShort, def: "3", check: positive, doc: "Replication factor of __transaction_state.",
		set: i16(func(c *Config) *int16 { return &c.TransactionStateLogReplicationFactor })},
	{name: "transaction.state.log.min.isr", typ: typeInt, def: "2", check: positive, doc: "min.insync.replicas of __transaction_state.",
		set: i32(func(c *Config) *int32 { return &c.TransactionStateLogMinISR })},
	{name: "transaction.state.log.segment.bytes", typ: typeInt, def: "104857600", check: positive, doc: "Segment size of __transaction_state.",
		set: i32(func(c *Config) *int32 { return &c.TransactionStateLogSegmentBytes })},
	{name: "transaction.max.timeout.ms", typ: typeInt, def: "900000", check: positive, doc: "Maximum transaction timeout a producer may request.",
		set: i32(func(c *Config) *int32 { return &c.TransactionMaxTimeoutMs })},
	{name: "transactional.id.expiration.ms", typ: typeInt, def: "604800000", check: positive, doc: "An idle transactional id expires after this long.",
		set: i32(func(c *Config) *int32 { return &c.TransactionalIDExpirationMs })},
	{name: "producer.id.expiration.ms", typ: typeInt, def: "86400000", check: positive, dynamic: true, doc: "An idle idempotent producer id expires after this long.",
		set: i32(func(c *Config) *int32 { return &c.ProducerIDExpirationMs })},
	{name: "producer.id.expiration.check.interval.ms", typ: typeInt, def: "600000", check: positive, doc: "How often idle producer ids are looked for in every partition.",
		set: i32(func(c *Config) *int32 { return &c.ProducerIDExpirationCheckIntervalMs })},
	{name: "transaction.abort.timed.out.transaction.cleanup.interval.ms", typ: typeInt, def: "10000", check: positive, doc: "How often the coordinator aborts transactions past their timeout.",
		set: i32(func(c *Config) *int32 { return &c.TransactionAbortTimedOutIntervalMs })},
	{name: "transaction.remove.expired.transaction.cleanup.interval.ms", typ: typeInt, def: "3600000", check: positive, doc: "How often the coordinator removes expired transactional ids.",
		set: i32(func(c *Config) *int32 { return &c.TransactionRemoveExpiredIntervalMs })},

	// Security.
	{name: "sasl.enabled.mechanisms", typ: typeList, def: "GSSAPI", dynamic: true, doc: "SASL mechanisms enabled on the broker."},
	{name: "ssl.keystore.location", typ: typeString, null: true, dynamic: true, doc: "Location of the key store file."},
	{name: "ssl.keystore.password", typ: typePassword, null: true, dynamic: true, doc: "Password of the key store file. Key stores are PEM only (gregor), which have no password: as Kafka with PEM, a listener with one does not start (ssl.key.password is the private key's)."},
	{name: "ssl.key.password", typ: typePassword, null: true, dynamic: true, doc: "Password of the private key in the key store."},
	{name: "ssl.truststore.location", typ: typeString, null: true, dynamic: true, doc: "Location of the trust store file."},
	{name: "ssl.truststore.password", typ: typePassword, null: true, dynamic: true, doc: "Password of the trust store file. Trust stores are PEM only (gregor), which have no password: as Kafka with PEM, a listener with one does not start."},
	{name: "ssl.client.auth", typ: typeString, def: "none", check: oneOf("required", "requested", "none"), dynamic: true, doc: "Whether TLS client authentication is required."},
	{name: "ssl.keystore.type", typ: typeString, def: "JKS", dynamic: true, doc: "Format of the key store: only PEM is supported (gregor)."},
	{name: "ssl.keystore.certificate.chain", typ: typePassword, null: true, dynamic: true, doc: "The certificate chain in PEM, with ssl.keystore.type=PEM."},
	{name: "ssl.keystore.key", typ: typePassword, null: true, dynamic: true, doc: "The private key in PEM, with ssl.keystore.type=PEM."},
	{name: "ssl.truststore.type", typ: typeString, def: "JKS", dynamic: true, doc: "Format of the trust store: only PEM is supported (gregor)."},
	{name: "ssl.truststore.certificates", typ: typePassword, null: true, dynamic: true, doc: "Trusted certificates in PEM, with ssl.truststore.type=PEM."},
	{name: "ssl.enabled.protocols", typ: typeList, def: "TLSv1.2,TLSv1.3", check: listOf("TLSv1.2", "TLSv1.3"), dynamic: true, doc: "TLS versions enabled (gregor: 1.2 and 1.3 only)."},
	{name: "ssl.allow.dn.changes", typ: typeBoolean, def: "false", dynamic: true, doc: "Whether a dynamic change of the key store may bring a certificate with another distinguished name."},
	{name: "ssl.allow.san.changes", typ: typeBoolean, def: "false", dynamic: true, doc: "Whether a dynamic change of the key store may bring a certificate with other subject alternative names."},
	{name: "ssl.protocol", typ: typeString, def: "TLSv1.3", dynamic: true, doc: "The TLS protocol used to build the context. Accepted for compatibility; no effect in Gregor: ssl.enabled.protocols alone chooses the TLS versions."},
	{name: "ssl.principal.mapping.rules", typ: typeString, def: "DEFAULT", doc: "Rules mapping a client certificate's distinguished name to a principal name: RULE:pattern/replacement/[LU] and DEFAULT, comma-separated."},
	{name: "ssl.endpoint.identification.algorithm", typ: typeString, def: "https", dynamic: true, doc: "Endpoint identification of the server's certificate, for clients."},
	{name: "connections.max.reauth.ms", typ: typeLong, def: "0", check: nonNegative, doc: "Lifetime of an authenticated SASL session; 0 means no limit."},
	{name: "connection.failed.authentication.delay.ms", typ: typeInt, def: "100", check: nonNegative, doc: "Delay before closing a connection whose authentication failed."},
	{name: "sasl.mechanism.inter.broker.protocol", typ: typeString, def: "GSSAPI", dynamic: true, doc: "SASL mechanism used between brokers."},
	{name: "sasl.mechanism.controller.protocol", typ: typeString, def: "GSSAPI", doc: "SASL mechanism used for communication with controllers, on a SASL_PLAINTEXT or SASL_SSL controller listener (gregor: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)."},
	{name: "sasl.oauthbearer.jwks.endpoint.url", typ: typeString, null: true, doc: "The JWKS (file://, http:// or https://) whose keys OAUTHBEARER tokens must be signed with."},
	{name: "sasl.oauthbearer.jwks.endpoint.refresh.ms", typ: typeLong, def: "3600000", check: positive, doc: "How often the JWKS is reloaded."},
	{name: "sasl.oauthbearer.expected.audience", typ: typeList, null: true, doc: "Audiences of which an OAUTHBEARER token's aud must name one; empty: not checked."},
	{name: "sasl.oauthbearer.expected.issuer", typ: typeString, null: true, doc: "The iss an OAUTHBEARER token must have; empty: not checked."},
	{name: "sasl.oauthbearer.sub.claim.name", typ: typeString, def: "sub", doc: "The claim that names an OAUTHBEARER token's principal."},
	{name: "sasl.oauthbearer.scope.claim.name", typ: typeString, def: "scope", doc: "The claim that holds an OAUTHBEARER token's scope. Accepted for compatibility; no effect in Gregor: scopes are not checked nor used for authorization (nor are they by Kafka's own validator)."},
	{name: "sasl.oauthbearer.clock.skew.seconds", typ: typeInt, def: "30", check: nonNegative, doc: "Clock skew allowed when checking an OAUTHBEARER token's times."},
	{name: "sasl.jaas.config", typ: typePassword, null: true, dynamic: true, doc: "JAAS login context of the broker's SASL mechanisms; usually set per listener and mechanism."},
	{name: "delegation.token.secret.key", typ: typePassword, null: true, doc: "Secret key from which delegation tokens' HMACs are made, the same on every node; unset, delegation tokens are disabled."},
	{name: "delegation.token.max.lifetime.ms", typ: typeLong, def: "604800000", check: positive, doc: "No delegation token lives longer than this."},
	{name: "delegation.token.expiry.time.ms", typ: typeLong, def: "86400000", check: positive, doc: "How long a delegation token is valid after its creation or a renewal, unless renewed."},
	{name: "delegation.token.expiry.check.interval.ms", typ: typeLong, def: "3600000", check: positive, doc: "How often the active controller removes expired delegation tokens."},
	{name: "authorizer.class.name", typ: typeString, def: "", doc: "Authorizer implementation; empty disables authorization."},
	{name: "super.users", typ: typeString, null: true, doc: "Principals allowed everything, separated by semicolons."},
	{name: "allow.everyone.if.no.acl.found", typ: typeBoolean, def: "false", doc: "Allow access to resources without ACLs."},
}

// brokerDefIndex maps a key to its position in brokerDefs, which it sorts by
// name so that Entries comes out in order.
var brokerDefIndex = func() map[string]int {
	brokerDefs = append(brokerDefs, httpServiceDefs("schema.registry", "schema registry")...)
	brokerDefs = append(brokerDefs, httpServiceDefs("rest.proxy", "REST proxy")...)
	sort.Slice(brokerDefs, func(i, j int) bool { return brokerDefs[i].name < brokerDefs[j].name })
	m := make(map[string]int, len(brokerDefs))
	for i, d := range brokerDefs {
		if _, dup := m[d.name]; dup {
			panic("config: broker key defined twice: " + d.name)
		}
		m[d.name] = i
	}
	return m
}()

func lookupBrokerDef(name string) (brokerDef, bool) {
	i, ok := brokerDefIndex[name]
	if !ok {
		return brokerDef{}, false
	}
	return brokerDefs[i], true
}

// fallbacks lists, for a topic synonym whose Kafka default is null, the keys
// consulted when it is unset (see Config.deriveDurations).
var fallbacks = map[string][]string{
	"log.retention.ms":      {"log.retention.minutes", "log.retention.hours"},
	"log.roll.ms":           {"log.roll.hours"},
	"log.roll.jitter.ms":    {"log.roll.jitter.hours"},
	"log.flush.interval.ms": {"log.flush.scheduler.interval.ms"},
}

func i32(field func(*Config) *int32) func(*Config, string) {
	return func(c *Config, v string) { n, _ := strconv.ParseInt(v, 10, 32); *field(c) = int32(n) }
}

func i16(field func(*Config) *int16) func(*Config, string) {
	return func(c *Config, v string) { n, _ := strconv.ParseInt(v, 10, 16); *field(c) = int16(n) }
}

func i64(field func(*Config) *int64) func(*Config, string) {
	return func(c *Config, v string) { *field(c), _ = strconv.ParseInt(v, 10, 64) }
}

func boolean(field func(*Config) *bool) func(*Config, string) {
	return func(c *Config, v string) { *field(c) = strings.EqualFold(v, "true") }
}

func str(field func(*Config) *string) func(*Config, string) {
	return func(c *Config, v string) { *field(c) = v }
}

func list(field func(*Config) *[]string) func(*Config, string) {
	return func(c *Config, v string) { *field(c) = splitList(v) }
}
