package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// getOffsetsFlags are kafka-get-offsets.sh's flags.
type getOffsetsFlags struct {
	conn            connFlags
	topic           string
	partitions      string
	topicPartitions string
	time            string
	excludeInternal bool
}

func newGetOffsetsCommand() *cobra.Command {
	f := &getOffsetsFlags{}
	cmd := &cobra.Command{
		Use:   "get-offsets",
		Short: "Print the offsets of topic partitions at a time (kafka-get-offsets.sh)",
		Long: `Print one line per partition, topic:partition:offset, sorted as Kafka's tool
sorts them (by "topic-partition" as text), for the offsets at --time:
latest (-1, the default), earliest (-2), max-timestamp (-3, the record with
the largest timestamp), earliest-local (-4), latest-tiered (-5) or
earliest-pending-upload (-6), or a timestamp in milliseconds (the first
record at or after it). A partition with no such offset (a timestamp after
the last record; the tiered forms, as Gregor has no tiered storage) prints
nothing.

The partitions: --topic, a regular expression matching whole topic names
(commas mean "or"), with --partitions 0,1,...; or --topic-partitions, a
comma-separated list of TOPIC_REGEX[:PARTITION|:FROM-TO|:FROM-|:-TO] rules
(FROM inclusive, TO exclusive); neither means every partition. Internal
topics are included unless --exclude-internal-topics is given.`,
		Example: `  # The end of every partition of orders, then its start
  gregor get-offsets --bootstrap-server localhost:9092 --topic orders
  gregor get-offsets --bootstrap-server localhost:9092 --topic orders --time earliest

  # The first offsets at or after a time, for partitions 0-2 of topics starting with audit
  gregor get-offsets --bootstrap-server localhost:9092 --topic-partitions 'audit.*:0-3' --time 1700000000000`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := runGetOffsets(cmd, f)
			if err != nil && !Reported(err) {
				// Kafka's tool words every failure this way, on standard error.
				fmt.Fprintf(cmd.ErrOrStderr(), "Error occurred: %v\n", err)
				err = reported{err}
			}
			return err
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "a regular expression of the topics (default: every topic)")
	fl.StringVar(&f.partitions, "partitions", "", "comma-separated partition ids (default: every partition)")
	fl.StringVar(&f.topicPartitions, "topic-partitions", "", "comma-separated TOPIC_REGEX[:P|:FROM-TO|:FROM-|:-TO] rules, instead of --topic and --partitions")
	fl.StringVar(&f.time, "time", "latest", "latest (-1), earliest (-2), max-timestamp (-3), earliest-local (-4), latest-tiered (-5), earliest-pending-upload (-6) or a timestamp in ms")
	fl.BoolVar(&f.excludeInternal, "exclude-internal-topics", false, "leave out internal topics")
	return cmd
}

// partitionRule is one rule of --topic-partitions (or --topic with
// --partitions): a topic pattern and the partitions it takes.
type partitionRule struct {
	topic  *regexp.Regexp
	allows func(int32) bool
}

func runGetOffsets(cmd *cobra.Command, f *getOffsetsFlags) error {
	fl := cmd.Flags()
	if fl.Changed("topic-partitions") && (fl.Changed("topic") || fl.Changed("partitions")) {
		return errors.New("--topic-partitions cannot be used with --topic or --partitions")
	}
	ts, err := parseOffsetTime(f.time)
	if err != nil {
		return err
	}
	var rules []partitionRule
	if fl.Changed("topic-partitions") {
		for _, spec := range strings.Split(f.topicPartitions, ",") {
			r, err := parsePartitionRule(spec)
			if err != nil {
				return err
			}
			rules = append(rules, r)
		}
	} else {
		r, err := topicAndPartitionsRule(f.topic, f.partitions)
		if err != nil {
			return err
		}
		rules = []partitionRule{r}
	}
	return f.conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
		tps, err := matchPartitions(ctx, cl, rules, f.excludeInternal)
		if err != nil {
			return err
		}
		if len(tps) == 0 {
			return errors.New("Could not match any topic-partitions with the specified filters")
		}
		lines, err := listOffsetsAt(ctx, cl, tps, ts, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		out := newPrinter(cmd.OutOrStdout())
		for _, l := range lines {
			out.line(l)
		}
		return out.flush()
	})
}

