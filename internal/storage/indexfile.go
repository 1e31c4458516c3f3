package storage

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// IndexEntry is one entry of an offset index file (.index): the last
// offset of a batch and the batch's position in the segment's .log.
type IndexEntry struct {
	Offset   int64
	Position int64
}

// TimeIndexEntry is one entry of a time index file (.timeindex): every
// record up to Offset has a timestamp at most Timestamp.
type TimeIndexEntry struct {
	Timestamp int64
	Offset    int64
}

// SegmentBaseOffset is the base offset a segment file's name gives
// (00000000000000000042.index: 42).
func SegmentBaseOffset(path string) (int64, error) {
	name := filepath.Base(path)
	digits, _, _ := strings.Cut(name, ".")
	base, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || len(digits) != 20 {
		return 0, fmt.Errorf("%s: not a segment file name (20 digits of base offset, then an extension)", name)
	}
	return base, nil
}

// ReadOffsetIndexFile reads the entries of an offset index file as they
// are, for tools; with logSize >= 0 it also applies the checks of a log's
// open (whole entries, increasing, positions inside a log of logSize
// bytes), failing where the broker would rebuild the index.
func ReadOffsetIndexFile(path string, logSize int64) ([]IndexEntry, error) {
	base, err := SegmentBaseOffset(path)
	if err != nil {
		return nil, err
	}
	if logSize >= 0 {
		if _, err := loadOffsetIndex(vfs.OS, path, logSize); err != nil {
			return nil, err
		}
	}
	data, err := vfs.ReadFile(vfs.OS, path)
	if err != nil {
		return nil, err
	}
	out := make([]IndexEntry, len(data)/offsetEntrySize)
	for i := range out {
		p := data[i*offsetEntrySize:]
		out[i] = IndexEntry{base + int64(binary.BigEndian.Uint32(p)), int64(binary.BigEndian.Uint32(p[4:]))}
	}
	return out, nil
}

// ReadTimeIndexFile reads the entries of a time index file, for tools;
// with check it also applies the checks of a log's open.
func ReadTimeIndexFile(path string, check bool) ([]TimeIndexEntry, error) {
	base, err := SegmentBaseOffset(path)
	if err != nil {
		return nil, err
	}
	if check {
		if _, err := loadTimeIndex(vfs.OS, path); err != nil {
			return nil, err
		}
	}
	data, err := vfs.ReadFile(vfs.OS, path)
	if err != nil {
		return nil, err
	}
	out := make([]TimeIndexEntry, len(data)/timeEntrySize)
	for i := range out {
		p := data[i*timeEntrySize:]
		out[i] = TimeIndexEntry{int64(binary.BigEndian.Uint64(p)), base + int64(binary.BigEndian.Uint32(p[8:]))}
	}
	return out, nil
}

// ReadTxnIndexFile reads the aborted transactions of a .txnindex file, for
// tools.
func ReadTxnIndexFile(path string) ([]kafka.AbortedTransaction, error) {
	return loadTxnIndex(vfs.OS, path)
}
