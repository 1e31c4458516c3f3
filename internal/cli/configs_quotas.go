package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client quotas and SCRAM credentials through kafka-configs.sh's users,
// clients and ips entity types: DescribeClientQuotas and AlterClientQuotas
// (KIP-546), DescribeUserScramCredentials and AlterUserScramCredentials
// (KIP-554), with kafka-configs.sh's checks, messages and output.

// quotaKeys are the quota configs of users and clients (Kafka's
// QuotaConfig.isClientOrUserQuotaConfig).
var quotaKeys = []string{"producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate"}

// scramMechanisms are the SCRAM configs a user may carry.
var scramMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-512"}

// defaultScramIterations is kafka-configs.sh's when the value names none.
const defaultScramIterations = 4096

func isQuotaEntity(typ string) bool {
	return typ == entityUsers || typ == entityClients || typ == entityIPs
}

// quotaEntityType is the wire name of a users, clients or ips entity type.
func quotaEntityType(typ string) string {
	switch typ {
	case entityUsers:
		return "user"
	case entityIPs:
		return "ip"
	}
	return "client-id"
}

// ipQuotaKeys are the quota configs of IP addresses.
var ipQuotaKeys = []string{"connection_creation_rate"}

// checkQuotaTarget checks a users/clients command line as
// kafka-configs.sh's checkArgs does.
func (f *configsFlags) checkQuotaTarget(t configsTarget) error {
	if t.entityType == entityIPs {
		for _, name := range t.quotaNames {
			if name != "" && net.ParseIP(name) == nil {
				return fmt.Errorf("The entity name for ips must be a valid IP or resolvable host, but it is: %s", name)
			}
		}
	}
	if f.describe {
		if len(t.quotaNames) > len(t.quotaTypes) {
			return errors.New("More entity names specified than entity types")
		}
		return nil
	}
	switch {
	case !t.named:
		return errors.New("An entity-name or default entity must be specified with --alter of users, clients, brokers or ips")
	case len(t.quotaNames) != len(t.quotaTypes):
		return errors.New("An entity name must be specified for every entity type")
	case f.addConfig != "" && f.configFile != "":
		return errors.New("Only one of --add-config or --add-config-file must be specified")
	case f.addConfig == "" && f.configFile == "" && len(f.deleteConfig) == 0:
		return errors.New("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
	}
	return nil
}

// quotaFilter is the strict filter kafka-configs.sh describes with: each
// type, with its name, its default, or (no name given) any entity of it.
func (t *configsTool) quotaFilter() []kadm.DescribeClientQuotaComponent {
	var filter []kadm.DescribeClientQuotaComponent
	for i, typ := range t.target.quotaTypes {
		c := kadm.DescribeClientQuotaComponent{Type: quotaEntityType(typ), MatchType: kmsg.QuotasMatchTypeAny}
		if i < len(t.target.quotaNames) {
			if name := t.target.quotaNames[i]; name == "" {
				c.MatchType = kmsg.QuotasMatchTypeDefault
			} else {
				c.MatchType, c.MatchName = kmsg.QuotasMatchTypeExact, kadm.StringPtr(name)
			}
		}
		filter = append(filter, c)
	}
	return filter
}

func (t *configsTool) describeQuotas(ctx context.Context) error {
	described, err := t.adm.DescribeClientQuotas(ctx, true, t.quotaFilter())
	if err != nil {
		return fmt.Errorf("cannot describe client quotas: %w", err)
	}
	for _, q := range inJavaHashOrder(described, quotaEntityHash) {
		t.out.linef("Quota configs for %s are %s", quotaEntityLabel(q.Entity), quotaValues(q.Values))
	}
	// As kafka-configs.sh: credentials only of users, and not of defaults.
	if t.target.entityType == entityIPs || slices.Contains(t.target.quotaTypes, entityClients) || slices.Contains(t.target.quotaNames, "") {
		return nil
	}
	return t.describeScram(ctx)
}

// quotaEntityLabel names an entity as kafka-configs.sh prints it:
// "user-principal 'alice', the default client-id".
func quotaEntityLabel(e kadm.ClientQuotaEntity) string {
	var parts []string
	for _, typ := range []struct{ wire, label string }{{"user", "user-principal"}, {"client-id", "client-id"}, {"ip", "ip"}} {
		for _, c := range e {
			switch {
			case c.Type != typ.wire:
			case c.Name == nil:
				parts = append(parts, "the default "+typ.label)
			default:
				parts = append(parts, fmt.Sprintf("%s '%s'", typ.label, *c.Name))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// quotaValues prints values as kafka-configs.sh does: Java's doubles, in
// the order of the Java client's HashMap.
func quotaValues(values kadm.ClientQuotaValues) string {
	var parts []string
	for _, v := range inJavaHashOrder(values, func(v kadm.ClientQuotaValue) int32 { return javaStringHash(v.Key) }) {
		parts = append(parts, v.Key+"="+javaDouble(v.Value))
	}
	return strings.Join(parts, ", ")
}

func (t *configsTool) describeScram(ctx context.Context) error {
	described, err := t.adm.DescribeUserSCRAMs(ctx, t.target.quotaNames...)
	if err != nil {
		return fmt.Errorf("cannot describe SCRAM credentials: %w", err)
	}
	users := make([]string, 0, len(described))
	for u := range described {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		d := described[u]
		if d.Err != nil {
			continue // a user without credentials is not listed
		}
		var infos []string
		for _, c := range d.CredInfos {
			infos = append(infos, fmt.Sprintf("%s=iterations=%d", c.Mechanism, c.Iterations))
		}
		t.out.linef("SCRAM credential configs for user-principal '%s' are %s", u, strings.Join(infos, ", "))
	}
	return nil
}

func (t *configsTool) alterQuotas(ctx context.Context) error {
	adds, err := t.configsToAdd()
	if err != nil {
		return err
	}
	deletes := make([]string, len(t.f.deleteConfig))
	for i, k := range t.f.deleteConfig {
		deletes[i] = strings.TrimSpace(k)
	}
	scram, err := t.checkQuotaKeys(adds, deletes)
	if err != nil {
		return err
	}
	if scram {
		err = t.alterScram(ctx, adds, deletes)
	} else {
		err = t.alterClientQuotas(ctx, adds, deletes)
	}
	if err != nil {
		return err
	}
	if t.target.name == "" {
		t.out.linef("Completed updating default config for %s in the cluster.", t.target.entityType)
	} else {
		t.out.linef("Completed updating config for %s %s.", singular(t.target.entityType), t.target.name)
	}
	return nil
}

// checkQuotaKeys refuses the keys kafka-configs.sh refuses for the
// entity, and reports whether the change is of SCRAM credentials.
func (t *configsTool) checkQuotaKeys(adds map[string]string, deletes []string) (scram bool, err error) {
	if t.target.entityType == entityIPs {
		var unknown []string
		for _, k := range append(sortedKeys(adds), deletes...) {
			if !slices.Contains(ipQuotaKeys, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			return false, fmt.Errorf("Only connection quota configs can be added for 'ip' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknown, ","))
		}
		return false, nil
	}
	var unknownAdds, scramAdds, unknownDeletes, scramDeletes []string
	for _, k := range sortedKeys(adds) {
		switch {
		case slices.Contains(scramMechanisms, k):
			scramAdds = append(scramAdds, k)
		case !slices.Contains(quotaKeys, k):
			unknownAdds = append(unknownAdds, k)
		}
	}
	for _, k := range deletes {
		switch {
		case slices.Contains(scramMechanisms, k):
			scramDeletes = append(scramDeletes, k)
		case !slices.Contains(quotaKeys, k):
			unknownDeletes = append(unknownDeletes, k)
		}
	}
	quotaChanges := len(adds)-len(scramAdds)-len(unknownAdds) > 0 || len(deletes)-len(scramDeletes)-len(unknownDeletes) > 0
	if t.target.entityType == entityClients || len(t.target.quotaTypes) == 2 {
		if len(unknownAdds)+len(scramAdds) > 0 {
			return false, fmt.Errorf("Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(%s)", strings.Join(append(unknownAdds, scramAdds...), ", "))
		}
		if len(unknownDeletes)+len(scramDeletes) > 0 {
			return false, fmt.Errorf("Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: List(%s)", strings.Join(append(unknownDeletes, scramDeletes...), ", "))
		}
		return false, nil
	}
	switch {
	case len(unknownAdds) > 0:
		return false, fmt.Errorf("Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: Set(%s)", strings.Join(unknownAdds, ", "))
	case len(unknownDeletes) > 0:
		return false, fmt.Errorf("Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: List(%s)", strings.Join(unknownDeletes, ", "))
	case len(scramAdds)+len(scramDeletes) == 0:
		return false, nil
	case t.target.name == "":
		return false, errors.New("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.")
	case quotaChanges:
		return false, errors.New("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.")
	}
	return true, nil
}

// alterClientQuotas sets and removes the quotas of the target entity,
// refusing to delete a quota it does not have, as kafka-configs.sh does.
func (t *configsTool) alterClientQuotas(ctx context.Context, adds map[string]string, deletes []string) error {
	described, err := t.adm.DescribeClientQuotas(ctx, true, t.quotaFilter())
	if err != nil {
		return fmt.Errorf("cannot describe client quotas: %w", err)
	}
	current := map[string]bool{}
	if len(described) > 0 {
		for _, v := range described[0].Values {
			current[v.Key] = true
		}
	}
	var invalid []string
	for _, k := range deletes {
		if !current[k] {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return fmt.Errorf("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	entry := kadm.AlterClientQuotaEntry{}
	for i, typ := range t.target.quotaTypes {
		c := kadm.ClientQuotaEntityComponent{Type: quotaEntityType(typ)}
		if name := t.target.quotaNames[i]; name != "" {
			c.Name = kadm.StringPtr(name)
		}
		entry.Entity = append(entry.Entity, c)
	}
	for _, k := range sortedKeys(adds) {
		v, err := strconv.ParseFloat(strings.TrimSpace(adds[k]), 64)
		if err != nil {
			return fmt.Errorf("Cannot parse quota configuration value for %s: %s", k, adds[k])
		}
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: k, Value: v})
	}
	for _, k := range deletes {
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: k, Remove: true})
	}
	altered, err := t.adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{entry})
	if err == nil && len(altered) > 0 && altered[0].Err != nil {
		err = errors.New(kafkaMessage(altered[0].Err, altered[0].ErrMessage))
	}
	if err != nil {
		return fmt.Errorf("cannot update quotas for %s: %v", t.entityLabel(), err)
	}
	return nil
}

// scramValue is kafka-configs.sh's credential value:
// [iterations=N,]password=P.
var scramValue = regexp.MustCompile(`^(?:iterations=(-?[0-9]*),)?password=(.*)$`)

// alterScram sets and deletes one user's SCRAM credentials; the client
// salts and hashes the password, which never reaches the broker.
func (t *configsTool) alterScram(ctx context.Context, adds map[string]string, deletes []string) error {
	user := t.target.name
	var upserts []kadm.UpsertSCRAM
	for _, mech := range sortedKeys(adds) {
		m := scramValue.FindStringSubmatch(adds[mech])
		if m == nil {
			return fmt.Errorf("Invalid credential property %s=%s", mech, adds[mech])
		}
		iterations := defaultScramIterations
		if m[1] != "" && m[1] != "-1" {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return fmt.Errorf("Invalid credential property %s=%s", mech, adds[mech])
			}
			iterations = n
		}
		if iterations < defaultScramIterations {
			return fmt.Errorf("Iterations %d is less than the minimum %d required for %s", iterations, defaultScramIterations, mech)
		}
		upserts = append(upserts, kadm.UpsertSCRAM{User: user, Mechanism: scramMechanism(mech), Iterations: int32(iterations), Password: m[2]})
	}
	var dels []kadm.DeleteSCRAM
	for _, mech := range deletes {
		dels = append(dels, kadm.DeleteSCRAM{User: user, Mechanism: scramMechanism(mech)})
	}
	altered, err := t.adm.AlterUserSCRAMs(ctx, dels, upserts)
	if err == nil {
		if r, ok := altered[user]; ok && r.Err != nil {
			err = errors.New(kafkaMessage(r.Err, r.ErrMessage))
		}
	}
	if err != nil {
		return fmt.Errorf("cannot update SCRAM credentials for user '%s': %v", user, err)
	}
	return nil
}

func scramMechanism(name string) kadm.ScramMechanism {
	if name == "SCRAM-SHA-512" {
		return kadm.ScramSha512
	}
	return kadm.ScramSha256
}

// javaDouble formats v as Java's Double.toString: a decimal with at least
// one fractional digit between 10^-3 and 10^7, computerized scientific
// notation ("1.048576E7") outside.
func javaDouble(v float64) string {
	switch abs := max(v, -v); {
	case v != v:
		return "NaN"
	case abs > 1.7976931348623157e308:
		if v > 0 {
			return "Infinity"
		}
		return "-Infinity"
	case v == 0:
		return "0.0"
	case abs >= 1e-3 && abs < 1e7:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mantissa, exp, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e")
	if !strings.Contains(mantissa, ".") {
		mantissa += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mantissa + "E" + strconv.Itoa(n)
}

// javaStringHash is Java's String.hashCode.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// quotaEntityHash is Java's ClientQuotaEntity.hashCode: Objects.hash of
// its map of type to name (null for a default).
func quotaEntityHash(q kadm.DescribedClientQuota) int32 {
	var sum int32
	for _, c := range q.Entity {
		var name int32
		if c.Name != nil {
			name = javaStringHash(*c.Name)
		}
		sum += javaStringHash(c.Type) ^ name
	}
	return 31 + sum
}

// inJavaHashOrder returns items in the order a Java HashMap built with
// new HashMap<>(len(items)) and filled in order iterates them: the Java
// admin client's maps, which kafka-configs.sh prints as they come.
func inJavaHashOrder[T any](items []T, hash func(T) int32) []T {
	capacity := 1
	for capacity < len(items) {
		capacity <<= 1
	}
	for threshold := capacity * 3 / 4; len(items) > threshold; threshold = capacity * 3 / 4 {
		capacity <<= 1
	}
	bucket := func(item T) uint32 {
		h := uint32(hash(item))
		return (h ^ h>>16) & uint32(capacity-1)
	}
	out := slices.Clone(items)
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i]) < bucket(out[j]) })
	return out
}
