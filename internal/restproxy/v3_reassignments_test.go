package restproxy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestV3ReassignmentsNone proves that with no reassignment in progress
// every list is empty (that of an unknown topic too) and that a partition,
// unknown or not, is Confluent's bare 404, as is an unknown cluster.
func TestV3ReassignmentsNone(t *testing.T) {
	p := start(t, nil)
	c := "/v3/clusters/" + p.node.ClusterID
	p.createTopic("still", 2)

	for _, path := range []string{"/topics/-/partitions/-/reassignment", "/topics/still/partitions/-/reassignment",
		"/topics/nope/partitions/-/reassignment"} {
		var list resourceList
		p.must(200, "GET", c+path, "", "", &list)
		if list.Kind != "KafkaReassignmentList" || list.Data == nil || len(list.Data) != 0 ||
			list.Metadata.Self != p.base+c+path+"s" {
			t.Fatalf("%s: %+v", path, list)
		}
	}
	for _, path := range []string{"/topics/still/partitions/0/reassignment", "/topics/still/partitions/7/reassignment",
		"/topics/nope/partitions/0/reassignment", "/topics/still/partitions/x/reassignment"} {
		p.failsWith(404, 404, "HTTP 404 Not Found", "GET", c+path, "", "")
	}
	p.fails(404, 404, "GET", "/v3/clusters/other/topics/-/partitions/-/reassignment", "", "")

	var part struct {
		Reassignment struct{ Related string } `json:"reassignment"`
	}
	body := p.must(200, "GET", c+"/topics/still/partitions/1", "", "", &part)
	if part.Reassignment.Related != p.base+c+"/topics/still/partitions/1/reassignment" {
		t.Fatalf("partition's reassignment link: %s", body)
	}
}

// TestV3ReassignmentInProgress proves a reassignment in progress is
// listed, by topic and alone, with its adding and removing replicas,
// Confluent's kinds, self links and resource names. It moves a partition
// from the controller's node to the two others, one of them stopped, so
// the move cannot finish.
func TestV3ReassignmentInProgress(t *testing.T) {
	cl := nodetest.StartCluster(t, 3, nil)
	leader := cl.WaitLeader(10 * time.Second)
	kept, stopped := cl.Nodes[leader], cl.Nodes[(leader+1)%3]
	other := cl.Nodes[(leader+2)%3]
	kc, err := kgo.NewClient(kgo.SeedBrokers(kept.Addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)

	create := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "moving", -1, -1
	rt.ReplicaAssignment = []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{int32(kept.ID)}}}
	create.Topics = append(create.Topics, rt)
	if resp, err := create.RequestWith(testContext(t), kc); err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create: %v %+v", err, resp)
	}
	cl.Stop((leader + 1) % 3)
	var req kadm.AlterPartitionAssignmentsReq
	target := []int32{int32(stopped.ID), int32(other.ID)}
	req.Assign("moving", 0, target)
	if resp, err := kadm.NewClient(kc).AlterPartitionAssignments(testContext(t), req); err != nil || resp.Error() != nil {
		t.Fatalf("reassign: %v %v", err, resp.Error())
	}

	p := &proxy{t: t, base: "http://" + kept.RESTProxyAddr().String()}
	c := "/v3/clusters/" + cl.ClusterID
	var all resourceList
	deadline := time.Now().Add(10 * time.Second)
	for len(all.Data) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		p.must(200, "GET", c+"/topics/-/partitions/-/reassignment", "", "", &all)
	}
	self := p.base + c + "/topics/moving/partitions/0"
	crn := "crn:///kafka=" + cl.ClusterID + "/topic=moving/partition=0"
	if len(all.Data) != 1 {
		t.Fatalf("every reassignment: %+v", all)
	}
	if got := all.Data[0]; got.Kind != "KafkaReassignment" || got.ClusterID != cl.ClusterID || got.TopicName != "moving" ||
		got.PartitionID != 0 || !slices.Equal(got.AddingReplicas, target) ||
		!slices.Equal(got.RemovingReplicas, []int32{int32(kept.ID)}) || got.Replicas.Related != self+"/replicas" ||
		got.Metadata.Self != self+"/reassignments" || got.Metadata.ResourceName != crn+"/reassignments" {
		t.Fatalf("every reassignment: %+v", got)
	}
	var byTopic resourceList
	p.must(200, "GET", c+"/topics/moving/partitions/-/reassignment", "", "", &byTopic)
	if len(byTopic.Data) != 1 || byTopic.Data[0].PartitionID != 0 || byTopic.Metadata.Self != p.base+c+"/topics/moving/partitions/-/reassignments" {
		t.Fatalf("the topic's reassignments: %+v", byTopic)
	}
	var one resource
	p.must(200, "GET", c+"/topics/moving/partitions/0/reassignment", "", "", &one)
	if one.Kind != "KafkaReassignment" || !slices.Equal(one.AddingReplicas, target) ||
		one.Metadata.Self != self+"/reassignment" || one.Metadata.ResourceName != crn+"/reassignment" {
		t.Fatalf("the partition's reassignment: %+v", one)
	}
}
