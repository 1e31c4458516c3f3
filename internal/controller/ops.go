package controller

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// Errors returned by operations; the handler maps them to Kafka codes.
var (
	ErrTopicExists              = errors.New("topic already exists")
	ErrUnknownTopic             = errors.New("unknown topic")
	ErrInvalidTopic             = errors.New("invalid topic name")
	ErrInvalidPartitions        = errors.New("invalid number of partitions")
	ErrInvalidReplicationFactor = errors.New("invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("invalid replica assignment")
	ErrInvalidConfig            = errors.New("invalid config")
	ErrPolicyViolation          = errors.New("policy violation")
)

// MaxPartitionsPerRequest is Kafka's bound on the partitions one request may
// create: their records must fit in one atomic metadata batch.
const MaxPartitionsPerRequest = 10000

// errTooManyPartitions is Kafka's message for that bound.
var errTooManyPartitions = fmt.Errorf("%w: Excessively large number of partitions per request.", ErrPolicyViolation)

// maxTopicNameLength is Kafka's limit (249, so that "<topic>-<partition>"
// directories and their "-delete" renames fit in 255 bytes).
const maxTopicNameLength = 249

// ValidateTopicName applies Kafka's rules for topic names.
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: topic name is empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: topic name cannot be %q", ErrInvalidTopic, name)
	case len(name) > maxTopicNameLength:
		return fmt.Errorf("%w: topic name is longer than %d characters", ErrInvalidTopic, maxTopicNameLength)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: topic name %q contains %q; legal characters are ASCII alphanumerics, '.', '_' and '-'", ErrInvalidTopic, name, c)
		}
	}
	return nil
}

// TopicSpec is a request to create a topic. Zero NumPartitions and
// ReplicationFactor mean the broker defaults (-1 on the wire).
type TopicSpec struct {
	Name              string
	NumPartitions     int32
	ReplicationFactor int16
	Assignments       map[int32][]int32 // explicit replica assignment, if any
	Configs           map[string]string
}

// Cluster is what operations need to know beyond the image: the defaults
// and the config schema of the controller's configuration. The brokers
// come from the image's registrations.
type Cluster struct {
	// NodeID is the node whose dynamic broker configs a topic's unset
	// configs inherit.
	NodeID                   kafka.NodeID
	DefaultPartitions        int32
	DefaultReplicationFactor int16
	// Config is the static configuration, whose schema checks config
	// names and values; nil accepts any config.
	Config *config.Config
	// BalanceInterval is how often the active controller moves leadership
	// back to preferred replicas (leader.imbalance.check.interval.seconds
	// when auto.leader.rebalance.enable); 0 never does.
	BalanceInterval time.Duration
	// ImbalancePercent is leader.imbalance.per.broker.percentage.
	ImbalancePercent int
	// Tokens are the delegation token lifetimes.
	Tokens TokenLifetimes
}

// ClusterOf returns the Cluster of a node's configuration.
func ClusterOf(cfg *config.Config) Cluster {
	return Cluster{
		NodeID:                   kafka.NodeID(cfg.NodeID),
		DefaultPartitions:        cfg.NumPartitions,
		DefaultReplicationFactor: cfg.DefaultReplicationFactor,
		Config:                   cfg.Static(),
		BalanceInterval:          balanceInterval(cfg),
		ImbalancePercent:         atoi(cfg.Values["leader.imbalance.per.broker.percentage"]),
		Tokens: TokenLifetimes{
			Max:           millis(cfg.Values["delegation.token.max.lifetime.ms"]),
			Renewal:       millis(cfg.Values["delegation.token.expiry.time.ms"]),
			CheckInterval: millis(cfg.Values["delegation.token.expiry.check.interval.ms"]),
		},
	}
}

func balanceInterval(cfg *config.Config) time.Duration {
	if cfg.Values["auto.leader.rebalance.enable"] != "true" {
		return 0
	}
	return time.Duration(atoi(cfg.Values["leader.imbalance.check.interval.seconds"])) * time.Second
}

