package handler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/config"
	"gregor/internal/group"
	"gregor/internal/logging"
	"gregor/internal/quota"
	"gregor/internal/txn"
	"gregor/internal/wire"
)

// Endpoint is where clients reach this node on one listener, as
// advertised.listeners names it: what Metadata and FindCoordinator answer.
type Endpoint struct {
	Name string
	Host string
	Port int32
}

// Handler serves requests for one node. It is safe for concurrent use.
type Handler struct {
	NodeID     int32
	ClusterID  string
	Advertised []Endpoint
	Config     *config.Config
	Metadata   MetadataView // the metadata image the node publishes
	Controller Controller   // takes every metadata write
	Replicas   Partitions
	Groups     *group.Coordinator
	Txn        *txn.Coordinator // the transaction coordinator
	// TxnVerifier reaches coordinators on other nodes; nil: only this one.
	TxnVerifier TxnVerifier
	SASL        map[string]*auth.SASL // by listener name, for SASL listeners
	LogDirs     LogDirs               // this node's log dirs, for DescribeLogDirs
	// TLS checks a change of this node's listener TLS before it is
	// stored; nil: not checked.
	TLS        TLSValidator
	Authorizer Authorizer // nil without authorizer.class.name: everything allowed
	// Schemas is the schema registry that schema validation consults;
	// nil without one (schema_validation.go).
	Schemas SchemaSource
	Quotas  *Quotas // client quotas; nil: none enforced
	// LeaderReplicationQuota is leader.replication.throttled.rate (KIP-73):
	// what this node, as leader, sends followers of throttled replicas
	// that are not in sync; nil: none.
	LeaderReplicationQuota *quota.Replication
	Now                    func() time.Time
	Logger                 *slog.Logger
	// Loggers are this node's loggers and their levels (the BROKER_LOGGER
	// config resource); nil: none described or changed.
	Loggers *logging.Levels

	producerIDs producerIDBlock
	sessions    fetchSessions
	effective   atomic.Pointer[effectiveCache] // see effectiveConfig
	schemas     schemaCache
}

// Request is a decoded request with the session it arrived on. It is
// wire's type, which the server hands over; every API file takes it.
type Request = wire.Request

type serveFunc func(h *Handler, ctx context.Context, req *Request) (kmsg.Response, error)

type api struct {
	min, max int16
	// authorization is what serving the API may check, from Kafka's table
	// "Operations and Resources on Protocols": what an authorizer consults.
	authorization acl.Requirement
	serve         serveFunc
}

var apis = map[int16]api{}

// register is called from each API file's init, with the versions served
// and the authorization the API declares (see authorization.go).
func register(key, min, max int16, authorization acl.Requirement, serve serveFunc) {
	if _, dup := apis[key]; dup {
		panic(fmt.Sprintf("api key %d registered twice", key))
	}
	if !authorization.Declared() {
		panic(fmt.Sprintf("api key %d declares no authorization: use noAuthorization if it needs none", key))
	}
	apis[key] = api{min: min, max: max, authorization: authorization, serve: serve}
}

// Registry returns the registry of every served API, for the server and ApiVersions.
func Registry() *wire.Registry {
	r := wire.NewRegistry()
	for key, a := range apis {
		r.Add(key, a.min, a.max)
	}
	return r
}

// registry is built on first use, after every init has registered its API.
var registry = sync.OnceValue(Registry)

// controllerAPIs are the APIs a CONTROLLER listener serves to Kafka clients
// (--bootstrap-controller, KIP-919), of those Kafka 4.2's controller
// listener answers: ApiVersions, SaslHandshake and SaslAuthenticate (a
// SASL controller listener authenticates its clients as a broker listener
// does), DescribeQuorum and DescribeCluster, and
// the administration a controller runs itself: topics (CreateTopics,
// DeleteTopics, CreatePartitions), ACLs, configs (DescribeConfigs,
// AlterConfigs, IncrementalAlterConfigs), leader elections and
// reassignments, client quotas, SCRAM credentials, UpdateFeatures and
// UnregisterBroker. Each is authorized as on a broker listener.
var controllerAPIs = []int16{17, 18, 19, 20, 29, 30, 31, 32, 33, 36, 37, 43, 44, 45, 46, 49, 50, 51, 55, 57, 60, 64}

// ControllerRegistry returns the registry of the APIs served on a
// CONTROLLER listener, for its server and ApiVersions there.
func ControllerRegistry() *wire.Registry {
	r := wire.NewRegistry()
	for _, key := range controllerAPIs {
		a := apis[key]
		r.Add(key, a.min, a.max)
	}
	return r
}

var controllerRegistry = sync.OnceValue(ControllerRegistry)

// onControllerListener reports whether req came in on a CONTROLLER
// listener, where the controller's APIs are served.
func (h *Handler) onControllerListener(req *Request) bool {
	return req.Session != nil && h.Config != nil && slices.Contains(h.Config.ControllerListenerNames, req.Session.Listener)
}

// Serve answers one request; it implements server.Handler. A nil response
// means none is sent (Produce with acks=0). An error means the connection
// must be closed.
func (h *Handler) Serve(ctx context.Context, req *Request) (kmsg.Response, error) {
	a, ok := apis[req.Header.Key]
	if !ok {
		return nil, fmt.Errorf("unsupported api key %d", req.Header.Key)
	}
	start := h.now()
	resp, err := a.serve(h, ctx, req)
	if err == nil {
		h.throttleAfterServe(req, resp, start)
	}
	return resp, err
}

// now returns the current time.
func (h *Handler) now() time.Time { return h.Now() }
