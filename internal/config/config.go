// Package config parses server.properties and its --override flags into a
// validated Config, with Kafka 4.x's property names and defaults.
//
// One table (brokerDefs) lists every known broker key with its type, default,
// documentation, value check and the Config field it fills: defaults,
// validation, unknown-key warnings and DescribeConfigs entries all derive
// from it. Topic-level configs have a table of their own (topicDefs), each
// naming its broker synonym. Dynamic broker configs, set at runtime per
// broker or as the cluster default, layer on a static Config (dynamic.go).
//
// Where Gregor's defaults differ from Kafka's, it is for single-node dev
// mode: with no configuration at all a node is broker and controller, has
// node.id 1, listens on PLAINTEXT://localhost:9092 and keeps its data in
// ./gregor-data.
package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Config is a node's validated configuration. It is immutable once built:
// share it freely between goroutines, but do not modify it.
type Config struct {
	NodeID                           int32             // node.id (alias broker.id)
	ProcessRoles                     []string          // process.roles: "broker", "controller"
	Listeners                        []Listener        // listeners
	AdvertisedListeners              []Listener        // advertised.listeners, else listeners minus controller listeners, empty host -> localhost
	ListenerSecurityProtocolMap      map[string]string // listener.security.protocol.map: listener name -> protocol
	InterBrokerListenerName          string            // inter.broker.listener.name, else security.inter.broker.protocol
	ControllerQuorumVoters           string            // controller.quorum.voters, unparsed
	Voters                           []Voter           // controller.quorum.voters, parsed; nil when unset (see WithVoters)
	QuorumBootstrapServers           []string          // controller.quorum.bootstrap.servers, host:port each
	BrokerHeartbeatIntervalMs        int32             // broker.heartbeat.interval.ms
	BrokerSessionTimeoutMs           int32             // broker.session.timeout.ms
	ControllerListenerNames          []string          // controller.listener.names
	LogDirs                          []string          // log.dirs, else log.dir
	MetadataLogDir                   string            // metadata.log.dir, else LogDirs[0]
	NumPartitions                    int32             // num.partitions
	DefaultReplicationFactor         int16             // default.replication.factor
	MinInsyncReplicas                int32             // min.insync.replicas
	AutoCreateTopicsEnable           bool              // auto.create.topics.enable
	DeleteTopicEnable                bool              // delete.topic.enable
	ControlledShutdownEnable         bool              // controlled.shutdown.enable
	MessageMaxBytes                  int32             // message.max.bytes
	SocketRequestMaxBytes            int32             // socket.request.max.bytes
	FetchMaxBytes                    int32             // fetch.max.bytes
	LogSegmentBytes                  int64             // log.segment.bytes (>= 1 MiB, as Kafka 4)
	LogRollMs                        int64             // log.roll.ms, else log.roll.hours
	LogRollJitterMs                  int64             // log.roll.jitter.ms, else log.roll.jitter.hours
	LogIndexIntervalBytes            int32             // log.index.interval.bytes
	LogIndexSizeMaxBytes             int32             // log.index.size.max.bytes
	LogFDCacheSize                   int32             // gregor.log.fd.cache.size; 0: half of RLIMIT_NOFILE
	LogFlushIntervalMessages         int64             // log.flush.interval.messages
	LogFlushIntervalMs               int64             // log.flush.interval.ms, else log.flush.scheduler.interval.ms
	RecoveryPointCheckpointMs        int32             // log.flush.offset.checkpoint.interval.ms
	LogRetentionMs                   int64             // log.retention.ms > .minutes > .hours; -1 = no limit
	LogRetentionBytes                int64             // log.retention.bytes; -1 = no limit
	LogRetentionCheckIntervalMs      int64             // log.retention.check.interval.ms
	LogCleanupPolicy                 string            // log.cleanup.policy, normalised "delete", "compact" or "compact,delete"
	LogCleanerEnable                 bool              // log.cleaner.enable
	FetchSendfileEnable              bool              // gregor.fetch.sendfile.enable
	LogCleanerThreads                int32             // log.cleaner.threads
	LogCleanerBackoffMs              int64             // log.cleaner.backoff.ms
	OffsetsTopicNumPartitions        int32             // offsets.topic.num.partitions
	OffsetsTopicReplicationFactor    int16             // offsets.topic.replication.factor
	GroupInitialRebalanceDelayMs     int32             // group.initial.rebalance.delay.ms
	GroupMinSessionTimeoutMs         int32             // group.min.session.timeout.ms
	GroupMaxSessionTimeoutMs         int32             // group.max.session.timeout.ms
	GroupMaxSize                     int32             // group.max.size
	GroupConsumerSessionTimeoutMs    int32             // group.consumer.session.timeout.ms
	GroupConsumerHeartbeatIntervalMs int32             // group.consumer.heartbeat.interval.ms
	GroupConsumerMaxSize             int32             // group.consumer.max.size
	GroupConsumerAssignors           []string          // group.consumer.assignors
	GroupConsumerMigrationPolicy     string            // group.consumer.migration.policy
	OffsetsTopicSegmentBytes         int32             // offsets.topic.segment.bytes
	OffsetsTopicCompressionCodec     int8              // offsets.topic.compression.codec: a record batch codec id
	OffsetsRetentionMinutes          int32             // offsets.retention.minutes
	OffsetsRetentionCheckIntervalMs  int64             // offsets.retention.check.interval.ms
	// Transaction coordinator (transaction.*, transactional.id.*).
	TransactionStateLogNumPartitions     int32 // transaction.state.log.num.partitions
	TransactionStateLogReplicationFactor int16 // transaction.state.log.replication.factor
	TransactionStateLogMinISR            int32 // transaction.state.log.min.isr
	TransactionStateLogSegmentBytes      int32 // transaction.state.log.segment.bytes
	TransactionMaxTimeoutMs              int32 // transaction.max.timeout.ms
	TransactionalIDExpirationMs          int32 // transactional.id.expiration.ms
	ProducerIDExpirationMs               int32 // producer.id.expiration.ms
	ProducerIDExpirationCheckIntervalMs  int32 // producer.id.expiration.check.interval.ms
	TransactionAbortTimedOutIntervalMs   int32 // transaction.abort.timed.out.transaction.cleanup.interval.ms
	TransactionRemoveExpiredIntervalMs   int32 // transaction.remove.expired.transaction.cleanup.interval.ms
	OffsetMetadataMaxBytes               int32 // offset.metadata.max.bytes

	// ClusterID is not a property: the node fills it from meta.properties.
	ClusterID string

	// MetadataSnapshotMaxNewRecordBytes is metadata.log.max.record.bytes.between.snapshots.
	MetadataSnapshotMaxNewRecordBytes int64
	// MetadataSnapshotMaxIntervalMs is metadata.log.max.snapshot.interval.ms; 0 disables.
	MetadataSnapshotMaxIntervalMs int64

	// Values holds every known broker property's effective value as a string,
	// defaults included, for DescribeConfigs. A key whose Kafka default is
	// null and that was not given maps to "".
	Values map[string]string

	given map[string]bool   // keys that were set explicitly (file, override or dynamic config)
	props map[string]string // the properties this Config was parsed from
	// staticValues are the values of the given keys (STATIC_BROKER_CONFIG).
	staticValues map[string]string

	// base is the static configuration that dynamic configs were layered on
	// (nil for a static Config); dynamicBroker and dynamicDefault are those
	// layers. See WithDynamic.
	base           *Config
	dynamicBroker  map[string]string
	dynamicDefault map[string]string
}

