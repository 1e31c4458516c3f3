package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/storage"
)

// Errors of partition lookup, mapped to Kafka codes by the handler. They
// are partition's, so that the handler needs only partition's.
var (
	ErrUnknownTopicOrPartition = partition.ErrUnknownTopicOrPartition
	ErrNotLeader               = partition.ErrNotLeader
)

// TopicConfigFunc resolves a topic's effective configuration from its
// overrides in the image and the broker defaults.
type TopicConfigFunc func(topic string, overrides map[string]string) (partition.Config, storage.Config)

// Manager owns the local partitions. Partition lookups are safe for
// concurrent use; Apply is called only by the metadata publisher, Run by
// the node.
type Manager struct {
	nodeID      int32
	logs        *storage.Manager
	topicConfig TopicConfigFunc
	logger      *slog.Logger

	// Replication, when set before the first Apply, makes this node copy
	// the partitions it follows and propose ISR changes for those it
	// leads; nil (a single node) leaves followers idle.
	Replication *Replication

	image atomic.Pointer[metadata.Image] // the image last applied

	mu         sync.RWMutex // guards partitions, offline and fetchers
	partitions map[kafka.TopicPartition]*partition.Partition
	// offline holds the replicas the image gives this node whose log
	// could not be opened because every log dir failed, with that error.
	offline  map[kafka.TopicPartition]error
	fetchers map[kafka.NodeID]*fetcher // by leader; started by Run
	changed  chan struct{}             // one slot: fetchers changed

	// OnLeader and OnStop, when set, are told when a partition starts or
	// stops being led by this node (the coordinators follow the
	// partitions of their internal topics). They run on the metadata
	// publisher and must not block.
	OnLeader func(kafka.TopicPartition, *partition.Partition)
	OnStop   func(kafka.TopicPartition)
}

// New returns a manager over the logs of this node.
func New(nodeID int32, logs *storage.Manager, topicConfig TopicConfigFunc, logger *slog.Logger) *Manager {
	m := &Manager{
		nodeID: nodeID, logs: logs, topicConfig: topicConfig, logger: logger,
		partitions: map[kafka.TopicPartition]*partition.Partition{}, offline: map[kafka.TopicPartition]error{},
		fetchers: map[kafka.NodeID]*fetcher{}, changed: make(chan struct{}, 1),
	}
	m.image.Store(metadata.Empty())
	return m
}

func (m *Manager) self() kafka.NodeID { return kafka.NodeID(m.nodeID) }

// Partition returns the local leader of tp: ErrNotLeader when this node
// holds only a follower of it, ErrUnknownTopicOrPartition when it holds
// none. Clients and follower fetches reach only leaders.
func (m *Manager) Partition(tp kafka.TopicPartition) (*partition.Partition, error) {
	m.mu.RLock()
	p, ok := m.partitions[tp]
	m.mu.RUnlock()
	switch {
	case !ok:
		return nil, m.unknown(tp)
	case p.Offline() != nil:
		return nil, p.Offline()
	case !p.IsLeader():
		return nil, fmt.Errorf("%w: %s is led by node %d", ErrNotLeader, tp, p.Role().Leader)
	}
	return p, nil
}

// Replica returns the local replica of tp, leader or follower:
// ErrUnknownTopicOrPartition when this node holds none. Consumers that may
// read from the closest replica (KIP-392) reach followers through it.
func (m *Manager) Replica(tp kafka.TopicPartition) (*partition.Partition, error) {
	m.mu.RLock()
	p, ok := m.partitions[tp]
	m.mu.RUnlock()
	switch {
	case !ok:
		return nil, m.unknown(tp)
	case p.Offline() != nil:
		return nil, p.Offline()
	}
	return p, nil
}

// unknown is the error for a partition this node has no open replica of:
// KAFKA_STORAGE_ERROR when it is one whose log could not be created for a
// failed log dir, UNKNOWN_TOPIC_OR_PARTITION otherwise.
func (m *Manager) unknown(tp kafka.TopicPartition) error {
	m.mu.RLock()
	err, offline := m.offline[tp]
	m.mu.RUnlock()
	if offline {
		return err
	}
	return fmt.Errorf("%w: %s", ErrUnknownTopicOrPartition, tp)
}

