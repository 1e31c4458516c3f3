package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestProgress proves a progress report prints nothing before its
// interval has passed (a short operation prints what Kafka's tool
// prints), then at most one line an interval, and ends on its last state.
func TestProgress(t *testing.T) {
	var b strings.Builder
	clock := time.Unix(0, 0)
	p := &progress{w: &b, interval: time.Second, now: func() time.Time { return clock }, start: clock}
	p.step("done", 1, 10)
	clock = clock.Add(500 * time.Millisecond)
	p.step("done", 2, 10)
	clock = clock.Add(600 * time.Millisecond)
	p.step("done", 3, 10) // 1.1 s: first line
	clock = clock.Add(500 * time.Millisecond)
	p.step("done", 4, 10) // 0.5 s after it: none
	clock = clock.Add(600 * time.Millisecond)
	p.step("done", 5, 10) // 2.2 s
	p.finish("done", 10, 10)
	want := "Progress: 3 of 10 done (30%), 1.1 s elapsed\nProgress: 5 of 10 done (50%), 2.2 s elapsed\nProgress: 10 of 10 done (100%), 2.2 s elapsed\n"
	if b.String() != want {
		t.Fatalf("printed\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	quick := &progress{w: &b, interval: time.Second, now: func() time.Time { return clock }, start: clock}
	quick.step("done", 1, 1)
	quick.finish("done", 1, 1)
	if b.String() != "" {
		t.Fatalf("a quick operation printed %q", b.String())
	}
}

// TestReassignProgressLine proves --verify's summary counts the statuses
// it printed.
func TestReassignProgressLine(t *testing.T) {
	var c reassignCount
	for i := range 4 {
		p := planPartition{Topic: "t", Partition: int32(i)}
		switch i {
		case 0, 1:
			c.add(fmt.Sprintf("Reassignment of partition %s is completed.", tpString(p.Topic, p.Partition)))
		case 2:
			c.add(fmt.Sprintf("Reassignment of partition %s is still in progress.", tpString(p.Topic, p.Partition)))
		default:
			c.add("There is no active reassignment of partition t-3, but replica set is 1 rather than 2.")
		}
	}
	want := "Progress: 2 of 4 partitions reassigned (50%), 1 still in progress, 1 with another replica set"
	if got := c.progressLine(4); got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
