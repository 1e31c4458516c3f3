package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicsFlags are kafka-topics.sh's flags.
type topicsFlags struct {
	conn                   connFlags
	create, list, describe bool
	delete, alter          bool
	topic                  string
	partitions             int32
	replicationFactor      int16
	configs                []string
	ifNotExists, ifExists  bool
	excludeInternal        bool
	underReplicated        bool
	unavailable            bool
	underMinISR, atMinISR  bool
	withOverrides          bool
	topicID                string
	partitionLimit         int32
}

// topicsActions are kafka-topics.sh's actions, exactly one of which is given.
var topicsActions = []string{"alter", "create", "describe", "list", "delete"}

// topicsReports are --describe's partition filters.
var topicsReports = []string{"under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"}

func newTopicsCommand() *cobra.Command {
	f := &topicsFlags{}
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "Create, list, describe, alter and delete topics (kafka-topics.sh)",
		Long: `Create, list, describe, alter and delete topics, as kafka-topics.sh does.

Exactly one of --create, --list, --describe, --alter or --delete is required.
For --list, --describe, --alter and --delete, --topic is a regular expression
matched against whole topic names; without it they apply to every topic.`,
		Example: `  # A topic with 3 partitions and a config override
  gregor topics --bootstrap-server localhost:9092 --create --topic orders \
      --partitions 3 --replication-factor 1 --config retention.ms=86400000

  # All topics, one per line; --exclude-internal hides __consumer_offsets etc.
  gregor topics --bootstrap-server localhost:9092 --list

  # Partitions, leaders, replicas and ISR
  gregor topics --bootstrap-server localhost:9092 --describe --topic orders

  # Grow to 6 partitions (the count can only increase)
  gregor topics --bootstrap-server localhost:9092 --alter --topic orders --partitions 6

  # Delete, without failing if it is already gone
  gregor topics --bootstrap-server localhost:9092 --delete --topic orders --if-exists`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTopics(cmd, f)
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVar(&f.create, "create", false, "create a new topic")
	fl.BoolVar(&f.list, "list", false, "list all available topics")
	fl.BoolVar(&f.describe, "describe", false, "describe topics: partitions, leaders, replicas, ISR and config overrides")
	fl.BoolVar(&f.delete, "delete", false, "delete topics")
	fl.BoolVar(&f.alter, "alter", false, "alter the number of partitions")
	fl.StringVar(&f.topic, "topic", "", "the topic (a regular expression except with --create)")
	fl.Int32Var(&f.partitions, "partitions", -1, "the number of partitions (--create: default the broker's num.partitions; --alter: the new total)")
	fl.Int16Var(&f.replicationFactor, "replication-factor", -1, "the replication factor (default the broker's default.replication.factor)")
	fl.StringArrayVar(&f.configs, "config", nil, "a topic config override, key=value (repeatable)")
	fl.BoolVar(&f.ifNotExists, "if-not-exists", false, "with --create: do nothing if the topic exists")
	fl.BoolVar(&f.ifExists, "if-exists", false, "with --alter, --describe or --delete: do nothing if the topic does not exist")
	fl.BoolVar(&f.excludeInternal, "exclude-internal", false, "exclude internal topics from --list and --describe")
	fl.BoolVar(&f.underReplicated, "under-replicated-partitions", false, "with --describe: only partitions whose ISR is smaller than the replica set")
	fl.BoolVar(&f.unavailable, "unavailable-partitions", false, "with --describe: only partitions without a leader")
	fl.BoolVar(&f.underMinISR, "under-min-isr-partitions", false, "with --describe: only partitions whose ISR is smaller than min.insync.replicas (or without a leader)")
	fl.BoolVar(&f.atMinISR, "at-min-isr-partitions", false, "with --describe: only partitions whose ISR size equals min.insync.replicas")
	fl.BoolVar(&f.withOverrides, "topics-with-overrides", false, "with --describe: only topics that have config overrides, without their partitions")
	fl.StringVar(&f.topicID, "topic-id", "", "with --describe: the topic id to describe")
	fl.Int32Var(&f.partitionLimit, "partition-size-limit-per-response", 0,
		"accepted for compatibility: Kafka pages DescribeTopicPartitions by this size; the output is the same without paging")
	refuse(cmd,
		refusal{"replica-assignment", true, "manual partition-to-broker assignment; the controller places replicas"},
		refusal{"delete-config", true, "removed in Kafka 4.0; use 'gregor configs --alter --delete-config'"},
	)
	return cmd
}

