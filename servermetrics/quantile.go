package servermetrics

import (
	"math"
	"sort"
)

// Quantile methods, as a report names them.
const (
	// MethodHistogramQuantile interpolates linearly inside the bucket
	// that holds the rank, as Prometheus' histogram_quantile does.
	MethodHistogramQuantile = "histogram_quantile"
	// MethodOneBucketMean applies when every observation of the window
	// lies in one bucket: the uniform spread is narrowed to the one
	// inside that bucket whose mean is the exact mean (sum / count).
	MethodOneBucketMean = "one_bucket_mean"
)

// histogramQuantile is Prometheus' histogram_quantile over cumulative
// counts (bounds ascending, the last +Inf): linear interpolation inside
// the bucket holding the rank, the lowest bucket starting at 0 unless its
// bound is not positive, and a rank in the +Inf bucket answered with the
// highest finite bound. NaN without observations.
func histogramQuantile(q float64, bounds, cum []float64) float64 {
	n := len(bounds)
	if n < 2 || !math.IsInf(bounds[n-1], 1) || cum[n-1] <= 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(1)
	}
	// Prometheus makes the counts monotonic before it searches.
	mono := make([]float64, n)
	for i, c := range cum {
		mono[i] = c
		if i > 0 && mono[i] < mono[i-1] {
			mono[i] = mono[i-1]
		}
	}
	rank := q * mono[n-1]
	b := sort.Search(n-1, func(i int) bool { return mono[i] >= rank })
	if b == n-1 {
		return bounds[n-2]
	}
	if b == 0 && bounds[0] <= 0 {
		return bounds[0]
	}
	start, end, count := 0.0, bounds[b], mono[b]
	if b > 0 {
		start = bounds[b-1]
		count -= mono[b-1]
		rank -= mono[b-1]
	}
	if count == 0 {
		return end
	}
	return start + (end-start)*(rank/count)
}

// quantile is histogramQuantile, except where the window's observations
// all lie in one finite bucket. There histogram_quantile's uniform spread
// over the whole bucket puts a steady 100 ms server at 175 ms (the middle
// of vLLM's (0.1, 0.25] bucket), while the histogram's sum says exactly
// where the observations sit on average: the spread is then the
// narrowest uniform one inside the bucket with that mean.
func quantile(q float64, h *histogram) (float64, string) {
	v := histogramQuantile(q, h.bounds, h.cum)
	if math.IsNaN(v) || h.count <= 0 {
		return v, MethodHistogramQuantile
	}
	b, only := oneBucket(h)
	if !only {
		return v, MethodHistogramQuantile
	}
	lo, hi := 0.0, h.bounds[b]
	if b > 0 {
		lo = h.bounds[b-1]
	}
	mean := h.sum / h.count
	if !(mean > lo && mean <= hi) {
		return v, MethodHistogramQuantile // a sum that contradicts the buckets
	}
	if mean-lo <= (hi-lo)/2 {
		return lo + 2*(mean-lo)*q, MethodOneBucketMean
	}
	from := 2*mean - hi
	return from + (hi-from)*q, MethodOneBucketMean
}

// oneBucket reports the finite bucket holding every observation, if one does.
func oneBucket(h *histogram) (int, bool) {
	n := len(h.cum)
	total := h.cum[n-1]
	for b := range n - 1 {
		below := 0.0
		if b > 0 {
			below = h.cum[b-1]
		}
		if h.cum[b] > below {
			return b, h.cum[b]-below == total
		}
	}
	return 0, false
}
