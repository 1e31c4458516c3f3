package wire

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
)

// fetchVersions are the Fetch versions the encoder is compared at: every
// version kmsg knows.
func fetchVersions() []int16 {
	var vs []int16
	for v := int16(0); v <= kmsg.NewPtrFetchResponse().MaxVersion(); v++ {
		vs = append(vs, v)
	}
	return vs
}

// checkFetchEncoding encodes resp with AppendFetchResponse after prefix
// and with kmsg (AppendResponse) and fails on any difference.
func checkFetchEncoding(t testing.TB, resp *kmsg.FetchResponse, prefix []byte) {
	t.Helper()
	want := AppendResponse(nil, 77, resp)
	dst, bufs := AppendFetchResponse(append([]byte(nil), prefix...), nil, 77, resp, nil)
	if !bytes.Equal(dst[:len(prefix)], prefix) {
		t.Fatalf("v%d: the bytes before the frame changed", resp.Version)
	}
	got := bytes.Join(bufs, nil)
	if !bytes.Equal(got, want) {
		at := 0
		for at < min(len(got), len(want)) && got[at] == want[at] {
			at++
		}
		t.Fatalf("v%d: frame differs from kmsg's at byte %d (len %d, want %d)", resp.Version, at, len(got), len(want))
	}
}

// TestAppendFetchResponseMatchesKmsg proves that the vectored Fetch encoder
// writes, at every version, the bytes kmsg's encoder writes, over many
// random responses: topics, errors, aborted transactions (null, empty,
// some), record batches (null, empty, inlined, handed on as slices),
// tagged fields (diverging epoch, current leader, snapshot id, brokers,
// unknown tags).
func TestAppendFetchResponseMatchesKmsg(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range fetchVersions() {
		for i := 0; i < 300; i++ {
			checkFetchEncoding(t, randomFetchResponse(rng, v), randomBytes(rng, rng.IntN(3)*7))
		}
	}
}

// TestAppendFetchResponseHandsOnLargeRecords proves that record batches of
// inlineRecords or more are not copied: the pieces are the caller's slices.
func TestAppendFetchResponseHandsOnLargeRecords(t *testing.T) {
	large := bytes.Repeat([]byte{7}, inlineRecords)
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 12
	topic := kmsg.NewFetchResponseTopic()
	for i := range 3 {
		p := kmsg.NewFetchResponseTopicPartition()
		p.Partition = int32(i)
		p.RecordBatches = large
		topic.Partitions = append(topic.Partitions, p)
	}
	resp.Topics = append(resp.Topics, topic)
	_, bufs := AppendFetchResponse(nil, nil, 1, resp, nil)
	if len(bufs) != 7 {
		t.Fatalf("%d pieces, want 7 (3 record sets between 4 header parts)", len(bufs))
	}
	for i := 1; i < len(bufs); i += 2 {
		if &bufs[i][0] != &large[0] {
			t.Fatalf("piece %d is a copy", i)
		}
	}
	checkFetchEncoding(t, resp, nil)
}

// TestAppendFetchResponseRegions proves that record batches given as file
// regions are framed as kmsg frames the same bytes given as RecordBatches,
// at every version: the regions' bytes, sent at their places between the
// pieces, complete the frame.
func TestAppendFetchResponseRegions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	f, err := os.CreateTemp(t.TempDir(), "segment")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fileSize int64
	for _, v := range fetchVersions() {
		for range 200 {
			resp := randomFetchResponse(rng, v)
			want := AppendResponse(nil, 77, resp)
			var regions []FetchRegion
			for ti := range resp.Topics {
				for pi := range resp.Topics[ti].Partitions {
					p := &resp.Topics[ti].Partitions[pi]
					if p.RecordBatches == nil || rng.IntN(3) == 0 {
						continue
					}
					pos := fileSize + rng.Int64N(10)
					if _, err := f.WriteAt(p.RecordBatches, pos); err != nil {
						t.Fatal(err)
					}
					fileSize = pos + int64(len(p.RecordBatches))
					region := kafka.NewFileRegion(f, pos, int64(len(p.RecordBatches)), nil)
					regions = append(regions, FetchRegion{Topic: ti, Partition: pi, Region: region})
					p.RecordBatches = []byte{}
				}
			}
			_, bufs := AppendFetchResponse(nil, nil, 77, resp, regions)
			if got := joinWithRegions(t, bufs, regions); !bytes.Equal(got, want) {
				t.Fatalf("v%d: frame with %d regions differs from kmsg's (len %d, want %d)", v, len(regions), len(got), len(want))
			}
		}
	}
}

