package storage

import (
	"testing"

	"gregor/internal/vfs"
)

// TestEpochsFoundAgainAfterCrash proves that the leader epochs of appends
// after the last flush, which an append no longer writes to
// leader-epoch-checkpoint, are all known again after a power cut (the
// recovery scan reads them from the batches), and that those before the
// flush survive in the file: OffsetForLeaderEpoch answers every epoch as
// before the cut.
func TestEpochsFoundAgainAfterCrash(t *testing.T) {
	mem := vfs.NewMem()
	l := openOn(t, mem, 0, crashConfig())
	w := newWorkload(7)
	starts := map[int32]int64{}
	appendEpoch := func(epoch int32, n int) {
		w.epoch = epoch
		for range n {
			base, _, err := l.Append(w.batch(t), epoch)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := starts[epoch]; !ok {
				starts[epoch] = int64(base)
			}
		}
	}
	appendEpoch(1, 30)
	appendEpoch(3, 30)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	rp := l.RecoveryPoint()
	appendEpoch(4, 30) // after the flush: in no file that was fsynced
	appendEpoch(6, 30)
	for _, s := range l.segments { // the batches durable, the epochs' file not written
		if err := s.f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := mem.SyncDir(crashDir); err != nil {
		t.Fatal(err)
	}
	end := l.LogEndOffset()
	want := map[int32][2]int64{}
	for _, e := range []int32{0, 1, 2, 3, 4, 5, 6, 7} {
		got, off := l.EndOffsetForEpoch(e)
		want[e] = [2]int64{int64(got), off}
	}
	mem.Crash()

	l = openOn(t, mem, rp, crashConfig())
	defer l.Close()
	if l.LogEndOffset() != end {
		t.Fatalf("log end %d after the cut, want %d (the batches were synced)", l.LogEndOffset(), end)
	}
	if e := l.LatestEpoch(); e != 6 {
		t.Fatalf("latest epoch %d after the cut, want 6", e)
	}
	for e, w := range want {
		got, off := l.EndOffsetForEpoch(e)
		if int64(got) != w[0] || off != w[1] {
			t.Errorf("epoch %d: (%d, %d) after the cut, want (%d, %d) as before", e, got, off, w[0], w[1])
		}
	}
	if got, off := l.EndOffsetForEpoch(3); off != starts[4] || got != 3 {
		t.Errorf("epoch 3 ends at %d (epoch %d), want %d, where epoch 4 starts", off, got, starts[4])
	}
}
