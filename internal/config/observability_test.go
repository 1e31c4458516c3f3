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
