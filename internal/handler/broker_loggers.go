package handler

// The BROKER_LOGGER config resource (type 8): this node's loggers and
// their levels, described by DescribeConfigs and changed by
// IncrementalAlterConfigs on the node itself, as Kafka's
// RuntimeLoggerManager does. A change is not stored: it lasts until the
// node stops. Loggers are root and Gregor's named loggers (gregor.replica,
// gregor.controller, ...); levels are Kafka's (TRACE, DEBUG, INFO, WARN,
// ERROR, FATAL).

import (
	"maps"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/config"
	"gregor/internal/controller"
	"gregor/internal/logging"
	"gregor/internal/metadata"
)

// loggerEntries describes the loggers of node name: every logger with its
// level in effect, source DYNAMIC_BROKER_LOGGER_CONFIG, in name order.
func (h *Handler) loggerEntries(name string) ([]config.Entry, error) {
	if name == "" {
		return nil, errorf(kerr.InvalidRequest, "Broker id must not be empty")
	}
	id, err := strconv.Atoi(name)
	if err != nil {
		return nil, errorf(kerr.InvalidRequest, "Broker id must be an integer, but it is: %s", name)
	}
	if id != int(h.NodeID) {
		return nil, errorf(kerr.InvalidRequest, "Unexpected broker id, expected %d but received %s", h.NodeID, name)
	}
	if h.Loggers == nil {
		return nil, nil
	}
	levels := h.Loggers.Loggers()
	var out []config.Entry
	for _, n := range slices.Sorted(maps.Keys(levels)) {
		out = append(out, config.Entry{Name: n, Value: levels[n], Source: sourceBrokerLogger})
	}
	return out, nil
}

const sourceBrokerLogger = "DYNAMIC_BROKER_LOGGER_CONFIG"

// alterBrokerLoggers checks, and unless validateOnly applies, the operations of
// an IncrementalAlterConfigs resource on this node's loggers, with Kafka's
// errors: a node id other than this one or not a number, APPEND or
// SUBTRACT, or removing root's level INVALID_REQUEST; an unknown logger or
// level INVALID_CONFIG. Every operation is checked before any applies.
func (h *Handler) alterBrokerLoggers(res kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	var names, nulls []string
	for _, c := range res.Configs {
		names = append(names, c.Name)
		if c.Value == nil && c.Op != kmsg.IncrementalAlterConfigOpDelete {
			nulls = append(nulls, c.Name)
		}
	}
	if err := h.preprocessConfigs(metadata.ConfigResource{Type: metadata.ResourceType(res.ResourceType), Name: res.ResourceName}, names, nulls); err != nil {
		return err
	}
	id, err := strconv.Atoi(res.ResourceName)
	if err != nil {
		return errorf(kerr.InvalidRequest, "Node id must be an integer, but it is: %s", res.ResourceName)
	}
	if id != int(h.NodeID) {
		return errorf(kerr.InvalidRequest, "Unexpected node id. Expected %d, but received %d", h.NodeID, id)
	}
	exists := func(name string) bool { return h.Loggers != nil && h.Loggers.Exists(name) }
	for _, c := range res.Configs {
		switch op := controller.ConfigOp(c.Op); op {
		case controller.ConfigSet, controller.ConfigDelete:
			if !exists(c.Name) {
				return errorf(kerr.InvalidConfig, "Logger %s does not exist!", c.Name)
			}
			if op == controller.ConfigDelete && c.Name == logging.Root {
				return errorf(kerr.InvalidRequest, "Removing the log level of the %s logger is not allowed", logging.Root)
			}
			if _, ok := logging.ParseLevel(deref(c.Value)); op == controller.ConfigSet && !ok {
				return errorf(kerr.InvalidConfig, "Cannot set the log level of %s to %s as it is not a supported log level. Valid log levels are %s",
					c.Name, deref(c.Value), logging.ValidLevels())
			}
		case controller.ConfigAppend, controller.ConfigSubtract:
			return errorf(kerr.InvalidRequest, "%s operation is not allowed for the BROKER_LOGGER resource", op)
		default:
			return errorf(kerr.InvalidRequest, "Unknown operation type %d is not allowed for the BROKER_LOGGER resource", int8(c.Op))
		}
	}
	if validateOnly {
		return nil
	}
	for _, c := range res.Configs {
		if controller.ConfigOp(c.Op) == controller.ConfigSet {
			if err := h.Loggers.Set(c.Name, *c.Value); err == nil {
				h.Logger.Warn("updated the log level", "name", c.Name, "level", *c.Value)
			}
		} else if err := h.Loggers.Unset(c.Name); err == nil {
			h.Logger.Warn("unset the log level", "name", c.Name)
		}
	}
	return nil
}
