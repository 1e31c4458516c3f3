package controller

import (
	"errors"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestPlacementIsRackAwareAndEven proves that topics created in turn put
// every partition's replicas on as many racks as they can, spread the
// preferred leaders exactly evenly over the brokers, and the replicas to
// within one of the mean (Kafka's assignment does not promise better).
func TestPlacementIsRackAwareAndEven(t *testing.T) {
	img := metadata.Empty()
	for i, rack := range []string{"a", "a", "b", "b", "c", "c"} {
		r := rack
		img = apply(t, img, RegisterBroker(metadata.Broker{ID: kafka.NodeID(i + 1), Rack: &r}, int64(i+1)))
	}
	racks := map[int32]string{1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "c"}
	leaders, replicas := map[int32]int{}, map[int32]int{}
	for _, name := range []string{"t1", "t2", "t3"} {
		recs, err := CreateTopic(img, Cluster{}, TopicSpec{Name: name, NumPartitions: 4, ReplicationFactor: 3}, kafka.NewTopicID())
		if err != nil {
			t.Fatal(err)
		}
		img = apply(t, img, recs)
		topic, _ := img.Topic(name)
		for _, p := range topic.Partitions {
			seen := map[string]bool{}
			for _, r := range p.Replicas {
				seen[racks[r]] = true
				replicas[r]++
			}
			if len(seen) != 3 {
				t.Errorf("%s-%d on racks %v: want all three", name, p.Partition, seen)
			}
			leaders[p.Leader]++
		}
	}
	for id := int32(1); id <= 6; id++ {
		if leaders[id] != 2 || replicas[id] < 5 || replicas[id] > 7 {
			t.Errorf("broker %d leads %d and holds %d replicas, want 2 and 5-7 (leaders %v, replicas %v)", id, leaders[id], replicas[id], leaders, replicas)
		}
	}
}

// TestPlacementNeedsEnoughBrokers proves a replication factor above the
// live brokers fails with INVALID_REPLICATION_FACTOR, fenced brokers not
// counted.
func TestPlacementNeedsEnoughBrokers(t *testing.T) {
	img := withBrokers(t, 1, 2, 3)
	img = apply(t, img, FenceBroker(img, 3, func(string) bool { return false }))
	_, err := CreateTopic(img, Cluster{}, TopicSpec{Name: "t", NumPartitions: 1, ReplicationFactor: 3}, kafka.NewTopicID())
	if !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("got %v, want INVALID_REPLICATION_FACTOR", err)
	}
}
