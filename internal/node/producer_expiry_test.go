package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestIdleProducerIDsExpire proves producer.id.expiration.ms: an
// idempotent producer's state, listed by DescribeProducers, is forgotten
// once the producer has written nothing for that long, while one that
// keeps writing stays.
func TestIdleProducerIDsExpire(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{
		"producer.id.expiration.ms":                "1500",
		"producer.id.expiration.check.interval.ms": "100",
	})
	createTopic(t, n.Addr, "expiring", 1, nil)
	ctx := testContext(t)
	idle, busy := newClient(t, n.Addr), newClient(t, n.Addr)
	for _, cl := range []*kgo.Client{idle, busy} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "expiring", Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(newClient(t, n.Addr))
	producers := func() int {
		t.Helper()
		ds, err := adm.DescribeProducers(ctx, kadm.TopicsSet{"expiring": {0: {}}})
		if err != nil {
			t.Fatal(err)
		}
		d := ds["expiring"].Partitions[0]
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		return len(d.ActiveProducers)
	}
	if got := producers(); got != 2 {
		t.Fatalf("%d producers listed, want 2", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for producers() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the idle producer never expired: %d producers listed", producers())
		}
		if err := busy.ProduceSync(ctx, &kgo.Record{Topic: "expiring", Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The busy producer is the one left, and goes on where it was.
	if err := busy.ProduceSync(ctx, &kgo.Record{Topic: "expiring", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// The idle one comes back as a new producer: its next sequence is
	// accepted (KIP-360), not refused as out of order.
	if err := idle.ProduceSync(ctx, &kgo.Record{Topic: "expiring", Value: []byte("again")}).FirstErr(); err != nil {
		t.Fatalf("the expired producer's next write: %v", err)
	}
}
