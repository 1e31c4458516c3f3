// Package record handles Kafka record batches (format v2, magic 2) as bytes.
//
// A Batch is a byte slice holding exactly one batch as it travels on the wire
// and lies on disk. Accessors read the 61-byte header in place; the broker
// patches only the base offset and the partition leader epoch, which lie
// outside the CRC, so a stored batch stays byte-identical to what the
// producer sent (unless the topic's compression.type names another codec:
// then Recompress builds it again):
//
//	offset  size  field
//	 0       8    baseOffset
//	 8       4    batchLength            bytes after this field
//	12       4    partitionLeaderEpoch
//	16       1    magic                  2
//	17       4    crc                    CRC32C of bytes [21, end)
//	21       2    attributes             bits 0-2 codec, 3 timestampType,
//	                                     4 transactional, 5 control,
//	                                     6 hasDeleteHorizonMs
//	23       4    lastOffsetDelta
//	27       8    baseTimestamp
//	35       8    maxTimestamp
//	43       8    producerId
//	51       2    producerEpoch
//	53       4    baseSequence
//	57       4    recordsCount
//	61       -    records (compressed as a whole when codec != none)
//
// Each record is varint-framed (zigzag varints as in Kafka):
//
//	length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//	keyLength varint, key, valueLength varint, value,
//	headerCount varint, then per header: keyLength, key, valueLength, value
//
// Validate, ValidateProduce and Split look only at headers and never
// decompress: they are for the hot paths. Records decompresses and decodes,
// and is for compaction, tests and tools. ScanHeads streams a batch's record
// heads (offset, timestamp, key, value length) without holding any value,
// and stops as soon as its caller has its answer: the key check of a
// compacted topic and ListOffsets by timestamp use it.
//
// Decompression bombs: no batch inflates past MaxUncompressedBytes (a
// Gregor limit; Kafka has none and inflates record by record), refused as
// ErrInvalid (CORRUPT_MESSAGE); at most max(4, GOMAXPROCS) batches are
// inflated at once in the process. Nothing here allocates on the word of a
// length field more than the bytes actually present justify.
package record
