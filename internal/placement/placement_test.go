package placement

import (
	"slices"
	"testing"
)

func racked(pairs ...any) []Broker {
	var out []Broker
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Broker{ID: int32(pairs[i].(int)), Rack: pairs[i+1].(string)})
	}
	return out
}

// TestRackAlternated proves brokers are listed rack by rack in turn, as
// Kafka's getRackAlternatedBrokerList lists them.
func TestRackAlternated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		brokers []Broker
		want    []int32
	}{
		{"no racks", racked(3, "", 1, "", 2, ""), []int32{1, 2, 3}},
		{"kafka's example", racked(0, "rack1", 1, "rack3", 2, "rack3", 3, "rack2", 4, "rack2", 5, "rack1"), []int32{0, 3, 1, 5, 4, 2}},
		{"uneven racks", racked(1, "a", 2, "a", 3, "a", 4, "b"), []int32{1, 4, 2, 3}},
	} {
		var got []int32
		for _, b := range RackAlternated(tc.brokers) {
			got = append(got, b.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAssignReplicas proves the assignment is Kafka's, on the examples of
// Kafka's own tests of the rack-unaware and rack-aware assignment.
func TestAssignReplicas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		arranged []Broker
		start    int32
		first    int32
		count    int32
		rf       int16
		want     [][]int32
	}{
		{"rack-unaware, 5 brokers", racked(0, "", 1, "", 2, "", 3, "", 4, ""), 0, 0, 10, 3, [][]int32{
			{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1}, {0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2}}},
		{"rack-aware, 3 racks", RackAlternated(racked(0, "rack1", 1, "rack3", 2, "rack3", 3, "rack2", 4, "rack2", 5, "rack1")), 0, 0, 6, 3, [][]int32{
			{0, 3, 1}, {3, 1, 5}, {1, 5, 4}, {5, 4, 2}, {4, 2, 0}, {2, 0, 3}}},
		{"start moves the first leader", racked(1, "", 2, "", 3, ""), 2, 0, 3, 2, [][]int32{{3, 1}, {1, 2}, {2, 3}}},
		{"new partitions continue the sequence", racked(0, "", 1, "", 2, "", 3, "", 4, ""), 0, 5, 2, 3, [][]int32{{0, 2, 3}, {1, 3, 4}}},
		{"one broker", racked(7, ""), 0, 0, 2, 1, [][]int32{{7}, {7}}},
	} {
		got := Assign(tc.arranged, tc.start, tc.first, tc.count, tc.rf)
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
