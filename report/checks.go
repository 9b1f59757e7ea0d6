package report

import (
	"sort"

	"github.com/inferno-llm/inferno/result"
)

// CheckSummary is how a window's answers did against one check. A
// failed check is counted here and never in Fail_rate or the outcomes:
// the request succeeded, its answer was wrong.
type CheckSummary struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Examples are up to MaxCheckExamples failing answers, each cut to a
	// few hundred bytes, with why they failed.
	Examples []CheckExample `json:"examples,omitempty"`
}

// CheckExample is one failing answer.
type CheckExample struct {
	Answer string `json:"answer"`
	Reason string `json:"reason"`
}

// MaxCheckExamples bounds the failing answers kept per check.
const MaxCheckExamples = 3

// maxChecks bounds the checks a window reports: their names come from
// the workload and its dataset, never from the endpoint, but a bound
// keeps a report's size independent of both.
const maxChecks = 100

// PassRatio is the share of judged answers that passed.
func (c *CheckSummary) PassRatio() float64 { return ratio(c.Passed, c.Passed+c.Failed) }

type checkCounts = CheckSummary

// addCheck counts one verdict. a.mu held.
func (a *Aggregator) addCheck(c result.CheckResult) {
	if a.checks == nil {
		a.checks = map[string]*checkCounts{}
	}
	s := a.checks[c.Name]
	if s == nil {
		if len(a.checks) >= maxChecks {
			return
		}
		s = &checkCounts{}
		a.checks[c.Name] = s
	}
	if c.Pass {
		s.Passed++
		return
	}
	s.Failed++
	if len(s.Examples) < MaxCheckExamples {
		s.Examples = append(s.Examples, CheckExample{Answer: c.Answer, Reason: c.Reason})
	}
}

// checkSummaries copies the window's check counts for its report.
func (a *Aggregator) checkSummaries() map[string]*CheckSummary {
	if len(a.checks) == 0 {
		return nil
	}
	out := make(map[string]*CheckSummary, len(a.checks))
	for name, c := range a.checks {
		cp := *c
		cp.Examples = append([]CheckExample(nil), c.Examples...)
		out[name] = &cp
	}
	return out
}

// ChecksFailed reports whether any answer failed any check.
func (r *Report) ChecksFailed() bool {
	for _, c := range r.Checks {
		if c.Failed > 0 {
			return true
		}
	}
	return false
}

// CheckNames lists the report's checks in order.
func (r *Report) CheckNames() []string {
	names := make([]string, 0, len(r.Checks))
	for n := range r.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// mergeChecks adds the shards' check counts, keeping the first examples.
func mergeChecks(reports []*Report) map[string]*CheckSummary {
	var out map[string]*CheckSummary
	for _, r := range reports {
		for name, c := range r.Checks {
			if out == nil {
				out = map[string]*CheckSummary{}
			}
			m := out[name]
			if m == nil {
				m = &CheckSummary{}
				out[name] = m
			}
			m.Passed += c.Passed
			m.Failed += c.Failed
			for _, e := range c.Examples {
				if len(m.Examples) < MaxCheckExamples {
					m.Examples = append(m.Examples, e)
				}
			}
		}
	}
	return out
}
