package server

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingConn counts the write calls that reach the socket.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// tlsPair returns both ends of a TLS 1.3 connection over loopback TCP, the
// server's over a countingConn (under a batchingConn if batched),
// configured as the listeners are (no dynamic record sizing).
func tlsPair(t testing.TB, batched bool) (server *tls.Conn, counted *countingConn, client *tls.Conn) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var sraw net.Conn
	select {
	case sraw = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
	}
	if sraw == nil {
		t.Fatal("accept failed")
	}
	counted = &countingConn{Conn: sraw}
	var under net.Conn = counted
	if batched {
		under = &batchingConn{Conn: counted}
	}
	server = tls.Server(under, &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, DynamicRecordSizingDisabled: true})
	client = tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	t.Cleanup(func() { server.Close(); client.Close() })
	deadline := time.Now().Add(30 * time.Second)
	server.SetDeadline(deadline)
	client.SetDeadline(deadline)
	done := make(chan error, 1)
	go func() { done <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return server, counted, client
}

// TestWritePiecesTLS proves that a frame in pieces of every size around the
// TLS record size arrives intact after bytes already buffered, and that a
// 4 MiB response leaves in a few batched writes rather than one per record.
func TestWritePiecesTLS(t *testing.T) {
	server, counted, client := tlsPair(t, true)
	sizes := []int{0, 1, 60, tlsRecord - 1, tlsRecord, tlsRecord + 1, 2*tlsRecord - 1, 2 * tlsRecord, 2*tlsRecord + 1,
		40_000, 100_003, 1 << 20, 3<<20 + 7, 5}
	var pieces [][]byte
	var want bytes.Buffer
	want.WriteString("earlier response")
	for _, n := range sizes {
		p := make([]byte, n)
		rand.Read(p)
		pieces = append(pieces, p)
		want.Write(p)
	}
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, want.Len())
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Error(err)
		}
		got <- buf
	}()
	w := bufio.NewWriterSize(server, 64<<10)
	w.WriteString("earlier response")
	before := counted.writes.Load()
	if err := writePieces(server, w, pieces, nil); err != nil {
		t.Fatal(err)
	}
	during := counted.writes.Load() - before
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("the client read %d bytes that differ from the %d written", len(b), want.Len())
	}
	// 4.2 MiB is 270 full records; batches of 16 records make 17 writes.
	if records := want.Len() / tlsRecord; during > int64(records/16+4) {
		t.Fatalf("%d write calls for %d records", during, records)
	}
	// Between responses the connection writes through, unbatched.
	before = counted.writes.Load()
	go func() {
		buf := make([]byte, 5)
		io.ReadFull(client, buf)
		got <- buf
	}()
	if _, err := server.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "hello" || counted.writes.Load() != before+1 {
		t.Fatalf("read %q after %d writes", b, counted.writes.Load()-before)
	}
}

// BenchmarkWriteFetchTLS writes Fetch-like responses (six partitions of
// 1 MiB of record batches) through TLS to a reader in the same process,
// with the sealed records batched (as the server does) and written one by
// one, and reports the process's CPU time per KiB, both ends together:
//
//	go test -run '^$' -bench WriteFetchTLS -benchtime 50x ./internal/server
func BenchmarkWriteFetchTLS(b *testing.B) {
	var pieces [][]byte
	total := 0
	for range 6 {
		batches := make([]byte, 1<<20)
		rand.Read(batches)
		pieces = append(pieces, make([]byte, 60), batches)
		total += 60 + len(batches)
	}
	for _, batched := range []bool{true, false} {
		name := "unbatched"
		if batched {
			name = "batched"
		}
		b.Run(name, func(b *testing.B) {
			server, counted, client := tlsPair(b, batched)
			done := make(chan error, 1)
			go func() {
				w := bufio.NewWriterSize(server, 64<<10)
				for range b.N {
					if err := writePieces(server, w, pieces, nil); err != nil {
						done <- err
						return
					}
					if err := w.Flush(); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			buf := make([]byte, total)
			b.SetBytes(int64(total))
			b.ResetTimer()
			cpu, sys := processCPU()
			for range b.N {
				if _, err := io.ReadFull(client, buf); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			cpu2, sys2 := processCPU()
			kib := float64(b.N) * float64(total) / 1024
			b.ReportMetric(float64((cpu2-cpu).Nanoseconds())/kib, "cpu-ns/KiB")
			b.ReportMetric(float64((sys2-sys).Nanoseconds())/kib, "sys-ns/KiB")
			b.ReportMetric(float64(counted.writes.Load())/float64(b.N), "writes/op")
		})
	}
}

// processCPU returns the CPU time of this process, and its system part.
func processCPU() (total, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}
