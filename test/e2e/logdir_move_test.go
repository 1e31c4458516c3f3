package e2e

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKill9DuringLogDirMove proves that a server SIGKILLed at any moment
// of moving a replica between its log dirs (while an idempotent acks=all
// producer writes to it) starts again with the replica whole in exactly
// one of the dirs, leaves no copy behind, and loses, duplicates or
// reorders no acknowledged record, over several kills at random moments.
func TestKill9DuringLogDirMove(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	dirs := "log.dirs=" + a + "," + b
	p := startServer(t, a, dirs)
	if _, serr, err := runTool(t, "", "topics", "--bootstrap-server", p.addr, "--create", "--topic", "moving", "--partitions", "1"); err != nil {
		t.Fatalf("create topic: %v %s", err, serr)
	}
	var producers []*ackedProducer
	for round := range 10 {
		pr := startAckedProducer(t, round, []string{p.addr}, "moving",
			kgo.RecordRetries(3), kgo.RetryTimeout(3*time.Second), kgo.ProduceRequestTimeout(3*time.Second))
		producers = append(producers, pr)
		pr.waitAcked(t, 20000, 20*time.Second)
		cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr))
		if err != nil {
			t.Fatal(err)
		}
		from := replicaDir(t, cl, a, b)
		to := a
		if from == a {
			to = b
		}
		req := kmsg.NewPtrAlterReplicaLogDirsRequest()
		d := kmsg.NewAlterReplicaLogDirsRequestDir()
		d.Dir = to
		rt := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
		rt.Topic, rt.Partitions = "moving", []int32{0}
		d.Topics = append(d.Topics, rt)
		req.Dirs = append(req.Dirs, d)
		if _, err := cl.SeedBrokers()[0].Request(testContext(t, 10*time.Second), req); err != nil {
			t.Fatal(err)
		}
		cl.Close()
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond) // somewhere in the copy or its last steps
		p.kill()
		pr.stop(t)

		p = startServer(t, a, dirs)
		cl, err = kgo.NewClient(kgo.SeedBrokers(p.addr))
		if err != nil {
			t.Fatal(err)
		}
		in := replicaDir(t, cl, a, b)
		cl.Close()
		var left []string
		for _, dir := range []string{a, b} {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "moving-0") && (dir != in || e.Name() != "moving-0") {
					left = append(left, filepath.Join(dir, e.Name()))
				}
			}
		}
		if len(left) > 0 {
			t.Fatalf("round %d: the replica is in %s and also %v", round, in, left)
		}
		t.Logf("round %d: killed moving from %s to %s, restarted with the replica in %s", round, from, to, in)
	}
	n := checkProducers(t, []string{p.addr}, "moving", producers...)
	t.Logf("%d records acknowledged across %d kills during moves, all present once and in order", n, len(producers))
}

// replicaDir returns which of a and b holds partition 0 of moving, as
// DescribeLogDirs says, failing unless exactly one does.
func replicaDir(t *testing.T, cl *kgo.Client, a, b string) string {
	t.Helper()
	raw, err := cl.SeedBrokers()[0].Request(testContext(t, 10*time.Second), kmsg.NewPtrDescribeLogDirsRequest())
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, d := range raw.(*kmsg.DescribeLogDirsResponse).Dirs {
		for _, tp := range d.Topics {
			for _, part := range tp.Partitions {
				if tp.Topic == "moving" && part.Partition == 0 && !part.IsFuture {
					in = append(in, d.Dir)
				}
			}
		}
	}
	if len(in) != 1 || (in[0] != a && in[0] != b) {
		t.Fatalf("the replica is in %v, want one of %s, %s", in, a, b)
	}
	return in[0]
}
