package metadata

import (
	"reflect"
	"slices"
	"testing"

	"gregor/internal/kafka"
)

// TestRecordsRebuildTheImage proves that a snapshot's records, applied to
// the empty image, give back an equal image.
func TestRecordsRebuildTheImage(t *testing.T) {
	id := kafka.NewTopicID()
	v := "compact"
	img, err := Empty().Apply([]Record{
		{Type: TypeBroker, Broker: &Broker{ID: 2, Epoch: 7, Fenced: true}},
		{Type: TypeTopic, Topic: &TopicRecord{Name: "orders", ID: id}},
		{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 3, PartitionEpoch: 4}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceTopic, ResourceName: "orders", Name: "cleanup.policy", Value: &v}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceBroker, Name: "log.retention.ms", Value: &v}},
		{Type: TypeProducerIDs, ProducerIDs: &ProducerIDsRecord{NextProducerID: 1000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Empty().Apply(img.Records())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(img, again) {
		t.Fatalf("rebuilt image differs:\n%+v\n%+v", img, again)
	}
}

// TestReassignmentSurvivesSnapshotAndEncoding proves that a partition's
// adding and removing replicas are kept by the image's records (the
// snapshot) and by a record's encoding (the metadata log).
func TestReassignmentSurvivesSnapshotAndEncoding(t *testing.T) {
	id := kafka.NewTopicID()
	p := Partition{Partition: 0, Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}, Leader: 1, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}
	rec, err := Decode(p.Record(id).Encode())
	if err != nil {
		t.Fatal(err)
	}
	img, err := Empty().Apply([]Record{{Type: TypeTopic, Topic: &TopicRecord{Name: "t", ID: id}}, rec})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Empty().Apply(img.Records())
	if err != nil {
		t.Fatal(err)
	}
	topic, _ := again.Topic("t")
	got := topic.Partitions[0]
	if !got.Reassigning() || !slices.Equal(got.AddingReplicas, []int32{3}) || !slices.Equal(got.RemovingReplicas, []int32{1}) {
		t.Fatalf("after encoding and snapshot: %+v", got)
	}
}
