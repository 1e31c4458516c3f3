package kafka

// AbortedTransaction is one entry of a partition's aborted-transaction
// index: the producer whose transaction was aborted, the offset of its
// first record in the partition and the offset of the abort marker, and
// the last stable offset once the marker was written. A read_committed
// consumer skips that producer's records between FirstOffset and
// LastOffset.
type AbortedTransaction struct {
	ProducerID       ProducerID
	FirstOffset      Offset
	LastOffset       Offset
	LastStableOffset Offset
}

// ActiveProducer is what the log cleaner must keep of a producer whose
// state has not expired (Kafka's LastRecord): the batch ending at
// LastDataOffset, which carries its last sequence, or, when its current
// epoch wrote no data (LastDataOffset -1), a marker of Epoch.
type ActiveProducer struct {
	LastDataOffset Offset
	Epoch          int16
}
