package coord

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Errors of the runtime.
var (
	ErrNotCoordinator = errors.New("not the coordinator for this partition") // NOT_COORDINATOR
	ErrLoadInProgress = errors.New("coordinator is loading the partition")   // COORDINATOR_LOAD_IN_PROGRESS
	// ErrWriteTimeout answers an operation whose records were not committed
	// within the runtime's write timeout. The records stay in the log and
	// may still commit; the client retries.
	ErrWriteTimeout = errors.New("coordinator write not committed within its timeout")
)

// Log is one partition of an internal topic that this node leads.
type Log interface {
	// Append writes records as one batch and returns the offset of the
	// last; it does not wait for followers.
	Append(ctx context.Context, records []record.Record) (last kafka.Offset, err error)
	// WaitForHighWatermark returns once the high watermark is at least
	// offset, or with ctx's error.
	WaitForHighWatermark(ctx context.Context, offset kafka.Offset) error
	// Replay calls fn for each record of the log, in order, up to its end
	// when the load starts: the records above the high watermark too,
	// which a new leader's log holds but its high watermark may not
	// cover yet.
	Replay(fn func(key, value []byte)) error
}

// State is the state machine of one partition. Every method is called as
// an operation of the partition's loop (on the loop's goroutine, or on a
// caller's that runs its operation itself while the loop is idle: Call),
// one at a time, so it needs no lock.
type State interface {
	// Replay applies one record: when the partition loads, and after each
	// Append of an operation, the same way.
	Replay(key, value []byte)
	// Loaded is called once the load has replayed the whole partition,
	// before the first operation.
	Loaded()
	// Unloaded is called last, when the partition stops being ours: it
	// fails what waits on the state.
	Unloaded()
}

// Runtime runs the partitions of one internal topic that this node leads.
// It is safe for concurrent use.
type Runtime[S State] struct {
	clock    Clock
	logger   *slog.Logger
	newState func(p *Partition) S
	// writeTimeout bounds how long Call waits for an operation's records
	// to commit once the operation has run (0: until they commit or the
	// partition unloads).
	writeTimeout atomic.Int64

	mu         sync.RWMutex // guards the fields below
	partitions map[int32]*loop[S]
	closed     bool
	wg         sync.WaitGroup // the loops and their committers
}

// New returns a runtime that leads no partition yet. newState makes the
// empty state of a partition being loaded.
func New[S State](clock Clock, logger *slog.Logger, newState func(p *Partition) S) *Runtime[S] {
	return &Runtime[S]{clock: clock, logger: logger, newState: newState, partitions: map[int32]*loop[S]{}}
}

// SetWriteTimeout bounds how long Call waits, once its operation has run,
// for the records to commit: Kafka's coordinator runtime gives a write
// offsets.commit.timeout.ms (groups) or request.timeout.ms (transactions)
// before it answers a timeout. 0 waits without bound.
func (r *Runtime[S]) SetWriteTimeout(d time.Duration) { r.writeTimeout.Store(int64(d)) }

// Clock is the runtime's clock.
func (r *Runtime[S]) Clock() Clock { return r.clock }

// Load starts serving a partition: its loop replays log into a new state,
// and operations answer ErrLoadInProgress until that is done. A partition
// already loaded is unloaded first.
func (r *Runtime[S]) Load(partition int32, log Log) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if old, ok := r.partitions[partition]; ok {
		old.stop()
	}
	l := newLoop(r, partition, log)
	r.partitions[partition] = l
	r.wg.Add(2)
	go func() { defer r.wg.Done(); l.run() }()
	go func() { defer r.wg.Done(); l.commit() }()
}

// Unload stops serving a partition: its loop ends, its timers stop, its
// state is dropped and operations waiting on it fail with ErrNotCoordinator.
func (r *Runtime[S]) Unload(partition int32) {
	r.mu.Lock()
	l, ok := r.partitions[partition]
	delete(r.partitions, partition)
	r.mu.Unlock()
	if ok {
		l.stop()
	}
}

// Close unloads every partition and waits for their goroutines.
func (r *Runtime[S]) Close() {
	r.mu.Lock()
	r.closed = true
	loops := r.partitions
	r.partitions = map[int32]*loop[S]{}
	r.mu.Unlock()
	for _, l := range loops {
		l.stop()
	}
	r.wg.Wait()
}

