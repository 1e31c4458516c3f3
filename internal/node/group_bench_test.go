package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// BenchmarkOffsetCommit measures sequential OffsetCommit round trips of one
// partition each (a consumer committing after every poll), through
// __consumer_offsets.
// Each runs against Gregor and against franz-go's kfake with the same client
// workload; kfake keeps everything in memory and is the reference peer.
func BenchmarkOffsetCommit(b *testing.B) { benchBoth(b, benchOffsetCommit) }

// BenchmarkGroupJoin measures how long a consumer takes from creating its
// client to owning all partitions of a new group.
func BenchmarkGroupJoin(b *testing.B) { benchBoth(b, benchGroupJoin) }

func benchBoth(b *testing.B, f func(b *testing.B, addr string)) {
	b.Run("gregor", func(b *testing.B) { f(b, nodetest.Start(b, "", nil).Addr) })
	b.Run("kfake", func(b *testing.B) {
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		f(b, c.ListenAddrs()[0])
	})
}

func benchOffsetCommit(b *testing.B, addr string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := adm.CreateTopics(ctx, 6, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "bench", Partition: 0, At: 0, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "bench-group", offs); err != nil { // coordinator lookup and load
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		offs := kadm.Offsets{}
		offs.Add(kadm.Offset{Topic: "bench", Partition: int32(i % 6), At: int64(i), LeaderEpoch: -1})
		resp, err := adm.CommitOffsets(ctx, "bench-group", offs)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

func benchGroupJoin(b *testing.B, addr string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 6, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		assigned := make(chan struct{}, 1)
		c, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("join-"+time.Now().Format("150405.000000000")),
			kgo.ConsumeTopics("bench"), kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
				select {
				case assigned <- struct{}{}:
				default:
				}
			}))
		if err != nil {
			b.Fatal(err)
		}
		go c.PollFetches(ctx)
		select {
		case <-assigned:
		case <-ctx.Done():
			b.Fatal("no assignment")
		}
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}
