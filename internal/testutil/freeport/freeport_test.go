package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestGetDistinctBindableOutsideEphemeral(t *testing.T) {
	ports, err := Get(50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	high := ephemeralStart()
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p < lowest || p >= high {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, high)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d not bindable after Get: %v", p, err)
		}
		ln.Close()
	}
	more, err := Get(50)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range more {
		if seen[p] {
			t.Fatalf("port %d handed out again by a second Get", p)
		}
	}
}
