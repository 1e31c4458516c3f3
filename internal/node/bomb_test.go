package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
	"gregor/internal/record/recordtest"
)

// TestDecompressionBombsOverTheWire proves, with a 32 KB zstd batch that
// inflates to 1 GiB: a compacted topic refuses it with CORRUPT_MESSAGE
// (past the decompression cap) or INVALID_RECORD (no key); a delete topic
// stores it, as Kafka does, and ListOffsets by timestamp answers its offset,
// 0, rather than -1.
func TestDecompressionBombsOverTheWire(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	compact := "compact"
	createTopic(t, n.Addr, "bc", 1, map[string]*string{"cleanup.policy": &compact})
	createTopic(t, n.Addr, "bd", 1, nil)
	cl := newClient(t, n.Addr)
	ts := time.Now().UnixMilli()
	keyed, err := recordtest.Bomb(record.CodecZstd, []byte("k"), 1<<30, ts)
	if err != nil {
		t.Fatal(err)
	}
	keyless, err := recordtest.Bomb(record.CodecZstd, nil, 1<<30, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topic string
		batch record.Batch
		code  int16
	}{
		{"bc", keyed, kerr.CorruptMessage.Code},
		{"bc", keyless, kerr.InvalidRecord.Code},
		{"bd", keyless, 0},
	} {
		if got := produceRaw(t, cl, c.topic, c.batch).ErrorCode; got != c.code {
			t.Fatalf("%s: produce of a bomb answered %d, want %d", c.topic, got, c.code)
		}
	}
	offsets, err := kadm.NewClient(cl).ListOffsetsAfterMilli(testContext(t), ts-1000, "bd")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := offsets.Lookup("bd", 0)
	if o.Err != nil || o.Offset != 0 || o.Timestamp != ts {
		t.Fatalf("ListOffsets by timestamp over a bomb: offset %d timestamp %d (%v), want 0 at %d", o.Offset, o.Timestamp, o.Err, ts)
	}
}
