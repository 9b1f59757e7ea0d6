package stats

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	// Hand-computed: mean 2.5; population variance (2.25+0.25+0.25+2.25)/4 = 1.25;
	// numpy-style percentiles: rank p/100·3, e.g. p90 → 2.7 → 3 + 0.7·1 = 3.7.
	got := Summarize([]float64{4, 1, 3, 2})
	want := Stats{Count: 4, Mean: 2.5, Std: math.Sqrt(1.25), Min: 1, Max: 4, P50: 2.5, P90: 3.7, P95: 3.85, P99: 3.97, P999: 3.997}
	if !closeStats(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if one := Summarize([]float64{7}); one.P99 != 7 || one.Std != 0 || one.Count != 1 {
		t.Errorf("one value: %+v", one)
	}
	if empty := Summarize(nil); empty != (Stats{}) {
		t.Errorf("no values: %+v", empty)
	}
	if tm := TrimmedMean([]float64{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100}, 0.05); tm != 1 {
		t.Errorf("trimmed mean %v, want 1 (one value cut at each end)", tm)
	}
}

func closeStats(a, b Stats) bool {
	fa := []float64{a.Mean, a.Std, a.Min, a.Max, a.P50, a.P90, a.P95, a.P99, a.P999}
	fb := []float64{b.Mean, b.Std, b.Min, b.Max, b.P50, b.P90, b.P95, b.P99, b.P999}
	for i := range fa {
		if math.Abs(fa[i]-fb[i]) > 1e-9 {
			return false
		}
	}
	return a.Count == b.Count
}
