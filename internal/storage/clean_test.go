package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

var allCodecs = []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd}

// modelRecord is one appended record as the reference model tracks it.
type modelRecord struct {
	offset     int64
	key, value []byte
	timestamp  int64
	batch      int // index of its batch in append order
}

func (r modelRecord) String() string {
	return fmt.Sprintf("%d:%q=%q@%d", r.offset, r.key, r.value, r.timestamp)
}

// model is the reference for compaction: the records a log should hold
// after each cleaning, computed from what was appended, not from the log.
type model struct {
	live    []modelRecord
	horizon map[int]int64 // batch -> delete horizon it was given
	// lastOfProducer is each producer's last appended batch's last offset.
	lastOfProducer map[int64]int64
}

func newModel() *model {
	return &model{horizon: map[int]int64{}, lastOfProducer: map[int64]int64{}}
}

// clean applies one cleaning of everything below end at now: a keyed record
// goes when a later record of its key lies below end; a tombstone goes once
// its batch's horizon has passed; a batch keeping a tombstone and no
// horizon gets now+deleteRetention.
func (m *model) clean(end, now, deleteRetention int64) {
	latest := map[string]int64{}
	for _, r := range m.live {
		if r.offset < end && r.key != nil {
			latest[string(r.key)] = r.offset
		}
	}
	kept := m.live[:0]
	newHorizon := map[int]bool{}
	for _, r := range m.live {
		tombstone := r.key != nil && r.value == nil
		h, hasHorizon := m.horizon[r.batch]
		switch {
		case r.offset >= end || r.key == nil:
		case r.offset < latest[string(r.key)]:
			continue
		case tombstone && hasHorizon && now >= h:
			continue
		case tombstone && !hasHorizon:
			newHorizon[r.batch] = true
		}
		kept = append(kept, r)
	}
	m.live = kept
	for b := range newHorizon {
		m.horizon[b] = now + deleteRetention
	}
}

// compactionWorkload appends random batches: keys from a small space, some
// null keys, some tombstones, every codec, some idempotent producers.
type compactionWorkload struct {
	rng     *rand.Rand
	keys    int
	codecs  []record.Codec
	batches int
	seq     map[int64]int32
}

func newCompactionWorkload(seed uint64, keys int) *compactionWorkload {
	return &compactionWorkload{rng: rand.New(rand.NewPCG(seed, 7)), keys: keys, codecs: allCodecs, seq: map[int64]int32{}}
}

func (w *compactionWorkload) append(t testing.TB, l *Log, m *model, n int, now int64) {
	t.Helper()
	for range n {
		spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			Codec: w.codecs[w.rng.IntN(len(w.codecs))]}
		if pid := int64(w.rng.IntN(4)); pid < 2 {
			spec.ProducerID, spec.ProducerEpoch, spec.BaseSequence = pid, 0, w.seq[pid]
		}
		for range 1 + w.rng.IntN(6) {
			// The key space drifts, so that some keys stop being written
			// and their tombstones outlive delete.retention.ms.
			key := w.rng.IntN(w.keys) + w.batches/4
			r := record.Record{Timestamp: now - int64(w.rng.IntN(1000)), Key: fmt.Appendf(nil, "key-%d", key)}
			x := w.rng.IntN(20)
			switch {
			case x == 0:
				r.Key = nil
				r.Value = []byte("no key")
			case x < 3:
				// a tombstone
			default:
				r.Value = bytes.Repeat([]byte{byte(w.rng.Uint32())}, 1+w.rng.IntN(80))
			}
			if x == 19 {
				r.Headers = []record.Header{{Key: "h", Value: []byte("v")}}
			}
			spec.Records = append(spec.Records, r)
		}
		b, err := record.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := l.Append(b, 1)
		if err != nil {
			t.Fatal(err)
		}
		if spec.ProducerID >= 0 {
			w.seq[spec.ProducerID] += int32(len(spec.Records))
			m.lastOfProducer[spec.ProducerID] = last
		}
		for i, r := range spec.Records {
			m.live = append(m.live, modelRecord{offset: first + int64(i), key: r.Key, value: r.Value, timestamp: r.Timestamp, batch: w.batches})
		}
		w.batches++
	}
}

