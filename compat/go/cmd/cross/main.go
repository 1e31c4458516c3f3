// Command cross runs the checks that need two client libraries at once: one
// consumer group with a franz-go member and a sarama member, both on the range
// assignor, sharing a 6-partition topic.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/compat/internal/suite"
)

const (
	client     = "cross"
	partitions = 6
	perPart    = 100
)

var r = &suite.Runner{Client: client}

func main() {
	sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Ltime)
	suite.Main(func() {
		r.Check("group-rebalance-franz-go-sarama", 45*time.Second, checkRebalance)
	}, func() {})
}

// member is one consumer of the group, whatever its library: what it owns
// now and what it consumed.
type member struct {
	name     string
	mu       sync.Mutex
	owned    []int32
	consumed []suite.Record
}

func (m *member) assign(parts []int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owned = slices.Sorted(slices.Values(parts))
	log.Printf("%s owns %v", m.name, m.owned)
}

func (m *member) add(rec suite.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.consumed = append(m.consumed, rec)
}

func (m *member) snapshot() ([]int32, []suite.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.owned), slices.Clone(m.consumed)
}

// checkRebalance starts a franz-go member, then a sarama member, waits for
// the group to settle with every partition owned by exactly one of them,
// produces 100 records to each partition and checks that every record was
// consumed exactly once, by the member owning its partition.
func checkRebalance(ctx context.Context) error {
	topic, group := r.Topic("rebalance"), r.Topic("rebalance")
	if err := createTopic(ctx, topic); err != nil {
		return err
	}
	franz := &member{name: "franz-go"}
	stopFranz, err := startFranz(ctx, franz, topic, group)
	if err != nil {
		return err
	}
	defer stopFranz()
	saramaMember := &member{name: "sarama"}
	stopSarama, err := startSarama(ctx, saramaMember, topic, group)
	if err != nil {
		return err
	}
	defer stopSarama()

	members := []*member{franz, saramaMember}
	if err := suite.WaitFor(ctx, "both members to own partitions", func() (bool, error) {
		return settled(members) == nil, nil
	}); err != nil {
		return fmt.Errorf("%w: %v", err, settled(members))
	}
	if err := produce(ctx, topic); err != nil {
		return err
	}
	if err := suite.WaitFor(ctx, "every record to be consumed", func() (bool, error) {
		total := 0
		for _, m := range members {
			_, consumed := m.snapshot()
			total += len(consumed)
		}
		return total >= partitions*perPart, nil
	}); err != nil {
		return err
	}
	time.Sleep(time.Second) // a duplicate would arrive now
	if err := settled(members); err != nil {
		return fmt.Errorf("after consuming: %w", err)
	}
	return exactlyOnce(members)
}

// settled says why the members do not (yet) split the partitions between
// them, each partition owned by exactly one member and no member idle.
func settled(members []*member) error {
	owner := map[int32]string{}
	for _, m := range members {
		owned, _ := m.snapshot()
		if len(owned) == 0 {
			return fmt.Errorf("%s owns no partition", m.name)
		}
		for _, p := range owned {
			if other, ok := owner[p]; ok {
				return fmt.Errorf("partition %d owned by %s and %s", p, other, m.name)
			}
			owner[p] = m.name
		}
	}
	if len(owner) != partitions {
		return fmt.Errorf("%d of %d partitions owned: %v", len(owner), partitions, owner)
	}
	return nil
}

func exactlyOnce(members []*member) error {
	seen := map[string]string{}
	for _, m := range members {
		owned, consumed := m.snapshot()
		for _, rec := range consumed {
			if !slices.Contains(owned, rec.Partition) {
				return fmt.Errorf("%s consumed %q from partition %d, which it does not own (%v)", m.name, rec.Value, rec.Partition, owned)
			}
			if other, ok := seen[string(rec.Value)]; ok {
				return fmt.Errorf("%q consumed by %s and by %s", rec.Value, other, m.name)
			}
			seen[string(rec.Value)] = m.name
		}
	}
	if len(seen) != partitions*perPart {
		return fmt.Errorf("consumed %d distinct records, want %d", len(seen), partitions*perPart)
	}
	return nil
}

func createTopic(ctx context.Context, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(suite.Bootstrap()))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	return err
}

func produce(ctx context.Context, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(suite.Bootstrap()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := range int32(partitions) {
		for i := range perPart {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "p%d-%d", p, i)})
		}
	}
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// startFranz runs a franz-go group member until the returned stop is called.
func startFranz(ctx context.Context, m *member, topic, group string) (stop func(), err error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(suite.Bootstrap()),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, func() string { return "[franz-go] " })),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
			m.assign(assigned[topic])
		}),
		kgo.OnPartitionsRevoked(func(context.Context, *kgo.Client, map[string][]int32) { m.assign(nil) }),
		kgo.OnPartitionsLost(func(context.Context, *kgo.Client, map[string][]int32) { m.assign(nil) }),
	)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for pctx.Err() == nil {
			fetches := cl.PollFetches(pctx)
			fetches.EachRecord(func(rec *kgo.Record) {
				m.add(suite.Record{Partition: rec.Partition, Offset: rec.Offset, Value: rec.Value})
			})
		}
	}()
	return func() {
		cancel()
		<-done
		cl.Close()
	}, nil
}

type saramaHandler struct {
	m     *member
	topic string
}

func (h saramaHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.m.assign(s.Claims()[h.topic])
	return nil
}

func (h saramaHandler) Cleanup(sarama.ConsumerGroupSession) error {
	h.m.assign(nil)
	return nil
}

func (h saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		h.m.add(suite.Record{Partition: msg.Partition, Offset: msg.Offset, Value: msg.Value})
		s.MarkMessage(msg, "")
	}
	return nil
}

// startSarama runs a sarama group member until the returned stop is called.
func startSarama(ctx context.Context, m *member, topic, group string) (stop func(), err error) {
	cfg := sarama.NewConfig()
	cfg.ClientID = "compat-cross-sarama"
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.MaxWaitTime = 200 * time.Millisecond
	g, err := sarama.NewConsumerGroup([]string{suite.Bootstrap()}, group, cfg)
	if err != nil {
		return nil, err
	}
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for gctx.Err() == nil {
			if err := g.Consume(gctx, []string{topic}, saramaHandler{m, topic}); err != nil {
				log.Printf("sarama member: %v", err)
				select {
				case <-gctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
		}
	}()
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			log.Printf("sarama member did not stop")
		}
		g.Close()
	}, nil
}
