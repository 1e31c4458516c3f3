package storage

import (
	"errors"
	"io"

	"gregor/internal/kafka"
)

// ReadRegion is ReadInto without the read: the same batches (whole ones
// from the one containing offset, up to maxBytes, below maxOffset, the
// first whole with minOneBatch), found by walking batch headers, as a
// region of the segment file. ok is false when the batches must be read
// instead: they lie where a read checks CRCs (batches on disk when the
// segment was opened, see segment.fromDisk), or the file is not an OS
// file (an in-memory filesystem). At LogEndOffset, or with nothing to
// return, it returns a zero Region and ok.
func (l *Log) ReadRegion(offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) (r kafka.FileRegion, ok bool, err error) {
	if err := l.Offline(); err != nil {
		return kafka.FileRegion{}, true, err
	}
	r, ok, err = l.readRegion(offset, int64(maxBytes), maxOffset, minOneBatch)
	return r, ok, l.failed(err)
}

func (l *Log) readRegion(offset, maxBytes, maxOffset int64, minOneBatch bool) (kafka.FileRegion, bool, error) {
	v, err := l.viewAt(offset)
	for err == nil && v.seg != nil {
		pos, h, ferr := v.seg.find(offset, v.start, v.size)
		if errors.Is(ferr, io.EOF) {
			next := l.viewAfter(v.seg.baseOffset, offset) // a gap at the segment's end
			v.seg.release()
			v = next
			continue
		}
		if ferr != nil || h.lastOffset >= maxOffset || pos < v.seg.fromDisk {
			v.seg.release()
			return kafka.FileRegion{}, ferr != nil || h.lastOffset >= maxOffset, ferr
		}
		return v.seg.region(pos, h, v.size, maxBytes, maxOffset, minOneBatch) // it takes the reference
	}
	return kafka.FileRegion{}, true, err
}

// region holds the segment's file open for the batches from pos (whose
// header is h) that a read of maxBytes returns, taking over the caller's
// reference on s; ok is false (and the reference dropped) when the file
// is not an OS file.
func (s *segment) region(pos int64, h header, size, maxBytes, maxOffset int64, minOne bool) (kafka.FileRegion, bool, error) {
	f, err := s.f.get()
	if err != nil {
		s.release()
		return kafka.FileRegion{}, true, err
	}
	osFile, ok := f.(kafka.RegionFile)
	var n int64
	if ok {
		n, err = wholeBatchesFrom(osFile, pos, h, size, maxBytes, maxOffset, minOne)
	}
	if !ok || err != nil || n == 0 {
		s.f.put()
		s.release()
		return kafka.FileRegion{}, ok, err
	}
	return kafka.NewFileRegion(osFile, pos, n, func() {
		s.f.put()
		s.release()
	}), true, nil
}

// wholeBatchesFrom is the length of the batches from pos in f (whose
// header is h) that a read of maxBytes returns: whole batches, below
// maxOffset, within maxBytes except a first one larger with minOne
// (segment.readFrom then wholeBatches, without the bytes).
func wholeBatchesFrom(f io.ReaderAt, pos int64, h header, size, maxBytes, maxOffset int64, minOne bool) (int64, error) {
	end := pos
	for h.lastOffset < maxOffset && (end+h.size-pos <= maxBytes || end == pos && minOne) {
		end += h.size
		var err error
		if h, err = readHeader(f, end, size); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			if end > pos {
				return end - pos, nil // readFrom stops at a bad header too
			}
			return 0, err
		}
	}
	return end - pos, nil
}
