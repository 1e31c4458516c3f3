package handler

// What the delegation token APIs (38–41) share: who may ask, the secret
// key, and finding a token by its HMAC.

import (
	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/metadata"
)

// Checks of the delegation token APIs.
var (
	createTokensOnUser        = acl.CreateTokens.On(acl.User)
	describeTokensOnUser      = acl.DescribeTokens.On(acl.User)
	describeOnDelegationToken = acl.Describe.On(acl.DelegationToken)
)

// allowTokenRequests reports whether the session may manage delegation
// tokens, as Kafka allows: not on PLAINTEXT, not on TLS without a client
// certificate, and never on a session authenticated by a token.
func allowTokenRequests(req *Request) bool {
	switch {
	case req.Auth.TokenAuthenticated, req.SecurityProtocol == "PLAINTEXT":
		return false
	case req.SecurityProtocol == "SSL" && req.Principal == acl.Anonymous:
		return false
	}
	return true
}

// tokenSecret is delegation.token.secret.key; "" when tokens are disabled.
func (h *Handler) tokenSecret() string { return h.Config.Value("delegation.token.secret.key") }

// tokenByHMAC finds the token whose HMAC is mac in the published metadata.
func (h *Handler) tokenByHMAC(mac []byte) (metadata.DelegationToken, bool) {
	return auth.TokenByHMAC(h.tokenSecret(), mac, h.Metadata.Image().DelegationTokens())
}

// principalOf parses a principal a token record names; a malformed one
// (never written) comes back with an empty type.
func principalOf(s string) acl.Principal {
	p, _ := acl.ParsePrincipal(s)
	return p
}
