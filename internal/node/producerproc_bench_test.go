package node_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// producerProcess is a manyPartitions' producers run by a child process
// (this test binary again, as TestManyPartitionsProducers), so that the
// benchmark process holds the broker alone and its CPU time (getrusage)
// is the broker's: the producers' franz-go clients cost more CPU per
// record as the partitions grow (more batches, and each request looks at
// every partition of the broker), which in one process is not told apart
// from the broker's cost. The child reads "produce N" lines on stdin and
// answers each with "done P99-NANOSECONDS" once its producers wrote N
// records.
type producerProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startProducerProcess(b *testing.B, addr string, partitions int32) *producerProcess {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestManyPartitionsProducers$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "GREGOR_BENCH_PRODUCER_ADDR="+addr, "GREGOR_BENCH_PRODUCER_PARTITIONS="+strconv.Itoa(int(partitions)))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pp := &producerProcess{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.Cleanup(func() {
		in.Close() // the child ends at the end of its input
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				b.Errorf("producer process: %v", err)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			b.Errorf("producer process did not end within a minute of its input")
			<-done
		}
	})
	if _, err := pp.await(b, "ready"); err != nil {
		b.Fatal(err)
	}
	return pp
}

// await reads the child's output up to a line starting with word and
// returns the rest of that line, failing if the child ends or takes more
// than five minutes.
func (pp *producerProcess) await(tb testing.TB, word string) (string, error) {
	type line struct {
		s  string
		ok bool
	}
	got := make(chan line, 1)
	go func() {
		for pp.out.Scan() {
			if rest, ok := strings.CutPrefix(pp.out.Text(), word); ok {
				got <- line{strings.TrimSpace(rest), true}
				return
			}
		}
		got <- line{}
	}()
	select {
	case l := <-got:
		if !l.ok {
			return "", fmt.Errorf("producer process ended before %q: %v", word, pp.out.Err())
		}
		return l.s, nil
	case <-time.After(5 * time.Minute):
		pp.cmd.Process.Kill()
		return "", fmt.Errorf("producer process: no %q within five minutes", word)
	}
}

func (pp *producerProcess) produce(tb testing.TB, records int) time.Duration {
	if _, err := fmt.Fprintf(pp.in, "produce %d\n", records); err != nil {
		tb.Fatal(err)
	}
	rest, err := pp.await(tb, "done")
	if err != nil {
		tb.Fatal(err)
	}
	ns, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		tb.Fatalf("producer process answered %q: %v", rest, err)
	}
	return time.Duration(ns)
}

// cpu is the CPU time (user and system) the child has used so far, from
// /proc/PID/stat in clock ticks (1/100 s on Linux).
func (pp *producerProcess) cpu(tb testing.TB) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pp.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th of them.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("cannot read the CPU time in %q", data)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPU is the CPU time (user and system) this process has used so far.
func selfCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestManyPartitionsProducers is the child of producerProcess; run
// directly, without its environment, it is skipped.
func TestManyPartitionsProducers(t *testing.T) {
	addr := os.Getenv("GREGOR_BENCH_PRODUCER_ADDR")
	if addr == "" {
		t.Skip("the producers of BenchmarkProduceManyPartitionsRatio with GREGOR_BENCH_PRODUCERS=process")
	}
	partitions, err := strconv.Atoi(os.Getenv("GREGOR_BENCH_PRODUCER_PARTITIONS"))
	if err != nil {
		t.Fatal(err)
	}
	mp := newManyPartitions(t, addr, int32(partitions))
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(in.Text(), "produce "))
		if err != nil {
			t.Fatalf("bad command %q", in.Text())
		}
		fmt.Println("done", mp.produce(t, n).Nanoseconds())
	}
}
