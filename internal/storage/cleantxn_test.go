package storage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// txnLog appends transactional batches and markers as a partition would,
// indexing each abort.
type txnLog struct {
	t     testing.TB
	l     *Log
	ts    int64
	first map[int64]int64 // producer -> first offset of its open transaction
	seq   map[int64]int32
	epoch map[int64]int16
}

func newTxnLog(t testing.TB, l *Log, ts int64) *txnLog {
	return &txnLog{t: t, l: l, ts: ts, first: map[int64]int64{}, seq: map[int64]int32{}, epoch: map[int64]int16{}}
}

// data appends records key=value of producer pid inside its transaction
// (pid < 0: a plain batch) and returns the offset of the first.
func (x *txnLog) data(pid int64, kvs ...string) int64 {
	x.t.Helper()
	spec := record.BatchSpec{ProducerID: pid, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecZstd}
	if pid >= 0 {
		spec.ProducerEpoch, spec.BaseSequence, spec.Transactional = x.epoch[pid], x.seq[pid], true
	}
	for i := 0; i < len(kvs); i += 2 {
		r := record.Record{Timestamp: x.ts, Key: []byte(kvs[i])}
		if kvs[i+1] != "" {
			r.Value = []byte(kvs[i+1])
		}
		spec.Records = append(spec.Records, r)
	}
	b, err := record.Build(spec)
	if err != nil {
		x.t.Fatal(err)
	}
	first, _, err := x.l.Append(b, 1)
	if err != nil {
		x.t.Fatal(err)
	}
	if pid >= 0 {
		x.seq[pid] += int32(len(spec.Records))
		if _, ok := x.first[pid]; !ok {
			x.first[pid] = first
		}
	}
	return first
}

// end writes pid's marker and, for an abort, indexes the transaction.
func (x *txnLog) end(pid int64, commit bool) int64 {
	x.t.Helper()
	m := record.BuildMarker(pid, x.epoch[pid], record.Marker{Commit: commit}, x.ts)
	at, _, err := x.l.Append(m, 1)
	if err != nil {
		x.t.Fatal(err)
	}
	first, ok := x.first[pid]
	if !ok {
		first = at
	}
	delete(x.first, pid)
	if !commit {
		e := kafka.AbortedTransaction{ProducerID: kafka.ProducerID(pid), FirstOffset: kafka.Offset(first),
			LastOffset: kafka.Offset(at), LastStableOffset: kafka.Offset(at + 1)}
		if err := x.l.AppendAbortedTransaction(e); err != nil {
			x.t.Fatal(err)
		}
	}
	return at
}

func (x *txnLog) roll() {
	x.t.Helper()
	appendRoll(x.t, x.l)
}

