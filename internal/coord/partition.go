package coord

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Partition is the handle an operation uses on its partition's loop: the
// write path, commit callbacks and timers. Its methods, except where a
// comment says otherwise, may be called only on the loop.
type Partition struct {
	id    int32
	log   Log
	clock Clock

	ctx    context.Context // ends when the partition unloads
	cancel context.CancelFunc
	ops    chan func()
	done   chan struct{} // closed when the loop has exited
	loaded atomic.Bool
	// exec is held while an operation runs: by the loop, or by a caller
	// of Call that runs its operation itself when nothing is queued
	// (queued counts the operations handed to the loop and not run yet),
	// which spares the two goroutine switches of a round trip through
	// the loop. exited, under exec, is set once the loop has unloaded.
	exec   sync.Mutex
	queued atomic.Int64
	exited bool

	// committed is the highest offset known to be below the high
	// watermark; written by the committer, read by the loop.
	committed atomic.Int64

	lastWritten kafka.Offset            // the last offset this loop appended; -1 for none (loop only)
	replay      func(key, value []byte) // the state's Replay (loop only)
	timers      map[*timer]struct{}     // armed timers, stopped at unload (loop only)

	mu         sync.Mutex    // guards the fields below
	waiting    []commitWait  // callbacks in offset order, for the committer
	committing bool          // the committer holds a callback it has not called yet
	wake       chan struct{} // one slot: waiting has grown
}

// commitWait is a callback waiting for offset to be committed.
type commitWait struct {
	offset kafka.Offset
	fn     func(error)
}

// loop is a partition and its state.
type loop[S State] struct {
	r     *Runtime[S]
	p     *Partition
	state S
}

func newLoop[S State](r *Runtime[S], id int32, log Log) *loop[S] {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Partition{
		id: id, log: log, clock: r.clock, ctx: ctx, cancel: cancel,
		ops: make(chan func(), 64), done: make(chan struct{}), wake: make(chan struct{}, 1),
		lastWritten: -1, timers: map[*timer]struct{}{},
	}
	p.committed.Store(-1)
	l := &loop[S]{r: r, p: p, state: r.newState(p)}
	p.replay = l.state.Replay
	return l
}

// ID is the partition number.
func (p *Partition) ID() int32 { return p.id }

// Now is the runtime clock's time; safe anywhere.
func (p *Partition) Now() time.Time { return p.clock.Now() }

// Append writes records to the log and, once written, replays them into
// the state. The answers of the operation and of every later one are held
// until the high watermark passes them. An error means nothing was written
// (or, for an error after the write, that the partition is being lost).
func (p *Partition) Append(records []record.Record) error {
	if len(records) == 0 {
		return nil
	}
	last, err := p.log.Append(p.ctx, records)
	if err != nil {
		return err
	}
	p.lastWritten = last
	for _, r := range records {
		p.replay(r.Key, r.Value)
	}
	return nil
}

// Written tells the runtime that the operation wrote records up to last
// by another path than Append (a transactional batch, which the state
// must not replay as it is written): answers are held until it is
// committed, as for Append's records.
func (p *Partition) Written(last kafka.Offset) { p.lastWritten = max(p.lastWritten, last) }

