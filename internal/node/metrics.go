package node

import (
	"strconv"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/metrics"
	"gregor/internal/server"
)

// metricsView is the node's state as the metrics read it at scrape time
// (metrics.View): local replicas from the replica manager and their logs,
// ISR and replicas from the published image, groups from the coordinator.
type metricsView struct{ n *Node }

func (v metricsView) Partitions(fn func(metrics.PartitionState)) {
	img := v.n.image.Image()
	minISR := map[string]int{} // by topic, resolved once per scrape
	for tp, p := range v.n.replicas.Partitions() {
		st := metrics.PartitionState{TP: tp, Leader: p.IsLeader(),
			LogStartOffset: kafka.Offset(p.LogStartOffset()), LogEndOffset: kafka.Offset(p.LogEndOffset()),
			HighWatermark: kafka.Offset(p.HighWatermark())}
		st.WaitingProduces, st.WaitingFetchWatches = p.Waiting()
		st.Offline = p.Offline() != nil
		if l, ok := v.n.logs.Get(tp.Topic, tp.Partition); ok {
			st.Size, st.Segments = l.Size(), l.NumSegments()
		}
		if mp, ok := imagePartition(img, tp); ok {
			st.Replicas, st.ISR = len(mp.Replicas), len(mp.ISR)
		}
		st.MinInsyncReplicas = v.minInsyncReplicas(img, tp.Topic, minISR)
		fn(st)
	}
}

func imagePartition(img *metadata.Image, tp kafka.TopicPartition) (metadata.Partition, bool) {
	if img == nil {
		return metadata.Partition{}, false
	}
	t, ok := img.Topic(tp.Topic)
	if !ok || int(tp.Partition) >= len(t.Partitions) {
		return metadata.Partition{}, false
	}
	return t.Partitions[tp.Partition], true
}

func (v metricsView) minInsyncReplicas(img *metadata.Image, topic string, cache map[string]int) int {
	if n, ok := cache[topic]; ok {
		return n
	}
	var overrides map[string]string
	if img != nil {
		overrides = img.Configs(metadata.ConfigResource{Type: metadata.ResourceTopic, Name: topic})
	}
	s, _ := v.n.brokerConfig().TopicValue("min.insync.replicas", overrides)
	n, _ := strconv.Atoi(s)
	cache[topic] = n
	return n
}

func (v metricsView) Groups() []metrics.GroupState {
	var out []metrics.GroupState
	for _, g := range v.n.groups.Stats() {
		out = append(out, metrics.GroupState{Group: g.GroupID, State: g.State, Members: g.Members, Committed: g.Committed})
	}
	return out
}

func (v metricsView) Connections() map[string]int64 {
	out := map[string]int64{}
	for _, s := range v.n.obs.servers {
		out[s.ListenerName] += s.OpenConnections()
	}
	return out
}

// Controller reports this node as the active controller while it leads the
// metadata quorum (kafka_controller_kafkacontroller_activecontrollercount
// sums to 1 over a healthy cluster), with the cluster's topic counts.
func (v metricsView) Controller() metrics.ControllerState {
	leader, ok := v.n.ctrl.Leader()
	c := metrics.ControllerState{Active: ok && leader == kafka.NodeID(v.n.cfg.NodeID)}
	img := v.n.image.Image()
	if img == nil {
		return c
	}
	for _, name := range img.TopicNames() {
		t, _ := img.Topic(name)
		c.Topics++
		c.Partitions += len(t.Partitions)
		for _, p := range t.Partitions {
			if p.Leader < 0 {
				c.OfflinePartitions++
			}
		}
	}
	return c
}

func (v metricsView) Cleaner() metrics.CleanerState {
	s := v.n.logs.CleanerStats()
	return metrics.CleanerState{Cleanings: s.Cleanings, BytesRead: s.BytesRead, BytesWritten: s.BytesWritten,
		LastRun: s.LastRun, LastRecopyPercent: s.LastRecopyPercent, MaxCleanTime: s.MaxCleanTime, Uncleanable: s.Uncleanable}
}

func (v metricsView) TopicName(id kafka.TopicID) (string, bool) {
	img := v.n.image.Image()
	if img == nil {
		return "", false
	}
	t, ok := img.TopicByID(id)
	if !ok {
		return "", false
	}
	return t.Name, true
}

func (v metricsView) TopicExists(name string) bool {
	img := v.n.image.Image()
	if img == nil {
		return true
	}
	_, ok := img.Topic(name)
	return ok
}

// countISRChanges counts, for the partitions this node leads in next, ISR
// shrinks and expansions since prev (Kafka's IsrShrinksPerSec and
// IsrExpandsPerSec). Topics whose image did not change are skipped.
func countISRChanges(m *metrics.Metrics, self int32, prev, next *metadata.Image) {
	for _, name := range next.TopicNames() {
		t, _ := next.Topic(name)
		old, ok := prev.Topic(name)
		if !ok || old == t || old.ID != t.ID {
			continue
		}
		for i, p := range t.Partitions {
			if p.Leader == self && i < len(old.Partitions) && old.Partitions[i].Leader == self {
				m.ISRChanged(len(old.Partitions[i].ISR), len(p.ISR))
			}
		}
	}
}

var _ server.Observer = (*metrics.Metrics)(nil)
