package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// BenchmarkDurableAppend measures the log's side of an acknowledgement
// under three flush policies on the real disk, without a network or a
// client: 8 goroutines each append one 1 KiB record at a time and, in
// durable mode, wait for WaitDurable before the next, on one log or on
// one log each. "default" neither fsyncs nor waits; "durable" waits for a
// sync that covers the append (group commit); "flush.messages=1" fsyncs
// inside every append (log.flush.interval.messages=1). It reports
// records/s and the p50 and p99 of one append and its wait.
func BenchmarkDurableAppend(b *testing.B) {
	for _, logs := range []int{1, 8} {
		for _, mode := range []string{"default", "durable", "flush.messages=1"} {
			b.Run(fmt.Sprintf("logs=%d/%s", logs, mode), func(b *testing.B) {
				benchDurableAppend(b, logs, mode)
			})
		}
	}
}

func benchDurableAppend(b *testing.B, nlogs int, mode string) {
	const writers = 8
	cfg := DefaultConfig()
	if mode == "flush.messages=1" {
		cfg.FlushIntervalMessages = 1
	}
	m, err := OpenManager([]string{b.TempDir()}, cfg, time.Now, quiet)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done; m.Close() }()
	logs := make([]*Log, nlogs)
	for p := range logs {
		if logs[p], err = m.Create("t", int32(p), kafka.NewTopicID(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	latencies := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	b.SetBytes(1024)
	b.ResetTimer()
	for w := range writers {
		l := logs[w%nlogs]
		bt := batch(b, 1, 1024, 1) // its own: Append patches the offsets in place
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				start := time.Now()
				_, last, err := l.Append(bt, 1)
				if err == nil && mode == "durable" {
					err = l.WaitDurable(context.Background(), kafka.Offset(last+1))
				}
				if err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], time.Since(start))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	at := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return all[min(int(float64(len(all))*p), len(all)-1)].Seconds() * 1000
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
