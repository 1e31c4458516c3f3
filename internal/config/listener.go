package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

var securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}

// parseListeners parses the value of key, a comma-separated list of
// NAME://host:port (IPv6 hosts in brackets), checking that names and
// non-zero ports are unique.
func parseListeners(key, value string) ([]Listener, error) {
	var out []Listener
	for _, item := range splitList(value) {
		l, err := parseListener(item)
		if err != nil {
			return nil, invalidValue(key, value, err.Error())
		}
		for _, prev := range out {
			if prev.Name == l.Name {
				return nil, invalidValue(key, value, fmt.Sprintf("listener name %s is used twice", l.Name))
			}
			if l.Port != 0 && prev.Port == l.Port && prev.Host == l.Host {
				return nil, invalidValue(key, value, fmt.Sprintf("port %d is used by both %s and %s", l.Port, prev.Name, l.Name))
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func parseListener(s string) (Listener, error) {
	name, rest, ok := strings.Cut(s, "://")
	if !ok || name == "" {
		return Listener{}, fmt.Errorf("listener %q is not of the form NAME://host:port", s)
	}
	var host, port string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 || !strings.HasPrefix(rest[end+1:], ":") {
			return Listener{}, fmt.Errorf("listener %q is not of the form NAME://[ipv6]:port", s)
		}
		host, port = rest[1:end], rest[end+2:]
	} else {
		i := strings.LastIndex(rest, ":")
		if i < 0 {
			return Listener{}, fmt.Errorf("listener %q has no port", s)
		}
		host, port = rest[:i], rest[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return Listener{}, fmt.Errorf("listener %q: port %q is not in 0..65535", s, port)
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: n}, nil
}

// parseProtocolMap parses NAME:PROTOCOL pairs.
func parseProtocolMap(value string) (map[string]string, error) {
	m := make(map[string]string)
	for _, pair := range splitList(value) {
		name, proto, ok := strings.Cut(pair, ":")
		name, proto = strings.ToUpper(strings.TrimSpace(name)), strings.ToUpper(strings.TrimSpace(proto))
		if !ok || name == "" {
			return nil, invalidValue("listener.security.protocol.map", value, fmt.Sprintf("%q is not of the form NAME:PROTOCOL", pair))
		}
		if !slices.Contains(securityProtocols, proto) {
			return nil, invalidValue("listener.security.protocol.map", value,
				fmt.Sprintf("unknown security protocol %q for listener %s (expected one of %s)", proto, name, strings.Join(securityProtocols, ", ")))
		}
		m[name] = proto
	}
	return m, nil
}

// deriveListeners parses the listener keys and checks Kafka's rules between
// listeners, advertised listeners, controller listeners and the inter-broker
// listener.
func (c *Config) deriveListeners() error {
	var err error
	if c.Listeners, err = parseListeners("listeners", c.Values["listeners"]); err != nil {
		return err
	}
	if len(c.Listeners) == 0 {
		return invalidValue("listeners", c.Values["listeners"], "must name at least one listener")
	}
	for i, name := range c.ControllerListenerNames {
		c.ControllerListenerNames[i] = strings.ToUpper(name)
	}
	if c.ListenerSecurityProtocolMap, err = parseProtocolMap(c.Values["listener.security.protocol.map"]); err != nil {
		return err
	}
	if err := c.checkSecurityProtocols(); err != nil {
		return err
	}
	if err := c.checkControllerListeners(); err != nil {
		return err
	}
	if !c.HasRole("broker") {
		return nil
	}
	if err := c.deriveAdvertisedListeners(); err != nil {
		return err
	}
	return c.deriveInterBrokerListener()
}

// checkSecurityProtocols requires a protocol for every listener. As in Kafka,
// controller listeners default to PLAINTEXT when the map was not given.
func (c *Config) checkSecurityProtocols() error {
	for _, l := range c.Listeners {
		if _, ok := c.ListenerSecurityProtocolMap[l.Name]; ok {
			continue
		}
		if !c.given["listener.security.protocol.map"] && slices.Contains(c.ControllerListenerNames, l.Name) {
			c.ListenerSecurityProtocolMap[l.Name] = "PLAINTEXT"
			continue
		}
		return fmt.Errorf("listeners: no security protocol defined for listener %s in listener.security.protocol.map", l.Name)
	}
	return nil
}

func (c *Config) checkControllerListeners() error {
	names := c.ControllerListenerNames
	isControllerListener := func(l Listener) bool { return slices.Contains(names, l.Name) }
	if !c.HasRole("broker") {
		return c.checkControllerOnlyListeners(isControllerListener)
	}
	switch {
	case c.HasRole("controller") && len(names) > 0 && !slices.ContainsFunc(c.Listeners, func(l Listener) bool { return l.Name == names[0] }):
		return fmt.Errorf("controller.listener.names: the first controller listener %s must appear in listeners when running the controller role", names[0])
	case !c.HasRole("controller") && slices.ContainsFunc(c.Listeners, isControllerListener):
		return fmt.Errorf("listeners: must not contain a controller listener from controller.listener.names when running just the broker role")
	}
	return nil
}

// checkControllerOnlyListeners checks the listeners of a controller-only
// node (process.roles=controller) as Kafka's KafkaConfig does, with its
// messages: it has only controller listeners, every one of
// controller.listener.names among them, and serves no broker listener.
func (c *Config) checkControllerOnlyListeners(isControllerListener func(Listener) bool) error {
	switch {
	case len(c.ControllerListenerNames) == 0:
		return fmt.Errorf(`Missing required configuration "controller.listener.names" which has no default value.`)
	case !all(c.Listeners, isControllerListener):
		return fmt.Errorf("The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller")
	}
	for _, name := range c.ControllerListenerNames {
		if !slices.ContainsFunc(c.Listeners, func(l Listener) bool { return l.Name == name }) {
			return fmt.Errorf("controller.listener.names must only contain values appearing in the 'listeners' configuration when running the KRaft controller role")
		}
	}
	return nil
}

func all[T any](s []T, f func(T) bool) bool {
	return !slices.ContainsFunc(s, func(v T) bool { return !f(v) })
}

// deriveAdvertisedListeners defaults advertised.listeners to the non-controller
// listeners, advertising "localhost" for an empty host.
func (c *Config) deriveAdvertisedListeners() error {
	key := "advertised.listeners"
	if c.isSet(key) {
		var err error
		if c.AdvertisedListeners, err = parseListeners(key, c.Values[key]); err != nil {
			return err
		}
	} else {
		key = "listeners"
		c.AdvertisedListeners = nil
		for _, l := range c.Listeners {
			if !slices.Contains(c.ControllerListenerNames, l.Name) {
				c.AdvertisedListeners = append(c.AdvertisedListeners, l)
			}
		}
	}
	if c.HasRole("controller") {
		// Kafka 4 advertises the controller listener among the others
		// (KIP-853, its sample server.properties): the controller's own
		// endpoint (ControllerEndpoint), not one the broker registers.
		c.AdvertisedListeners = slices.DeleteFunc(c.AdvertisedListeners, func(l Listener) bool {
			return slices.Contains(c.ControllerListenerNames, l.Name)
		})
	}
	for i, l := range c.AdvertisedListeners {
		switch {
		case l.Host == "":
			c.AdvertisedListeners[i].Host = "localhost"
		case l.Host == "0.0.0.0" || l.Host == "::":
			return invalidValue(key, c.Values[key], "advertised listeners cannot use the nonroutable meta-address "+l.Host+"; use a routable address")
		}
		if slices.Contains(c.ControllerListenerNames, l.Name) {
			return invalidValue(key, c.Values[key], fmt.Sprintf("advertised listeners must not contain the controller listener %s when running the broker role", l.Name))
		}
		if !slices.ContainsFunc(c.Listeners, func(m Listener) bool { return m.Name == l.Name }) {
			return invalidValue(key, c.Values[key], fmt.Sprintf("advertised listener %s is not in listeners", l.Name))
		}
	}
	return nil
}

func (c *Config) deriveInterBrokerListener() error {
	if c.given["inter.broker.listener.name"] && c.given["security.inter.broker.protocol"] {
		return fmt.Errorf("only one of inter.broker.listener.name and security.inter.broker.protocol should be set")
	}
	c.InterBrokerListenerName = strings.ToUpper(c.Values["inter.broker.listener.name"])
	if c.InterBrokerListenerName == "" {
		c.InterBrokerListenerName = c.Values["security.inter.broker.protocol"]
	}
	var names []string
	for _, l := range c.AdvertisedListeners {
		if l.Name == c.InterBrokerListenerName {
			return nil
		}
		names = append(names, l.Name)
	}
	return fmt.Errorf("inter.broker.listener.name: %s must be a listener name defined in advertised.listeners (valid: %s)",
		c.InterBrokerListenerName, strings.Join(names, ", "))
}
