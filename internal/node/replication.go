package node

import (
	"context"
	"strconv"
	"time"

	"gregor/internal/config"
	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/replica"
	"gregor/internal/replica/leaderclient"
	"gregor/internal/wire"
)

// Kafka's defaults of the replica settings not in the configuration schema yet.
const (
	replicaFetchBackoff          = time.Second // replica.fetch.backoff.ms
	replicaFetchResponseMaxBytes = 10 << 20    // replica.fetch.response.max.bytes
	alterPartitionTimeout        = 30 * time.Second
)

// replication is how this node's replica manager copies the partitions it
// follows and proposes ISR changes: leaders are reached on
// inter.broker.listener.name, proposals go to the controller. On a single
// node every partition is led here with itself as the ISR, so nothing is
// fetched and nothing is proposed.
func replication(cfg *config.Config, n *Node, peers wire.Dialer, now func() time.Time) *replica.Replication {
	ms := func(key string) time.Duration { return msOf(cfg, key) }
	num := func(key string) int32 {
		v, _ := strconv.ParseInt(cfg.Value(key), 10, 32)
		return int32(v)
	}
	return &replica.Replication{
		Dial:       leaderclient.Dialer(kafka.NodeID(cfg.NodeID), cfg.InterBrokerListenerName, peers),
		Controller: alterPartition{n},
		Fetch: replica.FetchConfig{
			MaxBytes: num("replica.fetch.max.bytes"), ResponseMaxBytes: replicaFetchResponseMaxBytes,
			MinBytes: num("replica.fetch.min.bytes"), MaxWait: ms("replica.fetch.wait.max.ms"), Backoff: replicaFetchBackoff,
			SocketTimeout: ms("replica.socket.timeout.ms"), Quota: n.followerQuota,
		},
		LagTimeMax:     ms("replica.lag.time.max.ms"),
		Now:            now,
		ProposeTimeout: alterPartitionTimeout,
	}
}

// alterPartition sends the replica manager's ISR proposals to the node's
// controller as typed requests (the controller is opened after the
// replica manager, so it is looked up at each call).
type alterPartition struct{ n *Node }

func (a alterPartition) AlterPartition(ctx context.Context, ch replica.ISRChange) error {
	_, err := a.n.ctrl.Submit(ctx, controller.AlterPartitionRequest{
		TopicID: ch.TopicID, Partition: ch.Partition, LeaderID: ch.Leader,
		LeaderEpoch: ch.LeaderEpoch, PartitionEpoch: ch.PartitionEpoch, ISR: ch.ISR,
	})
	return err
}
