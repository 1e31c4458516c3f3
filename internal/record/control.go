package record

import (
	"encoding/binary"
	"fmt"
)

// Control records (Kafka's EndTransactionMarker): a control batch holds one
// record whose key is version int16 (0) | type int16 (0 abort, 1 commit)
// and whose value is version int16 (0) | coordinatorEpoch int32. The batch
// carries the producer id and epoch of the transaction it ends, the
// transactional bit and no sequence.
const (
	ControlAbort  = 0
	ControlCommit = 1
)

// Marker is a decoded transaction marker.
type Marker struct {
	Commit           bool
	CoordinatorEpoch int32
}

// BuildMarker encodes a commit or abort marker for producer pid at epoch.
func BuildMarker(pid int64, epoch int16, m Marker, timestamp int64) Batch {
	key := binary.BigEndian.AppendUint16(make([]byte, 0, 4), 0)
	typ := uint16(ControlAbort)
	if m.Commit {
		typ = ControlCommit
	}
	key = binary.BigEndian.AppendUint16(key, typ)
	value := binary.BigEndian.AppendUint16(make([]byte, 0, 6), 0)
	value = binary.BigEndian.AppendUint32(value, uint32(m.CoordinatorEpoch))
	b, err := Build(BatchSpec{
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1, Transactional: true, Control: true,
		Records: []Record{{Timestamp: timestamp, Key: key, Value: value}},
	})
	if err != nil {
		panic(fmt.Sprintf("build marker: %v", err)) // a fixed one-record batch always builds
	}
	return b
}

// MarkerOf decodes the marker of a control batch. The key is in the
// record, which an uncompressed control batch (every one Kafka writes)
// keeps at a fixed place; it is decoded through Records to stay general.
func MarkerOf(b Batch) (Marker, error) {
	if !b.IsControl() {
		return Marker{}, fmt.Errorf("%w: not a control batch", ErrInvalid)
	}
	rs, err := b.Records()
	if err != nil {
		return Marker{}, err
	}
	if len(rs) == 0 || len(rs[0].Key) < 4 {
		return Marker{}, fmt.Errorf("%w: control record key too short", ErrInvalid)
	}
	m := Marker{Commit: binary.BigEndian.Uint16(rs[0].Key[2:]) == ControlCommit, CoordinatorEpoch: -1}
	if v := rs[0].Value; len(v) >= 6 {
		m.CoordinatorEpoch = int32(binary.BigEndian.Uint32(v[2:]))
	}
	return m, nil
}

// ControlType returns the type of the control record of control batch b:
// 0 for an abort marker, 1 for a commit marker, other values for KRaft's
// control records. ok is false for a batch without records (the cleaner
// leaves an emptied marker so) or with a key too short.
func ControlType(b Batch) (typ int16, ok bool, err error) {
	if !b.IsControl() {
		return 0, false, fmt.Errorf("%w: not a control batch", ErrInvalid)
	}
	if b.NumRecords() == 0 {
		return 0, false, nil
	}
	rs, err := b.Records()
	if err != nil || len(rs) == 0 || len(rs[0].Key) < 4 {
		return 0, false, err
	}
	return int16(binary.BigEndian.Uint16(rs[0].Key[2:])), true, nil
}
