package storage

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gregor/internal/vfs"
)

const snapshotsKept = 2

// WriteSnapshot stores an opaque producer-state snapshot taken at offset as
// <offset>.snapshot, atomically, keeping the newest two.
func (l *Log) WriteSnapshot(offset int64, data []byte) error {
	if err := l.Offline(); err != nil {
		return err
	}
	return l.failed(l.writeSnapshot(offset, data))
}

// The new file's directory entry is made durable by the log's next Flush
// (at a clean stop, the one that follows), not by an fsync of its own: a
// snapshot only spares replaying the log, and one lost to a power cut
// leaves an older one, from which the log is replayed.
func (l *Log) writeSnapshot(offset int64, data []byte) error {
	if err := replaceFile(l.fs, filepath.Join(l.Dir(), fmt.Sprintf("%020d.snapshot", offset)), data); err != nil {
		return err
	}
	l.writeMu.Lock()
	l.markDirDirty()
	l.writeMu.Unlock()
	offs, err := l.snapshotOffsets()
	for len(offs) > snapshotsKept && err == nil {
		err = l.fs.Remove(l.snapshotPath(offs[0]))
		offs = offs[1:]
	}
	return err
}

// LatestSnapshot returns the newest snapshot at or below LogEndOffset,
// deleting any above it; offset -1 and nil data if none.
func (l *Log) LatestSnapshot() (offset int64, data []byte, err error) {
	offs, err := l.snapshotOffsets()
	if err != nil {
		return -1, nil, err
	}
	leo := l.LogEndOffset()
	for i := len(offs) - 1; i >= 0; i-- {
		if offs[i] > leo {
			l.fs.Remove(l.snapshotPath(offs[i]))
			continue
		}
		data, err := vfs.ReadFile(l.fs, l.snapshotPath(offs[i]))
		return offs[i], data, err
	}
	return -1, nil, nil
}

func (l *Log) snapshotPath(offset int64) string {
	return filepath.Join(l.Dir(), fmt.Sprintf("%020d.snapshot", offset))
}

func (l *Log) snapshotOffsets() ([]int64, error) {
	ents, err := l.fs.ReadDir(l.Dir())
	if err != nil {
		return nil, err
	}
	var offs []int64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".snapshot")
		if n, err := strconv.ParseInt(name, 10, 64); ok && err == nil {
			offs = append(offs, n)
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	return offs, nil
}