func runTopics(cmd *cobra.Command, f *topicsFlags) error {
	action, err := f.action(cmd)
	if err != nil {
		return err
	}
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	t := &topicsTool{adm: kadm.NewClient(cl), f: f, out: newPrinter(cmd.OutOrStdout())}
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	err = action(t, ctx)
	if ferr := t.out.flush(); err == nil {
		err = ferr
	}
	return err
}

// action checks that exactly one operation was asked for, with the
// arguments it needs, and returns it.
func (f *topicsFlags) action(cmd *cobra.Command) (func(*topicsTool, context.Context) error, error) {
	n := 0
	for _, b := range []bool{f.create, f.list, f.describe, f.delete, f.alter} {
		if b {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	needTopic := f.create || f.alter || f.delete
	if needTopic && f.topic == "" {
		return nil, errors.New("missing required argument \"[topic]\": pass --topic")
	}
	if err := topicsInvalidArgs(cmd); err != nil {
		return nil, err
	}
	switch {
	case f.create:
		return (*topicsTool).create, nil
	case f.list:
		return (*topicsTool).list, nil
	case f.describe:
		return (*topicsTool).describe, nil
	case f.delete:
		return (*topicsTool).delete, nil
	}
	if f.partitions < 0 {
		return nil, errors.New("--alter needs --partitions: the new number of partitions")
	}
	if len(f.configs) > 0 {
		return nil, errors.New("option \"[config]\" can't be used with option \"[alter]\"; use 'gregor configs --alter'")
	}
	return (*topicsTool).alterPartitions, nil
}

// topicsInvalidArgs refuses the options that make no sense with the
// action given, as kafka-topics.sh's checkInvalidArgs does.
func topicsInvalidArgs(cmd *cobra.Command) error {
	except := func(keep ...string) []string {
		var out []string
		for _, a := range topicsActions {
			if !slices.Contains(keep, a) {
				out = append(out, a)
			}
		}
		return out
	}
	checks := [][]string{
		append([]string{"config"}, except("alter", "create")...),
		append([]string{"partitions"}, except("alter", "create")...),
		append([]string{"replication-factor"}, except("create")...),
		append([]string{"topics-with-overrides"}, append(except("describe"), topicsReports...)...),
		append([]string{"if-exists"}, except("alter", "delete", "describe")...),
		append([]string{"if-not-exists"}, except("create")...),
		append([]string{"exclude-internal"}, except("list", "describe")...),
		append([]string{"topic-id"}, except("describe")...),
	}
	for _, r := range topicsReports {
		checks = append(checks, append([]string{r, "topics-with-overrides"}, except("describe")...))
	}
	for _, c := range checks {
		if err := conflict(cmd, c[0], c[1:]...); err != nil {
			return err
		}
	}
	if fl := cmd.Flags(); fl.Changed("partition-size-limit-per-response") {
		if n, _ := fl.GetInt32("partition-size-limit-per-response"); n <= 0 {
			return fmt.Errorf("--partition-size-limit-per-response: expected a positive integer, got %d", n)
		}
	}
	return nil
}

// topicsTool runs one kafka-topics action.
type topicsTool struct {
	adm *kadm.Client
	f   *topicsFlags
	out *printer
}

func (t *topicsTool) create(ctx context.Context) error {
	configs := map[string]*string{}
	for _, kv := range t.f.configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("invalid --config %q: expected key=value", kv)
		}
		configs[k] = &v
	}
	topic := t.f.topic
	if strings.ContainsAny(topic, "._") {
		t.out.line("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	resp, err := t.adm.CreateTopic(ctx, t.f.partitions, t.f.replicationFactor, configs, topic)
	if err == nil {
		err = resp.Err
	}
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists):
		if t.f.ifNotExists {
			return nil
		}
		return fmt.Errorf("Topic '%s' already exists.", topic) // Kafka's wording
	case err != nil:
		return fmt.Errorf("cannot create topic '%s': %s", topic, kafkaMessage(err, resp.ErrMessage))
	}
	t.out.linef("Created topic %s.", topic)
	return nil
}

func (t *topicsTool) list(ctx context.Context) error {
	details, err := t.matching(ctx)
	if err != nil {
		return err
	}
	for _, d := range details {
		t.out.line(d.Topic)
	}
	return nil
}

