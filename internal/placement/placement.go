// Package placement is Kafka's rack-aware replica assignment, a pure
// function shared by the controller (new partitions) and the CLI
// (reassign-partitions --generate), as Kafka's AdminUtils serves both.
//
// The brokers are listed rack by rack in turn (the first broker of each
// rack, then the second of each, ...); partition p's first replica, its
// preferred leader, is the broker at (p + start) in that list, and each
// further replica is taken at a shifting distance from it, skipping
// brokers whose rack already holds a replica until every rack does.
// Without racks (or with one) this is Kafka's rack-unaware assignment.
// Brokers without broker.rack form one rack of their own, as KRaft's
// placer groups them.
package placement

import (
	"cmp"
	"slices"
)

// Broker is a broker replicas may go to.
type Broker struct {
	ID   int32
	Rack string // "" when broker.rack is unset
}

// RackAlternated lists brokers rack by rack in turn: racks sorted by
// name, brokers within a rack by id.
func RackAlternated(brokers []Broker) []Broker {
	byRack := map[string][]Broker{}
	for _, b := range brokers {
		byRack[b.Rack] = append(byRack[b.Rack], b)
	}
	racks := make([]string, 0, len(byRack))
	for r, bs := range byRack {
		racks = append(racks, r)
		slices.SortFunc(bs, func(a, b Broker) int { return cmp.Compare(a.ID, b.ID) })
	}
	slices.Sort(racks)
	out := make([]Broker, 0, len(brokers))
	for i := 0; len(out) < len(brokers); i++ {
		for _, r := range racks {
			if i < len(byRack[r]) {
				out = append(out, byRack[r][i])
			}
		}
	}
	return out
}

// Assign is the rack-aware assignment of count partitions numbered from
// first on, rf replicas each, over arranged (a RackAlternated list), with
// start as both Kafka's start index and its initial replica shift. It
// requires 0 < rf <= len(arranged).
func Assign(arranged []Broker, start, first, count int32, rf int16) [][]int32 {
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
func replicasFor(arranged []Broker, lead, shift, racks int32, rf int16) []int32 {
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

func countRacks(brokers []Broker) int32 {
	racks := map[string]bool{}
	for _, b := range brokers {
		racks[b.Rack] = true
	}
	return int32(len(racks))
}