// joinWithRegions is the frame a server sends: the pieces, and each
// region's bytes at its place.
func joinWithRegions(t *testing.T, bufs [][]byte, regions []FetchRegion) []byte {
	var out []byte
	next := 0
	for i := 0; i <= len(bufs); i++ {
		for ; next < len(regions) && regions[next].At == i; next++ {
			r := regions[next].Region
			b := make([]byte, r.Length)
			if _, err := r.File.ReadAt(b, r.Position); err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		if i < len(bufs) {
			out = append(out, bufs[i]...)
		}
	}
	if next != len(regions) {
		t.Fatalf("%d of %d regions placed", next, len(regions))
	}
	return out
}

// FuzzAppendFetchResponse proves that any Fetch response kmsg can decode
// is encoded by AppendFetchResponse exactly as kmsg encodes it.
func FuzzAppendFetchResponse(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range fetchVersions() {
		resp := randomFetchResponse(rng, v)
		f.Add(int16(v), resp.AppendTo(nil))
	}
	f.Fuzz(func(t *testing.T, version int16, body []byte) {
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = version
		if version < 0 || version > resp.MaxVersion() || resp.ReadFrom(body) != nil {
			return
		}
		checkFetchEncoding(t, resp, nil)
	})
}

func randomFetchResponse(rng *rand.Rand, version int16) *kmsg.FetchResponse {
	flexible := version >= 12
	r := kmsg.NewPtrFetchResponse()
	r.Version = version
	r.ThrottleMillis = rng.Int32N(1000)
	if rng.IntN(4) == 0 {
		r.ErrorCode = int16(rng.IntN(120) - 1)
	}
	r.SessionID = rng.Int32()
	for range rng.IntN(4) {
		r.Topics = append(r.Topics, randomFetchTopic(rng, flexible))
	}
	if flexible {
		for range rng.IntN(3) {
			b := kmsg.NewFetchResponseBroker()
			b.NodeID, b.Host, b.Port = rng.Int32N(10), randomString(rng), rng.Int32N(65536)
			if rng.IntN(2) == 0 {
				rack := randomString(rng)
				b.Rack = &rack
			}
			randomTags(rng, &b.UnknownTags)
			r.Brokers = append(r.Brokers, b)
		}
		randomTags(rng, &r.UnknownTags)
	}
	return r
}

func randomFetchTopic(rng *rand.Rand, flexible bool) kmsg.FetchResponseTopic {
	t := kmsg.NewFetchResponseTopic()
	t.Topic = randomString(rng)
	for i := range t.TopicID {
		t.TopicID[i] = byte(rng.IntN(256))
	}
	for range rng.IntN(5) {
		t.Partitions = append(t.Partitions, randomFetchPartition(rng, flexible))
	}
	if flexible {
		randomTags(rng, &t.UnknownTags)
	}
	return t
}

func randomFetchPartition(rng *rand.Rand, flexible bool) kmsg.FetchResponseTopicPartition {
	p := kmsg.NewFetchResponseTopicPartition()
	p.Partition = rng.Int32N(100)
	if rng.IntN(4) == 0 {
		p.ErrorCode = int16(rng.IntN(120) - 1)
	}
	p.HighWatermark, p.LastStableOffset, p.LogStartOffset = rng.Int64(), rng.Int64(), rng.Int64N(1<<40)-1
	switch rng.IntN(3) {
	case 0:
		p.AbortedTransactions = nil
	case 1:
		p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
	default:
		for range 1 + rng.IntN(3) {
			at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
			at.ProducerID, at.FirstOffset = rng.Int64(), rng.Int64()
			if flexible {
				randomTags(rng, &at.UnknownTags)
			}
			p.AbortedTransactions = append(p.AbortedTransactions, at)
		}
	}
	if rng.IntN(3) == 0 {
		p.PreferredReadReplica = rng.Int32N(5)
	}
	switch rng.IntN(4) {
	case 0:
		p.RecordBatches = nil
	case 1:
		p.RecordBatches = []byte{}
	case 2:
		p.RecordBatches = randomBytes(rng, rng.IntN(inlineRecords))
	default:
		p.RecordBatches = randomBytes(rng, inlineRecords+rng.IntN(3*inlineRecords))
	}
	if flexible {
		if rng.IntN(3) == 0 {
			p.DivergingEpoch.Epoch, p.DivergingEpoch.EndOffset = rng.Int32N(50), rng.Int64N(1<<20)
			randomTags(rng, &p.DivergingEpoch.UnknownTags)
		}
		if rng.IntN(3) == 0 {
			p.CurrentLeader.LeaderID, p.CurrentLeader.LeaderEpoch = rng.Int32N(5), rng.Int32N(50)
			randomTags(rng, &p.CurrentLeader.UnknownTags)
		}
		if rng.IntN(5) == 0 {
			p.SnapshotID.EndOffset, p.SnapshotID.Epoch = rng.Int64N(1<<20), rng.Int32N(50)
		}
		randomTags(rng, &p.UnknownTags)
	}
	return p
}

// randomTags sometimes adds unknown tags, numbered above Kafka's own.
func randomTags(rng *rand.Rand, t *kmsg.Tags) {
	if rng.IntN(6) != 0 {
		return
	}
	for range 1 + rng.IntN(2) {
		t.Set(uint32(10+rng.IntN(200)), randomBytes(rng, rng.IntN(200)))
	}
}

func randomString(rng *rand.Rand) string {
	return string(bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(300)))
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}
