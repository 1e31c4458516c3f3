package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// A consumer group is of one of two types, as Kafka 4 names them: a
// "classic" group, whose members join, sync and heartbeat and whose leader
// assigns the partitions, or a "consumer" group of the consumer protocol
// (KIP-848), whose coordinator assigns the partitions as members
// heartbeat, and which the coordinator describes only through
// ConsumerGroupDescribe: DescribeGroups answers GROUP_ID_NOT_FOUND for it.
const (
	groupTypeClassic  = "classic"
	groupTypeConsumer = "consumer"
)

// allTypes is --type given without a value: every type, as a column.
const allTypes = "all"

// groupTypeNames are the types --type takes, spelled as Kafka prints them.
var groupTypeNames = map[string]string{groupTypeClassic: "Classic", groupTypeConsumer: "Consumer"}

// parseGroupTypes reads --type's comma-separated, case-insensitive list
// ("classic,consumer"); allTypes, or no --type, is no filter.
func parseGroupTypes(list string) ([]string, error) {
	if list == allTypes || list == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(list, ",") {
		t := strings.ToLower(strings.TrimSpace(s))
		if _, ok := groupTypeNames[t]; !ok {
			return nil, fmt.Errorf("invalid types list '%s'. Valid types are: Classic, Consumer", list)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// listedGroup is a listed consumer group and its type.
type listedGroup struct {
	kadm.ListedGroup
	typ string // groupTypeClassic or groupTypeConsumer
}

// listGroupsByType returns the consumer groups of the given types (all
// when none), sorted, in the given states: one ListGroups (v5, with a
// type filter) per type, so each group's type is known.
func (t *groupsTool) listGroupsByType(ctx context.Context, types []string, states ...string) ([]listedGroup, error) {
	if len(types) == 0 {
		types = []string{groupTypeClassic, groupTypeConsumer}
	}
	var out []listedGroup
	for _, typ := range types {
		rctx, cancel := t.request(ctx)
		listed, err := t.adm.ListGroupsByType(rctx, []string{typ}, states...)
		if err != nil {
			err = t.requestError("cannot list groups", err, rctx)
		}
		cancel()
		if err != nil {
			return nil, err
		}
		for _, g := range listed.Sorted() {
			if isConsumerGroup(g) {
				out = append(out, listedGroup{g, typ})
			}
		}
	}
	slices.SortFunc(out, func(a, b listedGroup) int { return strings.Compare(a.Group, b.Group) })
	return out, nil
}

// groupDescription is what --describe and --reset-offsets need of a
// group of either type.
type groupDescription struct {
	group       string
	typ         string // groupTypeClassic or groupTypeConsumer
	state       string
	coordinator kadm.BrokerDetail
	strategy    string // the classic protocol, or the consumer group's assignor
	// groupEpoch and assignmentEpoch are a consumer group's epoch and
	// the epoch of its target assignment; -1 for a classic group.
	groupEpoch, assignmentEpoch int32
	members                     []groupMember
	err                         error
	errMessage                  string
}

// groupMember is one member of a described group.
type groupMember struct {
	id         string
	instanceID *string
	host       string
	clientID   string
	assignment kadm.TopicsSet
	// target is a consumer group member's target assignment; nil in a
	// classic group, which has none.
	target kadm.TopicsSet
	epoch  int32 // the member epoch; -1 in a classic group
	// upgraded is whether a consumer group member speaks the consumer
	// protocol (a classic member joined an upgraded group otherwise);
	// nil when the coordinator does not say.
	upgraded *bool
}

// classicDescription is a DescribeGroups answer.
func classicDescription(g kadm.DescribedGroup) groupDescription {
	d := groupDescription{group: g.Group, typ: groupTypeClassic, state: g.State, coordinator: g.Coordinator,
		strategy: g.Protocol, groupEpoch: -1, assignmentEpoch: -1, err: g.Err, errMessage: g.ErrMessage}
	for _, m := range g.Members {
		d.members = append(d.members, groupMember{id: m.MemberID, instanceID: m.InstanceID, host: m.ClientHost,
			clientID: m.ClientID, assignment: memberAssignment(m), epoch: -1})
	}
	return d
}

// consumerDescription is a ConsumerGroupDescribe answer.
func consumerDescription(g kadm.DescribedConsumerGroup) groupDescription {
	d := groupDescription{group: g.Group, typ: groupTypeConsumer, state: g.State, coordinator: g.Coordinator,
		strategy: g.AssignorName, groupEpoch: g.Epoch, assignmentEpoch: g.AssignmentEpoch, err: g.Err}
	for _, m := range g.Members {
		member := groupMember{id: m.MemberID, instanceID: m.InstanceID, host: m.ClientHost, clientID: m.ClientID,
			assignment: m.Assignment, target: m.TargetAssignment, epoch: m.MemberEpoch}
		if m.MemberType >= 0 { // -1: a v0 answer, which does not say
			upgraded := m.MemberType == 1
			member.upgraded = &upgraded
		}
		d.members = append(d.members, member)
	}
	return d
}

// describeConsumerType describes groups with ConsumerGroupDescribe and
// returns those that are consumer groups, or that the coordinator failed
// to describe. A group it answers GROUP_ID_NOT_FOUND for is not a
// consumer group (it may be a classic one) and is left out, as is every
// group when the cluster cannot describe consumer groups at all.
func (t *groupsTool) describeConsumerType(ctx context.Context, groups []string) map[string]groupDescription {
	described := make(map[string]groupDescription, len(groups))
	rctx, cancel := t.request(ctx)
	defer cancel()
	consumer, _ := t.adm.DescribeConsumerGroups(rctx, groups...)
	for _, name := range groups {
		g, ok := consumer[name]
		switch {
		case !ok || errors.Is(g.Err, kerr.GroupIDNotFound) || errors.Is(g.Err, kerr.UnsupportedVersion):
		case g.Err != nil:
			described[name] = groupDescription{group: name, typ: groupTypeConsumer, err: g.Err}
		default:
			described[name] = consumerDescription(g)
		}
	}
	return described
}

// missing reports whether a described group does not exist: Kafka
// answers GROUP_ID_NOT_FOUND since DescribeGroups v6, state Dead before.
func (g groupDescription) missing() bool {
	return errors.Is(g.err, kerr.GroupIDNotFound) || (g.err == nil && g.state == "Dead")
}
