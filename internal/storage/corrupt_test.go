package storage

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/testutil/logbuf"
	"gregor/internal/vfs"
)

// damageBatch flips one byte inside the records of the batch holding
// offset in the segment file that holds it (after a clean close).
func damageBatch(t *testing.T, dir string, offset int64) {
	t.Helper()
	bases, err := segmentBases(vfs.OS, dir)
	if err != nil {
		t.Fatal(err)
	}
	base := bases[0]
	for _, b := range bases {
		if b <= offset {
			base = b
		}
	}
	path := segmentName(dir, base, ".log")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos < len(data); {
		b := record.Batch(data[pos:])
		n, _ := record.FrameLength(b)
		if b.BaseOffset() <= offset && offset <= b.LastOffset() {
			data[pos+record.HeaderSize+5] ^= 0xff
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		pos += n
	}
	t.Fatalf("no batch holds offset %d in %s", offset, path)
}

// TestReadRefusesCorruptBatch proves that a batch whose CRC no longer
// matches (damaged below the recovery point, which a restart does not
// re-validate) is never served: a read that reaches it stops before it, a
// read that starts at it fails with record.ErrCorrupt (CORRUPT_MESSAGE),
// the batches after it still read, and the damage is logged once.
func TestReadRefusesCorruptBatch(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	want := fill(t, l, 10) // 3 records per batch, all in the first segment
	leo := l.LogEndOffset()
	l.Close()
	damageBatch(t, dir, 12) // the batch of offsets 12-14

	var logs logbuf.Buffer
	l, err := OpenAt(dir, leo, smallConfig(), fixedClock(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LogEndOffset() != leo {
		t.Fatalf("log end %d after a clean restart, want %d", l.LogEndOffset(), leo)
	}
	data, err := l.Read(0, 1<<20, leo, true)
	if err != nil || !bytes.Equal(data, bytes.Join(want[:4], nil)) {
		t.Fatalf("read from 0: %d bytes, %v; want the 4 batches before the damage", len(data), err)
	}
	for range 3 {
		if data, err := l.Read(13, 1<<20, leo, true); !errors.Is(err, record.ErrCorrupt) || len(data) != 0 {
			t.Fatalf("read at the damaged batch: %d bytes, %v; want ErrCorrupt", len(data), err)
		}
	}
	if data, err := l.Read(15, 1<<20, leo, true); err != nil || !bytes.Equal(data, bytes.Join(want[5:], nil)) {
		t.Fatalf("read after the damage: %d bytes, %v", len(data), err)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d error lines, want 1:\n%s", n, logs.String())
	}
}

// TestRecoveryTruncatesAtDamage proves that a full recovery (what a
// partition missing from the recovery-point checkpoint gets, as after an
// unclean shutdown before the first checkpoint) cuts the log at the first
// damaged batch, wherever it is: the middle or the tail of the active
// segment, or an older segment. Every batch before the damage survives
// byte for byte, later segments go, every offset below the new log end
// reads, and appends resume there.
func TestRecoveryTruncatesAtDamage(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(bases []int64, leo int64) int64 // returns the damaged batch's base offset
	}{
		{"active-middle", func(bases []int64, leo int64) int64 { return middleBatch(bases[len(bases)-1], leo) }},
		{"active-tail", func(_ []int64, leo int64) int64 { return leo - 3 }},
		{"older-segment", func(bases []int64, _ int64) int64 { return middleBatch(bases[1], bases[2]) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, 0)
			want := fill(t, l, 100)
			leo := l.LogEndOffset()
			l.Close()
			bases, _ := segmentBases(vfs.OS, dir)
			if len(bases) < 4 {
				t.Fatalf("only %d segments", len(bases))
			}
			cut := c.damage(bases, leo)
			damageBatch(t, dir, cut)

			l = openLog(t, dir, 0)
			defer l.Close()
			if l.LogEndOffset() != cut {
				t.Fatalf("log end %d after recovery, want %d (the damaged batch's base)", l.LogEndOffset(), cut)
			}
			got := readAll(t, l)
			if len(got) != int(cut/3) {
				t.Fatalf("%d batches survive, want %d", len(got), cut/3)
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("batch %d changed", i)
				}
			}
			for off := int64(0); off < cut; off++ {
				data, err := l.Read(off, 1, cut, true)
				if b := record.Batch(data); err != nil || b.BaseOffset() > off || b.LastOffset() < off {
					t.Fatalf("read at %d: %v", off, err)
				}
			}
			if after, _ := segmentBases(vfs.OS, dir); after[len(after)-1] > cut {
				t.Fatalf("segments %v left after the cut at %d", after, cut)
			}
			if base, _, err := l.Append(batch(t, 3, 50, 5000), 1); err != nil || base != cut {
				t.Fatalf("append after recovery at %d: %v", base, err)
			}
		})
	}
}

// middleBatch is the base offset of a batch halfway between two offsets
// (batches of 3 records from offset 0).
func middleBatch(from, to int64) int64 { return (from + (to-from)/2) / 3 * 3 }

// TestManagerFullRecoveryWithoutCheckpoint proves the operator's way to
// re-validate every batch, as Kafka does when a log dir lacks its
// recovery-point checkpoint: with the checkpoint removed, a restart after a
// clean shutdown finds damage in the middle of a log (which a restart from
// the checkpoint does not re-read) and truncates there.
func TestManagerFullRecoveryWithoutCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	m, err := OpenManager([]string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Create("t", 0, kafka.NewTopicID(), smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 100)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	bases, _ := segmentBases(vfs.OS, filepath.Join(dir, "t-0"))
	cut := bases[2] + 3 // the second batch of a middle segment: below its last index entry
	damageBatch(t, filepath.Join(dir, "t-0"), cut)

	m, err = OpenManager([]string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, _ = m.Get("t", 0)
	if l.LogEndOffset() != 300 || len(bases) < 4 {
		t.Fatalf("restart from the checkpoint: log end %d, want 300 (damage not re-read)", l.LogEndOffset())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, recoveryPointFile)); err != nil {
		t.Fatal(err)
	}
	m, err = OpenManager([]string{dir}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if l, _ = m.Get("t", 0); l.LogEndOffset() != cut {
		t.Fatalf("full recovery: log end %d, want %d", l.LogEndOffset(), cut)
	}
}

// TestReadVerifiesOnlyBatchesFromDisk proves where reads check CRCs: the
// batches that were on disk when the segment was opened are verified (a
// damaged one is refused), those appended since, which were validated
// before their append, are served without computing the CRC again, as
// Kafka serves fetches. The damage below is made under the open log.
func TestReadVerifiesOnlyBatchesFromDisk(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 10) // offsets 0-29
	leo := l.LogEndOffset()
	l.Close()
	l = openLog(t, dir, leo)
	defer l.Close()
	fill(t, l, 4) // offsets 30-41, in the same segment
	damageBatch(t, dir, 12)
	damageBatch(t, dir, 33)
	end := l.LogEndOffset()
	if _, err := l.Read(12, 1<<20, end, true); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("read of a damaged batch from disk: %v, want ErrCorrupt", err)
	}
	data, err := l.Read(30, 1<<20, end, true)
	if err != nil || len(data) == 0 {
		t.Fatalf("read of batches appended since the open: %d bytes, %v", len(data), err)
	}
	if bs, _ := record.Split(data); len(bs) != 4 || bs[1].Validate() == nil {
		t.Fatalf("want the 4 appended batches, the second served as it is on disk")
	}
}
