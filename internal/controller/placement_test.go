package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func racked(pairs ...any) []rackedBroker {
	var out []rackedBroker
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, rackedBroker{ID: int32(pairs[i].(int)), Rack: pairs[i+1].(string)})
	}
	return out
}

// TestRackAlternated proves brokers are listed rack by rack in turn, as
// Kafka's getRackAlternatedBrokerList lists them.
func TestRackAlternated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		brokers []rackedBroker
		want    []int32
	}{
		{"no racks", racked(3, "", 1, "", 2, ""), []int32{1, 2, 3}},
		{"kafka's example", racked(0, "rack1", 1, "rack3", 2, "rack3", 3, "rack2", 4, "rack2", 5, "rack1"), []int32{0, 3, 1, 5, 4, 2}},
		{"uneven racks", racked(1, "a", 2, "a", 3, "a", 4, "b"), []int32{1, 4, 2, 3}},
	} {
		var got []int32
		for _, b := range rackAlternated(tc.brokers) {
			got = append(got, b.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAssignReplicas proves the assignment is Kafka's, on the examples of
// Kafka's own tests of the rack-unaware and rack-aware assignment.
func TestAssignReplicas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		arranged []rackedBroker
		start    int32
		first    int32
		count    int32
		rf       int16
		want     [][]int32
	}{
		{"rack-unaware, 5 brokers", racked(0, "", 1, "", 2, "", 3, "", 4, ""), 0, 0, 10, 3, [][]int32{
			{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1}, {0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2}}},
		{"rack-aware, 3 racks", rackAlternated(racked(0, "rack1", 1, "rack3", 2, "rack3", 3, "rack2", 4, "rack2", 5, "rack1")), 0, 0, 6, 3, [][]int32{
			{0, 3, 1}, {3, 1, 5}, {1, 5, 4}, {5, 4, 2}, {4, 2, 0}, {2, 0, 3}}},
		{"start moves the first leader", racked(1, "", 2, "", 3, ""), 2, 0, 3, 2, [][]int32{{3, 1}, {1, 2}, {2, 3}}},
		{"new partitions continue the sequence", racked(0, "", 1, "", 2, "", 3, "", 4, ""), 0, 5, 2, 3, [][]int32{{0, 2, 3}, {1, 3, 4}}},
		{"one broker", racked(7, ""), 0, 0, 2, 1, [][]int32{{7}, {7}}},
	} {
		got := assignReplicas(tc.arranged, tc.start, tc.first, tc.count, tc.rf)
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

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
