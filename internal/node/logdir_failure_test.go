package node_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
	"gregor/internal/storage"
	"gregor/internal/vfs"
)

// faultyNode starts a node whose log dirs (named dirs, under root) go
// through a vfs.Faulty, with the metadata log in a dir of its own.
func faultyNode(t *testing.T, root string, fsys *vfs.Faulty, dirs ...string) *nodetest.TestNode {
	t.Helper()
	var paths string
	for i, d := range dirs {
		if i > 0 {
			paths += ","
		}
		paths += filepath.Join(root, d)
	}
	return nodetest.StartFS(t, root, map[string]string{
		"log.dirs": paths, "metadata.log.dir": filepath.Join(root, "meta"),
	}, fsys)
}

// produceTo sends n records to one partition with acks=all and returns the
// partition's error code.
func produceTo(t *testing.T, cl *kgo.Client, topic string, partition int32, n int) int16 {
	t.Helper()
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	for i := range n {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Value: fmt.Appendf(nil, "v%d", i)})
	}
	raw, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: topic, TopicID: topicID(t, cl, topic), Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: partition, Records: raw}}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// fetchCode fetches one partition from offset 0 and returns its error code
// and how many records came back.
func fetchCode(t *testing.T, cl *kgo.Client, topic string, partition int32) (int16, int) {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SessionEpoch, req.MaxBytes = -1, 1<<20
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition, p.PartitionMaxBytes = partition, 1<<20
	req.Topics = []kmsg.FetchRequestTopic{{Topic: topic, TopicID: topicID(t, cl, topic), Partitions: []kmsg.FetchRequestTopicPartition{p}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	rp := resp.Topics[0].Partitions[0]
	bs, err := record.Split(rp.RecordBatches)
	if err != nil {
		t.Fatal(err)
	}
	recs := 0
	for _, b := range bs {
		recs += int(b.NumRecords())
	}
	return rp.ErrorCode, recs
}

// listOffsetsCode asks for a partition's latest offset and returns the
// error code.
func listOffsetsCode(t *testing.T, cl *kgo.Client, topic string, partition int32) int16 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp = partition, -1
	req.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: topic, Partitions: []kmsg.ListOffsetsRequestTopicPartition{rp}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// describeDirs returns DescribeLogDirs' error code by absolute dir.
func describeDirs(t *testing.T, cl *kgo.Client) map[string]int16 {
	t.Helper()
	kresp, err := cl.SeedBrokers()[0].Request(testContext(t), kmsg.NewPtrDescribeLogDirsRequest())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int16{}
	for _, d := range kresp.(*kmsg.DescribeLogDirsResponse).Dirs {
		out[d.Dir] = d.ErrorCode
	}
	return out
}

// offlineReplicas returns Metadata's offline replicas of topic's
// partitions.
func offlineReplicas(t *testing.T, cl *kgo.Client, topic string) map[int32][]int32 {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = []kmsg.MetadataRequestTopic{rt}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32][]int32{}
	for _, p := range resp.Topics[0].Partitions {
		out[p.Partition] = p.OfflineReplicas
	}
	return out
}

// waitOffline waits until Metadata lists want as the offline replicas of
// topic-partition.
func waitOffline(t *testing.T, cl *kgo.Client, topic string, partition int32, want []int32) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := offlineReplicas(t, cl, topic)[partition]
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s-%d offline replicas %v, want %v", topic, partition, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLogDirFailure proves Kafka's log-dir failure model on one node with
// two log dirs: an I/O error in one takes it offline, its partitions
// answer KAFKA_STORAGE_ERROR to Produce, Fetch and ListOffsets, the other
// dir keeps serving and takes new topics, DescribeLogDirs shows the
// error, Metadata lists the replica on it as offline, and after a
// restart on a healed disk every acknowledged record is there and no
// replica is offline.
func TestLogDirFailure(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC, syscall.EROFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			root := t.TempDir()
			fsys := vfs.NewFaulty(vfs.OS)
			n := faultyNode(t, root, fsys, "a", "b")
			cl := newClient(t, n.Addr)
			createTopic(t, n.Addr, "t", 2, nil)
			for p := range int32(2) {
				if code := produceTo(t, cl, "t", p, 10); code != 0 {
					t.Fatalf("produce to %d: %v", p, kerr.ErrorForCode(code))
				}
			}
			l0, _ := n.Log("t", 0)
			l1, _ := n.Log("t", 1)
			failed, healthy := filepath.Dir(l0.Dir()), filepath.Dir(l1.Dir())
			if failed == healthy {
				t.Fatalf("both partitions in %s", failed)
			}

			fsys.Fail(failed, errno)
			for range 2 {
				if code := produceTo(t, cl, "t", 0, 5); code != kerr.KafkaStorageError.Code {
					t.Fatalf("produce on the failed dir: %v, want KAFKA_STORAGE_ERROR", kerr.ErrorForCode(code))
				}
			}
			if code, _ := fetchCode(t, cl, "t", 0); code != kerr.KafkaStorageError.Code {
				t.Fatalf("fetch on the failed dir: %v", kerr.ErrorForCode(code))
			}
			if code := listOffsetsCode(t, cl, "t", 0); code != kerr.KafkaStorageError.Code {
				t.Fatalf("list offsets on the failed dir: %v", kerr.ErrorForCode(code))
			}
			if code := produceTo(t, cl, "t", 1, 10); code != 0 {
				t.Fatalf("produce on the healthy dir: %v", kerr.ErrorForCode(code))
			}
			if code, recs := fetchCode(t, cl, "t", 1); code != 0 || recs != 20 {
				t.Fatalf("fetch on the healthy dir: %v, %d records", kerr.ErrorForCode(code), recs)
			}
			if got := describeDirs(t, cl); got[failed] != kerr.KafkaStorageError.Code || got[healthy] != 0 {
				t.Fatalf("DescribeLogDirs: %v", got)
			}
			waitOffline(t, cl, "t", 0, []int32{1})
			if got := value(scrape(t, n), "kafka_server_replicamanager_offlinereplicacount", nil); got != 1 {
				t.Fatalf("offline replica count %v, want 1", got)
			}
			if got := offlineReplicas(t, cl, "t")[1]; len(got) != 0 {
				t.Fatalf("replica on the healthy dir listed offline: %v", got)
			}
			createTopic(t, n.Addr, "u", 2, nil) // both partitions on the healthy dir
			for p := range int32(2) {
				if l, ok := n.Log("u", p); !ok || filepath.Dir(l.Dir()) != healthy {
					t.Fatalf("u-%d not on the healthy dir", p)
				}
				if code := produceTo(t, cl, "u", p, 3); code != 0 {
					t.Fatalf("produce to u-%d: %v", p, kerr.ErrorForCode(code))
				}
			}

			n.Shutdown()
			fsys.Heal(failed)
			n = faultyNode(t, root, fsys, "a", "b")
			cl = newClient(t, n.Addr)
			for _, want := range []struct {
				topic     string
				partition int32
				records   int
			}{{"t", 0, 10}, {"t", 1, 20}, {"u", 0, 3}, {"u", 1, 3}} {
				if code, recs := fetchCode(t, cl, want.topic, want.partition); code != 0 || recs != want.records {
					t.Fatalf("%s-%d after restart: %v, %d records, want %d", want.topic, want.partition, kerr.ErrorForCode(code), recs, want.records)
				}
			}
			if got := offlineReplicas(t, cl, "t")[0]; len(got) != 0 {
				t.Fatalf("offline replicas after a restart on a healed disk: %v", got)
			}
		})
	}
}

