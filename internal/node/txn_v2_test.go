package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// TestTransactionVersion2WithFranzGo proves that with transaction.version
// finalized at 2 (a new cluster's default) franz-go runs KIP-890 part 2
// transactions: no AddPartitionsToTxn, every end bumps the producer epoch,
// which DescribeProducers and DescribeTransactions show, and
// read_committed readers see the committed transactions only.
func TestTransactionVersion2WithFranzGo(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "tv2", 1, nil)
	if got := finalizedLevel(t, n.Addr, "transaction.version"); got != 2 {
		t.Fatalf("transaction.version finalized at %d, want 2", got)
	}
	cl := txnClient(t, n.Addr, "tv2-producer")
	produceInTxn(t, cl, "tv2", true, "c1")
	first := producerEpoch(t, n.Addr, "tv2")
	produceInTxn(t, cl, "tv2", false, "a1")
	produceInTxn(t, cl, "tv2", true, "c2")
	if got := producerEpoch(t, n.Addr, "tv2"); got != first+2 {
		t.Fatalf("partition's producer epoch %d after two more ends, want %d", got, first+2)
	}
	adm := kadm.NewClient(newClient(t, n.Addr))
	described, err := adm.DescribeTransactions(testContext(t), "tv2-producer")
	if err != nil {
		t.Fatal(err)
	}
	d := described["tv2-producer"]
	if d.State != "CompleteCommit" || d.ProducerEpoch != first+2 {
		t.Fatalf("described %s at epoch %d, want CompleteCommit at %d", d.State, d.ProducerEpoch, first+2)
	}
	if got := readValues(t, n.Addr, "tv2", kgo.ReadCommitted()); fmt.Sprint(got) != "[c1 c2]" {
		t.Fatalf("read_committed read %v", got)
	}
}

// TestTransactionVersion2Protocol proves the broker's side of KIP-890 part
// 2 on the wire: Produce v12 adds the partition to the transaction without
// AddPartitionsToTxn, EndTxn v5 answers the bumped epoch (and a retry at
// the old epoch answers it again), the markers fence a late write of the
// old epoch, Produce v11 still only verifies (TRANSACTION_ABORTABLE for a
// partition outside the transaction), an empty abort bumps the
// epoch, an empty commit is refused and TxnOffsetCommit v5 adds the
// offsets without AddOffsetsToTxn; at transaction.version 1 as at 2, as
// Kafka 4.2 serves these versions from 1.
func TestTransactionVersion2Protocol(t *testing.T) {
	for _, level := range []int16{2, 1} {
		t.Run(fmt.Sprintf("transaction.version=%d", level), func(t *testing.T) { testTransactionVersion2Protocol(t, level) })
	}
}

