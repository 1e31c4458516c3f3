package cli

// The log dir side of reassign-partitions: a plan's log_dirs other than
// "any" move replicas between their broker's log dirs (AlterReplicaLogDirs),
// and the current assignment names the dirs the replicas are in, as Kafka's
// tool does.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// anyLogDir in a plan leaves a replica wherever its broker puts it.
const anyLogDir = "any"

// replicaRef is one replica: a partition on a broker (Kafka's
// TopicPartitionReplica).
type replicaRef struct {
	topic     string
	partition int32
	broker    int32
}

func (r replicaRef) String() string { return fmt.Sprintf("%s-%d-%d", r.topic, r.partition, r.broker) }

func compareReplicas(a, b replicaRef) int {
	if c := strings.Compare(a.topic, b.topic); c != 0 {
		return c
	}
	if a.partition != b.partition {
		return int(a.partition - b.partition)
	}
	return int(a.broker - b.broker)
}

// replicaDirs are the log dirs a replica is in (current) and is being
// moved to (future); "" for none.
type replicaDirs struct{ current, future string }

// describeReplicas asks each broker of refs which of its log dirs hold
// them. A broker that cannot be asked leaves its replicas out.
func (r *reassignTool) describeReplicas(ctx context.Context, refs []replicaRef) map[replicaRef]replicaDirs {
	set := kadm.TopicsSet{}
	var brokers []int32
	for _, ref := range refs {
		set.Add(ref.topic, ref.partition)
		brokers = append(brokers, ref.broker)
	}
	slices.Sort(brokers)
	out := map[replicaRef]replicaDirs{}
	for _, b := range slices.Compact(brokers) {
		dirs, err := r.adm.DescribeBrokerLogDirs(ctx, b, set)
		if err != nil {
			continue
		}
		for _, d := range dirs {
			if d.Err != nil {
				continue
			}
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
				ref := replicaRef{topic: p.Topic, partition: p.Partition, broker: b}
				dirs := out[ref]
				if p.IsFuture {
					dirs.future = p.Dir
				} else {
					dirs.current = p.Dir
				}
				out[ref] = dirs
			})
		}
	}
	return out
}

