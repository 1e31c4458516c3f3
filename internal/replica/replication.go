package replica

import (
	"context"
	"sync"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/partition"
)

// Replication is what a node of a cluster adds to the manager: how to reach
// leaders, how to propose ISR changes, and the replica.* settings.
type Replication struct {
	Dial       Dialer
	Controller Controller
	Fetch      FetchConfig
	// LagTimeMax is replica.lag.time.max.ms: a follower not caught up for
	// longer leaves the ISR. The ISR is checked every half of it.
	LagTimeMax time.Duration
	// Now is the clock of the ISR rule, injectable for tests.
	Now func() time.Time
	// ProposeTimeout bounds one AlterPartition.
	ProposeTimeout time.Duration

	wakeOnce sync.Once
	wake     chan struct{} // one slot: a follower caught up
}

func (r *Replication) isrSignal() chan struct{} {
	r.wakeOnce.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

// Controller takes this node's ISR proposals (AlterPartition): it returns
// once the change is in the metadata and the node has published it, or
// with the controller's refusal. Safe for concurrent use.
type Controller interface {
	AlterPartition(ctx context.Context, change ISRChange) error
}

// ISRChange is a leader's proposal of a partition's ISR, made at the
// partition epoch the leader last saw.
type ISRChange struct {
	TopicID        kafka.TopicID
	Partition      int32
	Leader         kafka.NodeID
	LeaderEpoch    kafka.Epoch
	PartitionEpoch int32
	ISR            []kafka.NodeID
}

// follow makes p, a follower, copied from role's leader: from scratch, by
// truncating first. It does nothing without Replication or a leader.
func (m *Manager) follow(p *partition.Partition, role partition.Role) {
	r := m.Replication
	m.unfollow(p.TP)
	if r == nil || role.Leader < 0 || role.Leader == m.self() {
		return
	}
	m.mu.Lock()
	f, ok := m.fetchers[role.Leader]
	if !ok {
		f = newFetcher(m.self(), role.Leader, r.Fetch, time.Now, m.logger, dialer(r.Dial, m.image.Load, role.Leader))
		m.fetchers[role.Leader] = f
	}
	m.mu.Unlock()
	f.add(p, role.LeaderEpoch)
	m.signalChanged()
}

// unfollow stops copying tp, from whichever leader.
func (m *Manager) unfollow(tp kafka.TopicPartition) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, f := range m.fetchers {
		f.remove(tp)
	}
}

func (m *Manager) signalChanged() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// Run runs the fetchers and the ISR check until ctx ends. Without
// Replication it returns at once.
func (m *Manager) Run(ctx context.Context) error {
	r := m.Replication
	if r == nil {
		return nil
	}
	running := map[*fetcher]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, cancel := range running {
			cancel()
		}
		wg.Wait()
	}()
	ticker := time.NewTicker(max(r.LagTimeMax/2, time.Millisecond))
	defer ticker.Stop()
	for {
		m.reconcileFetchers(ctx, running, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-m.changed:
		case <-ticker.C:
			m.CheckISR(ctx)
		case <-r.isrSignal():
			m.CheckISR(ctx)
		}
	}
}

// reconcileFetchers starts a goroutine for each fetcher with partitions
// and stops those left with none.
func (m *Manager) reconcileFetchers(ctx context.Context, running map[*fetcher]context.CancelFunc, wg *sync.WaitGroup) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for leader, f := range m.fetchers {
		if f.size() == 0 {
			delete(m.fetchers, leader)
		}
	}
	for f, cancel := range running {
		if m.fetchers[f.leader] != f {
			cancel()
			delete(running, f)
		}
	}
	for _, f := range m.fetchers {
		if _, ok := running[f]; !ok {
			fctx, cancel := context.WithCancel(ctx)
			running[f] = cancel
			wg.Add(1)
			go func() { defer wg.Done(); f.run(fctx) }()
		}
	}
}

// CheckISR applies the ISR rule to every partition led here and sends
// each change it proposes to the controller; a refused one is abandoned,
// to be decided anew at the next check. Run calls it periodically and when
// a follower catches up.
func (m *Manager) CheckISR(ctx context.Context) {
	r := m.Replication
	var eligible func(kafka.NodeID) bool // KIP-841: registered and not fenced, as the controller checks
	if img := m.image.Load(); img != nil {
		eligible = func(id kafka.NodeID) bool {
			b, ok := img.Broker(id)
			return ok && !b.Fenced
		}
	}
	for _, p := range m.Partitions() {
		prop, ok := p.ProposeISR(r.Now(), r.LagTimeMax, eligible)
		if !ok {
			continue
		}
		if err := m.propose(ctx, p, prop); err != nil {
			p.AbandonISRProposal()
			m.logger.Warn("ISR change refused", "topic", p.TP.Topic, "partition", p.TP.Partition, "isr", prop.ISR, "err", err)
		}
	}
}

func (m *Manager) propose(ctx context.Context, p *partition.Partition, prop partition.ISRProposal) error {
	change := ISRChange{TopicID: p.TopicID, Partition: p.TP.Partition, Leader: m.self(), LeaderEpoch: prop.LeaderEpoch, PartitionEpoch: -1, ISR: prop.ISR}
	if t, ok := m.image.Load().TopicByID(p.TopicID); ok && int(p.TP.Partition) < len(t.Partitions) {
		change.PartitionEpoch = t.Partitions[p.TP.Partition].PartitionEpoch
	}
	m.logger.Info("proposing ISR change", "topic", p.TP.Topic, "partition", p.TP.Partition, "isr", prop.ISR, "epoch", prop.LeaderEpoch)
	if m.Replication.ProposeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Replication.ProposeTimeout)
		defer cancel()
	}
	return m.Replication.Controller.AlterPartition(ctx, change)
}
