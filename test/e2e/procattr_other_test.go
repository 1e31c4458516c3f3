//go:build !linux

package e2e

import "os/exec"

// killWithParent does nothing where the OS cannot tie a child's life to
// its parent's; the tests' cleanups still kill every server they start.
func killWithParent(*exec.Cmd) {}
