package node_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestDescribeLogDirs proves that DescribeLogDirs lists each log dir by its
// absolute path with its capacity, and under it only the partitions asked
// for, each with its size on disk (0 before a write, more after).
func TestDescribeLogDirs(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	cl := newClient(t, n.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := context.Background()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, "dirs"); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "dirs", Partition: 0, Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrDescribeLogDirsRequest()
	rt := kmsg.NewDescribeLogDirsRequestTopic()
	rt.Topic, rt.Partitions = "dirs", []int32{0, 1}
	req.Topics = append(req.Topics, rt)
	kresp, err := cl.SeedBrokers()[0].Request(ctx, req) // unsharded: kgo's merge drops the byte counts
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.DescribeLogDirsResponse)
	abs, _ := filepath.Abs(dir)
	if len(resp.Dirs) != 1 || resp.Dirs[0].Dir != abs || resp.Dirs[0].ErrorCode != 0 {
		t.Fatalf("dirs: %+v, want one: %s", resp.Dirs, abs)
	}
	d := resp.Dirs[0]
	if d.TotalBytes <= 0 || d.UsableBytes <= 0 || d.UsableBytes > d.TotalBytes {
		t.Errorf("v%d: total %d usable %d", resp.Version, d.TotalBytes, d.UsableBytes)
	}
	if len(d.Topics) != 1 || d.Topics[0].Topic != "dirs" || len(d.Topics[0].Partitions) != 2 {
		t.Fatalf("topics: %+v, want dirs with partitions 0 and 1", d.Topics)
	}
	p0, p1 := d.Topics[0].Partitions[0], d.Topics[0].Partitions[1]
	if p0.Partition != 0 || p0.Size <= 0 || p1.Partition != 1 || p1.Size != 0 || p0.IsFuture || p0.OffsetLag != 0 {
		t.Errorf("partitions: %+v", d.Topics[0].Partitions)
	}
}
