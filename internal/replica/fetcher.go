package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/record"
)

// FetchConfig is how followers fetch (Kafka's replica.fetch.* settings).
type FetchConfig struct {
	MaxBytes         int32         // replica.fetch.max.bytes, per partition
	ResponseMaxBytes int32         // replica.fetch.response.max.bytes
	MinBytes         int32         // replica.fetch.min.bytes
	MaxWait          time.Duration // replica.fetch.wait.max.ms
	Backoff          time.Duration // replica.fetch.backoff.ms
	// SocketTimeout bounds each request to the leader
	// (replica.socket.timeout.ms): one without an answer by then fails,
	// and the fetcher reconnects after Backoff. <= 0: no bound.
	SocketTimeout time.Duration
	// Quota is follower.replication.throttled.rate (KIP-73): while it is
	// exceeded, the throttled replicas not in sync are left out of the
	// fetches; nil: none.
	Quota ReplicationQuota
}

// ReplicationQuota is a replication quota as the fetcher uses it
// (quota.Replication is one).
type ReplicationQuota interface {
	Limited() bool // a limit is set: throttled bytes are counted
	Exceeded(now time.Time) bool
	Record(bytes int, now time.Time)
}

// throttling reports whether the follower's replication quota has a limit.
func (c FetchConfig) throttling() bool { return c.Quota != nil && c.Quota.Limited() }

// follow is one partition a fetcher copies, as the image last set it.
// Its fields other than the partition are owned by the fetcher's mutex.
type follow struct {
	p           *partition.Partition
	leaderEpoch kafka.Epoch
	// truncating: the follower must find where its log diverges from the
	// leader's (OffsetForLeaderEpoch) before it fetches.
	truncating bool
	// resumeAt is the offset to fetch from when the follower's log is
	// below the leader's log start (-1: its log end offset).
	resumeAt kafka.Offset
	// retryAt delays the partition after an error.
	retryAt time.Time
}

// fetcher copies every partition this node follows from one leader broker,
// over one FetchSource, in one goroutine (run). It is Kafka's
// ReplicaFetcherThread with num.replica.fetchers=1.
type fetcher struct {
	self   kafka.NodeID
	leader kafka.NodeID
	cfg    FetchConfig
	now    func() time.Time
	logger *slog.Logger
	// connect dials the leader as the latest image registers it.
	connect func(ctx context.Context) (FetchSource, error)

	mu      sync.Mutex // guards parts
	parts   map[kafka.TopicPartition]*follow
	changed chan struct{} // one slot: parts changed
}

func newFetcher(self, leader kafka.NodeID, cfg FetchConfig, now func() time.Time, logger *slog.Logger, connect func(context.Context) (FetchSource, error)) *fetcher {
	return &fetcher{
		self: self, leader: leader, cfg: cfg, now: now, connect: connect,
		logger: logger.With("leader", leader),
		parts:  map[kafka.TopicPartition]*follow{}, changed: make(chan struct{}, 1),
	}
}

// add starts copying p from this fetcher's leader at leaderEpoch,
// truncating first.
func (f *fetcher) add(p *partition.Partition, leaderEpoch kafka.Epoch) {
	f.mu.Lock()
	f.parts[p.TP] = &follow{p: p, leaderEpoch: leaderEpoch, truncating: true, resumeAt: -1}
	f.mu.Unlock()
	f.signal()
}

// remove stops copying tp; an answer in flight for it is dropped.
func (f *fetcher) remove(tp kafka.TopicPartition) {
	f.mu.Lock()
	delete(f.parts, tp)
	f.mu.Unlock()
	f.signal()
}

func (f *fetcher) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.parts)
}

func (f *fetcher) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// run fetches until ctx ends, reconnecting after a failure.
func (f *fetcher) run(ctx context.Context) {
	var src FetchSource
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	// unreachable is the last reason the leader could not be reached,
	// logged when it first happens, not at every retry.
	var unreachable string
	for ctx.Err() == nil {
		if src == nil {
			var err error
			if src, err = f.connect(ctx); err != nil {
				if err.Error() != unreachable && ctx.Err() == nil {
					f.logger.Warn("cannot reach the leader to fetch from; retrying", "err", err)
				}
				unreachable = err.Error()
				f.sleep(ctx, f.cfg.Backoff)
				continue
			}
			if unreachable != "" {
				f.logger.Info("reached the leader again")
				unreachable = ""
			}
		}
		idle, err := f.round(ctx, src)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				f.logger.Warn("replica fetch failed", "err", err)
			}
			src.Close()
			src = nil
			f.sleep(ctx, f.cfg.Backoff)
		case idle > 0:
			f.sleep(ctx, idle)
		}
	}
}

