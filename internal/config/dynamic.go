package config

// Dynamic broker configs (Kafka's KIP-226): values set at runtime through
// AlterConfigs or IncrementalAlterConfigs on a BROKER resource, either for
// one broker (resource name = its node id) or as the cluster default (empty
// resource name). The node keeps them in the metadata log; this file layers
// them on the static configuration. The value in effect for a key is the
// first of: dynamic per-broker, dynamic cluster default, static
// (server.properties and --override), Kafka's default. A topic override
// beats all four for its topic.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// ErrInvalidDynamicConfig is a dynamic broker config change that cannot be
// applied; Kafka answers INVALID_REQUEST for it (KAFKA-13609).
var ErrInvalidDynamicConfig = errors.New("invalid dynamic broker config")

// listenerPrefixOnly are the security keys Kafka only accepts dynamically
// with a listener prefix (listener.name.<name>.<key>).
var listenerPrefixOnly = []string{
	"ssl.key.password", "ssl.keystore.location", "ssl.keystore.password",
	"ssl.truststore.location", "ssl.truststore.password",
}

// perBrokerOnly are the dynamic keys Kafka refuses at the cluster-default
// level: listener and security settings differ from broker to broker.
var perBrokerOnly = append([]string{
	"advertised.listeners", "listener.security.protocol.map", "listeners",
	"sasl.enabled.mechanisms", "ssl.client.auth",
}, listenerPrefixOnly...)

// WithDynamic returns the configuration in effect when this broker has the
// dynamic configs perBroker and the cluster has the dynamic defaults
// clusterDefault, layered on c's static configuration. Either map may be
// nil; neither is modified nor kept beyond what Entries reports. It fails
// only if the combination does not parse, which ValidateDynamic prevents.
func (c *Config) WithDynamic(perBroker, clusterDefault map[string]string) (*Config, error) {
	static := c.Static()
	if len(perBroker) == 0 && len(clusterDefault) == 0 {
		return static, nil
	}
	props := maps.Clone(static.props)
	if props == nil {
		props = map[string]string{}
	}
	maps.Copy(props, clusterDefault)
	maps.Copy(props, perBroker)
	next, _, err := Parse(props)
	if err != nil {
		return nil, err
	}
	next.ClusterID = static.ClusterID
	next.base = static
	next.dynamicBroker, next.dynamicDefault = maps.Clone(perBroker), maps.Clone(clusterDefault)
	return next, nil
}

// Static returns the configuration without its dynamic layers.
func (c *Config) Static() *Config {
	if c.base != nil {
		return c.base
	}
	return c
}