// Listener is one endpoint from listeners or advertised.listeners, such as
// PLAINTEXT://localhost:9092.
type Listener struct {
	Name string // upper-cased, as Kafka normalises listener names
	Host string // "" means all interfaces
	Port int
}

func (l Listener) String() string {
	host := l.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d", l.Name, host, l.Port)
}

// Entry is one config for DescribeConfigs, or one of its synonyms.
type Entry struct {
	Name      string
	Value     string // "" for a sensitive key or a null value
	Null      bool   // the value is null: a key whose Kafka default is null, unset
	ReadOnly  bool
	Sensitive bool
	IsDefault bool
	Source    string // one of the Source* constants
	Type      string // "INT", "LONG", "BOOLEAN", "STRING", "LIST", "CLASS", "DOUBLE", "SHORT", "PASSWORD"; "" if unknown
	Doc       string
	// Synonyms are the places the value could come from, the one in effect
	// first, in Kafka's order (see brokerSynonyms). Synonyms have none.
	Synonyms []Entry
}

// Config sources, as Kafka's DescribeConfigs names them.
const (
	SourceDefault              = "DEFAULT_CONFIG"
	SourceStaticBroker         = "STATIC_BROKER_CONFIG"
	SourceDynamicTopic         = "DYNAMIC_TOPIC_CONFIG"
	SourceDynamicBroker        = "DYNAMIC_BROKER_CONFIG"
	SourceDynamicDefaultBroker = "DYNAMIC_DEFAULT_BROKER_CONFIG"
)

