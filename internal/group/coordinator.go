package group

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/record"
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

	ConsumerSessionTimeout    time.Duration // group.consumer.session.timeout.ms
	ConsumerHeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms
	ConsumerMaxSize           int           // group.consumer.max.size
	ConsumerAssignors         []string      // group.consumer.assignors; the first is the default
}

// Log is a partition of __consumer_offsets led by this node.
type Log interface {
	// Append writes records as one batch and returns once they are
	// committed (the high watermark has passed them).
	Append(records []record.Record) error
	// Replay calls fn for each record up to the high watermark, in order.
	Replay(fn func(key, value []byte)) error
}

// Coordinator serves the groups of the __consumer_offsets partitions led by
// this node.
type Coordinator struct {
	cfg    Config
	now    func() time.Time
	logger *slog.Logger

	mu     sync.RWMutex
	shards map[int32]*shard
	closed bool
	wg     sync.WaitGroup
}

// shard is one partition of __consumer_offsets and the groups it holds.
type shard struct {
	partition int32
	log       Log

	mu      sync.Mutex // orders every change to the groups of this partition
	loaded  bool
	stopped bool
	groups  map[string]*group
}

// New returns a coordinator that leads no partition yet.
func New(cfg Config, now func() time.Time, logger *slog.Logger) *Coordinator {
	if len(cfg.ConsumerAssignors) == 0 {
		cfg.ConsumerAssignors = []string{"uniform", "range"}
	}
	if cfg.ConsumerSessionTimeout <= 0 {
		cfg.ConsumerSessionTimeout = 45 * time.Second
	}
	if cfg.ConsumerHeartbeatInterval <= 0 {
		cfg.ConsumerHeartbeatInterval = 5 * time.Second
	}
	return &Coordinator{cfg: cfg, now: now, logger: logger, shards: map[int32]*shard{}}
}

// Partitions is the partition count of __consumer_offsets.
func (c *Coordinator) Partitions() int32 { return c.cfg.Partitions }

// BecomeLeader starts serving a partition: its groups are loaded in the
// background and requests for them answer COORDINATOR_LOAD_IN_PROGRESS
// until that is done.
func (c *Coordinator) BecomeLeader(partition int32, log Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if old, ok := c.shards[partition]; ok {
		old.stop()
	}
	s := &shard{partition: partition, log: log, groups: map[string]*group{}}
	c.shards[partition] = s
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.load(s)
	}()
}

// Resign stops serving a partition; its groups are dropped from memory.
func (c *Coordinator) Resign(partition int32) {
	c.mu.Lock()
	s, ok := c.shards[partition]
	delete(c.shards, partition)
	c.mu.Unlock()
	if ok {
		s.stop()
	}
}

// Close stops every shard and waits for loads in progress.
func (c *Coordinator) Close() {
	c.mu.Lock()
	c.closed = true
	shards := c.shards
	c.shards = map[int32]*shard{}
	c.mu.Unlock()
	for _, s := range shards {
		s.stop()
	}
	c.wg.Wait()
}

