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

// BenchmarkTransactionalProduce measures producing 100-byte records to 3
// partitions, plain idempotent against transactional committing every
// 10,000 and every 100 records, in one run on one node; each op is one
// record, so the ratio of ns/op is the throughput ratio.
func BenchmarkTransactionalProduce(b *testing.B) {
	addr := nodetest.Start(b, "", txnProps).Addr
	for _, every := range []int{0, 10000, 100} {
		name := "idempotent"
		if every > 0 {
			name = fmt.Sprintf("commit-every-%d", every)
		}
		b.Run(name, func(b *testing.B) { benchTransactionalProduce(b, addr, name, every) })
	}
}

func benchTransactionalProduce(b *testing.B, addr, topic string, every int) {
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5 * time.Millisecond)}
	if every > 0 {
		opts = append(opts, kgo.TransactionalID("bench-"+topic))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 100)
	fail := func(_ *kgo.Record, err error) {
		if err != nil {
			b.Error(err)
		}
	}
	// One record first, so that the timed part starts with the topic's
	// metadata known, the producer id in hand and, with transactions, the
	// coordinator found.
	if every > 0 {
		if err := cl.BeginTransaction(); err != nil {
			b.Fatal(err)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	if every > 0 {
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if every > 0 && i%every == 0 {
			if err := cl.BeginTransaction(); err != nil {
				b.Fatal(err)
			}
		}
		cl.Produce(ctx, &kgo.Record{Value: value}, fail)
		if every > 0 && (i%every == every-1 || i == b.N-1) {
			if err := cl.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}
