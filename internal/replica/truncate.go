package replica

import (
	"gregor/internal/kafka"
)

// localLog is what the truncation rule reads of the follower's log.
type localLog struct {
	logStartOffset kafka.Offset
	logEndOffset   kafka.Offset
	// endOffsetFor is the follower's own OffsetForLeaderEpoch: its largest
	// epoch at or below an epoch, and where that ends; -1, -1 if none.
	endOffsetFor func(kafka.Epoch) (kafka.Epoch, kafka.Offset)
}

// truncationOffset is the follower's truncation rule (KIP-101, KIP-279)
// as a pure function: given the leader's end of an epoch (its answer to
// OffsetForLeaderEpoch for the follower's latest epoch, or a fetch's
// diverging epoch), it returns the offset to truncate the follower's log
// to and whether truncation is complete. When the follower holds the
// leader's epoch, the log is cut where either log ends that epoch; when it
// does not, it is cut at the end of its own largest epoch below, and the
// leader is asked again about that one. When the leader holds no epoch at
// or below, nothing the follower has at those epochs survives.
func truncationOffset(leaderEpoch kafka.Epoch, leaderEnd kafka.Offset, l localLog) (kafka.Offset, bool) {
	if leaderEpoch < 0 || leaderEnd < 0 {
		return l.logStartOffset, true
	}
	epoch, end := l.endOffsetFor(leaderEpoch)
	switch {
	case epoch < 0:
		return min(leaderEnd, l.logEndOffset), true
	case epoch != leaderEpoch:
		return min(end, l.logEndOffset), false
	default:
		return min(end, leaderEnd, l.logEndOffset), true
	}
}
