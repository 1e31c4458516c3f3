package node_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/auth/authtest"
)

// BenchmarkSecurityOverhead measures produce (acks=all, async, one
// client) and consume of 1 KiB incompressible records over the node's
// PLAINTEXT listener, over SASL_PLAINTEXT and over SASL_SSL, both with
// SCRAM-SHA-512, on one node, one after the other. -count repeats each case
// before the next: for ratios on a noisy machine, repeat whole runs instead,
//
//	for i in 1 2 3 4 5; do go test -run '^$' -bench SecurityOverhead -benchtime 200000x ./internal/node; done
//
// Each case reports records/s (wall clock) and the process's CPU time per
// record (broker and clients). Over TLS a fetch cannot be served with
// writev or sendfile: every byte is sealed by crypto/tls (see
// internal/server's writeTLS).
//
// For context, GREGOR_SECURITY_BENCH_PEER=PLAINTEXT-ADDR,SSL-ADDR,CA-PEM runs
// the same cases against a broker already running (Apache Kafka): its
// PLAINTEXT listener and its SSL one (no SASL: SCRAM costs only at
// connect), with a client that trusts CA-PEM; the CPU time is then the
// clients' alone.
//
// GREGOR_SECURITY_BENCH_PROPS="key=value key=value" adds broker properties
// to the node's, for A/B runs of a setting, e.g.
// "socket.send.buffer.bytes=-1 socket.receive.buffer.bytes=-1".
func BenchmarkSecurityOverhead(b *testing.B) {
	listeners, adm := securityListeners(b)
	ctx := context.Background()
	value := make([]byte, 1024)
	rand.Read(value)
	topics := 0
	for _, op := range []string{"produce", "consume"} {
		for _, l := range listeners {
			b.Run(op+"/"+l.name, func(b *testing.B) {
				topics++
				topic := fmt.Sprintf("sec-%d-%d", time.Now().UnixNano(), topics)
				if _, err := adm.CreateTopic(ctx, 6, 1, nil, topic); err != nil {
					b.Fatal(err)
				}
				producer := benchClient(b, l.addr, append([]kgo.Opt{kgo.DefaultProduceTopic(topic), kgo.MaxBufferedRecords(10_000),
					kgo.ProducerBatchCompression(kgo.NoCompression())}, l.opts...)...)
				if err := producer.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
					b.Fatal(err) // connected and authenticated before the clock starts
				}
				produce := func() {
					var left atomic.Int64
					left.Store(int64(b.N))
					produceAsync(b, producer, &left, func() *kgo.Record { return &kgo.Record{Value: value} })
				}
				b.SetBytes(1024)
				if op == "produce" {
					b.ResetTimer()
					start, cpu := time.Now(), processCPU()
					produce()
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
					b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/record")
					return
				}
				produce()
				consumer := benchClient(b, l.addr, append([]kgo.Opt{kgo.ConsumeTopics(topic),
					kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, l.opts...)...)
				want := b.N + 1
				b.ResetTimer()
				start, cpu := time.Now(), processCPU()
				cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
				defer cancel()
				for got := 0; got < want; {
					fs := consumer.PollFetches(cctx)
					if err := fs.Err0(); err != nil {
						b.Fatalf("consumed %d of %d: %v", got, want, err)
					}
					got += fs.NumRecords()
				}
				b.ReportMetric(float64(want)/time.Since(start).Seconds(), "records/s")
				b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(want), "cpu-ns/record")
			})
		}
	}
}

// securityListener is a listener BenchmarkSecurityOverhead measures, with
// the client options it needs.
type securityListener struct {
	name string
	addr string
	opts []kgo.Opt
}

// securityListeners starts a node with PLAINTEXT, SASL_PLAINTEXT and
// SASL_SSL listeners and a SCRAM-SHA-512 user, or takes the peer's
// listeners (GREGOR_SECURITY_BENCH_PEER), and returns them with an admin
// client on the PLAINTEXT one.
func securityListeners(b *testing.B) ([]securityListener, *kadm.Client) {
	if peer := os.Getenv("GREGOR_SECURITY_BENCH_PEER"); peer != "" {
		plaintext, rest, _ := strings.Cut(peer, ",")
		ssl, caFile, _ := strings.Cut(rest, ",")
		ca, err := os.ReadFile(caFile)
		if err != nil {
			b.Fatal(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(ca) {
			b.Fatalf("no certificate in %s", caFile)
		}
		host, _, _ := strings.Cut(ssl, ":")
		return []securityListener{
			{"PLAINTEXT", plaintext, nil},
			{"SSL", ssl, []kgo.Opt{kgo.DialTLSConfig(&tls.Config{RootCAs: roots, ServerName: host})}},
		}, kadm.NewClient(benchClient(b, plaintext))
	}
	ca := authtest.NewCA(b)
	extra := map[string]string{}
	for _, kv := range strings.Fields(os.Getenv("GREGOR_SECURITY_BENCH_PROPS")) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			b.Fatalf("GREGOR_SECURITY_BENCH_PROPS: %q is not key=value", kv)
		}
		extra[k] = v
	}
	n, saslPlain, saslSSL := startSASLNode(b, ca, extra)
	adm := kadm.NewClient(benchClient(b, n.Addr))
	res, err := adm.AlterUserSCRAMs(context.Background(), nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		b.Fatal(err)
	}
	scramSHA512 := kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism())
	return []securityListener{
		{"PLAINTEXT", n.Addr, nil},
		{"SASL_PLAINTEXT", saslPlain, []kgo.Opt{scramSHA512}},
		{"SASL_SSL", saslSSL, []kgo.Opt{kgo.DialTLSConfig(clientTLS(b, ca, "")), scramSHA512}},
	}, adm
}

// processCPU is the user and system CPU time of this process, broker and
// clients together. On a shared machine other processes' load stretches
// the wall-clock figures a lot more than this one.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