// TestFullDiskSingleLogDir proves the single-dir case: with its only log
// dir full, the node keeps running, Produce answers KAFKA_STORAGE_ERROR,
// CreateTopics answers an error and leaves no topic and no directory, and
// once space is back (a restart) every acknowledged record is there and
// topics can be created again.
func TestFullDiskSingleLogDir(t *testing.T) {
	root := t.TempDir()
	fsys := vfs.NewFaulty(vfs.OS)
	n := faultyNode(t, root, fsys, "data")
	cl := newClient(t, n.Addr)
	createTopic(t, n.Addr, "t", 1, nil)
	if code := produceTo(t, cl, "t", 0, 10); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
	dir := filepath.Join(root, "data")
	fsys.Fail(dir, syscall.ENOSPC)
	if code := produceTo(t, cl, "t", 0, 5); code != kerr.KafkaStorageError.Code {
		t.Fatalf("produce on a full disk: %v, want KAFKA_STORAGE_ERROR", kerr.ErrorForCode(code))
	}

	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for { // until the controller has heard of the failure: a validation refuses the topic
		resp, err := adm.ValidateCreateTopics(ctx, 1, 1, nil, "v")
		if err != nil {
			t.Fatal(err)
		}
		if resp["v"].Err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := adm.CreateTopics(ctx, 1, 1, nil, "v")
	if err != nil {
		t.Fatal(err)
	}
	createErr := resp["v"].Err
	if createErr == nil {
		t.Fatal("CreateTopics on a full disk succeeded")
	}
	t.Logf("CreateTopics on a full disk: %v", createErr)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("v") {
		t.Fatal("a failed CreateTopics left the topic in the metadata")
	}
	if _, err := os.Stat(filepath.Join(dir, "v-0")); err == nil {
		t.Fatal("a failed CreateTopics left a directory")
	}

	n.Shutdown()
	fsys.Heal(dir)
	n = faultyNode(t, root, fsys, "data")
	cl = newClient(t, n.Addr)
	if code, recs := fetchCode(t, cl, "t", 0); code != 0 || recs != 10 {
		t.Fatalf("after restart: %v, %d records, want 10", kerr.ErrorForCode(code), recs)
	}
	createTopic(t, n.Addr, "v", 1, nil)
	if code := produceTo(t, cl, "v", 0, 1); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
}

// TestClusterLogDirFailureMovesLeadership proves, on three in-process
// nodes, that when the leader's log dir fails (EIO) under an idempotent
// acks=all producer, the leadership moves to another in-sync replica,
// records are acknowledged again, and after the failed node restarts on a
// healed disk every acknowledged record is read back once, at its offset.
func TestClusterLogDirFailureMovesLeadership(t *testing.T) {
	fsys := vfs.NewFaulty(vfs.OS)
	c := nodetest.StartClusterFS(t, 3, map[string]string{"min.insync.replicas": "2"}, fsys)
	c.WaitLeader(10 * time.Second)
	createClusterTopic(t, c.Nodes[0].Addr, "acked", 1, 3)
	waitISR(t, c, "acked", 3)
	p := startSeqProducer(t, c.Nodes[0].Addr, "acked")
	p.waitPast(t, 0)

	leader := partitionLeader(t, c, "acked")
	fsys.Fail(c.Nodes[leader].Dir, syscall.EIO)
	start := time.Now()
	p.waitPast(t, p.produced())
	t.Logf("node %d's log dir failed; acknowledged again after %v", leader+1, time.Since(start))
	if now := partitionLeader(t, c, "acked"); now == leader {
		t.Fatalf("node %d still leads with a failed log dir", leader+1)
	}
	other := newClient(t, c.Nodes[(leader+1)%3].Addr)
	waitOffline(t, other, "acked", 0, []int32{int32(leader + 1)})
	c.Stop(leader)
	fsys.Heal(c.Nodes[leader].Dir)
	c.Restart(leader)
	waitISR(t, c, "acked", 3)
	p.waitPast(t, p.produced())
	acks := p.stop()
	got := readAll(t, c.Nodes[leader].Addr, "acked")
	seen := map[string]int64{}
	for i, v := range got {
		if _, dup := seen[v]; dup {
			t.Fatalf("offset %d duplicates %s", i, v)
		}
		seen[v] = int64(i)
	}
	for v, off := range acks {
		if at, ok := seen[v]; !ok || at != off {
			t.Fatalf("%s acknowledged at offset %d, stored at %d (present %v)", v, off, at, ok)
		}
	}
	t.Logf("%d records acknowledged across the log dir failure, all present", len(acks))
}

// TestMetadataLogDirFailureStopsNode proves that an I/O error in the
// metadata log dir stops the node, as Kafka halts, instead of letting it
// go on with a metadata log that lost a write: both when the metadata log
// itself cannot be written (its own dir) and when it shares a log dir
// that an I/O error in a partition's files took offline; and that the
// node starts again on the healed disk with what it had acknowledged.
func TestMetadataLogDirFailureStopsNode(t *testing.T) {
	t.Run("own dir", func(t *testing.T) {
		root := t.TempDir()
		fsys := vfs.NewFaulty(vfs.OS)
		n := faultyNode(t, root, fsys, "data")
		createTopic(t, n.Addr, "t", 1, nil)
		meta := filepath.Join(root, "meta")
		fsys.Fail(meta, syscall.EIO)
		adm := kadm.NewClient(newClient(t, n.Addr))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		adm.CreateTopics(ctx, 1, 1, nil, "u") // its metadata write fails; the answer does not matter
		err := n.WaitStopped(t, 20*time.Second)
		if !errors.Is(err, node.ErrMetadataLogDirFailed) || !errors.Is(err, syscall.EIO) {
			t.Fatalf("node stopped with %v, want the metadata log dir failure", err)
		}
		fsys.Heal(meta)
		n = faultyNode(t, root, fsys, "data")
		if code := produceTo(t, newClient(t, n.Addr), "t", 0, 1); code != 0 {
			t.Fatalf("produce after restart: %v", kerr.ErrorForCode(code))
		}
	})
	t.Run("shared log dir", func(t *testing.T) {
		root := t.TempDir()
		fsys := vfs.NewFaulty(vfs.OS)
		a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
		props := map[string]string{"log.dirs": a + "," + b, "metadata.log.dir": a}
		n := nodetest.StartFS(t, root, props, fsys)
		cl := newClient(t, n.Addr)
		createTopic(t, n.Addr, "t", 2, nil)
		var inMeta int32 = -1
		for p := range int32(2) {
			if l, ok := n.Log("t", p); ok && filepath.Dir(l.Dir()) == a {
				inMeta = p
			}
		}
		if inMeta < 0 {
			t.Fatal("no partition of t in the metadata log dir")
		}
		if code := produceTo(t, cl, "t", inMeta, 3); code != 0 {
			t.Fatal(kerr.ErrorForCode(code))
		}
		partDir := filepath.Join(a, fmt.Sprintf("t-%d", inMeta))
		fsys.Fail(partDir, syscall.EIO) // the metadata log itself still writes
		produceTo(t, cl, "t", inMeta, 1)
		err := n.WaitStopped(t, 20*time.Second)
		if !errors.Is(err, node.ErrMetadataLogDirFailed) || !errors.Is(err, storage.ErrLogDirOffline) {
			t.Fatalf("node stopped with %v, want the metadata log dir failure", err)
		}
		fsys.Heal(partDir)
		n = nodetest.StartFS(t, root, props, fsys)
		if code, recs := fetchCode(t, newClient(t, n.Addr), "t", inMeta); code != 0 || recs != 3 {
			t.Fatalf("after restart: %v, %d records, want 3", kerr.ErrorForCode(code), recs)
		}
	})
}
