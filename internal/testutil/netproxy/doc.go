// Package netproxy is a TCP proxy for fault tests: one Proxy stands for one
// network link, listening on loopback and forwarding every connection to a
// target, and a test breaks the link on purpose.
//
// A link is in one of four states:
//
//   - healthy: bytes are forwarded both ways as they arrive;
//   - delayed (Delay): every chunk read is forwarded d later, in both
//     directions, without limiting throughput (chunks are pipelined);
//   - cut (Cut): every connection is reset, and new ones are accepted and
//     reset at once, as when a host is down or a firewall rejects;
//   - black-holed (BlackHole): connections stay open and new ones are
//     accepted, but everything read is dropped in both directions, and
//     nothing reaches the target, so peers wait for their own timeouts
//     rather than see an error, as when packets are silently lost.
//
// Heal returns to healthy. Connections that lost bytes while black-holed
// are reset by Heal: their streams have a hole, which real TCP would never
// expose, so the peers must reconnect.
//
// Every connection costs four goroutines (a reader and a writer each way)
// and at most MaxConns connections are open at once; Close stops them all,
// waiting a bounded time. The package imports nothing of Gregor: tests of
// any layer (test/e2e, in-process clusters) may use it.
package netproxy
