package group

import (
	"fmt"
	"testing"

	"gregor/internal/kafka"
)

func topicID(b byte) kafka.TopicID { return kafka.TopicID{15: b} }

func members(n int, topics ...kafka.TopicID) []assignMember {
	var out []assignMember
	for i := range n {
		out = append(out, assignMember{id: fmt.Sprintf("m%d", i), topics: topics})
	}
	return out
}

// checkComplete fails unless every partition of the subscribed topics is
// assigned exactly once, to a subscriber.
func checkComplete(t *testing.T, ms []assignMember, partitions map[kafka.TopicID]int32, got map[string]Assignment) {
	t.Helper()
	seen := map[partitionKey]string{}
	for _, m := range ms {
		for tid, ps := range got[m.id] {
			subscribed := false
			for _, s := range m.topics {
				subscribed = subscribed || s == tid
			}
			if !subscribed {
				t.Errorf("%s got topic %v it does not subscribe to", m.id, tid)
			}
			for _, p := range ps {
				k := partitionKey{tid, p}
				if other, dup := seen[k]; dup {
					t.Errorf("partition %v assigned to %s and %s", k, other, m.id)
				}
				seen[k] = m.id
			}
		}
	}
	want := 0
	for tid, n := range partitions {
		for _, m := range ms {
			for _, s := range m.topics {
				if s == tid {
					want += int(n)
					goto next
				}
			}
		}
	next:
	}
	if len(seen) != want {
		t.Errorf("%d partitions assigned, want %d", len(seen), want)
	}
}

// TestUniformBalanced: members with the same subscription get partition
// counts that differ by at most one, for every member and partition count.
func TestUniformBalanced(t *testing.T) {
	a, b := topicID(1), topicID(2)
	for _, tc := range []struct{ members, pa, pb int }{{1, 3, 0}, {3, 6, 0}, {3, 4, 3}, {4, 2, 1}, {5, 17, 9}, {7, 100, 0}} {
		ms := members(tc.members, a, b)
		parts := map[kafka.TopicID]int32{a: int32(tc.pa), b: int32(tc.pb)}
		got := uniformAssign(ms, parts, nil)
		checkComplete(t, ms, parts, got)
		lo, hi := 1<<30, 0
		for _, m := range ms {
			lo, hi = min(lo, got[m.id].Len()), max(hi, got[m.id].Len())
		}
		if hi-lo > 1 {
			t.Errorf("%+v: counts from %d to %d", tc, lo, hi)
		}
	}
}

// TestUniformSticky: when a member joins or leaves, only the partitions
// needed for balance move; the others stay with their owner.
func TestUniformSticky(t *testing.T) {
	a := topicID(1)
	parts := map[kafka.TopicID]int32{a: 12}
	three := uniformAssign(members(3, a), parts, nil)
	four := uniformAssign(members(4, a), parts, three)
	checkComplete(t, members(4, a), parts, four)
	moved := 0
	for _, id := range []string{"m0", "m1", "m2"} {
		if four[id].Len() != 3 {
			t.Errorf("%s has %d partitions, want 3", id, four[id].Len())
		}
		for _, p := range four[id][a] {
			if !three[id].has(a, p) {
				moved++
			}
		}
	}
	if moved != 0 || four["m3"].Len() != 3 {
		t.Errorf("adding a member moved %d partitions between old members; new member has %d", moved, four["m3"].Len())
	}
	// m1 leaves: m0 and m2 keep theirs and share m1's.
	rest := []assignMember{{id: "m0", topics: []kafka.TopicID{a}}, {id: "m2", topics: []kafka.TopicID{a}}}
	two := uniformAssign(rest, parts, three)
	checkComplete(t, rest, parts, two)
	for _, id := range []string{"m0", "m2"} {
		if !subset(three[id], two[id]) || two[id].Len() != 6 {
			t.Errorf("%s: before %v, after %v", id, three[id], two[id])
		}
	}
}

// TestUniformHeterogeneous: members subscribed to different topics get
// only their topics, and every partition is assigned.
func TestUniformHeterogeneous(t *testing.T) {
	a, b := topicID(1), topicID(2)
	ms := []assignMember{{id: "x", topics: []kafka.TopicID{a}}, {id: "y", topics: []kafka.TopicID{a, b}}, {id: "z", topics: []kafka.TopicID{b}}}
	parts := map[kafka.TopicID]int32{a: 4, b: 4}
	got := uniformAssign(ms, parts, nil)
	checkComplete(t, ms, parts, got)
	for _, m := range ms {
		if n := got[m.id].Len(); n < 2 || n > 3 {
			t.Errorf("%s has %d partitions", m.id, n)
		}
	}
}

