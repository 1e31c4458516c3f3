package txn

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
)

// The records of __transaction_state use Kafka's schemas: the key is
// TransactionLogKey (version 0, the transactional id), the value
// TransactionLogValue (producer id and epoch, timeout, state, partitions,
// timestamps); a null value is a tombstone, written when an idle
// transactional id expires. As Kafka, the value is version 1 (flexible,
// with the tagged fields of KIP-890: the previous and next producer ids and
// the client's transaction version) once transaction.version is finalized
// at 1 or more, version 0 otherwise; both are read.
const (
	keyVersion = 0
)

// Version is a client's transaction protocol, Kafka's TransactionVersion:
// below 2 the client adds partitions itself (AddPartitionsToTxn,
// AddOffsetsToTxn) and keeps its epoch across transactions; at 2 (KIP-890
// part 2) partition leaders add them as the first write arrives (Produce
// v12+, TxnOffsetCommit v5+) and every transaction end bumps the epoch
// (EndTxn v5+).
type Version int16

// V2 is the transaction version of KIP-890 part 2.
const V2 Version = 2

// State is a transaction's state, numbered as in Kafka's
// TransactionLogValue.
type State int8

// The states of a transactional id.
const (
	Empty             State = 0
	Ongoing           State = 1
	PrepareCommit     State = 2
	PrepareAbort      State = 3
	CompleteCommit    State = 4
	CompleteAbort     State = 5
	Dead              State = 6
	PrepareEpochFence State = 7
)

// String is the state's name as Kafka's tools print it.
func (s State) String() string { return kmsg.TransactionState(s).String() }

// preparing reports a transaction whose markers are being written.
func (s State) preparing() bool { return s == PrepareCommit || s == PrepareAbort }

// idle reports a transactional id with no transaction in progress.
func (s State) idle() bool { return s == Empty || s == CompleteCommit || s == CompleteAbort }

// stored is the persisted part of a transactional id's metadata: exactly
// what one TransactionLogValue holds.
type stored struct {
	producerID kafka.ProducerID
	epoch      int16
	timeout    time.Duration
	state      State
	partitions []kafka.TopicPartition // sorted, no duplicates
	start      time.Time              // the first AddPartitions of the transaction; zero when idle
	lastUpdate time.Time
	// prevProducerID is the producer id before the last change of id (-1:
	// none): an EndTxn retry from a producer that has not yet seen the new
	// id after its epochs overflowed is recognised by it.
	prevProducerID kafka.ProducerID
	// nextProducerID is the id the producer moves to when the transaction
	// being completed completes (-1: none): set by an end at version 2 whose
	// bumped epoch reaches the last one.
	nextProducerID kafka.ProducerID
	clientVersion  Version // of the client's last transaction
}

func encodeKey(id string) []byte {
	k := kmsg.TxnMetadataKey{Version: keyVersion, TransactionalID: id}
	return k.AppendTo(nil)
}

// encodeValue encodes s as TransactionLogValue at valueVersion (0 or 1).
func encodeValue(s stored, valueVersion int16) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.Version, v.ProducerID, v.ProducerEpoch = valueVersion, int64(s.producerID), s.epoch
	v.PreviousProducerID, v.NextProducerID = int64(s.prevProducerID), int64(s.nextProducerID)
	v.ClientTransactionVersion, v.NextProducerEpoch = int16(s.clientVersion), -1
	v.TimeoutMillis, v.State = int32(s.timeout.Milliseconds()), kmsg.TransactionState(s.state)
	v.LastUpdateTimestamp, v.StartTimestamp = s.lastUpdate.UnixMilli(), -1
	if !s.start.IsZero() {
		v.StartTimestamp = s.start.UnixMilli()
	}
	for _, tp := range s.partitions {
		if n := len(v.Topics); n > 0 && v.Topics[n-1].Topic == tp.Topic {
			v.Topics[n-1].Partitions = append(v.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		v.Topics = append(v.Topics, kmsg.TxnMetadataValueTopic{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
	}
	return v.AppendTo(nil)
}

// decode parses a record of __transaction_state; value nil is a tombstone
// (ok with a nil stored).
func decode(key, value []byte) (id string, s *stored, err error) {
	if len(key) < 2 || binary.BigEndian.Uint16(key) != keyVersion {
		return "", nil, fmt.Errorf("unknown transaction log key")
	}
	var k kmsg.TxnMetadataKey
	if err := k.ReadFrom(key); err != nil {
		return "", nil, err
	}
	if value == nil {
		return k.TransactionalID, nil, nil
	}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(value); err != nil {
		return "", nil, err
	}
	s = &stored{producerID: kafka.ProducerID(v.ProducerID), epoch: v.ProducerEpoch,
		timeout: time.Duration(v.TimeoutMillis) * time.Millisecond, state: State(v.State),
		lastUpdate: time.UnixMilli(v.LastUpdateTimestamp), prevProducerID: -1, nextProducerID: -1}
	if v.Version >= 1 {
		s.prevProducerID, s.nextProducerID = kafka.ProducerID(v.PreviousProducerID), kafka.ProducerID(v.NextProducerID)
		s.clientVersion = Version(v.ClientTransactionVersion)
	}
	if v.StartTimestamp >= 0 {
		s.start = time.UnixMilli(v.StartTimestamp)
	}
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			s.partitions = append(s.partitions, kafka.TopicPartition{Topic: t.Topic, Partition: p})
		}
	}
	sortPartitions(s.partitions)
	return k.TransactionalID, s, nil
}

func sortPartitions(ps []kafka.TopicPartition) {
	slices.SortFunc(ps, kafka.TopicPartition.Compare)
}

// PartitionFor is the partition of __transaction_state that holds id:
// abs(javaHashCode(id)) % partitions, as Kafka (and group.PartitionFor).
func PartitionFor(id string, partitions int32) int32 {
	return kafka.CoordinatorPartition(id, partitions)
}
