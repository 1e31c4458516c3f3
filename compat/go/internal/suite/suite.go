// Package suite holds what the Go client runners share: result lines, time
// bounds, topic names, the codec matrix records and the checks on what a
// consumer read back. It knows no client library: runners convert their
// records to Record.
//
// A runner is run as "<runner> checks" or "<runner> matrix" by compat/run,
// with COMPAT_BOOTSTRAP, COMPAT_PREFIX and COMPAT_MANIFEST in its environment.
package suite

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"
)

// Codecs are the compression codecs of record batch v2, by their Kafka names.
var Codecs = []string{"gzip", "snappy", "lz4", "zstd"}

// Bootstrap is the broker address the runners talk to.
func Bootstrap() string { return env("COMPAT_BOOTSTRAP", "127.0.0.1:9092") }

func prefix() string { return env("COMPAT_PREFIX", "compat") }

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// Header is one record header.
type Header struct{ Key, Value string }

// Record is a record as a consumer read it, whatever the client library.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
}

// Runner prints one result line per check on standard output. Its
// diagnostics go to standard error through the log package.
type Runner struct {
	Client string
}

// Topic returns a topic name that no other runner or check uses.
func (r *Runner) Topic(name string) string {
	return fmt.Sprintf("%s-%s-%s", prefix(), r.Client, name)
}

// Check runs fn with a context that ends after timeout and prints PASS or
// FAIL. A check that does not return within a few seconds of its deadline is
// reported as timed out and left behind, so one stuck client library cannot
// hold up the checks after it.
func (r *Runner) Check(name string, timeout time.Duration, fn func(ctx context.Context) error) {
	log.Printf("-- %s", name)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
		if err == nil && ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s", timeout)
		}
	case <-time.After(timeout + 5*time.Second):
		err = fmt.Errorf("timed out after %s (the check did not return)", timeout)
	}
	if err != nil {
		log.Printf("%s: %v", name, err)
		reason := strings.Join(strings.Fields(err.Error()), " ")
		if errors.Is(err, context.DeadlineExceeded) {
			reason = fmt.Sprintf("timed out after %s: %s", timeout, reason)
		}
		if len(reason) > 300 {
			reason = reason[:300]
		}
		fmt.Printf("FAIL %s %s: %s\n", r.Client, name, reason)
		return
	}
	fmt.Printf("PASS %s %s\n", r.Client, name)
}

// Main runs checks or matrix as the first argument says.
func Main(checks, matrix func()) {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	phase := ""
	if len(os.Args) > 1 {
		phase = os.Args[1]
	}
	switch phase {
	case "checks":
		checks()
	case "matrix":
		matrix()
	default:
		fmt.Fprintf(os.Stderr, "usage: %s checks|matrix\n", os.Args[0])
		os.Exit(2)
	}
}

