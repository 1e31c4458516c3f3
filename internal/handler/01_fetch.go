package handler

// Fetch: v4–18.
//
// Behaviour: reads whole stored batches from each requested partition,
// bounded by the high watermark (read_uncommitted) or the last stable
// offset (isolation_level 1, read_committed, which also answers the
// aborted transactions overlapping the records read), by partition_max_bytes and by max_bytes for the whole response,
// with KIP-74's rule that the first batch of the response is returned whole
// even above the limits. When fewer than min_bytes are available it waits
// up to max_wait_ms for appends to any requested partition (long polling).
// current_leader_epoch (v9+) is checked: older answers FENCED_LEADER_EPOCH,
// newer UNKNOWN_LEADER_EPOCH. v13+ names topics by id (UNKNOWN_TOPIC_ID).
// Fetch sessions (KIP-227) are served from a cache of up to 1000 sessions
// (fetch_sessions.go): incremental fetches answer only partitions with news;
// an unknown session id answers FETCH_SESSION_ID_NOT_FOUND, a wrong epoch
// INVALID_FETCH_SESSION_EPOCH.
// Replica fetches (replica_id >= 0 before v15, ReplicaState from v15) come
// from followers: the fetch offset is the follower's log end offset, which
// the leader records (partition.UpdateFollower: the high watermark and the
// ISR follow it); records are served up to the log end, not the high
// watermark; a node outside the replica set answers NOT_LEADER_OR_FOLLOWER.
// With leader.replication.throttled.rate set (KIP-73), a partition the
// topic's leader.replication.throttled.replicas names here gets no records
// while the rate of what was sent for such partitions is over it and the
// follower is not in sync; what is sent of them is counted after the fetch.
// last_fetched_epoch (v12+) that this log does not hold up to the fetch
// offset answers a diverging epoch and no records (KIP-320). A partition
// not led here answers NOT_LEADER_OR_FOLLOWER; that and FENCED_LEADER_EPOCH
// carry the current leader (v12+) and its endpoint (v16+, KIP-951).
// Authorization: a follower needs CLUSTER_ACTION on the cluster, a
// consumer READ on each topic; a partition refused answers
// TOPIC_AUTHORIZATION_FAILED.
// With gregor.fetch.sendfile.enable, read_uncommitted and follower fetches
// send the batches appended since their segment was opened from the
// segment file as the response is written: on PLAINTEXT and SASL_PLAINTEXT
// listeners with sendfile, as Kafka sends every plaintext fetch; on SSL and
// SASL_SSL ones read in chunks of whole TLS records and sealed at once.
// Batches on disk at open are read and CRC-checked when the fetch is served.
// Consumers may fetch from the closest replica (KIP-392,
// fetch_from_follower.go). A topic whose compression.type is zstd answers
// UNSUPPORTED_COMPRESSION_TYPE to Fetch v4-9, as Kafka does. Differences from Kafka: the session cache evicts the least recently used session rather than by
// Kafka's size-based policy.

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/quota"
	"gregor/internal/record"
	"gregor/internal/wire"
)

func init() { register(1, 4, 18, requires(readOnTopic, clusterActionOnCluster), (*Handler).fetch) }

// maxFetchWait bounds max_wait_ms so that a hostile value cannot park a
// connection forever.
const maxFetchWait = 5 * time.Minute

