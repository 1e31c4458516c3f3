//go:build !linux

package server

import (
	"net"

	"gregor/internal/kafka"
)

// sendFile copies r to conn where sendfile(2) with an explicit position is
// not wired up.
func sendFile(conn *net.TCPConn, r kafka.FileRegion) error { return copyRegion(conn, r) }
