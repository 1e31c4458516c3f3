package partition

import "gregor/internal/kafka"

// OffsetForTimestamp answers ListOffsets for a timestamp ts >= 0: the
// offset and timestamp of the first record whose timestamp is at or after
// ts. As Kafka's Partition.fetchOffsetForTimestamp, a record at or above
// the high watermark is not answered: found is false.
func (p *Partition) OffsetForTimestamp(ts int64) (offset kafka.Offset, timestamp int64, found bool, err error) {
	hw := p.HighWatermark()
	off, timestamp, found, err := p.log.OffsetForTimestamp(ts)
	if err != nil || !found || off >= hw {
		return -1, -1, false, err
	}
	return kafka.Offset(off), timestamp, true, nil
}

// MaxTimestamp answers ListOffsets -3 (KIP-734): the offset of the first
// record carrying the largest timestamp, and that timestamp; found is false
// when the log is empty or that record is at or above the high watermark,
// as in Kafka.
func (p *Partition) MaxTimestamp() (offset kafka.Offset, timestamp int64, found bool, err error) {
	hw := p.HighWatermark()
	timestamp, off, err := p.log.MaxTimestamp()
	if err != nil || off < 0 || off >= hw {
		return -1, -1, false, err
	}
	return kafka.Offset(off), timestamp, true, nil
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch from the leader-epoch
// cache: the largest epoch at or below epoch and its end offset (the next
// epoch's start offset, or the log end offset for the latest); -1, -1 when
// the log holds none. As in Kafka it is not bounded by the high watermark:
// a follower truncating to its leader needs the leader's log end.
func (p *Partition) EndOffsetForEpoch(epoch kafka.Epoch) (kafka.Epoch, kafka.Offset) {
	e, end := p.log.EndOffsetForEpoch(int32(epoch))
	return kafka.Epoch(e), kafka.Offset(end)
}