// parseOffsetTime is Kafka's parseOffsetSpec: a name or a number.
func parseOffsetTime(s string) (int64, error) {
	names := map[string]int64{"latest": -1, "earliest": -2, "max-timestamp": -3, "earliest-local": -4,
		"latest-tiered": -5, "earliest-pending-upload": -6}
	if ts, ok := names[s]; ok {
		return ts, nil
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts < -6 {
		return 0, fmt.Errorf("Malformed time argument %s. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload, or a specified long format timestamp", s)
	}
	return ts, nil
}

// topicRegexp compiles a topic pattern as Kafka's TopicFilter does: commas
// mean "or", spaces and surrounding quotes are dropped, and the pattern
// must match the whole name.
func topicRegexp(raw string) (*regexp.Regexp, error) {
	re := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(raw), ",", "|"), " ", "")
	re = strings.TrimRight(strings.TrimLeft(re, `"'`), `"'`)
	if _, err := regexp.Compile(re); err != nil {
		return nil, fmt.Errorf("%s is an invalid regex.", re)
	}
	return regexp.MustCompile("^(?:" + re + ")$"), nil
}

func topicAndPartitionsRule(topic, partitions string) (partitionRule, error) {
	if topic == "" {
		topic = ".*"
	}
	re, err := topicRegexp(topic)
	if err != nil {
		return partitionRule{}, err
	}
	var ids []int32
	if partitions != "" {
		for _, p := range strings.Split(partitions, ",") {
			id, err := strconv.ParseInt(p, 10, 32)
			if err != nil {
				return partitionRule{}, fmt.Errorf("--partitions expects a comma separated list of numeric partition ids, but received: %s", partitions)
			}
			ids = append(ids, int32(id))
		}
	}
	return partitionRule{re, func(p int32) bool { return len(ids) == 0 || slices.Contains(ids, p) }}, nil
}

// partitionRuleSyntax is Kafka's TOPIC_PARTITION_PATTERN.
var partitionRuleSyntax = regexp.MustCompile(`^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$`)

func parsePartitionRule(spec string) (partitionRule, error) {
	m := partitionRuleSyntax.FindStringSubmatch(spec)
	if m == nil {
		return partitionRule{}, fmt.Errorf("Invalid rule specification: %s", spec)
	}
	topic := m[1]
	if topic == "" {
		topic = ".*"
	}
	re, err := topicRegexp(topic)
	if err != nil {
		return partitionRule{}, err
	}
	bound := func(s string, def int64) (int32, error) {
		if s == "" {
			return int32(def), nil
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("Invalid rule specification: %s", spec)
		}
		return int32(n), nil
	}
	if m[2] != "" {
		p, err := bound(m[2], 0)
		return partitionRule{re, func(q int32) bool { return q == p }}, err
	}
	lo, err := bound(m[3], 0)
	if err != nil {
		return partitionRule{}, err
	}
	hi, err := bound(m[4], 1<<31-1)
	return partitionRule{re, func(q int32) bool { return q >= lo && q < hi }}, err
}

// matchPartitions lists the topics (internal ones too, unless excluded)
// and returns the partitions some rule takes.
func matchPartitions(ctx context.Context, cl *kgo.Client, rules []partitionRule, excludeInternal bool) (map[string][]int32, error) {
	topics, err := adminFor(cl).ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, err
	}
	if err := topics.Error(); err != nil {
		return nil, err
	}
	tps := map[string][]int32{}
	for _, t := range topics {
		if t.IsInternal && excludeInternal {
			continue
		}
		for p := range t.Partitions {
			if slices.ContainsFunc(rules, func(r partitionRule) bool { return r.topic.MatchString(t.Topic) && r.allows(p) }) {
				tps[t.Topic] = append(tps[t.Topic], p)
			}
		}
	}
	return tps, nil
}

// listOffsetsAt asks each partition's leader for the offset at ts and
// returns Kafka's topic:partition:offset lines in its order. A partition
// that fails is skipped with Kafka's note on errOut; one with no offset
// (-1) prints nothing.
func listOffsetsAt(ctx context.Context, cl *kgo.Client, tps map[string][]int32, ts int64, errOut io.Writer) ([]string, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for topic, ps := range tps {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = p, ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	type entry struct {
		key  string // Kafka's TopicPartition.toString, the sort key
		line string
	}
	var entries, skipped []entry
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, shard.Err
		}
		for _, t := range shard.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				key := fmt.Sprintf("%s-%d", t.Topic, p.Partition)
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					skipped = append(skipped, entry{key, fmt.Sprintf("Skip getting offsets for topic-partition %s due to error: %v", key, err)})
				} else if p.Offset != -1 {
					entries = append(entries, entry{key, fmt.Sprintf("%s:%d:%d", t.Topic, p.Partition, p.Offset)})
				}
			}
		}
	}
	byKey := func(a, b entry) int { return strings.Compare(a.key, b.key) }
	slices.SortFunc(skipped, byKey)
	for _, s := range skipped {
		fmt.Fprintln(errOut, s.line)
	}
	slices.SortFunc(entries, byKey)
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.line
	}
	return lines, nil
}