// TestRangeAssign: contiguous ranges per topic, the first members by id
// getting the extra partitions, co-partitioned topics aligned.
func TestRangeAssign(t *testing.T) {
	a, b := topicID(1), topicID(2)
	ms := members(3, a, b)
	parts := map[kafka.TopicID]int32{a: 7, b: 7}
	got := rangeAssign(ms, parts, nil)
	checkComplete(t, ms, parts, got)
	want := map[string][]int32{"m0": {0, 1, 2}, "m1": {3, 4}, "m2": {5, 6}}
	for id, ps := range want {
		if fmt.Sprint(got[id][a]) != fmt.Sprint(ps) || fmt.Sprint(got[id][b]) != fmt.Sprint(ps) {
			t.Errorf("%s: %v", id, got[id])
		}
	}
}

// TestReconcile: a member revokes before it moves to the target epoch, and
// waits for partitions others still own.
func TestReconcile(t *testing.T) {
	a := topicID(1)
	cur := currentAssignment{epoch: 1, previousEpoch: 0, assigned: Assignment{a: {0, 1, 2}}, revoking: Assignment{}}
	target := Assignment{a: {0, 3}}
	free := func(kafka.TopicID, int32) bool { return false }
	next := reconcile(cur, 2, target, Assignment{a: {0, 1, 2}}, free)
	if next.state != memberUnrevoked || next.epoch != 1 || !next.assigned.Equal(Assignment{a: {0}}) || !next.revoking.Equal(Assignment{a: {1, 2}}) {
		t.Fatalf("revoke step: %+v", next)
	}
	if again := reconcile(next, 2, target, Assignment{a: {0, 1}}, free); !again.equal(next) {
		t.Fatalf("still owning a revoked partition moved on: %+v", again)
	}
	ownedByOther := func(_ kafka.TopicID, p int32) bool { return p == 3 }
	next = reconcile(next, 2, target, Assignment{a: {0}}, ownedByOther)
	if next.state != memberUnreleased || next.epoch != 2 || next.previousEpoch != 1 || !next.assigned.Equal(Assignment{a: {0}}) {
		t.Fatalf("unreleased step: %+v", next)
	}
	next = reconcile(next, 2, target, nil, free)
	if next.state != memberStable || next.epoch != 2 || next.previousEpoch != 1 || !next.assigned.Equal(target) {
		t.Fatalf("stable step: %+v", next)
	}
}

// TestConsumerRecordsRoundTrip: every consumer group record decodes to
// what was encoded.
func TestConsumerRecordsRoundTrip(t *testing.T) {
	a := topicID(7)
	recs := []consumerRecord{
		{kind: consumerMetadataKey, group: "g", epoch: 5},
		{kind: consumerPartitionMetadataKey, group: "g", topics: map[string]topicMetadata{"t": {id: a, name: "t", partitions: 3}}},
		{kind: consumerMemberMetadataKey, group: "g", member: "m", meta: memberMetadata{instanceID: "i", clientID: "c", clientHost: "/h", topics: []string{"t", "u"}, regex: "x.*", rebalanceTimeout: 3000, assignor: "range"}},
		{kind: consumerTargetMetadataKey, group: "g", epoch: 5},
		{kind: consumerTargetMemberKey, group: "g", member: "m", target: Assignment{a: {0, 2}}},
		{kind: consumerCurrentAssignmentKey, group: "g", member: "m", current: currentAssignment{epoch: 5, previousEpoch: 4, state: memberUnrevoked, assigned: Assignment{a: {0}}, revoking: Assignment{a: {1}}}},
		{kind: consumerCurrentAssignmentKey, group: "g", member: "m", tombstone: true},
	}
	for _, r := range recs {
		sr, err := decodeRecord(r.key(), r.value())
		if err != nil || sr.consumer == nil {
			t.Fatalf("kind %d: %v", r.kind, err)
		}
		got := *sr.consumer
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", normalise(r)) {
			t.Errorf("kind %d:\n got %+v\nwant %+v", r.kind, got, normalise(r))
		}
	}
}

// normalise fills the empty values decoding produces.
func normalise(r consumerRecord) consumerRecord {
	if r.tombstone {
		return r
	}
	switch r.kind {
	case consumerTargetMemberKey:
		if r.target == nil {
			r.target = Assignment{}
		}
	}
	return r
}
