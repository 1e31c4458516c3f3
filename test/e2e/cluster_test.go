package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gregor/internal/testutil/freeport"
	"gregor/internal/testutil/netproxy"
)

// This file is the process-cluster harness: N gregor processes, each broker
// and controller, started from generated server.properties files formatted
// with one cluster id, which a test kills, stops, continues, terminates and
// restarts by node id, and whose links it can cut, delay or black-hole.
//
// Addressing. Clients always reach a node directly, on its PLAINTEXT
// listener. With proxied set, inter-node traffic goes through one proxy per
// ordered pair of nodes (from, to) and per kind of traffic:
//
//   - controller: node from's controller.quorum.voters names, for node to,
//     the proxy (from, to), which forwards to to's CONTROLLER listener;
//   - replication: each node has one listener per peer, REPLICATION_<k>
//     for the fetches of node k, and advertises REPLICATION_<k> as the
//     proxy (k, self); its own inter.broker.listener.name is REPLICATION_<self>.
//     A follower that looks up its leader's endpoint under its OWN
//     inter.broker.listener.name (as Kafka does) thus fetches through the
//     proxy of its pair.
//
// Limits: a node talking to a peer's controller opens its own connection,
// through its own proxy; if the quorum answered on connections it accepted
// that would still be per pair. Per-pair replication needs the follower to
// pick the leader's endpoint by the follower's listener name; a follower
// that used the leader's name would fetch directly, unproxied. Clients are
// never proxied, so a test can watch an isolated leader's answers.

// clusterOptions shape a cluster.
type clusterOptions struct {
	proxied bool              // route inter-node traffic through per-link proxies
	props   map[string]string // properties added to, or replacing, every node's
}

// cluster is the running cluster of one test.
type cluster struct {
	t     *testing.T
	id    string         // the cluster id every node was formatted with
	nodes []*clusterNode // nodes[i] has node.id i+1
	links map[[2]int]*nodeLink
}

// clusterNode is one node: its files and ports, fixed across restarts.
type clusterNode struct {
	id          int
	dir         string // log.dirs
	config      string // its server.properties
	client      int    // PLAINTEXT port
	controller  int    // CONTROLLER port
	replication []int  // REPLICATION_<k> port at [k-1], when proxied
	proc        *process
	past        []*process // the node's earlier processes, killed or stopped
}

// nodeLink is the network from one node to another: the proxies of the
// connections the first opens to the second.
type nodeLink struct {
	controller  *netproxy.Proxy // to the CONTROLLER listener
	replication *netproxy.Proxy // to the REPLICATION_<from> listener
}

func (l *nodeLink) proxies() []*netproxy.Proxy {
	return []*netproxy.Proxy{l.controller, l.replication}
}

// startCluster formats and starts n nodes and waits until each has started
// (registered in the cluster metadata and listening). Cleanup kills them.
func startCluster(t *testing.T, n int, opts clusterOptions) *cluster {
	t.Helper()
	c := newCluster(t, n, opts)
	for _, nd := range c.nodes {
		c.spawn(nd)
	}
	for _, nd := range c.nodes {
		nd.proc.waitListening(t, 60*time.Second)
	}
	return c
}

// newCluster allocates ports, starts the proxies, writes and formats every
// node's configuration, without starting a node.
func newCluster(t *testing.T, n int, opts clusterOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, links: map[[2]int]*nodeLink{}}
	perNode := 2
	if opts.proxied {
		perNode += n
	}
	ports := freePorts(t, n*perNode)
	for i := range n {
		p := ports[i*perNode : (i+1)*perNode]
		nd := &clusterNode{id: i + 1, dir: filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i+1)), client: p[0], controller: p[1]}
		if opts.proxied {
			nd.replication = p[2:]
		}
		c.nodes = append(c.nodes, nd)
	}
	if opts.proxied {
		c.startProxies()
	}
	t.Cleanup(c.logOnFailure)
	c.id = c.tool("storage", "random-uuid")
	for _, nd := range c.nodes {
		nd.config = filepath.Join(t.TempDir(), fmt.Sprintf("node%d.properties", nd.id))
		writeProperties(t, nd.config, c.properties(nd, opts))
		c.tool("storage", "format", "-t", c.id, "-c", nd.config)
	}
	return c
}

