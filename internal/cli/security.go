package cli

// Client security from Kafka's client properties, as Kafka's tools read
// them from --command-config (or --producer.config, --consumer.config):
// security.protocol, sasl.mechanism, sasl.jaas.config with
// PlainLoginModule, ScramLoginModule or OAuthBearerLoginModule (see
// oauthbearer.go), and PEM trust and key stores.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// securityKeys are read by securityOptions when security.protocol is.
var securityKeys = []string{
	"sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.type",
	"ssl.truststore.certificates", "ssl.keystore.location", "ssl.keystore.type", "ssl.keystore.certificate.chain",
	"ssl.keystore.key", "ssl.key.password", "ssl.endpoint.identification.algorithm", "ssl.protocol",
	"ssl.enabled.protocols", "sasl.oauthbearer.token.endpoint.url", "sasl.login.callback.handler.class",
	"sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.client.credentials.client.secret",
	"sasl.oauthbearer.scope", "sasl.oauthbearer.header.urlencode",
}

// securityOptions maps security.protocol and the keys it brings to the
// client's TLS and SASL options.
func securityOptions(p props, key string) ([]kgo.Opt, error) {
	protocol := strings.ToUpper(p[key])
	var opts []kgo.Opt
	switch protocol {
	case "PLAINTEXT", "SASL_PLAINTEXT":
	case "SSL", "SASL_SSL":
		cfg, err := tlsConfig(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	default:
		return nil, fmt.Errorf("security.protocol %s is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", p[key])
	}
	if strings.HasPrefix(protocol, "SASL_") {
		m, err := saslMechanism(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// tlsConfig builds the TLS configuration of ssl.*: PEM stores only.
func tlsConfig(p props) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if v, ok := p["ssl.endpoint.identification.algorithm"]; ok && v == "" {
		cfg.InsecureSkipVerify = true // Kafka's way of turning host name checks off
	}
	for _, k := range []string{"ssl.truststore.type", "ssl.keystore.type"} {
		if t, ok := p[k]; ok && !strings.EqualFold(t, "PEM") {
			return nil, fmt.Errorf("%s %s is not supported: use PEM", k, t)
		}
	}
	trust := []byte(p["ssl.truststore.certificates"])
	if path := p["ssl.truststore.location"]; path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		trust = b
	}
	if len(trust) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(trust) {
			return nil, fmt.Errorf("ssl.truststore: no PEM certificate found")
		}
		cfg.RootCAs = pool
	}
	cert, err := keyStore(p)
	if err != nil || cert == nil {
		return cfg, err
	}
	cfg.Certificates = []tls.Certificate{*cert}
	return cfg, nil
}

// keyStore reads the client's key and certificate chain: one PEM file at
// ssl.keystore.location, or ssl.keystore.certificate.chain and
// ssl.keystore.key inline; nil when none is configured.
func keyStore(p props) (*tls.Certificate, error) {
	chain, key := []byte(p["ssl.keystore.certificate.chain"]), []byte(p["ssl.keystore.key"])
	if path := p["ssl.keystore.location"]; path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		chain, key = b, b
	}
	if len(chain) == 0 {
		return nil, nil
	}
	if p["ssl.key.password"] != "" {
		return nil, fmt.Errorf("ssl.key.password: encrypted PEM keys are not supported; use an unencrypted key")
	}
	if block, _ := pem.Decode(key); block == nil {
		return nil, fmt.Errorf("ssl.keystore: no PEM key found")
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("ssl.keystore: %w", err)
	}
	return &cert, nil
}

// saslMechanism builds the mechanism of sasl.mechanism (GSSAPI, Kafka's
// default, is not supported) from the username and password of
// sasl.jaas.config.
func saslMechanism(p props) (sasl.Mechanism, error) {
	mechanism := strings.ToUpper(p["sasl.mechanism"])
	opts, err := jaasOptions(p["sasl.jaas.config"], mechanism != "OAUTHBEARER")
	if err != nil {
		return nil, err
	}
	user, password := opts["username"], opts["password"]
	// ScramLoginModule's tokenauth="true": the user and password are a
	// delegation token's id and HMAC.
	token := strings.EqualFold(opts["tokenauth"], "true")
	switch mechanism {
	case "PLAIN":
		return plain.Auth{User: user, Pass: password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: password, IsToken: token}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: password, IsToken: token}.AsSha512Mechanism(), nil
	case "OAUTHBEARER":
		return oauthMechanism(p, opts)
	case "":
		return nil, fmt.Errorf("sasl.mechanism is required with a SASL security.protocol (GSSAPI, Kafka's default, is not supported)")
	}
	return nil, fmt.Errorf("sasl.mechanism %s is not supported: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER", mechanism)
}

// jaasCredentials reads username and password from a JAAS line such as
// `org.apache.kafka.common.security.plain.PlainLoginModule required
// username="alice" password="secret";`.
func jaasCredentials(jaas string) (user, password string, err error) {
	opts, err := jaasOptions(jaas, true)
	if err != nil {
		return "", "", err
	}
	return opts["username"], opts["password"], nil
}

// jaasOptions reads the options of a JAAS line; username is required when
// needUser is set.
func jaasOptions(jaas string, needUser bool) (map[string]string, error) {
	fields := strings.Fields(strings.TrimSuffix(strings.TrimSpace(jaas), ";"))
	if len(fields) < 2 || !strings.HasSuffix(fields[0], "LoginModule") {
		return nil, fmt.Errorf("sasl.jaas.config: expected '<LoginModule> required username=\"...\" password=\"...\";'")
	}
	opts := map[string]string{}
	rest := strings.Join(fields[2:], " ")
	for rest != "" {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		v = strings.TrimSpace(v)
		var val string
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("sasl.jaas.config: unterminated quote after %s=", strings.TrimSpace(k))
			}
			val, rest = v[1:end+1], strings.TrimSpace(v[end+2:])
		} else {
			val, rest, _ = strings.Cut(v, " ")
		}
		opts[strings.TrimSpace(k)] = val
	}
	if needUser && opts["username"] == "" {
		return nil, fmt.Errorf("sasl.jaas.config: no username")
	}
	return opts, nil
}
