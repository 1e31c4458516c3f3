package e2e

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// startTied starts cmd so that the kernel SIGKILLs its process if the test
// binary dies first (a test timeout panics without running cleanups), so
// that no server outlives its test holding ports and log dirs.
//
// The kernel sends that signal when the thread that started the child
// ends, not the process (PR_SET_PDEATHSIG; go.dev/issue/27505), and the Go
// runtime ends a thread when a goroutine locked to it exits: started from
// any goroutine, a server could be SIGKILLed in the middle of a test. So
// every child is started from one goroutine locked to a thread of its own
// that never exits.
func startTied(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	starterOnce.Do(func() {
		starts = make(chan startRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range starts {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	starts <- startRequest{cmd, done}
	return <-done
}

type startRequest struct {
	cmd  *exec.Cmd
	done chan<- error
}

var (
	starterOnce sync.Once
	starts      chan startRequest
)