// startProxies starts the two proxies of every ordered pair of nodes.
func (c *cluster) startProxies() {
	for _, from := range c.nodes {
		for _, to := range c.nodes {
			if from != to {
				c.links[[2]int{from.id, to.id}] = &nodeLink{
					controller:  c.proxy(to.controller),
					replication: c.proxy(to.replication[from.id-1]),
				}
			}
		}
	}
}

func (c *cluster) proxy(port int) *netproxy.Proxy {
	p, err := netproxy.Start(loopback(port))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		if err := p.Close(); err != nil {
			c.t.Error(err)
		}
	})
	return p
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// properties returns nd's server.properties.
func (c *cluster) properties(nd *clusterNode, opts clusterOptions) map[string]string {
	n := len(c.nodes)
	props := map[string]string{
		"process.roles":                            "broker,controller",
		"node.id":                                  strconv.Itoa(nd.id),
		"controller.quorum.voters":                 c.voters(nd),
		"controller.listener.names":                "CONTROLLER",
		"listeners":                                "PLAINTEXT://" + loopback(nd.client) + ",CONTROLLER://" + loopback(nd.controller),
		"listener.security.protocol.map":           "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"inter.broker.listener.name":               "PLAINTEXT",
		"log.dirs":                                 nd.dir,
		"offsets.topic.replication.factor":         strconv.Itoa(min(n, 3)),
		"transaction.state.log.replication.factor": strconv.Itoa(min(n, 3)),
		"transaction.state.log.min.isr":            strconv.Itoa(min(n, 2)),
		"group.initial.rebalance.delay.ms":         "0",
		"http.listeners":                           "http://127.0.0.1:0",
		"schema.registry.listeners":                "",
		"rest.proxy.listeners":                     "",
	}
	if opts.proxied {
		c.replicationListeners(nd, props)
	}
	for k, v := range opts.props {
		props[k] = v
	}
	return props
}

// voters is controller.quorum.voters as nd sees it: itself directly, each
// peer through the proxy of the link to it, if any.
func (c *cluster) voters(nd *clusterNode) string {
	var out []string
	for _, peer := range c.nodes {
		addr := loopback(peer.controller)
		if l := c.links[[2]int{nd.id, peer.id}]; l != nil {
			addr = l.controller.Addr()
		}
		out = append(out, fmt.Sprintf("%d@%s", peer.id, addr))
	}
	return strings.Join(out, ",")
}

// replicationListeners adds to props a REPLICATION_<k> listener for the
// fetches of each node k, advertised as the proxy (k, nd).
func (c *cluster) replicationListeners(nd *clusterNode, props map[string]string) {
	advertised := []string{"PLAINTEXT://" + loopback(nd.client)}
	for _, peer := range c.nodes {
		name := fmt.Sprintf("REPLICATION_%d", peer.id)
		props["listeners"] += "," + name + "://" + loopback(nd.replication[peer.id-1])
		props["listener.security.protocol.map"] += "," + name + ":PLAINTEXT"
		addr := loopback(nd.replication[peer.id-1])
		if l := c.links[[2]int{peer.id, nd.id}]; l != nil {
			addr = l.replication.Addr()
		}
		advertised = append(advertised, name+"://"+addr)
	}
	props["advertised.listeners"] = strings.Join(advertised, ",")
	props["inter.broker.listener.name"] = fmt.Sprintf("REPLICATION_%d", nd.id)
}

