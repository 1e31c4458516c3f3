package group

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// Codec compresses the batches Append writes
	// (offsets.topic.compression.codec).
	Codec record.Codec

	// open receives, at the end of Replay, the transactional records whose
	// marker the load did not find (set by BecomeLeader).
	open *openTransactions
}

// Append writes records as one batch, compressed with Codec, and returns
// the offset of the last; the runtime waits for the high watermark itself.
func (l PartitionLog) Append(_ context.Context, recs []record.Record) (kafka.Offset, error) {
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: l.Codec, Records: recs})
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
// unloads. The records of a transactional batch are held until the
// producer's marker: replayed at a commit marker, dropped at an abort.
// Those of a transaction still open at the end are handed to the shard's
// Loaded, which keeps them pending (txn_offsets.go).
func (l PartitionLog) Replay(fn func(key, value []byte)) error {
	offset, end := l.Partition.LogStartOffset(), l.Partition.LogEndOffset()
	pending := map[int64][]record.Record{}
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
			if err := replayBatch(b, pending, fn); err != nil {
				return err
			}
		}
	}
	if l.open != nil {
		l.open.records = pending
	}
	return nil
}

func replayBatch(b record.Batch, pending map[int64][]record.Record, fn func(key, value []byte)) error {
	if b.IsControl() {
		m, err := record.MarkerOf(b)
		if err == nil && m.Commit {
			for _, r := range pending[b.ProducerID()] {
				fn(r.Key, r.Value)
			}
		}
		delete(pending, b.ProducerID())
		return nil
	}
	recs, err := b.Records()
	if err != nil {
		return fmt.Errorf("batch at offset %d: %w", b.BaseOffset(), err)
	}
	if b.IsTransactional() {
		for _, r := range recs {
			r.Key, r.Value = slices.Clone(r.Key), slices.Clone(r.Value)
			pending[b.ProducerID()] = append(pending[b.ProducerID()], r)
		}
		return nil
	}
	for _, r := range recs {
		fn(r.Key, r.Value)
	}
	return nil
}
