// Package handler serves the Kafka APIs: one file per API key
// (00_produce.go, 01_fetch.go, ...), each opening with the versions it
// serves and how it behaves, then its registration, then its handler. It is
// the only place where wire types (kmsg) meet the domain packages; domain
// errors become Kafka error codes in errors.go and nowhere else.
package handler
