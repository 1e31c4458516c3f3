// Package schemareg is the schema registry: Confluent Schema Registry's
// REST API (content type application/vnd.schemaregistry.v1+json, error
// bodies {"error_code":N,"message":"..."} with Confluent's codes) served by
// every node, over formats that come in through package schema's
// interfaces.
//
// State. The registry's state is the replay of partition 0 of the
// compacted topic _schemas, which it creates if missing (one partition,
// cleanup.policy=compact, replication factor min(3, brokers)). The records
// are Confluent's, so that its tools read them:
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
// listener: at start it reads _schemas to the end offset it finds, and
// answers 50002 until then; afterwards it follows the partition.
//
// Writes. One node assigns ids and versions: the leader of _schemas-0
// (the node tells the registry through Config.Writer); any other node
// answers a write with 50004 naming the leader, and the client retries
// there. A write takes the registry's write lock, waits until every
// record up to the log end offset is applied (a previous leader's writes
// included), computes its records from the state, appends them with
// acks=all and answers once the reader has applied them: the state
// changes only by replay, at start and while running, through the same
// code. Ids are global: a schema with the same type, text and references
// has the same id in every subject; a new one takes the highest id seen
// plus one.
//
// Known limits: a write that races a leadership change of _schemas-0
// could assign an id twice (the old leader's write lock does not cover the
// new leader); nodes do not forward writes to the leader.
package schemareg
