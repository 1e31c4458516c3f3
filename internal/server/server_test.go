package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/wire"
)

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, req *wire.Request) (kmsg.Response, error)

func (f handlerFunc) Serve(ctx context.Context, req *wire.Request) (kmsg.Response, error) {
	return f(ctx, req)
}

// start serves h on a loopback listener named CLIENT and returns a
// connection to it.
func start(t testing.TB, h Handler) net.Conn {
	reg := wire.NewRegistry()
	reg.Add(18, 0, 4)
	reg.Add(3, 0, 12)
	return startWith(t, h, reg)
}

// startWith is start serving the APIs of reg.
func startWith(t testing.TB, h Handler, reg *wire.Registry) net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, Registry: reg, ListenerName: "CLIENT", SecurityProtocol: "PLAINTEXT",
		MaxRequestBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		<-done
	})
	return conn
}

// frame encodes req at version v with header v1, as a non-flexible client would.
func frame(req kmsg.Request, v int16, correlationID int32) []byte {
	req.SetVersion(v)
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(v))
	b = binary.BigEndian.AppendUint32(b, uint32(correlationID))
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, 'c')
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// readResponse reads one response frame and returns its correlation id.
func readResponse(t testing.TB, r io.Reader) int32 {
	f, err := wire.ReadFrame(r, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return int32(binary.BigEndian.Uint32(f))
}

// TestSessionAndSent proves that every request on a connection carries the
// same session (listener, security protocol, client address, anonymous
// principal), and that Sent runs after the response is encoded.
func TestSessionAndSent(t *testing.T) {
	var sessions []*wire.Session
	sent := 0
	conn := start(t, handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		sessions = append(sessions, req.Session)
		req.AfterSent(func() { sent++ })
		return req.Body.ResponseKind(), nil
	}))
	r := bufio.NewReader(conn)
	for i := int32(1); i <= 2; i++ {
		if _, err := conn.Write(frame(kmsg.NewPtrMetadataRequest(), 4, i)); err != nil {
			t.Fatal(err)
		}
		if got := readResponse(t, r); got != i {
			t.Fatalf("correlation id %d, want %d", got, i)
		}
	}
	if len(sessions) != 2 || sessions[0] != sessions[1] || sent != 2 {
		t.Fatalf("%d requests, same session %v, sent %d", len(sessions), len(sessions) == 2 && sessions[0] == sessions[1], sent)
	}
	s := sessions[0]
	if s.Listener != "CLIENT" || s.SecurityProtocol != "PLAINTEXT" || s.ClientHost != "/127.0.0.1" ||
		s.Principal != acl.Anonymous || s.RemoteAddr.String() != conn.LocalAddr().String() {
		t.Fatalf("session %+v", s)
	}
}

// TestUnsupportedApiVersions proves that an ApiVersions request at a
// version the registry does not serve reaches the handler without a body,
// while any other unserved request closes the connection unanswered.
func TestUnsupportedApiVersions(t *testing.T) {
	var bodies []kmsg.Request
	conn := start(t, handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		bodies = append(bodies, req.Body)
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.Version = 0
		return resp, nil
	}))
	r := bufio.NewReader(conn)
	if _, err := conn.Write(frame(kmsg.NewPtrApiVersionsRequest(), 2, 9)); err != nil {
		t.Fatal(err)
	}
	unsupported := frame(kmsg.NewPtrApiVersionsRequest(), 3, 10) // header v2, as from a newer client
	binary.BigEndian.PutUint16(unsupported[6:], 99)              // a version from the future
	if _, err := conn.Write(unsupported); err != nil {
		t.Fatal(err)
	}
	if readResponse(t, r) != 9 || readResponse(t, r) != 10 {
		t.Fatal("responses out of order")
	}
	if len(bodies) != 2 || bodies[0] == nil || bodies[1] != nil {
		t.Fatalf("bodies %v: want the first decoded, the second nil", bodies)
	}
	if _, err := conn.Write(frame(kmsg.NewPtrMetadataRequest(), 13, 11)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("after an unserved Metadata v13: %v, want the connection closed", err)
	}
}

