// Package acl is the vocabulary of authorization, as Kafka defines it: the
// operations (READ, WRITE, ...) and resource types (TOPIC, GROUP, CLUSTER,
// ...) with Kafka's numeric codes, which the ACL APIs and the metadata
// records carry on the wire; the principal a connection acts as
// ("User:ANONYMOUS" until SASL or TLS names one); and the Requirement each
// API's registration declares: which operations on which resource types
// serving it may check.
//
// ACLs themselves (binding.go): a Binding is an Entry (principal, host,
// operation, ALLOW or DENY) on a Pattern (resource type, name, LITERAL or
// PREFIXED), a Filter selects bindings as Kafka's AclBindingFilter does
// (ANY, MATCH). An Index (index.go) arranges bindings for checks with
// Kafka's rules (DENY wins, ALL, the implied DESCRIBE and
// DESCRIBE_CONFIGS, wildcard names, principals and hosts): a check looks
// up the resource's name, the wildcard and one prefix per distinct prefix
// length, so its cost does not grow with ACLs on other resources.
//
// It sits at the bottom with internal/kafka and imports nothing from the
// project: wire carries the principal in a connection's session, handler
// declares the requirements, metadata keeps the bindings and their index
// in the image, and the authorizer (internal/auth) consults them. It is its own package rather than part of
// internal/kafka because its names read best qualified by it (acl.Read,
// acl.Topic) and because everything here belongs to one concern that grows
// with the authorizer (resource patterns, permission types).
package acl
