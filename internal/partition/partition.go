package partition

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Errors of the append and read paths, mapped to Kafka codes by the handler.
var (
	ErrMessageTooLarge   = errors.New("record batch is larger than max.message.bytes")
	ErrInvalidRecord     = errors.New("invalid record")
	ErrNotEnoughReplicas = errors.New("fewer in-sync replicas than min.insync.replicas")
	ErrOffsetOutOfRange  = kafka.ErrOffsetOutOfRange
	ErrClosed            = kafka.ErrLogClosed // the log was closed or deleted under the caller
	// ErrLogDirOffline: the replica's log dir failed (KAFKA_STORAGE_ERROR).
	ErrLogDirOffline    = kafka.ErrLogDirOffline
	ErrInvalidTimestamp = errors.New("record timestamp out of the accepted range")
	ErrNotLeader        = errors.New("not the leader for this partition")
	// ErrUnknownTopicOrPartition: this node has no replica of the partition.
	ErrUnknownTopicOrPartition = errors.New("unknown topic or partition")
	ErrNotFollower             = errors.New("not a follower of this partition")
	// ErrNotEnoughReplicasAfterAppend: an acks=all append was written and
	// reached the high watermark, but the ISR shrank below
	// min.insync.replicas meanwhile.
	ErrNotEnoughReplicasAfterAppend = errors.New("fewer in-sync replicas than min.insync.replicas after the append")
	// ErrFencedLeaderEpoch and ErrUnknownLeaderEpoch: a request carried a
	// leader epoch older, or newer, than this replica's.
	ErrFencedLeaderEpoch  = errors.New("leader epoch is older than the current one")
	ErrUnknownLeaderEpoch = errors.New("leader epoch is newer than the current one")
)

// Config is the part of a topic's configuration the partition enforces.
type Config struct {
	MaxMessageBytes   int32 // max.message.bytes
	LogAppendTime     bool  // message.timestamp.type=LogAppendTime
	MinInsyncReplicas int32 // min.insync.replicas
	// TimestampBeforeMaxMs and TimestampAfterMaxMs bound CreateTime
	// timestamps around the broker's clock (message.timestamp.before/after.max.ms).
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64
	// Compacted (cleanup.policy has compact) refuses records without a key,
	// which the cleaner could not deduplicate, as Kafka's LogValidator does.
	Compacted bool
	// FlushBeforeAck (gregor.flush.before.ack, Gregor's own) acknowledges
	// an append only once it is fsynced: see WaitDurable.
	FlushBeforeAck bool
	// Recompress is set when compression.type names a codec (anything but
	// producer): a produced batch in another codec is then re-encoded with
	// Compression (record.CodecNone for uncompressed) before it is written.
	// Unset, batches keep the producer's codec and are not looked into.
	Recompress  bool
	Compression record.Codec
	// CompressionLevel is compression.gzip.level, compression.lz4.level or
	// compression.zstd.level, whichever is Compression's (see
	// record.BatchSpec.Level).
	CompressionLevel int
	// LeaderThrottled and FollowerThrottled are the partitions of the topic
	// whose replica here the replication quotas apply to, as leader and as
	// follower (leader/follower.replication.throttled.replicas, KIP-73).
	LeaderThrottled, FollowerThrottled Throttled
}

// Throttled names the partitions of a topic whose replica on this broker a
// replication quota applies to: all of them, or those listed.
type Throttled struct {
	All        bool
	Partitions []int32
}

// Has reports whether partition is named.
func (t Throttled) Has(partition int32) bool {
	return t.All || slices.Contains(t.Partitions, partition)
}

