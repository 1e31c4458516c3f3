package node_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestDynamicConnectionLimit proves that max.connections.per.ip set at
// runtime through IncrementalAlterConfigs takes effect on the next
// connections: over the limit, the node closes them.
func TestDynamicConnectionLimit(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.Addr))
	if err != nil {
		t.Fatal(err)
	}
	limit := "2"
	err = alterBrokers(t, kadm.NewClient(cl), kadm.SetConfig, "max.connections.per.ip", &limit, 1)
	cl.Close()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		open := openConnections(t, n.Addr, 3)
		if open == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 connections stay open, want 2", open)
		}
		time.Sleep(50 * time.Millisecond) // the admin client's connections are still closing
	}
}

// openConnections dials addr k times at once and returns how many
// connections the server leaves open, then closes them all.
func openConnections(t *testing.T, addr string, k int) int {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range k {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	open := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			open++
		}
	}
	return open
}

// TestMaxConnectionsEvictsForInterBrokerListener proves KIP-402 on a node
// with two listeners: with max.connections taken by client connections, a
// connection on the inter-broker listener is served, the node closes the
// client connection least recently active while the others stay open,
// and a new client works once connections close.
func TestMaxConnectionsEvictsForInterBrokerListener(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:0,EXTERNAL://127.0.0.1:0",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
		"inter.broker.listener.name":     "PLAINTEXT",
		"max.connections":                "3",
		"rest.proxy.listeners":           "", // no client of the node but the test's
	})
	broker, client := n.Addrs()[0].String(), n.Addrs()[1].String()
	a, b, c := servedConn(t, client), servedConn(t, client), servedConn(t, client)
	if !apiVersionsAnswered(a) {
		t.Fatal("a client connection is not served")
	}
	inter := servedConn(t, broker)
	if err := waitClosed(b); err != nil {
		t.Fatalf("the least recently active client connection: %v", err)
	}
	if !apiVersionsAnswered(a) || !apiVersionsAnswered(c) {
		t.Fatal("a client connection more recently active is closed")
	}
	inter.Close()
	a.Close()
	adm := kadm.NewClient(newClient(t, client))
	if _, err := adm.BrokerMetadata(testContext(t)); err != nil {
		t.Fatalf("a new client after the eviction: %v", err)
	}
}

// servedConn dials addr and fails the test unless an ApiVersions request
// on the connection is answered; the connection closes with the test.
func servedConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if !apiVersionsAnswered(conn) {
		t.Fatalf("a connection to %s is not served", addr)
	}
	return conn
}

// apiVersionsAnswered reports whether an ApiVersions request on conn is
// answered within 10 seconds.
func apiVersionsAnswered(conn net.Conn) bool {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	f := encodeFrame(kmsg.NewPtrApiVersionsRequest(), 0)
	if _, err := conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(f))), f...)); err != nil {
		return false
	}
	size := make([]byte, 4)
	if _, err := io.ReadFull(conn, size); err != nil {
		return false
	}
	_, err := io.ReadFull(conn, make([]byte, binary.BigEndian.Uint32(size)))
	return err == nil
}

// waitClosed waits up to 10 seconds for the server to close conn.
func waitClosed(conn net.Conn) error {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := conn.Read(make([]byte, 1))
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("read: %v, want the connection closed by the server", err)
}
