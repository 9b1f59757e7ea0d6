package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
)

// serverGauges are the last window's server view (the target's
// server_metrics) beside the client's. Each figure the server did not
// give, or a window without a server section, removes its series.
type serverGauges struct {
	ttft, overhead, queue       *prometheus.GaugeVec // by percentile
	kvCache, waiting, prefixHit *prometheus.GaugeVec
}

func registerServer(reg prometheus.Registerer, gauge func(name, help string, extra ...string) *prometheus.GaugeVec) serverGauges {
	g := serverGauges{
		ttft: gauge("last_window_server_ttft_seconds",
			"The server's own TTFT percentiles over the last window, from its histogram's change.", "percentile"),
		overhead: gauge("last_window_client_overhead_seconds",
			"Client TTFT less the server's at each percentile over the last window: time spent in front of the engine.", "percentile"),
		queue: gauge("last_window_server_queue_seconds",
			"The server's queue-time percentiles over the last window, from its histogram's change.", "percentile"),
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
	percentiles := func(vec *prometheus.GaugeVec, ok bool, p50, p95 float64) {
		for _, q := range []struct {
			label string
			v     float64
		}{{"p50", p50}, {"p95", p95}} {
			if ok {
				vec.WithLabelValues(append(lv, q.label)...).Set(q.v)
			} else {
				vec.DeleteLabelValues(append(lv, q.label)...)
			}
		}
	}
	if l := s.TTFT; l != nil {
		percentiles(g.ttft, true, l.P50, l.P95)
	} else {
		percentiles(g.ttft, false, 0, 0)
	}
	if l := s.Queue; l != nil {
		percentiles(g.queue, true, l.P50, l.P95)
	} else {
		percentiles(g.queue, false, 0, 0)
	}
	if o := s.ClientOverhead; o != nil {
		percentiles(g.overhead, true, o.P50, o.P95)
	} else {
		percentiles(g.overhead, false, 0, 0)
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

func gaugeMax(g *servermetrics.Gauge) *float64 {
	if g == nil {
		return nil
	}
	return &g.Max
}

func (g serverGauges) forget(match prometheus.Labels) int {
	n := 0
	for _, v := range []*prometheus.GaugeVec{g.ttft, g.overhead, g.queue, g.kvCache, g.waiting, g.prefixHit} {
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
