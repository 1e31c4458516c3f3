// Package freeport picks loopback TCP ports for a server that must be told
// its port before it starts (a quorum's voters, a proxied peer, a
// reference broker).
//
// Ports from bind(":0") come from the kernel's ephemeral range, the same
// range outgoing connections and every other ":0" listener draw from, so a
// port noted and released there is soon taken by someone else on a busy
// machine. Ports are therefore chosen at random below that range, where
// only an explicit bind takes them, and each is checked by binding it.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

const (
	lowest         = 10000 // below: well-known services
	defaultLowEphm = 32768 // Linux's default ip_local_port_range start
)

var (
	mu    sync.Mutex
	given = map[int]bool{} // ports this process handed out already
)

// Get returns n distinct loopback ports, free a moment ago and outside the
// ephemeral range.
func Get(n int) ([]int, error) {
	mu.Lock()
	defer mu.Unlock()
	high := ephemeralStart()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000*n {
			return nil, fmt.Errorf("freeport: no free port in [%d, %d) after %d tries", lowest, high, tries)
		}
		port := lowest + rand.IntN(high-lowest)
		if given[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		given[port] = true
		out = append(out, port)
	}
	return out, nil
}

// ephemeralStart is the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultLowEphm
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return defaultLowEphm
	}
	low, err := strconv.Atoi(f[0])
	if err != nil || low <= lowest+1000 {
		return defaultLowEphm
	}
	return low
}