// Partition is one local replica. Its methods are safe for concurrent use:
// appends and role changes are serialized by mu, reads go straight to the
// log below the high watermark, which is read without a lock.
type Partition struct {
	TP      kafka.TopicPartition
	TopicID kafka.TopicID

	self   kafka.NodeID // the node this replica lives on
	log    Log
	logger *slog.Logger
	cfg    atomic.Pointer[Config]

	// highWatermark is written under mu (setHighWatermarkLocked) and read
	// without it; log start offset <= highWatermark <= log end offset.
	highWatermark atomic.Int64
	// leading mirrors role.Leader == self, for waiters that do not take mu.
	leading atomic.Bool
	// firstUnstable is the first offset of the oldest undecided transaction
	// (MaxInt64: none), written under mu: the last stable offset is
	// min(firstUnstable, highWatermark).
	firstUnstable atomic.Int64

	mu   sync.Mutex // guards the fields below and serializes appends
	role Role
	// followers holds, on the leader, the log end offset each follower
	// last reported; empty on a follower and after every role change.
	followers map[kafka.NodeID]kafka.Offset
	// lag holds, on the leader, when each follower was last caught up;
	// reset with followers.
	lag map[kafka.NodeID]followerLag
	// epochStartOffset is the log end offset when this replica took its
	// current leader epoch: a follower joins the ISR only once it has it.
	epochStartOffset kafka.Offset
	// pendingISR is the ISR proposed to the controller and not yet in the
	// role (nil: none); while it adds members, they count for the high
	// watermark (Kafka's maximal ISR).
	pendingISR []kafka.NodeID
	// isrSignal, when set, gets a non-blocking send when a follower
	// outside the ISR has caught up (see SetISRSignal).
	isrSignal chan<- struct{}
	producers *producerState
	// guards holds the verification in progress of each producer that has
	// no ongoing transaction here (see VerifyTransaction); a marker clears it.
	guards    map[kafka.ProducerID]VerificationGuard
	nextGuard VerificationGuard
	// unreplicated are the transactions completed by a marker at or above
	// the high watermark: they hold back the last stable offset until it
	// passes the marker.
	unreplicated []completedTxn
	// snapshotOffset is the offset of the last producer snapshot written (-1: none).
	snapshotOffset int64

	waitMu   sync.Mutex // guards watchers and waiters; taken after mu, never before
	watchers map[chan<- struct{}]struct{}
	waiters  []*waiter
}

// Open wraps log as this node's (self's) replica of tp in role and
// rebuilds its producer state. The high watermark starts at the log start
// offset and, on a leader, moves by the rule at once: to the log end offset
// when the ISR is the leader alone. (Kafka reads it from a checkpoint; a
// follower here learns it from its leader.)
func Open(tp kafka.TopicPartition, id kafka.TopicID, log Log, self kafka.NodeID, role Role, cfg Config, logger *slog.Logger) (*Partition, error) {
	p := &Partition{
		TP: tp, TopicID: id, self: self, log: log, logger: logger.With("topic", tp.Topic, "partition", tp.Partition),
		followers: map[kafka.NodeID]kafka.Offset{}, lag: map[kafka.NodeID]followerLag{}, watchers: map[chan<- struct{}]struct{}{}, snapshotOffset: -1,
		guards: map[kafka.ProducerID]VerificationGuard{},
	}
	p.cfg.Store(&cfg)
	if err := p.loadProducerState(); err != nil {
		return nil, err
	}
	log.SetActiveProducers(p.activeProducers)
	p.mu.Lock()
	p.highWatermark.Store(-1)
	p.setHighWatermarkLocked(kafka.Offset(log.LogStartOffset()))
	p.setRoleLocked(role)
	p.mu.Unlock()
	return p, nil
}

func (p *Partition) loadProducerState() error {
	from, data, err := p.log.LatestSnapshot()
	if err != nil {
		return err
	}
	p.producers, p.unreplicated = newProducerState(), nil
	defer p.updateFirstUnstableLocked()
	if data != nil {
		if s, err := decodeProducerState(data); err == nil {
			p.producers, p.snapshotOffset = s, from
		} else {
			p.logger.Warn("ignoring producer snapshot", "offset", from, "err", err)
			from = -1
		}
	}
	if from < 0 {
		from = p.log.LogStartOffset()
	}
	err = p.log.Batches(from, func(b record.Batch) error {
		if b.LastOffset() >= from {
			p.recordBatchLocked(b)
		}
		return nil
	})
	if errors.Is(err, record.ErrCorrupt) {
		// Damage below the recovery point, which start-up does not re-read:
		// the partition still opens (fetches refuse the damaged batch), with
		// the producer state of the batches before it.
		p.logger.Warn("producer state rebuilt only up to a damaged batch", "topic", p.TP.Topic,
			"partition", p.TP.Partition, "error", err)
		return nil
	}
	return err
}

// Compression is the codec a leader stores produced batches in
// (compression.type); ok false for producer, which keeps the producer's.
func (p *Partition) Compression() (codec record.Codec, ok bool) {
	cfg := p.cfg.Load()
	return cfg.Compression, cfg.Recompress
}

// SetConfig applies a topic configuration change. The log's own settings
// (segment size, retention) are set on the log by whoever opened it.
func (p *Partition) SetConfig(cfg Config) { p.cfg.Store(&cfg) }

// ThrottledAsLeader reports whether the leader's replication quota applies
// to copying this replica to followers not in sync.
func (p *Partition) ThrottledAsLeader() bool { return p.cfg.Load().LeaderThrottled.Has(p.TP.Partition) }