// LogDirFailed stops copying into the replicas of a failed log dir; the
// storage manager's failure listener calls it. It does not block.
func (m *Manager) LogDirFailed(tps []kafka.TopicPartition) {
	for _, tp := range tps {
		m.unfollow(tp)
	}
}

// OfflineReplicas returns the replicas this node was given but could not
// open for want of an online log dir.
func (m *Manager) OfflineReplicas() []kafka.TopicPartition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Collect(maps.Keys(m.offline))
}

// Partitions returns a snapshot of the local partitions, leaders and
// followers.
func (m *Manager) Partitions() map[kafka.TopicPartition]*partition.Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.partitions)
}

// Apply brings the local partitions in line with next. It is the metadata
// publisher and runs on the controller's loop.
func (m *Manager) Apply(prev, next *metadata.Image) {
	m.image.Store(next)
	for _, name := range prev.TopicNames() {
		old, _ := prev.Topic(name)
		if cur, ok := next.TopicByID(old.ID); !ok || cur.Name != name {
			m.removeTopic(old)
		}
	}
	for _, name := range next.TopicNames() {
		t, _ := next.Topic(name)
		overrides := next.Configs(metadata.ConfigResource{Type: metadata.ResourceTopic, Name: name})
		m.applyTopic(t, overrides)
	}
	if len(prev.TopicNames()) == 0 {
		m.reportStrays(next)
	}
}

// reportStrays warns about logs on disk that no topic in the image owns,
// such as a topic deleted while its log could not be removed. They are left
// in place, never served, for an operator to inspect.
func (m *Manager) reportStrays(img *metadata.Image) {
	for tp := range m.logs.Logs() {
		t, ok := img.Topic(tp.Topic)
		id, _ := m.logs.TopicID(tp.Topic, tp.Partition)
		if !ok || t.ID != id || int(tp.Partition) >= len(t.Partitions) {
			m.logger.Warn("stray log: no topic in the metadata owns it; it is not served", "topic", tp.Topic, "partition", tp.Partition)
		}
	}
}

func (m *Manager) applyTopic(t *metadata.Topic, overrides map[string]string) {
	pcfg, scfg := m.topicConfig(t.Name, overrides)
	for _, mp := range t.Partitions {
		tp := kafka.TopicPartition{Topic: t.Name, Partition: mp.Partition}
		m.mu.RLock()
		p, ok := m.partitions[tp]
		m.mu.RUnlock()
		switch {
		case !m.hosts(mp) && ok:
			m.stopReplica(tp, true)
		case !m.hosts(mp):
		case ok:
			m.updateReplica(p, mp, pcfg, scfg)
		default:
			m.open(tp, t.ID, mp, pcfg, scfg)
		}
	}
}

