package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"gregor/internal/auth/authtest"
	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
)

// brokerJAAS is the PLAIN JAAS configuration of the inter-broker
// listener: the broker's own login (username, password) and the users
// the listener accepts.
func brokerJAAS(password string) string {
	return fmt.Sprintf(`org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password=%q user_broker="broker-secret" user_admin="admin-secret";`, password)
}

// startSecuredCluster starts three nodes whose broker listener (named
// PLAINTEXT, the inter-broker listener) is SASL_SSL with PLAIN between
// brokers, client certificates required on it, and the standard
// authorizer with the broker and admin as super users, as Kafka's docs
// set up a secured cluster. passwordOf gives each node's inter-broker
// password. It returns the cluster and a client TLS configuration.
func startSecuredCluster(t *testing.T, passwordOf func(kafka.NodeID) string, extra map[string]string) (*nodetest.Cluster, *tls.Config) {
	ca := authtest.NewCA(t)
	dir := t.TempDir()
	ca.Issue(t, pkix.Name{CommonName: "unused"}) // a CA with more than one certificate issued
	cert, key := ca.Issue(t, pkix.Name{CommonName: "broker"}, "127.0.0.1", "localhost")
	keystore := authtest.WriteFile(t, dir, "broker.pem", cert, key)
	truststore := authtest.WriteFile(t, dir, "ca.pem", ca.PEM)
	c := nodetest.StartClusterPerNode(t, 3, 0, func(id kafka.NodeID) map[string]string {
		props := map[string]string{
			"listener.security.protocol.map":                 "PLAINTEXT:SASL_SSL,CONTROLLER:PLAINTEXT",
			"sasl.enabled.mechanisms":                        "PLAIN",
			"sasl.mechanism.inter.broker.protocol":           "PLAIN",
			"listener.name.plaintext.plain.sasl.jaas.config": brokerJAAS(passwordOf(id)),
			"ssl.keystore.type":                              "PEM",
			"ssl.keystore.location":                          keystore,
			"ssl.truststore.type":                            "PEM",
			"ssl.truststore.location":                        truststore,
			"listener.name.plaintext.ssl.client.auth":        "required",
			"authorizer.class.name":                          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
			"super.users":                                    "User:broker;User:admin;User:ANONYMOUS", // ANONYMOUS: the PLAINTEXT controller listener
			"connection.failed.authentication.delay.ms":      "20",
			"replica.lag.time.max.ms":                        "1500",
		}
		for k, v := range clusterTxnProps {
			props[k] = v
		}
		for k, v := range extra {
			props[k] = v
		}
		return props
	})
	c.WaitLeader(10 * time.Second)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	clientCert, clientKey := ca.Issue(t, pkix.Name{CommonName: "admin"})
	pair, err := tls.X509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}
}

// securedClient is a franz-go client logged in as admin over SASL_SSL.
func securedClient(t *testing.T, c *nodetest.Cluster, tc *tls.Config, opts ...kgo.Opt) *kgo.Client {
	var seeds []string
	for _, cn := range c.Nodes {
		seeds = append(seeds, cn.Addr)
	}
	return newClient(t, seeds[0], append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DialTLSConfig(tc.Clone()),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())}, opts...)...)
}

// waitTopicISR waits until every partition of topic has isr in-sync
// replicas in node 1's image.
func waitTopicISR(t *testing.T, c *nodetest.Cluster, topic string, isr func(leader int32, got []int32) bool) {
	t.Helper()
	waitFor(t, topic+"'s in-sync replicas", func() bool {
		tp, ok := c.Nodes[0].Image().Topic(topic)
		if !ok {
			return false
		}
		for _, p := range tp.Partitions {
			if p.Leader < 0 || !isr(p.Leader, p.ISR) {
				return false
			}
		}
		return true
	})
}

// TestClusterReplicatesOverSASLSSL proves that brokers whose inter-broker
// listener is SASL_SSL (PLAIN, client certificates required, an
// authorizer with the broker as super user) replicate to each other and
// carry transactions across nodes: acks=all writes to a topic of three
// replicas are acknowledged and read back, and a transaction over
// partitions led by different nodes commits (its markers and
// verifications going between brokers over SASL_SSL) while an aborted one
// stays invisible to read_committed.
func TestClusterReplicatesOverSASLSSL(t *testing.T) {
	c, tc := startSecuredCluster(t, func(kafka.NodeID) string { return "broker-secret" }, nil)
	adm := kadm.NewClient(securedClient(t, c, tc))
	ctx := testContext(t)
	for _, topic := range []string{"sec-plain", "sec-txn"} {
		if resp, err := adm.CreateTopic(ctx, 3, 3, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
		waitTopicISR(t, c, topic, func(_ int32, isr []int32) bool { return len(isr) == 3 })
	}
	if leaders := leadersOf(t, c, "sec-txn"); len(leaders) < 2 {
		t.Fatalf("sec-txn is led by %v only: the test needs several leaders", leaders)
	}

	produceSync(t, securedClient(t, c, tc, kgo.RequiredAcks(kgo.AllISRAcks())), "sec-plain", "v", 90, 30)
	if got := consumeAll(t, c.Nodes[1].Addr, "sec-plain", 90, kgo.SeedBrokers(c.Nodes[1].Addr), kgo.DialTLSConfig(tc.Clone()),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())); len(got) != 90 {
		t.Fatalf("read %d records, want 90", len(got))
	}

	p := securedClient(t, c, tc, kgo.TransactionalID("sec-tx"), kgo.DefaultProduceTopic("sec-txn"))
	transact := func(prefix string, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		var recs []*kgo.Record
		for i := range 30 {
			recs = append(recs, &kgo.Record{Partition: int32(i % 3), Value: []byte(prefix + strconv.Itoa(i))})
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("transactional produce: %v", err)
		}
		if err := p.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("end transaction: %v", err)
		}
	}
	transact("committed-", kgo.TryCommit)
	transact("aborted-", kgo.TryAbort)
	transact("committed-again-", kgo.TryCommit)

	got := readCommittedSecured(t, securedClient(t, c, tc, kgo.ConsumeTopics("sec-txn"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted())), 60)
	slices.Sort(got)
	var want []string
	for i := range 30 {
		want = append(want, "committed-"+strconv.Itoa(i), "committed-again-"+strconv.Itoa(i))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("read_committed read %d records %v, want the 60 committed ones", len(got), got)
	}
}

