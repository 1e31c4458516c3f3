package kafkadiff

import (
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// transactionFlow runs one transaction as a client does, at the versions
// at names (others at the highest common): the coordinator found,
// InitProducerId with a transactional id, AddPartitionsToTxn, a
// transactional produce, AddOffsetsToTxn and TxnOffsetCommit for a group,
// DescribeTransactions, ListTransactions and DescribeProducers while it is
// ongoing, EndTxn (commit), and DescribeTransactions after. It returns
// every answer but the coordinator's address.
func transactionFlow(s *session, at map[int16]int16) any {
	ver := func(key int16) int16 {
		if v, ok := at[key]; ok {
			return v
		}
		return s.max(key)
	}
	topic := s.name("t")
	s.createTopic(topic, 1)
	txnID, group := s.name("tx"), s.name("g")
	s.waitCoordinator(txnID, 1)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr(txnID), 60000
	init.ProducerID, init.ProducerEpoch = -1, -1
	var id *kmsg.InitProducerIDResponse
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// A coordinator still loading its partition (a fresh broker) says so.
		id = s.do(init, ver(22)).(*kmsg.InitProducerIDResponse)
		if !slices.Contains([]int16{14, 15, 16}, id.ErrorCode) || time.Now().After(deadline) {
			break
		}
	}
	out := []any{id}
	pid, epoch := id.ProducerID, id.ProducerEpoch

	out = append(out, addPartitionsToTxn(s, ver(24), txnID, pid, epoch, topic))
	b := build(record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 0, Transactional: true}, 2, 10, baseTime)
	out = append(out, s.produceIn(ver(0), txnID, topic, 0, b))

	addOffsets := kmsg.NewPtrAddOffsetsToTxnRequest()
	addOffsets.TransactionalID, addOffsets.ProducerID, addOffsets.ProducerEpoch, addOffsets.Group = txnID, pid, epoch, group
	out = append(out, s.do(addOffsets, ver(25)))
	s.waitCoordinator(group, 0)
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = txnID, group, pid, epoch
	commit.Generation, commit.MemberID = -1, ""
	ct := kmsg.NewTxnOffsetCommitRequestTopic()
	ct.Topic = topic
	cp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	cp.Partition, cp.Offset, cp.LeaderEpoch = 0, 1, -1
	ct.Partitions = append(ct.Partitions, cp)
	commit.Topics = append(commit.Topics, ct)
	out = append(out, s.do(commit, ver(28)))

	describe := kmsg.NewPtrDescribeTransactionsRequest()
	describe.TransactionalIDs = []string{txnID}
	out = append(out, s.do(describe, ver(65)))
	list := kmsg.NewPtrListTransactionsRequest()
	list.StateFilters, list.ProducerIDFilters = []string{"Ongoing"}, []int64{pid}
	out = append(out, s.do(list, ver(66)))
	producers := kmsg.NewPtrDescribeProducersRequest()
	pt := kmsg.NewDescribeProducersRequestTopic()
	pt.Topic, pt.Partitions = topic, []int32{0}
	producers.Topics = append(producers.Topics, pt)
	out = append(out, s.do(producers, ver(61)))

	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = txnID, pid, epoch, true
	out = append(out, s.do(end, ver(26)))
	// The markers are written after EndTxn answers: wait for them.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		d := s.do(describe, ver(65)).(*kmsg.DescribeTransactionsResponse)
		if len(d.TransactionStates) == 1 && d.TransactionStates[0].State != "PrepareCommit" {
			break
		}
	}
	return append(out, s.do(describe, ver(65)))
}

// addPartitionsToTxn adds partition 0 of topic, in the client's form
// (v0-3) or the batched form (v4+).
func addPartitionsToTxn(s *session, v int16, txnID string, pid int64, epoch int16, topic string) kmsg.Response {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	if v < 4 {
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = txnID, pid, epoch
		t := kmsg.NewAddPartitionsToTxnRequestTopic()
		t.Topic, t.Partitions = topic, []int32{0}
		req.Topics = append(req.Topics, t)
		return s.do(req, v)
	}
	tx := kmsg.NewAddPartitionsToTxnRequestTransaction()
	tx.TransactionalID, tx.ProducerID, tx.ProducerEpoch = txnID, pid, epoch
	t := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
	t.Topic, t.Partitions = topic, []int32{0}
	tx.Topics = append(tx.Topics, t)
	req.Transactions = append(req.Transactions, tx)
	return s.do(req, v)
}

