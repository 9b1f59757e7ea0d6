// Package compare sets runs' reports side by side: the headline figures
// of each, and each figure's difference from the first run's.
package compare

import (
	"fmt"
	"math"

	"github.com/inferno-llm/inferno/report"
)

// Figure is one headline figure of a comparison.
type Figure struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"` // s, tokens/s, req/s, ratio, currency
	// LowerIsBetter says which way a difference is an improvement.
	LowerIsBetter bool `json:"lower_is_better"`
	value         func(*report.Report) float64
}

// partialFigures are the figures a report may lack: a target without a
// configured cost has no cost figure, not a cost of 0, and a run without a
// success has no latency, not a latency of 0 (a dead endpoint must never
// read as the fastest).
var partialFigures = map[string]func(*report.Report) bool{
	"cost_per_million_output_tokens": func(r *report.Report) bool { return r.Summary.CostPerMillionOutputTokens > 0 },
	"ttft_p50":                       ttftKnown, "ttft_p95": ttftKnown, "ttft_p99": ttftKnown,
	"tpot_p50": tpotKnown, "tpot_p95": tpotKnown, "tpot_p99": tpotKnown,
	"e2e_p50": e2eKnown, "e2e_p95": e2eKnown, "e2e_p99": e2eKnown,
}

func ttftKnown(r *report.Report) bool { return r.Summary.Successes > 0 && r.Stats.TTFT.Count > 0 }
func tpotKnown(r *report.Report) bool { return r.Summary.Successes > 0 && r.Stats.TPOT.Count > 0 }
func e2eKnown(r *report.Report) bool  { return r.Summary.Successes > 0 && r.Stats.Latency.Count > 0 }

// Known reports whether r has this figure.
func (f Figure) Known(r *report.Report) bool {
	known, partial := partialFigures[f.Key]
	return !partial || known(r)
}

// Value is the figure for one report.
func (f Figure) Value(r *report.Report) float64 { return f.value(r) }

// Figures are the headline figures comparisons show, in order.
var Figures = []Figure{
	{"ttft_p50", "TTFT p50", "s", true, func(r *report.Report) float64 { return r.Stats.TTFT.P50 }},
	{"ttft_p95", "TTFT p95", "s", true, func(r *report.Report) float64 { return r.Stats.TTFT.P95 }},
	{"ttft_p99", "TTFT p99", "s", true, func(r *report.Report) float64 { return r.Stats.TTFT.P99 }},
	{"tpot_p50", "TPOT p50", "s", true, func(r *report.Report) float64 { return r.Stats.TPOT.P50 }},
	{"tpot_p95", "TPOT p95", "s", true, func(r *report.Report) float64 { return r.Stats.TPOT.P95 }},
	{"tpot_p99", "TPOT p99", "s", true, func(r *report.Report) float64 { return r.Stats.TPOT.P99 }},
	{"e2e_p50", "E2E latency p50", "s", true, func(r *report.Report) float64 { return r.Stats.Latency.P50 }},
	{"e2e_p95", "E2E latency p95", "s", true, func(r *report.Report) float64 { return r.Stats.Latency.P95 }},
	{"e2e_p99", "E2E latency p99", "s", true, func(r *report.Report) float64 { return r.Stats.Latency.P99 }},
	{"output_tokens_per_second", "Output throughput", "tokens/s", false, func(r *report.Report) float64 { return r.Summary.OutputThroughput }},
	{"rps", "Requests per second", "req/s", false, func(r *report.Report) float64 { return r.Summary.RPS }},
	{"goodput_rps", "Goodput", "req/s", false, func(r *report.Report) float64 { return r.Summary.GoodputRPS }},
	{"slo_attainment", "SLO attainment", "ratio", false, func(r *report.Report) float64 { return r.Summary.SLO.Attainment }},
	{"failure_ratio", "Failure ratio", "ratio", true, func(r *report.Report) float64 { return 1 - r.Summary.SuccessRate }},
	{"cost_per_million_output_tokens", "Cost per million output tokens", "currency", true,
		func(r *report.Report) float64 { return r.Summary.CostPerMillionOutputTokens }},
}

// Comparison is runs side by side, each figure with its difference from
// the first run's.
type Comparison struct {
	Figures []Figure         `json:"figures"`
	Runs    []Run            `json:"runs"`
	Reports []*report.Report `json:"-"`
	// Warnings say why the runs may not be comparable (different workloads).
	Warnings []string `json:"warnings,omitempty"`
}

// Run is one run's column.
type Run struct {
	ID          string           `json:"id"`
	Target      string           `json:"target"`
	Workload    string           `json:"workload"`
	Status      string           `json:"status"`
	Hardware    *report.Hardware `json:"hardware,omitempty"`
	CostPerHour float64          `json:"cost_per_hour,omitempty"`
	// Values holds the run's figures; a figure the run does not have (a
	// cost without a configured cost per hour) is absent, shown as "–".
	Values map[string]float64 `json:"values"`
	// Relative is (value − first run's value) / first run's value; absent
	// for the first run, where the first run's value is 0 and where
	// either run lacks the figure.
	Relative map[string]float64 `json:"relative,omitempty"`
}

// Reports builds the comparison of reports, relative to the first.
func Reports(reports []*report.Report) Comparison {
	c := Comparison{Figures: Figures, Reports: reports}
	for i, r := range reports {
		run := Run{ID: r.Run.ID, Target: r.Run.Target.Name, Workload: r.Run.Workload, Status: r.Run.Status,
			Hardware: r.Run.Hardware, CostPerHour: r.Run.CostPerHour, Values: map[string]float64{}}
		if i > 0 && r.Run.Workload != reports[0].Run.Workload {
			c.Warnings = append(c.Warnings, fmt.Sprintf("run %s ran workload %q, run %s ran %q: their figures measure different requests",
				r.Run.ID, r.Run.Workload, reports[0].Run.ID, reports[0].Run.Workload))
		}
		for _, f := range Figures {
			if !f.Known(r) {
				continue
			}
			run.Values[f.Key] = f.Value(r)
			if i > 0 && f.Known(reports[0]) {
				if base := f.Value(reports[0]); base != 0 && !math.IsNaN(base) {
					if run.Relative == nil {
						run.Relative = map[string]float64{}
					}
					run.Relative[f.Key] = (f.Value(r) - base) / base
				}
			}
		}
		c.Runs = append(c.Runs, run)
	}
	return c
}
