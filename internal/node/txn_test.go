package node_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// txnProps keep __transaction_state small and check timeouts often.
var txnProps = map[string]string{
	"transaction.state.log.num.partitions":                        "4",
	"transaction.abort.timed.out.transaction.cleanup.interval.ms": "100",
	"group.min.session.timeout.ms":                                "200",
	"offsets.topic.num.partitions":                                "4",
	"group.initial.rebalance.delay.ms":                            "0",
}

func txnClient(t *testing.T, addr, id string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return newClient(t, addr, append([]kgo.Opt{kgo.TransactionalID(id), kgo.TransactionTimeout(10 * time.Second)}, opts...)...)
}

// produceInTxn produces values in one transaction and commits or aborts it.
func produceInTxn(t *testing.T, cl *kgo.Client, topic string, commit bool, values ...string) {
	t.Helper()
	ctx := testContext(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

// readValues reads topic from the start until its end under the isolation
// level given, returning the values.
func readValues(t *testing.T, addr, topic string, isolation kgo.IsolationLevel) []string {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(isolation))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out []string
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return out
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
}

// TestTransactionsCommitAndAbort proves that read_committed consumers see
// the records of committed transactions only, read_uncommitted ones see
// aborted records too, and ListOffsets under read_committed stops at the
// open transaction's first offset (the last stable offset).
func TestTransactionsCommitAndAbort(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "txn-a", 1, nil)
	cl := txnClient(t, n.Addr, "tx-1")
	produceInTxn(t, cl, "txn-a", true, "c1", "c2")
	produceInTxn(t, cl, "txn-a", false, "a1", "a2")
	produceInTxn(t, cl, "txn-a", true, "c3")
	if got := readValues(t, n.Addr, "txn-a", kgo.ReadCommitted()); fmt.Sprint(got) != "[c1 c2 c3]" {
		t.Fatalf("read_committed read %v", got)
	}
	if got := readValues(t, n.Addr, "txn-a", kgo.ReadUncommitted()); fmt.Sprint(got) != "[c1 c2 a1 a2 c3]" {
		t.Fatalf("read_uncommitted read %v", got)
	}
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "txn-a", Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if got := readValues(t, n.Addr, "txn-a", kgo.ReadCommitted()); fmt.Sprint(got) != "[c1 c2 c3]" {
		t.Fatalf("read_committed during an open transaction read %v", got)
	}
	if err := cl.EndTransaction(testContext(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if got := readValues(t, n.Addr, "txn-a", kgo.ReadCommitted()); fmt.Sprint(got) != "[c1 c2 c3 open]" {
		t.Fatalf("read_committed after the commit read %v", got)
	}
}

// TestTransactionZombieFenced proves that a second producer with the same
// transactional id fences the first: the first's next transactional
// request fails with PRODUCER_FENCED or INVALID_PRODUCER_EPOCH, and its open
// transaction is aborted.
func TestTransactionZombieFenced(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "txn-z", 1, nil)
	zombie := txnClient(t, n.Addr, "tx-z")
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(testContext(t), &kgo.Record{Topic: "txn-z", Value: []byte("zombie")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fresh := txnClient(t, n.Addr, "tx-z")
	produceInTxn(t, fresh, "txn-z", true, "fresh")
	err := zombie.ProduceSync(testContext(t), &kgo.Record{Topic: "txn-z", Value: []byte("zombie-2")}).FirstErr()
	if err == nil {
		err = zombie.EndTransaction(testContext(t), kgo.TryCommit)
	}
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("zombie: %v, want PRODUCER_FENCED or INVALID_PRODUCER_EPOCH", err)
	}
	if got := readValues(t, n.Addr, "txn-z", kgo.ReadCommitted()); fmt.Sprint(got) != "[fresh]" {
		t.Fatalf("read_committed read %v", got)
	}
}

// TestTransactionTimeoutAborts proves that a transaction its producer
// abandons is aborted by the coordinator after transaction.timeout.ms and
// stops holding back the last stable offset.
func TestTransactionTimeoutAborts(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "txn-t", 1, nil)
	abandoned := txnClient(t, n.Addr, "tx-t", kgo.TransactionTimeout(500*time.Millisecond))
	if err := abandoned.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := abandoned.ProduceSync(testContext(t), &kgo.Record{Topic: "txn-t", Value: []byte("abandoned")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	plain := newClient(t, n.Addr)
	if err := plain.ProduceSync(testContext(t), &kgo.Record{Topic: "txn-t", Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := readValues(t, n.Addr, "txn-t", kgo.ReadCommitted())
		if fmt.Sprint(got) == "[after]" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("read_committed still reads %v", got)
		}
	}
}

// TestConsumeTransformProduceExactlyOnce proves exactly-once processing
// with franz-go's GroupTransactSession: records are copied from A to B in
// transactions that commit the consumed offsets, some are aborted and some
// processes stop mid-transaction and are replaced; B read with
// read_committed then holds every input record exactly once.
func TestConsumeTransformProduceExactlyOnce(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "ctp-a", 3, nil)
	createTopic(t, n.Addr, "ctp-b", 3, nil)
	const total = 600
	produceSync(t, newClient(t, n.Addr), "ctp-a", "in", total, 50)
	job := copyJob{seeds: []string{n.Addr}, in: "ctp-a", out: "ctp-b", group: "ctp-g", txnID: "ctp"}
	job.run(t, nil)
	checkExactlyOnce(t, readValues(t, n.Addr, "ctp-b", kgo.ReadCommitted()), total)
}

// checkExactlyOnce fails the test unless got holds out-in-0 ..
// out-in-<total-1> once each and nothing else.
func checkExactlyOnce(t *testing.T, got []string, total int) {
	t.Helper()
	seen := map[string]int{}
	for _, v := range got {
		seen[v]++
	}
	for i := 0; i < total; i++ {
		if v := fmt.Sprintf("out-in-%d", i); seen[v] != 1 {
			t.Fatalf("%s appears %d times in the output (%d records)", v, seen[v], len(got))
		}
	}
	if len(got) != total {
		t.Fatalf("the output holds %d records, want %d", len(got), total)
	}
}

// copyJob is a consume-transform-produce copy from topic in to topic out
// by a GroupTransactSession in group with a transactional id.
type copyJob struct {
	seeds                 []string
	in, out, group, txnID string
}

// run runs processes of the job until one finds the input exhausted,
// calling between (if not nil) before each process with its round.
func (j copyJob) run(t *testing.T, between func(round int)) {
	t.Helper()
	for round := 0; ; round++ {
		if round > 40 {
			t.Fatal("input not consumed after 40 rounds")
		}
		if between != nil {
			between(round)
		}
		if j.round(t, round) {
			return
		}
	}
}

// round runs one process of the copy: a session that processes a few
// polls, aborting every third transaction, and in odd rounds stops
// without ending its last transaction (a crash). It reports whether the
// input was exhausted.
func (j copyJob) round(t *testing.T, round int) bool {
	t.Helper()
	s, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(j.seeds...), kgo.TransactionalID(j.txnID), kgo.TransactionTimeout(2*time.Second),
		kgo.ConsumerGroup(j.group), kgo.ConsumeTopics(j.in), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(2*time.Second),
		kgo.HeartbeatInterval(200*time.Millisecond), kgo.RequireStableFetchOffsets(), kgo.FetchMaxWait(300*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testContext(t)
	idle := 0
	for poll := 0; poll < 4; poll++ {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := s.PollRecords(pctx, 40)
		cancel()
		recs := fs.Records()
		if len(recs) == 0 {
			if idle++; idle == 3 {
				return true
			}
			continue
		}
		if err := s.Begin(); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			s.Produce(ctx, &kgo.Record{Topic: j.out, Key: r.Key, Value: append([]byte("out-"), r.Value...)}, nil)
		}
		if round%2 == 1 && poll == 3 {
			return false // stop mid-transaction: the next process's InitProducerId aborts it
		}
		commit := (round+poll)%3 != 0
		if _, err := s.End(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Logf("round %d end: %v", round, err)
		}
	}
	return false
}

// TestOffsetFetchRequireStable proves KIP-447's require_stable: while a
// transaction holds an offset commit of the group for a partition,
// OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for it
// (for it named and in a fetch of every offset) and without it the last
// committed offset; once the transaction commits, its offset.
func TestOffsetFetchRequireStable(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "stable", 1, nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	commitGroupOffsets(t, n.Addr, "stable-g", "stable") // offset 42 of partition 0
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis, init.ProducerID, init.ProducerEpoch = kmsg.StringPtr("stable-tx"), 60000, -1, -1
	ir, err := init.RequestWith(ctx, cl)
	if err != nil || ir.ErrorCode != 0 {
		t.Fatalf("init producer id: %v %+v", err, ir)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "stable-tx", ir.ProducerID, ir.ProducerEpoch, "stable-g"
	if ar, err := add.RequestWith(ctx, cl); err != nil || ar.ErrorCode != 0 {
		t.Fatalf("add offsets: %v %+v", err, ar)
	}
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch, commit.Generation = "stable-tx", "stable-g", ir.ProducerID, ir.ProducerEpoch, -1
	commit.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "stable", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: 100, LeaderEpoch: -1}}}}
	if cr, err := commit.RequestWith(ctx, cl); err != nil || cr.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("txn offset commit: %v %+v", err, cr)
	}
	for _, named := range []bool{true, false} {
		if code, offset := fetchOffset(t, cl, "stable-g", "stable", named, true); code != kerr.UnstableOffsetCommit.Code || offset != -1 {
			t.Errorf("require_stable (named %v) while pending: code %d offset %d, want UNSTABLE_OFFSET_COMMIT -1", named, code, offset)
		}
	}
	if code, offset := fetchOffset(t, cl, "stable-g", "stable", true, false); code != 0 || offset != 42 {
		t.Errorf("without require_stable while pending: code %d offset %d, want 0 42", code, offset)
	}
	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = "stable-tx", ir.ProducerID, ir.ProducerEpoch, true
	if er, err := end.RequestWith(ctx, cl); err != nil || er.ErrorCode != 0 {
		t.Fatalf("end txn: %v %+v", err, er)
	}
	waitFor(t, "the committed transactional offset", func() bool {
		code, offset := fetchOffset(t, cl, "stable-g", "stable", true, true)
		return code == 0 && offset == 100
	})
}

// fetchOffset returns the error code and offset OffsetFetch answers for
// partition 0 of topic in group: named, or in a fetch of every offset.
func fetchOffset(t *testing.T, cl *kgo.Client, group, topic string, named, requireStable bool) (int16, int64) {
	t.Helper()
	r := kmsg.NewPtrOffsetFetchRequest()
	g := kmsg.NewOffsetFetchRequestGroup()
	g.Group = group
	if named {
		g.Topics = []kmsg.OffsetFetchRequestGroupTopic{{Topic: topic, Partitions: []int32{0}}}
	}
	r.Groups, r.RequireStable = []kmsg.OffsetFetchRequestGroup{g}, requireStable
	resp, err := r.RequestWith(testContext(t), cl)
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].ErrorCode != 0 {
		t.Fatalf("offset fetch: %v %+v", err, resp)
	}
	for _, rt := range resp.Groups[0].Topics {
		for _, p := range rt.Partitions {
			if rt.Topic == topic && p.Partition == 0 {
				return p.ErrorCode, p.Offset
			}
		}
	}
	return 0, -1
}