// matching returns the topics --topic selects, sorted by name, and fails
// as Kafka does when a named topic is missing and --if-exists is not set.
func (t *topicsTool) matching(ctx context.Context) ([]kadm.TopicDetail, error) {
	all, err := t.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, err
	}
	var match *regexp.Regexp
	if t.f.topic != "" {
		if match, err = regexp.Compile("^(?:" + t.f.topic + ")$"); err != nil {
			return nil, fmt.Errorf("invalid --topic pattern %q: %v", t.f.topic, err)
		}
	}
	var out []kadm.TopicDetail
	for _, d := range all.Sorted() {
		if d.Err != nil || (match != nil && !match.MatchString(d.Topic)) {
			continue
		}
		if t.f.topicID != "" && kafkaUUID(d.ID) != t.f.topicID {
			continue
		}
		if t.f.excludeInternal && (d.IsInternal || strings.HasPrefix(d.Topic, "__")) {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 && t.f.topic != "" && !t.f.list && !t.f.ifExists {
		return nil, topicNotFound(t.f.topic)
	}
	if len(out) == 0 && t.f.topicID != "" && !t.f.ifExists {
		return nil, fmt.Errorf("Topic '%s' does not exist as expected", t.f.topicID) // Kafka's wording, with the id
	}
	return out, nil
}

func (t *topicsTool) describe(ctx context.Context) error {
	details, err := t.matching(ctx)
	if err != nil || len(details) == 0 {
		return err
	}
	configs, err := t.topicConfigs(ctx, details)
	if err != nil {
		return err
	}
	cl, err := t.clusterState(ctx, details)
	if err != nil {
		return err
	}
	for _, d := range details {
		t.describeTopic(d, configs[d.Topic], cl)
	}
	return nil
}

// clusterState is what --describe needs of the cluster beyond the topics:
// the live brokers (for --unavailable-partitions) and the reassignments in
// progress (printed, and counted out of the replication factor).
type clusterState struct {
	live         map[int32]bool
	reassignment map[string]map[int32]kadm.ListPartitionReassignmentsResponse
}

func (t *topicsTool) clusterState(ctx context.Context, details []kadm.TopicDetail) (clusterState, error) {
	cs := clusterState{live: map[int32]bool{}, reassignment: map[string]map[int32]kadm.ListPartitionReassignmentsResponse{}}
	brokers, err := t.adm.ListBrokers(ctx)
	if err != nil {
		return cs, fmt.Errorf("cannot describe the cluster: %w", err)
	}
	for _, b := range brokers {
		cs.live[b.NodeID] = true
	}
	set := kadm.TopicsSet{}
	for _, d := range details {
		for p := range d.Partitions {
			set.Add(d.Topic, p)
		}
	}
	// As Kafka's tool, a cluster that cannot list reassignments has none.
	if ras, err := t.adm.ListPartitionReassignments(ctx, set); err == nil {
		for topic, ps := range ras {
			cs.reassignment[topic] = ps
		}
	}
	return cs, nil
}

// reassigning returns p's reassignment when it is still in progress: a
// replica it adds or removes is among p's replicas (Kafka's
// isReassignmentInProgress).
func (cs clusterState) reassigning(topic string, p kadm.PartitionDetail) (kadm.ListPartitionReassignmentsResponse, bool) {
	ra, ok := cs.reassignment[topic][p.Partition]
	if !ok {
		return ra, false
	}
	for _, r := range p.Replicas {
		if slices.Contains(ra.AddingReplicas, r) || slices.Contains(ra.RemovingReplicas, r) {
			return ra, true
		}
	}
	return ra, false
}

// replicationFactor is p's, not counting the replicas a reassignment adds.
func (cs clusterState) replicationFactor(topic string, p kadm.PartitionDetail) int {
	if ra, ok := cs.reassigning(topic, p); ok {
		return len(ra.Replicas) - len(ra.AddingReplicas)
	}
	return len(p.Replicas)
}

// topicConfig is what --describe needs of a topic's configs.
type topicConfig struct {
	overrides string // non-default configs as "k=v,...", as kafka-topics --describe prints them
	minISR    int    // min.insync.replicas, for the min-ISR reports
}

// topicConfigs describes the configs of details' topics.
func (t *topicsTool) topicConfigs(ctx context.Context, details []kadm.TopicDetail) (map[string]topicConfig, error) {
	names := make([]string, len(details))
	for i, d := range details {
		names[i] = d.Topic
	}
	rcs, err := t.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("cannot describe topic configs: %w", err)
	}
	out := map[string]topicConfig{}
	for _, rc := range rcs {
		tc := topicConfig{minISR: 1}
		var kvs []string
		for _, c := range rc.Configs {
			if c.Key == "min.insync.replicas" {
				if n, err := strconv.Atoi(c.MaybeValue()); err == nil {
					tc.minISR = n
				}
			}
			if c.Source == kmsg.ConfigSourceDefaultConfig || c.Source == kmsg.ConfigSourceUnknown {
				continue
			}
			v := c.MaybeValue()
			if c.Sensitive {
				v = "<sensitive>"
			}
			kvs = append(kvs, c.Key+"="+v)
		}
		sort.Strings(kvs)
		tc.overrides = strings.Join(kvs, ",")
		out[rc.Name] = tc
	}
	return out, nil
}

