package storage

import (
	"context"

	"gregor/internal/record"
)

// batchFilter decides, batch by batch, what a cleaning keeps. Used by one
// cleaning at a time.
type batchFilter struct {
	ctx context.Context // a cleaning stops between batches when it is done
	// keys maps each key of the dirty range to its latest offset there
	// (Kafka's OffsetMap, with whole keys instead of hashes).
	keys map[string]int64
	// lastOfProducer maps each producer id in the log to the last offset of
	// its last batch. Kafka asks its producer state for the producers still
	// active; here no producer expires, so that is every producer in the log.
	lastOfProducer    map[int64]int64
	now               int64 // ms
	deleteRetentionMs int64
}

// buildOffsetMap reads the segments from r.firstDirty to r.firstUncleanable
// and records each key's latest offset, stopping after the segment that
// takes the map past budget. It returns the end of the mapped range and
// which sources it read whole (their producers are recorded too).
func (f *batchFilter) buildOffsetMap(srcs []cleanSource, r cleanRange, budget int64, stats *cleanStats) (int64, map[int]bool, error) {
	end, used := r.firstDirty, int64(0)
	mapped := map[int]bool{}
	for i, src := range srcs[:len(srcs)-1] {
		if src.end <= r.firstDirty {
			continue
		}
		if src.end > r.firstUncleanable || (used > budget && end > r.firstDirty) {
			break
		}
		err := eachBatch(src, func(b record.Batch) error {
			if err := f.ctx.Err(); err != nil {
				return err
			}
			f.addProducer(b)
			if b.LastOffset() < r.firstDirty || b.IsControl() || b.IsTransactional() {
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
		mapped[i], end = true, src.end
	}
	return end, mapped, nil
}

func (f *batchFilter) addProducer(b record.Batch) {
	if pid := b.ProducerID(); pid >= 0 {
		f.lastOfProducer[pid] = max(f.lastOfProducer[pid], b.LastOffset())
	}
}

// addProducers walks the batch headers of the sources the offset map did
// not read, for the producer ids in them.
func (f *batchFilter) addProducers(srcs []cleanSource, mapped map[int]bool) error {
	var hdr [record.HeaderSize]byte
	for i, src := range srcs {
		if mapped[i] {
			continue
		}
		if err := f.ctx.Err(); err != nil {
			return err
		}
		for pos := int64(0); pos < src.size; {
			if _, err := src.seg.f.ReadAt(hdr[:], pos); err != nil {
				return err
			}
			n, err := record.FrameLength(hdr[:])
			if err != nil {
				return err
			}
			f.addProducer(record.Batch(hdr[:]))
			pos += int64(n)
		}
	}
	return nil
}

// filter returns what replaces b in the cleaned log: b itself when it loses
// nothing, a rebuilt batch of the records it keeps, its empty header, or
// nil to drop it. A record is kept when no later record of its key is in
// the map, unless it is a tombstone past its batch's delete horizon.
// Records without a key are kept (Kafka's cleaner drops them; Kafka and
// Gregor refuse them at produce on compacted topics, so only a topic that
// became compacted has any). Control batches and transactional batches are
// kept as they are, aborted ones included: Kafka's cleaner removes aborted
// records and, later, markers, which this one does not do yet; the cleaned
// segment keeps its sources' aborted-transaction index, so read_committed
// readers still skip them. keepHeader
// keeps the header of a batch whose records all go.
func (f *batchFilter) filter(b record.Batch, keepHeader bool, stats *cleanStats) (record.Batch, error) {
	if b.IsControl() || b.IsTransactional() {
		return b, nil
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
	stats.recordsRead += int64(len(rs))
	stats.recordsKept += int64(len(kept))
	newHorizon := tombstones && !hasHorizon
	switch {
	case len(kept) == len(rs) && !newHorizon:
		return b, nil
	case len(kept) > 0:
		return rebuild(b, kept, newHorizon, f.now+f.deleteRetentionMs)
	case keepHeader || f.lastOfProducer[b.ProducerID()] == b.LastOffset() && b.ProducerID() >= 0:
		return b.EmptyCopy(), nil
	}
	return nil, nil
}

// rebuild writes the kept records of b as a batch with b's base and last
// offset, leader epoch, producer fields, timestamp type and codec, and the
// delete horizon b had or, if newHorizon, horizon.
func rebuild(b record.Batch, kept []record.Record, newHorizon bool, horizon int64) (record.Batch, error) {
	spec := record.BatchSpec{
		BaseOffset: b.BaseOffset(), PartitionLeaderEpoch: b.PartitionLeaderEpoch(),
		ProducerID: b.ProducerID(), ProducerEpoch: b.ProducerEpoch(), BaseSequence: b.BaseSequence(),
		Codec: b.Codec(), Records: kept, OffsetDeltas: true, LastOffsetDelta: b.LastOffsetDelta(),
		LogAppendTime: b.LogAppendTime(),
	}
	spec.DeleteHorizonMs, spec.DeleteHorizon = b.DeleteHorizonMs()
	if newHorizon {
		spec.DeleteHorizonMs, spec.DeleteHorizon = horizon, true
	}
	return record.Build(spec)
}
