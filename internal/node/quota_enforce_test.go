package node_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// throttleHook records the throttle times a franz-go client is told of.
type throttleHook struct {
	mu    sync.Mutex
	times []time.Duration
}

func (h *throttleHook) OnBrokerThrottle(_ kgo.BrokerMetadata, d time.Duration, _ bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.times = append(h.times, d)
}

func (h *throttleHook) summary() (n int, longest time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.times {
		if d > 0 {
			n++
			longest = max(longest, d)
		}
	}
	return n, longest
}

const (
	quotaRate = 1 << 20 // bytes per second
	// A greedy client under Kafka's sampling (11 windows of 1s) first
	// spends the allowance of the empty windows at once, then, each time
	// the windows holding a burst expire, bursts again: its progress is a
	// staircase whose steps are a span or so apart. Its rate is the slope
	// of that staircase, fitted by least squares over a few spans after
	// the first burst.
	quotaWarmUp  = 2 * time.Second
	quotaMeasure = 30 * time.Second
)

// incompressible returns n random bytes. A quota counts the bytes on the
// wire, after the client's compression: the tests send uncompressed
// batches of random records, so that values and wire bytes agree.
func incompressible(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func setClientQuota(t *testing.T, addr, clientID, key string, value float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	altered, err := kadm.NewClient(newClient(t, addr)).AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{
		{Entity: quotaEntity("client-id=" + clientID), Ops: []kadm.AlterClientQuotaOp{{Key: key, Value: value}}},
	})
	if err != nil || altered[0].Err != nil {
		t.Fatalf("set %s of %s: %v %v", key, clientID, err, altered)
	}
}

// measureRate samples count every 250ms for quotaMeasure after
// quotaWarmUp, and returns its rate of growth (the least-squares slope)
// and its plain average since the start, burst included.
func measureRate(count *atomic.Int64) (slope, average float64) {
	start := time.Now()
	time.Sleep(quotaWarmUp)
	var xs, ys []float64
	for time.Since(start) < quotaWarmUp+quotaMeasure {
		xs, ys = append(xs, time.Since(start).Seconds()), append(ys, float64(count.Load()))
		time.Sleep(250 * time.Millisecond)
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(ys))
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	return sxy / sxx, float64(count.Load()) / time.Since(start).Seconds()
}

func checkRate(t *testing.T, what string, rate, average float64, hook *throttleHook) {
	t.Helper()
	throttled, longest := hook.summary()
	t.Logf("%s: %.0f B/s observed at a quota of %d B/s (%.2fx; %.2fx on average since the start, first burst included); %d responses throttled, longest %v",
		what, rate, quotaRate, rate/quotaRate, average/quotaRate, throttled, longest)
	if rate < 0.8*quotaRate || rate > 1.2*quotaRate {
		t.Errorf("%s: %.0f B/s, not within 20%% of the %d B/s quota", what, rate, quotaRate)
	}
	if throttled == 0 {
		t.Errorf("%s: no response reported a throttle time", what)
	}
}

// TestProducerByteRateQuota proves that a franz-go producer sending as
// fast as it can, under producer_byte_rate=1MiB/s on its client id, is
// held within 20% of 1 MiB/s and is told throttle times.
func TestProducerByteRateQuota(t *testing.T) {
	t.Parallel()
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "quota-produce", 1, nil)
	setClientQuota(t, n.Addr, "quota-producer", "producer_byte_rate", quotaRate)
	hook := &throttleHook{}
	cl := newClient(t, n.Addr, kgo.ClientID("quota-producer"), kgo.DefaultProduceTopic("quota-produce"),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(256), kgo.WithHooks(hook))
	ctx, cancel := context.WithCancel(context.Background())
	var acked atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		value := incompressible(10 << 10)
		for ctx.Err() == nil {
			cl.Produce(ctx, &kgo.Record{Value: value}, func(r *kgo.Record, err error) {
				if err == nil {
					acked.Add(int64(len(r.Value)))
				}
			})
		}
	}()
	rate, average := measureRate(&acked)
	cancel()
	wg.Wait()
	checkRate(t, "producer", rate, average, hook)
}

