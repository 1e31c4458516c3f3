package node_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// syncGate is a filesystem whose fsyncs of segment (.log) files under a
// path containing sub wait while the gate is shut, and take delay each;
// they are counted.
type syncGate struct {
	vfs.FS
	sub   string
	delay time.Duration
	syncs atomic.Int64

	mu   sync.Mutex
	open chan struct{} // closed while fsyncs may go on
}

func newSyncGate(fsys vfs.FS, sub string, delay time.Duration) *syncGate {
	g := &syncGate{FS: fsys, sub: sub, delay: delay, open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *syncGate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *syncGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.open)
}

func (g *syncGate) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.Contains(name, g.sub) || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gatedFile{File: f, g: g}, nil
}

type gatedFile struct {
	vfs.File
	g *syncGate
}

func (f *gatedFile) Sync() error {
	f.g.mu.Lock()
	open := f.g.open
	f.g.mu.Unlock()
	<-open
	f.g.syncs.Add(1)
	time.Sleep(f.g.delay)
	return f.File.Sync()
}

// oneRecordProduce is a Produce v7 request (acks=all) of one record with
// value v to topic's partition 0.
func oneRecordProduce(t *testing.T, topic string, v []byte) *kmsg.ProduceRequest {
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: v}}})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(7)
	req.Acks, req.TimeoutMillis = -1, 20000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = b
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// TestPipelinedDurableProduce proves that on a durable topic a
// connection's next produce requests are appended while the first one's
// fsync runs, that their answers come in request order once it ends, and
// that a ListOffsets behind them waits for their answers and sees them.
func TestPipelinedDurableProduce(t *testing.T) {
	gate := newSyncGate(vfs.NewMem(), "/d-0/", 0)
	n, _ := startOnFS(t, gate)
	on := "true"
	createTopic(t, n.Addr, "d", 1, map[string]*string{"gregor.flush.before.ack": &on})
	l, ok := n.Log("d", 0)
	if !ok {
		t.Fatal("no log for d-0")
	}
	c := dial(t, n.Addr)
	gate.shut()
	released := false
	defer func() {
		if !released {
			gate.release()
		}
	}()
	for i := int32(1); i <= 3; i++ {
		c.send(oneRecordProduce(t, "d", []byte(fmt.Sprint(i))), i)
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.SetVersion(5)
	lo.ReplicaID = -1
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = "d"
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Timestamp = -1 // latest
	lt.Partitions = append(lt.Partitions, lp)
	lo.Topics = append(lo.Topics, lt)
	c.send(lo, 4)
	waitFor(t, "three produce requests appended while the first one's fsync waits", func() bool { return l.LogEndOffset() == 3 })
	if d := l.DurableOffset(); d != 0 {
		t.Fatalf("durable offset %d with every fsync held", d)
	}
	gate.release()
	released = true
	for i := int32(1); i <= 3; i++ {
		id, body, err := c.receive(false)
		if err != nil {
			t.Fatal(err)
		}
		resp := kmsg.NewPtrProduceResponse()
		resp.Version = 7
		if err := resp.ReadFrom(body); err != nil {
			t.Fatal(err)
		}
		p := resp.Topics[0].Partitions[0]
		if id != i || p.ErrorCode != 0 || p.BaseOffset != int64(i-1) {
			t.Fatalf("answer %d: correlation id %d, error %d, base offset %d", i, id, p.ErrorCode, p.BaseOffset)
		}
		if d := l.DurableOffset(); d < kafka.Offset(i) {
			t.Fatalf("answer %d arrived with the durable offset at %d", i, d)
		}
	}
	id, body, err := c.receive(false)
	if err != nil {
		t.Fatal(err)
	}
	resp := kmsg.NewPtrListOffsetsResponse()
	resp.Version = 5
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if p := resp.Topics[0].Partitions[0]; id != 4 || p.ErrorCode != 0 || p.Offset != 3 {
		t.Fatalf("ListOffsets: correlation id %d, error %d, offset %d; want 4, 0, 3", id, p.ErrorCode, p.Offset)
	}
}

// TestPipelinedIdempotentProducer proves that an idempotent producer with
// five requests in flight on a durable topic gets every record stored
// once, in the order produced, and that its requests shared fsyncs: fewer
// fsyncs of the partition's segment than produce requests, which a
// connection served one request at a time cannot reach (each request
// waits for an fsync of its own before the next is read).
func TestPipelinedIdempotentProducer(t *testing.T) {
	gate := newSyncGate(vfs.NewMem(), "/d-0/", 2*time.Millisecond)
	n, _ := startOnFS(t, gate)
	on := "true"
	createTopic(t, n.Addr, "d", 1, map[string]*string{"gregor.flush.before.ack": &on})
	var batches atomic.Int64
	cl := newClient(t, n.Addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(2048), // about one record a request
		kgo.WithHooks(batchCounter{&batches}))
	const records = 600
	before := gate.syncs.Load()
	var wg sync.WaitGroup
	errs := make(chan error, records)
	for i := range records {
		wg.Add(1)
		cl.Produce(testContext(t), &kgo.Record{Topic: "d", Value: fmt.Appendf(make([]byte, 0, 1024), "%d %01000d", i, 0)},
			func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					errs <- err
				}
			})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	syncs := gate.syncs.Load() - before
	consumer := newClient(t, n.Addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"d": {0: kgo.NewOffset().AtStart()}}))
	next := 0
	for next < records {
		fetches := consumer.PollFetches(testContext(t))
		if err := fetches.Err(); err != nil {
			t.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			var i int
			fmt.Sscanf(string(r.Value), "%d", &i)
			if i != next || r.Offset != int64(next) {
				t.Fatalf("offset %d holds record %d, want record %d", r.Offset, i, next)
			}
			next++
		})
	}
	if l, _ := n.Log("d", 0); l.LogEndOffset() != records {
		t.Fatalf("log end %d after %d records: duplicates", l.LogEndOffset(), records)
	}
	if b := batches.Load(); syncs >= b {
		t.Fatalf("%d fsyncs for %d produce requests: no request shared an fsync", syncs, b)
	}
	t.Logf("%d produce requests, %d fsyncs of the segment", batches.Load(), syncs)
}

