package replica

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/storage"
)

// TestTruncationRule proves the follower's truncation rule as a function:
// a shared epoch cuts where the shorter log ends it, an epoch the follower
// does not hold cuts at its own end of the epoch below and asks again, and
// a leader without the epoch leaves nothing of it.
func TestTruncationRule(t *testing.T) {
	// The follower: epoch 1 at 0, epoch 3 at 10, epoch 4 at 15, log end 20.
	epochs := []struct {
		epoch kafka.Epoch
		start kafka.Offset
	}{{1, 0}, {3, 10}, {4, 15}}
	local := localLog{logStartOffset: 0, logEndOffset: 20, endOffsetFor: func(e kafka.Epoch) (kafka.Epoch, kafka.Offset) {
		for i := len(epochs) - 1; i >= 0; i-- {
			if epochs[i].epoch <= e {
				if i == len(epochs)-1 {
					return epochs[i].epoch, 20
				}
				return epochs[i].epoch, epochs[i+1].start
			}
		}
		return -1, -1
	}}
	for _, tc := range []struct {
		name     string
		epoch    kafka.Epoch
		end      kafka.Offset
		want     kafka.Offset
		wantDone bool
	}{
		{"same latest epoch, leader longer", 4, 30, 20, true},
		{"same latest epoch, leader shorter", 4, 17, 17, true},
		{"leader ends an older shared epoch early", 3, 12, 12, true},
		{"leader's epoch unknown here", 2, 12, 10, false},
		{"leader has no epoch at or below", -1, -1, 0, true},
		{"follower has none at or below the leader's", 0, 5, 5, true},
	} {
		got, done := truncationOffset(tc.epoch, tc.end, local)
		if got != tc.want || done != tc.wantDone {
			t.Errorf("%s: %d %v, want %d %v", tc.name, got, done, tc.want, tc.wantDone)
		}
	}
}

// fakeController applies ISR changes to an image and publishes it to the
// manager, as the controller and the node's publisher would.
type fakeController struct {
	mu      sync.Mutex
	m       *Manager
	img     *metadata.Image
	changes []ISRChange
	refuse  error
}

func (c *fakeController) AlterPartition(_ context.Context, ch ISRChange) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, ch)
	if c.refuse != nil {
		return c.refuse
	}
	c.publish(func(p *metadata.PartitionRecord) {
		p.ISR = int32s(ch.ISR)
		p.PartitionEpoch++
	})
	return nil
}

// publish changes the partition of testTP with f and applies the image.
func (c *fakeController) publish(f func(*metadata.PartitionRecord)) {
	topic, _ := c.img.Topic(testTP.Topic)
	mp := topic.Partitions[0]
	rec := metadata.PartitionRecord{TopicID: topic.ID, Partition: 0, Replicas: mp.Replicas, ISR: mp.ISR, Leader: mp.Leader, LeaderEpoch: mp.LeaderEpoch, PartitionEpoch: mp.PartitionEpoch}
	f(&rec)
	next, err := c.img.Apply([]metadata.Record{{Type: metadata.TypePartition, Partition: &rec}})
	if err != nil {
		panic(err)
	}
	prev := c.img
	c.img = next
	c.m.Apply(prev, next)
}

func int32s(ids []kafka.NodeID) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}

// newTestManager returns node self's manager over fresh log dirs, with an
// image of one topic whose partition 0 has replicas 1, 2, 3 led by leader.
func newTestManager(t *testing.T, self kafka.NodeID, leader int32, dial Dialer) (*Manager, *fakeController, *time.Time) {
	t.Helper()
	logs, err := storage.OpenManager([]string{t.TempDir()}, storage.DefaultConfig(), time.Now, discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	m := New(int32(self), logs, func(string, map[string]string) (partition.Config, storage.Config) {
		return testPartitionConfig, storage.DefaultConfig()
	}, discard)
	now := time.Unix(1000, 0)
	c := &fakeController{m: m}
	m.Replication = &Replication{Dial: dial, Controller: c, Fetch: testFetch, LagTimeMax: 10 * time.Second, Now: func() time.Time { return now }}
	img := metadata.Empty()
	id := kafka.NewTopicID()
	recs := []metadata.Record{{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: testTP.Topic, ID: id}}}
	for _, b := range []kafka.NodeID{1, 2, 3} {
		recs = append(recs, metadata.Record{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: b}})
	}
	recs = append(recs, metadata.Record{Type: metadata.TypePartition, Partition: &metadata.PartitionRecord{
		TopicID: id, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: leader, LeaderEpoch: 1,
	}})
	c.img, err = img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	m.Apply(img, c.img)
	return m, c, &now
}

