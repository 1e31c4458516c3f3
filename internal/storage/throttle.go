package storage

import (
	"context"
	"math"
	"sync"
	"time"
)

// ioThrottler bounds the log cleaner's I/O (log.cleaner.io.max.bytes.per.second)
// as Kafka's Throttler does: it counts the bytes every cleaner thread reads
// and writes and, once a check interval has passed, if the rate over it
// was above the limit, sleeps as long as brings it down to the limit. The
// sleep holds the throttler, so all threads share the limit. Safe for
// concurrent use.
type ioThrottler struct {
	mu       sync.Mutex
	rate     float64 // bytes per second; +Inf: none
	start    time.Time
	observed float64
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration)
}

// ioCheckInterval is how often the throttler compares the rate with the
// limit (Kafka's 300 ms).
const ioCheckInterval = 300 * time.Millisecond

func newIOThrottler(now func() time.Time) *ioThrottler {
	return &ioThrottler{rate: math.Inf(1), now: now, start: now(), sleep: sleepCtx}
}

// setRate sets the limit; zero, negative, +Inf or math.MaxFloat64 (Kafka's
// default) mean none.
func (t *ioThrottler) setRate(bytesPerSecond float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if bytesPerSecond <= 0 || bytesPerSecond >= math.MaxFloat64 {
		bytesPerSecond = math.Inf(1)
	}
	t.rate = bytesPerSecond
}

// throttle counts n bytes of cleaner I/O and sleeps if they take the rate
// over the limit; it returns early when ctx ends.
func (t *ioThrottler) throttle(ctx context.Context, n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if math.IsInf(t.rate, 1) {
		return
	}
	t.observed += float64(n)
	elapsed := t.now().Sub(t.start)
	if elapsed <= ioCheckInterval || t.observed <= 0 {
		return
	}
	if t.observed/elapsed.Seconds() > t.rate {
		if d := time.Duration(t.observed/t.rate*float64(time.Second)) - elapsed; d > 0 {
			t.sleep(ctx, d)
		}
	}
	t.start, t.observed = t.now(), 0
}

func sleepCtx(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}
