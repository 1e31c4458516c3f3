package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// seqBatch is one record whose value names i, the offset it is meant for.
func seqBatch(t testing.TB, i int, tag string) record.Batch {
	t.Helper()
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: int64(1000 + i), Value: fmt.Appendf(nil, "%s%08d", tag, i)}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkSeq checks that l holds exactly offsets [start, end), each the
// record seqBatch made for it with tag (tagAt picks it by offset).
func checkSeq(t *testing.T, l *Log, start, end int64, tagAt func(int64) string) {
	t.Helper()
	if l.LogStartOffset() != start || l.LogEndOffset() != end {
		t.Fatalf("log holds [%d, %d), want [%d, %d)", l.LogStartOffset(), l.LogEndOffset(), start, end)
	}
	next := start
	err := l.Batches(start, func(b record.Batch) error {
		rs, err := b.Records()
		if err != nil {
			return err
		}
		for _, r := range rs {
			if want := fmt.Sprintf("%s%08d", tagAt(r.Offset), r.Offset); r.Offset != next || string(r.Value) != want {
				return fmt.Errorf("offset %d holds %q, want offset %d holding %q", r.Offset, r.Value, next, want)
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != end {
		t.Fatalf("read up to %d, want %d", next, end)
	}
}

func moveConfig() Config {
	c := smallConfig()
	c.FileDeleteDelayMs = 0
	return c
}

// openTwoDirs opens a Manager of two log dirs, a and b, with the log of
// t-0 created in a; the caller closes it.
func openTwoDirs(t *testing.T) (a, b string, m *Manager, l *Log) {
	t.Helper()
	a, b = filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	m, err := OpenManager([]string{a, b}, moveConfig(), time.Now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if l, err = m.Create("t", 0, kafka.NewTopicID(), moveConfig()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	if filepath.Dir(l.Dir()) != a {
		m.Close()
		t.Fatalf("created in %s, want %s", l.Dir(), a)
	}
	return a, b, m, l
}

// reopen closes m and opens the Manager of dirs a and b again, with its
// log of t-0 if it has one; the caller closes it.
func reopen(t *testing.T, m *Manager, a, b string) (*Manager, *Log, bool) {
	t.Helper()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager([]string{a, b}, moveConfig(), time.Now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := m.Get("t", 0)
	return m, l, ok
}

// waitMoved waits until the log serves from dir.
func waitMoved(t *testing.T, l *Log, dir string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for filepath.Dir(l.Dir()) != dir {
		if time.Now().After(deadline) {
			t.Fatalf("log still in %s after 20 s", l.Dir())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestMoveLog proves that a log moved to another log dir while it takes
// appends keeps every batch, in order, at its offset, with its log start,
// leader epochs, aborted transactions and producer snapshot; that the Log
// the partition holds serves from the new dir; that nothing of it is left
// in the old dir; and that a restart finds it in the new one.
func TestMoveLog(t *testing.T) {
	a, b, m, l := openTwoDirs(t)
	for i := range 300 {
		if _, _, err := l.Append(seqBatch(t, i, "v"), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.DeleteRecordsBefore(30); err != nil {
		t.Fatal(err)
	}
	aborted := []kafka.AbortedTransaction{
		{ProducerID: 7, FirstOffset: 40, LastOffset: 45, LastStableOffset: 40},
		{ProducerID: 8, FirstOffset: 100, LastOffset: 250, LastStableOffset: 90},
	}
	for _, e := range aborted {
		if err := l.AppendAbortedTransaction(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.WriteSnapshot(200, []byte("producers")); err != nil {
		t.Fatal(err)
	}

	stop, appended := make(chan struct{}), make(chan int64)
	go func() {
		i := 300
		for {
			select {
			case <-stop:
				appended <- int64(i)
				return
			default:
			}
			if _, _, err := l.Append(seqBatch(t, i, "v"), 2); err != nil {
				t.Error(err)
				appended <- int64(i)
				return
			}
			i++
			time.Sleep(50 * time.Microsecond)
		}
	}()
	tp := kafka.TopicPartition{Topic: "t"}
	if err := m.MoveLog(tp, b); err != nil {
		t.Fatal(err)
	}
	if err := m.MoveLog(tp, b); err != nil { // again while in progress: nothing new
		t.Fatal(err)
	}
	waitMoved(t, l, b)
	time.Sleep(20 * time.Millisecond) // appends after the move
	close(stop)
	end := <-appended

	v := func(int64) string { return "v" }
	checkSeq(t, l, 30, end, v)
	check := func(l *Log) {
		t.Helper()
		if got := l.AbortedTransactions(0, l.LogEndOffset()); !slices.Equal(got, aborted) {
			t.Fatalf("aborted transactions %v, want %v", got, aborted)
		}
		if epoch, endOf1 := l.EndOffsetForEpoch(1); epoch != 1 || endOf1 != 300 {
			t.Fatalf("epoch 1 ends at %d (epoch %d), want 300", endOf1, epoch)
		}
		if off, data, err := l.LatestSnapshot(); err != nil || off != 200 || string(data) != "producers" {
			t.Fatalf("snapshot %d %q %v, want 200 producers", off, data, err)
		}
	}
	check(l)
	if names := entries(t, a); len(names) != 0 {
		t.Fatalf("left in the old dir: %v", names)
	}
	if got := m.LogDirs(); len(got[0].Logs) != 0 || got[1].Logs[tp] != l {
		t.Fatalf("LogDirs after the move: %v", got)
	}
	m, l, ok := reopen(t, m, a, b)
	defer m.Close()
	if !ok || filepath.Dir(l.Dir()) != b {
		t.Fatalf("after a restart the log is %v (found %v), want in %s", l, ok, b)
	}
	checkSeq(t, l, 30, end, v)
	check(l)
}

// TestMoveLogStartsOverAfterTruncation proves that a log truncated while a
// throttled copy of it runs (a follower meeting a new leader) is copied
// again: the moved log holds what the log held after the truncation, not
// the batches the truncation removed.
func TestMoveLogStartsOverAfterTruncation(t *testing.T) {
	_, b, m, l := openTwoDirs(t)
	defer m.Close()
	for i := range 2000 {
		if _, _, err := l.Append(seqBatch(t, i, "old"), 1); err != nil {
			t.Fatal(err)
		}
	}
	// The throttle holds the copy after it has read the log and before it
	// appends what it read: the truncation comes then.
	paused, gate := make(chan struct{}), make(chan struct{})
	clock := time.Unix(0, 0)
	m.moveIO.start = clock
	m.moveIO.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	m.moveIO.sleep = func(ctx context.Context, _ time.Duration) {
		select {
		case paused <- struct{}{}:
			<-gate
		default:
		}
	}
	m.SetMoveRate(1)
	tp := kafka.TopicPartition{Topic: "t"}
	if err := m.MoveLog(tp, b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-paused:
	case <-time.After(10 * time.Second):
		t.Fatal("the copy did not reach its throttle")
	}
	if err := l.TruncateTo(10); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 2500; i++ {
		if _, _, err := l.Append(seqBatch(t, i, "new"), 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := m.FutureLogs(b)[tp]; !ok {
		t.Fatal("no copy in progress at the truncation")
	}
	close(gate)
	m.SetMoveRate(0)
	waitMoved(t, l, b)
	checkSeq(t, l, 0, 2500, func(o int64) string {
		if o < 10 {
			return "old"
		}
		return "new"
	})
}

// TestMoveLogErrors proves MoveLog's answers: an unknown dir, an unknown
// partition, and the dir the log is in (nothing to do).
func TestMoveLogErrors(t *testing.T) {
	a, b, m, l := openTwoDirs(t)
	defer m.Close()
	tp := kafka.TopicPartition{Topic: "t"}
	if err := m.MoveLog(tp, filepath.Join(t.TempDir(), "c")); !errors.Is(err, ErrLogDirNotFound) {
		t.Fatalf("to an unknown dir: %v", err)
	}
	if err := m.MoveLog(kafka.TopicPartition{Topic: "u"}, b); !errors.Is(err, ErrUnknownLog) {
		t.Fatalf("an unknown partition: %v", err)
	}
	if err := m.MoveLog(tp, a); err != nil || len(m.FutureLogs(a)) != 0 || filepath.Dir(l.Dir()) != a {
		t.Fatalf("to its own dir: %v, futures %v", err, m.FutureLogs(a))
	}
}

// TestMoveLogInterrupted proves what a start makes of the dirs a move
// stopped midway leaves: an unfinished copy (-future) is removed; a
// complete one (-moved) is removed while the log is whole in its old dir,
// and becomes the log when its old dir was already retired.
func TestMoveLogInterrupted(t *testing.T) {
	cfg := moveConfig()
	setup := func(t *testing.T) (a, b string) {
		a, b, m, l := openTwoDirs(t)
		for i := range 100 {
			if _, _, err := l.Append(seqBatch(t, i, "v"), 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	copyDir := func(t *testing.T, from, to string) {
		if err := os.CopyFS(to, os.DirFS(from)); err != nil {
			t.Fatal(err)
		}
	}
	open := func(t *testing.T, a, b, wantDir string) {
		t.Helper()
		m, err := OpenManager([]string{a, b}, cfg, time.Now, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		l, ok := m.Get("t", 0)
		if !ok || filepath.Dir(l.Dir()) != wantDir {
			t.Fatalf("log %v (found %v), want in %s", l, ok, wantDir)
		}
		checkSeq(t, l, 0, 100, func(int64) string { return "v" })
		if names := append(entries(t, a), entries(t, b)...); !slices.Equal(names, []string{"t-0"}) {
			t.Fatalf("dirs left: %v", names)
		}
	}
	t.Run("unfinished copy", func(t *testing.T) {
		a, b := setup(t)
		copyDir(t, filepath.Join(a, "t-0"), filepath.Join(b, "t-0.0123-future"))
		open(t, a, b, a)
	})
	t.Run("complete copy, log whole", func(t *testing.T) {
		a, b := setup(t)
		copyDir(t, filepath.Join(a, "t-0"), filepath.Join(b, "t-0.0123-moved"))
		open(t, a, b, a)
	})
	t.Run("complete copy, log retired", func(t *testing.T) {
		a, b := setup(t)
		copyDir(t, filepath.Join(a, "t-0"), filepath.Join(b, "t-0.0123-moved"))
		if err := os.Rename(filepath.Join(a, "t-0"), filepath.Join(a, "t-0.0123-delete")); err != nil {
			t.Fatal(err)
		}
		open(t, a, b, b)
	})
}

// TestTruncateFullyAndStartAt proves that a log emptied to start at an
// offset far past 2^32 (a follower whose leader's log starts there) holds
// one segment based there, takes batches at their offsets, reads them by
// offset and time, and opens again the same.
func TestTruncateFullyAndStartAt(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	for i := range 10 {
		if _, _, err := l.Append(seqBatch(t, i, "v"), 1); err != nil {
			t.Fatal(err)
		}
	}
	const start = 5_000_000_000
	if err := l.TruncateFullyAndStartAt(start); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != start || l.LogEndOffset() != start || l.NumSegments() != 1 {
		t.Fatalf("after the reset [%d, %d) in %d segments", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments())
	}
	var bs []record.Batch
	for i := start; i < start+100; i++ {
		b := seqBatch(t, i, "v")
		b.SetBaseOffset(int64(i))
		b.SetPartitionLeaderEpoch(3)
		bs = append(bs, b)
	}
	if err := l.AppendWithOffsets(bs); err != nil {
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		checkSeq(t, l, start, start+100, func(int64) string { return "v" })
		data, err := l.Read(start+57, 100, math.MaxInt64, true)
		if err != nil || record.Batch(data).BaseOffset() != start+57 {
			t.Fatalf("read at %d: %v, batch at %d", start+57, err, record.Batch(data).BaseOffset())
		}
		if off, _, found, err := l.OffsetForTimestamp(1000 + start + 42); err != nil || !found || off != start+42 {
			t.Fatalf("offset for timestamp: %d %v %v", off, found, err)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, 0)
	defer l.Close()
	check(l)
}

// TestPreferDir proves that a dir asked for a partition not yet here
// (AlterReplicaLogDirs before a reassignment brings the replica) is where
// its log is created, once, whatever the dirs' loads.
func TestPreferDir(t *testing.T) {
	a, b, m, _ := openTwoDirs(t)
	defer m.Close()
	for p := int32(1); p <= 2; p++ { // a holds two, b one: b is the least loaded
		if _, err := m.Create("t", p, kafka.NewTopicID(), moveConfig()); err != nil {
			t.Fatal(err)
		}
	}
	m.PreferDir(kafka.TopicPartition{Topic: "u", Partition: 0}, a)
	for _, want := range []struct {
		topic string
		dir   string
	}{{"u", a}, {"v", b}} {
		l, err := m.Create(want.topic, 0, kafka.NewTopicID(), moveConfig())
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(l.Dir()) != want.dir {
			t.Fatalf("%s-0 created in %s, want %s", want.topic, l.Dir(), want.dir)
		}
	}
}

// TestMoveLogTakesLateAbortedTransactions proves that an aborted
// transaction indexed after a round of copying took its marker (the
// partition indexes a marker just after appending it, outside the
// append) is in the moved log's index too.
func TestMoveLogTakesLateAbortedTransactions(t *testing.T) {
	a, b, m, l := openTwoDirs(t)
	for i := range 500 {
		if _, _, err := l.Append(seqBatch(t, i, "v"), 1); err != nil {
			t.Fatal(err)
		}
	}
	// The second round waits at the throttle: the first has copied its
	// batches and their entries by then.
	var rounds atomic.Int32
	gate := make(chan struct{})
	clock := time.Unix(0, 0)
	m.moveIO.start = clock
	m.moveIO.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	m.moveIO.sleep = func(ctx context.Context, _ time.Duration) {
		if rounds.Add(1) == 2 {
			<-gate
		}
	}
	m.SetMoveRate(1)
	tp := kafka.TopicPartition{Topic: "t"}
	if err := m.MoveLog(tp, b); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for rounds.Load() < 2 {
		select {
		case <-deadline:
			t.Fatal("the copy did not reach its second round")
		case <-time.After(time.Millisecond):
		}
	}
	late := kafka.AbortedTransaction{ProducerID: 9, FirstOffset: 1, LastOffset: 3, LastStableOffset: 1}
	if err := l.AppendAbortedTransaction(late); err != nil {
		t.Fatal(err)
	}
	close(gate)
	m.SetMoveRate(0)
	waitMoved(t, l, b)
	if got := l.AbortedTransactions(0, l.LogEndOffset()); !slices.Equal(got, []kafka.AbortedTransaction{late}) {
		t.Fatalf("aborted transactions after the move %v, want %v", got, late)
	}
	m, l, ok := reopen(t, m, a, b)
	defer m.Close()
	if !ok {
		t.Fatal("no log after a restart")
	}
	if got := l.AbortedTransactions(0, l.LogEndOffset()); !slices.Equal(got, []kafka.AbortedTransaction{late}) {
		t.Fatalf("after a restart: %v", got)
	}
}
