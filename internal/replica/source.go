package replica

import (
	"context"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// FetchSource is the leader a fetcher copies from: one broker, reached over
// one connection. Calls are made by one fetcher goroutine at a time. Errors
// of a whole call (the connection broke) are returned; a partition's own
// error is in its answer, as one of partition's sentinels
// (partition.ErrNotLeader, ErrFencedLeaderEpoch, ErrUnknownLeaderEpoch,
// ErrOffsetOutOfRange, ErrUnknownTopicOrPartition) or another error.
type FetchSource interface {
	// Fetch is a replica Fetch (ReplicaID / ReplicaState set): it returns
	// records up to the leader's log end, and the leader long-polls for
	// up to MaxWait until MinBytes are there.
	Fetch(ctx context.Context, req FetchRequest) ([]FetchedPartition, error)
	// EpochEndOffsets is OffsetForLeaderEpoch sent by a replica: for each
	// partition, the leader's largest epoch at or below the one asked and
	// the offset where it ends.
	EpochEndOffsets(ctx context.Context, replicaID kafka.NodeID, qs []EpochQuery) ([]EpochEnd, error)
	// Close closes the connection.
	Close() error
}

// Dialer connects to broker, the leader of partitions this node follows,
// on its inter-broker listener.
type Dialer func(ctx context.Context, broker metadata.Broker) (FetchSource, error)

// FetchRequest is one replica fetch from one leader.
type FetchRequest struct {
	ReplicaID   kafka.NodeID
	BrokerEpoch int64 // the follower's broker epoch, -1 if unknown
	MaxWait     time.Duration
	MinBytes    int32
	MaxBytes    int32
	Partitions  []FetchPartition
}

// FetchPartition is one partition of a replica fetch.
type FetchPartition struct {
	TP                 kafka.TopicPartition
	TopicID            kafka.TopicID
	CurrentLeaderEpoch kafka.Epoch  // the follower's view of the leader epoch
	FetchOffset        kafka.Offset // the follower's log end offset
	LastFetchedEpoch   kafka.Epoch  // epoch of the follower's last batch, -1 if none
	LogStartOffset     kafka.Offset
	MaxBytes           int32
}

// FetchedPartition is the leader's answer for one partition.
type FetchedPartition struct {
	TP             kafka.TopicPartition
	Err            error
	HighWatermark  kafka.Offset
	LogStartOffset kafka.Offset
	// Diverging, when set, is the leader's end of the follower's last
	// fetched epoch: the follower's log diverged there (KIP-320).
	Diverging *EpochEnd
	Records   []byte
}

// EpochQuery asks the leader where LeaderEpoch ends in its log.
type EpochQuery struct {
	TP                 kafka.TopicPartition
	CurrentLeaderEpoch kafka.Epoch
	LeaderEpoch        kafka.Epoch
}

// EpochEnd is the leader's largest epoch at or below the one asked and its
// end offset; -1, -1 when it holds none.
type EpochEnd struct {
	TP        kafka.TopicPartition
	Err       error
	Epoch     kafka.Epoch
	EndOffset kafka.Offset
}
