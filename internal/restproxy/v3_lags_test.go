package restproxy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type lagV3 struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Self         string `json:"self"`
		ResourceName string `json:"resource_name"`
	} `json:"metadata"`
	ConsumerGroupID string  `json:"consumer_group_id"`
	TopicName       string  `json:"topic_name"`
	PartitionID     int32   `json:"partition_id"`
	ConsumerID      string  `json:"consumer_id"`
	InstanceID      *string `json:"instance_id"`
	ClientID        string  `json:"client_id"`
	CurrentOffset   int64   `json:"current_offset"`
	LogEndOffset    int64   `json:"log_end_offset"`
	Lag             int64   `json:"lag"`
}

// TestV3ConsumerLag proves the lag resources of a group that committed
// offsets behind the end: each partition's committed and end offsets and
// lag, largest lag first, one partition's lag, the summary's max and
// total; that a member of the group is named on the partitions assigned
// to it; and that an unknown group or partition is 404.
func TestV3ConsumerLag(t *testing.T) {
	p := start(t, nil)
	g := "/v3/clusters/" + p.node.ClusterID + "/consumer-groups/g-lag"
	p.createTopic("lagged", 3)
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.node.Addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for partition, n := range []int{5, 3, 2} {
		for range n {
			if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "lagged", Partition: int32(partition), Value: []byte("v")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	offsets := kadm.Offsets{}
	offsets.AddOffset("lagged", 0, 2, -1) // lag 3
	offsets.AddOffset("lagged", 1, 3, -1) // lag 0
	offsets.AddOffset("lagged", 2, 0, -1) // lag 2
	if resp, err := kadm.NewClient(cl).CommitOffsets(testContext(t), "g-lag", offsets); err != nil || resp.Error() != nil {
		t.Fatalf("commit: %v %v", err, resp.Error())
	}

	var list struct {
		Kind     string                `json:"kind"`
		Metadata struct{ Self string } `json:"metadata"`
		Data     []lagV3               `json:"data"`
	}
	p.must(200, "GET", g+"/lags", "", "", &list)
	if list.Kind != "KafkaConsumerLagList" || list.Metadata.Self != p.base+g+"/lags" || len(list.Data) != 3 {
		t.Fatalf("lags: %s", mustJSON(list))
	}
	for i, want := range []struct{ partition, current, end, lag int64 }{{0, 2, 5, 3}, {2, 0, 2, 2}, {1, 3, 3, 0}} {
		l := list.Data[i]
		if l.Kind != "KafkaConsumerLag" || l.ConsumerGroupID != "g-lag" || l.TopicName != "lagged" || int64(l.PartitionID) != want.partition ||
			l.CurrentOffset != want.current || l.LogEndOffset != want.end || l.Lag != want.lag || l.ConsumerID != "" || l.InstanceID != nil {
			t.Fatalf("lag %d: %s, want %+v", i, mustJSON(l), want)
		}
	}
	var one lagV3
	p.must(200, "GET", g+"/lags/lagged/partitions/2", "", "", &one)
	if one.Lag != 2 || one.Metadata.Self != p.base+g+"/lags/lagged/partitions/2" ||
		one.Metadata.ResourceName != "crn:///kafka="+p.node.ClusterID+"/consumer-group=g-lag/lag=lagged/partition=2" {
		t.Fatalf("partition 2: %s", mustJSON(one))
	}
	p.fails(404, 404, "GET", g+"/lags/lagged/partitions/3", "", "")
	p.fails(404, 404, "GET", g+"/lags/other/partitions/0", "", "")

	var summary struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Self         string `json:"self"`
			ResourceName string `json:"resource_name"`
		} `json:"metadata"`
		MaxLag            int64   `json:"max_lag"`
		TotalLag          int64   `json:"total_lag"`
		MaxLagConsumerID  string  `json:"max_lag_consumer_id"`
		MaxLagConsumer    related `json:"max_lag_consumer"`
		MaxLagInstanceID  *string `json:"max_lag_instance_id"`
		MaxLagTopicName   string  `json:"max_lag_topic_name"`
		MaxLagPartitionID int32   `json:"max_lag_partition_id"`
		MaxLagPartition   related `json:"max_lag_partition"`
	}
	p.must(200, "GET", g+"/lag-summary", "", "", &summary)
	c := p.base + "/v3/clusters/" + p.node.ClusterID
	if summary.Kind != "KafkaConsumerGroupLagSummary" || summary.MaxLag != 3 || summary.TotalLag != 5 ||
		summary.MaxLagTopicName != "lagged" || summary.MaxLagPartitionID != 0 || summary.MaxLagConsumerID != "" ||
		summary.MaxLagConsumer.Related != c+"/consumer-groups/g-lag/consumers" ||
		summary.MaxLagPartition.Related != c+"/topics/lagged/partitions/0" ||
		summary.Metadata.ResourceName != "crn:///kafka="+p.node.ClusterID+"/consumer-group=g-lag/lag-summary" {
		t.Fatalf("summary: %s", mustJSON(summary))
	}
	p.fails(404, 404, "GET", "/v3/clusters/"+p.node.ClusterID+"/consumer-groups/nope/lags", "", "")
	p.fails(404, 404, "GET", "/v3/clusters/"+p.node.ClusterID+"/consumer-groups/nope/lag-summary", "", "")
	p.fails(404, 404, "GET", "/v3/clusters/"+p.node.ClusterID+"/consumer-groups/nope/lags/lagged/partitions/0", "", "")

	// A static member that never commits: the lag stays, now with its name.
	member, err := kgo.NewClient(kgo.SeedBrokers(p.node.Addr), kgo.ConsumerGroup("g-lag"), kgo.ConsumeTopics("lagged"),
		kgo.DisableAutoCommit(), kgo.ClientID("lag-member"), kgo.InstanceID("static-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
		member.PollFetches(ctx)
		cancel()
		status, body := p.do("GET", g+"/lag-summary", "", "")
		if status == 200 && strings.Contains(body, `"max_lag_client_id":"lag-member"`) {
			json.Unmarshal([]byte(body), &summary)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member is not named: %d %s", status, body)
		}
	}
	if summary.MaxLag != 3 || summary.MaxLagConsumerID == "" || summary.MaxLagInstanceID == nil || *summary.MaxLagInstanceID != "static-1" ||
		summary.MaxLagConsumer.Related != c+"/consumer-groups/g-lag/consumers/"+summary.MaxLagConsumerID {
		t.Fatalf("summary with a member: %s", mustJSON(summary))
	}
	p.must(200, "GET", g+"/lags/lagged/partitions/1", "", "", &one)
	if one.ConsumerID != summary.MaxLagConsumerID || one.ClientID != "lag-member" || one.InstanceID == nil || *one.InstanceID != "static-1" {
		t.Fatalf("partition 1 with a member: %s", mustJSON(one))
	}
}

type related struct {
	Related string `json:"related"`
}
