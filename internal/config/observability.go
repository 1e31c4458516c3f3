package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Observability is the HTTP admin listener's and the logs' part of the
// configuration: see Config.Observability.
type Observability struct {
	// HTTPAddress is http.listeners as host:port; empty when the listener
	// is off.
	HTTPAddress     string
	PprofEnable     bool // http.pprof.enable
	ConsoleReadOnly bool // http.console.read.only
	// ConsoleSASLMechanism is http.console.sasl.mechanism: the console's
	// users log in with it; empty: no login.
	ConsoleSASLMechanism string
	LogFormat            string // log.format: text or json
	LogLevel             string // log.level: debug, info, warn or error
}

// Observability returns the observability settings in effect.
func (c *Config) Observability() Observability {
	addr, _ := parseHTTPListener(c.Values["http.listeners"])
	return Observability{
		HTTPAddress:          addr,
		PprofEnable:          strings.EqualFold(c.Values["http.pprof.enable"], "true"),
		ConsoleReadOnly:      strings.EqualFold(c.Values["http.console.read.only"], "true"),
		ConsoleSASLMechanism: c.Values["http.console.sasl.mechanism"],
		LogFormat:            c.Values["log.format"],
		LogLevel:             c.Values["log.level"],
	}
}

// httpListeners checks http.listeners.
func httpListeners(v string) string {
	if _, err := parseHTTPListener(v); err != nil {
		return err.Error()
	}
	return ""
}

// parseHTTPListener turns http://host:port (or host:port) into host:port;
// an empty value is the listener turned off. One listener only: the admin
// API needs no more.
func parseHTTPListener(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if strings.Contains(v, ",") {
		return "", fmt.Errorf("%q: only one HTTP listener is supported", v)
	}
	addr := strings.TrimPrefix(v, "http://")
	if strings.Contains(addr, "://") {
		return "", fmt.Errorf("%q: only http:// is supported", v)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not of the form http://host:port", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: port %q is not a port number", v, port)
	}
	return addr, nil
}
