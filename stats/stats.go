// Package stats summarises measurements: exact statistics over values
// (numpy's percentiles), and HdrHistograms of one geometry that reports
// keep, merge and read back.
package stats

import (
	"math"
	"slices"
)

// Stats summarises one measurement over a window's requests.
type Stats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"` // population standard deviation, as numpy's default
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
}

// Legacy is the old tool's statistics object.
type Legacy struct {
	Min          float64 `json:"min"`
	Max          float64 `json:"max"`
	Avg          float64 `json:"avg"`
	Std          float64 `json:"std"`
	Percentile95 float64 `json:"95_percentile"`
}

// Legacy returns the old tool's subset of s; nil without values.
func (s Stats) Legacy() *Legacy {
	if s.Count == 0 {
		return nil
	}
	return &Legacy{Min: s.Min, Max: s.Max, Avg: s.Mean, Std: s.Std, Percentile95: s.P95}
}

// Summarize computes Stats over values; it sorts values in place.
func Summarize(values []float64) Stats {
	n := len(values)
	if n == 0 {
		return Stats{}
	}
	slices.Sort(values)
	var sum float64
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(n)
	var sq float64
	for _, v := range values {
		sq += (v - mean) * (v - mean)
	}
	return Stats{
		Count: n,
		Mean:  mean,
		Std:   math.Sqrt(sq / float64(n)),
		Min:   values[0],
		Max:   values[n-1],
		P50:   Percentile(values, 50),
		P90:   Percentile(values, 90),
		P95:   Percentile(values, 95),
		P99:   Percentile(values, 99),
		P999:  Percentile(values, 99.9),
	}
}

// Percentile interpolates linearly between closest ranks of sorted values,
// numpy's default method, which the old tool's 95_percentile used.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := p / 100 * float64(n-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	if hi >= n {
		return sorted[n-1]
	}
	frac := rank - float64(lo)
	return sorted[lo] + frac*(sorted[hi]-sorted[lo])
}

// TrimmedMean drops share of the values at each end of sorted values.
func TrimmedMean(sorted []float64, share float64) float64 {
	k := int(float64(len(sorted)) * share)
	kept := sorted[k : len(sorted)-k]
	if len(kept) == 0 {
		return 0
	}
	var sum float64
	for _, v := range kept {
		sum += v
	}
	return sum / float64(len(kept))
}
