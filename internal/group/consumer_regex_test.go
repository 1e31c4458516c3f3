package group

import (
	"maps"
	"slices"
	"testing"
	"time"

	"gregor/internal/coord"
)

// TestRegexSubscriptionMatchesWholeNames proves that a KIP-848 regex
// subscription is resolved as Kafka resolves it: against the whole topic
// name, and over every topic, internal ones included.
func TestRegexSubscriptionMatchesWholeNames(t *testing.T) {
	topics := fakeTopics{}
	for i, name := range []string{"orders", "orders-v2", "pre-orders", "__consumer_offsets", "__orders"} {
		topics[name] = TopicInfo{ID: topicID(byte(i + 1)), Name: name, Partitions: 1}
	}
	for _, tc := range []struct {
		regex string
		want  []string
	}{
		{"orders", []string{"orders"}},
		{"orders.*", []string{"orders", "orders-v2"}},
		{".*orders", []string{"__orders", "orders", "pre-orders"}},
		{"__consumer_offsets", []string{"__consumer_offsets"}},
		{"orders|orders-v2", []string{"orders", "orders-v2"}},
		{"rders", nil},
	} {
		c := start(t, testConfig(), &memLog{}, coord.NewManualClock(time.Time{}))
		req := join("g", "a", nil)
		req.SubscribedTopics, req.SubscribedRegex = nil, &tc.regex
		r := c.ConsumerHeartbeat(req, topics)
		if r.Err != nil {
			t.Fatalf("%q: join: %v", tc.regex, r.Err)
		}
		var got []string
		for name, info := range topics {
			if _, ok := r.Assignment[info.ID]; ok {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q assigned %v, want %v (of %v)", tc.regex, got, tc.want, slices.Sorted(maps.Keys(topics)))
		}
	}
}
