package storage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// maxParallelSyncs bounds the logs a Flusher fsyncs at once: fsyncs of
// different files overlap on the device, but not without limit.
const maxParallelSyncs = 16

// Flusher fsyncs logs off their append path: a log asks for a sync when a
// roll seals a segment (Kafka flushes a rolled segment in the background,
// then advances the recovery point to the new segment). A sync covers the
// log up to the end it finds and wakes every WaitDurable it covered. Each
// log has at most one sync running, the Flusher's or a waiter's (see
// Log.WaitDurable), and logs sync independently of each other, so a slow
// fsync of one file holds back only its own log. Safe for concurrent use;
// Run owns the goroutines.
type Flusher struct {
	logger *slog.Logger
	kick   chan struct{} // one slot: pending may hold a log to start

	mu      sync.Mutex        // guards the fields below
	pending map[*Log]struct{} // asked for a sync not started yet
	running map[*Log]struct{} // a sync in progress
}

// NewFlusher returns a Flusher that does nothing until Run.
func NewFlusher(logger *slog.Logger) *Flusher {
	return &Flusher{logger: logger, kick: make(chan struct{}, 1),
		pending: map[*Log]struct{}{}, running: map[*Log]struct{}{}}
}

// request asks for a sync of l that starts after this call.
func (f *Flusher) request(l *Log) {
	f.mu.Lock()
	f.pending[l] = struct{}{}
	f.mu.Unlock()
	f.signal()
}

func (f *Flusher) signal() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run starts the syncs logs ask for, at most maxParallelSyncs at once,
// until ctx is done; it returns once the syncs it started have ended.
func (f *Flusher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxParallelSyncs)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.kick:
		}
		for _, l := range f.startable() {
			select {
			case <-ctx.Done():
				return nil
			case slots <- struct{}{}:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.sync(l)
				<-slots
			}()
		}
	}
}

// startable moves the pending logs with no sync running to running.
func (f *Flusher) startable() []*Log {
	f.mu.Lock()
	defer f.mu.Unlock()
	var logs []*Log
	for l := range f.pending {
		if _, busy := f.running[l]; !busy {
			delete(f.pending, l)
			f.running[l] = struct{}{}
			logs = append(logs, l)
		}
	}
	return logs
}

// sync runs one sync of l, then lets Run start what waited for it.
func (f *Flusher) sync(l *Log) {
	if err := l.syncBackground(); err != nil && !errors.Is(err, ErrClosed) {
		f.logger.Error("fsync log", "dir", l.Dir(), "error", err)
	}
	f.mu.Lock()
	delete(f.running, l)
	again := len(f.pending) > 0
	f.mu.Unlock()
	if again {
		f.signal()
	}
}
