package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Voter is one member of the controller quorum, from controller.quorum.voters.
type Voter struct {
	ID   int32
	Host string
	Port int
}

// Addr is the voter's host:port.
func (v Voter) Addr() string {
	return net.JoinHostPort(strings.Trim(v.Host, "[]"), strconv.Itoa(v.Port))
}

// ParseVoters parses controller.quorum.voters: comma-separated
// id@host:port entries with distinct ids.
func ParseVoters(value string) ([]Voter, error) {
	var out []Voter
	for _, item := range splitList(value) {
		v, err := parseVoter(item)
		if err != nil {
			return nil, invalidValue("controller.quorum.voters", value, err.Error())
		}
		if slices.ContainsFunc(out, func(o Voter) bool { return o.ID == v.ID }) {
			return nil, invalidValue("controller.quorum.voters", value, fmt.Sprintf("voter id %d is listed twice", v.ID))
		}
		out = append(out, v)
	}
	return out, nil
}

func parseVoter(s string) (Voter, error) {
	id, addr, ok := strings.Cut(s, "@")
	n, err := strconv.ParseInt(id, 10, 32)
	if !ok || err != nil || n < 0 {
		return Voter{}, fmt.Errorf("%q is not of the form id@host:port", s)
	}
	i := strings.LastIndex(addr, ":")
	if i <= 0 {
		return Voter{}, fmt.Errorf("%q has no host:port", s)
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return Voter{}, fmt.Errorf("%q: port %q is not in 1..65535", s, addr[i+1:])
	}
	return Voter{ID: int32(n), Host: addr[:i], Port: port}, nil
}

// deriveVoters parses controller.quorum.voters and checks it against the
// roles: a controller must be one of the voters (and a broker-only node
// must not) and must have a controller listener to reach the others on.
// With no voters a node is a quorum of one, itself, unless it names the
// quorum by controller.quorum.bootstrap.servers: then the voters come at
// start (WithVoters), from the format or from the bootstrap servers.
func (c *Config) deriveVoters() error {
	var err error
	if c.Voters, err = ParseVoters(c.ControllerQuorumVoters); err != nil {
		return err
	}
	for _, s := range c.QuorumBootstrapServers {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			return invalidValue("controller.quorum.bootstrap.servers", strings.Join(c.QuorumBootstrapServers, ","), fmt.Sprintf("%q is not host:port", s))
		}
	}
	if len(c.Voters) == 0 {
		if !c.HasRole("broker") && len(c.QuorumBootstrapServers) == 0 {
			// A combined node alone is a quorum of one; a controller-only
			// node serves brokers that must find the quorum.
			return fmt.Errorf("If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers.")
		}
		return nil
	}
	return c.checkVoters()
}

// checkVoters checks the voters against the node's roles and listeners.
func (c *Config) checkVoters() error {
	self := slices.ContainsFunc(c.Voters, func(v Voter) bool { return v.ID == c.NodeID })
	switch {
	case !c.HasRole("broker") && !self:
		return fmt.Errorf("If process.roles contains the 'controller' role, the node id %d must be included in the set of voters controller.quorum.voters=%s", c.NodeID, voterSet(c.Voters))
	case c.HasRole("controller") && !self:
		return invalidValue("controller.quorum.voters", c.ControllerQuorumVoters,
			fmt.Sprintf("node.id %d runs the controller role but is not one of the voters", c.NodeID))
	case !c.HasRole("controller") && self:
		return invalidValue("controller.quorum.voters", c.ControllerQuorumVoters,
			fmt.Sprintf("node.id %d is a voter but process.roles does not include controller", c.NodeID))
	case c.HasRole("controller") && len(c.Voters) > 1 && len(c.ControllerListenerNames) == 0:
		return fmt.Errorf("controller.listener.names: must name the CONTROLLER listener when controller.quorum.voters has several voters")
	}
	return nil
}

// WithVoters returns a copy of c whose quorum is voters, found at start
// for a node configured with controller.quorum.bootstrap.servers, checked
// as controller.quorum.voters would be.
func (c *Config) WithVoters(voters []Voter) (*Config, error) {
	next := *c
	next.Voters = slices.Clone(voters)
	next.ControllerQuorumVoters = VotersString(voters)
	if err := next.checkVoters(); err != nil {
		return nil, err
	}
	return &next, nil
}

// VotersString prints voters as controller.quorum.voters: id@host:port,...
func VotersString(voters []Voter) string {
	out := make([]string, len(voters))
	for i, v := range voters {
		out[i] = strconv.Itoa(int(v.ID)) + "@" + v.Addr()
	}
	return strings.Join(out, ",")
}

// ControllerEndpoint returns the host:port other nodes reach this node's
// controller listener on: its advertised.listeners entry, else its
// listeners entry, an empty host advertised as localhost (as Kafka's
// storage format --standalone does).
func (c *Config) ControllerEndpoint() (Voter, bool) {
	l, ok := c.ControllerListener()
	if !ok {
		return Voter{}, false
	}
	if adv, err := parseListeners("advertised.listeners", c.Values["advertised.listeners"]); err == nil {
		for _, a := range adv {
			if a.Name == l.Name {
				l = a
			}
		}
	}
	host := l.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return Voter{ID: c.NodeID, Host: host, Port: l.Port}, true
}

// ControllerListener returns the first controller listener, the one the
// quorum's messages and forwarded requests arrive on.
func (c *Config) ControllerListener() (Listener, bool) {
	for _, l := range c.Listeners {
		if len(c.ControllerListenerNames) > 0 && l.Name == c.ControllerListenerNames[0] {
			return l, true
		}
	}
	return Listener{}, false
}

// voterSet prints the voters' ids as Kafka's messages do: Set(1, 2, 3).
func voterSet(voters []Voter) string {
	ids := make([]string, len(voters))
	for i, v := range voters {
		ids[i] = strconv.Itoa(int(v.ID))
	}
	return "Set(" + strings.Join(ids, ", ") + ")"
}
