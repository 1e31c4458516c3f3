package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var txnOverrides = []string{
	"transaction.state.log.num.partitions=4", "offsets.topic.num.partitions=4",
	"group.initial.rebalance.delay.ms=0", "group.min.session.timeout.ms=500",
	"transaction.abort.timed.out.transaction.cleanup.interval.ms=200",
}

// TestKill9MidTransactionKeepsExactlyOnce copies records from A to B with
// franz-go's GroupTransactSession (consume, produce, commit the offsets in
// the transaction) while the server is SIGKILLed several times mid-way and
// restarted on its data; once the copy has run to the end, B read with
// read_committed holds every record of A exactly once.
func TestKill9MidTransactionKeepsExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir, txnOverrides...)
	const total = 20000
	seed(t, p.addr, total)
	for life := 0; life < 4; life++ {
		ctx, cancel := context.WithCancel(context.Background())
		copied := make(chan struct{})
		go func() { defer close(copied); copyUntil(t, ctx, p.addr) }()
		time.Sleep(time.Duration(1500+300*life) * time.Millisecond) // a restart waits ~1s for the old member's session
		p.kill()
		cancel()
		<-copied
		p = startServer(t, dir, txnOverrides...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	copyUntil(t, ctx, p.addr)
	checkCopiedOnce(t, p.addr, total)
	if t.Failed() {
		p.mu.Lock()
		for _, l := range p.log {
			t.Log(l)
		}
		p.mu.Unlock()
	}
}

func seed(t *testing.T, addr string, total int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, topic := range []string{"txn-in", "txn-out"} {
		if _, err := adm.CreateTopic(testContext(t, 20*time.Second), 3, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	recs := make([]*kgo.Record, 0, total)
	for i := 0; i < total; i++ {
		recs = append(recs, &kgo.Record{Topic: "txn-in", Key: []byte(fmt.Sprint(i % 17)), Value: []byte(fmt.Sprintf("r%d", i))})
	}
	if err := cl.ProduceSync(testContext(t, 30*time.Second), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// copyUntil copies A to B in transactions of at most 50 records until ctx
// ends or nothing is left to read for eight seconds (the first join after
// a restart waits for the dead member's session to expire).
func copyUntil(t *testing.T, ctx context.Context, addr string) {
	s, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(addr), kgo.TransactionalID("copier"), kgo.TransactionTimeout(3*time.Second),
		kgo.ConsumerGroup("copier-g"), kgo.ConsumeTopics("txn-in"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(200*time.Millisecond),
		kgo.RequireStableFetchOffsets(), kgo.RetryTimeout(5*time.Second), kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		t.Logf("session: %v", err)
		return
	}
	defer s.Close()
	copied := 0
	defer func() { t.Logf("copied %d records", copied) }()
	for idle := time.Now(); ctx.Err() == nil && time.Since(idle) < 8*time.Second; {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := s.PollRecords(pctx, 50)
		cancel()
		fs.EachError(func(tp string, p int32, err error) {
			if ctx.Err() == nil && pctx.Err() == nil {
				t.Logf("poll %s/%d: %v", tp, p, err)
			}
		})
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		idle = time.Now()
		if err := s.Begin(); err != nil {
			t.Logf("begin: %v", err)
			return
		}
		for _, r := range recs {
			s.Produce(ctx, &kgo.Record{Topic: "txn-out", Key: r.Key, Value: append([]byte("out-"), r.Value...)}, nil)
		}
		time.Sleep(15 * time.Millisecond) // hold the transaction open, for the kill to land in it
		committed, err := s.End(ctx, kgo.TryCommit)
		if err != nil {
			t.Logf("end: %v", err)
			if ctx.Err() != nil {
				return
			}
		}
		if committed {
			copied += len(recs)
		}
	}
}

func checkCopiedOnce(t *testing.T, addr string, total int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("txn-out"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]int{}
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		if len(fs.Records()) == 0 {
			break
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; n++ })
	}
	for i := 0; i < total; i++ {
		if c := seen[fmt.Sprintf("out-r%d", i)]; c != 1 {
			t.Errorf("out-r%d appears %d times", i, c)
		}
	}
	if n != total {
		t.Fatalf("B holds %d records, want %d", n, total)
	}
}
