package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
)

func registerCapacity(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "inferno", Name: "capacity_requests_per_second",
		Help: "Highest request rate whose SLO attainment met the objective in the last capacity search (arrival kind capacity); 0 when no rate did."},
		windowLabels)
	reg.MustRegister(g)
	return g
}

// CapacityDone records a finished capacity search. An aborted search has
// proven nothing, so the last finished one's figure stays.
func (c *Collector) CapacityDone(l Labels, rep *report.Report) {
	if rep.Capacity == nil || rep.Run.Status != report.StatusFinished {
		return
	}
	c.capacity.WithLabelValues(l.values()...).Set(rep.Capacity.RequestsPerSecond)
}
