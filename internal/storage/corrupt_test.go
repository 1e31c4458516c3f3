package storage

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"gregor/internal/record"
	"gregor/internal/vfs"
)

// lockedBuffer collects log output from concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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

	var logs lockedBuffer
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
