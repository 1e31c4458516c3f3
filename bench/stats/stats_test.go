package stats

import (
	"math"
	"testing"
	"time"
)

// TestPercentile checks the nearest-rank percentiles against values worked
// out by hand, on unsorted input.
func TestPercentile(t *testing.T) {
	xs := []float64{9, 1, 8, 2, 7, 3, 6, 4, 5, 10} // 1..10 shuffled
	for _, tc := range []struct{ p, want float64 }{
		{0, 1}, {10, 1}, {11, 2}, {50, 5}, {90, 9}, {99, 10}, {99.9, 10}, {100, 10},
	} {
		if got := Percentile(xs, tc.p); got != tc.want {
			t.Errorf("Percentile(1..10, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if xs[0] != 9 {
		t.Errorf("Percentile sorted its input in place")
	}
	thousand := make([]float64, 1000)
	for i := range thousand {
		thousand[i] = float64(1000 - i) // 1000..1
	}
	got := Percentiles(thousand, 50, 99, 99.9)
	if want := []float64{500, 990, 999}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("Percentiles(1..1000, 50, 99, 99.9) = %v, want %v", got, want)
	}
	if !math.IsNaN(Percentile(nil, 50)) || !math.IsNaN(Percentiles(nil, 50)[0]) {
		t.Errorf("percentile of no samples is not NaN")
	}
}

// TestMedian covers odd and even counts and the empty case.
func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Errorf("Median(nil) is not NaN")
	}
}

func TestMillis(t *testing.T) {
	got := Millis([]time.Duration{1500 * time.Microsecond, 2 * time.Second})
	if got[0] != 1.5 || got[1] != 2000 {
		t.Errorf("Millis = %v, want [1.5 2000]", got)
	}
}
