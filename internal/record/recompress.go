package record

import "fmt"

// Recompress returns b re-encoded with codec target at level (BatchSpec.Level), as Kafka's leader does
// for a topic whose compression.type names a codec: the records are
// decoded and built again (Build) with the same base and last offset,
// leader epoch, producer id, epoch and base sequence, transactional bit,
// timestamp type and timestamps, and a new CRC. A batch already in the
// target codec, and a control batch (never compressed), come back as they
// are, without a copy. It decompresses: it is for batches that must change,
// never for the path that keeps the producer's codec.
func (b Batch) Recompress(target Codec, level int) (Batch, error) {
	if b.Codec() == target || b.IsControl() {
		return b, nil
	}
	records, err := b.Records()
	if err != nil {
		return nil, fmt.Errorf("recompress %s batch: %w", b.Codec(), err)
	}
	return Build(BatchSpec{
		BaseOffset: b.BaseOffset(), PartitionLeaderEpoch: b.PartitionLeaderEpoch(),
		ProducerID: b.ProducerID(), ProducerEpoch: b.ProducerEpoch(), BaseSequence: b.BaseSequence(),
		Transactional: b.IsTransactional(), Codec: target, Level: level, Records: records,
		LastOffsetDelta: b.LastOffsetDelta(), LogAppendTime: b.LogAppendTime(),
	})
}
