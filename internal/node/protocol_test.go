package node_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// rawConn is a hand-driven Kafka connection for protocol edge cases.
type rawConn struct {
	t    testing.TB
	conn net.Conn
}

func dial(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, conn: c}
}

func (c *rawConn) sendFrame(payload []byte) {
	c.t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	if _, err := c.conn.Write(append(frame, payload...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) send(req kmsg.Request, correlationID int32) {
	c.t.Helper()
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(correlationID))
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "test"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	c.sendFrame(req.AppendTo(b))
}

// receive reads one response and returns its correlation id and body
// (after the header, whose tagged fields are skipped when flexible).
func (c *rawConn) receive(flexibleHeader bool) (int32, []byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.conn, size[:]); err != nil {
		return 0, nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.conn, buf); err != nil {
		return 0, nil, err
	}
	body := buf[4:]
	if flexibleHeader {
		body = body[1:]
	}
	return int32(binary.BigEndian.Uint32(buf)), body, nil
}

// TestApiVersionsUnsupportedVersion proves the KIP-511 fallback: a version
// above ours gets a v0 answer with UNSUPPORTED_VERSION and our range.
func TestApiVersionsUnsupportedVersion(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	c := dial(t, n.Addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(4)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
	c.send(req, 1)
	// Claim version 127 with the v4 body: the server must not decode it.
	raw := []byte{0, 18, 0, 127, 0, 0, 0, 2, 0, 0, 0, 0}
	c.sendFrame(raw)
	for i, want := range []int32{1, 2} {
		id, body, err := c.receive(false)
		if err != nil || id != want {
			t.Fatalf("response %d: id %d err %v", i, id, err)
		}
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.SetVersion(0)
		if want == 1 {
			resp.SetVersion(4)
		}
		if err := resp.ReadFrom(body); err != nil {
			t.Fatal(err)
		}
		if want == 2 && (resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) != 1 || resp.ApiKeys[0].MaxVersion != 4) {
			t.Fatalf("fallback answer: %+v", resp)
		}
		if want == 1 && (resp.ErrorCode != 0 || len(resp.ApiKeys) < 10) {
			t.Fatalf("v4 answer: %+v", resp)
		}
	}
}

// TestApiVersionsListsProduceFromV0 proves that ApiVersions lists Produce
// from v0, as Kafka 4 does so that librdkafka compresses (KAFKA-18659), while
// a Produce request at v0–2 is still refused by closing the connection.
func TestApiVersionsListsProduceFromV0(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	c := dial(t, n.Addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
	c.send(req, 1)
	_, body, err := c.receive(false)
	if err != nil {
		t.Fatal(err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(3)
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	var produce *kmsg.ApiVersionsResponseApiKey
	for i := range resp.ApiKeys {
		if resp.ApiKeys[i].ApiKey == 0 {
			produce = &resp.ApiKeys[i]
		}
	}
	if produce == nil || produce.MinVersion != 0 || produce.MaxVersion != 13 {
		t.Fatalf("Produce listed as %+v, want v0–13", produce)
	}
	for v := int16(0); v <= 2; v++ {
		p := kmsg.NewPtrProduceRequest()
		p.SetVersion(v)
		p.Acks, p.TimeoutMillis = 1, 1000
		topic := kmsg.NewProduceRequestTopic()
		topic.Topic = "old-produce"
		part := kmsg.NewProduceRequestTopicPartition()
		part.Records = []byte{0}
		topic.Partitions = append(topic.Partitions, part)
		p.Topics = append(p.Topics, topic)
		old := dial(t, n.Addr)
		old.send(p, 2)
		if _, _, err := old.receive(false); err == nil {
			t.Errorf("Produce v%d was answered; want the connection closed", v)
		}
	}
}

// TestMalformedFramesCloseOnlyTheirConnection proves that garbage, a
// truncated body, an unknown API key and an oversized frame each close the
// offending connection without disturbing another client.
func TestMalformedFramesCloseOnlyTheirConnection(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"socket.request.max.bytes": "1048576"})
	healthy := dial(t, n.Addr)
	for name, payload := range map[string][]byte{
		"garbage":         {1, 2, 3},
		"truncated-body":  {0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 200},
		"unknown-api-key": {0x7f, 0, 0, 0, 0, 0, 0, 1, 0, 0},
		"huge-array":      {0, 3, 0, 4, 0, 0, 0, 1, 0, 0, 0x7f, 0xff, 0xff, 0xff},
	} {
		c := dial(t, n.Addr)
		c.sendFrame(payload)
		if _, _, err := c.receive(false); err == nil {
			t.Errorf("%s: got a response instead of a closed connection", name)
		}
	}
	oversized := dial(t, n.Addr)
	oversized.conn.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	if _, _, err := oversized.receive(false); err == nil {
		t.Error("oversized frame: connection still open")
	}
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	healthy.send(req, 9)
	id, _, err := healthy.receive(true)
	if err != nil || id != 9 {
		t.Fatalf("healthy connection: id %d, err %v", id, err)
	}
}

// TestPipelinedRequestsAnsweredInOrder proves responses follow request
// order on one connection even when requests are sent back to back.
func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	c := dial(t, n.Addr)
	for i := int32(0); i < 50; i++ {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(int16(i % 13))
		c.send(req, i)
	}
	for i := int32(0); i < 50; i++ {
		id, _, err := c.receive(i%13 >= 9)
		if err != nil || id != i {
			t.Fatalf("response %d: id %d err %v", i, id, err)
		}
	}
}