// readCommittedSecured polls cl until it has want records (or 30 s
// pass), then for one second more, so that an extra record would be
// seen too.
func readCommittedSecured(t *testing.T, cl *kgo.Client, want int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) >= want {
			more, stop := context.WithTimeout(context.Background(), time.Second)
			cl.PollFetches(more).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
			stop()
			break
		}
	}
	return out
}

// TestClusterWrongInterBrokerPassword proves that a node logging in to
// its peers with the wrong inter-broker password replicates nothing: the
// partitions it follows drop it from their ISR, and its copies of them
// stay empty while the leaders take acks=1 writes.
func TestClusterWrongInterBrokerPassword(t *testing.T) {
	c, tc := startSecuredCluster(t, func(id kafka.NodeID) string {
		if id == 3 {
			return "wrong-secret"
		}
		return "broker-secret"
	}, nil)
	adm := kadm.NewClient(securedClient(t, c, tc))
	ctx := testContext(t)
	if resp, err := adm.CreateTopic(ctx, 3, 3, nil, "sec-bad"); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	produceSync(t, securedClient(t, c, tc, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()), "sec-bad", "v", 60, 60)
	// Partitions led by nodes 1 and 2 lose node 3 from their ISR once it
	// lags (replica.lag.time.max.ms); the ones node 3 may lead keep their
	// followers, which log in correctly.
	waitTopicISR(t, c, "sec-bad", func(leader int32, isr []int32) bool {
		return leader == 3 || len(isr) == 2 && !slices.Contains(isr, 3)
	})
	tp, _ := c.Nodes[0].Image().Topic("sec-bad")
	followed := 0
	for i, p := range tp.Partitions {
		if p.Leader == 3 {
			continue
		}
		followed++
		if l, ok := c.Nodes[2].Node.Log("sec-bad", int32(i)); !ok || l.LogEndOffset() != 0 {
			t.Errorf("node 3 copied partition %d (log found %v) with the wrong password", i, ok)
		}
	}
	if followed == 0 {
		t.Fatal("node 3 leads every partition: nothing to check")
	}
}

// TestClusterReplicatesWithScramBetweenBrokers proves SCRAM-SHA-512
// between brokers: the brokers' credential, created through the admin's
// PLAIN login, reaches every node through the metadata log, after which
// the followers log in to their leaders and an acks=all write to three
// replicas is acknowledged and read back.
func TestClusterReplicatesWithScramBetweenBrokers(t *testing.T) {
	c, tc := startSecuredCluster(t, func(kafka.NodeID) string { return "broker-secret" }, map[string]string{
		"sasl.enabled.mechanisms":                                "PLAIN,SCRAM-SHA-512",
		"sasl.mechanism.inter.broker.protocol":                   "SCRAM-SHA-512",
		"listener.name.plaintext.scram-sha-512.sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";`,
	})
	adm := kadm.NewClient(securedClient(t, c, tc))
	ctx := testContext(t)
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "broker", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "broker-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("alter: %v, %v", err, res.Error())
	}
	if resp, err := adm.CreateTopic(ctx, 3, 3, nil, "sec-scram"); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	waitTopicISR(t, c, "sec-scram", func(_ int32, isr []int32) bool { return len(isr) == 3 })
	produceSync(t, securedClient(t, c, tc, kgo.RequiredAcks(kgo.AllISRAcks())), "sec-scram", "v", 60, 20)
	tp, _ := c.Nodes[0].Image().Topic("sec-scram")
	for i := range tp.Partitions {
		waitFor(t, "every replica of sec-scram copied", func() bool {
			var ends []int64
			for _, cn := range c.Nodes {
				l, ok := cn.Node.Log("sec-scram", int32(i))
				if !ok {
					return false
				}
				ends = append(ends, l.LogEndOffset())
			}
			return ends[0] > 0 && ends[0] == ends[1] && ends[1] == ends[2]
		})
	}
}
