// Package workload is the franz-go client workload the benchmark points at
// every broker: produce throughput for a fixed duration, consume
// throughput of what was produced, produce latency at a fixed rate, and
// end-to-end latency from produce to consume.
//
// Every producer uses acks=all with the idempotent producer (franz-go's
// default), no compression and records without keys; topics have the
// partition count given to CreateTopic and replication factor 1.
package workload

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ThroughputLinger is the producer linger of the throughput runs; the
// latency runs use no linger.
const ThroughputLinger = 5 * time.Millisecond

// Throughput is what one run moved.
type Throughput struct {
	Records int64
	Bytes   int64
	Elapsed time.Duration
}

// RecordsPerSec is the run's rate in records per second.
func (t Throughput) RecordsPerSec() float64 { return float64(t.Records) / t.Elapsed.Seconds() }

// MBPerSec is the run's rate in MB (10^6 bytes of record values) per second.
func (t Throughput) MBPerSec() float64 { return float64(t.Bytes) / t.Elapsed.Seconds() / 1e6 }

// Latency holds one latency sample per record and the rate achieved.
type Latency struct {
	Samples  []time.Duration
	Achieved float64 // records per second
}

func producer(addr, topic string, linger time.Duration) (*kgo.Client, error) {
	return kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(linger),
	)
}

// CreateTopic creates topic with partitions partitions and replication
// factor 1, and waits until the broker's metadata gives every partition a
// leader, so that no run starts with the client retrying on a topic the
// broker does not serve yet.
func CreateTopic(ctx context.Context, addr, topic string, partitions int32) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err != nil {
		return err
	}
	if resp.Err != nil {
		return resp.Err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for !topicReady(ctx, adm, topic, partitions) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s has no leader for every partition: %w", topic, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func topicReady(ctx context.Context, adm *kadm.Client, topic string, partitions int32) bool {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return false
	}
	t, ok := md.Topics[topic]
	if !ok || t.Err != nil || len(t.Partitions) != int(partitions) {
		return false
	}
	for _, p := range t.Partitions {
		if p.Err != nil || p.Leader < 0 {
			return false
		}
	}
	return true
}

// DeleteTopic deletes topic, so that a broker does not carry the data of
// earlier runs into later ones.
func DeleteTopic(ctx context.Context, addr, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).DeleteTopic(ctx, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

func payload(size int) []byte {
	b := make([]byte, size)
	rand.Read(b)
	return b
}

// Produce sends size-byte records to topic as fast as the client takes
// them, until dur has passed or maxRecords were sent (0: no limit), and
// returns what was acknowledged, timed until the last acknowledgement.
func Produce(ctx context.Context, addr, topic string, size int, dur time.Duration, maxRecords int64) (Throughput, error) {
	cl, err := producer(addr, topic, ThroughputLinger)
	if err != nil {
		return Throughput{}, err
	}
	defer cl.Close()
	value := payload(size)
	var acked atomic.Int64
	var firstErr error
	var errOnce sync.Once
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			errOnce.Do(func() { firstErr = err })
			return
		}
		acked.Add(1)
	}
	start := time.Now()
	deadline := start.Add(dur)
	for sent := int64(0); maxRecords == 0 || sent < maxRecords; sent++ {
		if sent%256 == 0 && (time.Now().After(deadline) || ctx.Err() != nil) {
			break
		}
		cl.Produce(ctx, &kgo.Record{Value: value}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return Throughput{}, err
	}
	elapsed := time.Since(start)
	if firstErr != nil {
		return Throughput{}, fmt.Errorf("produce: %w", firstErr)
	}
	n := acked.Load()
	return Throughput{Records: n, Bytes: n * int64(size), Elapsed: elapsed}, nil
}

// Consume reads topic from its start until n records have arrived, or
// the context ends, and returns the throughput from the first fetch.
func Consume(ctx context.Context, addr, topic string, n int64) (Throughput, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return Throughput{}, err
	}
	defer cl.Close()
	var got Throughput
	start := time.Now()
	for got.Records < n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return Throughput{}, fmt.Errorf("consumed %d of %d records: %w", got.Records, n, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return Throughput{}, fmt.Errorf("fetch %s[%d]: %w", errs[0].Topic, errs[0].Partition, errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			got.Records++
			got.Bytes += int64(len(r.Value))
		})
	}
	got.Elapsed = time.Since(start)
	return got, nil
}

