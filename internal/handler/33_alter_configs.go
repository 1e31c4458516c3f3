package handler

// AlterConfigs: v0–2.
//
// Behaviour: the legacy, non-incremental alter. Each resource's configs
// replace its whole set of overrides: a key the request does not name is
// deleted, as Kafka does (and why clients should prefer
// IncrementalAlterConfigs). Resources, validation, validate_only, effect
// and errors are those of IncrementalAlterConfigs (44): a resource named
// twice, a key named twice, a null value or a broker id other than this
// node's answer INVALID_REQUEST; unknown or bad topic configs
// INVALID_CONFIG; read-only or bad broker configs INVALID_REQUEST; unknown
// topics UNKNOWN_TOPIC_OR_PARTITION.
// Differences from Kafka: as for IncrementalAlterConfigs.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() {
	register(33, 0, 2, requires(alterConfigsOnCluster, alterConfigsOnTopic, alterConfigsOnGroup), (*Handler).alterConfigs)
}

func (h *Handler) alterConfigs(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterConfigsRequest)
	resp := r.ResponseKind().(*kmsg.AlterConfigsResponse)
	keys := make([]resourceKey, len(r.Resources))
	for i, res := range r.Resources {
		keys[i] = resourceKey{int8(res.ResourceType), res.ResourceName}
	}
	errs := h.alterResources(ctx, req, keys, func(i int) (*controller.ConfigAlteration, error) {
		a, err := h.replacement(r.Resources[i])
		return &a, err
	}, r.ValidateOnly)
	for i, res := range r.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		rr.ErrorCode, rr.ErrorMessage = errorCode(errs[i]), errorMessage(errs[i])
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// replacement turns res into the controller's alteration that replaces
// the resource's configs, after the checks the broker makes.
func (h *Handler) replacement(res kmsg.AlterConfigsRequestResource) (controller.ConfigAlteration, error) {
	target := metadata.ConfigResource{Type: metadata.ResourceType(res.ResourceType), Name: res.ResourceName}
	var names, nulls []string
	configs := make(map[string]string, len(res.Configs))
	for _, c := range res.Configs {
		names = append(names, c.Name)
		if c.Value == nil {
			nulls = append(nulls, c.Name)
			continue
		}
		configs[c.Name] = *c.Value
	}
	a := controller.ConfigAlteration{Resource: target, Replace: true, Configs: configs}
	err := h.preprocessConfigs(target, names, nulls)
	if err == nil {
		err = h.checkListenerTLS(a)
	}
	return a, err
}
