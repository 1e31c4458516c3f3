package coord

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// fakeLog is an in-memory log whose high watermark moves only when the
// test says so.
type fakeLog struct {
	mu       sync.Mutex
	recs     []record.Record
	hw       kafka.Offset
	moved    chan struct{} // closed and replaced when hw moves
	loadGate chan struct{} // Replay waits for it when set
	waits    int           // calls of WaitForHighWatermark
}

func newFakeLog(recs ...record.Record) *fakeLog {
	return &fakeLog{recs: recs, hw: kafka.Offset(len(recs)), moved: make(chan struct{})}
}

func (l *fakeLog) Append(_ context.Context, recs []record.Record) (kafka.Offset, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, recs...)
	return kafka.Offset(len(l.recs) - 1), nil
}

func (l *fakeLog) WaitForHighWatermark(ctx context.Context, offset kafka.Offset) error {
	l.mu.Lock()
	l.waits++
	l.mu.Unlock()
	for {
		l.mu.Lock()
		hw, moved := l.hw, l.moved
		l.mu.Unlock()
		if hw >= offset {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *fakeLog) Replay(fn func(key, value []byte)) error {
	if l.loadGate != nil {
		<-l.loadGate
	}
	l.mu.Lock()
	recs := l.recs[:l.hw]
	l.mu.Unlock()
	for _, r := range recs {
		fn(r.Key, r.Value)
	}
	return nil
}

// HighWatermark lets the loop answer committed writes itself.
func (l *fakeLog) HighWatermark() kafka.Offset {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hw
}

// commitAll moves the high watermark to the log end offset.
func (l *fakeLog) commitAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hw = kafka.Offset(len(l.recs))
	close(l.moved)
	l.moved = make(chan struct{})
}

func (l *fakeLog) appended() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// kv is a state machine: the last value of each key.
type kv struct {
	p        *Partition
	values   map[string]string
	loaded   bool
	unloaded chan struct{}
}

func (s *kv) Replay(key, value []byte) { s.values[string(key)] = string(value) }
func (s *kv) Loaded()                  { s.loaded = true }
func (s *kv) Unloaded()                { close(s.unloaded) }

// put writes key=value and answers the value it replaced.
func (s *kv) put(key, value string) string {
	old := s.values[key]
	if err := s.p.Append([]record.Record{{Key: []byte(key), Value: []byte(value)}}); err != nil {
		return "error: " + err.Error()
	}
	return old
}

type harness struct {
	rt     *Runtime[*kv]
	clock  *ManualClock
	states chan *kv
}

func newHarness(t *testing.T) *harness {
	h := &harness{clock: NewManualClock(time.Unix(1000, 0)), states: make(chan *kv, 4)}
	h.rt = New(h.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), func(p *Partition) *kv {
		s := &kv{p: p, values: map[string]string{}, unloaded: make(chan struct{})}
		h.states <- s
		return s
	})
	t.Cleanup(h.rt.Close)
	return h
}

// load loads partition 0 over log and waits until it serves.
func (h *harness) load(t *testing.T, log *fakeLog) *kv {
	t.Helper()
	h.rt.Load(0, log)
	s := <-h.states
	deadline := time.Now().Add(5 * time.Second)
	for h.rt.Submit(0, func(*kv) {}) != nil {
		if time.Now().After(deadline) {
			t.Fatal("partition did not load")
		}
		time.Sleep(time.Millisecond)
	}
	return s
}

func callAsync[R any](rt *Runtime[*kv], op func(*kv) R) <-chan R {
	ch := make(chan R, 1)
	go func() {
		r, err := Call(context.Background(), rt, 0, op)
		if err != nil {
			var zero R
			ch <- zero
			return
		}
		ch <- r
	}()
	return ch
}

// TestReplyWaitsForHighWatermark proves that a write is answered only once
// the high watermark has passed its records.
func TestReplyWaitsForHighWatermark(t *testing.T) {
	h := newHarness(t)
	log := newFakeLog()
	h.load(t, log)
	got := callAsync(h.rt, func(s *kv) string { return s.put("a", "1") + "|" })
	waitFor(t, func() bool { return log.appended() == 1 })
	select {
	case r := <-got:
		t.Fatalf("answered %q before the high watermark passed the write", r)
	case <-time.After(50 * time.Millisecond):
	}
	log.commitAll()
	if r := <-got; r != "|" {
		t.Fatalf("answer %q, want %q", r, "|")
	}
}

// TestLoopServesWhileWriteWaits proves that the loop runs later operations
// (which see the pending write, in order) while an earlier write waits for
// the high watermark, and answers them in order once it passes.
func TestLoopServesWhileWriteWaits(t *testing.T) {
	h := newHarness(t)
	log := newFakeLog()
	h.load(t, log)
	first := callAsync(h.rt, func(s *kv) string { return s.put("a", "1") })
	waitFor(t, func() bool { return log.appended() == 1 })
	second := callAsync(h.rt, func(s *kv) string { return s.put("a", "2") })
	waitFor(t, func() bool { return log.appended() == 2 })
	ran := make(chan string, 1)
	if err := h.rt.Submit(0, func(s *kv) { ran <- s.values["a"] }); err != nil {
		t.Fatal(err)
	}
	if v := <-ran; v != "2" {
		t.Fatalf("a later operation saw a=%q, want the pending writes applied in order (2)", v)
	}
	select {
	case <-first:
		t.Fatal("first write answered before commit")
	case <-second:
		t.Fatal("second write answered before commit")
	case <-time.After(20 * time.Millisecond):
	}
	log.commitAll()
	if a, b := <-first, <-second; a != "" || b != "1" {
		t.Fatalf("answers %q, %q; want \"\", \"1\"", a, b)
	}
}

