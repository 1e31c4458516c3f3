package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/record"
	"gregor/internal/vfs"
)

const crashDir = "/data/t-0"

// workload produces a deterministic sequence of random batches.
type workload struct {
	rng   *rand.Rand
	epoch int32 // leader epoch of the next append; never decreases
}

func newWorkload(seed uint64) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 1)), epoch: 1}
}

func (w *workload) batch(t testing.TB) record.Batch {
	rs := make([]record.Record, 1+w.rng.IntN(5))
	for i := range rs {
		v := make([]byte, 10+w.rng.IntN(200))
		for j := range v {
			v[j] = byte(w.rng.Uint32())
		}
		rs[i] = record.Record{Timestamp: 1000 + int64(w.rng.IntN(1000)), Value: v}
	}
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: rs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func crashConfig() Config {
	c := smallConfig() // 4 KiB segments: a few hundred appends roll many times
	c.SegmentBytes = 2048
	return c
}

func openOn(t testing.TB, fsys vfs.FS, rp int64, cfg Config) *Log {
	t.Helper()
	l, err := OpenAtFS(fsys, crashDir, rp, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendAll appends n workload batches (with a leader epoch that grows now
// and then), calling after(i) after each successful one; it returns the
// batches as stored.
func appendAll(t *testing.T, l *Log, w *workload, n int, after func(i int)) []record.Batch {
	t.Helper()
	var out []record.Batch
	for i := range n {
		if w.rng.IntN(50) == 0 {
			w.epoch++
		}
		b := w.batch(t)
		if _, _, err := l.Append(b, w.epoch); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, append(record.Batch(nil), b...))
		if after != nil {
			after(i)
		}
	}
	return out
}

// checkPrefix verifies that the reopened log serves a valid prefix of want:
// every batch validates, offsets are contiguous from the log start, each
// batch is byte-identical to the appended one, the log end and the latest
// leader epoch agree with the last batch. It returns the prefix length.
func checkPrefix(t *testing.T, l *Log, want []record.Batch) int {
	t.Helper()
	got := readAll(t, l) // validates each batch
	if len(got) > len(want) {
		t.Fatalf("log has %d batches, only %d were appended", len(got), len(want))
	}
	next := l.LogStartOffset()
	for i, b := range got {
		if b.BaseOffset() != next {
			t.Fatalf("batch %d: base offset %d, want %d", i, b.BaseOffset(), next)
		}
		if !bytes.Equal(b, want[i]) {
			t.Fatalf("batch %d (offset %d) differs from what was appended", i, next)
		}
		next = b.NextOffset()
	}
	if l.LogEndOffset() != next {
		t.Fatalf("log end %d, batches end at %d", l.LogEndOffset(), next)
	}
	wantEpoch := int32(-1)
	if len(got) > 0 {
		wantEpoch = got[len(got)-1].PartitionLeaderEpoch()
	}
	if e := l.LatestEpoch(); e != wantEpoch {
		t.Fatalf("latest epoch %d, last batch has %d", e, wantEpoch)
	}
	return len(got)
}

// TestCrashSyncEveryAppend proves that with log.flush.interval.messages=1
// every append that returned survives a power cut byte for byte with its
// offsets, and that an append whose fsync failed is the only thing that may
// be lost or kept beyond them.
func TestCrashSyncEveryAppend(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := vfs.NewMem()
			cfg := crashConfig()
			cfg.FlushIntervalMessages = 1
			l := openOn(t, mem, 0, cfg)
			w := newWorkload(seed)
			want := appendAll(t, l, w, 300, nil)
			rp := l.RecoveryPoint()
			inflight := w.batch(t)
			mem.FailNextSync(errors.New("disk on fire"))
			if _, _, err := l.Append(inflight, w.epoch); err == nil {
				t.Fatal("append succeeded although its fsync failed")
			}
			if seed%2 == 0 {
				mem.Crash()
			} else {
				mem.CrashTorn(seed)
			}
			l = openOn(t, mem, rp, cfg)
			defer l.Close()
			n := checkPrefix(t, l, append(want, inflight))
			if n < len(want) {
				t.Fatalf("%d of %d acknowledged batches survived", n, len(want))
			}
		})
	}
}

