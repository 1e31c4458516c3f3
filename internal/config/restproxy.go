package config

import (
	"strconv"
	"time"
)

// RESTProxy is the REST proxy's part of the configuration: see
// Config.RESTProxy.
type RESTProxy struct {
	// Address is rest.proxy.listeners as host:port; empty when the proxy
	// is off.
	Address string
	// ConsumerInstanceTimeout is rest.proxy.consumer.instance.timeout.ms.
	ConsumerInstanceTimeout time.Duration
	MaxRequestBytes         int64         // rest.proxy.request.max.bytes
	RequestTimeout          time.Duration // rest.proxy.request.timeout.ms
	// Propagate is rest.proxy.auth.propagate.method=JETTY_AUTH: requests
	// reach Kafka as the HTTP client's principal.
	Propagate bool
	// KafkaSASLMechanism is rest.proxy.kafka.sasl.mechanism: how a BASIC
	// user's requests authenticate to Kafka when propagated (BEARER
	// tokens always use OAUTHBEARER).
	KafkaSASLMechanism string
}

// RESTProxy returns the REST proxy settings in effect.
func (c *Config) RESTProxy() RESTProxy {
	addr, _, _ := parseServiceListener(c.Values["rest.proxy.listeners"])
	ms := func(key string) time.Duration {
		n, _ := strconv.ParseInt(c.Values[key], 10, 64)
		return time.Duration(n) * time.Millisecond
	}
	maxBytes, _ := strconv.ParseInt(c.Values["rest.proxy.request.max.bytes"], 10, 64)
	return RESTProxy{
		Address:                 addr,
		ConsumerInstanceTimeout: ms("rest.proxy.consumer.instance.timeout.ms"),
		MaxRequestBytes:         maxBytes,
		RequestTimeout:          ms("rest.proxy.request.timeout.ms"),
		Propagate:               c.Values["rest.proxy.auth.propagate.method"] == "JETTY_AUTH",
		KafkaSASLMechanism:      c.Values["rest.proxy.kafka.sasl.mechanism"],
	}
}
