package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
)

// capacitySeries are a capacity search's own series. A search overloads
// its endpoint on purpose, so its requests never feed the window series
// (latency histograms, request outcomes, last-window gauges) that the
// latency, SLO and failure alerts read.
type capacitySeries struct {
	found                                  *prometheus.GaugeVec
	stepRate, stepAttainment, stepComplete *prometheus.GaugeVec
	stepPassed                             *prometheus.GaugeVec
}

func registerCapacity(reg prometheus.Registerer) capacitySeries {
	gauge := func(name, help string, extra ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "inferno", Name: name, Help: help},
			append(append([]string{}, windowLabels...), extra...))
	}
	c := capacitySeries{
		found: gauge("capacity_requests_per_second",
			"Highest request rate that was sustainable under the SLO objective in the last capacity search (arrival kind capacity); 0 when no rate was. bracketed=\"false\" when no step failed above it: the capacity is then at least this.",
			"bracketed"),
		stepRate: gauge("capacity_step_offered_requests_per_second",
			"Offered rate of each step of the last capacity search.", "step"),
		stepAttainment: gauge("capacity_step_slo_attainment_ratio",
			"SLO attainment of each step of the last capacity search, every arrival judged.", "step"),
		stepComplete: gauge("capacity_step_completed_requests_per_second",
			"Rate at which each step's arrivals completed in the last capacity search.", "step"),
		stepPassed: gauge("capacity_step_passed",
			"1 if the step of the last capacity search was sustainable under the SLO objective.", "step"),
	}
	reg.MustRegister(c.found, c.stepRate, c.stepAttainment, c.stepComplete, c.stepPassed)
	return c
}

func (c capacitySeries) vecs() []*prometheus.GaugeVec {
	return []*prometheus.GaugeVec{c.found, c.stepRate, c.stepAttainment, c.stepComplete, c.stepPassed}
}

// CapacityDone records a finished capacity search, in its own series
// only. An aborted search has proven nothing, so the last finished one's
// figures stay.
func (c *Collector) CapacityDone(l Labels, rep *report.Report) {
	outcome := "success"
	switch {
	case rep.Run.Status == report.StatusAborted:
		outcome = "aborted"
	case rep.Summary.Successes == 0:
		outcome = "failed"
	}
	c.windows.WithLabelValues(l.Target, l.Workload, outcome).Inc()
	if rep.Capacity == nil || rep.Run.Status != report.StatusFinished {
		return
	}
	lv := l.values()
	match := prometheus.Labels{"target": l.Target, "model": l.Model, "workload": l.Workload}
	// The last search's steps replace the one before's, however many
	// there were; and its figure is bracketed or not, never both.
	for _, v := range c.capacity.vecs() {
		v.DeletePartialMatch(match)
	}
	cp := rep.Capacity
	c.capacity.found.WithLabelValues(append(lv, strconv.FormatBool(cp.Bracketed))...).Set(cp.RequestsPerSecond)
	for i, st := range cp.Steps {
		step := append(append([]string{}, lv...), strconv.Itoa(i))
		c.capacity.stepRate.WithLabelValues(step...).Set(st.Rate)
		c.capacity.stepAttainment.WithLabelValues(step...).Set(st.Attainment)
		c.capacity.stepComplete.WithLabelValues(step...).Set(st.CompletedRate)
		passed := 0.0
		if st.Passed {
			passed = 1
		}
		c.capacity.stepPassed.WithLabelValues(step...).Set(passed)
	}
}
