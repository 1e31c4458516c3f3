// Package nodetest starts real nodes for tests: ephemeral loopback ports,
// temp dirs, stopped when the test ends. Start starts one node;
// StartCluster starts n nodes that form one controller quorum
// (StartClusterWithBrokers adds broker-only nodes), with Stop, Kill (no
// controlled shutdown) and Restart of a single node.
package nodetest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"gregor/internal/config"
	"gregor/internal/node"
	"gregor/internal/vfs"
)

// TestNode is a node started by Start.
type TestNode struct {
	*node.Node
	Dir  string
	Addr string

	stopFn  func()
	stopped bool // by stopFn or WaitStopped
}

// Shutdown stops the node cleanly and waits for it.
func (tn *TestNode) Shutdown() { tn.stopFn() }

// WaitStopped waits, at most timeout, for the node to stop by itself (on
// a fatal error) and returns the error it stopped with; the test fails
// if it is still running.
func (tn *TestNode) WaitStopped(t testing.TB, timeout time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- tn.Wait() }()
	select {
	case err := <-done:
		tn.stopped = true
		return err
	case <-time.After(timeout):
		t.Fatalf("node still running after %v", timeout)
		return nil
	}
}

// Start starts a single node on an ephemeral loopback port with its
// data in dir (a new temp dir if ""), and stops it when the test ends.
// Extra properties override the test defaults.
func Start(t testing.TB, dir string, props map[string]string) *TestNode {
	t.Helper()
	return StartFS(t, dir, props, nil)
}

// StartFS is Start with the log dirs on fsys (the real filesystem when
// nil), through which a test injects disk faults (vfs.Faulty).
func StartFS(t testing.TB, dir string, props map[string]string, fsys vfs.FS) *TestNode {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := map[string]string{
		"listeners":                        "PLAINTEXT://127.0.0.1:0",
		"log.dirs":                         dir,
		"offsets.topic.replication.factor": "1",
		"group.initial.rebalance.delay.ms": "0",
		"http.listeners":                   "http://127.0.0.1:0",
		// Off unless a test asks (http://127.0.0.1:0): it is a client of
		// the node, with a connection and the _schemas topic of its own.
		"schema.registry.listeners": "",
		"rest.proxy.listeners":      "http://127.0.0.1:0",
	}
	for k, v := range props {
		p[k] = v
	}
	cfg, _, err := config.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.StartWith(context.Background(), cfg, logger(""), node.Options{LogDirFS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	tn := &TestNode{Node: n, Dir: dir, Addr: n.Addrs()[0].String()}
	tn.stopFn = func() {
		if !tn.stopped {
			tn.stopped = true
			n.Stop()
			done := make(chan error, 1)
			go func() { done <- n.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("node stopped with: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("node did not stop within 30s")
			}
		}
	}
	t.Cleanup(tn.stopFn)
	return tn
}

// logger discards unless GREGOR_TEST_LOG is set, then logs at debug level
// to stderr, each line with the node's name when it has one.
func logger(name string) *slog.Logger {
	if os.Getenv("GREGOR_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if name != "" {
		l = l.With("node", name)
	}
	return l
}
