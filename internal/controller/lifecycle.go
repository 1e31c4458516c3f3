package controller

// Broker lifecycle on the active controller: heartbeats keep a broker's
// session; a broker whose session expires is fenced and its leaderships
// move to the first live member of each ISR; a fenced broker that
// heartbeats again is unfenced; a broker that asks to shut down is moved
// off its leaderships first (controlled shutdown). Sessions live in the
// leader's memory only: a new leader starts every session afresh.

import (
	"slices"
	"strconv"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// BrokerHeartbeatRequest keeps broker ID's session alive. WantShutdown
// asks the controller to move the broker's leaderships away before it stops.
type BrokerHeartbeatRequest struct {
	ID           kafka.NodeID
	Epoch        int64
	WantShutdown bool
}

// BrokerHeartbeatResponse tells the broker whether it is fenced and, after
// WantShutdown, whether it may stop now.
type BrokerHeartbeatResponse struct {
	Fenced         bool
	ShouldShutDown bool
}

// fenceRequest fences brokers whose sessions expired; the leader's loop
// makes it, never a client.
type fenceRequest struct{ IDs []kafka.NodeID }

type fenceResponse struct{}

func (BrokerHeartbeatRequest) isRequest()   {}
func (fenceRequest) isRequest()             {}
func (BrokerHeartbeatResponse) isResponse() {}
func (fenceResponse) isResponse()           {}

// NoLeader is a partition's leader when no replica can lead.
const NoLeader = -1

// brokerHeartbeat answers a heartbeat: a WantShutdown fences the broker
// (moving its leaderships); a fenced broker is unfenced, and partitions
// left without a leader that it can lead get it back.
func brokerHeartbeat(img *metadata.Image, c Cluster, req BrokerHeartbeatRequest) ([]metadata.Record, BrokerHeartbeatResponse, error) {
	b, ok := img.Broker(req.ID)
	if !ok || req.Epoch != 0 && b.Epoch != req.Epoch {
		return nil, BrokerHeartbeatResponse{}, kafkaErrorf(ErrBrokerNotRegistered, "Broker %d is not registered with epoch %d.", req.ID, req.Epoch)
	}
	switch {
	case req.WantShutdown:
		return FenceBroker(img, req.ID, uncleanOf(img, c)), BrokerHeartbeatResponse{Fenced: true, ShouldShutDown: true}, nil
	case b.Fenced:
		return UnfenceBroker(img, req.ID, uncleanOf(img, c)), BrokerHeartbeatResponse{}, nil
	}
	return nil, BrokerHeartbeatResponse{}, nil
}

// registerBroker returns the records of a registration and the broker
// epoch it gives. The incarnation already registered, registering again
// (an answer it did not get), keeps its epoch and fencing, as Kafka amends
// a registration. A new incarnation gets a new epoch, and its replicas are
// no longer offline; where the previous incarnation still holds its place
// (a process killed and restarted within its session), the new one takes
// it over as Kafka's controller would once the old session expired: the
// partitions the old process led get a new leader epoch (another member
// of the ISR leads if one is alive, else the new process), and it leaves
// every ISR it does not lead or is not the last of, to rejoin once caught
// up. A partition with no other replica keeps its epoch: no follower
// could be misled. Last, every partition left without a leader that the
// broker can lead gets it back.
func registerBroker(img *metadata.Image, c Cluster, b metadata.Broker, epoch int64) ([]metadata.Record, int64) {
	prev, registered := img.Broker(b.ID)
	if registered && prev.IncarnationID == b.IncarnationID {
		b.Fenced = prev.Fenced
		return RegisterBroker(b, prev.Epoch), prev.Epoch
	}
	recs := RegisterBroker(b, epoch)
	next, err := img.Apply(recs)
	if err != nil {
		return recs, epoch
	}
	id := int32(b.ID)
	replaced := registered && !prev.Fenced
	alive := func(r int32) bool { return isAlive(next, r) }
	others := func(r int32) bool { return r != id && alive(r) }
	unclean := uncleanOf(img, c)
	return append(recs, eachPartition(img, func(topic string, p metadata.Partition) (metadata.Partition, bool) {
		q := onlineAgain(p, id)
		takeover := replaced && len(p.Replicas) > 1 && slices.Contains(p.Replicas, id)
		if takeover && (q.Leader == id || q.Leader == NoLeader) {
			q.Leader, q.ISR = pickLeader(q, others, false)
		}
		if q.Leader == NoLeader {
			q.Leader, q.ISR = pickLeader(q, alive, unclean(topic))
		}
		if takeover && q.Leader != id && len(q.ISR) > 1 && slices.Contains(q.ISR, id) {
			q.ISR = withoutID(q.ISR, id)
		}
		out, changed := bumpEpochs(p, q)
		if takeover && p.Leader == id && out.Leader == id {
			out.LeaderEpoch++ // the same broker, a new process: a new epoch
			if !changed {
				out.PartitionEpoch++
				changed = true
			}
		}
		return out, changed
	})...), epoch
}

// electLeaderless gives a leader to every partition without one that a
// live replica can lead.
func electLeaderless(img *metadata.Image, unclean func(topic string) bool) []metadata.Record {
	alive := func(r int32) bool { return isAlive(img, r) }
	return eachPartition(img, func(topic string, p metadata.Partition) (metadata.Partition, bool) {
		if p.Leader != NoLeader {
			return p, false
		}
		return ElectLeader(p, alive, unclean(topic))
	})
}

// FenceBroker returns the records that fence broker id: its registration
// marked fenced; in every partition, id leaves the ISR unless it is the
// last member, and where it led, the first live ISR member leads instead
// (or, with unclean election allowed for the topic, the first live
// replica; otherwise no one).
func FenceBroker(img *metadata.Image, id kafka.NodeID, unclean func(topic string) bool) []metadata.Record {
	b, ok := img.Broker(id)
	if !ok {
		return nil
	}
	var recs []metadata.Record
	if !b.Fenced {
		b.Fenced = true
		recs = append(recs, metadata.Record{Type: metadata.TypeBroker, Broker: &b})
	}
	return append(recs, withoutBroker(img, id, unclean)...)
}

// withoutBroker returns the partition records that take broker id out of
// every leadership and ISR as WithoutReplica does.
func withoutBroker(img *metadata.Image, id kafka.NodeID, unclean func(topic string) bool) []metadata.Record {
	alive := func(r int32) bool { return r != int32(id) && isAlive(img, r) }
	return eachPartition(img, func(topic string, p metadata.Partition) (metadata.Partition, bool) {
		return WithoutReplica(p, int32(id), alive, unclean(topic))
	})
}

// UnregisterBrokerRequest removes broker ID's registration, as
// kafka-cluster.sh unregister asks of a broker taken out of the cluster
// for good: it leaves every leadership and ISR as fencing takes them, and
// is no broker of the cluster until it registers again (a live one does,
// at its next heartbeat).
type UnregisterBrokerRequest struct{ ID kafka.NodeID }

// UnregisterBrokerResponse answers an UnregisterBrokerRequest.
type UnregisterBrokerResponse struct{}

func (UnregisterBrokerRequest) isRequest()   {}
func (UnregisterBrokerResponse) isResponse() {}

// unregisterBroker returns the records of an UnregisterBrokerRequest: an
// unknown broker is ErrBrokerNotRegistered (BROKER_ID_NOT_REGISTERED).
func unregisterBroker(img *metadata.Image, c Cluster, req UnregisterBrokerRequest) ([]metadata.Record, UnregisterBrokerResponse, error) {
	b, ok := img.Broker(req.ID)
	if !ok {
		return nil, UnregisterBrokerResponse{}, kafkaErrorf(ErrBrokerNotRegistered, "Broker ID %d is not currently registered", req.ID)
	}
	recs := withoutBroker(img, req.ID, uncleanOf(img, c))
	unregister := &metadata.UnregisterBrokerRecord{ID: req.ID, Epoch: b.Epoch}
	return append(recs, metadata.Record{Type: metadata.TypeUnregisterBroker, Unregister: unregister}), UnregisterBrokerResponse{}, nil
}

// UnfenceBroker returns the records that unfence broker id and give a
// leader to the partitions without one that it can lead.
func UnfenceBroker(img *metadata.Image, id kafka.NodeID, unclean func(topic string) bool) []metadata.Record {
	b, ok := img.Broker(id)
	if !ok {
		return nil
	}
	b.Fenced = false
	recs := []metadata.Record{{Type: metadata.TypeBroker, Broker: &b}}
	next, err := img.Apply(recs)
	if err != nil {
		return recs
	}
	return append(recs, electLeaderless(next, unclean)...)
}

// WithoutReplica takes replica id out of p's leadership and ISR as
// fencing does: the ISR keeps it only when it is the last member; if it
// led, the next leader is picked as ElectLeader does among the live
// replicas (none, NoLeader, when there is none).
func WithoutReplica(p metadata.Partition, id int32, alive func(int32) bool, unclean bool) (metadata.Partition, bool) {
	next := p
	if slices.Contains(p.ISR, id) && len(p.ISR) > 1 {
		next.ISR = withoutID(p.ISR, id)
	}
	if p.Leader == id {
		next.Leader, next.ISR = pickLeader(next, alive, unclean)
	}
	return bumpEpochs(p, next)
}

// ElectLeader gives a partition whose leader is not alive (or that has
// none) a new one: the first live member of the ISR, in replica order;
// failing that, when unclean is allowed, the first live replica, which
// then becomes the whole ISR.
func ElectLeader(p metadata.Partition, alive func(int32) bool, unclean bool) (metadata.Partition, bool) {
	if p.Leader != NoLeader && alive(p.Leader) {
		return p, false
	}
	next := p
	next.Leader, next.ISR = pickLeader(p, alive, unclean)
	return bumpEpochs(p, next)
}

// pickLeader returns the leader ElectLeader would pick and the ISR that
// goes with it.
func pickLeader(p metadata.Partition, alive func(int32) bool, unclean bool) (int32, []int32) {
	for _, r := range p.Replicas {
		if slices.Contains(p.ISR, r) && alive(r) {
			return r, p.ISR
		}
	}
	if i := slices.IndexFunc(p.Replicas, alive); unclean && i >= 0 {
		return p.Replicas[i], []int32{p.Replicas[i]}
	}
	return NoLeader, p.ISR
}

// bumpEpochs returns next with the leader epoch bumped when the leader
// changed and the partition epoch bumped when anything did, as KRaft.
func bumpEpochs(prev, next metadata.Partition) (metadata.Partition, bool) {
	if next.Leader != prev.Leader {
		next.LeaderEpoch++
	}
	changed := next.Leader != prev.Leader || !slices.Equal(next.ISR, prev.ISR) ||
		!slices.Equal(next.OfflineReplicas, prev.OfflineReplicas)
	if changed {
		next.PartitionEpoch++
	}
	return next, changed
}

// eachPartition returns a partition record for every partition f changes.
func eachPartition(img *metadata.Image, f func(topic string, p metadata.Partition) (metadata.Partition, bool)) []metadata.Record {
	var recs []metadata.Record
	for _, name := range img.TopicNames() {
		t, _ := img.Topic(name)
		for _, p := range t.Partitions {
			if next, changed := f(name, p); changed {
				recs = append(recs, next.Record(t.ID))
			}
		}
	}
	return recs
}

// isAlive reports whether broker id is registered, not fenced and has
// a log dir left: whether it can lead and take replicas.
func isAlive(img *metadata.Image, id int32) bool {
	b, ok := img.Broker(kafka.NodeID(id))
	return ok && !b.Fenced && !b.StorageOffline
}

// uncleanOf returns whether unclean leader election is allowed for a
// topic: its own config, else the dynamic cluster default, else the
// static configuration.
func uncleanOf(img *metadata.Image, c Cluster) func(topic string) bool {
	const key = "unclean.leader.election.enable"
	return func(topic string) bool {
		if v, ok := img.Configs(metadata.ConfigResource{Type: metadata.ResourceTopic, Name: topic})[key]; ok {
			return v == "true"
		}
		_, def := img.BrokerConfigs(int32(c.NodeID))
		if v, ok := def[key]; ok {
			return v == "true"
		}
		if c.Config != nil {
			v, _ := strconv.ParseBool(c.Config.Values[key])
			return v
		}
		return false
	}
}

// fence returns the records of a fenceRequest.
func fence(img *metadata.Image, c Cluster, req fenceRequest) []metadata.Record {
	var recs []metadata.Record
	for _, id := range req.IDs {
		r := FenceBroker(img, id, uncleanOf(img, c))
		next, err := img.Apply(r)
		if err != nil {
			continue
		}
		img, recs = next, append(recs, r...)
	}
	return recs
}

// checkSessions, on the leader, fences the live brokers whose last
// heartbeat is older than the session timeout. Sessions start when the
// node becomes leader, so a new leader gives every broker a full timeout.
func (c *Controller) checkSessions() {
	if c.q.SessionTimeout <= 0 || c.state.ready == 0 || c.state.fencing {
		return
	}
	now := c.now()
	var expired []kafka.NodeID
	for _, b := range c.image.Brokers() {
		seen, ok := c.lastSeen[b.ID]
		if !ok {
			c.lastSeen[b.ID] = now
			continue
		}
		if !b.Fenced && now.Sub(seen) > c.q.SessionTimeout {
			expired = append(expired, b.ID)
		}
	}
	if len(expired) > 0 {
		c.logger.Warn("fencing brokers whose sessions expired", "brokers", expired, "broker.session.timeout.ms", c.q.SessionTimeout.Milliseconds())
		c.state.fencing = true
		c.state.queue = append(c.state.queue, call{req: fenceRequest{IDs: expired}, reply: make(chan reply, 1)})
	}
}
