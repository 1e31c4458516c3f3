package controller

// Requests forwarded to the active controller, and their replies, as JSON:
// a request is its type's name and its fields; a reply is the response
// (likewise), the error and the raft index the leader had applied when it
// answered. Errors cross as a code (the sentinel they wrap, by name) and
// their message, and come back wrapping the same sentinel, so that the
// handler's error mapping sees what it would have seen locally.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// forwarded lists the requests and responses that can cross to the
// active controller, by type name. A new request type is added here.
var forwarded = typeRegistry(
	CreateTopicsRequest{}, DeleteTopicsRequest{}, CreatePartitionsRequest{}, AlterConfigsRequest{},
	AllocateProducerIDsRequest{}, RegisterBrokerRequest{}, BrokerHeartbeatRequest{}, DescribeQuorumRequest{},
	AllocateProducerIDsResponse{}, RegisterBrokerResponse{}, BrokerHeartbeatResponse{}, DescribeQuorumResponse{},
	AlterPartitionRequest{}, AlterPartitionResponse{}, AlterScramCredentialsRequest{},
	CreateACLsRequest{}, DeleteACLsRequest{}, AlterClientQuotasRequest{},
	ElectLeadersRequest{}, AlterPartitionReassignmentsRequest{},
	OfflineReplicasRequest{}, OfflineReplicasResponse{},
	UpdateFeaturesRequest{}, UpdateFeaturesResponse{}, UnregisterBrokerRequest{}, UnregisterBrokerResponse{},
	CreateDelegationTokenRequest{}, CreateDelegationTokenResponse{}, RenewDelegationTokenRequest{},
	RenewDelegationTokenResponse{}, ExpireDelegationTokenRequest{}, ExpireDelegationTokenResponse{},
)

// errorCodes are the sentinels an error can wrap across the wire.
var errorCodes = []error{
	ErrTopicExists, ErrUnknownTopic, ErrInvalidTopic, ErrInvalidPartitions, ErrInvalidReplicationFactor,
	ErrInvalidReplicaAssignment, ErrInvalidConfig, ErrPolicyViolation, ErrInvalidRequest,
	ErrBrokerNotRegistered, ErrStopped, ErrNotController, context.DeadlineExceeded, context.Canceled,
	ErrFencedLeaderEpoch, ErrInvalidUpdateVersion, ErrIneligibleReplica,
	ErrResourceNotFound, ErrDuplicateResource, ErrUnsupportedMechanism, ErrUnacceptableCredential,
	ErrElectionNotNeeded, ErrPreferredLeaderNotAvailable, ErrEligibleLeadersNotAvailable, ErrNoReassignmentInProgress,
	ErrInvalidFeatureUpdate,
	ErrTokenNotFound, ErrTokenExpired, ErrTokenOwnerMismatch, ErrInvalidPrincipal,
}

