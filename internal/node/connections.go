package node

import (
	"net"

	"gregor/internal/config"
	"gregor/internal/server"
)

// connectionLimits translates the connection settings of c for the server,
// resolving the host names of max.connections.per.ip.overrides to their
// addresses as Kafka does when the config is set. A name that does not
// resolve is logged and skipped.
func (n *Node) connectionLimits(c *config.Config) server.Limits {
	cl := c.ConnectionLimits()
	l := server.Limits{
		MaxConnections: cl.MaxConnections, MaxConnectionsPerIP: cl.MaxConnectionsPerIP,
		IdleTimeout: cl.IdleTimeout, QueuedMaxRequests: cl.QueuedMaxRequests,
		PerIPOverrides: map[string]int{},
	}
	for host, limit := range cl.PerIPOverrides {
		if ip := net.ParseIP(host); ip != nil {
			l.PerIPOverrides[ip.String()] = limit
			continue
		}
		addrs, err := net.LookupIP(host)
		if err != nil {
			n.logger.Warn("max.connections.per.ip.overrides: host does not resolve; its override is ignored", "host", host, "err", err)
			continue
		}
		for _, ip := range addrs {
			l.PerIPOverrides[ip.String()] = limit
		}
	}
	return l
}