// OnCommit calls fn once every record appended so far is committed, or
// with ErrNotCoordinator when the partition unloads first. With nothing
// pending fn runs at once, on the loop; otherwise it runs on the
// committer's goroutine. Either way it must not touch the state: it only
// hands answers over (a send on a buffered channel, say).
func (p *Partition) OnCommit(fn func(error)) {
	if p.lastWritten <= kafka.Offset(p.committed.Load()) || p.committedNow() {
		fn(nil)
		return
	}
	p.mu.Lock()
	p.waiting = append(p.waiting, commitWait{offset: p.lastWritten, fn: fn})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Committed reports whether every record the loop appended so far is
// committed already, so that what depends on it may go ahead on the loop
// without waiting for the committer.
func (p *Partition) Committed() bool {
	return p.lastWritten <= kafka.Offset(p.committed.Load()) || p.committedNow()
}

// HighWatermarker is a Log that can tell its high watermark without
// waiting. With it, the loop answers a write that is already committed
// itself (on one node, every write is committed once appended) instead of
// handing the answer to the committer.
type HighWatermarker interface {
	HighWatermark() kafka.Offset
}

// committedNow reports whether the log's high watermark is past every
// record the loop appended, when no earlier answer waits for the committer.
func (p *Partition) committedNow() bool {
	hwm, ok := p.log.(HighWatermarker)
	if !ok || hwm.HighWatermark() <= p.lastWritten {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiting) > 0 || p.committing {
		return false
	}
	storeMax(&p.committed, int64(p.lastWritten))
	return true
}

// AfterFunc arms a timer whose f runs as an operation on the loop, unless
// the timer is stopped first or the partition unloads.
func (p *Partition) AfterFunc(d time.Duration, f func()) Timer {
	t := &timer{p: p, f: f}
	p.timers[t] = struct{}{}
	t.t = p.clock.AfterFunc(d, func() { _ = p.enqueue(t.fire) })
	return t
}

// timer is a clock timer whose callback is an operation.
type timer struct {
	p       *Partition
	t       Timer
	f       func()
	stopped bool // loop only
}

func (t *timer) fire() {
	if t.stopped {
		return
	}
	t.stopped = true
	delete(t.p.timers, t)
	t.f()
}

// Stop prevents f from running; call it on the loop.
func (t *timer) Stop() bool {
	if t.stopped {
		return false
	}
	t.stopped = true
	delete(t.p.timers, t)
	t.t.Stop()
	return true
}

// enqueue hands op to the loop, or fails once the partition has unloaded.
func (p *Partition) enqueue(op func()) error {
	p.queued.Add(1)
	select {
	case p.ops <- op:
		return nil
	case <-p.ctx.Done():
		p.queued.Add(-1)
		return ErrNotCoordinator
	}
}

// runHere runs op on the caller's goroutine, as an operation of the loop,
// when no operation is queued or running; it reports whether it did.
// Operations keep their order: one queued before runs before.
func (p *Partition) runHere(op func()) (ran bool, err error) {
	if p.queued.Load() != 0 || !p.exec.TryLock() {
		return false, nil
	}
	defer p.exec.Unlock()
	switch {
	case p.exited || p.ctx.Err() != nil:
		return false, ErrNotCoordinator
	case p.queued.Load() != 0:
		return false, nil
	}
	op()
	return true, nil
}

func (l *loop[S]) stop() { l.p.cancel() }

// run is the partition's loop: it loads, then runs operations until the
// partition unloads.
func (l *loop[S]) run() {
	p := l.p
	defer close(p.done)
	start := time.Now()
	if err := p.log.Replay(l.state.Replay); err != nil {
		l.r.logger.Error("cannot load coordinator partition", "partition", p.id, "err", err)
		<-p.ctx.Done()
		return
	}
	if p.ctx.Err() != nil {
		return
	}
	p.exec.Lock()
	l.state.Loaded()
	p.loaded.Store(true)
	p.exec.Unlock()
	l.r.logger.Debug("coordinator partition loaded", "partition", p.id, "took", time.Since(start).Round(time.Millisecond))
	for {
		select {
		case op := <-p.ops:
			p.exec.Lock()
			op()
			p.queued.Add(-1)
			p.exec.Unlock()
		case <-p.ctx.Done():
			p.exec.Lock()
			p.exited = true
			l.unload()
			p.exec.Unlock()
			return
		}
	}
}

func (l *loop[S]) unload() {
	for t := range l.p.timers {
		t.Stop()
	}
	l.state.Unloaded()
}

// commit is the partition's committer: it waits, in order, for the high
// watermark to pass each offset that callbacks wait on, off the loop, so
// the loop goes on serving while a write replicates.
func (l *loop[S]) commit() {
	p := l.p
	for {
		select {
		case <-p.wake:
		case <-p.ctx.Done():
			<-p.done // the loop adds no waiter after it exits
			p.failWaiting()
			return
		}
		for {
			w, ok := p.nextWaiting()
			if !ok {
				break
			}
			w.fn(p.waitFor(w.offset))
			p.mu.Lock()
			p.committing = false
			p.mu.Unlock()
		}
	}
}

// waitFor waits until offset is committed.
func (p *Partition) waitFor(offset kafka.Offset) error {
	if offset <= kafka.Offset(p.committed.Load()) {
		return nil
	}
	if err := p.log.WaitForHighWatermark(p.ctx, offset+1); err != nil {
		return fmt.Errorf("%w: %v", ErrNotCoordinator, err)
	}
	storeMax(&p.committed, int64(offset))
	return nil
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func (p *Partition) nextWaiting() (commitWait, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiting) == 0 {
		return commitWait{}, false
	}
	w := p.waiting[0]
	p.waiting = p.waiting[1:]
	p.committing = true
	return w, true
}

func (p *Partition) failWaiting() {
	p.mu.Lock()
	ws := p.waiting
	p.waiting = nil
	p.mu.Unlock()
	for _, w := range ws {
		w.fn(ErrNotCoordinator)
	}
}
