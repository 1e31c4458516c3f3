package controller

// Replica placement for new partitions: Kafka's rack-alternating
// assignment (package placement) over the live brokers. Where Kafka picks
// the start at random, Gregor starts at the broker that is preferred
// leader of the fewest partitions, so that successive topics spread their
// leaders evenly and placement stays a pure function of the image.

import (
	"fmt"

	"gregor/internal/metadata"
	"gregor/internal/placement"
)

// placementBrokers returns the brokers new replicas go to: the registered,
// unfenced ones with a log dir left.
func placementBrokers(img *metadata.Image) []placement.Broker {
	var out []placement.Broker
	for _, b := range img.Brokers() {
		if b.Fenced || b.StorageOffline {
			continue
		}
		pb := placement.Broker{ID: int32(b.ID)}
		if b.Rack != nil {
			pb.Rack = *b.Rack
		}
		out = append(out, pb)
	}
	return out
}

// place assigns replicas to count partitions numbered from first on,
// rf each, on brokers, starting at the broker that leads the fewest
// partitions of img.
func place(img *metadata.Image, brokers []placement.Broker, first, count int32, rf int16) ([][]int32, error) {
	if int(rf) > len(brokers) {
		return nil, fmt.Errorf("%w: Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.",
			ErrInvalidReplicationFactor, rf, rf, len(brokers))
	}
	arranged := placement.RackAlternated(brokers)
	return placement.Assign(arranged, leastLeading(img, arranged), first, count, rf), nil
}

// leastLeading returns the index in arranged of the broker that is the
// preferred leader (first replica) of the fewest partitions in img, the
// first such on a tie.
func leastLeading(img *metadata.Image, arranged []placement.Broker) int32 {
	leads := map[int32]int{}
	for _, name := range img.TopicNames() {
		t, _ := img.Topic(name)
		for _, p := range t.Partitions {
			if len(p.Replicas) > 0 {
				leads[p.Replicas[0]]++
			}
		}
	}
	best := 0
	for i, b := range arranged {
		if leads[b.ID] < leads[arranged[best].ID] {
			best = i
		}
	}
	return int32(best)
}
