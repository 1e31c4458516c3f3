package node_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestSplitCluster proves KRaft's split deployment on three controller-only
// and three broker-only nodes: the controllers serve only their CONTROLLER
// listener (ApiVersions, DescribeQuorum and DescribeCluster there) and never
// register as brokers, the brokers register and follow the metadata log as
// observers (DescribeQuorum lists them so), a replica assignment naming a
// controller is refused, a topic with three replicas is placed on brokers
// only and takes idempotent acks=all writes; after the
// active controller is killed another controller is elected and metadata
// changes still commit; after the broker leading the partition is killed,
// leadership moves to another broker; and every acknowledged record is
// then read back once, at its offset, in order.
func TestSplitCluster(t *testing.T) {
	c := nodetest.StartSplitCluster(t, 3, 3, map[string]string{
		"min.insync.replicas": "2", "offsets.topic.replication.factor": "3", "offsets.topic.num.partitions": "1",
	})
	leader := c.WaitLeader(10 * time.Second)
	if leader >= 3 {
		t.Fatalf("node %d, a broker, leads the quorum", leader+1)
	}
	controllers, brokers := c.Nodes[:3], c.Nodes[3:]
	waitFor(t, "the three brokers, and only them, registered on every node", func() bool {
		for _, cn := range c.Nodes {
			if got := len(cn.Image().Brokers()); got != 3 {
				return false
			}
			for _, b := range brokers {
				if _, ok := cn.Image().Broker(b.ID); !ok {
					return false
				}
			}
		}
		return true
	})
	for _, cn := range controllers {
		if len(cn.Addrs()) != 0 {
			t.Fatalf("controller %d serves broker listeners %v", cn.ID, cn.Addrs())
		}
	}
	checkControllerListener(t, controllers[(leader+1)%3].Addr, int32(controllers[leader].ID))
	checkControllerAdmin(t, controllers[(leader+1)%3].Addr, brokers[0].Addr)
	checkSplitQuorum(t, brokers[0].Addr, int32(controllers[leader].ID))
	checkSplitQuorum(t, controllers[(leader+2)%3].Addr, int32(controllers[leader].ID))

	checkNoReplicaOnController(t, brokers[1].Addr)
	createClusterTopic(t, brokers[0].Addr, "split", 1, 3)
	topic := waitTopic(t, brokers[2], "split")
	for _, id := range topic.Partitions[0].Replicas {
		if id <= 3 {
			t.Fatalf("replica placed on controller %d: %v", id, topic.Partitions[0].Replicas)
		}
	}
	waitISR(t, c, "split", 3)
	p := startSeqProducer(t, brokers[0].Addr, "split")
	p.waitPast(t, 0)

	c.Kill(leader)
	start := time.Now()
	newLeader := c.WaitLeader(10 * time.Second)
	if newLeader == leader || newLeader >= 3 {
		t.Fatalf("node %d leads after controller %d was killed", newLeader+1, leader+1)
	}
	t.Logf("controller %d elected %v after the active controller died", newLeader+1, time.Since(start))
	createClusterTopic(t, brokers[1].Addr, "after-controller", 1, 2)
	waitTopic(t, brokers[2], "after-controller")
	p.waitPast(t, p.produced())

	killed := partitionLeader(t, c, "split")
	c.Kill(killed)
	start = time.Now()
	p.waitPast(t, p.produced())
	t.Logf("broker %d (the partition leader) killed; acknowledged again after %v", killed+1, time.Since(start))
	waitFor(t, "the partition led by another broker", func() bool {
		tp, _ := c.Nodes[newLeader].Image().Topic("split")
		l := tp.Partitions[0].Leader
		return l > 3 && l != int32(killed+1)
	})
	var alive string
	for _, b := range brokers {
		if b.Node != nil {
			alive = b.Addr
		}
	}
	checkAcknowledged(t, p.stop(), readAll(t, alive, "split"))
}