func (s *shard) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, g := range s.groups {
		stopTimers(g)
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

// load rebuilds a shard's groups by replaying its partition.
func (c *Coordinator) load(s *shard) {
	start := time.Now()
	groups := map[string]*group{}
	now := c.now()
	skipped := 0
	err := s.log.Replay(func(key, value []byte) {
		r, err := decodeRecord(key, value)
		if err != nil {
			skipped++
			return
		}
		g := groups[r.group]
		if g == nil || g.state == Dead {
			g = newGroup(r.group, now)
			groups[r.group] = g
		}
		if r.consumer != nil {
			restoreConsumer(g, *r.consumer, now)
			return
		}
		if r.isOffset {
			tp := kafka.TopicPartition{Topic: r.topic, Partition: r.partition}
			if r.offset == nil {
				delete(g.offsets, tp)
				return
			}
			g.offsets[tp] = Offset{
				Offset: r.offset.Offset, LeaderEpoch: r.offset.LeaderEpoch, Metadata: r.offset.Metadata,
				CommitTime: time.UnixMilli(r.offset.CommitTimestamp),
			}
			return
		}
		restoreMetadata(g, r.meta, now)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if err != nil {
		c.logger.Error("cannot load group partition", "partition", s.partition, "err", err)
		return
	}
	for id, g := range groups {
		if g.state == Dead || (g.consumer == nil && len(g.members) == 0 && len(g.offsets) == 0 && g.protocolType == "" && g.generation == 0) {
			continue
		}
		s.groups[id] = g
		for _, m := range g.members {
			c.scheduleSession(s, g, m)
		}
		if g.consumer != nil {
			c.scheduleLoadedConsumerSessions(s, g)
		}
	}
	s.loaded = true
	c.logger.Info("loaded groups", "partition", s.partition, "groups", len(s.groups), "skipped_records", skipped, "took", time.Since(start).Round(time.Millisecond))
}

// restoreConsumer applies a record of a consumer-protocol group. The group
// metadata tombstone deletes the consumer state; a classic group's state
// gives way to it.
func restoreConsumer(g *group, r consumerRecord, now time.Time) {
	if r.kind == consumerMetadataKey && r.tombstone {
		g.consumer = nil
		if len(g.members) == 0 {
			g.protocolType = ""
			g.state = Empty
		}
		return
	}
	if g.consumer == nil {
		g.consumer = newConsumerGroup()
		g.members, g.joinOrder, g.static = map[string]*member{}, nil, map[string]string{}
	}
	g.consumer.apply(r)
	g.protocolType = "consumer"
	g.state = Empty
	if len(g.consumer.members) > 0 {
		g.state = Stable
	}
}

// restoreMetadata applies a group metadata record (nil: a tombstone).
func restoreMetadata(g *group, meta *kmsg.GroupMetadataValue, now time.Time) {
	if meta == nil {
		g.state = Dead
		g.members = map[string]*member{}
		g.joinOrder = nil
		g.static = map[string]string{}
		return
	}
	g.state = Empty
	g.generation = meta.Generation
	g.protocolType = meta.ProtocolType
	g.protocol = deref(meta.Protocol)
	g.leader = deref(meta.Leader)
	g.stateTime = now
	if meta.CurrentStateTimestamp > 0 {
		g.stateTime = time.UnixMilli(meta.CurrentStateTimestamp)
	}
	g.members = map[string]*member{}
	g.joinOrder = nil
	g.static = map[string]string{}
	for _, mm := range meta.Members {
		m := &member{
			id: mm.MemberID, instanceID: deref(mm.InstanceID), clientID: mm.ClientID, clientHost: mm.ClientHost,
			rebalanceTimeout: time.Duration(mm.RebalanceTimeoutMillis) * time.Millisecond,
			sessionTimeout:   time.Duration(mm.SessionTimeoutMillis) * time.Millisecond,
			protocolType:     meta.ProtocolType,
			protocols:        []Protocol{{Name: g.protocol, Metadata: mm.Subscription}},
			assignment:       mm.Assignment,
		}
		g.addMember(m)
	}
	if len(g.members) > 0 {
		g.state = Stable
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// shardFor returns the loaded shard that owns groupID.
func (c *Coordinator) shardFor(groupID string) (*shard, error) {
	if groupID == "" {
		return nil, ErrInvalidGroupID
	}
	c.mu.RLock()
	s, ok := c.shards[PartitionFor(groupID, c.cfg.Partitions)]
	c.mu.RUnlock()
	if !ok {
		return nil, ErrNotCoordinator
	}
	return s, nil
}

// lock returns the shard of groupID locked, or why it cannot serve it.
func (c *Coordinator) lock(groupID string) (*shard, error) {
	s, err := c.shardFor(groupID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	switch {
	case s.stopped:
		s.mu.Unlock()
		return nil, ErrNotCoordinator
	case !s.loaded:
		s.mu.Unlock()
		return nil, ErrLoadInProgress
	}
	return s, nil
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
