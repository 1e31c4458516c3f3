// Package peer starts the brokers a benchmark compares — Gregor, Apache
// Kafka (through compat/kafka/broker) and franz-go's kfake in a child
// process — each in its own directory on a loopback port, measures the
// time from process start to the first answered ApiVersions request, and
// reads a running broker's resident memory and CPU time from /proc.
package peer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gregor/internal/testutil/freeport"
)

// Broker is a running broker process.
type Broker struct {
	Name string
	Addr string // host:port of its PLAINTEXT listener
	PID  int
	// StartToAnswer is the time from the start of the broker's process to
	// its first answered ApiVersions request.
	StartToAnswer time.Duration
	stop          func() error
}

// Stop stops the broker and waits for its process to exit.
func (b *Broker) Stop() error { return b.stop() }

const startTimeout = 120 * time.Second

// listenersLine finds the bound address in Gregor's start-up line.
var listenersLine = regexp.MustCompile(`listeners="?\[(?:[A-Z_]+://)?([0-9.]+:[0-9]+)`)

// StartGregor starts bin as a single-node Gregor server with its data in
// dir, listening on a free loopback port, with its default flush policy.
func StartGregor(bin, dir string) (*Broker, error) {
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "server",
		"--override", "listeners=PLAINTEXT://127.0.0.1:0",
		"--override", "http.listeners=",
		"--override", "schema.registry.listeners=",
		"--override", "rest.proxy.listeners=",
		"--override", "log.dirs="+filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &Broker{Name: "gregor", PID: cmd.Process.Pid, stop: func() error { return terminate(cmd) }}
	deadline := time.Now().Add(startTimeout)
	for b.Addr == "" {
		if time.Now().After(deadline) || exited(cmd.Process.Pid) {
			terminate(cmd)
			return nil, fmt.Errorf("gregor did not print its listeners: see %s", logPath)
		}
		if m := listenersLine.FindSubmatch(readFile(logPath)); m != nil {
			b.Addr = string(m[1])
		}
		time.Sleep(time.Millisecond)
	}
	if err := waitAnswer(b.Addr, deadline, cmd.Process.Pid); err != nil {
		terminate(cmd)
		return nil, fmt.Errorf("gregor: %w (see %s)", err, logPath)
	}
	b.StartToAnswer = time.Since(start)
	return b, nil
}

// StartKfake starts franz-go's kfake (one broker, in memory) in a child
// process: self run with args is expected to call ServeKfake.
func StartKfake(self string, args ...string) (*Broker, error) {
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &Broker{Name: "kfake", PID: cmd.Process.Pid, stop: func() error { return terminate(cmd) }}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case b.Addr = <-addr:
	case <-time.After(startTimeout):
	}
	if b.Addr == "" {
		terminate(cmd)
		return nil, errors.New("kfake child did not print its address")
	}
	if err := waitAnswer(b.Addr, start.Add(startTimeout), cmd.Process.Pid); err != nil {
		terminate(cmd)
		return nil, fmt.Errorf("kfake: %w", err)
	}
	b.StartToAnswer = time.Since(start)
	return b, nil
}

// StartKafka starts Apache Kafka with script (compat/kafka/broker) in dir
// on a free port. heap is passed as KAFKA_HEAP, props (key=value lines) as
// KAFKA_PROPS. The script formats the storage first, then starts the JVM:
// the start-to-answer time is taken from the JVM's start time in /proc.
func StartKafka(script, dir, heap string, props []string) (*Broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &Broker{Name: "kafka", Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	cmd := exec.Command(script, "start", strconv.Itoa(port), dir)
	cmd.Env = append(os.Environ(), "KAFKA_HEAP="+heap, "KAFKA_PROPS="+strings.Join(props, "\n"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	scriptDone := make(chan error, 1)
	go func() { scriptDone <- cmd.Wait() }()
	b.stop = func() error {
		out, err := exec.Command(script, "stop", dir).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s stop: %v: %s", script, err, out)
		}
		return nil
	}
	age, err := kafkaStartToAnswer(b, dir, scriptDone)
	if err != nil {
		cmd.Process.Kill()
		if _, statErr := os.Stat(filepath.Join(dir, "broker.pid")); statErr == nil {
			b.stop()
		}
		return nil, fmt.Errorf("kafka: %w: %s", err, stderr.String())
	}
	b.StartToAnswer = age
	if err := <-scriptDone; err != nil {
		b.stop()
		return nil, fmt.Errorf("kafka start script: %w: %s", err, stderr.String())
	}
	return b, nil
}

// kafkaStartToAnswer waits for the pid the script writes, then polls the
// broker, and returns the JVM's age at its first answer.
func kafkaStartToAnswer(b *Broker, dir string, scriptDone <-chan error) (time.Duration, error) {
	deadline := time.Now().Add(startTimeout + 60*time.Second) // the script formats the storage first
	pidPath := filepath.Join(dir, "broker.pid")
	for b.PID == 0 {
		if time.Now().After(deadline) {
			return 0, errors.New("no broker.pid")
		}
		select {
		case err := <-scriptDone:
			return 0, fmt.Errorf("start script exited before the broker started: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(readFile(pidPath)))); err == nil && pid > 0 {
			b.PID = pid
		}
	}
	if err := waitAnswer(b.Addr, deadline, b.PID); err != nil {
		return 0, err
	}
	return ProcessAge(b.PID)
}

// waitAnswer polls addr with ApiVersions until it answers, the deadline
// passes or process pid exits.
func waitAnswer(addr string, deadline time.Time, pid int) error {
	for !Answers(addr) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s", addr)
		}
		if exited(pid) {
			return errors.New("the process exited")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// Answers reports whether a broker on addr answers an ApiVersions v0
// request with error code 0, on a new connection.
func Answers(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	const apiVersionsKey, correlationID = 18, 7
	clientID := "bench"
	req := binary.BigEndian.AppendUint32(nil, uint32(2+2+4+2+len(clientID)))
	req = binary.BigEndian.AppendUint16(req, apiVersionsKey)
	req = binary.BigEndian.AppendUint16(req, 0) // version
	req = binary.BigEndian.AppendUint32(req, correlationID)
	req = binary.BigEndian.AppendUint16(req, uint16(len(clientID)))
	req = append(req, clientID...)
	if _, err := conn.Write(req); err != nil {
		return false
	}
	var head [10]byte // size, correlation id, error code
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return false
	}
	return binary.BigEndian.Uint32(head[4:]) == correlationID && binary.BigEndian.Uint16(head[8:]) == 0
}

// ServeKfake runs a one-broker kfake cluster (built by newCluster, which
// returns its address and a close function), prints its address on
// stdout, and serves until SIGTERM or SIGINT.
func ServeKfake(ctx context.Context, newCluster func() (string, func(), error)) error {
	addr, closeCluster, err := newCluster()
	if err != nil {
		return err
	}
	defer closeCluster()
	fmt.Println(addr)
	<-ctx.Done()
	return nil
}

func terminate(cmd *exec.Cmd) error {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return errors.New("did not stop within 30s of SIGTERM: killed")
	}
}

// exited reports whether process pid is gone or a zombie.
func exited(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := statFields(stat)
	return len(fields) > 0 && fields[0] == "Z"
}

func freePort() (int, error) {
	ports, err := freeport.Get(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

func readFile(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}
