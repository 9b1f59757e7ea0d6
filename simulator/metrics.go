package simulator

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inferno-llm/inferno/collector"
)

// serverMetrics are the server-side metrics vLLM exports, under vLLM's
// names, labels and buckets, so a dashboard can set Inferno's client-side
// TTFT beside the server's own against the simulator as against vLLM.
type serverMetrics struct {
	handler http.Handler
	ttft    prometheus.Observer
	tpot    prometheus.Observer
	e2e     prometheus.Observer
	running prometheus.Gauge
}

func newServerMetrics(model string) *serverMetrics {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"model_name": model}
	hist := func(name, help string, buckets []float64) prometheus.Observer {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets, ConstLabels: labels})
		reg.MustRegister(h)
		return h
	}
	m := &serverMetrics{
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		ttft:    hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", collector.TTFTBuckets),
		tpot:    hist("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", collector.TokenBuckets),
		e2e:     hist("vllm:e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.", collector.LatencyBuckets),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vllm:num_requests_running",
			Help: "Number of requests currently running.", ConstLabels: labels}),
	}
	reg.MustRegister(m.running)
	return m
}
