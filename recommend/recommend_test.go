package recommend

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/inferno-llm/inferno/report"
)

func run(id string, ttftP95, throughput, success, costPerHour float64, gpus int) *report.Report {
	r := &report.Report{Run: report.Meta{ID: id, CostPerHour: costPerHour, Hardware: &report.Hardware{GPU: "H100", Count: gpus}}}
	r.Stats.TTFT.P95 = ttftP95
	r.Summary.OutputThroughput = throughput
	r.Summary.RPS = throughput / 100
	r.Summary.SuccessRate = success
	return r
}

func ids(runs []Run) string {
	s := ""
	for _, r := range runs {
		s += r.ID + " "
	}
	return s
}

func TestRankByHand(t *testing.T) {
	// fast: 0.1 s at $8/h; mid: 0.2 s at $4/h; slow: 0.4 s at $1/h; same
	// throughput 1000 tokens/s. Objective TTFT p95 ≤ 0.25 s.
	// performance: fast 1, mid 0.5, slow 0.25; cost/M: 2.22, 1.11, 0.278 →
	// cost score 0.125, 0.25, 1; score: 0.65, 0.4, 0.55.
	reports := []*report.Report{run("fast", 0.1, 1000, 1, 8, 2), run("mid", 0.2, 1000, 1, 4, 1), run("slow", 0.4, 1000, 1, 1, 1)}
	rec, err := Rank(reports, Objective{Metric: "ttft", Target: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []Run
		want string
	}{
		{"most recommended", rec.MostRecommended, "fast mid slow "}, // slow scores 0.55 but misses the objective
		{"best performance", rec.BestPerformance, "fast mid slow "},
		{"resource efficient", rec.ResourceEfficient, "fast mid slow "}, // per GPU: fast 1/2, mid 0.5/1: a tie, broken by performance
		{"cost efficient", rec.CostEfficient, "mid fast slow "},
	} {
		if ids(c.got) != c.want {
			t.Errorf("%s: %s, want %s", c.name, ids(c.got), c.want)
		}
	}
	if s := rec.MostRecommended[0].Score; s < 0.6499 || s > 0.6501 {
		t.Errorf("fast's score %v, want 0.65", s)
	}
	if rec.MostRecommended[0].Reason == "" || rec.CostUnit != "cost_per_hour" {
		t.Errorf("reason %q, unit %s", rec.MostRecommended[0].Reason, rec.CostUnit)
	}
	if _, err := Rank(reports, Objective{Metric: "speed", Target: 1}); err == nil {
		t.Error("unknown metric accepted")
	}
}

// TestMonotone: a run at least as good on every figure, and better on
// one, is never ranked below the other, in any ranking.
func TestMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 2000 {
		var reports []*report.Report
		for i := range 2 + rng.IntN(4) {
			reports = append(reports, run(fmt.Sprint("r", i), 0.05+rng.Float64(), 100+rng.Float64()*900,
				0.8+0.2*rng.Float64(), float64(1+rng.IntN(4)), 1+rng.IntN(4)))
		}
		// A dominating copy of a random run.
		base := reports[rng.IntN(len(reports))]
		dom := run("dominant", base.Stats.TTFT.P95*(1-0.5*rng.Float64()), base.Summary.OutputThroughput*(1+rng.Float64()),
			min(base.Summary.SuccessRate+0.1*rng.Float64(), 1), base.Run.CostPerHour, base.Run.Hardware.Count-rng.IntN(base.Run.Hardware.Count))
		reports = append(reports, dom)
		metric := []string{"ttft", "throughput", "rps"}[trial%3]
		target := []float64{0.5, 500, 5}[trial%3]
		rec, err := Rank(reports, Objective{Metric: metric, Target: target})
		if err != nil {
			t.Fatal(err)
		}
		for name, order := range map[string][]Run{"most recommended": rec.MostRecommended, "best performance": rec.BestPerformance,
			"resource efficient": rec.ResourceEfficient, "cost efficient": rec.CostEfficient} {
			pos := map[string]int{}
			for i, r := range order {
				pos[r.ID] = i
			}
			if pos["dominant"] > pos[base.Run.ID] {
				t.Fatalf("trial %d, %s by %s: dominant run ranked %d, below %s at %d\n%+v", trial, name, metric,
					pos["dominant"], base.Run.ID, pos[base.Run.ID], order)
			}
		}
	}
}
