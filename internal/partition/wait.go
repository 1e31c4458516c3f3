package partition

import (
	"context"
	"fmt"

	"gregor/internal/kafka"
)

// waiter is one WaitForHighWatermark call: done receives nil once the high
// watermark reaches offset, or the error that ends the wait.
type waiter struct {
	offset kafka.Offset
	done   chan error // buffered: the sender never blocks
}

// WaitForHighWatermark returns nil once HighWatermark() >= offset (acks=all
// for a batch whose last offset is L waits for L+1), ctx.Err() when ctx
// ends first, and ErrNotLeader when this replica does not lead or stops
// leading meanwhile. It is the one waiting primitive of the partition:
// acks=all and the coordinators use it; fetch long-polls use Watch.
func (p *Partition) WaitForHighWatermark(ctx context.Context, offset kafka.Offset) error {
	w, err := p.addWaiter(offset)
	if w == nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		if !p.removeWaiter(w) {
			return <-w.done // fired meanwhile: the answer is there
		}
		return ctx.Err()
	}
}

// addWaiter registers a waiter for offset, or returns nil and the answer
// when there is nothing to wait for. The checks and the registration
// happen under waitMu, which fireWaiters and failWaiters also hold after
// publishing the high watermark or the role, so no wake-up is lost.
func (p *Partition) addWaiter(offset kafka.Offset) (*waiter, error) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	switch {
	case !p.leading.Load():
		return nil, fmt.Errorf("%w: %s", ErrNotLeader, p.TP)
	case kafka.Offset(p.highWatermark.Load()) >= offset:
		return nil, nil
	}
	w := &waiter{offset: offset, done: make(chan error, 1)}
	p.waiters = append(p.waiters, w)
	return w, nil
}

// removeWaiter drops w and reports whether it was still waiting.
func (p *Partition) removeWaiter(w *waiter) bool {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// fireWaiters answers the waiters that hw satisfies.
func (p *Partition) fireWaiters(hw kafka.Offset) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.offset <= hw {
			w.done <- nil
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.waiters[len(kept):])
	p.waiters = kept
}

// failWaiters ends every wait with err.
func (p *Partition) failWaiters(err error) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	for _, w := range p.waiters {
		w.done <- err
	}
	p.waiters = nil
}

// Watch registers ch to receive a non-blocking send whenever the log end
// offset or the high watermark moves (a fetch long-poll reads again). ch
// should have a buffer of one.
func (p *Partition) Watch(ch chan<- struct{}) {
	p.waitMu.Lock()
	p.watchers[ch] = struct{}{}
	p.waitMu.Unlock()
}

// Unwatch removes ch.
func (p *Partition) Unwatch(ch chan<- struct{}) {
	p.waitMu.Lock()
	delete(p.watchers, ch)
	p.waitMu.Unlock()
}

func (p *Partition) notify() {
	p.waitMu.Lock()
	for ch := range p.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.waitMu.Unlock()
}

// FlushesBeforeAck reports whether acknowledgements wait for WaitDurable
// (gregor.flush.before.ack).
func (p *Partition) FlushesBeforeAck() bool { return p.cfg.Load().FlushBeforeAck }

// WaitDurable returns once the local log has every batch below offset on
// stable storage, when the partition acknowledges only what is fsynced
// (FlushesBeforeAck); otherwise at once. Concurrent waits, on this
// partition and others, share fsyncs (group commit). Errors are ctx's or
// the log's failed fsync.
func (p *Partition) WaitDurable(ctx context.Context, offset kafka.Offset) error {
	if !p.FlushesBeforeAck() {
		return nil
	}
	return p.log.WaitDurable(ctx, offset)
}
