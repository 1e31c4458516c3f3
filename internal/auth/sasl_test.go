package auth

import (
	"context"
	"maps"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

// credentials returns a lookup holding alice's credential for mechanism.
func credentials(t testing.TB, mechanism, password string) CredentialLookup {
	salt := []byte("0123456789abcdef")
	salted, err := SaltPassword(mechanism, password, salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := ScramCredentialFromSaltedPassword(mechanism, salt, salted, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return func(user, m string) (metadata.ScramCredential, bool) {
		return cred, user == "alice" && m == mechanism
	}
}

// runScram runs franz-go's SCRAM client against our server exchange and
// returns the server's error, or the client's if the server accepted.
func runScram(t *testing.T, mechanism string, lookup CredentialLookup, user, password string) (acl.Principal, error) {
	auth := scram.Auth{User: user, Pass: password}
	m := auth.AsSha256Mechanism()
	if mechanism == ScramSHA512 {
		m = auth.AsSha512Mechanism()
	}
	session, msg, err := m.Authenticate(context.Background(), "broker")
	if err != nil {
		t.Fatal(err)
	}
	server := (&SASL{Mechanisms: []string{mechanism}, Credentials: lookup}).Start(mechanism)
	for {
		answer, done, err := server.Step(msg)
		if err != nil {
			return acl.Principal{}, err
		}
		clientDone, next, err := session.Challenge(answer)
		if err != nil {
			return acl.Principal{}, err
		}
		if done != clientDone {
			t.Fatalf("server done %v, client done %v", done, clientDone)
		}
		if done {
			return server.Principal(), nil
		}
		msg = next
	}
}

// TestScramWithFranzGo proves that franz-go's SCRAM client authenticates
// against the server exchange with both mechanisms, and that a wrong
// password, an unknown user and the wrong mechanism's credential all fail
// with the same message.
func TestScramWithFranzGo(t *testing.T) {
	for _, mechanism := range []string{ScramSHA256, ScramSHA512} {
		lookup := credentials(t, mechanism, "alice-secret")
		p, err := runScram(t, mechanism, lookup, "alice", "alice-secret")
		if err != nil || p != (acl.Principal{Type: "User", Name: "alice"}) {
			t.Fatalf("%s: %v, %v", mechanism, p, err)
		}
		other := ScramSHA512
		if mechanism == ScramSHA512 {
			other = ScramSHA256
		}
		for _, bad := range []struct{ mechanism, user, password string }{
			{mechanism, "alice", "wrong"}, {mechanism, "bob", "alice-secret"}, {other, "alice", "alice-secret"},
		} {
			_, err := runScram(t, bad.mechanism, lookup, bad.user, bad.password)
			if err != errAuthentication {
				t.Errorf("%+v: %v, want %v", bad, err, errAuthentication)
			}
		}
	}
}

// TestPlain proves PLAIN: the right password authenticates; a wrong one,
// an unknown user, another user's authorization id and a malformed
// message fail alike.
func TestPlain(t *testing.T) {
	s := &SASL{Mechanisms: []string{Plain}, PlainUsers: map[string]string{"alice": "alice-secret", "bob": "b"}}
	ok := s.Start(Plain)
	if _, done, err := ok.Step([]byte("\x00alice\x00alice-secret")); !done || err != nil || ok.Principal().Name != "alice" {
		t.Fatalf("alice: %v %v %v", done, err, ok.Principal())
	}
	for _, msg := range []string{"\x00alice\x00wrong", "\x00carol\x00", "bob\x00alice\x00alice-secret", "alice-secret", "\x00\x00"} {
		if _, _, err := s.Start(Plain).Step([]byte(msg)); err != errAuthentication {
			t.Errorf("%q: %v", msg, err)
		}
	}
}

// TestParseJAAS proves that PlainLoginModule's options are read as Kafka
// writes them, quoted or not, and that users come from user_<name>.
func TestParseJAAS(t *testing.T) {
	opts, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required
		username="admin" password="admin secret" user_admin="admin secret" user_alice=alice-pw;`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"admin": "admin secret", "alice": "alice-pw"}
	if got := plainUsers(opts); !maps.Equal(got, want) {
		t.Fatalf("users %v, want %v", got, want)
	}
	for _, bad := range []string{"PlainLoginModule required user_a=\"x;", "PlainLoginModule user_a=x;", "PlainLoginModule required a=b"} {
		if _, err := ParseJAAS(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzSASLExchange feeds arbitrary client messages to PLAIN and SCRAM
// exchanges: none may panic, and none may authenticate without the
// password.
func FuzzSASLExchange(f *testing.F) {
	f.Add([]byte("n,,n=alice,r=abc"), []byte("c=biws,r=abc,p=AAAA"), uint8(0))
	f.Add([]byte("\x00alice\x00x"), []byte(""), uint8(2))
	f.Add([]byte("y,,n=al=3Dice,r=x"), []byte("c=eSws,r=x,p="), uint8(1))
	f.Add([]byte("n,,n=tok,r=abc,tokenauth=true"), []byte("c=biws,r=abc,p=AAAA"), uint8(0))
	lookups := map[string]CredentialLookup{
		ScramSHA256: credentials(f, ScramSHA256, "alice-secret"),
		ScramSHA512: credentials(f, ScramSHA512, "alice-secret"),
	}
	mechanisms := []string{ScramSHA256, ScramSHA512, Plain}
	f.Fuzz(func(t *testing.T, first, second []byte, which uint8) {
		m := mechanisms[int(which)%len(mechanisms)]
		s := &SASL{Mechanisms: mechanisms, PlainUsers: map[string]string{"alice": "alice-secret"}, Credentials: lookups[m],
			Tokens: func(id string) (metadata.DelegationToken, bool) {
				return metadata.DelegationToken{ID: "tok", Owner: "User:alice"}, id == "tok"
			}, TokenSecret: "secret"}
		ex := s.Start(m)
		_, done, err := ex.Step(first)
		if err == nil && !done {
			_, done, err = ex.Step(second)
		}
		if err == nil && done && m != Plain {
			t.Fatalf("%s authenticated from fuzzed messages %q, %q", m, first, second)
		}
		if done && m == Plain && string(first) != "\x00alice\x00alice-secret" && string(first) != "alice\x00alice\x00alice-secret" {
			t.Fatalf("PLAIN authenticated %q", first)
		}
	})
}
