package kafka

import (
	"encoding/json"
	"testing"
)

// TestTopicID proves topic ids render and parse in Kafka's URL-safe base64
// form, survive JSON, are version-4 UUIDs, and reject malformed input.
func TestTopicID(t *testing.T) {
	id := NewTopicID()
	if id.IsZero() || id[6]>>4 != 4 || len(id.String()) != 22 {
		t.Fatalf("NewTopicID() = %s", id)
	}
	parsed, err := ParseTopicID(id.String())
	if err != nil || parsed != id {
		t.Fatalf("ParseTopicID(%s) = %s, %v", id, parsed, err)
	}
	b, _ := json.Marshal(struct{ ID TopicID }{id})
	var back struct{ ID TopicID }
	if err := json.Unmarshal(b, &back); err != nil || back.ID != id {
		t.Fatalf("JSON round trip: %s -> %+v, %v", b, back, err)
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAAAAA", "!!!!!!!!!!!!!!!!!!!!!!"} {
		if _, err := ParseTopicID(bad); err == nil {
			t.Errorf("ParseTopicID(%q) accepted", bad)
		}
	}
	if (TopicPartition{"orders", 3}).String() != "orders-3" {
		t.Error("TopicPartition.String")
	}
}