func typeRegistry(vs ...any) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, v := range vs {
		m[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
	return m
}

type envelope struct {
	Type string          `json:"type,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

type replyEnvelope struct {
	Response envelope     `json:"response"`
	Error    *wireError   `json:"error,omitempty"`
	Applied  uint64       `json:"applied"`
	Errors   []*wireError `json:"errors,omitempty"` // per-item errors of the response
}

// wireError is an error on the wire: the name of the sentinel it wraps
// (empty for none) and its message.
type wireError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func encodeRequest(req Request) ([]byte, error) {
	name := reflect.TypeOf(req).Name()
	if _, ok := forwarded[name]; !ok {
		return nil, fmt.Errorf("%w: request %T cannot be forwarded", ErrInvalidRequest, req)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Type: name, Body: body})
}

func decodeRequest(data []byte) (Request, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, err
	}
	v, err := decodeTyped(env)
	if err != nil {
		return nil, err
	}
	req, ok := v.(Request)
	if !ok {
		return nil, fmt.Errorf("%s is not a request", env.Type)
	}
	return req, nil
}

func decodeTyped(env envelope) (any, error) {
	t, ok := forwarded[env.Type]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", env.Type)
	}
	p := reflect.New(t)
	if err := json.Unmarshal(env.Body, p.Interface()); err != nil {
		return nil, err
	}
	return p.Elem().Interface(), nil
}

// encodeReply encodes r. The responses that carry an error per item have
// them taken out into Errors, in order, and put back by decodeReply.
func encodeReply(r reply) []byte {
	env := replyEnvelope{Error: toWire(r.err), Applied: r.applied}
	resp, errs := splitErrors(r.resp)
	for _, e := range errs {
		env.Errors = append(env.Errors, toWire(e))
	}
	if resp != nil {
		body, err := json.Marshal(resp)
		if err != nil {
			env.Error = toWire(err)
		}
		env.Response = envelope{Type: reflect.TypeOf(resp).Name(), Body: body}
	}
	data, _ := json.Marshal(env)
	return data
}

func decodeReply(data []byte) (reply, error) {
	var env replyEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return reply{}, err
	}
	r := reply{err: fromWire(env.Error), applied: env.Applied}
	errs := make([]error, len(env.Errors))
	for i, e := range env.Errors {
		errs[i] = fromWire(e)
	}
	resp, err := joinErrors(env.Response, errs)
	r.resp = resp
	if err != nil {
		return reply{}, err
	}
	return r, nil
}

// itemResponse is a response with an error per item, on the wire.
type itemResponse struct {
	Type   string
	Topics []CreatedTopic `json:",omitempty"` // CreateTopicsResponse, without Err
	ACLs   []DeletedACLs  `json:",omitempty"` // DeleteACLsResponse, without Err
	// Partitions are the results of ElectLeadersResponse and
	// AlterPartitionReassignmentsResponse, without Err.
	Partitions []PartitionResult `json:",omitempty"`
	Names      []string          `json:",omitempty"` // ElectLeadersResponse's Topics
}

// splitErrors returns resp in a form JSON keeps, and its per-item errors.
func splitErrors(resp Response) (any, []error) {
	switch r := resp.(type) {
	case CreateTopicsResponse:
		errs := make([]error, len(r.Topics))
		topics := make([]CreatedTopic, len(r.Topics))
		for i, t := range r.Topics {
			errs[i], topics[i] = t.Err, CreatedTopic{Topic: t.Topic}
		}
		return itemResponse{Type: "CreateTopicsResponse", Topics: topics}, errs
	case DeleteTopicsResponse:
		return itemResponse{Type: "DeleteTopicsResponse"}, r.Errs
	case CreatePartitionsResponse:
		return itemResponse{Type: "CreatePartitionsResponse"}, r.Errs
	case AlterConfigsResponse:
		return itemResponse{Type: "AlterConfigsResponse"}, r.Errs
	case AlterScramCredentialsResponse:
		return itemResponse{Type: "AlterScramCredentialsResponse"}, r.Errs
	case AlterClientQuotasResponse:
		return itemResponse{Type: "AlterClientQuotasResponse"}, r.Errs
	case CreateACLsResponse:
		return itemResponse{Type: "CreateACLsResponse"}, r.Errs
	case DeleteACLsResponse:
		errs := make([]error, len(r.Results))
		deleted := make([]DeletedACLs, len(r.Results))
		for i, d := range r.Results {
			errs[i], deleted[i] = d.Err, DeletedACLs{Bindings: d.Bindings}
		}
		return itemResponse{Type: "DeleteACLsResponse", ACLs: deleted}, errs
	case ElectLeadersResponse:
		ps, errs := splitResults(r.Results)
		return itemResponse{Type: "ElectLeadersResponse", Partitions: ps, Names: r.Topics}, errs
	case AlterPartitionReassignmentsResponse:
		ps, errs := splitResults(r.Results)
		return itemResponse{Type: "AlterPartitionReassignmentsResponse", Partitions: ps}, errs
	case nil:
		return nil, nil
	}
	return resp, nil
}

func joinErrors(env envelope, errs []error) (Response, error) {
	if env.Type == "" {
		return nil, nil
	}
	if env.Type == "itemResponse" {
		var ir itemResponse
		if err := json.Unmarshal(env.Body, &ir); err != nil {
			return nil, err
		}
		return ir.response(errs)
	}
	v, err := decodeTyped(env)
	if err != nil {
		return nil, err
	}
	resp, ok := v.(Response)
	if !ok {
		return nil, fmt.Errorf("%s is not a response", env.Type)
	}
	return resp, nil
}

func (ir itemResponse) response(errs []error) (Response, error) {
	switch ir.Type {
	case "CreateTopicsResponse":
		if len(ir.Topics) != len(errs) {
			return nil, errors.New("CreateTopicsResponse: topics and errors differ in number")
		}
		for i := range ir.Topics {
			ir.Topics[i].Err = errs[i]
		}
		return CreateTopicsResponse{Topics: ir.Topics}, nil
	case "DeleteTopicsResponse":
		return DeleteTopicsResponse{Errs: errs}, nil
	case "CreatePartitionsResponse":
		return CreatePartitionsResponse{Errs: errs}, nil
	case "AlterScramCredentialsResponse":
		return AlterScramCredentialsResponse{Errs: errs}, nil
	case "AlterClientQuotasResponse":
		return AlterClientQuotasResponse{Errs: errs}, nil
	case "CreateACLsResponse":
		return CreateACLsResponse{Errs: errs}, nil
	case "DeleteACLsResponse":
		if len(ir.ACLs) != len(errs) {
			return nil, errors.New("DeleteACLsResponse: results and errors differ in number")
		}
		for i := range ir.ACLs {
			ir.ACLs[i].Err = errs[i]
		}
		return DeleteACLsResponse{Results: ir.ACLs}, nil
	case "AlterConfigsResponse":
		return AlterConfigsResponse{Errs: errs}, nil
	case "ElectLeadersResponse":
		rs, err := joinResults(ir.Partitions, errs)
		return ElectLeadersResponse{Results: rs, Topics: ir.Names}, err
	case "AlterPartitionReassignmentsResponse":
		rs, err := joinResults(ir.Partitions, errs)
		return AlterPartitionReassignmentsResponse{Results: rs}, err
	}
	return nil, fmt.Errorf("unknown response %q", ir.Type)
}

// splitResults returns rs without their errors, and the errors.
func splitResults(rs []PartitionResult) ([]PartitionResult, []error) {
	out, errs := make([]PartitionResult, len(rs)), make([]error, len(rs))
	for i, r := range rs {
		errs[i], out[i] = r.Err, PartitionResult{Topic: r.Topic, Partition: r.Partition}
	}
	return out, errs
}

// joinResults puts splitResults' errors back.
func joinResults(rs []PartitionResult, errs []error) ([]PartitionResult, error) {
	if len(rs) != len(errs) {
		return nil, errors.New("partition results and errors differ in number")
	}
	for i := range rs {
		rs[i].Err = errs[i]
	}
	return rs, nil
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Message: err.Error()}
	for _, s := range errorCodes {
		if errors.Is(err, s) {
			w.Code = s.Error()
			break
		}
	}
	return w
}

func fromWire(w *wireError) error {
	if w == nil {
		return nil
	}
	for _, s := range errorCodes {
		if s.Error() == w.Code {
			return &kafkaError{sentinel: s, msg: w.Message}
		}
	}
	return errors.New(w.Message)
}
