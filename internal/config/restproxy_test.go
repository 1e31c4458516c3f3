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
	for key, bad := range map[string]string{"rest.proxy.listeners": "https://h:1", "rest.proxy.consumer.instance.timeout.ms": "0",
		"rest.proxy.request.max.bytes": "-1", "rest.proxy.request.timeout.ms": "x"} {
		if _, _, err := Parse(map[string]string{key: bad}); err == nil {
			t.Errorf("%s=%q accepted", key, bad)
		}
	}
}
