package handler

// Enforcement: every API asks here before acting. A check is one of the
// checks the API's registration declares (authorization.go); a check that
// is not declared is refused and logged, so that the declarations, which a
// test holds to Kafka's table, stay the whole truth of what each API may
// be allowed.

import (
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

// Authorizer decides what a principal may do (auth.Authorizer). A nil
// Authorizer in the Handler allows everything, as Kafka without
// authorizer.class.name. Safe for concurrent use.
type Authorizer interface {
	// Authorize reports whether p, from host (an IP address), may do op on r.
	Authorize(p acl.Principal, host string, op acl.Operation, r acl.Resource) bool
	// AuthorizeAny reports whether p, from host, may do op on some
	// resource of type t.
	AuthorizeAny(p acl.Principal, host string, op acl.Operation, t acl.ResourceType) bool
}

// allowed reports whether the request's principal may do op on the
// resource of type t named name.
func (h *Handler) allowed(req *Request, op acl.Operation, t acl.ResourceType, name string) bool {
	if h.Authorizer == nil {
		return true
	}
	if !h.declared(req, op.On(t)) {
		return false
	}
	return h.Authorizer.Authorize(req.Principal, aclHost(req), op, acl.Resource{Type: t, Name: name})
}

// allowedOnCluster reports whether the request's principal may do op on
// the cluster.
func (h *Handler) allowedOnCluster(req *Request, op acl.Operation) bool {
	return h.allowed(req, op, acl.Cluster, acl.ClusterName)
}

// allowedOnAny reports whether the request's principal may do op on some
// resource of type t (Kafka's authorizeByResourceType).
func (h *Handler) allowedOnAny(req *Request, op acl.Operation, t acl.ResourceType) bool {
	if h.Authorizer == nil {
		return true
	}
	return h.declared(req, op.On(t)) && h.Authorizer.AuthorizeAny(req.Principal, aclHost(req), op, t)
}

// declared reports whether the request's API declares check, logging the
// programming error when it does not.
func (h *Handler) declared(req *Request, check acl.Check) bool {
	if slices.Contains(apis[req.Header.Key].authorization.Checks, check) {
		return true
	}
	h.Logger.Error("authorization check not declared by the API's registration: refused", "api_key", req.Header.Key, "check", check.String())
	return false
}

// producerDenied returns the error a producer gets when it may not write
// at all, as Kafka checks Produce and InitProducerId before anything else:
// WRITE on its transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
// or, for an idempotent producer, IDEMPOTENT_WRITE on the cluster or WRITE
// on some topic (CLUSTER_AUTHORIZATION_FAILED, KIP-679); 0 when it may.
func (h *Handler) producerDenied(req *Request, transactionalID *string, idempotent bool) int16 {
	switch {
	case transactionalID != nil:
		if !h.allowed(req, acl.Write, acl.TransactionalID, *transactionalID) {
			return kerr.TransactionalIDAuthorizationFailed.Code
		}
	case idempotent:
		if !h.allowedOnCluster(req, acl.IdempotentWrite) && !h.allowedOnAny(req, acl.Write, acl.Topic) {
			return kerr.ClusterAuthorizationFailed.Code
		}
	}
	return 0
}

// configsDenied returns the error of a config resource the principal may
// not do op (DESCRIBE_CONFIGS or ALTER_CONFIGS) on: a topic needs op on
// it (TOPIC_AUTHORIZATION_FAILED), a group op on it
// (GROUP_AUTHORIZATION_FAILED), a broker or broker logger op on the
// cluster (CLUSTER_AUTHORIZATION_FAILED); 0 when allowed or for another
// type, which the API refuses on its own.
func (h *Handler) configsDenied(req *Request, op acl.Operation, typ kmsg.ConfigResourceType, name string) int16 {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		if !h.allowed(req, op, acl.Topic, name) {
			return kerr.TopicAuthorizationFailed.Code
		}
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		if !h.allowedOnCluster(req, op) {
			return kerr.ClusterAuthorizationFailed.Code
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !h.allowed(req, op, acl.Group, name) {
			return kerr.GroupAuthorizationFailed.Code
		}
	}
	return 0
}

// aclHost is the client's address as ACLs name hosts: the IP address,
// without the slash Kafka shows before it.
func aclHost(req *Request) string { return strings.TrimPrefix(req.ClientHost, "/") }

// operationsOf lists the operations KIP-430 reports on each resource type,
// as Kafka's AclEntry.supportedOperations.
var operationsOf = map[acl.ResourceType][]acl.Operation{
	acl.Topic:   {acl.Read, acl.Write, acl.Create, acl.Describe, acl.Delete, acl.Alter, acl.DescribeConfigs, acl.AlterConfigs},
	acl.Group:   {acl.Read, acl.Describe, acl.Delete, acl.DescribeConfigs, acl.AlterConfigs},
	acl.Cluster: {acl.Create, acl.ClusterAction, acl.DescribeConfigs, acl.AlterConfigs, acl.IdempotentWrite, acl.Alter, acl.Describe},
}

// clusterOperations returns the KIP-430 operations of the principal on
// the cluster, or none without DESCRIBE on it, as Kafka answers Metadata
// and DescribeCluster: the answer is not refused, only left empty.
func (h *Handler) clusterOperations(req *Request) int32 {
	cluster := acl.Resource{Type: acl.Cluster, Name: acl.ClusterName}
	if h.Authorizer != nil && !h.Authorizer.Authorize(req.Principal, aclHost(req), acl.Describe, cluster) {
		return 0
	}
	return h.authorizedOperations(req, cluster)
}

// authorizedOperations returns the KIP-430 bit field of the operations the
// request's principal may do on r: bit n set for the operation of code n.
// Without an authorizer every operation of the type is reported.
func (h *Handler) authorizedOperations(req *Request, r acl.Resource) int32 {
	var bits int32
	for _, op := range operationsOf[r.Type] {
		if h.Authorizer == nil || h.Authorizer.Authorize(req.Principal, aclHost(req), op, r) {
			bits |= 1 << op
		}
	}
	return bits
}