// Default returns the configuration used when nothing is configured.
func Default() *Config {
	c, _, err := Parse(nil)
	if err != nil {
		panic(fmt.Sprintf("config: built-in defaults are invalid: %v", err))
	}
	return c
}

// Load reads the properties file at path ("" for none), applies overrides
// ("key=value", later ones win) on top, and parses the result. Warnings name
// unknown keys; the caller logs them.
func Load(path string, overrides []string) (cfg *Config, warnings []string, err error) {
	props := make(map[string]string)
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("config file: %w", err)
		}
		props, err = ReadProperties(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for _, o := range overrides {
		key, value, ok := strings.Cut(o, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, nil, fmt.Errorf("invalid override %q: expected key=value", o)
		}
		props[key] = value
	}
	return Parse(props)
}

// Parse validates props against the known broker keys and builds a Config.
// Unknown keys become warnings; every invalid value becomes one line of the
// returned error, naming the key.
func Parse(props map[string]string) (*Config, []string, error) {
	c := &Config{Values: make(map[string]string, len(brokerDefs)), given: make(map[string]bool), props: maps.Clone(props)}
	var errs []error
	for _, d := range brokerDefs {
		if err := c.setValue(d, props); err != nil {
			errs = append(errs, err)
		}
	}
	warnings := unknownKeys(props)
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	if err := c.derive(); err != nil {
		return nil, warnings, err
	}
	c.staticValues = make(map[string]string, len(c.given))
	for k := range c.given {
		c.staticValues[k] = c.Values[k]
	}
	return c, warnings, nil
}

// setValue checks the value of d given in props, or its default, and stores it.
func (c *Config) setValue(d brokerDef, props map[string]string) error {
	raw, given := props[d.name]
	if d.null && strings.TrimSpace(raw) == "" {
		// An empty value for a key whose default is null leaves it unset.
		c.Values[d.name] = ""
		return nil
	}
	if !given {
		raw = d.def
	}
	value := raw
	if d.typ != typePassword {
		value = strings.TrimSpace(raw)
	}
	if given {
		c.given[d.name] = true
	}
	if p := problem(d.typ, d.check, value); p != "" {
		return invalidValue(d.name, value, p)
	}
	c.Values[d.name] = value
	if d.set != nil {
		d.set(c, value)
	}
	return nil
}

func invalidValue(key, value, problem string) error {
	return fmt.Errorf("invalid value %q for %s: %s", value, key, problem)
}

func unknownKeys(props map[string]string) []string {
	var warnings []string
	for k := range props {
		if _, ok := lookupBrokerDef(k); !ok && !strings.HasPrefix(k, listenerPrefix) {
			warnings = append(warnings, fmt.Sprintf("unknown configuration %q is ignored", k))
		}
	}
	sort.Strings(warnings)
	return warnings
}

// isSet reports whether key was given with a non-empty value.
func (c *Config) isSet(key string) bool { return c.given[key] && c.Values[key] != "" }

// int64Of returns the validated integer value of key.
func (c *Config) int64Of(key string) int64 {
	n, _ := strconv.ParseInt(c.Values[key], 10, 64)
	return n
}

