package storage

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// BenchmarkMoveLog measures moving a 64 MiB log (16 KiB batches) between
// two log dirs on the same disk, back and forth, while a writer appends a
// 16 KiB batch every 10 ms: the bytes moved a second (b.SetBytes),
// and the writer's appends, whose slowest (max-append-ms) is the pause of
// the move's last round under the log's writer lock. Compare the rate
// with BenchmarkAppend/16KiB (the disk's append rate without fsync) of
// the same run: a move reads each byte and writes it once more.
func BenchmarkMoveLog(b *testing.B) {
	dirs := []string{filepath.Join(b.TempDir(), "a"), filepath.Join(b.TempDir(), "b")}
	cfg := DefaultConfig()
	m, err := OpenManager(dirs, cfg, time.Now, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	l, err := m.Create("t", 0, kafka.NewTopicID(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	bt := batch(b, 16, 1000, 1)
	for l.Size() < 64<<20 {
		if _, _, err := l.Append(bt, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(l.Size())
	stop := make(chan struct{})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		worst time.Duration
		times []time.Duration
	)
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			start := time.Now()
			if _, _, err := l.Append(bt, 1); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(start)
			mu.Lock()
			worst, times = max(worst, d), append(times, d)
			mu.Unlock()
		}
	})
	tp := kafka.TopicPartition{Topic: "t"}
	for i := 0; b.Loop(); i++ {
		to := dirs[(i+1)%2]
		if err := m.MoveLog(tp, to); err != nil {
			b.Fatal(err)
		}
		for filepath.Dir(l.Dir()) != to {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(worst.Microseconds())/1000, "max-append-ms")
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-append-ms")
	}
}
