// Package metadata holds the cluster metadata as records and as an immutable
// Image built by replaying them. It is pure: no I/O, no goroutines, no clock.
//
// Every change to topics, partitions, configs, producer-id allocation,
// broker registrations, SCRAM credentials, ACLs or client quotas (quota.go:
// by entity, as Kafka's ClientQuotaRecord) is a Record. ACLs (acl.go)
// are kept by id, as Kafka's AccessControlEntryRecord; an Apply that changes
// them rebuilds the image's acl.Index once, which every authorization check
// of that image shares. A broker registration (Broker: id,
// incarnation, endpoints, rack, epoch, fenced) replaces the earlier one of
// the same id; a log written before registrations existed simply has none
// until the node registers at start-up. The controller computes records from the current Image and a
// request, appends them to the metadata log, and only then applies them
// with Image.Apply; loading at start-up replays the same records through
// the same Apply. An Image is never mutated after it is published, so
// readers share it without locks.
//
// Records are encoded as JSON objects, {"type":"topic","topic":{...}};
// the controller stores them inside its raft entries and, for snapshots,
// as the values of record batches. Image.Records gives the records that
// rebuild an image from the empty one: a snapshot's content.
package metadata
