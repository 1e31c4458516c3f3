package node_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

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
