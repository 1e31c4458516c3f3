package node_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/config"
	"gregor/internal/node"
)

// BenchmarkCleanStop times a clean stop (what SIGTERM does: a controlled
// shutdown, then producer snapshots, a flush and close of every log and
// the checkpoints) of one node with many partitions on the real disk:
// after one record was written to every partition, and again after a
// restart with nothing written. GREGOR_BENCH_PARTITIONS sets the count
// (default 20,000); run it with -benchtime 1x.
func BenchmarkCleanStop(b *testing.B) {
	partitions := int32(20_000)
	if s := os.Getenv("GREGOR_BENCH_PARTITIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		partitions = int32(n)
	}
	for range b.N {
		dir := b.TempDir()
		n := startStopBenchNode(b, dir)
		adm := kadm.NewClient(benchClient(b, n.Addrs()[0].String(), kgo.RequestTimeoutOverhead(5*time.Minute)))
		const perTopic = 2_000
		var recs []*kgo.Record
		for t := int32(0); t*perTopic < partitions; t++ {
			count := min(perTopic, partitions-t*perTopic)
			resp, err := adm.CreateTopic(context.Background(), count, 1, nil, fmt.Sprintf("stop-%d", t))
			if err == nil {
				err = resp.Err
			}
			if err != nil {
				b.Fatal(err)
			}
			for p := range count {
				recs = append(recs, &kgo.Record{Topic: fmt.Sprintf("stop-%d", t), Partition: p, Value: []byte("v")})
			}
		}
		cl := benchClient(b, n.Addrs()[0].String(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
		cl.Close()
		written := timeStop(b, n)
		restarted := timeStop(b, startStopBenchNode(b, dir))
		b.ReportMetric(written.Seconds(), "s/stop-written")
		b.ReportMetric(restarted.Seconds(), "s/stop-restarted")
	}
}

// startStopBenchNode starts a node on dir with a long broker session:
// creating thousands of partitions holds the controller's loop for seconds.
func startStopBenchNode(b *testing.B, dir string) *node.Node {
	cfg, _, err := config.Parse(map[string]string{
		"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": dir, "offsets.topic.replication.factor": "1",
		"http.listeners": "", "schema.registry.listeners": "", "rest.proxy.listeners": "",
		"broker.session.timeout.ms": "600000",
	})
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// timeStop stops n as SIGTERM does and returns how long it took.
func timeStop(b *testing.B, n *node.Node) time.Duration {
	start := time.Now()
	n.Stop()
	done := make(chan error, 1)
	go func() { done <- n.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Fatalf("node stopped with: %v", err)
		}
	case <-time.After(10 * time.Minute):
		b.Fatal("node did not stop within 10 minutes")
	}
	return time.Since(start)
}
