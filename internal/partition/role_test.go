package partition

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/storage"
)

var testConfig = Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}

// openAs opens a partition on node self in role over a fresh log.
func openAs(t *testing.T, self kafka.NodeID, role Role) *Partition {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := storage.Open(t.TempDir(), storage.DefaultConfig(), time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p, err := Open(kafka.TopicPartition{Topic: "t"}, kafka.TopicID{}, l, self, role, testConfig, logger)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// appendN appends one batch of n records as leader and returns its result.
func appendN(t *testing.T, p *Partition, n int) AppendResult {
	t.Helper()
	res, err := p.AppendAsLeader([]record.Batch{producerBatch(t, -1, -1, -1, n, 0)}, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestHighWatermarkRule proves the rule as a function: the minimum over the
// ISR of the log end offsets, the leader's own counting, a silent follower
// holding it, never moving back, and followers outside the ISR ignored.
func TestHighWatermarkRule(t *testing.T) {
	isr := []kafka.NodeID{1, 2, 3}
	for _, tc := range []struct {
		name         string
		current, leo kafka.Offset
		isr          []kafka.NodeID
		followers    map[kafka.NodeID]kafka.Offset
		want         kafka.Offset
	}{
		{"leader alone: its log end", 0, 10, []kafka.NodeID{1}, nil, 10},
		{"slowest follower bounds it", 0, 10, isr, map[kafka.NodeID]kafka.Offset{2: 7, 3: 4}, 4},
		{"leader slowest of all", 0, 3, isr, map[kafka.NodeID]kafka.Offset{2: 7, 3: 9}, 3},
		{"a follower not heard from holds it", 2, 10, isr, map[kafka.NodeID]kafka.Offset{2: 7}, 2},
		{"never moves back", 6, 10, isr, map[kafka.NodeID]kafka.Offset{2: 7, 3: 4}, 6},
		{"followers outside the ISR do not count", 0, 10, []kafka.NodeID{1, 2}, map[kafka.NodeID]kafka.Offset{2: 8, 3: 1}, 8},
		{"caught-up followers: the log end", 5, 10, isr, map[kafka.NodeID]kafka.Offset{2: 10, 3: 10}, 10},
	} {
		if got := highWatermark(tc.current, tc.leo, 1, tc.isr, tc.followers); got != tc.want {
			t.Errorf("%s: high watermark %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestHighWatermarkFollowsISR proves that a leader with a follower in its
// ISR keeps the high watermark below its log end until the follower
// reports, bounds reads and timestamp lookups by it, and that shrinking the
// ISR to the leader alone moves it to the log end; on a single node it is
// the log end after every append.
func TestHighWatermarkFollowsISR(t *testing.T) {
	single := openAs(t, 1, soleLeader)
	appendN(t, single, 3)
	if single.HighWatermark() != 3 || single.LogEndOffset() != 3 {
		t.Fatalf("single node: high watermark %d, log end %d; want 3", single.HighWatermark(), single.LogEndOffset())
	}
	p := openAs(t, 1, Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1, 2}, Replicas: []kafka.NodeID{1, 2}})
	appendN(t, p, 3)
	appendN(t, p, 2)
	if p.HighWatermark() != 0 || p.LogEndOffset() != 5 {
		t.Fatalf("follower silent: high watermark %d, log end %d", p.HighWatermark(), p.LogEndOffset())
	}
	if _, _, found, err := p.OffsetForTimestamp(0); found || err != nil {
		t.Fatalf("timestamp lookup above the high watermark: found %v, %v", found, err)
	}
	if err := p.UpdateFollower(2, 3, time.Now()); err != nil || p.HighWatermark() != 3 {
		t.Fatalf("follower at 3: high watermark %d, %v", p.HighWatermark(), err)
	}
	data, err := p.Read(nil, 0, 1<<20, true)
	if batches, _ := record.Split(data); err != nil || len(batches) != 1 || batches[0].NextOffset() != 3 {
		t.Fatalf("read stops at the high watermark: %d batches, %v", len(batches), err)
	}
	if err := p.UpdateFollower(2, 1, time.Now()); err != nil || p.HighWatermark() != 3 {
		t.Fatalf("follower moved back: high watermark %d, %v", p.HighWatermark(), err)
	}
	p.SetRole(Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1}, Replicas: []kafka.NodeID{1, 2}})
	if p.HighWatermark() != 5 {
		t.Fatalf("ISR shrunk to the leader: high watermark %d, want 5", p.HighWatermark())
	}
}

// TestFollowerAppend proves that a follower refuses leader appends, stores
// the leader's batches with their offsets and epochs, takes its high
// watermark from the leader bounded by its own log end, keeps producer
// state for a later promotion, and lowers the high watermark on truncation.
func TestFollowerAppend(t *testing.T) {
	f := openAs(t, 2, Role{Leader: 1, LeaderEpoch: 4})
	if _, err := f.AppendAsLeader([]record.Batch{producerBatch(t, -1, -1, -1, 1, 0)}, 1, time.Now()); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("leader append on a follower: %v", err)
	}
	first, second := producerBatch(t, 7, 0, 0, 3, 0), producerBatch(t, 7, 0, 3, 2, 3)
	first.SetPartitionLeaderEpoch(3)
	second.SetPartitionLeaderEpoch(4)
	if err := f.AppendAsFollower([]record.Batch{first, append(record.Batch(nil), second...)}); err != nil {
		t.Fatal(err)
	}
	if e, end := f.EndOffsetForEpoch(3); f.LogEndOffset() != 5 || e != 3 || end != 3 {
		t.Fatalf("log end %d, epoch 3 ends at %d (epoch %d); want 5, 3", f.LogEndOffset(), end, e)
	}
	if err := f.SetHighWatermark(9); err != nil || f.HighWatermark() != 5 {
		t.Fatalf("leader high watermark 9 past the follower's log end 5: %d, %v", f.HighWatermark(), err)
	}
	if err := f.TruncateTo(3); err != nil || f.HighWatermark() != 3 || f.LogEndOffset() != 3 {
		t.Fatalf("truncate to 3: high watermark %d, log end %d, %v", f.HighWatermark(), f.LogEndOffset(), err)
	}
	if err := f.AppendAsFollower([]record.Batch{second}); err != nil {
		t.Fatal(err)
	}
	f.SetRole(Role{Leader: 2, LeaderEpoch: 5, ISR: []kafka.NodeID{2}})
	res, err := f.AppendAsLeader([]record.Batch{producerBatch(t, 7, 0, 3, 2, 0)}, -1, time.Now())
	if err != nil || res.BaseOffset != 3 || res.LastOffset != 4 {
		t.Fatalf("retry of a replicated batch after promotion: base %d last %d, %v; want 3, 4", res.BaseOffset, res.LastOffset, err)
	}
	if err := f.AppendAsFollower([]record.Batch{first}); !errors.Is(err, ErrNotFollower) {
		t.Fatalf("follower append on the leader: %v", err)
	}
}

// TestNodeZeroLeads proves that node id 0, the zero value, leads and tracks
// its followers like any other.
func TestNodeZeroLeads(t *testing.T) {
	p := openAs(t, 0, Role{Leader: 0, LeaderEpoch: 0, ISR: []kafka.NodeID{0, 1}, Replicas: []kafka.NodeID{0, 1}})
	appendN(t, p, 2)
	if err := p.UpdateFollower(1, 2, time.Now()); err != nil || p.HighWatermark() != 2 {
		t.Fatalf("node 0 leading, follower at 2: high watermark %d, %v", p.HighWatermark(), err)
	}
}
