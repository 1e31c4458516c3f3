package storage

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// slowSyncFS is a Mem whose file fsyncs take a while, as a disk's do; the
// fsyncs of .log files are counted: group commit shows as fewer of them
// than acknowledgements.
type slowSyncFS struct {
	*vfs.Mem
	delay time.Duration
	syncs atomic.Int64
}

func (s *slowSyncFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	f, err := s.Mem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &slowSyncFile{f, s, strings.HasSuffix(name, ".log")}, nil
}

type slowSyncFile struct {
	vfs.File
	s   *slowSyncFS
	log bool // a segment's .log file
}

func (f *slowSyncFile) Sync() error {
	if f.log {
		f.s.syncs.Add(1)
	}
	time.Sleep(f.s.delay)
	return f.File.Sync()
}

// runManager opens a Manager on fsys and runs it (its Flusher) until the
// test ends.
func runManager(t *testing.T, fsys vfs.FS) *Manager {
	t.Helper()
	m, err := OpenManagerFS(fsys, []string{"/data"}, crashConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// TestRollFsyncsSealedSegment proves that rolling a segment fsyncs it in
// the background: with no Flush and no durable mode, the batches of every
// sealed segment survive a power cut and the recovery point reaches the
// active segment.
func TestRollFsyncsSealedSegment(t *testing.T) {
	mem := vfs.NewMem()
	m := runManager(t, mem)
	l, err := m.Create("t", 0, kafka.NewTopicID(), crashConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := appendAll(t, l, newWorkload(1), 100, nil)
	l.mu.RLock()
	sealed := l.active().baseOffset
	l.mu.RUnlock()
	waitFor(t, func() bool { return l.RecoveryPoint() >= sealed })
	mem.Crash()
	got := reopenAfterCrash(t, mem)
	checkPrefix(t, got, want)
	if got.LogEndOffset() < sealed {
		t.Fatalf("after the power cut the log ends at %d; the sealed segments ended at %d", got.LogEndOffset(), sealed)
	}
}

// reopenAfterCrash opens a Manager on mem again, until the test ends, and
// returns its log of t-0.
func reopenAfterCrash(t *testing.T, mem *vfs.Mem) *Log {
	t.Helper()
	m, err := OpenManagerFS(mem, []string{"/data"}, crashConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	l, ok := m.Get("t", 0)
	if !ok {
		t.Fatal("partition 0 is gone after the power cut")
	}
	return l
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
	}
}

// acked is a batch whose WaitDurable returned: it must survive a power cut.
type acked struct {
	partition int32
	offset    int64
	value     []byte
}

// TestCrashDurableAcksGroupCommit proves the durable mode under concurrent
// producers: every batch whose WaitDurable returned before a power cut is
// in the log after it, at its offset, and appends that waited together
// shared fsyncs (fewer fsyncs than acknowledgements).
func TestCrashDurableAcksGroupCommit(t *testing.T) {
	mem := &slowSyncFS{Mem: vfs.NewMem(), delay: 2 * time.Millisecond}
	m := runManager(t, mem)
	const partitions, producers = 2, 8
	logs := make([]*Log, partitions)
	for p := range logs {
		var err error
		if logs[p], err = m.Create("t", int32(p), kafka.NewTopicID(), crashConfig()); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var acks []acked
	var wg sync.WaitGroup
	for i := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			produceDurably(logs[i%partitions], int32(i%partitions), i, func(a acked) {
				mu.Lock()
				acks = append(acks, a)
				mu.Unlock()
			})
		}()
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acks) >= 400 })
	syncs := mem.syncs.Load()
	mem.Crash()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	checkAcked(t, mem.Mem, acks)
	// Four producers per partition: with fsyncs of 2 ms most acknowledgements
	// share one; fewer fsyncs than acknowledgements is the bound that holds
	// however the scheduler treats the producers.
	if n := int64(len(acks)); syncs >= n {
		t.Fatalf("%d fsyncs of .log files for %d acknowledgements: appends did not share fsyncs", syncs, n)
	}
	t.Logf("%d acknowledged batches, %d fsyncs of .log files before the power cut", len(acks), syncs)
}

// produceDurably appends small batches to l, each with a value naming
// producer and sequence, and reports each once WaitDurable returns; it
// stops at the first error (the power cut).
func produceDurably(l *Log, partition int32, producer int, ack func(acked)) {
	for seq := 0; ; seq++ {
		v := []byte(fmt.Sprintf("producer %d seq %d", producer, seq))
		b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			Records: []record.Record{{Timestamp: 1000, Value: v}}})
		if err != nil {
			panic(err)
		}
		first, last, err := l.Append(b, 1)
		if err != nil {
			return
		}
		if err := l.WaitDurable(context.Background(), kafka.Offset(last+1)); err != nil {
			return
		}
		ack(acked{partition, first, v})
	}
}

// checkAcked reopens the logs on mem and finds every acknowledged value at
// its offset.
func checkAcked(t *testing.T, mem *vfs.Mem, acks []acked) {
	t.Helper()
	m, err := OpenManagerFS(mem, []string{"/data"}, crashConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, a := range acks {
		l, ok := m.Get("t", a.partition)
		if !ok {
			t.Fatalf("partition %d is gone after the power cut", a.partition)
		}
		if got := valueAt(t, l, a.offset); !bytes.Equal(got, a.value) {
			t.Fatalf("partition %d offset %d: %q after the power cut, acknowledged %q", a.partition, a.offset, got, a.value)
		}
	}
}

// valueAt is the value of the record at offset, nil if there is none.
func valueAt(t *testing.T, l *Log, offset int64) []byte {
	var v []byte
	err := l.Batches(offset, func(b record.Batch) error {
		rs, err := b.Records()
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Offset == offset {
				v = r.Value
			}
		}
		return errStop
	})
	if err != nil && err != errStop {
		t.Fatal(err)
	}
	return v
}

