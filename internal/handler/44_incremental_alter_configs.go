package handler

// IncrementalAlterConfigs: v0–1.
//
// Behaviour (KIP-339): each resource's operations (SET, DELETE, APPEND,
// SUBTRACT) change only the keys they name, applied in order, and are
// written as one metadata batch or not at all; other resources of the
// request are independent. Resources: topics (type 2), brokers (type 4),
// either this node's id or "" for the cluster default, and groups (type
// 32, KIP-848: any group id but "", existing or not; the configs as a whole
// checked as Kafka's GroupConfig, within the broker's group.consumer.min/max
// bounds, INVALID_CONFIG with Kafka's message otherwise), and this node's
// broker loggers (type 8: levels changed on this node only, not stored;
// broker_loggers.go). APPEND and SUBTRACT
// work on LIST configs only; on a key the resource does not set they start
// from the value it inherits. The result is validated as a whole: topic
// configs by name and value, broker configs as Kafka validates dynamic
// broker configs (dynamic keys only, values, per-broker-only keys). A
// change takes effect at once, on every partition it concerns, and
// survives a restart (the metadata log). validate_only runs every check and
// writes nothing. Errors, with Kafka's messages: a resource named twice
// INVALID_REQUEST for each copy; a key named twice, a null value for
// anything but DELETE, a broker id other than this node's, an unknown
// operation or resource type INVALID_REQUEST; unknown topic keys, bad topic
// values and APPEND/SUBTRACT on a non-LIST key INVALID_CONFIG; bad broker
// values and read-only broker keys INVALID_REQUEST ("Cannot update these
// configs dynamically: Set(...)"); unknown topics
// UNKNOWN_TOPIC_OR_PARTITION.
// Differences from Kafka: APPEND/SUBTRACT on an unset key start from the
// value in effect (Kafka starts from the built-in default, ignoring
// server.properties); CLIENT_METRICS resources are not supported
// (INVALID_REQUEST); no alter.config.policy.class.name, so
// POLICY_VIOLATION is never answered.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() {
	register(44, 0, 1, requires(alterConfigsOnCluster, alterConfigsOnTopic, alterConfigsOnGroup), (*Handler).incrementalAlterConfigs)
}

func (h *Handler) incrementalAlterConfigs(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.IncrementalAlterConfigsRequest)
	resp := r.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	keys := make([]resourceKey, len(r.Resources))
	for i, res := range r.Resources {
		keys[i] = resourceKey{int8(res.ResourceType), res.ResourceName}
	}
	errs := h.alterResources(ctx, req, keys, func(i int) (*controller.ConfigAlteration, error) {
		if res := r.Resources[i]; res.ResourceType == kmsg.ConfigResourceTypeBrokerLogger {
			return nil, h.alterBrokerLoggers(res, r.ValidateOnly)
		}
		a, err := h.incrementalAlteration(r.Resources[i])
		return &a, err
	}, r.ValidateOnly)
	for i, res := range r.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		rr.ErrorCode, rr.ErrorMessage = errorCode(errs[i]), errorMessage(errs[i])
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// incrementalAlteration turns res into the controller's alteration, after
// the checks the broker makes.
func (h *Handler) incrementalAlteration(res kmsg.IncrementalAlterConfigsRequestResource) (controller.ConfigAlteration, error) {
	target := metadata.ConfigResource{Type: metadata.ResourceType(res.ResourceType), Name: res.ResourceName}
	var names, nulls []string
	changes := make([]controller.ConfigChange, 0, len(res.Configs))
	for _, c := range res.Configs {
		names = append(names, c.Name)
		ch := controller.ConfigChange{Name: c.Name, Op: controller.ConfigOp(c.Op)}
		switch {
		case c.Value != nil:
			ch.Value = *c.Value
		case c.Op != kmsg.IncrementalAlterConfigOpDelete:
			nulls = append(nulls, c.Name)
		}
		changes = append(changes, ch)
	}
	a := controller.ConfigAlteration{Resource: target, Changes: changes}
	err := h.preprocessConfigs(target, names, nulls)
	if err == nil {
		err = h.checkListenerTLS(a)
	}
	return a, err
}
