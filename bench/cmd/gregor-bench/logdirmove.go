package main

// gregor-bench logdir-move: how fast a broker moves a replica between its
// log dirs (AlterReplicaLogDirs, KIP-113) and how long a producer waits
// meanwhile, against any broker that has two log dirs: Gregor, or Apache
// Kafka started with log.dirs naming two (bench/logdir-move starts both).

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/bench/stats"
)

func logdirMove(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("logdir-move", flag.ContinueOnError)
	broker := fs.String("broker", "", "the broker's address (it must have two log dirs)")
	sizeMiB := fs.Int("size-mib", 64, "MiB of 16 KiB records in the partition moved")
	reps := fs.Int("reps", 3, "moves, back and forth")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *broker == "" {
		return errors.New("logdir-move: -broker is required")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(*broker), kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := fmt.Sprintf("logdir-move-%d", time.Now().UnixNano())
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		return err
	}
	var recs []*kgo.Record
	for range *sizeMiB * 64 {
		value := make([]byte, 16<<10)
		rand.Read(value) // incompressible: the log holds what is asked
		recs = append(recs, &kgo.Record{Topic: topic, Value: value})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return err
	}
	var rates, waits []float64
	for rep := 1; rep <= *reps; rep++ {
		rate, wait, err := moveOnce(ctx, cl, topic)
		if err != nil {
			return fmt.Errorf("move %d: %w", rep, err)
		}
		fmt.Printf("move %d: %.0f MiB/s, longest produce wait %.1f ms\n", rep, rate, wait)
		rates, waits = append(rates, rate), append(waits, wait)
	}
	fmt.Printf("median: %.0f MiB/s, longest produce wait %.1f ms\n", stats.Median(rates), stats.Median(waits))
	_, err = adm.DeleteTopic(ctx, topic)
	return err
}

// moveOnce moves the topic's replica to the broker's other log dir while
// a producer writes a 16 KiB record every 10 ms, and returns the MiB moved
// a second and the longest produce, in ms.
func moveOnce(ctx context.Context, cl *kgo.Client, topic string) (float64, float64, error) {
	dirs, size, err := describeDirs(ctx, cl, topic)
	if err != nil {
		return 0, 0, err
	}
	var from, to string
	for dir, holds := range dirs {
		if holds {
			from = dir
		} else {
			to = dir
		}
	}
	if len(dirs) != 2 || to == "" {
		return 0, 0, fmt.Errorf("the broker's log dirs %v: want two, the replica in one", dirs)
	}
	stop := make(chan struct{})
	var (
		wg    sync.WaitGroup
		worst time.Duration
		perr  error
	)
	wg.Go(func() {
		value := make([]byte, 16<<10)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			start := time.Now()
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: value}).FirstErr(); err != nil {
				perr = err
				return
			}
			worst = max(worst, time.Since(start))
		}
	})
	start := time.Now()
	req := kmsg.NewPtrAlterReplicaLogDirsRequest()
	d := kmsg.NewAlterReplicaLogDirsRequestDir()
	d.Dir = to
	t := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
	t.Topic, t.Partitions = topic, []int32{0}
	d.Topics = append(d.Topics, t)
	req.Dirs = append(req.Dirs, d)
	resp, err := req.RequestWith(ctx, cl)
	if err == nil && resp.Topics[0].Partitions[0].ErrorCode != 0 {
		err = fmt.Errorf("AlterReplicaLogDirs answered error %d", resp.Topics[0].Partitions[0].ErrorCode)
	}
	for err == nil {
		var now map[string]bool
		if now, _, err = describeDirs(ctx, cl, topic); err == nil && now[to] && !now[from] && !now[""] {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if err == nil {
		err = perr
	}
	return float64(size) / (1 << 20) / elapsed.Seconds(), float64(worst.Microseconds()) / 1000, err
}

// describeDirs returns the broker's log dirs, each with whether it holds
// the topic's replica (not a copy in progress), and the replica's size in
// bytes; the key "" is true while a copy is in progress.
func describeDirs(ctx context.Context, cl *kgo.Client, topic string) (map[string]bool, int64, error) {
	raw, err := cl.SeedBrokers()[0].Request(ctx, kmsg.NewPtrDescribeLogDirsRequest())
	if err != nil {
		return nil, 0, err
	}
	var size int64
	out := map[string]bool{}
	for _, d := range raw.(*kmsg.DescribeLogDirsResponse).Dirs {
		out[d.Dir] = false
		for _, t := range d.Topics {
			if t.Topic != topic {
				continue
			}
			if i := slices.IndexFunc(t.Partitions, func(p kmsg.DescribeLogDirsResponseDirTopicPartition) bool { return p.Partition == 0 }); i >= 0 {
				if t.Partitions[i].IsFuture {
					out[""] = true
				} else {
					out[d.Dir], size = true, t.Partitions[i].Size
				}
			}
		}
	}
	return out, size, nil
}
