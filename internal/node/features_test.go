package node_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestApiVersionsFeatures proves that ApiVersions v3+ advertises exactly
// the features Gregor implements, at the levels Kafka 4.2 finalizes for a
// new cluster (transaction.version 2: KIP-890 part 2 transactions).
func TestApiVersionsFeatures(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl := newClient(t, n.Addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	supported := map[string][2]int16{}
	for _, f := range resp.SupportedFeatures {
		supported[f.Name] = [2]int16{f.MinVersion, f.MaxVersion}
	}
	finalized := map[string][2]int16{}
	for _, f := range resp.FinalizedFeatures {
		finalized[f.Name] = [2]int16{f.MinVersionLevel, f.MaxVersionLevel}
	}
	wantSupported := map[string][2]int16{"metadata.version": {7, 29}, "kraft.version": {0, 0}, "group.version": {0, 1}, "transaction.version": {0, 2}}
	wantFinalized := map[string][2]int16{"metadata.version": {29, 29}, "group.version": {1, 1}, "transaction.version": {2, 2}}
	if len(supported) != len(wantSupported) || len(finalized) != len(wantFinalized) || resp.FinalizedFeaturesEpoch < 0 {
		t.Fatalf("supported %v finalized %v epoch %d", supported, finalized, resp.FinalizedFeaturesEpoch)
	}
	for name, want := range wantSupported {
		if supported[name] != want {
			t.Errorf("supported %s = %v, want %v", name, supported[name], want)
		}
	}
	for name, want := range wantFinalized {
		if finalized[name] != want {
			t.Errorf("finalized %s = %v, want %v", name, finalized[name], want)
		}
	}
}
