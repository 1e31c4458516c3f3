package txn

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Topic is the internal topic that holds transaction state.
const Topic = "__transaction_state"

// Errors of the coordinator, mapped to Kafka codes by the handler.
var (
	ErrNotCoordinator            = coord.ErrNotCoordinator                                                               // NOT_COORDINATOR
	ErrLoadInProgress            = coord.ErrLoadInProgress                                                               // COORDINATOR_LOAD_IN_PROGRESS
	ErrConcurrentTransactions    = errors.New("a transaction of this id is being completed")                             // CONCURRENT_TRANSACTIONS
	ErrProducerFenced            = errors.New("a newer producer with this transactional id exists")                      // PRODUCER_FENCED
	ErrInvalidProducerIDMapping  = errors.New("producer id does not match the transactional id")                         // INVALID_PRODUCER_ID_MAPPING
	ErrInvalidTxnState           = errors.New("the request is not valid in the transaction's state")                     // INVALID_TXN_STATE
	ErrInvalidTransactionTimeout = errors.New("transaction timeout is above transaction.max.timeout.ms or not positive") // INVALID_TRANSACTION_TIMEOUT
	ErrTransactionalIDNotFound   = errors.New("unknown transactional id")                                                // TRANSACTIONAL_ID_NOT_FOUND
)

// Config holds the coordinator's broker settings.
type Config struct {
	Partitions            int32         // transaction.state.log.num.partitions
	MaxTimeout            time.Duration // transaction.max.timeout.ms
	IDExpiration          time.Duration // transactional.id.expiration.ms
	AbortTimedOutInterval time.Duration // transaction.abort.timed.out.transaction.cleanup.interval.ms
	RemoveExpiredInterval time.Duration // transaction.remove.expired.transaction.cleanup.interval.ms
	MarkerRetryBackoff    time.Duration // between attempts at markers that failed (Kafka: 100 ms-ish)
	// WriteTimeout bounds the wait of a write for its records to commit
	// (request.timeout.ms, as Kafka's transaction state manager; 0: no
	// bound).
	WriteTimeout time.Duration
	// FinalizedVersion is the cluster's finalized transaction.version
	// (nil: 0); at 1 or more the state records are written as
	// TransactionLogValue version 1, as Kafka does.
	FinalizedVersion func() Version
}

// Markers is the end of one transaction, to be written to each of its
// partitions as a commit or abort marker.
type Markers struct {
	ProducerID       kafka.ProducerID
	ProducerEpoch    int16
	Commit           bool
	CoordinatorEpoch int32
	Partitions       []kafka.TopicPartition
}

// MarkerWriter writes transaction markers to the leaders of partitions:
// locally through the replica manager, or over the network to another
// broker (WriteTxnMarkers). It is called from the coordinator's marker
// goroutines, never from a loop; it may block until ctx ends.
type MarkerWriter interface {
	// WriteMarkers writes m to every partition in m.Partitions and returns
	// those to try again later (no leader, the leader unreachable). A
	// partition that no longer exists, or refuses the marker for good (an
	// older producer or coordinator epoch), is not retried.
	WriteMarkers(ctx context.Context, m Markers) (retry []kafka.TopicPartition)
}

// ImmediateMarkerWriter is a MarkerWriter that can also write markers
// without blocking, from the coordinator's loop: to partitions led on this
// node, where a marker is appended at once and, when the partition has no
// other replica in sync, committed at once too. The coordinator writes
// the markers of a transaction whose partitions all allow it so, right
// after its prepare state is committed, and completes it in the same
// operation: the producer's next transaction then never meets this one
// being completed.
type ImmediateMarkerWriter interface {
	MarkerWriter
	// WriteMarkersNow appends m to every partition of m, if all can take
	// it without blocking (ok false: nothing was written). wait is nil
	// when every marker is committed; otherwise it waits off the loop
	// for the rest, and answers the partitions to write again, as
	// WriteMarkers does.
	WriteMarkersNow(m Markers) (wait func(context.Context) (retry []kafka.TopicPartition), ok bool)
}

// Coordinator serves the transactional ids of the __transaction_state
// partitions led by this node, each a shard on the coordinator runtime.
// It is safe for concurrent use.
type Coordinator struct {
	cfg     Config
	clock   coord.Clock
	logger  *slog.Logger
	markers MarkerWriter
	rt      *coord.Runtime[*shard]

	mu     sync.Mutex      // guards epochs
	epochs map[int32]int32 // the leader epoch of each partition being loaded: the coordinator epoch
	wg     sync.WaitGroup  // marker goroutines
}

