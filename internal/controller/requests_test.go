package controller

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/storage"
)

var testInputs = inputs{newTopicID: kafka.NewTopicID}

// TestCreatedReplicasComeFromRegisteredBrokers proves that topic and
// partition creation place replicas only on registered, unfenced brokers,
// and that with none registered nothing can be created.
func TestCreatedReplicasComeFromRegisteredBrokers(t *testing.T) {
	img := withBrokers(t, 2, 5, 7, 9)
	img = apply(t, img, RegisterBroker(metadata.Broker{ID: 9, Fenced: true}, 10))
	create := CreateTopicsRequest{Topics: []TopicSpec{{Name: "t", NumPartitions: 6, ReplicationFactor: 2}}}
	recs, resp, err := operate(img, threeBrokers, testInputs, create)
	if err != nil || resp.(CreateTopicsResponse).Topics[0].Err != nil {
		t.Fatalf("create: %v %+v", err, resp)
	}
	img = apply(t, img, recs)
	grow := CreatePartitionsRequest{Topics: []PartitionsSpec{{Topic: "t", Count: 9}}}
	recs, resp, err = operate(img, threeBrokers, testInputs, grow)
	if err != nil || resp.(CreatePartitionsResponse).Errs[0] != nil {
		t.Fatalf("grow: %v %+v", err, resp)
	}
	img = apply(t, img, recs)
	topic, _ := img.Topic("t")
	used := map[int32]bool{}
	for _, p := range topic.Partitions {
		for _, r := range p.Replicas {
			used[r] = true
		}
	}
	if got := slices.Sorted(maps.Keys(used)); !slices.Equal(got, []int32{2, 5, 7}) || len(topic.Partitions) != 9 {
		t.Fatalf("replicas on %v over %d partitions, want [2 5 7] over 9", got, len(topic.Partitions))
	}
	_, resp, _ = operate(metadata.Empty(), threeBrokers, testInputs, create)
	if err := resp.(CreateTopicsResponse).Topics[0].Err; !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("create with no broker registered: %v", err)
	}
}

// TestValidateOnlyWritesNothing proves that validate_only runs every check
// of every request kind that has it, answers as if it had written, and
// returns no records.
func TestValidateOnlyWritesNothing(t *testing.T) {
	img := withBrokers(t, 1, 2, 3)
	img = apply(t, img, mustCreate(t, img, "t"))
	for _, tc := range []struct {
		req      Request
		wantErrs []error
	}{
		{CreateTopicsRequest{Topics: []TopicSpec{{Name: "new", NumPartitions: 3, ReplicationFactor: 2}, {Name: "t"}}, ValidateOnly: true}, []error{nil, ErrTopicExists}},
		{CreatePartitionsRequest{Topics: []PartitionsSpec{{Topic: "t", Count: 4}, {Topic: "t", Count: 1}}, ValidateOnly: true}, []error{nil, ErrInvalidPartitions}},
		{AlterConfigsRequest{Resources: []ConfigAlteration{
			{Resource: topicRes("t"), Changes: []ConfigChange{{Name: "retention.ms", Op: ConfigSet, Value: "1"}}},
			{Resource: topicRes("t"), Replace: true, Configs: map[string]string{"retention.ms": "bad"}},
		}, ValidateOnly: true}, []error{nil, ErrInvalidConfig}},
	} {
		recs, resp, err := operate(img, schemaCluster, testInputs, tc.req)
		if err != nil || len(recs) != 0 {
			t.Errorf("%T: %d records, err %v", tc.req, len(recs), err)
		}
		errs := itemErrors(resp)
		for i, want := range tc.wantErrs {
			if (want == nil) != (errs[i] == nil) || want != nil && !errors.Is(errs[i], want) {
				t.Errorf("%T item %d: %v, want %v", tc.req, i, errs[i], want)
			}
		}
		if c, ok := resp.(CreateTopicsResponse); ok && (c.Topics[0].Topic == nil || len(c.Topics[0].Topic.Partitions) != 3) {
			t.Errorf("validate-only creation answered %+v", c.Topics[0].Topic)
		}
	}
}

func itemErrors(resp Response) []error {
	switch r := resp.(type) {
	case CreateTopicsResponse:
		var errs []error
		for _, t := range r.Topics {
			errs = append(errs, t.Err)
		}
		return errs
	case CreatePartitionsResponse:
		return r.Errs
	case AlterConfigsResponse:
		return r.Errs
	}
	return nil
}

// TestControllerExecutesTypedRequests proves the loop's path: a request's
// records are written, published before the answer, and replayed on reopen,
// and a re-registration replaces the broker with a later epoch.
func TestControllerExecutesTypedRequests(t *testing.T) {
	dir := t.TempDir()
	var published *metadata.Image
	publish := func(_, next *metadata.Image) { published = next }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := Open(openLog(t, dir), threeBrokers, publish, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	submit := func(req Request) Response {
		t.Helper()
		resp, err := c.Submit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := submit(RegisterBrokerRequest{Broker: metadata.Broker{ID: 1, IncarnationID: kafka.NewTopicID()}}).(RegisterBrokerResponse)
	created := submit(CreateTopicsRequest{Topics: []TopicSpec{{Name: "t", NumPartitions: 2, ReplicationFactor: 1}}}).(CreateTopicsResponse)
	if created.Topics[0].Err != nil {
		t.Fatal(created.Topics[0].Err)
	}
	if _, ok := published.Topic("t"); !ok {
		t.Fatal("the answer came before the image was published")
	}
	second := submit(RegisterBrokerRequest{Broker: metadata.Broker{ID: 1, IncarnationID: kafka.NewTopicID()}}).(RegisterBrokerResponse)
	if second.Epoch <= first.Epoch {
		t.Fatalf("epochs %d then %d", first.Epoch, second.Epoch)
	}
	ids := submit(AllocateProducerIDsRequest{Size: 10}).(AllocateProducerIDsResponse)
	cancel()
	<-done

	c, err = Open(openLog(t, dir), threeBrokers, publish, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.log.Close()
	if b, _ := published.Broker(1); b.Epoch != second.Epoch || len(published.Brokers()) != 1 {
		t.Fatalf("replayed broker %+v", published.Brokers())
	}
	if _, ok := published.Topic("t"); !ok || published.NextProducerID() != int64(ids.First)+10 {
		t.Fatal("replay lost the topic or the producer ids")
	}
}

// openLog opens the metadata log in dir as the node does.
func openLog(t *testing.T, dir string) MetadataLog {
	t.Helper()
	l, err := storage.Open(dir, storage.DefaultConfig(), time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
