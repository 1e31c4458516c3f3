package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestElectLeader proves the election rule: a live leader stays; otherwise
// the first live ISR member in replica order leads; with none, no leader,
// unless unclean election picks the first live replica as the whole ISR.
func TestElectLeader(t *testing.T) {
	alive := func(ids ...int32) func(int32) bool { return func(r int32) bool { return slices.Contains(ids, r) } }
	for _, tc := range []struct {
		name        string
		p           metadata.Partition
		alive       func(int32) bool
		unclean     bool
		wantLeader  int32
		wantISR     []int32
		wantChanged bool
	}{
		{"live leader stays", part(1, []int32{1, 2, 3}, 1, 2, 3), alive(1, 2, 3), false, 1, []int32{1, 2, 3}, false},
		{"first live in ISR, replica order", part(1, []int32{3, 2}, 1, 2, 3), alive(2, 3), false, 2, []int32{3, 2}, true},
		{"none in ISR alive", part(1, []int32{1}, 1, 2, 3), alive(2, 3), false, NoLeader, []int32{1}, true},
		{"unclean picks a live replica", part(1, []int32{1}, 1, 2, 3), alive(3), true, 3, []int32{3}, true},
		{"unclean with no live replica", part(NoLeader, []int32{1}, 1, 2), alive(), true, NoLeader, []int32{1}, false},
		{"leaderless gets its ISR member back", part(NoLeader, []int32{1}, 1, 2), alive(1), false, 1, []int32{1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := ElectLeader(tc.p, tc.alive, tc.unclean)
			if got.Leader != tc.wantLeader || !slices.Equal(got.ISR, tc.wantISR) || changed != tc.wantChanged {
				t.Fatalf("got leader %d isr %v changed %v, want %d %v %v", got.Leader, got.ISR, changed, tc.wantLeader, tc.wantISR, tc.wantChanged)
			}
			if changed && (got.PartitionEpoch != tc.p.PartitionEpoch+1 || got.Leader != tc.p.Leader && got.LeaderEpoch != tc.p.LeaderEpoch+1) {
				t.Fatalf("epochs %d/%d from %d/%d", got.LeaderEpoch, got.PartitionEpoch, tc.p.LeaderEpoch, tc.p.PartitionEpoch)
			}
		})
	}
}

// TestWithoutReplica proves the fencing rule for one partition: the fenced
// replica leaves the ISR unless it is the last member, and its leadership
// moves to the next live ISR member (or to none).
func TestWithoutReplica(t *testing.T) {
	others := func(r int32) bool { return r != 1 }
	for _, tc := range []struct {
		name       string
		p          metadata.Partition
		wantLeader int32
		wantISR    []int32
		changed    bool
	}{
		{"follower leaves the ISR", part(2, []int32{1, 2, 3}, 1, 2, 3), 2, []int32{2, 3}, true},
		{"leader moves to the next ISR member", part(1, []int32{1, 2, 3}, 1, 2, 3), 2, []int32{2, 3}, true},
		{"last ISR member stays, without a leader", part(1, []int32{1}, 1, 2, 3), NoLeader, []int32{1}, true},
		{"not a replica: unchanged", part(2, []int32{2, 3}, 2, 3), 2, []int32{2, 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isr := slices.Clone(tc.p.ISR)
			got, changed := WithoutReplica(tc.p, 1, others, false)
			if got.Leader != tc.wantLeader || !slices.Equal(got.ISR, tc.wantISR) || changed != tc.changed {
				t.Fatalf("got leader %d isr %v changed %v, want %d %v %v", got.Leader, got.ISR, changed, tc.wantLeader, tc.wantISR, tc.changed)
			}
			if !slices.Equal(tc.p.ISR, isr) {
				t.Fatal("the input partition's ISR was modified")
			}
		})
	}
}

