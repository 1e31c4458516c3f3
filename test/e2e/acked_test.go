package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file is the checker of "no acknowledged write lost, reordered or
// duplicated", for any fault: ackedProducers write sequence-numbered
// records with an idempotent acks=all producer while the test injects
// faults and record where each acknowledged one was stored; checkAcked
// then reads the whole topic back and compares.

// acked is where the broker said a record was stored.
type acked struct {
	partition int32
	offset    int64
}

// ackedProducer writes records whose value is "p<id>-<seq>" (seq counting
// from 0 in the order produced, keys spreading them over the partitions)
// as fast as the client's buffer allows, with franz-go's defaults of
// acks=all and idempotence, and records every acknowledgement.
type ackedProducer struct {
	id     int
	cl     *kgo.Client
	cancel context.CancelFunc
	loop   sync.WaitGroup
	unseen atomic.Int64 // records produced whose callback has not run yet
	next   atomic.Int64 // the seq of the next record to produce
	closed sync.Once

	mu    sync.Mutex // guards the fields below
	acks  map[string]acked
	fails int   // records that failed (unacknowledged: they may or may not be stored)
	last  error // the last failure
	top   int   // the highest seq acknowledged
}

// startAckedProducer starts producing to topic through seeds; opts are
// added to the client's options (retry limits, say, for a test that kills
// the only broker).
func startAckedProducer(t *testing.T, id int, seeds []string, topic string, opts ...kgo.Opt) *ackedProducer {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &ackedProducer{id: id, cl: cl, cancel: cancel, acks: map[string]acked{}}
	p.loop.Add(1)
	go p.run(ctx)
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *ackedProducer) run(ctx context.Context) {
	defer p.loop.Done()
	for seq := 0; ctx.Err() == nil; seq++ {
		v := fmt.Sprintf("p%d-%d", p.id, seq)
		p.next.Store(int64(seq) + 1)
		p.unseen.Add(1)
		p.cl.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(seq % 17)), Value: []byte(v)}, p.record)
	}
}

func (p *ackedProducer) record(r *kgo.Record, err error) {
	defer p.unseen.Add(-1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.fails++
		p.last = err
		return
	}
	p.acks[string(r.Value)] = acked{r.Partition, r.Offset}
	if _, seq, ok := parseSeq(string(r.Value)); ok && seq > p.top {
		p.top = seq
	}
}

// waitNewAck waits up to d for the acknowledgement of a record handed to
// the client after the call, and returns how long it took. Unlike a count
// of acknowledgements, which answers still in flight can satisfy, it
// proves that a broker alive now acknowledged: after a leader is killed,
// only the new leader can.
func (p *ackedProducer) waitNewAck(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	after := int(p.next.Load())
	for ; ; time.Sleep(5 * time.Millisecond) {
		p.mu.Lock()
		top, fails, last := p.top, p.fails, p.last
		p.mu.Unlock()
		if top >= after {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("producer %d: no record produced after seq %d acknowledged within %v; %d failures, the last: %v", p.id, after, d, fails, last)
		}
	}
}

// Acked returns how many records have been acknowledged so far.
func (p *ackedProducer) Acked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acks)
}

// waitAcked waits up to d for n more acknowledgements than there are now,
// and fails the test, saying the last produce error, if they do not come.
func (p *ackedProducer) waitAcked(t *testing.T, n int, d time.Duration) {
	t.Helper()
	want := p.Acked() + n
	for deadline := time.Now().Add(d); p.Acked() < want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("producer %d: %d of %d acknowledgements within %v; %d failures, the last: %v", p.id, len(p.acks), want, d, p.fails, p.last)
		}
	}
}

// stop stops producing, closes the client (failing what it still
// buffers) and waits a bounded time for every callback, so that the
// acknowledgements are final. It returns them. Stopping twice is harmless.
func (p *ackedProducer) stop(t *testing.T) map[string]acked {
	t.Helper()
	p.closed.Do(func() {
		p.cancel()
		p.loop.Wait()
		p.cl.Close()
	})
	for deadline := time.Now().Add(10 * time.Second); p.unseen.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("producer %d: %d produce callbacks still pending 10s after Close", p.id, p.unseen.Load())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks
}

// checkProducers stops the producers, reads topic back through seeds and
// checks every acknowledgement (see checkAcked). It returns how many
// records were acknowledged.
func checkProducers(t *testing.T, seeds []string, topic string, producers ...*ackedProducer) int {
	t.Helper()
	all := map[string]acked{}
	for _, p := range producers {
		for v, a := range p.stop(t) {
			all[v] = a
		}
	}
	if len(all) == 0 {
		t.Fatal("no record was acknowledged")
	}
	checkAcked(t, consumeEverything(t, seeds, topic), all)
	return len(all)
}

