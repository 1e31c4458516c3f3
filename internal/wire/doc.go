// Package wire owns the Kafka protocol framing: the 4-byte size prefix, the
// request header (v0–v2, with KIP-482 tagged fields) and the response header,
// and the API registry from which ApiVersions is answered. Request and
// response bodies are franz-go kmsg types; this package never hand-encodes a
// body.
//
// It also holds the two types that the server and the handler both name: a
// decoded Request, and the Session of the connection it arrived on
// (listener, security protocol, remote address, principal). They live here,
// below both, so that the server can define the Handler interface it calls
// without importing the handler, and the handler can serve requests without
// importing the server: the composition root (node) joins the two. A
// request is framing plus a body plus where it came from, which is what
// this package is about; the session's principal comes from internal/acl.
// The session also holds its SASL state (sasl.go): the SASL APIs change it,
// and the server asks it, before each request, whether the request may be
// served (Admit): on a SASL listener, nothing but the SASL APIs and
// ApiVersions before authentication, and nothing once the session expired.
//
// The broker-to-broker Client (client.go) is the other side: a Dialer
// carries the inter-broker listener's security, TLS and then a SASL login
// (saslclient.go: SaslHandshake v1, SaslAuthenticate v1 until the
// mechanism is done), and a session near its end re-authenticates on the
// same connection before the next request (KIP-368).
//
// Frame:          int32 size | size bytes
// Request header: int16 api_key | int16 api_version | int32 correlation_id |
//
//	nullable string client_id (v1+) | tagged fields (v2, flexible requests)
//
// Response header: int32 correlation_id | tagged fields (flexible responses,
//
//	except ApiVersions, which always answers header v0 so that a
//	client that guessed a version too high can still read it)
package wire
