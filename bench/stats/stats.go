// Package stats computes the summaries the benchmark reports: medians of
// repetitions and percentiles of latency samples.
package stats

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 <= p <= 100) of xs by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are less than or equal to it. xs need not be sorted and is not
// modified. It returns NaN for no samples.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return percentileSorted(sorted, p)
}

func percentileSorted(sorted []float64, p float64) float64 {
	// The epsilon keeps float error (99.9/100*1000 = 999.0000000000001)
	// from moving the rank up by one.
	rank := int(math.Ceil(p/100*float64(len(sorted)) - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Percentiles returns the given percentiles of xs, sorting a copy once.
func Percentiles(xs []float64, ps ...float64) []float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	out := make([]float64, len(ps))
	for i, p := range ps {
		if len(sorted) == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = percentileSorted(sorted, p)
	}
	return out
}

// Median returns the median of xs: the middle sample, or the mean of the
// two middle samples for an even count. NaN for no samples.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Millis converts durations to float milliseconds, the unit latencies are
// reported in.
func Millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}
