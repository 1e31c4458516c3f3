package handler

// Metadata: v0–13.
//
// Behaviour: brokers are the live brokers registered in the metadata
// image, each by its advertised endpoint on the listener the request came
// in on; topics are answered from the same image, by name or (v10+) by
// topic id. A null topic list (v1+) or an empty one (v0) means every topic.
// The controller id is the active controller, the raft leader of the
// metadata quorum (-1 while there is none).
// An unknown topic is created with the broker defaults when
// auto.create.topics.enable is on and the request allows it (always for
// v0–v3); creation is synchronous, so the answer already carries the new
// topic. Invalid names answer INVALID_TOPIC_EXCEPTION, unknown ids
// UNKNOWN_TOPIC_ID.
// Differences from Kafka: authorized operations are not computed (ACLs do
// not exist yet); an auto-created topic is returned ready rather than with
// LEADER_NOT_AVAILABLE.

import (
	"context"
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() {
	register(3, 0, 13, requires(describeOnTopic, createOnCluster, createOnTopic), (*Handler).metadata)
}

func (h *Handler) metadata(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.MetadataRequest)
	resp := r.ResponseKind().(*kmsg.MetadataResponse)
	img := h.Metadata.Image()
	resp.Brokers = metadataBrokers(img, req.Listener)
	resp.ClusterID = &h.ClusterID
	resp.ControllerID = h.controllerID()
	if r.Topics == nil || (r.Version == 0 && len(r.Topics) == 0) {
		for _, name := range img.TopicNames() {
			t, _ := img.Topic(name)
			resp.Topics = append(resp.Topics, topicMetadata(t))
		}
		return resp, nil
	}
	autoCreate := h.Config.AutoCreateTopicsEnable && (r.Version < 4 || r.AllowAutoTopicCreation)
	for _, rt := range r.Topics {
		resp.Topics = append(resp.Topics, h.metadataTopic(ctx, img, rt, autoCreate))
	}
	return resp, nil
}

// metadataBrokers describes the live brokers of img by their advertised
// endpoint on the listener the client connected to, as Kafka does, so that
// clients on different networks each get an address they can reach. A
// broker without that listener is described by its first endpoint.
func metadataBrokers(img *metadata.Image, listener string) []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for _, br := range liveBrokers(img) {
		e, ok := br.Endpoint(listener)
		if !ok && len(br.Endpoints) > 0 {
			e = br.Endpoints[0]
		}
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack = int32(br.ID), e.Host, e.Port, br.Rack
		out = append(out, b)
	}
	return out
}

// liveBrokers returns the registered brokers that are not fenced, sorted
// by id: those clients are told about.
func liveBrokers(img *metadata.Image) []metadata.Broker {
	var out []metadata.Broker
	for _, b := range img.Brokers() {
		if !b.Fenced {
			out = append(out, b)
		}
	}
	return out
}

func (h *Handler) metadataTopic(ctx context.Context, img *metadata.Image, rt kmsg.MetadataRequestTopic, autoCreate bool) kmsg.MetadataResponseTopic {
	if rt.Topic == nil {
		t, ok := img.TopicByID(kafka.TopicID(rt.TopicID))
		if !ok {
			mt := kmsg.NewMetadataResponseTopic()
			mt.TopicID = rt.TopicID
			mt.ErrorCode = kerr.UnknownTopicID.Code
			return mt
		}
		return topicMetadata(t)
	}
	name := *rt.Topic
	if t, ok := img.Topic(name); ok {
		return topicMetadata(t)
	}
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = &name
	mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
	if err := controller.ValidateTopicName(name); err != nil {
		mt.ErrorCode = kerr.InvalidTopicException.Code
		return mt
	}
	if !autoCreate || strings.HasPrefix(name, "__") {
		return mt
	}
	t, err := h.autoCreate(ctx, name)
	if err != nil {
		mt.ErrorCode = errorCode(err)
		if errors.Is(err, controller.ErrInvalidReplicationFactor) {
			mt.ErrorCode = kerr.InvalidReplicationFactor.Code
		}
		return mt
	}
	return topicMetadata(t)
}

// autoCreate creates name with the broker defaults. A concurrent creation
// of the same topic is not an error.
func (h *Handler) autoCreate(ctx context.Context, name string) (*metadata.Topic, error) {
	_, err := h.createTopic(ctx, controller.TopicSpec{Name: name, NumPartitions: -1, ReplicationFactor: -1}, false)
	if err != nil && !errors.Is(err, controller.ErrTopicExists) {
		return nil, err
	}
	t, ok := h.Metadata.Image().Topic(name)
	if !ok {
		return nil, controller.ErrUnknownTopic
	}
	return t, nil
}

func topicMetadata(t *metadata.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = isInternalTopic(t.Name)
	mt.AuthorizedOperations = -2147483648
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p.Partition
		mp.Leader = p.Leader
		mp.LeaderEpoch = p.LeaderEpoch
		mp.Replicas = p.Replicas
		mp.ISR = p.ISR
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}