// Partitions returns the partitions this runtime serves, loaded or not.
func (r *Runtime[S]) Partitions() []int32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]int32, 0, len(r.partitions))
	for p := range r.partitions {
		out = append(out, p)
	}
	return out
}

// Call runs op on the loop of partition and returns its answer once every
// record the loop had appended when op ended, op's own included, is
// committed. It fails with ErrNotCoordinator when the partition is not
// served here (or stops being served before the answer), with
// ErrLoadInProgress while it loads, with ErrWriteTimeout when the records
// are not committed within the write timeout (SetWriteTimeout) of op's
// end, and with ctx's error.
func Call[S State, R any](ctx context.Context, r *Runtime[S], partition int32, op func(S) R) (R, error) {
	type answer struct {
		r   R
		err error
	}
	ch, ran := make(chan answer, 1), make(chan struct{})
	p, err := r.submitOrRun(partition, func(s S, p *Partition) {
		res := op(s)
		p.OnCommit(func(err error) { ch <- answer{res, err} })
		close(ran)
	})
	var zero R
	if err != nil {
		return zero, err
	}
	var expired chan struct{} // nil until op has run and its answer waits
	for {
		select {
		case a := <-ch:
			return a.r, a.err
		case <-ran:
			ran = nil
			select {
			case a := <-ch:
				return a.r, a.err
			default:
			}
			if d := time.Duration(r.writeTimeout.Load()); d > 0 {
				expired = make(chan struct{})
				t := r.clock.AfterFunc(d, func() { close(expired) })
				defer t.Stop()
			}
		case <-expired:
			select {
			case a := <-ch:
				return a.r, a.err
			default:
				return zero, ErrWriteTimeout
			}
		case <-p.done:
			select {
			case a := <-ch:
				return a.r, a.err
			default:
				return zero, ErrNotCoordinator
			}
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// Submit queues op to run on the loop of partition; it does not wait for
// it. An op that has been queued and not run when the partition unloads
// is dropped.
func (r *Runtime[S]) Submit(partition int32, op func(S)) error {
	_, err := r.submit(partition, func(s S, _ *Partition) { op(s) })
	return err
}

// submitOrRun is submit, but runs op on the caller's goroutine when the
// loop has nothing queued (Partition.runHere).
func (r *Runtime[S]) submitOrRun(partition int32, op func(S, *Partition)) (*Partition, error) {
	r.mu.RLock()
	l, ok := r.partitions[partition]
	r.mu.RUnlock()
	if ok && l.p.loaded.Load() {
		ran, err := l.p.runHere(func() { op(l.state, l.p) })
		if err != nil || ran {
			return l.p, err
		}
	}
	return r.submit(partition, op)
}

func (r *Runtime[S]) submit(partition int32, op func(S, *Partition)) (*Partition, error) {
	r.mu.RLock()
	l, ok := r.partitions[partition]
	r.mu.RUnlock()
	switch {
	case !ok || l.p.ctx.Err() != nil:
		return nil, ErrNotCoordinator
	case !l.p.loaded.Load():
		return nil, ErrLoadInProgress
	}
	return l.p, l.p.enqueue(func() { op(l.state, l.p) })
}

// Each runs op on the loop of every loaded partition, one after the other,
// and returns once all have run and what they wrote is committed. It reports ErrLoadInProgress if a
// partition was still loading (op does not run on it).
func (r *Runtime[S]) Each(op func(S)) error {
	r.mu.RLock()
	loops := make([]*loop[S], 0, len(r.partitions))
	for _, l := range r.partitions {
		loops = append(loops, l)
	}
	r.mu.RUnlock()
	var loadErr error
	for _, l := range loops {
		if !l.p.loaded.Load() {
			loadErr = ErrLoadInProgress
			continue
		}
		done := make(chan struct{})
		run := func() {
			op(l.state)
			l.p.OnCommit(func(error) { close(done) })
		}
		if err := l.p.enqueue(run); err != nil {
			continue
		}
		select {
		case <-done:
		case <-l.p.ctx.Done():
		}
	}
	return loadErr
}
