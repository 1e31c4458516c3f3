package handler

// Produce: v3–13.
//
// Behaviour: each partition's records must be exactly one batch
// (INVALID_RECORD), not zstd before v7 (UNSUPPORTED_COMPRESSION_TYPE), as
// Kafka's ProduceRequest.validateRecords; the batch is validated
// by header (size, magic 2, CRC32C, record count; no decompression), checked
// against the producer's epoch and sequence, and appended with offsets
// patched in place. acks=0 answers nothing, acks=1 answers after the
// append, acks=-1 once the partition's high watermark passes the appended
// (or duplicate) batch, or REQUEST_TIMED_OUT after timeout_ms (a single
// node is its own ISR, so the high watermark moves with the append and the
// wait ends at once; min.insync.replicas above the ISR size answers
// NOT_ENOUGH_REPLICAS for acks=-1). A retried idempotent batch answers its
// original offset. v13 names topics by id (UNKNOWN_TOPIC_ID when unknown).
// In a cluster, acks=-1 answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the
// ISR shrank below min.insync.replicas while the append waited, and a
// partition not led here answers NOT_LEADER_OR_FOLLOWER with, from v10,
// its current leader and that leader's endpoint (KIP-951, leaders.go).
// acks outside {-1,0,1} answers INVALID_REQUIRED_ACKS. An acks=0 request
// that fails for any partition closes the connection, as Kafka does.
// With gregor.flush.before.ack (Gregor's own topic and broker config),
// acks=1 and acks=-1 answer only once an fsync covers the appended batch,
// shared by concurrent appends (group commit), or REQUEST_TIMED_OUT after
// timeout_ms; the partitions of one request fsync concurrently.
// A response that must wait after the append (an fsync, or followers for
// acks=-1) is deferred (wire.Request.Defer): the server completes and
// writes it in request order, and may append the connection's next produce
// requests meanwhile. timeout_ms runs from the append.
// Internal topics (__consumer_offsets) take produce only from a client
// with id "__admin_client", as Kafka; others get INVALID_TOPIC_EXCEPTION.
// Authorization, checked before anything else: WRITE on the transactional
// id, or IDEMPOTENT_WRITE on the cluster (or WRITE on some topic) for an
// idempotent producer; transactional records in a request without a
// transactional id are TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka
// answers them; then WRITE on each topic
// (TOPIC_AUTHORIZATION_FAILED for its partitions).
// Transactional batches (KIP-890 part 1): the first batch of a producer's
// transaction in a partition is appended only once the transaction
// coordinator confirms that the transaction includes the partition
// (AddPartitionsToTxn's verify-only form, asked locally or, for a
// coordinator on another node, over the network: txn.go,
// verifyTransaction); otherwise INVALID_TXN_STATE (TRANSACTION_ABORTABLE
// from v11, which knows it), as Kafka. From v12
// (KIP-890 part 2, a client of transaction.version 2 that does not call
// AddPartitionsToTxn) the leader instead adds the partition to the
// transaction at the coordinator (AddPartitionsToTxn v5), as Kafka's
// broker does; an old epoch answers INVALID_PRODUCER_EPOCH, a coordinator
// still completing the producer's previous transaction
// NOT_ENOUGH_REPLICAS (retried). The partitions of one request are added
// in one coordinator request (produce_txn.go). This is served from transaction.version 1, as
// Kafka 4.2 serves it; at 0 a transactional v12+ request answers
// UNSUPPORTED_VERSION, as Kafka's (see 26_end_txn.go).
// Schema validation (Confluent Server's, not Kafka's): on a topic with
// confluent.value.schema.validation or confluent.key.schema.validation,
// records without a registered schema id for the topic's subject refuse
// the partition's batch with INVALID_RECORD and record_errors
// (schema_validation.go).
// Quotas (quotas.go): the request's size counts against the client's
// producer_byte_rate and, unless acks=0, its handler time against
// request_percentage; a client over either gets throttle_time_ms and its
// connection is muted for that long after the response (KIP-219).
// Differences from Kafka: on a compacted topic, whose batches are streamed
// to refuse records without a key (INVALID_RECORD), a batch that inflates
// past 128 MiB answers CORRUPT_MESSAGE (Kafka has no such limit).

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/record"
)

func init() {
	register(0, 3, 13, requires(writeOnTopic, idempotentWriteOnCluster, writeOnTransactionalID), (*Handler).produce)
}