func (h *Handler) fetch(ctx context.Context, req *Request) (kmsg.Response, error) {
	start := h.now()
	r := req.Body.(*kmsg.FetchRequest)
	resp := r.ResponseKind().(*kmsg.FetchResponse)
	if h.Config != nil {
		boundFetch(r, h.Config.FetchMaxBytes) // fetch.max.bytes, a follower's fetch too
	}
	if fetchReplicaID(r) < 0 {
		boundFetch(r, h.fetchQuotaBound(req))
	}
	session, incremental, code := h.sessionFor(r)
	if code != 0 {
		resp.ErrorCode = code
		return resp, nil
	}
	img := h.Metadata.Image()
	resolve := func(t kmsg.FetchRequestTopic) (string, [16]byte) {
		if r.Version >= 13 {
			if topic, ok := img.TopicByID(kafka.TopicID(t.TopicID)); ok {
				return topic.Name, t.TopicID
			}
			return "", t.TopicID
		}
		return t.Topic, t.TopicID
	}
	anyReplica := fetchReplicaID(r) < 0 && r.Version >= 11 && h.replicaSelector()
	var targets []*fetchTarget
	if session != nil {
		defer session.mu.Unlock()
		session.update(r, resolve)
		targets = h.sessionTargets(session, anyReplica)
		resp.SessionID = session.id
	} else {
		targets = h.requestTargets(r, resolve, anyReplica)
	}
	h.authorizeFetch(req, r, targets)
	f := h.newFetch(r, targets)
	f.regions = h.fileRegions()
	if f.replica >= 0 && h.LeaderReplicationQuota.Limited() {
		f.leaderQuota = h.LeaderReplicationQuota
	}
	if f.replica < 0 && r.Version >= 11 {
		f.preferred = func(p *partition.Partition, offset int64) int32 {
			return h.preferredReadReplica(img, p, r.Rack, offset)
		}
	}
	defer f.close()
	req.AfterSent(f.release)
	f.wait(ctx, r)
	req.Waited += f.waited
	if f.leaderQuota != nil {
		f.leaderQuota.Record(f.throttledBytes, h.now())
	}
	if r.Version >= 12 {
		f.addLeaderHints(img, req.Listener, resp)
	}
	resp.Topics, req.FetchRegions = f.response(session != nil, incremental)
	if h.throttleFetch(req, r, resp, f.bytes, start) {
		resp.Topics, req.FetchRegions = nil, nil // a throttled consumer gets no data, as in Kafka
	}
	if session != nil {
		session.epoch = nextSessionEpoch(session.epoch)
		session.lastUsed = h.now()
	}
	return resp, nil
}

// fileRegions reports whether a fetch may send record batches from
// segment files (gregor.fetch.sendfile.enable), on any listener: without
// TLS the server sends them with sendfile; with TLS it reads them while it
// seals them, a chunk of records at a time, rather than the handler
// reading the whole response into memory first (internal/server's
// writeTLS).
func (h *Handler) fileRegions() bool {
	return h.Config != nil && h.Config.FetchSendfileEnable
}

// boundFetch lowers max_bytes (and min_bytes with it) to bound, as Kafka
// does with the broker's fetch.max.bytes and with what a consumer's
// byte-rate quota allows in its windows.
func boundFetch(r *kmsg.FetchRequest, bound int32) {
	if r.MaxBytes <= 0 || r.MaxBytes > bound {
		r.MaxBytes = bound
	}
	r.MinBytes = min(r.MinBytes, r.MaxBytes)
}

// authorizeFetch refuses the partitions the principal may not read, with
// TOPIC_AUTHORIZATION_FAILED: a follower needs CLUSTER_ACTION on the
// cluster for all of them, a consumer READ on each topic.
func (h *Handler) authorizeFetch(req *Request, r *kmsg.FetchRequest, targets []*fetchTarget) {
	if h.Authorizer == nil {
		return
	}
	follower := fetchReplicaID(r) >= 0 && h.allowedOnCluster(req, acl.ClusterAction)
	for _, t := range targets {
		if t.key.topic == "" || follower || fetchReplicaID(r) < 0 && h.allowed(req, acl.Read, acl.Topic, t.key.topic) {
			continue
		}
		t.part, t.errorCode = nil, kerr.TopicAuthorizationFailed.Code
	}
}

func nextSessionEpoch(e int32) int32 {
	if e == 1<<31-1 {
		return 1
	}
	return e + 1
}

// fetchTarget is one requested partition, resolved once per request.
type fetchTarget struct {
	key       sessionKey
	req       kmsg.FetchRequestTopicPartition
	session   *sessionPartition // nil for a sessionless fetch
	part      *partition.Partition
	errorCode int16
	result    kmsg.FetchResponseTopicPartition
	// region, when not zero, holds result's record batches (RecordBatches
	// empty) in a segment file, to be sent from there.
	region kafka.FileRegion
}

func (h *Handler) requestTargets(r *kmsg.FetchRequest, resolve func(kmsg.FetchRequestTopic) (string, [16]byte), anyReplica bool) []*fetchTarget {
	var out []*fetchTarget
	for _, t := range r.Topics {
		name, id := resolve(t)
		for _, p := range t.Partitions {
			out = append(out, h.target(sessionKey{topic: name, topicID: id, partition: p.Partition}, p, nil, anyReplica))
		}
	}
	return out
}