// TestMetadataAnswersTheListenerConnectedTo proves that with two listeners
// each client is told the address of the listener it connected to.
func TestMetadataAnswersTheListenerConnectedTo(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:0,EXTERNAL://127.0.0.2:0",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
		"inter.broker.listener.name":     "PLAINTEXT",
	})
	addrs := n.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("bound %v", addrs)
	}
	for _, a := range addrs {
		meta, err := kadm.NewClient(newClient(t, a.String())).BrokerMetadata(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		tcp := a.(*net.TCPAddr)
		if b := meta.Brokers[0]; b.Host != tcp.IP.String() || b.Port != int32(tcp.Port) {
			t.Fatalf("connected to %s, told %s:%d", a, b.Host, b.Port)
		}
	}
}

// TestAcksZeroErrorClosesConnection proves that an acks=0 produce that
// fails (here: an unknown partition) closes the connection, the only signal
// a producer that reads no response gets, while a good one leaves it open.
func TestAcksZeroErrorClosesConnection(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"auto.create.topics.enable": "false"})
	createTopic(t, n.Addr, "a0", 1, nil)
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	produce := func(c *rawConn, partition int32) {
		req := kmsg.NewPtrProduceRequest()
		req.SetVersion(9)
		req.Acks = 0
		req.Topics = []kmsg.ProduceRequestTopic{{Topic: "a0", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: partition, Records: b}}}}
		c.send(req, 1)
	}
	ok := dial(t, n.Addr)
	produce(ok, 0)
	meta := kmsg.NewPtrMetadataRequest()
	meta.SetVersion(12)
	ok.send(meta, 2)
	if id, _, err := ok.receive(true); err != nil || id != 2 {
		t.Fatalf("after a good acks=0 produce: id %d, err %v", id, err)
	}
	bad := dial(t, n.Addr)
	produce(bad, 7)
	if _, _, err := bad.receive(true); err == nil {
		t.Fatal("connection still open after a failed acks=0 produce")
	}
}