// BenchmarkServe measures one request's way through the server (read,
// decode, serve, encode, write) with a handler that answers at once; its
// allocs/op are the server's own per request.
func BenchmarkServe(b *testing.B) {
	resp := kmsg.NewPtrMetadataResponse()
	resp.Version = 4
	conn := start(b, handlerFunc(func(context.Context, *wire.Request) (kmsg.Response, error) { return resp, nil }))
	req := frame(kmsg.NewPtrMetadataRequest(), 4, 1)
	r := bufio.NewReader(conn)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		readResponse(b, r)
	}
}

// TestStalledFrameIsCut proves the receive-progress deadline: a client
// that sends a request's size prefix and part of its body, then nothing,
// is disconnected after FrameProgressTimeout, even with no idle timeout.
func TestStalledFrameIsCut(t *testing.T) {
	reg := wire.NewRegistry()
	reg.Add(18, 0, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: handlerFunc(func(context.Context, *wire.Request) (kmsg.Response, error) { return nil, nil }),
		Registry: reg, ListenerName: "CLIENT", SecurityProtocol: "PLAINTEXT", MaxRequestBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), FrameProgressTimeout: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(append(binary.BigEndian.AppendUint32(nil, 1000), make([]byte, 10)...)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := conn.Read(make([]byte, 1)); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("after %v: read %v, want the connection closed within the progress timeout", time.Since(start), err)
	}
}

// TestFetchResponseWrittenBeforeSent proves that a Fetch response whose
// record batches are handed to the connection uncopied arrives whole and
// in order between pipelined requests' responses, and that the handler's
// buffers are released (Request.Sent) only after it was written: the
// handler scribbles over them in Sent, and the client still reads them.
func TestFetchResponseWrittenBeforeSent(t *testing.T) {
	records := make([][]byte, 3)
	for i := range records {
		records[i] = make([]byte, 64<<10+i)
		for j := range records[i] {
			records[i][j] = byte(i + j)
		}
	}
	want := make([][]byte, len(records))
	h := handlerFunc(func(ctx context.Context, req *wire.Request) (kmsg.Response, error) {
		if req.Header.Key != 1 {
			return kmsg.NewPtrMetadataResponse(), nil
		}
		resp := req.Body.(*kmsg.FetchRequest).ResponseKind().(*kmsg.FetchResponse)
		topic := kmsg.NewFetchResponseTopic()
		topic.Topic = "t"
		for i, r := range records {
			buf := append([]byte(nil), r...)
			want[i] = r
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition, p.RecordBatches = int32(i), buf
			topic.Partitions = append(topic.Partitions, p)
			req.AfterSent(func() { clear(buf) })
		}
		resp.Topics = append(resp.Topics, topic)
		return resp, nil
	})
	reg := wire.NewRegistry()
	reg.Add(1, 4, 18)
	reg.Add(3, 0, 12)
	conn := startWith(t, h, reg)
	var out []byte
	out = append(out, frame(kmsg.NewPtrMetadataRequest(), 4, 1)...)
	out = append(out, frame(kmsg.NewPtrFetchRequest(), 11, 2)...)
	out = append(out, frame(kmsg.NewPtrMetadataRequest(), 4, 3)...)
	if _, err := conn.Write(out); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	for id := int32(1); id <= 3; id++ {
		f, err := wire.ReadFrame(r, 1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := int32(binary.BigEndian.Uint32(f)); got != id {
			t.Fatalf("response %d has correlation id %d", id, got)
		}
		if id != 2 {
			continue
		}
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = 11
		if err := resp.ReadFrom(f[4:]); err != nil {
			t.Fatal(err)
		}
		for i, p := range resp.Topics[0].Partitions {
			if string(p.RecordBatches) != string(want[i]) {
				t.Fatalf("partition %d: record batches differ from what the handler answered", i)
			}
		}
	}
}