// TestCrashDefaultPolicy proves that without fsync-per-append a power cut
// leaves a valid prefix of the appends that holds everything appended before
// the last successful Flush, both when unsynced bytes vanish and when a torn
// part of them survives.
func TestCrashDefaultPolicy(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := vfs.NewMem()
			l := openOn(t, mem, 0, crashConfig())
			w := newWorkload(seed)
			flushed := 0
			want := appendAll(t, l, w, 300, func(i int) {
				if w.rng.IntN(40) == 0 {
					if err := l.Flush(); err != nil {
						t.Fatal(err)
					}
					flushed = i + 1
				}
			})
			rp := l.RecoveryPoint()
			if seed%2 == 0 {
				mem.Crash()
			} else {
				mem.CrashTorn(seed)
			}
			l = openOn(t, mem, rp, crashConfig())
			n := checkPrefix(t, l, want)
			if n < flushed {
				t.Fatalf("%d batches survived, %d were flushed", n, flushed)
			}
			// The recovered log takes appends and survives the next crash.
			more := appendAll(t, l, w, 50, nil)
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			mem.Crash()
			l = openOn(t, mem, 0, crashConfig())
			defer l.Close()
			if got := checkPrefix(t, l, append(want[:n:n], more...)); got != n+len(more) {
				t.Fatalf("after the second crash %d batches, want %d", got, n+len(more))
			}
		})
	}
}

// logBytesOnDisk sums the sizes of the .log files in the partition dir.
func logBytesOnDisk(t *testing.T, fsys vfs.FS) int64 {
	ents, err := fsys.ReadDir(crashDir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") {
			st, err := fsys.Stat(filepath.Join(crashDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			n += st.Size()
		}
	}
	return n
}

// TestCrashTornTail proves that recovery truncates a batch torn by a power
// cut and never serves it, from the recovery point the log had.
func TestCrashTornTail(t *testing.T) {
	torn := 0
	for seed := range uint64(16) {
		mem := vfs.NewMem()
		l := openOn(t, mem, 0, crashConfig())
		w := newWorkload(seed)
		want := appendAll(t, l, w, 40, nil)
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		rp := l.RecoveryPoint()
		var b record.Batch
		for range 3 { // unsynced appends that stay in the active segment
			b = w.batch(t)
			if _, _, err := l.Append(b, w.epoch); err != nil {
				t.Fatal(err)
			}
			want = append(want, append(record.Batch(nil), b...))
		}
		mem.CrashTorn(seed)
		onDisk := logBytesOnDisk(t, mem)
		l = openOn(t, mem, rp, crashConfig())
		n := checkPrefix(t, l, want)
		if n < 40 {
			t.Fatalf("seed %d: flushed batches lost: %d survived", seed, n)
		}
		if l.Size() < onDisk {
			torn++
			if data, err := l.Read(l.LogEndOffset(), 1<<20, 1<<62, true); err != nil || data != nil {
				t.Fatalf("seed %d: read at the log end gave %d bytes, %v", seed, len(data), err)
			}
		}
		l.Close()
	}
	if torn == 0 {
		t.Fatal("no seed produced a torn tail: the test proves nothing")
	}
}

// failDirSync fails SyncDir while on is set.
type failDirSync struct {
	vfs.FS
	on bool
}

func (f *failDirSync) SyncDir(name string) error {
	if f.on {
		return vfs.ErrInjected
	}
	return f.FS.SyncDir(name)
}

// TestCrashFailedFsync proves that when fsync of a segment, an index or the
// directory fails, Flush returns the error and the recovery point stays, so
// a checkpoint never claims what is not durable; a later Flush recovers.
func TestCrashFailedFsync(t *testing.T) {
	for _, target := range []string{".log", ".index", ".timeindex", "dir"} {
		t.Run(target, func(t *testing.T) {
			mem := vfs.NewMem()
			fsys := &failDirSync{FS: mem}
			l := openOn(t, fsys, 0, crashConfig())
			w := newWorkload(7)
			want := appendAll(t, l, w, 30, nil)
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			rp := l.RecoveryPoint()
			want = append(want, appendAll(t, l, w, 30, nil)...) // rolls: the dir is dirty
			if target == "dir" {
				fsys.on = true
			} else {
				mem.FailSyncs(target)
			}
			if err := l.Flush(); !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("Flush with failing fsync of %s: %v", target, err)
			}
			if got := l.RecoveryPoint(); got != rp {
				t.Fatalf("recovery point moved from %d to %d on a failed flush", rp, got)
			}
			fsys.on = false
			mem.FailSyncs("")
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if l.RecoveryPoint() != l.LogEndOffset() {
				t.Fatalf("recovery point %d after a good flush, log end %d", l.RecoveryPoint(), l.LogEndOffset())
			}
			mem.Crash()
			l = openOn(t, mem, l.RecoveryPoint(), crashConfig())
			defer l.Close()
			if n := checkPrefix(t, l, want); n != len(want) {
				t.Fatalf("%d of %d flushed batches survived", n, len(want))
			}
		})
	}
}

