package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestClusterGroupCoordinatorDies proves item 7(f): when the node of a
// consumer group's coordinator is SIGKILLed, FindCoordinator answers a
// live node, the offsets the group committed are all there, and the group
// rebalances: a member that joins afterwards gets partitions, and the two
// members together read every record produced after the kill.
func TestClusterGroupCoordinatorDies(t *testing.T) {
	requireClusterTests(t)
	props := map[string]string{"offsets.topic.num.partitions": "3"}
	for k, v := range faultProps {
		props[k] = v
	}
	c := startCluster(t, 3, clusterOptions{props: props})
	if _, err := admin(t, c.Addr(1)).CreateTopic(testContext(t, 30*time.Second), 3, 3, nil, "work"); err != nil {
		t.Fatal(err)
	}
	waitFullISRof(t, c, "work", 3, 30*time.Second)
	produceN(t, c, "work", "before", 300)
	first := startGroupMember(t, c, "g", "work")
	waitFor(t, 30*time.Second, func() string {
		if n := first.read.Load(); n < 300 {
			return fmt.Sprintf("the first member read %d of 300", n)
		}
		return ""
	})
	committed := first.commit(t)
	coordinator := findCoordinator(t, c.Addr(1), "g")
	t.Logf("group g committed %v; its coordinator is node %d", committed, coordinator)

	c.Kill(coordinator)
	start := time.Now()
	alive := c.Addr(coordinator%3 + 1)
	var moved int
	waitFor(t, 30*time.Second, func() string {
		moved = tryFindCoordinator(t, alive, "g")
		if moved < 0 || moved == coordinator {
			return fmt.Sprintf("FindCoordinator names %d", moved)
		}
		return ""
	})
	waitFor(t, 30*time.Second, func() string {
		got, err := admin(t, alive).FetchOffsets(testContext(t, 10*time.Second), "g")
		if err == nil {
			err = got.Error()
		}
		if err != nil {
			return err.Error()
		}
		for p, at := range committed {
			if o, ok := got.Lookup("work", p); !ok || o.At != at {
				return fmt.Sprintf("work/%d: committed %d, fetched %+v (found %v) of %d partitions", p, at, o.Offset, ok, len(got["work"]))
			}
		}
		return ""
	})
	t.Logf("node %d coordinates g %v after the kill, with every committed offset", moved, time.Since(start).Round(time.Millisecond))

	second := startGroupMember(t, c, "g", "work")
	produceN(t, c, "work", "after", 300)
	waitFor(t, 60*time.Second, func() string {
		if a, b := first.after.Load(), second.after.Load(); a+b < 300 || b == 0 {
			return fmt.Sprintf("the members read %d and %d of the 300 records produced after the kill", a, b)
		}
		return ""
	})
}

// groupMember consumes topic in group, counting what it reads, and
// commits only when asked.
type groupMember struct {
	cl     *kgo.Client
	read   atomic.Int64 // records read
	after  atomic.Int64 // records read whose value starts with "after"
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startGroupMember(t *testing.T, c *cluster, group, topic string) *groupMember {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Seeds()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &groupMember{cl: cl, cancel: cancel}
	m.done.Add(1)
	go m.run(ctx)
	t.Cleanup(func() { cancel(); m.done.Wait(); cl.Close() })
	return m
}

func (m *groupMember) run(ctx context.Context) {
	defer m.done.Done()
	for ctx.Err() == nil {
		m.cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			m.read.Add(1)
			if len(r.Value) >= 5 && string(r.Value[:5]) == "after" {
				m.after.Add(1)
			}
		})
	}
}

// commit commits what the member has read and returns the committed
// offset of each partition.
func (m *groupMember) commit(t *testing.T) map[int32]int64 {
	t.Helper()
	if err := m.cl.CommitUncommittedOffsets(testContext(t, 20*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	out := map[int32]int64{}
	for _, ps := range m.cl.CommittedOffsets() {
		for p, o := range ps {
			out[p] = o.Offset
		}
	}
	if len(out) == 0 {
		t.Fatal("nothing committed")
	}
	return out
}

// produceN produces n records "<prefix>-i" to topic with acks=all.
func produceN(t *testing.T, c *cluster, topic, prefix string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Seeds()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "%d", i), Value: fmt.Appendf(nil, "%s-%d", prefix, i)})
	}
	if err := cl.ProduceSync(testContext(t, 60*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce %s: %v", prefix, err)
	}
}

// findCoordinator returns the coordinator of group as addr names it.
func findCoordinator(t *testing.T, addr, group string) int {
	t.Helper()
	var id int
	waitFor(t, 30*time.Second, func() string {
		if id = tryFindCoordinator(t, addr, group); id < 0 {
			return "no coordinator"
		}
		return ""
	})
	return id
}

// tryFindCoordinator asks addr alone for group's coordinator; -1 on an
// error.
func tryFindCoordinator(t *testing.T, addr, group string) int {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return -1
	}
	defer cl.Close()
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = []string{group}
	resp, err := req.RequestWith(testContext(t, 5*time.Second), cl)
	if err != nil || len(resp.Coordinators) != 1 || resp.Coordinators[0].ErrorCode != 0 {
		return -1
	}
	return int(resp.Coordinators[0].NodeID)
}
