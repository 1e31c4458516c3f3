package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"gregor/internal/acl"
	"gregor/internal/config"
	"gregor/internal/metadata"
)

// The SASL mechanisms served.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// Exchange is the server side of one SASL authentication.
type Exchange interface {
	// Step takes the client's next message and returns the answer; done
	// is true once the client is authenticated. An error is a failed
	// authentication whose message is safe to show the client.
	Step(msg []byte) (answer []byte, done bool, err error)
	// Principal is who authenticated, once done.
	Principal() acl.Principal
}

// SASL is the SASL side of one listener: its mechanisms and where their
// credentials come from. Read-only once built; safe for concurrent use.
type SASL struct {
	Mechanisms  []string          // sasl.enabled.mechanisms, in the configured order
	PlainUsers  map[string]string // user -> password, from PlainLoginModule's user_<name> entries
	Credentials CredentialLookup  // SCRAM credentials, from the metadata image
	// Tokens finds delegation tokens, which authenticate with SCRAM when
	// TokenSecret (delegation.token.secret.key) is set; nil: none.
	Tokens      TokenLookup
	TokenSecret string
	OAuth       *jwks // OAUTHBEARER's keys; nil when not enabled
	// SessionLifetime is connections.max.reauth.ms: an authenticated
	// session must re-authenticate within it; 0 means never.
	SessionLifetime time.Duration
	// FailureDelay is connection.failed.authentication.delay.ms.
	FailureDelay time.Duration
}

// ListenerSASL reads the SASL settings of a listener from c:
// sasl.enabled.mechanisms and, for PLAIN, the JAAS configuration of
// listener.name.<l>.plain.sasl.jaas.config, else sasl.jaas.config.
func ListenerSASL(c *config.Config, listener string, credentials CredentialLookup) (*SASL, error) {
	s := &SASL{
		Credentials:     credentials,
		TokenSecret:     c.Value("delegation.token.secret.key"),
		SessionLifetime: time.Duration(parseInt(c.Value("connections.max.reauth.ms"))) * time.Millisecond,
		FailureDelay:    time.Duration(parseInt(c.Value("connection.failed.authentication.delay.ms"))) * time.Millisecond,
	}
	for _, m := range strings.Split(c.ListenerValue(listener, "sasl.enabled.mechanisms"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			s.Mechanisms = append(s.Mechanisms, strings.ToUpper(m))
		}
	}
	if slices.Contains(s.Mechanisms, Plain) {
		jaas := c.ListenerValue(listener, "plain.sasl.jaas.config")
		if jaas == "" {
			jaas = c.ListenerValue(listener, "sasl.jaas.config")
		}
		opts, err := ParseJAAS(jaas)
		if err != nil {
			return nil, fmt.Errorf("listener %s: sasl.jaas.config: %w", listener, err)
		}
		s.PlainUsers = plainUsers(opts)
	}
	if slices.Contains(s.Mechanisms, OAuthBearer) {
		cfg := listenerOAuthConfig(c, listener)
		if cfg.JWKSURL == "" {
			return nil, fmt.Errorf("listener %s: OAUTHBEARER needs sasl.oauthbearer.jwks.endpoint.url (unsecured tokens are not accepted)", listener)
		}
		keys, err := newJWKS(cfg)
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", listener, err)
		}
		s.OAuth = keys
	}
	return s, nil
}

// listenerOAuthConfig reads the sasl.oauthbearer.* settings of a listener:
// listener.name.<l>.oauthbearer.<key>, else listener.name.<l>.<key>, else
// <key>.
func listenerOAuthConfig(c *config.Config, listener string) OAuthConfig {
	get := func(key string) string {
		if c.ListenerGiven(listener, "oauthbearer."+key) {
			return c.ListenerValue(listener, "oauthbearer."+key)
		}
		return c.ListenerValue(listener, key)
	}
	cfg := OAuthConfig{
		JWKSURL:   get("sasl.oauthbearer.jwks.endpoint.url"),
		Refresh:   time.Duration(parseInt(get("sasl.oauthbearer.jwks.endpoint.refresh.ms"))) * time.Millisecond,
		Issuer:    get("sasl.oauthbearer.expected.issuer"),
		SubClaim:  get("sasl.oauthbearer.sub.claim.name"),
		ClockSkew: time.Duration(parseInt(get("sasl.oauthbearer.clock.skew.seconds"))) * time.Second,
	}
	for _, a := range strings.Split(get("sasl.oauthbearer.expected.audience"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Audience = append(cfg.Audience, a)
		}
	}
	if cfg.SubClaim == "" {
		cfg.SubClaim = "sub"
	}
	return cfg
}

