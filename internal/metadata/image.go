package metadata

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

// Image is the cluster metadata at one point of the metadata log. It is
// immutable: Apply returns a new Image sharing unchanged parts.
type Image struct {
	topics         map[string]*Topic
	topicsByID     map[kafka.TopicID]*Topic
	configs        map[ConfigResource]map[string]string
	brokers        map[kafka.NodeID]Broker
	nextProducerID int64
	scram          map[ScramKey]ScramCredential       // see scram.go
	acls           map[kafka.TopicID]acl.Binding      // see acl.go
	aclIndex       *acl.Index                         // the acls arranged for checks; nil when none ever stored
	aclsCopied     bool                               // acls is this image's own copy, during Apply
	quotas         map[QuotaEntity]map[string]float64 // client quotas; see quota.go
	features       map[string]int16                   // finalized feature levels written; see features.go
	featuresEpoch  int64
	tokens         map[string]DelegationToken // by token id; see token.go
	written        bool                       // a record has been applied (see Written)
}

// ConfigResource names an entity that has configs.
type ConfigResource struct {
	Type ResourceType
	Name string
}

// Topic is one topic. Partitions is indexed by partition number.
type Topic struct {
	Name       string
	ID         kafka.TopicID
	Partitions []Partition
}

// Partition is one partition's assignment and leadership.
type Partition struct {
	Partition      int32
	Replicas       []int32
	ISR            []int32
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
	// AddingReplicas and RemovingReplicas: see PartitionRecord.
	AddingReplicas   []int32
	RemovingReplicas []int32
	// OfflineReplicas: see PartitionRecord.
	OfflineReplicas []int32
}

// Reassigning reports whether a reassignment of p is in progress.
func (p Partition) Reassigning() bool {
	return len(p.AddingReplicas) > 0 || len(p.RemovingReplicas) > 0
}

// Record returns the record that sets p, a partition of topic id.
func (p Partition) Record(id kafka.TopicID) Record {
	return Record{Type: TypePartition, Partition: &PartitionRecord{
		TopicID: id, Partition: p.Partition, Replicas: p.Replicas, ISR: p.ISR,
		Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch,
		AddingReplicas: p.AddingReplicas, RemovingReplicas: p.RemovingReplicas,
		OfflineReplicas: p.OfflineReplicas,
	}}
}

// Empty returns the image of an empty metadata log.
func Empty() *Image {
	return &Image{
		topics:     map[string]*Topic{},
		topicsByID: map[kafka.TopicID]*Topic{},
		configs:    map[ConfigResource]map[string]string{},
		brokers:    map[kafka.NodeID]Broker{},
	}
}

// Topic returns the topic named name.
func (img *Image) Topic(name string) (*Topic, bool) {
	t, ok := img.topics[name]
	return t, ok
}

// TopicByID returns the topic with id.
func (img *Image) TopicByID(id kafka.TopicID) (*Topic, bool) {
	t, ok := img.topicsByID[id]
	return t, ok
}

