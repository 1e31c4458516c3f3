package config

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, props map[string]string) *Config {
	t.Helper()
	c, _, err := Parse(props)
	if err != nil {
		t.Fatalf("Parse(%v): %v", props, err)
	}
	return c
}

// TestDefaults proves an empty configuration is a single dev node with Kafka 4.x's defaults.
func TestDefaults(t *testing.T) {
	c := Default()
	got := map[string]any{
		"NodeID":                        c.NodeID,
		"ProcessRoles":                  c.ProcessRoles,
		"Listeners":                     c.Listeners,
		"AdvertisedListeners":           c.AdvertisedListeners,
		"InterBrokerListenerName":       c.InterBrokerListenerName,
		"LogDirs":                       c.LogDirs,
		"MetadataLogDir":                c.MetadataLogDir,
		"NumPartitions":                 c.NumPartitions,
		"DefaultReplicationFactor":      c.DefaultReplicationFactor,
		"MinInsyncReplicas":             c.MinInsyncReplicas,
		"AutoCreateTopicsEnable":        c.AutoCreateTopicsEnable,
		"DeleteTopicEnable":             c.DeleteTopicEnable,
		"MessageMaxBytes":               c.MessageMaxBytes,
		"SocketRequestMaxBytes":         c.SocketRequestMaxBytes,
		"LogSegmentBytes":               c.LogSegmentBytes,
		"LogRollMs":                     c.LogRollMs,
		"LogRollJitterMs":               c.LogRollJitterMs,
		"LogIndexIntervalBytes":         c.LogIndexIntervalBytes,
		"LogIndexSizeMaxBytes":          c.LogIndexSizeMaxBytes,
		"LogFlushIntervalMessages":      c.LogFlushIntervalMessages,
		"LogFlushIntervalMs":            c.LogFlushIntervalMs,
		"LogRetentionMs":                c.LogRetentionMs,
		"LogRetentionBytes":             c.LogRetentionBytes,
		"LogRetentionCheckIntervalMs":   c.LogRetentionCheckIntervalMs,
		"LogCleanupPolicy":              c.LogCleanupPolicy,
		"LogCleanerEnable":              c.LogCleanerEnable,
		"LogCleanerThreads":             c.LogCleanerThreads,
		"LogCleanerBackoffMs":           c.LogCleanerBackoffMs,
		"OffsetsTopicNumPartitions":     c.OffsetsTopicNumPartitions,
		"OffsetsTopicReplicationFactor": c.OffsetsTopicReplicationFactor,
		"GroupInitialRebalanceDelayMs":  c.GroupInitialRebalanceDelayMs,
	}
	want := map[string]any{
		"NodeID":                        int32(1),
		"ProcessRoles":                  []string{"broker", "controller"},
		"Listeners":                     []Listener{{"PLAINTEXT", "localhost", 9092}},
		"AdvertisedListeners":           []Listener{{"PLAINTEXT", "localhost", 9092}},
		"InterBrokerListenerName":       "PLAINTEXT",
		"LogDirs":                       []string{"./gregor-data"},
		"MetadataLogDir":                "./gregor-data",
		"NumPartitions":                 int32(1),
		"DefaultReplicationFactor":      int16(1),
		"MinInsyncReplicas":             int32(1),
		"AutoCreateTopicsEnable":        true,
		"DeleteTopicEnable":             true,
		"MessageMaxBytes":               int32(1048588),
		"SocketRequestMaxBytes":         int32(104857600),
		"LogSegmentBytes":               int64(1073741824),
		"LogRollMs":                     int64(168 * 3600000),
		"LogRollJitterMs":               int64(0),
		"LogIndexIntervalBytes":         int32(4096),
		"LogIndexSizeMaxBytes":          int32(10485760),
		"LogFlushIntervalMessages":      int64(9223372036854775807),
		"LogFlushIntervalMs":            int64(9223372036854775807),
		"LogRetentionMs":                int64(168 * 3600000),
		"LogRetentionBytes":             int64(-1),
		"LogRetentionCheckIntervalMs":   int64(300000),
		"LogCleanupPolicy":              "delete",
		"LogCleanerEnable":              true,
		"LogCleanerThreads":             int32(1),
		"LogCleanerBackoffMs":           int64(15000),
		"OffsetsTopicNumPartitions":     int32(50),
		"OffsetsTopicReplicationFactor": int16(3),
		"GroupInitialRebalanceDelayMs":  int32(3000),
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

// TestParseValues proves given values reach their fields, trimmed and typed.
func TestParseValues(t *testing.T) {
	c := mustParse(t, map[string]string{
		"node.id":                    " 7 ",
		"num.partitions":             "3",
		"default.replication.factor": "2",
		"auto.create.topics.enable":  "FALSE",
		"log.dirs":                   "/a, /b ,",
		"log.cleanup.policy":         "compact , delete",
		"log.segment.bytes":          "1048576",
		"process.roles":              "broker",
		"controller.quorum.voters":   "1@c1:9093",
		"controller.listener.names":  "controller",
		"listeners":                  "PLAINTEXT://:9092",
	})
	if c.NodeID != 7 || c.NumPartitions != 3 || c.DefaultReplicationFactor != 2 || c.AutoCreateTopicsEnable {
		t.Errorf("scalars: %+v", c)
	}
	if !slices.Equal(c.LogDirs, []string{"/a", "/b"}) || c.MetadataLogDir != "/a" {
		t.Errorf("LogDirs %q MetadataLogDir %q", c.LogDirs, c.MetadataLogDir)
	}
	if c.LogCleanupPolicy != "compact,delete" || c.LogSegmentBytes != 1048576 {
		t.Errorf("LogCleanupPolicy %q LogSegmentBytes %d", c.LogCleanupPolicy, c.LogSegmentBytes)
	}
	if c.ControllerQuorumVoters != "1@c1:9093" || !slices.Equal(c.ControllerListenerNames, []string{"CONTROLLER"}) {
		t.Errorf("controller: %q %q", c.ControllerQuorumVoters, c.ControllerListenerNames)
	}
	if !slices.Equal(c.AdvertisedListeners, []Listener{{"PLAINTEXT", "localhost", 9092}}) || c.Listeners[0].Host != "" {
		t.Errorf("listeners %v advertised %v", c.Listeners, c.AdvertisedListeners)
	}
}

// TestDurationPrecedence proves Kafka's precedence: ms over minutes over hours, and the other ms/hours pairs.
func TestDurationPrecedence(t *testing.T) {
	tests := []struct {
		props map[string]string
		field func(*Config) int64
		want  int64
	}{
		{map[string]string{"log.retention.hours": "1"}, retention, 3600000},
		{map[string]string{"log.retention.hours": "1", "log.retention.minutes": "2"}, retention, 120000},
		{map[string]string{"log.retention.hours": "1", "log.retention.minutes": "2", "log.retention.ms": "3"}, retention, 3},
		{map[string]string{"log.retention.ms": "-5"}, retention, -1},
		{map[string]string{"log.retention.hours": "-1"}, retention, -1},
		{map[string]string{"log.retention.ms": ""}, retention, 168 * 3600000},
		{map[string]string{"log.roll.hours": "2"}, func(c *Config) int64 { return c.LogRollMs }, 7200000},
		{map[string]string{"log.roll.hours": "2", "log.roll.ms": "10"}, func(c *Config) int64 { return c.LogRollMs }, 10},
		{map[string]string{"log.roll.jitter.hours": "1"}, func(c *Config) int64 { return c.LogRollJitterMs }, 3600000},
		{map[string]string{"log.flush.scheduler.interval.ms": "500"}, func(c *Config) int64 { return c.LogFlushIntervalMs }, 500},
		{map[string]string{"log.flush.scheduler.interval.ms": "500", "log.flush.interval.ms": "20"}, func(c *Config) int64 { return c.LogFlushIntervalMs }, 20},
	}
	for _, tt := range tests {
		if got := tt.field(mustParse(t, tt.props)); got != tt.want {
			t.Errorf("%v: got %d, want %d", tt.props, got, tt.want)
		}
	}
}

func retention(c *Config) int64 { return c.LogRetentionMs }

// TestParseErrors proves every invalid value or rule violation fails with a message naming the key and the problem.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"log.segment.bytes": "abc"}, `invalid value "abc" for log.segment.bytes: not an integer`},
		{map[string]string{"log.segment.bytes": "1048575"}, `invalid value "1048575" for log.segment.bytes: must be at least 1048576`},
		{map[string]string{"log.segment.bytes": "4294967296"}, `log.segment.bytes: not an integer in the 32-bit range`},
		{map[string]string{"num.partitions": "0"}, `invalid value "0" for num.partitions: must be at least 1`},
		{map[string]string{"auto.create.topics.enable": "yes"}, `auto.create.topics.enable: not a boolean`},
		{map[string]string{"log.retention.ms": ""}, ``}, // empty null-default key is unset, not an error
		{map[string]string{"log.retention.minutes": "x"}, `for log.retention.minutes: not an integer`},
		{map[string]string{"default.replication.factor": "40000"}, `default.replication.factor: must be between 1 and 32767`},
		{map[string]string{"offsets.topic.replication.factor": "40000"}, `offsets.topic.replication.factor: not an integer in the 16-bit range`},
		{map[string]string{"log.cleaner.min.cleanable.ratio": "1.5"}, `log.cleaner.min.cleanable.ratio: must be between 0 and 1`},
		{map[string]string{"log.cleanup.policy": "compact,erase"}, `log.cleanup.policy: item "erase" must be one of: compact, delete`},
		{map[string]string{"compression.type": "brotli"}, `compression.type: must be one of:`},
		{map[string]string{"log.message.timestamp.type": "createtime"}, `log.message.timestamp.type: must be one of: CreateTime, LogAppendTime`},
		{map[string]string{"node.id": "-1"}, `invalid value "-1" for node.id: must be at least 0`},
		{map[string]string{"broker.id": "-3"}, `invalid value "-3" for broker.id: must be at least 0`},
		{map[string]string{"node.id": "1", "broker.id": "2"}, `broker.id (2) and node.id (1) must match`},
		{map[string]string{"process.roles": "broker,gateway"}, `process.roles: item "gateway" must be one of: broker, controller`},
		{map[string]string{"process.roles": ""}, `process.roles: must be a non-empty list`},
		{map[string]string{"process.roles": "broker,broker"}, `process.roles: role "broker" is listed twice`},
		{map[string]string{"listeners": "PLAINTEXT://localhost:70000"}, `listeners: listener "PLAINTEXT://localhost:70000": port "70000" is not in 0..65535`},
		{map[string]string{"listeners": "PLAINTEXT://localhost"}, `listeners: listener "PLAINTEXT://localhost" has no port`},
		{map[string]string{"listeners": "localhost:9092"}, `is not of the form NAME://host:port`},
		{map[string]string{"listeners": "PLAINTEXT://:9092,plaintext://:9093"}, `listeners: listener name PLAINTEXT is used twice`},
		{map[string]string{"listeners": "PLAINTEXT://:9092,SSL://:9092"}, `port 9092 is used by both PLAINTEXT and SSL`},
		{map[string]string{"listeners": "PLAINTEXT://:9092,FOO://:9093"}, `no security protocol defined for listener FOO`},
		{map[string]string{"listener.security.protocol.map": "PLAINTEXT:TLS"}, `unknown security protocol "TLS"`},
		{map[string]string{"listeners": "PLAINTEXT://0.0.0.0:9092"}, `invalid value "PLAINTEXT://0.0.0.0:9092" for listeners: advertised listeners cannot use the nonroutable meta-address 0.0.0.0`},
		{map[string]string{"advertised.listeners": "SSL://h:9093"}, `advertised.listeners: advertised listener SSL is not in listeners`},
		{map[string]string{"controller.listener.names": "CONTROLLER"}, `the first controller listener CONTROLLER must appear in listeners`},
		{map[string]string{"process.roles": "broker", "controller.listener.names": "CONTROLLER", "listeners": "PLAINTEXT://:9092,CONTROLLER://:9093"}, `must not contain a controller listener`},
		{map[string]string{"process.roles": "controller", "controller.listener.names": "CONTROLLER", "listeners": "CONTROLLER://:9093,PLAINTEXT://:9092"}, `The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller`},
		{map[string]string{"process.roles": "controller", "listeners": "CONTROLLER://:9093", "listener.security.protocol.map": "CONTROLLER:PLAINTEXT"}, `Missing required configuration "controller.listener.names" which has no default value.`},
		{map[string]string{"process.roles": "controller", "controller.listener.names": "CONTROLLER,C2", "listeners": "CONTROLLER://:9093"}, `controller.listener.names must only contain values appearing in the 'listeners' configuration when running the KRaft controller role`},
		{map[string]string{"process.roles": "controller", "controller.listener.names": "CONTROLLER", "listeners": "CONTROLLER://:9093"}, `If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers.`},
		{map[string]string{"process.roles": "controller", "node.id": "1", "controller.quorum.voters": "2@a:9093,3@b:9093", "controller.listener.names": "CONTROLLER", "listeners": "CONTROLLER://:9093"}, `If process.roles contains the 'controller' role, the node id 1 must be included in the set of voters controller.quorum.voters=Set(2, 3)`},
		{map[string]string{"process.roles": "controller", "node.id": "1", "controller.quorum.voters": "1@a:9093", "controller.listener.names": "CONTROLLER", "listeners": "CONTROLLER://:9093"}, ``},
		{map[string]string{"inter.broker.listener.name": "INTERNAL"}, `inter.broker.listener.name: INTERNAL must be a listener name defined in advertised.listeners (valid: PLAINTEXT)`},
		{map[string]string{"inter.broker.listener.name": "PLAINTEXT", "security.inter.broker.protocol": "PLAINTEXT"}, `only one of inter.broker.listener.name and security.inter.broker.protocol`},
		{map[string]string{"log.dirs": "/a,/a"}, `log.dirs: directory "/a" is listed twice`},
		{map[string]string{"log.dir": " , "}, `log.dir: must name at least one directory`},
		{map[string]string{"replica.fetch.wait.max.ms": "40000"}, `replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms`},
		{map[string]string{"replica.fetch.wait.max.ms": "20000", "replica.lag.time.max.ms": "10000"}, `replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms`},
		{map[string]string{"replica.fetch.wait.max.ms": "30000", "replica.lag.time.max.ms": "30000"}, ``},
		{map[string]string{"offsets.topic.compression.codec": "5"}, `offsets.topic.compression.codec: must be one of: 0, 1, 2, 3, 4`},
	}
	for _, tt := range tests {
		_, _, err := Parse(tt.props)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tt.props, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: got error %v, want one containing %q", tt.props, err, tt.want)
		}
	}
}

