package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestFetchSessions proves KIP-227 as clients see it: a new session answers
// every partition and an id; incremental fetches answer only partitions with
// news, keep the fetch offsets of partitions they do not name, forget
// partitions on request; wrong epochs and unknown ids answer their errors.
func TestFetchSessions(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "sess", 2, nil)
	cl := newClient(t, n.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	id := topicID(t, cl, "sess")
	produceTo := func(p int32, v string) {
		t.Helper()
		if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "sess", Partition: p, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produceTo(0, "a")

	fetch := func(sessionID, epoch int32, parts map[int32]int64, forget []int32) *kmsg.FetchResponse {
		t.Helper()
		req := kmsg.NewPtrFetchRequest()
		req.SessionID, req.SessionEpoch, req.MaxBytes, req.MaxWaitMillis = sessionID, epoch, 1<<20, 0
		if len(parts) > 0 {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic, rt.TopicID = "sess", id
			for p, off := range parts {
				rp := kmsg.NewFetchRequestTopicPartition()
				rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, off, 1<<20
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		if len(forget) > 0 {
			req.ForgottenTopics = []kmsg.FetchRequestForgottenTopic{{Topic: "sess", TopicID: id, Partitions: forget}}
		}
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	answered := func(resp *kmsg.FetchResponse) map[int32]int {
		t.Helper()
		if resp.ErrorCode != 0 {
			t.Fatalf("fetch: %v", kerr.ErrorForCode(resp.ErrorCode))
		}
		out := map[int32]int{}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode != 0 {
					t.Fatalf("partition %d: %v", rp.Partition, kerr.ErrorForCode(rp.ErrorCode))
				}
				out[rp.Partition] = len(rp.RecordBatches)
			}
		}
		return out
	}

	full := fetch(0, 0, map[int32]int64{0: 0, 1: 0}, nil)
	if full.SessionID == 0 {
		t.Fatal("no session created")
	}
	if got := answered(full); len(got) != 2 || got[0] == 0 {
		t.Fatalf("new session answered %v", got)
	}
	sid := full.SessionID
	if got := answered(fetch(sid, 1, map[int32]int64{0: 1}, nil)); len(got) != 0 {
		t.Fatalf("nothing changed but incremental fetch answered %v", got)
	}
	produceTo(1, "b")
	if got := answered(fetch(sid, 2, nil, nil)); len(got) != 1 || got[1] == 0 {
		t.Fatalf("after producing to partition 1: %v", got)
	}
	if resp := fetch(sid, 2, nil, nil); resp.ErrorCode != kerr.InvalidFetchSessionEpoch.Code {
		t.Fatalf("reused epoch answered %d", resp.ErrorCode)
	}
	if resp := fetch(sid+1, 1, nil, nil); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("unknown session answered %d", resp.ErrorCode)
	}
	// Partition 1's fetch offset in the session is still 0, so a new record
	// there shows up; once forgotten, it does not.
	produceTo(1, "c")
	if got := answered(fetch(sid, 3, nil, []int32{1})); len(got) != 0 {
		t.Fatalf("forgotten partition answered %v", got)
	}
	produceTo(0, "d")
	if got := answered(fetch(sid, 4, nil, nil)); len(got) != 1 || got[0] == 0 {
		t.Fatalf("after producing to partition 0: %v", got)
	}
	// Epoch 0 with the session's id is a full fetch that replaces the
	// session: how a client resets after INVALID_FETCH_SESSION_EPOCH.
	reset := fetch(sid, 0, map[int32]int64{0: 0}, nil)
	if got := answered(reset); reset.SessionID == 0 || reset.SessionID == sid || len(got) != 1 {
		t.Fatalf("resetting fetch: session %d (old %d), answered %v", reset.SessionID, sid, got)
	}
	if resp := fetch(sid, 5, nil, nil); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("replaced session answered %d", resp.ErrorCode)
	}
	sid = reset.SessionID
	if resp := fetch(sid, -1, map[int32]int64{0: 0}, nil); resp.SessionID != 0 || resp.ErrorCode != 0 {
		t.Fatalf("closing fetch: %+v", resp)
	}
	if resp := fetch(sid, 1, nil, nil); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("closed session answered %d", resp.ErrorCode)
	}
}