func (h *Handler) produce(ctx context.Context, req *Request) (kmsg.Response, error) {
	start := h.now()
	r := req.Body.(*kmsg.ProduceRequest)
	resp := r.ResponseKind().(*kmsg.ProduceResponse)
	img := h.Metadata.Image()
	var waits []ackWait
	denied := h.producerDenied(req, r.TransactionID, isIdempotent(r))
	if denied == 0 && r.TransactionID == nil && hasTransactional(r) {
		denied = kerr.TransactionalIDAuthorizationFailed.Code // as Kafka: transactional records need the id
	}
	var added map[kafka.TopicPartition]addedPartition
	if denied == 0 {
		added = h.addProducedPartitions(ctx, req, r, img)
	}
	for _, t := range r.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		name, idKnown := t.Topic, true
		if r.Version >= 13 {
			topic, ok := img.TopicByID(kafka.TopicID(t.TopicID))
			idKnown = ok
			if ok {
				name = topic.Name
			}
		}
		sv := config.TopicSchemaValidation(img.Configs(topicResource(name)))
		code := denied
		if code == 0 && idKnown && !h.allowed(req, acl.Write, acl.Topic, name) {
			code = kerr.TopicAuthorizationFailed.Code
		}
		for _, p := range t.Partitions {
			if code != 0 {
				rt.Partitions = append(rt.Partitions, deniedProduce(p.Partition, code))
				continue
			}
			rp, w := h.producePartition(ctx, r, req.Header.ClientID, name, idKnown, sv, p, added)
			rt.Partitions = append(rt.Partitions, rp)
			if w.part != nil {
				w.topic, w.partition = len(resp.Topics), len(rt.Partitions)-1
				waits = append(waits, w)
			}
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if r.Acks == 0 {
		h.throttleProduce(req, r.Acks, nil, start)
		return nil, acksZeroError(resp)
	}
	listener := req.Listener
	deadline := time.Now().Add(time.Duration(max(r.TimeoutMillis, 0)) * time.Millisecond)
	finish := func(ctx context.Context) {
		awaitReplication(ctx, deadline, resp, waits)
		if r.Version >= 10 {
			addProduceLeaderHints(img, listener, resp)
		}
	}
	// The handler time the request quota counts excludes the wait, so it
	// is known before: the throttle is too.
	h.throttleProduce(req, r.Acks, resp, start)
	if waitsReady(waits) {
		finish(ctx)
		return resp, nil
	}
	// The server writes the answer once the wait ends, and may append the
	// connection's next produce requests meanwhile (see wire.Request.Defer).
	req.Defer(finish)
	return resp, nil
}

// waitsReady reports whether no wait has anything to wait for: no fsync,
// and the high watermark already past every acks=all append, as on a node
// that is its partitions' only replica.
func waitsReady(waits []ackWait) bool {
	for _, w := range waits {
		if w.part.FlushesBeforeAck() || w.replicated && kafka.Offset(w.part.HighWatermark()) < w.offset {
			return false
		}
	}
	return true
}

// isIdempotent reports whether some batch of r carries a producer id.
func isIdempotent(r *kmsg.ProduceRequest) bool {
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if len(p.Records) >= record.HeaderSize && record.Batch(p.Records).ProducerID() >= 0 {
				return true
			}
		}
	}
	return false
}

// hasTransactional reports whether some batch of r is transactional.
func hasTransactional(r *kmsg.ProduceRequest) bool {
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if len(p.Records) >= record.HeaderSize && record.Batch(p.Records).IsTransactional() {
				return true
			}
		}
	}
	return false
}

// deniedProduce answers a partition the producer may not write to.
func deniedProduce(partition int32, code int16) kmsg.ProduceResponseTopicPartition {
	rp := kmsg.NewProduceResponseTopicPartition()
	rp.Partition, rp.ErrorCode = partition, code
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	return rp
}

// addProduceLeaderHints adds the current leader to every partition
// answered NOT_LEADER_OR_FOLLOWER (KIP-951).
func addProduceLeaderHints(img *metadata.Image, listener string, resp *kmsg.ProduceResponse) {
	var eps leaderEndpoints
	for i := range resp.Topics {
		t := &resp.Topics[i]
		for j := range t.Partitions {
			rp := &t.Partitions[j]
			if !needsLeaderHint(rp.ErrorCode) {
				continue
			}
			if hint, ok := currentLeader(img, t.Topic, t.TopicID, rp.Partition); ok {
				rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = hint.leader, hint.epoch
				eps.add(hint.leader)
			}
		}
	}
	eps.each(img, listener, func(id int32, ep metadata.Endpoint, rack *string) {
		b := kmsg.NewProduceResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack = id, ep.Host, ep.Port, rack
		resp.Brokers = append(resp.Brokers, b)
	})
}

