package handler

// FindCoordinator: v0–6.
//
// Behaviour: the coordinator of a group is the leader of partition
// abs(hash(group)) % offsets.topic.num.partitions of __consumer_offsets,
// which is created on the first request as Kafka does (compacted, with
// offsets.topic.segment.bytes segments). The coordinator of a
// transactional id (key type 1) is the leader of partition
// abs(hash(id)) % transaction.state.log.num.partitions of
// __transaction_state, created likewise (compacted,
// transaction.state.log.segment.bytes, min.insync.replicas
// transaction.state.log.min.isr). v4+ answers batched keys.
// Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
// While fewer brokers are registered than offsets.topic.replication.factor,
// the creation fails and the answer is COORDINATOR_NOT_AVAILABLE, as in
// Kafka 4.
// Differences from Kafka: the replication factor of __transaction_state is
// capped at the live brokers instead of failing the creation, and its
// min.insync.replicas at that factor.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/group"
	"gregor/internal/metadata"
	"gregor/internal/txn"
)

func init() {
	register(10, 0, 6, requires(describeOnGroup, describeOnTransactionalID), (*Handler).findCoordinator)
}

const (
	coordinatorKeyGroup = 0
	coordinatorKeyTxn   = 1
)

func (h *Handler) findCoordinator(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.FindCoordinatorRequest)
	resp := r.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := r.CoordinatorKeys
	if r.Version < 4 {
		keys = []string{r.CoordinatorKey}
	}
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key, c.NodeID, c.Port = key, -1, -1
		node, err := int32(-1), coordinatorDenied(h, req, r.CoordinatorType, key)
		if err == nil {
			node, err = h.coordinatorFor(ctx, r.CoordinatorType, key)
		}
		if err != nil {
			c.ErrorCode = errorCode(err)
			c.ErrorMessage = kmsg.StringPtr(err.Error())
		} else {
			l := h.advertisedFor(req.Listener)
			c.NodeID, c.Host, c.Port = node, l.Host, l.Port
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if r.Version < 4 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.ErrorMessage = c.ErrorCode, c.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = c.NodeID, c.Host, c.Port
		resp.Coordinators = nil
	}
	return resp, nil
}

// coordinatorDenied refuses a principal that may not DESCRIBE the group
// or transactional id it looks up.
func coordinatorDenied(h *Handler, req *Request, keyType int8, key string) error {
	switch {
	case keyType == coordinatorKeyGroup && !h.allowed(req, acl.Describe, acl.Group, key):
		return kerr.GroupAuthorizationFailed
	case keyType == coordinatorKeyTxn && !h.allowed(req, acl.Describe, acl.TransactionalID, key):
		return kerr.TransactionalIDAuthorizationFailed
	}
	return nil
}

var errCoordinatorKeyType = errors.New("unknown coordinator key type")

func (h *Handler) coordinatorFor(ctx context.Context, keyType int8, key string) (int32, error) {
	switch keyType {
	case coordinatorKeyGroup:
	case coordinatorKeyTxn:
		return h.txnCoordinatorFor(ctx, key)
	default:
		return -1, fmt.Errorf("%w %d: %w", errCoordinatorKeyType, keyType, controller.ErrInvalidRequest)
	}
	if key == "" {
		return -1, fmt.Errorf("empty group id: %w", controller.ErrInvalidRequest)
	}
	t, err := h.offsetsTopic(ctx)
	if err != nil {
		return -1, err
	}
	p := group.PartitionFor(key, int32(len(t.Partitions)))
	leader := t.Partitions[p].Leader
	if leader < 0 {
		return -1, group.ErrCoordinatorNotAvailable
	}
	return leader, nil
}

// offsetsTopic returns __consumer_offsets, creating it on first use with
// offsets.topic.replication.factor replicas. As in Kafka 4, the factor is
// not capped at the live brokers: until enough brokers are registered the
// creation fails and the coordinator is not available. A single dev node
// works because `gregor server` without a config file, and the shipped
// config/server.properties, set the factor to 1, as Kafka's does.
func (h *Handler) offsetsTopic(ctx context.Context) (*metadata.Topic, error) {
	if t, ok := h.Metadata.Image().Topic(group.Topic); ok {
		return t, nil
	}
	spec := controller.TopicSpec{
		Name:              group.Topic,
		NumPartitions:     h.Config.OffsetsTopicNumPartitions,
		ReplicationFactor: h.Config.OffsetsTopicReplicationFactor,
		Configs: map[string]string{
			"cleanup.policy":   "compact",
			"compression.type": "producer",
			"segment.bytes":    strconv.FormatInt(int64(h.Config.OffsetsTopicSegmentBytes), 10),
		},
	}
	t, err := h.createTopic(ctx, spec, false)
	if errors.Is(err, controller.ErrTopicExists) {
		t, err = h.createdTopic(group.Topic)
	}
	if err != nil {
		h.Logger.Warn("cannot create "+group.Topic, "err", err)
		return nil, fmt.Errorf("%w: %w", group.ErrCoordinatorNotAvailable, err)
	}
	return t, nil
}

func (h *Handler) createdTopic(name string) (*metadata.Topic, error) {
	t, ok := h.Metadata.Image().Topic(name)
	if !ok {
		return nil, controller.ErrUnknownTopic
	}
	return t, nil
}

// advertisedFor returns the advertised endpoint of the listener a request
// arrived on.
func (h *Handler) advertisedFor(listener string) Endpoint {
	l := h.Advertised[0]
	for _, a := range h.Advertised {
		if a.Name == listener {
			l = a
		}
	}
	return l
}

// txnCoordinatorFor is the leader of the partition of __transaction_state
// that holds id.
func (h *Handler) txnCoordinatorFor(ctx context.Context, id string) (int32, error) {
	if id == "" {
		return -1, fmt.Errorf("empty transactional id: %w", controller.ErrInvalidRequest)
	}
	t, err := h.transactionStateTopic(ctx)
	if err != nil {
		return -1, err
	}
	leader := t.Partitions[txn.PartitionFor(id, int32(len(t.Partitions)))].Leader
	if leader < 0 {
		return -1, group.ErrCoordinatorNotAvailable
	}
	return leader, nil
}

// transactionStateTopic returns __transaction_state, creating it on first use.
func (h *Handler) transactionStateTopic(ctx context.Context) (*metadata.Topic, error) {
	if t, ok := h.Metadata.Image().Topic(txn.Topic); ok {
		return t, nil
	}
	rf := min(h.Config.TransactionStateLogReplicationFactor, int16(len(liveBrokers(h.Metadata.Image()))))
	spec := controller.TopicSpec{
		Name:              txn.Topic,
		NumPartitions:     h.Config.TransactionStateLogNumPartitions,
		ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy":      "compact",
			"compression.type":    "uncompressed",
			"min.insync.replicas": strconv.FormatInt(int64(min(h.Config.TransactionStateLogMinISR, int32(rf))), 10),
			"segment.bytes":       strconv.FormatInt(int64(h.Config.TransactionStateLogSegmentBytes), 10),
		},
	}
	t, err := h.createTopic(ctx, spec, false)
	if errors.Is(err, controller.ErrTopicExists) {
		t, err = h.createdTopic(txn.Topic)
	}
	if err != nil {
		h.Logger.Warn("cannot create "+txn.Topic, "err", err)
		return nil, fmt.Errorf("%w: %w", group.ErrCoordinatorNotAvailable, err)
	}
	return t, nil
}
