package storage

import (
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// TestDirFailureTakesOnlyThatDirOffline proves that an I/O error (EIO,
// ENOSPC, EROFS) on one log dir takes it offline — its logs answer
// ErrLogDirOffline, the listener hears of it once — while the other dir
// keeps serving and takes the new partitions, and that every append
// acknowledged before the failure is there after a restart on a healed
// disk.
func TestDirFailureTakesOnlyThatDirOffline(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC, syscall.EROFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			root := t.TempDir()
			dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b")}
			fsys := vfs.NewFaulty(vfs.OS)
			m, err := OpenManagerFS(fsys, dirs, smallConfig(), fixedClock(), quiet)
			if err != nil {
				t.Fatal(err)
			}
			id := kafka.NewTopicID()
			var la, lb *Log
			for p := range int32(2) {
				l, err := m.Create("t", p, id, smallConfig())
				if err != nil {
					t.Fatal(err)
				}
				fill(t, l, 5)
				if filepath.Dir(l.Dir()) == dirs[0] {
					la = l
				} else {
					lb = l
				}
			}
			var mu sync.Mutex
			var told []string
			m.OnDirFailure(func(dir string, tps []kafka.TopicPartition) {
				mu.Lock()
				defer mu.Unlock()
				told = append(told, dir)
			})
			acked := la.LogEndOffset()

			fsys.Fail(dirs[0], errno)
			for range 3 {
				if _, _, err := la.Append(batch(t, 3, 50, 2000), 1); !errors.Is(err, ErrLogDirOffline) {
					t.Fatalf("append on the failed dir: %v, want ErrLogDirOffline", err)
				}
			}
			if _, err := la.Read(0, 1<<20, 1<<40, true); !errors.Is(err, ErrLogDirOffline) {
				t.Fatalf("read on the failed dir: %v", err)
			}
			fill(t, lb, 3)
			mu.Lock()
			if !slices.Equal(told, []string{dirs[0]}) {
				t.Fatalf("listener told %v", told)
			}
			mu.Unlock()
			if off := m.OfflineDirs(); len(off) != 1 || !errors.Is(off[dirs[0]], ErrLogDirOffline) {
				t.Fatalf("offline dirs %v", off)
			}
			for p := int32(2); p < 4; p++ { // both land on the online dir
				l, err := m.Create("t", p, id, smallConfig())
				if err != nil {
					t.Fatal(err)
				}
				if filepath.Dir(l.Dir()) != dirs[1] {
					t.Fatalf("partition %d created in %s", p, l.Dir())
				}
			}
			if err := m.Close(); err != nil {
				t.Fatalf("close with an offline dir: %v", err)
			}

			fsys.Heal(dirs[0])
			m, err = OpenManagerFS(fsys, dirs, smallConfig(), fixedClock(), quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			l, ok := m.Get("t", 0)
			if filepath.Dir(la.Dir()) != dirs[0] || !ok {
				l, _ = m.Get("t", 1)
			}
			if l.LogEndOffset() != acked {
				t.Fatalf("log end %d after restart, %d acknowledged", l.LogEndOffset(), acked)
			}
			if _, err := l.Read(0, 1<<20, 1<<40, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCreateOnFailingDirLeavesNothing proves that a partition whose
// creation fails on the only log dir answers ErrLogDirOffline and leaves
// no directory behind.
func TestCreateOnFailingDirLeavesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	fsys := vfs.NewFaulty(vfs.OS)
	m, err := OpenManagerFS(fsys, []string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fsys.Fail(filepath.Join(dir, "t-0", partitionMetadataFile+".tmp"), syscall.ENOSPC)
	if _, err := m.Create("t", 0, kafka.NewTopicID(), smallConfig()); !errors.Is(err, ErrLogDirOffline) {
		t.Fatalf("create: %v, want ErrLogDirOffline", err)
	}
	if _, ok := m.Get("t", 0); ok {
		t.Fatal("a log was kept")
	}
	if _, err := vfs.OS.Stat(filepath.Join(dir, "t-0")); err == nil {
		t.Fatal("partition directory left behind")
	}
}

// TestReadErrorTakesDirOffline proves that a disk that fails reads (EIO on
// pread) takes its log dir offline too, and that a standalone Log (outside
// a Manager) never goes offline.
func TestReadErrorTakesDirOffline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	fsys := vfs.NewFaulty(vfs.OS)
	m, err := OpenManagerFS(fsys, []string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := m.Create("t", 0, kafka.NewTopicID(), smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 3)
	fsys.FailReads(dir, syscall.EIO)
	if _, err := l.Read(0, 1<<20, 1<<40, true); !errors.Is(err, ErrLogDirOffline) {
		t.Fatalf("read on a failing disk: %v", err)
	}
	fsys.Heal(dir)
	if _, _, err := l.Append(batch(t, 1, 10, 1), 1); !errors.Is(err, ErrLogDirOffline) {
		t.Fatalf("append after a read error: %v, want the dir still offline", err)
	}

	other := filepath.Join(t.TempDir(), "standalone")
	sl, err := OpenAtFS(fsys, other, 0, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	fsys.Fail(other, syscall.EIO)
	if _, _, err := sl.Append(batch(t, 1, 10, 1), 1); err == nil || errors.Is(err, ErrLogDirOffline) {
		t.Fatalf("standalone log append: %v, want the I/O error itself", err)
	}
	fsys.Heal(other)
	if _, _, err := sl.Append(batch(t, 1, 10, 1), 1); err != nil {
		t.Fatalf("standalone log after the fault: %v", err)
	}
}
