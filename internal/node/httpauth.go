package node

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	"gregor/internal/auth"
	"gregor/internal/config"
	"gregor/internal/httpauth"
)

// httpAuthenticator returns what wraps an HTTP service for the
// authentication a asks for (nil for NONE), or why it cannot be set up;
// prefix names the service's configs, realm is the realm clients see
// (Confluent's: SchemaRegistry, KafkaRest). BEARER tokens are validated
// as the broker's OAUTHBEARER listeners validate theirs.
func httpAuthenticator(prefix, realm string, a config.HTTPAuth) (func(http.Handler) http.Handler, error) {
	switch a.Method {
	case "BASIC":
		b, err := httpauth.Load(a.UsersFile, realm, a.Roles)
		if err != nil {
			return nil, fmt.Errorf("%s.authentication.users.file: %w", prefix, err)
		}
		return b.Wrap, nil
	case "BEARER":
		o := a.Bearer
		v, err := auth.NewTokenValidator(auth.OAuthConfig{JWKSURL: o.JWKSURL, Refresh: o.Refresh, Audience: o.Audience,
			Issuer: o.Issuer, SubClaim: o.SubClaim, ClockSkew: o.ClockSkew}, o.GroupsClaim)
		if err != nil {
			return nil, fmt.Errorf("%s.oauthbearer.jwks.endpoint.url: %w", prefix, err)
		}
		validate := func(token string) (string, []string, error) {
			t, err := v.Validate(token)
			return t.Principal, t.Groups, err
		}
		return httpauth.NewBearer(realm, validate, a.Roles).Wrap, nil
	}
	return nil, nil
}

// listenService binds the listener of the HTTP service whose keys start
// with prefix (schema.registry, rest.proxy) at addr, none when addr is
// empty; an https:// listener serves TLS with the service's ssl.* keys,
// through the broker listeners' TLS code (PEM files reloaded when they
// change).
func (n *Node) listenService(prefix, addr string) (net.Listener, error) {
	var tlsConfig *tls.Config
	if addr != "" && n.cfg.ServiceTLS(prefix) {
		lt, err := auth.NewListenerTLS(auth.ServiceTLSSettings(n.cfg, prefix))
		if err != nil {
			return nil, fmt.Errorf("%s.listeners https://%s: %w", prefix, addr, err)
		}
		tlsConfig = lt.Config()
	}
	ln, err := listenHTTP(prefix+".listeners", addr)
	if ln == nil || tlsConfig == nil {
		return ln, err
	}
	return tls.NewListener(ln, tlsConfig), nil
}

// serviceURL is the URL of a service's bound listener for the start-up
// line, empty when it is off.
func (n *Node) serviceURL(prefix string, addr net.Addr) string {
	if addr == nil {
		return ""
	}
	if n.cfg.ServiceTLS(prefix) {
		return "https://" + addr.String()
	}
	return "http://" + addr.String()
}
