package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// segment is one .log file with its in-memory offset and time indexes. The
// index files are append-only: entries are kept in memory and the tail not
// yet on disk is written on roll, flush and close (recovery rebuilds them).
// The Log guards every field; the file is read with pread without a lock, only
// below the published size.
//
// refs counts the Log's reference (while the segment is in its list) plus
// one per reader or cleaner holding it: the file is closed when the count
// drops to zero, so a segment that retention or the cleaner replaced stays
// readable by whoever captured it.
type segment struct {
	refs atomic.Int32

	baseOffset int64
	fs         vfs.FS
	dir        string
	// suffix follows the extension in the file names: "" in the log; the
	// cleaner writes a segment as .cleaned and commits it as .swap.
	suffix     string
	f          *cachedFile // opened on demand through the Log's FileCache
	size       int64       // bytes of whole batches; nothing is read beyond it
	nextOffset int64       // last offset of the last batch + 1, or baseOffset

	index     []offsetEntry
	timeIndex []timeEntry
	indexDisk int // entries of index already in the .index file
	timeDisk  int // entries of timeIndex already in the .timeindex file
	// indexSynced and timeSynced are indexDisk and timeDisk at the last
	// fsync of their file: equal, a file has nothing to fsync.
	indexSynced, timeSynced int
	// indexFilesMade says both index files exist: an append with nothing
	// to write or fsync (a close after a restart) then skips them.
	indexFilesMade bool
	// txns are the aborted transactions whose marker is in this segment,
	// in marker order (txnindex.go); txnDisk of them are in the file.
	txns       []kafka.AbortedTransaction
	txnDisk    int
	sinceIndex int64

	maxTimestamp  int64 // -1 if empty
	offsetOfMaxTs int64 // last offset of the batch holding maxTimestamp
	created       time.Time
	// rollJitterMs is how much earlier than SegmentMs after created the
	// segment rolls (Config.randomSegmentJitter), drawn when created is set.
	rollJitterMs int64
	// firstBatchTs is the max timestamp of the segment's first batch,
	// which segment.ms counts from as Kafka's LogSegment does (-1: none,
	// then created; firstTsUnknown until read from the file). Guarded by
	// the log's writeMu.
	firstBatchTs int64
	// lastModified is the time of the last append (the file's mtime when
	// opened; zero if unknown). Retention falls back on it when no record
	// has a timestamp, as Kafka does.
	lastModified time.Time
	// fromDisk is how many bytes of the .log were on disk when it was
	// opened (for a cleaned segment, all of them): reads verify the CRC of
	// the batches that start there, which this process has not checked.
	// Later batches were appended by this process after their producer's
	// batch was validated, a follower's fetch was, or the broker built
	// them, so reads serve them without computing the CRC again (Kafka
	// verifies none on fetch). Set before the segment is shared.
	fromDisk int64
	// reportedCorrupt is 1 + the position of the last damaged batch a
	// read logged (0: none), so that each is logged once.
	reportedCorrupt atomic.Int64
}

func segmentName(dir string, base int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, ext))
}

func (s *segment) path(ext string) string { return segmentName(s.dir, s.baseOffset, ext) + s.suffix }

func openSegmentFile(fsys vfs.FS, files *FileCache, dir string, base int64) (*segment, error) {
	path := segmentName(dir, base, ".log")
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &segment{baseOffset: base, fs: fsys, dir: dir, f: newCachedFile(files, fsys, path, f), size: st.Size(), fromDisk: st.Size(), nextOffset: base,
		maxTimestamp: -1, offsetOfMaxTs: -1, firstBatchTs: firstTsUnknown, lastModified: st.ModTime()}
	s.refs.Store(1)
	return s, nil
}

// openCleanSegment opens a sealed segment that a clean shutdown left wholly
// below the recovery point without reading it, as Kafka trusts the files of
// a clean shutdown: its size and modification time come from the file's
// metadata, its indexes from their files (whole entries, increasing,
// positions inside the log, offsets below next, the next segment's base),
// its largest timestamp from the last time entry, which its roll or its
// cleaning wrote. With a FileCache the .log opens on its first read. false:
// a file does not pass, and the caller recovers the segment.
func openCleanSegment(fsys vfs.FS, files *FileCache, dir string, base, next int64) (*segment, bool) {
	path := segmentName(dir, base, ".log")
	st, err := fsys.Stat(path)
	if err != nil || st.Size() == 0 {
		return nil, false
	}
	s := &segment{baseOffset: base, fs: fsys, dir: dir, size: st.Size(), fromDisk: st.Size(), nextOffset: next,
		maxTimestamp: -1, offsetOfMaxTs: -1, firstBatchTs: firstTsUnknown, lastModified: st.ModTime()}
	idx, err1 := loadOffsetIndex(fsys, s.path(".index"), s.size)
	tidx, err2 := loadTimeIndex(fsys, s.path(".timeindex"))
	txns, whole, err3 := readTxnIndex(fsys, s.path(txnIndexExt))
	if err1 != nil || err2 != nil || err3 != nil || !whole {
		return nil, false
	}
	if n := len(idx); n > 0 && base+int64(idx[n-1].relOffset) >= next {
		return nil, false
	}
	if n := len(tidx); n > 0 {
		last := base + int64(tidx[n-1].relOffset)
		if last >= next {
			return nil, false
		}
		s.maxTimestamp, s.offsetOfMaxTs = tidx[n-1].timestamp, last
	}
	s.index, s.timeIndex, s.txns = idx, tidx, txns
	s.indexDisk, s.timeDisk, s.txnDisk = len(idx), len(tidx), len(txns)
	s.indexSynced, s.timeSynced = len(idx), len(tidx) // the clean shutdown fsynced them
	s.indexFilesMade = true
	if files != nil {
		s.f = &cachedFile{cache: files, fs: fsys, path: path} // opened on demand
	} else {
		f, err := fsys.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, false
		}
		s.f = newCachedFile(nil, fsys, path, f)
	}
	s.refs.Store(1)
	return s, true
}

