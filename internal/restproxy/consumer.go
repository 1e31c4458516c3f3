package restproxy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// registry holds the consumer instances of the v2 API by group and name.
// It is safe for concurrent use.
type registry struct {
	cfg Config

	mu        sync.Mutex // guards the fields below
	instances map[instanceKey]*instance
	closed    bool
}

type instanceKey struct{ group, name string }

func newRegistry(cfg Config) *registry {
	return &registry{cfg: cfg, instances: map[instanceKey]*instance{}}
}

// create adds an instance, or fails with 40902 when its name is taken.
func (g *registry) create(inst *instance) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := instanceKey{inst.group, inst.name}
	if g.closed {
		return errorf(http.StatusServiceUnavailable, codeKafkaRetriable, "the REST proxy is stopping")
	}
	if _, ok := g.instances[k]; ok {
		return errInstanceExists
	}
	inst.touch()
	g.instances[k] = inst
	return nil
}

// acquire returns the instance group/name for one operation, which must
// end with release; 40403 when there is none.
func (g *registry) acquire(group, name string) (*instance, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inst, ok := g.instances[instanceKey{group, name}]
	if !ok {
		return nil, errInstanceNotFound
	}
	inst.inUse.Add(1)
	return inst, nil
}

// release ends an operation that acquire began.
func (g *registry) release(inst *instance) {
	inst.touch()
	inst.inUse.Add(-1)
}

// remove takes group/name out and closes it.
func (g *registry) remove(group, name string, owned func(*instance) bool) error {
	g.mu.Lock()
	inst, ok := g.instances[instanceKey{group, name}]
	if ok && !owned(inst) {
		ok = false // another principal's instance: as if there were none
	}
	if ok {
		delete(g.instances, instanceKey{group, name})
	}
	g.mu.Unlock()
	if !ok {
		return errInstanceNotFound
	}
	inst.close()
	return nil
}

// expireLoop closes the instances idle for longer than the timeout until
// ctx ends.
func (g *registry) expireLoop(ctx context.Context) {
	tick(ctx, min(g.cfg.ConsumerInstanceTimeout/4, time.Second), func(now time.Time) {
		for _, inst := range g.expired(now) {
			g.cfg.Logger.Info("REST proxy consumer instance expired", "group", inst.group, "instance", inst.name)
			inst.close()
		}
	})
}

// tick calls f with the time every d until ctx is done.
func tick(ctx context.Context, d time.Duration, f func(now time.Time)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			f(now)
		}
	}
}

// expired takes out and returns the instances idle since before now minus
// the timeout.
func (g *registry) expired(now time.Time) []*instance {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*instance
	for k, inst := range g.instances {
		if inst.inUse.Load() == 0 && now.Sub(time.Unix(0, inst.lastUsed.Load())) > g.cfg.ConsumerInstanceTimeout {
			delete(g.instances, k)
			out = append(out, inst)
		}
	}
	return out
}

// closeAll closes every instance; later creates fail.
func (g *registry) closeAll() {
	g.mu.Lock()
	all := g.instances
	g.instances = map[instanceKey]*instance{}
	g.closed = true
	g.mu.Unlock()
	for _, inst := range all {
		inst.close()
	}
}

// instance is one consumer instance: a Kafka consumer of its group that
// either subscribes (group management) or is assigned partitions.
type instance struct {
	group, name, format string
	reset               kgo.Offset
	autoCommit          bool
	pollTimeout         time.Duration // consumer.request.timeout.ms
	bootstrap           string
	admin               func(context.Context) (*kadm.Client, error)
	owner               *instanceOwner // with principal propagation: its creator

	lastUsed atomic.Int64 // unix nanoseconds of the last operation's end
	inUse    atomic.Int32 // operations under way: never expired while > 0

	mu       sync.Mutex // guards the fields below; held for a whole operation
	client   *kgo.Client
	topics   []string // subscribed topics, or the pattern
	pattern  bool
	assigned map[string][]int32 // assign mode: the assignment
	consumed map[string]map[int32]int64
	closed   bool

	// pmu guards pending and owned, which the group's rebalance callbacks
	// change while a poll may hold mu.
	pmu     sync.Mutex
	pending []*kgo.Record      // polled but not handed out yet
	owned   map[string][]int32 // subscribe mode: the group's assignment
}

func (inst *instance) touch() { inst.lastUsed.Store(time.Now().UnixNano()) }

var errNotSubscribed = errorf(http.StatusConflict, codeIllegalState,
	"Consumer is not subscribed to any topics or assigned any partitions")

var errMixedMode = errorf(http.StatusConflict, codeIllegalState,
	"Subscription to topics, partitions and pattern are mutually exclusive")

