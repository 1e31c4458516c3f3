package node

import (
	"fmt"
	"net"
	"reflect"
	"strconv"
	"time"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/config"
	"gregor/internal/metadata"
	"gregor/internal/server"
)

// connectionLimits translates the connection settings of c for the server,
// resolving the host names of max.connections.per.ip.overrides to their
// addresses as Kafka does when the config is set. A name that does not
// resolve is logged and skipped.
func (n *Node) connectionLimits(c *config.Config) server.Limits {
	cl := c.ConnectionLimits()
	l := server.Limits{
		MaxConnections: cl.MaxConnections, MaxConnectionsPerIP: cl.MaxConnectionsPerIP,
		IdleTimeout: cl.IdleTimeout, QueuedMaxRequests: cl.QueuedMaxRequests, QueuedMaxRequestBytes: cl.QueuedMaxRequestBytes,
		PerIPOverrides: map[string]int{}, PerListener: cl.PerListener,
	}
	if len(n.brokerListeners()) > 1 {
		l.Protected = c.InterBrokerListenerName
	}
	for host, limit := range cl.PerIPOverrides {
		if ip := net.ParseIP(host); ip != nil {
			l.PerIPOverrides[ip.String()] = limit
			continue
		}
		addrs, err := net.LookupIP(host)
		if err != nil {
			n.logger.Warn("max.connections.per.ip.overrides: host does not resolve; its override is ignored", "host", host, "err", err)
			continue
		}
		for _, ip := range addrs {
			l.PerIPOverrides[ip.String()] = limit
		}
	}
	return l
}

// buildTLS builds the TLS of every broker listener whose security protocol
// uses it (SSL, SASL_SSL), failing on the first listener whose settings do
// not build, with a reason naming the key.
func (n *Node) buildTLS() error {
	if err := auth.CheckPrincipalMappingRules(n.cfg.Value("ssl.principal.mapping.rules")); err != nil {
		return err
	}
	n.tls = map[string]*auth.ListenerTLS{}
	for _, l := range n.brokerListeners() {
		protocol := n.cfg.ListenerSecurityProtocolMap[l.Name]
		if protocol != "SSL" && protocol != "SASL_SSL" {
			continue
		}
		t, err := auth.NewListenerTLS(auth.ListenerTLSSettings(n.cfg, l.Name, protocol))
		if err != nil {
			return fmt.Errorf("listener %s: %w", l.Name, err)
		}
		n.tls[l.Name] = t
	}
	return nil
}

// ValidateTLS checks that the TLS of each of the node's TLS listeners, as
// cfg sets it, loads (handler.TLSValidator).
func (n *Node) ValidateTLS(cfg *config.Config) error {
	for name, t := range n.tls {
		next := auth.ListenerTLSSettings(cfg, name, n.cfg.ListenerSecurityProtocolMap[name])
		if reflect.DeepEqual(next, t.Settings()) {
			continue
		}
		if err := t.ValidateUpdate(next); err != nil {
			return fmt.Errorf("listener %s: %w", name, err)
		}
	}
	return nil
}

// updateListenerTLS applies dynamic changes of the listeners' ssl.* keys
// (listener.name.<l>.ssl.keystore.location and the others, as Kafka takes
// them per listener): new handshakes use the new key store, trust store or
// client authentication. A change that does not load (a missing file, a
// key that does not match its certificate) keeps the settings in effect
// and logs why (the handler refuses one before it is stored, as Kafka
// does, but a file can change or vanish after).
func (n *Node) updateListenerTLS(c *config.Config) {
	for name, t := range n.tls {
		next := auth.ListenerTLSSettings(c, name, n.cfg.ListenerSecurityProtocolMap[name])
		if reflect.DeepEqual(next, t.Settings()) {
			continue
		}
		if err := t.Update(next); err != nil {
			n.logger.Error("the dynamic TLS settings of a listener do not load; it keeps the previous ones", "listener", name, "err", err)
			continue
		}
		n.logger.Info("listener TLS settings updated", "listener", name)
	}
}

// buildSASL builds the SASL side of every listener the node serves whose
// security protocol uses it (SASL_PLAINTEXT, SASL_SSL), the CONTROLLER
// listener's included. SCRAM credentials are read from the metadata image
// in effect at each authentication.
func (n *Node) buildSASL() error {
	n.sasl = map[string]*auth.SASL{}
	lookup := func(user, mechanism string) (metadata.ScramCredential, bool) {
		img := n.image.Image()
		if img == nil {
			return metadata.ScramCredential{}, false
		}
		return img.ScramCredential(user, mechanism)
	}
	tokens := func(id string) (metadata.DelegationToken, bool) {
		img := n.image.Image()
		if img == nil {
			return metadata.DelegationToken{}, false
		}
		return img.DelegationToken(id)
	}
	for _, l := range n.servedListeners() {
		protocol := n.cfg.ListenerSecurityProtocolMap[l.Name]
		if protocol != "SASL_PLAINTEXT" && protocol != "SASL_SSL" {
			continue
		}
		s, err := auth.ListenerSASL(n.cfg, l.Name, lookup)
		if err != nil {
			return err
		}
		s.Tokens = tokens
		n.sasl[l.Name] = s
	}
	return nil
}

// buildAuthorizer builds the authorizer authorizer.class.name names,
// reading the ACLs of the image last published.
func (n *Node) buildAuthorizer() error {
	a, err := auth.NewAuthorizer(n.cfg, func() *acl.Index {
		if img := n.image.Image(); img != nil {
			return img.ACLIndex()
		}
		return metadata.Empty().ACLIndex()
	})
	n.authz = a
	return err
}

// servedListeners are the broker listeners and, when this node binds it,
// the CONTROLLER listener.
func (n *Node) servedListeners() []config.Listener {
	out := n.brokerListeners()
	if l, ok := n.cfg.ControllerListener(); ok && n.ctrlMux != nil {
		out = append(out, l)
	}
	return out
}

// authFailureDelay is connection.failed.authentication.delay.ms.
func (n *Node) authFailureDelay() time.Duration {
	ms, _ := strconv.Atoi(n.cfg.Value("connection.failed.authentication.delay.ms"))
	return time.Duration(ms) * time.Millisecond
}
