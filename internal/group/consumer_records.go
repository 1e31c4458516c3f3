package group

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kbin"

	"gregor/internal/kafka"
)

// The records of a consumer-protocol (KIP-848) group, with Kafka's schemas.
// The key is the int16 record type (the key version) followed by the group
// id and, for per-member records, the member id, as non-flexible strings.
// The value is an int16 version (0) followed by a flexible struct with
// tagged fields:
//
//	3 ConsumerGroupMetadata              Epoch int32
//	4 ConsumerGroupPartitionMetadata     Topics [TopicId uuid, TopicName string, NumPartitions int32, PartitionMetadata []]
//	5 ConsumerGroupMemberMetadata        InstanceId string?, RackId string?, ClientId, ClientHost, SubscribedTopicNames []string,
//	                                     SubscribedTopicRegex string?, RebalanceTimeoutMs int32, ServerAssignor string?
//	6 ConsumerGroupTargetAssignmentMetadata AssignmentEpoch int32
//	7 ConsumerGroupTargetAssignmentMember   TopicPartitions [TopicId uuid, Partitions []int32]
//	8 ConsumerGroupCurrentMemberAssignment  MemberEpoch int32, PreviousMemberEpoch int32, State int8,
//	                                     AssignedPartitions [TopicId, Partitions], PartitionsPendingRevocation [TopicId, Partitions]
//
// A null value is a tombstone.
const (
	consumerMetadataKey          = 3
	consumerPartitionMetadataKey = 4
	consumerMemberMetadataKey    = 5
	consumerTargetMetadataKey    = 6
	consumerTargetMemberKey      = 7
	consumerCurrentAssignmentKey = 8
)

// consumerRecord is one record of a consumer group, decoded. Which fields
// are meaningful depends on kind; tombstone records carry only the key.
type consumerRecord struct {
	kind      int16
	group     string
	member    string // kinds 5, 7, 8
	tombstone bool

	epoch   int32                    // kinds 3 (group epoch) and 6 (assignment epoch)
	topics  map[string]topicMetadata // kind 4
	meta    memberMetadata           // kind 5
	target  Assignment               // kind 7
	current currentAssignment        // kind 8
}

// memberMetadata is what a member tells about itself (record 5).
type memberMetadata struct {
	instanceID       string
	rackID           string
	clientID         string
	clientHost       string
	topics           []string // subscribed topic names, sorted
	regex            string   // subscribed topic regex; "" for none
	rebalanceTimeout int32    // milliseconds
	assignor         string   // the server assignor it asks for; "" for the group's default
}

func (m memberMetadata) equal(o memberMetadata) bool {
	return m.instanceID == o.instanceID && m.rackID == o.rackID && m.clientID == o.clientID &&
		m.clientHost == o.clientHost && slices.Equal(m.topics, o.topics) && m.regex == o.regex &&
		m.rebalanceTimeout == o.rebalanceTimeout && m.assignor == o.assignor
}

// currentAssignment is where a member is in its reconciliation (record 8).
type currentAssignment struct {
	epoch         int32
	previousEpoch int32
	state         memberState
	assigned      Assignment
	revoking      Assignment // assigned partitions the member must give up
}

func (a currentAssignment) equal(o currentAssignment) bool {
	return a.epoch == o.epoch && a.previousEpoch == o.previousEpoch && a.state == o.state &&
		a.assigned.Equal(o.assigned) && a.revoking.Equal(o.revoking)
}

// topicMetadata is a subscribed topic as the group last saw it (record 4).
type topicMetadata struct {
	id         kafka.TopicID
	name       string
	partitions int32
}

// key returns the record's key bytes.
func (r consumerRecord) key() []byte {
	b := kbin.AppendInt16(nil, r.kind)
	b = kbin.AppendString(b, r.group)
	switch r.kind {
	case consumerMemberMetadataKey, consumerTargetMemberKey, consumerCurrentAssignmentKey:
		b = kbin.AppendString(b, r.member)
	}
	return b
}

