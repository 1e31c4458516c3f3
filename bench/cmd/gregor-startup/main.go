// Command gregor-startup compares the start-up of gregor binaries on a log
// dir of many partitions: time from exec to the "gregor started" line
// (listening) and to the first acknowledged produce, interleaved A, B, A,
// B, ... on copies of one log dir, with the medians of the repetitions.
//
//	go build -o /tmp/gregor-a ./cmd/gregor   # at the commit before
//	go build -o /tmp/gregor-b ./cmd/gregor   # at the commit after
//	go run ./bench/cmd/gregor-startup -partitions 20000 -reps 3 /tmp/gregor-a /tmp/gregor-b
//
// The log dir is made once by the last binary: topics of 2,000
// partitions, one record written to each, a clean stop (SIGTERM).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const perTopic = 2_000

func main() {
	partitions := flag.Int("partitions", 20_000, "partitions in the log dir")
	reps := flag.Int("reps", 3, "repetitions of each binary")
	work := flag.String("dir", "", "work directory (default: a new temporary one)")
	reuse := flag.Bool("reuse", false, "reuse the log dir a previous run left in -dir (started and stopped once by the last binary)")
	flag.Parse()
	bins := flag.Args()
	if len(bins) == 0 {
		log.Fatal("usage: gregor-startup [flags] BINARY...")
	}
	if *work == "" {
		d, err := os.MkdirTemp("", "gregor-startup")
		if err != nil {
			log.Fatal(err)
		}
		*work = d
		defer os.RemoveAll(d)
	}
	template := filepath.Join(*work, "template")
	t0 := time.Now()
	prep := prepare
	if *reuse {
		prep = restart
	}
	if err := prep(bins[len(bins)-1], template, int32(*partitions)); err != nil {
		log.Fatal(err)
	}
	log.Printf("prepared %d partitions in %v", *partitions, time.Since(t0).Round(time.Second))
	listening := make([][]time.Duration, len(bins))
	produced := make([][]time.Duration, len(bins))
	for r := range *reps {
		for i, bin := range bins {
			dir := filepath.Join(*work, "run")
			if out, err := exec.Command("cp", "-a", template, dir).CombinedOutput(); err != nil {
				log.Fatalf("copy: %v: %s", err, out)
			}
			l, p, err := startOnce(bin, dir, int32(*partitions))
			if err != nil {
				log.Fatalf("%s: %v", bin, err)
			}
			os.RemoveAll(dir)
			log.Printf("rep %d %s: listening %v, first produce %v", r, bin, l.Round(time.Millisecond), p.Round(time.Millisecond))
			listening[i] = append(listening[i], l)
			produced[i] = append(produced[i], p)
		}
	}
	fmt.Println("| binary | to listening (median) | to first produce (median) | all to first produce |")
	fmt.Println("|---|---|---|---|")
	for i, bin := range bins {
		fmt.Printf("| %s | %.2f s | %.2f s | %v |\n", bin, median(listening[i]).Seconds(), median(produced[i]).Seconds(), rounded(produced[i]))
	}
}

// server starts bin on dir and returns it with the address it listens on.
func server(bin, dir string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, "server", "--override", "listeners=PLAINTEXT://127.0.0.1:0",
		"--override", "http.listeners=", "--override", "schema.registry.listeners=",
		"--override", "rest.proxy.listeners=", "--override", "log.dirs="+dir,
		"--override", "broker.session.timeout.ms=600000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	re := regexp.MustCompile(`listeners="?\[([A-Z_]+://)?([0-9.]+:[0-9]+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil && regexp.MustCompile(`gregor started`).MatchString(sc.Text()) {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, m[2], nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, "", fmt.Errorf("%s exited before listening", bin)
}

func stop(cmd *exec.Cmd) error {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Minute):
		cmd.Process.Kill()
		return fmt.Errorf("no stop within 10 minutes")
	}
}

func prepare(bin, dir string, partitions int32) error {
	cmd, addr, err := server(bin, dir)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequestTimeoutOverhead(5*time.Minute))
	if err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	var recs []*kgo.Record
	for t := int32(0); t*perTopic < partitions; t++ {
		count := min(perTopic, partitions-t*perTopic)
		resp, err := adm.CreateTopic(context.Background(), count, 1, nil, topic(t))
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			return err
		}
		for p := range count {
			recs = append(recs, &kgo.Record{Topic: topic(t), Partition: p, Value: []byte("v")})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		return err
	}
	cl.Close()
	return stop(cmd)
}

// restart starts bin on dir and stops it: the clean stop of the binary
// measured last, whatever stopped it before.
func restart(bin, dir string, _ int32) error {
	cmd, _, err := server(bin, dir)
	if err != nil {
		return err
	}
	return stop(cmd)
}

func topic(t int32) string { return fmt.Sprintf("startup-%d", t) }

// startOnce starts bin on dir and times the "gregor started" line and the
// first acknowledged produce to the last partition, then stops it.
func startOnce(bin, dir string, partitions int32) (time.Duration, time.Duration, error) {
	start := time.Now()
	cmd, addr, err := server(bin, dir)
	if err != nil {
		return 0, 0, err
	}
	listening := time.Since(start)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordRetries(1<<30), kgo.RecordDeliveryTimeout(5*time.Minute))
	if err != nil {
		return 0, 0, err
	}
	last := partitions - 1
	rec := &kgo.Record{Topic: topic(last / perTopic), Partition: last % perTopic, Value: []byte("first")}
	err = cl.ProduceSync(context.Background(), rec).FirstErr()
	produced := time.Since(start)
	cl.Close()
	if err != nil {
		stop(cmd)
		return 0, 0, err
	}
	return listening, produced, stop(cmd)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func rounded(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%.1fs", d.Seconds())
	}
	return out
}
