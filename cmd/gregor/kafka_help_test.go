package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gregor/internal/cli"
)

// kafkaToolClasses are the classes behind the Kafka tools Gregor ships,
// with the subcommand for tools that have them, keyed as cli.KafkaFlags.
var kafkaToolClasses = map[string]string{
	"topics":                            "org.apache.kafka.tools.TopicCommand",
	"configs":                           "kafka.admin.ConfigCommand",
	"consumer-groups":                   "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
	"console-producer":                  "org.apache.kafka.tools.ConsoleProducer",
	"console-consumer":                  "org.apache.kafka.tools.consumer.ConsoleConsumer",
	"producer-perf-test":                "org.apache.kafka.tools.ProducerPerformance",
	"consumer-perf-test":                "org.apache.kafka.tools.ConsumerPerformance",
	"acls":                              "org.apache.kafka.tools.AclCommand",
	"reassign-partitions":               "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
	"leader-election":                   "org.apache.kafka.tools.LeaderElectionCommand",
	"storage":                           "kafka.tools.StorageTool",
	"cluster":                           "org.apache.kafka.tools.ClusterTool",
	"cluster cluster-id":                "org.apache.kafka.tools.ClusterTool cluster-id",
	"cluster unregister":                "org.apache.kafka.tools.ClusterTool unregister",
	"cluster list-endpoints":            "org.apache.kafka.tools.ClusterTool list-endpoints",
	"storage format":                    "kafka.tools.StorageTool format",
	"storage random-uuid":               "kafka.tools.StorageTool random-uuid",
	"storage info":                      "kafka.tools.StorageTool info",
	"storage version-mapping":           "kafka.tools.StorageTool version-mapping",
	"storage feature-dependencies":      "kafka.tools.StorageTool feature-dependencies",
	"delete-records":                    "org.apache.kafka.tools.DeleteRecordsCommand",
	"delegation-tokens":                 "org.apache.kafka.tools.DelegationTokenCommand",
	"dump-log":                          "kafka.tools.DumpLogSegments",
	"broker-api-versions":               "org.apache.kafka.tools.BrokerApiVersionsCommand",
	"features":                          "org.apache.kafka.tools.FeatureCommand",
	"features describe":                 "org.apache.kafka.tools.FeatureCommand --bootstrap-server x describe",
	"features upgrade":                  "org.apache.kafka.tools.FeatureCommand --bootstrap-server x upgrade",
	"features downgrade":                "org.apache.kafka.tools.FeatureCommand --bootstrap-server x downgrade",
	"features disable":                  "org.apache.kafka.tools.FeatureCommand --bootstrap-server x disable",
	"features version-mapping":          "org.apache.kafka.tools.FeatureCommand --bootstrap-server x version-mapping",
	"features feature-dependencies":     "org.apache.kafka.tools.FeatureCommand --bootstrap-server x feature-dependencies",
	"log-dirs":                          "org.apache.kafka.tools.LogDirsCommand",
	"get-offsets":                       "org.apache.kafka.tools.GetOffsetShell",
	"metadata-quorum":                   "org.apache.kafka.tools.MetadataQuorumCommand",
	"metadata-quorum describe":          "org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server x describe",
	"metadata-quorum add-controller":    "org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server x add-controller",
	"metadata-quorum remove-controller": "org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server x remove-controller",
	"transactions":                      "org.apache.kafka.tools.TransactionsCommand",
	"transactions list":                 "org.apache.kafka.tools.TransactionsCommand list",
	"transactions describe":             "org.apache.kafka.tools.TransactionsCommand describe",
	"transactions describe-producers":   "org.apache.kafka.tools.TransactionsCommand describe-producers",
	"transactions find-hanging":         "org.apache.kafka.tools.TransactionsCommand find-hanging",
	"transactions abort":                "org.apache.kafka.tools.TransactionsCommand abort",
}

// helpFlag matches an option at the start of a line of a tool's --help,
// as joptsimple and argparse4j print them ("--topic <String>",
// "  -h, --help", "  --config CONFIG, -c CONFIG").
var helpFlag = regexp.MustCompile(`(?m)^\s*(?:-\w,\s+)?--([a-zA-Z][\w.-]*)`)

// TestKafkaFlagsMatchKafkasHelp proves that cli.KafkaFlags, the table the
// flag tests hold Gregor's commands to, lists every flag that the Kafka
// release the compatibility suite resolves prints in each tool's --help:
// a flag a new Kafka release adds fails here. GREGOR_KAFKA_LIB names the
// folder of Kafka's jars (compat/kafka/target/lib, after compat/kafka/broker
// resolve); without it the test is skipped.
func TestKafkaFlagsMatchKafkasHelp(t *testing.T) {
	lib := os.Getenv("GREGOR_KAFKA_LIB")
	if lib == "" {
		t.Skip("GREGOR_KAFKA_LIB is not set: no Kafka jars to ask")
	}
	for path, class := range kafkaToolClasses {
		t.Run(strings.ReplaceAll(path, " ", "_"), func(t *testing.T) {
			var missing []string
			for _, f := range kafkaHelpFlags(t, lib, class) {
				if !slices.Contains(cli.KafkaFlags[path], f) {
					missing = append(missing, "--"+f)
				}
			}
			if len(missing) > 0 {
				t.Errorf("Kafka's %s --help lists %s, which cli.KafkaFlags[%q] lacks", class, strings.Join(missing, " "), path)
			}
		})
	}
}

// kafkaHelpFlags runs a Kafka tool's --help and returns the flags it lists.
func kafkaHelpFlags(t *testing.T, lib, class string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-Xmx128m", "-cp", filepath.Join(lib, "*")}, strings.Fields(class)...)
	out, _ := exec.CommandContext(ctx, "java", append(args, "--help")...).CombinedOutput()
	var flags []string
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		if !slices.Contains(flags, m[1]) {
			flags = append(flags, m[1])
		}
	}
	if len(flags) == 0 {
		t.Fatalf("%s --help printed no flags: %s", class, out)
	}
	return flags
}
