// Package recommend ranks runs of one workload against a performance
// objective, weighing performance against cost, as the old tool's
// /recommend did, with a score that is explainable and monotone: a run at
// least as good on every figure (performance, success rate, cost, GPUs)
// is never ranked below another.
package recommend

import (
	"fmt"
	"sort"
	"strings"

	"github.com/inferno-llm/inferno/report"
)

// Objective is a performance target: ttft, tpot and latency are p95
// seconds not to exceed; rps and throughput (output tokens per second)
// are rates to reach.
type Objective struct {
	Metric string  `json:"metric"`
	Target float64 `json:"target"`
}

type metric struct {
	label string
	lower bool // lower is better
	value func(*report.Report) float64
}

var metrics = map[string]metric{
	"ttft":       {"TTFT p95", true, func(r *report.Report) float64 { return r.Stats.TTFT.P95 }},
	"tpot":       {"TPOT p95", true, func(r *report.Report) float64 { return r.Stats.TPOT.P95 }},
	"latency":    {"E2E latency p95", true, func(r *report.Report) float64 { return r.Stats.Latency.P95 }},
	"rps":        {"requests per second", false, func(r *report.Report) float64 { return r.Summary.RPS }},
	"throughput": {"output tokens per second", false, func(r *report.Report) float64 { return r.Summary.OutputThroughput }},
}

// Validate checks the objective.
func (o Objective) Validate() error {
	if _, ok := metrics[o.Metric]; !ok {
		return fmt.Errorf("metric %q: want ttft, tpot, latency, rps or throughput", o.Metric)
	}
	if !(o.Target > 0) {
		return fmt.Errorf("target must be a positive number, got %v", o.Target)
	}
	return nil
}

// legacyGPUCost is the old tool's relative cost per GPU, used only when
// no run of the group has a cost_per_hour.
var legacyGPUCost = map[string]float64{"A100": 10, "A10": 2, "A30": 3, "A40": 4, "H100": 25, "H200": 35}

// Weights of the combined score.
const (
	perfWeight = 0.6
	costWeight = 0.4
)

// Run is one run's place in the rankings, with the figures behind it.
type Run struct {
	ID    string  `json:"id"`
	Value float64 `json:"value"` // the objective's metric
	Meets bool    `json:"meets_objective"`
	// Performance is the run's metric relative to the group's best (1 for
	// the best), times its success rate.
	Performance float64 `json:"performance_score"`
	// CostPerMillion is the cost per million output tokens (cost_per_hour
	// units, or the old tool's relative GPU cost); 0 when unknown.
	CostPerMillion float64 `json:"cost_per_million_output_tokens,omitempty"`
	// Cost is the cheapest run's cost per million over this run's (1 for
	// the cheapest); 0 when unknown.
	Cost float64 `json:"cost_score"`
	GPUs int     `json:"gpus,omitempty"`
	// Score is perfWeight·Performance + costWeight·Cost.
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// Recommendation is the group ranked four ways, best first.
type Recommendation struct {
	Objective         Objective `json:"objective"`
	CostUnit          string    `json:"cost_unit"` // cost_per_hour, legacy_gpu_cost or none
	MostRecommended   []Run     `json:"most_recommended"`
	BestPerformance   []Run     `json:"best_performance"`
	ResourceEfficient []Run     `json:"resource_efficient"`
	CostEfficient     []Run     `json:"cost_efficient"`
}

// Rank ranks the reports against the objective.
//
//   - most recommended: runs that meet the objective first, then by
//     Score = 0.6·performance + 0.4·cost;
//   - best performance: by performance alone;
//   - resource efficient: runs that meet the objective first, then by
//     performance per GPU;
//   - cost efficient: runs that meet the objective first, then by cost
//     per million output tokens.
//
// Every ranking breaks ties by performance, cost, fewer GPUs and then id,
// so it is total and monotone.
func Rank(reports []*report.Report, o Objective) (Recommendation, error) {
	if err := o.Validate(); err != nil {
		return Recommendation{}, err
	}
	if len(reports) == 0 {
		return Recommendation{}, fmt.Errorf("no runs to rank")
	}
	m := metrics[o.Metric]
	rec := Recommendation{Objective: o, CostUnit: costUnit(reports)}

	best := 0.0
	for _, r := range reports {
		if v := m.value(r); v > 0 && (best == 0 || (m.lower && v < best) || (!m.lower && v > best)) {
			best = v
		}
	}
	runs := make([]Run, len(reports))
	cheapest := 0.0
	for i, r := range reports {
		v := m.value(r)
		run := Run{ID: r.Run.ID, Value: v}
		if r.Run.Hardware != nil {
			run.GPUs = r.Run.Hardware.Count
		}
		if v > 0 {
			if m.lower {
				run.Meets = v <= o.Target
				run.Performance = best / v
			} else {
				run.Meets = v >= o.Target
				run.Performance = v / best
			}
			run.Performance *= r.Summary.SuccessRate
		}
		run.CostPerMillion = costPerMillion(r, rec.CostUnit)
		if c := run.CostPerMillion; c > 0 && (cheapest == 0 || c < cheapest) {
			cheapest = c
		}
		runs[i] = run
	}
	for i := range runs {
		if c := runs[i].CostPerMillion; c > 0 {
			runs[i].Cost = cheapest / c
		}
		runs[i].Score = perfWeight*runs[i].Performance + costWeight*runs[i].Cost
		runs[i].Reason = reason(runs[i], m, o, best, cheapest, rec.CostUnit)
	}

	perGPU := func(r Run) float64 { return r.Performance / float64(max(r.GPUs, 1)) }
	rec.MostRecommended = ranked(runs, func(a, b Run) int {
		return first(cmpBool(a.Meets, b.Meets), cmpFloat(a.Score, b.Score))
	})
	rec.BestPerformance = ranked(runs, func(a, b Run) int { return 0 })
	rec.ResourceEfficient = ranked(runs, func(a, b Run) int {
		return first(cmpBool(a.Meets, b.Meets), cmpFloat(perGPU(a), perGPU(b)))
	})
	rec.CostEfficient = ranked(runs, func(a, b Run) int {
		return first(cmpBool(a.Meets, b.Meets), cmpFloat(a.Cost, b.Cost))
	})
	return rec, nil
}

// ranked sorts a copy of runs by primary (positive: a first), then by the
// shared tie-breaks.
func ranked(runs []Run, primary func(a, b Run) int) []Run {
	out := append([]Run(nil), runs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		c := first(primary(a, b), cmpFloat(a.Performance, b.Performance), cmpFloat(a.Cost, b.Cost), b.GPUs-a.GPUs)
		if c != 0 {
			return c > 0
		}
		return a.ID < b.ID
	})
	return out
}

