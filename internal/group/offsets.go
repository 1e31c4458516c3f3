package group

import (
	"maps"
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// CommitRequest is an OffsetCommit. Generation -1 with an empty MemberID is
// a commit from outside any rebalance (a "simple" consumer or a tool).
type CommitRequest struct {
	APIVersion int16 // OffsetCommit's version: consumer-protocol members need v9+
	GroupID    string
	MemberID   string
	InstanceID string
	Generation int32
	Offsets    map[kafka.TopicPartition]Offset
}

// Commit stores offsets. It returns a per-partition error (OFFSET_METADATA_TOO_LARGE)
// or a request-level error that applies to every partition.
func (c *Coordinator) Commit(req CommitRequest) (map[kafka.TopicPartition]error, error) {
	return call2(c, req.GroupID, func(s *shard) (map[kafka.TopicPartition]error, error) {
		g, err := c.checkCommit(s, req)
		if err != nil {
			return nil, err
		}
		perPartition := map[kafka.TopicPartition]error{}
		var recs []record.Record
		ts := c.now().UnixMilli()
		tps := slices.SortedFunc(maps.Keys(req.Offsets), kafka.TopicPartition.Compare)
		for _, tp := range tps {
			o := req.Offsets[tp]
			if c.cfg.OffsetMetadataMaxBytes > 0 && len(o.Metadata) > c.cfg.OffsetMetadataMaxBytes {
				perPartition[tp] = ErrOffsetMetadataTooLarge
				continue
			}
			recs = append(recs, record.Record{Timestamp: ts, Key: offsetKey(g.id, tp.Topic, tp.Partition), Value: offsetValue(o)})
		}
		if len(recs) > 0 {
			if err := s.p.Append(recs); err != nil {
				return nil, err
			}
		}
		return perPartition, nil
	})
}

// checkCommit finds (or creates, for a commit from outside any rebalance)
// the group of an offset commit and checks the member and generation.
func (c *Coordinator) checkCommit(s *shard, req CommitRequest) (*group, error) {
	g := s.groups[req.GroupID]
	if g == nil {
		if req.Generation >= 0 {
			return nil, ErrIllegalGeneration
		}
		g = newGroup(req.GroupID, c.now())
		s.groups[req.GroupID] = g
	}
	switch {
	case g.state == Dead:
		return nil, ErrCoordinatorNotAvailable
	case g.consumer != nil:
		if err := g.checkConsumerCommit(req); err != nil {
			return nil, err
		}
	case req.Generation < 0 && g.state == Empty:
	default:
		if _, ok := g.pending[req.MemberID]; ok && req.MemberID != "" {
			return nil, ErrRebalanceInProgress
		}
		if req.InstanceID != "" {
			if id, ok := g.static[req.InstanceID]; ok && id != req.MemberID {
				return nil, ErrFencedInstanceID
			}
		}
		m := g.members[req.MemberID]
		if req.MemberID != "" && m == nil {
			return nil, ErrUnknownMemberID
		}
		if req.Generation != g.generation {
			return nil, ErrIllegalGeneration
		}
		if g.state == CompletingRebalance {
			return nil, ErrRebalanceInProgress
		}
		if m != nil {
			c.scheduleSession(s, g, m)
		}
	}
	return g, nil
}

// checkConsumerCommit validates a commit to a consumer-protocol group: the
// generation carries the member epoch, which must be the member's current
// one. A commit from outside the group (generation -1, no member id) is
// accepted only while the group has no member.
func (g *group) checkConsumerCommit(req CommitRequest) error {
	cg := g.consumer
	if req.Generation < 0 && req.MemberID == "" && len(cg.members) == 0 {
		return nil
	}
	m := cg.members[req.MemberID]
	if m == nil {
		return errorf(ErrUnknownMemberID, "Member %s is not a member of group %s.", req.MemberID, g.id)
	}
	if req.APIVersion < 9 {
		return errorf(ErrUnsupportedVersion, "OffsetCommit version 9 or above must be used by members using the consumer group protocol")
	}
	if req.Generation != m.epoch {
		return errorf(ErrStaleMemberEpoch, "The received member epoch %d does not match the expected member epoch %d.", req.Generation, m.epoch)
	}
	return nil
}

// CheckFetchMember validates the member id and epoch an OffsetFetch v9+
// names for a consumer-protocol (KIP-848) group.
func (c *Coordinator) CheckFetchMember(groupID, memberID string, memberEpoch int32) error {
	return callErr(c, groupID, func(s *shard) error {
		g := s.groups[groupID]
		if g == nil || g.consumer == nil {
			return nil // classic groups have no member epoch to check
		}
		m := g.consumer.members[memberID]
		if m == nil {
			return errorf(ErrUnknownMemberID, "Member %s is not a member of group %s.", memberID, groupID)
		}
		if memberEpoch != m.epoch {
			return errorf(ErrStaleMemberEpoch, "The received member epoch %d does not match the expected member epoch %d.", memberEpoch, m.epoch)
		}
		return nil
	})
}

// Fetch returns committed offsets of a group: those of tps, or every
// committed offset when tps is nil. A partition without an offset is
// absent from the map.
func (c *Coordinator) Fetch(groupID string, tps []kafka.TopicPartition) (map[kafka.TopicPartition]Offset, error) {
	f, err := c.fetch(groupID, tps, false)
	return f.Offsets, err
}

// Fetched is the answer of FetchStable.
type Fetched struct {
	Offsets  map[kafka.TopicPartition]Offset // committed, as Fetch
	Unstable map[kafka.TopicPartition]bool   // with transactional offsets pending; not in Offsets
}

// FetchStable is Fetch for a fetch that requires stable offsets (KIP-447):
// a partition whose group has transactional offsets pending for it (its
// transaction not ended yet) is Unstable instead of answered, so that the
// consumer waits for the transaction's outcome.
func (c *Coordinator) FetchStable(groupID string, tps []kafka.TopicPartition) (Fetched, error) {
	return c.fetch(groupID, tps, true)
}

func (c *Coordinator) fetch(groupID string, tps []kafka.TopicPartition, requireStable bool) (Fetched, error) {
	return call2(c, groupID, func(s *shard) (Fetched, error) {
		f := Fetched{Offsets: map[kafka.TopicPartition]Offset{}, Unstable: map[kafka.TopicPartition]bool{}}
		g := s.groups[groupID]
		if g != nil && g.state != Dead {
			if tps == nil {
				maps.Copy(f.Offsets, g.offsets)
			}
			for _, tp := range tps {
				if o, ok := g.offsets[tp]; ok {
					f.Offsets[tp] = o
				}
			}
		}
		if !requireStable {
			return f, nil
		}
		for _, tp := range tps {
			f.markUnstable(s.hasPendingTxnOffsets(groupID, tp), tp)
		}
		for tp := range f.Offsets {
			f.markUnstable(s.hasPendingTxnOffsets(groupID, tp), tp)
		}
		return f, nil
	})
}

func (f Fetched) markUnstable(pending bool, tp kafka.TopicPartition) {
	if pending {
		f.Unstable[tp] = true
		delete(f.Offsets, tp)
	}
}

// DeleteOffsets handles OffsetDelete: the offsets of topics the group does
// not subscribe to are deleted; partitions of subscribed topics get
// ErrGroupSubscribedToTopic.
func (c *Coordinator) DeleteOffsets(groupID string, tps []kafka.TopicPartition) (map[kafka.TopicPartition]error, error) {
	return call2(c, groupID, func(s *shard) (map[kafka.TopicPartition]error, error) {
		g := s.groups[groupID]
		if g == nil || g.state == Dead {
			return nil, ErrGroupIDNotFound
		}
		var subscribed map[string]bool
		if g.state != Empty {
			var known bool
			subscribed, known = g.subscribed()
			if !known {
				return nil, ErrNonEmptyGroup
			}
		}
		perPartition := map[kafka.TopicPartition]error{}
		var recs []record.Record
		ts := c.now().UnixMilli()
		for _, tp := range tps {
			if subscribed[tp.Topic] {
				perPartition[tp] = ErrGroupSubscribedToTopic
				continue
			}
			if _, ok := g.offsets[tp]; ok {
				recs = append(recs, record.Record{Timestamp: ts, Key: offsetKey(g.id, tp.Topic, tp.Partition)})
			}
		}
		if len(recs) > 0 {
			if err := s.p.Append(recs); err != nil {
				return nil, err
			}
		}
		return perPartition, nil
	})
}

// DeleteTopicOffsets drops the offsets of deleted topics from every group.
func (c *Coordinator) DeleteTopicOffsets(topics []string) {
	gone := map[string]bool{}
	for _, t := range topics {
		gone[t] = true
	}
	_ = c.rt.Each(func(s *shard) {
		ts := c.now().UnixMilli()
		for _, g := range s.groups {
			var recs []record.Record
			for tp := range g.offsets {
				if gone[tp.Topic] {
					recs = append(recs, record.Record{Timestamp: ts, Key: offsetKey(g.id, tp.Topic, tp.Partition)})
				}
			}
			if len(recs) == 0 {
				continue
			}
			if err := s.p.Append(recs); err != nil {
				c.logger.Warn("cannot delete offsets of deleted topics", "group", g.id, "err", err)
			}
		}
	})
}
