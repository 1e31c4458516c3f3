package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTransactionsTool proves the transactions tool against a broker with
// an open transaction: list and describe show the id as Ongoing with its
// partition, describe-producers shows the transaction's start offset,
// find-hanging finds nothing (the coordinator knows the transaction), and
// abort by start offset ends it: the producer then has no open transaction.
func TestTransactionsTool(t *testing.T) {
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("tool-"+topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out := mustGregor(t, "", "transactions", "--bootstrap-server", addr, "list")
	if !strings.Contains(out, "TransactionalId") || !regexpLine(out, "tool-"+topic+`\s+\d+\s+\d+\s+Ongoing`) {
		t.Fatalf("list:\n%s", out)
	}
	// The filters are Kafka's: the pattern matches whole ids, the duration
	// leaves out what runs for less.
	for args, listed := range map[string]bool{
		"--transactional-id-pattern tool-.*": true,
		"--transactional-id-pattern tool":    false,
		"--duration-filter 0":                true,
		"--duration-filter 600000":           false,
		"--duration-filter -1":               true,
	} {
		out := mustGregor(t, "", append([]string{"transactions", "--bootstrap-server", addr, "list"}, strings.Fields(args)...)...)
		if got := regexpLine(out, "tool-"+topic+`\s+\d+\s+\d+\s+Ongoing`); got != listed {
			t.Errorf("list %s: listed %v, want %v:\n%s", args, got, listed, out)
		}
	}
	if r := gregor(t, "", "transactions", "--bootstrap-server", addr, "list", "--transactional-id-pattern", "a)|(b"); r.err == nil ||
		!strings.Contains(r.err.Error(), "INVALID_REGULAR_EXPRESSION") {
		t.Errorf("an invalid pattern: %v", r.err)
	}
	out = mustGregor(t, "", "transactions", "--bootstrap-server", addr, "describe", "--transactional-id", "tool-"+topic)
	if !strings.Contains(out, "Ongoing") || !strings.Contains(out, topic+"-0") {
		t.Fatalf("describe:\n%s", out)
	}
	out = mustGregor(t, "", "transactions", "--bootstrap-server", addr, "describe-producers", "--topic", topic, "--partition", "0")
	if !regexpLine(out, `^\d+\s+0\s+-1\s+0\s+\d+\s+0\s*$`) {
		t.Fatalf("describe-producers:\n%s", out)
	}
	out = mustGregor(t, "", "transactions", "--bootstrap-server", addr, "find-hanging", "--topic", topic, "--max-transaction-timeout", "0")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("find-hanging found a transaction its coordinator knows:\n%s", out)
	}
	mustGregor(t, "", "transactions", "--bootstrap-server", addr, "abort", "--topic", topic, "--partition", "0", "--start-offset", "0")
	out = mustGregor(t, "", "transactions", "--bootstrap-server", addr, "describe-producers", "--topic", topic, "--partition", "0")
	if !regexpLine(out, `\s+None\s*$`) {
		t.Fatalf("describe-producers after abort:\n%s", out)
	}
}

// regexpLine reports whether a line of out matches re.
func regexpLine(out, re string) bool {
	r := regexp.MustCompile(re)
	for _, l := range strings.Split(out, "\n") {
		if r.MatchString(l) {
			return true
		}
	}
	return false
}
