package auth

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/acl"
)

// loginQuorum runs LoginQuorum with m against ServeQuorum of s over a
// pipe, then sends a line after a successful exchange, as the quorum's
// hello follows it; it returns what each side saw and what the server
// read after the exchange.
func loginQuorum(t *testing.T, s *SASL, m sasl.Mechanism, authorize func(acl.Principal) error) (acl.Principal, error, error, string) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	type served struct {
		p    acl.Principal
		err  error
		tail string
	}
	done := make(chan served, 1)
	go func() {
		defer server.Close()
		prefix := make([]byte, 5)
		if _, err := io.ReadFull(server, prefix); err != nil {
			done <- served{err: err}
			return
		}
		if !IsQuorumLogin(prefix) {
			done <- served{err: errors.New("not a quorum login")}
			return
		}
		p, err := s.ServeQuorum(server, prefix, authorize)
		var tail [5]byte
		if err == nil {
			server.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.ReadFull(server, tail[:])
		}
		done <- served{p, err, string(tail[:])}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clientErr := LoginQuorum(ctx, client, m, "controller")
	if clientErr == nil {
		client.Write([]byte("hello"))
	}
	select {
	case r := <-done:
		return r.p, r.err, clientErr, r.tail
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not finish the exchange in 10s")
	}
	return acl.Principal{}, nil, nil, ""
}

// TestQuorumLogin proves that the quorum's SASL exchange admits a client
// with the right PLAIN or SCRAM credentials, once authorized, and refuses
// a wrong password, an unauthorized principal and a mechanism the
// listener does not enable, telling the client why.
func TestQuorumLogin(t *testing.T) {
	s := &SASL{
		Mechanisms:  []string{Plain, ScramSHA256},
		PlainUsers:  map[string]string{"controller": "secret"},
		Credentials: credentials(t, ScramSHA256, "scram-secret"),
	}
	allow := func(acl.Principal) error { return nil }
	deny := func(p acl.Principal) error { return errors.New(p.String() + " is not authorized") }
	cases := []struct {
		name       string
		m          sasl.Mechanism
		authorize  func(acl.Principal) error
		principal  string
		clientWant string // in the client's error; "" for none
	}{
		{"plain", plain.Auth{User: "controller", Pass: "secret"}.AsMechanism(), allow, "User:controller", ""},
		{"scram", scram.Auth{User: "alice", Pass: "scram-secret"}.AsSha256Mechanism(), allow, "User:alice", ""},
		{"wrong password", plain.Auth{User: "controller", Pass: "wrong"}.AsMechanism(), allow, "", "authentication failed"},
		{"wrong scram password", scram.Auth{User: "alice", Pass: "wrong"}.AsSha256Mechanism(), allow, "", "authentication failed"},
		{"not authorized", plain.Auth{User: "controller", Pass: "secret"}.AsMechanism(), deny, "", "User:controller is not authorized"},
		{"mechanism not enabled", scram.Auth{User: "alice", Pass: "scram-secret"}.AsSha512Mechanism(), allow, "", `Unsupported SASL mechanism "SCRAM-SHA-512"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, serverErr, clientErr, tail := loginQuorum(t, s, c.m, c.authorize)
			if c.clientWant == "" {
				if serverErr != nil || clientErr != nil || p.String() != c.principal || tail != "hello" {
					t.Fatalf("admitted %v (want %s), server %v, client %v, then %q", p, c.principal, serverErr, clientErr, tail)
				}
				return
			}
			if !errors.Is(serverErr, ErrQuorumLogin) || !errors.Is(clientErr, ErrQuorumLogin) || !strings.Contains(clientErr.Error(), c.clientWant) {
				t.Fatalf("server %v, client %v; want both refused with %q", serverErr, clientErr, c.clientWant)
			}
		})
	}
}

// TestQuorumLoginBadFrames proves that the server refuses, without
// allocating what a frame's length claims, a start frame whose length is
// out of bounds or which has no mechanism.
func TestQuorumLoginBadFrames(t *testing.T) {
	s := &SASL{Mechanisms: []string{Plain}, PlainUsers: map[string]string{"a": "b"}}
	for _, frame := range [][]byte{
		{0x7f, 0xff, 0xff, 0xff, quorumStart},
		{0, 0, 0, 0, quorumStart},
		append([]byte{0, 0, 0, 6, quorumStart}, "PLAIN"...),
	} {
		client, server := net.Pipe()
		go func() { client.Write(frame[5:]); io.Copy(io.Discard, client) }()
		_, err := s.ServeQuorum(server, frame[:5], func(acl.Principal) error { return nil })
		server.Close()
		client.Close()
		if !errors.Is(err, ErrQuorumLogin) {
			t.Errorf("frame %x: %v, want a refusal", frame, err)
		}
	}
}

// FuzzServeQuorum feeds arbitrary bytes to the server side of the
// quorum's SASL exchange, as an unauthenticated peer may: it must end
// with a principal or an error, never panic or allocate what a length
// claims beyond its bound.
func FuzzServeQuorum(f *testing.F) {
	f.Add([]byte{0, 0, 0, 18, quorumStart, 'P', 'L', 'A', 'I', 'N', 0, 0, 'a', 0, 'b'})
	f.Add([]byte{0, 0, 0, 7, quorumStart, 'P', 'L', 'A', 'I', 'N', 0})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, quorumStart})
	s := &SASL{Mechanisms: []string{Plain, ScramSHA256}, PlainUsers: map[string]string{"a": "b"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		client, server := net.Pipe()
		go func() {
			client.Write(data[5:])
			client.Close()
		}()
		go io.Copy(io.Discard, client)
		s.ServeQuorum(server, data[:5], func(acl.Principal) error { return nil })
		server.Close()
	})
}
