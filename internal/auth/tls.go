package auth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gregor/internal/acl"
	"gregor/internal/config"
)

// reloadCheckInterval bounds how often a listener looks at its PEM files'
// modification times: at most once per interval, on a new handshake.
const reloadCheckInterval = time.Second

// TLSSettings are a listener's TLS settings, read from its ssl.* keys
// (listener.name.<l>.ssl.* first): PEM only, TLS 1.2 and 1.3 only.
type TLSSettings struct {
	KeystoreType     string // must be PEM
	KeystoreLocation string // a PEM file holding the key and the certificate chain
	CertificateChain string // inline PEM, with Key, instead of KeystoreLocation
	Key              string
	KeyPassword      string // an encrypted key is refused: Go reads only unencrypted PEM keys
	// KeystorePassword and TruststorePassword are ssl.keystore.password and
	// ssl.truststore.password: PEM stores have none, and Kafka refuses them
	// with PEM, as build does.
	KeystorePassword   string
	TruststorePassword string
	TruststoreType     string // PEM when a trust store is given
	TruststoreFile     string // ssl.truststore.location
	TruststoreCerts    string // ssl.truststore.certificates, inline PEM
	ClientAuth         string // required, requested or none
	Protocols          []string
	// PrincipalRules is ssl.principal.mapping.rules: how a client
	// certificate's distinguished name becomes the principal's name.
	PrincipalRules string
	// AllowDNChanges and AllowSANChanges are ssl.allow.dn.changes and
	// ssl.allow.san.changes: whether a dynamic change may bring a
	// certificate with another subject, or other alternative names.
	AllowDNChanges, AllowSANChanges bool
}

// ListenerTLSSettings reads the TLS settings of a listener from c. On a
// SASL_SSL listener ssl.client.auth applies only when given with the
// listener's prefix, as in Kafka.
func ListenerTLSSettings(c *config.Config, listener, protocol string) TLSSettings {
	v := func(key string) string { return c.ListenerValue(listener, key) }
	s := TLSSettings{
		KeystoreType: v("ssl.keystore.type"), KeystoreLocation: v("ssl.keystore.location"),
		CertificateChain: v("ssl.keystore.certificate.chain"), Key: v("ssl.keystore.key"),
		KeyPassword: v("ssl.key.password"), KeystorePassword: v("ssl.keystore.password"),
		TruststoreType: v("ssl.truststore.type"), TruststoreFile: v("ssl.truststore.location"),
		TruststoreCerts: v("ssl.truststore.certificates"), TruststorePassword: v("ssl.truststore.password"),
		ClientAuth:      strings.ToLower(v("ssl.client.auth")),
		Protocols:       strings.Split(v("ssl.enabled.protocols"), ","),
		PrincipalRules:  v("ssl.principal.mapping.rules"),
		AllowDNChanges:  strings.EqualFold(v("ssl.allow.dn.changes"), "true"),
		AllowSANChanges: strings.EqualFold(v("ssl.allow.san.changes"), "true"),
	}
	if protocol == "SASL_SSL" && !c.ListenerGiven(listener, "ssl.client.auth") {
		s.ClientAuth = "none"
	}
	return s
}

// ListenerTLS is the TLS side of one listener: the tls.Config its
// handshakes use, rebuilt when the PEM files change, and the principal a
// client certificate names. Safe for concurrent use.
type ListenerTLS struct {
	settings TLSSettings
	mapper   *PrincipalMapper
	now      func() time.Time

	mu        sync.Mutex // guards the fields below
	current   *tls.Config
	mtimes    map[string]time.Time // of the files current was built from
	lastCheck time.Time
}

// NewListenerTLS builds a listener's TLS from its settings, failing with a
// reason that names the key at fault.
func NewListenerTLS(s TLSSettings) (*ListenerTLS, error) {
	mapper, err := ParsePrincipalMappingRules(s.PrincipalRules)
	if err != nil {
		return nil, err
	}
	l := &ListenerTLS{settings: s, mapper: mapper, now: time.Now}
	cfg, mtimes, err := s.build()
	if err != nil {
		return nil, err
	}
	l.current, l.mtimes, l.lastCheck = cfg, mtimes, l.now()
	return l, nil
}