// derive computes the values that depend on several keys and checks the rules
// that span keys, in Kafka's order of precedence.
func (c *Config) derive() error {
	if err := c.deriveNodeID(); err != nil {
		return err
	}
	c.deriveDurations()
	if err := c.deriveLogDirs(); err != nil {
		return err
	}
	if err := c.checkRoles(); err != nil {
		return err
	}
	if err := c.checkGroupConsumerTimes(); err != nil {
		return err
	}
	if err := c.checkReplicaTimes(); err != nil {
		return err
	}
	if err := c.deriveListeners(); err != nil {
		return err
	}
	return c.deriveVoters()
}

// deriveNodeID applies broker.id as an alias of node.id.
func (c *Config) deriveNodeID() error {
	if c.given["broker.id"] {
		brokerID := int32(c.int64Of("broker.id"))
		if c.given["node.id"] && brokerID != c.NodeID {
			return fmt.Errorf("broker.id (%d) and node.id (%d) must match when both are set", brokerID, c.NodeID)
		}
		c.NodeID = brokerID
	}
	if c.NodeID < 0 {
		key := "node.id"
		if !c.given[key] {
			key = "broker.id"
		}
		return invalidValue(key, strconv.Itoa(int(c.NodeID)), "must be at least 0")
	}
	c.Values["node.id"] = strconv.Itoa(int(c.NodeID))
	c.Values["broker.id"] = c.Values["node.id"]
	return nil
}

const (
	msPerMinute = 60 * 1000
	msPerHour   = 60 * msPerMinute
)

// deriveDurations resolves the keys that Kafka reads from a chain of units.
func (c *Config) deriveDurations() {
	switch {
	case c.isSet("log.retention.ms"):
		c.LogRetentionMs = c.int64Of("log.retention.ms")
	case c.isSet("log.retention.minutes"):
		c.LogRetentionMs = c.int64Of("log.retention.minutes") * msPerMinute
	default:
		c.LogRetentionMs = c.int64Of("log.retention.hours") * msPerHour
	}
	if c.LogRetentionMs < 0 {
		c.LogRetentionMs = -1
	}
	c.LogRollMs = c.msOrHours("log.roll.ms", "log.roll.hours")
	c.LogRollJitterMs = c.msOrHours("log.roll.jitter.ms", "log.roll.jitter.hours")
	c.LogFlushIntervalMs = c.int64Of("log.flush.scheduler.interval.ms")
	if c.isSet("log.flush.interval.ms") {
		c.LogFlushIntervalMs = c.int64Of("log.flush.interval.ms")
	}
}

func (c *Config) msOrHours(msKey, hoursKey string) int64 {
	if c.isSet(msKey) {
		return c.int64Of(msKey)
	}
	return c.int64Of(hoursKey) * msPerHour
}

func (c *Config) deriveLogDirs() error {
	key := "log.dirs"
	if !c.isSet(key) {
		key = "log.dir"
	}
	c.LogDirs = splitList(c.Values[key])
	if len(c.LogDirs) == 0 {
		return invalidValue(key, c.Values[key], "must name at least one directory")
	}
	for i, dir := range c.LogDirs {
		if slices.Contains(c.LogDirs[:i], dir) {
			return invalidValue(key, c.Values[key], fmt.Sprintf("directory %q is listed twice", dir))
		}
	}
	c.MetadataLogDir = c.Values["metadata.log.dir"]
	if c.MetadataLogDir == "" {
		c.MetadataLogDir = c.LogDirs[0]
	}
	return nil
}

func (c *Config) checkRoles() error {
	for i, role := range c.ProcessRoles {
		if slices.Contains(c.ProcessRoles[:i], role) {
			return invalidValue("process.roles", c.Values["process.roles"], fmt.Sprintf("role %q is listed twice", role))
		}
	}
	return nil
}

