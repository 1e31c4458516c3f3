package peer

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestProc reads this test process's own figures from /proc: they must be
// plausible for a running Go program.
func TestProc(t *testing.T) {
	pid := os.Getpid()
	rss, err := RSS(pid)
	if err != nil || rss < 1<<20 || rss > 1<<35 {
		t.Fatalf("RSS = %d, %v", rss, err)
	}
	busy := time.Now()
	for time.Since(busy) < 50*time.Millisecond {
	}
	cpu, err := CPU(pid)
	if err != nil || cpu <= 0 {
		t.Fatalf("CPU = %v, %v", cpu, err)
	}
	age, err := ProcessAge(pid)
	if err != nil || age < 0 || age > time.Hour {
		t.Fatalf("ProcessAge = %v, %v", age, err)
	}
	if exited(pid) {
		t.Fatalf("exited(own pid) = true")
	}
}

// TestAnswers checks the ApiVersions probe against a kfake broker, and
// that a listener that never answers is not taken for a broker.
func TestAnswers(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !Answers(c.ListenAddrs()[0]) {
		t.Fatalf("kfake on %s does not answer ApiVersions", c.ListenAddrs()[0])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // accepts and stays silent
		}
	}()
	start := time.Now()
	if Answers(ln.Addr().String()) {
		t.Fatalf("a silent listener answers")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the probe of a silent listener took %v", time.Since(start))
	}
}