// reporting reports whether a partition report (--under-replicated-partitions
// and the like) was asked for: then only matching partitions are printed,
// without the topic line.
func (f *topicsFlags) reporting() bool {
	return f.underReplicated || f.unavailable || f.underMinISR || f.atMinISR
}

// reported reports whether p matches one of the reports asked for, with
// Kafka's definitions.
func (f *topicsFlags) reported(p kadm.PartitionDetail, minISR, rf int, live map[int32]bool) bool {
	hasLeader := p.Leader >= 0
	return (f.underReplicated && len(p.ISR) < rf) ||
		(f.unavailable && (!hasLeader || !live[p.Leader])) ||
		(f.underMinISR && (!hasLeader || len(p.ISR) < minISR)) ||
		(f.atMinISR && len(p.ISR) == minISR)
}

func (t *topicsTool) describeTopic(d kadm.TopicDetail, tc topicConfig, cs clusterState) {
	parts := d.Partitions.Sorted()
	rf := 0
	if len(parts) > 0 {
		rf = cs.replicationFactor(d.Topic, parts[0])
	}
	if !t.f.reporting() && (!t.f.withOverrides || tc.overrides != "") {
		t.out.fields(false,
			"Topic", d.Topic,
			"TopicId", kafkaUUID(d.ID),
			"PartitionCount", strconv.Itoa(len(parts)),
			"ReplicationFactor", strconv.Itoa(rf),
			"Configs", tc.overrides)
	}
	if t.f.withOverrides {
		return // Kafka prints no partitions with --topics-with-overrides
	}
	for _, p := range parts {
		if t.f.reporting() && !t.f.reported(p, tc.minISR, cs.replicationFactor(d.Topic, p), cs.live) {
			continue
		}
		t.out.fields(true, partitionFields(d.Topic, p, cs)...)
	}
}

// partitionFields are a partition's --describe fields, with the replicas a
// reassignment in progress adds and removes, as Kafka prints them.
func partitionFields(topic string, p kadm.PartitionDetail, cs clusterState) []string {
	leader := "none"
	if p.Leader >= 0 {
		leader = strconv.Itoa(int(p.Leader))
	}
	kvs := []string{
		"Topic", topic,
		"Partition", strconv.Itoa(int(p.Partition)),
		"Leader", leader,
		"Replicas", joinIDs(p.Replicas),
		"Isr", joinIDs(p.ISR),
	}
	if ra, ok := cs.reassignment[topic][p.Partition]; ok {
		kvs = append(kvs, "Adding Replicas", joinIDs(ra.AddingReplicas), "Removing Replicas", joinIDs(ra.RemovingReplicas))
	}
	return append(kvs, "Elr", "", "LastKnownElr", "")
}

// kafkaUUID prints a topic id as Kafka's Uuid.toString does: URL-safe
// base64 without padding.
func kafkaUUID(id kadm.TopicID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func (t *topicsTool) delete(ctx context.Context) error {
	details, err := t.matching(ctx)
	if err != nil || len(details) == 0 {
		return err
	}
	names := make([]string, len(details))
	for i, d := range details {
		names[i] = d.Topic
	}
	resps, err := t.adm.DeleteTopics(ctx, names...)
	if err != nil {
		return err
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil {
			return fmt.Errorf("cannot delete topic '%s': %s", r.Topic, kafkaMessage(r.Err, r.ErrMessage))
		}
	}
	return nil
}

func (t *topicsTool) alterPartitions(ctx context.Context) error {
	details, err := t.matching(ctx)
	if err != nil || len(details) == 0 {
		return err
	}
	for _, d := range details {
		if have := len(d.Partitions); int(t.f.partitions) <= have {
			return fmt.Errorf("the number of partitions for a topic can only be increased. Topic %s currently has %d partitions, %d would not be an increase", d.Topic, have, t.f.partitions)
		}
	}
	names := make([]string, len(details))
	for i, d := range details {
		names[i] = d.Topic
	}
	resps, err := t.adm.UpdatePartitions(ctx, int(t.f.partitions), names...)
	if err != nil {
		return err
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil {
			return fmt.Errorf("cannot alter topic '%s': %s", r.Topic, kafkaMessage(r.Err, r.ErrMessage))
		}
	}
	return nil
}
