package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKill9KeepsAcknowledgedRecords proves that SIGKILL in the middle of an
// idempotent acks=all produce loses no acknowledged record and that after
// restart each partition holds its records in order with no gaps and no
// duplicates, under the default flush policy (no fsync: the page cache
// survives a process crash).
func TestKill9KeepsAcknowledgedRecords(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir)
	if _, serr, err := runTool(t, "", "topics", "--bootstrap-server", p.addr, "--create", "--topic", "crash", "--partitions", "3"); err != nil {
		t.Fatalf("create topic: %v %s", err, serr)
	}
	// Retries end soon after the kill, so that stopping does not wait long.
	producer := startAckedProducer(t, 1, []string{p.addr}, "crash",
		kgo.RecordRetries(3), kgo.RetryTimeout(3*time.Second), kgo.ProduceRequestTimeout(3*time.Second))
	for deadline := time.Now().Add(20 * time.Second); producer.Acked() < 20000 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	producer.stop(t)

	p = startServer(t, dir)
	n := checkProducers(t, []string{p.addr}, "crash", producer)
	t.Logf("%d records acknowledged before SIGKILL, all present after restart", n)
}

// TestCorruptTailIsTruncated proves that a damaged batch at the end of a
// segment is cut off at start-up: the records before it are served, the
// damaged ones are not, and new records are appended after the good ones.
func TestCorruptTailIsTruncated(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir)
	if _, _, err := runTool(t, "", "topics", "--bootstrap-server", p.addr, "--create", "--topic", "bad", "--partitions", "1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		lines := ""
		for j := 0; j < 10; j++ {
			lines += fmt.Sprintf("b%d-%d\n", i, j)
		}
		if _, serr, err := runTool(t, lines, "console-producer", "--bootstrap-server", p.addr, "--topic", "bad"); err != nil {
			t.Fatalf("produce: %v %s", err, serr)
		}
	}
	p.kill()
	seg := filepath.Join(dir, "bad-0", "00000000000000000000.log")
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0xff                         // inside the last batch's records: CRC mismatch
	data = append(data, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0) // and a torn header after it
	if err := os.WriteFile(seg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p = startServer(t, dir)
	got := consumeEverything(t, []string{p.addr}, "bad")
	if len(got) == 0 || len(got) >= 50 {
		t.Fatalf("after corruption %d records are served, want the good prefix", len(got))
	}
	for i, s := range got {
		if s.offset != int64(i) {
			t.Fatalf("offset %d at %d", s.offset, i)
		}
	}
	if _, serr, err := runTool(t, "after\n", "console-producer", "--bootstrap-server", p.addr, "--topic", "bad"); err != nil {
		t.Fatalf("produce after recovery: %v %s", err, serr)
	}
	again := consumeEverything(t, []string{p.addr}, "bad")
	if len(again) != len(got)+1 || again[len(again)-1].value != "after" {
		t.Fatalf("after recovery and a new record: %d records, last %+v", len(again), again[len(again)-1])
	}
}
