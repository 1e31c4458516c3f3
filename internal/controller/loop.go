package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// entry is the data of a raft entry the active controller proposes: the
// records of one request, and who proposed it, so that the proposer can
// answer the request once the entry is applied.
type entry struct {
	Node    kafka.NodeID      `json:"node"`
	Seq     uint64            `json:"seq"`
	Records []json.RawMessage `json:"records"`
}

func encodeEntry(node kafka.NodeID, seq uint64, recs []metadata.Record) []byte {
	e := entry{Node: node, Seq: seq}
	for _, r := range recs {
		e.Records = append(e.Records, r.Encode())
	}
	data, _ := json.Marshal(e)
	return data
}

func decodeEntry(data []byte) (entry, []metadata.Record, error) {
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return e, nil, err
	}
	recs := make([]metadata.Record, 0, len(e.Records))
	for _, raw := range e.Records {
		r, err := metadata.Decode(raw)
		if err != nil {
			return e, nil, err
		}
		recs = append(recs, r)
	}
	return e, recs, nil
}

// Submit executes req on the active controller and returns once its
// records are committed and this node has published the image that holds
// them, with its response. On a node that is not the leader the request is
// forwarded to the leader; while there is none, Submit waits for one.
func (c *Controller) Submit(ctx context.Context, req Request) (Response, error) {
	for backoff := 5 * time.Millisecond; ; backoff = min(2*backoff, 200*time.Millisecond) {
		resp, err, retry := c.try(ctx, req)
		if !retry {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, ErrStopped
		case <-time.After(backoff):
		}
	}
}

// try sends req once to whoever leads; retry is true when the leader is
// unknown, unreachable or no longer the leader.
func (c *Controller) try(ctx context.Context, req Request) (Response, error, bool) {
	leader, ok := c.Leader()
	switch {
	case !ok:
		return nil, nil, true
	case leader == c.q.NodeID:
		r, err := c.local(ctx, req)
		if errors.Is(err, ErrNotController) {
			return nil, nil, true
		}
		return r.resp, err, false
	}
	r, err := c.net.forward(ctx, c.voterAddr(leader), req)
	if err != nil || errors.Is(r.err, ErrNotController) {
		return nil, nil, ctx.Err() == nil
	}
	if err := c.waitApplied(ctx, r.applied); err != nil {
		return nil, err, false
	}
	return r.resp, r.err, false
}

// local executes req on this node's loop, which must be the leader's.
func (c *Controller) local(ctx context.Context, req Request) (reply, error) {
	cl := call{req: req, reply: make(chan reply, 1)}
	select {
	case c.calls <- cl:
	case <-ctx.Done():
		return reply{}, ctx.Err()
	case <-c.done:
		return reply{}, ErrStopped
	}
	select {
	case r := <-cl.reply:
		return r, r.err
	case <-ctx.Done():
		return reply{}, ctx.Err()
	case <-c.done:
		return reply{}, ErrStopped
	}
}

// waitApplied waits until this node has applied (and published) index.
func (c *Controller) waitApplied(ctx context.Context, index uint64) error {
	stop := context.AfterFunc(ctx, func() {
		c.applyMu.Lock()
		c.applyCond.Broadcast()
		c.applyMu.Unlock()
	})
	defer stop()
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	for c.appliedAt.Load() < index {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-c.done:
			return ErrStopped
		default:
		}
		c.applyCond.Wait()
	}
	return nil
}

func (c *Controller) setApplied(index uint64) {
	c.applied = index
	c.applyMu.Lock()
	c.appliedAt.Store(index)
	c.applyCond.Broadcast()
	c.applyMu.Unlock()
}