// TestLyingTagCountClosesConnectionAtOnce proves that flexible requests
// whose tagged-field count claims billions of fields beyond the bytes sent
// are refused by closing their connections at once, many in parallel, while
// a well-behaved client on another connection is answered. A decoder that
// trusted the count looped up to 2^32 times per request, seconds of CPU
// each.
func TestLyingTagCountClosesConnectionAtOnce(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	healthy := dial(t, n.Addr)
	lie := []byte{0xff, 0xff, 0xff, 0xff, 0x0f} // uvarint 2^32-1
	header := []byte{0, 3, 0, 12, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't', 0}
	frames := map[string][]byte{
		// Metadata v12: null topics, two booleans, then the lying count.
		"body-tags": append(append(header[:len(header):len(header)], 0, 1, 0), lie...),
		// The lie inside the request header's own tagged fields.
		"header-tags": append(header[:len(header)-1:len(header)-1], lie...),
	}
	const parallel = 20
	start := time.Now()
	errs := make(chan error, parallel*len(frames))
	for name, frame := range frames {
		for range parallel {
			go func() {
				c := dial(t, n.Addr)
				c.sendFrame(frame)
				if _, _, err := c.receive(true); err == nil {
					errs <- fmt.Errorf("%s: answered instead of closing the connection", name)
					return
				}
				errs <- nil
			}()
		}
	}
	for range parallel * len(frames) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Generous for a loaded 2-core machine; a decoder that trusts the
	// count needs seconds of CPU for each of the 40 requests.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("40 lying requests took %v to refuse", took)
	}
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	healthy.send(req, 7)
	if id, _, err := healthy.receive(true); err != nil || id != 7 {
		t.Fatalf("healthy connection: id %d, err %v", id, err)
	}
}

// TestProduceRecordsCheckedAsKafka proves Kafka's checks of a partition's
// records in a Produce request (ProduceRequest.validateRecords): exactly
// one record batch, and no zstd batch before Produce v7, which answer
// INVALID_RECORD and UNSUPPORTED_COMPRESSION_TYPE for that partition only,
// while the request's other partition is appended.
func TestProduceRecordsCheckedAsKafka(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "checked", 2, nil)
	batch := func(codec record.Codec) record.Batch {
		b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: codec,
			Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("v")}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := dial(t, n.Addr)
	for i, tc := range []struct {
		name    string
		version int16
		records []byte
		want    int16
	}{
		{"two batches", 9, append(append([]byte(nil), batch(record.CodecNone)...), batch(record.CodecNone)...), kerr.InvalidRecord.Code},
		{"zstd at v6", 6, batch(record.CodecZstd), kerr.UnsupportedCompressionType.Code},
		{"zstd at v7", 7, batch(record.CodecZstd), 0},
		{"one batch at v3", 3, batch(record.CodecSnappy), 0},
	} {
		req := kmsg.NewPtrProduceRequest()
		req.SetVersion(tc.version)
		req.Acks, req.TimeoutMillis = 1, 10000
		req.Topics = []kmsg.ProduceRequestTopic{{Topic: "checked", Partitions: []kmsg.ProduceRequestTopicPartition{
			{Partition: 0, Records: tc.records}, {Partition: 1, Records: batch(record.CodecNone)}}}}
		c.send(req, int32(i))
		id, body, err := c.receive(tc.version >= 9)
		if err != nil || id != int32(i) {
			t.Fatalf("%s: id %d, %v", tc.name, id, err)
		}
		resp := kmsg.NewPtrProduceResponse()
		resp.SetVersion(tc.version)
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, p := range resp.Topics[0].Partitions {
			want := tc.want
			if p.Partition == 1 {
				want = 0
			}
			if p.ErrorCode != want {
				t.Errorf("%s: partition %d answered %v, want %v", tc.name, p.Partition, kerr.ErrorForCode(p.ErrorCode), kerr.ErrorForCode(want))
			}
			if (p.ErrorCode == 0) != (p.BaseOffset >= 0) {
				t.Errorf("%s: partition %d error %d with base offset %d", tc.name, p.Partition, p.ErrorCode, p.BaseOffset)
			}
		}
	}
}