// consume reads the log as a Kafka consumer does: read_committed skips the
// data of the transactions that AbortedTransactions lists; control batches
// are never returned. It gives "offset:key=value" strings.
func consume(t testing.TB, l *Log, readCommitted bool) []string {
	t.Helper()
	aborted := l.AbortedTransactions(0, l.LogEndOffset())
	sort.Slice(aborted, func(i, j int) bool { return aborted[i].FirstOffset < aborted[j].FirstOffset })
	inAborted := map[int64]bool{}
	var out []string
	for _, b := range readAll(t, l) {
		for len(aborted) > 0 && int64(aborted[0].FirstOffset) <= b.LastOffset() {
			inAborted[int64(aborted[0].ProducerID)] = true
			aborted = aborted[1:]
		}
		if b.IsControl() {
			if typ, ok, _ := record.ControlType(b); ok && typ == record.ControlAbort {
				delete(inAborted, b.ProducerID())
			}
			continue
		}
		if readCommitted && b.IsTransactional() && inAborted[b.ProducerID()] {
			continue
		}
		rs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
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

// layout describes the batches: "base-last/records" plus "c" (commit),
// "a" (abort) for markers, "t" for transactional data, "h" with a delete
// horizon.
func layout(t testing.TB, l *Log) string {
	t.Helper()
	var out []string
	for _, b := range readAll(t, l) {
		s := fmt.Sprintf("%d-%d/%d", b.BaseOffset(), b.LastOffset(), b.NumRecords())
		switch {
		case b.IsControl():
			if typ, ok, _ := record.ControlType(b); ok && typ == record.ControlCommit {
				s += "c"
			} else {
				s += "a"
			}
		case b.IsTransactional():
			s += "t"
		}
		if _, ok := b.DeleteHorizonMs(); ok {
			s += "h"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func abortedList(l *Log) string {
	var out []string
	for _, e := range l.AbortedTransactions(0, l.LogEndOffset()) {
		out = append(out, fmt.Sprintf("pid %d %d-%d", e.ProducerID, e.FirstOffset, e.LastOffset))
	}
	return strings.Join(out, ", ")
}

// TestCleanerRemovesAbortedTransactions proves Kafka's transactional
// cleaning on interleaved producers: aborted records go in the first
// cleaning whatever their keys, their abort marker and its index entry stay
// through that cleaning, the markers whose transactions have no data left
// get a delete horizon in the next one and go after delete.retention.ms,
// markers of transactions with data stay, and read_committed and
// read_uncommitted readers see the committed latest values throughout,
// also after the log is opened again.
func TestCleanerRemovesAbortedTransactions(t *testing.T) {
	clk, dir, cfg := newClock(), t.TempDir(), compactConfig()
	l, err := Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	x := newTxnLog(t, l, clk.now().UnixMilli())
	x.data(7, "a", "1")           // 0: committed, then superseded
	x.data(8, "a", "x", "b", "x") // 1-2: aborted
	x.end(7, true)                // 3
	x.end(8, false)               // 4
	x.data(-1, "a", "2")          // 5
	x.data(7, "c", "7")           // 6
	x.end(7, true)                // 7
	x.data(8, "d", "8")           // 8
	x.end(8, true)                // 9
	x.data(-1, "e", "1")          // 10
	x.roll()
	x.data(-1, "f", "1") // 11
	x.roll()

	before := consume(t, l, true)
	if got, want := fmt.Sprint(before), "[0:a=1 5:a=2 6:c=7 8:d=8 10:e=1 11:f=1]"; got != want {
		t.Fatalf("read_committed before cleaning: %s, want %s", got, want)
	}
	cp := cleanOnce(t, l, -1, clk.now())
	want := "[5:a=2 6:c=7 8:d=8 10:e=1 11:f=1]"
	check := func(stage, wantLayout, wantAborted string) {
		t.Helper()
		if got := fmt.Sprint(consume(t, l, false)); got != want {
			t.Fatalf("%s: read_uncommitted %s, want %s", stage, got, want)
		}
		if got := fmt.Sprint(consume(t, l, true)); got != want {
			t.Fatalf("%s: read_committed %s, want %s", stage, got, want)
		}
		if got := layout(t, l); !strings.HasPrefix(got, wantLayout) {
			t.Fatalf("%s: batches %s, want %s ...", stage, got, wantLayout)
		}
		if got := abortedList(l); got != wantAborted {
			t.Fatalf("%s: aborted transactions [%s], want [%s]", stage, got, wantAborted)
		}
	}
	check("first cleaning", "3-3/1c 4-4/1a 5-5/1 6-6/1t 7-7/1c 8-8/1t 9-9/1c 10-10/1", "pid 8 1-4")

	clk.advance(time.Second)
	x.data(-1, "g", "1") // 12
	x.roll()
	want = "[5:a=2 6:c=7 8:d=8 10:e=1 11:f=1 12:g=1]"
	cp = cleanOnce(t, l, cp, clk.now())
	check("second cleaning", "3-3/1ch 4-4/1ah 5-5/1 6-6/1t 7-7/1c 8-8/1t 9-9/1c", "")

	l.Close()
	if l, err = Open(dir, cfg, clk.now, quiet); err != nil {
		t.Fatal(err)
	}
	check("reopened", "3-3/1ch 4-4/1ah 5-5/1 6-6/1t 7-7/1c", "")

	clk.advance(5 * time.Second)
	x.l = l
	x.data(-1, "h", "1") // 13
	x.roll()
	want = "[5:a=2 6:c=7 8:d=8 10:e=1 11:f=1 12:g=1 13:h=1]"
	cp = cleanOnce(t, l, cp, clk.now())
	check("before delete.retention.ms", "3-3/1ch 4-4/1ah 5-5/1", "")

	clk.advance(5 * time.Second)
	x.data(-1, "i", "1") // 14
	x.roll()
	want = "[5:a=2 6:c=7 8:d=8 10:e=1 11:f=1 12:g=1 13:h=1 14:i=1]"
	cleanOnce(t, l, cp, clk.now())
	check("after delete.retention.ms", "5-5/1 6-6/1t 7-7/1c 8-8/1t 9-9/1c 10-10/1", "")
}

// TestCleanerKeepsProducerStateOfTransactions proves that the batch
// holding a producer's state stays as an empty header when its records go:
// an aborted last data batch keeps its header (and so its marker and index
// entry stay, as in Kafka), and a producer whose latest epoch wrote only a
// marker (the coordinator's abort after an epoch bump) keeps that marker,
// emptied once delete.retention.ms has passed.
func TestCleanerKeepsProducerStateOfTransactions(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	x := newTxnLog(t, l, clk.now().UnixMilli())
	x.data(3, "k", "1")  // 0: the last data batch of producer 3, aborted
	x.end(3, false)      // 1
	x.data(4, "j", "1")  // 2: producer 4, epoch 0
	x.end(4, true)       // 3
	x.data(-1, "j", "2") // 4
	x.epoch[4] = 1
	x.end(4, false) // 5: the coordinator aborts an empty transaction at epoch 1
	x.data(-1, "z", "1")
	x.roll()
	x.data(-1, "y", "1")
	x.roll()

	cp := cleanOnce(t, l, -1, clk.now())
	if got, want := layout(t, l), "0-0/0t 1-1/1a 3-3/1c 4-4/1 5-5/1ah 6-6/1"; !strings.HasPrefix(got, want) {
		t.Fatalf("first cleaning: %s, want %s ...", got, want)
	}
	for range 3 {
		clk.advance(20 * time.Second)
		x.data(-1, "w", "1")
		x.roll()
		cp = cleanOnce(t, l, cp, clk.now())
	}
	if got, want := layout(t, l), "0-0/0t 1-1/1a 4-4/1 5-5/0a 6-6/1"; !strings.HasPrefix(got, want) {
		t.Fatalf("after delete.retention.ms: %s, want %s ...", got, want)
	}
	if got, want := abortedList(l), "pid 3 0-1"; got != want {
		t.Fatalf("aborted transactions [%s], want [%s]", got, want)
	}
	for _, b := range readAll(t, l) {
		if b.BaseOffset() == 0 && (b.ProducerID() != 3 || b.LastSequence() != 0) {
			t.Fatalf("producer 3's header lost its state: pid %d seq %d", b.ProducerID(), b.LastSequence())
		}
		if b.BaseOffset() == 5 && (b.ProducerID() != 4 || b.ProducerEpoch() != 1) {
			t.Fatalf("producer 4's marker lost its epoch: pid %d epoch %d", b.ProducerID(), b.ProducerEpoch())
		}
	}
}

// TestCleanerStopsAtLastStableOffset proves that an undecided transaction
// is not cleaned: with the last stable offset at its first batch, its
// records and everything after stay, and once it aborts and the bound moves
// a cleaning removes them.
func TestCleanerStopsAtLastStableOffset(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	x := newTxnLog(t, l, clk.now().UnixMilli())
	x.data(-1, "a", "1")
	x.roll()
	open := x.data(5, "a", "x") // 1: undecided
	x.roll()
	x.data(-1, "b", "1")
	x.roll()
	l.SetStable(kafka.Offset(open))
	cp := cleanOnce(t, l, -1, clk.now())
	if cp != open {
		t.Fatalf("cleaned up to %d, want the last stable offset %d", cp, open)
	}
	if got, want := fmt.Sprint(consume(t, l, false)), "[0:a=1 1:a=x 2:b=1]"; got != want {
		t.Fatalf("read_uncommitted: %s, want %s", got, want)
	}
	x.end(5, false) // 3
	x.roll()
	l.SetStable(kafka.Offset(l.LogEndOffset()))
	cleanOnce(t, l, cp, clk.now())
	if got, want := fmt.Sprint(consume(t, l, false)), "[0:a=1 2:b=1]"; got != want {
		t.Fatalf("after the abort: read_uncommitted %s, want %s", got, want)
	}
}

// TestCleanerTransactionsMatchModel proves, on random interleavings of
// three transactional producers and plain writes with random commits and
// aborts, that after each cleaning no aborted record is left, both
// isolation levels see the latest committed value of every key at its
// offset, and segments stay contiguous.
func TestCleanerTransactionsMatchModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			clk := newClock()
			l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			x := newTxnLog(t, l, clk.now().UnixMilli())
			pending := map[int64][]string{} // producer -> "offset:key=value" of its open transaction
			latest := map[string]string{}   // key -> committed "offset:key=value" of the largest offset
			commit := func(r string) {
				off, kv, _ := strings.Cut(r, ":")
				key, _, _ := strings.Cut(kv, "=")
				if cur, ok := latest[key]; !ok || offsetOf(cur) < offsetOf(off+":") {
					latest[key] = r
				}
			}
			abortedOffsets := map[string]bool{}
			cp := int64(-1)
			for round := range 6 {
				for range 60 {
					key := fmt.Sprintf("k%d", rng.IntN(12))
					val := fmt.Sprintf("v%d", rng.IntN(1000))
					switch pid := int64(rng.IntN(4)) - 1; {
					case pid < 0:
						commit(fmt.Sprintf("%d:%s=%s", x.data(-1, key, val), key, val))
					case rng.IntN(4) > 0 || len(pending[pid]) == 0:
						pending[pid] = append(pending[pid], fmt.Sprintf("%d:%s=%s", x.data(pid, key, val), key, val))
					default:
						committed := rng.IntN(2) == 0
						x.end(pid, committed)
						for _, r := range pending[pid] {
							if committed {
								commit(r)
							} else {
								abortedOffsets[strings.SplitN(r, ":", 2)[0]] = true
							}
						}
						delete(pending, pid)
					}
				}
				for pid, rs := range pending { // decide them all, so that the whole log is stable
					x.end(pid, false)
					for _, r := range rs {
						abortedOffsets[strings.SplitN(r, ":", 2)[0]] = true
					}
					delete(pending, pid)
				}
				latest["last"] = fmt.Sprintf("%d:last=%d", x.data(-1, "last", fmt.Sprint(round)), round)
				x.roll()
				clk.advance(time.Duration(rng.IntN(8)) * time.Second)
				cp = cleanOnce(t, l, cp, clk.now())
				var want []string
				for _, r := range latest {
					want = append(want, r)
				}
				for _, readCommitted := range []bool{false, true} {
					got := consume(t, l, readCommitted)
					for _, r := range got {
						if abortedOffsets[strings.SplitN(r, ":", 2)[0]] {
							t.Fatalf("round %d: aborted record %s still in the log", round, r)
						}
					}
					if !sameSet(got, want) {
						t.Fatalf("round %d, read_committed %v: %v, want %v", round, readCommitted, sorted(got), sorted(want))
					}
				}
				checkContiguous(t, l)
			}
		})
	}
}

func offsetOf(r string) int64 {
	var o int64
	fmt.Sscanf(r, "%d:", &o)
	return o
}

func sameSet(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestCleanerTransactionalTombstones proves that a committed transactional
// tombstone follows delete.retention.ms like any other, with its batch
// keeping its transactional bit, and that its commit marker goes only after
// the tombstone is gone and delete.retention.ms has passed once more.
func TestCleanerTransactionalTombstones(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	x := newTxnLog(t, l, clk.now().UnixMilli())
	x.data(7, "t", "1") // 0
	x.end(7, true)      // 1
	x.data(7, "t", "")  // 2: a tombstone
	x.end(7, true)      // 3
	x.data(7, "u", "1") // 4
	x.end(7, true)      // 5
	x.data(-1, "z", "1")
	x.roll()
	cp := int64(-1)
	for _, step := range []struct {
		advance time.Duration
		layout  string
	}{
		{0, "1-1/1c 2-2/1th 3-3/1c 4-4/1t"},
		{time.Second, "1-1/1ch 2-2/1th 3-3/1c 4-4/1t"},
		{10 * time.Second, "3-3/1c 4-4/1t"},
		{time.Second, "3-3/1ch 4-4/1t"},
		{11 * time.Second, "4-4/1t 5-5/1c"},
	} {
		clk.advance(step.advance)
		x.data(-1, "w", "1")
		x.roll()
		cp = cleanOnce(t, l, cp, clk.now())
		if got := layout(t, l); !strings.HasPrefix(got, step.layout) {
			t.Fatalf("at +%v: %s, want %s ...", step.advance, got, step.layout)
		}
	}
	if got := consume(t, l, true); !slices.Contains(got, "4:u=1") || slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, ":t") }) {
		t.Fatalf("read_committed: %v", got)
	}
}

// TestCleanerAsksTheOwnerForActiveProducers proves that with
// SetActiveProducers the cleaner keeps the state of the producers its
// owner lists, at the batch it names (a marker when LastDataOffset is -1),
// and lets the batches of an expired producer go.
func TestCleanerAsksTheOwnerForActiveProducers(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ts := clk.now().UnixMilli()
	x := newTxnLog(t, l, ts)
	appendRoll(t, l, keyed(t, 6, 0, ts, "j", "1"), keyed(t, 5, 0, ts, "k", "1")) // 0, 1
	x.epoch[7] = 2
	x.end(7, false) // 2: producer 7's only batch, an abort of epoch 2
	appendRoll(t, l, keyed(t, -1, 0, ts, "k", "2", "j", "2"), keyed(t, -1, 0, ts, "z", "1"))
	l.SetActiveProducers(func() map[kafka.ProducerID]kafka.ActiveProducer {
		return map[kafka.ProducerID]kafka.ActiveProducer{5: {LastDataOffset: 1, Epoch: 0}, 7: {LastDataOffset: -1, Epoch: 2}}
	})
	cleanOnce(t, l, -1, clk.now())
	if got, want := layout(t, l), "1-1/0 2-2/1ah 3-4/2 5-5/1"; got != want {
		t.Fatalf("batches %s, want %s (producer 6 expired)", got, want)
	}
}

