package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// imageWith returns an image with brokers 1..3 (those in fenced fenced)
// and topic "t" whose partitions are ps.
func imageWith(t *testing.T, fenced []kafka.NodeID, ps ...metadata.Partition) *metadata.Image {
	t.Helper()
	img := withBrokers(t, 1, 2, 3)
	for _, id := range fenced {
		img = apply(t, img, FenceBroker(img, id, func(string) bool { return false }))
	}
	id := kafka.NewTopicID()
	recs := []metadata.Record{{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: "t", ID: id}}}
	for i, p := range ps {
		p.Partition = int32(i)
		recs = append(recs, p.Record(id))
	}
	return apply(t, img, recs)
}

// TestElectLeaders proves each per-partition answer of KRaft's
// electLeaders: the election made, ELECTION_NOT_NEEDED,
// PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE and
// UNKNOWN_TOPIC_OR_PARTITION, with epochs bumped on a move.
func TestElectLeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		typ        ElectionType
		fenced     []kafka.NodeID
		p          metadata.Partition
		wantErr    error
		wantLeader int32
		wantISR    int
	}{
		{"preferred moves back", ElectPreferred, nil, part(2, []int32{1, 2}, 1, 2), nil, 1, 2},
		{"preferred already leads", ElectPreferred, nil, part(1, []int32{1, 2}, 1, 2), ErrElectionNotNeeded, 1, 2},
		{"preferred out of the ISR", ElectPreferred, nil, part(2, []int32{2}, 1, 2), ErrPreferredLeaderNotAvailable, 2, 1},
		{"preferred fenced", ElectPreferred, []kafka.NodeID{1}, part(2, []int32{1, 2}, 1, 2), ErrPreferredLeaderNotAvailable, 2, 2},
		{"unclean with a leader", ElectUnclean, nil, part(2, []int32{2}, 1, 2), ErrElectionNotNeeded, 2, 1},
		{"unclean takes the ISR first", ElectUnclean, nil, part(NoLeader, []int32{2}, 1, 2), nil, 2, 1},
		{"unclean takes a replica out of the ISR", ElectUnclean, []kafka.NodeID{2}, part(NoLeader, []int32{2}, 1, 2), nil, 1, 1},
		{"unclean with no live replica", ElectUnclean, []kafka.NodeID{1, 2}, part(NoLeader, []int32{2}, 1, 2), ErrEligibleLeadersNotAvailable, NoLeader, 1},
	} {
		img := imageWith(t, tc.fenced, tc.p)
		recs, resp := ElectLeaders(img, ElectLeadersRequest{Type: tc.typ, Partitions: []TopicPartitions{{Topic: "t", Partitions: []int32{0}}}})
		if len(resp.Results) != 1 || !errors.Is(resp.Results[0].Err, tc.wantErr) || (tc.wantErr == nil) != (resp.Results[0].Err == nil) {
			t.Errorf("%s: results %+v, want error %v", tc.name, resp.Results, tc.wantErr)
			continue
		}
		topic, _ := apply(t, img, recs).Topic("t")
		got := topic.Partitions[0]
		if got.Leader != tc.wantLeader || len(got.ISR) != tc.wantISR {
			t.Errorf("%s: leader %d isr %v, want %d and %d members", tc.name, got.Leader, got.ISR, tc.wantLeader, tc.wantISR)
		}
		if moved := got.Leader != tc.p.Leader; moved && (got.LeaderEpoch != tc.p.LeaderEpoch+1 || got.PartitionEpoch != tc.p.PartitionEpoch+1) {
			t.Errorf("%s: epochs %d/%d after a move from %d/%d", tc.name, got.LeaderEpoch, got.PartitionEpoch, tc.p.LeaderEpoch, tc.p.PartitionEpoch)
		}
	}
}

// TestElectLeadersAllAndUnknown proves that an election over every
// partition leaves out those that need none but names every topic, and
// that unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION.
func TestElectLeadersAllAndUnknown(t *testing.T) {
	img := imageWith(t, nil, part(1, []int32{1, 2}, 1, 2), part(1, []int32{1, 2}, 2, 1))
	_, resp := ElectLeaders(img, ElectLeadersRequest{Type: ElectPreferred})
	if len(resp.Results) != 1 || resp.Results[0].Partition != 1 || resp.Results[0].Err != nil || !slices.Equal(resp.Topics, []string{"t"}) {
		t.Fatalf("all partitions: %+v", resp)
	}
	_, resp = ElectLeaders(img, ElectLeadersRequest{Partitions: []TopicPartitions{{Topic: "t", Partitions: []int32{5}}, {Topic: "u", Partitions: []int32{0}}}})
	for _, r := range resp.Results {
		if !errors.Is(r.Err, ErrUnknownTopic) {
			t.Errorf("%s-%d: %v, want UNKNOWN_TOPIC_OR_PARTITION", r.Topic, r.Partition, r.Err)
		}
	}
}

// TestBalanceLeaders proves preferred-leader balancing: a broker that does
// not lead more than the allowed share of its preferred partitions gets
// back those where it is live and in sync; within the share nothing moves.
func TestBalanceLeaders(t *testing.T) {
	img := imageWith(t, nil,
		part(2, []int32{1, 2}, 1, 2), // 1 preferred, not leading, in sync: moves back
		part(2, []int32{2}, 1, 2),    // 1 preferred, out of the ISR: stays
		part(1, []int32{1, 2}, 1, 2),
		part(2, []int32{1, 2}, 2, 1),
	)
	topic, _ := apply(t, img, BalanceLeaders(img, 10)).Topic("t")
	if l := []int32{topic.Partitions[0].Leader, topic.Partitions[1].Leader, topic.Partitions[2].Leader, topic.Partitions[3].Leader}; l[0] != 1 || l[1] != 2 || l[2] != 1 || l[3] != 2 {
		t.Fatalf("leaders after balancing: %v", l)
	}
	if recs := BalanceLeaders(img, 70); len(recs) != 0 {
		t.Fatalf("broker 1 does not lead 2 of 3 (66%%), within 70%%: %d records", len(recs))
	}
}