// checkNoReplicaOnController checks that a replica assignment naming a
// controller-only node is refused: it is not a registered broker.
func checkNoReplicaOnController(t *testing.T, addr string) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	topic := kmsg.NewCreateTopicsRequestTopic()
	topic.Topic, topic.NumPartitions, topic.ReplicationFactor = "on-controller", -1, -1
	a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	a.Partition, a.Replicas = 0, []int32{1, 4}
	topic.ReplicaAssignment = append(topic.ReplicaAssignment, a)
	req.Topics = append(req.Topics, topic)
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.Topics[0].ErrorCode; code != kerr.InvalidReplicaAssignment.Code {
		t.Fatalf("a replica on controller 1: error %v, want INVALID_REPLICA_ASSIGNMENT", kerr.ErrorForCode(code))
	}
}

// checkAcknowledged checks that got, the records of a partition in offset
// order, hold each acknowledged record once, at its offset, in order.
func checkAcknowledged(t *testing.T, acks map[string]int64, got []string) {
	t.Helper()
	seen, last := map[string]int64{}, -1
	for i, v := range got {
		var seq int
		fmt.Sscanf(v, "v-%d", &seq)
		if _, dup := seen[v]; dup || seq <= last {
			t.Fatalf("offset %d holds %s after v-%d: duplicated or reordered", i, v, last)
		}
		seen[v], last = int64(i), seq
	}
	for v, off := range acks {
		if at, ok := seen[v]; !ok || at != off {
			t.Fatalf("%s acknowledged at offset %d, stored at %d (present %v)", v, off, at, ok)
		}
	}
	t.Logf("%d records acknowledged, all present", len(acks))
}

// seedRequest sends req to the node at addr itself, with no metadata
// request first: a CONTROLLER listener does not answer Metadata.
func seedRequest[R kmsg.Response](t *testing.T, addr string, req kmsg.Request) R {
	t.Helper()
	resp, err := newClient(t, addr).SeedBrokers()[0].Request(testContext(t), req)
	if err != nil {
		t.Fatalf("%T to %s: %v", req, addr, err)
	}
	return resp.(R)
}

// checkControllerListener checks what a controller-only node's CONTROLLER
// listener answers: ApiVersions with the controller's APIs only, and
// DescribeCluster (controller endpoints only) with the voters and the
// active controller.
func checkControllerListener(t *testing.T, addr string, leader int32) {
	t.Helper()
	versions := seedRequest[*kmsg.ApiVersionsResponse](t, addr, kmsg.NewPtrApiVersionsRequest())
	var keys []int16
	for _, k := range versions.ApiKeys {
		keys = append(keys, k.ApiKey)
	}
	if !slices.Equal(keys, []int16{17, 18, 19, 20, 29, 30, 31, 32, 33, 36, 37, 43, 44, 45, 46, 49, 50, 51, 55, 57, 60, 64}) {
		t.Fatalf("ApiVersions on the controller listener lists %v", keys)
	}
	req := kmsg.NewPtrDescribeClusterRequest()
	req.Version, req.EndpointType = 1, 2
	cluster := seedRequest[*kmsg.DescribeClusterResponse](t, addr, req)
	if cluster.ErrorCode != 0 || cluster.ControllerID != leader || len(cluster.Brokers) != 3 {
		t.Fatalf("DescribeCluster on the controller listener: %+v", cluster)
	}
	req = kmsg.NewPtrDescribeClusterRequest()
	req.Version, req.EndpointType = 1, 1
	cluster = seedRequest[*kmsg.DescribeClusterResponse](t, addr, req)
	if cluster.ErrorCode != kerr.MismatchedEndpointType.Code {
		t.Fatalf("DescribeCluster for brokers on the controller listener: %+v", cluster)
	}
}

