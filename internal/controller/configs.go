package controller

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gregor/internal/config"
	"gregor/internal/metadata"
)

// ErrBrokerNotRegistered is a broker config resource naming a node the
// cluster does not know.
var ErrBrokerNotRegistered = errors.New("broker not registered")

// ConfigOp is an IncrementalAlterConfigs operation, numbered as on the wire.
type ConfigOp int8

// The IncrementalAlterConfigs operations (KIP-339).
const (
	ConfigSet      ConfigOp = 0
	ConfigDelete   ConfigOp = 1
	ConfigAppend   ConfigOp = 2 // add items to a LIST config, skipping those present
	ConfigSubtract ConfigOp = 3 // remove items from a LIST config
)

func (op ConfigOp) String() string {
	switch op {
	case ConfigSet:
		return "SET"
	case ConfigDelete:
		return "DELETE"
	case ConfigAppend:
		return "APPEND"
	case ConfigSubtract:
		return "SUBTRACT"
	}
	return strconv.Itoa(int(op))
}

// ConfigChange is one operation on one config of a resource.
type ConfigChange struct {
	Name  string
	Op    ConfigOp
	Value string // ignored by ConfigDelete
}

// IncrementalAlterConfigs returns the records that apply changes, in order,
// to the configs of res and leave its other configs alone. APPEND and
// SUBTRACT on a config the resource does not set start from the value it
// inherits. The resulting set is checked as a whole; nothing is written if
// any change fails.
func IncrementalAlterConfigs(img *metadata.Image, c Cluster, res metadata.ConfigResource, changes []ConfigChange) ([]metadata.Record, error) {
	current := img.Configs(res)
	next := maps.Clone(current)
	if next == nil {
		next = map[string]string{}
	}
	for _, ch := range changes {
		if err := applyChange(img, c, res, next, ch); err != nil {
			return nil, err
		}
	}
	if err := checkConfigs(img, c, res, next); err != nil {
		return nil, err
	}
	return configRecords(res, current, next), nil
}

// ReplaceConfigs returns the records that make configs the whole set of
// configs of res: Kafka's (legacy) AlterConfigs, which deletes every config
// the request does not name.
func ReplaceConfigs(img *metadata.Image, c Cluster, res metadata.ConfigResource, configs map[string]string) ([]metadata.Record, error) {
	if err := checkConfigs(img, c, res, configs); err != nil {
		return nil, err
	}
	return configRecords(res, img.Configs(res), configs), nil
}

func applyChange(img *metadata.Image, c Cluster, res metadata.ConfigResource, configs map[string]string, ch ConfigChange) error {
	switch ch.Op {
	case ConfigSet:
		configs[ch.Name] = ch.Value
		return nil
	case ConfigDelete:
		delete(configs, ch.Name)
		return nil
	case ConfigAppend, ConfigSubtract:
		if err := checkListConfig(c, res.Type, ch); err != nil {
			return err
		}
		base, ok := configs[ch.Name]
		if !ok {
			base = inherited(img, c, res, ch.Name)
		}
		configs[ch.Name] = editList(base, ch.Value, ch.Op == ConfigAppend)
		return nil
	}
	return kafkaErrorf(ErrInvalidRequest, "Unknown operations type %d", int8(ch.Op))
}

// checkListConfig refuses APPEND and SUBTRACT on a config that is not a
// LIST, with the message Kafka's controller (topics) or broker (brokers)
// sends.
func checkListConfig(c Cluster, typ metadata.ResourceType, ch ConfigChange) error {
	known, list := lookup(c, typ, ch.Name)
	switch {
	case list:
		return nil
	case typ == metadata.ResourceTopic, typ == metadata.ResourceGroup:
		return kafkaErrorf(ErrInvalidConfig, "Can't %s to key %s because its type is not LIST.", ch.Op, ch.Name)
	case !known:
		return kafkaErrorf(ErrInvalidConfig, "Unknown config name: %s", ch.Name)
	}
	return kafkaErrorf(ErrInvalidConfig, "Config value %s is not allowed for config key: %s", strings.ToLower(ch.Op.String()), ch.Name)
}

// editList adds (or removes) the comma-separated items of value to (from)
// the list base.
func editList(base, value string, add bool) string {
	items := splitItems(base)
	for _, v := range splitItems(value) {
		switch {
		case add && !slices.Contains(items, v):
			items = append(items, v)
		case !add:
			items = slices.DeleteFunc(items, func(it string) bool { return it == v })
		}
	}
	return strings.Join(items, ",")
}

