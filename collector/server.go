package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
	"github.com/inferno-llm/inferno/stats"
)

// serverGauges are the last window's server view (the target's
// server_metrics) beside the client's. Each figure the server did not
// give, or a window without a server section, removes its series.
type serverGauges struct {
	ttft, overhead, queue       *windowSummary // p50 and p95, as summaries
	kvCache, waiting, prefixHit *prometheus.GaugeVec
}

func registerServer(reg prometheus.Registerer, gauge func(name, help string, extra ...string) *prometheus.GaugeVec) serverGauges {
	g := serverGauges{
		ttft: serverSummary("last_window_server_ttft_seconds",
			"The server's own TTFT percentiles over the last window, from its histogram's change."),
		overhead: serverSummary("last_window_client_overhead_seconds",
			"Client TTFT less the server's at each percentile over the last window: time spent in front of the engine."),
		queue: serverSummary("last_window_server_queue_seconds",
			"The server's queue-time percentiles over the last window, from its histogram's change."),
		kvCache: gauge("last_window_server_kv_cache_usage_ratio",
			"Highest KV-cache usage the server reported during the last window (0 to 1)."),
		waiting: gauge("last_window_server_waiting_requests",
			"Most requests waiting in the server's queue during the last window."),
		prefixHit: gauge("last_window_prefix_cache_hit_ratio",
			"Share of prompt tokens the server's prefix cache served during the last window."),
	}
	reg.MustRegister(g.ttft, g.overhead, g.queue, g.kvCache, g.waiting, g.prefixHit)
	return g
}

func (g serverGauges) set(lv []string, s *servermetrics.Summary) {
	if s == nil {
		s = &servermetrics.Summary{}
	}
	latency := func(sum *windowSummary, l *servermetrics.Latency) {
		if l == nil {
			sum.remove(lv)
			return
		}
		sum.set(lv, stats.Stats{Count: int(l.Count), Mean: l.Mean, P50: l.P50, P95: l.P95})
	}
	latency(g.ttft, s.TTFT)
	latency(g.queue, s.Queue)
	if o, l := s.ClientOverhead, s.TTFT; o != nil && l != nil {
		g.overhead.set(lv, stats.Stats{Count: int(l.Count), Mean: o.Mean, P50: o.P50, P95: o.P95})
	} else {
		g.overhead.remove(lv)
	}
	one := func(vec *prometheus.GaugeVec, v *float64) {
		if v == nil {
			vec.DeleteLabelValues(lv...)
			return
		}
		vec.WithLabelValues(lv...).Set(*v)
	}
	one(g.kvCache, gaugeMax(s.KVCache))
	one(g.waiting, gaugeMax(s.Waiting))
	one(g.prefixHit, s.PrefixCacheHitRatio)
}

func serverSummary(name, help string) *windowSummary {
	w := newWindowSummary("inferno_"+name, help, windowLabels)
	w.only = []string{"0.5", "0.95"}
	return w
}

func gaugeMax(g *servermetrics.Gauge) *float64 {
	if g == nil {
		return nil
	}
	return &g.Max
}

func (g serverGauges) forget(match prometheus.Labels) int {
	n := 0
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{g.ttft, g.overhead, g.queue, g.kvCache, g.waiting, g.prefixHit} {
		n += v.DeletePartialMatch(match)
	}
	return n
}

// exemplar is a request's ids as exemplar labels, so a slow bucket on a
// dashboard leads to its line in the per-request file and to the
// server's trace; nil for a request without them.
func exemplar(r *result.Result) prometheus.Labels {
	id := r.RequestIDString()
	if id == "" {
		return nil
	}
	ex := prometheus.Labels{"request_id": id}
	if trace := r.TraceIDString(); trace != "" {
		ex["trace_id"] = trace
	}
	return ex
}

func observe(o prometheus.Observer, v float64, ex prometheus.Labels) {
	if eo, ok := o.(prometheus.ExemplarObserver); ok && ex != nil {
		eo.ObserveWithExemplar(v, ex)
		return
	}
	o.Observe(v)
}
