package cli

// Group configs (config resource GROUP) and broker loggers (BROKER_LOGGER):
// kadm describes and alters topics and brokers only, so these go through
// kmsg, a broker's loggers to that broker.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupsWithConfigs lists, as kafka-configs.sh does, the groups that exist
// and those that set configs (ListConfigResources; a cluster that does not
// serve it or does not let the user list adds none).
func (t *configsTool) groupsWithConfigs(ctx context.Context) ([]string, error) {
	listed, err := t.adm.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, g := range listed.Groups() {
		seen[g] = true
	}
	res, err := t.adm.ListConfigResources(ctx, kadm.ConfigResourceGroupConfig)
	var auth *kadm.AuthError
	switch {
	case errors.Is(err, kerr.UnsupportedVersion) || errors.As(err, &auth):
	case err != nil:
		return nil, err
	case res.Err != nil && !errors.Is(res.Err, kerr.UnsupportedVersion):
		return nil, res.Err
	default:
		for _, r := range res.Resources {
			seen[r.Name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for g := range seen {
		names = append(names, g)
	}
	sort.Strings(names)
	return names, nil
}

// describeResourceConfigs describes the configs of the resource name of
// type typ, with synonyms.
func describeResourceConfigs(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, name string) (kadm.ResourceConfigs, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = typ, name
	req.Resources = append(req.Resources, r)
	kresp, err := requestTo(ctx, cl, typ, name, req)
	if err != nil {
		return nil, err
	}
	resp := kresp.(*kmsg.DescribeConfigsResponse)
	var out kadm.ResourceConfigs
	for _, r := range resp.Resources {
		rc := kadm.ResourceConfig{Name: r.ResourceName, Err: kerr.ErrorForCode(r.ErrorCode)}
		if r.ErrorMessage != nil {
			rc.ErrMessage = *r.ErrorMessage
		}
		for _, c := range r.Configs {
			kc := kadm.Config{Key: c.Name, Value: c.Value, Sensitive: c.IsSensitive, Source: c.Source}
			for _, s := range c.ConfigSynonyms {
				kc.Synonyms = append(kc.Synonyms, kadm.ConfigSynonym{Key: s.Name, Value: s.Value, Source: s.Source})
			}
			rc.Configs = append(rc.Configs, kc)
		}
		out = append(out, rc)
	}
	return out, nil
}

// alterResourceConfigs applies ops to the configs of the resource name of
// type typ by IncrementalAlterConfigs.
func alterResourceConfigs(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, ops []kadm.AlterConfig, name string) (kadm.AlterConfigsResponses, error) {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = typ, name
	for _, op := range ops {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value, c.Op = op.Name, op.Value, kmsg.IncrementalAlterConfigOpSet
		if op.Op == kadm.DeleteConfig {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		r.Configs = append(r.Configs, c)
	}
	req.Resources = append(req.Resources, r)
	kresp, err := requestTo(ctx, cl, typ, name, req)
	if err != nil {
		return nil, err
	}
	resp := kresp.(*kmsg.IncrementalAlterConfigsResponse)
	var out kadm.AlterConfigsResponses
	for _, r := range resp.Resources {
		a := kadm.AlterConfigsResponse{Name: r.ResourceName, Err: kerr.ErrorForCode(r.ErrorCode)}
		if r.ErrorMessage != nil {
			a.ErrMessage = *r.ErrorMessage
		}
		out = append(out, a)
	}
	return out, nil
}

// requestTo sends req about a resource: a broker's loggers to that broker,
// anything else wherever the client sends it.
func requestTo(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, name string, req kmsg.Request) (kmsg.Response, error) {
	if typ != kmsg.ConfigResourceTypeBrokerLogger {
		return cl.Request(ctx, req)
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return nil, err
	}
	return cl.Broker(int(id)).Request(ctx, req)
}

// checkLoggers fails, as kafka-configs.sh does, when --add-config or
// --delete-config names a logger the broker does not have.
func (t *configsTool) checkLoggers(ctx context.Context, adds map[string]string) error {
	rc, err := t.resourceConfig(ctx, t.target.name)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range rc.Configs {
		known[c.Key] = true
	}
	var invalid []string
	for _, k := range t.f.deleteConfig {
		if k = strings.TrimSpace(k); !known[k] {
			invalid = append(invalid, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(adds)) {
		if !known[k] {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return fmt.Errorf("Invalid broker logger(s): %s", strings.Join(invalid, ","))
	}
	return nil
}
