// Package collector holds Inferno's Prometheus metrics: the long-lived
// collector behind /metrics and the per-probe registry behind /probe.
package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/stats"
)

// Bucket boundaries are vLLM's server-side ones, so the client's and the
// server's histograms line up on one dashboard.
var (
	TTFTBuckets    = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}
	TokenBuckets   = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}
	LatencyBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}
	LagBuckets     = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	// SetupBuckets span a loopback dial (tens of µs) to a slow TLS
	// handshake across the world (seconds).
	SetupBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// Labels are the bounded label set of every window series.
type Labels struct {
	Target, Model, Workload string
}

func (l Labels) values() []string { return []string{l.Target, l.Model, l.Workload} }

var windowLabels = []string{"target", "model", "workload"}

// Percentiles exported from each window's report, labelled as Prometheus
// users query quantiles everywhere else (summaries, histogram_quantile's
// first argument): quantile="0.5", not percentile="p50".
var quantiles = []struct {
	label string
	pick  func(stats.Stats) float64
}{
	{"0.5", func(s stats.Stats) float64 { return s.P50 }},
	{"0.9", func(s stats.Stats) float64 { return s.P90 }},
	{"0.95", func(s stats.Stats) float64 { return s.P95 }},
	{"0.99", func(s stats.Stats) float64 { return s.P99 }},
}

func histogram(name, help string, buckets []float64) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "inferno", Name: name, Help: help, Buckets: buckets,
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  160,
		NativeHistogramMinResetDuration: time.Hour,
	}, windowLabels)
}

// Collector is the long-lived metrics set.
type Collector struct {
	ttft, ttftSched, tpot, itl, latency, lag *prometheus.HistogramVec

	requests         *prometheus.CounterVec
	protocolWarnings *prometheus.CounterVec
	inputTokens      *prometheus.CounterVec
	outputTokens     *prometheus.CounterVec
	windows          *prometheus.CounterVec
	windowsRunning   prometheus.Gauge
	lastEnd          *prometheus.GaugeVec
	lastSuccess      *prometheus.GaugeVec
	lastTTFT         *windowSummary // see quantiles.go
	lastTPOT         *windowSummary
	lastITL          *windowSummary
	lastThroughput   *prometheus.GaugeVec
	lastRPS          *prometheus.GaugeVec
	lastSuccessRPS   *prometheus.GaugeVec
	lastGoodput      *prometheus.GaugeVec
	lastSLO          *prometheus.GaugeVec
	lastFailureRatio *prometheus.GaugeVec
	lastLagP99       *prometheus.GaugeVec
	costPerMTokens   *prometheus.GaugeVec
	capacity         capacitySeries // see capacity.go
	server           serverGauges   // see server.go
	answers          *answerMetrics // see answers.go

	ReloadSuccess     prometheus.Gauge
	ReloadTimestamp   prometheus.Gauge
	ReportWriteErrors prometheus.Counter

	connectionSetup *prometheus.HistogramVec
}

