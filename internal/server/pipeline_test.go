package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// produceFrame is a Produce v7 request of one partition carrying records
// bytes, with correlation id id.
func produceFrame(id int32, records int) []byte {
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	t := kmsg.NewProduceRequestTopic()
	t.Topic = "t"
	p := kmsg.NewProduceRequestTopicPartition()
	p.Records = make([]byte, records)
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return frame(req, 7, id)
}

// produceAnswer is a Produce v7 response of one partition with code.
func produceAnswer(code int16) *kmsg.ProduceResponse {
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 7
	t := kmsg.NewProduceResponseTopic()
	t.Topic = "t"
	p := kmsg.NewProduceResponseTopicPartition()
	p.ErrorCode = code
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
	return resp
}

// readAnswer reads one response frame: its correlation id and, for a
// Produce v7 answer, its partition's error code.
func readAnswer(t *testing.T, r *bufio.Reader, produce bool) (int32, int16) {
	t.Helper()
	f, err := wire.ReadFrame(r, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := int32(uint32(f[0])<<24 | uint32(f[1])<<16 | uint32(f[2])<<8 | uint32(f[3]))
	if !produce {
		return id, 0
	}
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 7
	if err := resp.ReadFrom(f[4:]); err != nil {
		t.Fatal(err)
	}
	return id, resp.Topics[0].Partitions[0].ErrorCode
}

// gate is a deferred completion a test releases.
type gate struct {
	release chan struct{}
	ran     chan struct{} // closed once the completion returned
}

func newGate() gate { return gate{release: make(chan struct{}), ran: make(chan struct{})} }

// expectServed waits for the next id on served, failing after a timeout.
func expectServed(t *testing.T, served <-chan int32, want int32) {
	t.Helper()
	select {
	case id := <-served:
		if id != want {
			t.Fatalf("served request %d, want %d", id, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("request %d not served within 10s", want)
	}
}

// expectNothingServed fails if a request is served within a short while.
func expectNothingServed(t *testing.T, served <-chan int32) {
	t.Helper()
	select {
	case id := <-served:
		t.Fatalf("request %d served while earlier answers were pending", id)
	case <-time.After(100 * time.Millisecond):
	}
}

// expectNoAnswer fails if a response arrives within a short while.
func expectNoAnswer(t *testing.T, conn net.Conn, r *bufio.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := r.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an answer arrived (%v) while the first request's wait was pending", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
}

// TestPipelineAnswersInOrder proves that while a produce's answer waits,
// the connection's next produce requests are served (appended) at once,
// and that the answers go out in request order even when a later wait
// ends first, a failed wait answering its error in its place.
func TestPipelineAnswersInOrder(t *testing.T) {
	served := make(chan int32, 10)
	gates := map[int32]gate{1: newGate(), 2: newGate()}
	h := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		id := req.Header.CorrelationID
		resp := produceAnswer(0)
		if g, ok := gates[id]; ok {
			req.Defer(func(ctx context.Context) {
				defer close(g.ran)
				select {
				case <-g.release:
				case <-ctx.Done():
				}
				if id == 1 { // its fsync failed
					resp.Topics[0].Partitions[0].ErrorCode = kerr.KafkaStorageError.Code
				}
			})
		}
		served <- id
		return resp, nil
	})
	conn, r := connect(t, serveLimited(t, h, nil, nil))
	for id := int32(1); id <= 3; id++ { // 3 is answered at once, behind 1 and 2
		if _, err := conn.Write(produceFrame(id, 10)); err != nil {
			t.Fatal(err)
		}
	}
	for id := int32(1); id <= 3; id++ {
		expectServed(t, served, id)
	}
	close(gates[2].release) // the later wait ends first
	expectNoAnswer(t, conn, r)
	close(gates[1].release)
	for id, want := range []int16{kerr.KafkaStorageError.Code, 0, 0} {
		got, code := readAnswer(t, r, true)
		if got != int32(id+1) || code != want {
			t.Fatalf("answer %d: correlation id %d, error code %d; want %d, %d", id, got, code, id+1, want)
		}
	}
}

// connect dials addr, with a deadline for the test's reads and writes.
func connect(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, bufio.NewReader(conn)
}

// TestPipelineBarrier proves that a request of any other API waits until
// every earlier produce is answered before it is served, and that a
// produce after it is served only once it is answered.
func TestPipelineBarrier(t *testing.T) {
	served := make(chan int32, 10)
	g := newGate()
	h := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		id := req.Header.CorrelationID
		served <- id
		if req.Header.Key != produceKey {
			return req.Body.ResponseKind(), nil
		}
		resp := produceAnswer(0)
		if id == 1 {
			req.Defer(func(ctx context.Context) {
				select {
				case <-g.release:
				case <-ctx.Done():
				}
			})
		}
		return resp, nil
	})
	conn, r := connect(t, serveLimited(t, h, nil, nil))
	conn.Write(produceFrame(1, 10))
	conn.Write(frame(kmsg.NewPtrMetadataRequest(), 4, 2))
	conn.Write(produceFrame(3, 10))
	expectServed(t, served, 1)
	expectNothingServed(t, served)
	close(g.release)
	expectServed(t, served, 2)
	expectServed(t, served, 3)
	for id := int32(1); id <= 3; id++ {
		if got, _ := readAnswer(t, r, id != 2); got != id {
			t.Fatalf("answer %d has correlation id %d", id, got)
		}
	}
}

