package group

import (
	"errors"
	"fmt"
	"time"

	"gregor/internal/partition"
	"gregor/internal/record"
)

// replayChunk bounds each read while loading a partition.
const replayChunk = 1 << 20

// PartitionLog is a Log over a local partition of __consumer_offsets.
type PartitionLog struct {
	Partition *partition.Partition
	Now       func() time.Time
}

// Append writes records as one uncompressed batch with acks=all.
func (l PartitionLog) Append(recs []record.Record) error {
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		return err
	}
	_, err = l.Partition.AppendAsLeader([]record.Batch{b}, -1, l.Now())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, partition.ErrMessageTooLarge):
		return fmt.Errorf("%w: %v", ErrRecordTooLarge, err)
	default:
		return fmt.Errorf("%w: %v", ErrCoordinatorNotAvailable, err)
	}
}

// Replay reads the partition from its start to the high watermark.
func (l PartitionLog) Replay(fn func(key, value []byte)) error {
	offset := l.Partition.LogStartOffset()
	for offset < l.Partition.HighWatermark() {
		buf, err := l.Partition.Read(nil, offset, replayChunk, true)
		if err != nil {
			return fmt.Errorf("read at offset %d: %w", offset, err)
		}
		batches, err := record.Split(buf)
		if err != nil {
			return fmt.Errorf("read at offset %d: %w", offset, err)
		}
		if len(batches) == 0 {
			return fmt.Errorf("read at offset %d: no batch below the high watermark", offset)
		}
		for _, b := range batches {
			next := b.LastOffset() + 1
			if next <= offset {
				continue
			}
			offset = next
			if b.IsControl() {
				continue
			}
			recs, err := b.Records()
			if err != nil {
				return fmt.Errorf("batch at offset %d: %w", b.BaseOffset(), err)
			}
			for _, r := range recs {
				fn(r.Key, r.Value)
			}
		}
	}
	return nil
}
