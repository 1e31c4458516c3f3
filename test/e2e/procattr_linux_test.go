package e2e

import (
	"os/exec"
	"syscall"
)

// killWithParent makes the kernel SIGKILL cmd's process if the test binary
// dies first (a test timeout panics without running cleanups), so that no
// server outlives its test holding ports and log dirs.
func killWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
