// Package kafka holds the vocabulary types shared by every layer: topic ids
// and topic-partitions. It does no I/O and imports nothing from the project.
package kafka

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// TopicPartition names one partition of one topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// Compare orders topic-partitions by topic, then partition.
func (tp TopicPartition) Compare(o TopicPartition) int {
	return cmp.Or(strings.Compare(tp.Topic, o.Topic), cmp.Compare(tp.Partition, o.Partition))
}

// TopicID is a topic's UUID (KIP-516). The zero value means "no id".
type TopicID [16]byte

// NewTopicID returns a random version-4 UUID that is neither zero nor Kafka's
// reserved sentinel values.
func NewTopicID() TopicID {
	for {
		var id TopicID
		if _, err := rand.Read(id[:]); err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err))
		}
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		if !id.IsZero() && id != metadataTopicID {
			return id
		}
	}
}

// metadataTopicID is Kafka's reserved id (AAAAAAAAAAAAAAAAAAAAAQ).
var metadataTopicID = TopicID{15: 1}

// IsZero reports whether id is the zero UUID.
func (id TopicID) IsZero() bool { return id == TopicID{} }

// String renders id as Kafka does: URL-safe base64 without padding.
func (id TopicID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseTopicID parses Kafka's base64 form of a UUID.
func ParseTopicID(s string) (TopicID, error) {
	var id TopicID
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, errors.New("invalid uuid: " + s)
	}
	copy(id[:], b)
	return id, nil
}

// MarshalText renders id in Kafka's base64 form.
func (id TopicID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses Kafka's base64 form.
func (id *TopicID) UnmarshalText(b []byte) error {
	parsed, err := ParseTopicID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// Errors that storage returns and the layers above it answer, defined here so
// that those layers can recognize them without importing storage.
var (
	// ErrOffsetOutOfRange: an offset below the log start or past the end.
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrLogClosed: the log was closed or deleted under the caller.
	ErrLogClosed = errors.New("log closed")
	// ErrLogDirOffline: the log's directory met an I/O error (a failing,
	// full or read-only disk) and was taken offline; Kafka's
	// KafkaStorageException.
	ErrLogDirOffline = errors.New("log dir is offline")
)

// Offset is a position in a partition's log: the offset of a record, or of
// the next record to be written (a log end offset, a high watermark).
type Offset int64

// Epoch is a leader epoch (of a partition) or a producer epoch. -1 means
// "none" or "unknown", as on the wire.
type Epoch int32

// NodeID is a node's node.id: a broker, a controller, or both.
type NodeID int32

// ProducerID identifies an idempotent or transactional producer. -1 means
// "none", as on the wire.
type ProducerID int64

// NoNode is the node id that names no node (a partition without a leader).
const NoNode NodeID = -1

// CoordinatorPartition is the partition of an internal topic that holds
// key (a group id in __consumer_offsets, a transactional id in
// __transaction_state), as Kafka computes it:
// Utils.abs(key.hashCode()) % partitions.
func CoordinatorPartition(key string, partitions int32) int32 {
	h := javaStringHash(key)
	if h == -1<<31 {
		h = 0 // Utils.abs maps Integer.MIN_VALUE to 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// javaStringHash is Java's String.hashCode: over UTF-16 code units, wrapping.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xd800+(r>>10))
			h = 31*h + int32(0xdc00+(r&0x3ff))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}