// New returns a coordinator that leads no partition yet.
func New(cfg Config, clock coord.Clock, markers MarkerWriter, logger *slog.Logger) *Coordinator {
	if cfg.MarkerRetryBackoff <= 0 {
		cfg.MarkerRetryBackoff = 100 * time.Millisecond
	}
	c := &Coordinator{cfg: cfg, clock: clock, logger: logger, markers: markers, epochs: map[int32]int32{}}
	c.rt = coord.New(clock, logger, c.newShard)
	c.rt.SetWriteTimeout(cfg.WriteTimeout)
	return c
}

// Partitions is the partition count of __transaction_state.
func (c *Coordinator) Partitions() int32 { return c.cfg.Partitions }

// PartitionOf is the partition of __transaction_state holding id.
func (c *Coordinator) PartitionOf(id string) int32 { return PartitionFor(id, c.cfg.Partitions) }

// BecomeLeader starts serving a partition at leaderEpoch, which becomes
// the coordinator epoch of the markers it writes; its ids load in the
// background (COORDINATOR_LOAD_IN_PROGRESS until then).
func (c *Coordinator) BecomeLeader(partition int32, log coord.Log, leaderEpoch int32) {
	c.mu.Lock()
	c.epochs[partition] = leaderEpoch
	c.mu.Unlock()
	c.rt.Load(partition, log)
}

// Resign stops serving a partition; its state and marker goroutines go.
func (c *Coordinator) Resign(partition int32) { c.rt.Unload(partition) }

// Close stops every shard and waits for the marker goroutines.
func (c *Coordinator) Close() {
	c.rt.Close()
	c.wg.Wait()
}

// shard is one partition of __transaction_state: the runtime's state
// machine, owned by the partition's loop.
type shard struct {
	c     *Coordinator
	p     *coord.Partition
	epoch int32 // coordinator epoch
	txns  map[string]*txnMeta
	// ctx ends when the shard unloads: its marker goroutines stop, and the
	// next leader resends the markers of every transaction it loads in a
	// prepare state.
	ctx    context.Context
	cancel context.CancelFunc
}

// txnMeta is a transactional id's state: what is stored, and what Kafka
// too keeps only in memory.
type txnMeta struct {
	stored
	// lastProducerID and lastEpoch are what the previous InitProducerId
	// answered, so that its retry (KIP-360) is recognised.
	lastProducerID kafka.ProducerID
	lastEpoch      int16
	// sending is set while this coordinator writes the markers.
	sending bool
	// completed, while sending, is closed when the transaction completes:
	// the producer's requests that meet the transaction being completed
	// wait on it briefly (untilComplete in ops.go).
	completed chan struct{}
}

func (c *Coordinator) newShard(p *coord.Partition) *shard {
	c.mu.Lock()
	epoch := c.epochs[p.ID()]
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	return &shard{c: c, p: p, epoch: epoch, txns: map[string]*txnMeta{}, ctx: ctx, cancel: cancel}
}

// Replay applies one record: the stored part of an id's state is replaced
// (what is in memory only stays), a tombstone removes the id.
func (s *shard) Replay(key, value []byte) {
	id, st, err := decode(key, value)
	if err != nil {
		return // records of newer coordinators
	}
	if st == nil {
		delete(s.txns, id)
		return
	}
	m := s.txns[id]
	if m == nil {
		m = &txnMeta{lastProducerID: -1, lastEpoch: -1}
		s.txns[id] = m
	}
	m.stored = *st
}

// Loaded resumes the markers of transactions left in a prepare state and
// arms the periodic checks.
func (s *shard) Loaded() {
	for id, m := range s.txns {
		if m.state.preparing() {
			s.sendMarkers(id, m)
		}
	}
	s.armAbortTimedOut()
	s.armRemoveExpired()
}

// Unloaded stops the marker goroutines.
func (s *shard) Unloaded() { s.cancel() }

// write appends the record of id's next stored state, which Replay applies.
func (s *shard) write(id string, next stored) error {
	next.lastUpdate = s.p.Now()
	valueVersion := int16(0)
	if f := s.c.cfg.FinalizedVersion; f != nil && f() >= 1 {
		valueVersion = 1
	}
	return s.p.Append([]record.Record{{Timestamp: next.lastUpdate.UnixMilli(), Key: encodeKey(id), Value: encodeValue(next, valueVersion)}})
}

// call runs op on the loop of id's partition and returns its answer once
// what it wrote is committed.
func call[R any](ctx context.Context, c *Coordinator, id string, op func(*shard) R) (R, error) {
	return coord.Call(ctx, c.rt, c.PartitionOf(id), op)
}
