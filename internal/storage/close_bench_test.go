package storage

import (
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"gregor/internal/vfs"
)

// benchPartitions is GREGOR_BENCH_PARTITIONS, or def when it is not set.
func benchPartitions(def int) int {
	if s := os.Getenv("GREGOR_BENCH_PARTITIONS"); s != "" {
		n, _ := strconv.Atoi(s)
		return n
	}
	return def
}

// writeEach opens a manager on dir and creates n logs of topic t, one
// 100-byte batch in each.
func writeEach(b *testing.B, dir string, cfg Config, n int) *Manager {
	b.Helper()
	m, err := OpenManager([]string{dir}, cfg, fixedClock(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	bt := batch(b, 1, 100, 1)
	for p := range n {
		l, err := m.Create("t", int32(p), [16]byte{1}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := l.Append(bt, 1); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkManagerClose times a clean stop (Manager.Close: flush every
// log, write the checkpoints, close) of a log dir on the real disk with
// many partitions, each holding one batch: right after the partitions
// were created and written (every file dirty), and after a restart
// (nothing dirty). GREGOR_BENCH_PARTITIONS sets the count (default 2000).
func BenchmarkManagerClose(b *testing.B) {
	n := benchPartitions(2000)
	cfg := DefaultConfig()
	cfg.FileCacheSize = 1000
	dir := b.TempDir()
	var created, restarted time.Duration
	for range b.N {
		m := writeEach(b, dir, cfg, n)
		start := time.Now()
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
		created += time.Since(start)
		m, err := OpenManager([]string{dir}, cfg, fixedClock(), quiet)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
		restarted += time.Since(start)
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(created.Milliseconds())/float64(b.N), "ms/close-written")
	b.ReportMetric(float64(restarted.Milliseconds())/float64(b.N), "ms/close-restarted")
}

// TestManagerCloseParallel proves a clean stop of many logs, flushed
// several at a time, makes every one durable (a power cut right after
// loses nothing), and that a stop with nothing written since the start
// fsyncs nothing of its partitions (all their fsyncs failing does not
// fail it), while a
// truncation since the start still does.
func TestManagerCloseParallel(t *testing.T) {
	mem := vfs.NewMem()
	cfg := smallConfig()
	cfg.CloseThreadsPerDir = 4
	m, err := OpenManagerFS(mem, []string{"/data"}, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	const logs = 50
	for p := range logs {
		l, err := m.Create("t", int32(p), [16]byte{1}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p%3 + 1 {
			if _, _, err := l.Append(batch(t, 2, 10, int64(i)), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	mem.Crash()
	check := func(m *Manager) {
		t.Helper()
		for p := range logs {
			l, ok := m.Get("t", int32(p))
			if !ok {
				t.Fatalf("t-%d missing", p)
			}
			if got := len(readAll(t, l)); got != p%3+1 {
				t.Fatalf("t-%d: %d batches after a clean stop and a power cut, want %d", p, got, p%3+1)
			}
		}
	}
	if m, err = OpenManagerFS(mem, []string{"/data"}, cfg, fixedClock(), quiet); err != nil {
		t.Fatal(err)
	}
	check(m)
	mem.FailSyncs("/data/t-") // every partition's files and dir
	if err := m.Close(); err != nil {
		t.Fatalf("a stop with nothing new fsynced a partition: %v", err)
	}
	mem.FailSyncs("")
	mem.Crash()

	if m, err = OpenManagerFS(mem, []string{"/data"}, cfg, fixedClock(), quiet); err != nil {
		t.Fatal(err)
	}
	check(m)
	l, _ := m.Get("t", 2)
	if err := l.TruncateTo(1); err != nil {
		t.Fatal(err)
	}
	mem.FailSyncs("/data/t-2")
	if err := m.Close(); err == nil {
		t.Fatal("a stop after a truncation did not fsync it")
	}
	mem.FailSyncs("")
}

// BenchmarkManagerOpen times the start of a log dir on the real disk with
// many partitions, each holding one batch, after a clean stop (what a
// restart costs per partition), opening the logs one at a time and 16 at
// a time, alternately. GREGOR_BENCH_PARTITIONS sets the count (default
// 2000).
func BenchmarkManagerOpen(b *testing.B) {
	n := benchPartitions(2000)
	cfg := DefaultConfig()
	cfg.FileCacheSize = 1000
	dir := b.TempDir()
	if err := writeEach(b, dir, cfg, n).Close(); err != nil {
		b.Fatal(err)
	}
	took := map[int]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for _, threads := range []int{1, 16} {
			cfg.CloseThreadsPerDir = threads
			start := time.Now()
			m, err := OpenManager([]string{dir}, cfg, fixedClock(), quiet)
			if err != nil {
				b.Fatal(err)
			}
			took[threads] += time.Since(start)
			if err := m.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(took[1].Milliseconds())/float64(b.N), "ms/open-1-thread")
	b.ReportMetric(float64(took[16].Milliseconds())/float64(b.N), "ms/open-16-threads")
}

// BenchmarkAppendSpread measures appends of 16-record batches of 1 KiB
// records spread round-robin over 200 logs and over 20,000 (the file
// cache at 500), interleaved: what many partitions cost the storage layer
// alone, without clients or the network. GREGOR_BENCH_PARTITIONS changes
// the larger count.
func BenchmarkAppendSpread(b *testing.B) {
	if b.N == 1 {
		return // the testing package's probe run: not worth creating the logs twice
	}
	many := benchPartitions(20_000)
	cfg := DefaultConfig()
	cfg.FileCacheSize = 500
	if s := os.Getenv("GREGOR_BENCH_FD_CACHE"); s != "" {
		cfg.FileCacheSize, _ = strconv.Atoi(s)
	}
	open := func(n int) []*Log {
		m, err := OpenManager([]string{b.TempDir()}, cfg, time.Now, quiet)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.Close() })
		logs := make([]*Log, n)
		for p := range logs {
			if logs[p], err = m.Create("t", int32(p), [16]byte{1}, cfg); err != nil {
				b.Fatal(err)
			}
		}
		return logs
	}
	few, lots := open(200), open(many)
	bt := batch(b, 16, 1024, 1)
	next := map[int]int{}
	run := func(logs []*Log) time.Duration {
		start := time.Now()
		for range b.N {
			i := next[len(logs)] % len(logs)
			next[len(logs)]++
			if _, _, err := logs[i].Append(bt, 1); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var tFew, tLots time.Duration
	if path := os.Getenv("GREGOR_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	b.ResetTimer()
	for r := range 6 {
		if r%2 == 0 {
			tFew += run(few)
			tLots += run(lots)
		} else {
			tLots += run(lots)
			tFew += run(few)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(6*b.N)/tFew.Seconds(), "batches/s-200")
	b.ReportMetric(float64(6*b.N)/tLots.Seconds(), "batches/s-many")
	b.ReportMetric(tFew.Seconds()/tLots.Seconds(), "ratio")
}