// ValidateDynamic checks the dynamic configs a broker resource would hold
// after a change: perBroker for this broker's own resource, clusterDefault
// for the cluster default (clusterLevel). The other map is the resource's
// current neighbour, needed to check the combination. The checks and
// messages are Kafka's, in its order: keys that are not dynamic, security
// keys without a listener prefix, values, keys that only a single broker
// may set, then the combined configuration. Names Gregor does not know are
// accepted, as Kafka accepts custom configs for plugins. The error wraps
// ErrInvalidDynamicConfig.
func (c *Config) ValidateDynamic(perBroker, clusterDefault map[string]string, clusterLevel bool) error {
	layer := perBroker
	if clusterLevel {
		layer = clusterDefault
	}
	notDynamic := keysWhere(layer, func(name string) bool {
		d, ok := lookupBrokerDef(name)
		return ok && !d.dynamic
	})
	if len(notDynamic) > 0 {
		return dynamicError("Cannot update these configs dynamically: %s", scalaSet(notDynamic))
	}
	if bad := keysWhere(layer, func(name string) bool { return slices.Contains(listenerPrefixOnly, name) }); len(bad) > 0 {
		return dynamicError("These security configs can be dynamically updated only per-listener using the listener prefix: %s", scalaSet(bad))
	}
	for _, name := range slices.Sorted(maps.Keys(layer)) {
		d, ok := lookupBrokerDef(name)
		if !ok {
			continue
		}
		value := layer[name]
		if d.typ != typePassword {
			value = strings.TrimSpace(value)
		}
		if p := problem(d.typ, d.check, value); p != "" {
			return dynamicError("Invalid value %s for configuration %s: %s", layer[name], name, p)
		}
	}
	if clusterLevel {
		if bad := keysWhere(layer, func(name string) bool { return slices.Contains(perBrokerOnly, name) }); len(bad) > 0 {
			return dynamicError("Cannot update these configs at default cluster level, broker id must be specified: %s", scalaSet(bad))
		}
	}
	if _, err := c.WithDynamic(perBroker, clusterDefault); err != nil {
		return dynamicError("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

func dynamicError(format string, args ...any) error {
	return &topicConfigError{ErrInvalidDynamicConfig, fmt.Sprintf(format, args...)}
}

func keysWhere(m map[string]string, pred func(string) bool) []string {
	var out []string
	for k := range m {
		if pred(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// scalaSet prints names as Kafka's messages print a Scala Set.
func scalaSet(names []string) string { return "Set(" + strings.Join(names, ", ") + ")" }

// BrokerConfigType returns the Kafka type of a broker config ("LIST", ...)
// and whether the name is known.
func BrokerConfigType(name string) (string, bool) {
	d, ok := lookupBrokerDef(name)
	return d.typ, ok
}

// TopicConfigType returns the Kafka type of a topic config and whether the
// name is known.
func TopicConfigType(name string) (string, bool) {
	d, ok := lookupTopicDef(name)
	return d.Type, ok
}

// TypeList is the type of comma-separated list configs, the only ones that
// IncrementalAlterConfigs can APPEND to and SUBTRACT from.
const TypeList = typeList

// Value returns key's value in effect ("" if unset or unknown).
func (c *Config) Value(key string) string { return c.Values[key] }

// DefaultEntries returns the dynamic cluster-default configs, sorted by
// name, as DescribeConfigs answers for the broker resource "": only the keys
// set at that level, each with its DYNAMIC_DEFAULT_BROKER_CONFIG synonyms.
func (c *Config) DefaultEntries() []Entry {
	var out []Entry
	for _, name := range slices.Sorted(maps.Keys(c.dynamicDefault)) {
		d, known := lookupBrokerDef(name)
		e := Entry{Name: name, Value: c.dynamicDefault[name], ReadOnly: !d.dynamic, Sensitive: !known || d.typ == typePassword, Type: d.typ, Doc: d.doc}
		for _, s := range c.brokerSynonyms(name, true) {
			if s.Source == SourceDynamicDefaultBroker {
				e.Synonyms = append(e.Synonyms, s)
			}
		}
		out = append(out, withSource(e))
	}
	return out
}

// customEntries returns the dynamic configs of this broker (perBroker) or
// of the cluster default whose names Gregor does not know. Kafka reports
// such keys as sensitive, of unknown type.
func (c *Config) customEntries(perBroker bool) []Entry {
	var names []string
	for _, layer := range []map[string]string{c.dynamicBroker, c.dynamicDefault} {
		for name := range layer {
			if _, known := lookupBrokerDef(name); !known && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	var out []Entry
	for _, name := range names {
		e := Entry{Name: name, ReadOnly: true, Sensitive: true, Synonyms: c.brokerSynonyms(name, perBroker)}
		out = append(out, withSource(e))
	}
	return out
}

// synonymNames returns the keys Kafka treats as one setting with name, most
// specific first: log.retention.ms, .minutes and .hours, for instance.
func synonymNames(name string) []string {
	if names, ok := synonymGroups[name]; ok {
		return names
	}
	return []string{name}
}

// synonymGroups maps each key of fallbacks, and each key it falls back to,
// to the whole group, most specific first.
var synonymGroups = func() map[string][]string {
	m := map[string][]string{}
	for key, fb := range fallbacks {
		group := append([]string{key}, fb...)
		m[key] = group
		for _, f := range fb {
			if _, taken := m[f]; !taken {
				m[f] = group
			}
		}
	}
	return m
}()

// defaultValues are the keys whose Kafka default is not null, with it.
var defaultValues = func() map[string]string {
	m := map[string]string{}
	for _, d := range brokerDefs {
		if !d.null && !d.dynamicOnly {
			m[d.name] = d.def
		}
	}
	return m
}()

// layer is one source of broker config values.
type layer struct {
	source string
	values map[string]string
}

// layers returns the sources that can set a broker key, most specific
// first, each with the values it sets.
func (c *Config) layers() [4]layer {
	return [4]layer{
		{SourceDynamicBroker, c.dynamicBroker},
		{SourceDynamicDefaultBroker, c.dynamicDefault},
		{SourceStaticBroker, c.Static().staticValues},
		{SourceDefault, defaultValues},
	}
}

// brokerSynonyms lists where the value of broker key name can come from,
// in Kafka's order: for each layer (dynamic per-broker, dynamic default,
// static, default), each of its synonym names that the layer sets. For a
// broker config (trim set) the entries before the first one named name are
// dropped, as Kafka drops them, so that log.retention.hours does not list
// log.retention.ms. For a topic config (trim unset) the default layer
// gives only the first name's default: Kafka lists no synonym for
// retention.ms when only log.retention.hours's default is in force.
func (c *Config) brokerSynonyms(name string, trim bool) []Entry {
	names := synonymNames(name)
	var out []Entry
	for _, layer := range c.layers() {
		for i, n := range names {
			if !trim && layer.source == SourceDefault && i > 0 {
				break // a topic config lists only its first synonym's default, as Kafka
			}
			v, ok := layer.values[n]
			if !ok {
				continue
			}
			d, known := lookupBrokerDef(n)
			sensitive := !known || d.typ == typePassword
			if sensitive {
				v = ""
			}
			out = append(out, Entry{Name: n, Value: v, Null: sensitive, Sensitive: sensitive, Source: layer.source})
		}
	}
	if trim {
		i := slices.IndexFunc(out, func(e Entry) bool { return e.Name == name })
		if i < 0 {
			return nil
		}
		out = out[i:]
	}
	return out
}

// TopicEntries returns every topic config of a topic with the given
// overrides, sorted by name, for DescribeConfigs: the value in effect, its
// source and synonyms (the override, then the broker synonym's layers).
//
// Differences from Kafka: a broker synonym that is set only through a
// fallback key (log.retention.hours for retention.ms) in a broker layer is
// listed and gives the source; Kafka drops such synonyms and answers
// DEFAULT_CONFIG.
func (c *Config) TopicEntries(overrides map[string]string) []Entry {
	var out []Entry
	for _, def := range TopicConfigDefs() {
		e := Entry{Name: def.Name, Type: def.Type, Doc: def.Doc}
		e.Value, _ = c.TopicValue(def.Name, overrides)
		if v, ok := overrides[def.Name]; ok {
			e.Synonyms = append(e.Synonyms, Entry{Name: def.Name, Value: v, Source: SourceDynamicTopic})
		}
		if def.BrokerSynonym != "" {
			e.Synonyms = append(e.Synonyms, c.brokerSynonyms(def.BrokerSynonym, false)...)
		}
		out = append(out, withSource(e))
	}
	return out
}

// brokerSource is the source of the value a topic config inherits from its
// broker synonym key: the first layer that sets the key or a fallback.
func (c *Config) brokerSource(key string) string {
	names := synonymNames(key)
	for _, l := range c.layers() {
		for _, n := range names {
			if _, ok := l.values[n]; ok {
				return l.source
			}
		}
	}
	return SourceDefault
}
