package console

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lagWindow is how long the console keeps each group's lag history.
const lagWindow = 15 * time.Minute

// lagEvery is how often the console samples every group's total lag.
const lagEvery = 5 * time.Second

// lagMaxGroups bounds the groups the history follows (lagMaxSamples of
// each at most): a group seen when it is full gets no chart until one of
// the followed groups is gone for a whole window.
const lagMaxGroups = 2000

// lagMinGap is the least time between two samples of a group with the same
// lag: a sample closer than that to the last one, with the same lag, moves
// the last one's time instead. A changed lag is always kept.
const lagMinGap = time.Second

// lagMaxSamples bounds the samples kept of one group (one a second over
// the window), the oldest dropped first.
const lagMaxSamples = int(lagWindow / time.Second)

// lagSample is a group's total lag at one time.
type lagSample struct {
	At  time.Time
	Lag int64
}

// lagHistory is the recent total lag of each group, in memory only: it
// starts empty when the node starts. It is safe for concurrent use.
type lagHistory struct {
	window time.Duration // how far back samples are kept

	mu     sync.Mutex             // guards the fields below
	groups map[string][]lagSample // oldest first, none older than window
}

func newLagHistory(window time.Duration) *lagHistory {
	return &lagHistory{window: window, groups: map[string][]lagSample{}}
}

// add records the total lag of each group in lags at now, and forgets
// samples older than the window (and groups left with none).
func (h *lagHistory) add(now time.Time, lags map[string]int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for g, lag := range lags {
		s, followed := h.groups[g]
		if !followed && len(h.groups) >= lagMaxGroups {
			continue
		}
		if n := len(s); n > 0 && s[n-1].Lag == lag && now.Sub(s[n-1].At) < lagMinGap {
			s[n-1].At = now
			continue
		}
		if len(s) >= lagMaxSamples {
			s = s[len(s)-lagMaxSamples+1:]
		}
		h.groups[g] = append(s, lagSample{At: now, Lag: lag})
	}
	cutoff := now.Add(-h.window)
	for g, s := range h.groups {
		i := sort.Search(len(s), func(i int) bool { return !s[i].At.Before(cutoff) })
		switch {
		case i == len(s):
			delete(h.groups, g)
		case i > 0:
			h.groups[g] = append([]lagSample(nil), s[i:]...)
		}
	}
}

// series returns a copy of group's samples, oldest first.
func (h *lagHistory) series(group string) []lagSample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]lagSample(nil), h.groups[group]...)
}

// sampleLag records every group's total lag once.
func (c *Console) sampleLag(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	adm, err := c.ownAdmin()
	if err != nil {
		return err
	}
	lags, err := adm.Lag(ctx)
	if err != nil {
		return err
	}
	totals := map[string]int64{}
	for g, l := range lags {
		if l.Error() == nil {
			totals[g] = l.Lag.Total()
		}
	}
	c.lag.add(time.Now(), totals)
	return nil
}

// Run samples every group's total lag every few seconds for the lag
// charts until ctx ends, then closes the console's clients. With logins
// the console has no principal of its own to sample with: the charts then
// grow from the group pages users view, each as themselves.
func (c *Console) Run(ctx context.Context) {
	defer c.Close()
	if c.cfg.SASLMechanism != "" {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(c.lagEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.sampleLag(ctx); err != nil && ctx.Err() == nil && c.cfg.Logger != nil {
				c.cfg.Logger.Debug("console lag sample failed", "err", err)
			}
		}
	}
}

// lagChart is a group's lag history drawn as an inline SVG line chart.
type lagChart struct {
	Width, Height int
	Points        string // the polyline's points, "x,y x,y ..."
	Series        string // the samples, "unixmillis:lag ...", for tools and tests
	Samples       int
	Max, Last     int64
	Span          string // the time the chart covers, e.g. "3m20s"
	From, To      string // the first and last sample's clock time (UTC)
}

// chart draws samples in a width×height box: time left to right from the
// first sample to the last, lag bottom (0) to top (the largest lag).
func chart(samples []lagSample, width, height int) *lagChart {
	if len(samples) == 0 {
		return nil
	}
	first, last := samples[0], samples[len(samples)-1]
	c := &lagChart{Width: width, Height: height, Samples: len(samples), Last: last.Lag,
		Span: last.At.Sub(first.At).Round(time.Second).String(),
		From: first.At.UTC().Format("15:04:05"), To: last.At.UTC().Format("15:04:05")}
	for _, s := range samples {
		c.Max = max(c.Max, s.Lag)
	}
	span := float64(last.At.Sub(first.At))
	top := float64(max(c.Max, 1))
	const pad = 2.0 // keeps the line's stroke inside the box
	var points, series strings.Builder
	for i, s := range samples {
		x := float64(width) - pad // one sample: a point at the right
		if span > 0 {
			x = pad + float64(s.At.Sub(first.At))/span*(float64(width)-2*pad)
		}
		y := float64(height) - pad - float64(s.Lag)/top*(float64(height)-2*pad)
		if i > 0 {
			points.WriteByte(' ')
			series.WriteByte(' ')
		}
		fmt.Fprintf(&points, "%.1f,%.1f", x, y)
		series.WriteString(strconv.FormatInt(s.At.UnixMilli(), 10) + ":" + strconv.FormatInt(s.Lag, 10))
	}
	if len(samples) == 1 { // a polyline of one point draws nothing: make it a short flat line
		p := points.String()
		c.Points = fmt.Sprintf("%.1f,%s %s", pad, strings.SplitN(p, ",", 2)[1], p)
	} else {
		c.Points = points.String()
	}
	c.Series = series.String()
	return c
}
