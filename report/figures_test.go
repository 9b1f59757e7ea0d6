package report

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/stats"
)

// Percentiles are linear between ranks everywhere: a report merged from
// shards agrees with the single report of the same requests within 0.1%,
// at a sample size where nearest rank and linear differ most (a test
// with 60 requests: p99's neighbours are far apart).
func TestMergedPercentilesMatchSingle(t *testing.T) {
	for _, n := range []int{60, 7, 601} {
		results := syntheticWindow(n)
		whole := NewAggregator(base, SLO{}, nil)
		parts := []*Aggregator{NewAggregator(base, SLO{}, nil), NewAggregator(base, SLO{}, nil), NewAggregator(base, SLO{}, nil)}
		for _, r := range results {
			whole.Add(r)
			parts[r.Index%3].Add(r)
		}
		want := whole.Report(Meta{ID: "whole", Target: Target{Name: "t"}, Workload: "w"})
		var reports []*Report
		for i, a := range parts {
			r := a.Report(Meta{ID: string(rune('a' + i)), Target: Target{Name: "t"}, Workload: "w", Shard: &Shard{Index: i, Count: 3}})
			b, _ := json.Marshal(r)
			var back Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			reports = append(reports, &back)
		}
		got, err := Merge("m", reports)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range distributions {
			g, w := *d.stats(&got.Stats), *d.stats(&want.Stats)
			for _, p := range []struct {
				name      string
				got, want float64
			}{{"p50", g.P50, w.P50}, {"p90", g.P90, w.P90}, {"p95", g.P95, w.P95}, {"p99", g.P99, w.P99}, {"p99.9", g.P999, w.P999}} {
				// 0.1%, plus half a histogram unit for values rounded to it.
				if math.Abs(p.got-p.want) > 0.001*math.Abs(p.want)+0.5/d.scale {
					t.Errorf("n=%d %s %s: merged %v, single %v", n, d.name, p.name, p.got, p.want)
				}
			}
		}
	}
}

// ITL, kept only as a histogram, gets numpy's linear percentiles too.
func TestHistogramPercentilesAreLinear(t *testing.T) {
	// 60 gaps, 1..60 ms: numpy's p99 is rank 58.41 → 59.41 ms, where
	// nearest rank says 60 ms.
	r := &result.Result{Sent: base, FirstContent: at(10), LastContent: at(1000), End: at(1000), Outcome: result.Success, OutputTokens: 61}
	var exact []float64
	for i := 1; i <= 60; i++ {
		r.ITL = append(r.ITL, time.Duration(i)*time.Millisecond)
		exact = append(exact, float64(i)/1000)
	}
	a := NewAggregator(base, SLO{}, nil)
	a.Add(r)
	got := a.Report(Meta{}).Stats.ITL
	want := stats.Summarize(exact)
	for _, p := range []struct {
		name      string
		got, want float64
	}{{"p50", got.P50, want.P50}, {"p90", got.P90, want.P90}, {"p99", got.P99, want.P99}, {"p99.9", got.P999, want.P999}} {
		if math.Abs(p.got-p.want) > 0.001*p.want {
			t.Errorf("ITL %s = %v, want numpy's %v", p.name, p.got, p.want)
		}
	}
}

// tokensAt is a successful request whose tokens arrive at the given
// milliseconds from base, one token each.
func tokensAt(i int, sent int, ms ...int) *result.Result {
	r := &result.Result{Index: i, Intended: at(sent), Sent: at(sent), FirstEvent: at(ms[0]), FirstContent: at(ms[0]),
		LastContent: at(ms[len(ms)-1]), End: at(ms[len(ms)-1]), Outcome: result.Success, OutputTokens: len(ms), ContentEvents: len(ms)}
	for _, m := range ms {
		add := func(line []result.SecondTokens, slot int32) []result.SecondTokens {
			if k := len(line); k > 0 && line[k-1].Second == slot {
				line[k-1].Tokens++
				return line
			}
			return append(line, result.SecondTokens{Second: slot, Tokens: 1})
		}
		r.TokensBySecond = add(r.TokensBySecond, int32(m/1000))
		r.TokensByHalfSecond = add(r.TokensByHalfSecond, int32(m/500))
	}
	return r
}

func every(from, to, step int) []int {
	var out []int
	for m := from; m < to; m += step {
		out = append(out, m)
	}
	return out
}

