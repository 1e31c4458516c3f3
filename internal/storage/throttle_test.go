package storage

import (
	"context"
	"math"
	"testing"
	"time"
)

// fakeIOClock is a clock that only sleeping moves, recording the sleeps.
type fakeIOClock struct {
	t     time.Time
	slept []time.Duration
}

func (c *fakeIOClock) throttler(rate float64) *ioThrottler {
	t := newIOThrottler(func() time.Time { return c.t })
	t.sleep = func(_ context.Context, d time.Duration) { c.slept = append(c.slept, d); c.t = c.t.Add(d) }
	t.setRate(rate)
	return t
}

// TestIOThrottler proves Kafka's Throttler as the cleaner uses it: no
// limit (Kafka's default, Double.MAX_VALUE) never sleeps; under the limit
// it does not either; over it, once a check interval has passed, it sleeps
// as long as brings the interval's rate down to the limit.
func TestIOThrottler(t *testing.T) {
	ctx := context.Background()
	c := &fakeIOClock{t: time.Unix(1000, 0)}
	unlimited := c.throttler(math.MaxFloat64)
	c.t = c.t.Add(time.Second)
	unlimited.throttle(ctx, 1<<30)
	if len(c.slept) != 0 {
		t.Fatalf("no limit slept %v", c.slept)
	}

	th := c.throttler(1000)
	th.throttle(ctx, 100) // within the first check interval: counted only
	c.t = c.t.Add(400 * time.Millisecond)
	th.throttle(ctx, 900) // 1000 bytes in 400 ms: 600 ms more make it 1000 B/s
	if len(c.slept) != 1 || c.slept[0] != 600*time.Millisecond {
		t.Fatalf("over the limit slept %v, want [600ms]", c.slept)
	}
	c.t = c.t.Add(time.Second)
	th.throttle(ctx, 500) // 500 bytes in a second: under the limit
	if len(c.slept) != 1 {
		t.Fatalf("under the limit slept %v", c.slept)
	}
	th.setRate(0)
	c.t = c.t.Add(time.Second)
	th.throttle(ctx, 1<<30)
	if len(c.slept) != 1 {
		t.Fatalf("a limit of 0 (none) slept %v", c.slept)
	}
}

// TestCompactionIsThrottled proves that a cleaning goes through the
// throttler: with log.cleaner.io.max.bytes.per.second at R, cleaning
// takes at least what it read and wrote divided by R (less the last check
// interval, not yet accounted for), and keeps what the model keeps.
func TestCompactionIsThrottled(t *testing.T) {
	dir, clk, cfg := t.TempDir(), newClock(), compactConfig()
	l, err := Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, w := newModel(), newCompactionWorkload(7, 40)
	w.append(t, l, m, 200, clk.now().UnixMilli())
	fake := &fakeIOClock{t: time.Unix(1000, 0)}
	const rate = 10_000 // bytes per second
	th := fake.throttler(rate)
	th.now = func() time.Time { fake.t = fake.t.Add(time.Millisecond); return fake.t } // the I/O itself takes time too
	start := fake.t
	r := l.cleanableRange(-1, clk.now())
	end, stats, err := l.compact(context.Background(), r, clk.now(), math.MaxInt64, th)
	if err != nil {
		t.Fatal(err)
	}
	took, least := fake.t.Sub(start), time.Duration(float64(stats.bytesRead+stats.bytesWritten)/rate*float64(time.Second))-ioCheckInterval
	t.Logf("read %d and wrote %d bytes in %v (at least %v) at %d B/s", stats.bytesRead, stats.bytesWritten, took, least, rate)
	if least < 2*time.Second || took < least {
		t.Fatalf("cleaning took %v, want at least %v", took, least)
	}
	m.clean(end, clk.now().UnixMilli(), cfg.DeleteRetentionMs)
	checkAgainstModel(t, l, m)
}