// ThrottledAsFollower reports whether the follower's replication quota
// applies to copying this replica from its leader while it is not in sync.
func (p *Partition) ThrottledAsFollower() bool {
	return p.cfg.Load().FollowerThrottled.Has(p.TP.Partition)
}

// InSync reports whether replica id is in the ISR, or on a leader in an
// expansion it proposed.
func (p *Partition) InSync(id kafka.NodeID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.maximalISRLocked(), id)
}

// AppendResult is the outcome of a leader append.
type AppendResult struct {
	BaseOffset int64
	// LastOffset is the offset of the last record appended, or of the
	// duplicate a retried batch was answered with: acks=all waits for the
	// high watermark to pass it (WaitForHighWatermark(ctx, LastOffset+1)).
	LastOffset     kafka.Offset
	LogAppendTime  int64 // -1 unless message.timestamp.type=LogAppendTime
	LogStartOffset int64
}

// AppendAsLeader validates and appends the batches of one produce request
// for this partition. A retried idempotent batch is answered with its
// original offset and not written again. A transactional batch is refused
// (ErrInvalidTxnState) unless its producer's transaction is ongoing here:
// the first batch of a transaction goes through AppendVerified.
func (p *Partition) AppendAsLeader(batches []record.Batch, acks int16, now time.Time) (AppendResult, error) {
	return p.AppendVerified(batches, acks, now, 0)
}

// AppendVerified is AppendAsLeader for batches whose producer's
// transaction the coordinator has confirmed includes this partition since
// guard was taken (VerifyTransaction).
func (p *Partition) AppendVerified(batches []record.Batch, acks int16, now time.Time, guard VerificationGuard) (AppendResult, error) {
	cfg := p.cfg.Load()
	// A refused append answers the log start offset too, as Kafka's does.
	res := AppendResult{BaseOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: p.log.LogStartOffset()}
	for _, b := range batches {
		if err := validate(b, p.TP, cfg, now); err != nil {
			return res, err
		}
	}
	if cfg.Recompress {
		var err error
		if batches, err = recompress(batches, cfg); err != nil {
			return res, err
		}
	}
	p.mu.Lock()
	err := p.checkLeaderLocked(acks, cfg)
	if err == nil {
		err = p.appendLocked(batches, cfg, now, guard, &res)
		p.advanceHighWatermarkLocked()
	}
	p.mu.Unlock()
	res.LogStartOffset = p.log.LogStartOffset()
	if err == nil {
		p.notify()
	}
	return res, err
}

// checkLeaderLocked refuses an append on a follower, and an acks=all
// append when the ISR is smaller than min.insync.replicas.
func (p *Partition) checkLeaderLocked(acks int16, cfg *Config) error {
	switch {
	case !p.isLeaderLocked():
		return fmt.Errorf("%w: %s is led by node %d", ErrNotLeader, p.TP, p.role.Leader)
	case acks == -1 && len(p.role.ISR) < int(cfg.MinInsyncReplicas):
		return fmt.Errorf("%w: isr %v, min.insync.replicas %d", ErrNotEnoughReplicas, p.role.ISR, cfg.MinInsyncReplicas)
	}
	return nil
}

func validate(b record.Batch, tp kafka.TopicPartition, cfg *Config, now time.Time) error {
	if err := b.ValidateProduce(); err != nil {
		return err
	}
	if len(b) > int(cfg.MaxMessageBytes) {
		return fmt.Errorf("%w: %d bytes > %d", ErrMessageTooLarge, len(b), cfg.MaxMessageBytes)
	}
	if b.IsControl() {
		return fmt.Errorf("%w: clients may not write control batches", ErrInvalidRecord)
	}
	return checkRecords(b, tp, cfg, now.UnixMilli())
}

// recompress re-encodes the batches not in the codec of compression.type,
// outside the partition's lock, into a new slice (the caller's batches stay
// as they are). As Kafka, it refuses a batch that recompression made larger
// than max.message.bytes.
func recompress(batches []record.Batch, cfg *Config) ([]record.Batch, error) {
	out := batches
	for i, b := range batches {
		nb, err := b.Recompress(cfg.Compression, cfg.CompressionLevel)
		if err != nil {
			return nil, err
		}
		if len(nb) > int(cfg.MaxMessageBytes) {
			return nil, fmt.Errorf("%w: %d bytes once recompressed with %s > %d", ErrMessageTooLarge, len(nb), cfg.Compression, cfg.MaxMessageBytes)
		}
		if &nb[0] != &b[0] && &out[0] == &batches[0] {
			out = append([]record.Batch(nil), batches...)
		}
		out[i] = nb
	}
	return out, nil
}