func (h *Handler) sessionTargets(s *fetchSession, anyReplica bool) []*fetchTarget {
	out := make([]*fetchTarget, 0, len(s.parts))
	for _, sp := range s.parts {
		out = append(out, h.target(sp.key, sp.req, sp, anyReplica))
	}
	return out
}

// target resolves one requested partition to the local leader, or with
// anyReplica to the local replica, leader or follower.
func (h *Handler) target(key sessionKey, p kmsg.FetchRequestTopicPartition, sp *sessionPartition, anyReplica bool) *fetchTarget {
	t := &fetchTarget{key: key, req: p, session: sp}
	if key.topic == "" {
		t.errorCode = kerr.UnknownTopicID.Code
		return t
	}
	tp := kafka.TopicPartition{Topic: key.topic, Partition: p.Partition}
	lookup := h.Replicas.Partition
	if anyReplica {
		lookup = h.Replicas.Replica
	}
	part, err := lookup(tp)
	t.part, t.errorCode = part, errorCode(err)
	return t
}

type fetchState struct {
	r *kmsg.FetchRequest
	// replica is the follower fetching, -1 for a consumer.
	replica kafka.NodeID
	// preferred, for a consumer fetch (v11+), returns the replica the
	// consumer should read a partition led here from, or -1.
	preferred func(p *partition.Partition, offset int64) int32
	// redirected counts partitions answered with a preferred read replica,
	// which end the wait as errors do.
	now        func() time.Time
	targets    []*fetchTarget
	changed    chan struct{}
	redirected int
	waited     time.Duration // time blocked waiting for data: not handler time
	bytes      int
	errors     int
	arena      *[]byte // reads land here; the response aliases it until sent
	regions    bool    // record batches may be file regions (fetchTarget.region)
	free       []byte  // the unused tail of the arena
	overflow   int     // bytes read outside the arena, for want of room
	// leaderQuota, for a follower's fetch while
	// leader.replication.throttled.rate is set, is what throttled replicas
	// count against; throttledBytes is what this read sent of them.
	leaderQuota    *quota.Replication
	throttledBytes int
}

var noRecords = []byte{}

// fetchArenaSize is the capacity of a new pooled read buffer. Reusing
// buffers matters: first touches of fresh memory (and Go's zeroing of a
// large allocation) cost more than the reads. A fetch that needed more
// room gives back a larger arena, up to maxFetchArena, so that the pool
// grows to the responses clients ask for (six partitions of 1 MiB).
const (
	fetchArenaSize = 4 << 20
	maxFetchArena  = 32 << 20
)

var fetchArenas = sync.Pool{New: func() any { b := make([]byte, fetchArenaSize); return &b }}

// release returns the arena once the response no longer points into it;
// one that was too small is replaced by one that would have fitted.
func (f *fetchState) release() {
	f.releaseRegions()
	if f.arena == nil {
		return
	}
	if need := cap(*f.arena) + f.overflow; f.overflow > 0 && cap(*f.arena) < maxFetchArena {
		size := cap(*f.arena)
		for size < need && size < maxFetchArena {
			size *= 2
		}
		b := make([]byte, min(size, maxFetchArena))
		f.arena = &b
	}
	fetchArenas.Put(f.arena)
	f.arena = nil
}

func (h *Handler) newFetch(r *kmsg.FetchRequest, targets []*fetchTarget) *fetchState {
	f := &fetchState{
		r: r, replica: fetchReplicaID(r), now: h.now, targets: targets,
		changed: make(chan struct{}, 1), arena: fetchArenas.Get().(*[]byte),
	}
	for _, t := range targets {
		if t.part != nil {
			t.part.Watch(f.changed)
		}
	}
	return f
}

// releaseRegions lets the files of the regions read so far close.
func (f *fetchState) releaseRegions() {
	for _, t := range f.targets {
		t.region.Release()
		t.region = kafka.FileRegion{}
	}
}

func (f *fetchState) close() {
	for _, t := range f.targets {
		if t.part != nil {
			t.part.Unwatch(f.changed)
		}
	}
}

