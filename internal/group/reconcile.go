package group

import "gregor/internal/kafka"

// reconcile moves a member's current assignment towards its target, as
// KIP-848's reconciliation does. A member gives up partitions first: while
// some of its partitions are no longer in its target it stays at its epoch
// (memberUnrevoked) and owns only what it keeps, until a heartbeat shows it
// no longer owns the revoked ones. Then it moves to the target epoch and
// gets the partitions of its target that no other member still owns; those
// others still own come later (memberUnreleased).
//
// owned is what the member reported owning (nil when the heartbeat did not
// say); ownedByOther tells whether another member still holds a partition.
func reconcile(cur currentAssignment, targetEpoch int32, target Assignment, owned Assignment, ownedByOther func(kafka.TopicID, int32) bool) currentAssignment {
	switch cur.state {
	case memberUnrevoked:
		if owned == nil || overlaps(owned, cur.revoking) {
			return cur // still revoking
		}
	case memberStable:
		if cur.epoch == targetEpoch {
			return cur
		}
	}
	return nextAssignment(cur, targetEpoch, target, ownedByOther)
}

func nextAssignment(cur currentAssignment, targetEpoch int32, target Assignment, ownedByOther func(kafka.TopicID, int32) bool) currentAssignment {
	keep := cur.assigned.filter(target.has)
	revoke := cur.assigned.filter(func(id kafka.TopicID, p int32) bool { return !target.has(id, p) })
	if revoke.Len() > 0 {
		return currentAssignment{
			epoch: cur.epoch, previousEpoch: cur.previousEpoch, state: memberUnrevoked,
			assigned: keep, revoking: revoke,
		}
	}
	missing := target.filter(func(id kafka.TopicID, p int32) bool { return !cur.assigned.has(id, p) })
	free := missing.filter(func(id kafka.TopicID, p int32) bool { return !ownedByOther(id, p) })
	state := memberStable
	if free.Len() < missing.Len() {
		state = memberUnreleased
	}
	previous := cur.epoch
	if cur.epoch == targetEpoch {
		previous = cur.previousEpoch
	}
	return currentAssignment{
		epoch: targetEpoch, previousEpoch: previous, state: state,
		assigned: keep.union(free), revoking: Assignment{},
	}
}

func overlaps(a, b Assignment) bool {
	for id, ps := range a {
		for _, p := range ps {
			if b.has(id, p) {
				return true
			}
		}
	}
	return false
}

// subset reports whether every partition of a is in b.
func subset(a, b Assignment) bool {
	for id, ps := range a {
		for _, p := range ps {
			if !b.has(id, p) {
				return false
			}
		}
	}
	return true
}