// TestManagerFollowsTheImage proves that the manager opens a replica as
// follower or leader as the image says, serves only leaders, moves a
// replica between the roles with the coordinators told only of
// leadership, fetches only while following, and stops and deletes a
// replica the image takes off this node.
func TestManagerFollowsTheImage(t *testing.T) {
	dial := func(context.Context, metadata.Broker) (FetchSource, error) { return nil, errors.New("no network here") }
	m, c, _ := newTestManager(t, 2, 1, dial)
	var events []string
	m.OnLeader = func(tp kafka.TopicPartition, _ *partition.Partition) { events = append(events, "leader") }
	m.OnStop = func(tp kafka.TopicPartition) { events = append(events, "stop") }
	if _, err := m.Partition(testTP); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a follower served: %v", err)
	}
	if fetchingFrom(m) != 1 {
		t.Fatalf("following node 1: fetchers %v", m.fetchers)
	}
	c.publish(func(p *metadata.PartitionRecord) { p.Leader, p.LeaderEpoch = 2, 2 })
	if _, err := m.Partition(testTP); err != nil || fetchingFrom(m) != -1 {
		t.Fatalf("leading: %v, fetching from %d", err, fetchingFrom(m))
	}
	c.publish(func(p *metadata.PartitionRecord) { p.ISR = []int32{2, 3}; p.PartitionEpoch++ })
	c.publish(func(p *metadata.PartitionRecord) { p.Leader, p.LeaderEpoch = 3, 3 })
	if fetchingFrom(m) != 3 {
		t.Fatalf("following node 3: fetching from %d", fetchingFrom(m))
	}
	if !slices.Equal(events, []string{"leader", "stop"}) {
		t.Fatalf("coordinator events %v, want [leader stop]", events)
	}
	c.publish(func(p *metadata.PartitionRecord) { p.Replicas, p.ISR = []int32{1, 3}, []int32{1, 3} })
	if _, ok := m.Partitions()[testTP]; ok || fetchingFrom(m) != -1 {
		t.Fatal("a replica moved off this node is still open or fetched")
	}
	if _, ok := m.logs.Get(testTP.Topic, testTP.Partition); ok {
		t.Fatal("the log of a replica moved off this node was not deleted")
	}
}

// fetchingFrom is the leader the manager fetches testTP from, -1 if none.
func fetchingFrom(m *Manager) kafka.NodeID {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for leader, f := range m.fetchers {
		f.mu.Lock()
		_, ok := f.parts[testTP]
		f.mu.Unlock()
		if ok {
			return leader
		}
	}
	return -1
}

// TestManagerShrinksAndExpandsISR proves the leader's ISR check on a fake
// clock: silent followers are proposed out after replica.lag.time.max.ms,
// with the partition epoch of the image, the ISR applies only from the
// image, a refused proposal is made again at the next check, and a
// follower that catches up is proposed back in.
func TestManagerShrinksAndExpandsISR(t *testing.T) {
	m, c, now := newTestManager(t, 1, 1, nil)
	p, err := m.Partition(testTP)
	if err != nil {
		t.Fatal(err)
	}
	appendLeader(t, p, "a", 4)
	ctx := context.Background()
	m.CheckISR(ctx) // starts the followers' clocks
	*now = now.Add(10 * time.Second)
	if p.UpdateFollower(2, 4, *now) != nil {
		t.Fatal("follower 2 fetch refused")
	}
	*now = now.Add(time.Millisecond)
	c.refuse = errors.New("controller unavailable")
	m.CheckISR(ctx)
	c.refuse = nil
	m.CheckISR(ctx)
	if len(c.changes) != 2 || !slices.Equal(c.changes[1].ISR, []kafka.NodeID{1, 2}) || c.changes[1].PartitionEpoch != 0 || c.changes[1].LeaderEpoch != 1 {
		t.Fatalf("proposals %+v, want two of ISR [1 2] at partition epoch 0", c.changes)
	}
	if got := p.Role().ISR; !slices.Equal(got, []kafka.NodeID{1, 2}) {
		t.Fatalf("ISR %v after the image", got)
	}
	if p.HighWatermark() != 4 {
		t.Fatalf("high watermark %d with follower 2 at 4 and 3 out", p.HighWatermark())
	}
	if p.UpdateFollower(3, 4, *now) != nil {
		t.Fatal("follower 3 fetch refused")
	}
	m.CheckISR(ctx)
	if last := c.changes[len(c.changes)-1]; !slices.Equal(last.ISR, []kafka.NodeID{1, 2, 3}) || last.PartitionEpoch != 1 {
		t.Fatalf("expansion %+v", last)
	}
}
