package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/wire"
)

// regionFrame is a frame of three pieces with two regions of a file of
// 3 MiB between them (large enough to fill a socket buffer), and the bytes
// a client must receive.
func regionFrame(t *testing.T) ([][]byte, []wire.FetchRegion, *os.File, []byte) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "segment")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	pieces := [][]byte{[]byte("head"), []byte("middle"), []byte("tail")}
	regions := []wire.FetchRegion{
		{Region: kafka.NewFileRegion(f, 10, 2<<20, nil), At: 1},
		{Region: kafka.NewFileRegion(f, 5, 100, nil), At: 2},
	}
	want := bytes.Join([][]byte{pieces[0], data[10 : 10+2<<20], pieces[1], data[5:105], pieces[2]}, nil)
	return pieces, regions, f, want
}

// receive writes the frame on one end of conns and returns what the other
// end reads, and the write's error.
func receive(t *testing.T, server, client net.Conn, pieces [][]byte, regions []wire.FetchRegion) ([]byte, error) {
	t.Helper()
	got := make(chan []byte, 1)
	go func() {
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(client)
		got <- b
	}()
	w := bufio.NewWriter(server)
	w.WriteString("before") // what w holds goes first
	err := writePieces(server, w, pieces, regions)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	server.Close()
	select {
	case b := <-got:
		return b, err
	case <-time.After(10 * time.Second):
		t.Fatal("client read timed out")
		return nil, nil
	}
}

func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

// TestWriteRegionsSendfile proves that a frame with file regions arrives
// byte for byte over TCP (sendfile) and over a connection that is not TCP
// (the copy path), after what the writer buffered.
func TestWriteRegionsSendfile(t *testing.T) {
	pieces, regions, _, want := regionFrame(t)
	want = append([]byte("before"), want...)
	server, client := tcpPair(t)
	if got, err := receive(t, server, client, pieces, regions); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("TCP: %v, %d bytes, want %d", err, len(got), len(want))
	}
	server, client = net.Pipe()
	if got, err := receive(t, server, client, pieces, regions); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("pipe: %v, %d bytes, want %d", err, len(got), len(want))
	}
}

// TestWriteRegionsTLS proves that over TLS a frame with file regions
// arrives byte for byte, and that its 2 MiB region, read a chunk at a time
// as it is sealed, leaves in batches of records rather than a write call
// per record.
func TestWriteRegionsTLS(t *testing.T) {
	pieces, regions, _, want := regionFrame(t)
	want = append([]byte("before"), want...)
	server, counted, client := tlsPair(t, true)
	before := counted.writes.Load()
	got, err := receive(t, server, client, pieces, regions)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%v, %d bytes, want %d", err, len(got), len(want))
	}
	// 128 records, in batches of 16: 8 writes, and one for the rest at
	// the flush, and the close_notify alert.
	if writes, records := counted.writes.Load()-before, int64(len(want)/tlsRecord); writes > records/16+4 {
		t.Fatalf("%d write calls for %d records", writes, records)
	}
}

// TestWriteRegionsTruncated proves that a region whose file was truncated
// under it fails the write (the connection is then closed) rather than
// sending a short frame as if whole.
func TestWriteRegionsTruncated(t *testing.T) {
	pieces, regions, f, _ := regionFrame(t)
	if err := f.Truncate(1 << 20); err != nil {
		t.Fatal(err)
	}
	server, client := tcpPair(t)
	if _, err := receive(t, server, client, pieces, regions); !errors.Is(err, errRegionTruncated) {
		t.Fatalf("TCP: %v, want errRegionTruncated", err)
	}
	server, client = net.Pipe()
	if _, err := receive(t, server, client, pieces, regions); !errors.Is(err, errRegionTruncated) {
		t.Fatalf("pipe: %v, want errRegionTruncated", err)
	}
	tlsServer, _, tlsClient := tlsPair(t, true)
	if _, err := receive(t, tlsServer, tlsClient, pieces, regions); !errors.Is(err, errRegionTruncated) {
		t.Fatalf("TLS: %v, want errRegionTruncated", err)
	}
}