var errStop = fmt.Errorf("stop")

// gatedSyncFS is a Mem where the first fsync of a .log file under dir
// after each arming announces itself on entered and then waits for a
// value on released: a test holds a sync in its fsync for as long as it
// needs.
type gatedSyncFS struct {
	*vfs.Mem
	dir      string
	armed    atomic.Bool
	entered  chan struct{}
	released chan struct{}
}

func (g *gatedSyncFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	f, err := g.Mem.OpenFile(name, flag, perm)
	if err != nil || !strings.HasPrefix(name, g.dir) || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gatedSyncFile{f, g}, nil
}

type gatedSyncFile struct {
	vfs.File
	g *gatedSyncFS
}

func (f *gatedSyncFile) Sync() error {
	if f.g.armed.CompareAndSwap(true, false) {
		f.g.entered <- struct{}{}
		<-f.g.released
	}
	return f.File.Sync()
}

// waitResult starts WaitDurable(offset) on l and returns where its answer
// arrives.
func waitResult(l *Log, offset int64) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.WaitDurable(context.Background(), kafka.Offset(offset)) }()
	return ch
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func notYet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s too early", what)
	case <-time.After(20 * time.Millisecond):
	}
}

// TestWaitDurableGroupCommitOrder proves how a durable acknowledgement
// waits: the first waiter of an idle log starts a sync at once; an append
// that comes while that sync is in its fsync is not answered by it, and
// its waiter starts the next sync as soon as the first ends, while the
// first waiter is answered then, not held for the second sync; and a log
// whose sync hangs in its fsync does not hold back another log's waits.
func TestWaitDurableGroupCommitOrder(t *testing.T) {
	g := &gatedSyncFS{Mem: vfs.NewMem(), dir: "/data/t-0/", entered: make(chan struct{}), released: make(chan struct{})}
	m := runManager(t, g)
	a, err := m.Create("t", 0, kafka.NewTopicID(), crashConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Create("t", 1, kafka.NewTopicID(), crashConfig())
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkload(7)
	g.armed.Store(true)
	appendAll(t, a, w, 1, nil)
	first := waitResult(a, a.LogEndOffset())
	receive(t, g.entered, "the first sync of partition 0")

	appendAll(t, a, w, 1, nil)
	second := waitResult(a, a.LogEndOffset())
	notYet(t, second, "an append during a sync that began before it: its acknowledgement")

	// The other partition syncs while partition 0's fsync hangs.
	appendAll(t, b, w, 3, nil)
	if err := receive(t, waitResult(b, b.LogEndOffset()), "partition 1's wait while partition 0's fsync hangs"); err != nil {
		t.Fatal(err)
	}

	g.armed.Store(true) // for the second sync
	g.released <- struct{}{}
	if err := receive(t, first, "the first acknowledgement"); err != nil {
		t.Fatal(err)
	}
	receive(t, g.entered, "the second sync of partition 0, led by the second waiter")
	notYet(t, second, "the second acknowledgement, before its sync ends")
	g.released <- struct{}{}
	if err := receive(t, second, "the second acknowledgement"); err != nil {
		t.Fatal(err)
	}
	if d, end := a.DurableOffset(), a.LogEndOffset(); int64(d) != end {
		t.Fatalf("durable offset %d, log end %d after both syncs", d, end)
	}
}

// TestWaitDurableSyncsItself proves that a durable acknowledgement needs
// no other goroutine: under a Manager whose Flusher does not run, the
// waiter fsyncs the log itself, and the batches survive a power cut.
func TestWaitDurableSyncsItself(t *testing.T) {
	mem := vfs.NewMem()
	m, err := OpenManagerFS(mem, []string{"/data"}, crashConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Create("t", 0, kafka.NewTopicID(), crashConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := appendAll(t, l, newWorkload(3), 5, nil)
	if err := receive(t, waitResult(l, l.LogEndOffset()), "WaitDurable with no Flusher running"); err != nil {
		t.Fatal(err)
	}
	mem.Crash()
	got := reopenAfterCrash(t, mem)
	if n := checkPrefix(t, got, want); n != len(want) {
		t.Fatalf("after the power cut the log has %d batches; %d were acknowledged", n, len(want))
	}
}

// TestFlushDuringBackgroundSync proves that a Flush that returns while a
// background sync holds the fsync of a new segment's directory entry in
// flight has made that entry durable itself: the batches of the new
// segment survive a power cut that comes before the background sync ends.
func TestFlushDuringBackgroundSync(t *testing.T) {
	g := &gatedSyncFS{Mem: vfs.NewMem(), dir: "/data/t-0/", entered: make(chan struct{}), released: make(chan struct{})}
	m := runManager(t, g)
	l, err := m.Create("t", 0, kafka.NewTopicID(), crashConfig())
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkload(11)
	want := appendAll(t, l, w, 1, nil)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	g.armed.Store(true)
	for segments := 1; segments < 2; {
		want = append(want, appendAll(t, l, w, 1, nil)...)
		l.mu.RLock()
		segments = len(l.segments)
		l.mu.RUnlock()
	}
	// The roll asked the Flusher for a sync, which took the new segment's
	// directory entry and now hangs in its first fsync.
	receive(t, g.entered, "the Flusher's sync after the roll")
	want = append(want, appendAll(t, l, w, 1, nil)...)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	g.Crash()
	g.released <- struct{}{}
	got := reopenAfterCrash(t, g.Mem)
	if n := checkPrefix(t, got, want); n != len(want) {
		t.Fatalf("after the power cut the log has %d batches; %d were flushed", n, len(want))
	}
}