func testTransactionVersion2Protocol(t *testing.T, level int16) {
	n := nodetest.Start(t, "", txnProps)
	if level != 2 {
		setTransactionVersion(t, n.Addr, level)
	}
	createTopic(t, n.Addr, "tv2-raw", 1, nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr("tv2-raw"), 10000
	ir, err := init.RequestWith(ctx, cl)
	if err != nil || ir.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", ir, err)
	}
	pid, epoch := ir.ProducerID, ir.ProducerEpoch

	code := produceTxn(t, n.Addr, 12, "tv2-raw", pid, epoch, 0, "in-txn")
	wantCode(t, "Produce v12 without AddPartitionsToTxn", code, nil)
	newPID, newEpoch, code := endTxnV5(t, cl, "tv2-raw", pid, epoch, true)
	wantCode(t, "EndTxn v5", code, nil)
	if newPID != pid || newEpoch != epoch+1 {
		t.Fatalf("EndTxn v5 answered %d/%d, want %d/%d", newPID, newEpoch, pid, epoch+1)
	}
	retryPID, retryEpoch, code := endTxnV5(t, cl, "tv2-raw", pid, epoch, true)
	wantCode(t, "a retried EndTxn v5", code, nil)
	if retryPID != pid || retryEpoch != epoch+1 {
		t.Fatalf("retried EndTxn v5 answered %d/%d, want %d/%d", retryPID, retryEpoch, pid, epoch+1)
	}
	wantCode(t, "a late write of the old epoch", produceTxn(t, n.Addr, 12, "tv2-raw", pid, epoch, 1, "late"), kerr.InvalidProducerEpoch)
	wantCode(t, "Produce v11 outside the transaction", produceTxn(t, n.Addr, 11, "tv2-raw", pid, epoch+1, 0, "unverified"), kerr.TransactionAbortable)

	_, abortEpoch, code := endTxnV5(t, cl, "tv2-raw", pid, epoch+1, false)
	wantCode(t, "an empty abort", code, nil)
	if abortEpoch != epoch+2 {
		t.Fatalf("empty abort answered epoch %d, want %d", abortEpoch, epoch+2)
	}
	_, _, code = endTxnV5(t, cl, "tv2-raw", pid, epoch+2, true)
	wantCode(t, "an empty commit", code, kerr.InvalidTxnState)
	wantCode(t, "TxnOffsetCommit v5", txnOffsetCommitV5(t, n.Addr, "tv2-raw", pid, epoch+2, "tv2-raw"), nil)
	_, abortEpoch, code = endTxnV5(t, cl, "tv2-raw", pid, epoch+2, false)
	wantCode(t, "the abort of the offsets", code, nil)
	if abortEpoch != epoch+3 {
		t.Fatalf("the abort of the offsets answered epoch %d, want %d", abortEpoch, epoch+3)
	}
	if got := readValues(t, n.Addr, "tv2-raw", kgo.ReadCommitted()); fmt.Sprint(got) != "[in-txn]" {
		t.Fatalf("read_committed read %v", got)
	}
}

