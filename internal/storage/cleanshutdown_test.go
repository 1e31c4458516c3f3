package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// openOneLog opens a Manager on dir (one log dir) and returns it with the
// log of t-0, created if need be.
func openOneLog(t *testing.T, dir string) (*Manager, *Log) {
	t.Helper()
	m, err := OpenManager([]string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Create("t", 0, kafka.NewTopicID(), smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m, l
}

// TestCleanShutdownTrustsSealedSegments proves what the clean-shutdown
// marker changes, as in Kafka: after a clean stop, a restart does not read
// the sealed segments below the recovery point (damage at the end of one
// is found only by the read that reaches it), while without the marker (a
// crash) the same damage is found by recovery, which cuts the log there.
func TestCleanShutdownTrustsSealedSegments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	m, l := openOneLog(t, dir)
	fill(t, l, 100) // offsets 0-299 over several 4 KiB segments
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, cleanShutdownFile)); err != nil {
		t.Fatalf("no clean-shutdown marker after Close: %v", err)
	}
	bases, _ := segmentBases(vfs.OS, filepath.Join(dir, "t-0"))
	if len(bases) < 3 {
		t.Fatalf("want several segments, got %v", bases)
	}
	last := bases[2] - 1 // the last batch of the second segment: past its last index entry
	damageBatch(t, filepath.Join(dir, "t-0"), last)

	m, l = openOneLog(t, dir)
	if _, err := os.Stat(filepath.Join(dir, cleanShutdownFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the marker outlives the start: %v", err)
	}
	if l.LogEndOffset() != 300 {
		t.Fatalf("clean restart: log end %d, want 300 (sealed segments not read)", l.LogEndOffset())
	}
	if _, err := l.Read(last, 1<<20, 300, true); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("read of the damaged batch: %v, want ErrCorrupt", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, cleanShutdownFile)); err != nil {
		t.Fatal(err) // what a crash leaves: no marker
	}
	m, l = openOneLog(t, dir)
	defer m.Close()
	if want := last - last%3; l.LogEndOffset() != want {
		t.Fatalf("restart without the marker: log end %d, want %d (cut at the damaged batch)", l.LogEndOffset(), want)
	}
}

// TestCleanShutdownMarkerTakenDurably proves that a start removes the
// marker durably before anything is written: a power cut after the start
// and some appends is recovered as a crash (the unsynced appends go, the
// rest stays whole), never trusted as a clean shutdown.
func TestCleanShutdownMarkerTakenDurably(t *testing.T) {
	mem := vfs.NewMem()
	cfg := smallConfig()
	open := func() (*Manager, *Log) {
		m, err := OpenManagerFS(mem, []string{"/data"}, cfg, fixedClock(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Create("t", 0, [16]byte{1}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m, l
	}
	m, l := open()
	want := fill(t, l, 60)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	_, l = open()
	if l.LogEndOffset() != 180 {
		t.Fatalf("clean restart: log end %d, want 180", l.LogEndOffset())
	}
	fill(t, l, 40) // not fsynced
	mem.Crash()
	if _, err := mem.Stat("/data/" + cleanShutdownFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the marker came back with the power cut: %v", err)
	}
	m, l = open()
	defer m.Close()
	got := readAll(t, l)
	if len(got) != len(want) || l.LogEndOffset() != 180 {
		t.Fatalf("after the power cut: %d batches, log end %d; want the 60 of the clean stop", len(got), l.LogEndOffset())
	}
}

// TestCleanShutdownBadIndexFallsBack proves that a clean shutdown's index
// files are trusted only when they pass the checks: a torn time index of a
// sealed segment makes the start recover that segment and rewrite the file,
// and every batch still reads.
func TestCleanShutdownBadIndexFallsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	m, l := openOneLog(t, dir)
	want := fill(t, l, 100)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	bases, _ := segmentBases(vfs.OS, filepath.Join(dir, "t-0"))
	tidx := segmentName(filepath.Join(dir, "t-0"), bases[1], ".timeindex")
	f, err := os.OpenFile(tidx, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{1, 2, 3})
	f.Close()
	m, l = openOneLog(t, dir)
	defer m.Close()
	if got := readAll(t, l); len(got) != len(want) {
		t.Fatalf("read %d batches, want %d", len(got), len(want))
	}
	if st, err := os.Stat(tidx); err != nil || st.Size()%timeEntrySize != 0 {
		t.Fatalf("time index not rebuilt: %v, %v", st, err)
	}
	if ts, ok := l.segments[1].largestTimestamp(); !ok || ts != 1000+bases[2]-1 {
		t.Fatalf("largest timestamp of the segment: %d, want %d", ts, 1000+bases[2]-1)
	}
}

// TestRestartKeepsIndexFiles proves that a restart, clean or not, leaves
// index files that agree with their log as they are (same files, not
// rewritten), so that a start at thousands of partitions does not rewrite
// thousands of files.
func TestRestartKeepsIndexFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	m, l := openOneLog(t, dir)
	fill(t, l, 100)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	pdir := filepath.Join(dir, "t-0")
	bases, _ := segmentBases(vfs.OS, pdir)
	stat := func() []os.FileInfo {
		var out []os.FileInfo
		for _, b := range bases {
			for _, ext := range []string{".index", ".timeindex"} {
				st, err := os.Stat(segmentName(pdir, b, ext))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, st)
			}
		}
		return out
	}
	for _, clean := range []bool{true, false} {
		before := stat()
		if !clean {
			os.Remove(filepath.Join(dir, cleanShutdownFile))
		}
		m, _ := openOneLog(t, dir)
		after := stat()
		for i := range before {
			if !os.SameFile(before[i], after[i]) || before[i].Size() != after[i].Size() {
				t.Fatalf("clean=%v: %s rewritten by the restart", clean, after[i].Name())
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
