package group

import (
	"slices"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
)

// State is a classic group's state, named as Kafka names it.
type State int8

const (
	Empty State = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

func (s State) String() string {
	return [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}[s]
}

// Protocol is one assignment protocol a member supports, with its metadata
// (for consumers: the subscription).
type Protocol struct {
	Name     string
	Metadata []byte
}

// Offset is a committed offset.
type Offset struct {
	Offset      int64
	LeaderEpoch int32 // -1 when unknown
	Metadata    string
	CommitTime  time.Time
}

type member struct {
	id               string
	instanceID       string // static membership (KIP-345); "" for dynamic members
	clientID         string
	clientHost       string
	rebalanceTimeout time.Duration
	sessionTimeout   time.Duration
	protocolType     string
	protocols        []Protocol
	assignment       []byte

	join chan JoinResult // set while a JoinGroup waits for the rebalance
	sync chan SyncResult // set while a SyncGroup waits for the assignment

	deadline time.Time   // session expiry, pushed by heartbeats
	timer    coord.Timer // fires at deadline
	isNew    bool        // joined in the current rebalance
}

func (m *member) metadataFor(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

func sameProtocols(a, b []Protocol) bool {
	return slices.EqualFunc(a, b, func(x, y Protocol) bool {
		return x.Name == y.Name && string(x.Metadata) == string(y.Metadata)
	})
}

type group struct {
	id           string
	state        State
	stateTime    time.Time // when the group last changed state (KIP-211's currentStateTimestamp)
	generation   int32
	protocolType string
	protocol     string // chosen at the end of each rebalance
	leader       string

	members   map[string]*member
	joinOrder []string               // member ids in join order, for choosing a leader
	pending   map[string]coord.Timer // member ids handed out with MEMBER_ID_REQUIRED
	static    map[string]string      // group instance id -> member id

	offsets map[kafka.TopicPartition]Offset

	// consumer is set for a consumer-protocol (KIP-848) group, whose
	// members are not classic members: members, joinOrder and the other
	// classic fields stay empty, and state is Empty or Stable as it has
	// members or not, for the paths shared with classic groups.
	consumer       *consumerGroup
	consumerTimers map[string]*consumerTimer // by member id; not replicated

	rebalanceTimer coord.Timer
	rebalanceSeq   uint64    // invalidates timers of earlier rebalances
	initialDelay   time.Time // the deadline of the initial delayed join, zero otherwise
	newMemberAdded bool
}

func newGroup(id string, now time.Time) *group {
	return &group{
		id: id, state: Empty, stateTime: now,
		members: map[string]*member{}, pending: map[string]coord.Timer{},
		static: map[string]string{}, offsets: map[kafka.TopicPartition]Offset{},
		consumerTimers: map[string]*consumerTimer{},
	}
}

func (g *group) transition(s State, now time.Time) {
	g.state = s
	g.stateTime = now
}

// supports reports whether a joining member's protocols fit the group: the
// same protocol type, and at least one protocol every member supports.
func (g *group) supports(protocolType string, protocols []Protocol) bool {
	if len(g.members) == 0 {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.allSupport(p.Name) {
			return true
		}
	}
	return false
}

func (g *group) allSupport(name string) bool {
	for _, m := range g.members {
		if !slices.ContainsFunc(m.protocols, func(p Protocol) bool { return p.Name == name }) {
			return false
		}
	}
	return true
}

// selectProtocol picks the protocol every member supports with the most
// votes, each member voting for the first of its protocols that all support.
func (g *group) selectProtocol() string {
	votes := map[string]int{}
	var candidates []string
	for _, id := range g.joinOrder {
		m := g.members[id]
		for _, p := range m.protocols {
			if g.allSupport(p.Name) {
				if votes[p.Name] == 0 {
					candidates = append(candidates, p.Name)
				}
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, c := range candidates {
		if best == "" || votes[c] > votes[best] {
			best = c
		}
	}
	return best
}

func (g *group) addMember(m *member) {
	g.members[m.id] = m
	g.joinOrder = append(g.joinOrder, m.id)
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	if g.protocolType == "" || len(g.members) == 1 {
		g.protocolType = m.protocolType
	}
}

func (g *group) removeMember(id string) *member {
	m, ok := g.members[id]
	if !ok {
		return nil
	}
	delete(g.members, id)
	g.joinOrder = slices.DeleteFunc(g.joinOrder, func(x string) bool { return x == id })
	if m.instanceID != "" && g.static[m.instanceID] == id {
		delete(g.static, m.instanceID)
	}
	if m.timer != nil {
		m.timer.Stop()
	}
	if g.leader == id {
		g.leader = ""
		if len(g.joinOrder) > 0 {
			g.leader = g.joinOrder[0]
		}
	}
	return m
}

// allJoined reports whether every member has rejoined this rebalance and no
// member id handed out is still expected.
func (g *group) allJoined() bool {
	for _, m := range g.members {
		if m.join == nil {
			return false
		}
	}
	return len(g.pending) == 0
}

func (g *group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// subscribed returns the topics the members of a consumer group subscribe
// to, and whether it could tell (only for protocol type "consumer" and
// consumer-protocol groups).
func (g *group) subscribed() (map[string]bool, bool) {
	if g.consumer != nil {
		return g.consumer.subscribedTopics(), true
	}
	if g.protocolType != "consumer" || g.protocol == "" {
		return nil, false
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		for _, t := range subscriptionTopics(m.metadataFor(g.protocol)) {
			topics[t] = true
		}
	}
	return topics, true
}

// sameSubscription reports whether a static member rejoining with protocols
// still fits the group's assignment: it supports the chosen protocol and,
// for consumers, subscribes to the same topics (its metadata also carries
// owned partitions and generations, which change with every restart).
func (g *group) sameSubscription(old *member, protocols []Protocol) bool {
	i := slices.IndexFunc(protocols, func(p Protocol) bool { return p.Name == g.protocol })
	if i < 0 {
		return false
	}
	meta := protocols[i].Metadata
	if g.protocolType != "consumer" {
		return string(meta) == string(old.metadataFor(g.protocol))
	}
	a, b := subscriptionTopics(meta), subscriptionTopics(old.metadataFor(g.protocol))
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