// The per-second series uses whole seconds only; the top-level Throughput
// smooths tokens over 5 s windows every 0.5 s, divided by 5.
func TestThroughputSeries(t *testing.T) {
	// Sent at 0.5 s, ends at 7.5 s: whole seconds are 1..6. 10 tokens a
	// second throughout, and a burst of 30 more in the first half of
	// second 3; the partial seconds 0 and 7 hold 5 tokens each.
	ms := every(550, 7500, 100) // 10 per second, 69 tokens
	burst := make([]int, 30)
	for i := range burst {
		burst[i] = 3100
	}
	a := NewAggregator(base, SLO{}, nil)
	a.Add(tokensAt(0, 500, ms...))
	a.Add(tokensAt(1, 500, burst...))
	r := a.Report(Meta{})
	ps := r.Summary.PerSecond
	// Whole seconds 1..6: 10, 10, 40, 10, 10, 10.
	if ps.Count != 6 || ps.Max != 40 || ps.Min != 10 || math.Abs(ps.Mean-15) > 1e-9 {
		t.Errorf("per-second series %+v, want 6 whole seconds, min 10, max 40, mean 15", ps)
	}
	// 5 s windows from 0.5 s to 7.5 s: starts 0.5, 1.0, 1.5, 2.0, 2.5
	// (the last ends at 7.5). Each holds 50 steady tokens; those covering
	// 3.0–3.5 (all five) add the burst: (50+30)/5 = 16 tokens/s.
	th := r.Throughput
	if th.Max != 16 || th.Avg != 16 || th.Percentile95 != 16 {
		t.Errorf("Throughput %+v, want 16 tokens/s in every window", th)
	}

	// The first send comes a fraction of a millisecond after the window
	// starts, and the last end a little before a second ends: those
	// seconds are whole, not dropped (a 2 s window has a 2-second series).
	prompt := NewAggregator(base, SLO{}, nil)
	first := tokensAt(0, 0, every(100, 1000, 100)...)
	first.Intended, first.Sent = base.Add(300*time.Microsecond), base.Add(300*time.Microsecond)
	prompt.Add(first)
	last := tokensAt(1, 0, every(1000, 2000, 100)...)
	last.Sent, last.End = base.Add(400*time.Microsecond), base.Add(1995*time.Millisecond)
	prompt.Add(last)
	if ps := prompt.Report(Meta{}).Summary.PerSecond; ps.Count != 2 || ps.Min != 9 || ps.Max != 10 {
		t.Errorf("per-second series of a window from 0.3 ms to 1.995 s: %+v, want its 2 seconds (9 and 10 tokens)", ps)
	}

	// Shorter than one 5 s window: the overall rate.
	short := NewAggregator(base, SLO{}, nil)
	short.Add(tokensAt(0, 0, every(100, 2000, 100)...))
	sr := short.Report(Meta{})
	if sr.Throughput.Max != sr.Summary.OutputThroughput || sr.Summary.OutputThroughput == 0 {
		t.Errorf("short window: Throughput %+v, output throughput %v", sr.Throughput, sr.Summary.OutputThroughput)
	}
}

// A window without a success has no rates and no latency figures.
func TestDeadWindowRates(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	for i := range 50 {
		a.Add(&result.Result{Index: i, Intended: at(i), Sent: at(i), End: at(i), Outcome: result.ConnectionError, Reason: "connection refused"})
	}
	a.Add(&result.Result{Index: 50, Intended: at(20), Sent: at(20), End: at(21), Outcome: result.ConnectionError, Reason: "connection refused"})
	r := a.Report(Meta{})
	s := r.Summary
	if s.RPS != 0 || s.GoodputRPS != 0 || s.OutputThroughput != 0 || s.TotalThroughput != 0 || r.RPS != 0 {
		t.Errorf("rates of a dead window: rps %v goodput %v output %v total %v top-level RPS %v; want all 0",
			s.RPS, s.GoodputRPS, s.OutputThroughput, s.TotalThroughput, r.RPS)
	}
	if r.Stats.TTFT.Count != 0 || r.TTFT != nil || r.TPOT != nil || r.Latency != nil {
		t.Errorf("TTFT of a dead window: %+v; old keys %v %v %v, want null", r.Stats.TTFT, r.TTFT, r.TPOT, r.Latency)
	}
}

// Input tokens come from usage where given; the requested length is kept
// beside them; protocol warnings are counted.
func TestInputTokensAndWarnings(t *testing.T) {
	ok := func(i, in, requested int, from result.TokenSource, warning string) *result.Result {
		return &result.Result{Index: i, Sent: at(0), FirstContent: at(10), LastContent: at(20), End: at(20), Outcome: result.Success,
			OutputTokens: 2, InputTokens: in, RequestedInputTokens: requested, InputTokensFrom: from, ProtocolWarning: warning}
	}
	a := NewAggregator(base, SLO{}, nil)
	a.Add(ok(0, 120, 100, result.TokensFromUsage, ""))
	a.Add(ok(1, 130, 100, result.TokensFromUsage, "no [DONE]"))
	a.Add(ok(2, 100, 100, result.TokensFromRequest, ""))
	s := a.Report(Meta{}).Summary
	if s.InputTokens != 350 || s.RequestedInputTokens != 300 {
		t.Errorf("input tokens %d, requested %d; want 350 and 300", s.InputTokens, s.RequestedInputTokens)
	}
	if s.InputTokensFrom["usage"] != 2 || s.InputTokensFrom["request"] != 1 {
		t.Errorf("input_tokens_from %v", s.InputTokensFrom)
	}
	if s.ProtocolWarnings != 1 {
		t.Errorf("protocol warnings %d, want 1", s.ProtocolWarnings)
	}
}
