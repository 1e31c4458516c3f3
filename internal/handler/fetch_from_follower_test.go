package handler

import (
	"testing"
	"time"
)

// TestSelectReadReplica proves Kafka's RackAwareReplicaSelector choices:
// the leader without a client rack, when it shares the client's rack or
// when no replica does; else the client's-rack replica furthest ahead,
// the most recently caught up on a tie.
func TestSelectReadReplica(t *testing.T) {
	leader := readReplica{id: 1, rack: "a", logEndOffset: 100}
	b2 := readReplica{id: 2, rack: "b", logEndOffset: 90, sinceCaughtUp: time.Second}
	b3 := readReplica{id: 3, rack: "b", logEndOffset: 95, sinceCaughtUp: 5 * time.Second}
	b4 := readReplica{id: 4, rack: "b", logEndOffset: 95, sinceCaughtUp: time.Second}
	c5 := readReplica{id: 5, rack: "c", logEndOffset: 100}
	for _, tc := range []struct {
		name      string
		rack      string
		followers []readReplica
		want      int
	}{
		{"no client rack", "", []readReplica{b2, c5}, 1},
		{"leader's rack", "a", []readReplica{b2, c5}, 1},
		{"no replica in the rack", "d", []readReplica{b2, c5}, 1},
		{"the one replica in the rack", "c", []readReplica{b2, c5}, 5},
		{"furthest ahead", "b", []readReplica{b2, b3}, 3},
		{"then most recently caught up", "b", []readReplica{b2, b3, b4}, 4},
	} {
		if got := selectReadReplica(tc.rack, leader, tc.followers); int(got) != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
