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

// TestCoordinatorPartition checks the hash and partition of ids against
// values computed with Java (String.hashCode, Utils.abs), including
// characters outside the BMP and the hash Integer.MIN_VALUE.
func TestCoordinatorPartition(t *testing.T) {
	for _, c := range []struct {
		key  string
		hash int32
		part int32
	}{
		{"my-group", -1906497762, 12},
		{"billing", -109829509, 9},
		{"console-consumer-12345", 158455506, 6},
		{"été", 227742, 42},
		{"😀emoji", -1233692477, 27},
		{"polygenelubricants", -1 << 31, 0},
	} {
		if h := javaStringHash(c.key); h != c.hash {
			t.Errorf("javaStringHash(%q) = %d, want %d", c.key, h, c.hash)
		}
		if p := CoordinatorPartition(c.key, 50); p != c.part {
			t.Errorf("CoordinatorPartition(%q, 50) = %d, want %d", c.key, p, c.part)
		}
	}
}
