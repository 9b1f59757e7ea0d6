package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/stats"
)

// ProbeRegistry returns a fresh registry describing one probe window, in
// blackbox_exporter's manner: probe_success, probe_duration_seconds and
// the window's figures as probe_* gauges.
func ProbeRegistry(rep *report.Report, success bool, durationSeconds float64) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := func(name, help string) prometheus.Gauge {
		gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		reg.MustRegister(gauge)
		return gauge
	}
	q := func(name, help string, s stats.Stats) {
		v := newWindowSummary(name, help, nil)
		reg.MustRegister(v)
		v.set(nil, s)
	}
	b := 0.0
	// As blackbox_exporter's fail_if_body_not_matches_regexp: a wrong
	// answer fails the probe, fast as it came.
	if success && (rep == nil || !rep.ChecksFailed()) {
		b = 1
	}
	g("probe_success", "Whether the probe window had at least one successful request, no setup error and no failed check.").Set(b)
	g("probe_duration_seconds", "How long the probe took.").Set(durationSeconds)
	if rep == nil {
		return reg
	}
	s := rep.Summary
	g("probe_requests", "Requests the probe window sent.").Set(float64(s.Requests))
	g("probe_failed_requests", "Requests of the probe window that failed.").Set(float64(s.Failures))
	g("probe_not_sent_requests", "Arrivals of the probe window that were due but never sent (counted in probe_failed_requests).").Set(float64(s.Outcomes["not_sent"]))
	// Latencies only where the window had values: a probe of a dead
	// endpoint must not read probe_ttft_seconds 0.
	if rep.Stats.TTFT.Count > 0 {
		q("probe_ttft_seconds", "TTFT percentiles of the probe window.", rep.Stats.TTFT)
	}
	if rep.Stats.TPOT.Count > 0 {
		q("probe_tpot_seconds", "TPOT percentiles of the probe window.", rep.Stats.TPOT)
	}
	if rep.Stats.ITL.Count > 0 {
		q("probe_itl_seconds", "Inter-token latency percentiles of the probe window.", rep.Stats.ITL)
	}
	if rep.Stats.Latency.Count > 0 && s.Successes > 0 {
		q("probe_request_duration_seconds", "End-to-end latency percentiles of the probe window.", rep.Stats.Latency)
	}
	g("probe_output_tokens_per_second", "Output tokens per second over the probe window.").Set(s.OutputThroughput)
	g("probe_slo_attainment_ratio", "Share of the probe window's requests that met the SLO.").Set(s.SLO.Attainment)
	g("probe_goodput_requests_per_second", "SLO-meeting requests per second in the probe window.").Set(s.GoodputRPS)
	if rep.Stats.TimeToFirstAnswer.Count > 0 {
		q("probe_time_to_first_answer_seconds", "Time to first answer token percentiles of the probe window.", rep.Stats.TimeToFirstAnswer)
	}
	if len(rep.Checks) > 0 {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_check_success",
			Help: "1 if every answer of the probe window that a check judged passed it, else 0."}, []string{"check"})
		reg.MustRegister(v)
		for name, c := range rep.Checks {
			ok := 0.0
			if c.Failed == 0 && c.Passed > 0 {
				ok = 1
			}
			v.WithLabelValues(name).Set(ok)
		}
	}
	return reg
}
