package cli

// Progress lines for long operations. Kafka's tools print nothing while
// they reset the offsets of thousands of partitions; Gregor's print a line
// to standard error once an operation has run for progressInterval, and
// then at most one a progressInterval, so a short run prints exactly what
// Kafka's tool prints and standard output stays the tool's answer.

import (
	"fmt"
	"io"
	"time"
)

// progressInterval is how long an operation runs before its first
// progress line, and the least time between two; tests lower it.
var progressInterval = time.Second

// progress prints the progress lines of one operation. Not safe for
// concurrent use.
type progress struct {
	w        io.Writer
	interval time.Duration
	now      func() time.Time
	start    time.Time
	last     time.Time // of the last line printed; zero for none
	// lastWhat, lastDone and lastTotal are what the last line said.
	lastWhat            string
	lastDone, lastTotal int
}

// newProgress starts timing an operation whose lines go to w.
func newProgress(w io.Writer) *progress {
	p := &progress{w: w, interval: progressInterval, now: time.Now}
	p.start = p.now()
	return p
}

// step reports that done of total units are done, described by what (as
// "offsets of group 'g' committed"); it prints a line when one is due.
func (p *progress) step(what string, done, total int) {
	now := p.now()
	if now.Sub(p.start) < p.interval || (!p.last.IsZero() && now.Sub(p.last) < p.interval) {
		return
	}
	p.last = now
	p.print(what, done, total, now)
}

// finish prints the last line, done of total, when an earlier line was
// printed, so a progress report never stops short of its end.
func (p *progress) finish(what string, done, total int) {
	if !p.last.IsZero() && (what != p.lastWhat || done != p.lastDone || total != p.lastTotal) {
		p.print(what, done, total, p.now())
	}
}

func (p *progress) print(what string, done, total int, now time.Time) {
	p.lastWhat, p.lastDone, p.lastTotal = what, done, total
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	fmt.Fprintf(p.w, "Progress: %d of %d %s (%.0f%%), %.1f s elapsed\n", done, total, what, pct, now.Sub(p.start).Seconds())
}
