package controller

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"gregor/internal/metadata"
)

// TestSnapshotTriggers proves KRaft's two snapshot triggers: no snapshot
// while the entries applied after the latest one hold fewer bytes than
// SnapshotBytes and SnapshotInterval has not passed; one once the
// interval passes on the injected clock (with entries pending), none again
// while nothing new is applied however long passes, and one at once when
// the byte limit is low. A restart loads the same image from it.
func TestSnapshotTriggers(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	checkpoints := func() []string {
		cps, _ := filepath.Glob(filepath.Join(dir, "*.checkpoint"))
		return cps
	}
	var published *metadata.Image
	publish := func(_, next *metadata.Image) { published = next }
	run := func(q Quorum) (*Controller, func()) {
		c, err := OpenQuorum(openLog(t, dir), q, threeBrokers, publish, now, logger)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		return c, func() { cancel(); <-done }
	}
	create := func(c *Controller, names ...string) {
		t.Helper()
		for _, name := range names {
			resp, err := c.Submit(context.Background(), CreateTopicsRequest{Topics: []TopicSpec{{Name: name, NumPartitions: 1, ReplicationFactor: 1}}})
			if err != nil || resp.(CreateTopicsResponse).Topics[0].Err != nil {
				t.Fatal(err, resp)
			}
		}
	}
	waitCheckpoints := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for len(checkpoints()) != n {
			if time.Now().After(deadline) {
				t.Fatalf("checkpoints %v, want %d", checkpoints(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	c, stop := run(Quorum{NodeID: 1, SnapshotBytes: 1 << 30, SnapshotInterval: time.Hour})
	if _, err := c.Submit(context.Background(), RegisterBrokerRequest{Broker: metadata.Broker{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	create(c, "a", "b", "c")
	advance(59 * time.Minute)
	time.Sleep(3 * tickInterval)
	if cps := checkpoints(); len(cps) != 0 {
		t.Fatalf("a snapshot before the interval or the byte limit: %v", cps)
	}
	advance(time.Minute)
	waitCheckpoints(1)
	first := checkpoints()[0]
	advance(2 * time.Hour)
	time.Sleep(3 * tickInterval)
	if cps := checkpoints(); len(cps) != 1 || cps[0] != first {
		t.Fatalf("a snapshot with nothing applied after the latest: %v", cps)
	}
	stop()

	c, stop = run(Quorum{NodeID: 1, SnapshotBytes: 1})
	if len(published.TopicNames()) != 3 {
		t.Fatalf("restarted with topics %v", published.TopicNames())
	}
	create(c, "d")
	deadline := time.Now().Add(5 * time.Second)
	for cps := checkpoints(); len(cps) != 1 || cps[0] == first; cps = checkpoints() {
		if time.Now().After(deadline) {
			t.Fatalf("no new snapshot after an entry over a byte limit of 1: %v", cps)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	_, stop = run(Quorum{NodeID: 1})
	defer stop()
	if len(published.TopicNames()) != 4 {
		t.Fatalf("restarted with topics %v", published.TopicNames())
	}
}
