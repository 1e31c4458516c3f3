//go:build !linux

package e2e

import "os/exec"

// startTied starts cmd. Where the OS cannot tie a child's life to its
// parent's, the tests' cleanups still kill every server they start.
func startTied(cmd *exec.Cmd) error { return cmd.Start() }
