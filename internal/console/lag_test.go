package console

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLagHistory proves the history keeps every change of a group's lag in
// order, one sample a second at most of an unchanged lag, and forgets
// samples (and groups) older than its window.
func TestLagHistory(t *testing.T) {
	h := newLagHistory(time.Minute)
	t0 := time.UnixMilli(1_700_000_000_000)
	h.add(t0, map[string]int64{"a": 5, "b": 3})
	h.add(t0.Add(300*time.Millisecond), map[string]int64{"a": 5}) // moves a's sample
	h.add(t0.Add(600*time.Millisecond), map[string]int64{"a": 6}) // a change: kept
	h.add(t0.Add(10*time.Second), map[string]int64{"a": 7})
	got := h.series("a")
	if len(got) != 3 || got[0].Lag != 5 || !got[0].At.Equal(t0.Add(300*time.Millisecond)) || got[1].Lag != 6 || got[2].Lag != 7 {
		t.Fatalf("a: %v", got)
	}
	if got := h.series("b"); len(got) != 1 || got[0].Lag != 3 {
		t.Fatalf("b: %v", got)
	}
	h.add(t0.Add(65*time.Second), map[string]int64{"a": 1})
	if got := h.series("a"); len(got) != 2 || got[0].Lag != 7 || got[1].Lag != 1 {
		t.Fatalf("a after the window moved: %v", got)
	}
	if got := h.series("b"); len(got) != 0 {
		t.Fatalf("b is older than the window but kept: %v", got)
	}
}

// TestLagChart proves the chart spans the samples left to right and puts
// lag 0 at the bottom and the largest lag at the top.
func TestLagChart(t *testing.T) {
	if chart(nil, 100, 50) != nil {
		t.Fatal("a chart of no samples")
	}
	t0 := time.UnixMilli(1_700_000_000_000)
	c := chart([]lagSample{{t0, 0}, {t0.Add(30 * time.Second), 10}, {t0.Add(60 * time.Second), 5}}, 104, 54)
	if want := "2.0,52.0 52.0,2.0 102.0,27.0"; c.Points != want {
		t.Errorf("points %q, want %q", c.Points, want)
	}
	if want := "1700000000000:0 1700000030000:10 1700000060000:5"; c.Series != want {
		t.Errorf("series %q, want %q", c.Series, want)
	}
	if c.Max != 10 || c.Last != 5 || c.Samples != 3 || c.Span != "1m0s" {
		t.Errorf("chart %+v", c)
	}
	one := chart([]lagSample{{t0, 4}}, 104, 54)
	if one.Points != "2.0,2.0 102.0,2.0" || !strings.HasSuffix(one.Series, ":4") {
		t.Errorf("one sample: points %q series %q", one.Points, one.Series)
	}
}

// TestLagHistoryBound proves the history follows at most lagMaxGroups
// groups, and keeps following those it has.
func TestLagHistoryBound(t *testing.T) {
	h := newLagHistory(time.Minute)
	t0 := time.UnixMilli(1_700_000_000_000)
	lags := map[string]int64{}
	for i := range lagMaxGroups + 10 {
		lags[fmt.Sprint("g", i)] = int64(i)
	}
	h.add(t0, lags)
	if len(h.groups) != lagMaxGroups {
		t.Fatalf("follows %d groups, want %d", len(h.groups), lagMaxGroups)
	}
	h.add(t0.Add(2*time.Second), lags)
	for g, s := range h.groups {
		if len(s) != 2 {
			t.Fatalf("group %s has %d samples, want 2", g, len(s))
		}
	}
}

// TestLagHistorySamplesBound proves a group keeps lagMaxSamples samples at
// most, the newest.
func TestLagHistorySamplesBound(t *testing.T) {
	h := newLagHistory(time.Hour)
	t0 := time.UnixMilli(1_700_000_000_000)
	for i := range lagMaxSamples + 5 {
		h.add(t0.Add(time.Duration(i)*time.Millisecond), map[string]int64{"a": int64(i)})
	}
	got := h.series("a")
	if len(got) != lagMaxSamples || got[0].Lag != 5 || got[len(got)-1].Lag != int64(lagMaxSamples+4) {
		t.Fatalf("%d samples from lag %d to %d", len(got), got[0].Lag, got[len(got)-1].Lag)
	}
}
