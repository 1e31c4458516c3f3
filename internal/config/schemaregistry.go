package config

import "strings"

// SchemaRegistryAddress is schema.registry.listeners as host:port; empty
// when the schema registry is off.
func (c *Config) SchemaRegistryAddress() string {
	addr, _ := parseHTTPListener(c.Values["schema.registry.listeners"])
	return addr
}

// HTTPAuth is how an HTTP service of the node (the schema registry, the
// REST proxy) authenticates its clients.
type HTTPAuth struct {
	Method    string   // NONE or BASIC
	UsersFile string   // the users of BASIC
	Roles     []string // a user needs one of them; "*" lets every user in
}

// SchemaRegistryAuth returns schema.registry.authentication.*.
func (c *Config) SchemaRegistryAuth() HTTPAuth { return c.httpAuth("schema.registry") }

// RESTProxyAuth returns rest.proxy.authentication.*.
func (c *Config) RESTProxyAuth() HTTPAuth { return c.httpAuth("rest.proxy") }

func (c *Config) httpAuth(prefix string) HTTPAuth {
	a := HTTPAuth{Method: c.Values[prefix+".authentication.method"], UsersFile: c.Values[prefix+".authentication.users.file"]}
	for _, r := range strings.Split(c.Values[prefix+".authentication.roles"], ",") {
		if r = strings.TrimSpace(r); r != "" {
			a.Roles = append(a.Roles, r)
		}
	}
	return a
}
