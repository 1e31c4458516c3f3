package handler

// ListConfigResources: v0–1 (KIP-1000, KIP-1142).
//
// Behaviour: the config resources of the types asked, all the version
// knows when none is asked (v0: client metrics; v1: groups, client metrics,
// broker loggers, brokers and topics), in Kafka's order: the groups that
// set configs, the client metrics resources (Gregor has none: it serves no
// KIP-714 telemetry), every registered broker with an endpoint on the
// listener asked (once as a broker logger, once as a broker), every topic
// (internal ones too). A type the version does not know answers
// UNSUPPORTED_VERSION and no resources; without DESCRIBE_CONFIGS on the
// cluster, CLUSTER_AUTHORIZATION_FAILED.

import (
	"context"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/metadata"
)

func init() {
	register(74, 0, 1, requires(describeConfigsOnCluster), (*Handler).listConfigResources)
}

// listableConfigTypes are the types each version lists when asked none,
// in the order they are answered.
var listableConfigTypes = [][]kmsg.ConfigResourceType{
	{kmsg.ConfigResourceTypeClientMetrics},
	{kmsg.ConfigResourceTypeGroupConfig, kmsg.ConfigResourceTypeClientMetrics, kmsg.ConfigResourceTypeBrokerLogger,
		kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeTopic},
}

func (h *Handler) listConfigResources(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListConfigResourcesRequest)
	resp := r.ResponseKind().(*kmsg.ListConfigResourcesResponse)
	if !h.allowedOnCluster(req, describeConfigsOnCluster.Operation) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	supported := listableConfigTypes[min(int(r.Version), len(listableConfigTypes)-1)]
	asked := map[kmsg.ConfigResourceType]bool{}
	for _, t := range r.ResourceTypes {
		if !slices.Contains(supported, kmsg.ConfigResourceType(t)) {
			resp.ErrorCode = kerr.UnsupportedVersion.Code
			return resp, nil
		}
		asked[kmsg.ConfigResourceType(t)] = true
	}
	img := h.Metadata.Image()
	add := func(typ kmsg.ConfigResourceType, name string) {
		c := kmsg.NewListConfigResourcesResponseConfigResource()
		c.Name, c.Type = name, int8(typ)
		resp.ConfigResources = append(resp.ConfigResources, c)
	}
	for _, typ := range supported {
		if len(asked) > 0 && !asked[typ] {
			continue
		}
		switch typ {
		case kmsg.ConfigResourceTypeGroupConfig:
			for _, g := range img.ConfigResourceNames(metadata.ResourceGroup) {
				add(typ, g)
			}
		case kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeBroker:
			for _, b := range img.Brokers() {
				if _, ok := b.Endpoint(req.Listener); ok {
					add(typ, strconv.Itoa(int(b.ID)))
				}
			}
		case kmsg.ConfigResourceTypeTopic:
			for _, t := range img.TopicNames() {
				add(typ, t)
			}
		}
	}
	return resp, nil
}
