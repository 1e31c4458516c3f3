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
}

// RESTProxy returns the REST proxy settings in effect.
func (c *Config) RESTProxy() RESTProxy {
	addr, _ := parseHTTPListener(c.Values["rest.proxy.listeners"])
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
	}
}
