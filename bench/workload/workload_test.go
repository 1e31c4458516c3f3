package workload

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestWorkload runs each workload briefly against an in-process kfake
// broker and checks that what was produced is what was consumed and that
// every latency run returned one sample per record at about the asked
// rate.
func TestWorkload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := cluster.ListenAddrs()[0]

	for _, topic := range []string{"tp", "lat", "e2e"} {
		if err := CreateTopic(ctx, addr, topic, 6); err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
	}
	produced, err := Produce(ctx, addr, "tp", 100, time.Hour, 20000)
	if err != nil {
		t.Fatal(err)
	}
	if produced.Records != 20000 || produced.Bytes != 2000000 {
		t.Fatalf("produced %+v, want 20000 records of 100 bytes", produced)
	}
	consumed, err := Consume(ctx, addr, "tp", produced.Records)
	if err != nil {
		t.Fatal(err)
	}
	if consumed.Records != produced.Records || consumed.Bytes != produced.Bytes {
		t.Fatalf("consumed %+v, produced %+v", consumed, produced)
	}

	lat, err := ProduceLatency(ctx, addr, "lat", 1024, 2000, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Samples) != 2000 || lat.Achieved < 1000 {
		t.Fatalf("latency run: %d samples at %.0f rec/s, want 2000 at about 2000", len(lat.Samples), lat.Achieved)
	}
	for i, s := range lat.Samples {
		if s <= 0 || s > 10*time.Second {
			t.Fatalf("latency sample %d = %v", i, s)
		}
	}

	e2e, err := EndToEnd(ctx, addr, "e2e", 1024, 2000, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(e2e.Samples) != 2000 {
		t.Fatalf("end-to-end run: %d samples, want 2000", len(e2e.Samples))
	}
	if err := DeleteTopic(ctx, addr, "tp"); err != nil {
		t.Fatal(err)
	}
}
