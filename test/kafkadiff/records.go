package kafkadiff

import (
	"bytes"
	"encoding/binary"

	"github.com/pierrec/lz4/v4"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// Batch header offsets (the v2 record batch format).
const (
	offCRC          = 17
	offMaxTimestamp = 35
	offNumRecords   = 57
	offLastDelta    = 23
)

// recordScenarios are produce requests whose batch is well framed, with a
// valid CRC, but whose records are not what the header says: what each
// broker answers, and what it stored.
var recordScenarios = map[string]func(s *session) any{
	"produce-record-length-lies": func(s *session) any {
		b := batch(2, 10)
		rec := b[record.HeaderSize:]
		n, w := binary.Varint(rec)
		binary.PutVarint(rec[:w], n+1) // the same width for a short record
		return s.produceFixed("t", b)
	},
	"produce-record-offset-delta-gap": func(s *session) any {
		b := batch(2, 10)
		setOffsetDelta(recordAt(b, 1), 5) // offsetDelta 1 becomes 5
		return s.produceFixed("t", b)
	},
	"produce-records-fewer-than-counted": func(s *session) any {
		// numRecords 3, lastOffsetDelta 2, but two records' bytes.
		b := batch(2, 10)
		binary.BigEndian.PutUint32(b[offNumRecords:], 3)
		binary.BigEndian.PutUint32(b[offLastDelta:], 2)
		return s.produceFixed("t", b)
	},
	"produce-records-more-than-counted": func(s *session) any {
		// numRecords 1, lastOffsetDelta 0, and a second record's bytes after.
		b := batch(2, 10)
		binary.BigEndian.PutUint32(b[offNumRecords:], 1)
		binary.BigEndian.PutUint32(b[offLastDelta:], 0)
		return s.produceFixed("t", b)
	},
	"produce-lz4-record-length-lies": func(s *session) any {
		body := batch(2, 10)[record.HeaderSize:]
		n, w := binary.Varint(body)
		binary.PutVarint(body[:w], n+1)
		return s.produceFixed("t", withLZ4Body(body, nil))
	},
	"produce-lz4-records-fewer-than-counted": func(s *session) any {
		return s.produceFixed("t", withLZ4Body(batch(2, 10)[record.HeaderSize:], func(b []byte) {
			binary.BigEndian.PutUint32(b[offNumRecords:], 3)
			binary.BigEndian.PutUint32(b[offLastDelta:], 2)
		}))
	},
	"produce-lz4-records-more-than-counted": func(s *session) any {
		return s.produceFixed("t", withLZ4Body(batch(2, 10)[record.HeaderSize:], func(b []byte) {
			binary.BigEndian.PutUint32(b[offNumRecords:], 1)
			binary.BigEndian.PutUint32(b[offLastDelta:], 0)
		}))
	},
	"produce-lz4-garbage": func(s *session) any {
		b := withLZ4Body(batch(2, 10)[record.HeaderSize:], nil)
		for i := record.HeaderSize + 8; i < len(b); i++ {
			b[i] ^= 0x5a
		}
		return s.produceFixed("t", b)
	},
	"produce-producer-id-without-sequence": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		return s.produce(s.max(0), topic, 0, idempotentBatch(1, 10, 12345, 0, -1))
	},
	"produce-lz4-offset-deltas-gap": func(s *session) any {
		// Three records whose offset deltas say 0, 2, 5: what is stored.
		topic := s.name("t")
		s.createTopic(topic, 1)
		plain := batch(3, 10)
		setOffsetDelta(recordAt(plain, 1), 2)
		setOffsetDelta(recordAt(plain, 2), 5)
		b := withLZ4Body(plain[record.HeaderSize:], func(b []byte) {
			binary.BigEndian.PutUint32(b[offNumRecords:], 3)
			binary.BigEndian.PutUint32(b[offLastDelta:], 2)
		})
		fixCRC(b)
		out := []any{s.produce(s.max(0), topic, 0, b)}
		fetched := s.fetch(s.max(1), topic, 0, 0)
		if len(fetched.Topics) > 0 && len(fetched.Topics[0].Partitions) > 0 {
			var offsets []int64
			if recs, err := record.Split(fetched.Topics[0].Partitions[0].RecordBatches); err == nil {
				for _, rb := range recs {
					rs, err := rb.Records()
					if err != nil {
						offsets = append(offsets, -100)
					}
					for _, r := range rs {
						offsets = append(offsets, r.Offset)
					}
				}
			}
			out = append(out, map[string]any{"StoredOffsets": offsets})
		}
		return out
	},
	"produce-max-timestamp-lies": func(s *session) any {
		// The header says the first record's timestamp is the largest; the
		// third is 2 ms later. What is stored: the header read back, and
		// ListOffsets' max timestamp (-3).
		topic := s.name("t")
		s.createTopic(topic, 1)
		b := batch(3, 10)
		binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(baseTime))
		fixCRC(b)
		resp := s.produce(s.max(0), topic, 0, b)
		out := []any{resp}
		if fetched := s.fetch(s.max(1), topic, 0, 0); len(fetched.Topics) > 0 && len(fetched.Topics[0].Partitions) > 0 {
			if recs := fetched.Topics[0].Partitions[0].RecordBatches; len(recs) >= record.HeaderSize {
				out = append(out, map[string]int64{"StoredMaxTimestampAfterFirst": record.Batch(recs).MaxTimestamp() - baseTime})
			}
		}
		if lo, ok := listOffset(s, topic, -3).(*kmsg.ListOffsetsResponse); ok && len(lo.Topics) > 0 && len(lo.Topics[0].Partitions) > 0 {
			p := lo.Topics[0].Partitions[0]
			out = append(out, map[string]int64{"MaxTimestampOffset": p.Offset, "MaxTimestampAfterFirst": p.Timestamp - baseTime})
		}
		return out
	},
	"produce-record-timestamp-before-bound-inside-batch": func(s *session) any {
		// The first record is recent; the second is from 1970.
		topic := s.name("t")
		s.createTopic(topic, 1, "message.timestamp.before.max.ms", "60000")
		b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: []record.Record{
			{Timestamp: baseTime, Value: []byte("a")}, {Timestamp: 1000, Value: []byte("b")}}})
		if err != nil {
			panic(err)
		}
		return s.produce(s.max(0), topic, 0, b)
	},
}

