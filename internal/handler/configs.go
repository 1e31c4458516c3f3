package handler

// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: the
// broker configuration in effect in an image (the static configuration with
// the dynamic broker configs of the image layered on it), the checks Kafka's
// broker makes before it hands a change to the controller, and the request
// that hands it. The controller checks names and values with the schema of
// internal/config.

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
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

// resourceKey names a config resource within a request.
type resourceKey struct {
	typ  int8
	name string
}

// alterResources makes the checks and the change of an AlterConfigs or
// IncrementalAlterConfigs request and returns each resource's error: a
// resource named more than once is refused in every copy, as Kafka does;
// then authorization, then alteration's checks (the broker's, before it
// forwards; a nil alteration was done on this node); what passes goes to
// the controller in one request (which, when validateOnly, runs every check
// and writes nothing).
func (h *Handler) alterResources(ctx context.Context, req *Request, keys []resourceKey, alteration func(i int) (*controller.ConfigAlteration, error), validateOnly bool) []error {
	seen := map[resourceKey]int{}
	for _, k := range keys {
		seen[k]++
	}
	errs := make([]error, len(keys))
	var alterations []controller.ConfigAlteration
	var at []int // the index in keys of each alteration
	for i, k := range keys {
		if seen[k] > 1 {
			errs[i] = errDuplicateResource
			continue
		}
		if denied := h.configsDenied(req, acl.AlterConfigs, kmsg.ConfigResourceType(k.typ), k.name); denied != 0 {
			errs[i] = kerr.ErrorForCode(denied)
			continue
		}
		a, err := alteration(i)
		if errs[i] = err; err == nil && a != nil {
			alterations, at = append(alterations, *a), append(at, i)
		}
	}
	if len(alterations) == 0 {
		return errs
	}
	creq := controller.AlterConfigsRequest{Resources: alterations, ValidateOnly: validateOnly}
	resp, err := submit[controller.AlterConfigsResponse](ctx, h.Controller, creq)
	for j, i := range at {
		if err != nil {
			errs[i] = err
		} else {
			errs[i] = resp.Errs[j]
		}
	}
	return errs
}

var errDuplicateResource = errorf(kerr.InvalidRequest, "Each resource must appear at most once.")

// TLSValidator checks the listener TLS a broker configuration would put
// in effect on this node: its key and trust stores load.
type TLSValidator interface {
	ValidateTLS(cfg *config.Config) error
}

// checkListenerTLS validates, as Kafka's broker does before it forwards a
// change of its own dynamic configs, that the TLS of this node's
// listeners still loads once a's ssl keys apply: a key store that is
// missing or does not match its key is refused with INVALID_REQUEST
// ("Invalid dynamic configuration") and not stored, where it would
// otherwise be stored and then ignored. Changes that append to or
// subtract from a list are not checked here.
func (h *Handler) checkListenerTLS(a controller.ConfigAlteration) error {
	if h.TLS == nil || a.Resource.Type != metadata.ResourceBroker || a.Resource.Name != strconv.Itoa(int(h.NodeID)) {
		return nil
	}
	perBroker, clusterDefault := h.Metadata.Image().BrokerConfigs(h.NodeID)
	next := maps.Clone(perBroker)
	if next == nil {
		next = map[string]string{}
	}
	touched := false
	if a.Replace {
		for k := range perBroker {
			touched = touched || strings.Contains(k, "ssl.")
		}
		next = a.Configs
	}
	for k := range a.Configs {
		touched = touched || strings.Contains(k, "ssl.")
	}
	for _, c := range a.Changes {
		if !strings.Contains(c.Name, "ssl.") {
			continue
		}
		touched = true
		switch c.Op {
		case controller.ConfigSet:
			next[c.Name] = c.Value
		case controller.ConfigDelete:
			delete(next, c.Name)
		default:
			return nil
		}
	}
	if !touched {
		return nil
	}
	cfg, err := h.Config.WithDynamic(next, clusterDefault)
	if err != nil {
		return nil // the controller's checks answer it
	}
	if err := h.TLS.ValidateTLS(cfg); err != nil {
		h.Logger.Warn("a dynamic change of a listener's TLS does not load; refused", "err", err)
		return errorf(kerr.InvalidRequest, "Invalid dynamic configuration")
	}
	return nil
}

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