// ackWait is a partition append whose answer waits: for an fsync that
// covers it (gregor.flush.before.ack), then, with acks=all, for the
// partition's high watermark to reach offset (its last offset + 1).
type ackWait struct {
	part             *partition.Partition
	offset           kafka.Offset
	replicated       bool // acks=all
	topic, partition int  // indexes of its answer in the response
}

// awaitReplication waits until every waiting append is fsynced where the
// topic asks for it and every acks=all append is below its partition's
// high watermark, until deadline (the request's timeout_ms from its
// append), as Kafka's delayed produce. A partition that does not get there answers
// REQUEST_TIMED_OUT, or NOT_LEADER_OR_FOLLOWER if it lost its leadership.
// The partitions that wait for an fsync wait concurrently, so that their
// fsyncs overlap rather than add up.
func awaitReplication(ctx context.Context, deadline time.Time, resp *kmsg.ProduceResponse, waits []ackWait) {
	if len(waits) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	answer := func(w ackWait) {
		if err := w.wait(ctx); err != nil {
			rp := &resp.Topics[w.topic].Partitions[w.partition]
			rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		}
	}
	var wg sync.WaitGroup
	for i, w := range waits {
		if i < len(waits)-1 && w.part.FlushesBeforeAck() {
			wg.Go(func() { answer(w) })
		} else {
			answer(w)
		}
	}
	wg.Wait()
}

func (w ackWait) wait(ctx context.Context) error {
	if err := w.part.WaitDurable(ctx, w.offset); err != nil || !w.replicated {
		return err
	}
	if err := w.part.WaitForHighWatermark(ctx, w.offset); err != nil {
		return err
	}
	return w.part.CheckMinISRAfterAppend()
}

// acksZeroError returns an error, which closes the connection, when an
// acks=0 request failed for some partition: with no response to read, a
// closed connection is how Kafka tells the producer to refresh its metadata.
func acksZeroError(resp *kmsg.ProduceResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("acks=0 produce to %s/%d failed with error code %d; closing the connection as Kafka does", t.Topic, p.Partition, p.ErrorCode)
			}
		}
	}
	return nil
}

// internalTopicsClient is the client id Kafka lets write to internal topics.
const internalTopicsClient = "__admin_client"

func (h *Handler) producePartition(ctx context.Context, r *kmsg.ProduceRequest, clientID, topic string, idKnown bool, sv config.SchemaValidation, p kmsg.ProduceRequestTopicPartition, added map[kafka.TopicPartition]addedPartition) (kmsg.ProduceResponseTopicPartition, ackWait) {
	rp := kmsg.NewProduceResponseTopicPartition()
	rp.Partition = p.Partition
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	if r.Acks != 0 && r.Acks != 1 && r.Acks != -1 {
		rp.ErrorCode = kerr.InvalidRequiredAcks.Code
		return rp, ackWait{}
	}
	if !idKnown {
		rp.ErrorCode = kerr.UnknownTopicID.Code
		return rp, ackWait{}
	}
	if isInternalTopic(topic) && clientID != internalTopicsClient {
		rp.ErrorCode = kerr.InvalidTopicException.Code
		rp.ErrorMessage = kmsg.StringPtr("Cannot append to internal topic " + topic)
		return rp, ackWait{}
	}
	part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: topic, Partition: p.Partition})
	if err != nil {
		rp.ErrorCode = errorCode(err)
		return rp, ackWait{}
	}
	batches, err := splitProduce(p.Records)
	if err != nil {
		rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		return rp, ackWait{}
	}
	if code := produceRecordsCode(r.Version, batches); code != 0 {
		rp.ErrorCode = code // as Kafka, without a message
		return rp, ackWait{}
	}
	if b := batches[0]; b.ProducerID() >= 0 && b.BaseSequence() < 0 {
		// Kafka's LogValidator.validateBatch, for a client's batch only:
		// the coordinators write transactional batches without sequences.
		rp.ErrorCode, rp.LogStartOffset = kerr.InvalidRecord.Code, part.LogStartOffset()
		rp.ErrorMessage = kmsg.StringPtr(fmt.Sprintf("Invalid sequence number %d in record batch with producerId %d in topic partition %s-%d",
			b.BaseSequence(), b.ProducerID(), topic, p.Partition))
		return rp, ackWait{}
	}
	if sv.On() {
		errs, total, err := h.validateSchemas(ctx, topic, sv, batches)
		switch {
		case err != nil:
			rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
			return rp, ackWait{}
		case total > 0:
			refusedRecords(&rp, errorCode(partition.ErrInvalidRecord), errs, total)
			return rp, ackWait{}
		}
	}
	res, err := h.appendProduced(ctx, part, r, batches, added)
	if err != nil {
		var refused *partition.RecordErrors
		if errors.As(err, &refused) {
			refusedRecords(&rp, errorCode(refused.Err), refused.Errors, refused.Total)
		} else {
			rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		}
		if answersLogStartOffset(rp.ErrorCode) {
			rp.LogStartOffset = res.LogStartOffset
		}
		h.Logger.Debug("produce failed", "topic", topic, "partition", p.Partition, "err", err)
		return rp, ackWait{}
	}
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
	if r.Acks == 0 || (r.Acks == 1 && !part.FlushesBeforeAck()) {
		return rp, ackWait{}
	}
	return rp, ackWait{part: part, offset: res.LastOffset + 1, replicated: r.Acks == -1}
}

