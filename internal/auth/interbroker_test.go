package auth

import (
	"context"
	"crypto/x509/pkix"
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl"

	"gregor/internal/auth/authtest"
	"gregor/internal/config"
)

// TestInterBrokerTLS proves the client side of a broker's TLS to its
// peers: it presents the listener's own certificate (so that a peer
// requiring client certificates names the broker), verifies the peer's
// name against the host dialed unless ssl.endpoint.identification.algorithm
// is empty, and always verifies the peer's chain against the trust store.
func TestInterBrokerTLS(t *testing.T) {
	p := newPKI(t)
	settings := TLSSettings{KeystoreType: "PEM", KeystoreLocation: p.keystore, TruststoreType: "PEM", TruststoreFile: p.trust,
		ClientAuth: "required", Protocols: []string{"TLSv1.2", "TLSv1.3"}, PrincipalRules: "DEFAULT"}
	l, err := NewListenerTLS(settings)
	if err != nil {
		t.Fatal(err)
	}
	principal, _, err := handshake(t, l, l.InterBrokerTLS("https")("127.0.0.1"))
	if err != nil || principal.Name != "CN=localhost" {
		t.Fatalf("peer by address: principal %v, %v; want CN=localhost", principal, err)
	}
	if _, _, err := handshake(t, l, l.InterBrokerTLS("https")("broker.example")); err == nil {
		t.Fatal("a certificate not naming the host dialed was accepted with https identification")
	}
	if _, _, err := handshake(t, l, l.InterBrokerTLS("")("broker.example")); err != nil {
		t.Fatalf("without identification: %v", err)
	}
	stranger := authtest.NewCA(t)
	cert, key := stranger.Issue(t, pkix.Name{CommonName: "localhost"}, "127.0.0.1")
	other, err := NewListenerTLS(TLSSettings{KeystoreType: "PEM", KeystoreLocation: authtest.WriteFile(t, p.dir, "other.pem", cert, key),
		Protocols: []string{"TLSv1.3"}, PrincipalRules: "DEFAULT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := handshake(t, other, l.InterBrokerTLS("")("127.0.0.1")); err == nil {
		t.Fatal("a peer certificate from an untrusted CA was accepted without identification")
	}
}

// TestInterBrokerSASL proves how the broker's own login is read, as
// Kafka's broker reads it: the mechanism must be enabled on the
// inter-broker listener, the listener's mechanism-prefixed JAAS beats
// sasl.jaas.config, and a JAAS without username is refused naming it.
func TestInterBrokerSASL(t *testing.T) {
	base := map[string]string{
		"listeners":                      "INTERNAL://127.0.0.1:0",
		"listener.security.protocol.map": "INTERNAL:SASL_PLAINTEXT",
		"inter.broker.listener.name":     "INTERNAL",
		"sasl.enabled.mechanisms":        "PLAIN,SCRAM-SHA-256",
		"sasl.jaas.config":               `org.apache.kafka.common.security.plain.PlainLoginModule required username="global" password="g";`,
	}
	checkLogins(t, base, func(cfg *config.Config) (sasl.Mechanism, error) { return InterBrokerSASL(cfg, "INTERNAL") }, []loginCase{
		{"default GSSAPI is not enabled", nil, "", "", "sasl.mechanism.inter.broker.protocol GSSAPI must be among"},
		{"PLAIN from sasl.jaas.config", map[string]string{"sasl.mechanism.inter.broker.protocol": "PLAIN"}, "PLAIN", "\x00global\x00g", ""},
		{"listener and mechanism prefix first", map[string]string{"sasl.mechanism.inter.broker.protocol": "PLAIN",
			"listener.name.internal.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="b" user_broker="b";`},
			"PLAIN", "\x00broker\x00b", ""},
		{"SCRAM-SHA-256", map[string]string{"sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-256"}, "SCRAM-SHA-256", "", ""},
		{"not enabled", map[string]string{"sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512"}, "", "", "must be among the sasl.enabled.mechanisms"},
		{"no username", map[string]string{"sasl.mechanism.inter.broker.protocol": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_a="a";`}, "", "", "has no username and password"},
	})
}

// TestControllerSASL proves that a node reads its login to the controller
// listener from sasl.mechanism.controller.protocol and that listener's
// JAAS configuration, whatever the listener enables, and refuses as Kafka
// does a listener without JAAS, and GSSAPI, which Gregor does not speak.
func TestControllerSASL(t *testing.T) {
	base := map[string]string{
		"process.roles": "broker", "node.id": "2", "controller.quorum.voters": "1@127.0.0.1:9093",
		"listeners": "PLAINTEXT://127.0.0.1:9092", "controller.listener.names": "CONTROLLER",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
	}
	const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="b";`
	checkLogins(t, base, func(cfg *config.Config) (sasl.Mechanism, error) { return ControllerSASL(cfg, "CONTROLLER") }, []loginCase{
		{"no JAAS", nil, "", "", "Could not find a 'KafkaServer' or 'controller.KafkaServer' entry in the JAAS configuration"},
		{"default GSSAPI", map[string]string{"listener.name.controller.sasl.jaas.config": jaas}, "", "", "sasl.mechanism.controller.protocol GSSAPI is not supported"},
		{"PLAIN", map[string]string{"sasl.mechanism.controller.protocol": "PLAIN", "listener.name.controller.plain.sasl.jaas.config": jaas}, "PLAIN", "\x00broker\x00b", ""},
		{"SCRAM-SHA-512", map[string]string{"sasl.mechanism.controller.protocol": "SCRAM-SHA-512", "sasl.jaas.config": jaas}, "SCRAM-SHA-512", "", ""},
		{"no username", map[string]string{"sasl.mechanism.controller.protocol": "PLAIN",
			"listener.name.controller.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_a="a";`}, "", "", "has no username and password for connections to the controllers"},
	})
}

// loginCase is a configuration of a node's own SASL login and what it
// must give: the mechanism, and PLAIN's first message; or an error.
type loginCase struct {
	name      string
	props     map[string]string
	wantName  string // mechanism
	wantFirst string // the first client message, for PLAIN
	wantErr   string
}

// checkLogins runs login on base with each case's props.
func checkLogins(t *testing.T, base map[string]string, login func(*config.Config) (sasl.Mechanism, error), cases []loginCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := maps.Clone(base)
			maps.Copy(props, c.props)
			cfg, _, err := config.Parse(props)
			if err != nil {
				t.Fatal(err)
			}
			m, err := login(cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || m.Name() != c.wantName {
				t.Fatalf("mechanism %v, %v; want %s", m, err, c.wantName)
			}
			if c.wantFirst != "" {
				if _, first, err := m.Authenticate(context.Background(), "127.0.0.1"); err != nil || string(first) != c.wantFirst {
					t.Fatalf("first message %q, %v; want %q", first, err, c.wantFirst)
				}
			}
		})
	}
}
