package group

import (
	"cmp"
	"maps"
	"slices"

	"gregor/internal/kafka"
)

// The server-side assignors of consumer groups (group.consumer.assignors).
// Both are pure functions of the members' subscriptions, the partition
// counts and, for stickiness, the previous target assignment.

// assignMember is a member as an assignor sees it.
type assignMember struct {
	id     string
	topics []kafka.TopicID // subscribed topics that exist
}

// assignor computes a target assignment: every partition of a subscribed
// topic goes to exactly one member subscribed to it.
type assignor func(members []assignMember, partitions map[kafka.TopicID]int32, previous map[string]Assignment) map[string]Assignment

var assignors = map[string]assignor{
	"uniform": uniformAssign,
	"range":   rangeAssign,
}

// uniformAssign spreads partitions so that no member could take a
// partition from another member that has two more than it (for members
// with the same subscriptions: counts differ by at most one), keeping
// each partition with its previous owner where that stays balanced.
//
// It keeps the previous assignment where still valid, gives the
// partitions left over to the least loaded subscriber, then moves
// partitions from the most loaded members to less loaded subscribers
// until no move narrows the gap.
func uniformAssign(members []assignMember, partitions map[kafka.TopicID]int32, previous map[string]Assignment) map[string]Assignment {
	members = slices.Clone(members)
	slices.SortFunc(members, func(a, b assignMember) int { return cmp.Compare(a.id, b.id) })
	subscribers := map[kafka.TopicID][]string{}
	for _, m := range members {
		for _, t := range m.topics {
			if _, ok := partitions[t]; ok {
				subscribers[t] = append(subscribers[t], m.id)
			}
		}
	}
	owned := map[string]map[partitionKey]bool{}
	owner := map[partitionKey]string{}
	for _, m := range members {
		owned[m.id] = map[partitionKey]bool{}
	}
	give := func(id string, k partitionKey) {
		owned[id][k] = true
		owner[k] = id
	}
	// 1. Keep what is still valid.
	for _, m := range members {
		for tid, ps := range previous[m.id] {
			if !slices.Contains(m.topics, tid) {
				continue
			}
			for _, p := range ps {
				k := partitionKey{tid, p}
				if _, taken := owner[k]; !taken && p < partitions[tid] {
					give(m.id, k)
				}
			}
		}
	}
	leastLoaded := func(t kafka.TopicID) string {
		best := ""
		for _, id := range subscribers[t] {
			if best == "" || len(owned[id]) < len(owned[best]) {
				best = id
			}
		}
		return best
	}
	// 2. Give the rest to the least loaded subscriber.
	for _, tid := range slices.SortedFunc(maps.Keys(subscribers), compareTopicIDs) {
		for p := range partitions[tid] {
			k := partitionKey{tid, p}
			if _, taken := owner[k]; !taken {
				give(leastLoaded(tid), k)
			}
		}
	}
	// 3. Balance: move from the most loaded while a subscriber has two fewer.
	for moved := true; moved; {
		moved = false
		byLoad := slices.Clone(members)
		slices.SortStableFunc(byLoad, func(a, b assignMember) int { return cmp.Compare(len(owned[b.id]), len(owned[a.id])) })
		for _, m := range byLoad {
			for _, k := range sortedKeys(owned[m.id]) {
				to := leastLoaded(k.topic)
				if len(owned[to]) < len(owned[m.id])-1 {
					delete(owned[m.id], k)
					give(to, k)
					moved = true
					break
				}
			}
			if moved {
				break
			}
		}
	}
	out := map[string]Assignment{}
	for _, m := range members {
		out[m.id] = assignmentOf(owned[m.id])
	}
	return out
}

func sortedKeys(set map[partitionKey]bool) []partitionKey {
	return slices.SortedFunc(maps.Keys(set), func(a, b partitionKey) int {
		if c := compareTopicIDs(a.topic, b.topic); c != 0 {
			return c
		}
		return cmp.Compare(a.partition, b.partition)
	})
}

func assignmentOf(set map[partitionKey]bool) Assignment {
	a := Assignment{}
	for _, k := range sortedKeys(set) {
		a[k.topic] = append(a[k.topic], k.partition)
	}
	return a
}

// rangeAssign gives each member, per topic, a contiguous range of
// partitions: the subscribers sorted by member id, each gets
// partitions/subscribers and the first partitions%subscribers one more, so
// that members subscribed to co-partitioned topics get the same partition
// numbers of each. It is not sticky beyond that determinism.
func rangeAssign(members []assignMember, partitions map[kafka.TopicID]int32, _ map[string]Assignment) map[string]Assignment {
	subscribers := map[kafka.TopicID][]string{}
	out := map[string]Assignment{}
	for _, m := range members {
		out[m.id] = Assignment{}
		for _, t := range m.topics {
			if _, ok := partitions[t]; ok {
				subscribers[t] = append(subscribers[t], m.id)
			}
		}
	}
	for tid, ids := range subscribers {
		slices.Sort(ids)
		n, k := partitions[tid], int32(len(ids))
		next := int32(0)
		for i, id := range ids {
			count := n / k
			if int32(i) < n%k {
				count++
			}
			for p := next; p < next+count; p++ {
				out[id][tid] = append(out[id][tid], p)
			}
			next += count
		}
	}
	for id, a := range out {
		for tid, ps := range a {
			if len(ps) == 0 {
				delete(a, tid)
			}
		}
		out[id] = a
	}
	return out
}
