package report

import (
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// A report keeps, beside each statistic's summary, the statistic's whole
// distribution as an HdrHistogram in its standard V2 compressed, base64
// form (the one HdrHistogram's Java, Python and Go libraries read). That
// makes reports mergeable: replicas that shared a window (see Merge) add
// their histograms, and the merged percentiles are as precise as one
// replica's HdrHistogram (3 significant digits) while counts, means,
// minima and maxima stay exact.

// Histogram geometry shared by every distribution: 1 to 3.6e9 units (1 µs
// to 1 h for times) at three significant digits.
const (
	histLowest   = 1
	histHighest  = 3600 * 1e6
	histSigFigs  = 3
	microsPerSec = 1e6
)

// distribution is one statistic of WindowStats with the unit its
// histogram counts in.
type distribution struct {
	name  string  // the statistic's key in WindowStats' JSON and in Report.Distributions
	scale float64 // histogram units per reported unit: µs per second, or 1 for token counts
	// values are the aggregator's exact per-request values; nil for ITL,
	// which the aggregator only ever keeps as a histogram.
	values func(*Aggregator) *[]float64
	stats  func(*WindowStats) *Stats
}

var distributions = []distribution{
	{"ttft_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttft }, func(s *WindowStats) *Stats { return &s.TTFT }},
	{"ttft_from_schedule_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttftSched }, func(s *WindowStats) *Stats { return &s.TTFTFromSchedule }},
	{"first_event_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.firstEvent }, func(s *WindowStats) *Stats { return &s.FirstEvent }},
	{"tpot_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.tpot }, func(s *WindowStats) *Stats { return &s.TPOT }},
	{"e2e_per_token_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.e2ePerToken }, func(s *WindowStats) *Stats { return &s.E2EPerToken }},
	{"itl_seconds", microsPerSec, nil, func(s *WindowStats) *Stats { return &s.ITL }},
	{"e2e_latency_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.latency }, func(s *WindowStats) *Stats { return &s.Latency }},
	{"schedule_lag_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.lag }, func(s *WindowStats) *Stats { return &s.ScheduleLag }},
	{"input_tokens", 1, func(a *Aggregator) *[]float64 { return &a.inTokens }, func(s *WindowStats) *Stats { return &s.InputTokens }},
	{"output_tokens", 1, func(a *Aggregator) *[]float64 { return &a.outTokens }, func(s *WindowStats) *Stats { return &s.OutputTokens }},
	{"dns_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.dns }, func(s *WindowStats) *Stats { return &s.DNS }},
	{"connect_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.connect }, func(s *WindowStats) *Stats { return &s.Connect }},
	{"tls_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.tls }, func(s *WindowStats) *Stats { return &s.TLS }},
	{"request_written_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.written }, func(s *WindowStats) *Stats { return &s.RequestWritten }},
	{"time_to_first_answer_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttfa }, func(s *WindowStats) *Stats { return &s.TimeToFirstAnswer }},
	{"answer_tpot_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.answerTPOT }, func(s *WindowStats) *Stats { return &s.AnswerTPOT }},
	{"answer_itl_seconds", microsPerSec, nil, func(s *WindowStats) *Stats { return &s.AnswerITL }},
}

func newHistogram() *hdr.Histogram { return hdr.New(histLowest, histHighest, histSigFigs) }

// record adds v (in reported units) to h, clamped to the histogram's range.
func (d distribution) record(h *hdr.Histogram, v float64) {
	units := math.Round(v * d.scale)
	h.RecordValue(int64(min(max(units, 0), histHighest)))
}

// newDistribution builds d's histogram from exact values.
func newDistribution(d distribution, values []float64) *hdr.Histogram {
	h := newHistogram()
	for _, v := range values {
		d.record(h, v)
	}
	return h
}

// summarize is d's statistic for a window: exact from the per-request
// values where the aggregator has them, else from the histogram.
func (d distribution) summarize(a *Aggregator, h *hdr.Histogram) Stats {
	if d.values != nil {
		return Summarize(*d.values(a)) // sorts the values; the histogram is already built
	}
	return d.fromHistogram(h)
}

// fromHistogram summarises a histogram in reported units. Its
// percentiles interpolate linearly between ranks, as Percentile does for
// exact values, so a merged report and a single one agree.
func (d distribution) fromHistogram(h *hdr.Histogram) Stats {
	if h.TotalCount() == 0 {
		return Stats{}
	}
	unit := 1 / d.scale
	bars := nonEmptyBars(h)
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

// nonEmptyBars are a histogram's occupied buckets in value order.
func nonEmptyBars(h *hdr.Histogram) []hdr.Bar {
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

func encodeDistribution(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		// Encoding a histogram we built ourselves cannot fail short of a
		// bug; a report without this one distribution is still worth writing.
		return ""
	}
	return string(b)
}

// decodeDistribution reads one of a report's histograms. It refuses any
// geometry other than ours, so every merged figure has one precision.
func decodeDistribution(encoded string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(encoded))
	if err != nil {
		return nil, err
	}
	if h.LowestTrackableValue() != histLowest || h.HighestTrackableValue() != histHighest || h.SignificantFigures() != histSigFigs {
		return nil, fmt.Errorf("histogram geometry %d..%d at %d digits is not Inferno's", h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
	}
	return h, nil
}

// CDF returns a statistic's cumulative distribution from the report's
// histogram: points (value in reported units, share of values at or
// below it), at most maxPoints of them, evenly thinned. It is empty when
// the report has no values of that statistic.
func (r *Report) CDF(name string, maxPoints int) ([][2]float64, error) {
	var d *distribution
	for i := range distributions {
		if distributions[i].name == name {
			d = &distributions[i]
		}
	}
	if d == nil {
		return nil, fmt.Errorf("no statistic %q", name)
	}
	encoded, ok := r.Distributions[name]
	if !ok {
		return nil, nil
	}
	h, err := decodeDistribution(encoded)
	if err != nil {
		return nil, fmt.Errorf("distribution %s: %w", name, err)
	}
	total := float64(h.TotalCount())
	var points [][2]float64
	var seen int64
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		seen += bar.Count
		points = append(points, [2]float64{float64(bar.To) / d.scale, float64(seen) / total})
	}
	if maxPoints > 1 && len(points) > maxPoints {
		thin := make([][2]float64, 0, maxPoints)
		for i := range maxPoints {
			thin = append(thin, points[i*(len(points)-1)/(maxPoints-1)])
		}
		points = thin
	}
	return points, nil
}
