package group

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
)

// The records of __consumer_offsets use Kafka's schemas: the key's leading
// int16 version says what the record is (0 and 1: a committed offset, 2: group
// metadata, 3–8: consumer-protocol groups, see consumer_records.go); a null
// value is a tombstone.
const (
	offsetKeyVersion = 1
	groupKeyVersion  = 2

	offsetValueVersion = 3 // offset, leader epoch, metadata, commit timestamp
	groupValueVersion  = 3 // members with group instance ids
)

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: offsetKeyVersion, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: groupKeyVersion, Group: group}
	return k.AppendTo(nil)
}

func offsetValue(o Offset) []byte {
	v := kmsg.OffsetCommitValue{
		Version: offsetValueVersion, Offset: o.Offset, LeaderEpoch: o.LeaderEpoch,
		Metadata: o.Metadata, CommitTimestamp: o.CommitTime.UnixMilli(), ExpireTimestamp: -1,
	}
	return v.AppendTo(nil)
}

// storedRecord is one decoded record of __consumer_offsets.
type storedRecord struct {
	group string

	// A committed offset (isOffset) for topic/partition, or group metadata.
	isOffset  bool
	topic     string
	partition int32

	offset *kmsg.OffsetCommitValue  // nil for a tombstone
	meta   *kmsg.GroupMetadataValue // nil for a tombstone

	consumer *consumerRecord // a record of a consumer-protocol group
}

// decodeRecord parses a key and value of __consumer_offsets. Unknown key
// versions (records of newer coordinators) are reported as an error for
// the caller to skip.
func decodeRecord(key, value []byte) (storedRecord, error) {
	if len(key) < 2 {
		return storedRecord{}, fmt.Errorf("key of %d bytes", len(key))
	}
	switch v := int16(binary.BigEndian.Uint16(key)); v {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return storedRecord{}, fmt.Errorf("offset commit key: %w", err)
		}
		r := storedRecord{group: k.Group, isOffset: true, topic: k.Topic, partition: k.Partition}
		if value != nil {
			r.offset = new(kmsg.OffsetCommitValue)
			if err := r.offset.ReadFrom(value); err != nil {
				return storedRecord{}, fmt.Errorf("offset commit value: %w", err)
			}
		}
		return r, nil
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return storedRecord{}, fmt.Errorf("group metadata key: %w", err)
		}
		r := storedRecord{group: k.Group}
		if value != nil {
			r.meta = new(kmsg.GroupMetadataValue)
			if err := r.meta.ReadFrom(value); err != nil {
				return storedRecord{}, fmt.Errorf("group metadata value: %w", err)
			}
		}
		return r, nil
	case consumerMetadataKey, consumerPartitionMetadataKey, consumerMemberMetadataKey,
		consumerTargetMetadataKey, consumerTargetMemberKey, consumerCurrentAssignmentKey:
		cr, err := decodeConsumerRecord(v, key, value)
		if err != nil {
			return storedRecord{}, err
		}
		return storedRecord{group: cr.group, consumer: &cr}, nil
	default:
		return storedRecord{}, fmt.Errorf("unknown key version %d", v)
	}
}

// PartitionFor returns the __consumer_offsets partition of a group, as
// Kafka computes it: Utils.abs(groupId.hashCode) % partitions.
func PartitionFor(groupID string, partitions int32) int32 {
	return kafka.CoordinatorPartition(groupID, partitions)
}