type stored struct {
	value     string
	partition int32
	offset    int64
}

// consumeEverything reads every partition of topic from offset 0 to its
// end offset (the high watermark).
func consumeEverything(t *testing.T, seeds []string, topic string) []stored {
	t.Helper()
	adm, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ends, err := kadm.NewClient(adm).ListEndOffsets(testContext(t, 20*time.Second), topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	want := int64(0)
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
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

// checkAcked fails the test if ackProblem finds one.
func checkAcked(t *testing.T, got []stored, ack map[string]acked) {
	t.Helper()
	if err := ackProblem(got, ack); err != nil {
		t.Fatal(err)
	}
}

// ackProblem checks that every acknowledged record is stored exactly where
// it was acknowledged, that no value is stored twice, that each partition's
// offsets are contiguous from 0 (the topic holds only these records: no
// control batches, no deletion) and, for values of the form p<id>-<seq>,
// that each producer's records are stored in each partition in the order
// it produced them. Records stored but never acknowledged are allowed: an
// acknowledgement can be lost with the connection.
func ackProblem(got []stored, ack map[string]acked) error {
	seen := map[string]stored{}
	byPartition := map[int32][]stored{}
	for _, s := range got {
		if prev, dup := seen[s.value]; dup {
			return fmt.Errorf("value %s stored twice: %+v and %+v", s.value, prev, s)
		}
		seen[s.value] = s
		byPartition[s.partition] = append(byPartition[s.partition], s)
	}
	for p, recs := range byPartition {
		sort.Slice(recs, func(i, j int) bool { return recs[i].offset < recs[j].offset })
		if err := partitionProblem(p, recs); err != nil {
			return err
		}
	}
	for v, a := range ack {
		s, ok := seen[v]
		if !ok {
			return fmt.Errorf("acknowledged record %s (partition %d offset %d) lost", v, a.partition, a.offset)
		}
		if s.partition != a.partition || s.offset != a.offset {
			return fmt.Errorf("record %s acknowledged at %d/%d but stored at %d/%d", v, a.partition, a.offset, s.partition, s.offset)
		}
	}
	return nil
}

// partitionProblem checks one partition's records, sorted by offset: no
// gap, and each producer's sequence numbers increasing.
func partitionProblem(p int32, recs []stored) error {
	lastSeq := map[string]int{}
	for i, s := range recs {
		if s.offset != int64(i) {
			return fmt.Errorf("partition %d: offset %d at position %d (gap or reorder)", p, s.offset, i)
		}
		producer, seq, ok := parseSeq(s.value)
		if !ok {
			continue
		}
		if prev, has := lastSeq[producer]; has && seq <= prev {
			return fmt.Errorf("partition %d: %s at offset %d after %s-%d: reordered", p, s.value, s.offset, producer, prev)
		}
		lastSeq[producer] = seq
	}
	return nil
}

// parseSeq splits an ackedProducer's value "p<id>-<seq>".
func parseSeq(v string) (producer string, seq int, ok bool) {
	producer, n, found := strings.Cut(v, "-")
	if !found || !strings.HasPrefix(producer, "p") {
		return "", 0, false
	}
	seq, err := strconv.Atoi(n)
	return producer, seq, err == nil
}

// TestAckProblem proves that the checker finds each kind of damage: an
// acknowledged record lost, moved, stored twice or reordered, and a gap.
func TestAckProblem(t *testing.T) {
	good := []stored{{"p1-0", 0, 0}, {"p2-0", 0, 1}, {"p1-1", 0, 2}, {"p1-2", 1, 0}, {"p1-3", 0, 3}}
	ack := map[string]acked{"p1-0": {0, 0}, "p1-1": {0, 2}, "p1-2": {1, 0}}
	if err := ackProblem(good, ack); err != nil {
		t.Fatalf("undamaged: %v", err)
	}
	for _, tc := range []struct {
		name string
		got  []stored
		want string
	}{
		{"lost", []stored{{"p1-0", 0, 0}, {"p1-2", 1, 0}}, "p1-1 (partition 0 offset 2) lost"},
		{"moved", []stored{{"p1-0", 0, 0}, {"p1-1", 0, 1}, {"p1-2", 1, 0}}, "acknowledged at 0/2 but stored at 0/1"},
		{"duplicated", []stored{{"p1-0", 0, 0}, {"p1-0", 0, 1}, {"p1-1", 0, 2}, {"p1-2", 1, 0}}, "stored twice"},
		{"reordered", []stored{{"p1-1", 0, 0}, {"p1-0", 0, 1}, {"p1-2", 1, 0}}, "reordered"},
		{"gap", []stored{{"p1-0", 0, 0}, {"p1-1", 0, 2}, {"p1-2", 1, 0}}, "gap"},
	} {
		if err := ackProblem(tc.got, ack); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
