package node_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestFollowerCatchUpRate measures how fast a follower copies a leader's
// log when it returns (GREGOR_CATCHUP_BENCH=1; CATCHUP_MB, default 1024):
// a broker that was down while CATCHUP_MB of 1 KiB records were written
// to the partition it follows is restarted, and the time until its log
// end reaches the leader's is reported as MB/s. CATCHUP_PROFILE=FILE
// writes a CPU profile of the catch-up alone; CATCHUP_SEGMENT_BYTES sets
// log.segment.bytes; CATCHUP_LOAD_MBPS keeps producing that many MB/s
// while the follower catches up.
func TestFollowerCatchUpRate(t *testing.T) {
	if os.Getenv("GREGOR_CATCHUP_BENCH") == "" {
		t.Skip("set GREGOR_CATCHUP_BENCH=1 to measure")
	}
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("CATCHUP_MB")); err == nil {
		mb = v
	}
	props := map[string]string{"broker.session.timeout.ms": "60000"}
	if v := os.Getenv("CATCHUP_SEGMENT_BYTES"); v != "" {
		props["log.segment.bytes"] = v
	}
	c := nodetest.StartClusterWithBrokers(t, 1, 1, props)
	createAssigned(t, c.Nodes[0].Addr, "catchup", 1, 2)
	waitFor(t, "the follower in the ISR", func() bool {
		p, ok := partitionOn(c.Nodes[0], "catchup", 0)
		return ok && len(p.ISR) == 2
	})
	c.Kill(1)
	cl := newClient(t, c.Nodes[0].Addr, kgo.DefaultProduceTopic("catchup"), kgo.RequiredAcks(kgo.LeaderAck()),
		kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(1<<16), kgo.ProducerLinger(5*time.Millisecond))
	random := make([]byte, 1<<20)
	rand.Read(random)
	for i := range mb * 1024 {
		value := random[i%1023*1024:][:1024]
		cl.Produce(testContext(t), &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Error(err)
			}
		})
	}
	if err := cl.Flush(testContext(t)); err != nil {
		t.Fatal(err)
	}
	t.Logf("the stopped follower's log files hold %d bytes", logBytes(c.Nodes[1].Dir))
	leaderLog, _ := c.Nodes[0].Log("catchup", 0)
	end := leaderLog.LogEndOffset()
	if path := os.Getenv("CATCHUP_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if v, err := strconv.Atoi(os.Getenv("CATCHUP_LOAD_MBPS")); err == nil && v > 0 {
		// Keep producing meanwhile, v MB/s in 1 KiB records, as a
		// cluster under load does while a follower returns.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				for j := range v * 10 {
					cl.Produce(testContext(t), &kgo.Record{Value: random[(i+j)%1023*1024:][:1024]}, nil)
				}
			}
		}()
	}
	start := time.Now()
	c.Restart(1)
	if l, ok := c.Nodes[1].Log("catchup", 0); ok {
		t.Logf("the follower's log ends at %d %v after its restart, the leader's at %d", l.LogEndOffset(), time.Since(start), end)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if l, ok := c.Nodes[1].Log("catchup", 0); ok && l.LogEndOffset() >= end {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower did not catch up in 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("the follower's log files hold %d bytes, the leader's %d", logBytes(c.Nodes[1].Dir), logBytes(c.Nodes[0].Dir))
	t.Logf("RESULT follower copied %d MB (%d records) in %.2f s from its restart: %.0f MB/s", mb, end, took.Seconds(), float64(mb)*1.048576/took.Seconds())
}

// logBytes is the size of the catchup partition's segment files in dir.
func logBytes(dir string) int64 {
	var size int64
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".log") && strings.Contains(path, "catchup-0") {
			size += info.Size()
		}
		return nil
	})
	return size
}
