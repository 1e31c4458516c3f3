package wire

import (
	"context"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

// Session is the state of one client connection, shared by every request
// on it: where it arrived and who it acts as. It lives here, below both the
// server that creates it and the handler that reads it, so that neither
// imports the other. It is owned by its connection's goroutine; requests on
// a connection are served one at a time, so a handler may read it, and an
// authentication API may change it, while serving a request.
type Session struct {
	Listener         string         // the listener's name, as in listeners=NAME://host:port
	SecurityProtocol string         // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
	RemoteAddr       net.Addr       // the client's address
	ClientHost       string         // the client's address as Kafka shows it: "/127.0.0.1"
	Principal        acl.Principal  // who the connection acts as; acl.Anonymous until authenticated
	Auth             Authentication // the SASL state, on a SASL listener (see sasl.go)
}

// NewSession returns the session of a connection from remote accepted on
// the named listener, acting as acl.Anonymous.
func NewSession(listener, securityProtocol string, remote net.Addr) *Session {
	return &Session{
		Listener: listener, SecurityProtocol: securityProtocol,
		RemoteAddr: remote, ClientHost: clientHost(remote), Principal: acl.Anonymous,
		Auth: Authentication{Required: securityProtocol == "SASL_PLAINTEXT" || securityProtocol == "SASL_SSL"},
	}
}

// clientHost renders a client's address as Kafka shows it in group
// descriptions: a slash and the IP address.
func clientHost(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return "/" + tcp.IP.String()
	}
	if a == nil {
		return ""
	}
	return "/" + a.String()
}

// Request is one decoded request and the session it arrived on; the
// session's fields read as the request's own (req.Listener, req.Principal).
type Request struct {
	Header RequestHeader
	// Body is the decoded request. It is nil only for an ApiVersions request
	// at a version the registry does not serve, which Kafka answers at v0
	// (KIP-511) instead of closing the connection.
	Body kmsg.Request
	*Session
	// Size is the request's size on the wire, header and body, without
	// the length prefix: what a produce quota counts (Kafka's sizeInBytes).
	Size int
	// Waited is the time the handler spent waiting (a fetch's long poll),
	// which is not request-handler time for request quotas.
	Waited time.Duration
	// Throttle is set by the handler when the client broke a quota: the
	// server reads nothing more from the connection for this long after
	// the response (KIP-219), and sends the response only afterwards to a
	// client too old to throttle itself.
	Throttle time.Duration
	// FetchRegions, which a Fetch handler may set, are record batches its
	// response sends from segment files (sendfile) in place of partitions'
	// RecordBatches, in response order (see AppendFetchResponse). The
	// handler releases them (AfterSent).
	FetchRegions []FetchRegion

	onSent []func()
	finish func(context.Context) // see Defer
}

// Defer is called by a handler whose response, returned from Serve, is not
// final: finish waits for what the answer depends on (a produce's fsync,
// its followers' acknowledgements) and completes the response in place.
// The server calls it, through Complete, before it writes the response;
// meanwhile it may serve the connection's next requests that allow it
// (Produce), so finish must not read the Session, which a later request
// may change.
func (r *Request) Defer(finish func(context.Context)) { r.finish = finish }

// Deferred reports whether the response waits for Complete.
func (r *Request) Deferred() bool { return r.finish != nil }

// Complete runs the function Defer registered, if any, once: when it
// returns, the response is final. A ctx that ends cuts the wait short,
// which the response then answers as the handler answers a timeout.
func (r *Request) Complete(ctx context.Context) {
	if f := r.finish; f != nil {
		r.finish = nil
		f(ctx)
	}
}

// AfterSent registers f to run once the response has been written (or
// dropped), when the buffers the response points into may be reused.
func (r *Request) AfterSent(f func()) { r.onSent = append(r.onSent, f) }

// Sent is called by the server once the response is written or dropped; it
// runs the functions AfterSent registered.
func (r *Request) Sent() {
	for _, f := range r.onSent {
		f()
	}
	r.onSent = nil
}
