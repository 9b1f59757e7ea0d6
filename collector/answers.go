package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// answerMetrics are what the answers were, beside how fast they came:
// time to the first answer token (reasoning models think first), the
// reasoning tokens, and the workload's checks. A failed check is counted
// here only, never as a request outcome.
type answerMetrics struct {
	ttfa            *prometheus.HistogramVec
	reasoningTokens *prometheus.CounterVec
	checkResults    *prometheus.CounterVec
	checkPassRatio  *prometheus.GaugeVec
}

var checkLabels = append(append([]string{}, windowLabels...), "check")

func registerAnswers(reg prometheus.Registerer) *answerMetrics {
	m := &answerMetrics{
		ttfa: histogram("time_to_first_answer_seconds",
			"Time from sending a request to its first answer token: TTFT without the reasoning before it.", TTFTBuckets),
		reasoningTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "reasoning_tokens_total",
			Help: "Output tokens of successful requests that were reasoning (part of inferno_output_tokens_total)."}, windowLabels),
		checkResults: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "check_results_total",
			Help: "Answers of successful requests judged by the workload's checks, by check and result (pass, fail)."},
			append(append([]string{}, checkLabels...), "result")),
		checkPassRatio: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "inferno", Name: "last_window_check_pass_ratio",
			Help: "Share of the last window's judged answers that passed each check."}, checkLabels),
	}
	reg.MustRegister(m.ttfa, m.reasoningTokens, m.checkResults, m.checkPassRatio)
	return m
}

// observe records a successful request's answer.
func (m *answerMetrics) observe(lv []string, r *result.Result) {
	if v, ok := r.TimeToFirstAnswer(); ok {
		m.ttfa.WithLabelValues(lv...).Observe(v.Seconds())
	}
	if r.ReasoningTokens > 0 {
		m.reasoningTokens.WithLabelValues(lv...).Add(float64(r.ReasoningTokens))
	}
	for _, c := range r.Checks {
		res, other := "pass", "fail"
		if !c.Pass {
			res, other = other, res
		}
		labels := append(append(make([]string, 0, len(lv)+2), lv...), c.Name)
		m.checkResults.WithLabelValues(append(labels, res)...).Inc()
		// Both results exist from the first answer on, so a rate of
		// failures reads 0 rather than no data while all pass.
		m.checkResults.WithLabelValues(append(labels, other)...)
	}
}

// windowDone sets each check's pass ratio. A check that judged nothing
// this window (no success, or a check removed by a reload) has no ratio
// to tell: its series goes.
func (m *answerMetrics) windowDone(l Labels, rep *report.Report) {
	m.checkPassRatio.DeletePartialMatch(prometheus.Labels{"target": l.Target, "model": l.Model, "workload": l.Workload})
	for name, c := range rep.Checks {
		if c.Passed+c.Failed > 0 {
			m.checkPassRatio.WithLabelValues(append(l.values(), name)...).Set(c.PassRatio())
		}
	}
}

func (m *answerMetrics) forget(match prometheus.Labels) int {
	n := 0
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.ttfa, m.reasoningTokens, m.checkResults, m.checkPassRatio} {
		n += v.DeletePartialMatch(match)
	}
	return n
}
