package config

import "testing"

// TestObservability proves the HTTP listener and log settings default to a
// loopback listener and text logs at info, parse http://host:port and the
// empty string (off), and refuse malformed values naming the key.
func TestObservability(t *testing.T) {
	o := Default().Observability()
	if o.HTTPAddress != "127.0.0.1:9644" || o.PprofEnable || o.ConsoleReadOnly || o.LogFormat != "text" || o.LogLevel != "info" {
		t.Fatalf("defaults: %+v", o)
	}
	for in, want := range map[string]string{"": "", "http://0.0.0.0:8080": "0.0.0.0:8080", "127.0.0.1:0": "127.0.0.1:0", "http://[::1]:9644": "[::1]:9644"} {
		c := mustParse(t, map[string]string{"http.listeners": in, "http.console.read.only": "true", "log.format": "json"})
		if got := c.Observability(); got.HTTPAddress != want || !got.ConsoleReadOnly || got.LogFormat != "json" {
			t.Errorf("%q: %+v, want address %q", in, got, want)
		}
	}
	for key, bad := range map[string]string{"http.listeners": "https://h:1", "log.format": "xml", "log.level": "trace"} {
		if _, _, err := Parse(map[string]string{key: bad}); err == nil {
			t.Errorf("%s=%q accepted", key, bad)
		}
	}
	for _, bad := range []string{"http://h", "http://h:99999", "http://a:1,http://b:2"} {
		if _, _, err := Parse(map[string]string{"http.listeners": bad}); err == nil {
			t.Errorf("http.listeners=%q accepted", bad)
		}
	}
}

// TestSchemaRegistryListener proves schema.registry.listeners defaults to
// 127.0.0.1:8081, can be turned off, and is checked as http.listeners is,
// with https:// besides.
func TestSchemaRegistryListener(t *testing.T) {
	if got := mustParse(t, nil).SchemaRegistryAddress(); got != "127.0.0.1:8081" {
		t.Errorf("default %q", got)
	}
	if got := mustParse(t, map[string]string{"schema.registry.listeners": ""}).SchemaRegistryAddress(); got != "" {
		t.Errorf("empty: %q", got)
	}
	if got := mustParse(t, map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"}).SchemaRegistryAddress(); got != "127.0.0.1:0" {
		t.Errorf("port 0: %q", got)
	}
	if got := mustParse(t, map[string]string{"schema.registry.listeners": "https://127.0.0.1:8443"}).SchemaRegistryAddress(); got != "127.0.0.1:8443" {
		t.Errorf("https: %q", got)
	}
	for _, bad := range []string{"ftp://h:1", "https://h", "https://"} {
		if _, _, err := Parse(map[string]string{"schema.registry.listeners": bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
