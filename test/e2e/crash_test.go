package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type acked struct {
	partition int32
	offset    int64
}

// TestKill9KeepsAcknowledgedRecords proves that SIGKILL in the middle of an
// idempotent acks=all produce loses no acknowledged record and that after
// restart each partition holds its records in order with no gaps and no
// duplicates, under the default flush policy (no fsync: the page cache
// survives a process crash).
func TestKill9KeepsAcknowledgedRecords(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir)
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr), kgo.DefaultProduceTopic("crash"),
		kgo.RecordRetries(3), kgo.RetryTimeout(3*time.Second), kgo.ProduceRequestTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(testContext(t, 20*time.Second), 3, 1, nil, "crash"); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	ack := map[string]acked{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			v := strconv.Itoa(i)
			cl.Produce(testContext(t, time.Minute), &kgo.Record{Key: []byte(strconv.Itoa(i % 17)), Value: []byte(v)}, func(r *kgo.Record, err error) {
				if err == nil {
					mu.Lock()
					ack[v] = acked{r.Partition, r.Offset}
					mu.Unlock()
				}
			})
			if i%1000 == 999 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(ack)
		mu.Unlock()
		if n >= 20000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	close(stop)
	wg.Wait()
	cl.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(ack) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	p = startServer(t, dir)
	got := consumeEverything(t, p.addr, "crash", 3)
	checkAcked(t, got, ack)
	t.Logf("%d records acknowledged before SIGKILL, %d present after restart", len(ack), len(got))
}

type stored struct {
	value     string
	partition int32
	offset    int64
}

// consumeEverything reads every partition from offset 0 to its end offset.
func consumeEverything(t *testing.T, addr, topic string, partitions int32) []stored {
	t.Helper()
	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ends, err := kadm.NewClient(adm).ListEndOffsets(testContext(t, 20*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := testContext(t, 60*time.Second)
	var out []stored
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(out), want)
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("fetch partition %d: %v", p, err) })
		fs.EachRecord(func(r *kgo.Record) { out = append(out, stored{string(r.Value), r.Partition, r.Offset}) })
	}
	return out
}

// checkAcked checks that every acknowledged record is stored where it was
// acknowledged, that offsets are contiguous from 0, and that no value is
// stored twice.
func checkAcked(t *testing.T, got []stored, ack map[string]acked) {
	t.Helper()
	seen := map[string]stored{}
	byPartition := map[int32][]int64{}
	for _, s := range got {
		if prev, dup := seen[s.value]; dup {
			t.Fatalf("value %s stored twice: %+v and %+v", s.value, prev, s)
		}
		seen[s.value] = s
		byPartition[s.partition] = append(byPartition[s.partition], s.offset)
	}
	for p, offs := range byPartition {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for i, o := range offs {
			if o != int64(i) {
				t.Fatalf("partition %d: offset %d at position %d (gap or reorder)", p, o, i)
			}
		}
	}
	for v, a := range ack {
		s, ok := seen[v]
		if !ok {
			t.Fatalf("acknowledged record %s (partition %d offset %d) lost", v, a.partition, a.offset)
		}
		if s.partition != a.partition || s.offset != a.offset {
			t.Fatalf("record %s acknowledged at %d/%d but stored at %d/%d", v, a.partition, a.offset, s.partition, s.offset)
		}
	}
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
	got := consumeEverything(t, p.addr, "bad", 1)
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
	again := consumeEverything(t, p.addr, "bad", 1)
	if len(again) != len(got)+1 || again[len(again)-1].value != "after" {
		t.Fatalf("after recovery and a new record: %d records, last %+v", len(again), again[len(again)-1])
	}
}
