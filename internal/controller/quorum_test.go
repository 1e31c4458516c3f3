package controller

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestSnapshotBoundsReplay proves that a snapshot is taken every
// SnapshotEvery entries, that the log below it is dropped, and that a
// restart loads the checkpoint plus the entries after it into the same
// image.
func TestSnapshotBoundsReplay(t *testing.T) {
	dir := t.TempDir()
	var published *metadata.Image
	publish := func(_, next *metadata.Image) { published = next }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := Quorum{NodeID: 1, SnapshotEvery: 5}
	c, err := OpenQuorum(openLog(t, dir), q, threeBrokers, publish, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	if _, err := c.Submit(ctx, RegisterBrokerRequest{Broker: metadata.Broker{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		name := "t" + string(rune('a'+i))
		resp, err := c.Submit(ctx, CreateTopicsRequest{Topics: []TopicSpec{{Name: name, NumPartitions: 1, ReplicationFactor: 1}}})
		if err != nil || resp.(CreateTopicsResponse).Topics[0].Err != nil {
			t.Fatal(err, resp)
		}
	}
	cancel()
	<-done
	want := published
	cps, _ := filepath.Glob(filepath.Join(dir, "*.checkpoint"))
	if len(cps) != 1 {
		t.Fatalf("checkpoints %v, want the newest only", cps)
	}
	l := openLog(t, dir)
	if l.LogStartOffset() < 10 {
		t.Fatalf("log start %d: the log below the snapshot was kept", l.LogStartOffset())
	}
	l.Close()
	c, err = OpenQuorum(openLog(t, dir), q, threeBrokers, publish, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.log.Close()
	if len(published.TopicNames()) != 12 || len(published.TopicNames()) != len(want.TopicNames()) {
		t.Fatalf("reloaded %v, want %v", published.TopicNames(), want.TopicNames())
	}
	if _, err := os.Stat(filepath.Join(dir, quorumStateFile)); err != nil {
		t.Fatal(err)
	}
}

// TestForwardedRepliesKeepSentinels proves that a reply crossing to the
// forwarding node keeps its response, per-item errors and top-level error
// as the same sentinels with the same messages.
func TestForwardedRepliesKeepSentinels(t *testing.T) {
	itemErr := kafkaErrorf(ErrTopicExists, "Topic 'a' already exists.")
	topic := &metadata.Topic{Name: "b", ID: kafka.NewTopicID()}
	in := reply{resp: CreateTopicsResponse{Topics: []CreatedTopic{{Err: itemErr}, {Topic: topic}}}, err: nil, applied: 42}
	out, err := decodeReply(encodeReply(in))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.resp.(CreateTopicsResponse)
	if out.applied != 42 || !errors.Is(resp.Topics[0].Err, ErrTopicExists) || resp.Topics[0].Err.Error() != itemErr.Error() ||
		resp.Topics[1].Err != nil || resp.Topics[1].Topic.ID != topic.ID {
		t.Fatalf("decoded %+v", out)
	}
	out, _ = decodeReply(encodeReply(reply{err: ErrNotController}))
	if !errors.Is(out.err, ErrNotController) {
		t.Fatalf("top-level error %v", out.err)
	}
	req, err := decodeRequest(must(encodeRequest(CreateTopicsRequest{Topics: []TopicSpec{{Name: "x", Assignments: map[int32][]int32{0: {1, 2}}}}})))
	if err != nil || req.(CreateTopicsRequest).Topics[0].Assignments[0][1] != 2 {
		t.Fatalf("request %+v %v", req, err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
