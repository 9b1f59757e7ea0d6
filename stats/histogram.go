package stats

import (
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every distribution: Lowest to Highest units
// (1 µs to 1 h for times) at three significant digits. One geometry for
// all makes the histograms of several reports addable.
const (
	Lowest  = 1
	Highest = 3600 * 1e6
	sigFigs = 3
)

// NewHistogram returns an empty histogram of the shared geometry.
func NewHistogram() *hdr.Histogram { return hdr.New(Lowest, Highest, sigFigs) }

// FromHistogram summarises a histogram in reported units, scale being
// histogram units per reported unit. Its percentiles interpolate linearly
// between ranks, as Percentile does for exact values, so a merged report
// and a single one agree.
func FromHistogram(h *hdr.Histogram, scale float64) Stats {
	if h.TotalCount() == 0 {
		return Stats{}
	}
	unit := 1 / scale
	bars := Bars(h)
	q := func(p float64) float64 { return histPercentile(bars, h.TotalCount(), p) * unit }
	return Stats{
		Count: int(h.TotalCount()),
		Mean:  h.Mean() * unit,
		Std:   h.StdDev() * unit,
		Min:   float64(h.Min()) * unit,
		Max:   float64(h.Max()) * unit,
		P50:   q(50), P90: q(90), P95: q(95), P99: q(99), P999: q(99.9),
	}
}

// Bars are a histogram's occupied buckets in value order.
func Bars(h *hdr.Histogram) []hdr.Bar {
	var bars []hdr.Bar
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			bars = append(bars, b)
		}
	}
	return bars
}

// histPercentile is numpy's linear method over a histogram's values: the
// values at the two ranks around p/100·(n−1), interpolated. A value is its
// bucket's midpoint, within half a bucket (0.05% at three significant
// digits) of the value recorded. HdrHistogram's own ValueAtQuantile picks
// the nearest rank's bucket top instead, which disagrees with the linear
// method by up to a whole gap between neighbours: 13% at p99 of 60 values.
func histPercentile(bars []hdr.Bar, total int64, p float64) float64 {
	rank := p / 100 * float64(total-1)
	lo := int64(math.Floor(rank))
	at := func(k int64) float64 { // the k-th smallest value, from 0
		var seen int64
		for _, b := range bars {
			seen += b.Count
			if k < seen {
				return float64(b.From+b.To) / 2
			}
		}
		last := bars[len(bars)-1]
		return float64(last.From+last.To) / 2
	}
	v := at(lo)
	if frac := rank - float64(lo); frac > 0 {
		v += frac * (at(lo+1) - v)
	}
	return v
}

// Encode writes h in HdrHistogram's standard V2 compressed, base64 form.
func Encode(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		// Encoding a histogram we built ourselves cannot fail short of a
		// bug; a report without this one distribution is still worth writing.
		return ""
	}
	return string(b)
}

// Decode reads one of a report's histograms. It refuses any
// geometry other than ours, so every merged figure has one precision.
func Decode(encoded string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(encoded))
	if err != nil {
		return nil, err
	}
	if h.LowestTrackableValue() != Lowest || h.HighestTrackableValue() != Highest || h.SignificantFigures() != sigFigs {
		return nil, fmt.Errorf("histogram geometry %d..%d at %d digits is not Inferno's", h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
	}
	return h, nil
}