// wait reads every target until min_bytes are available, an error occurs,
// max_wait_ms passes or ctx ends.
func (f *fetchState) wait(ctx context.Context, r *kmsg.FetchRequest) {
	wait := min(time.Duration(max(r.MaxWaitMillis, 0))*time.Millisecond, maxFetchWait)
	var timer *time.Timer
	for {
		f.read()
		if f.bytes >= int(r.MinBytes) || f.errors > 0 || f.redirected > 0 || wait == 0 {
			return
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		blocked := time.Now()
		select {
		case <-f.changed:
			f.waited += time.Since(blocked)
		case <-timer.C:
			f.waited += time.Since(blocked)
			f.read()
			return
		case <-ctx.Done():
			return
		}
	}
}

// read fills every target's result from the current state of its partition.
func (f *fetchState) read() {
	f.bytes, f.errors, f.redirected, f.overflow, f.throttledBytes = 0, 0, 0, 0, 0
	f.free = (*f.arena)[:0]
	f.releaseRegions()
	remaining := f.r.MaxBytes
	if remaining <= 0 {
		remaining = 1<<31 - 1
	}
	for _, t := range f.targets {
		t.result = f.readPartition(t, &remaining)
		if t.result.ErrorCode != 0 {
			f.errors++
		}
	}
}

// response groups the results by topic, with the file regions that stand
// for record batches in response order; an incremental fetch answers only
// partitions with news for the client.
func (f *fetchState) response(inSession, incremental bool) ([]kmsg.FetchResponseTopic, []wire.FetchRegion) {
	var out []kmsg.FetchResponseTopic
	var regions []wire.FetchRegion
	index := map[sessionKey]int{}
	for _, t := range f.targets {
		news := true
		if inSession {
			news = t.session.changed(&t.result) || t.region.Length > 0
		}
		if incremental && !news {
			continue
		}
		topicKey := sessionKey{topic: t.key.topic, topicID: t.key.topicID}
		i, ok := index[topicKey]
		if !ok {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = t.key.topic, t.key.topicID
			out = append(out, rt)
			i = len(out) - 1
			index[topicKey] = i
		}
		out[i].Partitions = append(out[i].Partitions, t.result)
		if t.region.Length > 0 {
			regions = append(regions, wire.FetchRegion{Topic: i, Partition: len(out[i].Partitions) - 1, Region: t.region})
		}
	}
	slices.SortFunc(regions, func(a, b wire.FetchRegion) int { // targets may interleave topics
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, regions
}

func (f *fetchState) readPartition(t *fetchTarget, remaining *int32) kmsg.FetchResponseTopicPartition {
	rp := kmsg.NewFetchResponseTopicPartition()
	rp.Partition = t.req.Partition
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
	// Kafka answers an empty record set, never null, and librdkafka
	// refuses null ("invalid MessageSetSize -1").
	rp.RecordBatches = noRecords
	if t.errorCode != 0 {
		rp.ErrorCode = t.errorCode
		return rp
	}
	p := t.part
	if codec, ok := p.Compression(); ok && codec == record.CodecZstd && f.r.Version < 10 {
		rp.ErrorCode = kerr.UnsupportedCompressionType.Code // as Kafka: zstd needs Fetch v10+
		return rp
	}
	if code := checkLeaderEpoch(t.req.CurrentLeaderEpoch, p.LeaderEpoch()); code != 0 {
		rp.ErrorCode = code
		return rp
	}
	if epoch, end, ok := p.DivergingEpoch(kafka.Epoch(t.req.LastFetchedEpoch), kafka.Offset(t.req.FetchOffset)); ok {
		rp.DivergingEpoch.Epoch, rp.DivergingEpoch.EndOffset = int32(epoch), int64(end)
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = p.HighWatermark(), p.LastStableOffset(), p.LogStartOffset()
		return rp
	}
	if f.replica >= 0 {
		if err := p.UpdateFollower(f.replica, kafka.Offset(t.req.FetchOffset), f.now()); err != nil {
			rp.ErrorCode = errorCode(err)
			rp.LogStartOffset = p.LogStartOffset()
			return rp
		}
	}
	hw := p.HighWatermark()
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = hw, p.LastStableOffset(), p.LogStartOffset()
	if f.preferred != nil && p.IsLeader() {
		if id := f.preferred(p, t.req.FetchOffset); id >= 0 {
			rp.PreferredReadReplica = id
			f.redirected++
			return rp
		}
	}
	throttled := f.leaderQuota != nil && p.ThrottledAsLeader()
	if throttled && !p.InSync(f.replica) && f.leaderQuota.Exceeded(f.now()) {
		return rp // KIP-73: nothing more for this follower until the rate falls
	}
	limit := min(t.req.PartitionMaxBytes, *remaining)
	if limit <= 0 && f.bytes > 0 {
		return rp
	}
	data, aborted, err := f.readFrom(t, t.req.FetchOffset, max(limit, 0))
	for _, a := range aborted {
		at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
		at.ProducerID, at.FirstOffset = int64(a.ProducerID), int64(a.FirstOffset)
		rp.AbortedTransactions = append(rp.AbortedTransactions, at)
	}
	if err != nil {
		rp.ErrorCode = errorCode(err)
		if f.replica < 0 {
			// As Kafka answers a read that failed: no offsets. A follower
			// keeps the leader's log start, which it starts over at when
			// its fetch offset is below it (internal/replica).
			rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
		}
		return rp
	}
	if n := len(data); n > 0 && cap(f.free) >= n && &data[0] == &f.free[:1][0] {
		f.free = f.free[n:n] // the read landed in the arena: keep it
	} else {
		f.overflow += n
	}
	if data != nil {
		rp.RecordBatches = data
	}
	n := len(data) + int(t.region.Length)
	f.bytes += n
	if throttled {
		f.throttledBytes += n
	}
	*remaining -= int32(n)
	return rp
}

// readFrom reads t for a consumer up to the high watermark (read_committed:
// the last stable offset, with the aborted transactions in what it read),
// for a follower up to the log end. With regions, what it would read may
// instead be found as a file region (t.region) and no bytes returned;
// read_committed reads, as its aborted transactions come from the bytes.
func (f *fetchState) readFrom(t *fetchTarget, offset int64, limit int32) ([]byte, []kafka.AbortedTransaction, error) {
	p := t.part
	if f.regions && (f.replica >= 0 || f.r.IsolationLevel != 1) {
		region, ok, err := f.readRegion(p, offset, limit)
		if ok {
			t.region = region
			return nil, nil, err
		}
	}
	switch {
	case f.replica >= 0:
		data, err := p.ReadForFollower(f.free, kafka.Offset(offset), limit, f.bytes == 0)
		return data, nil, err
	case f.r.IsolationLevel == 1:
		return p.ReadCommitted(f.free, offset, limit, f.bytes == 0)
	}
	data, err := p.Read(f.free, offset, limit, f.bytes == 0)
	return data, nil, err
}

// readRegion finds what readFrom would read as a file region; ok false:
// it must be read.
func (f *fetchState) readRegion(p *partition.Partition, offset int64, limit int32) (kafka.FileRegion, bool, error) {
	if f.replica >= 0 {
		return p.ReadRegionForFollower(kafka.Offset(offset), limit, f.bytes == 0)
	}
	return p.ReadRegion(offset, limit, f.bytes == 0)
}

// fetchReplicaID is the follower a fetch comes from, -1 for a consumer.
func fetchReplicaID(r *kmsg.FetchRequest) kafka.NodeID {
	if r.Version >= 15 {
		return kafka.NodeID(r.ReplicaState.ID)
	}
	return kafka.NodeID(r.ReplicaID)
}

// addLeaderHints adds the current leader to every partition answered
// NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH, and from v16 the
// leaders' endpoints (KIP-951).
func (f *fetchState) addLeaderHints(img *metadata.Image, listener string, resp *kmsg.FetchResponse) {
	var eps leaderEndpoints
	for _, t := range f.targets {
		if !needsLeaderHint(t.result.ErrorCode) {
			continue
		}
		if hint, ok := currentLeader(img, t.key.topic, t.key.topicID, t.req.Partition); ok {
			t.result.CurrentLeader.LeaderID, t.result.CurrentLeader.LeaderEpoch = hint.leader, hint.epoch
			eps.add(hint.leader)
		}
	}
	if f.r.Version < 16 {
		return
	}
	eps.each(img, listener, func(id int32, ep metadata.Endpoint, rack *string) {
		b := kmsg.NewFetchResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack = id, ep.Host, ep.Port, rack
		resp.Brokers = append(resp.Brokers, b)
	})
}

// checkLeaderEpoch compares a client's view of the leader epoch with ours
// (KIP-320); -1 means the client does not know it.
func checkLeaderEpoch(client, ours int32) int16 {
	switch {
	case client == -1 || client == ours:
		return 0
	case client < ours:
		return kerr.FencedLeaderEpoch.Code
	default:
		return kerr.UnknownLeaderEpoch.Code
	}
}