// checkSplitQuorum asks addr for the quorum: the three controllers are the
// voters, the three brokers the observers, caught up.
func checkSplitQuorum(t *testing.T, addr string, leader int32) {
	t.Helper()
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	var p kmsg.DescribeQuorumResponseTopicPartition
	waitFor(t, "DescribeQuorum with the brokers as observers", func() bool {
		resp := seedRequest[*kmsg.DescribeQuorumResponse](t, addr, req)
		p = resp.Topics[0].Partitions[0]
		ids := func(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState) []int32 {
			var out []int32
			for _, r := range rs {
				out = append(out, r.ReplicaID)
			}
			return out
		}
		return p.ErrorCode == 0 && p.LeaderID == leader &&
			slices.Equal(ids(p.CurrentVoters), []int32{1, 2, 3}) && slices.Equal(ids(p.Observers), []int32{4, 5, 6})
	})
	for _, o := range p.Observers {
		if o.LogEndOffset < 1 || o.LastFetchTimestamp < 0 {
			t.Fatalf("observer %d: %+v", o.ReplicaID, o)
		}
	}
}

// checkControllerAdmin sends administration to a controller's CONTROLLER
// listener, as Kafka's tools do with --bootstrap-controller (KIP-919): a
// topic created there is placed on the brokers and seen through brokerAddr,
// the ACL APIs answer there, and a cluster-wide broker config set there is
// what a broker then describes.
func checkControllerAdmin(t *testing.T, controllerAddr, brokerAddr string) {
	t.Helper()
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "via-controller", 2, 3
	create.Topics = append(create.Topics, ct)
	if resp := seedRequest[*kmsg.CreateTopicsResponse](t, controllerAddr, create); resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("CreateTopics on the controller listener: %+v", resp.Topics[0])
	}
	meta := kmsg.NewPtrMetadataRequest()
	meta.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("via-controller")}}
	waitFor(t, "the topic created on the controller listener, through a broker", func() bool {
		resp := seedRequest[*kmsg.MetadataResponse](t, brokerAddr, meta)
		return len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 && len(resp.Topics[0].Partitions) == 2 &&
			len(resp.Topics[0].Partitions[0].Replicas) == 3
	})

	// No authorizer in this cluster: the ACL APIs are served there and
	// answer SECURITY_DISABLED, as a broker listener does (and Kafka).
	acl := kmsg.NewPtrCreateACLsRequest()
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, "via-controller", kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = "User:alice", "*", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
	acl.Creations = append(acl.Creations, c)
	if resp := seedRequest[*kmsg.CreateACLsResponse](t, controllerAddr, acl); resp.Results[0].ErrorCode != kerr.SecurityDisabled.Code {
		t.Fatalf("CreateAcls on the controller listener without an authorizer: %+v", resp.Results[0])
	}

	alter := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, ""
	value := "1000"
	r.Configs = append(r.Configs, kmsg.IncrementalAlterConfigsRequestResourceConfig{Name: "log.cleaner.backoff.ms", Op: kmsg.IncrementalAlterConfigOpSet, Value: &value})
	alter.Resources = append(alter.Resources, r)
	if resp := seedRequest[*kmsg.IncrementalAlterConfigsResponse](t, controllerAddr, alter); resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("IncrementalAlterConfigs on the controller listener: %+v", resp.Resources[0])
	}
	dc := kmsg.NewPtrDescribeConfigsRequest()
	dr := kmsg.NewDescribeConfigsRequestResource()
	dr.ResourceType, dr.ResourceName, dr.ConfigNames = kmsg.ConfigResourceTypeBroker, "", []string{"log.cleaner.backoff.ms"}
	dc.Resources = append(dc.Resources, dr)
	waitFor(t, "the cluster default described through a broker", func() bool {
		resp := seedRequest[*kmsg.DescribeConfigsResponse](t, brokerAddr, dc)
		return resp.Resources[0].ErrorCode == 0 && len(resp.Resources[0].Configs) == 1 &&
			resp.Resources[0].Configs[0].Value != nil && *resp.Resources[0].Configs[0].Value == value
	})
}
