package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ConnectionLimits are the connection settings of a broker, as the server
// applies them: see Config.ConnectionLimits.
type ConnectionLimits struct {
	MaxConnections      int            // max.connections, over every listener
	MaxConnectionsPerIP int            // max.connections.per.ip
	PerIPOverrides      map[string]int // max.connections.per.ip.overrides: host or IP -> limit
	IdleTimeout         time.Duration  // connections.max.idle.ms; <= 0 never closes
	QueuedMaxRequests   int            // queued.max.requests
	// QueuedMaxRequestBytes is queued.max.request.bytes; <= 0: no limit.
	QueuedMaxRequestBytes int64
	// PerListener is listener.name.<l>.max.connections of each listener
	// that sets it, by listener name.
	PerListener map[string]int
}

// ConnectionLimits returns the connection settings in effect.
func (c *Config) ConnectionLimits() ConnectionLimits {
	overrides, _ := parseConnectionOverrides(c.Values["max.connections.per.ip.overrides"])
	return ConnectionLimits{
		MaxConnections:        int(c.int64Of("max.connections")),
		MaxConnectionsPerIP:   int(c.int64Of("max.connections.per.ip")),
		PerIPOverrides:        overrides,
		IdleTimeout:           time.Duration(c.int64Of("connections.max.idle.ms")) * time.Millisecond,
		QueuedMaxRequests:     int(c.int64Of("queued.max.requests")),
		QueuedMaxRequestBytes: c.int64Of("queued.max.request.bytes"),
		PerListener:           c.perListenerMaxConnections(),
	}
}

// perListenerMaxConnections reads listener.name.<l>.max.connections; a
// value that is not a non-negative integer is ignored.
func (c *Config) perListenerMaxConnections() map[string]int {
	out := map[string]int{}
	for _, l := range c.Listeners {
		if !c.ListenerGiven(l.Name, "max.connections") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(c.ListenerValue(l.Name, "max.connections"))); err == nil && n >= 0 {
			out[l.Name] = n
		}
	}
	return out
}

// SocketBuffers returns socket.send.buffer.bytes and
// socket.receive.buffer.bytes: the SO_SNDBUF and SO_RCVBUF of the sockets
// of every listener; -1 (or any value below 1) keeps the OS default.
func (c *Config) SocketBuffers() (send, receive int) {
	return int(c.int64Of("socket.send.buffer.bytes")), int(c.int64Of("socket.receive.buffer.bytes"))
}

// connectionOverrides checks max.connections.per.ip.overrides.
func connectionOverrides(v string) string {
	if _, err := parseConnectionOverrides(v); err != nil {
		return err.Error()
	}
	return ""
}

// parseConnectionOverrides parses host:count pairs separated by commas, as
// Kafka does: the count after the last colon, so IPv6 addresses need no
// brackets.
func parseConnectionOverrides(v string) (map[string]int, error) {
	out := map[string]int{}
	for _, pair := range splitList(v) {
		i := strings.LastIndex(pair, ":")
		if i <= 0 {
			return nil, fmt.Errorf("%q is not of the form host:count", pair)
		}
		n, err := strconv.Atoi(strings.TrimSpace(pair[i+1:]))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: the count is not a non-negative integer", pair)
		}
		out[strings.TrimSpace(pair[:i])] = n
	}
	return out, nil
}

// QuotaSampling is how client quota rates are sampled: quota.window.num
// windows of quota.window.size.seconds.
func (c *Config) QuotaSampling() (windows int, window time.Duration) {
	return int(c.int64Of("quota.window.num")), time.Duration(c.int64Of("quota.window.size.seconds")) * time.Second
}

// ReplicationQuotaSampling is how replication quota rates are sampled:
// replication.quota.window.num windows of
// replication.quota.window.size.seconds.
func (c *Config) ReplicationQuotaSampling() (windows int, window time.Duration) {
	return int(c.int64Of("replication.quota.window.num")), time.Duration(c.int64Of("replication.quota.window.size.seconds")) * time.Second
}

// LogCleanerIOMaxBytesPerSecond is log.cleaner.io.max.bytes.per.second.
func (c *Config) LogCleanerIOMaxBytesPerSecond() float64 {
	v, _ := strconv.ParseFloat(c.Values["log.cleaner.io.max.bytes.per.second"], 64)
	return v
}

// AlterLogDirsRate is replica.alter.log.dirs.io.max.bytes.per.second.
func (c *Config) AlterLogDirsRate() int64 {
	return c.int64Of("replica.alter.log.dirs.io.max.bytes.per.second")
}

// ReplicationThrottledRates are leader.replication.throttled.rate and
// follower.replication.throttled.rate, in bytes per second.
func (c *Config) ReplicationThrottledRates() (leader, follower int64) {
	return c.int64Of("leader.replication.throttled.rate"), c.int64Of("follower.replication.throttled.rate")
}

// ControllerQuotaSampling sizes the controller mutation quota's bucket:
// controller.quota.window.num windows of
// controller.quota.window.size.seconds.
func (c *Config) ControllerQuotaSampling() (windows int, window time.Duration) {
	return int(c.int64Of("controller.quota.window.num")), time.Duration(c.int64Of("controller.quota.window.size.seconds")) * time.Second
}
