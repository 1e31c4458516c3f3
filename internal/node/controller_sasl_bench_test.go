package node_test

import (
	"context"
	"testing"
	"time"

	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
)

// BenchmarkControllerListenerHeartbeat measures what the controller
// listener's security costs a broker's request to the active controller:
// a BrokerHeartbeat from a broker-only node to a controller-only node,
// each on a connection of its own (dialled, secured, greeted, answered,
// closed), over a PLAINTEXT, a SASL_PLAINTEXT, an SSL and a SASL_SSL
// controller listener, SASL with PLAIN. The four clusters run side by side
// and each iteration sends one heartbeat on each, in turn, so that the
// machine's noise falls on all alike; each reports its median latency. Rerun with
//
//	go test -run '^$' -bench ControllerListenerHeartbeat -benchtime 2000x ./internal/node
func BenchmarkControllerListenerHeartbeat(b *testing.B) {
	_, keystore, truststore := controllerPKI(b)
	sasl := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
	saslPlaintext := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
	saslPlaintext["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
	ssl := controllerSASLProps(keystore, truststore, "admin", "admin-secret")
	ssl["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL"
	cases := []struct {
		name  string
		props map[string]string
	}{
		{"PLAINTEXT", nil},
		{"SASL_PLAINTEXT", saslPlaintext},
		{"SSL", ssl},
		{"SASL_SSL", sasl},
	}
	type target struct {
		broker *nodetest.ClusterNode
		epoch  int64
		took   []float64 // µs
	}
	targets := make([]*target, len(cases))
	for i, c := range cases {
		cl := nodetest.StartSplitCluster(b, 1, 1, c.props)
		cl.WaitLeader(10 * time.Second)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if reg, ok := cl.Nodes[0].Image().Broker(2); ok {
				targets[i] = &target{broker: cl.Nodes[1], epoch: reg.Epoch}
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: the broker did not register in 20s", c.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		for i, tg := range targets {
			start := time.Now()
			if _, err := tg.broker.Controller().Submit(ctx, controller.BrokerHeartbeatRequest{ID: kafka.NodeID(2), Epoch: tg.epoch}); err != nil {
				b.Fatalf("%s: heartbeat: %v", cases[i].name, err)
			}
			tg.took = append(tg.took, float64(time.Since(start).Nanoseconds())/1e3)
		}
	}
	b.StopTimer()
	for i, tg := range targets {
		b.ReportMetric(medianOf(tg.took), cases[i].name+"-median-µs")
	}
}