func first(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func cmpFloat(a, b float64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// costUnit picks one unit for the group: configured costs if any run has
// one, else the old tool's GPU cost table if every run names a GPU in it.
func costUnit(reports []*report.Report) string {
	for _, r := range reports {
		if r.Run.CostPerHour > 0 {
			return "cost_per_hour"
		}
	}
	for _, r := range reports {
		if r.Run.Hardware == nil || legacyGPUCost[strings.ToUpper(r.Run.Hardware.GPU)] == 0 {
			return "none"
		}
	}
	return "legacy_gpu_cost"
}

func costPerMillion(r *report.Report, unit string) float64 {
	perHour := 0.0
	switch unit {
	case "cost_per_hour":
		perHour = r.Run.CostPerHour
	case "legacy_gpu_cost":
		perHour = legacyGPUCost[strings.ToUpper(r.Run.Hardware.GPU)] * float64(max(r.Run.Hardware.Count, 1))
	}
	if perHour <= 0 || r.Summary.OutputThroughput <= 0 {
		return 0
	}
	return perHour / (r.Summary.OutputThroughput * 3600) * 1e6
}

func reason(r Run, m metric, o Objective, best, cheapest float64, unit string) string {
	var b strings.Builder
	op := "≥"
	if m.lower {
		op = "≤"
	}
	verdict := "misses"
	if r.Meets {
		verdict = "meets"
	}
	fmt.Fprintf(&b, "%s %s %s %g with %.4g; ", verdict, m.label, op, o.Target, r.Value)
	fmt.Fprintf(&b, "performance %.3f (group best %.4g, success rate included); ", r.Performance, best)
	if r.CostPerMillion > 0 {
		fmt.Fprintf(&b, "cost %.3f (cheapest %.4g / this %.4g per million output tokens, %s); ", r.Cost, cheapest, r.CostPerMillion, unit)
	} else {
		b.WriteString("cost unknown (score 0); ")
	}
	if r.GPUs > 0 {
		fmt.Fprintf(&b, "%d GPUs; ", r.GPUs)
	}
	fmt.Fprintf(&b, "score %.1f×%.3f + %.1f×%.3f = %.3f", perfWeight, r.Performance, costWeight, r.Cost, r.Score)
	return b.String()
}