// checkAgainstModel compares the log with the model record by record and
// checks the structure compaction must keep: valid batches with increasing
// offsets, contiguous segments, each producer's last batch and the delete
// horizons of batches holding tombstones.
func checkAgainstModel(t *testing.T, l *Log, m *model) {
	t.Helper()
	var got []modelRecord
	lastOffsets := map[int64]bool{}
	prev := int64(-1)
	for _, b := range readAll(t, l) {
		if b.BaseOffset() <= prev {
			t.Fatalf("batch at %d after offset %d", b.BaseOffset(), prev)
		}
		prev = b.LastOffset()
		lastOffsets[b.LastOffset()] = true
		rs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got = append(got, modelRecord{offset: r.Offset, key: r.Key, value: r.Value, timestamp: r.Timestamp})
		}
	}
	if len(got) != len(m.live) {
		t.Fatalf("log has %d records, model %d", len(got), len(m.live))
	}
	for i, r := range got {
		w := m.live[i]
		if r.offset != w.offset || !bytes.Equal(r.key, w.key) || !bytes.Equal(r.value, w.value) ||
			(r.value == nil) != (w.value == nil) || r.timestamp != w.timestamp {
			t.Fatalf("record %d: log %v, model %v", i, r, w)
		}
	}
	for pid, last := range m.lastOfProducer {
		if !lastOffsets[last] {
			t.Fatalf("producer %d: its last batch (ending at %d) is gone", pid, last)
		}
	}
	checkContiguous(t, l)
}

func checkContiguous(t *testing.T, l *Log) {
	t.Helper()
	l.mu.RLock()
	defer l.mu.RUnlock()
	for i := 0; i+1 < len(l.segments); i++ {
		if l.segments[i].nextOffset != l.segments[i+1].baseOffset {
			t.Fatalf("segment %d ends at %d, next starts at %d", l.segments[i].baseOffset, l.segments[i].nextOffset, l.segments[i+1].baseOffset)
		}
	}
}

func compactConfig() Config {
	c := smallConfig()
	c.Delete, c.Compact = false, true
	c.DeleteRetentionMs = 10_000
	c.FileDeleteDelayMs = 0
	return c
}

// cleanOnce runs one cleaning from checkpoint and returns the next one.
func cleanOnce(t testing.TB, l *Log, checkpoint int64, now time.Time) int64 {
	t.Helper()
	r := l.cleanableRange(checkpoint, now)
	end, _, err := l.compact(context.Background(), r, now, math.MaxInt64, nil)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// TestCompactionMatchesModel proves that cleanings of a random workload of
// keys, values, tombstones, null keys, producers and codecs leave exactly
// the records the reference model keeps: the latest value of every key with
// its offset and timestamp, tombstones until delete.retention.ms after their
// first cleaning, and everything not yet cleanable; also across a reopen.
func TestCompactionMatchesModel(t *testing.T) {
	for seed := range uint64(2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			dir, clk, cfg := t.TempDir(), newClock(), compactConfig()
			l, err := Open(dir, cfg, clk.now, quiet)
			if err != nil {
				t.Fatal(err)
			}
			m, w := newModel(), newCompactionWorkload(seed, 40)
			checkpoint := int64(-1)
			for round, advance := range []time.Duration{0, 5 * time.Second, 6 * time.Second, time.Minute} {
				clk.advance(advance)
				w.append(t, l, m, 80, clk.now().UnixMilli())
				checkpoint = cleanOnce(t, l, checkpoint, clk.now())
				if checkpoint != l.active().baseOffset {
					t.Fatalf("round %d: cleaned up to %d, active segment at %d", round, checkpoint, l.active().baseOffset)
				}
				m.clean(checkpoint, clk.now().UnixMilli(), cfg.DeleteRetentionMs)
				checkAgainstModel(t, l, m)
			}
			l.Close()
			l, err = Open(dir, cfg, clk.now, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			checkAgainstModel(t, l, m)
		})
	}
}