// RecordError is one refused record of a produce request: its index in
// the partition's records and why (KIP-467's record_errors).
type RecordError struct {
	Index   int32
	Message string
}

// MaxRecordErrors bounds the record errors one answer lists.
const MaxRecordErrors = 100

// RecordErrors refuses a partition's records for the records it lists:
// Errors holds the first MaxRecordErrors of Total. It wraps
// ErrInvalidTimestamp when a timestamp is out of range, ErrInvalidRecord
// otherwise, as Kafka's LogValidator.processRecordErrors chooses.
type RecordErrors struct {
	Err    error
	Errors []RecordError
	Total  int
}

func (e *RecordErrors) Error() string {
	return fmt.Sprintf("%v: %d records refused, the first: %s", e.Err, e.Total, e.Errors[0].Message)
}

func (e *RecordErrors) Unwrap() error { return e.Err }

// heap returns a copy of e to return as an error, so that e itself can
// live on the stack of an append that refuses nothing.
func (e RecordErrors) heap() *RecordErrors { return &e }

// checkRecords decodes the records of b as Kafka's LogValidator does
// before an append: their framing (a record that lies about its length,
// or records that end before or after the batch's count, is
// INVALID_RECORD), a key on every record of a compacted topic, and, with
// CreateTime, every timestamp within message.timestamp.before.max.ms and
// message.timestamp.after.max.ms of the broker's clock (-1, no timestamp,
// passes). Every refused record is listed, as Kafka lists them. With
// CreateTime, a batch whose header misstates its largest timestamp gets
// the right one (and its CRC), as Kafka's setMaxTimestamp does. An
// uncompressed batch is decoded in place; a compressed one as a bounded
// stream, bounded by record.MaxUncompressedBytes.
func checkRecords(b record.Batch, tp kafka.TopicPartition, cfg *Config, now int64) error {
	lo, hi := satSub(now, cfg.TimestampBeforeMaxMs), satAdd(now, cfg.TimestampAfterMaxMs)
	maxTs := int64(-1)
	refused := RecordErrors{Err: ErrInvalidRecord} // escapes only when returned
	refuse := func(i int, msg string) {
		if refused.Total < MaxRecordErrors {
			refused.Errors = append(refused.Errors, RecordError{Index: int32(i), Message: msg})
		}
		refused.Total++
	}
	compressed := b.Codec() != record.CodecNone
	err := b.CheckRecords(func(i int, h record.RecordHead) error {
		if d := h.Offset - b.BaseOffset(); compressed && d != int64(i) {
			// Kafka would rebuild such a batch and fails instead
			// (UNKNOWN_SERVER_ERROR); stored, its offsets would overlap
			// the next batch's. An uncompressed one Kafka stores as is.
			return fmt.Errorf("%w: record %d of a compressed batch has offset delta %d", ErrInvalidRecord, i, d)
		}
		if cfg.Compacted && h.Key == nil {
			refuse(i, fmt.Sprintf("Compacted topic cannot accept message without key in topic partition %s.", tp))
			return nil
		}
		if cfg.LogAppendTime {
			return nil
		}
		maxTs = max(maxTs, h.Timestamp)
		if h.Timestamp != -1 && (h.Timestamp < lo || h.Timestamp > hi) {
			refused.Err = ErrInvalidTimestamp
			refuse(i, fmt.Sprintf("Timestamp %d of message with offset %d is out of range. The timestamp should be within [%d, %d]", h.Timestamp, h.Offset, lo, hi))
		}
		return nil
	})
	switch {
	case errors.Is(err, record.ErrInflated) && refused.Total > 0:
		return refused.heap()
	case errors.Is(err, record.ErrInflated) && !cfg.Compacted:
		// Stored with its records past the cap unchecked, as Kafka (which
		// has no cap) stores it; the cleaner of a compacted topic would
		// have to inflate it whole, so there it is refused.
		return nil
	case errors.Is(err, record.ErrBadRecord):
		return fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	case err != nil:
		return err // a batch that does not decompress: CORRUPT_MESSAGE
	case refused.Total > 0:
		return refused.heap()
	}
	if !cfg.LogAppendTime && maxTs != b.MaxTimestamp() {
		b.SetMaxTimestamp(maxTs)
	}
	return nil
}

