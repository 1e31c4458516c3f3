// Package metadata holds the cluster metadata as records and as an immutable
// Image built by replaying them. It is pure: no I/O, no goroutines, no clock.
//
// Every change to topics, partitions, configs or producer-id allocation is a
// Record. The controller computes records from the current Image and a
// request, appends them to the metadata log, and only then applies them
// with Image.Apply; loading at start-up replays the same records through
// the same Apply. An Image is never mutated after it is published, so
// readers share it without locks.
//
// Records are stored in the metadata log as the values of ordinary record
// batches (v2), one JSON object per record: {"type":"topic","topic":{...}}.
package metadata
