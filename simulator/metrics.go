package simulator

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultKVCacheTokens is the simulated KV cache's size in tokens.
const DefaultKVCacheTokens = 1 << 16

// vLLM's own histogram buckets (vllm/engine/metrics.py). The simulator
// states them itself, as the server it stands in for does; collector's
// client-side buckets are the same, so both line up on one dashboard
// (TestBucketsMatchCollector holds them together).
var (
	vllmTTFTBuckets    = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}
	vllmTokenBuckets   = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}
	vllmLatencyBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}
)

// serverMetrics are the server-side metrics vLLM exports, under vLLM's
// names, labels and buckets, so a dashboard can set Inferno's client-side
// TTFT beside the server's own against the simulator as against vLLM, and
// Inferno's server view (servermetrics) can be tested offline.
type serverMetrics struct {
	handler http.Handler
	ttft    prometheus.Observer
	tpot    prometheus.Observer
	e2e     prometheus.Observer
	queue   prometheus.Observer
	running prometheus.Gauge
	waiting prometheus.Gauge
	// kvTokens are the tokens of requests running, prompt and generated;
	// read only when scraped.
	kvTokens atomic.Int64

	prefixQueries, prefixHits prometheus.Counter
	prefixMu                  sync.Mutex
	prefixSeen                map[uint64]struct{}
	prefixCap                 int
}

func newServerMetrics(model string, kvCacheTokens int) *serverMetrics {
	if kvCacheTokens <= 0 {
		kvCacheTokens = DefaultKVCacheTokens
	}
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"model_name": model}
	hist := func(name, help string, buckets []float64) prometheus.Observer {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets, ConstLabels: labels})
		reg.MustRegister(h)
		return h
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(g)
		return g
	}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(c)
		return c
	}
	m := &serverMetrics{
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		ttft:    hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", vllmTTFTBuckets),
		tpot:    hist("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", vllmTokenBuckets),
		e2e:     hist("vllm:e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.", vllmLatencyBuckets),
		// vLLM's queue-time histogram has its request-latency buckets.
		queue:   hist("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", vllmLatencyBuckets),
		running: gauge("vllm:num_requests_running", "Number of requests in model execution batches."),
		waiting: gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed."),
		prefixQueries: counter("vllm:prefix_cache_queries_total",
			"Prefix cache queries, in terms of number of queried tokens."),
		prefixHits: counter("vllm:prefix_cache_hits_total",
			"Prefix cache hits, in terms of number of cached tokens."),
		prefixSeen: map[uint64]struct{}{},
		prefixCap:  kvCacheTokens / blockWords,
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vllm:kv_cache_usage_perc",
		Help: "KV-cache usage. 1 means 100 percent usage.", ConstLabels: labels}, func() float64 {
		return min(float64(m.kvTokens.Load())/float64(kvCacheTokens), 1)
	}))
	return m
}

// lookupPrefix counts a prompt's tokens as prefix-cache queries and the
// tokens of its leading blocks already cached as hits, then caches its
// blocks. A full cache is emptied, as a crude eviction: the point is a
// hit ratio that follows how much prompts share, not vLLM's LRU.
func (m *serverMetrics) lookupPrefix(tokens int, blocks []uint64) {
	m.prefixMu.Lock()
	hits := 0
	for _, h := range blocks {
		if _, ok := m.prefixSeen[h]; !ok {
			break
		}
		hits++
	}
	if len(m.prefixSeen)+len(blocks) > m.prefixCap {
		clear(m.prefixSeen)
	}
	for _, h := range blocks {
		m.prefixSeen[h] = struct{}{}
	}
	m.prefixMu.Unlock()
	m.prefixQueries.Add(float64(tokens))
	m.prefixHits.Add(float64(min(hits*blockWords, tokens)))
}