// satSub is a-b, b >= 0, floored at math.MinInt64.
func satSub(a, b int64) int64 {
	if a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

// satAdd is a+b, b >= 0, capped at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func (p *Partition) appendLocked(batches []record.Batch, cfg *Config, now time.Time, guard VerificationGuard, res *AppendResult) error {
	for i, b := range batches {
		dup, isDup, err := p.producers.check(b)
		if err != nil {
			return err
		}
		if err := p.checkVerifiedLocked(b, guard); err != nil && !isDup {
			return err
		}
		if isDup {
			if i == 0 {
				res.BaseOffset = dup.firstOffset
			}
			res.LastOffset = max(res.LastOffset, kafka.Offset(dup.lastOffset))
			continue
		}
		if cfg.LogAppendTime {
			res.LogAppendTime = now.UnixMilli()
			b.SetLogAppendTime(res.LogAppendTime)
		}
		first, last, err := p.log.Append(b, int32(p.role.LeaderEpoch))
		if err != nil {
			return err
		}
		if res.BaseOffset < 0 {
			res.BaseOffset = first
		}
		res.LastOffset = kafka.Offset(last)
		p.recordBatchLocked(b)
	}
	return nil
}

// HighWatermark is the offset below which records are committed (see
// doc.go): what consumers may read.
func (p *Partition) HighWatermark() int64 { return p.highWatermark.Load() }

// LogStartOffset is the first offset still in the log.
func (p *Partition) LogStartOffset() int64 { return p.log.LogStartOffset() }

// Offline returns ErrLogDirOffline (wrapped) when the replica's log dir
// has failed: the replica serves nothing until the process restarts.
func (p *Partition) Offline() error { return p.log.Offline() }

// LogEndOffset is the offset the next record will get.
func (p *Partition) LogEndOffset() int64 { return p.log.LogEndOffset() }

// LeaderEpoch is the current leader epoch.
func (p *Partition) LeaderEpoch() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int32(p.role.LeaderEpoch)
}

// Read returns whole batches from offset, bounded by the high watermark,
// read into buf when it has the capacity (see Log.ReadInto).
func (p *Partition) Read(buf []byte, offset int64, maxBytes int32, minOneBatch bool) ([]byte, error) {
	return p.log.ReadInto(buf, offset, maxBytes, p.HighWatermark(), minOneBatch)
}

// ReadRegion is Read as a region of a segment file, to be sent without
// being read (see Log.ReadRegion); ok false: Read instead.
func (p *Partition) ReadRegion(offset int64, maxBytes int32, minOneBatch bool) (kafka.FileRegion, bool, error) {
	return p.log.ReadRegion(offset, maxBytes, p.HighWatermark(), minOneBatch)
}

// DeleteRecordsBefore advances the log start offset (DeleteRecords). offset
// -1 means the high watermark.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	if !p.leading.Load() {
		return -1, fmt.Errorf("%w: %s", ErrNotLeader, p.TP)
	}
	hw := p.HighWatermark()
	if offset == -1 {
		offset = hw
	}
	if offset < 0 || offset > hw {
		return -1, fmt.Errorf("%w: %d is not in [0, %d]", ErrOffsetOutOfRange, offset, hw)
	}
	if offset > p.log.LogStartOffset() {
		if err := p.log.DeleteRecordsBefore(offset); err != nil {
			return -1, err
		}
	}
	return p.log.LogStartOffset(), nil
}

// Checkpoint writes a producer-state snapshot at the log end offset. The
// state is captured under the lock; the file is written (and fsynced)
// outside it, so appends do not wait for the disk.
func (p *Partition) Checkpoint() error { return p.CheckpointBehind(1) }

// CheckpointBehind is Checkpoint when at least minRecords offsets were
// appended since the last snapshot; otherwise it does nothing. A periodic
// snapshot of every partition touched costs two fsyncs each, which with
// thousands of partitions competes with the appends; the records since
// the last snapshot are what recovery after a crash replays, so a
// threshold bounds that replay instead. A partition without a snapshot
// counts from offset 0 while its log still starts there (recovery replays
// it all and rebuilds the same state: the first checkpoint after 20,000
// new partitions were each written a little wrote 20,000 snapshots), and
// gets one at once otherwise (the state of producers whose batches left
// the log is only in memory).
func (p *Partition) CheckpointBehind(minRecords int64) error {
	p.mu.Lock()
	offset := p.log.LogEndOffset()
	since := p.snapshotOffset
	if since < 0 && p.log.LogStartOffset() == 0 {
		since = 0
	}
	if offset == p.snapshotOffset || (since >= 0 && offset-since < minRecords) {
		p.mu.Unlock()
		return nil // too little appended since the last snapshot
	}
	data := p.producers.encode()
	p.mu.Unlock()
	if err := p.log.WriteSnapshot(offset, data); err != nil {
		return err
	}
	p.mu.Lock()
	p.snapshotOffset = max(p.snapshotOffset, offset)
	p.mu.Unlock()
	return nil
}
