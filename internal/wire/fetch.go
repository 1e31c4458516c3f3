package wire

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
)

// inlineRecords is the size under which a partition's record batches are
// copied into the frame's own bytes rather than handed on as a slice of
// their own: below it, a copy costs less than one more iovec.
const inlineRecords = 4 << 10

// FetchRegion is a partition's record batches sent from their segment file
// (sendfile) in place of its RecordBatches, which must be empty: the
// partition at Partitions[Partition] of Topics[Topic] in the response.
type FetchRegion struct {
	Topic, Partition int
	Region           kafka.FileRegion
	// At is set by AppendFetchResponse: the region follows pieces[:At] in
	// the frame and precedes pieces[At:].
	At int
}

// AppendFetchResponse encodes a Fetch response frame (size, header, body)
// as AppendResponse does, byte for byte at every version, without copying
// the record batches: it appends the frame's own bytes to dst and returns
// the frame in order in bufs, whose pieces slice the returned dst or are
// the responses' RecordBatches themselves (those of inlineRecords or more).
// regions, in response order, stand for their partitions' record batches
// and are placed between the pieces (FetchRegion.At). The caller writes
// bufs in order (net.Buffers: one writev), each region at its place, and
// keeps the record batches unchanged until then.
func AppendFetchResponse(dst []byte, bufs [][]byte, correlationID int32, resp *kmsg.FetchResponse, regions []FetchRegion) ([]byte, [][]byte) {
	e := fetchEncoder{dst: dst, start: len(dst), flexible: resp.Version >= 12, version: resp.Version, regions: regions}
	e.dst = append(e.dst, 0, 0, 0, 0)
	e.dst = binary.BigEndian.AppendUint32(e.dst, uint32(correlationID))
	if e.flexible {
		e.dst = append(e.dst, 0) // no tagged fields in the response header
	}
	e.body(resp)
	binary.BigEndian.PutUint32(e.dst[e.start:], uint32(len(e.dst)-e.start-4+e.external))
	return e.dst, e.pieces(bufs)
}

// fetchEncoder follows the field order of kmsg's FetchResponse.AppendTo.
type fetchEncoder struct {
	dst      []byte
	start    int // where the frame begins in dst
	version  int16
	flexible bool
	cuts     []cut // record batches not copied, in frame order
	external int   // their total length
	regions  []FetchRegion
	placed   int // regions encoded so far
	topic    int // index of the topic being encoded
}

// cut is a slice of record batches, or the region regions[region] when
// data is nil, that follows dst[:at] in the frame.
type cut struct {
	at     int
	data   []byte
	region int
}

// pieces returns the frame as slices in order, and places the regions.
func (e *fetchEncoder) pieces(bufs [][]byte) [][]byte {
	from := e.start
	for _, c := range e.cuts {
		bufs = append(bufs, e.dst[from:c.at])
		if c.data == nil {
			e.regions[c.region].At = len(bufs)
		} else {
			bufs = append(bufs, c.data)
		}
		from = c.at
	}
	return append(bufs, e.dst[from:])
}

func (e *fetchEncoder) body(r *kmsg.FetchResponse) {
	if e.version >= 1 {
		e.dst = kbin.AppendInt32(e.dst, r.ThrottleMillis)
	}
	if e.version >= 7 {
		e.dst = kbin.AppendInt16(e.dst, r.ErrorCode)
		e.dst = kbin.AppendInt32(e.dst, r.SessionID)
	}
	e.arrayLen(len(r.Topics))
	for i := range r.Topics {
		e.topic = i
		e.encodeTopic(&r.Topics[i])
	}
	if !e.flexible {
		return
	}
	n := r.UnknownTags.Len()
	if len(r.Brokers) > 0 {
		n++
	}
	e.dst = kbin.AppendUvarint(e.dst, uint32(n))
	if len(r.Brokers) > 0 {
		e.tagged(0, func() { e.brokers(r.Brokers) })
	}
	e.dst = r.UnknownTags.AppendEach(e.dst)
}

func (e *fetchEncoder) encodeTopic(t *kmsg.FetchResponseTopic) {
	if e.version <= 12 {
		e.string(t.Topic)
	} else {
		e.dst = append(e.dst, t.TopicID[:]...)
	}
	e.arrayLen(len(t.Partitions))
	for i := range t.Partitions {
		e.partition(i, &t.Partitions[i])
	}
	e.tags(&t.UnknownTags)
}

func (e *fetchEncoder) partition(i int, p *kmsg.FetchResponseTopicPartition) {
	e.dst = kbin.AppendInt32(e.dst, p.Partition)
	e.dst = kbin.AppendInt16(e.dst, p.ErrorCode)
	e.dst = kbin.AppendInt64(e.dst, p.HighWatermark)
	if e.version >= 4 {
		e.dst = kbin.AppendInt64(e.dst, p.LastStableOffset)
	}
	if e.version >= 5 {
		e.dst = kbin.AppendInt64(e.dst, p.LogStartOffset)
	}
	if e.version >= 4 {
		e.abortedTransactions(p.AbortedTransactions)
	}
	if e.version >= 11 {
		e.dst = kbin.AppendInt32(e.dst, p.PreferredReadReplica)
	}
	if r := e.placed; r < len(e.regions) && e.regions[r].Topic == e.topic && e.regions[r].Partition == i {
		e.region(r)
	} else {
		e.records(p.RecordBatches)
	}
	if e.flexible {
		e.partitionTags(p)
	}
}

