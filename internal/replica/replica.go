// Package replica is the replica manager: it keeps the local partitions in
// step with the metadata image (creating, reconfiguring and deleting them as
// records arrive) and answers which local partition serves a request.
package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"

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
// concurrent use; Apply is called only by the metadata publisher.
type Manager struct {
	nodeID      int32
	logs        *storage.Manager
	topicConfig TopicConfigFunc
	logger      *slog.Logger

	mu         sync.RWMutex // guards partitions
	partitions map[kafka.TopicPartition]*partition.Partition

	// OnLeader and OnStop, when set, are told when a partition starts or
	// stops being led by this node (the coordinators follow the
	// partitions of their internal topics). They run on the metadata
	// publisher and must not block.
	OnLeader func(kafka.TopicPartition, *partition.Partition)
	OnStop   func(kafka.TopicPartition)
}

// New returns a manager over the logs of this node.
func New(nodeID int32, logs *storage.Manager, topicConfig TopicConfigFunc, logger *slog.Logger) *Manager {
	return &Manager{
		nodeID: nodeID, logs: logs, topicConfig: topicConfig, logger: logger,
		partitions: map[kafka.TopicPartition]*partition.Partition{},
	}
}

// Partition returns the local leader of tp.
func (m *Manager) Partition(tp kafka.TopicPartition) (*partition.Partition, error) {
	m.mu.RLock()
	p, ok := m.partitions[tp]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTopicOrPartition, tp)
	}
	return p, nil
}

// Partitions returns a snapshot of the local partitions.
func (m *Manager) Partitions() map[kafka.TopicPartition]*partition.Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.partitions)
}

// Apply brings the local partitions in line with next. It is the metadata
// publisher and runs on the controller's loop.
func (m *Manager) Apply(prev, next *metadata.Image) {
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
		if mp.Leader != m.nodeID {
			continue
		}
		tp := kafka.TopicPartition{Topic: t.Name, Partition: mp.Partition}
		m.mu.RLock()
		p, ok := m.partitions[tp]
		m.mu.RUnlock()
		if ok {
			p.SetConfig(pcfg)
			if l, ok := m.logs.Get(tp.Topic, tp.Partition); ok {
				l.SetConfig(scfg)
			}
			p.SetRole(roleOf(mp))
			continue
		}
		if err := m.openPartition(tp, t.ID, mp, pcfg, scfg); err != nil {
			m.logger.Error("cannot open partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		}
	}
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
	p, err := partition.Open(tp, id, l, kafka.NodeID(m.nodeID), roleOf(mp), pcfg, m.logger)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.partitions[tp] = p
	m.mu.Unlock()
	if m.OnLeader != nil {
		m.OnLeader(tp, p)
	}
	return nil
}

// roleOf is the partition's leadership as the image records it.
func roleOf(mp metadata.Partition) partition.Role {
	isr := make([]kafka.NodeID, len(mp.ISR))
	for i, id := range mp.ISR {
		isr[i] = kafka.NodeID(id)
	}
	return partition.Role{Leader: kafka.NodeID(mp.Leader), LeaderEpoch: kafka.Epoch(mp.LeaderEpoch), ISR: isr}
}

func (m *Manager) removeTopic(t *metadata.Topic) {
	for _, mp := range t.Partitions {
		tp := kafka.TopicPartition{Topic: t.Name, Partition: mp.Partition}
		m.mu.Lock()
		delete(m.partitions, tp)
		m.mu.Unlock()
		if m.OnStop != nil {
			m.OnStop(tp)
		}
		if _, ok := m.logs.Get(tp.Topic, tp.Partition); !ok {
			continue
		}
		if err := m.logs.Delete(tp.Topic, tp.Partition); err != nil {
			m.logger.Error("cannot delete partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		}
	}
}

// Checkpoint writes every partition's producer-state snapshot.
func (m *Manager) Checkpoint() {
	for tp, p := range m.Partitions() {
		if err := p.Checkpoint(); err != nil && !errors.Is(err, storage.ErrClosed) {
			m.logger.Warn("producer snapshot failed", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		}
	}
}