// close leaves the group and closes the client.
func (inst *instance) close() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	inst.closed = true
	inst.stopLocked()
}

func (inst *instance) stopLocked() {
	if inst.client != nil {
		inst.client.Close()
		inst.client = nil
	}
	inst.topics, inst.pattern, inst.assigned = nil, false, nil
	inst.pmu.Lock()
	inst.pending, inst.owned = nil, nil
	inst.pmu.Unlock()
}

// subscribe (re)subscribes to topics, or to the topics matching pattern.
func (inst *instance) subscribe(topics []string, pattern string) error {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.assigned != nil {
		return errMixedMode
	}
	inst.stopLocked()
	opts := inst.baseOpts(kgo.ConsumerGroup(inst.group),
		kgo.OnPartitionsAssigned(inst.onAssigned),
		kgo.OnPartitionsRevoked(inst.onRevoked),
		kgo.OnPartitionsLost(inst.onLost))
	if inst.autoCommit {
		opts = append(opts, kgo.AutoCommitMarks()) // only what was handed out
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	subscribed := topics
	if pattern != "" {
		opts = append(opts, kgo.ConsumeRegex())
		subscribed = []string{pattern}
	}
	opts = append(opts, kgo.ConsumeTopics(subscribed...))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, codeInvalidConsumerCfg, "%v", err)
	}
	inst.client, inst.topics, inst.pattern = cl, subscribed, pattern != ""
	inst.consumed = map[string]map[int32]int64{}
	return nil
}

func (inst *instance) baseOpts(extra ...kgo.Opt) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(inst.bootstrap), kgo.ClientID("gregor-rest-proxy-" + inst.name),
		kgo.ConsumeResetOffset(inst.reset), kgo.FetchMaxWait(500 * time.Millisecond)}
	if inst.owner != nil {
		opts = append(opts, inst.owner.opts...)
	}
	return append(opts, extra...)
}

func (inst *instance) onAssigned(_ context.Context, _ *kgo.Client, added map[string][]int32) {
	inst.pmu.Lock()
	defer inst.pmu.Unlock()
	if inst.owned == nil {
		inst.owned = map[string][]int32{}
	}
	for t, ps := range added {
		for _, p := range ps {
			if !slices.Contains(inst.owned[t], p) {
				inst.owned[t] = append(inst.owned[t], p)
			}
		}
	}
}

// onRevoked forgets the revoked partitions' records not handed out yet,
// and commits what was handed out when auto commit is on (what kgo does
// when no callback is set).
func (inst *instance) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	inst.onLost(ctx, cl, revoked)
	if inst.autoCommit {
		cl.CommitMarkedOffsets(ctx)
	}
}

func (inst *instance) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	inst.pmu.Lock()
	defer inst.pmu.Unlock()
	in := func(r *kgo.Record) bool { return slices.Contains(lost[r.Topic], r.Partition) }
	inst.pending = slices.DeleteFunc(inst.pending, in)
	for t, ps := range lost {
		inst.owned[t] = slices.DeleteFunc(inst.owned[t], func(p int32) bool { return slices.Contains(ps, p) })
		if len(inst.owned[t]) == 0 {
			delete(inst.owned, t)
		}
	}
}

// subscription returns the subscribed topics (or pattern).
func (inst *instance) subscription() []string {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return slices.Clone(inst.topics)
}

// unsubscribe leaves the group: the instance consumes nothing until it
// subscribes or is assigned partitions again.
func (inst *instance) unsubscribe() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	inst.stopLocked()
}

// assign consumes exactly partitions, from the group's committed offsets
// or else auto.offset.reset, without group management.
func (inst *instance) assign(ctx context.Context, partitions map[string][]int32) error {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.topics != nil {
		return errMixedMode
	}
	inst.stopLocked()
	if len(partitions) == 0 {
		return nil
	}
	adm, err := inst.admin(ctx)
	if err != nil {
		return err
	}
	committed, err := adm.FetchOffsets(ctx, inst.group)
	if err != nil {
		return timeoutOr(ctx, err)
	}
	start := map[string]map[int32]kgo.Offset{}
	for t, ps := range partitions {
		start[t] = map[int32]kgo.Offset{}
		for _, p := range ps {
			start[t][p] = inst.reset
			if o, ok := committed.Lookup(t, p); ok && o.Err == nil && o.At >= 0 {
				start[t][p] = kgo.NewOffset().At(o.At)
			}
		}
	}
	cl, err := kgo.NewClient(inst.baseOpts(kgo.ConsumePartitions(start))...)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, codeInvalidConsumerCfg, "%v", err)
	}
	inst.client, inst.assigned = cl, partitions
	inst.consumed = map[string]map[int32]int64{}
	return nil
}

