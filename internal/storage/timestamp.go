package storage

import (
	"errors"
	"sort"

	"gregor/internal/record"
)

// OffsetForTimestamp finds the first record with timestamp >= ts (ListOffsets),
// as Kafka's LogSegment.findOffsetByTimestamp: it picks the first segment
// whose max timestamp reaches ts, starts after the last time-index entry
// below ts, skips batches by their header's max timestamp, and streams the
// records of the first batch that reaches ts only as far as the answer.
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, found bool, err error) {
	from, ok := l.timestampStart(ts)
	if !ok {
		return -1, -1, false, nil
	}
	offset, timestamp = -1, -1
	walkErr := l.Batches(from, func(b record.Batch) error {
		if b.MaxTimestamp() < ts {
			return nil
		}
		offset, timestamp, found, err = firstRecordAtOrAfter(b, ts, from)
		if found || err != nil {
			return errFound
		}
		return nil
	})
	if walkErr != nil && !errors.Is(walkErr, errFound) {
		err = walkErr
	}
	if err != nil {
		return -1, -1, false, err
	}
	return offset, timestamp, found, nil
}

// errFound stops the batch walk once the record is found.
var errFound = errors.New("found")

// timestampStart returns an offset at which to start scanning for ts.
func (l *Log) timestampStart(ts int64) (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, s := range l.segments {
		if s.maxTimestamp < ts {
			continue
		}
		i := sort.Search(len(s.timeIndex), func(i int) bool { return s.timeIndex[i].timestamp >= ts })
		if i == 0 {
			return max(s.baseOffset, l.logStartOffset), true
		}
		return max(s.baseOffset+int64(s.timeIndex[i-1].relOffset)+1, l.logStartOffset), true
	}
	return 0, false
}

// firstRecordAtOrAfter streams b's records up to the first with a
// timestamp at or after ts and an offset at or after from: the values
// before it are inflated only to be skipped, and none after it.
func firstRecordAtOrAfter(b record.Batch, ts, from int64) (offset, timestamp int64, found bool, err error) {
	offset, timestamp = -1, -1
	err = b.ScanHeads(func(h record.RecordHead) (bool, error) {
		if h.Timestamp >= ts && h.Offset >= from {
			offset, timestamp, found = h.Offset, h.Timestamp, true
		}
		return !found, nil
	})
	if err != nil {
		return -1, -1, false, err
	}
	return offset, timestamp, found, nil
}

// MaxTimestamp returns the largest record timestamp and the offset of the
// first record carrying it (ListOffsets -3); -1, -1 if the log is empty.
func (l *Log) MaxTimestamp() (timestamp int64, offset int64, err error) {
	l.mu.RLock()
	ts, batchLast := int64(-1), int64(-1)
	for _, s := range l.segments {
		if s.maxTimestamp > ts && s.offsetOfMaxTs >= l.logStartOffset {
			ts, batchLast = s.maxTimestamp, s.offsetOfMaxTs
		}
	}
	l.mu.RUnlock()
	if batchLast < 0 {
		return -1, -1, nil
	}
	data, err := l.Read(batchLast, 1, batchLast+1, true)
	if err != nil || len(data) == 0 {
		return ts, batchLast, err
	}
	off, _, found, err := firstRecordAtOrAfter(record.Batch(data), ts, l.LogStartOffset())
	if !found {
		off = batchLast
	}
	return ts, off, err
}
