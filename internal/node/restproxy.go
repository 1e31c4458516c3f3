package node

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"

	"gregor/internal/httpauth"
	"gregor/internal/logging"
	"gregor/internal/restproxy"
)

// listenRESTProxy binds the REST proxy's listener, if rest.proxy.listeners
// names one.
func (n *Node) listenRESTProxy() (net.Listener, error) {
	if !n.cfg.HasRole("broker") {
		return nil, nil // a controller-only node serves no clients' data
	}
	auth, err := httpAuthenticator("rest.proxy", "KafkaRest", n.cfg.RESTProxyAuth())
	if err != nil {
		return nil, err
	}
	n.restProxyAuth = auth
	if n.cfg.RESTProxy().Propagate {
		if n.restProxyPropagate, err = n.propagation(); err != nil {
			return nil, err
		}
	}
	ln, err := n.listenService("rest.proxy", n.cfg.RESTProxy().Address)
	if ln != nil {
		n.restProxyAddr = ln.Addr()
	}
	return ln, err
}

// propagation is how the proxy's requests reach Kafka as their principal
// (rest.proxy.auth.propagate.method=JETTY_AUTH): with the bearer token
// over OAUTHBEARER, or the BASIC user's password over
// rest.proxy.kafka.sasl.mechanism, on this node's first SASL_PLAINTEXT
// listener that enables the mechanism. Without authentication or such a
// listener the node does not start: the proxy never falls back to acting
// as itself.
func (n *Node) propagation() (*restproxy.Propagation, error) {
	var mechanism string
	switch n.cfg.RESTProxyAuth().Method {
	case "BEARER":
		mechanism = "OAUTHBEARER"
	case "BASIC":
		mechanism = n.cfg.RESTProxy().KafkaSASLMechanism
	default:
		return nil, errors.New("rest.proxy.auth.propagate.method=JETTY_AUTH needs rest.proxy.authentication.method BASIC or BEARER")
	}
	bootstrap := n.saslAddr(mechanism)
	if bootstrap == "" {
		return nil, fmt.Errorf("rest.proxy.auth.propagate.method=JETTY_AUTH: no SASL_PLAINTEXT listener enables %s", mechanism)
	}
	credential := func(ctx context.Context) (string, string, bool) {
		c, ok := httpauth.CredentialFrom(ctx)
		return c.User, c.Secret, ok && c.User != ""
	}
	return &restproxy.Propagation{Bootstrap: bootstrap, Mechanism: mechanism, Credential: credential}, nil
}

// serveRESTProxy serves the REST proxy on ln (nil: none) under g. The
// proxy is a Kafka client of this node on its first PLAINTEXT listener;
// without one the proxy is off (it does not authenticate to Kafka). Its
// schema formats use the node's schema registry, if it serves one.
func (n *Node) serveRESTProxy(ctx context.Context, g *errgroup.Group, ln net.Listener) {
	if ln == nil {
		return
	}
	bootstrap := n.plaintextAddr()
	if n.restProxyPropagate != nil {
		bootstrap = n.restProxyPropagate.Bootstrap // every request authenticates as its principal
	}
	if bootstrap == "" {
		ln.Close()
		n.restProxyAddr = nil
		n.logger.Warn("REST proxy off: it needs a PLAINTEXT listener")
		return
	}
	c := n.cfg.RESTProxy()
	var registry restproxy.Registry
	if n.schemaRegistryAddr != nil { // serveSchemaRegistry ran first and kept it
		registry = newProxySchemas(&n.schemaSource)
	}
	p := restproxy.New(restproxy.Config{Bootstrap: bootstrap, ClusterID: n.ClusterID,
		ConsumerInstanceTimeout: c.ConsumerInstanceTimeout, MaxRequestBytes: c.MaxRequestBytes,
		RequestTimeout: c.RequestTimeout, Registry: registry, Authenticate: n.restProxyAuth, Propagate: n.restProxyPropagate,
		Logger: logging.Named(n.logger, "gregor.rest-proxy")})
	g.Go(func() error { return p.Serve(ctx, ln) })
	n.logger.Info("REST proxy listener", "address", n.restProxyURL())
}

// restProxyURL is the proxy's URL for the start-up line, empty when it is
// off.
func (n *Node) restProxyURL() string {
	return n.serviceURL("rest.proxy", n.restProxyAddr)
}

// RESTProxyAddr returns the bound address of the REST proxy, nil when it
// is off.
func (n *Node) RESTProxyAddr() net.Addr { return n.restProxyAddr }
