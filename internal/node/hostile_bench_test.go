package node_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
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

// BenchmarkProduceP99UnderLyingRequests measures a well-behaved client's
// produce latency (one acks=all record at a time) with the broker idle and
// then while 50 clients in parallel each send, every 100 ms on a new
// connection, a flexible request whose tagged-field count claims 2^32-1
// fields (500 lying requests a second). It reports both p99s and their
// ratio (the goal is at most 2): a lying request must cost the broker
// nothing like the seconds of CPU a decoder that trusts the count spends.
//
//	go test -run '^$' -bench ProduceP99UnderLyingRequests -benchtime 2000x ./internal/node
func BenchmarkProduceP99UnderLyingRequests(b *testing.B) {
	n := nodetest.Start(b, "", nil)
	cl := benchClient(b, n.Addr, kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("lies"), kgo.ProducerLinger(0))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	produce := func(records int) []time.Duration {
		lat := make([]time.Duration, 0, records)
		for range records {
			start := time.Now()
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		return lat
	}
	produce(200) // warm up: the topic, the connection, the log
	b.ResetTimer()
	idle := produce(b.N)

	var stop atomic.Bool
	var lies atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if lie(n.Addr) {
					lies.Add(1)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	attacked := produce(b.N)
	stop.Store(true)
	wg.Wait()
	b.StopTimer()

	p99 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)*99/100].Microseconds())
	}
	b.ReportMetric(p99(idle), "idle-p99-µs")
	b.ReportMetric(p99(attacked), "attacked-p99-µs")
	b.ReportMetric(p99(attacked)/p99(idle), "p99-ratio")
	b.ReportMetric(float64(lies.Load()), "lying-requests")
}

