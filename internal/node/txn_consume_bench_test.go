package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// BenchmarkReadCommittedConsume measures consuming committed transactional
// data (100-byte records, committed in transactions of 1,000 records over
// 3 partitions) with read_committed and with read_uncommitted, from one
// node: b.N records are written in each case, then read from the start
// with a fresh client. Both read the same records; read_committed is
// bounded by the last stable offset and checks the aborted transactions
// of each fetch (none here).
//
// The first case run in a process reads slower (the node's start-up work
// still running): run each case in a process of its own, alternating,
//
//	for i in 1 2 3 4 5; do for c in read_committed read_uncommitted; do
//	  go test -run '^$' -bench ReadCommittedConsume/$c -benchtime 300000x ./internal/node; done; done
func BenchmarkReadCommittedConsume(b *testing.B) {
	addr := nodetest.Start(b, "", txnProps).Addr
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const perTxn = 1000
	topics := 0
	for _, isolation := range []kgo.IsolationLevel{kgo.ReadUncommitted(), kgo.ReadCommitted()} {
		name := "read_uncommitted"
		if isolation == kgo.ReadCommitted() {
			name = "read_committed"
		}
		b.Run(name, func(b *testing.B) {
			topics++
			topic := fmt.Sprintf("rc-%d", topics)
			cl := benchClient(b, addr, kgo.DefaultProduceTopic(topic), kgo.TransactionalID("rc-bench-"+topic),
				kgo.ProducerLinger(5*time.Millisecond))
			if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topic); err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 100)
			committed := 0
			for committed < b.N {
				if err := cl.BeginTransaction(); err != nil {
					b.Fatal(err)
				}
				for range perTxn {
					cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
						if err != nil {
							b.Error(err)
						}
					})
				}
				if err := cl.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				committed += perTxn
				if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(value)))
			b.ResetTimer()
			start := time.Now() // the client fetches from its creation on
			consumer := benchClient(b, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.FetchIsolationLevel(isolation))
			for got := 0; got < committed; {
				fs := consumer.PollFetches(ctx)
				if err := fs.Err0(); err != nil {
					b.Fatalf("consumed %d of %d: %v", got, committed, err)
				}
				got += fs.NumRecords()
			}
			b.ReportMetric(float64(committed)/time.Since(start).Seconds(), "committed-records/s")
		})
	}
}
