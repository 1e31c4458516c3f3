package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/group"
	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/txn"
)

// errTransactionAbortable: a transactional write refused in a way the
// producer recovers from by aborting its transaction
// (TRANSACTION_ABORTABLE, KIP-890, for clients that know it).
var errTransactionAbortable = errors.New("the transaction must be aborted")

// errTransactionVersion0: a request of the KIP-890 part 2 protocol
// (transactional Produce v12+, EndTxn v5+, TxnOffsetCommit v5+) while the
// cluster's transaction.version is 0, whose __transaction_state records
// (value version 0) cannot hold the client's transaction version:
// UNSUPPORTED_VERSION, as Kafka answers.
var errTransactionVersion0 = errors.New("transaction.version 0 cannot record a transaction of transaction version 2")

// servesTransactionVersion2 reports whether the cluster's
// transaction.version lets the coordinator record a transaction of a client
// of transaction version 2: at 1 or more, as Kafka 4.2 serves Produce v12,
// EndTxn v5 and TxnOffsetCommit v5 (clients choose that protocol only at 2).
func (h *Handler) servesTransactionVersion2() bool {
	img := h.Metadata.Image()
	return img != nil && img.FeatureLevel("transaction.version") >= 1
}

// txnErrorCode is errorCode for the transactional APIs: before the version
// that knows PRODUCER_FENCED, Kafka answers INVALID_PRODUCER_EPOCH.
func txnErrorCode(err error, beforeProducerFenced bool) int16 {
	code := errorCode(err)
	if code == kerr.ProducerFenced.Code && beforeProducerFenced {
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}

// TxnMarkers is the transaction coordinator's MarkerWriter on this node: it
// writes each marker to the local leader of its partition, waits for the
// high watermark to pass it (as WriteTxnMarkers with acks=all), and for a
// partition of __consumer_offsets then completes the group coordinator's
// pending transactional offsets. A partition led elsewhere is retried
// (markers to other brokers go over WriteTxnMarkers: see Remote).
type TxnMarkers struct {
	Replicas Partitions
	Groups   *group.Coordinator
	Now      func() time.Time
	Logger   *slog.Logger
	// Remote, when set, writes the markers of partitions not led here
	// (WriteTxnMarkers to their leaders); it returns those to retry.
	Remote func(ctx context.Context, m txn.Markers) []kafka.TopicPartition
}

// markerTimeout bounds the wait for one marker to replicate.
const markerTimeout = 30 * time.Second

// WriteMarkers implements txn.MarkerWriter. The local markers are all
// appended before the first wait for a high watermark, so that their
// replication overlaps.
func (w *TxnMarkers) WriteMarkers(ctx context.Context, m txn.Markers) (retry []kafka.TopicPartition) {
	var remote []kafka.TopicPartition
	type written struct {
		tp     kafka.TopicPartition
		p      *partition.Partition
		offset kafka.Offset
	}
	var local []written
	handle := func(tp kafka.TopicPartition, err error) {
		switch {
		case err == nil, errors.Is(err, partition.ErrUnknownTopicOrPartition) && w.unknownEverywhere(tp),
			errors.Is(err, partition.ErrInvalidProducerEpoch), errors.Is(err, partition.ErrTransactionCoordinatorFenced):
			if err != nil {
				w.Logger.Warn("transaction marker not written", "topic", tp.Topic, "partition", tp.Partition, "producer.id", m.ProducerID, "err", err)
			}
		case errors.Is(err, partition.ErrNotLeader), errors.Is(err, partition.ErrUnknownTopicOrPartition):
			remote = append(remote, tp)
		default:
			retry = append(retry, tp)
		}
	}
	for _, tp := range m.Partitions {
		p, offset, err := w.appendLocal(m, tp)
		if err != nil {
			handle(tp, err)
			continue
		}
		local = append(local, written{tp, p, offset})
	}
	for _, l := range local {
		handle(l.tp, w.waitLocal(ctx, m, l.tp, l.p, l.offset))
	}
	if len(remote) > 0 && w.Remote != nil {
		rm := m
		rm.Partitions = remote
		return append(retry, w.Remote(ctx, rm)...)
	}
	return append(retry, remote...)
}

// WriteMarkersNow implements txn.ImmediateMarkerWriter: when every
// partition of m is led here (and none is of __consumer_offsets, whose
// markers also complete the group coordinator's pending offsets), the
// markers are appended now; wait is nil when all are committed already.
func (w *TxnMarkers) WriteMarkersNow(m txn.Markers) (wait func(context.Context) []kafka.TopicPartition, ok bool) {
	parts := make([]*partition.Partition, len(m.Partitions))
	for i, tp := range m.Partitions {
		p, err := w.Replicas.Partition(tp)
		if err != nil || tp.Topic == group.Topic || !p.IsLeader() {
			return nil, false
		}
		parts[i] = p
	}
	type pending struct {
		tp     kafka.TopicPartition
		p      *partition.Partition
		offset kafka.Offset
		err    error
	}
	var rest []pending
	for i, tp := range m.Partitions {
		p, offset, err := w.appendLocal(m, tp)
		if err != nil || kafka.Offset(parts[i].HighWatermark()) <= offset {
			rest = append(rest, pending{tp, p, offset, err})
		}
	}
	if len(rest) == 0 {
		return nil, true
	}
	return func(ctx context.Context) (retry []kafka.TopicPartition) {
		var again txn.Markers
		for _, r := range rest {
			if r.err == nil {
				r.err = w.waitLocal(ctx, m, r.tp, r.p, r.offset)
			}
			if r.err != nil {
				again.Partitions = append(again.Partitions, r.tp)
			}
		}
		if len(again.Partitions) == 0 {
			return nil
		}
		// What failed is handled as WriteMarkers handles it (a refused
		// marker is not retried, a partition led elsewhere goes remote).
		again.ProducerID, again.ProducerEpoch, again.Commit, again.CoordinatorEpoch = m.ProducerID, m.ProducerEpoch, m.Commit, m.CoordinatorEpoch
		return w.WriteMarkers(ctx, again)
	}, true
}

// unknownEverywhere: with no remote writer this node is the whole cluster,
// so a partition it does not have no longer exists.
func (w *TxnMarkers) unknownEverywhere(kafka.TopicPartition) bool { return w.Remote == nil }

// appendLocal appends the marker m to the local leader of tp.
func (w *TxnMarkers) appendLocal(m txn.Markers, tp kafka.TopicPartition) (*partition.Partition, kafka.Offset, error) {
	p, err := w.Replicas.Partition(tp)
	if err != nil {
		return nil, -1, err
	}
	offset, err := p.WriteTxnMarker(partition.Marker{ProducerID: m.ProducerID, ProducerEpoch: m.ProducerEpoch,
		Commit: m.Commit, CoordinatorEpoch: m.CoordinatorEpoch}, w.Now())
	return p, offset, err
}

// writeLocal appends the marker m to the local leader of tp and waits for
// it to be committed (waitLocal).
func (w *TxnMarkers) writeLocal(ctx context.Context, m txn.Markers, tp kafka.TopicPartition) error {
	p, offset, err := w.appendLocal(m, tp)
	if err != nil {
		return err
	}
	return w.waitLocal(ctx, m, tp, p, offset)
}

// waitLocal waits for the marker at offset of tp to be committed and, for a
// partition of __consumer_offsets, then completes the transaction's
// offsets.
func (w *TxnMarkers) waitLocal(ctx context.Context, m txn.Markers, tp kafka.TopicPartition, p *partition.Partition, offset kafka.Offset) error {
	wctx, cancel := context.WithTimeout(ctx, markerTimeout)
	defer cancel()
	if err := p.WaitForHighWatermark(wctx, offset+1); err != nil {
		return err
	}
	if tp.Topic == group.Topic {
		return w.Groups.CompleteTransaction(ctx, tp.Partition, m.ProducerID, m.Commit)
	}
	return nil
}

// TxnVerifier asks the transaction coordinator of an id on another node
// whether the producer's transaction includes each of tps
// (AddPartitionsToTxn v4, verify-only), or with add adds them to it (v5,
// KIP-890 part 2: txnclient). The map holds every partition of tps, nil
// when verified or added; its errors are partition's sentinels. Safe for
// concurrent use.
type TxnVerifier interface {
	VerifyTransaction(ctx context.Context, id string, producerID kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, add bool) map[kafka.TopicPartition]error
}

// verifyTransaction asks the transaction coordinator whether the
// producer's transaction includes tp (KIP-890 part 1) or, with add (a
// client of transaction version 2: Produce v12+, TxnOffsetCommit v5+,
// KIP-890 part 2), adds tp to it: see verifyTransactions.
func (h *Handler) verifyTransaction(ctx context.Context, id string, pid kafka.ProducerID, epoch int16, tp kafka.TopicPartition, add bool) error {
	return h.verifyTransactions(ctx, id, pid, epoch, []kafka.TopicPartition{tp}, add)[tp]
}

// verifyTransactions verifies or adds tps in one request to the
// coordinator: the local one, or through TxnVerifier the one on another
// node. Without a TxnVerifier a coordinator on another node is not asked:
// the write is refused with NOT_ENOUGH_REPLICAS, which producers retry, so
// that no unverified transactional write is ever appended. A coordinator
// busy completing the producer's previous transaction answers
// NOT_ENOUGH_REPLICAS too, as Kafka's partition leaders do, so that the
// producer retries. The map holds every partition of tps.
func (h *Handler) verifyTransactions(ctx context.Context, id string, pid kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, add bool) map[kafka.TopicPartition]error {
	v := txn.Version(0)
	if add {
		v = txn.V2
	}
	per, err := h.Txn.AddPartitions(ctx, id, pid, epoch, tps, !add, v)
	switch {
	case errors.Is(err, txn.ErrNotCoordinator) && h.TxnVerifier != nil:
		return h.TxnVerifier.VerifyTransaction(ctx, id, pid, epoch, tps, add)
	case errors.Is(err, txn.ErrNotCoordinator), errors.Is(err, txn.ErrConcurrentTransactions), errors.Is(err, txn.ErrLoadInProgress):
		err = fmt.Errorf("%w: unable to verify the partition has been added to the transaction of %q: %v", partition.ErrNotEnoughReplicas, id, err)
	case errors.Is(err, txn.ErrProducerFenced):
		err = fmt.Errorf("%w: %v", partition.ErrInvalidProducerEpoch, err)
	}
	out := make(map[kafka.TopicPartition]error, len(tps))
	for _, tp := range tps {
		switch {
		case err != nil:
			out[tp] = err
		case per[tp] != nil:
			out[tp] = fmt.Errorf("%w: %v", partition.ErrInvalidTxnState, per[tp])
		default:
			out[tp] = nil
		}
	}
	return out
}
