package metrics

import (
	"time"

	"gregor/internal/kafka"
)

// View is the broker's state as the metrics read it at scrape time; the
// node implements it. Its methods are called from the scraping goroutine,
// concurrently with the broker's work, and must be safe for that.
type View interface {
	// Partitions calls fn for each local replica.
	Partitions(fn func(PartitionState))
	// Groups returns the groups this node coordinates.
	Groups() []GroupState
	// Connections returns the open connections by listener name.
	Connections() map[string]int64
	// Controller returns the cluster-wide view of the metadata.
	Controller() ControllerState
	// Cleaner returns the log cleaner's progress.
	Cleaner() CleanerState
	// TopicName resolves a topic id (Fetch v13 and later name topics by id).
	TopicName(id kafka.TopicID) (string, bool)
	// TopicExists reports whether the metadata has the topic.
	TopicExists(name string) bool
}

// PartitionState is one local replica.
type PartitionState struct {
	TP                  kafka.TopicPartition
	Leader              bool // this node leads it
	Replicas, ISR       int
	MinInsyncReplicas   int
	LogStartOffset      kafka.Offset
	LogEndOffset        kafka.Offset
	HighWatermark       kafka.Offset
	Size                int64 // bytes of all segments
	Segments            int
	WaitingProduces     int  // acks=all produces waiting for the high watermark
	WaitingFetchWatches int  // fetch long-polls watching the partition
	Offline             bool // its log dir failed
}

// GroupState is one group this node coordinates.
type GroupState struct {
	Group   string
	State   string // Kafka's name: Empty, Stable, PreparingRebalance, ...
	Members int
	// Committed is the group's committed offset by partition.
	Committed map[kafka.TopicPartition]kafka.Offset
}

// ControllerState is what the node knows of the controller and the metadata.
type ControllerState struct {
	Active            bool // this node is the active controller
	Topics            int
	Partitions        int
	OfflinePartitions int // partitions without a leader
}

// CleanerState is the log cleaner's progress since the node started.
type CleanerState struct {
	Cleanings         int64
	BytesRead         int64
	BytesWritten      int64
	LastRun           time.Time // zero: never ran
	LastRecopyPercent float64   // bytes written / bytes read of the last cleaning, in percent
	MaxCleanTime      time.Duration
	Uncleanable       int // partitions skipped until restart after a failed cleaning
}