// TopicNames returns every topic name, sorted.
func (img *Image) TopicNames() []string {
	names := make([]string, 0, len(img.topics))
	for n := range img.topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Configs returns the explicitly set configs of r (nil if none). The map must not be modified.
func (img *Image) Configs(r ConfigResource) map[string]string { return img.configs[r] }

// ConfigResourceNames returns, sorted, the names of the resources of type
// typ that set configs.
func (img *Image) ConfigResourceNames(typ ResourceType) []string {
	var names []string
	for r := range img.configs {
		if r.Type == typ {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}

// BrokerConfigs returns the dynamic configs of broker nodeID and the dynamic
// cluster defaults (broker resource ""), either nil if none. The maps must
// not be modified.
func (img *Image) BrokerConfigs(nodeID int32) (perBroker, clusterDefault map[string]string) {
	perBroker = img.configs[ConfigResource{Type: ResourceBroker, Name: strconv.Itoa(int(nodeID))}]
	return perBroker, img.configs[ConfigResource{Type: ResourceBroker}]
}

// Brokers returns every registered broker, fenced or not, sorted by id.
func (img *Image) Brokers() []Broker {
	out := make([]Broker, 0, len(img.brokers))
	for _, id := range slices.Sorted(maps.Keys(img.brokers)) {
		out = append(out, img.brokers[id])
	}
	return out
}

// Broker returns the registration of broker id.
func (img *Image) Broker(id kafka.NodeID) (Broker, bool) {
	b, ok := img.brokers[id]
	return b, ok
}

// NextProducerID is the first producer id not yet handed out.
func (img *Image) NextProducerID() int64 { return img.nextProducerID }

// Apply returns the image after recs. It fails, leaving img unchanged, on a
// record that does not fit the image (a partition of an unknown topic, a
// duplicate topic): the controller never writes such records, so an error
// here means a damaged metadata log.
func (img *Image) Apply(recs []Record) (*Image, error) {
	next := &Image{
		topics:         maps.Clone(img.topics),
		topicsByID:     maps.Clone(img.topicsByID),
		configs:        maps.Clone(img.configs),
		brokers:        maps.Clone(img.brokers),
		nextProducerID: img.nextProducerID,
		scram:          maps.Clone(img.scram),
		acls:           img.acls,
		aclIndex:       img.aclIndex,
		quotas:         maps.Clone(img.quotas),
		features:       maps.Clone(img.features),
		featuresEpoch:  img.featuresEpoch,
		tokens:         maps.Clone(img.tokens),
		written:        img.written || len(recs) > 0,
	}
	copied := map[kafka.TopicID]bool{}
	for _, r := range recs {
		if err := next.apply(r, copied); err != nil {
			return img, err
		}
	}
	next.finishACLs()
	return next, nil
}

func (img *Image) apply(r Record, copied map[kafka.TopicID]bool) error {
	switch r.Type {
	case TypeTopic:
		return img.applyTopic(*r.Topic, copied)
	case TypePartition:
		return img.applyPartition(*r.Partition, copied)
	case TypeRemoveTopic:
		return img.applyRemoveTopic(*r.RemoveTopic)
	case TypeConfig:
		img.applyConfig(*r.Config)
	case TypeProducerIDs:
		if r.ProducerIDs.NextProducerID > img.nextProducerID {
			img.nextProducerID = r.ProducerIDs.NextProducerID
		}
	case TypeBroker:
		img.brokers[r.Broker.ID] = *r.Broker
	case TypeUnregisterBroker:
		if b, ok := img.brokers[r.Unregister.ID]; !ok || b.Epoch != r.Unregister.Epoch {
			return fmt.Errorf("metadata: unregister broker %d of epoch %d: no such registration", r.Unregister.ID, r.Unregister.Epoch)
		}
		delete(img.brokers, r.Unregister.ID)
	case TypeScramCredential:
		img.applyScramCredential(*r.Scram)
	case TypeACL, TypeRemoveACL:
		return img.applyACL(r)
	case TypeClientQuota:
		img.applyClientQuota(*r.ClientQuota)
	case TypeFeatureLevel:
		img.applyFeatureLevel(*r.FeatureLevel)
	case TypeDelegationToken, TypeRemoveDelegationToken:
		img.applyDelegationToken(r)
	default:
		return fmt.Errorf("metadata: unknown record type %q", r.Type)
	}
	return nil
}

func (img *Image) applyTopic(r TopicRecord, copied map[kafka.TopicID]bool) error {
	if _, dup := img.topics[r.Name]; dup {
		return fmt.Errorf("metadata: topic %q already exists", r.Name)
	}
	if _, dup := img.topicsByID[r.ID]; dup {
		return fmt.Errorf("metadata: topic id %s already exists", r.ID)
	}
	t := &Topic{Name: r.Name, ID: r.ID}
	img.topics[r.Name] = t
	img.topicsByID[r.ID] = t
	copied[r.ID] = true
	return nil
}

func (img *Image) applyPartition(r PartitionRecord, copied map[kafka.TopicID]bool) error {
	t, ok := img.topicsByID[r.TopicID]
	if !ok {
		return fmt.Errorf("metadata: partition %d of unknown topic id %s", r.Partition, r.TopicID)
	}
	if !copied[r.TopicID] {
		clone := *t
		clone.Partitions = append([]Partition(nil), t.Partitions...)
		t = &clone
		img.topics[t.Name] = t
		img.topicsByID[t.ID] = t
		copied[r.TopicID] = true
	}
	p := Partition{
		Partition: r.Partition, Replicas: r.Replicas, ISR: r.ISR,
		Leader: r.Leader, LeaderEpoch: r.LeaderEpoch, PartitionEpoch: r.PartitionEpoch,
		AddingReplicas: r.AddingReplicas, RemovingReplicas: r.RemovingReplicas,
		OfflineReplicas: r.OfflineReplicas,
	}
	switch {
	case int(r.Partition) < len(t.Partitions):
		t.Partitions[r.Partition] = p
	case int(r.Partition) == len(t.Partitions):
		t.Partitions = append(t.Partitions, p)
	default:
		return fmt.Errorf("metadata: partition %d of %q skips partition %d", r.Partition, t.Name, len(t.Partitions))
	}
	return nil
}

func (img *Image) applyRemoveTopic(r RemoveTopicRecord) error {
	t, ok := img.topicsByID[r.ID]
	if !ok {
		return fmt.Errorf("metadata: remove of unknown topic id %s", r.ID)
	}
	delete(img.topics, t.Name)
	delete(img.topicsByID, t.ID)
	delete(img.configs, ConfigResource{Type: ResourceTopic, Name: t.Name})
	return nil
}

func (img *Image) applyConfig(r ConfigRecord) {
	res := ConfigResource{Type: r.ResourceType, Name: r.ResourceName}
	cfg := maps.Clone(img.configs[res])
	if cfg == nil {
		cfg = map[string]string{}
	}
	if r.Value == nil {
		delete(cfg, r.Name)
	} else {
		cfg[r.Name] = *r.Value
	}
	if len(cfg) == 0 {
		delete(img.configs, res)
		return
	}
	img.configs[res] = cfg
}

func errUnknownACL(id kafka.TopicID) error {
	return fmt.Errorf("metadata: remove of unknown ACL id %s", id)
}
