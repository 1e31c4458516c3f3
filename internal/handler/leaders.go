package handler

// Leader hints (KIP-951): a Produce or Fetch answered NOT_LEADER_OR_FOLLOWER
// or FENCED_LEADER_EPOCH carries the partition's current leader and epoch
// from the image, and the response carries that leader's endpoint on the
// listener the request came in on, so that the client moves without a
// Metadata round trip.

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// leaderHint is a partition's leader as the image has it.
type leaderHint struct {
	leader, epoch int32
}

// needsLeaderHint reports whether code is one that KIP-951 answers with the
// current leader.
func needsLeaderHint(code int16) bool {
	return code == kerr.NotLeaderForPartition.Code || code == kerr.FencedLeaderEpoch.Code
}

// currentLeader returns the leader of partition of the topic named name
// (or, when name is "", with id) in img; ok is false when the partition is
// unknown or has no leader.
func currentLeader(img *metadata.Image, name string, id [16]byte, partition int32) (leaderHint, bool) {
	t, ok := img.Topic(name)
	if name == "" {
		t, ok = img.TopicByID(kafka.TopicID(id))
	}
	if !ok || partition < 0 || int(partition) >= len(t.Partitions) {
		return leaderHint{}, false
	}
	p := t.Partitions[partition]
	return leaderHint{leader: p.Leader, epoch: p.LeaderEpoch}, p.Leader >= 0
}

// leaderEndpoints collects the endpoints of the leaders named in hints, on
// listener, once each and sorted by node id.
type leaderEndpoints struct {
	ids []int32
}

func (e *leaderEndpoints) add(id int32) {
	if !slices.Contains(e.ids, id) {
		e.ids = append(e.ids, id)
	}
}

// each calls f with every collected leader's endpoint on listener.
func (e *leaderEndpoints) each(img *metadata.Image, listener string, f func(id int32, ep metadata.Endpoint, rack *string)) {
	slices.Sort(e.ids)
	for _, id := range e.ids {
		b, ok := img.Broker(kafka.NodeID(id))
		if !ok {
			continue
		}
		if ep, ok := b.Endpoint(listener); ok {
			f(id, ep, b.Rack)
		}
	}
}
