package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"

	"gregor/internal/placement"
)

type reassignFlags struct {
	conn                                      connFlags
	generate, execute, verify, cancel, list   bool
	topicsToMove, reassignmentFile, brokerIDs string
	disableRackAware, additional, preserve    bool
	disallowRFChange                          bool // KIP-860: refuse a plan that changes a replication factor
	timeout                                   int64
	throttle                                  int64 // --throttle, bytes/s; -1: none
	logDirThrottle                            int64 // --replica-alter-log-dirs-throttle, bytes/s; -1: none
}

// reassignActions are the tool's actions, in Kafka's order.
var reassignActions = []string{"generate", "execute", "verify", "cancel", "list"}

func newReassignPartitionsCommand() *cobra.Command {
	f := &reassignFlags{}
	cmd := &cobra.Command{
		Use:   "reassign-partitions",
		Short: "Move partitions between brokers (kafka-reassign-partitions.sh)",
		Long: `Move partition replicas between brokers, as kafka-reassign-partitions.sh does.

Exactly one action: --generate proposes a plan that moves the partitions of
the topics in --topics-to-move-json-file onto --broker-list (Kafka's
rack-aware assignment); --execute starts the reassignments of a plan
(--reassignment-json-file) and prints the current assignment to roll back
with; --verify says which are complete (and, while some are still in
progress, prints a "Progress: ..." summary to standard error); --cancel
stops those in progress; --list lists every reassignment in progress.

The plan is Kafka's JSON:
  {"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[2,3],"log_dirs":["any","any"]}]}
log_dirs, if present, names for each replica the absolute path of the log
dir its broker keeps it in, or "any": --execute then moves those replicas
between their broker's log dirs (AlterReplicaLogDirs, retried until the
replica is on its broker or --timeout ms pass), --verify reports each
move, --cancel moves a replica still moving back to its dir. --execute
--throttle N bounds the copying between brokers to N bytes/s on every
broker taking part (leader and follower.replication.throttled.rate, and
the topics' throttled replicas), --replica-alter-log-dirs-throttle N the
copying between log dirs on the brokers moving replicas; --verify
removes the throttles once every reassignment and move of the plan is
complete.`,
		Example: `  echo '{"topics":[{"topic":"orders"}],"version":1}' > move.json
  gregor reassign-partitions --bootstrap-server localhost:9092 --generate --topics-to-move-json-file move.json --broker-list 2,3,4
  gregor reassign-partitions --bootstrap-server localhost:9092 --execute --reassignment-json-file plan.json
  gregor reassign-partitions --bootstrap-server localhost:9092 --verify --reassignment-json-file plan.json
  gregor reassign-partitions --bootstrap-server localhost:9092 --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReassign(cmd, f) },
	}
	f.conn.register(cmd, false)
	fl := cmd.Flags()
	fl.BoolVar(&f.generate, "generate", false, "generate a candidate reassignment (it does not execute it)")
	fl.BoolVar(&f.execute, "execute", false, "start the reassignment of --reassignment-json-file")
	fl.BoolVar(&f.verify, "verify", false, "verify whether the reassignment of --reassignment-json-file completed")
	fl.BoolVar(&f.cancel, "cancel", false, "cancel the reassignments of --reassignment-json-file in progress")
	fl.BoolVar(&f.list, "list", false, "list all active partition reassignments")
	fl.StringVar(&f.reassignmentFile, "reassignment-json-file", "", "the JSON file of the reassignment plan")
	fl.StringVar(&f.topicsToMove, "topics-to-move-json-file", "", `with --generate: the JSON file of the topics to move, {"topics":[{"topic":"foo"}],"version":1}`)
	fl.StringVar(&f.brokerIDs, "broker-list", "", `with --generate: the brokers to move the partitions to, as "0,1,2"`)
	fl.BoolVar(&f.disableRackAware, "disable-rack-aware", false, "with --generate: ignore broker racks")
	fl.BoolVar(&f.additional, "additional", false, "with --execute: start the reassignment in addition to those in progress")
	fl.BoolVar(&f.disallowRFChange, "disallow-replication-factor-change", false,
		"with --execute: have the controller refuse a plan that changes a partition's replication factor")
	fl.BoolVar(&f.preserve, "preserve-throttles", false, "with --verify or --cancel: leave the replication throttles in place")
	fl.Int64Var(&f.throttle, "throttle", -1, "with --execute: throttle the movement of partitions between brokers to this many bytes/s (at least 1 KB/s); resubmit the current reassignment with --additional to change it")
	fl.Int64Var(&f.timeout, "timeout", 10000, "with --execute or --cancel: the ms to wait for the plan's log dir moves to start")
	fl.Int64Var(&f.logDirThrottle, "replica-alter-log-dirs-throttle", -1, "with --execute: throttle the movement of replicas between log dirs on the same broker to this many bytes/s")
	refuse(cmd,
		refusal{name: "bootstrap-controller", takesValue: true, why: "use --bootstrap-server: brokers forward to the active controller"})
	return cmd
}

func runReassign(cmd *cobra.Command, f *reassignFlags) error {
	if err := f.check(cmd); err != nil {
		return err
	}
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	r := &reassignTool{f: f, adm: kadm.NewClient(cl), out: newPrinter(cmd.OutOrStdout()), errOut: cmd.ErrOrStderr()}
	defer r.out.flush()
	switch {
	case f.generate:
		return r.generatePlan(ctx)
	case f.execute:
		return r.executePlan(ctx)
	case f.verify:
		return r.verifyPlan(ctx)
	case f.cancel:
		return r.cancelPlan(ctx)
	}
	return r.listReassignments(ctx)
}

// check applies Kafka's rules: one action, its required options, and no
// option the action does not take.
func (f *reassignFlags) check(cmd *cobra.Command) error {
	var given []string
	for _, a := range reassignActions {
		if cmd.Flags().Changed(a) {
			given = append(given, a)
		}
	}
	if len(given) != 1 {
		return errors.New("Command must include exactly one action: --generate, --execute, --verify, --cancel, --list")
	}
	if f.conn.bootstrapServer == "" {
		return errors.New("Please specify either --bootstrap-server or --bootstrap-controller")
	}
	action := given[0]
	required := map[string][]string{
		"verify": {"reassignment-json-file"}, "generate": {"topics-to-move-json-file", "broker-list"},
		"execute": {"reassignment-json-file"}, "cancel": {"reassignment-json-file"},
	}
	for _, r := range required[action] {
		if !cmd.Flags().Changed(r) {
			return fmt.Errorf("Missing required argument \"[%s]\"", r)
		}
	}
	permitted := map[string][]string{
		"verify": {"preserve-throttles"}, "generate": {"disable-rack-aware"},
		"execute": {"additional", "timeout", "disallow-replication-factor-change", "throttle", "replica-alter-log-dirs-throttle"}, "cancel": {"preserve-throttles", "timeout"},
	}
	allowed := append(append([]string{action, "bootstrap-server", "command-config"}, required[action]...), permitted[action]...)
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if err == nil && !slices.Contains(allowed, fl.Name) && fl.Annotations[refusedAnnotation] == nil {
			err = fmt.Errorf("Option \"[%s]\" can't be used with action \"[%s]\"", fl.Name, action)
		}
	})
	return err
}

// reassignTool runs one action against the cluster.
type reassignTool struct {
	f      *reassignFlags
	adm    *kadm.Client
	out    *printer
	errOut io.Writer // progress
}

// planPartition is one entry of Kafka's reassignment JSON.
type planPartition struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Replicas  []int32  `json:"replicas"`
	LogDirs   []string `json:"log_dirs,omitempty"`
}

type reassignmentPlan struct {
	Version    int             `json:"version"`
	Partitions []planPartition `json:"partitions"`
}

// planJSON formats assignments as Kafka's tool does: sorted by topic and
// partition, with their log dirs ("any" where none is named), on one line.
func planJSON(assignments []planPartition) string {
	sortPlan(assignments)
	plan := reassignmentPlan{Version: 1, Partitions: []planPartition{}}
	for _, a := range assignments {
		dirs := a.LogDirs
		if len(dirs) != len(a.Replicas) {
			dirs = make([]string, len(a.Replicas))
			for i := range dirs {
				dirs[i] = anyLogDir
			}
		}
		plan.Partitions = append(plan.Partitions, planPartition{Topic: a.Topic, Partition: a.Partition, Replicas: a.Replicas, LogDirs: dirs})
	}
	b, _ := json.Marshal(plan)
	return string(b)
}

func sortPlan(ps []planPartition) {
	slices.SortFunc(ps, func(a, b planPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
}

func tpString(topic string, p int32) string { return topic + "-" + strconv.Itoa(int(p)) }

// readPlan reads and checks a reassignment plan as Kafka's tool does.
func readPlan(path string) ([]planPartition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var plan reassignmentPlan
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, fmt.Errorf("The input string is not a valid JSON: %v", err)
	}
	if plan.Version != 1 {
		return nil, fmt.Errorf("Not supported version field value %d", plan.Version)
	}
	if len(plan.Partitions) == 0 {
		return nil, errors.New("Partition reassignment list cannot be empty")
	}
	return plan.Partitions, checkPlan(plan.Partitions)
}

func checkPlan(ps []planPartition) error {
	seen := map[string]bool{}
	for _, p := range ps {
		tp := tpString(p.Topic, p.Partition)
		switch {
		case len(p.Replicas) == 0:
			return errors.New("Partition replica list cannot be empty")
		case seen[tp]:
			return fmt.Errorf("Partition reassignment contains duplicate topic partitions: %s", tp)
		case len(p.LogDirs) > 0 && len(p.LogDirs) != len(p.Replicas):
			return fmt.Errorf("Size of replicas list %v is different from size of log dirs list %v for partition %s", p.Replicas, p.LogDirs, tp)
		}
		seen[tp] = true
		for i, r := range p.Replicas {
			if slices.Contains(p.Replicas[:i], r) {
				return fmt.Errorf("Partition replica lists may not contain duplicate entries: %s contains multiple entries for %d", tp, r)
			}
		}
	}
	return nil
}

// currentAssignment returns the replicas of the partitions of topics.
func (r *reassignTool) currentAssignment(ctx context.Context, topics []string) (map[string][]planPartition, error) {
	details, err := r.adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	out := map[string][]planPartition{}
	for _, t := range topics {
		d, ok := details[t]
		if !ok || d.Err != nil {
			return nil, fmt.Errorf("Topic %s does not exist: This server does not host this topic-partition.", t)
		}
		for _, p := range d.Partitions.Sorted() {
			out[t] = append(out[t], planPartition{Topic: t, Partition: p.Partition, Replicas: p.Replicas})
		}
	}
	return out, nil
}

// executePlan starts the plan's reassignments.
func (r *reassignTool) executePlan(ctx context.Context) error {
	plan, err := readPlan(r.f.reassignmentFile)
	if err != nil {
		return err
	}
	ongoing, err := r.adm.ListPartitionReassignments(ctx, nil)
	if err != nil {
		return err
	}
	if len(ongoing) > 0 && !r.f.additional {
		return errors.New("Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.")
	}
	if err := r.checkBrokers(ctx, plan); err != nil {
		return err
	}
	if err := r.printRollback(ctx, plan); err != nil {
		return err
	}
	moves := planMoves(plan)
	if r.f.throttle >= 0 || r.f.logDirThrottle >= 0 {
		r.out.line("Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.")
	}
	if r.f.throttle >= 0 {
		if err := r.setThrottles(ctx, plan, ongoing); err != nil {
			return err
		}
	}
	if r.f.logDirThrottle >= 0 {
		if err := r.setLogDirThrottle(ctx, moves); err != nil {
			return err
		}
	}
	if err := r.alter(ctx, plan); err != nil {
		return err
	}
	if len(moves) == 0 {
		return nil
	}
	return r.executeMoves(ctx, moves)
}

// partitionMove is a partition's replicas copying data (sources) and
// those being added (destinations).
type partitionMove struct{ sources, destinations []int32 }

// setThrottles throttles the plan's moves and those in progress, as
// Kafka's tool: on each topic, leader.replication.throttled.replicas names
// every source replica and follower.replication.throttled.replicas every
// new one; every broker taking part gets --throttle as its leader and
// follower replication rate.
func (r *reassignTool) setThrottles(ctx context.Context, plan []planPartition, ongoing kadm.ListPartitionReassignmentsResponses) error {
	moves := map[string]map[int32]partitionMove{}
	for _, o := range ongoing.Sorted() {
		sources := slices.DeleteFunc(slices.Clone(o.Replicas), func(id int32) bool { return slices.Contains(o.AddingReplicas, id) })
		moveOf(moves, o.Topic)[o.Partition] = partitionMove{sources: sources, destinations: o.AddingReplicas}
	}
	current, err := r.currentAssignment(ctx, planTopics(plan))
	if err != nil {
		return err
	}
	for _, p := range plan {
		m, ok := moveOf(moves, p.Topic)[p.Partition]
		if !ok {
			for _, c := range current[p.Topic] {
				if c.Partition == p.Partition {
					m.sources = c.Replicas
				}
			}
		}
		m.destinations = slices.DeleteFunc(slices.Clone(p.Replicas), func(id int32) bool { return slices.Contains(m.sources, id) })
		moves[p.Topic][p.Partition] = m
	}
	var brokers []int32
	topicsOf := map[string][]kadm.AlterConfig{}
	for _, topic := range slices.Sorted(maps.Keys(moves)) {
		var leaders, followers []string
		for part, m := range moves[topic] {
			for _, id := range m.sources {
				leaders = append(leaders, fmt.Sprintf("%d:%d", part, id))
			}
			for _, id := range m.destinations {
				followers = append(followers, fmt.Sprintf("%d:%d", part, id))
			}
			brokers = append(append(brokers, m.sources...), m.destinations...)
		}
		slices.Sort(leaders) // Kafka's TreeSet of strings
		slices.Sort(followers)
		l, f := strings.Join(leaders, ","), strings.Join(followers, ",")
		topicsOf[topic] = []kadm.AlterConfig{
			{Op: kadm.SetConfig, Name: "leader.replication.throttled.replicas", Value: &l},
			{Op: kadm.SetConfig, Name: "follower.replication.throttled.replicas", Value: &f},
		}
	}
	for topic, ops := range topicsOf {
		resps, err := r.adm.AlterTopicConfigs(ctx, ops, topic)
		if err := firstAlterError(resps, err); err != nil {
			return err
		}
	}
	slices.Sort(brokers)
	rate := strconv.FormatInt(r.f.throttle, 10)
	for _, id := range slices.Compact(brokers) {
		ops := []kadm.AlterConfig{
			{Op: kadm.SetConfig, Name: "leader.replication.throttled.rate", Value: &rate},
			{Op: kadm.SetConfig, Name: "follower.replication.throttled.rate", Value: &rate},
		}
		resps, err := r.adm.AlterBrokerConfigs(ctx, ops, id)
		if err := firstAlterError(resps, err); err != nil {
			return err
		}
	}
	r.out.linef("The inter-broker throttle limit was set to %d B/s", r.f.throttle)
	return nil
}

// moveOf returns the moves of topic, created empty.
func moveOf(moves map[string]map[int32]partitionMove, topic string) map[int32]partitionMove {
	if moves[topic] == nil {
		moves[topic] = map[int32]partitionMove{}
	}
	return moves[topic]
}

// firstAlterError is the error of an AlterConfigs call or of its first
// failed resource.
func firstAlterError(resps kadm.AlterConfigsResponses, err error) error {
	if err != nil {
		return err
	}
	for _, r := range resps {
		if r.Err != nil {
			return errors.New(kafkaMessage(r.Err, r.ErrMessage))
		}
	}
	return nil
}

func (r *reassignTool) checkBrokers(ctx context.Context, plan []planPartition) error {
	brokers, err := r.adm.ListBrokers(ctx)
	if err != nil {
		return err
	}
	ids := brokers.NodeIDs()
	for _, p := range plan {
		for _, id := range p.Replicas {
			if !slices.Contains(ids, id) {
				return fmt.Errorf("Unknown broker id %d", id)
			}
		}
	}
	return nil
}

// printRollback prints the current assignment of the plan's partitions.
func (r *reassignTool) printRollback(ctx context.Context, plan []planPartition) error {
	current, err := r.currentAssignment(ctx, planTopics(plan))
	if err != nil {
		return err
	}
	var rollback []planPartition
	for _, p := range plan {
		for _, c := range current[p.Topic] {
			if c.Partition == p.Partition {
				rollback = append(rollback, c)
			}
		}
	}
	r.withLogDirs(ctx, rollback)
	r.out.linef("Current partition replica assignment\n\n%s\n\nSave this to use as the --reassignment-json-file option during rollback", planJSON(rollback))
	return nil
}

func planTopics(plan []planPartition) []string {
	var topics []string
	for _, p := range plan {
		if !slices.Contains(topics, p.Topic) {
			topics = append(topics, p.Topic)
		}
	}
	return topics
}

func (r *reassignTool) alter(ctx context.Context, plan []planPartition) error {
	var req kadm.AlterPartitionAssignmentsReq
	for _, p := range plan {
		req.Assign(p.Topic, p.Partition, p.Replicas)
	}
	if r.f.disallowRFChange {
		ctx = kadm.ForbidAlterRf(ctx)
	}
	resps, err := r.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return err
	}
	sortPlan(plan)
	var failed, started []string
	for _, p := range plan {
		res := resps[p.Topic][p.Partition]
		if res.Err != nil {
			failed = append(failed, tpString(p.Topic, p.Partition)+": "+kafkaMessage(res.Err, res.ErrMessage))
		}
		started = append(started, tpString(p.Topic, p.Partition))
	}
	if len(failed) > 0 {
		return fmt.Errorf("Error reassigning partition(s):\n%s", strings.Join(failed, "\n"))
	}
	r.out.linef("Successfully started partition reassignment%s for %s", plural(len(started)), strings.Join(started, ","))
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// verifyPlan prints whether each of the plan's reassignments completed.
func (r *reassignTool) verifyPlan(ctx context.Context) error {
	plan, err := readPlan(r.f.reassignmentFile)
	if err != nil {
		return err
	}
	ongoing, err := r.adm.ListPartitionReassignments(ctx, nil)
	if err != nil {
		return err
	}
	current, err := r.currentAssignment(ctx, planTopics(plan))
	if err != nil {
		return err
	}
	sortPlan(plan)
	r.out.line("Status of partition reassignment:")
	var count reassignCount
	for _, p := range plan {
		status := reassignmentStatus(p, ongoing, current[p.Topic])
		count.add(status)
		r.out.line(status)
	}
	movesDone := r.verifyMoves(ctx, planMoves(plan))
	if count.inProgress > 0 {
		if err := r.out.flush(); err != nil {
			return err
		}
		fmt.Fprintln(r.errOut, count.progressLine(len(plan)))
	}
	if len(ongoing) == 0 && movesDone && !r.f.preserve {
		return r.clearThrottles(ctx, plan)
	}
	return nil
}

// reassignCount counts the statuses --verify printed.
type reassignCount struct{ completed, inProgress int }

func (c *reassignCount) add(status string) {
	switch {
	case strings.HasSuffix(status, " is completed."):
		c.completed++
	case strings.HasSuffix(status, " is still in progress."):
		c.inProgress++
	}
}

// progressLine sums up a reassignment still in progress, which Kafka's
// tool leaves to the reader of one line per partition.
func (c reassignCount) progressLine(total int) string {
	pct := 100 * float64(c.completed) / float64(total)
	line := fmt.Sprintf("Progress: %d of %d partitions reassigned (%.0f%%), %d still in progress", c.completed, total, pct, c.inProgress)
	if other := total - c.completed - c.inProgress; other > 0 {
		line += fmt.Sprintf(", %d with another replica set", other)
	}
	return line
}

func reassignmentStatus(p planPartition, ongoing kadm.ListPartitionReassignmentsResponses, current []planPartition) string {
	tp := tpString(p.Topic, p.Partition)
	if _, ok := ongoing[p.Topic][p.Partition]; ok {
		return fmt.Sprintf("Reassignment of partition %s is still in progress.", tp)
	}
	var replicas []int32
	for _, c := range current {
		if c.Partition == p.Partition {
			replicas = c.Replicas
		}
	}
	if slices.Equal(replicas, p.Replicas) {
		return fmt.Sprintf("Reassignment of partition %s is completed.", tp)
	}
	return fmt.Sprintf("There is no active reassignment of partition %s, but replica set is %s rather than %s.", tp, joinIDs(replicas), joinIDs(p.Replicas))
}

// clearThrottles removes the reassignment throttles as Kafka's tool does
// once a plan is complete: the broker rates on every broker (and every
// one the plan names), the throttled replicas of the plan's topics.
func (r *reassignTool) clearThrottles(ctx context.Context, plan []planPartition) error {
	brokers, err := r.adm.ListBrokers(ctx)
	if err != nil {
		return err
	}
	ids := brokers.NodeIDs()
	for _, p := range plan {
		for _, id := range p.Replicas {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	topics := planTopics(plan)
	slices.Sort(topics)
	r.out.linef("Clearing broker-level throttles on broker%s %s", plural(len(ids)), joinIDs(ids))
	brokerKeys := []string{"leader.replication.throttled.rate", "follower.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"}
	for _, id := range ids {
		if err := firstAlterError(r.adm.AlterBrokerConfigs(ctx, deletions(brokerKeys), id)); err != nil {
			return err
		}
	}
	r.out.linef("Clearing topic-level throttles on topic%s %s", plural(len(topics)), strings.Join(topics, ","))
	topicKeys := []string{"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}
	if len(topics) > 0 {
		return firstAlterError(r.adm.AlterTopicConfigs(ctx, deletions(topicKeys), topics...))
	}
	return nil
}

// deletions are the AlterConfigs that delete keys.
func deletions(keys []string) []kadm.AlterConfig {
	var out []kadm.AlterConfig
	for _, k := range keys {
		out = append(out, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	return out
}

// cancelPlan cancels the plan's reassignments in progress.
func (r *reassignTool) cancelPlan(ctx context.Context) error {
	plan, err := readPlan(r.f.reassignmentFile)
	if err != nil {
		return err
	}
	set := kadm.TopicsSet{}
	for _, p := range plan {
		set.Add(p.Topic, p.Partition)
	}
	ongoing, err := r.adm.ListPartitionReassignments(ctx, set)
	if err != nil {
		return err
	}
	var req kadm.AlterPartitionAssignmentsReq
	var cancelled []planPartition
	for _, l := range ongoing.Sorted() {
		req.CancelAssign(l.Topic, l.Partition)
		cancelled = append(cancelled, planPartition{Topic: l.Topic, Partition: l.Partition})
	}
	if err := r.cancelAll(ctx, req, cancelled); err != nil {
		return err
	}
	if active := r.activeMoves(ctx, planMoves(plan)); len(active) > 0 {
		if err := r.executeMoves(ctx, active); err != nil {
			return err
		}
	} else {
		r.out.raw([]byte("None of the specified partition moves are active.")) // no newline, as Kafka's tool
	}
	if !r.f.preserve {
		return r.clearThrottles(ctx, plan)
	}
	return nil
}

func (r *reassignTool) cancelAll(ctx context.Context, req kadm.AlterPartitionAssignmentsReq, cancelled []planPartition) error {
	if len(cancelled) == 0 {
		r.out.line("None of the specified partition reassignments are active.")
		return nil
	}
	resps, err := r.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return err
	}
	var failed, names []string
	for _, c := range cancelled {
		names = append(names, tpString(c.Topic, c.Partition))
		if res := resps[c.Topic][c.Partition]; res.Err != nil {
			failed = append(failed, tpString(c.Topic, c.Partition)+": "+kafkaMessage(res.Err, res.ErrMessage))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("Error cancelling partition reassignment%s for:\n%s", plural(len(failed)), strings.Join(failed, "\n"))
	}
	r.out.linef("Successfully cancelled partition reassignment%s for: %s", plural(len(names)), strings.Join(names, ","))
	return nil
}

// listReassignments lists every reassignment in progress.
func (r *reassignTool) listReassignments(ctx context.Context) error {
	ongoing, err := r.adm.ListPartitionReassignments(ctx, nil)
	if err != nil {
		return err
	}
	if len(ongoing) == 0 {
		r.out.line("No partition reassignments found.")
		return nil
	}
	r.out.line("Current partition reassignments:")
	for _, l := range ongoing.Sorted() {
		line := fmt.Sprintf("%s: replicas: %s.", tpString(l.Topic, l.Partition), joinIDs(l.Replicas))
		if len(l.AddingReplicas) > 0 {
			line += fmt.Sprintf(" adding: %s.", joinIDs(l.AddingReplicas))
		}
		if len(l.RemovingReplicas) > 0 {
			line += fmt.Sprintf(" removing: %s.", joinIDs(l.RemovingReplicas))
		}
		r.out.line(line)
	}
	return nil
}

// generatePlan proposes moving the partitions of the topics to move onto
// the broker list, with Kafka's assignment.
func (r *reassignTool) generatePlan(ctx context.Context) error {
	brokerIDs, topics, err := r.generateArgs()
	if err != nil {
		return err
	}
	current, err := r.currentAssignment(ctx, topics)
	if err != nil {
		return err
	}
	brokers, err := r.placementBrokers(ctx, brokerIDs)
	if err != nil {
		return err
	}
	var cur, proposed []planPartition
	for _, t := range topics {
		ps := current[t]
		cur = append(cur, ps...)
		rf := int16(len(ps[0].Replicas))
		if int(rf) > len(brokers) {
			return fmt.Errorf("Replication factor: %d larger than available brokers: %d.", rf, len(brokers))
		}
		for p, replicas := range placement.Assign(placement.RackAlternated(brokers), 0, 0, int32(len(ps)), rf) {
			proposed = append(proposed, planPartition{Topic: t, Partition: int32(p), Replicas: replicas})
		}
	}
	r.withLogDirs(ctx, cur)
	r.out.linef("Current partition replica assignment\n%s\n", planJSON(cur))
	r.out.linef("Proposed partition reassignment configuration\n%s", planJSON(proposed))
	return nil
}

func (r *reassignTool) generateArgs() ([]int32, []string, error) {
	var ids []int32
	for _, s := range strings.Split(r.f.brokerIDs, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("--broker-list: %q is not a broker id", s)
		}
		if slices.Contains(ids, int32(id)) {
			return nil, nil, fmt.Errorf("Broker list contains duplicate entries: %d", id)
		}
		ids = append(ids, int32(id))
	}
	data, err := os.ReadFile(r.f.topicsToMove)
	if err != nil {
		return nil, nil, err
	}
	var move struct {
		Version int `json:"version"`
		Topics  []struct {
			Topic string `json:"topic"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(data, &move); err != nil {
		return nil, nil, fmt.Errorf("The input string is not a valid JSON: %v", err)
	}
	if move.Version != 0 && move.Version != 1 {
		return nil, nil, fmt.Errorf("Not supported version field value %d", move.Version)
	}
	var topics []string
	for _, t := range move.Topics {
		if slices.Contains(topics, t.Topic) {
			return nil, nil, fmt.Errorf("List of topics to reassign contains duplicate entries: %s", t.Topic)
		}
		topics = append(topics, t.Topic)
	}
	return ids, topics, nil
}

// placementBrokers returns the listed brokers that exist, with their racks
// unless --disable-rack-aware; some with a rack and some without is an
// error, as in Kafka's tool.
func (r *reassignTool) placementBrokers(ctx context.Context, ids []int32) ([]placement.Broker, error) {
	brokers, err := r.adm.ListBrokers(ctx)
	if err != nil {
		return nil, err
	}
	var out []placement.Broker
	racked := 0
	for _, b := range brokers {
		if !slices.Contains(ids, b.NodeID) {
			continue
		}
		pb := placement.Broker{ID: b.NodeID}
		if b.Rack != nil && !r.f.disableRackAware {
			pb.Rack, racked = *b.Rack, racked+1
		}
		out = append(out, pb)
	}
	if racked > 0 && racked < len(out) {
		return nil, errors.New("Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.")
	}
	return out, nil
}
