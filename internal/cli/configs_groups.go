package cli

// Group configs (config resource GROUP): kadm describes and alters topics
// and brokers only, so groups go through kmsg.

import (
	"context"
	"errors"
	"sort"

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

// describeGroupConfigs describes the configs of group, with synonyms.
func describeGroupConfigs(ctx context.Context, cl *kgo.Client, group string) (kadm.ResourceConfigs, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
	req.Resources = append(req.Resources, r)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
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

// alterGroupConfigs applies ops to the configs of group by
// IncrementalAlterConfigs.
func alterGroupConfigs(ctx context.Context, cl *kgo.Client, ops []kadm.AlterConfig, group string) (kadm.AlterConfigsResponses, error) {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
	for _, op := range ops {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value, c.Op = op.Name, op.Value, kmsg.IncrementalAlterConfigOpSet
		if op.Op == kadm.DeleteConfig {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		r.Configs = append(r.Configs, c)
	}
	req.Resources = append(req.Resources, r)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
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
