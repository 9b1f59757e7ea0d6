package report

import (
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferno-llm/inferno/stats"
)

// A report keeps, beside each statistic's summary, the statistic's whole
// distribution as an HdrHistogram in its standard V2 compressed, base64
// form (the one HdrHistogram's Java, Python and Go libraries read). That
// makes reports mergeable: replicas that shared a window (see Merge) add
// their histograms, and the merged percentiles are as precise as one
// replica's HdrHistogram (3 significant digits) while counts, means,
// minima and maxima stay exact.

// microsPerSec is the histograms' unit for times: µs, within the shared
// geometry's 1 µs to 1 h.
const microsPerSec = 1e6

// distribution is one statistic of WindowStats with the unit its
// histogram counts in.
type distribution struct {
	name  string  // the statistic's key in WindowStats' JSON and in Report.Distributions
	scale float64 // histogram units per reported unit: µs per second, or 1 for token counts
	// values are the aggregator's exact per-request values; nil for ITL,
	// which the aggregator only ever keeps as a histogram.
	values func(*Aggregator) *[]float64
	stats  func(*WindowStats) *stats.Stats
}

var distributions = []distribution{
	{"ttft_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttft }, func(s *WindowStats) *stats.Stats { return &s.TTFT }},
	{"ttft_from_schedule_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttftSched }, func(s *WindowStats) *stats.Stats { return &s.TTFTFromSchedule }},
	{"first_event_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.firstEvent }, func(s *WindowStats) *stats.Stats { return &s.FirstEvent }},
	{"tpot_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.tpot }, func(s *WindowStats) *stats.Stats { return &s.TPOT }},
	{"e2e_per_token_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.e2ePerToken }, func(s *WindowStats) *stats.Stats { return &s.E2EPerToken }},
	{"itl_seconds", microsPerSec, nil, func(s *WindowStats) *stats.Stats { return &s.ITL }},
	{"e2e_latency_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.latency }, func(s *WindowStats) *stats.Stats { return &s.Latency }},
	{"schedule_lag_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.lag }, func(s *WindowStats) *stats.Stats { return &s.ScheduleLag }},
	{"input_tokens", 1, func(a *Aggregator) *[]float64 { return &a.inTokens }, func(s *WindowStats) *stats.Stats { return &s.InputTokens }},
	{"output_tokens", 1, func(a *Aggregator) *[]float64 { return &a.outTokens }, func(s *WindowStats) *stats.Stats { return &s.OutputTokens }},
	{"dns_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.dns }, func(s *WindowStats) *stats.Stats { return &s.DNS }},
	{"connect_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.connect }, func(s *WindowStats) *stats.Stats { return &s.Connect }},
	{"tls_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.tls }, func(s *WindowStats) *stats.Stats { return &s.TLS }},
	{"request_written_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.written }, func(s *WindowStats) *stats.Stats { return &s.RequestWritten }},
	{"time_to_first_answer_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.ttfa }, func(s *WindowStats) *stats.Stats { return &s.TimeToFirstAnswer }},
	{"answer_tpot_seconds", microsPerSec, func(a *Aggregator) *[]float64 { return &a.answerTPOT }, func(s *WindowStats) *stats.Stats { return &s.AnswerTPOT }},
	{"answer_itl_seconds", microsPerSec, nil, func(s *WindowStats) *stats.Stats { return &s.AnswerITL }},
}

// record adds v (in reported units) to h, clamped to the histogram's range.
func (d distribution) record(h *hdr.Histogram, v float64) {
	units := math.Round(v * d.scale)
	h.RecordValue(int64(min(max(units, 0), stats.Highest)))
}

// newDistribution builds d's histogram from exact values.
func newDistribution(d distribution, values []float64) *hdr.Histogram {
	h := stats.NewHistogram()
	for _, v := range values {
		d.record(h, v)
	}
	return h
}

// summarize is d's statistic for a window: exact from the per-request
// values where the aggregator has them, else from the histogram.
func (d distribution) summarize(a *Aggregator, h *hdr.Histogram) stats.Stats {
	if d.values != nil {
		return stats.Summarize(*d.values(a)) // sorts the values; the histogram is already built
	}
	return d.fromHistogram(h)
}

// fromHistogram summarises a histogram in d's reported units.
func (d distribution) fromHistogram(h *hdr.Histogram) stats.Stats {
	return stats.FromHistogram(h, d.scale)
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
	h, err := stats.Decode(encoded)
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
