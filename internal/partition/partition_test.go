package partition

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/record/recordtest"
	"gregor/internal/storage"
)

// soleLeader is node 1 leading at epoch 1 with an ISR of itself.
var soleLeader = Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1}}

func openPartition(t testing.TB, cfg Config) *Partition {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := storage.Open(t.TempDir(), storage.DefaultConfig(), time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p, err := Open(kafka.TopicPartition{Topic: "t"}, kafka.TopicID{}, l, 1, soleLeader, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func keyedBatch(t *testing.T, codec record.Codec, keys ...[]byte) record.Batch {
	t.Helper()
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: codec}
	for _, k := range keys {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Key: k, Value: []byte("v")})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompactedTopicRefusesNullKeys proves that a compacted topic refuses a
// batch holding a record without a key, compressed or not, with
// INVALID_RECORD's error, and takes keyed records, an empty key among them;
// other topics take both.
func TestCompactedTopicRefusesNullKeys(t *testing.T) {
	cfg := Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}
	plain := openPartition(t, cfg)
	cfg.Compacted = true
	compacted := openPartition(t, cfg)
	for _, codec := range []record.Codec{record.CodecNone, record.CodecZstd} {
		if _, err := compacted.AppendAsLeader([]record.Batch{keyedBatch(t, codec, []byte("k"), nil)}, 1, time.Now()); !errors.Is(err, ErrInvalidRecord) {
			t.Fatalf("%v: null key on a compacted topic: %v", codec, err)
		}
		if _, err := compacted.AppendAsLeader([]record.Batch{keyedBatch(t, codec, []byte{}, []byte("j"))}, 1, time.Now()); err != nil {
			t.Fatalf("%v: an empty key (not a null one) on a compacted topic: %v", codec, err)
		}
		if _, err := plain.AppendAsLeader([]record.Batch{keyedBatch(t, codec, nil)}, 1, time.Now()); err != nil {
			t.Fatalf("%v: null key on a delete topic: %v", codec, err)
		}
	}
	if compacted.LogEndOffset() != 4 {
		t.Fatalf("compacted log end %d, want 4", compacted.LogEndOffset())
	}
}

// TestProducersOutliveDeletedSegments proves that, as in Kafka since
// KIP-360, a producer whose batches all left the log (DeleteRecords,
// retention) keeps its state: a retry of its last batch is still answered
// with the original offset and a sequence gap is still refused, also after
// a reopen from the producer snapshot.
func TestProducersOutliveDeletedSegments(t *testing.T) {
	cfg := Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}
	p := openPartition(t, cfg)
	var last record.Batch
	for seq := int32(0); seq < 9; seq += 3 {
		last = producerBatch(t, 7, 0, seq, 3, 0)
		if _, err := p.AppendAsLeader([]record.Batch{append(record.Batch(nil), last...)}, -1, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.DeleteRecordsBefore(-1); err != nil || p.LogStartOffset() != 9 {
		t.Fatalf("delete records: start %d, %v", p.LogStartOffset(), err)
	}
	check := func(p *Partition) {
		t.Helper()
		res, err := p.AppendAsLeader([]record.Batch{append(record.Batch(nil), last...)}, -1, time.Now())
		if err != nil || res.BaseOffset != 6 {
			t.Fatalf("retry of the last batch: offset %d, %v", res.BaseOffset, err)
		}
		gap := producerBatch(t, 7, 0, 20, 1, 0)
		if _, err := p.AppendAsLeader([]record.Batch{gap}, -1, time.Now()); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("sequence gap after the producer's batches were deleted: %v", err)
		}
	}
	check(p)
	if err := p.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(p.TP, p.TopicID, p.log, 1, soleLeader, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	check(reopened)
}

// TestCompactedTopicBombs proves that 20 concurrent batches of 32 KB that
// each inflate to 1 GiB, produced to a compacted topic, are refused
// (CORRUPT_MESSAGE past the decompression cap, INVALID_RECORD for a
// missing key) while the broker allocates a few MiB per batch, not the
// cap or the bomb.
func TestCompactedTopicBombs(t *testing.T) {
	cfg := Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64,
		TimestampAfterMaxMs: math.MaxInt64, Compacted: true}
	p := openPartition(t, cfg)
	keyed, err := recordtest.Bomb(record.CodecZstd, []byte("k"), 1<<30, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	keyless, err := recordtest.Bomb(record.CodecZstd, nil, 1<<30, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	errs := make(chan error, 20)
	for i := range 20 {
		b := keyed
		if i%2 == 1 {
			b = keyless
		}
		go func() {
			_, err := p.AppendAsLeader([]record.Batch{slices.Clone(b)}, 1, time.Now())
			errs <- err
		}()
	}
	var invalid, corrupt int
	for range 20 {
		select {
		case err := <-errs:
			switch {
			case errors.Is(err, ErrInvalidRecord):
				invalid++
			case errors.Is(err, record.ErrInvalid):
				corrupt++
			default:
				t.Fatalf("bomb appended or refused with %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("bombs still being inflated after 60s")
		}
	}
	runtime.ReadMemStats(&after)
	if invalid != 10 || corrupt != 10 {
		t.Fatalf("%d INVALID_RECORD, %d CORRUPT_MESSAGE; want 10 of each", invalid, corrupt)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 20*16<<20 {
		t.Fatalf("20 bombs allocated %d bytes", a)
	}
	if p.LogEndOffset() != 0 {
		t.Fatalf("log end %d after refusing every bomb", p.LogEndOffset())
	}
}

// TestOpenOverDamagedBatch proves that a partition whose log holds a
// damaged batch below its recovery point (not re-read at start-up) still
// opens, as Kafka's producer-state rebuild does not check CRCs either:
// the replay stops at the damage with a warning, reads before it work and
// a read at it fails with record.ErrCorrupt (CORRUPT_MESSAGE).
func TestOpenOverDamagedBatch(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := storage.Open(dir, storage.DefaultConfig(), time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	var positions []int
	pos := 0
	for i := range 200 { // enough for index entries: recovery starts at the last one
		b := producerBatch(t, 1, 0, int32(i), 1, 0)
		positions = append(positions, pos)
		pos += len(b)
		if _, _, err := l.Append(b, 1); err != nil {
			t.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "00000000000000000000.log")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[positions[5]+record.HeaderSize+1] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = storage.OpenAt(dir, leo, storage.DefaultConfig(), time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p, err := Open(kafka.TopicPartition{Topic: "t"}, kafka.TopicID{}, l, 1, soleLeader, Config{MinInsyncReplicas: 1}, logger)
	if err != nil {
		t.Fatalf("open over a damaged batch: %v", err)
	}
	if p.LogEndOffset() != leo {
		t.Fatalf("log end %d after reopening, want %d: the damage was in the recovered range", p.LogEndOffset(), leo)
	}
	got, err := p.Read(nil, 0, 1<<20, true)
	if bs, _ := record.Split(got); err != nil || len(bs) != 5 {
		t.Fatalf("read from 0: %d batches, %v; want the 5 before the damage", len(bs), err)
	}
	if _, err := p.Read(nil, 5, 1<<20, true); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("read at the damage: %v", err)
	}
}

// TestCheckpointBehind proves that the periodic producer snapshot is
// written only once the log end has moved by the threshold since the last
// one (since offset 0 for a partition without one whose log starts there,
// which recovery replays whole), while Checkpoint writes whenever anything
// was appended; and that a partition without a snapshot whose log no
// longer starts at 0 gets one at once, the only copy of the state of
// producers whose batches left the log.
func TestCheckpointBehind(t *testing.T) {
	p := openPartition(t, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1,
		TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64})
	seq := int32(0)
	appendN := func(n int) {
		t.Helper()
		if _, err := p.AppendAsLeader([]record.Batch{producerBatch(t, 7, 0, seq, n, 0)}, -1, time.Now()); err != nil {
			t.Fatal(err)
		}
		seq += int32(n)
	}
	snapshotAt := func() int64 {
		t.Helper()
		off, data, err := p.log.LatestSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		if data == nil {
			return -1
		}
		return off
	}
	appendN(3)
	if err := p.CheckpointBehind(10); err != nil || snapshotAt() != -1 {
		t.Fatalf("snapshot at %d (%v) after 3 records from offset 0, want none below the threshold of 10", snapshotAt(), err)
	}
	appendN(7)
	if err := p.CheckpointBehind(10); err != nil || snapshotAt() != 10 {
		t.Fatalf("first snapshot at %d (%v) after 10 records from offset 0, want 10", snapshotAt(), err)
	}
	appendN(6)
	if err := p.CheckpointBehind(10); err != nil || snapshotAt() != 10 {
		t.Fatalf("snapshot at %d (%v) after 6 records, want still 10 below the threshold of 10", snapshotAt(), err)
	}
	appendN(4)
	if err := p.CheckpointBehind(10); err != nil || snapshotAt() != 20 {
		t.Fatalf("snapshot at %d (%v) after 10 records, want 20", snapshotAt(), err)
	}
	appendN(1)
	if err := p.Checkpoint(); err != nil || snapshotAt() != 21 {
		t.Fatalf("Checkpoint: snapshot at %d (%v), want 21", snapshotAt(), err)
	}

	q := openPartition(t, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1,
		TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64})
	if _, err := q.AppendAsLeader([]record.Batch{producerBatch(t, 7, 0, 0, 3, 0)}, -1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := q.DeleteRecordsBefore(-1); err != nil {
		t.Fatal(err)
	}
	if err := q.CheckpointBehind(10); err != nil {
		t.Fatal(err)
	}
	if off, data, err := q.log.LatestSnapshot(); err != nil || data == nil || off != 3 {
		t.Fatalf("log starting at 3 without a snapshot: snapshot at %d (%d bytes, %v), want one at 3", off, len(data), err)
	}
}