// ValidateUpdate reports whether s may replace the listener's settings,
// as Kafka's SslFactory validates a reconfiguration before it is stored:
// s builds (its mapping rules parse, its key store and trust store load),
// and, unless ssl.allow.dn.changes (ssl.allow.san.changes), its
// certificate names the subject (the alternative names) of the one in
// effect. Nothing is kept.
func (l *ListenerTLS) ValidateUpdate(s TLSSettings) error {
	if _, err := ParsePrincipalMappingRules(s.PrincipalRules); err != nil {
		return err
	}
	cfg, _, err := s.build()
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.current.Certificates[0].Leaf
	l.mu.Unlock()
	next := cfg.Certificates[0].Leaf
	switch {
	case old == nil || next == nil:
		return nil
	case !s.AllowDNChanges && !bytes.Equal(old.RawSubject, next.RawSubject):
		return fmt.Errorf("Keystore DistinguishedName does not match: existing={DN=%s}, new={DN=%s}", old.Subject, next.Subject)
	case !s.AllowSANChanges && !slices.Equal(altNames(old), altNames(next)):
		return fmt.Errorf("Keystore SubjectAltNames do not match: existing=%v, new=%v", altNames(old), altNames(next))
	}
	return nil
}

// altNames are a certificate's subject alternative names, as a sorted set.
func altNames(c *x509.Certificate) []string {
	names := slices.Concat(c.DNSNames, c.EmailAddresses)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Config returns the server configuration of the listener's handshakes. It
// consults the PEM files on each handshake, at most once a second, and uses
// their new contents when they changed and still build a configuration.
func (l *ListenerTLS) Config() *tls.Config {
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return l.config(), nil
	}}
}

// Settings returns the settings in effect.
func (l *ListenerTLS) Settings() TLSSettings {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.settings
}

// Update replaces the settings, as a dynamic change of the listener's
// ssl.* keys asks (a new key store, trust store or client authentication):
// new handshakes use them. Settings that do not build leave the ones in
// effect, and the reason is returned.
func (l *ListenerTLS) Update(s TLSSettings) error {
	mapper, err := ParsePrincipalMappingRules(s.PrincipalRules)
	if err != nil {
		return err
	}
	cfg, mtimes, err := s.build()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settings, l.mapper, l.current, l.mtimes, l.lastCheck = s, mapper, cfg, mtimes, l.now()
	return nil
}

// config returns the configuration in effect, reloading it if its files
// changed. A reload that fails keeps the previous configuration.
func (l *ListenerTLS) config() *tls.Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastCheck) < reloadCheckInterval || !changed(l.mtimes) {
		return l.current
	}
	l.lastCheck = now
	if cfg, mtimes, err := l.settings.build(); err == nil {
		l.current, l.mtimes = cfg, mtimes
	}
	return l.current
}

// changed reports whether a file's modification time differs from the one
// recorded when it was read.
func changed(mtimes map[string]time.Time) bool {
	for path, t := range mtimes {
		if fi, err := os.Stat(path); err == nil && !fi.ModTime().Equal(t) {
			return true
		}
	}
	return false
}

