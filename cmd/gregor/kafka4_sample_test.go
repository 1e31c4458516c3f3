package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// kafka4Sample is the configuration part of Apache Kafka 4's
// config/server.properties (a combined KRaft node) with its ports and log
// directory as parameters.
const kafka4Sample = `process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:%[2]d
listeners=PLAINTEXT://127.0.0.1:%[1]d,CONTROLLER://127.0.0.1:%[2]d
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:%[1]d,CONTROLLER://localhost:%[2]d
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=%[3]s
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`

// TestKafka4SampleConfig proves that Kafka 4's own server.properties runs
// as Kafka's quick start runs it: storage format --standalone, then the
// server with the file as its argument; both listeners are opened, the
// broker listener serves the tools and the controller listener the quorum.
func TestKafka4SampleConfig(t *testing.T) {
	var ports []int
	var taken []net.Listener
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		taken = append(taken, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range taken {
		l.Close() // free again for the server to bind
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "server.properties")
	body := fmt.Sprintf(kafka4Sample, ports[0], ports[1], filepath.Join(dir, "kraft-combined-logs")) +
		"http.listeners=\nschema.registry.listeners=\nrest.proxy.listeners=\n" // not Kafka's: off, for a shared machine
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gregorCLI(t, "storage", "format", "--standalone", "-t", kafka.NewTopicID().String(), "-c", cfgPath); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		server := newRootCommand()
		server.SetArgs([]string{"server", cfgPath})
		server.SetOut(&logs)
		server.SetErr(&logs)
		done <- server.ExecuteContext(ctx)
	}()
	stopped := false
	defer func() {
		cancel()
		if stopped {
			return
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop in 30s")
		}
	}()
	broker, controller := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	var out string
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if out, err = gregorCLI(t, "metadata-quorum", "--bootstrap-controller", controller, "describe", "--status"); err == nil {
			break
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("the server stopped: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the controller listener %s did not answer in 30s: %v", controller, err)
		}
	}
	if !strings.Contains(out, "LeaderId:               1\n") {
		t.Errorf("metadata-quorum on the controller listener:\n%s", out)
	}
	if _, err := gregorCLI(t, "topics", "--bootstrap-server", broker, "--create", "--topic", "orders"); err != nil {
		t.Fatal(err)
	}
	// Clients are given the broker listener only, as Kafka gives them.
	if out, err := gregorCLI(t, "broker-api-versions", "--bootstrap-server", broker); err != nil ||
		!strings.HasPrefix(out, fmt.Sprintf("localhost:%d (id: 1 rack: null", ports[0])) {
		t.Errorf("broker-api-versions: %v\n%.200s", err, out)
	}
}
