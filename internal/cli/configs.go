package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Entity types, as kafka-configs.sh names them.
const (
	entityTopics  = "topics"
	entityBrokers = "brokers"
	entityUsers   = "users"
	entityClients = "clients"
	entityIPs     = "ips"
	entityGroups  = "groups"
	entityLoggers = "broker-loggers"
)

// kafkaEntityTypes are the entity types kafka-configs.sh accepts with
// --bootstrap-server, in its order; this tool serves topics, brokers,
// users, clients, IP addresses and groups.
var kafkaEntityTypes = []string{"broker-loggers", "topics", "clients", "users", "brokers", "ips", "client-metrics", "groups"}

// configsFlags are kafka-configs.sh's flags for topics, brokers, users
// and clients.
type configsFlags struct {
	conn                 connFlags
	describe, alter, all bool
	entityTypes          []string
	// entityNames are --entity-name values and --entity-default ("") in
	// command-line order: the n-th names the n-th --entity-type.
	entityNames                     entityNames
	topic, broker, user, client, ip string
	group, brokerLogger             string
	brokerDefaults, userDefaults    bool
	clientDefaults, ipDefaults      bool
	addConfig, configFile           string
	deleteConfig                    []string
}

// entityNames collects --entity-name and --entity-default in order.
type entityNames struct{ names []string }

func (e *entityNames) named() bool {
	return slices.ContainsFunc(e.names, func(n string) bool { return n != "" })
}
func (e *entityNames) defaulted() bool { return slices.Contains(e.names, "") }

// entityNameValue is --entity-name; entityDefaultValue --entity-default.
type (
	entityNameValue    struct{ *entityNames }
	entityDefaultValue struct{ *entityNames }
)

func (v entityNameValue) String() string { return "" }
func (v entityNameValue) Type() string   { return "string" }
func (v entityNameValue) Set(s string) error {
	v.names = append(v.names, s)
	return nil
}
func (v entityDefaultValue) String() string { return "false" }
func (v entityDefaultValue) Type() string   { return "bool" }
func (v entityDefaultValue) Set(s string) error {
	if b, err := strconv.ParseBool(s); err != nil || !b {
		return err
	}
	v.names = append(v.names, "")
	return nil
}

