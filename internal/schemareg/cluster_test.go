package schemareg_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestClusterWrites proves every node of a cluster serves the registry and
// accepts writes, that ids stay unique and global while writes move
// between nodes (each new writer fences the previous one) and while nodes
// write at once, and that every node comes to read what any node wrote.
func TestClusterWrites(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{"schema.registry.listeners": "http://127.0.0.1:0",
		"offsets.topic.replication.factor": "3", "transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2"})
	regs := make([]*registry, len(c.Nodes))
	for i, n := range c.Nodes {
		regs[i] = &registry{t: t, url: "http://" + n.SchemaRegistryAddr().String()}
	}
	schema := func(i int) string {
		return fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"a","type":"int"}]}`, i)
	}
	// A node that has not written reads what another wrote, on the topic
	// that other created.
	regs[0].expect("POST", "/subjects/first/versions", avroBody(`"string"`), 200, `{"id":1}`)
	began := time.Now()
	for {
		if _, out := regs[2].do("GET", "/subjects", nil); sameJSON(out, `["first"]`) {
			break
		}
		if time.Since(began) > 20*time.Second {
			t.Fatal("node 3 does not read what node 1 wrote")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("node 3 read node 1's first write after %v", time.Since(began))
	// The replication factor is min(3, live brokers) when the first write
	// came, which a loaded machine's fenced brokers make vary: not checked.
	checkTopicCompacted(t, c.Nodes[0].Addr)
	// Writes alternate between nodes: each fences the one before.
	for i := 1; i < 6; i++ {
		regs[i%3].expect("POST", fmt.Sprintf("/subjects/s%d/versions", i), avroBody(schema(i)), 200, fmt.Sprintf(`{"id":%d}`, i+1))
	}
	// The same schema on another node gets the same id.
	regs[2].expect("POST", "/subjects/again/versions", avroBody(schema(1)), 200, `{"id":2}`)

	// Writes at once on every node: every schema gets its own id.
	const each = 5
	var mu sync.Mutex
	ids := map[int]string{}
	var wg sync.WaitGroup
	for n := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				i := 100 + n*each + k
				status, out := regs[n].do("POST", fmt.Sprintf("/subjects/c%d/versions", i), avroBody(schema(i)))
				var answer struct{ ID int }
				if status != 200 || json.Unmarshal([]byte(out), &answer) != nil {
					t.Errorf("node %d: %d %s", n, status, out)
					continue
				}
				mu.Lock()
				if prev, dup := ids[answer.ID]; dup {
					t.Errorf("id %d given to %s and c%d", answer.ID, prev, i)
				}
				ids[answer.ID] = fmt.Sprintf("c%d", i)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// Every node reads every schema by its id and lists every subject.
	want := []string{"again", "first"}
	for i := 1; i < 6; i++ {
		want = append(want, fmt.Sprintf("s%d", i))
	}
	for id, subj := range ids {
		want = append(want, subj)
		_ = id
	}
	slices.Sort(want)
	for n, r := range regs {
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, out := r.do("GET", "/subjects", nil)
			var got []string
			json.Unmarshal([]byte(out), &got)
			if slices.Equal(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d lists %v, want %v", n, got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for id, subj := range ids {
			r.expect("GET", fmt.Sprintf("/schemas/ids/%d/subjects", id), nil, 200, `["`+subj+`"]`)
		}
	}
}

// TestClusterValidationSeesNewSchemas proves that a producer that
// registers a schema on one node and at once produces to a validated
// topic led by another node is not refused: the leader's registry
// catches up with _schemas before it refuses a record.
func TestClusterValidationSeesNewSchemas(t *testing.T) {
	c := nodetest.StartCluster(t, 2, map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"})
	regs := make([]*registry, len(c.Nodes))
	for i, n := range c.Nodes {
		regs[i] = &registry{t: t, url: "http://" + n.SchemaRegistryAddr().String()}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Nodes[0].Addr), kgo.RecordRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One single-replica topic on each node, so that some produce goes to
	// a leader other than the node that registered.
	adm := kadm.NewClient(cl)
	for i := range c.Nodes {
		topic := fmt.Sprintf("fresh-%d", i)
		resp, err := adm.CreateTopic(ctx, 1, -1, map[string]*string{"confluent.value.schema.validation": on()}, topic)
		if err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
	}
	for i := range 20 {
		for topic := range 2 {
			reg := regs[i%2]
			id := reg.register(fmt.Sprintf("fresh-%d-value", topic), avroBody(fmt.Sprintf(`{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"f%d","type":"int","default":0}]}`, i)))
			if err := produce(t, cl, fmt.Sprintf("fresh-%d", topic), nil, wire(id, avroLong(1))); err != nil {
				t.Fatalf("round %d, topic fresh-%d: a schema registered on node %d refused: %v", i, topic, i%2+1, err)
			}
		}
	}
}
