package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/config"
)

// InterBrokerTLS returns the client side of this broker's TLS connections
// to the inter-broker listener of its peers, as Kafka's broker builds it
// from that listener's ssl.* settings: the listener's key store is the
// client certificate (which a peer with ssl.client.auth=required asks
// for), its trust store holds the roots a peer's certificate must chain
// to (the system's when none is given), and with
// ssl.endpoint.identification.algorithm=https (the default) the peer's
// certificate must name the host dialed. The PEM files are those the
// listener reloads, so a renewed certificate is used by new connections.
func (l *ListenerTLS) InterBrokerTLS(identification string) func(host string) *tls.Config {
	verifyHost := strings.EqualFold(strings.TrimSpace(identification), "https")
	return func(host string) *tls.Config {
		server := l.config()
		c := &tls.Config{
			Certificates: server.Certificates, RootCAs: server.ClientCAs,
			MinVersion: server.MinVersion, MaxVersion: server.MaxVersion, ServerName: host,
		}
		if !verifyHost {
			// The chain is still verified; only the name check is off.
			c.InsecureSkipVerify = true
			c.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, server.ClientCAs) }
		}
		return c
	}
}

// verifyChain verifies a peer's certificate chain against roots (the
// system's when nil), without checking the name in it.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the peer sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(opts)
	return err
}

// InterBrokerSASL returns the mechanism, with its credentials, this
// broker authenticates with on the inter-broker listener of its peers, as
// Kafka's broker reads them: sasl.mechanism.inter.broker.protocol, which
// must be among the listener's sasl.enabled.mechanisms, and the username
// and password options of the listener's JAAS configuration for it
// (listener.name.<l>.<mechanism>.sasl.jaas.config, else
// sasl.jaas.config). An error names the key at fault.
func InterBrokerSASL(c *config.Config, listener string) (sasl.Mechanism, error) {
	mechanism := strings.ToUpper(strings.TrimSpace(c.Value("sasl.mechanism.inter.broker.protocol")))
	enabled := strings.Split(strings.ToUpper(c.ListenerValue(listener, "sasl.enabled.mechanisms")), ",")
	found := false
	for _, m := range enabled {
		found = found || strings.TrimSpace(m) == mechanism
	}
	if !found {
		return nil, fmt.Errorf("sasl.mechanism.inter.broker.protocol %s must be among the sasl.enabled.mechanisms of the inter-broker listener %s", mechanism, listener)
	}
	m, err := listenerLogin(c, listener, mechanism, "inter-broker connections")
	if err != nil || m != nil {
		return m, err
	}
	return nil, fmt.Errorf("sasl.mechanism.inter.broker.protocol %s is not supported between brokers (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)", mechanism)
}

// ControllerSASL returns the mechanism, with its credentials, this node
// authenticates with on the controller listener of the quorum's voters
// (Raft traffic between controllers, a broker's registration, heartbeats
// and metadata fetches, the discovery of the voters), as Kafka's nodes
// read them: sasl.mechanism.controller.protocol and the username and
// password options of the first controller listener's JAAS configuration
// for it. Kafka does not ask that the mechanism be among the listener's
// sasl.enabled.mechanisms (a broker-only node does not serve the
// listener); a voter that does not serve it refuses the connection.
// GSSAPI, the default, is not supported: an error names the key.
func ControllerSASL(c *config.Config, listener string) (sasl.Mechanism, error) {
	mechanism := strings.ToUpper(strings.TrimSpace(c.Value("sasl.mechanism.controller.protocol")))
	m, err := listenerLogin(c, listener, mechanism, "connections to the controllers")
	if err != nil || m != nil {
		return m, err
	}
	return nil, fmt.Errorf("sasl.mechanism.controller.protocol %s is not supported on the controller listener %s (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)", mechanism, listener)
}

// listenerLogin returns mechanism with the username and password of the
// listener's JAAS configuration for it
// (listener.name.<l>.<mechanism>.sasl.jaas.config, else sasl.jaas.config);
// nil, nil for a mechanism other than PLAIN and SCRAM. No JAAS at all is
// refused with Kafka's message. purpose names what the credentials are
// for, in an error.
func listenerLogin(c *config.Config, listener, mechanism, purpose string) (sasl.Mechanism, error) {
	jaas := c.ListenerValue(listener, strings.ToLower(mechanism)+".sasl.jaas.config")
	if jaas == "" {
		jaas = c.ListenerValue(listener, "sasl.jaas.config")
	}
	if jaas == "" {
		// Kafka's words, when its node finds no JAAS for the listener.
		return nil, fmt.Errorf("Could not find a 'KafkaServer' or '%s.KafkaServer' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set", strings.ToLower(listener))
	}
	if mechanism != Plain && scramHash(mechanism) == nil {
		return nil, nil
	}
	opts, err := ParseJAAS(jaas)
	if err != nil {
		return nil, fmt.Errorf("listener %s: sasl.jaas.config: %w", listener, err)
	}
	user, pass := opts["username"], opts["password"]
	if user == "" {
		return nil, fmt.Errorf("listener %s: the %s sasl.jaas.config has no username and password for %s", listener, mechanism, purpose)
	}
	switch mechanism {
	case Plain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case ScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	}
	return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
}
