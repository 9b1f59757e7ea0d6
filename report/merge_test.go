package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/stats"
)

// syntheticWindow is n requests with spread-out latencies and a few
// failures, sent at 20 per second.
func syntheticWindow(n int) []*result.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []*result.Result
	for i := range n {
		sent := at(i * 50)
		if i%23 == 7 {
			out = append(out, &result.Result{Index: i, Intended: sent, Outcome: result.NotSent, Reason: "no free slot under max_concurrency before sending stopped"})
			continue
		}
		if i%17 == 5 {
			out = append(out, &result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(20 * time.Millisecond),
				Outcome: result.HTTP5xx, Status: 503, Reason: "HTTP 503: overloaded"})
			continue
		}
		ttft := time.Duration(80+rng.IntN(400)) * time.Millisecond
		tokens := 5 + rng.IntN(60)
		r := &result.Result{Index: i, Intended: sent, Sent: sent, Headers: sent.Add(ttft), FirstEvent: sent.Add(ttft),
			FirstContent: sent.Add(ttft), FirstAnswer: sent.Add(ttft), Outcome: result.Success, Status: 200, InputTokens: 100 + rng.IntN(50),
			OutputTokens: tokens, TokensFrom: result.TokensFromUsage, ContentEvents: tokens}
		end := r.FirstContent
		for range tokens - 1 {
			gap := time.Duration(10+rng.IntN(30)) * time.Millisecond
			r.ITL = append(r.ITL, gap)
			end = end.Add(gap)
		}
		r.End = end
		if i%7 == 3 {
			// Its first three tokens were reasoning.
			r.ReasoningTokens, r.AnswerITLFrom = 3, 3
			r.FirstAnswer = r.FirstContent.Add(r.ITL[0] + r.ITL[1] + r.ITL[2])
		}
		r.Checks = []result.CheckResult{{Name: "json", Pass: i%5 != 0}}
		if i%5 == 0 {
			r.Checks[0].Reason, r.Checks[0].Answer = "not JSON", "hello"
		}
		// Every tenth request opened its connection; all were written.
		r.Conn.RequestWritten = sent.Add(time.Duration(50+rng.IntN(500)) * time.Microsecond)
		if i%10 == 0 {
			r.Conn.DNS = time.Duration(100+rng.IntN(900)) * time.Microsecond
			r.Conn.Connect = time.Duration(200+rng.IntN(2000)) * time.Microsecond
			r.Conn.TLS = time.Duration(1000+rng.IntN(9000)) * time.Microsecond
		} else {
			r.Conn.Reused = true
		}
		r.TokensBySecond = []result.SecondTokens{{Second: int32(end.Sub(base) / time.Second), Tokens: int32(tokens)}}
		out = append(out, r)
	}
	return out
}

