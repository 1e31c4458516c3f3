package storage

import (
	"encoding/binary"
	"errors"
	"os"
	"sort"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// The aborted-transaction index (.txnindex), Kafka's format: entries of 34
// bytes, big endian,
//
//	version int16 (0) | producerId int64 | firstOffset int64 |
//	lastOffset int64 | lastStableOffset int64
//
// one per aborted transaction whose abort marker (lastOffset) is in the
// segment, in marker order. The partition adds them (AppendAbortedTransaction)
// as it writes or copies abort markers, and adds them again after a crash
// when it replays the markers past its producer snapshot: an entry whose
// marker is not after the last one indexed is ignored, so replays are
// idempotent. Recovery drops entries whose marker is past the recovered
// end, and truncation those at or after the truncation point. A cleaning
// writes a cleaned segment's entries anew: only those of abort markers that
// still have data of their transaction to skip (cleantxn.go).
const txnEntrySize = 34

const txnIndexExt = ".txnindex"

func appendTxnEntries(dst []byte, es []kafka.AbortedTransaction) []byte {
	for _, e := range es {
		dst = binary.BigEndian.AppendUint16(dst, 0)
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.ProducerID))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.FirstOffset))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.LastOffset))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.LastStableOffset))
	}
	return dst
}

var errBadTxnIndex = errors.New("transaction index is corrupt")

// loadTxnIndex reads a .txnindex file; a missing file is an empty index. A
// torn last entry is dropped.
func loadTxnIndex(fsys vfs.FS, path string) ([]kafka.AbortedTransaction, error) {
	out, _, err := readTxnIndex(fsys, path)
	return out, err
}

// readTxnIndex is loadTxnIndex that also reports whether the file held
// whole entries only (a missing file does).
func readTxnIndex(fsys vfs.FS, path string) ([]kafka.AbortedTransaction, bool, error) {
	data, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	whole := len(data)%txnEntrySize == 0
	var out []kafka.AbortedTransaction
	for ; len(data) >= txnEntrySize; data = data[txnEntrySize:] {
		if binary.BigEndian.Uint16(data) != 0 {
			return nil, false, errBadTxnIndex
		}
		out = append(out, kafka.AbortedTransaction{
			ProducerID:       kafka.ProducerID(binary.BigEndian.Uint64(data[2:])),
			FirstOffset:      kafka.Offset(binary.BigEndian.Uint64(data[10:])),
			LastOffset:       kafka.Offset(binary.BigEndian.Uint64(data[18:])),
			LastStableOffset: kafka.Offset(binary.BigEndian.Uint64(data[26:])),
		})
	}
	return out, whole, nil
}

// trimTxns drops the entries whose marker is at or after end.
func (s *segment) trimTxns(end int64) {
	n := sort.Search(len(s.txns), func(i int) bool { return int64(s.txns[i].LastOffset) >= end })
	s.txns = s.txns[:n]
	s.txnDisk = min(s.txnDisk, n)
}

// writeTxnIndex appends the entries not yet on disk; with sync it fsyncs
// the file even when none is new, since earlier ones may have been written
// without.
func (s *segment) writeTxnIndex(sync bool) error {
	if s.txnDisk == len(s.txns) && (!sync || s.txnDisk == 0) {
		return nil
	}
	if err := appendFile(s.fs, s.path(txnIndexExt), appendTxnEntries(nil, s.txns[s.txnDisk:]), sync); err != nil {
		return err
	}
	s.txnDisk = len(s.txns)
	return nil
}

// AppendAbortedTransaction indexes an aborted transaction in the segment
// holding its abort marker. An entry whose marker is not after the last
// one indexed was indexed before (a replay after restart): it is ignored.
func (l *Log) AppendAbortedTransaction(e kafka.AbortedTransaction) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if int64(e.LastOffset) < l.logStartOffset || int64(e.LastOffset) >= l.logEndOffset {
		return nil
	}
	for i := len(l.segments) - 1; i >= 0; i-- {
		if n := len(l.segments[i].txns); n > 0 {
			if l.segments[i].txns[n-1].LastOffset >= e.LastOffset {
				return nil
			}
			break
		}
	}
	s := l.segments[l.segmentFor(int64(e.LastOffset))]
	s.txns = append(s.txns, e)
	if s != l.active() {
		// A rolled segment writes its indexes no more: this entry goes to
		// disk now, and the next sync makes it and a new file durable.
		l.dirDirty = l.dirDirty || s.txnDisk == 0
		return s.writeTxnIndex(false)
	}
	return nil
}

// AbortedTransactions returns the aborted transactions that overlap
// [from, upTo): their marker is at or after from and their first record
// before upTo. This is what a read_committed fetch of [from, upTo) answers.
func (l *Log) AbortedTransactions(from, upTo int64) []kafka.AbortedTransaction {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed || from >= l.logEndOffset {
		return nil
	}
	var out []kafka.AbortedTransaction
	for _, s := range l.segments[l.segmentFor(max(from, l.logStartOffset)):] {
		for _, e := range s.txns {
			if int64(e.LastOffset) >= from && int64(e.FirstOffset) < upTo {
				out = append(out, e)
			}
			if int64(e.LastStableOffset) >= upTo {
				return out // every later transaction began at or after upTo
			}
		}
	}
	return out
}
