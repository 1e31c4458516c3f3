package e2e

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/record"
	"gregor/internal/storage"
	"gregor/internal/testutil/netproxy"
)

// TestClusterIsolatedLeaderTruncates proves item 7(b). A partition's
// leader is cut off from its peers by the proxies while a producer writes
// to it directly (not through the metadata, which would send it to the new
// leader): with acks=all it gets no acknowledgement from the moment of the
// cut, since the cut-off leader can neither replicate nor shrink its ISR;
// with acks=1 it gets acknowledgements for records that can never commit,
// a divergent tail. Meanwhile the others fence it and elect a new leader,
// which acknowledges an idempotent acks=all producer. When the cut heals,
// the old leader truncates its divergent tail and rejoins the ISR: after it
// stops, its log on disk holds exactly the new leader's records, offset by
// offset, none of the divergent ones, and nothing acknowledged with acks=all
// is lost.
func TestClusterIsolatedLeaderTruncates(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{proxied: true, props: faultProps})
	createOnePartition(t, c, "cut")
	leader := leaderOf(t, c, "cut", 0)
	producer := startAckedProducer(t, 1, c.Seeds(), "cut", kgo.ProduceRequestTimeout(5*time.Second))
	producer.waitAcked(t, 1000, 30*time.Second)
	pinAll, pinOne := pinProducer(t, c, leader, "cut", -1), pinProducer(t, c, leader, "cut", 1)

	c.Isolate(leader, (*netproxy.Proxy).Cut)
	cutAt := time.Now()
	isolated := startIsolatedWrites(t, pinAll, pinOne)
	newLeader := waitLeaderNot(t, c, "cut", leader, 30*time.Second)
	t.Logf("leader %d cut off; %d elected after %v", leader, newLeader, time.Since(cutAt).Round(time.Millisecond))
	producer.waitAcked(t, 1000, 30*time.Second)
	time.Sleep(2 * time.Second) // the cut-off leader goes on taking writes after the election
	acksAll, acksOne, codes := isolated.stop()
	t.Logf("the cut-off leader answered acks=all writes with %v; it acknowledged %d acks=1 writes", codes, len(acksOne))
	if len(acksAll) > 0 {
		t.Fatalf("the cut-off leader acknowledged acks=all writes %v", acksAll)
	}
	if len(acksOne) == 0 {
		t.Fatal("the cut-off leader took no acks=1 write: no divergent tail to truncate")
	}

	c.HealAll()
	healed := time.Now()
	waitFullISRof(t, c, "cut", 3, 60*time.Second)
	t.Logf("node %d rejoined the ISR %v after the cut healed", leader, time.Since(healed).Round(time.Millisecond))
	producer.waitAcked(t, 1000, 30*time.Second)
	acks := producer.stop(t)
	got := consumeEverything(t, c.Seeds(), "cut")
	checkAcked(t, got, acks)
	for _, s := range got {
		if strings.HasPrefix(s.value, "isolated-") {
			t.Fatalf("divergent record %s committed at offset %d", s.value, s.offset)
		}
	}
	time.Sleep(2 * time.Second) // the follower fetches the last records
	c.Terminate(leader, 30*time.Second)
	checkSameLog(t, diskLog(t, filepath.Join(c.node(leader).dir, "cut-0")), got)
	t.Logf("%d acks=all records acknowledged, all present; node %d's log matches the new leader's", len(acks), leader)
}

// isolatedWrites writes to a cut-off leader alternately with acks=all and
// acks=1 until stopped, noting what it acknowledges.
type isolatedWrites struct {
	stopc chan struct{}
	done  sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	acksAll []string   // acks=all writes acknowledged
	acksOne []string   // acks=1 writes acknowledged
	codes   map[int16]int
}

func startIsolatedWrites(t *testing.T, acksAll, acksOne *pinnedProducer) *isolatedWrites {
	w := &isolatedWrites{stopc: make(chan struct{}), codes: map[int16]int{}}
	w.done.Add(2)
	go w.loop(t, acksAll, -1, &w.acksAll)
	go w.loop(t, acksOne, 1, &w.acksOne)
	return w
}

func (w *isolatedWrites) loop(t *testing.T, pin *pinnedProducer, acks int16, into *[]string) {
	defer w.done.Done()
	for i := 0; ; i++ {
		select {
		case <-w.stopc:
			return
		case <-time.After(50 * time.Millisecond):
		}
		v := fmt.Sprintf("isolated-%d-%d", acks, i)
		code := pin.produce(t, v)
		w.mu.Lock()
		if code == 0 {
			*into = append(*into, v)
		} else if acks == -1 {
			w.codes[code]++
		}
		w.mu.Unlock()
	}
}

// stop stops writing and returns the acks=all writes acknowledged, the
// acks=1 writes acknowledged, and the error codes of acks=all writes.
func (w *isolatedWrites) stop() (acksAll, acksOne []string, codes map[int16]int) {
	close(w.stopc)
	w.done.Wait()
	return w.acksAll, w.acksOne, w.codes
}

// diskLog reads the records of the partition log in dir, whose node must
// be stopped.
func diskLog(t *testing.T, dir string) []stored {
	t.Helper()
	l, err := storage.Open(dir, storage.DefaultConfig(), time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer l.Close()
	var out []stored
	err = l.Batches(0, func(b record.Batch) error {
		recs, err := b.Records()
		for _, r := range recs {
			out = append(out, stored{string(r.Value), 0, r.Offset})
		}
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// checkSameLog fails unless a replica's records on disk are those the
// leader served, offset by offset.
func checkSameLog(t *testing.T, replica, leader []stored) {
	t.Helper()
	sort.Slice(leader, func(i, j int) bool { return leader[i].offset < leader[j].offset })
	if len(replica) != len(leader) {
		t.Errorf("the replica holds %d records, the leader served %d", len(replica), len(leader))
	}
	for i := range min(len(replica), len(leader)) {
		if replica[i] != leader[i] {
			t.Fatalf("record %d: the replica holds %+v, the leader served %+v", i, replica[i], leader[i])
		}
	}
	if i := slices.IndexFunc(replica, func(s stored) bool { return strings.HasPrefix(s.value, "isolated-") }); i >= 0 {
		t.Fatalf("the replica kept the divergent record %+v", replica[i])
	}
}
