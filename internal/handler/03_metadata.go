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
// Authorization: topics the principal may not DESCRIBE are left out of a
// request for every topic and answer TOPIC_AUTHORIZATION_FAILED when named
// (whether they exist or not); auto-creation needs CREATE on the cluster
// or the topic. Authorized operations of the cluster (v8–10) and of each
// topic (v8+) are answered when asked for (KIP-430).
// Offline replicas (v5+) are those on a broker not registered, fenced or
// without a log dir left, or on a log dir that failed.
// Differences from Kafka: an auto-created topic is returned ready rather
// than with LEADER_NOT_AVAILABLE; a broker without the request's listener
// is described by its first endpoint, so its replicas are not offline.

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
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
	if r.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = h.clusterOperations(req)
	}
	if r.Topics == nil || (r.Version == 0 && len(r.Topics) == 0) {
		for _, name := range img.TopicNames() {
			if h.allowed(req, acl.Describe, acl.Topic, name) {
				t, _ := img.Topic(name)
				resp.Topics = append(resp.Topics, h.withTopicOperations(req, r, topicMetadata(img, t)))
			}
		}
		return resp, nil
	}
	autoCreate := h.Config.AutoCreateTopicsEnable && (r.Version < 4 || r.AllowAutoTopicCreation)
	for _, rt := range r.Topics {
		resp.Topics = append(resp.Topics, h.withTopicOperations(req, r, h.metadataTopic(ctx, req, img, rt, autoCreate)))
	}
	return resp, nil
}

// withTopicOperations adds the operations the principal may do on the
// topic, when the request asks for them (KIP-430).
func (h *Handler) withTopicOperations(req *Request, r *kmsg.MetadataRequest, mt kmsg.MetadataResponseTopic) kmsg.MetadataResponseTopic {
	if r.IncludeTopicAuthorizedOperations && mt.ErrorCode == 0 && mt.Topic != nil {
		mt.AuthorizedOperations = h.authorizedOperations(req, acl.Resource{Type: acl.Topic, Name: *mt.Topic})
	}
	return mt
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

func (h *Handler) metadataTopic(ctx context.Context, req *Request, img *metadata.Image, rt kmsg.MetadataRequestTopic, autoCreate bool) kmsg.MetadataResponseTopic {
	if rt.Topic == nil {
		t, ok := img.TopicByID(kafka.TopicID(rt.TopicID))
		if !ok || !h.allowed(req, acl.Describe, acl.Topic, t.Name) {
			mt := kmsg.NewMetadataResponseTopic()
			mt.TopicID = rt.TopicID
			mt.ErrorCode = kerr.UnknownTopicID.Code
			if ok {
				mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			}
			return mt
		}
		return topicMetadata(img, t)
	}
	name := *rt.Topic
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = &name
	if !h.allowed(req, acl.Describe, acl.Topic, name) {
		mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
		return mt
	}
	if t, ok := img.Topic(name); ok {
		return topicMetadata(img, t)
	}
	mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
	if err := controller.ValidateTopicName(name); err != nil {
		mt.ErrorCode = kerr.InvalidTopicException.Code
		return mt
	}
	if !autoCreate || strings.HasPrefix(name, "__") {
		return mt
	}
	if !h.allowedOnCluster(req, acl.Create) && !h.allowed(req, acl.Create, acl.Topic, name) {
		mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
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
	return topicMetadata(h.Metadata.Image(), t)
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

func topicMetadata(img *metadata.Image, t *metadata.Topic) kmsg.MetadataResponseTopic {
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
		mp.OfflineReplicas = offlineReplicas(img, p)
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

// offlineReplicas are p's replicas that cannot serve, as Kafka lists
// them: on a broker not registered, fenced or without a log dir left, or
// on a log dir that failed.
func offlineReplicas(img *metadata.Image, p metadata.Partition) []int32 {
	offline := []int32{}
	for _, r := range p.Replicas {
		b, ok := img.Broker(kafka.NodeID(r))
		if !ok || b.Fenced || b.StorageOffline || slices.Contains(p.OfflineReplicas, r) {
			offline = append(offline, r)
		}
	}
	return offline
}

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}
