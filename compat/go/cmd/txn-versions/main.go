// Command txn-versions sends the requests of KIP-890 part 2 (transactional
// Produce v12, EndTxn v5, TxnOffsetCommit v5, AddPartitionsToTxn v5 from a
// partition leader) to a broker at each transaction.version level (2, 0, 1,
// set with UpdateFeatures) and prints, one line each, what it answers:
// error codes, whether the epoch moved, the transaction's state; nothing
// that differs between two brokers doing the same (ids, offsets, times,
// messages). compat/kafka/txn-versions-diff runs it against Gregor and Kafka.
// A request refused with UNSUPPORTED_VERSION is the last one sent for its
// transactional id: Kafka 4.2 then answers CONCURRENT_TRANSACTIONS for that
// id until its coordinator reloads, which Gregor does not copy.
//
//	txn-versions BOOTSTRAP TOPIC
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

var addr, topic string

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: txn-versions BOOTSTRAP TOPIC")
		os.Exit(2)
	}
	addr, topic = os.Args[1], os.Args[2]
	var cancel context.CancelFunc
	runCtx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	createTopic()
	for _, level := range []int16{2, 0, 1} {
		setLevel(level)
		fmt.Printf("transaction.version %d: %s\n", level, advertised())
		scenarios(level)
	}
}

func scenarios(level int16) {
	id := func(s string) string { return fmt.Sprintf("%s-tv%d-%s", topic, level, s) }

	// Produce v12 adds the partition itself; EndTxn v5 bumps the epoch.
	a := initProducer(id("produce"))
	if code := produce(12, a, 0); report("Produce v12", code) {
		describe(a)
		if e, code := endTxn(5, a, true); report("EndTxn v5 commit", code) {
			fmt.Printf("  epoch after the commit: +%d\n", e-a.epoch)
		}
	}

	// The protocol before KIP-890 part 2, ended with EndTxn v5.
	b := initProducer(id("end"))
	report("AddPartitionsToTxn v3", addPartitionsV3(b))
	report("Produce v11", produce(11, b, 0))
	if e, code := endTxn(5, b, true); report("EndTxn v5 commit after AddPartitionsToTxn", code) {
		fmt.Printf("  epoch after the commit: +%d\n", e-b.epoch)
	} else {
		describe(b)
	}

	// TxnOffsetCommit v5 adds the offsets' partition itself.
	c := initProducer(id("offsets"))
	if report("TxnOffsetCommit v5", txnOffsetCommit(5, c)) {
		describe(c)
		if e, code := endTxn(5, c, false); report("EndTxn v5 abort of the offsets", code) {
			fmt.Printf("  epoch after the abort: +%d\n", e-c.epoch)
		}
	} else {
		describe(c)
	}

	// An abort of an empty transaction.
	d := initProducer(id("empty"))
	if e, code := endTxn(5, d, false); report("EndTxn v5 abort of nothing", code) {
		fmt.Printf("  epoch after the abort: +%d\n", e-d.epoch)
	} else {
		describe(d)
	}

	// AddPartitionsToTxn v5, as a partition leader sends it.
	f := initProducer(id("leader"))
	report("AddPartitionsToTxn v5 verify-only", addPartitionsV5(f, true))
	if report("AddPartitionsToTxn v5 add", addPartitionsV5(f, false)) {
		describe(f)
	}

	// The protocol before KIP-890 part 2 throughout.
	g := initProducer(id("v1"))
	report("AddPartitionsToTxn v3", addPartitionsV3(g))
	report("Produce v11", produce(11, g, 0))
	report("EndTxn v4 commit", code2(endTxn(4, g, true)))
}

func code2(_ int16, code int16) int16 { return code }

// report prints the answer to what and whether it is success.
func report(what string, code int16) bool {
	name := "NONE"
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		name = e.Message
	}
	fmt.Printf("  %s: %s\n", what, name)
	return code == 0
}

type producer struct {
	id    string
	pid   int64
	epoch int16
}

