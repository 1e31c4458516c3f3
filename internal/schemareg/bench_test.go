package schemareg_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// BenchmarkSchemaByID measures GET /schemas/ids/{id} from parallel
// clients over keep-alive connections against a real node: the lookup a
// deserializer makes for a schema id it has not cached. It reports
// requests per second.
//
//	go test -run '^$' -bench SchemaByID -benchtime 200000x ./internal/schemareg
func BenchmarkSchemaByID(b *testing.B) {
	r := start(b, "")
	for i := range 10 {
		r.expect("POST", fmt.Sprintf("/subjects/s%d/versions", i), avroBody(fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"a","type":"int"}]}`, i)), 200, fmt.Sprintf(`{"id":%d}`, i+1))
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			resp, err := cl.Get(fmt.Sprintf("%s/schemas/ids/%d", r.url, i%10+1))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkRegisterTransitive registers 1,000 versions of one subject
// whose level is BACKWARD_TRANSITIVE, so that version n is checked
// against the n-1 before it; each version adds an optional field and drops
// the previous one, so that every pair is compatible. It reports the
// seconds the 1,000 took.
//
//	go test -run '^$' -bench RegisterTransitive -benchtime 1x ./internal/schemareg
func BenchmarkRegisterTransitive(b *testing.B) {
	const versions = 1000
	for range b.N {
		b.StopTimer()
		r := start(b, "")
		r.expect("PUT", "/config/s", map[string]string{"compatibility": "BACKWARD_TRANSITIVE"}, 200, `{"compatibility":"BACKWARD_TRANSITIVE"}`)
		b.StartTimer()
		began := time.Now()
		for v := range versions {
			schema := fmt.Sprintf(`{"type":"record","name":"R","fields":[{"name":"id","type":"long"},{"name":"f%d","type":["null","string"],"default":null}]}`, v)
			r.expect("POST", "/subjects/s/versions", avroBody(schema), 200, fmt.Sprintf(`{"id":%d}`, v+1))
		}
		b.ReportMetric(time.Since(began).Seconds(), "s/1000-versions")
		b.StopTimer()
		r.node.Shutdown()
		b.StartTimer()
	}
}

// BenchmarkProduceValidation measures produce throughput of 1 KiB
// Confluent wire-format Avro values from one franz-go producer (acks=all,
// no compression) to a topic without schema validation, one with value
// validation (schema id and subject), and one with payload validation
// (each value also decoded with its schema). The modes take turns, b.N
// records each, for rounds rounds, so that the machine's other load
// falls on all three alike; it reports each mode's median MB/s of values
// and MB per CPU second of the process (which the machine's other load
// does not skew), and the validated modes' ratios to the unvalidated one.
//
//	go test -run '^$' -bench ProduceValidation -benchtime 100000x ./internal/schemareg
func BenchmarkProduceValidation(b *testing.B) {
	const rounds = 7
	r := start(b, "")
	cl := r.client(kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.MaxBufferedRecords(1<<16))
	blob := avroBody(`{"type":"record","name":"Blob","fields":[{"name":"data","type":"string"}]}`)
	const size = 1024
	data := strings.Repeat("x", size-5-2) // a 2-byte length, then the string
	modes := []struct {
		name    string
		configs map[string]*string
		topic   string
		value   []byte
		mbps    []float64
		mbpcpu  []float64 // MB per CPU second of this process (broker and client)
	}{
		{name: "unvalidated"},
		{name: "validated-id", configs: map[string]*string{"confluent.value.schema.validation": on()}},
		{name: "validated-payload", configs: map[string]*string{"confluent.value.schema.validation": on(), "gregor.schema.validation.mode": kmsg.StringPtr("payload")}},
	}
	for i := range modes {
		m := &modes[i]
		m.topic = "bench-" + m.name
		createTopic(b, cl, m.topic, m.configs)
		id := r.register(m.topic+"-value", blob)
		m.value = wire(id, append(binary.AppendVarint(nil, int64(len(data))), data...))
		if len(m.value) != size {
			b.Fatalf("value of %d bytes", len(m.value))
		}
		produceN(b, cl, m.topic, m.value, 1000) // warm up: metadata, connections, the schema cache
	}
	b.ResetTimer()
	for range rounds {
		for i := range modes {
			m := &modes[i]
			began, cpu := time.Now(), cpuSeconds()
			produceN(b, cl, m.topic, m.value, b.N)
			mb := float64(b.N*size) / 1e6
			m.mbps = append(m.mbps, mb/time.Since(began).Seconds())
			m.mbpcpu = append(m.mbpcpu, mb/(cpuSeconds()-cpu))
		}
	}
	b.StopTimer()
	base, baseCPU := median(modes[0].mbps), median(modes[0].mbpcpu)
	for _, m := range modes {
		b.ReportMetric(median(m.mbps), m.name+"-MB/s")
		b.ReportMetric(median(m.mbpcpu), m.name+"-MB/cpu-s")
		if m.configs != nil {
			b.ReportMetric(median(m.mbps)/base, m.name+"-ratio")
			b.ReportMetric(median(m.mbpcpu)/baseCPU, m.name+"-cpu-ratio")
		}
	}
}

// produceN produces n copies of value to topic and waits for them all.
func produceN(b *testing.B, cl *kgo.Client, topic string, value []byte, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var failed atomic.Int64
	for range n {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d records to %s failed", n, topic)
	}
}

// cpuSeconds is the user and system CPU time this process has used: the
// broker's and the producer's, which share it. Other processes' load
// slows a run down but does not add to it.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