var errCrashed = errors.New("crashed")

// crashingFS lets left more mutating operations through, then cuts the power
// (torn with a seed if torn) before the next one and fails everything after.
// For one goroutine.
type crashingFS struct {
	*vfs.Mem
	left    int
	torn    bool
	seed    uint64
	crashed bool
}

func (c *crashingFS) step() error {
	if c.crashed {
		return errCrashed
	}
	if c.left--; c.left < 0 {
		c.crashed = true
		if c.torn {
			c.CrashTorn(c.seed)
		} else {
			c.Crash()
		}
		return errCrashed
	}
	return nil
}

func (c *crashingFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	if err := c.step(); err != nil {
		return nil, err
	}
	f, err := c.Mem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &crashingFile{f, c}, nil
}

// The operations below do nothing once the power is cut: on the restored
// filesystem they would change what the reopened log sees.

func (c *crashingFS) Rename(o, n string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Mem.Rename(o, n)
}

func (c *crashingFS) Remove(n string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Mem.Remove(n)
}

func (c *crashingFS) SyncDir(n string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Mem.SyncDir(n)
}

type crashingFile struct {
	vfs.File
	c *crashingFS
}

func (f *crashingFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.c.step(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *crashingFile) Sync() error {
	if err := f.c.step(); err != nil {
		return err
	}
	return f.File.Sync()
}

// TestCrashAtomicFiles proves that a snapshot or a checkpoint file written
// while the power is cut at any step survives whole, as the old or the new
// version, never half-written, and as the new one once the write returned
// (for a snapshot: once the log's next Flush returned).
func TestCrashAtomicFiles(t *testing.T) {
	oldSnap, newSnap := bytes.Repeat([]byte("old"), 300), bytes.Repeat([]byte("new!"), 400)
	oldLines, newLines := []string{"t 0 10", "t 1 20"}, []string{"t 0 30", "t 1 40", "u 0 50"}
	for step := 0; ; step++ {
		finished := false
		for _, torn := range []bool{false, true} {
			c := &crashingFS{Mem: vfs.NewMem(), left: 1 << 30, torn: torn, seed: uint64(step)}
			l := openOn(t, c, 0, crashConfig())
			appendAll(t, l, newWorkload(1), 10, nil)
			cp := filepath.Join(crashDir, "checkpoint")
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := l.WriteSnapshot(3, oldSnap); err != nil {
				t.Fatal(err)
			}
			if err := writeCheckpoint(c, cp, oldLines); err != nil {
				t.Fatal(err)
			}
			c.left = step
			errSnap := l.WriteSnapshot(5, newSnap)
			if errSnap == nil {
				errSnap = l.Flush() // which makes the snapshot's rename durable
			}
			errCp := writeCheckpoint(c, cp, newLines)
			finished = !c.crashed
			if !c.crashed {
				c.Crash()
			}
			l = openOn(t, c.Mem, 0, crashConfig())
			off, data, err := l.LatestSnapshot()
			switch {
			case err != nil:
				t.Fatalf("step %d: %v", step, err)
			case off == 3 && bytes.Equal(data, oldSnap) && errSnap != nil:
			case off == 5 && bytes.Equal(data, newSnap):
			default:
				t.Fatalf("step %d torn %v: snapshot %d of %d bytes (write error %v)", step, torn, off, len(data), errSnap)
			}
			lines, err := readCheckpoint(c.Mem, cp, 3)
			if err != nil {
				t.Fatalf("step %d torn %v: checkpoint: %v", step, torn, err)
			}
			got := fmt.Sprint(lines)
			if got != fmt.Sprint(split(newLines)) && (got != fmt.Sprint(split(oldLines)) || errCp == nil) {
				t.Fatalf("step %d torn %v: checkpoint %s (write error %v)", step, torn, got, errCp)
			}
			l.Close()
		}
		if finished {
			return
		}
	}
}

func split(lines []string) [][]string {
	var out [][]string
	for _, l := range lines {
		out = append(out, strings.Fields(l))
	}
	return out
}