// answersLogStartOffset reports whether a partition refused with code
// answers its log start offset, as Kafka's ReplicaManager.appendToLocalLog
// does for every failed append but those it answers with no log append
// information (unknown partition, not the leader, a batch too large or
// corrupt, a failed log dir).
func answersLogStartOffset(code int16) bool {
	switch code {
	case kerr.UnknownTopicOrPartition.Code, kerr.NotLeaderForPartition.Code, kerr.MessageTooLarge.Code,
		kerr.RecordListTooLarge.Code, kerr.CorruptMessage.Code, kerr.KafkaStorageError.Code:
		return false
	}
	return true
}

// produceRecordsCode is Kafka's check of a partition's records in a
// Produce request (ProduceRequest.validateRecords): exactly one record
// batch (INVALID_RECORD otherwise), and no zstd batch before v7, the
// version that came with it (UNSUPPORTED_COMPRESSION_TYPE).
func produceRecordsCode(version int16, batches []record.Batch) int16 {
	switch {
	case len(batches) != 1:
		return kerr.InvalidRecord.Code
	case version < 7 && batches[0].Codec() == record.CodecZstd:
		return kerr.UnsupportedCompressionType.Code
	}
	return 0
}

func splitProduce(records []byte) ([]record.Batch, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: produce request carries no records", partition.ErrInvalidRecord)
	}
	return record.Split(records)
}

// appendProduced appends a partition's batches as leader; the first
// transactional batch of a transaction here is verified with the
// transaction coordinator first (KIP-890).
func (h *Handler) appendProduced(ctx context.Context, part *partition.Partition, r *kmsg.ProduceRequest, batches []record.Batch, added map[kafka.TopicPartition]addedPartition) (partition.AppendResult, error) {
	b := batches[0]
	if !b.IsTransactional() || r.TransactionID == nil {
		return part.AppendAsLeader(batches, r.Acks, h.now())
	}
	tp := kafka.TopicPartition{Topic: part.TP.Topic, Partition: part.TP.Partition}
	fail := partition.AppendResult{BaseOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: -1}
	if a, ok := added[tp]; ok { // added with the request's other partitions
		if a.err != nil {
			return fail, a.err
		}
		res, err := part.AppendVerified(batches, r.Acks, h.now(), a.guard)
		if !errors.Is(err, partition.ErrInvalidTxnState) {
			return res, err
		}
		// The marker of the producer's previous transaction came in while
		// the coordinator added the partition: verify again below.
	}
	if r.Version >= 12 && !h.servesTransactionVersion2() {
		return fail, errTransactionVersion0
	}
	pid, epoch := kafka.ProducerID(b.ProducerID()), b.ProducerEpoch()
	for attempt := 0; ; attempt++ {
		guard, needed := part.VerifyTransaction(pid, epoch)
		if needed {
			add := r.Version >= 12 // KIP-890 part 2: the client did not call AddPartitionsToTxn
			if err := h.verifyTransaction(ctx, *r.TransactionID, pid, epoch, tp, add); err != nil {
				if r.Version >= 11 && errors.Is(err, partition.ErrInvalidTxnState) { // KIP-890: a client that knows the abortable error
					err = fmt.Errorf("%w: %v", errTransactionAbortable, err)
				}
				return fail, err
			}
		}
		res, err := part.AppendVerified(batches, r.Acks, h.now(), guard)
		// A marker written between the verification and the append
		// invalidates the guard. At transaction version 2 that is the
		// expected case of the marker of the producer's previous
		// transaction, which the coordinator waited for before it
		// added the partition; the verification, taken again after
		// that marker, is then answered at once.
		if attempt == 0 && needed && errors.Is(err, partition.ErrInvalidTxnState) {
			continue
		}
		return res, err
	}
}
