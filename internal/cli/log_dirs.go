package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type logDirsFlags struct {
	conn     connFlags
	describe bool
	topics   string
	brokers  string
}

func newLogDirsCommand() *cobra.Command {
	f := &logDirsFlags{}
	cmd := &cobra.Command{
		Use:   "log-dirs",
		Short: "Describe the log directories of brokers (kafka-log-dirs.sh)",
		Long: `Print, as kafka-log-dirs.sh --describe does, each broker's log directories
and the partitions in them (size in bytes, offset lag, whether a future
replica) as one JSON document, after two lines naming the brokers asked.
--broker-list limits the brokers (default: every broker), --topic-list the
partitions shown (default: every topic). A failed directory names the error
as Kafka's exception class.`,
		Example: `  gregor log-dirs --bootstrap-server localhost:9092 --describe
  gregor log-dirs --bootstrap-server localhost:9092 --describe --broker-list 1,2 --topic-list orders`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         func(cmd *cobra.Command, _ []string) error { return runLogDirs(cmd, f) },
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVar(&f.describe, "describe", false, "REQUIRED: describe the log directories of the brokers")
	fl.StringVar(&f.topics, "topic-list", "", `the topics to show, as "topic1,topic2" (default: every topic)`)
	fl.StringVar(&f.brokers, "broker-list", "", `the brokers to ask, as "0,1,2" (default: every broker)`)
	return cmd
}

func runLogDirs(cmd *cobra.Command, f *logDirsFlags) error {
	if !f.describe {
		return errors.New(`Missing required argument "[describe]"`)
	}
	var asked []int32
	for _, b := range splitList(f.brokers) {
		id, err := strconv.ParseInt(b, 10, 32)
		if err != nil {
			return fmt.Errorf("--broker-list: expected broker ids as \"0,1,2\", got %q", f.brokers)
		}
		asked = append(asked, int32(id))
	}
	topics := splitList(f.topics)
	return f.conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
		return describeLogDirs(ctx, adminFor(cl), asked, topics, newPrinter(cmd.OutOrStdout()))
	})
}

func describeLogDirs(ctx context.Context, adm *kadm.Client, asked []int32, topics []string, out *printer) error {
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	cluster := meta.Brokers.NodeIDs()
	slices.Sort(cluster)
	brokers := cluster
	if len(asked) > 0 {
		var missing []int32
		for _, b := range asked {
			if !slices.Contains(cluster, b) {
				missing = append(missing, b)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("ERROR: The given brokers do not exist from --broker-list: %s. Current existent brokers: %s",
				joinIDs(missing), joinIDs(cluster))
		}
		brokers = slices.Compact(slices.Sorted(slices.Values(asked)))
	}
	out.line("Querying brokers for log directories information")
	var docs []string
	for _, b := range brokers {
		dirs, err := adm.DescribeBrokerLogDirs(ctx, b, nil)
		if err != nil {
			return err
		}
		docs = append(docs, fmt.Sprintf(`{"broker":%d,"logDirs":[%s]}`, b, logDirsJSON(dirs, topics)))
	}
	out.linef("Received log directory information from brokers %s", joinIDs(brokers))
	out.linef(`{"brokers":[%s],"version":1}`, strings.Join(docs, ","))
	return out.flush()
}

// logDirsJSON renders one broker's directories with the keys in the order
// Kafka's tool prints them, partitions sorted by "topic-partition".
func logDirsJSON(dirs kadm.DescribedLogDirs, topics []string) string {
	var out []string
	for _, d := range dirs.Sorted() {
		errName := "null"
		if d.Err != nil {
			errName = strconv.Quote(strings.SplitN(javaException(d.Err, ""), ":", 2)[0])
		}
		type part struct {
			name string
			json string
		}
		var parts []part
		for _, p := range d.Topics.Sorted() {
			if len(topics) > 0 && !slices.Contains(topics, p.Topic) {
				continue
			}
			name := tpString(p.Topic, p.Partition)
			parts = append(parts, part{name, fmt.Sprintf(`{"partition":%s,"size":%d,"offsetLag":%d,"isFuture":%t}`,
				strconv.Quote(name), p.Size, p.OffsetLag, p.IsFuture)})
		}
		slices.SortFunc(parts, func(a, b part) int { return strings.Compare(a.name, b.name) })
		var js []string
		for _, p := range parts {
			js = append(js, p.json)
		}
		out = append(out, fmt.Sprintf(`{"partitions":[%s],"error":%s,"logDir":%s}`, strings.Join(js, ","), errName, strconv.Quote(d.Dir)))
	}
	return strings.Join(out, ",")
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