func splitItems(list string) []string {
	var out []string
	for _, it := range strings.Split(list, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// checkConfigs checks the configs res would hold, in Kafka's order: the
// resource name, the values, then that the resource exists.
func checkConfigs(img *metadata.Image, c Cluster, res metadata.ConfigResource, configs map[string]string) error {
	switch res.Type {
	case metadata.ResourceTopic:
		return checkTopicConfigs(img, c, res, configs)
	case metadata.ResourceBroker:
		return checkBrokerConfigs(img, c, res, configs)
	case metadata.ResourceGroup:
		return checkGroupConfigs(c, res, configs)
	}
	return kafkaErrorf(ErrInvalidRequest, "Unknown resource type %d", int8(res.Type))
}

func checkTopicConfigs(img *metadata.Image, c Cluster, res metadata.ConfigResource, configs map[string]string) error {
	if res.Name == "" {
		return kafkaErrorf(ErrInvalidRequest, "Default topic resources are not allowed.")
	}
	if err := ValidateTopicName(res.Name); err != nil {
		return err
	}
	if c.Config != nil {
		if err := config.ValidateTopicConfigs(configs); err != nil {
			return kafkaErrorf(ErrInvalidConfig, "%s", err)
		}
	}
	if _, ok := img.Topic(res.Name); !ok {
		return kafkaErrorf(ErrUnknownTopic, "The topic '%s' does not exist.", res.Name)
	}
	return nil
}

// checkGroupConfigs checks a group resource as Kafka's controller does: a
// group name (the group need not exist), then the configs as a whole
// (INVALID_CONFIG with Kafka's message).
func checkGroupConfigs(c Cluster, res metadata.ConfigResource, configs map[string]string) error {
	if res.Name == "" {
		return kafkaErrorf(ErrInvalidRequest, "Default group resources are not allowed.")
	}
	if c.Config == nil {
		return nil
	}
	if err := c.Config.ValidateGroupConfigs(configs); err != nil {
		return kafkaErrorf(ErrInvalidConfig, "%s", err)
	}
	return nil
}

// checkBrokerConfigs checks a broker resource: "" (the cluster default) or
// a registered node id. Kafka answers INVALID_REQUEST for a broker config
// that fails validation.
func checkBrokerConfigs(img *metadata.Image, c Cluster, res metadata.ConfigResource, configs map[string]string) error {
	id := int64(-1)
	if res.Name != "" {
		n, err := strconv.ParseInt(res.Name, 10, 32)
		switch {
		case err != nil:
			return kafkaErrorf(ErrInvalidRequest, "Invalid broker name %s", res.Name)
		case n < 0:
			return kafkaErrorf(ErrInvalidRequest, "Invalid negative broker ID.")
		}
		id = n
	}
	if c.Config != nil {
		perBroker, clusterDefault := img.BrokerConfigs(int32(c.NodeID))
		if res.Name == "" {
			clusterDefault = configs
		} else {
			perBroker = configs
		}
		if err := c.Config.ValidateDynamic(perBroker, clusterDefault, res.Name == ""); err != nil {
			return kafkaErrorf(ErrInvalidRequest, "%s", err)
		}
	}
	if id >= 0 && !registered(img, int32(id)) {
		return kafkaErrorf(ErrBrokerNotRegistered, "No node with id %d found.", id)
	}
	return nil
}

// lookup reports whether name is a known config of resources of type typ,
// and whether it is a LIST; with no schema, no name is known.
func lookup(c Cluster, typ metadata.ResourceType, name string) (known, list bool) {
	switch {
	case c.Config == nil:
		return false, false
	case typ == metadata.ResourceTopic:
		return config.LookupTopicConfig(name)
	case typ == metadata.ResourceBroker:
		return config.LookupBrokerConfig(name)
	case typ == metadata.ResourceGroup:
		return config.LookupGroupConfig(name)
	}
	return false, false
}

// inherited is the value name has for res in img while res does not set
// it: a topic's broker value in effect, a broker's cluster default or
// static value.
func inherited(img *metadata.Image, c Cluster, res metadata.ConfigResource, name string) string {
	if c.Config == nil {
		return ""
	}
	perBroker, clusterDefault := img.BrokerConfigs(int32(c.NodeID))
	if res.Type == metadata.ResourceTopic {
		return c.Config.InheritedTopicConfig(name, perBroker, clusterDefault)
	}
	return c.Config.InheritedBrokerConfig(name, res.Name == "", clusterDefault)
}

// configRecords returns one record per config whose value differs between
// old and next, in name order.
func configRecords(res metadata.ConfigResource, old, next map[string]string) []metadata.Record {
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range next {
		names[k] = true
	}
	var recs []metadata.Record
	for _, name := range sortedKeys(names) {
		before, had := old[name]
		after, has := next[name]
		if had == has && before == after {
			continue
		}
		r := &metadata.ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: name}
		if has {
			r.Value = &after
		}
		recs = append(recs, metadata.Record{Type: metadata.TypeConfig, Config: r})
	}
	return recs
}

// kafkaError matches a sentinel but reads as Kafka's message alone, so that
// the message reaches the client as the Java broker words it.
type kafkaError struct {
	sentinel error
	msg      string
}

func (e *kafkaError) Error() string { return e.msg }
func (e *kafkaError) Unwrap() error { return e.sentinel }

func kafkaErrorf(sentinel error, format string, args ...any) error {
	return &kafkaError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}
