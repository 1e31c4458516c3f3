package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl/plain"

	"gregor/internal/acl"
	"gregor/internal/auth"
)

// TestControllerMuxSessionLifetime proves that the controller listener
// hands a quorum connection that logged in to the quorum's side, its hello
// replayed, and closes it when its SASL session ends
// (connections.max.reauth.ms), and never without a session lifetime.
func TestControllerMuxSessionLifetime(t *testing.T) {
	for _, lifetime := range []time.Duration{300 * time.Millisecond, 0} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		m := splitControllerListener(ln, nil)
		m.sasl = &auth.SASL{Mechanisms: []string{auth.Plain}, PlainUsers: map[string]string{"admin": "secret"}, SessionLifetime: lifetime}
		m.authorize = func(acl.Principal, string) error { return nil }
		m.logger = slog.New(slog.DiscardHandler)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.run(ctx) }()

		client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.LoginQuorum(ctx, client, plain.Auth{User: "admin", Pass: "secret"}.AsMechanism(), "127.0.0.1"); err != nil {
			t.Fatalf("login: %v", err)
		}
		hello := []byte{0, 0, 0, 1, 0xC7}
		client.Write(hello)
		accepted := make(chan net.Conn, 1)
		go func() {
			if c, err := m.quorum.Accept(); err == nil {
				accepted <- c
			}
		}()
		var conn net.Conn
		select {
		case conn = <-accepted:
		case <-time.After(5 * time.Second):
			t.Fatal("the quorum's side accepted nothing in 5s")
		}
		got := make([]byte, len(hello))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(conn, got); err != nil || string(got) != string(hello) {
			t.Fatalf("the quorum's side read %x, %v; want the hello %x", got, err, hello)
		}
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(time.Second + lifetime))
		_, err = conn.Read(got)
		switch {
		case lifetime > 0 && (errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) < lifetime-50*time.Millisecond):
			t.Fatalf("lifetime %v: the connection ended after %v with %v; want it closed at the lifetime", lifetime, time.Since(start), err)
		case lifetime == 0 && !errors.Is(err, os.ErrDeadlineExceeded):
			t.Fatalf("no lifetime: the connection ended with %v", err)
		}
		conn.Close()
		client.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestControllerMuxAuthorizesPlaintextQuorum proves that on a PLAINTEXT
// controller listener a quorum connection is authorized as User:ANONYMOUS
// (ClusterAction on the cluster, as Kafka's controller authorizes its Raft
// requests): refused, it is closed and never reaches the quorum's side;
// allowed, it does, its hello replayed.
func TestControllerMuxAuthorizesPlaintextQuorum(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		m := splitControllerListener(ln, nil)
		asked := make(chan acl.Principal, 1)
		m.authorize = func(p acl.Principal, _ string) error {
			asked <- p
			if !allowed {
				return errors.New("denied")
			}
			return nil
		}
		m.logger = slog.New(slog.DiscardHandler)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.run(ctx) }()
		accepted := make(chan net.Conn, 1)
		go func() {
			if c, err := m.quorum.Accept(); err == nil {
				accepted <- c
			}
		}()

		client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		hello := []byte{0, 0, 0, 1, 0xC7}
		client.Write(hello)
		if !allowed {
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Fatalf("refused: the connection ended with %v, want it closed", err)
			}
			select {
			case <-accepted:
				t.Fatal("a refused connection reached the quorum's side")
			case <-time.After(100 * time.Millisecond):
			}
		} else {
			select {
			case conn := <-accepted:
				got := make([]byte, len(hello))
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(conn, got); err != nil || string(got) != string(hello) {
					t.Fatalf("the quorum's side read %x, %v; want the hello %x", got, err, hello)
				}
				conn.Close()
			case <-time.After(5 * time.Second):
				t.Fatal("the quorum's side accepted nothing in 5s")
			}
		}
		if p := <-asked; p != acl.Anonymous {
			t.Fatalf("authorized %v, want %v", p, acl.Anonymous)
		}
		client.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
