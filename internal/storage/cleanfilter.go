package storage

import (
	"context"

	"gregor/internal/record"
)

// batchFilter decides, batch by batch, what a cleaning keeps. Used by one
// cleaning at a time.
type batchFilter struct {
	ctx context.Context // a cleaning stops between batches when it is done
	io  *ioThrottler    // log.cleaner.io.max.bytes.per.second; nil: none
	// keys maps each key of the dirty range to its latest offset there
	// (Kafka's OffsetMap, with whole keys instead of hashes).
	keys map[string]int64
	// producers holds, for each active producer, what its last batches
	// are: from the log's owner (SetActiveProducers), as Kafka asks its
	// producer state, or, for a log nobody owns, every producer in the log.
	producers map[int64]producerTail
	// txns follows transactions through the rewrite (see cleantxn.go).
	txns              *txnTracker
	now               int64 // ms
	deleteRetentionMs int64
}

// producerTail is what a cleaning keeps of a producer: the batch holding
// its last data (its last sequence), or, when its latest epoch wrote no
// data (a marker of an epoch the coordinator bumped), that epoch's marker.
type producerTail struct {
	epoch    int16
	lastData int64 // the last offset of its last data batch in epoch; -1 if none
	// reset is set in a segment's summary when the producer's epoch changed
	// within the segment: the tail before it does not carry over.
	reset bool
}

// retains reports whether b is the batch that keeps producer state.
func (p producerTail) retains(b record.Batch) bool {
	if p.lastData >= 0 {
		return b.LastOffset() == p.lastData
	}
	return b.IsControl() && b.ProducerEpoch() == p.epoch
}

// tailsOf summarizes a segment's producers, batch by batch in order.
type tailsOf map[int64]producerTail

func (ts tailsOf) add(b record.Batch) {
	pid := b.ProducerID()
	if pid < 0 {
		return
	}
	t, ok := ts[pid]
	switch {
	case !ok:
		t = producerTail{epoch: b.ProducerEpoch(), lastData: -1}
	case t.epoch != b.ProducerEpoch():
		t = producerTail{epoch: b.ProducerEpoch(), lastData: -1, reset: true}
	}
	if !b.IsControl() {
		t.lastData = b.LastOffset()
	}
	ts[pid] = t
}

// mergeTails folds the summaries of the segments, in log order, into the
// producers' tails over the log.
func (f *batchFilter) mergeTails(perSegment []tailsOf) {
	for _, ts := range perSegment {
		for pid, t := range ts {
			cur, ok := f.producers[pid]
			switch {
			case !ok || t.reset || t.epoch != cur.epoch:
				f.producers[pid] = producerTail{epoch: t.epoch, lastData: t.lastData}
			case t.lastData >= 0:
				cur.lastData = t.lastData
				f.producers[pid] = cur
			}
		}
	}
}

// buildOffsetMap reads the segments from r.firstDirty to r.firstUncleanable
// and records each key's latest offset, stopping after the segment that
// takes the map past budget. Records of aborted transactions are not
// mapped: they go whatever their keys. It returns the end of the mapped
// range and the producer summaries of the sources it read whole.
func (f *batchFilter) buildOffsetMap(srcs []cleanSource, r cleanRange, budget int64, stats *cleanStats) (int64, map[int]tailsOf, error) {
	end, used := r.firstDirty, int64(0)
	mapped := map[int]tailsOf{}
	txns := newTxnTracker(srcs)
	for i, src := range srcs[:len(srcs)-1] {
		if src.end <= r.firstDirty {
			continue
		}
		if src.end > r.firstUncleanable || (used > budget && end > r.firstDirty) {
			break
		}
		tails := tailsOf{}
		err := eachBatch(src, func(b record.Batch) error {
			if err := f.ctx.Err(); err != nil {
				return err
			}
			f.io.throttle(f.ctx, len(b))
			tails.add(b)
			if b.IsControl() {
				_, err := txns.onControl(b)
				return err
			}
			if txns.onData(b) || b.LastOffset() < r.firstDirty {
				return nil
			}
			rs, err := b.Records()
			for _, rec := range rs {
				if rec.Offset < r.firstDirty || rec.Key == nil {
					continue
				}
				if _, ok := f.keys[string(rec.Key)]; !ok {
					used += int64(len(rec.Key)) + mapEntryOverhead
				}
				f.keys[string(rec.Key)] = rec.Offset
			}
			return err
		})
		if err != nil {
			return 0, nil, err
		}
		mapped[i], end = tails, src.end
	}
	return end, mapped, nil
}