// TestUpdateFeaturesTransactionVersion proves that transaction.version can
// be downgraded and upgraded with UpdateFeatures, that ApiVersions answers
// the change with a newer epoch, that franz-go then keeps its epoch
// across transactions while Produce v12, EndTxn v5 and TxnOffsetCommit v5
// answer UNSUPPORTED_VERSION at 0 (as Kafka's) and are served from 1, and
// that levels Gregor does not serve are refused.
func TestUpdateFeaturesTransactionVersion(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "tv0", 1, nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	update := func(name string, level int16, typ int8) (int16, *string) {
		req := kmsg.NewPtrUpdateFeaturesRequest()
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType = name, level, typ
		req.FeatureUpdates = append(req.FeatureUpdates, u)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.ErrorCode, resp.ErrorMessage
	}
	for _, c := range []struct {
		name  string
		level int16
		typ   int8
	}{{"transaction.version", 3, 1}, {"transaction.version", 0, 1}, {"group.version", 0, 2}, {"no.such.feature", 1, 1}} {
		if code, msg := update(c.name, c.level, c.typ); code != kerr.InvalidUpdateVersion.Code {
			t.Errorf("%s=%d type %d: code %d (%v), want INVALID_UPDATE_VERSION", c.name, c.level, c.typ, code, deref(msg))
		}
	}
	if code, msg := update("transaction.version", 0, 2); code != 0 {
		t.Fatalf("downgrade: %d %v", code, deref(msg))
	}
	if got := finalizedLevel(t, n.Addr, "transaction.version"); got != 0 {
		t.Fatalf("transaction.version finalized at %d after the downgrade", got)
	}
	producer := txnClient(t, n.Addr, "tv0-producer")
	produceInTxn(t, producer, "tv0", true, "c1")
	first := producerEpoch(t, n.Addr, "tv0")
	produceInTxn(t, producer, "tv0", true, "c2")
	if got := producerEpoch(t, n.Addr, "tv0"); got != first {
		t.Fatalf("producer epoch moved from %d to %d at transaction.version 0", first, got)
	}
	raw := newClient(t, n.Addr)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr("tv0"), 10000
	ir, err := init.RequestWith(ctx, raw)
	if err != nil || ir.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", ir, err)
	}
	wantCode(t, "Produce v12 at transaction.version 0", produceTxn(t, n.Addr, 12, "tv0", ir.ProducerID, ir.ProducerEpoch, 0, "v12"), kerr.UnsupportedVersion)
	if _, _, code := endTxnV5(t, raw, "tv0", ir.ProducerID, ir.ProducerEpoch, false); code != kerr.UnsupportedVersion.Code {
		t.Errorf("EndTxn v5 at transaction.version 0: %v, want UNSUPPORTED_VERSION", kerr.ErrorForCode(code))
	}
	if code := txnOffsetCommitV5(t, n.Addr, "tv0", ir.ProducerID, ir.ProducerEpoch, "tv0"); code != kerr.UnsupportedVersion.Code {
		t.Errorf("TxnOffsetCommit v5 at transaction.version 0: %v, want UNSUPPORTED_VERSION", kerr.ErrorForCode(code))
	}
	add, verify := addPartitionsV5(t, n.Addr, "tv0", ir.ProducerID, ir.ProducerEpoch, false), addPartitionsV5(t, n.Addr, "tv0", ir.ProducerID, ir.ProducerEpoch, true)
	if add.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Errorf("AddPartitionsToTxn v5 adding at transaction.version 0: %v, want UNSUPPORTED_VERSION", kerr.ErrorForCode(add.ErrorCode))
	}
	if verify.ErrorCode != 0 || len(verify.Transactions) != 1 || verify.Transactions[0].Topics[0].Partitions[0].ErrorCode != kerr.TransactionAbortable.Code {
		t.Errorf("AddPartitionsToTxn v5 verifying at transaction.version 0: %+v, want TRANSACTION_ABORTABLE for the partition (as Kafka 4.2)", verify)
	}
	// Kafka then answers CONCURRENT_TRANSACTIONS for the id until its
	// coordinator reloads; Gregor leaves the transaction as it was.
	described, err := kadm.NewClient(raw).DescribeTransactions(ctx, "tv0")
	if d := described["tv0"]; err != nil || d.State != "Empty" || d.ProducerEpoch != ir.ProducerEpoch {
		t.Fatalf("after the refused requests the transaction is %+v (%v), want Empty at epoch %d", d, err, ir.ProducerEpoch)
	}
	if code, msg := update("transaction.version", 1, 1); code != 0 {
		t.Fatalf("upgrade to 1: %d %v", code, deref(msg))
	}
	if code := txnOffsetCommitV5(t, n.Addr, "tv0", ir.ProducerID, ir.ProducerEpoch, "tv0"); code != 0 {
		t.Errorf("TxnOffsetCommit v5 at transaction.version 1: %v", kerr.ErrorForCode(code))
	}
	if code, msg := update("transaction.version", 2, 1); code != 0 {
		t.Fatalf("upgrade: %d %v", code, deref(msg))
	}
	if code := txnOffsetCommitV5(t, n.Addr, "tv0", ir.ProducerID, ir.ProducerEpoch, "tv0"); code != 0 {
		t.Errorf("TxnOffsetCommit v5 at transaction.version 2: %v", kerr.ErrorForCode(code))
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
	resp, err := req.RequestWith(ctx, newClient(t, n.Addr))
	if err != nil || resp.FinalizedFeaturesEpoch <= 0 {
		t.Fatalf("ApiVersions after the upgrade: epoch %v %v", resp, err)
	}
	if got := finalizedLevel(t, n.Addr, "transaction.version"); got != 2 {
		t.Fatalf("transaction.version finalized at %d after the upgrade", got)
	}
}

