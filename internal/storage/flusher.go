package storage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// maxParallelSyncs bounds the logs a Flusher round fsyncs at once: fsyncs
// of different files overlap on the device, but not without limit.
const maxParallelSyncs = 16

// Flusher fsyncs logs off their append path, in rounds. A log asks for a
// round when a roll seals a segment (Kafka flushes a rolled segment in the
// background, then advances the recovery point to the new segment) and
// when an acknowledgement waits for its append to reach stable storage
// (Log.WaitDurable). A round fsyncs each log that asked once, up to the log
// end it finds, and wakes every waiter whose offset that covered: appends
// that arrive while a round runs share the next round's fsync (group
// commit). Safe for concurrent use; Run is its one goroutine.
type Flusher struct {
	logger *slog.Logger
	kick   chan struct{} // one slot: pending is not empty

	mu      sync.Mutex // guards pending
	pending map[*Log]struct{}
}

// NewFlusher returns a Flusher that does nothing until Run.
func NewFlusher(logger *slog.Logger) *Flusher {
	return &Flusher{logger: logger, kick: make(chan struct{}, 1), pending: map[*Log]struct{}{}}
}

// request queues l for the next round.
func (f *Flusher) request(l *Log) {
	f.mu.Lock()
	f.pending[l] = struct{}{}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run runs rounds while logs ask for them, until ctx is done.
func (f *Flusher) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.kick:
		}
		f.round()
	}
}

// round fsyncs every pending log, several at a time.
func (f *Flusher) round() {
	f.mu.Lock()
	logs := f.pending
	f.pending = map[*Log]struct{}{}
	f.mu.Unlock()
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxParallelSyncs)
	for l := range logs {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := l.syncBackground(); err != nil && !errors.Is(err, ErrClosed) {
				f.logger.Error("fsync log", "dir", l.dir, "error", err)
			}
		}()
	}
	wg.Wait()
}