// checkReplicaTimes applies Kafka's rules between the follower's times:
// its fetch's long-poll must fit in its socket timeout and in the lag a
// follower is allowed.
func (c *Config) checkReplicaTimes() error {
	wait := c.int64Of("replica.fetch.wait.max.ms")
	if wait > c.int64Of("replica.socket.timeout.ms") {
		return errors.New("replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts")
	}
	if wait > c.int64Of("replica.lag.time.max.ms") {
		return errors.New("replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR")
	}
	if threads := c.int64Of("log.cleaner.threads"); threads > 0 && c.int64Of("log.cleaner.dedupe.buffer.size")/threads <= 1<<20 {
		return errors.New("log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.")
	}
	return nil
}

// checkGroupConsumerTimes applies Kafka's rules between the consumer
// group protocol's times (GroupCoordinatorConfig): the session timeout and
// the heartbeat interval within their bounds, the interval below the
// timeout.
func (c *Config) checkGroupConsumerTimes() error {
	const p = "group.consumer."
	v := func(k string) int64 { return c.int64Of(p + k) }
	for _, r := range []struct {
		ok   bool
		a, b string
		rel  string
	}{
		{v("max.heartbeat.interval.ms") >= v("min.heartbeat.interval.ms"), "max.heartbeat.interval.ms", "min.heartbeat.interval.ms", "greater than or equal to"},
		{v("heartbeat.interval.ms") >= v("min.heartbeat.interval.ms"), "heartbeat.interval.ms", "min.heartbeat.interval.ms", "greater than or equal to"},
		{v("heartbeat.interval.ms") <= v("max.heartbeat.interval.ms"), "heartbeat.interval.ms", "max.heartbeat.interval.ms", "less than or equal to"},
		{v("max.session.timeout.ms") >= v("min.session.timeout.ms"), "max.session.timeout.ms", "min.session.timeout.ms", "greater than or equal to"},
		{v("session.timeout.ms") >= v("min.session.timeout.ms"), "session.timeout.ms", "min.session.timeout.ms", "greater than or equal to"},
		{v("session.timeout.ms") <= v("max.session.timeout.ms"), "session.timeout.ms", "max.session.timeout.ms", "less than or equal to"},
		{v("heartbeat.interval.ms") < v("session.timeout.ms"), "heartbeat.interval.ms", "session.timeout.ms", "less than"},
	} {
		if !r.ok {
			return fmt.Errorf("%s%s must be %s %s%s", p, r.a, r.rel, p, r.b)
		}
	}
	return nil
}

// LogCleanerDedupeBufferSize is log.cleaner.dedupe.buffer.size: the bytes
// of keys the cleaner threads together may map in one cleaning each.
func (c *Config) LogCleanerDedupeBufferSize() int64 {
	return c.int64Of("log.cleaner.dedupe.buffer.size")
}

// HasRole reports whether process.roles includes role ("broker" or "controller").
func (c *Config) HasRole(role string) bool { return slices.Contains(c.ProcessRoles, role) }

// Entries returns every known broker config with its effective value and
// synonyms, sorted by name, for DescribeConfigs on this broker; then the
// dynamic configs whose names Gregor does not know, which Kafka accepts and
// reports as sensitive. Sensitive values are blanked.
func (c *Config) Entries() []Entry {
	out := make([]Entry, 0, len(brokerDefs))
	for _, d := range brokerDefs {
		if _, set := c.dynamicBroker[d.name]; d.dynamicOnly && !set {
			if _, set = c.dynamicDefault[d.name]; !set {
				continue
			}
		}
		e := Entry{
			Name:      d.name,
			Value:     c.Values[d.name],
			Null:      d.null && c.Values[d.name] == "",
			ReadOnly:  !d.dynamic,
			Sensitive: d.typ == typePassword,
			Type:      d.typ,
			Doc:       d.doc,
			Synonyms:  c.brokerSynonyms(d.name, true),
		}
		out = append(out, withSource(e))
	}
	return append(out, c.customEntries(true)...)
}

// withSource sets e's source from its first synonym, as Kafka does, and
// blanks a sensitive value.
func withSource(e Entry) Entry {
	e.Source = SourceDefault
	if len(e.Synonyms) > 0 {
		e.Source = e.Synonyms[0].Source
	}
	e.IsDefault = e.Source == SourceDefault
	if e.Sensitive {
		e.Value, e.Null = "", true
	}
	return e
}