// txnWorkload appends random interleavings of three transactional
// producers and plain writes, ending every transaction, and returns the
// latest committed "offset:key=value" of each key and the offsets of
// aborted records.
func txnWorkload(x *txnLog, rng *rand.Rand, n int) (map[string]string, map[string]bool) {
	pending := map[int64][]string{}
	latest, aborted := map[string]string{}, map[string]bool{}
	commit := func(r string) {
		off, kv, _ := strings.Cut(r, ":")
		key, _, _ := strings.Cut(kv, "=")
		if cur, ok := latest[key]; !ok || offsetOf(cur) < offsetOf(off+":") {
			latest[key] = r
		}
	}
	end := func(pid int64, committed bool) {
		x.end(pid, committed)
		for _, r := range pending[pid] {
			if committed {
				commit(r)
			} else {
				aborted[strings.SplitN(r, ":", 2)[0]] = true
			}
		}
		delete(pending, pid)
	}
	for range n {
		key, val := fmt.Sprintf("k%d", rng.IntN(12)), fmt.Sprintf("v%d", rng.IntN(1000))
		switch pid := int64(rng.IntN(4)) - 1; {
		case pid < 0:
			commit(fmt.Sprintf("%d:%s=%s", x.data(-1, key, val), key, val))
		case rng.IntN(4) > 0 || len(pending[pid]) == 0:
			pending[pid] = append(pending[pid], fmt.Sprintf("%d:%s=%s", x.data(pid, key, val), key, val))
		default:
			end(pid, rng.IntN(2) == 0)
		}
	}
	for pid := range pending {
		end(pid, false)
	}
	commit(fmt.Sprintf("%d:last=1", x.data(-1, "last", "1")))
	return latest, aborted
}

