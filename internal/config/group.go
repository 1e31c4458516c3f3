package config

// Group configs (KIP-848's dynamic group configs, config resource type
// GROUP): per-group overrides of the group coordinator's settings, set
// with IncrementalAlterConfigs and described with DescribeConfigs, as
// Kafka 4.2's GroupConfig defines them. consumer.* apply to the consumer
// groups of the KIP-848 protocol; share.* and streams.* are stored and
// described as Kafka does, but Gregor serves neither share nor streams
// groups, so they have no effect.

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidGroupConfig is a group config name or value Kafka refuses with
// INVALID_CONFIG; the error's text is Kafka's message.
var ErrInvalidGroupConfig = errors.New("invalid group config")

// SourceGroup is the source of a config a group sets.
const SourceGroup = "GROUP_CONFIG"

// groupDef is one group config. Its default comes from the broker key
// brokerKey when Gregor has that key, else from def (Kafka's default of a
// share or streams setting Gregor does not serve).
type groupDef struct {
	name      string
	typ       string
	brokerKey string
	def       string
	min       int64 // ConfigDef's atLeast for INT configs
	check     func(name, value string) string
	doc       string
}

var groupDefs = []groupDef{
	{name: "consumer.session.timeout.ms", typ: typeInt, brokerKey: "group.consumer.session.timeout.ms", min: 1,
		doc: "The timeout to detect client failures when using the consumer group protocol."},
	{name: "consumer.heartbeat.interval.ms", typ: typeInt, brokerKey: "group.consumer.heartbeat.interval.ms", min: 1,
		doc: "The heartbeat interval given to the members of a consumer group."},
	{name: "share.session.timeout.ms", typ: typeInt, def: "45000", min: 1,
		doc: "The timeout to detect client failures when using the share group protocol. Stored only: Gregor serves no share groups."},
	{name: "share.heartbeat.interval.ms", typ: typeInt, def: "5000", min: 1,
		doc: "The heartbeat interval given to the members of a share group. Stored only: Gregor serves no share groups."},
	{name: "share.record.lock.duration.ms", typ: typeInt, def: "30000", min: 1000,
		doc: "The record acquisition lock duration in milliseconds for share groups. Stored only: Gregor serves no share groups."},
	{name: "share.auto.offset.reset", typ: typeString, def: "latest", check: shareAutoOffsetReset,
		doc: "The strategy to initialize the share-partition start offset: earliest, latest or by_duration:<duration> (ISO 8601, PnDTnHnMn.nS). Stored only: Gregor serves no share groups."},
	{name: "share.isolation.level", typ: typeString, def: "read_uncommitted", check: stringIn("read_committed", "read_uncommitted"),
		doc: "Controls how to read records written transactionally in a share group. Stored only: Gregor serves no share groups."},
	{name: "streams.session.timeout.ms", typ: typeInt, def: "45000", min: 1,
		doc: "The timeout to detect client failures when using the streams group protocol. Stored only: Gregor serves no streams groups."},
	{name: "streams.heartbeat.interval.ms", typ: typeInt, def: "5000", min: 1,
		doc: "The heartbeat interval given to the members of a streams group. Stored only: Gregor serves no streams groups."},
	{name: "streams.num.standby.replicas", typ: typeInt, def: "0", min: 0,
		doc: "The number of standby replicas for each task of a streams group. Stored only: Gregor serves no streams groups."},
	{name: "streams.initial.rebalance.delay.ms", typ: typeInt, def: "3000", min: 0,
		doc: "The delay of the first rebalance of a streams group. Stored only: Gregor serves no streams groups."},
}

// The bounds Kafka's broker puts on the share and streams group settings
// by default; Gregor has no such groups, so no keys to change them.
const (
	shareMinSessionMs, shareMaxSessionMs     = 45000, 60000
	shareMinHeartbeatMs, shareMaxHeartbeatMs = 5000, 15000
	shareMinLockMs, shareMaxLockMs           = 15000, 60000
	streamsMinSessionMs, streamsMaxSessionMs = 45000, 60000
	streamsMinHeartbeat, streamsMaxHeartbeat = 5000, 15000
	streamsMaxStandbyReplicas                = 2
)

func lookupGroupDef(name string) (groupDef, bool) {
	for _, d := range groupDefs {
		if d.name == name {
			return d, true
		}
	}
	return groupDef{}, false
}

// LookupGroupConfig reports whether name is a group config; none is a LIST.
func LookupGroupConfig(name string) (known, list bool) {
	_, known = lookupGroupDef(name)
	return known, false
}

// groupDefault is the value of d for a group that does not set it.
func (c *Config) groupDefault(d groupDef) string {
	if d.brokerKey != "" {
		return c.Value(d.brokerKey)
	}
	return d.def
}

// GroupEntries lists every group config of a group that sets overrides,
// in Kafka's definition order: the override, with source GROUP_CONFIG, or
// the broker's default, with source DEFAULT_CONFIG (as Kafka reports it,
// even when server.properties set the broker key).
func (c *Config) GroupEntries(overrides map[string]string) []Entry {
	out := make([]Entry, 0, len(groupDefs))
	for _, d := range groupDefs {
		e := Entry{Name: d.name, Type: d.typ, Doc: d.doc, Value: c.groupDefault(d), Source: SourceDefault}
		if v, ok := overrides[d.name]; ok {
			e.Value, e.Source = v, SourceGroup
		}
		e.IsDefault = e.Source == SourceDefault
		e.Synonyms = []Entry{{Name: d.name, Value: e.Value, Source: e.Source}}
		out = append(out, e)
	}
	return out
}

