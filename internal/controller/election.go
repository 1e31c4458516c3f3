package controller

// Leader elections asked for by an operator (ElectLeaders, KIP-460) and
// the active controller's preferred-leader balancing
// (auto.leader.rebalance.enable), as KRaft's ReplicationControlManager
// does them: a preferred election moves leadership to the first replica
// when it is live and in the ISR; an unclean election gives a leaderless
// partition a leader, from the ISR if it can, else from any live replica.

import (
	"errors"
	"fmt"
	"slices"

	"gregor/internal/metadata"
)

// Errors of an election, Kafka's codes of the same names.
var (
	ErrElectionNotNeeded           = errors.New("election not needed")
	ErrPreferredLeaderNotAvailable = errors.New("preferred leader not available")
	ErrEligibleLeadersNotAvailable = errors.New("eligible leaders not available")
)

// errElectionNotNeeded reads as Kafka's message.
var errElectionNotNeeded = kafkaErrorf(ErrElectionNotNeeded, "Leader election not needed for topic partition.")

// ElectionType is ElectLeaders' election type, Kafka's numbering.
type ElectionType int8

// The election types.
const (
	ElectPreferred ElectionType = 0
	ElectUnclean   ElectionType = 1
)

// TopicPartitions names some partitions of one topic.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// ElectLeadersRequest elects leaders of Partitions, or of every partition
// when Partitions is nil.
type ElectLeadersRequest struct {
	Type       ElectionType
	Partitions []TopicPartitions
}

// PartitionResult is what a request came to for one partition: nil, or
// why not.
type PartitionResult struct {
	Topic     string
	Partition int32
	Err       error
}

// ElectLeadersResponse has a result per partition named, in request
// order; for every partition, only those that needed an election, and
// Topics names every topic, those without a result too, as Kafka lists
// them.
type ElectLeadersResponse struct {
	Results []PartitionResult
	Topics  []string // every topic, in name order, when every partition was asked for
}

func (ElectLeadersRequest) isRequest()   {}
func (ElectLeadersResponse) isResponse() {}

// ElectLeaders returns the records of req's elections and their results.
func ElectLeaders(img *metadata.Image, req ElectLeadersRequest) ([]metadata.Record, ElectLeadersResponse) {
	all := req.Partitions == nil
	targets := req.Partitions
	if all {
		targets = everyPartition(img)
	}
	var recs []metadata.Record
	var resp ElectLeadersResponse
	for _, tps := range targets {
		if all {
			resp.Topics = append(resp.Topics, tps.Topic)
		}
		for _, p := range tps.Partitions {
			rec, err := electOne(img, req.Type, tps.Topic, p)
			if rec != nil {
				recs = append(recs, *rec)
			}
			if !all || !errors.Is(err, ErrElectionNotNeeded) {
				resp.Results = append(resp.Results, PartitionResult{Topic: tps.Topic, Partition: p, Err: err})
			}
		}
	}
	return recs, resp
}

// everyPartition names every partition of img.
func everyPartition(img *metadata.Image) []TopicPartitions {
	var out []TopicPartitions
	for _, name := range img.TopicNames() {
		t, _ := img.Topic(name)
		tps := TopicPartitions{Topic: name}
		for _, p := range t.Partitions {
			tps.Partitions = append(tps.Partitions, p.Partition)
		}
		out = append(out, tps)
	}
	return out
}

// electOne elects a leader of topic's partition p as typ asks.
func electOne(img *metadata.Image, typ ElectionType, topic string, p int32) (*metadata.Record, error) {
	t, ok := img.Topic(topic)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: No such topic as %s", ErrUnknownTopic, topic)
	case p < 0 || int(p) >= len(t.Partitions):
		return nil, fmt.Errorf("%w: No such partition as %s-%d", ErrUnknownTopic, topic, p)
	}
	alive := func(r int32) bool { return isAlive(img, r) }
	var next metadata.Partition
	var err error
	switch typ {
	case ElectPreferred:
		next, err = electPreferred(t.Partitions[p], alive)
	case ElectUnclean:
		next, err = electUnclean(t.Partitions[p], alive)
	default:
		return nil, fmt.Errorf("%w: unknown election type %d", ErrInvalidRequest, typ)
	}
	if err != nil {
		return nil, err
	}
	rec := next.Record(t.ID)
	return &rec, nil
}

// electPreferred moves p's leadership to its preferred replica.
func electPreferred(p metadata.Partition, alive func(int32) bool) (metadata.Partition, error) {
	preferred := p.Replicas[0]
	switch {
	case p.Leader == preferred:
		return p, errElectionNotNeeded
	case !alive(preferred) || !slices.Contains(p.ISR, preferred):
		return p, kafkaErrorf(ErrPreferredLeaderNotAvailable, "The preferred leader was not available.")
	}
	next := p
	next.Leader = preferred
	next, _ = bumpEpochs(p, next)
	return next, nil
}

// electUnclean gives leaderless p a leader, taking any live replica when
// no member of the ISR is live.
func electUnclean(p metadata.Partition, alive func(int32) bool) (metadata.Partition, error) {
	if p.Leader != NoLeader {
		return p, errElectionNotNeeded
	}
	next, changed := ElectLeader(p, alive, true)
	if !changed || next.Leader == NoLeader {
		return p, kafkaErrorf(ErrEligibleLeadersNotAvailable, "Eligible topic partition leaders are not available.")
	}
	return next, nil
}

// balanceRequest moves leadership back to the preferred replicas of the
// brokers whose imbalance exceeds the threshold; the leader's loop makes
// it every leader.imbalance.check.interval.seconds, never a client.
type balanceRequest struct{}

type balanceResponse struct{}

func (balanceRequest) isRequest()   {}
func (balanceResponse) isResponse() {}

// BalanceLeaders returns the records of preferred elections for every
// broker that is the preferred, live and in-sync replica of partitions it
// does not lead, when those are more than percent of the partitions it is
// preferred for (leader.imbalance.per.broker.percentage, as Kafka's
// controller applies it).
func BalanceLeaders(img *metadata.Image, percent int) []metadata.Record {
	preferred, notLeading := map[int32]int{}, map[int32]int{}
	for _, name := range img.TopicNames() {
		t, _ := img.Topic(name)
		for _, p := range t.Partitions {
			preferred[p.Replicas[0]]++
			if p.Leader != p.Replicas[0] {
				notLeading[p.Replicas[0]]++
			}
		}
	}
	imbalanced := func(b int32) bool { return notLeading[b]*100 > percent*preferred[b] }
	alive := func(r int32) bool { return isAlive(img, r) }
	return eachPartition(img, func(_ string, p metadata.Partition) (metadata.Partition, bool) {
		if p.Reassigning() || !imbalanced(p.Replicas[0]) {
			return p, false
		}
		next, err := electPreferred(p, alive)
		return next, err == nil
	})
}

// checkBalance, on the leader, queues a balanceRequest every
// BalanceInterval, counted from when the node became leader.
func (c *Controller) checkBalance() {
	if c.cluster.BalanceInterval <= 0 || c.state.ready == 0 || c.state.balancing {
		return
	}
	now := c.now()
	if c.lastBalance.IsZero() {
		c.lastBalance = now
	}
	if now.Sub(c.lastBalance) < c.cluster.BalanceInterval {
		return
	}
	c.lastBalance = now
	c.state.balancing = true
	c.state.queue = append(c.state.queue, call{req: balanceRequest{}, reply: make(chan reply, 1)})
}
