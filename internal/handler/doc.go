// Package handler serves the Kafka APIs: one file per API key
// (00_produce.go, 01_fetch.go, ...), each opening with the versions it
// serves and how it behaves, then its registration, then its handler. It is
// the only place where wire types (kmsg) meet the domain packages; domain
// errors become Kafka error codes in errors.go and nowhere else.
//
// The handler reads the cluster metadata through a MetadataView (the
// immutable image the node publishes atomically) and sends every metadata
// write as a typed controller request through the Controller interface
// (control.go); both are owned here. The brokers it reports and places
// replicas on are those registered in the image; it invents no membership.
//
// A registration names the versions served and the ACL checks serving the
// API may make (authorization.go; acl.None for ApiVersions). ApiVersions
// is answered from the registrations; a test holds them to Kafka's table
// of operations and resources. Each API asks the Authorizer (owned here,
// authorize.go; nil allows everything) before acting, per resource, and
// only with the checks its registration declares; refusals are Kafka's
// codes (TOPIC_, GROUP_, CLUSTER_, TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
// The ACL APIs (29–31) store ACLs through typed controller requests.
//
// Produce's schema validation (schema_validation.go) finds schemas by id
// through SchemaSource, owned here, which node implements over its schema
// registry: the handler imports only package schema's interfaces.
//
// Handler implements the server's Handler interface without importing the
// server: a Request is wire's, carrying the connection's Session (listener,
// principal, client address), and node joins the two.
package handler
