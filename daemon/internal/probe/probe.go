// Package probe is the daemon's /probe: a module's workload run against a
// target as one window, answered from a fresh registry as
// blackbox_exporter answers.
package probe

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/redact"
	"github.com/inferno-llm/inferno/report"
)

// Windows is the daemon as /probe uses it.
type Windows interface {
	// Config is the config in force.
	Config() *config.Config
	// Reserve takes a place in the bounded queue of windows waiting for a
	// slot, or says why there is none; Run gives it back.
	Reserve() error
	// Run runs a reserved probe window as run id under g, ending within
	// deadline (or when ctx ends).
	Run(ctx context.Context, id string, t *config.Target, w *config.Workload, g config.Global, archive bool, deadline time.Duration) *report.Report
}

// Resolve is /probe's door: a configured target's name or a URL the
// module allows (with the module's API and model), and the module's
// workload.
func Resolve(cfg *config.Config, moduleName, target string) (*config.Target, *config.Workload, error) {
	m, ok := cfg.Modules[moduleName]
	if !ok {
		return nil, nil, fmt.Errorf("unknown module %q", moduleName)
	}
	in := config.Input{WorkloadName: m.Workload, TargetName: target}
	if cfg.Target(target) == nil {
		t := config.NewTarget()
		t.Name, t.URL, t.API, t.Model = "url", target, m.API, m.Model
		in.TargetName, in.Target = "", t
	}
	return cfg.Resolve(m.ProbeDoor(moduleName), in)
}

// probeTimeoutOffset leaves Prometheus time to receive the answer.
const probeTimeoutOffset = 500 * time.Millisecond

// Handler runs a module's workload against a target and answers from a
// fresh registry, as blackbox_exporter does.
func Handler(d Windows) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { serve(d, w, r) }
}

func serve(d Windows, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	cfg := d.Config()
	moduleName, targetParam := q.Get("module"), q.Get("target")
	m, ok := cfg.Modules[moduleName]
	if !ok {
		http.Error(w, fmt.Sprintf("unknown module %q", moduleName), http.StatusBadRequest)
		return
	}
	if targetParam == "" {
		http.Error(w, "target parameter is missing", http.StatusBadRequest)
		return
	}
	t, workload, err := Resolve(cfg, moduleName, targetParam)
	if err != nil {
		http.Error(w, fmt.Sprintf("target %q: %v", targetParam, err), http.StatusBadRequest)
		return
	}
	timeout := 30 * time.Second
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
			timeout = time.Duration(secs*float64(time.Second)) - probeTimeoutOffset
		}
	}
	if m.Timeout > 0 && time.Duration(m.Timeout) < timeout {
		timeout = time.Duration(m.Timeout)
	}
	if timeout <= 0 {
		http.Error(w, "scrape timeout too short for a probe", http.StatusBadRequest)
		return
	}
	// A probe waits for a slot in the same bounded queue as API runs: an
	// unbounded one kept every abandoned probe for the retention period.
	if err := d.Reserve(); err != nil {
		http.Error(w, err.Error(), http.StatusTooManyRequests)
		return
	}
	// The answer comes after the window: the server's WriteTimeout is for
	// quick routes, and this one may take its whole timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + time.Minute))
	rep := d.Run(r.Context(), report.NewRunID(start), t, workload, cfg.Global, m.Archive, timeout)
	success := rep.Run.Status == report.StatusFinished && rep.Summary.Successes > 0
	reg := collector.ProbeRegistry(rep, success, time.Since(start).Seconds())

	if q.Get("debug") == "true" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Logs for the probe:\n%s\n\nMetrics that would have been returned:\n", probeLog(start, moduleName, t, timeout, rep))
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			expfmt.MetricFamilyToText(w, mf)
		}
		return
	}
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

func probeLog(start time.Time, module string, t *config.Target, timeout time.Duration, rep *report.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s msg=\"beginning probe\" module=%s target=%s api=%s model=%q deadline=%s\n",
		start.Format(time.RFC3339Nano), module, redact.URL(t.URL), t.API, t.Model, timeout)
	s := rep.Summary
	fmt.Fprintf(&b, "msg=\"window ended\" run=%s status=%s transport=%q requests=%d successes=%d ttft_p50=%s tpot_p50=%s\n",
		rep.Run.ID, rep.Run.Status, rep.Run.Transport, s.Requests, s.Successes, rep.P50Text(rep.Stats.TTFT), rep.P50Text(rep.Stats.TPOT))
	if rep.Run.Error != "" {
		fmt.Fprintf(&b, "msg=\"window error\" err=%q\n", rep.Run.Error)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "msg=\"request failures\" outcome=%s status=%d count=%d reason=%q\n", e.Outcome, e.Status, e.Count, e.Reason)
	}
	return b.String()
}