// round truncates the partitions that must, or else fetches the others
// once; with nothing to do it returns how long to wait for the earliest
// retry (the caller waits, or for a change of the partitions).
func (f *fetcher) round(ctx context.Context, src FetchSource) (idle time.Duration, err error) {
	truncating, fetching, wait := f.ready()
	switch {
	case len(truncating) > 0:
		return 0, f.truncate(ctx, src, truncating)
	case len(fetching) > 0:
		return 0, f.fetch(ctx, src, fetching)
	}
	return wait, nil
}

// ready splits the partitions not waiting for a retry into those to
// truncate and those to fetch, and says how long to wait when none is.
func (f *fetcher) ready() (truncating, fetching []*follow, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	wait = time.Hour
	throttle := f.cfg.throttling() && f.cfg.Quota.Exceeded(now)
	for _, fl := range f.parts {
		switch {
		case fl.retryAt.After(now):
			wait = min(wait, fl.retryAt.Sub(now))
		case fl.truncating:
			truncating = append(truncating, fl)
		case throttle && fl.p.ThrottledAsFollower() && !fl.p.InSync(f.self):
			wait = min(wait, max(f.cfg.Backoff, 10*time.Millisecond)) // until the rate falls, as Kafka's fetcher backs off
		default:
			fetching = append(fetching, fl)
		}
	}
	return truncating, fetching, wait
}

// current reports whether fl is still what the fetcher copies for its
// partition (not removed or replaced since the request was built), under
// the lock, and runs apply if so.
func (f *fetcher) current(fl *follow, apply func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parts[fl.p.TP] == fl {
		apply()
	}
}

// epochRetry is how soon a partition is fetched again after the leader
// answered that it does not (yet) lead it at the follower's epoch.
const epochRetry = 50 * time.Millisecond

// delay makes fl wait for the backoff after err. An answer that only says
// the two brokers have not applied the same leadership yet (the leader
// has not, or this follower has not) is retried after epochRetry rather
// than replica.fetch.backoff.ms, as Kafka would: after a leader moves, the
// new leader's high watermark waits for this fetch, so a full backoff
// there is a second of acks=all produce stalled.
func (f *fetcher) delay(fl *follow, err error) {
	f.logger.Debug("replica fetch: partition backs off", "topic", fl.p.TP.Topic, "partition", fl.p.TP.Partition, "err", err)
	backoff := f.cfg.Backoff
	if errors.Is(err, partition.ErrNotLeader) || errors.Is(err, partition.ErrUnknownLeaderEpoch) || errors.Is(err, partition.ErrFencedLeaderEpoch) {
		backoff = min(backoff, epochRetry)
	}
	fl.retryAt = f.now().Add(backoff)
}

// requestContext bounds one request to the leader by SocketTimeout.
func (f *fetcher) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.cfg.SocketTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, f.cfg.SocketTimeout)
}

// truncate asks the leader where each partition's latest epoch ends and
// truncates to the rule; a partition whose epoch the leader does not hold
// asks again next round about its own earlier epoch.
func (f *fetcher) truncate(ctx context.Context, src FetchSource, parts []*follow) error {
	qs := make([]EpochQuery, 0, len(parts))
	byTP := map[kafka.TopicPartition]*follow{}
	for _, fl := range parts {
		epoch := fl.p.LatestEpoch()
		if epoch < 0 { // an empty log has nothing to truncate
			f.current(fl, func() { fl.truncating = false })
			continue
		}
		qs = append(qs, EpochQuery{TP: fl.p.TP, CurrentLeaderEpoch: fl.leaderEpoch, LeaderEpoch: epoch})
		byTP[fl.p.TP] = fl
	}
	if len(qs) == 0 {
		return nil
	}
	rctx, cancel := f.requestContext(ctx)
	ends, err := src.EpochEndOffsets(rctx, f.self, qs)
	cancel()
	if err != nil {
		return err
	}
	for _, e := range ends {
		if fl := byTP[e.TP]; fl != nil {
			f.current(fl, func() { f.truncateTo(fl, e) })
		}
	}
	return nil
}

// truncateTo applies the leader's end of an epoch to fl.
func (f *fetcher) truncateTo(fl *follow, e EpochEnd) {
	if e.Err != nil {
		f.delay(fl, e.Err)
		return
	}
	p := fl.p
	local := localLog{logStartOffset: kafka.Offset(p.LogStartOffset()), logEndOffset: kafka.Offset(p.LogEndOffset()), endOffsetFor: p.EndOffsetForEpoch}
	offset, done := truncationOffset(e.Epoch, e.EndOffset, local)
	if offset < local.logEndOffset {
		if err := p.TruncateTo(offset); err != nil {
			f.delay(fl, err)
			return
		}
		f.logger.Info("truncated to the leader's log", "topic", p.TP.Topic, "partition", p.TP.Partition,
			"offset", offset, "epoch", e.Epoch, "leader.end", e.EndOffset, "log.end", local.logEndOffset)
	}
	fl.truncating = !done
}

