package cli

// KafkaFlags are the long flags of each Kafka tool that Gregor ships, keyed
// by the Gregor command that stands for it, so that a test can prove each
// one is accepted or explicitly refused (see refuse), never unknown.
//
// Taken from Apache Kafka's option parsers at apache/kafka commit 1eb7644
// (trunk, version 4.0.0-SNAPSHOT, October 2024), and checked against the
// --help of every tool of the Kafka release the compatibility suite pins
// (4.2; TestKafkaFlagsMatchKafkasHelp in cmd/gregor), which added
// consumer-perf-test's --include and --num-records, producer-perf-test's
// --warmup-records and --reporting-interval, consumer-groups'
// --validate-regex, reassign-partitions' --disallow-replication-factor-change
// and transactions list's --duration-filter and --transactional-id-pattern:
//   - topics: tools/src/main/java/org/apache/kafka/tools/TopicCommand.java
//   - configs: core/src/main/scala/kafka/admin/ConfigCommand.scala
//   - consumer-groups: tools/src/main/java/org/apache/kafka/tools/consumer/group/ConsumerGroupCommandOptions.java
//   - console-producer: tools/src/main/java/org/apache/kafka/tools/ConsoleProducer.java
//   - console-consumer: tools/src/main/java/org/apache/kafka/tools/consumer/ConsoleConsumerOptions.java
//   - producer-perf-test: tools/src/main/java/org/apache/kafka/tools/ProducerPerformance.java
//   - consumer-perf-test: tools/src/main/java/org/apache/kafka/tools/ConsumerPerformance.java
//   - storage format, info, version-mapping, feature-dependencies: core/src/main/scala/kafka/tools/StorageTool.scala
//   - acls: core/src/main/scala/kafka/admin/AclCommand.scala (tools/.../AclCommand.java from 4.0)
//   - reassign-partitions: tools/src/main/java/org/apache/kafka/tools/reassign/ReassignPartitionsCommandOptions.java
//   - leader-election: tools/src/main/java/org/apache/kafka/tools/LeaderElectionCommand.java
//   - broker-api-versions: tools/src/main/java/org/apache/kafka/tools/BrokerApiVersionsCommand.java
//   - delegation-tokens: tools/src/main/java/org/apache/kafka/tools/DelegationTokenCommand.java
//   - features: tools/src/main/java/org/apache/kafka/tools/FeatureCommand.java
//   - delete-records: tools/src/main/java/org/apache/kafka/tools/DeleteRecordsCommand.java
//   - get-offsets: tools/src/main/java/org/apache/kafka/tools/GetOffsetShell.java
//   - log-dirs: tools/src/main/java/org/apache/kafka/tools/LogDirsCommand.java
//   - metadata-quorum: tools/src/main/java/org/apache/kafka/tools/MetadataQuorumCommand.java
//   - dump-log: core/src/main/scala/kafka/tools/DumpLogSegments.scala (and 4.2's --share-group-state-decoder)
//   - cluster: tools/src/main/java/org/apache/kafka/tools/ClusterTool.java
//   - transactions: tools/src/main/java/org/apache/kafka/tools/TransactionsCommand.java
//     (argparse4j: global --bootstrap-server and --command-config, then one
//     subcommand with its own flags)
//
// and, for every joptsimple tool, help and version from
// server-common/src/main/java/org/apache/kafka/server/util/CommandDefaultOptions.java.
// Kafka 4.1 renamed some flags (KIP-1147): --command-property for
// --producer-property, --consumer-property and --producer-props (and new in
// consumer-perf-test), --command-config for --producer.config,
// --consumer.config and --admin.config, --reader-property and
// --formatter-property for --property; they are listed with the old names.
var KafkaFlags = map[string][]string{
	"topics": {"help", "version", "bootstrap-server", "command-config", "list", "create", "delete", "alter",
		"describe", "topic", "topic-id", "config", "delete-config", "partitions", "replication-factor",
		"replica-assignment", "under-replicated-partitions", "unavailable-partitions", "under-min-isr-partitions",
		"at-min-isr-partitions", "topics-with-overrides", "if-exists", "if-not-exists", "exclude-internal",
		"partition-size-limit-per-response"},
	"configs": {"help", "version", "zookeeper", "bootstrap-server", "bootstrap-controller", "command-config",
		"alter", "describe", "all", "entity-type", "entity-name", "entity-default", "add-config", "add-config-file",
		"delete-config", "force", "topic", "client", "client-defaults", "user", "user-defaults", "broker",
		"broker-defaults", "broker-logger", "ip-defaults", "ip", "group", "client-metrics", "zk-tls-config-file"},
	"consumer-groups": {"help", "version", "bootstrap-server", "group", "topic", "all-topics", "list", "describe",
		"all-groups", "delete", "timeout", "command-config", "reset-offsets", "delete-offsets", "dry-run", "execute",
		"export", "to-offset", "from-file", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current",
		"shift-by", "members", "verbose", "offsets", "state", "type", "validate-regex"},
	"console-producer": {"help", "version", "topic", "bootstrap-server", "sync", "compression-codec", "batch-size",
		"message-send-max-retries", "retry-backoff-ms", "timeout", "request-required-acks", "request-timeout-ms",
		"metadata-expiry-ms", "max-block-ms", "max-memory-bytes", "max-partition-memory-bytes", "line-reader",
		"socket-buffer-size", "property", "reader-config", "producer-property", "producer.config",
		"reader-property", "command-property", "command-config"},
	"console-consumer": {"help", "version", "topic", "include", "partition", "offset", "consumer-property",
		"consumer.config", "formatter", "property", "formatter-config", "from-beginning", "max-messages",
		"timeout-ms", "skip-message-on-error", "bootstrap-server", "key-deserializer", "value-deserializer",
		"enable-systest-events", "isolation-level", "group", "formatter-property", "command-property", "command-config"},
	"producer-perf-test": {"help", "topic", "num-records", "record-size", "payload-file", "payload-monotonic",
		"payload-delimiter", "throughput", "producer-props", "producer.config", "print-metrics", "transactional-id",
		"transaction-duration-ms", "bootstrap-server", "command-property", "command-config", "warmup-records",
		"reporting-interval"},
	"consumer-perf-test": {"help", "version", "bootstrap-server", "topic", "group", "fetch-size", "from-latest",
		"socket-buffer-size", "consumer.config", "print-metrics", "show-detailed-stats", "timeout", "messages",
		"reporting-interval", "date-format", "hide-header", "command-property", "command-config", "include",
		"num-records"},
	"acls": {"help", "version", "bootstrap-server", "bootstrap-controller", "command-config", "add", "remove", "list",
		"topic", "group", "cluster", "transactional-id", "delegation-token", "user-principal", "resource-pattern-type",
		"allow-principal", "deny-principal", "principal", "allow-host", "deny-host", "operation", "producer",
		"consumer", "idempotent", "force"},
	"storage":            {"help"},
	"cluster":            {"help"},
	"cluster cluster-id": {"help", "bootstrap-server", "bootstrap-controller", "config", "command-config"},
	"cluster unregister": {"help", "bootstrap-server", "bootstrap-controller", "config", "command-config", "id"},
	"cluster list-endpoints": {"help", "bootstrap-server", "bootstrap-controller", "config", "command-config",
		"include-fenced-brokers"},
	"storage format": {"help", "config", "cluster-id", "add-scram", "ignore-formatted", "release-version", "feature",
		"standalone", "no-initial-controllers", "initial-controllers"},
	"storage random-uuid":          {"help"},
	"storage info":                 {"help", "config"},
	"storage version-mapping":      {"help", "release-version"},
	"storage feature-dependencies": {"help", "feature"},
	"reassign-partitions": {"help", "version", "bootstrap-server", "command-config", "verify", "generate", "execute",
		"cancel", "list", "reassignment-json-file", "topics-to-move-json-file", "broker-list", "bootstrap-controller",
		"disable-rack-aware", "throttle", "replica-alter-log-dirs-throttle", "timeout", "additional", "preserve-throttles",
		"disallow-replication-factor-change"},
	"leader-election": {"help", "version", "bootstrap-server", "admin.config", "path-to-json-file", "topic", "partition",
		"all-topic-partitions", "election-type", "command-config"},
	"transactions":                      {"help", "version", "bootstrap-server", "command-config"},
	"metadata-quorum":                   {"help", "bootstrap-server", "bootstrap-controller", "command-config"},
	"metadata-quorum describe":          {"help", "bootstrap-controller", "status", "replication", "human-readable"},
	"metadata-quorum add-controller":    {"help", "bootstrap-controller", "dry-run"},
	"metadata-quorum remove-controller": {"help", "bootstrap-controller", "controller-id", "controller-directory-id", "dry-run"},
	"get-offsets": {"help", "version", "bootstrap-server", "command-config", "topic", "partitions", "topic-partitions",
		"time", "exclude-internal-topics"},
	"delete-records":      {"help", "version", "bootstrap-server", "command-config", "offset-json-file"},
	"log-dirs":            {"help", "version", "bootstrap-server", "command-config", "describe", "topic-list", "broker-list"},
	"broker-api-versions": {"help", "version", "bootstrap-server", "command-config"},
	"delegation-tokens": {"help", "version", "bootstrap-server", "command-config", "create", "renew", "expire",
		"describe", "max-life-time-period", "renew-time-period", "expiry-time-period", "renewer-principal",
		"owner-principal", "hmac"},
	"features":                      {"help", "bootstrap-server", "bootstrap-controller", "command-config"},
	"features describe":             {"help", "bootstrap-controller", "node-id"},
	"features upgrade":              {"help", "bootstrap-controller", "metadata", "release-version", "feature", "dry-run"},
	"features downgrade":            {"help", "bootstrap-controller", "metadata", "release-version", "feature", "unsafe", "dry-run"},
	"features disable":              {"help", "bootstrap-controller", "feature", "unsafe", "dry-run"},
	"features version-mapping":      {"help", "bootstrap-controller", "release-version"},
	"features feature-dependencies": {"help", "bootstrap-controller", "feature"},
	"transactions list":             {"help", "duration-filter", "transactional-id-pattern"},
	"dump-log": {"help", "version", "files", "print-data-log", "deep-iteration", "verify-index-only",
		"index-sanity-check", "max-message-size", "max-bytes", "key-decoder-class", "value-decoder-class",
		"offsets-decoder", "transaction-log-decoder", "cluster-metadata-decoder", "remote-log-metadata-decoder",
		"share-group-state-decoder", "skip-record-metadata"},
	"transactions describe":           {"help", "transactional-id"},
	"transactions describe-producers": {"help", "broker-id", "topic", "partition"},
	"transactions find-hanging":       {"help", "broker-id", "max-transaction-timeout", "topic", "partition"},
	"transactions abort":              {"help", "topic", "partition", "start-offset", "producer-id", "producer-epoch", "coordinator-epoch"},
}
