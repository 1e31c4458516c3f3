package group

import (
	"context"
	"maps"
	"slices"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/record"
)

// Transactional offset commits (TxnOffsetCommit): the offsets are written
// to the group's partition as a transactional batch of the producer, like
// its records elsewhere, and stay pending (not visible to OffsetFetch)
// until the transaction coordinator's marker reaches the partition:
// CompleteTransaction then makes them the committed offsets (commit) or
// drops them (abort). When a partition loads, PartitionLog.Replay replays
// transactional offsets only once their commit marker is read; those of
// transactions still open become pending again (restoreOpenTransactions),
// so that a marker written after a restart or a move still commits them.

// TxnWriter is a log of __consumer_offsets that can append a producer's
// transactional batch; PartitionLog is one. The coordinator uses it for
// the partitions whose log has it.
type TxnWriter interface {
	AppendTransactional(pid kafka.ProducerID, epoch int16, recs []record.Record) (kafka.Offset, error)
}

// TxnCommitRequest is a TxnOffsetCommit.
type TxnCommitRequest struct {
	CommitRequest
	ProducerID    kafka.ProducerID
	ProducerEpoch int16
}

// TxnCommit writes the offsets of a producer's transaction, pending until
// its marker. Member and generation are checked as for Commit, unless the
// request names neither (TxnOffsetCommit before v3).
func (c *Coordinator) TxnCommit(req TxnCommitRequest) (map[kafka.TopicPartition]error, error) {
	return call2(c, req.GroupID, func(s *shard) (map[kafka.TopicPartition]error, error) {
		if _, err := c.checkTxnCommit(s, req.CommitRequest); err != nil {
			return nil, err
		}
		w := c.txnWriter(s.p.ID())
		if w == nil {
			return nil, ErrCoordinatorNotAvailable
		}
		perPartition, recs, offsets := c.txnRecords(req)
		if len(recs) == 0 {
			return perPartition, nil
		}
		last, err := w.AppendTransactional(req.ProducerID, req.ProducerEpoch, recs)
		if err != nil {
			return nil, err
		}
		s.p.Written(last)
		s.addPendingTxnOffsets(req.ProducerID, req.GroupID, offsets)
		return perPartition, nil
	})
}

func (c *Coordinator) checkTxnCommit(s *shard, req CommitRequest) (*group, error) {
	if req.MemberID == "" && req.Generation < 0 {
		if g := s.groups[req.GroupID]; g != nil {
			return g, nil
		}
		g := newGroup(req.GroupID, c.now())
		s.groups[req.GroupID] = g
		return g, nil
	}
	req.APIVersion = 9 // a consumer-protocol member commits with its epoch, as OffsetCommit v9
	return c.checkCommit(s, req)
}

func (c *Coordinator) txnRecords(req TxnCommitRequest) (map[kafka.TopicPartition]error, []record.Record, map[kafka.TopicPartition]Offset) {
	perPartition := map[kafka.TopicPartition]error{}
	offsets := map[kafka.TopicPartition]Offset{}
	var recs []record.Record
	ts := c.now()
	for _, tp := range slices.SortedFunc(maps.Keys(req.Offsets), kafka.TopicPartition.Compare) {
		o := req.Offsets[tp]
		if c.cfg.OffsetMetadataMaxBytes > 0 && len(o.Metadata) > c.cfg.OffsetMetadataMaxBytes {
			perPartition[tp] = ErrOffsetMetadataTooLarge
			continue
		}
		o.CommitTime = ts
		offsets[tp] = o
		recs = append(recs, record.Record{Timestamp: ts.UnixMilli(), Key: offsetKey(req.GroupID, tp.Topic, tp.Partition), Value: offsetValue(o)})
	}
	return perPartition, recs, offsets
}

func (s *shard) addPendingTxnOffsets(pid kafka.ProducerID, groupID string, offsets map[kafka.TopicPartition]Offset) {
	if s.txnOffsets == nil {
		s.txnOffsets = map[kafka.ProducerID]map[string]map[kafka.TopicPartition]Offset{}
	}
	byGroup := s.txnOffsets[pid]
	if byGroup == nil {
		byGroup = map[string]map[kafka.TopicPartition]Offset{}
		s.txnOffsets[pid] = byGroup
	}
	if byGroup[groupID] == nil {
		byGroup[groupID] = map[kafka.TopicPartition]Offset{}
	}
	maps.Copy(byGroup[groupID], offsets)
}

// hasPendingTxnOffsets reports whether a transaction not ended yet holds
// an offset of the group for tp.
func (s *shard) hasPendingTxnOffsets(groupID string, tp kafka.TopicPartition) bool {
	for _, byGroup := range s.txnOffsets {
		if _, ok := byGroup[groupID][tp]; ok {
			return true
		}
	}
	return false
}

// CompleteTransaction applies the marker that ended producer pid's
// transaction to the partition of __consumer_offsets: its pending offsets
// become committed (commit) or are dropped. Call it once the marker is
// written.
func (c *Coordinator) CompleteTransaction(ctx context.Context, partition int32, pid kafka.ProducerID, commit bool) error {
	_, err := coordCall(ctx, c, partition, func(s *shard) struct{} {
		byGroup := s.txnOffsets[pid]
		delete(s.txnOffsets, pid)
		if !commit {
			return struct{}{}
		}
		for groupID, offsets := range byGroup {
			g := s.groups[groupID]
			if g == nil {
				g = newGroup(groupID, c.now())
				s.groups[groupID] = g
			}
			maps.Copy(g.offsets, offsets)
		}
		return struct{}{}
	})
	return err
}

// PartitionLog's transactional write.

// AppendTransactional writes recs as one transactional batch of the
// producer, trusted to be in the producer's transaction (the transaction
// coordinator added the partition through AddOffsetsToTxn).
func (l PartitionLog) AppendTransactional(pid kafka.ProducerID, epoch int16, recs []record.Record) (kafka.Offset, error) {
	b, err := record.Build(record.BatchSpec{ProducerID: int64(pid), ProducerEpoch: epoch, BaseSequence: -1, Transactional: true, Records: recs})
	if err != nil {
		return -1, err
	}
	res, err := l.Partition.AppendVerified([]record.Batch{b}, -1, l.Now(), partition.Trusted)
	if err != nil {
		return -1, err
	}
	return res.LastOffset, nil
}

// openTransactions carries the records of open transactions from a
// PartitionLog's Replay to the shard's Loaded, on the partition's loop.
type openTransactions struct {
	records map[int64][]record.Record
}

// restoreOpenTransactions makes the offsets of the transactions the load
// left open pending again.
func (s *shard) restoreOpenTransactions() {
	pl, ok := s.c.txnWriter(s.p.ID()).(PartitionLog)
	if !ok || pl.open == nil {
		return
	}
	for pid, recs := range pl.open.records {
		for _, r := range recs {
			sr, err := decodeRecord(r.Key, r.Value)
			if err != nil || !sr.isOffset || sr.offset == nil {
				continue
			}
			tp := kafka.TopicPartition{Topic: sr.topic, Partition: sr.partition}
			s.addPendingTxnOffsets(kafka.ProducerID(pid), sr.group, map[kafka.TopicPartition]Offset{tp: {
				Offset: sr.offset.Offset, LeaderEpoch: sr.offset.LeaderEpoch, Metadata: sr.offset.Metadata,
				CommitTime: time.UnixMilli(sr.offset.CommitTimestamp),
			}})
		}
	}
	pl.open.records = nil
}