// TestConsumerByteRateQuota proves the same of a consumer under
// consumer_byte_rate=1MiB/s, reading a topic filled beforehand.
func TestConsumerByteRateQuota(t *testing.T) {
	t.Parallel()
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "quota-fetch", 1, nil)
	setClientQuota(t, n.Addr, "quota-consumer", "consumer_byte_rate", quotaRate)
	filler := newClient(t, n.Addr, kgo.DefaultProduceTopic("quota-fetch"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := incompressible(10 << 10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for range 64 { // 64 MiB: more than the consumer may read in the test
		var batch []*kgo.Record
		for range 100 {
			batch = append(batch, &kgo.Record{Value: value})
		}
		if err := filler.ProduceSync(ctx, batch...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	hook := &throttleHook{}
	cl := newClient(t, n.Addr, kgo.ClientID("quota-consumer"), kgo.ConsumeTopics("quota-fetch"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.WithHooks(hook))
	var consumed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { consumed.Add(int64(len(r.Value))) })
		}
	}()
	rate, average := measureRate(&consumed)
	cancel()
	wg.Wait()
	checkRate(t, "consumer", rate, average, hook)
}

// TestRequestPercentageQuotaMutesTheConnection proves that a client over
// its request_percentage quota is answered with a throttle time, and that
// the broker then reads nothing more from its connection for that long:
// a pipelined request is answered only once the throttle time has passed.
func TestRequestPercentageQuotaMutesTheConnection(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	setClientQuota(t, n.Addr, "test", "request_percentage", 0.001) // the raw connection's client id
	c := dial(t, n.Addr)
	const requests = 400
	for i := range int32(requests) {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(12)
		c.send(req, i)
	}
	var throttledAt time.Time
	var throttle time.Duration
	for i := range int32(requests) {
		id, body, err := c.receive(true)
		if err != nil || id != i {
			t.Fatalf("response %d: id %d, %v", i, id, err)
		}
		// The wait runs from when this goroutine read the throttled answer,
		// which may be a while after the server wrote it: hence the 2ms of
		// slack, and a throttle of at least 5ms for the check to count.
		if !throttledAt.IsZero() {
			if waited := time.Since(throttledAt); waited < throttle*9/10-2*time.Millisecond {
				t.Fatalf("the response after a %v throttle came %v later: the connection was not muted", throttle, waited)
			}
			if throttle >= 5*time.Millisecond {
				t.Logf("request %d throttled %v; the next answered %v later", i-1, throttle, time.Since(throttledAt))
				return
			}
			throttledAt = time.Time{}
		}
		if ms := int32(binary.BigEndian.Uint32(body)); ms > 0 {
			throttledAt, throttle = time.Now(), time.Duration(ms)*time.Millisecond
		}
	}
	t.Fatalf("none of %d requests was throttled 5ms or more at request_percentage=0.001", requests)
}

// TestThrottleDelaysResponsesOfOldClients proves the rule for clients
// before KIP-219 (here Metadata v5, whose clients do not throttle
// themselves): the broker holds the throttled response itself for the
// throttle time, as Kafka does, rather than sending it at once.
func TestThrottleDelaysResponsesOfOldClients(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	setClientQuota(t, n.Addr, "test", "request_percentage", 0.001)
	c := dial(t, n.Addr)
	const requests = 400
	for i := range int32(requests) {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(5)
		c.send(req, i)
	}
	last := time.Now()
	for i := range int32(requests) {
		id, body, err := c.receive(false)
		if err != nil || id != i {
			t.Fatalf("response %d: id %d, %v", i, id, err)
		}
		gap := time.Since(last)
		last = time.Now()
		// The gap runs from when this goroutine read the previous answer,
		// which may be a while after the server wrote it: hence the 2ms of
		// slack, and a throttle of at least 5ms for the check to count.
		if ms := int32(binary.BigEndian.Uint32(body)); ms > 0 {
			throttle := time.Duration(ms) * time.Millisecond
			if gap < throttle*9/10-2*time.Millisecond {
				t.Fatalf("a response throttled %v came %v after the one before: it was not held", throttle, gap)
			}
			if throttle >= 5*time.Millisecond {
				t.Logf("request %d throttled %v, answered %v after the one before", i, throttle, gap)
				return
			}
		}
	}
	t.Fatalf("none of %d requests was throttled 5ms or more at request_percentage=0.001", requests)
}

// TestControllerMutationRate proves KIP-599's quota on topic changes: a
// client with controller_mutation_rate=1 has a burst of 11 partitions;
// a CreateTopics of three 8-partition topics creates the first two (the
// second takes the bucket into debt), refuses the third with
// THROTTLING_QUOTA_EXCEEDED, and answers the time to pay the debt back.
func TestControllerMutationRate(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	setClientQuota(t, n.Addr, "mutator", "controller_mutation_rate", 1)
	cl := newClient(t, n.Addr, kgo.ClientID("mutator"))
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	for _, name := range []string{"mutate-a", "mutate-b", "mutate-c"} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, 8, 1
		req.Topics = append(req.Topics, rt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var codes []int16
	for _, rt := range resp.Topics {
		codes = append(codes, rt.ErrorCode)
	}
	if want := []int16{0, 0, kerr.ThrottlingQuotaExceeded.Code}; !slices.Equal(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
	if resp.ThrottleMillis < 4000 || resp.ThrottleMillis > 5000 {
		t.Errorf("throttle %dms, want the 5s it takes to pay back 5 partitions at 1/s", resp.ThrottleMillis)
	}
}

// TestConnectionCreationRate proves KIP-612's quota on IP addresses: with
// connection_creation_rate=2 on the default IP, a burst of 40 connections
// from one address has about 20 served (2/s over the 10s a new rate is
// measured over) and the rest closed unanswered within a window.
func TestConnectionCreationRate(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	altered, err := kadm.NewClient(newClient(t, n.Addr)).AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{
		{Entity: quotaEntity("ip=<default>"), Ops: []kadm.AlterClientQuotaOp{{Key: "connection_creation_rate", Value: 2}}},
	})
	if err != nil || altered[0].Err != nil {
		t.Fatalf("alter: %v %v", err, altered)
	}
	var conns []*rawConn
	start := time.Now()
	for i := range int32(40) {
		c := dial(t, n.Addr)
		c.conn.SetDeadline(time.Now().Add(5 * time.Second))
		c.send(kmsg.NewPtrApiVersionsRequest(), i)
		conns = append(conns, c)
	}
	served, closed := 0, 0
	for i, c := range conns {
		if _, _, err := c.receive(false); err == nil {
			served++
		} else if time.Since(start) < 3*time.Second {
			closed++
		} else {
			t.Fatalf("connection %d neither served nor closed within 3s: %v", i, err)
		}
	}
	t.Logf("%d of 40 connections served, %d closed", served, closed)
	if served < 18 || served > 24 || served+closed != 40 {
		t.Errorf("%d served and %d closed; want about 20 served, the rest closed", served, closed)
	}
}