// TestPipelineDepth proves the pipeline's bound: with pipelineDepth
// answers pending, the connection serves nothing more until the oldest
// is answered.
func TestPipelineDepth(t *testing.T) {
	served := make(chan int32, pipelineDepth+2)
	g := newGate()
	h := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		served <- req.Header.CorrelationID
		if req.Header.CorrelationID == 1 {
			req.Defer(func(ctx context.Context) {
				select {
				case <-g.release:
				case <-ctx.Done():
				}
			})
		}
		return produceAnswer(0), nil
	})
	conn, r := connect(t, serveLimited(t, h, nil, nil))
	for id := int32(1); id <= pipelineDepth+1; id++ {
		conn.Write(produceFrame(id, 10))
	}
	for id := int32(1); id <= pipelineDepth; id++ {
		expectServed(t, served, id)
	}
	expectNothingServed(t, served)
	close(g.release)
	expectServed(t, served, pipelineDepth+1)
	for id := int32(1); id <= pipelineDepth+1; id++ {
		if got, _ := readAnswer(t, r, true); got != id {
			t.Fatalf("answer %d has correlation id %d", id, got)
		}
	}
}

// TestPipelineClosedConnection proves that a connection closed while
// answers are pending ends their waits, releases their buffers and their
// queued.max.request.bytes, and leaves no goroutine behind: the server
// uncounts the connection only once its writer has stopped.
func TestPipelineClosedConnection(t *testing.T) {
	const budget = 1 << 20
	conns := NewConnections(Limits{MaxConnectionsPerIP: 10, QueuedMaxRequestBytes: budget})
	served := make(chan int32, 10)
	var mu sync.Mutex
	sent, cut := 0, 0
	h := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		req.AfterSent(func() { mu.Lock(); sent++; mu.Unlock() })
		req.Defer(func(ctx context.Context) { // an fsync that never ends
			<-ctx.Done()
			mu.Lock()
			cut++
			mu.Unlock()
		})
		served <- req.Header.CorrelationID
		return produceAnswer(0), nil
	})
	conn, _ := connect(t, serveLimited(t, h, conns, nil))
	for id := int32(1); id <= 3; id++ {
		conn.Write(produceFrame(id, 2*smallFrame)) // over smallFrame: each holds budget
	}
	for id := int32(1); id <= 3; id++ {
		expectServed(t, served, id)
	}
	conns.bytes.mu.Lock()
	avail := conns.bytes.avail
	conns.bytes.mu.Unlock()
	if avail > budget-3*2*smallFrame {
		t.Fatalf("%d bytes of budget left while three large requests are pending", avail)
	}
	conn.Close()
	waitFor(t, func() bool {
		conns.mu.Lock()
		open := conns.total
		conns.mu.Unlock()
		conns.bytes.mu.Lock()
		avail := conns.bytes.avail
		conns.bytes.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		return open == 0 && avail == budget && sent == 3
	})
	mu.Lock()
	defer mu.Unlock()
	if cut > 1 {
		t.Fatalf("%d waits ran after the connection closed; only the oldest had started", cut)
	}
}
