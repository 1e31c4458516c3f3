package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFullDiskForReal proves, with the log dir on a real 20 MiB tmpfs that
// fills up, that the server keeps running, logs one ERROR line naming the
// dir, answers KAFKA_STORAGE_ERROR to produce, refuses a new topic without
// leaving a directory, stops cleanly, and once the filesystem has room
// again serves every record it acknowledged. It needs to mount a tmpfs
// (root): elsewhere it is skipped.
func TestFullDiskForReal(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", data).Run() })
	meta := filepath.Join(t.TempDir(), "meta")
	args := []string{"metadata.log.dir=" + meta, "log.segment.bytes=4194304"}
	p := startServer(t, data, args...)

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr), kgo.DefaultProduceTopic("full"), kgo.DisableIdempotentWrite(),
		kgo.RecordRetries(0), kgo.RecordDeliveryTimeout(10*time.Second), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := testContext(t, 60*time.Second)
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "full"); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	var produceErr error
	for i := 0; produceErr == nil && i < 1000; i++ {
		var recs []*kgo.Record
		for j := range 64 {
			v := make([]byte, 1024)
			rand.Read(v)
			recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "%d-%d", i, j), Value: v})
		}
		res := cl.ProduceSync(ctx, recs...)
		for _, r := range res {
			if r.Err == nil {
				acked[string(r.Record.Key)] = true
			} else if produceErr == nil {
				produceErr = r.Err
			}
		}
	}
	if !errors.Is(produceErr, kerr.KafkaStorageError) {
		t.Fatalf("produce to a full disk: %v, want KAFKA_STORAGE_ERROR", produceErr)
	}
	line := p.waitForLog(t, regexp.MustCompile(`level=ERROR msg="log dir failed.*no space left on device`), 5*time.Second)
	t.Logf("%d records acknowledged before the disk filled; the server logged: %s", len(acked), line)

	adm := kadm.NewClient(cl)
	for { // until the controller has heard of the failure: a validation refuses the topic
		resp, err := adm.ValidateCreateTopics(ctx, 1, 1, nil, "after")
		if err != nil {
			t.Fatal(err)
		}
		if resp["after"].Err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := adm.CreateTopics(ctx, 1, 1, nil, "after")
	if err != nil {
		t.Fatal(err)
	}
	if resp["after"].Err == nil {
		t.Fatal("CreateTopics on a full disk succeeded")
	}
	if _, err := os.Stat(filepath.Join(data, "after-0")); err == nil {
		t.Fatal("a refused topic left a directory")
	}
	select {
	case <-p.done:
		t.Fatalf("the server exited on a full disk: %v", p.cmd.ProcessState)
	default:
	}
	p.stop(t)

	if out, err := exec.Command("mount", "-o", "remount,size=64m", data).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	p = startServer(t, data, args...)
	got := consumeKeys(t, p.addr, "full", len(acked))
	for k := range acked {
		if !got[k] {
			t.Fatalf("acknowledged record %s missing after the restart", k)
		}
	}
	produceAndConsume(t, p.addr, "after")
}

// consumeKeys reads topic from the start until it has at least n records
// and the log end, and returns their keys.
func consumeKeys(t *testing.T, addr, topic string, n int) map[string]bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := testContext(t, 30*time.Second)
	got := map[string]bool{}
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records: %v", len(got), n, ctx.Err())
		}
		fs.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch partition %d: %v", p, err)
			}
		})
		for _, r := range fs.Records() {
			got[string(r.Key)] = true
		}
	}
	return got
}
