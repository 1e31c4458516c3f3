// Package voterclient asks a controller quorum for its voters: what a
// node configured with controller.quorum.bootstrap.servers instead of
// controller.quorum.voters (KIP-853's form) does at start. It sends
// DescribeQuorum v2 to the bootstrap servers' CONTROLLER listener and
// reads the voters and their endpoints from the answer.
package voterclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/config"
	"gregor/internal/wire"
)

// describeQuorumVersion is the first version that lists the voters'
// endpoints.
const describeQuorumVersion = 2

// maxResponseBytes bounds an answer: a few voters' endpoints.
const maxResponseBytes = 1 << 20

// Ask sends DescribeQuorum to each of servers in turn, through dial (the
// controller listener's security), and returns the first answer's voters,
// each at its endpoint on listener.
func Ask(ctx context.Context, dial wire.Dialer, clientID string, servers []string, listener string) ([]config.Voter, error) {
	var errs []error
	for _, addr := range servers {
		voters, err := ask(ctx, dial, clientID, addr, listener)
		if err == nil {
			return voters, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, errors.Join(errs...)
}

func ask(ctx context.Context, dial wire.Dialer, clientID, addr, listener string) ([]config.Voter, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := dial.Dial(ctx, addr, clientID, maxResponseBytes)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Version = describeQuorumVersion
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = "__cluster_metadata"
	t.Partitions = append(t.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
	req.Topics = append(req.Topics, t)
	resp, err := c.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	return votersOf(resp.(*kmsg.DescribeQuorumResponse), listener)
}

// votersOf reads the voters and their endpoints on listener out of a
// DescribeQuorum v2 answer.
func votersOf(resp *kmsg.DescribeQuorumResponse, listener string) ([]config.Voter, error) {
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return nil, fmt.Errorf("DescribeQuorum answered error %d", resp.ErrorCode)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		return nil, fmt.Errorf("DescribeQuorum answered error %d on __cluster_metadata-0", p.ErrorCode)
	}
	var voters []config.Voter
	for _, v := range p.CurrentVoters {
		i := slices.IndexFunc(resp.Nodes, func(n kmsg.DescribeQuorumResponseNode) bool { return n.NodeID == v.ReplicaID })
		if i < 0 {
			return nil, fmt.Errorf("DescribeQuorum lists voter %d without its endpoints", v.ReplicaID)
		}
		j := slices.IndexFunc(resp.Nodes[i].Listeners, func(l kmsg.DescribeQuorumResponseNodeListener) bool { return l.Name == listener })
		if j < 0 {
			return nil, fmt.Errorf("DescribeQuorum lists voter %d without a %s listener", v.ReplicaID, listener)
		}
		l := resp.Nodes[i].Listeners[j]
		voters = append(voters, config.Voter{ID: v.ReplicaID, Host: l.Host, Port: int(l.Port)})
	}
	if len(voters) == 0 {
		return nil, errors.New("DescribeQuorum lists no voters")
	}
	return voters, nil
}
