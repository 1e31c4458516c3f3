// Package cli holds Gregor's Kafka-named client tools: topics, configs,
// consumer-groups, console-producer, console-consumer, producer-perf-test,
// consumer-perf-test and metadata-quorum. Each tool is a cobra command in its own file and a
// real Kafka client: it speaks the wire protocol through franz-go
// (kgo/kadm) to --bootstrap-server and imports nothing from the broker, so
// the tools work against any Kafka-compatible cluster and dogfood
// Gregor's protocol surface.
//
// Conventions shared by every tool:
//   - flags keep Kafka's names (kafka-topics.sh, kafka-console-producer.sh,
//     ...), are local to their command, and client properties come from
//     --command-config / --producer.config / --consumer.config files and
//     repeated k=v flags, with Kafka's property names (props.go);
//   - every flag of Kafka's tool (KafkaFlags, kafka_flags.go) is either
//     taken or refused: a refused flag is registered with its reason and
//     answers "not supported" when used (flags.go); unknown --property keys
//     are named in a warning; bad numbers name the flag;
//   - before doing anything a tool pings the cluster with a bounded
//     deadline, so a missing broker is a one-line error, never a hang
//     (connect in cli.go);
//   - results go through one printer (printer.go) writing to
//     cmd.OutOrStdout(); diagnostics go to cmd.ErrOrStderr(); input comes
//     from cmd.InOrStdin(), so tests drive the commands in-process;
//   - failures are returned as errors worded like Kafka's own messages
//     (for example "Topic 'x' already exists."), so the binary exits
//     non-zero. A tool that acts on several things (consumer-groups on
//     several groups) prints each failure where Kafka's tool prints it and
//     goes on; it then returns an error for which Reported is true, and
//     the binary exits non-zero without printing it again;
//   - a group consumer first checks that the cluster serves consumer
//     groups and has a coordinator for its group (checkGroup), so a broker
//     without groups is a one-line error, not a run that waits out its
//     timeout.
package cli
