package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// controllerSASL are the settings of a SASL_PLAINTEXT controller listener
// with PLAIN and an authorizer whose super user admin every node logs in
// as, with password.
func controllerSASL(password string) map[string]string {
	return map[string]string{
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
		"sasl.mechanism.controller.protocol":               "PLAIN",
		"listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
		"listener.name.controller.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`username="admin" password="` + password + `" user_admin="admin-secret";`,
		"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":           "User:admin;User:ANONYMOUS",
		"min.insync.replicas":   "2",
	}
}

// TestSASLControllerListenerProcesses proves, on gregor processes, that a
// combined node whose CONTROLLER listener is SASL_PLAINTEXT and a
// broker-only node logging in there form a cluster that takes an acks=all
// write on two replicas, and that a broker-only node with a wrong password
// does not start: it logs the refusal once and keeps trying.
func TestSASLControllerListenerProcesses(t *testing.T) {
	requireClusterTests(t)
	c := newCluster(t, 1, clusterOptions{props: controllerSASL("admin-secret")})
	broker := c.addBroker(2, controllerSASL("admin-secret"))
	c.spawn(c.nodes[0])
	c.spawn(broker)
	for _, nd := range c.nodes {
		nd.proc.waitListening(t, 60*time.Second)
	}
	adm := admin(t, c.Addr(2))
	waitFor(t, 30*time.Second, func() string {
		brokers, err := adm.ListBrokers(testContext(t, 10*time.Second))
		if err != nil || len(brokers) != 2 {
			return fmt.Sprintf("brokers %v, %v; want nodes 1 and 2", brokers, err)
		}
		return ""
	})
	if _, err := adm.CreateTopic(testContext(t, 10*time.Second), 1, 2, nil, "sasl-controller"); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addr(2)), kgo.DefaultProduceTopic("sasl-controller"), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	waitFor(t, 30*time.Second, func() string {
		if err := cl.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
			return fmt.Sprintf("acks=all produce: %v", err)
		}
		return ""
	})

	wrong := c.addBroker(3, controllerSASL("wrong"))
	c.spawn(wrong)
	refusal := regexp.MustCompile(`the controller refused this node's login`)
	line := wrong.proc.waitForLog(t, refusal, 30*time.Second)
	if !strings.Contains(line, "authentication failed") {
		t.Fatalf("the refusal does not say why: %s", line)
	}
	time.Sleep(3 * time.Second) // the broker keeps trying
	wrong.proc.mu.Lock()
	log := strings.Join(wrong.proc.log, "\n")
	wrong.proc.mu.Unlock()
	if n := len(refusal.FindAllString(log, -1)); n != 1 || listenersLine.MatchString(log) {
		t.Fatalf("the broker with a wrong password logged %d refusals (want one) or started:\n%s", n, log)
	}
}

// addBroker writes and formats the configuration of a broker-only node id
// of c, whose controller is c's node 1, with props, and adds it to c
// without starting it.
func (c *cluster) addBroker(id int, props map[string]string) *clusterNode {
	c.t.Helper()
	ports := freePorts(c.t, 1)
	nd := &clusterNode{id: id, dir: filepath.Join(c.t.TempDir(), fmt.Sprintf("node%d", id)), client: ports[0]}
	p := map[string]string{
		"process.roles":                    "broker",
		"node.id":                          fmt.Sprint(id),
		"controller.quorum.voters":         fmt.Sprintf("1@%s", loopback(c.nodes[0].controller)),
		"controller.listener.names":        "CONTROLLER",
		"listeners":                        "PLAINTEXT://" + loopback(nd.client),
		"inter.broker.listener.name":       "PLAINTEXT",
		"log.dirs":                         nd.dir,
		"offsets.topic.replication.factor": "1",
		"http.listeners":                   "", "schema.registry.listeners": "", "rest.proxy.listeners": "",
	}
	for k, v := range props {
		p[k] = v
	}
	nd.config = filepath.Join(c.t.TempDir(), fmt.Sprintf("node%d.properties", id))
	writeProperties(c.t, nd.config, p)
	c.tool("storage", "format", "-t", c.id, "-c", nd.config)
	c.nodes = append(c.nodes, nd)
	return nd
}