func client(key, max int16) *kgo.Client {
	v := kversion.Stable()
	if key >= 0 {
		v.SetMaxKeyVersion(key, max)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.MaxVersions(v))
	if err != nil {
		fail("client: %v", err)
	}
	return cl
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "txn-versions: "+format+"\n", args...)
	os.Exit(1)
}

// runCtx bounds the whole run.
var runCtx context.Context

func ctx() context.Context { return runCtx }

// retriable: answers that mean "ask again shortly".
func retriable(code int16) bool {
	switch code {
	case kerr.CoordinatorLoadInProgress.Code, kerr.CoordinatorNotAvailable.Code, kerr.NotCoordinator.Code, kerr.ConcurrentTransactions.Code:
		return true
	}
	return false
}

// retry calls f until it answers something that is not retriable, for at
// most 5 s, and returns the last answer.
func retry(f func() int16) int16 {
	deadline := time.Now().Add(5 * time.Second)
	for {
		code := f()
		if !retriable(code) || time.Now().After(deadline) {
			return code
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func createTopic() {
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, 1, 1
	req.Topics, req.TimeoutMillis = append(req.Topics, rt), 10000
	resp, err := req.RequestWith(ctx(), client(-1, 0))
	if err != nil || resp.Topics[0].ErrorCode != 0 && resp.Topics[0].ErrorCode != kerr.TopicAlreadyExists.Code {
		fail("create %s: %v %v", topic, err, resp)
	}
}

func setLevel(level int16) {
	req := kmsg.NewPtrUpdateFeaturesRequest()
	u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
	u.Feature, u.MaxVersionLevel, u.UpgradeType = "transaction.version", level, 1
	req.FeatureUpdates = append(req.FeatureUpdates, u)
	cl := client(-1, 0)
	resp, err := req.RequestWith(ctx(), cl)
	if err == nil && resp.ErrorCode != 0 {
		req.FeatureUpdates[0].UpgradeType = 2 // a safe downgrade
		resp, err = req.RequestWith(ctx(), cl)
	}
	if err != nil || resp.ErrorCode != 0 {
		fail("transaction.version to %d: %v %v", level, err, resp)
	}
	for deadline := time.Now().Add(10 * time.Second); finalized() != level; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail("transaction.version not finalized at %d", level)
		}
	}
	time.Sleep(time.Second) // every broker-side cache of the level follows
}

func apiVersions() *kmsg.ApiVersionsResponse {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "txn-versions", "1"
	resp, err := req.RequestWith(ctx(), client(-1, 0))
	if err != nil {
		fail("ApiVersions: %v", err)
	}
	return resp
}

func finalized() int16 {
	for _, f := range apiVersions().FinalizedFeatures {
		if f.Name == "transaction.version" {
			return f.MaxVersionLevel
		}
	}
	return 0
}

// advertised is what ApiVersions advertises of the APIs at stake.
func advertised() string {
	out := ""
	for _, k := range apiVersions().ApiKeys {
		switch k.ApiKey {
		case 0, 24, 26, 28:
			out += fmt.Sprintf("%s %d-%d; ", kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion)
		}
	}
	return out
}

func initProducer(id string) producer {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID, req.TransactionTimeoutMillis = kmsg.StringPtr(id), 60000
	var resp *kmsg.InitProducerIDResponse
	code := retry(func() int16 {
		var err error
		if resp, err = req.RequestWith(ctx(), client(-1, 0)); err != nil {
			fail("InitProducerId: %v", err)
		}
		return resp.ErrorCode
	})
	if code != 0 {
		fail("InitProducerId %s: %v", id, kerr.ErrorForCode(code))
	}
	return producer{id, resp.ProducerID, resp.ProducerEpoch}
}

func describe(p producer) {
	req := kmsg.NewPtrDescribeTransactionsRequest()
	req.TransactionalIDs = []string{p.id}
	resp, err := req.RequestWith(ctx(), client(-1, 0))
	if err != nil {
		fail("DescribeTransactions: %v", err)
	}
	s := resp.TransactionStates[0]
	fmt.Printf("  described: %s, epoch +%d, %d topics\n", s.State, s.ProducerEpoch-p.epoch, len(s.Topics))
}

// batch is one transactional record batch of the producer.
func batch(p producer, seq int32) []byte {
	value := []byte("v")
	body := []byte{0}                   // attributes
	body = binary.AppendVarint(body, 0) // timestamp delta
	body = binary.AppendVarint(body, 0) // offset delta
	body = binary.AppendVarint(body, -1)
	body = binary.AppendVarint(body, int64(len(value)))
	body = append(body, value...)
	body = binary.AppendVarint(body, 0) // headers
	rec := append(binary.AppendVarint(nil, int64(len(body))), body...)
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{Magic: 2, Attributes: 0x10, FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: p.pid, ProducerEpoch: p.epoch, FirstSequence: seq, NumRecords: 1, Records: rec}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

func produce(v int16, p producer, seq int32) int16 {
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = kmsg.StringPtr(p.id), -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch(p, seq)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	cl := client(0, v)
	return retry(func() int16 {
		resp, err := req.RequestWith(ctx(), cl)
		if err != nil || resp.Version != v {
			fail("Produce v%d: %v", v, err)
		}
		code := resp.Topics[0].Partitions[0].ErrorCode
		if code == kerr.NotEnoughReplicas.Code { // the leader found the coordinator busy
			return kerr.ConcurrentTransactions.Code
		}
		return code
	})
}

func addPartitionsV3(p producer) int16 {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = p.id, p.pid, p.epoch
	req.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: topic, Partitions: []int32{0}}}
	cl := client(24, 3)
	return retry(func() int16 {
		resp, err := req.RequestWith(ctx(), cl)
		if err != nil || resp.Version != 3 {
			fail("AddPartitionsToTxn v3: %v", err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	})
}

// addPartitionsV5 answers the request's error code, or else the
// partition's.
func addPartitionsV5(p producer, verifyOnly bool) int16 {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	t := kmsg.NewAddPartitionsToTxnRequestTransaction()
	t.TransactionalID, t.ProducerID, t.ProducerEpoch, t.VerifyOnly = p.id, p.pid, p.epoch, verifyOnly
	t.Topics = []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: topic, Partitions: []int32{0}}}
	req.Transactions = append(req.Transactions, t)
	cl := client(24, 5)
	return retry(func() int16 {
		kresp, err := cl.Broker(1).Request(ctx(), req) // to the only broker, as its coordinator
		if err != nil {
			fail("AddPartitionsToTxn v5: %v", err)
		}
		resp := kresp.(*kmsg.AddPartitionsToTxnResponse)
		if resp.Version != 5 {
			fail("AddPartitionsToTxn went at v%d", resp.Version)
		}
		if resp.ErrorCode != 0 || len(resp.Transactions) == 0 {
			return resp.ErrorCode
		}
		return resp.Transactions[0].Topics[0].Partitions[0].ErrorCode
	})
}

func endTxn(v int16, p producer, commit bool) (int16, int16) {
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = p.id, p.pid, p.epoch, commit
	cl := client(26, v)
	var epoch int16
	code := retry(func() int16 {
		resp, err := req.RequestWith(ctx(), cl)
		if err != nil || resp.Version != v {
			fail("EndTxn v%d: %v", v, err)
		}
		epoch = resp.ProducerEpoch
		return resp.ErrorCode
	})
	return epoch, code
}

func txnOffsetCommit(v int16, p producer) int16 {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch, req.Generation = p.id, "g-"+p.id, p.pid, p.epoch, -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Offset = 1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	cl := client(28, v)
	return retry(func() int16 {
		resp, err := req.RequestWith(ctx(), cl)
		if err != nil || resp.Version != v {
			fail("TxnOffsetCommit v%d: %v", v, err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	})
}