func newConfigsCommand() *cobra.Command {
	f := &configsFlags{}
	cmd := &cobra.Command{
		Use:   "configs",
		Short: "Describe and alter topic, broker and group configs, client quotas and SCRAM credentials (kafka-configs.sh)",
		Long: `Describe and alter the dynamic configs of topics, brokers and groups, as
kafka-configs.sh does, through DescribeConfigs and IncrementalAlterConfigs;
and the quotas of users, clients and IP addresses (DescribeClientQuotas,
AlterClientQuotas) and users' SCRAM credentials.

Exactly one of --describe or --alter is required, with an entity:
--entity-type topics|brokers|broker-loggers|users|clients|ips|groups and
--entity-name NAME, or --entity-default for the cluster-wide broker default or
the default user, client or IP (--topic NAME, --broker ID, --broker-logger ID,
--user NAME, --client ID, --ip ADDRESS, --group ID, --broker-defaults,
--user-defaults, --client-defaults and --ip-defaults are shorthands).
Broker loggers: the levels of one broker's loggers (root, gregor.replica, ...),
changed at run time until that broker stops: TRACE, DEBUG, INFO, WARN, ERROR or
FATAL; --delete-config makes a logger follow root again.
Groups: consumer.session.timeout.ms and consumer.heartbeat.interval.ms of a
consumer group (the consumer protocol, KIP-848), within the broker's
group.consumer.min/max.* bounds; a group need not exist to have configs.
--entity-type users and clients together name a user's client, each
followed by its name or default. --describe prints the dynamic configs
(those set on the entity itself), or every config with --all; without a name
it describes every topic, or every broker and the cluster default, or every
user's or client's quotas.

Quotas: producer_byte_rate and consumer_byte_rate (bytes per second),
request_percentage (percent of one request handler), controller_mutation_rate
(partitions created or deleted per second); on IP addresses
connection_creation_rate (connections per second).
The most specific entity that sets a quota applies: user and client-id,
user and default client-id, user, default user and client-id, default user
and default client-id, default user, client-id, default client-id.
SCRAM credentials: 'SCRAM-SHA-256=[iterations=8192,password=secret]' on a
user, salted and hashed by this tool; --delete-config SCRAM-SHA-256.

--add-config takes k=v pairs separated by commas; square brackets group a
value that contains commas: 'cleanup.policy=[compact,delete]'.
--delete-config takes keys separated by commas. A dynamic broker config
applies at once to every topic that does not override it.`,
		Example: `  # Override a topic config, then show the topic's overrides
  gregor configs --bootstrap-server localhost:9092 --alter --entity-type topics \
      --entity-name orders --add-config retention.ms=86400000,cleanup.policy=[compact,delete]
  gregor configs --bootstrap-server localhost:9092 --describe --entity-type topics --entity-name orders

  # Remove the override: the topic follows the broker default again
  gregor configs --bootstrap-server localhost:9092 --alter --topic orders --delete-config retention.ms

  # A cluster-wide broker default, applied without a restart
  gregor configs --bootstrap-server localhost:9092 --alter --entity-type brokers \
      --entity-default --add-config log.retention.ms=3600000

  # Every config of broker 1, with where each value comes from
  gregor configs --bootstrap-server localhost:9092 --describe --entity-type brokers --entity-name 1 --all

  # Hold every client to 1 MiB/s of produce, and alice's clients to 10 MiB/s
  gregor configs --bootstrap-server localhost:9092 --alter --add-config producer_byte_rate=1048576 \
      --entity-type clients --entity-default
  gregor configs --bootstrap-server localhost:9092 --alter --add-config producer_byte_rate=10485760 \
      --entity-type users --entity-name alice
  gregor configs --bootstrap-server localhost:9092 --describe --entity-type users

  # The members of consumer group billing heartbeat every 6 s and time out after 50 s
  gregor configs --bootstrap-server localhost:9092 --alter --group billing \
      --add-config consumer.heartbeat.interval.ms=6000,consumer.session.timeout.ms=50000

  # Debug logging of broker 1's replication, until it stops
  gregor configs --bootstrap-server localhost:9092 --alter --broker-logger 1 --add-config gregor.replica=DEBUG

  # A SCRAM credential for alice
  gregor configs --bootstrap-server localhost:9092 --alter --entity-type users --entity-name alice \
      --add-config 'SCRAM-SHA-512=[iterations=8192,password=alice-secret]'`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigs(cmd, f)
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVar(&f.describe, "describe", false, "list the configs of the given entity")
	fl.BoolVar(&f.alter, "alter", false, "alter the configs of the given entity")
	fl.BoolVar(&f.all, "all", false, "with --describe: list every config, not only the dynamic ones")
	fl.StringArrayVar(&f.entityTypes, "entity-type", nil, "type of entity: topics, brokers, users or clients (users and clients together for a user's client)")
	fl.Var(entityNameValue{&f.entityNames}, "entity-name", "name of the entity: a topic name, a broker id, a user principal's name or a client id")
	fl.VarPF(entityDefaultValue{&f.entityNames}, "entity-default", "", "the default of the entity type: the brokers' cluster-wide configs, or the quotas of every user or client").NoOptDefVal = "true"
	fl.StringVar(&f.topic, "topic", "", "the topic's name (same as --entity-type topics --entity-name NAME)")
	fl.StringVar(&f.broker, "broker", "", "the broker's id (same as --entity-type brokers --entity-name ID)")
	fl.BoolVar(&f.brokerDefaults, "broker-defaults", false, "the config defaults of all brokers (same as --entity-type brokers --entity-default)")
	fl.StringVar(&f.user, "user", "", "the user principal's name (same as --entity-type users --entity-name NAME)")
	fl.StringVar(&f.client, "client", "", "the client id (same as --entity-type clients --entity-name NAME)")
	fl.StringVar(&f.brokerLogger, "broker-logger", "", "the broker id whose loggers to describe or alter (same as --entity-type broker-loggers --entity-name ID)")
	fl.StringVar(&f.group, "group", "", "the group's id (same as --entity-type groups --entity-name ID)")
	fl.BoolVar(&f.userDefaults, "user-defaults", false, "the default quotas of users (same as --entity-type users --entity-default)")
	fl.BoolVar(&f.clientDefaults, "client-defaults", false, "the default quotas of clients (same as --entity-type clients --entity-default)")
	fl.StringVar(&f.ip, "ip", "", "the IP address (same as --entity-type ips --entity-name ADDRESS)")
	fl.BoolVar(&f.ipDefaults, "ip-defaults", false, "the default quotas of IP addresses (same as --entity-type ips --entity-default)")
	fl.StringVar(&f.addConfig, "add-config", "", "configs to set: 'k1=v1,k2=[v1,v2],k3=v3'")
	fl.StringVar(&f.configFile, "add-config-file", "", "a properties file of configs to set")
	fl.StringSliceVar(&f.deleteConfig, "delete-config", nil, "config keys to remove: 'k1,k2'")
	refuse(cmd,
		refusal{"zookeeper", true, "Kafka 4 has no ZooKeeper mode; use --bootstrap-server"},
		refusal{"zk-tls-config-file", true, "Kafka 4 has no ZooKeeper mode"},
		refusal{"bootstrap-controller", true, "admin requests go to brokers; use --bootstrap-server"},
		refusal{"force", false, "this tool never prompts"},
		refusal{"client-metrics", true, "client metrics subscriptions (KIP-714) are not supported yet"},
	)
	return cmd
}

// configsTarget is the entity a configs command works on.
type configsTarget struct {
	entityType string // entityTopics, entityBrokers, or the first of quotaTypes
	name       string // "" for the broker default
	named      bool   // a name or the default was given
	// quotaTypes and quotaNames are a users and clients entity: its types
	// and, in the same order, the names given ("" the default); fewer
	// names than types when describing.
	quotaTypes, quotaNames []string
}

func runConfigs(cmd *cobra.Command, f *configsFlags) error {
	target, err := f.target()
	if err != nil {
		return err
	}
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	t := &configsTool{cl: cl, adm: kadm.NewClient(cl), f: f, target: target, out: newPrinter(cmd.OutOrStdout())}
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	switch {
	case target.quotaTypes != nil && f.alter:
		err = t.alterQuotas(ctx)
	case target.quotaTypes != nil:
		err = t.describeQuotas(ctx)
	case f.alter:
		err = t.alterConfigs(ctx)
	default:
		err = t.describeConfigs(ctx)
	}
	if ferr := t.out.flush(); err == nil {
		err = ferr
	}
	return err
}

// target checks the command line as kafka-configs.sh does, with its
// messages, and returns the entity it names.
func (f *configsFlags) target() (configsTarget, error) {
	if f.describe == f.alter {
		return configsTarget{}, errors.New("Command must include exactly one action: --describe, --alter")
	}
	if f.describe {
		for _, o := range []struct {
			set  bool
			name string
		}{{f.addConfig != "", "add-config"}, {f.configFile != "", "add-config-file"}, {len(f.deleteConfig) > 0, "delete-config"}} {
			if o.set {
				return configsTarget{}, fmt.Errorf(`Option "[describe]" can't be used with option "[%s]"`, o.name)
			}
		}
	}
	types, names, shorthand := f.entityTypes, slices.Clone(f.entityNames.names), false
	for _, s := range []struct {
		set        bool
		typ, value string
	}{ // kafka-configs.sh's order of the shorthands
		{f.topic != "", entityTopics, f.topic}, {f.client != "", entityClients, f.client},
		{f.user != "", entityUsers, f.user}, {f.broker != "", entityBrokers, f.broker},
		{f.brokerLogger != "", entityLoggers, f.brokerLogger}, {f.ip != "", entityIPs, f.ip},
		{f.group != "", entityGroups, f.group}, {f.clientDefaults, entityClients, ""}, {f.userDefaults, entityUsers, ""}, {f.brokerDefaults, entityBrokers, ""},
		{f.ipDefaults, entityIPs, ""},
	} {
		if s.set {
			types, names, shorthand = append(slices.Clone(types), s.typ), append(names, s.value), true
		}
	}
	if err := checkEntityTypes(types); err != nil {
		return configsTarget{}, err
	}
	if shorthand && (len(f.entityTypes) > 0 || len(f.entityNames.names) > 0) {
		return configsTarget{}, errors.New("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
	}
	if isQuotaEntity(types[0]) {
		target := configsTarget{entityType: types[0], named: len(names) > 0, quotaTypes: types, quotaNames: names}
		if target.named {
			target.name = names[0]
		}
		return target, f.checkQuotaTarget(target)
	}
	if len(names) > 1 {
		return configsTarget{}, errors.New("An entity name must be specified for every entity type")
	}
	target := configsTarget{entityType: types[0], named: len(names) == 1}
	if target.named {
		target.name = names[0]
	}
	return target, f.checkTarget(target)
}

func checkEntityTypes(types []string) error {
	for i, typ := range types {
		if slices.Contains(types[:i], typ) {
			return fmt.Errorf("Duplicate entity type(s) specified: %s", typ)
		}
	}
	for _, typ := range types {
		if !slices.Contains(kafkaEntityTypes, typ) {
			return fmt.Errorf("Invalid entity type %s, the entity type must be one of %s with a --bootstrap-server or --bootstrap-controller argument",
				typ, strings.Join(kafkaEntityTypes, ", "))
		}
		if typ != entityTopics && typ != entityBrokers && typ != entityGroups && typ != entityLoggers && !isQuotaEntity(typ) {
			return fmt.Errorf("entity type %s is not supported yet: gregor configs handles topics, brokers, broker-loggers, users, clients, ips and groups", typ)
		}
	}
	switch {
	case len(types) == 0:
		return errors.New("At least one entity type must be specified")
	case len(types) > 1 && !(len(types) == 2 && slices.Contains(types, entityUsers) && slices.Contains(types, entityClients)):
		return errors.New("Only 'users' and 'clients' entity types may be specified together")
	}
	return nil
}

func (f *configsFlags) checkTarget(t configsTarget) error {
	if (t.entityType == entityBrokers || t.entityType == entityLoggers) && t.name != "" {
		if _, err := strconv.ParseInt(t.name, 10, 32); err != nil {
			return fmt.Errorf("The entity name for %s must be a valid integer broker id, but it is: %s", t.entityType, t.name)
		}
	}
	if f.describe {
		if t.entityType == entityLoggers && t.name == "" {
			return errors.New("An entity name must be specified with --describe of broker-loggers")
		}
		if (t.entityType == entityTopics || t.entityType == entityGroups) && t.named && t.name == "" {
			return fmt.Errorf("--entity-default must not be specified with --describe of %s", t.entityType)
		}
		return nil
	}
	switch {
	case t.entityType == entityBrokers && !t.named:
		return errors.New("An entity-name or default entity must be specified with --alter of users, clients, brokers or ips")
	case (t.entityType == entityTopics || t.entityType == entityGroups || t.entityType == entityLoggers) && (!t.named || t.name == ""):
		return fmt.Errorf("An entity name must be specified with --alter of %s", t.entityType)
	case f.addConfig != "" && f.configFile != "":
		return errors.New("Only one of --add-config or --add-config-file must be specified")
	case f.addConfig == "" && f.configFile == "" && len(f.deleteConfig) == 0:
		return errors.New("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
	}
	return nil
}

// configsTool runs one kafka-configs action.
type configsTool struct {
	cl     *kgo.Client
	adm    *kadm.Client
	f      *configsFlags
	target configsTarget
	out    *printer
}

// singular is an entity type as kafka-configs prints it in a sentence.
func singular(entityType string) string { return strings.TrimSuffix(entityType, "s") }

func (t *configsTool) describeConfigs(ctx context.Context) error {
	entities, err := t.entities(ctx)
	if err != nil {
		return err
	}
	for _, name := range entities {
		if err := t.describeEntity(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// entities returns the names --describe covers. A named entity that does
// not exist prints kafka-configs' notice and yields none.
func (t *configsTool) entities(ctx context.Context) ([]string, error) {
	var names []string
	switch t.target.entityType {
	case entityTopics:
		details, err := t.adm.ListTopicsWithInternal(ctx)
		if err != nil {
			return nil, err
		}
		names = details.Names()
		sort.Strings(names)
	case entityBrokers, entityLoggers:
		brokers, err := t.adm.ListBrokers(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range brokers.NodeIDs() {
			names = append(names, strconv.Itoa(int(id)))
		}
		if t.target.entityType == entityBrokers {
			names = append(names, "")
		}
	case entityGroups:
		groups, err := t.groupsWithConfigs(ctx)
		if err != nil {
			return nil, err
		}
		names = groups
	}
	if !t.target.named {
		return names, nil
	}
	if !t.f.all && !slices.Contains(names, t.target.name) {
		t.out.linef("The %s '%s' doesn't exist and doesn't have dynamic config.", singular(t.target.entityType), t.target.name)
		return nil, nil
	}
	return []string{t.target.name}, nil
}

func (t *configsTool) describeEntity(ctx context.Context, name string) error {
	dynamic := t.dynamicSource(name)
	switch {
	case t.target.entityType == entityBrokers && name == "":
		t.out.linef("Default configs for %s in the cluster are:", t.target.entityType)
	default:
		kind := "Dynamic"
		if t.f.all {
			kind = "All"
		}
		t.out.linef("%s configs for %s %s are:", kind, singular(t.target.entityType), name)
	}
	rc, err := t.resourceConfig(ctx, name)
	if err != nil {
		return err
	}
	configs := slices.Clone(rc.Configs)
	sort.Slice(configs, func(i, j int) bool { return configs[i].Key < configs[j].Key })
	for _, c := range configs {
		if t.f.all || c.Source == dynamic || t.target.entityType == entityLoggers {
			t.out.line(formatConfig(c))
		}
	}
	return nil
}

// dynamicSource is the source of the configs set on the entity name
// itself.
func (t *configsTool) dynamicSource(name string) kmsg.ConfigSource {
	switch {
	case t.target.entityType == entityGroups:
		return kmsg.ConfigSourceGroupConfig
	case t.target.entityType == entityBrokers && name == "":
		return kmsg.ConfigSourceDynamicDefaultBrokerConfig
	case t.target.entityType == entityBrokers:
		return kmsg.ConfigSourceDynamicBrokerConfig
	}
	return kmsg.ConfigSourceDynamicTopicConfig
}

// checkDeletes fails, as kafka-configs.sh does, when --delete-config names
// a config the entity does not set.
func (t *configsTool) checkDeletes(ctx context.Context) error {
	if len(t.f.deleteConfig) == 0 {
		return nil
	}
	rc, err := t.resourceConfig(ctx, t.target.name)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, c := range rc.Configs {
		if c.Source == t.dynamicSource(t.target.name) {
			set[c.Key] = true
		}
	}
	var invalid []string
	for _, k := range t.f.deleteConfig {
		if k = strings.TrimSpace(k); !set[k] {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return fmt.Errorf("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	return nil
}

// resourceConfig describes one topic, broker or (name "") the broker
// default, with synonyms.
func (t *configsTool) resourceConfig(ctx context.Context, name string) (kadm.ResourceConfig, error) {
	var rcs kadm.ResourceConfigs
	var err error
	switch {
	case t.target.entityType == entityTopics:
		rcs, err = t.adm.DescribeTopicConfigs(ctx, name)
	case t.target.entityType == entityGroups:
		rcs, err = describeResourceConfigs(ctx, t.cl, kmsg.ConfigResourceTypeGroupConfig, name)
	case t.target.entityType == entityLoggers:
		rcs, err = describeResourceConfigs(ctx, t.cl, kmsg.ConfigResourceTypeBrokerLogger, name)
	case name == "":
		rcs, err = t.adm.DescribeBrokerConfigs(ctx)
	default:
		id, _ := strconv.ParseInt(name, 10, 32)
		rcs, err = t.adm.DescribeBrokerConfigs(ctx, int32(id))
	}
	if err != nil {
		return kadm.ResourceConfig{}, err
	}
	rc, err := rcs.On(name, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return rc, fmt.Errorf("cannot describe configs for %s '%s': %s", singular(t.target.entityType), name, kafkaMessage(err, rc.ErrMessage))
	}
	return rc, nil
}

// formatConfig prints a config as kafka-configs --describe does.
func formatConfig(c kadm.Config) string {
	synonyms := make([]string, len(c.Synonyms))
	for i, s := range c.Synonyms {
		synonyms[i] = sourceName(s.Source) + ":" + s.Key + "=" + nullable(s.Value)
	}
	return fmt.Sprintf("  %s=%s sensitive=%t synonyms={%s}", c.Key, nullable(c.Value), c.Sensitive, strings.Join(synonyms, ", "))
}

// sourceName is the Java admin client's name of a config source.
func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceClientMetricsConfig:
		return "DYNAMIC_CLIENT_METRICS_CONFIG"
	case kmsg.ConfigSourceGroupConfig:
		return "DYNAMIC_GROUP_CONFIG"
	}
	return s.String()
}

func nullable(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

func (t *configsTool) alterConfigs(ctx context.Context) error {
	adds, err := t.configsToAdd()
	if err != nil {
		return err
	}
	if t.target.entityType == entityLoggers {
		err = t.checkLoggers(ctx, adds)
	} else {
		err = t.checkDeletes(ctx)
	}
	if err != nil {
		return err
	}
	var ops []kadm.AlterConfig
	for _, key := range t.f.deleteConfig {
		ops = append(ops, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: strings.TrimSpace(key), Value: kadm.StringPtr("")})
	}
	keys := make([]string, 0, len(adds))
	for k := range adds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ops = append(ops, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(adds[k])})
	}
	var resps kadm.AlterConfigsResponses
	switch name := t.target.name; {
	case t.target.entityType == entityTopics:
		resps, err = t.adm.AlterTopicConfigs(ctx, ops, name)
	case t.target.entityType == entityGroups:
		resps, err = alterResourceConfigs(ctx, t.cl, kmsg.ConfigResourceTypeGroupConfig, ops, name)
	case t.target.entityType == entityLoggers:
		resps, err = alterResourceConfigs(ctx, t.cl, kmsg.ConfigResourceTypeBrokerLogger, ops, name)
	case name == "":
		resps, err = t.adm.AlterBrokerConfigs(ctx, ops)
	default:
		id, _ := strconv.ParseInt(name, 10, 32)
		resps, err = t.adm.AlterBrokerConfigs(ctx, ops, int32(id))
	}
	if err == nil && len(resps) > 0 && resps[0].Err != nil {
		err = errors.New(kafkaMessage(resps[0].Err, resps[0].ErrMessage))
	}
	if err != nil {
		return fmt.Errorf("cannot update config for %s: %v", t.entityLabel(), err)
	}
	if t.target.name == "" {
		t.out.linef("Completed updating default config for %s in the cluster.", t.target.entityType)
	} else {
		t.out.linef("Completed updating config for %s %s.", singular(t.target.entityType), t.target.name)
	}
	return nil
}

func (t *configsTool) entityLabel() string {
	if t.target.name == "" {
		return "the " + singular(t.target.entityType) + " default"
	}
	return fmt.Sprintf("%s '%s'", singular(t.target.entityType), t.target.name)
}

// configsToAdd reads --add-config-file and --add-config.
func (t *configsTool) configsToAdd() (map[string]string, error) {
	adds := map[string]string{}
	if t.f.configFile != "" {
		p, err := loadPropsFile(t.f.configFile)
		if err != nil {
			return nil, err
		}
		for k, v := range p {
			adds[k] = v
		}
	}
	if t.f.addConfig != "" {
		p, err := parseAddConfig(t.f.addConfig)
		if err != nil {
			return nil, err
		}
		for k, v := range p {
			adds[k] = v
		}
	}
	for k := range adds {
		if !configKeyPattern.MatchString(k) {
			return nil, fmt.Errorf("Invalid character found for config key: %s", k)
		}
	}
	return adds, nil
}

var configKeyPattern = regexp.MustCompile(`^[$a-zA-Z0-9._-]*$`)

// parseAddConfig parses --add-config as kafka-configs.sh does: pairs
// separated by commas outside square brackets, key and value separated by
// '=' outside brackets, brackets removed from values: 'k=[a,b]' sets k to
// "a,b".
func parseAddConfig(s string) (map[string]string, error) {
	pairs := splitOutsideBrackets(s, ',')
	for len(pairs) > 0 && pairs[len(pairs)-1] == "" {
		pairs = pairs[:len(pairs)-1] // as Java's String.split drops trailing empty strings
	}
	out := map[string]string{}
	for _, pair := range pairs {
		kv := splitOutsideBrackets(pair, '=')
		if len(kv) != 2 {
			return nil, errors.New(`Invalid entity config: all configs to be added must be in the format "key=val" or  "key=[val1,val2]" to group values which contain commas.`)
		}
		value := strings.NewReplacer("[", "", "]", "").Replace(kv[1])
		out[strings.TrimSpace(kv[0])] = strings.TrimSpace(value)
	}
	return out, nil
}

// splitOutsideBrackets splits s at each sep that is not between '[' and ']'.
func splitOutsideBrackets(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
