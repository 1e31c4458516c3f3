package txn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/record"
)

// replayChunk bounds each read while loading a partition.
const replayChunk = 1 << 20

// ErrCoordinatorNotAvailable: the state could not be written
// (COORDINATOR_NOT_AVAILABLE; the client retries).
var ErrCoordinatorNotAvailable = errors.New("transaction coordinator not available")

// PartitionLog is the runtime's Log over a local partition of
// __transaction_state.
type PartitionLog struct {
	Partition *partition.Partition
	Now       func() time.Time
}

// Append writes records as one uncompressed batch and returns the offset of
// the last; the runtime waits for the high watermark itself.
func (l PartitionLog) Append(_ context.Context, recs []record.Record) (kafka.Offset, error) {
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		return -1, err
	}
	res, err := l.Partition.AppendAsLeader([]record.Batch{b}, -1, l.Now())
	if err != nil {
		return -1, fmt.Errorf("%w: %v", ErrCoordinatorNotAvailable, err)
	}
	return res.LastOffset, nil
}

// WaitForHighWatermark returns once the partition's high watermark is at
// least offset.
func (l PartitionLog) WaitForHighWatermark(ctx context.Context, offset kafka.Offset) error {
	if err := l.Partition.WaitForHighWatermark(ctx, offset); err != nil {
		return fmt.Errorf("%w: %v", ErrCoordinatorNotAvailable, err)
	}
	return nil
}

// HighWatermark lets the runtime answer committed writes without waiting.
func (l PartitionLog) HighWatermark() kafka.Offset { return kafka.Offset(l.Partition.HighWatermark()) }

// Replay reads the partition from its start to the high watermark.
func (l PartitionLog) Replay(fn func(key, value []byte)) error {
	offset := l.Partition.LogStartOffset()
	for offset < l.Partition.HighWatermark() {
		buf, err := l.Partition.Read(nil, offset, replayChunk, true)
		if err != nil {
			return fmt.Errorf("read at offset %d: %w", offset, err)
		}
		batches, err := record.Split(buf)
		if err != nil || len(batches) == 0 {
			return fmt.Errorf("read at offset %d: %d batches, %v", offset, len(batches), err)
		}
		for _, b := range batches {
			if b.LastOffset() < offset || b.IsControl() {
				offset = max(offset, b.NextOffset())
				continue
			}
			offset = b.NextOffset()
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