// TestBrokerLifecycle proves the records of fencing, unfencing,
// re-registration and a controlled shutdown on an image: leaderships move
// off the broker and come back to partitions left without a leader when it
// returns.
func TestBrokerLifecycle(t *testing.T) {
	id := kafka.NewTopicID()
	img, err := metadata.Empty().Apply([]metadata.Record{
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 1, Epoch: 10, IncarnationID: kafka.NewTopicID()}},
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 2, Epoch: 11}},
		{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: "t", ID: id}},
		{Type: metadata.TypePartition, Partition: &metadata.PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1}},
		{Type: metadata.TypePartition, Partition: &metadata.PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(img *metadata.Image, recs []metadata.Record) *metadata.Image {
		t.Helper()
		next, err := img.Apply(recs)
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	fenced := apply(img, fence(img, Cluster{}, fenceRequest{IDs: []kafka.NodeID{1}}))
	topic, _ := fenced.Topic("t")
	if b, _ := fenced.Broker(1); !b.Fenced || topic.Partitions[0].Leader != 2 || !slices.Equal(topic.Partitions[0].ISR, []int32{2}) || topic.Partitions[1].Leader != NoLeader {
		t.Fatalf("after fencing: %+v", topic.Partitions)
	}
	recs, resp, err := brokerHeartbeat(fenced, Cluster{}, BrokerHeartbeatRequest{ID: 1, Epoch: 10})
	if err != nil || resp.Fenced {
		t.Fatalf("heartbeat of a fenced broker: %+v %v", resp, err)
	}
	back := apply(fenced, recs)
	topic, _ = back.Topic("t")
	if b, _ := back.Broker(1); b.Fenced || topic.Partitions[1].Leader != 1 || topic.Partitions[0].Leader != 2 {
		t.Fatalf("after unfencing: %+v", topic.Partitions)
	}
	reg, epoch := registerBroker(fenced, Cluster{}, metadata.Broker{ID: 1, IncarnationID: kafka.NewTopicID()}, 20)
	reregistered := apply(fenced, reg)
	topic, _ = reregistered.Topic("t")
	if b, _ := reregistered.Broker(1); b.Fenced || b.Epoch != 20 || epoch != 20 || topic.Partitions[1].Leader != 1 {
		t.Fatalf("after re-registering: %+v %+v", b, topic.Partitions)
	}
	recs, resp, _ = brokerHeartbeat(img, Cluster{}, BrokerHeartbeatRequest{ID: 1, Epoch: 10, WantShutdown: true})
	topic, _ = apply(img, recs).Topic("t")
	if !resp.ShouldShutDown || topic.Partitions[0].Leader != 2 {
		t.Fatalf("controlled shutdown: %+v %+v", resp, topic.Partitions)
	}
	if _, _, err := brokerHeartbeat(img, Cluster{}, BrokerHeartbeatRequest{ID: 1, Epoch: 9}); !errors.Is(err, ErrBrokerNotRegistered) {
		t.Fatalf("heartbeat of an old registration: %v", err)
	}
}

// TestNewIncarnationTakesOver proves what a registration does to the
// partitions of a broker whose previous process still held its place (a
// restart within the session): the partitions it led get a new leader
// epoch, led by another in-sync replica when one is alive; it leaves the
// ISRs it neither leads nor is the last of; a partition with no other
// replica is left alone; and the same incarnation registering again keeps
// its epoch and changes nothing.
func TestNewIncarnationTakesOver(t *testing.T) {
	old := kafka.NewTopicID()
	brokers := []metadata.Record{
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 1, Epoch: 10, IncarnationID: old}},
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 2, Epoch: 11, IncarnationID: kafka.NewTopicID()}},
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 3, Epoch: 12, IncarnationID: kafka.NewTopicID(), Fenced: true}},
	}
	for _, tc := range []struct {
		name               string
		p                  metadata.Partition
		wantLeader         int32
		wantISR            []int32
		wantLeaderEpoch    int32
		wantPartitionEpoch int32
	}{
		{"led, another in sync: it leads", part(1, []int32{1, 2}, 1, 2), 2, []int32{2}, 5, 8},
		{"led, alone in sync: a new epoch", part(1, []int32{1}, 1, 2), 1, []int32{1}, 5, 8},
		{"led, the other in sync fenced: a new epoch", part(1, []int32{1, 3}, 1, 3), 1, []int32{1, 3}, 5, 8},
		{"followed: leaves the ISR", part(2, []int32{2, 1}, 2, 1), 2, []int32{2}, 4, 8},
		{"followed, out of sync: unchanged", part(2, []int32{2}, 2, 1), 2, []int32{2}, 4, 7},
		{"the only replica: unchanged", part(1, []int32{1}, 1), 1, []int32{1}, 4, 7},
		{"not a replica: unchanged", part(2, []int32{2}, 2), 2, []int32{2}, 4, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := kafka.NewTopicID()
			img, err := metadata.Empty().Apply(append(slices.Clone(brokers),
				metadata.Record{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: "t", ID: topic}},
				tc.p.Record(topic)))
			if err != nil {
				t.Fatal(err)
			}
			recs, epoch := registerBroker(img, Cluster{}, metadata.Broker{ID: 1, IncarnationID: kafka.NewTopicID()}, 20)
			next, err := img.Apply(recs)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := next.Topic("t")
			p := got.Partitions[0]
			if b, _ := next.Broker(1); epoch != 20 || b.Epoch != 20 || b.Fenced {
				t.Fatalf("registration: epoch %d, broker %+v", epoch, b)
			}
			if p.Leader != tc.wantLeader || !slices.Equal(p.ISR, tc.wantISR) || p.LeaderEpoch != tc.wantLeaderEpoch || p.PartitionEpoch != tc.wantPartitionEpoch {
				t.Fatalf("got leader %d isr %v epochs %d/%d, want %d %v %d/%d", p.Leader, p.ISR, p.LeaderEpoch, p.PartitionEpoch,
					tc.wantLeader, tc.wantISR, tc.wantLeaderEpoch, tc.wantPartitionEpoch)
			}
			again, epoch := registerBroker(next, Cluster{}, metadata.Broker{ID: 1, IncarnationID: mustBroker(t, next, 1).IncarnationID}, 30)
			if epoch != 20 || len(again) != 1 {
				t.Fatalf("the same incarnation again: epoch %d, %d records", epoch, len(again))
			}
		})
	}
}