func TestMergeMatchesOneWindow(t *testing.T) {
	slo := SLO{TTFT: 300 * time.Millisecond}
	results := syntheticWindow(600)
	whole := NewAggregator(base, slo, nil)
	parts := []*Aggregator{NewAggregator(base, slo, nil), NewAggregator(base, slo, nil), NewAggregator(base, slo, nil)}
	for _, r := range results {
		whole.Add(r)
		parts[r.Index%3].Add(r)
	}
	want := whole.Report(Meta{ID: "whole", Status: StatusFinished, Target: Target{Name: "t"}, Workload: "w"})
	var reports []*Report
	for i, a := range parts {
		r := a.Report(Meta{ID: string(rune('a' + i)), Status: StatusFinished, Target: Target{Name: "t"}, Workload: "w",
			Shard: &Shard{Index: i, Count: 3}})
		// Through JSON, as `inferno report merge` reads them.
		b, _ := json.Marshal(r)
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		reports = append(reports, &back)
	}
	got, err := Merge("merged", reports)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Requests != want.Summary.Requests || got.Summary.Successes != want.Summary.Successes ||
		got.Summary.SLO.Met != want.Summary.SLO.Met || got.Summary.OutputTokens != want.Summary.OutputTokens ||
		got.Summary.Outcomes["http_5xx"] != want.Summary.Outcomes["http_5xx"] ||
		got.Summary.Outcomes["not_sent"] != want.Summary.Outcomes["not_sent"] || want.Summary.Outcomes["not_sent"] == 0 ||
		got.Summary.SLO.MetFromSend != want.Summary.SLO.MetFromSend {
		t.Errorf("counts: got %+v\nwant %+v", got.Summary, want.Summary)
	}
	if got.Summary.ReasoningTokens != want.Summary.ReasoningTokens || want.Summary.ReasoningTokens == 0 {
		t.Errorf("reasoning tokens: merged %d, one window %d", got.Summary.ReasoningTokens, want.Summary.ReasoningTokens)
	}
	if g, w := got.Checks["json"], want.Checks["json"]; g == nil || w == nil || g.Passed != w.Passed || g.Failed != w.Failed || w.Failed == 0 || len(g.Examples) != MaxCheckExamples {
		t.Errorf("checks: merged %+v, one window %+v", g, w)
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"duration", got.Summary.DurationSeconds, want.Summary.DurationSeconds},
		{"rps", got.Summary.RPS, want.Summary.RPS},
		{"goodput", got.Summary.GoodputRPS, want.Summary.GoodputRPS},
		{"throughput", got.Summary.OutputThroughput, want.Summary.OutputThroughput},
		{"attainment", got.Summary.SLO.Attainment, want.Summary.SLO.Attainment},
		{"attainment from send", got.Summary.SLO.AttainmentFromSend, want.Summary.SLO.AttainmentFromSend},
		{"goodput from send", got.Summary.SLO.GoodputFromSendRPS, want.Summary.SLO.GoodputFromSendRPS},
		{"legacy throughput max", got.Throughput.Max, want.Throughput.Max},
	} {
		if math.Abs(f.got-f.want) > 1e-9 {
			t.Errorf("%s: merged %v, one window %v", f.name, f.got, f.want)
		}
	}
	for _, d := range distributions {
		g, w := *d.stats(&got.Stats), *d.stats(&want.Stats)
		if w.Count == 0 {
			t.Errorf("%s: the fixture has no values", d.name)
			continue
		}
		if g.Count != w.Count || !near(g.Mean, w.Mean, 1e-9) || !near(g.Std, w.Std, 1e-6) || g.Min != w.Min || g.Max != w.Max {
			t.Errorf("%s: merged %+v\none window %+v", d.name, g, w)
		}
		// Percentiles: HdrHistogram's value is within 0.1% of a value at the
		// percentile's rank, where the exact one interpolates between
		// neighbours. ITL is a histogram in both, so the two are equal.
		for _, p := range []struct{ q, got, want float64 }{{0.5, g.P50, w.P50}, {0.9, g.P90, w.P90}, {0.99, g.P99, w.P99}} {
			if d.values == nil {
				if p.got != p.want {
					t.Errorf("%s p%v: merged %v, one window %v", d.name, p.q*100, p.got, p.want)
				}
				continue
			}
			sorted := *d.values(whole) // sorted by Report
			rank := p.q * float64(len(sorted)-1)
			lo, hi := sorted[int(math.Floor(rank))], sorted[min(int(math.Ceil(rank))+1, len(sorted)-1)]
			if slack := 1 / d.scale; p.got < lo*0.999-slack || p.got > hi*1.001+slack {
				t.Errorf("%s p%v: merged %v, outside [%v, %v] around the exact %v", d.name, p.q*100, p.got, lo, hi, p.want)
			}
		}
	}
	if len(got.Timeline) != len(want.Timeline) {
		t.Fatalf("timeline: %d seconds, want %d", len(got.Timeline), len(want.Timeline))
	}
	for i := range want.Timeline {
		if got.Timeline[i] != want.Timeline[i] {
			t.Errorf("second %d: merged %+v, one window %+v", i, got.Timeline[i], want.Timeline[i])
		}
	}
	if len(got.Errors) != 2 || len(want.Errors) != 2 || got.Errors[0] != want.Errors[0] || got.Errors[1] != want.Errors[1] {
		t.Errorf("errors: %+v, want %+v", got.Errors, want.Errors)
	}
	if strings.Join(got.Run.MergedFrom, ",") != "a,b,c" || got.Run.Trigger != "merge" {
		t.Errorf("meta: %+v", got.Run)
	}
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(b), 1e-12) }