func writeProperties(t *testing.T, path string, props map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by the e2e cluster harness.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePorts returns n loopback ports free a moment ago (see freeport).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports, err := freeport.Get(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// tool runs a gregor command that must succeed and returns its output,
// trimmed.
func (c *cluster) tool(args ...string) string {
	c.t.Helper()
	out, errOut, err := runTool(c.t, "", args...)
	if err != nil {
		c.t.Fatalf("gregor %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return strings.TrimSpace(out)
}

func (c *cluster) spawn(nd *clusterNode) {
	if nd.proc != nil {
		nd.past = append(nd.past, nd.proc)
	}
	nd.proc = spawn(c.t, exec.Command(binary, "server", "--config", nd.config))
}

// node returns the node of id, failing the test if there is none.
func (c *cluster) node(id int) *clusterNode {
	c.t.Helper()
	if id < 1 || id > len(c.nodes) {
		c.t.Fatalf("no node %d in a cluster of %d", id, len(c.nodes))
	}
	return c.nodes[id-1]
}

// Addr returns node id's client address.
func (c *cluster) Addr(id int) string { return loopback(c.node(id).client) }

// Seeds returns every node's client address, for kgo.SeedBrokers.
func (c *cluster) Seeds() []string {
	var out []string
	for _, nd := range c.nodes {
		out = append(out, loopback(nd.client))
	}
	return out
}

// Bootstrap returns the client addresses as --bootstrap-server takes them.
func (c *cluster) Bootstrap() string { return strings.Join(c.Seeds(), ",") }

// Running reports whether node id's process is alive (stopped counts).
func (c *cluster) Running(id int) bool {
	p := c.node(id).proc
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill SIGKILLs node id and waits until it is gone.
func (c *cluster) Kill(id int) {
	c.t.Helper()
	c.signal(id, syscall.SIGKILL)
	c.waitExit(id, 10*time.Second)
}

// Stop SIGSTOPs node id: it holds its connections and answers nothing.
func (c *cluster) Stop(id int) { c.t.Helper(); c.signal(id, syscall.SIGSTOP) }

// Cont SIGCONTs node id after Stop.
func (c *cluster) Cont(id int) { c.t.Helper(); c.signal(id, syscall.SIGCONT) }

// Terminate SIGTERMs node id (continuing it if stopped), waits up to
// timeout for it to exit and fails the test unless it exits with status 0.
func (c *cluster) Terminate(id int, timeout time.Duration) {
	c.t.Helper()
	c.signal(id, syscall.SIGTERM)
	c.signal(id, syscall.SIGCONT)
	c.waitExit(id, timeout)
	if code := c.node(id).proc.cmd.ProcessState.ExitCode(); code != 0 {
		c.t.Fatalf("node %d exited with status %d after SIGTERM", id, code)
	}
}

// Restart starts node id again, from the same configuration and data,
// and waits until it has started. The node must not be running.
func (c *cluster) Restart(id int) {
	c.t.Helper()
	if c.Running(id) {
		c.t.Fatalf("restart node %d: it is still running; Kill or Terminate it first", id)
	}
	nd := c.node(id)
	c.spawn(nd)
	nd.proc.waitListening(c.t, 60*time.Second)
}

// WaitForLog waits up to timeout for a line of node id's current process
// matching re, and returns it.
func (c *cluster) WaitForLog(id int, re *regexp.Regexp, timeout time.Duration) string {
	c.t.Helper()
	return c.node(id).proc.waitForLog(c.t, re, timeout)
}

func (c *cluster) signal(id int, sig syscall.Signal) {
	c.t.Helper()
	if !c.Running(id) {
		c.t.Fatalf("signal %v to node %d: it is not running", sig, id)
	}
	if err := c.node(id).proc.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v to node %d: %v", sig, id, err)
	}
}

func (c *cluster) waitExit(id int, timeout time.Duration) {
	c.t.Helper()
	select {
	case <-c.node(id).proc.done:
	case <-time.After(timeout):
		c.t.Fatalf("node %d still running %v after the signal", id, timeout)
	}
}

// Link returns the proxies of the connections node from opens to node to;
// the cluster must be proxied.
func (c *cluster) Link(from, to int) *nodeLink {
	c.t.Helper()
	l := c.links[[2]int{from, to}]
	if l == nil {
		c.t.Fatalf("no link %d->%d: is the cluster proxied?", from, to)
	}
	return l
}

// Isolate applies fault (say (*netproxy.Proxy).Cut) to every link to and
// from node id, cutting it off from its peers but not from clients.
func (c *cluster) Isolate(id int, fault func(*netproxy.Proxy)) {
	c.t.Helper()
	for _, peer := range c.nodes {
		if peer.id != id {
			for _, p := range append(c.Link(id, peer.id).proxies(), c.Link(peer.id, id).proxies()...) {
				fault(p)
			}
		}
	}
}

// HealAll heals every link.
func (c *cluster) HealAll() {
	for _, l := range c.links {
		for _, p := range l.proxies() {
			p.Heal()
		}
	}
}

// logOnFailure prints the end of every node's log if the test failed.
func (c *cluster) logOnFailure() {
	if !c.t.Failed() {
		return
	}
	for _, nd := range c.nodes {
		for i, p := range append(slices.Clone(nd.past), nd.proc) {
			if p == nil {
				continue
			}
			p.mu.Lock()
			tail := p.log[max(0, len(p.log)-40):]
			c.t.Logf("node %d, process %d of %d, last %d lines of its log:\n%s", nd.id, i+1, len(nd.past)+1, len(tail), strings.Join(tail, "\n"))
			p.mu.Unlock()
		}
	}
}
