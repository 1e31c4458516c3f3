package handler

// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: the
// broker configuration in effect in an image (the static configuration with
// the dynamic broker configs of the image layered on it), the ConfigSchema
// the controller's config operations consult, and the checks Kafka's broker
// makes before it hands a change to the controller.

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/config"
	"gregor/internal/controller"
	"gregor/internal/metadata"
)

// effectiveCache remembers the configuration in effect for one image.
type effectiveCache struct {
	img *metadata.Image
	cfg *config.Config
}

// effectiveConfig returns the broker configuration in effect in img.
func (h *Handler) effectiveConfig(img *metadata.Image) *config.Config {
	if c := h.effective.Load(); c != nil && c.img == img {
		return c.cfg
	}
	perBroker, clusterDefault := img.BrokerConfigs(h.NodeID)
	cfg, err := h.Config.WithDynamic(perBroker, clusterDefault)
	if err != nil {
		// Changes are validated before they are written: a damaged metadata log?
		h.Logger.Error("dynamic broker configs do not apply; using the static configuration", "err", err)
		cfg = h.Config.Static()
	}
	h.effective.Store(&effectiveCache{img: img, cfg: cfg})
	return cfg
}

// configSchema is the controller.ConfigSchema of this node.
type configSchema struct {
	static *config.Config
	nodeID int32
}

func (h *Handler) configSchema() configSchema {
	return configSchema{static: h.Config.Static(), nodeID: h.NodeID}
}

func (s configSchema) Lookup(typ metadata.ResourceType, name string) (known, list bool) {
	var t string
	switch typ {
	case metadata.ResourceTopic:
		t, known = config.TopicConfigType(name)
	case metadata.ResourceBroker:
		t, known = config.BrokerConfigType(name)
	}
	return known, t == config.TypeList
}

func (s configSchema) Inherited(img *metadata.Image, res metadata.ConfigResource, name string) string {
	perBroker, clusterDefault := img.BrokerConfigs(s.nodeID)
	if res.Type == metadata.ResourceBroker {
		if res.Name == "" {
			return s.static.Value(name)
		}
		perBroker = nil
	}
	cfg, err := s.static.WithDynamic(perBroker, clusterDefault)
	if err != nil {
		cfg = s.static
	}
	if res.Type == metadata.ResourceTopic {
		v, _ := cfg.TopicValue(name, nil)
		return v
	}
	return cfg.Value(name)
}

// Validate checks topic configs by name, then by value (Kafka's
// LogConfig.validate), and broker configs as Kafka's dynamic broker config
// validation does, against this node's configuration.
func (s configSchema) Validate(img *metadata.Image, res metadata.ConfigResource, configs map[string]string) error {
	if res.Type == metadata.ResourceBroker {
		perBroker, clusterDefault := img.BrokerConfigs(s.nodeID)
		if res.Name == "" {
			clusterDefault = configs
		} else {
			perBroker = configs
		}
		return s.static.ValidateDynamic(perBroker, clusterDefault, res.Name == "")
	}
	names := slices.Sorted(maps.Keys(configs))
	for _, name := range names {
		if _, known := config.TopicConfigType(name); !known {
			return config.ValidateTopicConfig(name, configs[name])
		}
	}
	for _, name := range names {
		if err := config.ValidateTopicConfig(name, configs[name]); err != nil {
			return err
		}
	}
	return nil
}

// resourceKey names a config resource within a request.
type resourceKey struct {
	typ  int8
	name string
}

// duplicateResources returns the resources named more than once: Kafka
// refuses every copy.
func duplicateResources(keys []resourceKey) map[resourceKey]bool {
	seen := map[resourceKey]int{}
	for _, k := range keys {
		seen[k]++
	}
	dup := map[resourceKey]bool{}
	for k, n := range seen {
		if n > 1 {
			dup[k] = true
		}
	}
	return dup
}

var errDuplicateResource = errorf(kerr.InvalidRequest, "Each resource must appear at most once.")

// preprocessConfigs makes the checks Kafka's broker makes before it
// forwards a config change to the controller: no name twice, no null value
// where one is needed (nulls), and a broker resource that is this node or
// the cluster default.
func (h *Handler) preprocessConfigs(res metadata.ConfigResource, names []string, nulls []string) error {
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return errorf(kerr.InvalidRequest, "Error due to duplicate config keys")
		}
	}
	if len(nulls) > 0 {
		return errorf(kerr.InvalidRequest, "Null value not supported for : %s", strings.Join(nulls, ", "))
	}
	if res.Type != metadata.ResourceBroker || res.Name == "" {
		return nil
	}
	id, err := strconv.Atoi(res.Name)
	if err != nil {
		return errorf(kerr.InvalidRequest, "Node id must be an integer, but it is: %s", res.Name)
	}
	if int32(id) != h.NodeID || id != int(int32(id)) {
		return errorf(kerr.InvalidRequest, "Unexpected broker id, expected %d, but received %s", h.NodeID, res.Name)
	}
	return nil
}

// submitConfigs runs a config operation: on the controller, or, when
// validateOnly, against the current image without writing anything.
func (h *Handler) submitConfigs(ctx context.Context, validateOnly bool, op controller.Op) error {
	if validateOnly {
		_, err := op(h.Controller.Image())
		return err
	}
	return h.Controller.Submit(ctx, op)
}
