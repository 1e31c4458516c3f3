package storage

import (
	"encoding/binary"
	"fmt"
	"sort"

	"gregor/internal/vfs"
)

const (
	offsetEntrySize = 8  // relative offset uint32, position uint32
	timeEntrySize   = 12 // timestamp int64, relative offset uint32
)

// offsetEntry maps the last offset of a batch (relative to the segment's base
// offset) to the batch's file position.
type offsetEntry struct {
	relOffset uint32
	position  uint32
}

// timeEntry says that every record up to relOffset has a timestamp <= timestamp.
type timeEntry struct {
	timestamp int64
	relOffset uint32
}

// lookup returns the position of the last entry with relOffset <= rel, or 0.
// The batch there starts at or before rel, so a forward scan finds rel.
func lookupOffset(idx []offsetEntry, rel uint32) uint32 {
	i := sort.Search(len(idx), func(i int) bool { return idx[i].relOffset > rel })
	if i == 0 {
		return 0
	}
	return idx[i-1].position
}

func appendOffsetEntries(dst []byte, idx []offsetEntry) []byte {
	for _, e := range idx {
		dst = binary.BigEndian.AppendUint32(dst, e.relOffset)
		dst = binary.BigEndian.AppendUint32(dst, e.position)
	}
	return dst
}

func appendTimeEntries(dst []byte, idx []timeEntry) []byte {
	for _, e := range idx {
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.timestamp))
		dst = binary.BigEndian.AppendUint32(dst, e.relOffset)
	}
	return dst
}

// loadOffsetIndex reads an index file and checks it against the log size: a
// whole number of entries, strictly increasing offsets and positions, all
// positions inside the log. Any violation is an error (the caller rebuilds).
func loadOffsetIndex(fsys vfs.FS, path string, logSize int64) ([]offsetEntry, error) {
	data, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	if len(data)%offsetEntrySize != 0 {
		return nil, fmt.Errorf("%s: size %d not a multiple of %d", path, len(data), offsetEntrySize)
	}
	idx := make([]offsetEntry, len(data)/offsetEntrySize)
	for i := range idx {
		p := data[i*offsetEntrySize:]
		idx[i] = offsetEntry{binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])}
		if int64(idx[i].position) >= logSize || (i > 0 && !idx[i].after(idx[i-1])) {
			return nil, fmt.Errorf("%s: entry %d inconsistent with the log", path, i)
		}
	}
	return idx, nil
}

func (e offsetEntry) after(prev offsetEntry) bool {
	return e.relOffset > prev.relOffset && e.position > prev.position
}

// loadTimeIndex reads a time index: whole entries, increasing timestamps and
// non-decreasing offsets.
func loadTimeIndex(fsys vfs.FS, path string) ([]timeEntry, error) {
	data, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	if len(data)%timeEntrySize != 0 {
		return nil, fmt.Errorf("%s: size %d not a multiple of %d", path, len(data), timeEntrySize)
	}
	idx := make([]timeEntry, len(data)/timeEntrySize)
	for i := range idx {
		p := data[i*timeEntrySize:]
		idx[i] = timeEntry{int64(binary.BigEndian.Uint64(p)), binary.BigEndian.Uint32(p[8:])}
		if i > 0 && (idx[i].timestamp <= idx[i-1].timestamp || idx[i].relOffset < idx[i-1].relOffset) {
			return nil, fmt.Errorf("%s: entry %d out of order", path, i)
		}
	}
	return idx, nil
}
