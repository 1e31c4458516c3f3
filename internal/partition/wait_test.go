package partition

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// twoReplicas opens node 1 leading with node 2 in its ISR, so that the
// high watermark moves only when the test reports node 2's progress.
func twoReplicas(t *testing.T) *Partition {
	return openAs(t, 1, Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1, 2}, Replicas: []kafka.NodeID{1, 2}})
}

// TestWaitReturnsWhenHighWatermarkPasses proves that a waiter returns nil
// only once the high watermark reaches its offset, and at once when it
// already has (acks=all on a single node).
func TestWaitReturnsWhenHighWatermarkPasses(t *testing.T) {
	single := openAs(t, 1, soleLeader)
	res := appendN(t, single, 4)
	if err := single.WaitForHighWatermark(context.Background(), res.LastOffset+1); err != nil || res.LastOffset != 3 {
		t.Fatalf("single node: last offset %d, wait %v", res.LastOffset, err)
	}
	p := twoReplicas(t)
	res = appendN(t, p, 4)
	done := make(chan error, 1)
	go func() { done <- p.WaitForHighWatermark(context.Background(), res.LastOffset+1) }()
	p.UpdateFollower(2, 3, time.Now())
	select {
	case err := <-done:
		t.Fatalf("returned at high watermark 3 waiting for 4: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	p.UpdateFollower(2, 4, time.Now())
	if err := within(t, done); err != nil {
		t.Fatalf("high watermark passed: %v", err)
	}
}

// within returns what done delivers, failing the test after a second.
func within(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		t.Fatal("the wait did not return")
		return nil
	}
}

// TestWaitEndsWithContext proves that a wait the high watermark never
// satisfies returns the context's error and leaves no waiter behind.
func TestWaitEndsWithContext(t *testing.T) {
	p := twoReplicas(t)
	appendN(t, p, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.WaitForHighWatermark(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timed out wait: %v", err)
	}
	if n := waiting(p); n != 0 {
		t.Fatalf("%d waiters left after the timeout", n)
	}
}

// TestWaitEndsWhenLeadershipIsLost proves that waiters fail with
// ErrNotLeader when the replica becomes a follower, and that a follower
// cannot be waited on.
func TestWaitEndsWhenLeadershipIsLost(t *testing.T) {
	p := twoReplicas(t)
	appendN(t, p, 1)
	done := make(chan error, 1)
	go func() { done <- p.WaitForHighWatermark(context.Background(), 1) }()
	for waiting(p) == 0 {
		runtime.Gosched()
	}
	p.SetRole(Role{Leader: 2, LeaderEpoch: 2, ISR: []kafka.NodeID{2}})
	if err := within(t, done); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("wait across a leadership loss: %v", err)
	}
	if err := p.WaitForHighWatermark(context.Background(), 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("wait on a follower: %v", err)
	}
}

// TestManyWaiters proves that many waiters on different offsets each return
// exactly when the high watermark reaches theirs, and that waits ended by
// their context leave no goroutine or waiter behind.
func TestManyWaiters(t *testing.T) {
	p := twoReplicas(t)
	appendN(t, p, 100)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	returned := make([]kafka.Offset, 101) // the high watermark each waiter saw on return
	for i := 1; i <= 100; i++ {
		wg.Go(func() {
			if err := p.WaitForHighWatermark(context.Background(), kafka.Offset(i)); err != nil {
				t.Errorf("waiter %d: %v", i, err)
			}
			returned[i] = kafka.Offset(p.HighWatermark())
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled sync.WaitGroup
	for range 50 {
		cancelled.Go(func() { p.WaitForHighWatermark(ctx, 1000) })
	}
	for waiting(p) < 150 {
		runtime.Gosched()
	}
	for hw := kafka.Offset(10); hw <= 100; hw += 10 {
		p.UpdateFollower(2, hw, time.Now())
	}
	wg.Wait()
	for i := 1; i <= 100; i++ {
		if returned[i] < kafka.Offset(i) {
			t.Fatalf("waiter %d returned at high watermark %d", i, returned[i])
		}
	}
	cancel()
	cancelled.Wait()
	if n := waiting(p); n != 0 {
		t.Fatalf("%d waiters left", n)
	}
	for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after the waits, %d before", n, before)
	}
}

func waiting(p *Partition) int {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	return len(p.waiters)
}