// open opens a replica the image gives this node; one whose log dir
// failed is remembered as offline, answering KAFKA_STORAGE_ERROR, and
// tried again by the next image that names it.
func (m *Manager) open(tp kafka.TopicPartition, id kafka.TopicID, mp metadata.Partition, pcfg partition.Config, scfg storage.Config) {
	err := m.openPartition(tp, id, mp, pcfg, scfg)
	m.mu.Lock()
	_, was := m.offline[tp]
	if errors.Is(err, storage.ErrLogDirOffline) {
		m.offline[tp] = err
	} else {
		delete(m.offline, tp)
	}
	m.mu.Unlock()
	if err != nil && !was {
		m.logger.Error("cannot open partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
	}
}

// hosts reports whether this node holds a replica of mp.
func (m *Manager) hosts(mp metadata.Partition) bool {
	return mp.Leader == m.nodeID || slices.Contains(mp.Replicas, m.nodeID)
}

// updateReplica applies the image's configuration and role to a local
// replica, moving it between leading and following.
func (m *Manager) updateReplica(p *partition.Partition, mp metadata.Partition, pcfg partition.Config, scfg storage.Config) {
	p.SetConfig(pcfg)
	if l, ok := m.logs.Get(p.TP.Topic, p.TP.Partition); ok {
		l.SetConfig(scfg)
	}
	old, next := p.Role(), roleOf(mp)
	if sameRole(old, next) {
		return
	}
	wasLeader := p.IsLeader()
	p.SetRole(next)
	switch {
	case wasLeader && !p.IsLeader():
		m.stopped(p.TP)
		m.follow(p, next)
	case !wasLeader && p.IsLeader():
		m.unfollow(p.TP)
		m.leads(p)
	case !p.IsLeader() && (old.Leader != next.Leader || old.LeaderEpoch != next.LeaderEpoch):
		m.follow(p, next) // a new leader or epoch: truncate again
	}
}

func sameRole(a, b partition.Role) bool {
	return a.Leader == b.Leader && a.LeaderEpoch == b.LeaderEpoch && slices.Equal(a.ISR, b.ISR) && slices.Equal(a.Replicas, b.Replicas)
}

func (m *Manager) openPartition(tp kafka.TopicPartition, id kafka.TopicID, mp metadata.Partition, pcfg partition.Config, scfg storage.Config) error {
	if existing, ok := m.logs.TopicID(tp.Topic, tp.Partition); ok && existing != id {
		// A log left by an earlier topic of the same name: it is not ours.
		if err := m.logs.Delete(tp.Topic, tp.Partition); err != nil {
			return err
		}
	}
	l, err := m.logs.Create(tp.Topic, tp.Partition, id, scfg)
	if err != nil {
		return err
	}
	l.SetConfig(scfg)
	role := roleOf(mp)
	p, err := partition.Open(tp, id, l, m.self(), role, pcfg, m.logger)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.partitions[tp] = p
	m.mu.Unlock()
	if p.IsLeader() {
		m.leads(p)
	} else {
		m.follow(p, role)
	}
	return nil
}

// leads tells the coordinators and the ISR check that p is led here.
func (m *Manager) leads(p *partition.Partition) {
	if r := m.Replication; r != nil {
		p.SetISRSignal(r.isrSignal())
	}
	if m.OnLeader != nil {
		m.OnLeader(p.TP, p)
	}
}

// stopped tells the coordinators that tp is no longer led here.
func (m *Manager) stopped(tp kafka.TopicPartition) {
	if m.OnStop != nil {
		m.OnStop(tp)
	}
}

// roleOf is the partition's leadership as the image records it.
func roleOf(mp metadata.Partition) partition.Role {
	return partition.Role{
		Leader: kafka.NodeID(mp.Leader), LeaderEpoch: kafka.Epoch(mp.LeaderEpoch),
		ISR: nodeIDs(mp.ISR), Replicas: nodeIDs(mp.Replicas),
	}
}

func nodeIDs(ids []int32) []kafka.NodeID {
	out := make([]kafka.NodeID, len(ids))
	for i, id := range ids {
		out[i] = kafka.NodeID(id)
	}
	return out
}

func (m *Manager) removeTopic(t *metadata.Topic) {
	for _, mp := range t.Partitions {
		m.stopReplica(kafka.TopicPartition{Topic: t.Name, Partition: mp.Partition}, true)
	}
}

// stopReplica stops serving and copying tp and, with deleteLog, deletes
// its log (Kafka's StopReplica with delete).
func (m *Manager) stopReplica(tp kafka.TopicPartition, deleteLog bool) {
	m.mu.Lock()
	p, ok := m.partitions[tp]
	delete(m.partitions, tp)
	delete(m.offline, tp)
	m.mu.Unlock()
	if ok && p.IsLeader() {
		m.stopped(tp)
	}
	m.unfollow(tp)
	if _, ok := m.logs.Get(tp.Topic, tp.Partition); !ok || !deleteLog {
		return
	}
	if err := m.logs.Delete(tp.Topic, tp.Partition); err != nil {
		m.logger.Error("cannot delete partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
	}
}

// Checkpoint writes every partition's producer-state snapshot.
func (m *Manager) Checkpoint() { m.CheckpointBehind(1) }

// CheckpointBehind writes the producer-state snapshot of every partition
// with at least minRecords offsets appended since its last one.
func (m *Manager) CheckpointBehind(minRecords int64) {
	for tp, p := range m.Partitions() {
		if err := p.CheckpointBehind(minRecords); err != nil && !errors.Is(err, storage.ErrClosed) && !errors.Is(err, storage.ErrLogDirOffline) {
			m.logger.Warn("producer snapshot failed", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		}
	}
}
