package storage

import (
	"fmt"
	"path/filepath"
	"strconv"

	"gregor/internal/vfs"
)

const leaderEpochFile = "leader-epoch-checkpoint"

// epochEntry says that leader epoch Epoch wrote its first record at StartOffset.
type epochEntry struct {
	Epoch       int32
	StartOffset int64
}

// epochCache is the leader-epoch cache: entries with strictly increasing
// epochs and non-decreasing start offsets. Not safe for concurrent use; the
// Log guards it.
//
// A new epoch seen by an append is not written at once: the file is
// written (and fsynced) by flush, which the Log calls before it moves its
// recovery point, and at close. Every batch carries its leader epoch, so
// the entries of offsets past the recovery point, which a crash may have
// kept out of the file, are found again by the recovery scan (assign of
// each scanned batch), as Kafka's log recovery does. Truncations rewrite
// the file at once: an entry they remove must not come back.
type epochCache struct {
	fs      vfs.FS
	path    string
	entries []epochEntry
	dirty   bool // entries has an epoch the file does not
}

func loadEpochCache(fsys vfs.FS, dir string) (*epochCache, error) {
	c := &epochCache{fs: fsys, path: filepath.Join(dir, leaderEpochFile)}
	lines, err := readCheckpoint(fsys, c.path, 2)
	if err != nil {
		return nil, err
	}
	for _, f := range lines {
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		o, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: bad entry %v", c.path, f)
		}
		c.entries = append(c.entries, epochEntry{int32(e), o})
	}
	return c, nil
}

func (c *epochCache) latest() int32 {
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].Epoch
}

// assign records that epoch starts at offset if epoch is newer than the latest.
func (c *epochCache) assign(epoch int32, offset int64) error {
	if epoch < 0 || epoch <= c.latest() {
		return nil
	}
	c.entries = append(c.entries, epochEntry{epoch, offset})
	c.dirty = true
	return nil
}

// flush writes the entries if an assign added one since the last write.
func (c *epochCache) flush() error {
	if !c.dirty {
		return nil
	}
	return c.save()
}

// endOffsetFor answers OffsetForLeaderEpoch.
func (c *epochCache) endOffsetFor(epoch int32, logEndOffset int64) (int32, int64) {
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].Epoch > epoch {
			continue
		}
		if i == len(c.entries)-1 {
			return c.entries[i].Epoch, logEndOffset
		}
		return c.entries[i].Epoch, c.entries[i+1].StartOffset
	}
	return -1, -1
}

// truncateFromEnd removes entries starting at or after endOffset.
func (c *epochCache) truncateFromEnd(endOffset int64) error {
	n := len(c.entries)
	for n > 0 && c.entries[n-1].StartOffset >= endOffset {
		n--
	}
	if n == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:n]
	return c.save()
}

// truncateFromStart drops entries wholly before startOffset, keeping the
// epoch in force at startOffset with its start moved up to startOffset.
func (c *epochCache) truncateFromStart(startOffset int64) error {
	i := 0
	for i+1 < len(c.entries) && c.entries[i+1].StartOffset <= startOffset {
		i++
	}
	if len(c.entries) == 0 || (i == 0 && c.entries[0].StartOffset >= startOffset) {
		return nil
	}
	c.entries = c.entries[i:]
	c.entries[0].StartOffset = max(c.entries[0].StartOffset, startOffset)
	return c.save()
}

func (c *epochCache) save() error {
	lines := make([]string, len(c.entries))
	for i, e := range c.entries {
		lines[i] = fmt.Sprintf("%d %d", e.Epoch, e.StartOffset)
	}
	if err := writeCheckpoint(c.fs, c.path, lines); err != nil {
		return err
	}
	c.dirty = false
	return nil
}
