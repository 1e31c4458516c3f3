package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"

	"gregor/internal/auth"
	"gregor/internal/config"
)

// controllerSecurity is the security of the first controller listener, as
// this node serves it and as it reaches the voters' (Kafka's nodes use the
// first of controller.listener.names both ways): TLS on SSL and SASL_SSL,
// with the listener's key and trust stores (listener.name.<l>.ssl.*), and
// a SASL login on SASL_PLAINTEXT and SASL_SSL.
type controllerSecurity struct {
	// serverTLS is the listener's TLS; clientTLS the client side of it
	// for a voter's host (the key store as client certificate, the trust
	// store, host names checked as ssl.endpoint.identification.algorithm
	// says). Both nil without TLS.
	serverTLS *auth.ListenerTLS
	clientTLS func(host string) *tls.Config
	// login is sasl.mechanism.controller.protocol with the listener's
	// JAAS credentials; nil without SASL.
	login sasl.Mechanism
}

// controllerListenerSecurity reads the security of the first controller
// listener. Settings that cannot build or log in fail the start, as
// Kafka's nodes fail building their channel to the controllers.
func controllerListenerSecurity(cfg *config.Config) (controllerSecurity, error) {
	var s controllerSecurity
	if len(cfg.ControllerListenerNames) == 0 {
		return s, nil
	}
	name := cfg.ControllerListenerNames[0]
	protocol := cfg.ListenerSecurityProtocolMap[name]
	if protocol == "SSL" || protocol == "SASL_SSL" {
		t, err := auth.NewListenerTLS(auth.ListenerTLSSettings(cfg, name, protocol))
		if err != nil {
			return s, fmt.Errorf("controller listener %s: %w", name, err)
		}
		s.serverTLS, s.clientTLS = t, t.InterBrokerTLS(cfg.ListenerValue(name, "ssl.endpoint.identification.algorithm"))
	}
	if strings.HasPrefix(protocol, "SASL_") {
		m, err := auth.ControllerSASL(cfg, name)
		if err != nil {
			return s, err
		}
		s.login = m
	}
	return s, nil
}

// quorumDialer returns how the quorum's transport connects to a voter's
// controller listener: TCP, then TLS and a SASL login as the listener
// asks; nil for plain TCP. A refused login is logged once, at error,
// until a login succeeds again: the node cannot reach the quorum with
// those credentials, and retries quietly.
func (s controllerSecurity) quorumDialer(logger *slog.Logger) func(ctx context.Context, addr string) (net.Conn, error) {
	if s.clientTLS == nil && s.login == nil {
		return nil
	}
	var refused atomic.Bool // a refusal was logged, and no login succeeded since
	return func(ctx context.Context, addr string) (net.Conn, error) {
		conn, err := s.dial(ctx, addr)
		switch {
		case errors.Is(err, auth.ErrQuorumLogin) && refused.CompareAndSwap(false, true):
			logger.Error("the controller refused this node's login on its controller listener: check sasl.mechanism.controller.protocol and the listener's sasl.jaas.config",
				"controller", addr, "mechanism", s.login.Name(), "err", err)
		case err == nil:
			refused.Store(false)
		}
		return conn, err
	}
}

// dial connects to addr with the listener's security.
func (s controllerSecurity) dial(ctx context.Context, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if s.clientTLS != nil {
		tc := tls.Client(conn, s.clientTLS(host))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	if s.login != nil {
		if err := auth.LoginQuorum(ctx, conn, s.login, host); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}