// acquire takes a reference for a reader; the Log's mutex must be held (at
// least shared) so that the segment is still in the list.
func (s *segment) acquire() { s.refs.Add(1) }

// release drops a reference and closes the file with the last one.
func (s *segment) release() {
	if n := s.refs.Add(-1); n == 0 {
		s.f.Close()
	} else if n < 0 {
		panic(fmt.Sprintf("segment %s released %d times too often", s.path(".log"), -n))
	}
}

// largestTimestamp is what time retention compares: the largest record
// timestamp, else the last modification time (Kafka's
// LogSegment.largestTimestamp); ok is false when neither is known.
func (s *segment) largestTimestamp() (ms int64, ok bool) {
	if s.maxTimestamp >= 0 {
		return s.maxTimestamp, true
	}
	return s.lastModified.UnixMilli(), !s.lastModified.IsZero()
}

// newSegment creates an empty segment, removing stale files of the same base.
func newSegment(fsys vfs.FS, files *FileCache, dir string, base int64, now time.Time) (*segment, error) {
	for _, ext := range segmentExts {
		if err := fsys.Remove(segmentName(dir, base, ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	s, err := openSegmentFile(fsys, files, dir, base)
	if s != nil {
		s.created = now
	}
	return s, err
}

// firstTsUnknown marks a firstBatchTs not yet read from the file.
const firstTsUnknown = math.MinInt64

// fits reports whether a write of n bytes ending at offset last, whose
// largest timestamp is maxTs, fits without a roll. segment.ms is measured
// as Kafka's LogSegment.shouldRoll measures it: from the first batch's
// max timestamp to maxTs, or by the clock since created when the first
// batch has no timestamp.
func (s *segment) fits(n, last, maxTs int64, cfg Config, now time.Time) bool {
	if s.size == 0 {
		return true
	}
	if s.firstBatchTs == firstTsUnknown {
		s.firstBatchTs = -1
		if ts, ok := s.readFirstBatchTimestamp(); ok {
			s.firstBatchTs = ts
		}
	}
	waited := now.Sub(s.created).Milliseconds()
	if s.firstBatchTs >= 0 {
		waited = maxTs - s.firstBatchTs
	}
	return s.size+n <= cfg.SegmentBytes && s.size+n <= math.MaxInt32 &&
		last-s.baseOffset <= math.MaxInt32 &&
		waited <= cfg.SegmentMs-s.rollJitterMs &&
		len(s.index) < cfg.maxIndexEntries() && len(s.timeIndex) < cfg.maxIndexEntries()
}

// readFirstBatchTimestamp reads the max timestamp of the first batch from
// the file's header.
func (s *segment) readFirstBatchTimestamp() (int64, bool) {
	if s.size < record.HeaderSize {
		return 0, false
	}
	var hdr [record.HeaderSize]byte
	if _, err := s.f.ReadAt(hdr[:], 0); err != nil {
		return 0, false
	}
	return record.Batch(hdr[:]).MaxTimestamp(), true
}

// indexBatch updates the in-memory indexes for a batch written at pos.
func (s *segment) indexBatch(b record.Batch, pos int64, cfg Config) {
	if s.sinceIndex > int64(cfg.IndexIntervalBytes) {
		rel := uint32(b.LastOffset() - s.baseOffset)
		s.index = append(s.index, offsetEntry{rel, uint32(pos)})
		s.maybeTimeEntry()
		s.sinceIndex = 0
	}
	s.sinceIndex += int64(len(b))
	if ts := b.MaxTimestamp(); ts > s.maxTimestamp {
		s.maxTimestamp, s.offsetOfMaxTs = ts, b.LastOffset()
	}
	s.nextOffset = b.NextOffset()
	s.size = pos + int64(len(b))
}

// maybeTimeEntry appends a time entry if the max timestamp grew past the last one.
func (s *segment) maybeTimeEntry() {
	n := len(s.timeIndex)
	if s.maxTimestamp >= 0 && (n == 0 || s.maxTimestamp > s.timeIndex[n-1].timestamp) {
		s.timeIndex = append(s.timeIndex, timeEntry{s.maxTimestamp, uint32(s.offsetOfMaxTs - s.baseOffset)})
	}
}

// writeIndexes appends the entries not yet on disk to the index files.
// With sync, only a file holding entries not yet fsynced is fsynced: at
// thousands of partitions, a clean stop would otherwise fsync two empty
// index files per partition.
func (s *segment) writeIndexes(sync bool) error {
	newIndex := s.index[s.indexDisk:]
	syncIndex := sync && (len(newIndex) > 0 || s.indexDisk > s.indexSynced)
	if err := s.appendIndexFile(".index", appendOffsetEntries(nil, newIndex), syncIndex); err != nil {
		return err
	}
	s.indexDisk = len(s.index)
	if sync {
		s.indexSynced = s.indexDisk
	}
	newTime := s.timeIndex[s.timeDisk:]
	syncTime := sync && (len(newTime) > 0 || s.timeDisk > s.timeSynced)
	if err := s.appendIndexFile(".timeindex", appendTimeEntries(nil, newTime), syncTime); err != nil {
		return err
	}
	s.timeDisk = len(s.timeIndex)
	if sync {
		s.timeSynced = s.timeDisk
	}
	s.indexFilesMade = true
	return s.writeTxnIndex(sync)
}

// appendIndexFile appends data to the segment's index file ext (creating
// it) and fsyncs it with sync; with nothing to do, once the files exist, it
// does not touch the file.
func (s *segment) appendIndexFile(ext string, data []byte, sync bool) error {
	if len(data) == 0 && !sync && s.indexFilesMade {
		return nil
	}
	return appendFile(s.fs, s.path(ext), data, sync)
}

// appendFile appends data at the end of the file at path, creating it.
func appendFile(fsys vfs.FS, path string, data []byte, sync bool) error {
	f, err := fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		_, err = f.WriteAt(data, st.Size())
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rewriteIndexes replaces both index files with the in-memory entries.
func (s *segment) rewriteIndexes() error {
	s.fs.Remove(s.path(".index"))
	s.fs.Remove(s.path(".timeindex"))
	s.fs.Remove(s.path(txnIndexExt))
	s.indexDisk, s.timeDisk, s.txnDisk = 0, 0, 0
	s.indexSynced, s.timeSynced = 0, 0
	s.indexFilesMade = false
	return s.writeIndexes(false)
}

// remove drops the Log's reference and removes the files at once.
func (s *segment) remove() error {
	s.release()
	var errs []error
	for _, ext := range segmentExts {
		if err := s.fs.Remove(s.path(ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// header is the part of a batch header needed to walk a segment.
type header struct {
	baseOffset int64
	size       int64
	lastOffset int64
}

const walkHeaderSize = 27 // through lastOffsetDelta

// headerAt reads the batch header at pos; io.EOF at or beyond size.
func (s *segment) headerAt(pos, size int64) (header, error) { return readHeader(s.f, pos, size) }

// readHeader reads the batch header at pos in f; io.EOF at or beyond size.
func readHeader(f io.ReaderAt, pos, size int64) (header, error) {
	if pos >= size {
		return header{}, io.EOF
	}
	var buf [walkHeaderSize]byte
	if size-pos < walkHeaderSize {
		return header{}, fmt.Errorf("%w: batch header truncated at %d", record.ErrInvalid, pos)
	}
	if _, err := f.ReadAt(buf[:], pos); err != nil {
		return header{}, err
	}
	h := header{baseOffset: int64(binary.BigEndian.Uint64(buf[:]))}
	h.size = int64(int32(binary.BigEndian.Uint32(buf[8:]))) + 12
	h.lastOffset = h.baseOffset + int64(int32(binary.BigEndian.Uint32(buf[23:])))
	if h.size < record.HeaderSize || pos+h.size > size {
		return header{}, fmt.Errorf("%w: bad batch length at %d", record.ErrInvalid, pos)
	}
	return h, nil
}

// find returns the position and header of the first batch at or after the
// indexed position whose last offset is >= offset; io.EOF if none below size.
func (s *segment) find(offset int64, startPos, size int64) (int64, header, error) {
	pos := startPos
	for {
		h, err := s.headerAt(pos, size)
		if err != nil || h.lastOffset >= offset {
			return pos, h, err
		}
		pos += h.size
	}
}

// lookupPosition is the indexed position to start a scan for offset.
func (s *segment) lookupPosition(offset int64) int64 {
	rel := offset - s.baseOffset
	if rel <= 0 {
		return 0
	}
	return int64(lookupOffset(s.index, uint32(min(rel, math.MaxUint32))))
}