// TestUnregisterBroker proves UnregisterBroker on an image: an unknown id
// is BROKER_ID_NOT_REGISTERED; a registered broker leaves its leaderships
// and ISRs as fencing takes them (the last member of an ISR stays) and
// is no longer registered; a record of another registration's epoch does
// not fit the image.
func TestUnregisterBroker(t *testing.T) {
	topic := kafka.NewTopicID()
	img, err := metadata.Empty().Apply([]metadata.Record{
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 1, Epoch: 10, IncarnationID: kafka.NewTopicID()}},
		{Type: metadata.TypeBroker, Broker: &metadata.Broker{ID: 2, Epoch: 11, IncarnationID: kafka.NewTopicID()}},
		{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: "t", ID: topic}},
		part(1, []int32{1, 2}, 1, 2).Record(topic),
		func() metadata.Record { p := part(1, []int32{1}, 1, 2); p.Partition = 1; return p.Record(topic) }(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := unregisterBroker(img, Cluster{}, UnregisterBrokerRequest{ID: 3}); !errors.Is(err, ErrBrokerNotRegistered) {
		t.Fatalf("unregistering an unknown broker: %v", err)
	}
	recs, _, err := unregisterBroker(img, Cluster{}, UnregisterBrokerRequest{ID: 1})
	if err != nil {
		t.Fatal(err)
	}
	next, err := img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := next.Broker(1); ok || len(next.Brokers()) != 1 {
		t.Fatalf("brokers after unregistering 1: %+v", next.Brokers())
	}
	got, _ := next.Topic("t")
	if p := got.Partitions[0]; p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) || p.LeaderEpoch != 5 {
		t.Fatalf("partition 0: %+v", p)
	}
	if p := got.Partitions[1]; p.Leader != NoLeader || !slices.Equal(p.ISR, []int32{1}) {
		t.Fatalf("partition 1: %+v", p)
	}
	stale := metadata.Record{Type: metadata.TypeUnregisterBroker, Unregister: &metadata.UnregisterBrokerRecord{ID: 2, Epoch: 9}}
	if _, err := next.Apply([]metadata.Record{stale}); err == nil {
		t.Fatal("a record of another registration's epoch applied")
	}
}

func mustBroker(t *testing.T, img *metadata.Image, id kafka.NodeID) metadata.Broker {
	t.Helper()
	b, ok := img.Broker(id)
	if !ok {
		t.Fatalf("broker %d is not registered", id)
	}
	return b
}

func part(leader int32, isr []int32, replicas ...int32) metadata.Partition {
	return metadata.Partition{Replicas: replicas, ISR: isr, Leader: leader, LeaderEpoch: 4, PartitionEpoch: 7}
}
