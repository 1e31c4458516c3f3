package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestDescribeTopicPartitionsLimit proves that max.request.partition.size.limit
// bounds a DescribeTopicPartitions answer whatever the client asks, and
// that following the cursor describes every partition once.
func TestDescribeTopicPartitionsLimit(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"max.request.partition.size.limit": "3"})
	createTopic(t, n.Addr, "dtp", 5, nil)
	cl := newClient(t, n.Addr)
	var seen []int32
	var cursor *kmsg.DescribeTopicPartitionsRequestCursor
	for range 5 {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		req.ResponsePartitionLimit, req.Cursor = 2000, cursor
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = "dtp"
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 || len(resp.Topics[0].Partitions) > 3 {
			t.Fatalf("answer %+v: want one topic of at most 3 partitions", resp.Topics)
		}
		for _, p := range resp.Topics[0].Partitions {
			seen = append(seen, p.Partition)
		}
		if resp.NextCursor == nil {
			break
		}
		cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
	}
	if len(seen) != 5 || seen[0] != 0 || seen[3] != 3 || seen[4] != 4 {
		t.Fatalf("partitions described across the pages: %v, want 0 to 4 once each", seen)
	}
}
