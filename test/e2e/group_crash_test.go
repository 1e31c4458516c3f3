package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKill9KeepsCommittedOffsets SIGKILLs the server while groups commit
// offsets as fast as they can, restarts it, and checks that every group has,
// for every partition, exactly the last offset the broker acknowledged (each
// group commits sequentially, so nothing after it was acknowledged), and
// that the coordinator rebuilt from __consumer_offsets serves them.
func TestKill9KeepsCommittedOffsets(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir, "offsets.topic.num.partitions=5")
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr), kgo.RetryTimeout(2*time.Second), kgo.RequestRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(testContext(t, 20*time.Second), 4, 1, nil, "commits"); err != nil {
		t.Fatal(err)
	}

	const groups = 6
	var mu sync.Mutex
	acked := map[string]int64{} // group -> last acknowledged round
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := 0; g < groups; g++ {
		name := fmt.Sprintf("g%d", g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := int64(1); ctx.Err() == nil; round++ {
				offs := kadm.Offsets{}
				for part := int32(0); part < 4; part++ {
					offs.Add(kadm.Offset{Topic: "commits", Partition: part, At: round*10 + int64(part), LeaderEpoch: -1, Metadata: name})
				}
				resp, err := adm.CommitOffsets(ctx, name, offs)
				if err != nil || resp.Error() != nil {
					return // the server is gone: nothing after this was acknowledged
				}
				mu.Lock()
				acked[name] = round
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		var total int64
		for _, r := range acked {
			total += r
		}
		mu.Unlock()
		if total >= 6000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	wg.Wait()
	cancel()
	cl.Close()

	p = startServer(t, dir, "offsets.topic.num.partitions=5")
	cl2, err := kgo.NewClient(kgo.SeedBrokers(p.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	adm2 := kadm.NewClient(cl2)
	mu.Lock()
	defer mu.Unlock()
	var rounds int64
	for name, round := range acked {
		rounds += round
		var got kadm.OffsetResponses
		// The coordinator loads its partitions in the background after a restart.
		for end := time.Now().Add(20 * time.Second); ; {
			got, err = adm2.FetchOffsets(testContext(t, 10*time.Second), name)
			if err == nil || time.Now().After(end) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("fetch %s: %v", name, err)
		}
		for part := int32(0); part < 4; part++ {
			o, ok := got.Lookup("commits", part)
			// The commit in flight at the kill may have been written but not
			// acknowledged: one round more is allowed, never fewer.
			if !ok || (o.At != round*10+int64(part) && o.At != (round+1)*10+int64(part)) || o.Metadata != name {
				t.Errorf("%s commits/%d: %+v (found %v), last acknowledged round %d", name, part, o.Offset, ok, round)
			}
		}
	}
	if rounds == 0 {
		t.Fatal("no commit was acknowledged before the kill")
	}
	t.Logf("%d commit rounds of %d groups acknowledged before SIGKILL, all present after restart", rounds, len(acked))
}
