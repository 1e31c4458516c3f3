package config

// The config schema: what the controller's config operations (AlterConfigs,
// IncrementalAlterConfigs, the configs of CreateTopics) ask about config
// names and values. The dynamic broker configs the metadata holds come in
// as plain maps (a broker's own and the cluster defaults), so that this
// package needs no metadata image. Every function here is pure.

import (
	"maps"
	"slices"
)

// LookupTopicConfig reports whether name is a known topic config, and
// whether it is a LIST, the type APPEND and SUBTRACT edit.
func LookupTopicConfig(name string) (known, list bool) {
	t, known := TopicConfigType(name)
	return known, t == TypeList
}

// LookupBrokerConfig reports whether name is a known broker config, and
// whether it is a LIST.
func LookupBrokerConfig(name string) (known, list bool) {
	t, known := BrokerConfigType(name)
	return known, t == TypeList
}

// InheritedTopicConfig is the value a topic config has while the topic does
// not set it: its broker synonym's value in effect on a broker with the
// dynamic configs perBroker and clusterDefault layered on c.
func (c *Config) InheritedTopicConfig(name string, perBroker, clusterDefault map[string]string) string {
	v, _ := c.withDynamicOrStatic(perBroker, clusterDefault).TopicValue(name, nil)
	return v
}

// InheritedBrokerConfig is the value a broker config has while the broker
// resource does not set it: for the cluster default resource
// (clusterLevel), the static value; for one broker, the cluster default
// clusterDefault sets, else the static value.
func (c *Config) InheritedBrokerConfig(name string, clusterLevel bool, clusterDefault map[string]string) string {
	if clusterLevel {
		return c.Static().Value(name)
	}
	return c.withDynamicOrStatic(nil, clusterDefault).Value(name)
}

// withDynamicOrStatic is WithDynamic, falling back to the static
// configuration if the layers do not parse (ValidateDynamic prevents that).
func (c *Config) withDynamicOrStatic(perBroker, clusterDefault map[string]string) *Config {
	cfg, err := c.WithDynamic(perBroker, clusterDefault)
	if err != nil {
		return c.Static()
	}
	return cfg
}

// ValidateTopicConfigs checks the complete set of configs of a topic as
// Kafka's LogConfig.validate does: first that every name is known, then
// every value, each in name order. The error's text is Kafka's message.
func ValidateTopicConfigs(configs map[string]string) error {
	names := slices.Sorted(maps.Keys(configs))
	for _, name := range names {
		if _, known := TopicConfigType(name); !known {
			return ValidateTopicConfig(name, configs[name])
		}
	}
	for _, name := range names {
		if err := ValidateTopicConfig(name, configs[name]); err != nil {
			return err
		}
	}
	return nil
}
