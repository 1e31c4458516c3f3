package storage

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"gregor/internal/record"
)

// readView is what a reader needs from a segment, captured under the lock.
// The reader holds a reference on seg until it is done.
type readView struct {
	seg   *segment // nil: nothing to read
	start int64    // indexed position to scan from
	size  int64    // published size: nothing beyond it is read
}

// Read returns whole batches from the one containing offset, up to maxBytes,
// never a batch whose last offset is >= maxOffset. With minOneBatch the first
// batch is returned whole even if larger than maxBytes (KIP-74). At
// LogEndOffset it returns nil, nil. The bytes are the caller's.
func (l *Log) Read(offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) ([]byte, error) {
	return l.ReadInto(nil, offset, maxBytes, maxOffset, minOneBatch)
}

// ReadInto is Read reading into buf when its capacity suffices (a new buffer
// otherwise): the returned bytes then alias buf[:n]. Callers that serve many
// reads reuse buffers this way, since first touches of fresh memory are
// costly.
func (l *Log) ReadInto(buf []byte, offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) ([]byte, error) {
	if err := l.Offline(); err != nil {
		return nil, err
	}
	data, err := l.readInto(buf, offset, maxBytes, maxOffset, minOneBatch)
	return data, l.failed(err)
}

func (l *Log) readInto(buf []byte, offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) ([]byte, error) {
	v, err := l.viewAt(offset)
	for err == nil && v.seg != nil {
		pos, h, ferr := v.seg.find(offset, v.start, v.size)
		if errors.Is(ferr, io.EOF) {
			// offset lies in a gap at this segment's end (compaction).
			next := l.viewAfter(v.seg.baseOffset, offset)
			v.seg.release()
			v = next
			continue
		}
		var data []byte
		if err = ferr; err == nil && h.lastOffset < maxOffset {
			data, err = v.seg.readFrom(buf, pos, h, v.size, int64(maxBytes), maxOffset, minOneBatch)
		}
		if err == nil {
			data, err = l.intactPrefix(v.seg, pos, data)
		}
		v.seg.release()
		return data, err
	}
	return nil, err
}

// viewAt checks offset and captures the segment that may hold it.
func (l *Log) viewAt(offset int64) (readView, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return readView{}, ErrClosed
	}
	if offset < l.logStartOffset || offset > l.logEndOffset {
		return readView{}, fmt.Errorf("%w: %d not in [%d, %d]", ErrOffsetOutOfRange, offset, l.logStartOffset, l.logEndOffset)
	}
	if offset == l.logEndOffset {
		return readView{}, nil
	}
	return l.viewLocked(l.segments[l.segmentFor(offset)], offset), nil
}

// viewAfter captures the segment that follows the one based at base.
func (l *Log) viewAfter(base, offset int64) readView {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset > base })
	if l.closed || i == len(l.segments) {
		return readView{}
	}
	return l.viewLocked(l.segments[i], offset)
}

func (l *Log) viewLocked(s *segment, offset int64) readView {
	s.acquire()
	return readView{seg: s, start: s.lookupPosition(offset), size: s.size}
}

// readFrom reads batches from pos (whose header is first) with one pread,
// then trims to whole batches under maxBytes and below maxOffset.
func (s *segment) readFrom(buf []byte, pos int64, first header, size, maxBytes, maxOffset int64, minOne bool) ([]byte, error) {
	n := min(maxBytes, size-pos)
	if first.size > maxBytes {
		if !minOne {
			return nil, nil
		}
		n = first.size
	}
	if int64(cap(buf)) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := s.f.ReadAt(buf, pos); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", s.path(".log"), pos, err)
	}
	return buf[:wholeBatches(buf, maxOffset)], nil
}

// intactPrefix returns the batches of data (read at pos in s) up to the
// first that fails validation (a CRC mismatch: damage below the recovery
// point, which start-up does not re-read), and an error wrapping
// record.ErrCorrupt if that is the first: a damaged batch is never served,
// and a reader that reaches it is told rather than handed garbage. Only
// batches that were on disk when the segment was opened are checked (see
// segment.fromDisk); each damaged batch is logged once.
func (l *Log) intactPrefix(s *segment, pos int64, data []byte) ([]byte, error) {
	for end := 0; end < len(data) && pos+int64(end) < s.fromDisk; {
		n, _ := record.FrameLength(data[end:]) // wholeBatches checked the framing
		b := record.Batch(data[end : end+n])
		if err := b.Validate(); err != nil {
			at := pos + int64(end)
			if s.reportedCorrupt.Swap(at+1) != at+1 {
				l.logger.Error("corrupt batch in log segment, not served", "dir", l.dir, "segment", s.path(".log"),
					"position", at, "offset", b.BaseOffset(), "error", err)
			}
			if end == 0 {
				if !errors.Is(err, record.ErrCorrupt) {
					err = fmt.Errorf("%w: %v", record.ErrCorrupt, err)
				}
				return nil, fmt.Errorf("%s at position %d: %w", s.path(".log"), at, err)
			}
			return data[:end], nil
		}
		end += n
	}
	return data, nil
}

// wholeBatches returns the length of the prefix of buf made of whole batches
// whose last offset is below maxOffset.
func wholeBatches(buf []byte, maxOffset int64) int {
	end := 0
	for end < len(buf) {
		n, err := record.FrameLength(buf[end:])
		if err != nil || end+n > len(buf) || len(buf)-end < record.HeaderSize {
			break
		}
		if record.Batch(buf[end:]).LastOffset() >= maxOffset {
			break
		}
		end += n
	}
	return end
}

// Batches calls fn for every batch with last offset >= from, in order. fn
// must not retain b after returning.
func (l *Log) Batches(from int64, fn func(b record.Batch) error) error {
	from = max(from, l.LogStartOffset())
	for {
		data, err := l.Read(from, 1<<20, 1<<62, true)
		if err != nil || len(data) == 0 {
			return err
		}
		bs, err := record.Split(data)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if err := fn(b); err != nil {
				return err
			}
			from = b.NextOffset()
		}
	}
}
