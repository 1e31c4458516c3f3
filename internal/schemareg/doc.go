// Package schemareg is the schema registry: Confluent Schema Registry's
// REST API (content type application/vnd.schemaregistry.v1+json, error
// bodies {"error_code":N,"message":"..."} with Confluent's codes) served by
// every node, over formats that come in through package schema's
// interfaces.
//
// State. The registry's state is the replay of partition 0 of the
// compacted topic _schemas, which the first write creates (one partition,
// cleanup.policy=compact, replication factor min(3, live brokers), with a
// warning when that is less than 3; created at the first write rather
// than at start so that a starting cluster's brokers have registered).
// The records are Confluent's, so that its tools read them:
//
//	key {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}
//	    value {"subject":S,"version":V,"id":ID,"schemaType":T,"references":[...],"schema":TEXT,"deleted":B}
//	    (schemaType absent for AVRO; a null value hard-deletes the version)
//	key {"keytype":"CONFIG","subject":S|absent,"magic":0}  value {"compatibilityLevel":L} or null
//	key {"keytype":"MODE","subject":S|absent,"magic":0}    value {"mode":M} or null
//	key {"keytype":"DELETE_SUBJECT","subject":S,"magic":0} value {"subject":S,"version":V}
//	key {"keytype":"NOOP","magic":0}                       value null
//
// The registry is a Kafka client (franz-go) of its own node's PLAINTEXT
// listener: at start it reads _schemas (read_committed) to the end offset
// it finds, and answers 50002 until then; afterwards it follows the
// partition. Reads are served from memory on every node.
//
// Writes. Every node accepts writes, and at any time one node's writes
// reach _schemas: all nodes produce with one transactional id
// (TransactionalID). A node about to write first initializes that
// producer id unless it holds it already, which fences the node that
// wrote before (its open transaction is aborted, its later produce and
// commit fail); then it waits until every record up to the log end offset
// is applied, so the state holds every write made before the fence;
// computes its records from the state; appends them in one transaction;
// and answers once its reader has applied them. A write the log refuses
// (this node was fenced in the meantime) is tried again after a random
// backoff until the request's time is up. So ids and versions are
// assigned by one node at a time from the complete state, without
// electing a leader or forwarding requests; the state changes only by
// replay, at start and while running, through the same code. Ids are
// global: a schema with the same type, text and references has the same
// id in every subject; a new one takes the highest id seen plus one.
//
// With an authorizer, the node's PLAINTEXT listener must let the
// anonymous principal read and write _schemas and use the transactional
// id.
package schemareg