func millis(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Millisecond
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// registered reports whether broker id is registered, fenced or not.
func registered(img *metadata.Image, id int32) bool {
	_, ok := img.Broker(kafka.NodeID(id))
	return ok
}

// CreateTopic returns the records that create spec.
func CreateTopic(img *metadata.Image, c Cluster, spec TopicSpec, id kafka.TopicID) ([]metadata.Record, error) {
	if err := ValidateTopicName(spec.Name); err != nil {
		return nil, err
	}
	if _, ok := img.Topic(spec.Name); ok {
		return nil, fmt.Errorf("%w: Topic '%s' already exists.", ErrTopicExists, spec.Name)
	}
	if err := checkCollision(img, spec.Name); err != nil {
		return nil, err
	}
	assignment, err := assign(img, c, spec)
	if err != nil {
		return nil, err
	}
	if err := validateTopicConfigs(c, spec); err != nil {
		return nil, err
	}
	recs := []metadata.Record{{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: spec.Name, ID: id}}}
	for p, replicas := range assignment {
		recs = append(recs, partitionRecord(id, int32(p), replicas))
	}
	for _, name := range sortedKeys(spec.Configs) {
		v := spec.Configs[name]
		recs = append(recs, metadata.Record{Type: metadata.TypeConfig, Config: &metadata.ConfigRecord{
			ResourceType: metadata.ResourceTopic, ResourceName: spec.Name, Name: name, Value: &v,
		}})
	}
	return recs, nil
}

// checkCollision rejects a name that differs from an existing topic only in
// '.' versus '_', as Kafka does: both map to the same metric names.
func checkCollision(img *metadata.Image, name string) error {
	norm := strings.ReplaceAll(name, ".", "_")
	for _, other := range img.TopicNames() {
		if strings.ReplaceAll(other, ".", "_") == norm {
			return fmt.Errorf("%w: Topic '%s' collides with existing topic: %s", ErrInvalidTopic, name, other)
		}
	}
	return nil
}

func assign(img *metadata.Image, c Cluster, spec TopicSpec) ([][]int32, error) {
	if len(spec.Assignments) > 0 {
		return explicitAssignment(img, spec)
	}
	partitions, rf := spec.NumPartitions, spec.ReplicationFactor
	if partitions == -1 || partitions == 0 && rf == 0 {
		partitions = c.DefaultPartitions
	}
	if rf == -1 || rf == 0 {
		rf = c.DefaultReplicationFactor
	}
	if partitions <= 0 {
		return nil, fmt.Errorf("%w: Number of partitions must be larger than 0.", ErrInvalidPartitions)
	}
	if partitions > MaxPartitionsPerRequest {
		return nil, errTooManyPartitions
	}
	if rf <= 0 {
		return nil, fmt.Errorf("%w: Replication factor must be larger than 0.", ErrInvalidReplicationFactor)
	}
	return place(img, placementBrokers(img), 0, partitions, rf)
}

func explicitAssignment(img *metadata.Image, spec TopicSpec) ([][]int32, error) {
	if spec.NumPartitions > 0 || spec.ReplicationFactor > 0 {
		return nil, fmt.Errorf("%w: Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.", ErrInvalidRequest)
	}
	out := make([][]int32, len(spec.Assignments))
	for p, replicas := range spec.Assignments {
		if p < 0 || int(p) >= len(out) {
			return nil, fmt.Errorf("%w: partitions should be a consecutive 0-based integer sequence", ErrInvalidReplicaAssignment)
		}
		if err := checkReplicas(img, replicas); err != nil {
			return nil, err
		}
		out[p] = replicas
	}
	return out, nil
}

// ErrInvalidRequest is a request whose fields contradict each other.
var ErrInvalidRequest = errors.New("invalid request")

