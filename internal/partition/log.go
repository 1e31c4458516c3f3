package partition

import (
	"context"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Log is the local log a replica keeps its batches in: storage.Log is the
// one implementation. It is an interface so that the layers above partition
// (handlers, coordinators) depend on partition without depending on
// storage, and so that nothing above partition can reach the log around the
// high-watermark rule.
//
// Every method is safe for concurrent use. Errors are storage's sentinels,
// kafka.ErrOffsetOutOfRange and kafka.ErrLogClosed among them.
type Log interface {
	// LogStartOffset is the first offset still in the log.
	LogStartOffset() int64
	// LogEndOffset is the offset the next record will get.
	LogEndOffset() int64

	// Append assigns offsets to b from the log end, stamps leaderEpoch on
	// it and writes it, returning its first and last offsets.
	Append(b record.Batch, leaderEpoch int32) (first, last int64, err error)
	// AppendWithOffsets writes batches with the offsets and leader epochs
	// they carry (a follower copying its leader); offsets must increase
	// from at or after the log end.
	AppendWithOffsets(bs []record.Batch) error
	// WaitDurable waits until every batch below offset is on stable
	// storage (fsynced), sharing fsyncs with concurrent waiters.
	WaitDurable(ctx context.Context, offset kafka.Offset) error
	// TruncateTo removes every batch whose last offset is >= offset.
	TruncateTo(offset int64) error
	// TruncateFullyAndStartAt empties the log and makes it begin at
	// offset (a follower behind its leader's log start).
	TruncateFullyAndStartAt(offset int64) error
	// DeleteRecordsBefore advances the log start offset to offset.
	DeleteRecordsBefore(offset int64) error
	// SetCommitted bounds retention and cleaning: nothing at or after
	// offset is deleted or compacted.
	SetCommitted(offset kafka.Offset)
	// SetStable bounds cleaning at the last stable offset: the cleaner
	// reads only decided transactions.
	SetStable(offset kafka.Offset)
	// SetActiveProducers tells the cleaner which producers' state to keep:
	// fn is called at the start of each cleaning.
	SetActiveProducers(fn func() map[kafka.ProducerID]kafka.ActiveProducer)

	// ReadInto returns whole batches from offset up to maxOffset, at most
	// maxBytes (at least one batch when minOneBatch), read into buf when it
	// has the capacity.
	ReadInto(buf []byte, offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) ([]byte, error)
	// ReadRegion finds what ReadInto would read as a region of a segment
	// file, to be sent without reading it; ok false: ReadInto instead.
	ReadRegion(offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) (r kafka.FileRegion, ok bool, err error)
	// Batches calls fn for each batch from offset on, in order.
	Batches(from int64, fn func(b record.Batch) error) error
	// OffsetForTimestamp finds the first record with a timestamp at or
	// after ts (found is false when there is none).
	OffsetForTimestamp(ts int64) (offset int64, timestamp int64, found bool, err error)
	// MaxTimestamp returns the largest record timestamp and the offset of
	// the first record carrying it; -1, -1 if the log is empty.
	MaxTimestamp() (timestamp int64, offset int64, err error)
	// EndOffsetForEpoch answers OffsetForLeaderEpoch from the leader-epoch
	// cache: the largest epoch <= epoch and the start offset of the next
	// larger epoch (or the log end offset); -1, -1 if none.
	EndOffsetForEpoch(epoch int32) (int32, int64)

	// AppendAbortedTransaction indexes an aborted transaction in the
	// segment holding its marker; one whose marker is not after the last
	// indexed is ignored (a replay after a restart).
	AppendAbortedTransaction(e kafka.AbortedTransaction) error
	// AbortedTransactions returns the aborted transactions whose marker is
	// at or after from and whose first record is before upTo.
	AbortedTransactions(from, upTo int64) []kafka.AbortedTransaction

	// LatestSnapshot returns the newest producer-state snapshot and its
	// offset (-1 and nil when there is none).
	LatestSnapshot() (offset int64, data []byte, err error)
	// WriteSnapshot durably stores a producer-state snapshot at offset.
	WriteSnapshot(offset int64, data []byte) error

	// Offline returns kafka.ErrLogDirOffline (wrapped with the dir and
	// the I/O error) once the log's dir has been taken offline, nil
	// while it is online.
	Offline() error
}
