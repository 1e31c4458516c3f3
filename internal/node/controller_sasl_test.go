package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"gregor/internal/auth"
	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/node"
	"gregor/internal/node/nodetest"
	"gregor/internal/storage"
	"gregor/internal/testutil/logbuf"
)

// controllerSASLProps are the settings of a SASL_SSL controller listener
// with PLAIN and SCRAM-SHA-256, on which admin is a super user and bob a
// user without ACLs;
// every node logs in to the controllers as user with password.
func controllerSASLProps(keystore, truststore, user, password string) map[string]string {
	return map[string]string{
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL",
		"listener.name.controller.ssl.keystore.type":       "PEM",
		"listener.name.controller.ssl.keystore.location":   keystore,
		"listener.name.controller.ssl.truststore.type":     "PEM",
		"listener.name.controller.ssl.truststore.location": truststore,
		"sasl.mechanism.controller.protocol":               "PLAIN",
		"listener.name.controller.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
		"listener.name.controller.plain.sasl.jaas.config": fmt.Sprintf(`org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s" user_admin="admin-secret" user_bob="bob-secret";`,
			user, password),
		"authorizer.class.name": auth.StandardAuthorizer,
		"super.users":           "User:admin;User:ANONYMOUS",
	}
}

// TestSASLControllerListener runs three combined nodes and a broker-only
// node whose CONTROLLER listener is SASL_SSL with PLAIN and an authorizer:
// the quorum's Raft messages, the broker's registration, heartbeats and
// metadata fetches all log in as the super user admin, so the cluster
// forms and takes acks=all writes; a broker logging in with SCRAM, whose
// credential and ClusterAction ACL are in the metadata, registers; a broker named by
// controller.quorum.bootstrap.servers finds the voters with that login. A
// broker with a wrong password cannot
// register and logs one line saying why; a valid user without ClusterAction
// is refused on the quorum's side; a quorum connection that does not log
// in is closed; a Kafka client logs in with SaslHandshake and
// SaslAuthenticate to reach DescribeQuorum there (--bootstrap-controller),
// and one with a wrong password is refused.
func TestSASLControllerListener(t *testing.T) {
	ca, keystore, truststore := controllerPKI(t)
	c := nodetest.StartClusterPerNode(t, 3, 1, func(kafka.NodeID) map[string]string {
		p := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
		p["min.insync.replicas"] = "2"
		return p
	})
	leader := c.WaitLeader(10 * time.Second)
	waitFor(t, "four brokers registered", func() bool { return len(c.Nodes[0].Image().Brokers()) == 4 })
	createClusterTopic(t, c.Nodes[3].Addr, "sasl-quorum", 1, 3)
	cl := newClient(t, c.Nodes[3].Addr, kgo.DefaultProduceTopic("sasl-quorum"), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("acks=all produce: %v", err)
	}

	var voters []string
	for _, n := range c.Nodes[:3] {
		voters = append(voters, fmt.Sprintf("%d@%s", n.ID, n.Controller().ListenerAddr()))
	}
	t.Run("wrong password", func(t *testing.T) {
		out := startRefusedBroker(t, c.ClusterID, strings.Join(voters, ","), controllerSASLProps(keystore, truststore, "admin", "wrong"))
		if n := strings.Count(out, "the controller refused this node's login"); n != 1 {
			t.Fatalf("the broker with a wrong password logged %d refusals, want one:\n%s", n, out)
		}
		if !strings.Contains(out, "authentication failed") {
			t.Fatalf("the refusal does not say why:\n%s", out)
		}
	})

	controllerAddr := c.Nodes[leader].Controller().ListenerAddr().String()
	t.Run("SCRAM with an ACL", func(t *testing.T) {
		adm := kadm.NewClient(newClient(t, c.Nodes[3].Addr))
		if _, err := adm.AlterUserSCRAMs(testContext(t), nil, []kadm.UpsertSCRAM{{User: "broker7", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "broker7-secret"}}); err != nil {
			t.Fatal(err)
		}
		addACLs(t, adm, kadm.NewACLs().Allow("User:broker7").AllowHosts().Clusters().Operations(kadm.OpClusterAction))
		waitFor(t, "the credential and the ACL on every controller", func() bool {
			for _, n := range c.Nodes[:3] {
				if _, ok := n.Image().ScramCredential("broker7", "SCRAM-SHA-256"); !ok || n.Image().ACLIndex().Len() == 0 {
					return false
				}
			}
			return true
		})
		dir := t.TempDir()
		if err := storage.WriteMetaProperties(dir, storage.MetaProperties{ClusterID: c.ClusterID, NodeID: 7, DirectoryID: kafka.NewTopicID().String()}); err != nil {
			t.Fatal(err)
		}
		props := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
		props["node.id"], props["process.roles"], props["controller.listener.names"] = "7", "broker", "CONTROLLER"
		props["controller.quorum.voters"] = strings.Join(voters, ",")
		props["sasl.mechanism.controller.protocol"] = "SCRAM-SHA-256"
		props["listener.name.controller.scram-sha-256.sasl.jaas.config"] = `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker7" password="broker7-secret";`
		nodetest.Start(t, dir, props)
		waitFor(t, "the SCRAM broker registered", func() bool { _, ok := c.Nodes[0].Image().Broker(7); return ok })
	})
	t.Run("bootstrap servers", func(t *testing.T) {
		dir := t.TempDir()
		if err := storage.WriteMetaProperties(dir, storage.MetaProperties{ClusterID: c.ClusterID, NodeID: 6, DirectoryID: kafka.NewTopicID().String()}); err != nil {
			t.Fatal(err)
		}
		props := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
		props["node.id"], props["process.roles"], props["controller.listener.names"] = "6", "broker", "CONTROLLER"
		props["controller.quorum.bootstrap.servers"] = controllerAddr
		nodetest.Start(t, dir, props)
		waitFor(t, "the bootstrapped broker registered", func() bool { _, ok := c.Nodes[0].Image().Broker(6); return ok })
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	tlsConfig := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
	t.Run("not authorized", func(t *testing.T) {
		conn := dialTLS(t, controllerAddr, tlsConfig)
		err := auth.LoginQuorum(testContext(t), conn, plain.Auth{User: "bob", Pass: "bob-secret"}.AsMechanism(), "127.0.0.1")
		if err == nil || !strings.Contains(err.Error(), "User:bob is not authorized for ClusterAction") {
			t.Fatalf("bob's quorum login: %v", err)
		}
	})
	t.Run("no login", func(t *testing.T) {
		conn := dialTLS(t, controllerAddr, tlsConfig)
		conn.Write([]byte{0, 0, 0, 5, 0xC7, 'x', 'x', 'x', 'x'}) // a hello without a login
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := conn.Read(make([]byte, 64)); err == nil {
			t.Fatalf("a quorum connection without a login got %d bytes", n)
		}
	})

	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	admin := newClient(t, controllerAddr, kgo.DialTLSConfig(tlsConfig), kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	resp, err := admin.SeedBrokers()[0].Request(testContext(t), req)
	if err != nil {
		t.Fatalf("DescribeQuorum over SASL_SSL at the controller listener: %v", err)
	}
	if p := resp.(*kmsg.DescribeQuorumResponse).Topics[0].Partitions[0]; p.ErrorCode != 0 || len(p.CurrentVoters) != 3 || len(p.Observers) == 0 {
		t.Fatalf("DescribeQuorum: %+v", p)
	}
	wrong := newClient(t, controllerAddr, kgo.DialTLSConfig(tlsConfig), kgo.SASL(plain.Auth{User: "admin", Pass: "wrong"}.AsMechanism()))
	if _, err := wrong.SeedBrokers()[0].Request(testContext(t), req); err == nil {
		t.Fatal("DescribeQuorum with a wrong password was answered")
	}
}

// startRefusedBroker starts a broker-only node 5 of cluster with props and
// the quorum's voters, expecting it not to register within eight seconds;
// it returns the node's log.
func startRefusedBroker(t *testing.T, clusterID, voters string, props map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := storage.WriteMetaProperties(dir, storage.MetaProperties{ClusterID: clusterID, NodeID: 5, DirectoryID: kafka.NewTopicID().String()}); err != nil {
		t.Fatal(err)
	}
	p := map[string]string{
		"node.id": "5", "process.roles": "broker", "log.dirs": dir, "listeners": "PLAINTEXT://127.0.0.1:0",
		"controller.listener.names": "CONTROLLER", "controller.quorum.voters": voters,
		"http.listeners": "", "schema.registry.listeners": "", "rest.proxy.listeners": "",
	}
	for k, v := range props {
		p[k] = v
	}
	cfg, _, err := config.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	var log logbuf.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if n, err := node.Start(ctx, cfg, slog.New(slog.NewTextHandler(&log, nil))); err == nil {
		n.Stop()
		n.Wait()
		t.Fatal("the broker registered")
	}
	return log.String()
}

// dialTLS opens a TLS connection to addr, closed when the test ends.
func dialTLS(t *testing.T, addr string, c *tls.Config) net.Conn {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
