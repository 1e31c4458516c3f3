package config

import (
	"strings"
	"time"
)

// SchemaRegistryAddress is schema.registry.listeners as host:port; empty
// when the schema registry is off.
func (c *Config) SchemaRegistryAddress() string {
	addr, _, _ := parseServiceListener(c.Values["schema.registry.listeners"])
	return addr
}

// HTTPAuth is how an HTTP service of the node (the schema registry, the
// REST proxy) authenticates its clients.
type HTTPAuth struct {
	Method    string   // NONE, BASIC or BEARER
	UsersFile string   // the users of BASIC
	Roles     []string // a user needs one of them; "*" lets every user in
	Bearer    Bearer   // how BEARER validates tokens
}

// Bearer is <prefix>.oauthbearer.*: how an HTTP service validates the
// OAuth JWTs of authentication.method=BEARER, as the broker's OAUTHBEARER
// listeners validate theirs.
type Bearer struct {
	JWKSURL     string
	Refresh     time.Duration
	Issuer      string
	Audience    []string
	SubClaim    string
	GroupsClaim string // the groups, matched against the roles
	ClockSkew   time.Duration
}

// SchemaRegistryAuth returns schema.registry.authentication.*.
func (c *Config) SchemaRegistryAuth() HTTPAuth { return c.httpAuth("schema.registry") }

// RESTProxyAuth returns rest.proxy.authentication.*.
func (c *Config) RESTProxyAuth() HTTPAuth { return c.httpAuth("rest.proxy") }

func (c *Config) httpAuth(prefix string) HTTPAuth {
	a := HTTPAuth{Method: c.Values[prefix+".authentication.method"], UsersFile: c.Values[prefix+".authentication.users.file"]}
	o := func(key string) string { return c.Values[prefix+".oauthbearer."+key] }
	a.Bearer = Bearer{JWKSURL: o("jwks.endpoint.url"), Issuer: o("expected.issuer"),
		SubClaim: o("sub.claim.name"), GroupsClaim: o("groups.claim.name"),
		Refresh:   time.Duration(c.int64Of(prefix+".oauthbearer.jwks.endpoint.refresh.ms")) * time.Millisecond,
		ClockSkew: time.Duration(c.int64Of(prefix+".oauthbearer.clock.skew.seconds")) * time.Second}
	for _, aud := range strings.Split(o("expected.audience"), ",") {
		if aud = strings.TrimSpace(aud); aud != "" {
			a.Bearer.Audience = append(a.Bearer.Audience, aud)
		}
	}
	for _, r := range strings.Split(c.Values[prefix+".authentication.roles"], ",") {
		if r = strings.TrimSpace(r); r != "" {
			a.Roles = append(a.Roles, r)
		}
	}
	return a
}
