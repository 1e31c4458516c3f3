package group

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/coord"
	"gregor/internal/kafka"
)

// Topic is the internal topic that holds group metadata and offsets.
const Topic = "__consumer_offsets"

// Config holds the coordinator's broker settings.
type Config struct {
	Partitions             int32         // offsets.topic.num.partitions
	MinSessionTimeout      time.Duration // group.min.session.timeout.ms
	MaxSessionTimeout      time.Duration // group.max.session.timeout.ms
	InitialRebalanceDelay  time.Duration // group.initial.rebalance.delay.ms
	MaxSize                int           // group.max.size
	OffsetMetadataMaxBytes int           // offset.metadata.max.bytes
	OffsetsRetention       time.Duration // offsets.retention.minutes
	OffsetsRetentionCheck  time.Duration // offsets.retention.check.interval.ms
	// CommitTimeout bounds the wait of a write for its records to commit
	// (offsets.commit.timeout.ms; 0: no bound).
	CommitTimeout time.Duration

	ConsumerSessionTimeout    time.Duration // group.consumer.session.timeout.ms
	ConsumerHeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms
	ConsumerMaxSize           int           // group.consumer.max.size
	ConsumerAssignors         []string      // group.consumer.assignors; the first is the default
	// GroupOverrides returns a group's own consumer.session.timeout.ms and
	// consumer.heartbeat.interval.ms (its group configs), 0 where it sets
	// none; nil: no group sets any.
	GroupOverrides func(groupID string) (session, heartbeat time.Duration)
}

// Coordinator serves the groups of the __consumer_offsets partitions led by
// this node. Each partition is a shard run by the coordinator runtime
// (internal/coord): its groups change on the partition's loop only.
type Coordinator struct {
	cfg    Config
	clock  coord.Clock
	logger *slog.Logger
	rt     *coord.Runtime[*shard]

	txnMu      sync.Mutex          // guards txnWriters
	txnWriters map[int32]TxnWriter // the logs of the loaded partitions that write transactional batches
}

// shard is one partition of __consumer_offsets and the groups it holds:
// the runtime's state machine. Every field is owned by the partition's
// loop.
type shard struct {
	c      *Coordinator
	p      *coord.Partition
	groups map[string]*group
	// txnOffsets are the offsets of ongoing transactions, by producer and
	// group, pending until the transaction's marker (txn_offsets.go).
	txnOffsets map[kafka.ProducerID]map[string]map[kafka.TopicPartition]Offset
}

// New returns a coordinator that leads no partition yet.
func New(cfg Config, clock coord.Clock, logger *slog.Logger) *Coordinator {
	if len(cfg.ConsumerAssignors) == 0 {
		cfg.ConsumerAssignors = []string{"uniform", "range"}
	}
	if cfg.ConsumerSessionTimeout <= 0 {
		cfg.ConsumerSessionTimeout = 45 * time.Second
	}
	if cfg.ConsumerHeartbeatInterval <= 0 {
		cfg.ConsumerHeartbeatInterval = 5 * time.Second
	}
	c := &Coordinator{cfg: cfg, clock: clock, logger: logger}
	c.rt = coord.New(clock, logger, func(p *coord.Partition) *shard {
		return &shard{c: c, p: p, groups: map[string]*group{}}
	})
	c.rt.SetWriteTimeout(cfg.CommitTimeout)
	return c
}

func (c *Coordinator) now() time.Time { return c.clock.Now() }

// consumerSessionTimeout is the session timeout of the members of a
// consumer group: the group's config, else the broker's.
func (c *Coordinator) consumerSessionTimeout(groupID string) time.Duration {
	if c.cfg.GroupOverrides != nil {
		if s, _ := c.cfg.GroupOverrides(groupID); s > 0 {
			return s
		}
	}
	return c.cfg.ConsumerSessionTimeout
}

// consumerHeartbeatInterval is the heartbeat interval given to the
// members of a consumer group: the group's config, else the broker's.
func (c *Coordinator) consumerHeartbeatInterval(groupID string) time.Duration {
	if c.cfg.GroupOverrides != nil {
		if _, h := c.cfg.GroupOverrides(groupID); h > 0 {
			return h
		}
	}
	return c.cfg.ConsumerHeartbeatInterval
}

// Partitions is the partition count of __consumer_offsets.
func (c *Coordinator) Partitions() int32 { return c.cfg.Partitions }