// build reads the PEM material and returns the configuration with the
// modification times of the files it read.
func (s TLSSettings) build() (*tls.Config, map[string]time.Time, error) {
	mtimes := map[string]time.Time{}
	cert, err := s.certificate(mtimes)
	if err != nil {
		return nil, nil, err
	}
	// Full-size records from the first byte: Kafka's responses are read
	// whole, so the small first records that help a browser render early
	// only cost more records (and seals) per response here.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, DynamicRecordSizingDisabled: true}
	if cfg.MinVersion, cfg.MaxVersion, err = versions(s.Protocols); err != nil {
		return nil, nil, err
	}
	if cfg.ClientCAs, err = s.trustStore(mtimes); err != nil {
		return nil, nil, err
	}
	switch s.ClientAuth {
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if cfg.ClientAuth != tls.NoClientCert && cfg.ClientCAs == nil {
		return nil, nil, errors.New("ssl.client.auth=" + s.ClientAuth + " needs a trust store (ssl.truststore.location or ssl.truststore.certificates)")
	}
	return cfg, mtimes, nil
}

// certificate reads the key and certificate chain.
func (s TLSSettings) certificate(mtimes map[string]time.Time) (tls.Certificate, error) {
	if !strings.EqualFold(s.KeystoreType, "PEM") {
		return tls.Certificate{}, fmt.Errorf("ssl.keystore.type %q is not supported: use PEM", s.KeystoreType)
	}
	if s.KeystorePassword != "" {
		return tls.Certificate{}, errors.New("SSL key store password cannot be specified with PEM format, only key password may be specified (ssl.keystore.password)")
	}
	var chain, key []byte
	switch {
	case s.KeystoreLocation != "":
		b, err := readTracked(s.KeystoreLocation, mtimes)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		chain, key = b, b
	case s.CertificateChain != "" && s.Key != "":
		chain, key = []byte(s.CertificateChain), []byte(s.Key)
	default:
		return tls.Certificate{}, errors.New("no key store: set ssl.keystore.location, or ssl.keystore.certificate.chain and ssl.keystore.key")
	}
	if hasBlock(key, "ENCRYPTED PRIVATE KEY") {
		return tls.Certificate{}, errors.New("ssl.keystore: encrypted private keys are not supported; give the key unencrypted")
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl.keystore: %w", err)
	}
	return cert, nil
}

// trustStore reads the trusted certificates, or returns nil if none are given.
func (s TLSSettings) trustStore(mtimes map[string]time.Time) (*x509.CertPool, error) {
	var pemData []byte
	switch {
	case s.TruststoreFile != "":
		b, err := readTracked(s.TruststoreFile, mtimes)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		pemData = b
	case s.TruststoreCerts != "":
		pemData = []byte(s.TruststoreCerts)
	case s.TruststorePassword != "":
		return nil, errors.New("SSL trust store is not specified, but trust store password is specified (ssl.truststore.password)")
	default:
		return nil, nil
	}
	if !strings.EqualFold(s.TruststoreType, "PEM") {
		return nil, fmt.Errorf("ssl.truststore.type %q is not supported: use PEM", s.TruststoreType)
	}
	if s.TruststorePassword != "" {
		return nil, errors.New("SSL trust store password cannot be specified for PEM format (ssl.truststore.password)")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("ssl.truststore: no PEM certificate found")
	}
	return pool, nil
}

// versions maps ssl.enabled.protocols to a TLS version range.
func versions(protocols []string) (lo, hi uint16, err error) {
	for _, p := range protocols {
		var v uint16
		switch strings.TrimSpace(p) {
		case "TLSv1.2":
			v = tls.VersionTLS12
		case "TLSv1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, fmt.Errorf("ssl.enabled.protocols: %q is not supported (TLSv1.2 and TLSv1.3 are)", p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if lo == 0 {
		return 0, 0, errors.New("ssl.enabled.protocols is empty")
	}
	return lo, hi, nil
}

func readTracked(path string, mtimes map[string]time.Time) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mtimes[path] = fi.ModTime()
	return b, nil
}

func hasBlock(data []byte, typ string) bool {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return false
		}
		if b.Type == typ {
			return true
		}
	}
}

// CheckPrincipalMappingRules checks ssl.principal.mapping.rules, failing
// with Kafka's reason for a rule it would refuse.
func CheckPrincipalMappingRules(rules string) error {
	_, err := ParsePrincipalMappingRules(rules)
	return err
}

// Principal returns the principal of a TLS connection: User and the name
// the mapping rules give the client certificate's distinguished name (RFC
// 2253, most specific part first: "CN=alice,O=Example" under DEFAULT), or
// acl.Anonymous without a certificate. A name no rule maps is an error:
// the connection is closed, as in Kafka.
func (l *ListenerTLS) Principal(state tls.ConnectionState) (acl.Principal, error) {
	if len(state.PeerCertificates) == 0 {
		return acl.Anonymous, nil
	}
	l.mu.Lock()
	mapper := l.mapper
	l.mu.Unlock()
	name, err := mapper.Name(state.PeerCertificates[0].Subject.ToRDNSequence().String())
	if err != nil {
		return acl.Principal{}, err
	}
	return acl.Principal{Type: "User", Name: name}, nil
}

// ServiceTLSSettings reads the TLS settings of one of the node's HTTP
// services (prefix: schema.registry or rest.proxy) from its <prefix>.ssl.*
// keys, Confluent's names: ssl.client.authentication is NONE, REQUESTED or
// REQUIRED.
func ServiceTLSSettings(c *config.Config, prefix string) TLSSettings {
	v := func(key string) string { return c.Values[prefix+"."+key] }
	return TLSSettings{
		KeystoreType: v("ssl.keystore.type"), KeystoreLocation: v("ssl.keystore.location"),
		CertificateChain: v("ssl.keystore.certificate.chain"), Key: v("ssl.keystore.key"),
		KeyPassword:    v("ssl.key.password"),
		TruststoreType: v("ssl.truststore.type"), TruststoreFile: v("ssl.truststore.location"),
		TruststoreCerts: v("ssl.truststore.certificates"), ClientAuth: strings.ToLower(v("ssl.client.authentication")),
		Protocols: strings.Split(v("ssl.enabled.protocols"), ","),
	}
}