// waitCoordinator asks for the coordinator of key (keyType 0: a group, 1:
// a transactional id) until one answers: the first asks create the
// internal topic.
func (s *session) waitCoordinator(key string, keyType int8) {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey, req.CoordinatorKeys, req.CoordinatorType = key, []string{key}, keyType
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp := s.do(req, s.max(10)).(*kmsg.FindCoordinatorResponse)
		code := resp.ErrorCode
		if len(resp.Coordinators) > 0 {
			code = resp.Coordinators[0].ErrorCode
		}
		if code == 0 {
			return
		}
	}
	panic(abort{fmt.Errorf("no coordinator for %s within 60s", key)})
}

// produceIn sends one transactional batch for transactional id txnID.
func (s *session) produceIn(v int16, txnID, topic string, partition int32, b []byte) *kmsg.ProduceResponse {
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis, req.TransactionID = -1, 10000, kmsg.StringPtr(txnID)
	t := kmsg.NewProduceRequestTopic()
	t.Topic = topic
	if v >= 13 {
		t.TopicID = s.topicID(topic)
	}
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition, p.Records = partition, b
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return s.do(req, v).(*kmsg.ProduceResponse)
}

// transactionV2Flow runs one transaction as a client of transaction
// version 2 does (KIP-890 part 2, the Java producer 4.x when the cluster
// finalizes transaction.version 2): no AddPartitionsToTxn before the
// produce, no AddOffsetsToTxn before TxnOffsetCommit v5, EndTxn v5
// answering the bumped epoch; then a late write of the old epoch, a
// retried EndTxn at the old epoch, a Produce v11 that the partition only
// verifies, an abort with nothing added and a commit with nothing added.
func transactionV2Flow(s *session) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	txnID, group := s.name("tx"), s.name("g")
	s.waitCoordinator(txnID, 1)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr(txnID), 60000
	init.ProducerID, init.ProducerEpoch = -1, -1
	var id *kmsg.InitProducerIDResponse
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		id = s.do(init, s.max(22)).(*kmsg.InitProducerIDResponse)
		if !slices.Contains([]int16{14, 15, 16}, id.ErrorCode) || time.Now().After(deadline) {
			break
		}
	}
	out := []any{id}
	pid, epoch := id.ProducerID, id.ProducerEpoch
	b := build(record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 0, Transactional: true}, 2, 10, baseTime)
	out = append(out, s.produceIn(s.max(0), txnID, topic, 0, b))
	s.waitCoordinator(group, 0)
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = txnID, group, pid, epoch
	commit.Generation, commit.MemberID = -1, ""
	ct := kmsg.NewTxnOffsetCommitRequestTopic()
	ct.Topic = topic
	cp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	cp.Partition, cp.Offset, cp.LeaderEpoch = 0, 1, -1
	ct.Partitions = append(ct.Partitions, cp)
	commit.Topics = append(commit.Topics, ct)
	out = append(out, s.do(commit, 5))
	describe := kmsg.NewPtrDescribeTransactionsRequest()
	describe.TransactionalIDs = []string{txnID}
	out = append(out, s.do(describe, s.max(65)))

	end := func(pid int64, epoch int16, commit bool) kmsg.Response {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = txnID, pid, epoch, commit
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp := s.do(req, 5)
			if resp.(*kmsg.EndTxnResponse).ErrorCode != 51 || time.Now().After(deadline) { // CONCURRENT_TRANSACTIONS: the markers are being written
				return resp
			}
		}
	}
	out = append(out, end(pid, epoch, true))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		d := s.do(describe, s.max(65)).(*kmsg.DescribeTransactionsResponse)
		if len(d.TransactionStates) == 1 && d.TransactionStates[0].State != "PrepareCommit" {
			break
		}
	}
	out = append(out, s.do(describe, s.max(65)))
	producers := kmsg.NewPtrDescribeProducersRequest()
	pt := kmsg.NewDescribeProducersRequestTopic()
	pt.Topic, pt.Partitions = topic, []int32{0}
	producers.Topics = append(producers.Topics, pt)
	described := s.do(producers, s.max(61)).(*kmsg.DescribeProducersResponse)
	for i := range described.Topics {
		for j := range described.Topics[i].Partitions {
			for k := range described.Topics[i].Partitions[j].ActiveProducers {
				// The marker's timestamp: the time it was written on each broker.
				ap := &described.Topics[i].Partitions[j].ActiveProducers[k]
				ap.LastTimestamp = min(max(ap.LastTimestamp, -1), 1)
			}
		}
	}
	out = append(out, described)

	late := build(record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 2, Transactional: true}, 1, 10, baseTime)
	out = append(out, s.produceIn(s.max(0), txnID, topic, 0, late))
	out = append(out, end(pid, epoch, true))
	verified := build(record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch + 1, BaseSequence: 0, Transactional: true}, 1, 10, baseTime)
	out = append(out, s.produceIn(11, txnID, topic, 0, verified))
	out = append(out, end(pid, epoch+1, false))
	return append(out, end(pid, epoch+2, true), s.do(describe, s.max(65)))
}
