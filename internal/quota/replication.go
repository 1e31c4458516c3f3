package quota

import (
	"math"
	"sync"
	"time"
)

// Replication is a replication quota (KIP-73, Kafka's
// ReplicationQuotaManager): the bytes a broker copies for throttled
// replicas, as leader (leader.replication.throttled.rate) or as follower
// (follower.replication.throttled.rate), measured as a client quota's
// sensor is, against a limit that may change at any time. Which replicas
// are throttled is the topics' business (their
// leader/follower.replication.throttled.replicas); the quota only says
// whether their copying must pause. Safe for concurrent use.
type Replication struct {
	mu    sync.Mutex
	cfg   Config
	limit float64 // bytes per second; +Inf: none
	r     rate
}

// NewReplication returns a quota sampled as c, without a limit.
func NewReplication(c Config) *Replication {
	return &Replication{cfg: c, limit: math.Inf(1)}
}

// SetLimit sets the limit in bytes per second; math.MaxInt64 (Kafka's
// default) or more means none.
func (q *Replication) SetLimit(bytesPerSecond int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.limit = math.Inf(1)
	if bytesPerSecond < math.MaxInt64 {
		q.limit = float64(bytesPerSecond)
	}
}

// Limited reports whether a limit is set: without one, nothing is
// throttled and nothing needs recording.
func (q *Replication) Limited() bool {
	if q == nil {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return !math.IsInf(q.limit, 1)
}

// Exceeded reports whether the rate measured at now is over the limit, as
// Kafka's checkQuotas: throttled replicas then copy nothing until it falls.
func (q *Replication) Exceeded(now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !math.IsInf(q.limit, 1) && q.r.measure(now, q.cfg) > q.limit
}

// Record counts bytes copied for throttled replicas at now.
func (q *Replication) Record(bytes int, now time.Time) {
	if bytes <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.r.record(float64(bytes), now, q.cfg)
}