// Enabled reports whether mechanism is enabled and served.
func (s *SASL) Enabled(mechanism string) bool {
	return slices.Contains(s.Mechanisms, mechanism) &&
		(mechanism == Plain || scramHash(mechanism) != nil || mechanism == OAuthBearer && s.OAuth != nil)
}

// Start begins an exchange with mechanism, which must be Enabled.
func (s *SASL) Start(mechanism string) Exchange {
	switch mechanism {
	case Plain:
		return &plainExchange{users: s.PlainUsers}
	case OAuthBearer:
		return &oauthExchange{keys: s.OAuth}
	}
	lookup := s.Credentials
	if lookup == nil {
		lookup = func(string, string) (metadata.ScramCredential, bool) { return metadata.ScramCredential{}, false }
	}
	return &scramExchange{mechanism: mechanism, hash: scramHash(mechanism), lookup: lookup, tokens: s.Tokens, secret: s.TokenSecret}
}

// plainExchange is one PLAIN authentication (RFC 4616): one message,
// authorization id, user and password separated by NUL.
type plainExchange struct {
	users map[string]string
	user  string
}

func (p *plainExchange) Step(msg []byte) ([]byte, bool, error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 {
		return nil, false, errAuthentication
	}
	authzid, user, password := string(parts[0]), string(parts[1]), parts[2]
	if user == "" || (authzid != "" && authzid != user) {
		return nil, false, errAuthentication
	}
	want, known := p.users[user]
	// Compare digests, so that neither the length of the password nor
	// whether the user exists shows in the time taken.
	got, expected := sha256.Sum256(password), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(got[:], expected[:]) != 1 || !known {
		return nil, false, errAuthentication
	}
	p.user = user
	return nil, true, nil
}

func (p *plainExchange) Principal() acl.Principal { return acl.Principal{Type: "User", Name: p.user} }

// plainUsers picks PlainLoginModule's user_<name>="password" options.
func plainUsers(opts map[string]string) map[string]string {
	users := map[string]string{}
	for k, v := range opts {
		if name, ok := strings.CutPrefix(k, "user_"); ok && name != "" {
			users[name] = v
		}
	}
	return users
}

// ParseJAAS parses one JAAS login module entry, as Kafka's sasl.jaas.config
// holds it: `LoginModuleClass required key="value" key2=value2;`, and
// returns its options.
func ParseJAAS(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return map[string]string{}, nil
	}
	s, ok := strings.CutSuffix(s, ";")
	if !ok {
		return nil, fmt.Errorf("a JAAS entry ends with ';'")
	}
	fields := strings.Fields(s)
	if len(fields) < 2 || !slices.Contains([]string{"required", "requisite", "sufficient", "optional"}, strings.ToLower(fields[1])) {
		return nil, fmt.Errorf("a JAAS entry starts with a login module and a control flag (required)")
	}
	rest := strings.TrimSpace(s[strings.Index(s, fields[1])+len(fields[1]):])
	return parseJAASOptions(rest)
}

// parseJAASOptions parses key=value and key="quoted value" pairs.
func parseJAASOptions(s string) (map[string]string, error) {
	opts := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("option %q is not key=value", s)
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimSpace(s[eq+1:])
		var value string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("option %s: unterminated quote", key)
			}
			value, s = s[1:end+1], s[end+2:]
		} else {
			end := strings.IndexAny(s, " \t\n")
			if end < 0 {
				end = len(s)
			}
			value, s = s[:end], s[end:]
		}
		opts[key] = value
	}
	return opts, nil
}

func parseInt(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}
