package controller

// The typed requests: every write to the metadata is one of these. They are
// plain data (no functions), so that a broker can encode one and forward it
// to the active controller; operate is the one switch that executes them.

import (
	"fmt"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// Request is one write to the metadata: one of the *Request types below.
type Request interface{ isRequest() }

// Response answers a Request: the *Response type of the same name.
type Response interface{ isResponse() }

// CreateTopicsRequest creates topics, each on its own: one failing does not
// stop the others. ValidateOnly runs every check and writes nothing.
type CreateTopicsRequest struct {
	Topics       []TopicSpec
	ValidateOnly bool
}

// CreateTopicsResponse has one result per topic, in request order.
type CreateTopicsResponse struct{ Topics []CreatedTopic }

// CreatedTopic is a topic as created (or as it would be, when validating
// only), or Err, why it was not.
type CreatedTopic struct {
	Topic *metadata.Topic
	Err   error
}

// DeleteTopicsRequest deletes topics by id.
type DeleteTopicsRequest struct{ IDs []kafka.TopicID }

// DeleteTopicsResponse has one error per id, in request order, nil for a
// deleted topic.
type DeleteTopicsResponse struct{ Errs []error }

// CreatePartitionsRequest grows topics, each on its own.
type CreatePartitionsRequest struct {
	Topics       []PartitionsSpec
	ValidateOnly bool
}

// PartitionsSpec grows Topic to Count partitions, with the replicas of the
// new partitions as assigned, or placed round-robin when Assignments is nil.
type PartitionsSpec struct {
	Topic       string
	Count       int32
	Assignments [][]kafka.NodeID
}

// CreatePartitionsResponse has one error per topic, in request order.
type CreatePartitionsResponse struct{ Errs []error }

// AlterConfigsRequest changes the configs of resources, each on its own and
// all or nothing within a resource.
type AlterConfigsRequest struct {
	Resources    []ConfigAlteration
	ValidateOnly bool
}

// ConfigAlteration is a change to one resource's configs: Changes applied
// in order (IncrementalAlterConfigs), or, when Replace, Configs as its whole
// set (the legacy AlterConfigs, which deletes what it does not name).
type ConfigAlteration struct {
	Resource metadata.ConfigResource
	Changes  []ConfigChange
	Replace  bool
	Configs  map[string]string
}

// AlterConfigsResponse has one error per resource, in request order.
type AlterConfigsResponse struct{ Errs []error }

// AllocateProducerIDsRequest reserves a block of Size producer ids.
type AllocateProducerIDsRequest struct{ Size int64 }

// AllocateProducerIDsResponse gives the block First to First+Size-1, never
// handed out before.
type AllocateProducerIDsResponse struct{ First kafka.ProducerID }

// RegisterBrokerRequest registers a broker, replacing its earlier
// registration. The controller assigns the broker epoch.
type RegisterBrokerRequest struct{ Broker metadata.Broker }

// RegisterBrokerResponse gives the broker epoch of the registration.
type RegisterBrokerResponse struct{ Epoch int64 }

func (CreateTopicsRequest) isRequest()        {}
func (DeleteTopicsRequest) isRequest()        {}
func (CreatePartitionsRequest) isRequest()    {}
func (AlterConfigsRequest) isRequest()        {}
func (AllocateProducerIDsRequest) isRequest() {}
func (RegisterBrokerRequest) isRequest()      {}

func (CreateTopicsResponse) isResponse()        {}
func (DeleteTopicsResponse) isResponse()        {}
func (CreatePartitionsResponse) isResponse()    {}
func (AlterConfigsResponse) isResponse()        {}
func (AllocateProducerIDsResponse) isResponse() {}
func (RegisterBrokerResponse) isResponse()      {}

// inputs is what an operation needs from outside the image that is not in
// its request: the loop draws it, so that operations stay pure.
type inputs struct {
	newTopicID func() kafka.TopicID
	nextOffset int64     // the metadata log offset the records will start at
	now        time.Time // the controller's clock, for delegation token times
}

// operate computes the records and the response of req against img. A
// failure of a single item (a topic, a resource) is in the response; an
// error fails the whole request.
func operate(img *metadata.Image, c Cluster, in inputs, req Request) ([]metadata.Record, Response, error) {
	switch req := req.(type) {
	case CreateTopicsRequest:
		recs, resp := createTopics(img, c, in.newTopicID, req)
		return recs, resp, nil
	case DeleteTopicsRequest:
		recs, outs := each(img, false, req.IDs, DeleteTopic)
		return recs, DeleteTopicsResponse{Errs: errorsOf(outs)}, nil
	case CreatePartitionsRequest:
		recs, outs := each(img, req.ValidateOnly, req.Topics, createPartitions)
		return recs, CreatePartitionsResponse{Errs: errorsOf(outs)}, nil
	case AlterConfigsRequest:
		recs, outs := each(img, req.ValidateOnly, req.Resources, func(img *metadata.Image, a ConfigAlteration) ([]metadata.Record, error) {
			return alterConfigs(img, c, a)
		})
		return recs, AlterConfigsResponse{Errs: errorsOf(outs)}, nil
	case AllocateProducerIDsRequest:
		recs, first := AllocateProducerIDs(img, req.Size)
		return recs, AllocateProducerIDsResponse{First: first}, nil
	case RegisterBrokerRequest:
		recs, epoch := registerBroker(img, c, req.Broker, in.nextOffset)
		return recs, RegisterBrokerResponse{Epoch: epoch}, nil
	case BrokerHeartbeatRequest:
		return brokerHeartbeat(img, c, req)
	case UnregisterBrokerRequest:
		return unregisterBroker(img, c, req)
	case OfflineReplicasRequest:
		return offlineReplicas(img, req)
	case fenceRequest:
		return fence(img, c, req), fenceResponse{}, nil
	case AlterPartitionRequest:
		return AlterPartition(img, req)
	case ElectLeadersRequest:
		recs, resp := ElectLeaders(img, req)
		return recs, resp, nil
	case AlterPartitionReassignmentsRequest:
		recs, resp := AlterPartitionReassignments(img, req)
		return recs, resp, nil
	case balanceRequest:
		return BalanceLeaders(img, c.ImbalancePercent), balanceResponse{}, nil
	case AlterScramCredentialsRequest:
		recs, resp := alterScramCredentials(img, req)
		return recs, resp, nil
	case AlterClientQuotasRequest:
		recs, resp := alterClientQuotas(img, req)
		return recs, resp, nil
	case CreateACLsRequest:
		recs, resp := createACLs(img, in.newTopicID, req)
		return recs, resp, nil
	case DeleteACLsRequest:
		recs, resp := deleteACLs(img, req)
		return recs, resp, nil
	case UpdateFeaturesRequest:
		recs, err := updateFeatures(img, req, in.nextOffset)
		return recs, UpdateFeaturesResponse{}, err
	case CreateDelegationTokenRequest:
		return createDelegationToken(c.Tokens, in.newTopicID().String(), in.now, req)
	case RenewDelegationTokenRequest:
		return renewDelegationToken(img, c.Tokens, in.now, req)
	case ExpireDelegationTokenRequest:
		return expireDelegationToken(img, in.now, req)
	case removeExpiredTokensRequest:
		return removeExpiredTokens(img, in.now), removeExpiredTokensResponse{}, nil
	}
	return nil, nil, fmt.Errorf("%w: unknown controller request %T", ErrInvalidRequest, req)
}

// outcome is what one item of a request came to.
type outcome struct {
	records []metadata.Record // its records, also when validating only
	err     error
}

// each runs op on every item in order, each against the image the records
// of the items before it make, and returns the records of the items that
// succeeded and every item's outcome. When validating only, every item runs
// against img itself and no record is returned.
func each[T any](img *metadata.Image, validateOnly bool, items []T, op func(*metadata.Image, T) ([]metadata.Record, error)) ([]metadata.Record, []outcome) {
	var all []metadata.Record
	outs := make([]outcome, len(items))
	for i, item := range items {
		recs, next, err := step(img, item, op)
		outs[i] = outcome{records: recs, err: err}
		if err == nil && !validateOnly {
			all, img = append(all, recs...), next
		}
	}
	return all, outs
}

// step runs op on item and applies its records to img.
func step[T any](img *metadata.Image, item T, op func(*metadata.Image, T) ([]metadata.Record, error)) ([]metadata.Record, *metadata.Image, error) {
	recs, err := op(img, item)
	if err != nil {
		return nil, img, err
	}
	next, err := img.Apply(recs)
	if err != nil {
		return nil, img, fmt.Errorf("operation produced inconsistent records: %w", err)
	}
	return recs, next, nil
}

func errorsOf(outs []outcome) []error {
	errs := make([]error, len(outs))
	for i, o := range outs {
		errs[i] = o.err
	}
	return errs
}

// createTopics creates each topic of req and answers each as its records
// describe it.
func createTopics(img *metadata.Image, c Cluster, newTopicID func() kafka.TopicID, req CreateTopicsRequest) ([]metadata.Record, CreateTopicsResponse) {
	recs, outs := each(img, req.ValidateOnly, req.Topics, func(img *metadata.Image, spec TopicSpec) ([]metadata.Record, error) {
		return CreateTopic(img, c, spec, newTopicID())
	})
	resp := CreateTopicsResponse{Topics: make([]CreatedTopic, len(outs))}
	for i, o := range outs {
		resp.Topics[i].Err = o.err
		if o.err == nil {
			resp.Topics[i].Topic = describeTopic(o.records, req.Topics[i].Name)
		}
	}
	return recs, resp
}

// describeTopic returns topic name as records that create it describe it.
func describeTopic(recs []metadata.Record, name string) *metadata.Topic {
	img, err := metadata.Empty().Apply(recs)
	if err != nil {
		panic(fmt.Sprintf("records of topic %s applied to the image but not on their own: %v", name, err))
	}
	t, _ := img.Topic(name)
	return t
}

// createPartitions grows one topic as spec asks.
func createPartitions(img *metadata.Image, spec PartitionsSpec) ([]metadata.Record, error) {
	var assignments [][]int32
	for _, a := range spec.Assignments {
		assignments = append(assignments, int32s(a))
	}
	return CreatePartitions(img, spec.Topic, spec.Count, assignments)
}

// alterConfigs changes one resource's configs as a asks.
func alterConfigs(img *metadata.Image, c Cluster, a ConfigAlteration) ([]metadata.Record, error) {
	if a.Replace {
		return ReplaceConfigs(img, c, a.Resource, a.Configs)
	}
	return IncrementalAlterConfigs(img, c, a.Resource, a.Changes)
}

func int32s(ids []kafka.NodeID) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