// WaitFor calls fn every 100ms until it returns true, an error, or ctx ends.
func WaitFor(ctx context.Context, what string, fn func() (bool, error)) error {
	for {
		ok, err := fn()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// --- the codec matrix ---------------------------------------------------------

// MatrixRecordCount is the number of records in each matrix topic.
const MatrixRecordCount = 20

// MatrixTopic names the one-partition topic that producer fills with codec.
func MatrixTopic(producer, codec string) string {
	return fmt.Sprintf("%s-matrix-%s-%s", prefix(), producer, codec)
}

// MatrixRecords are the records every matrix producer writes to partition 0 of
// its topic, in order; Offset is where each must land.
func MatrixRecords(producer, codec string) []Record {
	recs := make([]Record, MatrixRecordCount)
	for i := range recs {
		recs[i] = Record{
			Offset:  int64(i),
			Key:     fmt.Appendf(nil, "key-%d", i),
			Value:   fmt.Appendf(nil, "%s/%s/%d/%s", producer, codec, i, strings.Repeat("0123456789", 10)),
			Headers: []Header{{"producer", producer}},
		}
	}
	return recs
}

// MatrixEntry is one matrix topic written in this run.
type MatrixEntry struct{ Topic, Producer, Codec string }

// AddToManifest records that producer wrote its codec topic.
func AddToManifest(producer, codec string) error {
	f, err := os.OpenFile(os.Getenv("COMPAT_MANIFEST"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %s %s\n", MatrixTopic(producer, codec), producer, codec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Manifest lists the matrix topics written in this run by producers other
// than self.
func Manifest(self string) ([]MatrixEntry, error) {
	f, err := os.Open(os.Getenv("COMPAT_MANIFEST"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []MatrixEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[1] != self {
			entries = append(entries, MatrixEntry{fields[0], fields[1], fields[2]})
		}
	}
	return entries, sc.Err()
}

// CheckMatrix compares what a consumer read from partition 0 of a matrix
// topic, from its start, with what producer wrote.
func CheckMatrix(got []Record, producer, codec string) error {
	want := MatrixRecords(producer, codec)
	if len(got) != len(want) {
		return fmt.Errorf("read %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.Offset != w.Offset:
			return fmt.Errorf("record %d at offset %d", i, g.Offset)
		case string(g.Key) != string(w.Key):
			return fmt.Errorf("offset %d: key %q, want %q", i, g.Key, w.Key)
		case string(g.Value) != string(w.Value):
			return fmt.Errorf("offset %d: value %.40q..., want %.40q...", i, g.Value, w.Value)
		case fmt.Sprint(g.Headers) != fmt.Sprint(w.Headers):
			return fmt.Errorf("offset %d: headers %v, want %v", i, g.Headers, w.Headers)
		}
	}
	return nil
}

// --- keyed records --------------------------------------------------------------

// KeyedRecords are 30 records over 5 keys, each with a header naming client.
func KeyedRecords(client string) []Record {
	recs := make([]Record, 30)
	for i := range recs {
		recs[i] = Record{
			Key:     fmt.Appendf(nil, "key-%d", i%5),
			Value:   fmt.Appendf(nil, "value-%d", i),
			Headers: []Header{{"origin", client}},
		}
	}
	return recs
}

// CheckKeyed checks what a consumer read of KeyedRecords(client), in read
// order: each key in one partition, each partition in produce order at
// offsets 0, 1, 2..., every record once with its header.
func CheckKeyed(got []Record, client string) error {
	want := map[string]Record{}
	for _, r := range KeyedRecords(client) {
		want[string(r.Value)] = r
	}
	if len(got) != len(want) {
		return fmt.Errorf("read %d records, want %d", len(got), len(want))
	}
	keyPartition := map[string]int32{}
	nextOffset := map[int32]int64{}
	lastIndex := map[int32]int{}
	seen := map[string]bool{}
	for _, g := range got {
		w, ok := want[string(g.Value)]
		if !ok {
			return fmt.Errorf("unexpected value %q", g.Value)
		}
		if seen[string(g.Value)] {
			return fmt.Errorf("%q read twice", g.Value)
		}
		seen[string(g.Value)] = true
		if string(g.Key) != string(w.Key) || fmt.Sprint(g.Headers) != fmt.Sprint(w.Headers) {
			return fmt.Errorf("%q: key %q headers %v, want key %q headers %v", g.Value, g.Key, g.Headers, w.Key, w.Headers)
		}
		if p, ok := keyPartition[string(g.Key)]; ok && p != g.Partition {
			return fmt.Errorf("key %q in partitions %d and %d", g.Key, p, g.Partition)
		}
		keyPartition[string(g.Key)] = g.Partition
		if g.Offset != nextOffset[g.Partition] {
			return fmt.Errorf("partition %d: offset %d, want %d", g.Partition, g.Offset, nextOffset[g.Partition])
		}
		nextOffset[g.Partition] = g.Offset + 1
		var index int
		fmt.Sscanf(string(g.Value), "value-%d", &index)
		if last, ok := lastIndex[g.Partition]; ok && index <= last {
			return fmt.Errorf("partition %d: %q after value-%d", g.Partition, g.Value, last)
		}
		lastIndex[g.Partition] = index
	}
	return nil
}

// SortedByPartition orders records by partition, keeping the order within
// a partition: for consumers that read partitions separately.
func SortedByPartition(recs []Record) []Record {
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b Record) int { return cmp.Compare(a.Partition, b.Partition) })
	return out
}

// CheckOrdered checks that want records formatted by format were read, each
// once, with contiguous offsets and increasing indexes in each partition.
func CheckOrdered(got []Record, want int, format string) error {
	if len(got) != want {
		return fmt.Errorf("read %d records, want %d", len(got), want)
	}
	next := map[int32]int64{}
	last := map[int32]int{}
	seen := map[int]bool{}
	for _, rec := range got {
		var i int
		if _, err := fmt.Sscanf(string(rec.Value), format, &i); err != nil || seen[i] {
			return fmt.Errorf("unexpected or repeated value %q", rec.Value)
		}
		seen[i] = true
		if rec.Offset != next[rec.Partition] {
			return fmt.Errorf("partition %d: offset %d, want %d", rec.Partition, rec.Offset, next[rec.Partition])
		}
		next[rec.Partition]++
		if l, ok := last[rec.Partition]; ok && i <= l {
			return fmt.Errorf("partition %d: %q after index %d", rec.Partition, rec.Value, l)
		}
		last[rec.Partition] = i
	}
	return nil
}