// Run is the controller's event loop; it returns when ctx is done and
// closes the metadata log. An error writing the quorum's state stops it
// with ErrMetadataLogFailed, which it does not log: its caller decides.
func (c *Controller) Run(ctx context.Context) error {
	defer c.log.Close()
	defer func() {
		close(c.done)
		c.applyMu.Lock()
		c.applyCond.Broadcast()
		c.applyMu.Unlock()
	}()
	if c.q.isObserver() {
		return c.runObserver(ctx)
	}
	var inbox <-chan *pb.Message
	var fatal <-chan error
	if len(c.disk.voters) > 1 || c.q.Listener != nil {
		c.net = newTransport(c, c.q.Listener)
		inbox, fatal = c.net.inbox, c.net.fatal
		netCtx, cancel := context.WithCancel(ctx)
		netDone := make(chan struct{})
		go func() { defer close(netDone); c.net.run(netCtx) }()
		defer func() { cancel(); <-netDone }()
	}
	if len(c.disk.voters) <= 1 {
		if err := c.rn.Campaign(); err != nil {
			return err
		}
	}
	tick := time.NewTicker(tickInterval)
	defer tick.Stop()
	for {
		if err := c.step(); err != nil {
			c.failAll(ErrStopped)
			return fmt.Errorf("%w: %w", ErrMetadataLogFailed, err)
		}
		select {
		case <-ctx.Done():
			c.failAll(ErrStopped)
			return nil
		case err := <-fatal:
			c.failAll(ErrStopped)
			return err
		case <-tick.C:
			c.rn.Tick()
			c.checkSessions()
			c.checkBalance()
			c.checkTokens()
			if err := c.maybeSnapshot(); err != nil {
				c.logger.Error("metadata quorum stopped: storage failed", "err", err)
				return err
			}
		case m := <-inbox:
			c.seen(m)
			c.rn.Step(m)
		case cl := <-c.calls:
			c.enqueue(cl)
		}
	}
}

// drainReady handles every Ready raft has: persist, send, apply, advance.
func (c *Controller) drainReady() error {
	for c.rn.HasReady() {
		rd := c.rn.Ready()
		if err := c.disk.save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
			return err
		}
		if c.net != nil {
			c.net.send(rd.Messages)
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			c.installSnapshot(rd.Snapshot)
		}
		for _, e := range rd.CommittedEntries {
			c.applyEntry(e)
		}
		if rd.SoftState != nil {
			c.softState(rd.SoftState)
		}
		c.rn.Advance(rd)
		if err := c.maybeSnapshot(); err != nil {
			return err
		}
	}
	c.updateStatus()
	return nil
}

// step handles what raft has ready, then starts queued requests while it
// can, one at a time.
func (c *Controller) step() error {
	if err := c.drainReady(); err != nil {
		return err
	}
	for c.canStart() {
		cl := c.state.queue[0]
		c.state.queue = c.state.queue[1:]
		c.start(cl)
		if err := c.drainReady(); err != nil {
			return err
		}
	}
	return nil
}

// canStart reports whether the leader may start its next request: nothing
// in flight, and everything of the terms before its own applied.
func (c *Controller) canStart() bool {
	return c.state.inflight == nil && len(c.state.queue) > 0 && c.state.ready > 0 && c.applied >= c.state.ready
}

// applyEntry applies a committed entry to the image, publishes it, and
// answers the request in flight when the entry is its.
func (c *Controller) applyEntry(e *pb.Entry) {
	defer c.setApplied(e.GetIndex())
	c.sinceSnapshot.bytes += int64(len(e.GetData()))
	if e.GetType() != pb.EntryType_EntryNormal || len(e.GetData()) == 0 {
		return
	}
	meta, recs, err := decodeEntry(e.GetData())
	if err == nil {
		var next *metadata.Image
		if next, err = c.image.Apply(recs); err == nil {
			prev := c.image
			c.image = next
			if c.published {
				c.publish(prev, next)
			}
		}
	}
	if err != nil {
		c.logger.Error("committed metadata entry does not apply; skipped", "index", e.GetIndex(), "err", err)
	}
	if p := c.state.inflight; p != nil && meta.Node == c.q.NodeID && meta.Seq == p.seq {
		c.state.inflight = nil
		p.call.reply <- reply{resp: p.resp, err: err, applied: e.GetIndex()}
	}
}

// installSnapshot replaces the image with a snapshot the leader sent.
func (c *Controller) installSnapshot(s *pb.Snapshot) {
	img, err := decodeImage(s.GetData())
	if err != nil {
		c.logger.Error("metadata snapshot from the leader does not decode", "err", err)
		return
	}
	prev := c.image
	c.image = img
	c.publish(prev, img)
	c.setApplied(s.GetMetadata().GetIndex())
	c.sinceSnapshot.bytes, c.sinceSnapshot.start = 0, c.now()
}

// maybeSnapshot takes a snapshot of the image at the applied index when
// one is due, as KRaft does: the entries applied after the latest one
// hold SnapshotBytes, or SnapshotInterval has passed since it.
func (c *Controller) maybeSnapshot() error {
	snap, _ := c.disk.mem.Snapshot()
	last := snap.GetMetadata().GetIndex()
	if c.applied <= last || !c.snapshotDue(c.applied-last) {
		return nil
	}
	term, err := c.disk.mem.Term(c.applied)
	if err != nil {
		return err
	}
	if err := c.disk.snapshot(c.image, c.applied, term); err != nil {
		return err
	}
	c.sinceSnapshot.bytes, c.sinceSnapshot.start = 0, c.now()
	return nil
}

