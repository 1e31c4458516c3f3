// Package auth decides who a client is.
//
// TLS (tls.go): a listener's PEM key and trust stores, TLS 1.2 and 1.3
// only, client certificates and the principal they name under Kafka's
// DEFAULT mapping, and reloading of changed files on new handshakes.
//
// SASL (sasl.go, scram.go): a listener's enabled mechanisms and the server
// side of one authentication with each: PLAIN against the users of the
// listener's JAAS configuration, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC
// 5802) against the salted credentials of the metadata image. Every
// failure is the same error, whatever was wrong; passwords are compared in
// constant time and never logged.
//
// Authorization (authorizer.go): the Authorizer that authorizer.class.name
// enables (Kafka's StandardAuthorizer is the one name accepted), with
// super.users and allow.everyone.if.no.acl.found around the ACL index of
// the metadata image last published.
//
// It knows neither the server nor the handlers: the server asks it for a
// listener's tls.Config and a handshake's principal; the SASL APIs start
// and step exchanges, which the connection's session holds.
package auth