// GroupSetting is the value in effect of an INT group config for a group
// that sets overrides (unknown names and unparsable values: 0).
func (c *Config) GroupSetting(name string, overrides map[string]string) int64 {
	d, ok := lookupGroupDef(name)
	if !ok {
		return 0
	}
	v, ok := overrides[name]
	if !ok {
		v = c.groupDefault(d)
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	return n
}

// ValidateGroupConfigs checks the whole set of configs a group would hold
// as Kafka's GroupConfig.validate does: every name known, every value
// parsed and in its range, then the bounds of the broker's settings, then
// each session timeout above its heartbeat interval. The error wraps
// ErrInvalidGroupConfig with Kafka's message.
func (c *Config) ValidateGroupConfigs(configs map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(configs)) {
		if _, ok := lookupGroupDef(name); !ok {
			return groupErrorf("Unknown group config name: %s", name)
		}
	}
	ints := map[string]int64{}
	for _, d := range groupDefs {
		v, set := configs[d.name]
		if !set {
			v = c.groupDefault(d)
		}
		t := strings.TrimSpace(v)
		if d.typ == typeInt {
			n, err := strconv.ParseInt(t, 10, 32)
			if err != nil {
				return groupErrorf("Invalid value %s for configuration %s: Not a number of type INT", v, d.name)
			}
			if n < d.min {
				return groupErrorf("Invalid value %d for configuration %s: Value must be at least %d", n, d.name, d.min)
			}
			ints[d.name] = n
			continue
		}
		if d.check != nil {
			if p := d.check(d.name, t); p != "" {
				return groupErrorf("Invalid value %s for configuration %s: %s", t, d.name, p)
			}
		}
	}
	bound := func(name string, lo, hi int64, loKey, hiKey string) error {
		switch n := ints[name]; {
		case n < lo:
			return groupErrorf("%s must be greater than or equal to %s", name, loKey)
		case n > hi:
			return groupErrorf("%s must be less than or equal to %s", name, hiKey)
		}
		return nil
	}
	brokerInt := func(key string) int64 { n, _ := strconv.ParseInt(c.Value(key), 10, 64); return n }
	checks := []error{
		bound("consumer.heartbeat.interval.ms", brokerInt("group.consumer.min.heartbeat.interval.ms"), brokerInt("group.consumer.max.heartbeat.interval.ms"),
			"group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms"),
		bound("consumer.session.timeout.ms", brokerInt("group.consumer.min.session.timeout.ms"), brokerInt("group.consumer.max.session.timeout.ms"),
			"group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms"),
		bound("share.heartbeat.interval.ms", shareMinHeartbeatMs, shareMaxHeartbeatMs,
			"group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"),
		bound("share.session.timeout.ms", shareMinSessionMs, shareMaxSessionMs,
			"group.share.min.session.timeout.ms", "group.share.max.session.timeout.ms"),
		bound("share.record.lock.duration.ms", shareMinLockMs, shareMaxLockMs,
			"group.share.min.record.lock.duration.ms", "group.share.max.record.lock.duration.ms"),
		bound("streams.heartbeat.interval.ms", streamsMinHeartbeat, streamsMaxHeartbeat,
			"group.streams.min.heartbeat.interval.ms", "group.streams.max.heartbeat.interval.ms"),
		bound("streams.session.timeout.ms", streamsMinSessionMs, streamsMaxSessionMs,
			"group.streams.min.session.timeout.ms", "group.streams.max.session.timeout.ms"),
		bound("streams.num.standby.replicas", 0, streamsMaxStandbyReplicas,
			"", "group.streams.max.standby.replicas"),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	for _, kind := range []string{"consumer", "share", "streams"} {
		if ints[kind+".session.timeout.ms"] <= ints[kind+".heartbeat.interval.ms"] {
			return groupErrorf("%s.session.timeout.ms must be greater than %s.heartbeat.interval.ms", kind, kind)
		}
	}
	return nil
}

func groupErrorf(format string, args ...any) error {
	return &topicConfigError{ErrInvalidGroupConfig, fmt.Sprintf(format, args...)}
}

// stringIn is ConfigDef's ValidString: one of allowed, exactly.
func stringIn(allowed ...string) func(name, value string) string {
	return func(_, v string) string {
		for _, a := range allowed {
			if v == a {
				return ""
			}
		}
		return "String must be one of: " + strings.Join(allowed, ", ")
	}
}

// isoDuration is what Java's Duration.parse accepts: PnDTnHnMn.nS, each
// part optional (at least one), signed parts, a sign before the P.
var isoDuration = regexp.MustCompile(`^(?i)([-+]?)P(?:([-+]?[0-9]+)D)?(?:T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$`)

// shareAutoOffsetReset accepts what Kafka's share.auto.offset.reset
// validator does: earliest, latest, or by_duration:<a non-negative ISO
// 8601 duration>.
func shareAutoOffsetReset(name, v string) string {
	if v == "earliest" || v == "latest" {
		return ""
	}
	if d, ok := strings.CutPrefix(v, "by_duration:"); ok && nonNegativeISODuration(d) {
		return ""
	}
	return fmt.Sprintf("Invalid value `%s` for configuration %s. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.", v, name)
}

func nonNegativeISODuration(s string) bool {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || strings.HasSuffix(strings.ToUpper(s), "T") {
		return false
	}
	if m[2] == "" && m[3] == "" && m[4] == "" && m[5] == "" {
		return false
	}
	var secs float64
	for i, unit := range []float64{86400, 3600, 60, 1} {
		if p := m[2+i]; p != "" {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return false
			}
			secs += float64(n) * unit
		}
	}
	if m[6] != "" {
		f, _ := strconv.ParseFloat("0."+m[6], 64)
		if strings.HasPrefix(m[5], "-") {
			f = -f
		}
		secs += f
	}
	if m[1] == "-" {
		secs = -secs
	}
	return secs >= 0
}
