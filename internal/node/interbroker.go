package node

import (
	"fmt"

	"gregor/internal/auth"
	"gregor/internal/config"
	"gregor/internal/wire"
)

// interBrokerDialer returns how this broker reaches its peers'
// inter-broker listener (replica fetches, transaction markers and
// verifications), with that listener's security as Kafka's broker uses
// it: TLS for SSL and SASL_SSL, with the listener's key store as client
// certificate and its trust store; SASL for SASL_PLAINTEXT and SASL_SSL
// with sasl.mechanism.inter.broker.protocol and the listener's JAAS
// credentials. A setting that cannot work fails the start, naming the key.
func interBrokerDialer(cfg *config.Config) (wire.Dialer, error) {
	listener := cfg.InterBrokerListenerName
	protocol := cfg.ListenerSecurityProtocolMap[listener]
	var d wire.Dialer
	if protocol == "SSL" || protocol == "SASL_SSL" {
		t, err := auth.NewListenerTLS(auth.ListenerTLSSettings(cfg, listener, protocol))
		if err != nil {
			return d, fmt.Errorf("inter-broker listener %s: %w", listener, err)
		}
		d.TLS = t.InterBrokerTLS(cfg.ListenerValue(listener, "ssl.endpoint.identification.algorithm"))
	}
	if protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL" {
		m, err := auth.InterBrokerSASL(cfg, listener)
		if err != nil {
			return d, err
		}
		d.SASL = m
	}
	return d, nil
}
