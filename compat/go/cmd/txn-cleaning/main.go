// Command txn-cleaning writes the workload of compat/kafka/cleaner-diff to
// one broker: two transactional producers interleave committed and aborted
// transactions with keys on a compacted topic that rolls a segment per
// batch, then a plain producer writes a filler record every 100 ms for
// FILLER_SECONDS (default 12), so that the log cleaner runs again and again,
// past the topic's delete.retention.ms of 2 s.
//
//	txn-cleaning BOOTSTRAP TOPIC
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: txn-cleaning BOOTSTRAP TOPIC")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "txn-cleaning:", err)
		os.Exit(1)
	}
}

func run(bootstrap, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer admin.Close()
	s := func(v string) *string { return &v }
	resp, err := kadm.NewClient(admin).CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": s("compact"),
		"segment.ms": s("1"), "min.cleanable.dirty.ratio": s("0.01"), "delete.retention.ms": s("2000"),
		"file.delete.delay.ms": s("0")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", topic, err)
	}
	a, b := newProducer(bootstrap, topic, "txn-cleaning-a"), newProducer(bootstrap, topic, "txn-cleaning-b")
	defer a.Close()
	defer b.Close()
	for _, t := range []struct {
		cl     *kgo.Client
		commit bool
		kvs    []string
	}{
		{a, true, []string{"k1", "a1", "k2", "a1"}},
		{b, false, []string{"k1", "bx", "k3", "bx"}},
		{a, false, []string{"k2", "ax"}},
		{b, true, []string{"k3", "b1"}},
		{a, true, []string{"k1", "a2"}},
		{b, false, []string{"k1", "bx"}},
	} {
		if err := transaction(ctx, t.cl, t.commit, t.kvs); err != nil {
			return err
		}
	}
	seconds, err := strconv.Atoi(os.Getenv("FILLER_SECONDS"))
	if err != nil {
		seconds = 12
	}
	plain, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return err
	}
	defer plain.Close()
	for i, end := 0, time.Now().Add(time.Duration(seconds)*time.Second); time.Now().Before(end); i++ {
		time.Sleep(100 * time.Millisecond)
		r := &kgo.Record{Key: []byte("filler"), Value: []byte(strconv.Itoa(i))}
		if err := plain.ProduceSync(ctx, r).FirstErr(); err != nil {
			return fmt.Errorf("filler: %w", err)
		}
	}
	return nil
}

func newProducer(bootstrap, topic, id string) *kgo.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.TransactionalID(id), kgo.DefaultProduceTopic(topic))
	if err != nil {
		panic(err) // only options are checked here, and they are fixed
	}
	return cl
}

// transaction writes the key-value pairs one batch each (20 ms apart: past
// segment.ms, each starts a segment) and commits or aborts.
func transaction(ctx context.Context, cl *kgo.Client, commit bool, kvs []string) error {
	if err := cl.BeginTransaction(); err != nil {
		return err
	}
	for i := 0; i < len(kvs); i += 2 {
		time.Sleep(20 * time.Millisecond)
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(kvs[i]), Value: []byte(kvs[i+1])}).FirstErr(); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
	}
	return cl.EndTransaction(ctx, kgo.TransactionEndTry(commit))
}
