package quota

import (
	"sync"
	"time"
)

// ControllerMutation is the quota type of topic and partition changes
// (KIP-599): partitions created or deleted per second.
const ControllerMutation Type = "controller_mutation_rate"

// MutationManager enforces controller_mutation_rate with Kafka's token
// bucket: a client starts with a burst of quota × windows × window
// tokens, regains quota tokens a second, and spends one per partition
// created, added or deleted. A request is admitted while the bucket is not
// in debt, even if it takes it into debt; the throttle is the time to pay
// the debt back. It is safe for concurrent use.
type MutationManager struct {
	config Config

	mu      sync.Mutex // guards buckets
	buckets map[Tags]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewMutationManager returns a manager sampled as c
// (controller.quota.window.num, controller.quota.window.size.seconds).
func NewMutationManager(c Config) *MutationManager {
	return &MutationManager{config: c, buckets: map[Tags]*bucket{}}
}

// Admit spends permits of the bucket of user and clientID at now. When
// the bucket is already in debt, a strict request (CreateTopics v6+,
// CreatePartitions v3+, DeleteTopics v5+) spends nothing and is not
// admitted; an older, permissive one spends anyway. throttle is the time
// until the bucket is out of debt (zero when it is not).
func (m *MutationManager) Admit(l Limits, user, clientID string, permits float64, strict bool, now time.Time) (admitted bool, throttle time.Duration) {
	tags, limit, ok := Resolve(l, ControllerMutation, user, clientID)
	if !ok {
		return true, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.refillLocked(tags, limit, now)
	if b.tokens < 0 && strict {
		return false, debt(b.tokens, limit)
	}
	b.tokens -= permits
	return true, debt(b.tokens, limit)
}

func (m *MutationManager) refillLocked(tags Tags, limit float64, now time.Time) *bucket {
	burst := limit * float64(m.config.Windows) * m.config.Window.Seconds()
	b, ok := m.buckets[tags]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		m.buckets[tags] = b
	}
	b.tokens = min(burst, b.tokens+limit*now.Sub(b.last).Seconds())
	b.last = now
	return b
}

func debt(tokens, limit float64) time.Duration {
	if tokens >= 0 {
		return 0
	}
	return time.Duration(-tokens / limit * float64(time.Second)).Round(time.Millisecond)
}