// TestLoadReplaysThenServes proves that a partition answers
// ErrLoadInProgress until its records are replayed, then serves the
// replayed state.
func TestLoadReplaysThenServes(t *testing.T) {
	h := newHarness(t)
	log := newFakeLog(record.Record{Key: []byte("a"), Value: []byte("1")}, record.Record{Key: []byte("a"), Value: []byte("2")})
	log.loadGate = make(chan struct{})
	h.rt.Load(0, log)
	<-h.states
	if _, err := Call(context.Background(), h.rt, 0, func(s *kv) string { return "" }); !errors.Is(err, ErrLoadInProgress) {
		t.Fatalf("during load: err %v, want ErrLoadInProgress", err)
	}
	close(log.loadGate)
	waitFor(t, func() bool { return h.rt.Submit(0, func(*kv) {}) == nil })
	got, err := Call(context.Background(), h.rt, 0, func(s *kv) string {
		if !s.loaded {
			return "not loaded"
		}
		return s.values["a"]
	})
	if err != nil || got != "2" {
		t.Fatalf("after load: %q, %v; want \"2\"", got, err)
	}
}

// TestUnloadFailsPendingAndDropsState proves that unloading fails a write
// still waiting for the high watermark with ErrNotCoordinator, tells the
// state, and that the partition is no longer served.
func TestUnloadFailsPendingAndDropsState(t *testing.T) {
	h := newHarness(t)
	log := newFakeLog()
	s := h.load(t, log)
	errs := make(chan error, 1)
	go func() {
		_, err := Call(context.Background(), h.rt, 0, func(s *kv) string { return s.put("a", "1") })
		errs <- err
	}()
	waitFor(t, func() bool { return log.appended() == 1 })
	h.rt.Unload(0)
	if err := <-errs; !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("pending write: err %v, want ErrNotCoordinator", err)
	}
	<-s.unloaded
	if err := h.rt.Submit(0, func(*kv) {}); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("after unload: err %v, want ErrNotCoordinator", err)
	}
	log.commitAll()
	s2 := h.load(t, log)
	if s2 == s || s2.values["a"] != "1" {
		t.Fatalf("reload: got the old state or lost the committed write: %v", s2.values)
	}
}

// TestTimersFireThroughClockOnLoop proves that timers fire when the
// injected clock passes their deadline, as operations on the loop, and
// that a stopped timer or one of an unloaded partition never fires.
func TestTimersFireThroughClockOnLoop(t *testing.T) {
	h := newHarness(t)
	h.load(t, newFakeLog())
	fired := make(chan string, 3)
	var stopMe Timer
	if err := h.rt.Submit(0, func(s *kv) {
		s.p.AfterFunc(time.Second, func() { s.values["t"] = "fired"; fired <- "one" })
		stopMe = s.p.AfterFunc(time.Second, func() { fired <- "stopped" })
		s.p.AfterFunc(time.Hour, func() { fired <- "unloaded" })
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := Call(context.Background(), h.rt, 0, func(s *kv) bool { return stopMe.Stop() }); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(999 * time.Millisecond)
	select {
	case f := <-fired:
		t.Fatalf("%s fired early", f)
	case <-time.After(20 * time.Millisecond):
	}
	h.clock.Advance(time.Millisecond)
	if f := <-fired; f != "one" {
		t.Fatalf("fired %s, want one", f)
	}
	v, _ := Call(context.Background(), h.rt, 0, func(s *kv) string { return s.values["t"] })
	if v != "fired" {
		t.Fatalf("timer's change not seen on the loop: %q", v)
	}
	h.rt.Unload(0)
	h.clock.Advance(2 * time.Hour)
	select {
	case f := <-fired:
		t.Fatalf("%s fired", f)
	case <-time.After(20 * time.Millisecond):
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCommittedWriteAnsweredByLoop proves that a write the high watermark
// has already passed when the operation ends is answered by the loop
// itself, without a wait for the high watermark.
func TestCommittedWriteAnsweredByLoop(t *testing.T) {
	h := newHarness(t)
	log := newFakeLog()
	h.load(t, log)
	got, err := Call(context.Background(), h.rt, 0, func(s *kv) string {
		old := s.put("a", "1")
		log.commitAll()
		return old + "|" + s.values["a"]
	})
	if err != nil || got != "|1" {
		t.Fatalf("got %q, %v", got, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.waits != 0 {
		t.Fatalf("%d waits for the high watermark, want none", log.waits)
	}
}

// TestWriteTimeout proves that a write whose records are not committed
// within the write timeout of its operation answers ErrWriteTimeout, as
// Kafka's coordinator answers REQUEST_TIMED_OUT after
// offsets.commit.timeout.ms, while the write stays applied and later
// operations are served.
func TestWriteTimeout(t *testing.T) {
	h := newHarness(t)
	h.rt.SetWriteTimeout(5 * time.Second)
	log := newFakeLog()
	h.load(t, log)
	errc := make(chan error, 1)
	go func() {
		_, err := Call(context.Background(), h.rt, 0, func(s *kv) string { return s.put("a", "1") })
		errc <- err
	}()
	waitFor(t, func() bool { return log.appended() == 1 && h.clock.Pending() == 1 })
	h.clock.Advance(4900 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("answered %v before the write timeout", err)
	case <-time.After(50 * time.Millisecond):
	}
	h.clock.Advance(100 * time.Millisecond)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrWriteTimeout) {
			t.Fatalf("answer %v, want ErrWriteTimeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer after the write timeout")
	}
	log.commitAll()
	got, err := Call(context.Background(), h.rt, 0, func(s *kv) string { return s.values["a"] })
	if err != nil || got != "1" {
		t.Fatalf("after the timeout: a=%q (%v), want the write applied (1)", got, err)
	}
}
