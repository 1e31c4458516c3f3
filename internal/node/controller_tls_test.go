package node_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/auth/authtest"
	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
	"gregor/internal/storage"
)

// TestSSLControllerListener runs three controllers and a broker-only node
// whose CONTROLLER listener is SSL with client certificates required: the
// quorum's Raft messages, the broker's registration and its fetches of
// the metadata log all go over TLS, so the cluster forms and takes acks=all
// writes; a broker named by controller.quorum.bootstrap.servers finds the
// voters over TLS; a Kafka client with a certificate reaches DescribeQuorum there
// (--bootstrap-controller), and a connection that does not speak TLS is
// closed without an answer.
func TestSSLControllerListener(t *testing.T) {
	ca, keystore, truststore := controllerPKI(t)
	c := nodetest.StartClusterPerNode(t, 3, 1, func(kafka.NodeID) map[string]string {
		return map[string]string{
			"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL",
			"listener.name.controller.ssl.keystore.type":       "PEM",
			"listener.name.controller.ssl.keystore.location":   keystore,
			"listener.name.controller.ssl.truststore.type":     "PEM",
			"listener.name.controller.ssl.truststore.location": truststore,
			"listener.name.controller.ssl.client.auth":         "required",
			"min.insync.replicas":                              "2",
		}
	})
	leader := c.WaitLeader(10 * time.Second)
	waitFor(t, "four brokers registered", func() bool { return len(c.Nodes[0].Image().Brokers()) == 4 })
	createClusterTopic(t, c.Nodes[3].Addr, "tls-quorum", 1, 3)
	cl := newClient(t, c.Nodes[3].Addr, kgo.DefaultProduceTopic("tls-quorum"), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("acks=all produce: %v", err)
	}

	controllerAddr := c.Nodes[leader].Controller().ListenerAddr().String()
	// A broker named by controller.quorum.bootstrap.servers finds the
	// voters over TLS too.
	brokerDir := t.TempDir()
	if err := storage.WriteMetaProperties(brokerDir, storage.MetaProperties{ClusterID: c.ClusterID, NodeID: 5, DirectoryID: kafka.NewTopicID().String()}); err != nil {
		t.Fatal(err)
	}
	nodetest.Start(t, brokerDir, map[string]string{
		"node.id": "5", "process.roles": "broker", "controller.listener.names": "CONTROLLER",
		"controller.quorum.bootstrap.servers":              controllerAddr,
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL",
		"listener.name.controller.ssl.keystore.type":       "PEM",
		"listener.name.controller.ssl.keystore.location":   keystore,
		"listener.name.controller.ssl.truststore.type":     "PEM",
		"listener.name.controller.ssl.truststore.location": truststore,
	})
	waitFor(t, "the bootstrapped broker registered", func() bool { return len(c.Nodes[0].Image().Brokers()) == 5 })
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	clientCert, clientKey := ca.Issue(t, pkix.Name{CommonName: "admin"})
	pair, err := tls.X509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	tlsClient := newClient(t, controllerAddr, kgo.DialTLSConfig(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}))
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	resp, err := tlsClient.SeedBrokers()[0].Request(testContext(t), req)
	if err != nil {
		t.Fatalf("DescribeQuorum over TLS at the controller listener: %v", err)
	}
	if p := resp.(*kmsg.DescribeQuorumResponse).Topics[0].Partitions[0]; p.ErrorCode != 0 || len(p.CurrentVoters) != 3 || len(p.Observers) != 2 {
		t.Fatalf("DescribeQuorum: %+v", p)
	}

	conn, err := net.DialTimeout("tcp", controllerAddr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The quorum's hello frame in the clear: the TLS handshake fails and
	// the connection is closed, nothing answered.
	conn.Write([]byte{0, 0, 0, 5, 0xC7, 'x', 'x', 'x', 'x'})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	for err == nil && n > 0 && buf[0] == 0x15 { // a TLS alert record, then the close
		n, err = conn.Read(buf)
	}
	if err == nil {
		t.Fatalf("a plaintext connection to the SSL controller listener got %d bytes: %x", n, buf[:n])
	}
}

// controllerPKI returns a CA, and the PEM key store (a certificate for
// 127.0.0.1 and localhost, from the CA) and trust store (the CA) of a
// controller listener.
func controllerPKI(t testing.TB) (ca *authtest.CA, keystore, truststore string) {
	ca = authtest.NewCA(t)
	dir := t.TempDir()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "controller"}, "127.0.0.1", "localhost")
	return ca, authtest.WriteFile(t, dir, "controller.pem", cert, key), authtest.WriteFile(t, dir, "ca.pem", ca.PEM)
}
