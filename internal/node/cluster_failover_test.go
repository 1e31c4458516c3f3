package node_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestClusterFailoverLosesNoAcknowledgedWrite proves, on three in-process
// nodes, that when the leader of a partition with three replicas is killed
// (no controlled shutdown) under an idempotent acks=all producer, another
// replica takes over and acknowledges records handed to the client after
// the kill, Metadata lists the killed node's replica offline once it is
// fenced, the killed node rejoins the ISR after a restart, and every
// acknowledged record is then read back once, at its offset, in order; and
// that a group's offsets committed just before the kill of its
// coordinator's node are all served by the new coordinator.
func TestClusterFailoverLosesNoAcknowledgedWrite(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{
		"min.insync.replicas": "2", "offsets.topic.replication.factor": "3", "offsets.topic.num.partitions": "1",
	})
	c.WaitLeader(10 * time.Second)
	createClusterTopic(t, c.Nodes[0].Addr, "acked", 1, 3)
	waitISR(t, c, "acked", 3)
	p := startSeqProducer(t, c.Nodes[0].Addr, "acked")
	p.waitPast(t, 0)

	leader := partitionLeader(t, c, "acked")
	c.Kill(leader)
	alive := c.Nodes[(leader+1)%3].Addr
	start := time.Now()
	p.waitPast(t, p.produced())
	t.Logf("node %d killed; acknowledged again after %v", leader+1, time.Since(start))
	aliveClient := newClient(t, alive)
	waitOffline(t, aliveClient, "acked", 0, []int32{int32(leader + 1)}) // fenced
	c.Restart(leader)
	waitISR(t, c, "acked", 3)
	waitOffline(t, aliveClient, "acked", 0, nil)
	p.waitPast(t, p.produced())
	acks := p.stop()
	got := readAll(t, alive, "acked")
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
	t.Logf("%d records acknowledged across the kill of leader %d, all present", len(acks), leader+1)

	committed := commitGroupOffsets(t, c.Nodes[0].Addr, "g", "acked")
	coordinator := partitionLeader(t, c, "__consumer_offsets")
	c.Kill(coordinator)
	checkCommitted(t, c.Nodes[(coordinator+1)%3].Addr, "g", committed)
}

// seqProducer produces "v-<seq>" records with an idempotent acks=all
// client to partition 0 of a topic, as fast as its buffer allows, and
// records the offset of each acknowledged one.
type seqProducer struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	loop   sync.WaitGroup

	mu   sync.Mutex // guards the fields below
	next int
	top  int // highest seq acknowledged, -1 for none
	acks map[string]int64
}

func startSeqProducer(t *testing.T, addr, topic string) *seqProducer {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.MetadataMinAge(100*time.Millisecond),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &seqProducer{cl: cl, cancel: cancel, top: -1, acks: map[string]int64{}}
	p.loop.Add(1)
	go func() {
		defer p.loop.Done()
		for seq := 0; ctx.Err() == nil; seq++ {
			p.mu.Lock()
			p.next = seq + 1
			p.mu.Unlock()
			cl.Produce(ctx, &kgo.Record{Value: fmt.Appendf(nil, "v-%d", seq)}, func(r *kgo.Record, err error) {
				if err == nil {
					p.acked(r)
				}
			})
		}
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *seqProducer) acked(r *kgo.Record) {
	var seq int
	fmt.Sscanf(string(r.Value), "v-%d", &seq)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acks[string(r.Value)] = r.Offset
	p.top = max(p.top, seq)
}

func (p *seqProducer) produced() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

// waitPast waits until a record of seq at least seq is acknowledged.
func (p *seqProducer) waitPast(t *testing.T, seq int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("an acknowledgement of seq %d or later", seq), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.top >= seq
	})
}

// stop stops producing, flushes what is buffered, and returns the
// acknowledged records with their offsets: a copy, as franz-go may still
// be finishing a promise (failed by the close, so not recorded).
func (p *seqProducer) stop() map[string]int64 {
	p.cancel()
	p.loop.Wait()
	p.cl.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.acks)
}

// partitionLeader returns the index of the node leading partition 0 of
// topic, as the first running node's image says.
func partitionLeader(t *testing.T, c *nodetest.Cluster, topic string) int {
	t.Helper()
	for _, cn := range c.Nodes {
		if cn.Node != nil {
			tp, _ := cn.Image().Topic(topic)
			return int(tp.Partitions[0].Leader) - 1
		}
	}
	t.Fatal("no node running")
	return -1
}

// waitISR waits until every running node's image shows partition 0 of
// topic with isr in-sync replicas.
func waitISR(t *testing.T, c *nodetest.Cluster, topic string, isr int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s with %d in-sync replicas on every node", topic, isr), func() bool {
		for _, cn := range c.Nodes {
			if cn.Node == nil {
				continue
			}
			tp, ok := cn.Image().Topic(topic)
			if !ok || len(tp.Partitions[0].ISR) != isr || tp.Partitions[0].Leader < 0 {
				return false
			}
		}
		return true
	})
}

// commitGroupOffsets commits offsets for every partition of topic in group
// and returns them.
func commitGroupOffsets(t *testing.T, addr, group, topic string) kadm.Offsets {
	t.Helper()
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: topic, Partition: 0, At: 42, LeaderEpoch: -1})
	resp, err := kadm.NewClient(newClient(t, addr)).CommitOffsets(testContext(t), group, offs)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return offs
}

// checkCommitted waits until addr's cluster serves group's offsets as
// committed. Each try uses a new client: franz-go keeps asking a
// coordinator it cached that no longer answers.
func checkCommitted(t *testing.T, addr, group string, committed kadm.Offsets) {
	t.Helper()
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("the last FetchOffsets: %s", last)
		}
	}()
	waitFor(t, "the committed offsets from the new coordinator", func() bool {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		got, err := kadm.NewClient(cl).FetchOffsets(testContext(t), group)
		last = fmt.Sprintf("%+v %v", got, err)
		if err != nil || got.Error() != nil {
			return false
		}
		ok := true
		committed.Each(func(o kadm.Offset) {
			r, found := got.Lookup(o.Topic, o.Partition)
			ok = ok && found && r.At == o.At
		})
		return ok
	})
}

// readAll reads partition 0 of topic from its start to its end offset.
func readAll(t *testing.T, addr, topic string) []string {
	t.Helper()
	ends, err := kadm.NewClient(newClient(t, addr)).ListEndOffsets(testContext(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	cl := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	var out []string
	ctx := testContext(t)
	for int64(len(out)) < end.Offset {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(out), end.Offset)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}