// produceFixed creates a topic named by suffix and produces b to it after
// recomputing b's CRC.
func (s *session) produceFixed(suffix string, b []byte) any {
	topic := s.name(suffix)
	s.createTopic(topic, 1)
	fixCRC(b)
	return s.produce(s.max(0), topic, 0, b)
}

// recordAt returns the bytes of an uncompressed batch from its i-th record.
func recordAt(b []byte, i int) []byte {
	rec := b[record.HeaderSize:]
	for range i {
		n, w := binary.Varint(rec)
		rec = rec[w+int(n):]
	}
	return rec
}

// withLZ4Body is a batch of two records' header (patched by patch) over
// body compressed with lz4, its length made right.
func withLZ4Body(body []byte, patch func([]byte)) []byte {
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if _, err := w.Write(body); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	b := append(append([]byte(nil), batch(2, 10)[:record.HeaderSize]...), buf.Bytes()...)
	binary.BigEndian.PutUint16(b[21:], binary.BigEndian.Uint16(b[21:])|3) // attributes: lz4
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	if patch != nil {
		patch(b)
	}
	return b
}

// setOffsetDelta sets the offset delta of the record rec starts with to
// d, a value whose varint takes one byte as the one it replaces.
func setOffsetDelta(rec []byte, d int64) {
	_, w := binary.Varint(rec) // length
	w++                        // attributes
	_, tw := binary.Varint(rec[w:])
	w += tw
	binary.PutVarint(rec[w:w+1], d)
}

func fixCRC(b []byte) {
	binary.BigEndian.PutUint32(b[offCRC:], record.Batch(b).ComputeCRC())
}

func init() {
	for name, fn := range recordScenarios {
		errorScenarios[name] = fn
	}
}