// New creates the collector and registers it on reg.
func New(reg prometheus.Registerer) *Collector {
	gauge := func(name, help string, extra ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "inferno", Name: name, Help: help}, append(append([]string{}, windowLabels...), extra...))
	}
	c := &Collector{
		ttft:      histogram("time_to_first_token_seconds", "Time from sending a request to its first generated token.", TTFTBuckets),
		ttftSched: histogram("time_to_first_token_from_schedule_seconds", "Time from a request's scheduled send to its first generated token.", TTFTBuckets),
		tpot:      histogram("time_per_output_token_seconds", "Decode time per output token after the first, per request.", TokenBuckets),
		itl:       histogram("inter_token_latency_seconds", "Gaps between consecutive generated tokens.", TokenBuckets),
		latency:   histogram("request_duration_seconds", "End-to-end request latency.", LatencyBuckets),
		lag:       histogram("schedule_lag_seconds", "How late requests went out against their schedule.", LagBuckets),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "requests_total",
			Help: "Requests sent, by outcome."}, append(append([]string{}, windowLabels...), "outcome")),
		protocolWarnings: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "protocol_warnings_total",
			Help: "Successful requests whose stream broke the protocol without losing the answer (no [DONE] after finish_reason or usage)."}, windowLabels),
		inputTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "input_tokens_total",
			Help: "Prompt tokens of successful requests."}, windowLabels),
		outputTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "output_tokens_total",
			Help: "Generated tokens of successful requests."}, windowLabels),
		windows: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "inferno", Name: "windows_total",
			Help: "Benchmark windows by result: success, failed (no request succeeded), aborted, skipped (previous still running)."},
			[]string{"target", "workload", "result"}),
		windowsRunning: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "inferno", Name: "windows_in_progress",
			Help: "Benchmark windows running now."}),
		lastEnd:        gauge("last_window_end_timestamp_seconds", "When the last window ended."),
		lastSuccess:    gauge("last_window_success", "1 if at least one request of the last window succeeded."),
		lastTTFT:       newWindowSummary("inferno_last_window_ttft_seconds", "TTFT quantiles of the last window.", windowLabels),
		lastTPOT:       newWindowSummary("inferno_last_window_tpot_seconds", "TPOT quantiles of the last window.", windowLabels),
		lastITL:        newWindowSummary("inferno_last_window_itl_seconds", "Inter-token latency quantiles of the last window.", windowLabels),
		lastThroughput: gauge("last_window_output_tokens_per_second", "Output tokens per second over the last window."),
		lastRPS:        gauge("last_window_requests_per_second", "Responses per second over the last window, failures included."),
		lastSuccessRPS: gauge("last_window_successful_requests_per_second",
			"Successful requests per second over the last window (vLLM's request_throughput)."),
		lastGoodput:      gauge("last_window_goodput_requests_per_second", "SLO-meeting requests per second over the last window."),
		lastSLO:          gauge("last_window_slo_attainment_ratio", "Share of the last window's requests that met the SLO."),
		lastFailureRatio: gauge("last_window_failure_ratio", "Share of the last window's requests that failed."),
		lastLagP99:       gauge("last_window_schedule_lag_p99_seconds", "99th percentile schedule lag of the last window."),
		costPerMTokens:   gauge("cost_per_million_output_tokens", "Target cost per hour divided by its measured output tokens per hour, per million."),
		ReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "inferno", Name: "config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful."}),
		ReloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "inferno", Name: "config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload."}),
		ReportWriteErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "inferno", Name: "report_write_errors_total",
			Help: "Reports that could not be written to the archive."}),
	}
	c.connectionSetup = histogram("connection_setup_seconds",
		"Time to open a connection to the target (DNS, connect, TLS), for every connection the prober opened, warm-up included.", SetupBuckets)
	reg.MustRegister(c.connectionSetup)
	reg.MustRegister(c.ttft, c.ttftSched, c.tpot, c.itl, c.latency, c.lag, c.requests, c.protocolWarnings, c.inputTokens, c.outputTokens,
		c.windows, c.windowsRunning, c.lastEnd, c.lastSuccess, c.lastTTFT, c.lastTPOT, c.lastITL, c.lastThroughput,
		c.lastRPS, c.lastSuccessRPS, c.lastGoodput, c.lastSLO, c.lastFailureRatio, c.lastLagP99, c.costPerMTokens,
		c.ReloadSuccess, c.ReloadTimestamp, c.ReportWriteErrors)
	c.capacity = registerCapacity(reg)
	c.server = registerServer(reg, gauge)
	c.answers = registerAnswers(reg)
	return c
}

// Observe records one finished request, so a long window shows progress.
func (c *Collector) Observe(l Labels, r *result.Result) {
	if r.Model != "" {
		// A model mix's: one of the workload's configured models, so the
		// label stays bounded by that list.
		l.Model = r.Model
	}
	lv := l.values()
	c.requests.WithLabelValues(append(lv, string(r.Outcome))...).Inc()
	if v, ok := r.ScheduleLag(); ok {
		c.lag.WithLabelValues(lv...).Observe(v.Seconds())
	}
	c.ObserveConnection(l, r.Conn)
	if !r.Succeeded() {
		return
	}
	if r.ProtocolWarning != "" {
		c.protocolWarnings.WithLabelValues(lv...).Inc()
	}
	ex := exemplar(r)
	if v, ok := r.TTFT(); ok {
		observe(c.ttft.WithLabelValues(lv...), v.Seconds(), ex)
	}
	if v, ok := r.TTFTFromSchedule(); ok {
		c.ttftSched.WithLabelValues(lv...).Observe(v.Seconds())
	}
	if v, ok := r.TPOT(); ok {
		observe(c.tpot.WithLabelValues(lv...), v.Seconds(), ex)
	}
	if v, ok := r.Latency(); ok {
		observe(c.latency.WithLabelValues(lv...), v.Seconds(), ex)
	}
	itl := c.itl.WithLabelValues(lv...)
	for _, gap := range r.ITL {
		itl.Observe(gap.Seconds())
	}
	c.inputTokens.WithLabelValues(lv...).Add(float64(r.InputTokens))
	c.outputTokens.WithLabelValues(lv...).Add(float64(r.OutputTokens))
	c.answers.observe(lv, r)
}

// ObserveConnection records a connection the prober opened: a measured
// request's, or one opened before its window (warm connections, warm-up).
// A request that reused a connection opened none.
func (c *Collector) ObserveConnection(l Labels, p result.ConnPhases) {
	if d, ok := p.Setup(); ok {
		c.connectionSetup.WithLabelValues(l.values()...).Observe(d.Seconds())
	}
}

// InitOutcomes exports every outcome's request counter for the labels, at
// 0 until one happens, so a rate over an outcome that has not occurred
// (not_sent, say) is 0 rather than no data.
func (c *Collector) InitOutcomes(l Labels) {
	for _, o := range result.Outcomes {
		c.requests.WithLabelValues(append(l.values(), string(o))...)
	}
}

