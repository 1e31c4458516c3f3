package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"gregor/internal/record"
)

// errCorruptTail marks damage that recovery repairs by truncation, as opposed
// to an I/O error that fails the open.
var errCorruptTail = errors.New("corrupt tail")

// recover brings a segment opened from disk to a consistent state: it loads
// the indexes (or discards them if unreadable or inconsistent), re-validates
// every batch from the indexed position at or below recoveryPoint to the end
// of the file, and truncates the first torn or corrupt batch and everything
// after it. A sealed segment (one a later segment follows) gets the time
// entry its roll wrote. The index files are rewritten only when they hold
// something the recovered indexes do not: entries they lack are appended
// by the next roll, flush or close. It reports whether it truncated.
func (s *segment) recover(recoveryPoint int64, sealed bool, cfg Config, logger *slog.Logger, epochs *epochCache) (bool, error) {
	start, files := s.loadIndexes(recoveryPoint)
	end, err := s.scan(start, cfg, epochs)
	if err != nil && !errors.Is(err, errCorruptTail) {
		return false, err
	}
	truncated := end < s.size
	s.trimTxns(s.nextOffset)
	if truncated {
		logger.Warn("truncating corrupt log tail", "dir", s.dir, "segment", s.baseOffset,
			"offset", s.nextOffset, "position", end, "bytes truncated", s.size-end, "error", err)
		if err := s.f.Truncate(end); err != nil {
			return false, err
		}
		s.size = end
	}
	if sealed && !truncated {
		s.maybeTimeEntry()
	}
	if files.matches(s) {
		files.keep(s)
		return truncated, nil
	}
	return truncated, s.rewriteIndexes()
}

// indexFiles is what a segment's index files held when it was opened. A
// file that could not be read whole has ok false.
type indexFiles struct {
	index           []offsetEntry
	time            []timeEntry
	txns            int
	indexOK, timeOK bool
	txnsOK          bool
}

// matches reports whether every file holds a prefix of the segment's
// in-memory entries, so that appending the rest makes them whole.
func (f indexFiles) matches(s *segment) bool {
	return f.indexOK && f.timeOK && f.txnsOK && len(s.txns) == f.txns &&
		len(f.index) <= len(s.index) && slices.Equal(f.index, s.index[:len(f.index)]) &&
		len(f.time) <= len(s.timeIndex) && slices.Equal(f.time, s.timeIndex[:len(f.time)])
}

// keep records the files as holding their entries, not known to be
// fsynced (a process crash leaves them in the page cache only): the next
// flush fsyncs them.
func (f indexFiles) keep(s *segment) {
	s.indexDisk, s.timeDisk, s.txnDisk = len(f.index), len(f.time), f.txns
	s.indexSynced, s.timeSynced = 0, 0
	s.indexFilesMade = true
}

// loadIndexes loads the index files and returns the position to validate
// from with what the files held; on any inconsistency it clears the
// in-memory indexes and returns 0.
func (s *segment) loadIndexes(recoveryPoint int64) (int64, indexFiles) {
	s.index, s.timeIndex, s.maxTimestamp, s.offsetOfMaxTs = nil, nil, -1, -1
	var files indexFiles
	if txns, whole, err := readTxnIndex(s.fs, s.path(txnIndexExt)); err == nil {
		s.txns = txns // trimmed to the recovered end after the scan
		files.txns, files.txnsOK = len(txns), whole
	}
	idx, err1 := loadOffsetIndex(s.fs, s.path(".index"), s.size)
	tidx, err2 := loadTimeIndex(s.fs, s.path(".timeindex"))
	files.index, files.indexOK = idx, err1 == nil
	files.time, files.timeOK = tidx, err2 == nil
	if err1 != nil || err2 != nil || recoveryPoint <= s.baseOffset {
		return 0, files
	}
	s.index = idx
	pos := s.lookupPosition(recoveryPoint)
	h, err := s.headerAt(pos, s.size)
	k := len(idx)
	for k > 0 && int64(idx[k-1].position) > pos {
		k--
	}
	if pos == 0 || err != nil || k == 0 || h.lastOffset != s.baseOffset+int64(idx[k-1].relOffset) {
		s.index = nil
		return 0, files
	}
	s.index = idx[:k-1] // the entry at pos is re-added by the scan if due
	s.keepTimeEntriesBefore(tidx, uint32(h.baseOffset-s.baseOffset))
	s.nextOffset = h.baseOffset
	return pos, files
}

func (s *segment) keepTimeEntriesBefore(tidx []timeEntry, rel uint32) {
	n := 0
	for n < len(tidx) && tidx[n].relOffset < rel {
		n++
	}
	s.timeIndex = tidx[:n]
	if n > 0 {
		s.maxTimestamp = tidx[n-1].timestamp
		s.offsetOfMaxTs = s.baseOffset + int64(tidx[n-1].relOffset)
	}
}

// scan validates and indexes batches from pos to the end of the file. It
// returns the end of the last good batch; the error wraps errCorruptTail if
// it stopped at a bad batch.
//
// Each batch's leader epoch goes to epochs (when not nil), which keeps the
// epochs newer than its latest: the entries a crash kept out of the
// leader-epoch-checkpoint file.
func (s *segment) scan(pos int64, cfg Config, epochs *epochCache) (int64, error) {
	fileSize := s.size
	defer func() { s.size = fileSize }() // indexBatch moves it; recover truncates
	// Reads of up to 1 MiB, but no bigger buffer than the bytes to scan:
	// a restart scans a few KiB of each of thousands of segments.
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, pos, fileSize-pos), int(min(1<<20, max(fileSize-pos, 16))))
	if pos == 0 {
		s.nextOffset = s.baseOffset
	}
	s.sinceIndex = int64(cfg.IndexIntervalBytes) + 1 // index the first scanned batch if pos > 0
	if pos == 0 {
		s.sinceIndex = 0
	}
	var buf []byte
	for pos < fileSize {
		b, err := readBatch(r, fileSize-pos, &buf)
		if err == nil {
			err = s.checkBatch(b)
		}
		if err != nil {
			return pos, err
		}
		s.indexBatch(b, pos, cfg)
		if epochs != nil {
			epochs.assign(b.PartitionLeaderEpoch(), b.BaseOffset())
		}
		pos += int64(len(b))
	}
	return pos, nil
}

// readBatch reads one whole batch, never allocating beyond the bytes left.
func readBatch(r io.Reader, left int64, buf *[]byte) (record.Batch, error) {
	var lenBuf [12]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%w: torn batch header: %v", errCorruptTail, err)
	}
	n, err := record.FrameLength(lenBuf[:])
	if err != nil || int64(n) > left {
		return nil, fmt.Errorf("%w: bad or torn batch length", errCorruptTail)
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	copy(b, lenBuf[:])
	if _, err := io.ReadFull(r, b[12:]); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorruptTail, err)
	}
	return record.Batch(b), nil
}

func (s *segment) checkBatch(b record.Batch) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errCorruptTail, err)
	}
	if b.BaseOffset() < s.nextOffset {
		return fmt.Errorf("%w: base offset %d below %d", errCorruptTail, b.BaseOffset(), s.nextOffset)
	}
	return nil
}