// value returns the record's value bytes; nil for a tombstone.
func (r consumerRecord) value() []byte {
	if r.tombstone {
		return nil
	}
	b := kbin.AppendInt16(nil, 0)
	switch r.kind {
	case consumerMetadataKey, consumerTargetMetadataKey:
		b = kbin.AppendInt32(b, r.epoch)
	case consumerPartitionMetadataKey:
		names := slices.Sorted(maps.Keys(r.topics))
		b = kbin.AppendCompactArrayLen(b, len(names))
		for _, name := range names {
			t := r.topics[name]
			b = kbin.AppendUuid(b, t.id)
			b = kbin.AppendCompactString(b, t.name)
			b = kbin.AppendInt32(b, t.partitions)
			b = kbin.AppendCompactArrayLen(b, 0) // PartitionMetadata: racks are not tracked
			b = kbin.AppendUvarint(b, 0)
		}
	case consumerMemberMetadataKey:
		m := r.meta
		b = kbin.AppendCompactNullableString(b, nullable(m.instanceID))
		b = kbin.AppendCompactNullableString(b, nullable(m.rackID))
		b = kbin.AppendCompactString(b, m.clientID)
		b = kbin.AppendCompactString(b, m.clientHost)
		b = kbin.AppendCompactArrayLen(b, len(m.topics))
		for _, t := range m.topics {
			b = kbin.AppendCompactString(b, t)
		}
		b = kbin.AppendCompactNullableString(b, nullable(m.regex))
		b = kbin.AppendInt32(b, m.rebalanceTimeout)
		b = kbin.AppendCompactNullableString(b, nullable(m.assignor))
	case consumerTargetMemberKey:
		b = appendAssignment(b, r.target)
	case consumerCurrentAssignmentKey:
		c := r.current
		b = kbin.AppendInt32(b, c.epoch)
		b = kbin.AppendInt32(b, c.previousEpoch)
		b = kbin.AppendInt8(b, int8(c.state))
		b = appendAssignment(b, c.assigned)
		b = appendAssignment(b, c.revoking)
	default:
		panic(fmt.Sprintf("consumer group record of unknown kind %d", r.kind))
	}
	return kbin.AppendUvarint(b, 0) // no tagged fields
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func appendAssignment(b []byte, a Assignment) []byte {
	ids := a.topicIDs()
	b = kbin.AppendCompactArrayLen(b, len(ids))
	for _, id := range ids {
		b = kbin.AppendUuid(b, id)
		b = kbin.AppendCompactArrayLen(b, len(a[id]))
		for _, p := range a[id] {
			b = kbin.AppendInt32(b, p)
		}
		b = kbin.AppendUvarint(b, 0)
	}
	return b
}

var errShortRecord = errors.New("consumer group record: truncated or malformed")

// decodeConsumerRecord parses a record of kinds 3–8. Tagged fields of
// newer versions are skipped.
func decodeConsumerRecord(kind int16, key, value []byte) (consumerRecord, error) {
	kr := kbin.Reader{Src: key[2:]}
	r := consumerRecord{kind: kind, group: kr.String()}
	switch kind {
	case consumerMemberMetadataKey, consumerTargetMemberKey, consumerCurrentAssignmentKey:
		r.member = kr.String()
	}
	if err := kr.Complete(); err != nil {
		return r, fmt.Errorf("consumer group record key %d: %w", kind, err)
	}
	if value == nil {
		r.tombstone = true
		return r, nil
	}
	vr := &kbin.Reader{Src: value}
	if v := vr.Int16(); v != 0 {
		return r, fmt.Errorf("consumer group record %d: unknown value version %d", kind, v)
	}
	switch kind {
	case consumerMetadataKey, consumerTargetMetadataKey:
		r.epoch = vr.Int32()
	case consumerPartitionMetadataKey:
		r.topics = map[string]topicMetadata{}
		for n := readArrayLen(vr); n > 0 && vr.Ok(); n-- {
			t := topicMetadata{id: vr.Uuid(), name: vr.CompactString(), partitions: vr.Int32()}
			for racks := readArrayLen(vr); racks > 0 && vr.Ok(); racks-- {
				vr.Int32()
				for k := readArrayLen(vr); k > 0 && vr.Ok(); k-- {
					vr.CompactString()
				}
				skipTags(vr)
			}
			skipTags(vr)
			r.topics[t.name] = t
		}
	case consumerMemberMetadataKey:
		m := &r.meta
		m.instanceID = deref(vr.CompactNullableString())
		m.rackID = deref(vr.CompactNullableString())
		m.clientID = vr.CompactString()
		m.clientHost = vr.CompactString()
		for n := readArrayLen(vr); n > 0 && vr.Ok(); n-- {
			m.topics = append(m.topics, vr.CompactString())
		}
		slices.Sort(m.topics)
		m.regex = deref(vr.CompactNullableString())
		m.rebalanceTimeout = vr.Int32()
		m.assignor = deref(vr.CompactNullableString())
	case consumerTargetMemberKey:
		r.target = readAssignment(vr)
	case consumerCurrentAssignmentKey:
		c := &r.current
		c.epoch = vr.Int32()
		c.previousEpoch = vr.Int32()
		c.state = memberState(vr.Int8())
		c.assigned = readAssignment(vr)
		c.revoking = readAssignment(vr)
	}
	skipTags(vr)
	if !vr.Ok() {
		return r, fmt.Errorf("%w (kind %d)", errShortRecord, kind)
	}
	return r, nil
}

// readArrayLen reads a compact array length, bounded by the bytes left so
// that a corrupt length cannot make the loader allocate or loop for long.
func readArrayLen(r *kbin.Reader) int {
	n := int(r.CompactArrayLen())
	if n < 0 || n > len(r.Src) {
		r.Src = nil
		r.Span(1) // marks the reader as failed
		return 0
	}
	return n
}

func skipTags(r *kbin.Reader) {
	for n := r.Uvarint(); n > 0 && r.Ok(); n-- {
		r.Uvarint()
		r.Span(int(r.Uvarint()))
	}
}

func readAssignment(r *kbin.Reader) Assignment {
	a := Assignment{}
	for n := readArrayLen(r); n > 0 && r.Ok(); n-- {
		id := kafka.TopicID(r.Uuid())
		var ps []int32
		for k := readArrayLen(r); k > 0 && r.Ok(); k-- {
			ps = append(ps, r.Int32())
		}
		skipTags(r)
		if len(ps) > 0 {
			slices.Sort(ps)
			a[id] = ps
		}
	}
	return a
}

// compareTopicIDs orders topic ids by their bytes.
func compareTopicIDs(a, b kafka.TopicID) int { return bytes.Compare(a[:], b[:]) }
