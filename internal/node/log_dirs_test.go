package node_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
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

// addLogDirMove adds to req the move of a partition's replica to dir.
func addLogDirMove(req *kmsg.AlterReplicaLogDirsRequest, dir, topic string, partition int32) {
	d := kmsg.NewAlterReplicaLogDirsRequestDir()
	d.Dir = dir
	t := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
	t.Topic, t.Partitions = topic, []int32{partition}
	d.Topics = append(d.Topics, t)
	req.Dirs = append(req.Dirs, d)
}

// replicaDirs returns, from an unsharded DescribeLogDirs, the dir of each
// replica of topic and whether it is a future (moving) one.
func replicaDirs(t *testing.T, cl *kgo.Client, topic string) map[string]bool {
	t.Helper()
	kresp, err := cl.SeedBrokers()[0].Request(testContext(t), kmsg.NewPtrDescribeLogDirsRequest())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range kresp.(*kmsg.DescribeLogDirsResponse).Dirs {
		for _, tp := range d.Topics {
			if tp.Topic != topic {
				continue
			}
			for _, p := range tp.Partitions {
				out[fmt.Sprintf("%s/%d", d.Dir, p.Partition)] = p.IsFuture
			}
		}
	}
	return out
}

// TestAlterReplicaLogDirs proves that AlterReplicaLogDirs moves a replica
// to another log dir while a producer keeps writing to it: DescribeLogDirs
// shows it in the new dir only, every acknowledged record is read back
// once, in order, before and after a restart; and that a path not in
// log.dirs answers LOG_DIR_NOT_FOUND and a partition the cluster lacks
// UNKNOWN_TOPIC_OR_PARTITION, each for its partition alone.
func TestAlterReplicaLogDirs(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	props := map[string]string{"log.dirs": a + "," + b, "log.segment.bytes": "1048576"}
	n := nodetest.Start(t, a, props)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	createTopic(t, n.Addr, "moving", 1, nil)
	var from, to string
	for k := range replicaDirs(t, cl, "moving") {
		from = filepath.Dir(k)
	}
	if to = b; from == b {
		to = a
	}

	stop, produced := make(chan struct{}), make(chan int)
	go func() {
		i := 0
		defer func() { produced <- i }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var recs []*kgo.Record
			for range 50 {
				recs = append(recs, &kgo.Record{Topic: "moving", Value: []byte(fmt.Sprintf("%08d", i+len(recs)))})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Error(err)
				return
			}
			i += len(recs)
		}
	}()
	time.Sleep(300 * time.Millisecond) // a few segments first

	req := kmsg.NewPtrAlterReplicaLogDirsRequest()
	addLogDirMove(req, to, "moving", 0)
	addLogDirMove(req, filepath.Join(base, "c"), "moving", 1)
	addLogDirMove(req, to, "absent", 0)
	raw, err := cl.SeedBrokers()[0].Request(ctx, req) // unsharded: kgo would route each partition to its leader
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int16{}
	for _, rt := range raw.(*kmsg.AlterReplicaLogDirsResponse).Topics {
		for _, rp := range rt.Partitions {
			got[fmt.Sprintf("%s/%d", rt.Topic, rp.Partition)] = rp.ErrorCode
		}
	}
	want := map[string]int16{"moving/0": 0, "moving/1": kerr.LogDirNotFound.Code, "absent/0": kerr.UnknownTopicOrPartition.Code}
	if !maps.Equal(got, want) {
		t.Fatalf("AlterReplicaLogDirs answered %v, want %v", got, want)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		dirs := replicaDirs(t, cl, "moving")
		if future, ok := dirs[to+"/0"]; ok && !future && len(dirs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica dirs after 30 s: %v, want only %s/0", dirs, to)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // writes after the move
	close(stop)
	total := <-produced
	if total == 0 {
		t.Fatal("nothing produced")
	}
	t.Logf("%d records produced across the move", total)
	check := func(addr string) {
		t.Helper()
		recs := consumeAll(t, addr, "moving", total)
		for i, r := range recs {
			if want := fmt.Sprintf("%08d", i); string(r.Value) != want || r.Offset != int64(i) {
				t.Fatalf("record %d: offset %d value %q, want %q", i, r.Offset, r.Value, want)
			}
		}
		if len(recs) != total {
			t.Fatalf("read %d records, produced %d", len(recs), total)
		}
	}
	check(n.Addr)
	if ents, _ := os.ReadDir(from); slices.ContainsFunc(ents, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), "moving-0") }) {
		t.Fatalf("the old dir %s still holds the replica", from)
	}

	n.Shutdown()
	n = nodetest.Start(t, a, props)
	cl = newClient(t, n.Addr)
	if dirs := replicaDirs(t, cl, "moving"); len(dirs) != 1 || dirs[to+"/0"] {
		t.Fatalf("after a restart, replica dirs %v, want only %s/0", dirs, to)
	}
	check(n.Addr)
}