// BecomeLeader starts serving a partition: its groups are loaded in the
// background and requests for them answer COORDINATOR_LOAD_IN_PROGRESS
// until that is done.
func (c *Coordinator) BecomeLeader(partition int32, log coord.Log) {
	c.txnMu.Lock()
	if c.txnWriters == nil {
		c.txnWriters = map[int32]TxnWriter{}
	}
	if pl, ok := log.(PartitionLog); ok {
		pl.open = &openTransactions{}
		log = pl
	}
	if w, ok := log.(TxnWriter); ok {
		c.txnWriters[partition] = w
	}
	c.txnMu.Unlock()
	c.rt.Load(partition, log)
}

// Resign stops serving a partition; its groups are dropped from memory.
func (c *Coordinator) Resign(partition int32) { c.rt.Unload(partition) }

// Close stops every shard and waits for their goroutines.
func (c *Coordinator) Close() { c.rt.Close() }

// Unloaded fails the requests that wait on the shard's groups.
func (s *shard) Unloaded() {
	for _, g := range s.groups {
		for _, m := range g.members {
			if m.join != nil {
				m.join <- JoinResult{Err: ErrNotCoordinator}
				m.join = nil
			}
			if m.sync != nil {
				m.sync <- SyncResult{Err: ErrNotCoordinator}
				m.sync = nil
			}
		}
	}
}

func stopTimers(g *group) {
	if g.rebalanceTimer != nil {
		g.rebalanceTimer.Stop()
	}
	for _, t := range g.pending {
		t.Stop()
	}
	for _, m := range g.members {
		if m.timer != nil {
			m.timer.Stop()
		}
	}
	for _, t := range g.consumerTimers {
		if t.timer != nil {
			t.timer.Stop()
		}
	}
}

// Replay applies one record of the partition: every record while the
// partition loads, and each record an operation appends, so that the
// groups' persisted state (offsets, classic group metadata, consumer
// group records, deletions) changes only here. A tombstone of a group
// that is not there changes nothing.
func (s *shard) Replay(key, value []byte) {
	r, err := decodeRecord(key, value)
	if err != nil {
		return // records of newer coordinators
	}
	now := s.c.now()
	g := s.groups[r.group]
	if g == nil {
		if value == nil {
			return
		}
		g = newGroup(r.group, now)
		s.groups[r.group] = g
	}
	switch {
	case r.consumer != nil:
		restoreConsumer(g, *r.consumer, now)
	case r.isOffset:
		restoreOffset(g, r)
	case r.meta == nil:
		stopTimers(g)
		g.transition(Dead, now)
		delete(s.groups, g.id)
	default:
		restoreMetadata(g, r.meta)
	}
}

func restoreOffset(g *group, r storedRecord) {
	tp := kafka.TopicPartition{Topic: r.topic, Partition: r.partition}
	if r.offset == nil {
		delete(g.offsets, tp)
		return
	}
	g.offsets[tp] = Offset{
		Offset: r.offset.Offset, LeaderEpoch: r.offset.LeaderEpoch, Metadata: r.offset.Metadata,
		CommitTime: time.UnixMilli(r.offset.CommitTimestamp),
	}
}

// Loaded drops the groups the load left dead or empty and starts the
// sessions of the members of the others, as Kafka does when a coordinator
// takes a partition over.
func (s *shard) Loaded() {
	s.restoreOpenTransactions()
	for id, g := range s.groups {
		if g.consumer == nil && len(g.members) == 0 && len(g.offsets) == 0 && g.protocolType == "" && g.generation == 0 {
			delete(s.groups, id)
			continue
		}
		for _, m := range g.members {
			s.c.scheduleSession(s, g, m)
		}
		if g.consumer != nil {
			s.c.scheduleLoadedConsumerSessions(s, g)
		}
	}
	s.c.armRetentionCheck(s)
	level := slog.LevelInfo
	if len(s.groups) == 0 { // fifty lines saying nothing at every start
		level = slog.LevelDebug
	}
	s.c.logger.Log(context.Background(), level, "loaded groups", "partition", s.p.ID(), "groups", len(s.groups))
}