func (e *fetchEncoder) abortedTransactions(ats []kmsg.FetchResponseTopicPartitionAbortedTransaction) {
	if e.flexible {
		e.dst = kbin.AppendCompactNullableArrayLen(e.dst, len(ats), ats == nil)
	} else {
		e.dst = kbin.AppendNullableArrayLen(e.dst, len(ats), ats == nil)
	}
	for i := range ats {
		e.dst = kbin.AppendInt64(e.dst, ats[i].ProducerID)
		e.dst = kbin.AppendInt64(e.dst, ats[i].FirstOffset)
		e.tags(&ats[i].UnknownTags)
	}
}

// records writes the nullable bytes of a partition's record batches: the
// length here, the bytes copied when short, else as a piece of their own.
func (e *fetchEncoder) records(b []byte) {
	switch {
	case b == nil && e.flexible:
		e.dst = append(e.dst, 0)
		return
	case b == nil:
		e.dst = kbin.AppendInt32(e.dst, -1)
		return
	case e.flexible:
		e.dst = kbin.AppendUvarint(e.dst, 1+uint32(len(b)))
	default:
		e.dst = kbin.AppendInt32(e.dst, int32(len(b)))
	}
	if len(b) < inlineRecords {
		e.dst = append(e.dst, b...)
		return
	}
	e.cuts = append(e.cuts, cut{at: len(e.dst), data: b})
	e.external += len(b)
}

// region writes the length of the record batches of regions[r], which
// follow as a piece of their own.
func (e *fetchEncoder) region(r int) {
	n := e.regions[r].Region.Length
	if e.flexible {
		e.dst = kbin.AppendUvarint(e.dst, 1+uint32(n))
	} else {
		e.dst = kbin.AppendInt32(e.dst, int32(n))
	}
	e.cuts = append(e.cuts, cut{at: len(e.dst), region: r})
	e.external += int(n)
	e.placed++
}

// partitionTags writes a partition's tagged fields (v12+): diverging
// epoch (0), current leader (1) and snapshot id (2) when not their
// defaults, then any unknown tags.
func (e *fetchEncoder) partitionTags(p *kmsg.FetchResponseTopicPartition) {
	de, cl, sn := p.DivergingEpoch, p.CurrentLeader, p.SnapshotID
	diverging := de.Epoch != -1 || de.EndOffset != -1 || de.UnknownTags.Len() > 0
	leader := cl.LeaderID != -1 || cl.LeaderEpoch != -1 || cl.UnknownTags.Len() > 0
	snapshot := sn.EndOffset != -1 || sn.Epoch != -1 || sn.UnknownTags.Len() > 0
	n := p.UnknownTags.Len()
	for _, set := range []bool{diverging, leader, snapshot} {
		if set {
			n++
		}
	}
	e.dst = kbin.AppendUvarint(e.dst, uint32(n))
	if diverging {
		e.tagged(0, func() {
			e.dst = kbin.AppendInt32(e.dst, de.Epoch)
			e.dst = kbin.AppendInt64(e.dst, de.EndOffset)
			e.tags(&de.UnknownTags)
		})
	}
	if leader {
		e.tagged(1, func() {
			e.dst = kbin.AppendInt32(e.dst, cl.LeaderID)
			e.dst = kbin.AppendInt32(e.dst, cl.LeaderEpoch)
			e.tags(&cl.UnknownTags)
		})
	}
	if snapshot {
		e.tagged(2, func() {
			e.dst = kbin.AppendInt64(e.dst, sn.EndOffset)
			e.dst = kbin.AppendInt32(e.dst, sn.Epoch)
			e.tags(&sn.UnknownTags)
		})
	}
	e.dst = p.UnknownTags.AppendEach(e.dst)
}

func (e *fetchEncoder) brokers(bs []kmsg.FetchResponseBroker) {
	e.arrayLen(len(bs))
	for i := range bs {
		b := &bs[i]
		e.dst = kbin.AppendInt32(e.dst, b.NodeID)
		e.string(b.Host)
		e.dst = kbin.AppendInt32(e.dst, b.Port)
		if b.Rack == nil {
			e.dst = append(e.dst, 0) // brokers are a v16+ (flexible) field
		} else {
			e.string(*b.Rack)
		}
		e.tags(&b.UnknownTags)
	}
}

// tagged writes tag, then the size of what field writes, then that. The
// fields are written into dst once and moved after their size, which
// never holds record batches, so no cut lies inside.
func (e *fetchEncoder) tagged(tag uint32, field func()) {
	e.dst = kbin.AppendUvarint(e.dst, tag)
	at := len(e.dst)
	field()
	n := len(e.dst) - at
	var size [5]byte
	sized := kbin.AppendUvarint(size[:0], uint32(n))
	e.dst = append(e.dst, sized...) // grow by the size's length
	copy(e.dst[at+len(sized):], e.dst[at:at+n])
	copy(e.dst[at:], sized)
}

func (e *fetchEncoder) arrayLen(n int) {
	if e.flexible {
		e.dst = kbin.AppendCompactArrayLen(e.dst, n)
	} else {
		e.dst = kbin.AppendArrayLen(e.dst, n)
	}
}

func (e *fetchEncoder) string(s string) {
	if e.flexible {
		e.dst = kbin.AppendCompactString(e.dst, s)
	} else {
		e.dst = kbin.AppendString(e.dst, s)
	}
}

// tags writes the unknown tags of a struct with no tagged fields of its
// own (flexible versions only).
func (e *fetchEncoder) tags(t *kmsg.Tags) {
	if !e.flexible {
		return
	}
	e.dst = kbin.AppendUvarint(e.dst, uint32(t.Len()))
	e.dst = t.AppendEach(e.dst)
}
