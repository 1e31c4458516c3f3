package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestPartitionForMatchesKafka checks the group-to-partition mapping against
// values computed with Java's String.hashCode and Kafka's Utils.abs,
// including non-ASCII ids and the hash whose absolute value overflows.
func TestPartitionForMatchesKafka(t *testing.T) {
	for _, c := range []struct {
		group string
		hash  int32
		part  int32
	}{
		{"my-group", -1906497762, 12},
		{"billing", -109829509, 9},
		{"console-consumer-12345", 158455506, 6},
		{"été", 227742, 42},
		{"😀emoji", -1233692477, 27},
		{"polygenelubricants", -1 << 31, 0},
	} {
		if p := PartitionFor(c.group, 50); p != c.part {
			t.Errorf("PartitionFor(%q, 50) = %d, want %d", c.group, p, c.part)
		}
	}
}

// TestRecordsRoundTrip checks that the records written to __consumer_offsets
// use Kafka's key versions and decode back.
func TestRecordsRoundTrip(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	key := offsetKey("g", "orders", 3)
	if key[0] != 0 || key[1] != offsetKeyVersion {
		t.Fatalf("offset key version bytes %x", key[:2])
	}
	r, err := decodeRecord(key, offsetValue(Offset{Offset: 42, LeaderEpoch: 7, Metadata: "m", CommitTime: now}))
	if err != nil {
		t.Fatal(err)
	}
	if !r.isOffset || r.group != "g" || r.topic != "orders" || r.partition != 3 || r.offset.Offset != 42 ||
		r.offset.LeaderEpoch != 7 || r.offset.Metadata != "m" || r.offset.CommitTimestamp != now.UnixMilli() {
		t.Fatalf("decoded %+v / %+v", r, r.offset)
	}
	if r, err := decodeRecord(key, nil); err != nil || r.offset != nil {
		t.Fatalf("tombstone decoded as %+v, %v", r, err)
	}

	gk := groupKey("g")
	if gk[1] != groupKeyVersion {
		t.Fatalf("group key version %d", gk[1])
	}
	v := kmsg.NewGroupMetadataValue()
	v.Version, v.ProtocolType, v.Generation = groupValueVersion, "consumer", 5
	r, err = decodeRecord(gk, v.AppendTo(nil))
	if err != nil || r.isOffset || r.meta == nil || r.meta.Generation != 5 {
		t.Fatalf("group record decoded as %+v, %v", r, err)
	}
	for _, bad := range [][]byte{nil, {0}, {0, 9, 1, 2}, {0, 1, 0xff}} {
		if _, err := decodeRecord(bad, nil); err == nil {
			t.Errorf("key %x decoded without error", bad)
		}
	}
}