// lie sends one Metadata v12 request whose body's tagged-field count is
// 2^32-1 and reports whether the broker closed the connection for it.
func lie(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	payload := []byte{0, 3, 0, 12, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't', 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	if _, err := c.Write(append(frame, payload...)); err != nil {
		return false
	}
	_, err = io.ReadFull(c, make([]byte, 4))
	return err != nil
}

// BenchmarkProduceP50WithThousandACLs measures what authorization adds to
// a produce: the p50 of one acks=all record at a time on a node without an
// authorizer and on one with the StandardAuthorizer and 1,000 ACLs (literal
// and prefixed, for other users and topics, and the ones that let this
// client write), interleaved in ten rounds so that both see the same
// machine. The goal is under 5% (a ratio under 1.05).
//
//	go test -run '^$' -bench ProduceP50WithThousandACLs -benchtime 20000x ./internal/node
func BenchmarkProduceP50WithThousandACLs(b *testing.B) {
	plain := nodetest.Start(b, "", nil)
	authz := nodetest.Start(b, "", map[string]string{
		"authorizer.class.name":          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"allow.everyone.if.no.acl.found": "true", // the cluster resource has no ACL: idempotent writes pass
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	adm := kadm.NewClient(benchClient(b, authz.Addr))
	acls := kadm.NewACLs().Allow("User:ANONYMOUS").Topics("bench").ResourcePatternType(kadm.ACLPatternLiteral).
		Operations(kadm.OpWrite, kadm.OpDescribe, kadm.OpCreate)
	if _, err := adm.CreateACLs(ctx, acls); err != nil {
		b.Fatal(err)
	}
	req := kmsg.NewPtrCreateACLsRequest() // the other 997 in one request
	for i := range 1000 - 3 {
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName = kmsg.ACLResourceTypeTopic, fmt.Sprintf("t%d", i)
		c.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		if i%2 == 1 {
			c.ResourcePatternType = kmsg.ACLResourcePatternTypePrefixed
		}
		c.Principal, c.Host = fmt.Sprintf("User:u%d", i), "*"
		c.Operation, c.PermissionType = kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, c)
	}
	resp, err := req.RequestWith(ctx, benchClient(b, authz.Addr))
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			b.Fatalf("ACL creation: error %d %v", r.ErrorCode, r.ErrorMessage)
		}
	}
	// The authorizer is at work: a topic whose ACLs name only another user
	// is refused to this client.
	denied := benchClient(b, authz.Addr, kgo.AllowAutoTopicCreation(), kgo.RecordRetries(1))
	if err := denied.ProduceSync(ctx, &kgo.Record{Topic: "t1", Value: []byte("v")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		b.Fatalf("produce to a topic only u1 may use: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	clients := map[string]*kgo.Client{}
	for name, addr := range map[string]string{"plain": plain.Addr, "authz": authz.Addr} {
		cl := benchClient(b, addr, kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("bench"), kgo.ProducerLinger(0))
		for range 200 { // warm up: the topic (auto-created), the connection, the log
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
		clients[name] = cl
	}
	lat := map[string][]time.Duration{}
	b.ResetTimer()
	for round := range 10 {
		for _, name := range []string{"plain", "authz"} {
			for range max(1, b.N/10) {
				start := time.Now()
				if err := clients[name].ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
					b.Fatalf("%s round %d: %v", name, round, err)
				}
				lat[name] = append(lat[name], time.Since(start))
			}
		}
	}
	b.StopTimer()
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Nanoseconds()) / 1e3
	}
	b.ReportMetric(p50(lat["plain"]), "plain-p50-µs")
	b.ReportMetric(p50(lat["authz"]), "acls-p50-µs")
	b.ReportMetric(p50(lat["authz"])/p50(lat["plain"]), "p50-ratio")
}

// BenchmarkProduceP99UnderStalledSenders measures what 20 connections that
// each send 50 MiB of a request and stall (queued.max.request.bytes keeps
// all but the budget unread) cost a well-behaved producer: the p99 of b.N
// acks=all records sent one at a time with nothing else going on, then
// with the senders stalled, in GREGOR_BENCH_REPS rounds (default 3)
// interleaved in one process. It reports the median p99 of each, the
// median of the rounds' ratios, and the largest growth of the heap in use
// while the senders stall.
func BenchmarkProduceP99UnderStalledSenders(b *testing.B) {
	if b.N == 1 {
		return // the testing package's probe run: a p99 of one record says nothing
	}
	reps := 3
	if s := os.Getenv("GREGOR_BENCH_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	n := nodetest.Start(b, "", nil)
	cl := benchClient(b, n.Addr, kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("stalled"), kgo.ProducerLinger(0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p99 := func(records int) float64 {
		lat := make([]time.Duration, 0, records)
		for range records {
			start := time.Now()
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		return float64(percentile(lat, 0.99).Microseconds())
	}
	p99(200) // warm up: the topic, the connection, the log
	var idle, stalled, ratios []float64
	var grown uint64
	b.ResetTimer()
	for r := range reps {
		i := p99(b.N)
		runtime.GC()
		var before, during runtime.MemStats
		runtime.ReadMemStats(&before)
		release := stallLargeRequests(b, n.Addr, 20, 50<<20)
		time.Sleep(3 * time.Second) // every sender pushes what the broker takes
		s := p99(b.N)
		runtime.ReadMemStats(&during)
		release()
		runtime.GC() // the next idle round does not pay for freeing the stalled buffers
		time.Sleep(time.Second)
		grown = max(grown, during.HeapInuse-min(before.HeapInuse, during.HeapInuse))
		idle, stalled, ratios = append(idle, i), append(stalled, s), append(ratios, s/i)
		b.Logf("round %d: idle p99 %.0f µs, stalled p99 %.0f µs, ratio %.2f", r, i, s, s/i)
	}
	b.StopTimer()
	b.ReportMetric(medianOf(idle), "idle-p99-µs")
	b.ReportMetric(medianOf(stalled), "stalled-p99-µs")
	b.ReportMetric(medianOf(ratios), "p99-ratio")
	b.ReportMetric(float64(grown>>20), "heap-growth-MiB")
}
