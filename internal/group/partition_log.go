package group

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

// PartitionLog is the runtime's Log over a local partition of
// __consumer_offsets.
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
	switch {
	case err == nil:
		return res.LastOffset, nil
	case errors.Is(err, partition.ErrMessageTooLarge):
		return -1, fmt.Errorf("%w: %v", ErrRecordTooLarge, err)
	default:
		return -1, fmt.Errorf("%w: %v", ErrCoordinatorNotAvailable, err)
	}
}

// WaitForHighWatermark returns once the partition's high watermark is at
// least offset: the records below it are on every in-sync replica.
func (l PartitionLog) WaitForHighWatermark(ctx context.Context, offset kafka.Offset) error {
	if err := l.Partition.WaitForHighWatermark(ctx, offset); err != nil {
		return fmt.Errorf("%w: %v", ErrCoordinatorNotAvailable, err)
	}
	return nil
}

// HighWatermark is the partition's high watermark, for the runtime to
// answer committed writes without waiting.
func (l PartitionLog) HighWatermark() kafka.Offset { return kafka.Offset(l.Partition.HighWatermark()) }

// Replay reads the partition from its start to its log end offset, as
// Kafka's coordinator loader does, not to the high watermark: a leader
// elected after a failover may not know the high watermark its
// predecessor reached yet (a follower learns it one fetch late), and a
// commit acknowledged by the old leader would be missing from the loaded
// state for good. The records above the high watermark are this leader's
// and become committed unless it loses leadership, when the partition
// unloads.
func (l PartitionLog) Replay(fn func(key, value []byte)) error {
	offset, end := l.Partition.LogStartOffset(), l.Partition.LogEndOffset()
	for offset < end {
		buf, err := l.Partition.ReadForFollower(nil, kafka.Offset(offset), replayChunk, true)
		if err != nil {
			return fmt.Errorf("read at offset %d: %w", offset, err)
		}
		batches, err := record.Split(buf)
		if err != nil {
			return fmt.Errorf("read at offset %d: %w", offset, err)
		}
		if len(batches) == 0 {
			return fmt.Errorf("read at offset %d: no batch below the log end offset %d", offset, end)
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
