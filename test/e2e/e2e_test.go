// Package e2e runs the built gregor binary as separate processes: it kills
// a server with SIGKILL, to show what survives a crash, and puts it through
// the faults of one machine (a second server on its log dir, running out of
// file descriptors). cluster_test.go starts clusters of such processes from
// server.properties files, with per-link proxies between them for network
// faults; acked_test.go checks that no acknowledged write was lost,
// reordered or duplicated. Multi-node tests run with GREGOR_CLUSTER_TESTS=1.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gregor-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gregor")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/gregor")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gregor:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a gregor server started by the test.
type process struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu     sync.Mutex // guards log
	log    []string   // the lines of its stderr so far
	logged chan struct{}
}

var listenersLine = regexp.MustCompile(`listeners="?\[(?:[A-Z_]+://)?([0-9.]+:[0-9]+)`) // quoted when there are several

// startServer runs `gregor server` on an ephemeral loopback port with its
// data in dir and waits until it listens. The test's cleanup kills it.
func startServer(t *testing.T, dir string, overrides ...string) *process {
	t.Helper()
	return startProcess(t, exec.Command(binary, serverArgs(dir, overrides...)...))
}

// serverArgs are the arguments of `gregor server` on an ephemeral loopback
// port with its data in dir.
func serverArgs(dir string, overrides ...string) []string {
	args := []string{"server", "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "log.dirs=" + dir,
		"--override", "http.listeners=http://127.0.0.1:0", "--override", "schema.registry.listeners=", "--override", "rest.proxy.listeners="}
	for _, o := range overrides {
		args = append(args, "--override", o)
	}
	return args
}

// startProcess starts cmd, a gregor server (or a command that execs one),
// and waits until it listens. The test's cleanup kills it.
func startProcess(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := spawn(t, cmd)
	p.waitListening(t, 30*time.Second)
	return p
}

// spawn starts cmd and collects its stderr, without waiting for anything:
// the nodes of a cluster start only together. The test's cleanup kills it,
// and so does the death of the test binary where the OS allows (Linux).
func spawn(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := startTied(cmd); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), logged: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if os.Getenv("GREGOR_TEST_LOG") != "" {
				fmt.Fprintln(os.Stderr, sc.Text())
			}
			p.appendLog(sc.Text())
		}
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// waitListening waits up to d for the server to log that it started, and
// records the first address it listens on as p.addr.
func (p *process) waitListening(t *testing.T, d time.Duration) {
	t.Helper()
	line := p.waitForLog(t, listenersLine, d)
	p.addr = listenersLine.FindStringSubmatch(line)[1]
}

func (p *process) appendLog(line string) {
	p.mu.Lock()
	p.log = append(p.log, line)
	p.mu.Unlock()
	select {
	case p.logged <- struct{}{}:
	default:
	}
}

// waitForLog waits up to d for a line of the server's stderr that matches
// re and returns it; it fails the test if the server exits first.
func (p *process) waitForLog(t *testing.T, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		p.mu.Lock()
		i := slices.IndexFunc(p.log, re.MatchString)
		line := ""
		if i >= 0 {
			line = p.log[i]
		}
		p.mu.Unlock()
		if i >= 0 {
			return line
		}
		select {
		case <-p.logged:
		case <-p.done:
			t.Fatalf("gregor server exited (%v) before logging %q", p.cmd.ProcessState, re)
		case <-deadline:
			t.Fatalf("gregor server did not log %q within %v", re, d)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("gregor server did not stop within 30s of SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("gregor server exited with %d", code)
	}
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// runTool runs a gregor subcommand with stdin and returns its stdout.
func runTool(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx := testContext(t, 60*time.Second)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}