// windowResults are inferno_windows_total's result values.
var windowResults = []string{"success", "failed", "aborted", "skipped"}

// InitWindows exports a scheduled target and workload's window counter
// for every result, at 0 until one happens: an alert on the rate of
// failed or skipped windows reads 0 from the schedule's first load, not
// no data.
func (c *Collector) InitWindows(target, workload string) {
	for _, r := range windowResults {
		c.windows.WithLabelValues(target, workload, r)
	}
}

// WindowStarted and WindowEnded bracket a window in progress; WindowEnded
// belongs in a defer, so a window that panics is not counted forever.
func (c *Collector) WindowStarted() { c.windowsRunning.Inc() }

// WindowEnded is WindowStarted's pair.
func (c *Collector) WindowEnded() { c.windowsRunning.Dec() }

// WindowSkipped counts a window not run because the previous one for the
// same schedule and target was still running.
func (c *Collector) WindowSkipped(target, workload string) {
	c.windows.WithLabelValues(target, workload, "skipped").Inc()
}

// WindowAbortedBeforeStart counts a window cancelled (by shutdown or the
// runs API) while it waited for a slot: archived as aborted, so counted as
// aborted too, with no figures to record.
func (c *Collector) WindowAbortedBeforeStart(target, workload string) {
	c.windows.WithLabelValues(target, workload, "aborted").Inc()
}

// WindowDone records a finished window's gauges. costPerHour ≤ 0 means the
// target has no cost.
func (c *Collector) WindowDone(l Labels, rep *report.Report, end time.Time, costPerHour float64) {
	lv := l.values()
	outcome := "success"
	switch {
	case rep.Run.Status == report.StatusAborted:
		outcome = "aborted"
	case rep.Summary.Successes == 0:
		outcome = "failed"
	}
	c.windows.WithLabelValues(l.Target, l.Workload, outcome).Inc()
	c.lastEnd.WithLabelValues(lv...).Set(float64(end.UnixNano()) / 1e9)
	success := 0.0
	if rep.Summary.Successes > 0 {
		success = 1
	}
	c.lastSuccess.WithLabelValues(lv...).Set(success)
	// A window without a success has no latency to tell: its gauges are
	// removed, not set to 0, so a dead endpoint never reads as fast. A
	// statistic without values (TPOT of one-token answers) is removed too.
	for _, g := range []struct {
		vec   *windowSummary
		stats stats.Stats
	}{{c.lastTTFT, rep.Stats.TTFT}, {c.lastTPOT, rep.Stats.TPOT}, {c.lastITL, rep.Stats.ITL}} {
		if g.stats.Count == 0 || rep.Summary.Successes == 0 {
			g.vec.remove(lv)
			continue
		}
		g.vec.set(lv, g.stats)
	}
	c.answers.windowDone(l, rep)
	s := rep.Summary
	c.lastThroughput.WithLabelValues(lv...).Set(s.OutputThroughput)
	c.lastRPS.WithLabelValues(lv...).Set(s.RPS)
	c.lastSuccessRPS.WithLabelValues(lv...).Set(s.SuccessfulRPS)
	c.lastGoodput.WithLabelValues(lv...).Set(s.GoodputRPS)
	c.lastSLO.WithLabelValues(lv...).Set(s.SLO.Attainment)
	c.lastFailureRatio.WithLabelValues(lv...).Set(1 - s.SuccessRate)
	c.lastLagP99.WithLabelValues(lv...).Set(rep.Stats.ScheduleLag.P99)
	if costPerHour > 0 && s.OutputThroughput > 0 {
		c.costPerMTokens.WithLabelValues(lv...).Set(costPerHour / (s.OutputThroughput * 3600) * 1e6)
	} else {
		c.costPerMTokens.DeleteLabelValues(lv...)
	}
	c.server.set(lv, rep.Server)
}

// Forget removes every series of the given labels; an empty label matches
// any value, and all empty forgets nothing. A reload calls it for the
// targets, workloads and schedules it removed, so their last figures do
// not linger on /metrics as if still measured.
func (c *Collector) Forget(target, workload string) int {
	match := prometheus.Labels{}
	if target != "" {
		match["target"] = target
	}
	if workload != "" {
		match["workload"] = workload
	}
	if len(match) == 0 {
		return 0
	}
	n := 0
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{c.ttft, c.ttftSched, c.tpot, c.itl, c.latency, c.lag, c.connectionSetup, c.requests, c.protocolWarnings, c.inputTokens, c.outputTokens,
		c.windows, c.lastEnd, c.lastSuccess, c.lastTTFT, c.lastTPOT, c.lastITL, c.lastThroughput, c.lastRPS, c.lastSuccessRPS, c.lastGoodput,
		c.lastSLO, c.lastFailureRatio, c.lastLagP99, c.costPerMTokens} {
		n += v.DeletePartialMatch(match)
	}
	for _, v := range c.capacity.vecs() {
		n += v.DeletePartialMatch(match)
	}
	n += c.server.forget(match)
	return n + c.answers.forget(match)
}
