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
	// MethodMeanMatched applies when the bucket holding the rank holds
	// nearly every observation of the window: the uniform spread inside
	// it is narrowed to the one whose mean agrees with the histogram's
	// sum (see quantile).
	MethodMeanMatched = "mean_matched"
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

// dominant is the share of a window's observations one bucket must hold
// for quantile to use the histogram's sum inside it.
const dominant = 0.9

// quantile is histogramQuantile, except where the bucket holding the rank
// holds nearly all of the window's observations (a steady server). There
// histogram_quantile's uniform spread over the whole bucket puts a steady
// 100 ms server at 175 ms (the middle of vLLM's (0.1, 0.25] bucket),
// while the histogram's sum says where the observations sit on average.
// The bucket's mean is the sum less the other buckets' observations taken
// at their midpoints (where histogram_quantile's spread puts them on
// average), clamped into the bucket, and its observations are spread
// uniformly over the narrowest range inside it with that mean. With one
// bucket holding every observation the mean is exact.
func quantile(q float64, h *histogram) (float64, string) {
	v := histogramQuantile(q, h.bounds, h.cum)
	n := len(h.cum)
	if math.IsNaN(v) || h.count <= 0 || n < 2 || h.cum[n-1] > h.cum[n-2] {
		return v, MethodHistogramQuantile // none, or some beyond the last finite bound
	}
	total := h.cum[n-1]
	rank := q * total
	b := sort.Search(n-1, func(i int) bool { return h.cum[i] >= rank })
	if b >= n-1 || (b == 0 && h.bounds[0] <= 0) {
		return v, MethodHistogramQuantile
	}
	lower := func(i int) float64 {
		if i == 0 {
			return 0
		}
		return h.bounds[i-1]
	}
	below := 0.0
	if b > 0 {
		below = h.cum[b-1]
	}
	inside := h.cum[b] - below
	if inside < dominant*total || inside <= 0 {
		return v, MethodHistogramQuantile
	}
	others := 0.0
	for i := range n - 1 {
		if i == b {
			continue
		}
		c := h.cum[i]
		if i > 0 {
			c -= h.cum[i-1]
		}
		others += c * (lower(i) + h.bounds[i]) / 2
	}
	lo, hi := lower(b), h.bounds[b]
	mean := min(max((h.sum-others)/inside, lo), hi)
	from, to := lo, 2*mean-lo
	if mean-lo > (hi-lo)/2 {
		from, to = 2*mean-hi, hi
	}
	return from + (to-from)*((rank-below)/inside), MethodMeanMatched
}