// assignment returns the partitions the instance consumes now.
func (inst *instance) assignment() map[string][]int32 {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.assigned != nil {
		return inst.assigned
	}
	inst.pmu.Lock()
	defer inst.pmu.Unlock()
	out := map[string][]int32{}
	for t, ps := range inst.owned {
		out[t] = slices.Sorted(slices.Values(ps))
	}
	return out
}

// poll returns the records available within timeout, up to about
// maxBytes of keys and values (at least one record when there is one).
func (inst *instance) poll(ctx context.Context, timeout time.Duration, maxBytes int64) ([]*kgo.Record, error) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.client == nil {
		return nil, errNotSubscribed
	}
	inst.pmu.Lock()
	empty := len(inst.pending) == 0
	inst.pmu.Unlock()
	if empty {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		fetches := inst.client.PollRecords(pctx, 10000)
		cancel()
		if err := fetchError(fetches); err != nil && fetches.NumRecords() == 0 {
			return nil, kafkaError(err)
		}
		inst.pmu.Lock()
		inst.pending = append(inst.pending, fetches.Records()...)
		inst.pmu.Unlock()
	}
	inst.pmu.Lock()
	defer inst.pmu.Unlock()
	n, size := 0, int64(0)
	for n < len(inst.pending) {
		size += int64(len(inst.pending[n].Key) + len(inst.pending[n].Value))
		if n > 0 && size > maxBytes {
			break
		}
		n++
	}
	out := slices.Clone(inst.pending[:n])
	inst.pending = slices.Delete(inst.pending, 0, n)
	return out, nil
}

// giveBack returns records that could not be handed out to the front of
// the pending ones: the next poll meets them again, as a Kafka consumer
// meets a record its deserializer fails on.
func (inst *instance) giveBack(records []*kgo.Record) {
	inst.pmu.Lock()
	defer inst.pmu.Unlock()
	inst.pending = append(slices.Clone(records), inst.pending...)
}

// handedOut records that the records went to the client: what a commit
// without offsets commits.
func (inst *instance) handedOut(records []*kgo.Record) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.client == nil {
		return
	}
	for _, r := range records {
		if inst.consumed[r.Topic] == nil {
			inst.consumed[r.Topic] = map[int32]int64{}
		}
		inst.consumed[r.Topic][r.Partition] = r.Offset
	}
	if inst.assigned == nil && inst.autoCommit {
		inst.client.MarkCommitRecords(records...)
	}
}

// fetchError returns the first error of fetches other than the poll's own
// deadline.
func fetchError(fetches kgo.Fetches) error {
	for _, fe := range fetches.Errors() {
		if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
			continue
		}
		return fe.Err
	}
	return nil
}

// commit commits offsets (the offsets of the last records processed, as
// Confluent's API takes them: the group resumes after them), or when nil
// every record handed out.
func (inst *instance) commit(ctx context.Context, offsets map[string]map[int32]int64) error {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.client == nil {
		return errNotSubscribed
	}
	if offsets == nil {
		offsets = inst.consumed
	}
	if len(offsets) == 0 {
		return nil
	}
	if inst.assigned == nil {
		var records []*kgo.Record
		for t, ps := range offsets {
			for p, o := range ps {
				records = append(records, &kgo.Record{Topic: t, Partition: p, Offset: o, LeaderEpoch: -1})
			}
		}
		if err := inst.client.CommitRecords(ctx, records...); err != nil {
			return kafkaError(timeoutOr(ctx, err))
		}
		return nil
	}
	adm, err := inst.admin(ctx)
	if err != nil {
		return err
	}
	var os kadm.Offsets = map[string]map[int32]kadm.Offset{}
	for t, ps := range offsets {
		for p, o := range ps {
			os.Add(kadm.Offset{Topic: t, Partition: p, At: o + 1, LeaderEpoch: -1})
		}
	}
	resp, err := adm.CommitOffsets(ctx, inst.group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return kafkaError(timeoutOr(ctx, err))
	}
	return nil
}

// seek moves the positions of partitions to offsets.
func (inst *instance) seek(offsets map[string]map[int32]int64) error {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.client == nil {
		return errNotSubscribed
	}
	set := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range offsets {
		set[t] = map[int32]kgo.EpochOffset{}
		for p, o := range ps {
			set[t][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
		}
	}
	inst.pmu.Lock()
	inst.pending = slices.DeleteFunc(inst.pending, func(r *kgo.Record) bool {
		_, ok := offsets[r.Topic][r.Partition]
		return ok
	})
	inst.pmu.Unlock()
	inst.client.SetOffsets(set)
	return nil
}