// withLogDirs names in each partition's log_dirs the dir each replica is
// in, "any" where its broker does not say.
func (r *reassignTool) withLogDirs(ctx context.Context, ps []planPartition) {
	var refs []replicaRef
	for _, p := range ps {
		for _, b := range p.Replicas {
			refs = append(refs, replicaRef{p.Topic, p.Partition, b})
		}
	}
	dirs := r.describeReplicas(ctx, refs)
	for i, p := range ps {
		ps[i].LogDirs = make([]string, len(p.Replicas))
		for j, b := range p.Replicas {
			ps[i].LogDirs[j] = cmpOr(dirs[replicaRef{p.Topic, p.Partition, b}].current, anyLogDir)
		}
	}
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// planMoves are the replicas a plan puts in a named log dir.
func planMoves(plan []planPartition) map[replicaRef]string {
	out := map[replicaRef]string{}
	for _, p := range plan {
		for i, d := range p.LogDirs {
			if d != anyLogDir {
				out[replicaRef{p.Topic, p.Partition, p.Replicas[i]}] = d
			}
		}
	}
	return out
}

// executeMoves starts the log dir moves, again every 100 ms for replicas
// not yet on their broker (REPLICA_NOT_AVAILABLE: a reassignment is still
// bringing them), until --timeout, as Kafka's tool does.
func (r *reassignTool) executeMoves(ctx context.Context, moves map[replicaRef]string) error {
	deadline := time.Now().Add(time.Duration(r.f.timeout) * time.Millisecond)
	pending := maps.Clone(moves)
	for {
		started, err := r.alterReplicaLogDirs(ctx, pending)
		if err != nil {
			return err
		}
		slices.SortFunc(started, compareReplicas)
		for _, ref := range started {
			r.out.linef("Successfully started moving log directory to %s for replica %s-%d with broker %d ", pending[ref], ref.topic, ref.partition, ref.broker)
			delete(pending, ref)
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			left := slices.SortedFunc(maps.Keys(pending), compareReplicas)
			names := make([]string, len(left))
			for i, ref := range left {
				names[i] = ref.String()
			}
			return fmt.Errorf("Timed out before log directory move%s could be started for: %s", plural(len(left)), strings.Join(names, ","))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// alterReplicaLogDirs asks each broker to move its replicas of moves and
// returns those it started moving; a replica not on its broker yet is
// left for the next try, any other error ends the tool.
func (r *reassignTool) alterReplicaLogDirs(ctx context.Context, moves map[replicaRef]string) ([]replicaRef, error) {
	byBroker := map[int32]kadm.AlterReplicaLogDirsReq{}
	for ref, dir := range moves {
		req := byBroker[ref.broker]
		if req == nil {
			req = kadm.AlterReplicaLogDirsReq{}
			byBroker[ref.broker] = req
		}
		req.Add(dir, kadm.TopicsSet{ref.topic: {ref.partition: {}}})
	}
	var started []replicaRef
	for _, b := range slices.Sorted(maps.Keys(byBroker)) {
		resps, err := r.adm.AlterBrokerReplicaLogDirs(ctx, b, byBroker[b])
		if err != nil {
			return nil, fmt.Errorf("Failed to alter dirs on broker %d: %w", b, err)
		}
		var failed error
		resps.Each(func(resp kadm.AlterReplicaLogDirsResponse) {
			ref := replicaRef{resp.Topic, resp.Partition, b}
			switch {
			case resp.Err == nil:
				started = append(started, ref)
			case errors.Is(resp.Err, kerr.ReplicaNotAvailable):
			case failed == nil:
				failed = fmt.Errorf("Failed to alter dir for %s: %w", ref, resp.Err)
			}
		})
		if failed != nil {
			return nil, failed
		}
	}
	return started, nil
}

// moveStatus is the state of one log dir move, as Kafka's tool words it,
// and whether it is over.
func moveStatus(ref replicaRef, target string, dirs replicaDirs) (string, bool) {
	tp := ref.topic + "-" + strconv.Itoa(int(ref.partition))
	switch {
	case dirs.current == "":
		return fmt.Sprintf("Partition %s is not found in any live log dir on broker %d. There is likely an offline log directory on the broker.", tp, ref.broker), true
	case dirs.future == "" && dirs.current == target:
		return fmt.Sprintf("Reassignment of replica %s completed successfully.", ref), true
	case dirs.future == "":
		return fmt.Sprintf("Partition %s on broker %d is not being moved from log dir %s to %s.", tp, ref.broker, dirs.current, target), true
	case dirs.future == target:
		return fmt.Sprintf("Reassignment of replica %s is still in progress.", ref), false
	}
	return fmt.Sprintf("Partition %s on broker %d is being moved to log dir %s instead of %s.", tp, ref.broker, dirs.future, target), false
}

// verifyMoves prints the state of the plan's log dir moves (an empty line
// when it has none, as Kafka's tool) and reports whether all are over.
func (r *reassignTool) verifyMoves(ctx context.Context, moves map[replicaRef]string) bool {
	refs := slices.SortedFunc(maps.Keys(moves), compareReplicas)
	dirs := r.describeReplicas(ctx, refs)
	var lines []string
	done := true
	for _, ref := range refs {
		line, over := moveStatus(ref, moves[ref], dirs[ref])
		lines = append(lines, line)
		done = done && over
	}
	r.out.line(strings.Join(lines, "\n"))
	return done
}

// activeMoves are the plan's moves in progress, each with the dir its
// replica is in: moving it there again cancels the move (--cancel).
func (r *reassignTool) activeMoves(ctx context.Context, moves map[replicaRef]string) map[replicaRef]string {
	out := map[replicaRef]string{}
	for ref, d := range r.describeReplicas(ctx, slices.Collect(maps.Keys(moves))) {
		if _, ok := moves[ref]; ok && d.current != "" && d.future != "" {
			out[ref] = d.current
		}
	}
	return out
}

// setLogDirThrottle sets replica.alter.log.dirs.io.max.bytes.per.second on
// the brokers whose replicas the plan moves between log dirs.
func (r *reassignTool) setLogDirThrottle(ctx context.Context, moves map[replicaRef]string) error {
	var brokers []int32
	for ref := range moves {
		brokers = append(brokers, ref.broker)
	}
	slices.Sort(brokers)
	rate := strconv.FormatInt(r.f.logDirThrottle, 10)
	for _, id := range slices.Compact(brokers) {
		ops := []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "replica.alter.log.dirs.io.max.bytes.per.second", Value: &rate}}
		if err := firstAlterError(r.adm.AlterBrokerConfigs(ctx, ops, id)); err != nil {
			return err
		}
	}
	r.out.linef("The replica-alter-dir throttle limit was set to %d B/s", r.f.logDirThrottle)
	return nil
}
