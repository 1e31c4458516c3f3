package node

import (
	"fmt"
	"log/slog"

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
// credentials. TLS settings that do not build fail the start, as they do
// for the listener itself. SASL settings that cannot log in (Kafka
// refuses to start with them) are logged once here and fail each dial
// with the reason: a single node never dials, and must not be refused a
// start over a login it does not use.
func interBrokerDialer(cfg *config.Config, logger *slog.Logger) (wire.Dialer, error) {
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
			logger.Warn("this broker cannot log in to its peers' inter-broker listener: replication and transactions across nodes will fail", "listener", listener, "err", err)
			d.Err = err
		}
		d.SASL = m
	}
	return d, nil
}
