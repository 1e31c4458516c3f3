package controller

import (
	"errors"
	"strings"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

var threeBrokers = Cluster{DefaultPartitions: 2, DefaultReplicationFactor: 1}

// withBrokers returns the image where brokers ids are registered.
func withBrokers(t *testing.T, ids ...kafka.NodeID) *metadata.Image {
	t.Helper()
	img := metadata.Empty()
	for _, id := range ids {
		img = apply(t, img, RegisterBroker(metadata.Broker{ID: id, IncarnationID: kafka.NewTopicID()}, int64(id)))
	}
	return img
}

func apply(t *testing.T, img *metadata.Image, recs []metadata.Record) *metadata.Image {
	t.Helper()
	next, err := img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// TestValidateTopicName proves Kafka's topic naming rules.
func TestValidateTopicName(t *testing.T) {
	for name, ok := range map[string]bool{
		"orders": true, "a.b_c-D9": true, strings.Repeat("x", 249): true,
		"": false, ".": false, "..": false, strings.Repeat("x", 250): false, "a b": false, "a/b": false, "é": false,
	} {
		if err := ValidateTopicName(name); (err == nil) != ok {
			t.Errorf("ValidateTopicName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// TestCreateTopic proves defaults, round-robin placement and the errors a
// Kafka controller answers for bad requests.
func TestCreateTopic(t *testing.T) {
	img := withBrokers(t, 1, 2, 3)
	recs, err := CreateTopic(img, threeBrokers, TopicSpec{Name: "orders", NumPartitions: 3, ReplicationFactor: 2}, kafka.NewTopicID())
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	topic, _ := img.Topic("orders")
	leaders := map[int32]bool{}
	for _, p := range topic.Partitions {
		if len(p.Replicas) != 2 || p.Leader != p.Replicas[0] || len(p.ISR) != 2 {
			t.Fatalf("partition %+v", p)
		}
		leaders[p.Leader] = true
	}
	if len(leaders) != 3 {
		t.Fatalf("leaders not spread: %v", leaders)
	}
	recs, err = CreateTopic(img, threeBrokers, TopicSpec{Name: "defaults", NumPartitions: -1, ReplicationFactor: -1}, kafka.NewTopicID())
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	if d, _ := img.Topic("defaults"); len(d.Partitions) != 2 || len(d.Partitions[0].Replicas) != 1 {
		t.Fatalf("defaults not applied: %+v", d)
	}
	for _, tc := range []struct {
		spec TopicSpec
		want error
	}{
		{TopicSpec{Name: "orders", NumPartitions: 1, ReplicationFactor: 1}, ErrTopicExists},
		{TopicSpec{Name: "orders.x", NumPartitions: 1, ReplicationFactor: 1}, nil},
		{TopicSpec{Name: "bad name", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{TopicSpec{Name: "p0", NumPartitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions},
		{TopicSpec{Name: "rf4", NumPartitions: 1, ReplicationFactor: 4}, ErrInvalidReplicationFactor},
		{TopicSpec{Name: "assign", Assignments: map[int32][]int32{0: {1, 1}}}, ErrInvalidReplicaAssignment},
		{TopicSpec{Name: "assign", Assignments: map[int32][]int32{0: {9}}}, ErrInvalidReplicaAssignment},
		{TopicSpec{Name: "assign", Assignments: map[int32][]int32{1: {1}}}, ErrInvalidReplicaAssignment},
		{TopicSpec{Name: "both", NumPartitions: 1, Assignments: map[int32][]int32{0: {1}}}, ErrInvalidRequest},
	} {
		_, err := CreateTopic(img, threeBrokers, tc.spec, kafka.NewTopicID())
		if tc.want == nil {
			if err != nil {
				t.Errorf("%+v: %v", tc.spec, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%+v: err = %v, want %v", tc.spec, err, tc.want)
		}
	}
	// A name differing only in '.' versus '_' collides.
	if _, err := CreateTopic(img, threeBrokers, TopicSpec{Name: "orders_x"}, kafka.NewTopicID()); err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, mustCreate(t, img, "a.b"))
	if _, err := CreateTopic(img, threeBrokers, TopicSpec{Name: "a_b"}, kafka.NewTopicID()); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("collision: %v", err)
	}
}

func mustCreate(t *testing.T, img *metadata.Image, name string) []metadata.Record {
	recs, err := CreateTopic(img, threeBrokers, TopicSpec{Name: name, NumPartitions: 1, ReplicationFactor: 1}, kafka.NewTopicID())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestCreatePartitionsAndDelete proves growing and deleting a topic.
func TestCreatePartitionsAndDelete(t *testing.T) {
	img := withBrokers(t, 1, 2, 3)
	img = apply(t, img, mustCreate(t, img, "t"))
	if _, err := CreatePartitions(img, "t", 1, nil); !errors.Is(err, ErrInvalidPartitions) {
		t.Fatalf("same count: %v", err)
	}
	if _, err := CreatePartitions(img, "nope", 3, nil); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	recs, err := CreatePartitions(img, "t", 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	topic, _ := img.Topic("t")
	if len(topic.Partitions) != 4 {
		t.Fatalf("partitions = %d", len(topic.Partitions))
	}
	recs, err = DeleteTopic(img, topic.ID)
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	if _, ok := img.Topic("t"); ok {
		t.Fatal("topic not deleted")
	}
	if _, err := DeleteTopic(img, topic.ID); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("second delete: %v", err)
	}
}

// TestAllocateProducerIDs proves blocks never overlap.
func TestAllocateProducerIDs(t *testing.T) {
	img := metadata.Empty()
	recs, first := AllocateProducerIDs(img, 1000)
	img = apply(t, img, recs)
	_, second := AllocateProducerIDs(img, 1000)
	if first != 0 || second != 1000 {
		t.Fatalf("blocks start at %d and %d", first, second)
	}
}

// TestPartitionLimit proves Kafka's bound of 10,000 new partitions per
// request, which keeps a hostile request from exhausting memory.
func TestPartitionLimit(t *testing.T) {
	img := withBrokers(t, 1, 2, 3)
	if _, err := CreateTopic(img, threeBrokers, TopicSpec{Name: "huge", NumPartitions: 1 << 30, ReplicationFactor: 1}, kafka.NewTopicID()); !errors.Is(err, ErrPolicyViolation) {
		t.Fatalf("create: %v", err)
	}
	img = apply(t, img, mustCreate(t, img, "t"))
	if _, err := CreatePartitions(img, "t", 1<<30, nil); !errors.Is(err, ErrPolicyViolation) {
		t.Fatalf("create partitions: %v", err)
	}
}
