package node

import (
	"context"
	"net"

	"golang.org/x/sync/errgroup"

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
	ln, err := n.listenService("rest.proxy", n.cfg.RESTProxy().Address)
	if ln != nil {
		n.restProxyAddr = ln.Addr()
	}
	return ln, err
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
		RequestTimeout: c.RequestTimeout, Registry: registry, Authenticate: n.restProxyAuth,
		Logger: n.logger.With("component", "rest-proxy")})
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
