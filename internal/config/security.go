package config

import "strings"

// listenerPrefix starts a per-listener key, listener.name.<listener>.<key>,
// which beats <key> for that listener (Kafka's ListenerName.configPrefix).
// Such keys are accepted without a warning: Kafka takes any key after it.
const listenerPrefix = "listener.name."

// ListenerValue returns the value of key for a listener: the value of
// listener.name.<listener, lower-cased>.<key> if given, else key's value in
// effect. SASL keys prefixed by mechanism go through the same lookup with
// key "<mechanism, lower-cased>.<key>" (Kafka's
// listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config).
func (c *Config) ListenerValue(listener, key string) string {
	if v, ok := c.props[c.listenerKey(listener, key)]; ok {
		return v
	}
	return c.Values[key]
}

// ListenerGiven reports whether key was given with the listener's prefix.
func (c *Config) ListenerGiven(listener, key string) bool {
	_, ok := c.props[c.listenerKey(listener, key)]
	return ok
}

func (c *Config) listenerKey(listener, key string) string {
	return listenerPrefix + strings.ToLower(listener) + "." + key
}