// batchCounter counts the batches a producer wrote, one per request here.
type batchCounter struct{ n *atomic.Int64 }

func (c batchCounter) OnProduceBatchWritten(kgo.BrokerMetadata, string, int32, kgo.ProduceBatchMetrics) {
	c.n.Add(1)
}

// splitFS puts the metadata log dir (under metaDir, on the real
// filesystem, as the quorum's state file is written there) apart from the
// data log dir /data, on data.
type splitFS struct {
	metaDir string
	data    vfs.FS
}

func (s splitFS) of(name string) vfs.FS {
	if strings.HasPrefix(name, s.metaDir) {
		return vfs.OS
	}
	return s.data
}

// startOnFS starts a node whose data log dir, /data, is on data.
func startOnFS(t *testing.T, data vfs.FS) (*nodetest.TestNode, func() *nodetest.TestNode) {
	fsys := splitFS{metaDir: t.TempDir(), data: data}
	props := map[string]string{"log.dirs": "/data", "metadata.log.dir": fsys.metaDir}
	start := func() *nodetest.TestNode { return nodetest.StartFS(t, "/data", props, fsys) }
	return start(), start
}

func (s splitFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	return s.of(name).OpenFile(name, flag, perm)
}
func (s splitFS) MkdirAll(path string, perm fs.FileMode) error {
	return s.of(path).MkdirAll(path, perm)
}
func (s splitFS) ReadDir(name string) ([]fs.DirEntry, error) { return s.of(name).ReadDir(name) }
func (s splitFS) Rename(oldpath, newpath string) error       { return s.of(oldpath).Rename(oldpath, newpath) }
func (s splitFS) Remove(name string) error                   { return s.of(name).Remove(name) }
func (s splitFS) RemoveAll(path string) error                { return s.of(path).RemoveAll(path) }
func (s splitFS) Stat(name string) (fs.FileInfo, error)      { return s.of(name).Stat(name) }
func (s splitFS) SyncDir(name string) error                  { return s.of(name).SyncDir(name) }
func (s splitFS) Lock(name string) (io.Closer, error)        { return s.of(name).Lock(name) }

// TestPipelinedDurablePowerCut proves that pipelining loses nothing
// acknowledged: producers with five requests in flight on a durable topic,
// a power cut of the data log dir (everything not fsynced is lost), and
// after a restart every acknowledged record is at its offset.
func TestPipelinedDurablePowerCut(t *testing.T) {
	data := vfs.NewMem()
	n, restart := startOnFS(t, newSyncGate(data, "/d-", time.Millisecond))
	on := "true"
	createTopic(t, n.Addr, "d", 2, map[string]*string{"gregor.flush.before.ack": &on})
	var mu sync.Mutex
	acked := map[int32]map[int64]string{0: {}, 1: {}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for p := range 4 {
		cl := newClient(t, n.Addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0),
			kgo.ProducerBatchMaxBytes(2048), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				v := fmt.Sprintf("producer %d record %d", p, i)
				cl.Produce(ctx, &kgo.Record{Topic: "d", Partition: int32(p % 2), Value: []byte(v)}, func(r *kgo.Record, err error) {
					if err == nil {
						mu.Lock()
						acked[r.Partition][r.Offset] = v
						mu.Unlock()
					}
				})
			}
		}()
	}
	waitFor(t, "400 acknowledged records", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked[0])+len(acked[1]) >= 400 })
	data.Crash()
	mu.Lock()
	survivors := map[int32]map[int64]string{0: {}, 1: {}}
	for p, m := range acked {
		for o, v := range m {
			survivors[p][o] = v
		}
	}
	mu.Unlock()
	cancel()
	wg.Wait()
	n.Stop() // its logs' handles died with the power cut: it stops on their failed fsyncs
	if err := n.WaitStopped(t, 30*time.Second); err != nil && !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("node stopped with %v", err)
	}
	n = restart()
	for p, m := range survivors {
		var end int64
		for o := range m {
			end = max(end, o+1)
		}
		consumer := newClient(t, n.Addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"d": {p: kgo.NewOffset().AtStart()}}))
		found := map[int64]string{}
		for int64(len(found)) < end {
			fetches := consumer.PollFetches(testContext(t))
			if err := fetches.Err(); err != nil {
				t.Fatalf("partition %d after %d of %d records: %v", p, len(found), end, err)
			}
			fetches.EachRecord(func(r *kgo.Record) { found[r.Offset] = string(r.Value) })
		}
		for o, v := range m {
			if found[o] != v {
				t.Fatalf("partition %d offset %d: %q after the power cut, acknowledged %q", p, o, found[o], v)
			}
		}
		t.Logf("partition %d: %d acknowledged records survived the power cut", p, len(m))
	}
}
