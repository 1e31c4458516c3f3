// Package acl is the vocabulary of authorization, as Kafka defines it: the
// operations (READ, WRITE, ...) and resource types (TOPIC, GROUP, CLUSTER,
// ...) with Kafka's numeric codes, which the ACL APIs and the metadata
// records carry on the wire; the principal a connection acts as
// ("User:ANONYMOUS" until SASL or TLS names one); and the Requirement each
// API's registration declares: which operations on which resource types
// serving it may check.
//
// It sits at the bottom with internal/kafka and imports nothing from the
// project: wire carries the principal in a connection's session, handler
// declares the requirements, and the authorizer (internal/auth, not built
// yet) will consult both. It is its own package rather than part of
// internal/kafka because its names read best qualified by it (acl.Read,
// acl.Topic) and because everything here belongs to one concern that grows
// with the authorizer (resource patterns, permission types).
package acl
