package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"gregor/internal/admin"
	"gregor/internal/buildinfo"
	"gregor/internal/config"
	"gregor/internal/console"
	"gregor/internal/metrics"
	"gregor/internal/server"
)

// observability is the node's metrics and HTTP admin listener.
type observability struct {
	metrics *metrics.Metrics // nil when http.listeners is empty: nothing serves them
	// servers are the broker listeners' servers, set before the admin
	// listener serves and not changed after.
	servers    []*server.Server
	adminAddr  net.Addr    // the bound admin listener; nil when off
	registered atomic.Bool // the node registered and serves its listeners
	// console serves the web console; nil until the node has built it.
	console http.Handler
}

// newMetrics returns the node's metrics, or nil when the admin listener
// is off (then the request path does not count either).
func (n *Node) newMetrics() *metrics.Metrics {
	if n.cfg.Observability().HTTPAddress == "" {
		return nil
	}
	return metrics.New(metricsView{n})
}

// observer is what the servers report requests to.
func (n *Node) observer() server.Observer {
	if n.obs.metrics == nil {
		return nil
	}
	return n.obs.metrics
}

// listenAdmin binds the admin listener, if http.listeners names one.
func (n *Node) listenAdmin() (net.Listener, error) {
	addr := n.cfg.Observability().HTTPAddress
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listeners %s: %w", addr, err)
	}
	n.obs.adminAddr = ln.Addr()
	return ln, nil
}

// serveAdmin serves the admin listener ln (nil: none) under g.
func (n *Node) serveAdmin(ctx context.Context, g *errgroup.Group, ln net.Listener) {
	if ln == nil {
		return
	}
	o := n.cfg.Observability()
	if c := n.newConsole(o); c != nil {
		n.obs.console = c
		g.Go(func() error { c.Run(ctx); return nil })
	}
	s := &admin.Server{Metrics: n.obs.metrics.Handler(), Ready: n.ready, Pprof: o.PprofEnable,
		Console: n.obs.console, Logger: n.logger}
	g.Go(func() error { return s.Serve(ctx, ln) })
	n.logger.Info("HTTP admin listener", "address", "http://"+ln.Addr().String(), "pprof", o.PprofEnable)
}

// newConsole returns the web console, a Kafka client of this node: on its
// first PLAINTEXT listener, or with http.console.sasl.mechanism as each
// logged-in user on its first SASL_PLAINTEXT listener that enables that
// mechanism; nil when there is no such listener. Its Run samples the
// groups' lag for its charts.
func (n *Node) newConsole(o config.Observability) *console.Console {
	cfg := console.Config{ReadOnly: o.ConsoleReadOnly, Version: buildinfo.Read().String(), Logger: n.logger,
		SASLMechanism: o.ConsoleSASLMechanism}
	if cfg.SASLMechanism == "" {
		if cfg.Bootstrap = n.plaintextAddr(); cfg.Bootstrap == "" {
			n.logger.Warn("web console off: it needs a PLAINTEXT listener, or http.console.sasl.mechanism and a SASL_PLAINTEXT listener")
			return nil
		}
		return console.New(cfg)
	}
	if cfg.Bootstrap = n.saslAddr(cfg.SASLMechanism); cfg.Bootstrap == "" {
		n.logger.Warn("web console off: no SASL_PLAINTEXT listener enables http.console.sasl.mechanism", "mechanism", cfg.SASLMechanism)
		return nil
	}
	return console.New(cfg)
}

// saslAddr is the bound address of this node's first SASL_PLAINTEXT
// listener that enables mechanism, "" when it has none.
func (n *Node) saslAddr(mechanism string) string {
	for i, l := range n.brokerListeners() {
		if n.cfg.ListenerSecurityProtocolMap[l.Name] != "SASL_PLAINTEXT" {
			continue
		}
		for _, m := range strings.Split(n.cfg.ListenerValue(l.Name, "sasl.enabled.mechanisms"), ",") {
			if strings.TrimSpace(m) == mechanism {
				return n.addrs[i].String()
			}
		}
	}
	return ""
}

// plaintextAddr is the bound address of this node's first PLAINTEXT
// listener, "" when it has none: where the console, the schema registry
// and the REST proxy reach the node as Kafka clients (they do not
// authenticate yet).
func (n *Node) plaintextAddr() string {
	for i, l := range n.brokerListeners() {
		if n.cfg.ListenerSecurityProtocolMap[l.Name] == "PLAINTEXT" {
			return n.addrs[i].String()
		}
	}
	return ""
}

// listenHTTP binds addr, the listener of the HTTP service configured by
// setting (schema.registry.listeners, rest.proxy.listeners); none when
// addr is empty.
func listenHTTP(setting, addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", setting, addr, err)
	}
	return ln, nil
}

// ready reports why the node is not ready: its logs are recovered and
// its metadata replayed before the admin listener serves, so what is left
// is the broker's registration and its listeners.
func (n *Node) ready() error {
	if !n.obs.registered.Load() {
		return errors.New("broker not registered yet")
	}
	return nil
}

// AdminAddr returns the bound address of the HTTP admin listener, nil when
// it is off.
func (n *Node) AdminAddr() net.Addr { return n.obs.adminAddr }

// Metrics returns the node's metrics, nil when the admin listener is off.
func (n *Node) Metrics() *metrics.Metrics { return n.obs.metrics }