// addProducers walks the batch headers of the sources the offset map did
// not read, for their producers, and merges every source's summary.
func (f *batchFilter) addProducers(srcs []cleanSource, mapped map[int]tailsOf) error {
	var hdr [record.HeaderSize]byte
	perSegment := make([]tailsOf, len(srcs))
	for i, src := range srcs {
		if perSegment[i] = mapped[i]; perSegment[i] != nil {
			continue
		}
		if err := f.ctx.Err(); err != nil {
			return err
		}
		perSegment[i] = tailsOf{}
		for pos := int64(0); pos < src.size; {
			if _, err := src.seg.f.ReadAt(hdr[:], pos); err != nil {
				return err
			}
			n, err := record.FrameLength(hdr[:])
			if err != nil {
				return err
			}
			perSegment[i].add(record.Batch(hdr[:]))
			pos += int64(n)
		}
	}
	f.mergeTails(perSegment)
	return nil
}

// filter returns what replaces b in the cleaned log: b itself when it loses
// nothing, a rebuilt batch of the records it keeps, its empty header, or
// nil to drop it. A record is kept when no later record of its key is in
// the map, unless it is a tombstone past its batch's delete horizon or
// belongs to an aborted transaction. Records without a key are kept
// (Kafka's cleaner drops them; Kafka and Gregor refuse them at produce on
// compacted topics, so only a topic that became compacted has any).
// Transaction markers follow txnTracker's rules (see cleantxn.go). The
// header of a batch whose records all go stays when keepHeader is set or
// when it keeps its producer's state (Kafka's RETAIN_EMPTY).
func (f *batchFilter) filter(b record.Batch, keepHeader bool, stats *cleanStats) (record.Batch, error) {
	tail, active := f.producers[b.ProducerID()]
	retainEmpty := keepHeader || (active && b.ProducerID() >= 0 && tail.retains(b))
	stats.recordsRead += int64(b.NumRecords())
	if b.IsControl() {
		return f.filterControl(b, retainEmpty, stats)
	}
	if f.txns.onData(b) || b.NumRecords() == 0 {
		return emptyOrNil(b, retainEmpty), nil
	}
	rs, err := b.Records()
	if err != nil {
		return nil, err
	}
	horizon, hasHorizon := b.DeleteHorizonMs()
	dropTombstones := hasHorizon && f.now >= horizon
	kept, tombstones := rs[:0], false
	for _, r := range rs {
		if latest, ok := f.keys[string(r.Key)]; r.Key != nil && ok && r.Offset < latest {
			continue
		}
		if r.Key != nil && r.Value == nil && dropTombstones {
			continue
		}
		tombstones = tombstones || (r.Key != nil && r.Value == nil)
		kept = append(kept, r)
	}
	stats.recordsKept += int64(len(kept))
	newHorizon := tombstones && !hasHorizon
	switch {
	case len(kept) == len(rs) && !newHorizon:
		return b, nil
	case len(kept) > 0:
		return rebuild(b, kept, newHorizon, f.now+f.deleteRetentionMs)
	}
	return emptyOrNil(b, retainEmpty), nil
}

// filterControl keeps a marker while its transaction has data, stamps it
// with a delete horizon once it has none, and removes it after that
// horizon (its header staying when retainEmpty). Other control records
// stay.
func (f *batchFilter) filterControl(b record.Batch, retainEmpty bool, stats *cleanStats) (record.Batch, error) {
	done, err := f.txns.onControl(b)
	if err != nil {
		return nil, err
	}
	horizon, hasHorizon := b.DeleteHorizonMs()
	switch {
	case b.NumRecords() == 0 || done && hasHorizon && f.now >= horizon:
		return emptyOrNil(b, retainEmpty), nil
	case done && !hasHorizon:
		stats.recordsKept += int64(b.NumRecords())
		rs, err := b.Records()
		if err != nil {
			return nil, err
		}
		return rebuild(b, rs, true, f.now+f.deleteRetentionMs)
	}
	stats.recordsKept += int64(b.NumRecords())
	return b, nil
}

// emptyOrNil is b's empty header when retainEmpty, else nil (b goes).
func emptyOrNil(b record.Batch, retainEmpty bool) record.Batch {
	if !retainEmpty {
		return nil
	}
	if b.NumRecords() == 0 {
		return b
	}
	return b.EmptyCopy()
}

// rebuild writes the kept records of b as a batch with b's base and last
// offset, leader epoch, producer fields, timestamp type and codec, and the
// transactional and control bits, and the delete horizon b had or, if
// newHorizon, horizon.
func rebuild(b record.Batch, kept []record.Record, newHorizon bool, horizon int64) (record.Batch, error) {
	spec := record.BatchSpec{
		BaseOffset: b.BaseOffset(), PartitionLeaderEpoch: b.PartitionLeaderEpoch(),
		ProducerID: b.ProducerID(), ProducerEpoch: b.ProducerEpoch(), BaseSequence: b.BaseSequence(),
		Transactional: b.IsTransactional(), Control: b.IsControl(), Codec: b.Codec(),
		Records: kept, OffsetDeltas: true, LastOffsetDelta: b.LastOffsetDelta(), LogAppendTime: b.LogAppendTime(),
	}
	spec.DeleteHorizonMs, spec.DeleteHorizon = b.DeleteHorizonMs()
	if newHorizon {
		spec.DeleteHorizonMs, spec.DeleteHorizon = horizon, true
	}
	return record.Build(spec)
}