// TestParseReportsEveryBadKey proves all invalid values are reported at once, one per line.
func TestParseReportsEveryBadKey(t *testing.T) {
	_, _, err := Parse(map[string]string{"num.partitions": "x", "message.max.bytes": "y"})
	if err == nil {
		t.Fatal("want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "message.max.bytes") || !strings.Contains(lines[1], "num.partitions") {
		t.Errorf("got %q", lines)
	}
}

// TestValidListenerForms proves the accepted listener syntaxes, including IPv6 and the controller listener in combined mode.
func TestValidListenerForms(t *testing.T) {
	c := mustParse(t, map[string]string{
		"listeners":                 "PLAINTEXT://[::1]:9092,CONTROLLER://:9093,ssl://host.example:0",
		"controller.listener.names": "CONTROLLER",
	})
	want := []Listener{{"PLAINTEXT", "::1", 9092}, {"CONTROLLER", "", 9093}, {"SSL", "host.example", 0}}
	if !slices.Equal(c.Listeners, want) {
		t.Errorf("Listeners = %v, want %v", c.Listeners, want)
	}
	wantAdv := []Listener{{"PLAINTEXT", "::1", 9092}, {"SSL", "host.example", 0}}
	if !slices.Equal(c.AdvertisedListeners, wantAdv) {
		t.Errorf("AdvertisedListeners = %v, want %v", c.AdvertisedListeners, wantAdv)
	}
	if c.ListenerSecurityProtocolMap["CONTROLLER"] != "PLAINTEXT" {
		t.Errorf("CONTROLLER protocol = %q, want PLAINTEXT", c.ListenerSecurityProtocolMap["CONTROLLER"])
	}
	if got := c.Listeners[0].String(); got != "PLAINTEXT://[::1]:9092" {
		t.Errorf("String() = %q", got)
	}
	if c2 := mustParse(t, map[string]string{"broker.id": "4"}); c2.NodeID != 4 || c2.Values["node.id"] != "4" {
		t.Errorf("broker.id alias: NodeID %d", c2.NodeID)
	}
}

// TestUnknownKeysWarn proves unknown keys are warnings, sorted, and do not stop parsing.
func TestUnknownKeysWarn(t *testing.T) {
	c, warnings, err := Parse(map[string]string{"zzz.unknown": "1", "log.retention.hourz": "2", "num.partitions": "2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`unknown configuration "log.retention.hourz" is ignored`, `unknown configuration "zzz.unknown" is ignored`}
	if !slices.Equal(warnings, want) || c.NumPartitions != 2 {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
}

// TestLoad proves overrides apply on top of the file, and malformed overrides are errors.
func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.properties")
	file := "# test\nnum.partitions=3\nlog.dirs=/data/a,\\\n  /data/b\nlisteners = PLAINTEXT://localhost:19092\n"
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load(path, []string{"num.partitions=5", "log.retention.ms=1000", "num.partitions=6"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NumPartitions != 6 || c.LogRetentionMs != 1000 || !slices.Equal(c.LogDirs, []string{"/data/a", "/data/b"}) || c.Listeners[0].Port != 19092 {
		t.Errorf("got %+v", c)
	}
	for _, bad := range []string{"num.partitions", "=5", " =5"} {
		if _, _, err := Load("", []string{bad}); err == nil || !strings.Contains(err.Error(), "expected key=value") {
			t.Errorf("override %q: got %v", bad, err)
		}
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("missing file: want an error")
	}
	if c, _, err := Load("", nil); err != nil || c.Listeners[0].Port != 9092 {
		t.Errorf("no file: %v", err)
	}
}

// TestEntries proves DescribeConfigs sees every known key once, sorted,
// with sources and sensitive values hidden; a key Kafka knows only as a
// dynamic config (a replication throttle) only when set dynamically, with
// no default synonym.
func TestEntries(t *testing.T) {
	c := mustParse(t, map[string]string{"num.partitions": "4", "ssl.keystore.password": "secret", "log.retention.hours": "1"})
	entries := c.Entries()
	dynamicOnly := 0
	for _, d := range brokerDefs {
		if d.dynamicOnly {
			dynamicOnly++
		}
	}
	if len(entries) != len(brokerDefs)-dynamicOnly || !sort.SliceIsSorted(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name }) {
		t.Fatalf("%d entries, sorted %v", len(entries), sort.SliceIsSorted(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name }))
	}
	throttled, err := c.WithDynamic(map[string]string{"leader.replication.throttled.rate": "1000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := entryNamed(throttled.Entries(), "leader.replication.throttled.rate"); e == nil || e.Value != "1000" || len(e.Synonyms) != 1 || e.Source != SourceDynamicBroker {
		t.Errorf("a replication throttle set dynamically: %+v", e)
	}
	if entryNamed(entries, "leader.replication.throttled.rate") != nil {
		t.Error("a replication throttle not set is listed")
	}
	byName := make(map[string]Entry)
	for _, e := range entries {
		byName[e.Name] = e
		if e.Type == "" || e.Doc == "" {
			t.Errorf("%s: missing type or doc", e.Name)
		}
	}
	for _, name := range []string{"node.id", "broker.id", "log.cleaner.enable", "num.network.threads", "num.io.threads",
		"socket.send.buffer.bytes", "socket.receive.buffer.bytes", "compression.type", "transaction.state.log.replication.factor",
		"group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.max.size", "offsets.retention.minutes",
		"unclean.leader.election.enable", "replica.lag.time.max.ms", "inter.broker.listener.name",
		"listener.security.protocol.map", "controller.listener.names", "log.message.timestamp.type"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("missing key %s", name)
		}
	}
	checks := []struct {
		name, value, source, typ string
		isDefault, sensitive     bool
	}{
		{"num.partitions", "4", SourceStaticBroker, "INT", false, false},
		{"log.segment.bytes", "1073741824", SourceDefault, "INT", true, false},
		{"ssl.keystore.password", "", SourceStaticBroker, "PASSWORD", false, true},
		{"log.retention.ms", "", SourceDefault, "LONG", true, false},
		{"group.min.session.timeout.ms", "6000", SourceDefault, "INT", true, false},
		{"offsets.topic.replication.factor", "3", SourceDefault, "SHORT", true, false},
		{"log.cleanup.policy", "delete", SourceDefault, "LIST", true, false},
	}
	for _, ch := range checks {
		e := byName[ch.name]
		if e.Value != ch.value || e.Source != ch.source || e.Type != ch.typ || e.IsDefault != ch.isDefault || e.Sensitive != ch.sensitive {
			t.Errorf("%s = %+v, want value %q source %s type %s default %v sensitive %v", ch.name, e, ch.value, ch.source, ch.typ, ch.isDefault, ch.sensitive)
		}
	}
	if !byName["listeners"].ReadOnly || byName["log.retention.ms"].ReadOnly {
		t.Error("listeners should be read-only and log.retention.ms dynamic")
	}
}

// TestConnectionLimits proves that the connection settings are read with
// their defaults, that max.connections.per.ip.overrides is parsed as
// Kafka's host:count pairs, IPv6 included, and refused when malformed, and
// that listener.name.<l>.max.connections gives a listener its own limit.
func TestConnectionLimits(t *testing.T) {
	l := Default().ConnectionLimits()
	if l.MaxConnections != 2147483647 || l.IdleTimeout != 10*time.Minute || l.QueuedMaxRequests != 500 || len(l.PerIPOverrides) != 0 {
		t.Fatalf("defaults: %+v", l)
	}
	c := mustParse(t, map[string]string{"max.connections.per.ip.overrides": "localhost:3, ::1:7,10.0.0.1:0"})
	want := map[string]int{"localhost": 3, "::1": 7, "10.0.0.1": 0}
	if got := c.ConnectionLimits().PerIPOverrides; !maps.Equal(got, want) {
		t.Fatalf("overrides %v, want %v", got, want)
	}
	for _, bad := range []string{"localhost", "localhost:x", ":3", "h:-1"} {
		if _, _, err := Parse(map[string]string{"max.connections.per.ip.overrides": bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c = mustParse(t, map[string]string{"listeners": "PLAINTEXT://:9092,INTERNAL://:9094",
		"listener.security.protocol.map":         "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
		"listener.name.internal.max.connections": "5"})
	if got := c.ConnectionLimits().PerListener; !maps.Equal(got, map[string]int{"INTERNAL": 5}) {
		t.Fatalf("per listener %v", got)
	}
}

func entryNamed(entries []Entry, name string) *Entry {
	for i := range entries {
		if entries[i].Name == name {
			return &entries[i]
		}
	}
	return nil
}

func TestGroupConsumerTimes(t *testing.T) {
	for overrides, want := range map[string]string{
		"group.consumer.session.timeout.ms=30000":                                           "group.consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms",
		"group.consumer.heartbeat.interval.ms=20000":                                        "group.consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms",
		"group.consumer.min.session.timeout.ms=1000,group.consumer.session.timeout.ms=5000": "group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms",
		"group.consumer.max.session.timeout.ms=40000":                                       "group.consumer.max.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms",
	} {
		_, _, err := Load("", strings.Split(overrides, ","))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", overrides, err, want)
		}
	}
	if _, _, err := Load("", []string{"group.consumer.min.session.timeout.ms=1000", "group.consumer.session.timeout.ms=6000", "group.consumer.min.heartbeat.interval.ms=100", "group.consumer.heartbeat.interval.ms=500"}); err != nil {
		t.Fatal(err)
	}
}

// FuzzValidateGroupConfigs: any group configs are accepted or refused with
// ErrInvalidGroupConfig, never a panic.
func FuzzValidateGroupConfigs(f *testing.F) {
	f.Add("consumer.session.timeout.ms", "50000", "share.auto.offset.reset", "by_duration:PT1H30M")
	f.Add("share.auto.offset.reset", "by_duration:-P1DT-2H0.5S", "share.isolation.level", "read_committed")
	f.Add("streams.num.standby.replicas", "9999999999", "unknown", "")
	cfg, _, err := Load("", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		err := cfg.ValidateGroupConfigs(map[string]string{k1: v1, k2: v2})
		if err != nil && !errors.Is(err, ErrInvalidGroupConfig) {
			t.Fatalf("%v does not wrap ErrInvalidGroupConfig", err)
		}
	})
}

// TestShareAutoOffsetReset: by_duration takes what Java's Duration.parse
// takes, if not negative.
func TestShareAutoOffsetReset(t *testing.T) {
	for v, ok := range map[string]bool{
		"earliest": true, "latest": true, "LATEST": false, "none": false, "by_duration": false,
		"by_duration:PT1H30M": true, "by_duration:P1D": true, "by_duration:PT0.5S": true, "by_duration:pt1h": true,
		"by_duration:P2DT-1H": true, "by_duration:-PT1H": false, "by_duration:P1DT-25H": false,
		"by_duration:PT": false, "by_duration:P": false, "by_duration:P1W": false, "by_duration:PT1.5M": false,
		"by_duration:P1Y": false, "by_duration:": false,
	} {
		if got := shareAutoOffsetReset("share.auto.offset.reset", v) == ""; got != ok {
			t.Errorf("%s: accepted %t, want %t", v, got, ok)
		}
	}
}