// snapshotDue reports whether pending entries applied after the latest
// snapshot call for a new one.
func (c *Controller) snapshotDue(pending uint64) bool {
	limit := c.q.SnapshotBytes
	if limit <= 0 {
		limit = DefaultSnapshotBytes
	}
	switch {
	case c.sinceSnapshot.bytes >= limit:
		return true
	case c.q.SnapshotInterval > 0 && c.now().Sub(c.sinceSnapshot.start) >= c.q.SnapshotInterval:
		return true
	}
	return c.q.SnapshotEvery > 0 && pending >= c.q.SnapshotEvery
}

// softState follows leadership changes: a node that stops leading fails
// the requests it holds (their callers retry on the new leader).
func (c *Controller) softState(s *raft.SoftState) {
	lead := int32(-1)
	if s.Lead != raft.None {
		lead = int32(nodeID(s.Lead))
	}
	c.leader.Store(lead)
	if s.RaftState != raft.StateLeader {
		c.failAll(ErrNotController)
		c.state.ready = 0
		return
	}
	if c.state.ready == 0 {
		last, _ := c.disk.mem.LastIndex()
		c.state.ready = max(last, 1)
		c.lastSeen = map[kafka.NodeID]time.Time{}
		c.lastBalance = time.Time{}
		c.logger.Info("this node is the active controller", "node.id", c.q.NodeID, "epoch", c.rn.BasicStatus().GetTerm())
	}
}

func (c *Controller) isLeader() bool {
	return c.rn.BasicStatus().RaftState == raft.StateLeader
}

// failAll answers every request the loop holds with err.
func (c *Controller) failAll(err error) {
	if p := c.state.inflight; p != nil {
		p.call.reply <- reply{err: err}
		c.state.inflight = nil
	}
	for _, cl := range c.state.queue {
		cl.reply <- reply{err: err}
	}
	c.state.queue = nil
	c.state.fencing, c.state.balancing = false, false
}

// enqueue takes a request: on the leader it waits its turn, elsewhere it
// is refused.
func (c *Controller) enqueue(cl call) {
	if !c.isLeader() {
		cl.reply <- reply{err: ErrNotController}
		return
	}
	c.state.queue = append(c.state.queue, cl)
}

// start executes cl against the image and proposes its records; a
// request with no records is answered at once.
func (c *Controller) start(cl call) {
	resp, recs, err := c.execute(cl.req)
	if err != nil || len(recs) == 0 {
		cl.reply <- reply{resp: resp, err: err, applied: c.applied}
		return
	}
	c.state.seq++
	if err := c.rn.Propose(encodeEntry(c.q.NodeID, c.state.seq, recs)); err != nil {
		cl.reply <- reply{err: fmt.Errorf("%w: %v", ErrNotController, err)}
		return
	}
	c.state.inflight = &pending{seq: c.state.seq, call: cl, resp: resp}
}

// writeBootstrapRecords is false only in tests that write a metadata log
// as a Gregor before feature records did.
var writeBootstrapRecords = true

// execute computes the records and response of req. Requests about the
// quorum and broker sessions read the loop's state; the others are the
// pure operations of operate.
func (c *Controller) execute(req Request) (Response, []metadata.Record, error) {
	switch r := req.(type) {
	case DescribeQuorumRequest:
		return DescribeQuorumResponse{Status: c.quorumStatus()}, nil, nil
	case BrokerHeartbeatRequest:
		c.lastSeen[r.ID] = c.now()
	case RegisterBrokerRequest:
		c.lastSeen[r.Broker.ID] = c.now()
	case fenceRequest:
		c.state.fencing = false
	case balanceRequest:
		c.state.balancing = false
	case removeExpiredTokensRequest:
		c.state.sweepingTokens = false
	}
	last, _ := c.disk.mem.LastIndex()
	in := inputs{newTopicID: kafka.NewTopicID, nextOffset: int64(last), now: c.now()}
	recs, resp, err := operate(c.image, c.cluster, in, req)
	if err != nil || len(recs) == 0 {
		return resp, nil, err
	}
	if !c.image.Written() && writeBootstrapRecords {
		// The first entry of a new cluster: it finalizes the
		// bootstrapped features at their defaults, so that the log
		// tells a new cluster from one an older Gregor wrote.
		recs = append(metadata.BootstrapRecords(in.nextOffset), recs...)
	}
	if _, err := c.image.Apply(recs); err != nil {
		return nil, nil, fmt.Errorf("operation produced inconsistent records: %w", err)
	}
	return resp, recs, nil
}
