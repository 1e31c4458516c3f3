package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

type leaderElectionFlags struct {
	conn         connFlags
	electionType string
	topic        string
	partition    int32
	all          bool
	jsonFile     string
}

func newLeaderElectionCommand() *cobra.Command {
	f := &leaderElectionFlags{}
	cmd := &cobra.Command{
		Use:   "leader-election",
		Short: "Elect partition leaders (kafka-leader-election.sh)",
		Long: `Elect partition leaders, as kafka-leader-election.sh does. --election-type
PREFERRED moves leadership to each partition's preferred replica (the first)
when it is live and in sync; UNCLEAN gives a partition without a leader one,
from outside the ISR if need be, at the risk of losing acknowledged records.
Exactly one of --all-topic-partitions, --topic with --partition, or
--path-to-json-file ({"partitions":[{"topic":"foo","partition":1}]}).`,
		Example: `  gregor leader-election --bootstrap-server localhost:9092 --election-type PREFERRED --all-topic-partitions
  gregor leader-election --bootstrap-server localhost:9092 --election-type UNCLEAN --topic orders --partition 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLeaderElection(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.conn.bootstrapServer, "bootstrap-server", "", "REQUIRED: the broker(s) to connect to, as host:port[,host:port...]")
	fl.StringVar(&f.conn.commandConfig, "admin.config", "", "a properties file with client configs for the admin client")
	alias(fl, "command-config", "admin.config")
	deprecate(cmd, "admin.config", "Option --admin.config has been deprecated and will be removed in a future version. Use --command-config instead.")
	fl.StringVar(&f.electionType, "election-type", "", `REQUIRED: "preferred" or "unclean" (either case)`)
	fl.StringVar(&f.topic, "topic", "", "the topic of the partition to elect a leader for (with --partition)")
	fl.Int32Var(&f.partition, "partition", 0, "the partition to elect a leader for (with --topic)")
	fl.BoolVar(&f.all, "all-topic-partitions", false, "elect leaders of every partition that needs an election of this type")
	fl.StringVar(&f.jsonFile, "path-to-json-file", "", "a JSON file of the partitions to elect leaders for")
	return cmd
}

func runLeaderElection(cmd *cobra.Command, f *leaderElectionFlags) error {
	how, err := f.check(cmd)
	if err != nil {
		return err
	}
	partitions, err := f.partitions(cmd)
	if err != nil {
		return err
	}
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	results, err := kadm.NewClient(cl).ElectLeaders(ctx, how, partitions)
	if errors.Is(err, kerr.ClusterAuthorizationFailed) {
		fmt.Fprintln(cmd.OutOrStdout(), "Not authorized to perform leader election")
		return reported{err}
	}
	if err != nil {
		return err
	}
	return printElection(newPrinter(cmd.OutOrStdout()), strings.ToUpper(f.electionType), results)
}

// check applies Kafka's rules to the options and returns the election type.
func (f *leaderElectionFlags) check(cmd *cobra.Command) (kadm.ElectLeadersHow, error) {
	var missing []string
	if f.conn.bootstrapServer == "" {
		missing = append(missing, "bootstrap-server")
	}
	if f.electionType == "" {
		missing = append(missing, "election-type")
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("Missing required option(s): %s", strings.Join(missing, ", "))
	}
	exclusive := 0
	for _, name := range []string{"topic", "all-topic-partitions", "path-to-json-file"} {
		if cmd.Flags().Changed(name) {
			exclusive++
		}
	}
	switch {
	case exclusive != 1:
		return 0, errors.New("One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file")
	case cmd.Flags().Changed("topic") && !cmd.Flags().Changed("partition"):
		return 0, errors.New("Missing required option(s): partition")
	case !cmd.Flags().Changed("topic") && cmd.Flags().Changed("partition"):
		return 0, errors.New("Option partition is only allowed if topic is used")
	}
	switch strings.ToLower(f.electionType) {
	case "preferred":
		return kadm.ElectPreferredReplica, nil
	case "unclean":
		return kadm.ElectLiveReplica, nil
	}
	return 0, fmt.Errorf("Cannot convert %s to a valid election type: expected preferred or unclean", f.electionType)
}

// partitions returns the partitions to elect leaders for, nil for all.
func (f *leaderElectionFlags) partitions(cmd *cobra.Command) (kadm.TopicsSet, error) {
	switch {
	case f.all:
		return nil, nil
	case cmd.Flags().Changed("topic"):
		return kadm.TopicsSet{f.topic: {f.partition: {}}}, nil
	}
	data, err := os.ReadFile(f.jsonFile)
	if err != nil {
		return nil, err
	}
	var file struct {
		Partitions *[]struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("Replica election data is not valid JSON: %v", err)
	}
	if file.Partitions == nil {
		return nil, errors.New(`Replica election data is missing "partitions" field`)
	}
	set := kadm.TopicsSet{}
	for _, p := range *file.Partitions {
		if _, dup := set[p.Topic][p.Partition]; dup {
			return nil, fmt.Errorf("Replica election data contains duplicate partitions: [%s]", tpString(p.Topic, p.Partition))
		}
		set.Add(p.Topic, p.Partition)
	}
	return set, nil
}

// printElection prints the results as Kafka's tool does: the partitions
// elected, those that needed no election, then each failure.
func printElection(out *printer, typ string, results kadm.ElectLeadersResults) error {
	defer out.flush()
	var succeeded, noop, failed []string
	for _, topic := range sortedTopics(results) {
		for _, r := range sortedPartitions(results[topic]) {
			tp := tpString(r.Topic, r.Partition)
			switch {
			case r.Err == nil:
				succeeded = append(succeeded, tp)
			case errors.Is(r.Err, kerr.ElectionNotNeeded):
				noop = append(noop, tp)
			default:
				failed = append(failed, fmt.Sprintf("Error completing leader election (%s) for partition: %s: %s", typ, tp, javaException(r.Err, r.ErrMessage)))
			}
		}
	}
	if len(succeeded) > 0 {
		out.linef("Successfully completed leader election (%s) for partitions %s", typ, strings.Join(succeeded, ", "))
	}
	if len(noop) > 0 {
		out.linef("Valid replica already elected for partitions %s", strings.Join(noop, ", "))
	}
	for _, line := range failed {
		out.line(line)
	}
	if len(failed) > 0 {
		return reported{fmt.Errorf("%d replica(s) could not be elected", len(failed))}
	}
	return nil
}

func sortedTopics(results kadm.ElectLeadersResults) []string {
	var out []string
	for t := range results {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func sortedPartitions(ps map[int32]kadm.ElectLeadersResult) []kadm.ElectLeadersResult {
	var out []kadm.ElectLeadersResult
	for _, r := range ps {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b kadm.ElectLeadersResult) int { return int(a.Partition - b.Partition) })
	return out
}

// javaException renders a broker error as Java's Throwable.toString does
// for the exception Kafka's client raises for its code.
func javaException(err error, message string) string {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err.Error()
	}
	name := javaExceptionNames[ke.Code]
	if name == "" {
		for _, word := range strings.Split(strings.ToLower(ke.Message), "_") {
			if word != "" {
				name += strings.ToUpper(word[:1]) + word[1:]
			}
		}
		name += "Exception"
	}
	return "org.apache.kafka.common.errors." + name + ": " + kafkaMessage(err, message)
}

// javaExceptionNames are the exceptions whose names are not their code's.
var javaExceptionNames = map[int16]string{
	kerr.ClusterAuthorizationFailed.Code: "ClusterAuthorizationException",
	kerr.TopicAuthorizationFailed.Code:   "TopicAuthorizationException",
	kerr.NotLeaderForPartition.Code:      "NotLeaderOrFollowerException",
	kerr.RequestTimedOut.Code:            "TimeoutException",
}
