package metadata

import (
	"slices"
	"testing"

	"gregor/internal/kafka"
)

// TestApplyTopicLifecycle proves that records build the image they describe,
// that earlier images are not modified, and that records survive encoding.
func TestApplyTopicLifecycle(t *testing.T) {
	id := kafka.NewTopicID()
	v := "compact"
	recs := []Record{
		{Type: TypeTopic, Topic: &TopicRecord{Name: "orders", ID: id}},
		{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
		{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceTopic, ResourceName: "orders", Name: "cleanup.policy", Value: &v}},
		{Type: TypeProducerIDs, ProducerIDs: &ProducerIDsRecord{NextProducerID: 1000}},
	}
	var decoded []Record
	for _, r := range recs {
		d, err := Decode(r.Encode())
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, d)
	}
	empty := Empty()
	img, err := empty.Apply(decoded)
	if err != nil {
		t.Fatal(err)
	}
	topic, ok := img.Topic("orders")
	if !ok || topic.ID != id || len(topic.Partitions) != 2 {
		t.Fatalf("topic = %+v, %v", topic, ok)
	}
	if img.Configs(ConfigResource{ResourceTopic, "orders"})["cleanup.policy"] != "compact" {
		t.Fatal("config not applied")
	}
	if img.NextProducerID() != 1000 {
		t.Fatalf("next producer id %d", img.NextProducerID())
	}
	if len(empty.TopicNames()) != 0 {
		t.Fatal("Apply modified its receiver")
	}
	img2, err := img.Apply([]Record{{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 2, Replicas: []int32{1}, Leader: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if t1, _ := img.Topic("orders"); len(t1.Partitions) != 2 {
		t.Fatal("adding a partition modified the previous image")
	}
	if t2, _ := img2.Topic("orders"); len(t2.Partitions) != 3 {
		t.Fatal("partition not added")
	}
	img3, err := img2.Apply([]Record{{Type: TypeRemoveTopic, RemoveTopic: &RemoveTopicRecord{ID: id}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img3.Topic("orders"); ok || img3.Configs(ConfigResource{ResourceTopic, "orders"}) != nil {
		t.Fatal("topic or its configs survived removal")
	}
}

// TestApplyRejectsInconsistentRecords proves a damaged log is detected
// rather than silently applied.
func TestApplyRejectsInconsistentRecords(t *testing.T) {
	id := kafka.NewTopicID()
	img := Empty()
	for _, recs := range [][]Record{
		{{Type: TypePartition, Partition: &PartitionRecord{TopicID: id}}},
		{{Type: TypeTopic, Topic: &TopicRecord{Name: "a", ID: id}}, {Type: TypeTopic, Topic: &TopicRecord{Name: "a", ID: kafka.NewTopicID()}}},
		{{Type: TypeTopic, Topic: &TopicRecord{Name: "a", ID: id}}, {Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 3}}},
		{{Type: TypeRemoveTopic, RemoveTopic: &RemoveTopicRecord{ID: id}}},
	} {
		if _, err := img.Apply(recs); err == nil {
			t.Errorf("Apply(%+v) succeeded", recs)
		}
	}
	if _, err := Decode([]byte(`{"type":"topic"}`)); err == nil {
		t.Error("Decode accepted a record without payload")
	}
}

// TestApplyBrokerRegistrations proves that broker registration records
// survive encoding, that a later registration of the same id replaces the
// earlier one, and that Brokers lists every registration sorted by id.
func TestApplyBrokerRegistrations(t *testing.T) {
	rack := "r1"
	first, second := kafka.NewTopicID(), kafka.NewTopicID()
	endpoint := Endpoint{Listener: "PLAINTEXT", Host: "localhost", Port: 9092, SecurityProtocol: "PLAINTEXT"}
	reg := func(id kafka.NodeID, inc kafka.TopicID, epoch int64, fenced bool) Record {
		return Record{Type: TypeBroker, Broker: &Broker{ID: id, IncarnationID: inc, Epoch: epoch, Endpoints: []Endpoint{endpoint}, Rack: &rack, Fenced: fenced}}
	}
	for _, tc := range []struct {
		name    string
		recs    []Record
		wantIDs []kafka.NodeID
		want3   *Broker // broker 3 as the image should hold it, if registered
	}{
		{"none", nil, []kafka.NodeID{}, nil},
		{"one", []Record{reg(3, first, 5, false)}, []kafka.NodeID{3}, &Broker{ID: 3, IncarnationID: first, Epoch: 5, Endpoints: []Endpoint{endpoint}, Rack: &rack}},
		{"sorted", []Record{reg(3, first, 5, false), reg(1, second, 6, true), reg(2, first, 7, false)}, []kafka.NodeID{1, 2, 3}, &Broker{ID: 3, IncarnationID: first, Epoch: 5, Endpoints: []Endpoint{endpoint}, Rack: &rack}},
		{"re-registration replaces", []Record{reg(3, first, 5, false), reg(3, second, 9, true)}, []kafka.NodeID{3}, &Broker{ID: 3, IncarnationID: second, Epoch: 9, Endpoints: []Endpoint{endpoint}, Rack: &rack, Fenced: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var decoded []Record
			for _, r := range tc.recs {
				d, err := Decode(r.Encode())
				if err != nil {
					t.Fatal(err)
				}
				decoded = append(decoded, d)
			}
			img, err := Empty().Apply(decoded)
			if err != nil {
				t.Fatal(err)
			}
			ids := []kafka.NodeID{}
			for _, b := range img.Brokers() {
				ids = append(ids, b.ID)
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("Brokers() ids = %v, want %v", ids, tc.wantIDs)
			}
			got, ok := img.Broker(3)
			if (tc.want3 != nil) != ok {
				t.Fatalf("Broker(3) registered = %v", ok)
			}
			if ok && (got.IncarnationID != tc.want3.IncarnationID || got.Epoch != tc.want3.Epoch || got.Fenced != tc.want3.Fenced ||
				*got.Rack != *tc.want3.Rack || !slices.Equal(got.Endpoints, tc.want3.Endpoints)) {
				t.Fatalf("Broker(3) = %+v, want %+v", got, *tc.want3)
			}
			if e, has := got.Endpoint("PLAINTEXT"); has != ok || has && e != endpoint {
				t.Fatalf("Endpoint(PLAINTEXT) = %+v, %v", e, ok)
			}
		})
	}
	if _, err := Decode([]byte(`{"type":"broker"}`)); err == nil {
		t.Error("Decode accepted a broker record without payload")
	}
}