// fetch sends one replica fetch for parts and applies the answers.
func (f *fetcher) fetch(ctx context.Context, src FetchSource, parts []*follow) error {
	req := FetchRequest{
		ReplicaID: f.self, BrokerEpoch: -1, MaxWait: f.cfg.MaxWait, MinBytes: f.cfg.MinBytes, MaxBytes: f.cfg.ResponseMaxBytes,
	}
	byTP := map[kafka.TopicPartition]*follow{}
	for _, fl := range parts {
		req.Partitions = append(req.Partitions, f.fetchPartition(fl))
		byTP[fl.p.TP] = fl
	}
	rctx, cancel := f.requestContext(ctx)
	answers, err := src.Fetch(rctx, req)
	cancel()
	if err != nil {
		return err
	}
	for _, a := range answers {
		if fl := byTP[a.TP]; fl != nil {
			f.current(fl, func() { f.apply(fl, a) })
		}
	}
	return nil
}

func (f *fetcher) fetchPartition(fl *follow) FetchPartition {
	f.mu.Lock()
	resumeAt := fl.resumeAt
	f.mu.Unlock()
	p := fl.p
	offset := kafka.Offset(p.LogEndOffset())
	if resumeAt > offset {
		offset = resumeAt
	}
	return FetchPartition{
		TP: p.TP, TopicID: p.TopicID, CurrentLeaderEpoch: fl.leaderEpoch, FetchOffset: offset,
		LastFetchedEpoch: p.LatestEpoch(), LogStartOffset: kafka.Offset(p.LogStartOffset()), MaxBytes: f.cfg.MaxBytes,
	}
}

// apply stores one partition's answer: records appended with the leader's
// offsets, then the leader's high watermark.
func (f *fetcher) apply(fl *follow, a FetchedPartition) {
	switch {
	case errors.Is(a.Err, partition.ErrOffsetOutOfRange):
		f.outOfRange(fl, a)
		return
	case a.Err != nil:
		f.delay(fl, a.Err)
		return
	case a.Diverging != nil:
		f.truncateTo(fl, *a.Diverging)
		return
	}
	if err := f.append(fl.p, a.Records); err != nil {
		f.delay(fl, err)
		return
	}
	if f.cfg.throttling() && fl.p.ThrottledAsFollower() {
		f.cfg.Quota.Record(len(a.Records), f.now())
	}
	fl.resumeAt = -1
	if err := fl.p.SetHighWatermark(a.HighWatermark); err != nil {
		f.delay(fl, err)
		return
	}
	if a.LogStartOffset > kafka.Offset(fl.p.LogStartOffset()) {
		if err := fl.p.FollowLogStart(a.LogStartOffset); err != nil {
			f.delay(fl, err)
		}
	}
}

func (f *fetcher) append(p *partition.Partition, records []byte) error {
	if len(records) == 0 {
		return nil
	}
	batches, err := record.Split(records)
	if len(batches) == 0 {
		return err // a partial batch alone: nothing yet (the next fetch gets it whole)
	}
	return p.AppendAsFollower(batches)
}

// outOfRange handles a fetch offset the leader does not hold: below its
// log start, the follower starts over there; above its end, the follower
// truncates to the leader's log first.
func (f *fetcher) outOfRange(fl *follow, a FetchedPartition) {
	if a.LogStartOffset >= 0 && kafka.Offset(fl.p.LogEndOffset()) < a.LogStartOffset {
		if err := fl.p.TruncateFullyAndStartAt(a.LogStartOffset); err != nil {
			f.delay(fl, err)
			return
		}
		fl.resumeAt = a.LogStartOffset
		return
	}
	fl.truncating = true
}

// sleep waits d, a change of the partitions or the end of ctx.
func (f *fetcher) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-f.changed:
	}
}

// dialer returns the connect function of a fetcher from leader: it looks
// the leader's registration up in the latest image.
func dialer(dial Dialer, image func() *metadata.Image, leader kafka.NodeID) func(context.Context) (FetchSource, error) {
	return func(ctx context.Context) (FetchSource, error) {
		b, ok := image().Broker(leader)
		if !ok {
			return nil, fmt.Errorf("broker %d is not registered", leader)
		}
		return dial(ctx, b)
	}
}
