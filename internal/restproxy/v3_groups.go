package restproxy

// REST Proxy v3: consumer groups, read-only.
//
//	GET /v3/clusters/{cluster_id}/consumer-groups[/{group}[/consumers]]

import (
	"net/http"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

func (p *Proxy) routesV3Groups(m *http.ServeMux) {
	const c = "/v3/clusters/{cluster}"
	m.HandleFunc("GET "+c+"/consumer-groups", p.v3(p.listGroups))
	m.HandleFunc("GET "+c+"/consumer-groups/{group}", p.v3(p.getGroup))
	m.HandleFunc("GET "+c+"/consumer-groups/{group}/consumers", p.v3(p.listGroupConsumers))
}

type groupV3 struct {
	Kind              string       `json:"kind"`
	Metadata          resourceMeta `json:"metadata"`
	ClusterID         string       `json:"cluster_id"`
	ConsumerGroupID   string       `json:"consumer_group_id"`
	IsSimple          bool         `json:"is_simple"`
	PartitionAssignor string       `json:"partition_assignor"`
	State             string       `json:"state"`
	Coordinator       related      `json:"coordinator"`
	Consumers         related      `json:"consumers"`
	LagSummary        related      `json:"lag_summary"`
}

// groupOf is the v3 resource of a described group. Kafka's states are
// upper-cased as Confluent's proxy shows them (STABLE, EMPTY, ...).
func (p *Proxy) groupOf(r v3req, g kadm.DescribedGroup) groupV3 {
	self := r.base + "/consumer-groups/" + g.Group
	return groupV3{Kind: "KafkaConsumerGroup", Metadata: meta(self, "crn:///kafka="+p.cfg.ClusterID+"/consumer-group="+g.Group),
		ClusterID: p.cfg.ClusterID, ConsumerGroupID: g.Group, IsSimple: g.ProtocolType == "",
		PartitionAssignor: g.Protocol, State: strings.ToUpper(g.State),
		Coordinator: related{r.base + "/brokers/" + itoa(int64(g.Coordinator.NodeID))},
		Consumers:   related{self + "/consumers"}, LagSummary: related{self + "/lag-summary"}}
}

// describeGroups describes groups, every group when none is named; a
// named group that does not exist is 404.
func (p *Proxy) describeGroups(r v3req, groups ...string) ([]kadm.DescribedGroup, error) {
	if len(groups) == 0 {
		listed, err := r.adm.ListGroups(r.ctx)
		if err != nil {
			return nil, timeoutOr(r.ctx, err)
		}
		groups = listed.Groups()
		if len(groups) == 0 {
			return nil, nil
		}
	}
	described, err := r.adm.DescribeGroups(r.ctx, groups...)
	if err != nil && len(described) == 0 {
		return nil, timeoutOr(r.ctx, err)
	}
	var out []kadm.DescribedGroup
	for _, name := range slices.Sorted(slices.Values(groups)) {
		g, ok := described[name]
		if !ok || g.Err != nil || g.State == "Dead" {
			if len(groups) == 1 {
				return nil, errorf(http.StatusNotFound, http.StatusNotFound, "Consumer group %s cannot be found.", name)
			}
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

func (p *Proxy) listGroups(w http.ResponseWriter, r v3req) {
	groups, err := p.describeGroups(r)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	var out []groupV3
	for _, g := range groups {
		out = append(out, p.groupOf(r, g))
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaConsumerGroupList", r.base+"/consumer-groups", out))
}

func (p *Proxy) getGroup(w http.ResponseWriter, r v3req) {
	groups, err := p.describeGroups(r, r.PathValue("group"))
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, p.groupOf(r, groups[0]))
}

type consumerV3 struct {
	Kind            string       `json:"kind"`
	Metadata        resourceMeta `json:"metadata"`
	ClusterID       string       `json:"cluster_id"`
	ConsumerGroupID string       `json:"consumer_group_id"`
	ConsumerID      string       `json:"consumer_id"`
	InstanceID      *string      `json:"instance_id"`
	ClientID        string       `json:"client_id"`
	Host            string       `json:"host"`
	Assignments     related      `json:"assignments"`
}

func (p *Proxy) listGroupConsumers(w http.ResponseWriter, r v3req) {
	groups, err := p.describeGroups(r, r.PathValue("group"))
	if err != nil {
		writeV3Error(w, err)
		return
	}
	g := groups[0]
	base := r.base + "/consumer-groups/" + g.Group + "/consumers"
	var out []consumerV3
	for _, m := range g.Members {
		self := base + "/" + m.MemberID
		out = append(out, consumerV3{Kind: "KafkaConsumer",
			Metadata:  meta(self, "crn:///kafka="+p.cfg.ClusterID+"/consumer-group="+g.Group+"/consumer="+m.MemberID),
			ClusterID: p.cfg.ClusterID, ConsumerGroupID: g.Group, ConsumerID: m.MemberID, InstanceID: m.InstanceID,
			ClientID: m.ClientID, Host: m.ClientHost, Assignments: related{self + "/assignments"}})
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaConsumerList", base, out))
}
