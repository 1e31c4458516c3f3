// Package kafkadiff holds the differential protocol test: the same request
// sequences, sent byte for byte the same with kmsg over a plain connection,
// to a reference Apache Kafka and to Gregor, with their answers compared
// field by field after masking what legitimately differs (ids, hosts,
// ports, times, throttles, error message texts). Apache Kafka is the
// arbiter of "what Kafka does"; compat/kafkadiff-known-gaps lists the
// differences not fixed yet, each with its reason.
//
// The test is skipped unless GREGOR_REFERENCE_KAFKA names a running
// reference broker (compat/kafka/broker start). A scenario is one entry in
// byKey (an API key at a version) or errorScenarios (an error path): a
// function that drives one broker and returns the value to compare.
package kafkadiff
