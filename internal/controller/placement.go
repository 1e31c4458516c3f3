package controller

// Replica placement for new partitions, Kafka's rack-alternating
// assignment: the live brokers are listed rack by rack in turn (the first
// broker of each rack, then the second of each, ...), partition p's first
// replica, its preferred leader, is the broker at (p + start) in that
// list, and each further replica is taken at a shifting distance from it,
// skipping brokers whose rack already holds a replica until every rack
// does. Without racks (or with one) this is Kafka's rack-unaware
// assignment. Brokers without broker.rack form one rack of their own, as
// KRaft's placer groups them. Where Kafka picks the start at random,
// Gregor starts at the broker that is preferred leader of the fewest
// partitions, so that successive topics spread their leaders evenly and
// placement stays a pure function of the image.

import (
	"cmp"
	"fmt"
	"slices"

	"gregor/internal/metadata"
)

// rackedBroker is a broker new replicas may go to.
type rackedBroker struct {
	ID   int32
	Rack string // "" when broker.rack is unset
}

// placementBrokers returns the brokers new replicas go to: the registered,
// unfenced ones.
func placementBrokers(img *metadata.Image) []rackedBroker {
	var out []rackedBroker
	for _, b := range img.Brokers() {
		if b.Fenced {
			continue
		}
		rb := rackedBroker{ID: int32(b.ID)}
		if b.Rack != nil {
			rb.Rack = *b.Rack
		}
		out = append(out, rb)
	}
	return out
}

// place assigns replicas to count partitions numbered from first on,
// rf each, on brokers, starting at the broker that leads the fewest
// partitions of img.
func place(img *metadata.Image, brokers []rackedBroker, first, count int32, rf int16) ([][]int32, error) {
	if int(rf) > len(brokers) {
		return nil, fmt.Errorf("%w: Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.",
			ErrInvalidReplicationFactor, rf, rf, len(brokers))
	}
	arranged := rackAlternated(brokers)
	return assignReplicas(arranged, leastLeading(img, arranged), first, count, rf), nil
}

// rackAlternated lists brokers rack by rack in turn: racks sorted by
// name, brokers within a rack by id.
func rackAlternated(brokers []rackedBroker) []rackedBroker {
	byRack := map[string][]rackedBroker{}
	for _, b := range brokers {
		byRack[b.Rack] = append(byRack[b.Rack], b)
	}
	racks := make([]string, 0, len(byRack))
	for r, bs := range byRack {
		racks = append(racks, r)
		slices.SortFunc(bs, func(a, b rackedBroker) int { return cmp.Compare(a.ID, b.ID) })
	}
	slices.Sort(racks)
	out := make([]rackedBroker, 0, len(brokers))
	for i := 0; len(out) < len(brokers); i++ {
		for _, r := range racks {
			if i < len(byRack[r]) {
				out = append(out, byRack[r][i])
			}
		}
	}
	return out
}

// leastLeading returns the index in arranged of the broker that is the
// preferred leader (first replica) of the fewest partitions in img, the
// first such on a tie.
func leastLeading(img *metadata.Image, arranged []rackedBroker) int32 {
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

// assignReplicas is the rack-aware assignment over arranged (the
// rack-alternated list), Kafka's, with start as both its start index and
// its initial replica shift. It requires rf <= len(arranged).
func assignReplicas(arranged []rackedBroker, start, first, count int32, rf int16) [][]int32 {
	n := int32(len(arranged))
	racks := countRacks(arranged)
	shift := start
	out := make([][]int32, 0, count)
	for p := first; p < first+count; p++ {
		if p > 0 && p%n == 0 {
			shift++
		}
		out = append(out, replicasFor(arranged, (p+start)%n, shift*racks, racks, rf))
	}
	return out
}

// replicasFor picks rf replicas, the first at index lead, the others at
// growing distances, each on a rack without a replica yet until every
// rack has one.
func replicasFor(arranged []rackedBroker, lead, shift, racks int32, rf int16) []int32 {
	n := int32(len(arranged))
	replicas := []int32{arranged[lead].ID}
	usedRacks := map[string]bool{arranged[lead].Rack: true}
	for k := int32(0); len(replicas) < int(rf); k++ {
		b := arranged[replicaIndex(lead, shift, k, n)]
		rackFree := !usedRacks[b.Rack] || int32(len(usedRacks)) == racks
		if rackFree && !slices.Contains(replicas, b.ID) {
			replicas = append(replicas, b.ID)
			usedRacks[b.Rack] = true
		}
	}
	return replicas
}

// replicaIndex is Kafka's distance rule: the k-th candidate after lead
// is 1 + (shift + k) mod (n-1) brokers further on.
func replicaIndex(lead, shift, k, n int32) int32 {
	return (lead + 1 + (shift+k)%(n-1)) % n
}

func countRacks(brokers []rackedBroker) int32 {
	racks := map[string]bool{}
	for _, b := range brokers {
		racks[b.Rack] = true
	}
	return int32(len(racks))
}
