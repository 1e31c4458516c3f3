package node_test

import (
	"encoding/binary"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestStalledLargeRequestsAreBounded proves queued.max.request.bytes (100
// MiB by default): 20 connections each send 50 MiB of a request and stall
// before its last bytes. Without a budget the broker held all of it (about
// 1 GB); with it, the connections beyond the budget are not read until it
// frees, the heap stays far below that, and a well-behaved producer, whose
// small requests do not wait for the budget, is served meanwhile.
func TestStalledLargeRequestsAreBounded(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl := newClient(t, n.Addr, kgo.DefaultProduceTopic("budget"), kgo.AllowAutoTopicCreation())
	ctx := testContext(t)
	if err := cl.ProduceSync(ctx, kgo.StringRecord("before")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	const senders, frame = 20, 50 << 20
	release := stallLargeRequests(t, n.Addr, senders, frame)
	time.Sleep(3 * time.Second) // let every sender push what the broker will take
	for i := range 50 {
		if err := cl.ProduceSync(ctx, kgo.StringRecord("during")).FirstErr(); err != nil {
			t.Fatalf("produce %d while 20 large requests stall: %v", i, err)
		}
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	grown := int64(during.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %d MiB with %d senders stalled at %d MiB each", grown>>20, senders, frame>>20)
	if grown > 300<<20 {
		t.Errorf("heap in use grew by %d MiB, want under 300 MiB", grown>>20)
	}
	release()
}

// stallLargeRequests has senders connections each send all but the last
// KiB of a Produce request of frame bytes, and stall; release closes them
// and waits for their writers.
func stallLargeRequests(t testing.TB, addr string, senders, frame int) (release func()) {
	var wg sync.WaitGroup
	conns := make(chan net.Conn, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Error(err)
				conns <- nopConn{}
				return
			}
			conns <- c
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			// A Produce v9 header, then filler: all but the last 1 KiB.
			header := []byte{0, 0, 0, 9, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't', 0}
			if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(frame)), header...)); err != nil {
				return
			}
			chunk := make([]byte, 1<<20)
			for left := frame - len(header) - 1024; left > 0; left -= len(chunk) {
				if _, err := c.Write(chunk[:min(left, len(chunk))]); err != nil {
					return // the broker stopped reading: the deadline ends the write
				}
			}
		}()
	}
	return func() {
		for range senders { // closing them ends the writes blocked on them
			(<-conns).Close()
		}
		wg.Wait()
	}
}

// nopConn stands for a connection that could not be made.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }
