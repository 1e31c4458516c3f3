package storage

import (
	"context"
	"testing"
	"time"
)

// TestFlushByCount proves log.flush.interval.messages: the recovery point
// (everything below it is fsynced) reaches the log end once that many
// records are unflushed, and not before.
func TestFlushByCount(t *testing.T) {
	cfg := smallConfig()
	cfg.FlushIntervalMessages = 6
	l, err := Open(t.TempDir(), cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fill(t, l, 1) // 3 records
	if l.RecoveryPoint() != 0 {
		t.Fatalf("flushed after 3 of 6 records: recovery point %d", l.RecoveryPoint())
	}
	fill(t, l, 1) // 6 records
	if l.RecoveryPoint() != l.LogEndOffset() {
		t.Fatalf("recovery point %d, log end %d after 6 records", l.RecoveryPoint(), l.LogEndOffset())
	}
}

// TestFlushByTime proves log.flush.interval.ms: the manager's background
// loop fsyncs a log whose oldest unflushed write is older than the interval.
func TestFlushByTime(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	cfg := smallConfig()
	cfg.FlushIntervalMs = 100
	m, err := OpenManager([]string{t.TempDir()}, cfg, clock, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := m.Create("t", 0, [16]byte{1}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 2)
	m.flushDue(m.onlineLogs())
	if l.RecoveryPoint() != 0 {
		t.Fatalf("flushed before the interval: %d", l.RecoveryPoint())
	}
	now = now.Add(200 * time.Millisecond)
	m.flushDue(m.onlineLogs())
	if l.RecoveryPoint() != l.LogEndOffset() {
		t.Fatalf("recovery point %d, log end %d after the interval", l.RecoveryPoint(), l.LogEndOffset())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}