// setTransactionVersion finalizes transaction.version at level (a safe
// downgrade or an upgrade).
func setTransactionVersion(t *testing.T, addr string, level int16) {
	t.Helper()
	req := kmsg.NewPtrUpdateFeaturesRequest()
	u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
	u.Feature, u.MaxVersionLevel, u.UpgradeType = "transaction.version", level, 1
	if level < finalizedLevel(t, addr, "transaction.version") {
		u.UpgradeType = 2
	}
	req.FeatureUpdates = append(req.FeatureUpdates, u)
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("transaction.version to %d: %v %v", level, resp, err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// finalizedLevel is the level ApiVersions finalizes feature at (0: none).
func finalizedLevel(t *testing.T, addr, feature string) int16 {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == feature {
			return f.MaxVersionLevel
		}
	}
	return 0
}

// producerEpoch is the epoch DescribeProducers shows for the only producer
// of partition 0 of topic.
func producerEpoch(t *testing.T, addr, topic string) int16 {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr))
	described, err := adm.DescribeProducers(testContext(t), kadm.TopicsSet{topic: {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := described[topic].Partitions[0]
	if !ok || p.Err != nil || len(p.ActiveProducers) != 1 {
		t.Fatalf("DescribeProducers %s-0: %+v", topic, p)
	}
	for _, ap := range p.ActiveProducers {
		return ap.ProducerEpoch
	}
	return -1
}

// produceTxn sends one transactional record at Produce version v to
// partition 0 of the topic named as the transactional id, and answers the
// partition's error code.
func produceTxn(t *testing.T, addr string, v int16, id string, pid int64, epoch int16, seq int32, value string) int16 {
	t.Helper()
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(0, v)
	cl := newClient(t, addr, kgo.MaxVersions(versions))
	b, err := record.Build(record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Transactional: true,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte(value)}}})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = kmsg.StringPtr(id), -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = id
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = b
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Version != v {
		t.Fatalf("Produce went at v%d, want v%d", resp.Version, v)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// txnOffsetCommitV5 commits offset 1 of partition 0 of topic for group
// "g-"+id in the producer's transaction with TxnOffsetCommit v5 and
// answers the partition's error code.
func txnOffsetCommitV5(t *testing.T, addr, id string, pid int64, epoch int16, topic string) int16 {
	t.Helper()
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(28, 5)
	cl := newClient(t, addr, kgo.MaxVersions(versions))
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch, req.Generation = id, "g-"+id, pid, epoch, -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Offset = 1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Version != 5 {
			t.Fatalf("TxnOffsetCommit went at v%d", resp.Version)
		}
		code := resp.Topics[0].Partitions[0].ErrorCode
		if code != kerr.CoordinatorLoadInProgress.Code && code != kerr.CoordinatorNotAvailable.Code && code != kerr.NotCoordinator.Code && code != kerr.ConcurrentTransactions.Code {
			return code
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addPartitionsV5 sends AddPartitionsToTxn v5, as a partition leader does,
// for partition 0 of the topic named as the transactional id, verify-only
// or adding it.
func addPartitionsV5(t *testing.T, addr, id string, pid int64, epoch int16, verifyOnly bool) *kmsg.AddPartitionsToTxnResponse {
	t.Helper()
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(24, 5)
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	tr := kmsg.NewAddPartitionsToTxnRequestTransaction()
	tr.TransactionalID, tr.ProducerID, tr.ProducerEpoch, tr.VerifyOnly = id, pid, epoch, verifyOnly
	tr.Topics = []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: id, Partitions: []int32{0}}}
	req.Transactions = append(req.Transactions, tr)
	kresp, err := newClient(t, addr, kgo.MaxVersions(versions)).Broker(1).Request(testContext(t), req) // not through a coordinator lookup
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.AddPartitionsToTxnResponse)
	if resp.Version != 5 {
		t.Fatalf("AddPartitionsToTxn went at v%d", resp.Version)
	}
	return resp
}

