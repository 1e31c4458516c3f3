package node_test

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/auth/authtest"
	"gregor/internal/wire"
)

// TestBrokerClientScramAndReauthentication proves the broker-to-broker
// client's SASL side against a real listener: SCRAM-SHA-512 logs in and
// requests are served; the session is re-authenticated on the same
// connection before connections.max.reauth.ms ends, so requests go on
// being served after it; and a wrong password fails the dial with
// ErrAuthentication.
func TestBrokerClientScramAndReauthentication(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{"connections.max.reauth.ms": "400"})
	ctx := testContext(t)
	res, err := kadm.NewClient(newClient(t, n.Addr)).AlterUserSCRAMs(ctx, nil,
		[]kadm.UpsertSCRAM{{User: "broker", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "broker-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("alter: %v, %v", err, res.Error())
	}
	d := wire.Dialer{SASL: scram.Auth{User: "broker", Pass: "broker-secret"}.AsSha512Mechanism()}
	c, err := d.Dial(ctx, saslPlaintext, "broker-1-test", 1<<20)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	for i := range 4 { // 1.2 s: three session lifetimes
		req := kmsg.NewPtrMetadataRequest()
		req.Version = 12
		if _, err := c.Request(ctx, req); err != nil {
			t.Fatalf("metadata request %d: %v", i, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	bad := wire.Dialer{SASL: scram.Auth{User: "broker", Pass: "wrong"}.AsSha512Mechanism()}
	if c, err := bad.Dial(ctx, saslPlaintext, "broker-1-test", 1<<20); !errors.Is(err, wire.ErrAuthentication) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("wrong password: %v, want ErrAuthentication", err)
	}
}