// latestOf maps each key of a consumed "offset:key=value" list to its last
// entry.
func latestOf(rs []string) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		_, kv, _ := strings.Cut(r, ":")
		key, _, _ := strings.Cut(kv, "=")
		out[key] = r
	}
	return out
}

// TestCrashDuringTransactionalCompaction proves that a power cut at any
// step of a cleaning of a transactional log leaves a log whose
// read_committed readers still see the latest committed value of every key
// and no aborted record: a swapped-in segment whose .txnindex recovery
// drops holds no aborted record left to skip. Cleaning it again gives the
// clean result. (At step 0, before the cleaning writes anything, it proves
// that Flush makes the .txnindex files durable.)
func TestCrashDuringTransactionalCompaction(t *testing.T) {
	cfg := compactConfig()
	cfg.SegmentBytes = 2048
	for step := 0; ; step++ {
		c := &crashingFS{Mem: vfs.NewMem(), left: 1 << 30, seed: uint64(step)}
		clk := newClock()
		l, err := OpenAtFS(c, crashDir, 0, cfg, clk.now, quiet)
		if err != nil {
			t.Fatal(err)
		}
		x := newTxnLog(t, l, clk.now().UnixMilli())
		latest, aborted := txnWorkload(x, rand.New(rand.NewPCG(5, 5)), 120)
		x.roll()
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		rp := l.RecoveryPoint()
		c.left = step
		r := l.cleanableRange(-1, clk.now())
		_, _, cleanErr := l.compact(context.Background(), r, clk.now(), math.MaxInt64, nil)
		finished := !c.crashed
		if finished && cleanErr != nil {
			t.Fatal(cleanErr)
		}
		c.crashed = true
		c.Crash()
		if l, err = OpenAtFS(c.Mem, crashDir, rp, cfg, clk.now, quiet); err != nil {
			t.Fatalf("step %d: reopen: %v", step, err)
		}
		if got := latestOf(consume(t, l, true)); !reflect.DeepEqual(got, latest) {
			t.Fatalf("step %d: read_committed latest values %v, want %v", step, got, latest)
		}
		cleanOnce(t, l, -1, clk.now())
		got := consume(t, l, false)
		for _, r := range got {
			if aborted[strings.SplitN(r, ":", 2)[0]] {
				t.Fatalf("step %d: aborted record %s left after cleaning again", step, r)
			}
		}
		if !reflect.DeepEqual(latestOf(got), latest) || len(got) != len(latest) {
			t.Fatalf("step %d: after cleaning again %v, want %v", step, got, latest)
		}
		l.Close()
		if finished {
			if step < 20 {
				t.Fatalf("the cleaning took only %d steps: the test proves little", step)
			}
			return
		}
	}
}
