package config

import (
	"testing"
	"time"
)

// TestRESTProxy proves the REST proxy listens on Confluent's port 8082 of
// the loopback by default, can be turned off or moved, takes its timeouts
// and body bound, and refuses malformed values.
func TestRESTProxy(t *testing.T) {
	r := Default().RESTProxy()
	if r.Address != "127.0.0.1:8082" || r.ConsumerInstanceTimeout != 5*time.Minute || r.MaxRequestBytes != 64<<20 || r.RequestTimeout != 30*time.Second {
		t.Fatalf("defaults: %+v", r)
	}
	c := mustParse(t, map[string]string{"rest.proxy.listeners": "", "rest.proxy.consumer.instance.timeout.ms": "1000",
		"rest.proxy.request.max.bytes": "1024", "rest.proxy.request.timeout.ms": "500"})
	if r := c.RESTProxy(); r.Address != "" || r.ConsumerInstanceTimeout != time.Second || r.MaxRequestBytes != 1024 || r.RequestTimeout != 500*time.Millisecond {
		t.Fatalf("overrides: %+v", r)
	}
	for key, bad := range map[string]string{"rest.proxy.listeners": "ftp://h:1", "rest.proxy.consumer.instance.timeout.ms": "0",
		"rest.proxy.request.max.bytes": "-1", "rest.proxy.request.timeout.ms": "x", "schema.registry.listeners": "https://h",
		"rest.proxy.ssl.client.authentication": "maybe", "rest.proxy.ssl.keystore.type": "JKS",
		"rest.proxy.authentication.method": "DIGEST", "rest.proxy.auth.propagate.method": "SSL"} {
		if _, _, err := Parse(map[string]string{key: bad}); err == nil {
			t.Errorf("%s=%q accepted", key, bad)
		}
	}
}

// TestServiceTLS proves an https:// listener of the schema registry or the
// REST proxy is told apart from an http:// one and binds the same address.
func TestServiceTLS(t *testing.T) {
	c := mustParse(t, map[string]string{"rest.proxy.listeners": "https://127.0.0.1:8443",
		"schema.registry.listeners": "http://127.0.0.1:8081", "rest.proxy.auth.propagate.method": "JETTY_AUTH"})
	if !c.ServiceTLS("rest.proxy") || c.ServiceTLS("schema.registry") || c.RESTProxy().Address != "127.0.0.1:8443" || !c.RESTProxy().Propagate {
		t.Fatalf("https listener: tls=%v proxy=%+v", c.ServiceTLS("rest.proxy"), c.RESTProxy())
	}
	if c.Values["rest.proxy.ssl.keystore.type"] != "PEM" || c.Values["rest.proxy.ssl.client.authentication"] != "NONE" {
		t.Fatalf("TLS defaults: %q %q", c.Values["rest.proxy.ssl.keystore.type"], c.Values["rest.proxy.ssl.client.authentication"])
	}
}