// endTxnV5 ends the transaction with EndTxn v5 and answers the producer id
// and epoch it gives back.
func endTxnV5(t *testing.T, cl *kgo.Client, id string, pid int64, epoch int16, commit bool) (int64, int16, int16) {
	t.Helper()
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pid, epoch, commit
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Version != 5 {
			t.Fatalf("EndTxn went at v%d", resp.Version)
		}
		if resp.ErrorCode != kerr.ConcurrentTransactions.Code {
			return resp.ProducerID, resp.ProducerEpoch, resp.ErrorCode
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTransactionVersion2AddsRequestPartitionsAtOnce proves that the
// partitions of one transactional Produce v12 join the transaction in one
// write to __transaction_state, as Kafka batches them, and both append.
func TestTransactionVersion2AddsRequestPartitionsAtOnce(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "tv2-batch", 2, nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr("tv2-batch"), 10000
	ir, err := init.RequestWith(ctx, cl)
	if err != nil || ir.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", ir, err)
	}
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(0, 12)
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = kmsg.StringPtr("tv2-batch"), -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "tv2-batch"
	for p := int32(0); p < 2; p++ {
		b, err := record.Build(record.BatchSpec{ProducerID: ir.ProducerID, ProducerEpoch: ir.ProducerEpoch, BaseSequence: 0, Transactional: true,
			Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte(fmt.Sprint("p", p))}}})
		if err != nil {
			t.Fatal(err)
		}
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = p, b
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, newClient(t, n.Addr, kgo.MaxVersions(versions)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.Topics[0].Partitions {
		wantCode(t, fmt.Sprint("partition ", p.Partition), p.ErrorCode, nil)
	}
	states := newClient(t, n.Addr, kgo.ConsumeTopics("__transaction_state"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var ongoing, partitions int
	pollCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for pollCtx.Err() == nil {
		states.PollFetches(pollCtx).EachRecord(func(r *kgo.Record) {
			var k kmsg.TxnMetadataKey
			var v kmsg.TxnMetadataValue
			if k.ReadFrom(r.Key) != nil || k.TransactionalID != "tv2-batch" || r.Value == nil || v.ReadFrom(r.Value) != nil || v.State != kmsg.TransactionStateOngoing {
				return
			}
			ongoing, partitions = ongoing+1, len(v.Topics[0].Partitions)
		})
	}
	if ongoing != 1 || partitions != 2 {
		t.Fatalf("%d Ongoing records in __transaction_state, the last with %d partitions; want 1 with 2", ongoing, partitions)
	}
}

// TestTransactionVersion2TimedOutEnd proves what a producer of version 2
// meets after the coordinator aborted its transaction past the timeout, as
// Kafka 4.2 answers (checked against it): the abort bumped the epoch once,
// the producer's own abort at the old epoch is taken for a retry of it
// (success, the new epoch), a commit is INVALID_TXN_STATE, and a late write
// of the old epoch is fenced.
func TestTransactionVersion2TimedOutEnd(t *testing.T) {
	n := nodetest.Start(t, "", txnProps)
	createTopic(t, n.Addr, "tv2-timeout", 1, nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr("tv2-timeout"), 300
	ir, err := init.RequestWith(ctx, cl)
	if err != nil || ir.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", ir, err)
	}
	wantCode(t, "Produce v12", produceTxn(t, n.Addr, 12, "tv2-timeout", ir.ProducerID, ir.ProducerEpoch, 0, "timed-out"), nil)
	describe := kmsg.NewPtrDescribeTransactionsRequest()
	describe.TransactionalIDs = []string{"tv2-timeout"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d, err := describe.RequestWith(ctx, cl)
		if err == nil && d.TransactionStates[0].State == "CompleteAbort" {
			if d.TransactionStates[0].ProducerEpoch != ir.ProducerEpoch+1 {
				t.Fatalf("aborted at epoch %d, want %d", d.TransactionStates[0].ProducerEpoch, ir.ProducerEpoch+1)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not aborted: %v %v", d, err)
		}
	}
	_, epoch, code := endTxnV5(t, cl, "tv2-timeout", ir.ProducerID, ir.ProducerEpoch, false)
	wantCode(t, "the producer's abort at the old epoch", code, nil)
	if epoch != ir.ProducerEpoch+1 {
		t.Fatalf("abort answered epoch %d, want %d", epoch, ir.ProducerEpoch+1)
	}
	_, _, code = endTxnV5(t, cl, "tv2-timeout", ir.ProducerID, ir.ProducerEpoch, true)
	wantCode(t, "the producer's commit at the old epoch", code, kerr.InvalidTxnState)
	wantCode(t, "a late write of the old epoch", produceTxn(t, n.Addr, 12, "tv2-timeout", ir.ProducerID, ir.ProducerEpoch, 1, "late"), kerr.InvalidProducerEpoch)
	if got := readValues(t, n.Addr, "tv2-timeout", kgo.ReadCommitted()); len(got) != 0 {
		t.Fatalf("read_committed read %v", got)
	}
}
