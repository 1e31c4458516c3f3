package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestSecondServerOnLockedLogDir proves that a second `gregor server` on
// the log dir of a running one exits with status 1 and a message naming
// the dir, and that the first keeps serving.
func TestSecondServerOnLockedLogDir(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, dir)
	ctx := testContext(t, 20*time.Second)
	second := exec.CommandContext(ctx, binary, serverArgs(dir)...)
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second server: %v, want exit status 1; output:\n%s", err, out)
	}
	if want := fmt.Sprintf("Failed to acquire lock on file .lock in %s. A Kafka instance in another process or thread is using this directory.", dir); !strings.Contains(string(out), want) {
		t.Fatalf("second server's output lacks %q:\n%s", want, out)
	}
	produceAndConsume(t, first.addr, "after-refusal")
}

// TestOutOfFileDescriptors proves that a server that runs out of file
// descriptors (here 256) under idle connections stays up, says so in its
// log, and serves again once the connections close.
func TestOutOfFileDescriptors(t *testing.T) {
	script := `ulimit -n 256 && exec "$0" "$@"` // limits soft and hard, so Go cannot raise it
	p := startProcess(t, exec.Command("bash", append([]string{"-c", script, binary}, serverArgs(t.TempDir())...)...))
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 300 { // accepted until the server's 256 run out; the rest wait in the backlog
		c, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	line := p.waitForLog(t, regexp.MustCompile(`accepting a connection failed.*too many open files`), 10*time.Second)
	t.Logf("server logged: %s", line)
	select {
	case <-p.done:
		t.Fatalf("gregor server exited out of file descriptors: %v", p.cmd.ProcessState)
	case <-time.After(1500 * time.Millisecond): // past the longest retry delay
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	produceAndConsume(t, p.addr, "after-emfile")
}

// produceAndConsume creates topic, produces one record to it and reads it
// back.
func produceAndConsume(t *testing.T, addr, topic string) {
	t.Helper()
	ctx := testContext(t, 15*time.Second)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consume %s: %v", topic, err)
		}
		fs.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s partition %d: %v", topic, p, err)
			}
		})
		if recs := fs.Records(); len(recs) > 0 {
			if string(recs[0].Value) != "v" {
				t.Fatalf("consumed %q from %s, want \"v\"", recs[0].Value, topic)
			}
			return
		}
	}
}