func checkReplicas(img *metadata.Image, replicas []int32) error {
	if len(replicas) == 0 {
		return fmt.Errorf("%w: empty replica list", ErrInvalidReplicaAssignment)
	}
	seen := map[int32]bool{}
	for _, r := range replicas {
		if seen[r] {
			return fmt.Errorf("%w: duplicate replica %d", ErrInvalidReplicaAssignment, r)
		}
		seen[r] = true
		if !registered(img, r) {
			return fmt.Errorf("%w: broker %d is not registered", ErrInvalidReplicaAssignment, r)
		}
	}
	return nil
}

func validateTopicConfigs(c Cluster, spec TopicSpec) error {
	if c.Config == nil || len(spec.Configs) == 0 {
		return nil
	}
	if err := config.ValidateTopicConfigs(spec.Configs); err != nil {
		return kafkaErrorf(ErrInvalidConfig, "%s", err)
	}
	return nil
}

func partitionRecord(id kafka.TopicID, p int32, replicas []int32) metadata.Record {
	return metadata.Record{Type: metadata.TypePartition, Partition: &metadata.PartitionRecord{
		TopicID: id, Partition: p, Replicas: replicas, ISR: append([]int32(nil), replicas...),
		Leader: replicas[0], LeaderEpoch: 0, PartitionEpoch: 0,
	}}
}

// DeleteTopic returns the records that delete the topic.
func DeleteTopic(img *metadata.Image, id kafka.TopicID) ([]metadata.Record, error) {
	t, ok := img.TopicByID(id)
	if !ok {
		return nil, ErrUnknownTopic
	}
	return []metadata.Record{{Type: metadata.TypeRemoveTopic, RemoveTopic: &metadata.RemoveTopicRecord{ID: t.ID}}}, nil
}

// CreatePartitions returns the records that grow topic to count partitions.
func CreatePartitions(img *metadata.Image, topic string, count int32, assignments [][]int32) ([]metadata.Record, error) {
	t, ok := img.Topic(topic)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTopic, topic)
	}
	have := int32(len(t.Partitions))
	switch {
	case count < have:
		return nil, fmt.Errorf("%w: Topic currently has %d partitions, which is higher than the requested %d.", ErrInvalidPartitions, have, count)
	case count == have:
		return nil, fmt.Errorf("%w: Topic already has %d partitions.", ErrInvalidPartitions, have)
	}
	if count-have > MaxPartitionsPerRequest {
		return nil, errTooManyPartitions
	}
	if assignments != nil && int32(len(assignments)) != count-have {
		return nil, fmt.Errorf("%w: Increasing the number of partitions by %d but %d assignments provided.", ErrInvalidReplicaAssignment, count-have, len(assignments))
	}
	rf := int16(len(t.Partitions[0].Replicas))
	if assignments == nil {
		var err error
		if assignments, err = place(img, placementBrokers(img), have, count-have, rf); err != nil {
			return nil, err
		}
	}
	var recs []metadata.Record
	for i, replicas := range assignments {
		if err := checkReplicas(img, replicas); err != nil {
			return nil, err
		}
		recs = append(recs, partitionRecord(t.ID, have+int32(i), replicas))
	}
	return recs, nil
}

// AllocateProducerIDs returns the record that reserves the next block of size ids, and the first id.
func AllocateProducerIDs(img *metadata.Image, size int64) ([]metadata.Record, kafka.ProducerID) {
	first := img.NextProducerID()
	return []metadata.Record{{Type: metadata.TypeProducerIDs, ProducerIDs: &metadata.ProducerIDsRecord{NextProducerID: first + size}}}, kafka.ProducerID(first)
}

// RegisterBroker returns the record that registers b, replacing any
// earlier registration of its id, with epoch as its broker epoch.
func RegisterBroker(b metadata.Broker, epoch int64) []metadata.Record {
	b.Epoch = epoch
	return []metadata.Record{{Type: metadata.TypeBroker, Broker: &b}}
}