// pace calls send for record i at start + i/rate, for dur, in bursts of
// the records due every millisecond, and returns how many it sent.
func pace(ctx context.Context, rate int, dur time.Duration, send func(i int)) int {
	start := time.Now()
	total := int(float64(rate) * dur.Seconds())
	i := 0
	for i < total && ctx.Err() == nil {
		due := min(int(time.Since(start).Seconds()*float64(rate))+1, total)
		for ; i < due; i++ {
			send(i)
		}
		time.Sleep(time.Millisecond)
	}
	return i
}

// ProduceLatency sends size-byte records at rate records per second for
// dur, without linger, after a warm-up of a fifth of dur (at most 2 s)
// that is not measured, and returns the time from each Produce call to
// its acknowledgement.
func ProduceLatency(ctx context.Context, addr, topic string, size, rate int, dur time.Duration) (Latency, error) {
	cl, err := producer(addr, topic, 0)
	if err != nil {
		return Latency{}, err
	}
	defer cl.Close()
	value := payload(size)
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	pace(ctx, rate, min(dur/5, 2*time.Second), func(int) {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail(err)
			}
		})
	})
	if err := cl.Flush(ctx); err != nil {
		return Latency{}, err
	}
	samples := make([]time.Duration, int(float64(rate)*dur.Seconds()))
	start := time.Now()
	sent := pace(ctx, rate, dur, func(i int) {
		t := time.Now()
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail(err)
			}
			samples[i] = time.Since(t)
		})
	})
	if err := cl.Flush(ctx); err != nil {
		return Latency{}, err
	}
	elapsed := time.Since(start)
	if firstErr != nil {
		return Latency{}, fmt.Errorf("produce: %w", firstErr)
	}
	return Latency{Samples: samples[:sent], Achieved: float64(sent) / elapsed.Seconds()}, nil
}

// EndToEnd sends size-byte records at rate records per second for dur,
// each carrying its send time, while a consumer reads the topic; it
// returns, for each record, the time from its Produce call to its
// arrival at the consumer. The topic must be new: the consumer starts at
// its beginning.
func EndToEnd(ctx context.Context, addr, topic string, size, rate int, dur time.Duration) (Latency, error) {
	if size < 8 {
		return Latency{}, errors.New("end-to-end records need at least 8 bytes")
	}
	consumer, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		return Latency{}, err
	}
	defer consumer.Close()
	total := int(float64(rate) * dur.Seconds())
	base := time.Now()
	samples := make([]time.Duration, 0, total)
	consumed := make(chan error, 1)
	go func() {
		for len(samples) < total {
			fetches := consumer.PollFetches(ctx)
			if ctx.Err() != nil {
				consumed <- fmt.Errorf("consumed %d of %d records: %w", len(samples), total, ctx.Err())
				return
			}
			if errs := fetches.Errors(); len(errs) > 0 {
				consumed <- fmt.Errorf("fetch: %w", errs[0].Err)
				return
			}
			now := time.Since(base)
			fetches.EachRecord(func(r *kgo.Record) {
				sentAt := time.Duration(binary.BigEndian.Uint64(r.Value))
				samples = append(samples, now-sentAt)
			})
		}
		consumed <- nil
	}()
	cl, err := producer(addr, topic, 0)
	if err != nil {
		return Latency{}, err
	}
	defer cl.Close()
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	sent := pace(ctx, rate, dur, func(int) {
		value := payload(size)
		binary.BigEndian.PutUint64(value, uint64(time.Since(base)))
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		})
	})
	if err := cl.Flush(ctx); err != nil {
		return Latency{}, err
	}
	if firstErr != nil {
		return Latency{}, fmt.Errorf("produce: %w", firstErr)
	}
	if sent < total {
		return Latency{}, fmt.Errorf("sent %d of %d records: %w", sent, total, ctx.Err())
	}
	if err := <-consumed; err != nil {
		return Latency{}, err
	}
	return Latency{Samples: samples, Achieved: float64(sent) / time.Since(start).Seconds()}, nil
}