// keyed builds a batch of records key=value ("" value: a tombstone).
func keyed(t testing.TB, pid int64, seq int32, ts int64, kvs ...string) record.Batch {
	spec := record.BatchSpec{ProducerID: pid, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecLZ4}
	if pid >= 0 {
		spec.ProducerEpoch, spec.BaseSequence = 0, seq
	}
	for i := 0; i < len(kvs); i += 2 {
		r := record.Record{Timestamp: ts, Key: []byte(kvs[i])}
		if kvs[i+1] != "" {
			r.Value = []byte(kvs[i+1])
		}
		spec.Records = append(spec.Records, r)
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyValues reads the log as "offset:key=value" strings; a tombstone has no "=".
func keyValues(t testing.TB, l *Log) []string {
	var out []string
	for _, b := range readAll(t, l) {
		rs, _ := b.Records()
		for _, r := range rs {
			s := fmt.Sprintf("%d:%s", r.Offset, r.Key)
			if r.Value != nil {
				s += "=" + string(r.Value)
			}
			out = append(out, s)
		}
	}
	return out
}

func appendRoll(t testing.TB, l *Log, bs ...record.Batch) {
	t.Helper()
	for _, b := range bs {
		if _, _, err := l.Append(b, 1); err != nil {
			t.Fatal(err)
		}
	}
	l.writeMu.Lock()
	err := l.roll(l.LogEndOffset())
	l.writeMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTombstonesOutliveDeleteRetention proves KIP-534's rule: a tombstone
// survives cleanings until delete.retention.ms after the first cleaning
// that kept it, and goes with the first cleaning after that.
func TestTombstonesOutliveDeleteRetention(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ts := clk.now().UnixMilli()
	appendRoll(t, l, keyed(t, -1, 0, ts, "a", "1", "b", "1"), keyed(t, -1, 0, ts, "a", ""))
	cp := cleanOnce(t, l, -1, clk.now())
	if got, want := fmt.Sprint(keyValues(t, l)), "[1:b=1 2:a]"; got != want {
		t.Fatalf("after the first cleaning: %s, want %s", got, want)
	}
	clk.advance(9 * time.Second)
	appendRoll(t, l, keyed(t, -1, 0, ts, "c", "1"))
	cp = cleanOnce(t, l, cp, clk.now())
	if got, want := fmt.Sprint(keyValues(t, l)), "[1:b=1 2:a 3:c=1]"; got != want {
		t.Fatalf("before delete.retention.ms: %s, want %s", got, want)
	}
	clk.advance(time.Second)
	appendRoll(t, l, keyed(t, -1, 0, ts, "d", "1"))
	cleanOnce(t, l, cp, clk.now())
	if got, want := fmt.Sprint(keyValues(t, l)), "[1:b=1 3:c=1 4:d=1]"; got != want {
		t.Fatalf("after delete.retention.ms: %s, want %s", got, want)
	}
}

// TestCompactionKeepsProducerLastBatch proves that the last batch of each
// producer keeps its header when all its records are superseded, so that
// its sequence survives (Kafka's RETAIN_EMPTY), while its earlier batches go.
func TestCompactionKeepsProducerLastBatch(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ts := clk.now().UnixMilli()
	appendRoll(t, l,
		keyed(t, 5, 0, ts, "k", "1"), keyed(t, 5, 1, ts, "k", "2", "j", "2"), // offsets 0, 1-2
		keyed(t, -1, 0, ts, "k", "3", "j", "3"), keyed(t, -1, 0, ts, "x", "3")) // offsets 3-4, 5
	cleanOnce(t, l, -1, clk.now())
	var got []string
	for _, b := range readAll(t, l) {
		got = append(got, fmt.Sprintf("%d-%d/%d pid %d seq %d", b.BaseOffset(), b.LastOffset(), b.NumRecords(), b.ProducerID(), b.LastSequence()))
	}
	want := "[1-2/0 pid 5 seq 2 3-4/2 pid -1 seq -1 5-5/1 pid -1 seq -1]"
	if fmt.Sprint(got) != want {
		t.Fatalf("batches %v, want %s", got, want)
	}
}

// TestCompactionMapBudget proves that a cleaning whose key map fills stops
// at a segment boundary and the next ones carry on to the same result.
func TestCompactionMapBudget(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, w := newModel(), newCompactionWorkload(9, 1000)
	w.codecs = []record.Codec{record.CodecNone, record.CodecSnappy}
	w.append(t, l, m, 120, clk.now().UnixMilli())
	now := clk.now()
	checkpoint, passes := int64(-1), 0
	for checkpoint < l.active().baseOffset {
		r := l.cleanableRange(checkpoint, now)
		end, _, err := l.compact(context.Background(), r, now, 2000, nil)
		if err != nil || end <= r.firstDirty {
			t.Fatalf("pass %d from %d: end %d, %v", passes, r.firstDirty, end, err)
		}
		m.clean(end, now.UnixMilli(), compactConfig().DeleteRetentionMs)
		checkAgainstModel(t, l, m)
		checkpoint = end
		passes++
	}
	if passes < 2 {
		t.Fatalf("the map budget never stopped a cleaning (%d passes)", passes)
	}
}

// TestCleanableRange proves how a log is chosen and bounded: the dirty
// ratio, the first dirty offset from the checkpoint, min.compaction.lag.ms
// holding back young segments and max.compaction.lag.ms forcing a cleaning.
func TestCleanableRange(t *testing.T) {
	clk := newClock()
	cfg := compactConfig()
	l, err := Open(t.TempDir(), cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := clk.now().UnixMilli()
	appendAt(t, l, 40, now-time.Hour.Milliseconds())
	mid := l.LogEndOffset()
	l.roll(mid)
	appendAt(t, l, 40, now)
	active := l.active().baseOffset

	r := l.cleanableRange(-1, clk.now())
	if r.firstDirty != 0 || r.firstUncleanable != active || r.cleanBytes != 0 || r.dirtyRatio() != 1 || !r.due(0.5) || r.overdue {
		t.Fatalf("fresh log: %+v", r)
	}
	if r := l.cleanableRange(mid, clk.now()); r.firstDirty != mid || r.dirtyRatio() >= 1 || r.cleanBytes == 0 {
		t.Fatalf("from checkpoint %d: %+v", mid, r)
	}
	if r := l.cleanableRange(active+1000, clk.now()); r.firstDirty != 0 {
		t.Fatalf("checkpoint beyond the log end: %+v", r)
	}
	if r := l.cleanableRange(active, clk.now()); r.due(0) {
		t.Fatalf("nothing dirty yet due: %+v", r)
	}
	cfg.MinCompactionLagMs = time.Minute.Milliseconds()
	l.SetConfig(cfg)
	if r := l.cleanableRange(-1, clk.now()); r.firstUncleanable != mid {
		t.Fatalf("min.compaction.lag.ms: first uncleanable %d, want %d", r.firstUncleanable, mid)
	}
	cfg.MinCompactionLagMs, cfg.MaxCompactionLagMs = 0, time.Minute.Milliseconds()
	l.SetConfig(cfg)
	if r := l.cleanableRange(-1, clk.now()); !r.overdue || !r.due(1) {
		t.Fatalf("max.compaction.lag.ms: %+v", r)
	}
	if r := l.cleanableRange(mid, clk.now()); r.overdue {
		t.Fatalf("max.compaction.lag.ms, young dirty segments: %+v", r)
	}
	l.SetStable(kafka.Offset(mid + 1))
	if r := l.cleanableRange(-1, clk.now()); r.firstUncleanable != mid {
		t.Fatalf("last stable offset %d: first uncleanable %d, want %d", mid+1, r.firstUncleanable, mid)
	}
	l.SetStable(kafka.Offset(mid - 1))
	if r := l.cleanableRange(-1, clk.now()); r.firstUncleanable >= mid {
		t.Fatalf("last stable offset %d: first uncleanable %d, want the segment holding it", mid-1, r.firstUncleanable)
	}
}

// TestReadersAndWritersDuringCompaction proves that readers concurrent with
// cleanings, while appends go on, only ever see whole valid batches.
func TestReadersAndWritersDuringCompaction(t *testing.T) {
	clk := newClock()
	l, err := OpenAtFS(vfs.NewMem(), crashDir, 0, compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, w := newModel(), newCompactionWorkload(5, 30)
	w.codecs = []record.Codec{record.CodecNone, record.CodecLZ4}
	w.append(t, l, m, 100, clk.now().UnixMilli())
	stop := make(chan struct{})
	wait := readConcurrently(t, l, 2, stop)
	checkpoint := int64(-1)
	for range 6 {
		w.append(t, l, m, 20, clk.now().UnixMilli())
		checkpoint = cleanOnce(t, l, checkpoint, clk.now())
		m.clean(checkpoint, clk.now().UnixMilli(), compactConfig().DeleteRetentionMs)
	}
	close(stop)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	checkAgainstModel(t, l, m)
}

// TestCompactionAbortsWhenLogChanges proves that a cleaned segment is not
// swapped in when its segments left the log meanwhile (DeleteRecords) or the
// log was truncated, nor when the cleaning is cancelled, and that an aborted
// cleaning leaves no files and the log as it was.
func TestCompactionAbortsWhenLogChanges(t *testing.T) {
	for _, change := range []string{"delete records", "truncate", "cancel"} {
		t.Run(change, func(t *testing.T) {
			clk := newClock()
			dir := t.TempDir()
			l, err := Open(dir, compactConfig(), clk.now, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			m, w := newModel(), newCompactionWorkload(2, 10)
			w.append(t, l, m, 100, clk.now().UnixMilli())
			srcs, cfg, err := l.captureSources()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			want := error(errCleaningAborted)
			switch change {
			case "delete records":
				err = l.DeleteRecordsBefore(srcs[1].seg.baseOffset)
			case "truncate":
				err = l.TruncateTo(l.LogEndOffset() - 1) // in the active segment: the group is intact
			case "cancel":
				cancel()
				want = context.Canceled
			}
			if err != nil {
				t.Fatal(err)
			}
			before := fmt.Sprint(readAll(t, l))
			f := &batchFilter{ctx: ctx, keys: map[string]int64{}, producers: map[int64]producerTail{}, txns: newTxnTracker(srcs)}
			err = l.cleanGroup(srcs[:1], f, cfg, clk.now(), &cleanStats{})
			for _, s := range srcs {
				s.seg.release()
			}
			if !errors.Is(err, want) {
				t.Fatalf("cleaning after %s: %v, want %v", change, err, want)
			}
			if left := append(filesWithSuffix(t, dir, cleanedSuffix), filesWithSuffix(t, dir, swapSuffix)...); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
			if fmt.Sprint(readAll(t, l)) != before {
				t.Fatal("an aborted cleaning changed the log")
			}
		})
	}
}

// TestCrashDuringCompaction proves that a power cut at any step of a
// cleaning (writing the cleaned segment, the swap, the renames), with or
// without a torn tail, leaves a log that opens, reads whole batches, keeps
// every record the finished cleaning keeps and only records that were
// appended, and that cleaning it again gives the model's result.
func TestCrashDuringCompaction(t *testing.T) {
	cfg := compactConfig()
	cfg.SegmentBytes = 2048
	for step := 0; ; step++ {
		finished := false
		for _, torn := range []bool{false, true} {
			c := &crashingFS{Mem: vfs.NewMem(), left: 1 << 30, torn: torn, seed: uint64(step)}
			clk := newClock()
			l, err := OpenAtFS(c, crashDir, 0, cfg, clk.now, quiet)
			if err != nil {
				t.Fatal(err)
			}
			// Codecs are the model test's business: cheap ones keep the
			// hundred-odd crash points fast.
			before, w := newModel(), newCompactionWorkload(11, 15)
			w.codecs = []record.Codec{record.CodecNone, record.CodecSnappy}
			w.append(t, l, before, 40, clk.now().UnixMilli())
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			rp, end := l.RecoveryPoint(), l.LogEndOffset()
			after := &model{live: append([]modelRecord(nil), before.live...), horizon: map[int]int64{}, lastOfProducer: before.lastOfProducer}
			after.clean(l.active().baseOffset, clk.now().UnixMilli(), cfg.DeleteRetentionMs)

			c.left = step
			r := l.cleanableRange(-1, clk.now())
			_, _, cleanErr := l.compact(context.Background(), r, clk.now(), math.MaxInt64, nil)
			finished = !c.crashed
			if finished && cleanErr != nil {
				t.Fatal(cleanErr)
			}
			c.crashed = true
			c.Crash()
			l, err = OpenAtFS(c.Mem, crashDir, rp, cfg, clk.now, quiet)
			if err != nil {
				t.Fatalf("step %d torn %v: reopen: %v", step, torn, err)
			}
			if l.LogEndOffset() != end {
				t.Fatalf("step %d torn %v: log end %d, was %d", step, torn, l.LogEndOffset(), end)
			}
			checkBetween(t, l, after, before)
			cleanOnce(t, l, -1, clk.now())
			checkAgainstModel(t, l, after)
			l.Close()
		}
		if finished {
			if step < 40 {
				t.Fatalf("the cleaning took only %d steps: the test proves little", step)
			}
			return
		}
	}
}

// checkBetween checks that the log holds every record of low and only
// records of high, in offset order, in whole valid batches.
func checkBetween(t *testing.T, l *Log, low, high *model) {
	t.Helper()
	byOffset := map[int64]modelRecord{}
	for _, r := range high.live {
		byOffset[r.offset] = r
	}
	seen := map[int64]bool{}
	prev := int64(-1)
	for _, b := range readAll(t, l) {
		rs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			w, ok := byOffset[r.Offset]
			if !ok || r.Offset <= prev || !bytes.Equal(r.Key, w.key) || !bytes.Equal(r.Value, w.value) {
				t.Fatalf("record at %d (after %d) was never appended so", r.Offset, prev)
			}
			prev, seen[r.Offset] = r.Offset, true
		}
	}
	for _, r := range low.live {
		if !seen[r.offset] {
			t.Fatalf("record %v lost", r)
		}
	}
	checkContiguous(t, l)
}