// restoreConsumer applies a record of a consumer-protocol group. The group
// metadata tombstone deletes the consumer state; a classic group's state
// gives way to it.
func restoreConsumer(g *group, r consumerRecord, now time.Time) {
	if r.kind == consumerMetadataKey && r.tombstone {
		g.consumer = nil
		if len(g.members) == 0 {
			g.protocolType = ""
			g.transition(Empty, now)
		}
		return
	}
	if g.consumer == nil {
		g.consumer = newConsumerGroup()
		g.members, g.joinOrder, g.static = map[string]*member{}, nil, map[string]string{}
	}
	g.consumer.apply(r)
	g.protocolType = "consumer"
	state := Empty
	if len(g.consumer.members) > 0 {
		state = Stable
	}
	if state != g.state {
		g.transition(state, now)
	}
}

// restoreMetadata applies a classic group's metadata record. The members
// it names replace the group's members; a member already in memory (a
// live group's) keeps what is not persisted: its other protocols, the
// request waiting on it, its session timer.
func restoreMetadata(g *group, meta *kmsg.GroupMetadataValue) {
	g.generation = meta.Generation
	g.protocolType = meta.ProtocolType
	g.protocol = deref(meta.Protocol)
	g.leader = deref(meta.Leader)
	if meta.CurrentStateTimestamp > 0 {
		g.stateTime = time.UnixMilli(meta.CurrentStateTimestamp)
	}
	named := map[string]bool{}
	for _, mm := range meta.Members {
		named[mm.MemberID] = true
	}
	for _, id := range slices.Clone(g.joinOrder) {
		if !named[id] {
			g.removeMember(id)
		}
	}
	for _, mm := range meta.Members {
		restoreMember(g, meta.ProtocolType, mm)
	}
	g.state = Empty
	if len(g.members) > 0 {
		g.state = Stable
	}
}

func restoreMember(g *group, protocolType string, mm kmsg.GroupMetadataValueMember) {
	m := g.members[mm.MemberID]
	if m == nil {
		m = &member{id: mm.MemberID, protocolType: protocolType}
		g.addMember(m)
	}
	m.instanceID, m.clientID, m.clientHost = deref(mm.InstanceID), mm.ClientID, mm.ClientHost
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	m.rebalanceTimeout = time.Duration(mm.RebalanceTimeoutMillis) * time.Millisecond
	m.sessionTimeout = time.Duration(mm.SessionTimeoutMillis) * time.Millisecond
	i := slices.IndexFunc(m.protocols, func(p Protocol) bool { return p.Name == g.protocol })
	if i < 0 || !bytes.Equal(m.protocols[i].Metadata, mm.Subscription) {
		m.protocols = []Protocol{{Name: g.protocol, Metadata: mm.Subscription}}
	}
	m.assignment = mm.Assignment
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// call runs op on the loop of the shard that owns groupID and returns its
// answer once what it wrote is committed, or why the shard cannot serve.
func call[R any](c *Coordinator, groupID string, op func(s *shard) R) (R, error) {
	return callCtx(context.Background(), c, groupID, op)
}

func callCtx[R any](ctx context.Context, c *Coordinator, groupID string, op func(s *shard) R) (R, error) {
	if groupID == "" {
		var zero R
		return zero, ErrInvalidGroupID
	}
	return coord.Call(ctx, c.rt, PartitionFor(groupID, c.cfg.Partitions), op)
}

// newMemberID returns prefix-UUID, as Kafka forms member ids.
func newMemberID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// callErr is call for an operation that answers only an error.
func callErr(c *Coordinator, groupID string, op func(s *shard) error) error {
	err, callErr := call(c, groupID, op)
	if callErr != nil {
		return callErr
	}
	return err
}

// call2 is call for an operation that answers a value and an error.
func call2[T any](c *Coordinator, groupID string, op func(s *shard) (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	a, err := call(c, groupID, func(s *shard) answer {
		v, err := op(s)
		return answer{v, err}
	})
	if err != nil {
		return a.v, err
	}
	return a.v, a.err
}

// coordCall runs op on the loop of a partition of __consumer_offsets.
func coordCall[R any](ctx context.Context, c *Coordinator, partition int32, op func(s *shard) R) (R, error) {
	return coord.Call(ctx, c.rt, partition, op)
}

// txnWriter is the transactional writer of a partition's log, nil if it
// has none.
func (c *Coordinator) txnWriter(partition int32) TxnWriter {
	c.txnMu.Lock()
	defer c.txnMu.Unlock()
	return c.txnWriters[partition]
}