func TestMergeTimelinesAlignOnWallClock(t *testing.T) {
	a := &Report{TimelineStart: base, Timeline: []TimelineStep{{Second: 0, Started: 1}, {Second: 1, Started: 2}}}
	b := &Report{TimelineStart: base.Add(1002 * time.Millisecond), Timeline: []TimelineStep{{Second: 0, Started: 5}}}
	got, origin := mergeTimelines([]*Report{a, b})
	if !origin.Equal(base) || len(got) != 2 || got[0].Started != 1 || got[1].Started != 7 {
		t.Errorf("origin %v, timeline %+v", origin, got)
	}
}

func TestMergeRefuses(t *testing.T) {
	mk := func(id, target, workload string, shard *Shard) *Report {
		return &Report{Run: Meta{ID: id, Target: Target{Name: target}, Workload: workload, Shard: shard}}
	}
	for _, tc := range []struct {
		name    string
		reports []*Report
		want    string
	}{
		{"nothing", nil, "no reports"},
		{"two targets", []*Report{mk("a", "x", "w", nil), mk("b", "y", "w", nil)}, "only one target's"},
		{"two workloads", []*Report{mk("a", "x", "w", nil), mk("b", "x", "v", nil)}, "only one workload's"},
		{"same shard twice", []*Report{mk("a", "x", "w", &Shard{Index: 0, Count: 2}), mk("b", "x", "w", &Shard{Index: 0, Count: 2})}, "both shard 0"},
		{"shard counts differ", []*Report{mk("a", "x", "w", &Shard{Index: 0, Count: 2}), mk("b", "x", "w", &Shard{Index: 1, Count: 3})}, "does not match"},
		{"not shards", []*Report{mk("a", "x", "w", nil), mk("b", "x", "w", nil)}, "not a shard"},
		{"one shard, one not", []*Report{mk("a", "x", "w", &Shard{Index: 0, Count: 2}), mk("b", "x", "w", nil)}, "not a shard"},
		{"shards of two windows", []*Report{mk("a", "x", "w", &Shard{Index: 0, Count: 2, Tick: base}),
			mk("b", "x", "w", &Shard{Index: 1, Count: 2, Tick: base.Add(time.Hour)})}, "different windows"},
		{"old report", []*Report{{Run: Meta{ID: "old"}, Summary: Summary{Successes: 3}}}, "no distributions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge("m", tc.reports)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// --force merges what is not one window's shards, for those who know.
func TestMergeForce(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	b := NewAggregator(base.Add(time.Hour), SLO{}, nil)
	for _, r := range syntheticWindow(20) {
		a.Add(r)
	}
	ra, rb := a.Report(Meta{ID: "a", Target: Target{Name: "t"}}), b.Report(Meta{ID: "b", Target: Target{Name: "t"}})
	if _, err := Merge("m", []*Report{&ra, &rb}); err == nil {
		t.Fatal("two windows merged without --force")
	}
	m, err := MergeWith("m", []*Report{&ra, &rb}, true)
	if err != nil || m.Summary.Requests != 20 {
		t.Fatalf("forced merge: %v, %+v", err, m)
	}
}

// FuzzDistribution feeds the histogram decoder what a hand-edited or
// damaged report might hold: it must fail cleanly or give a histogram of
// Inferno's geometry, never panic.
func FuzzDistribution(f *testing.F) {
	h := stats.NewHistogram()
	for _, v := range []int64{1, 250000, 3600000000} {
		h.RecordValue(v)
	}
	f.Add(stats.Encode(h))
	f.Add("HISTFAAAACt42pJpmSzMwMDAxgABzFCaEURcm7yEwf4DRGBzBdN7SSZAAAAA//92gQbE")
	f.Add("")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, encoded string) {
		d, err := stats.Decode(encoded)
		if err != nil {
			return
		}
		if d.LowestTrackableValue() != stats.Lowest || d.HighestTrackableValue() != stats.Highest {
			t.Fatalf("accepted geometry %d..%d", d.LowestTrackableValue(), d.HighestTrackableValue())
		}
		(&Report{Distributions: map[string]string{"ttft_seconds": encoded}}).CDF("ttft_seconds", 10)
	})
}
