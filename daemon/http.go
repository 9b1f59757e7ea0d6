package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/window"
)

// Handler returns the daemon's HTTP routes.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	gatherers := prometheus.Gatherers{d.registry}
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.HandleFunc("GET /probe", d.handleProbe)
	mux.HandleFunc("POST /-/reload", d.handleReload)
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.HandleFunc("GET /config", d.handleConfig)
	mux.HandleFunc("GET /api/v1/runs", d.handleListRuns)
	mux.HandleFunc("POST /api/v1/runs", d.handleCreateRun)
	mux.HandleFunc("GET /api/v1/runs/{id}", d.handleGetRun)
	mux.HandleFunc("DELETE /api/v1/runs/{id}", d.handleDeleteRun)
	mux.HandleFunc("GET /api/v1/runs/{id}/report", d.handleRunReport)
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", d.handleCancelRun)
	mux.HandleFunc("GET /{$}", d.handleStatus)
	// The old tool's report route is the runs API's.
	mux.HandleFunc("GET /tests/report/json/{id}", d.handleRunReport)
	d.legacy.Routes(mux)
	d.reports.Routes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every route's body is bounded, those that take none included;
		// definitions are held to limits.max_body_bytes on top.
		r.Body = http.MaxBytesReader(w, r.Body, jsonapi.MaxBody)
		mux.ServeHTTP(w, r)
	})
}

func (d *Daemon) handleReload(w http.ResponseWriter, r *http.Request) {
	err := d.Reload()
	if errors.Is(err, ErrReloadQueued) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, err)
		return
	}
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "reload failed, previous config kept: %v", err)
		return
	}
	fmt.Fprintln(w, "config reloaded")
}

func (d *Daemon) handleConfig(w http.ResponseWriter, r *http.Request) {
	// prometheus/common's Secret marshals as <secret>, so credentials in
	// http_client never leave the process.
	b, err := yaml.Marshal(redactedConfig(d.Config()))
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "encode config: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(b)
}

// ResolveProbe is /probe's door: a configured target's name or a URL the
// module allows (with the module's API and model), and the module's
// workload.
func ResolveProbe(cfg *config.Config, moduleName, target string) (*config.Target, *config.Workload, error) {
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

// handleProbe runs a module's workload against a target and answers from a
// fresh registry, as blackbox_exporter does.
func (d *Daemon) handleProbe(w http.ResponseWriter, r *http.Request) {
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
	t, workload, err := ResolveProbe(cfg, moduleName, targetParam)
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
	if err := d.reservePending(); err != nil {
		http.Error(w, err.Error(), http.StatusTooManyRequests)
		return
	}
	// The answer comes after the window: the server's WriteTimeout is for
	// quick routes, and this one may take its whole timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + time.Minute))
	job := &windowJob{ID: report.NewRunID(start), Trigger: "probe", Target: t, Workload: workload,
		Global: cfg.Global, Archive: m.Archive, Deadline: timeout, pending: true}
	rep := d.execute(r.Context(), job)
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
		start.Format(time.RFC3339Nano), module, window.RedactedTarget(t).URL, t.API, t.Model, timeout)
	s := rep.Summary
	fmt.Fprintf(&b, "msg=\"window ended\" run=%s status=%s transport=%q requests=%d successes=%d ttft_p50=%s tpot_p50=%s\n",
		rep.Run.ID, rep.Run.Status, rep.Run.Transport, s.Requests, s.Successes, p50Text(rep, rep.Stats.TTFT), p50Text(rep, rep.Stats.TPOT))
	if rep.Run.Error != "" {
		fmt.Fprintf(&b, "msg=\"window error\" err=%q\n", rep.Run.Error)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "msg=\"request failures\" outcome=%s status=%d count=%d reason=%q\n", e.Outcome, e.Status, e.Count, e.Reason)
	}
	return b.String()
}

// createRunRequest is POST /api/v1/runs: a target and workload, each by
// name or inline.
type createRunRequest struct {
	Target   json.RawMessage `json:"target"`
	Workload json.RawMessage `json:"workload"`
}

func (d *Daemon) handleCreateRun(w http.ResponseWriter, r *http.Request) {
	var req createRunRequest
	cfg := d.Config()
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(cfg.Limits.MaxBodyBytes)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "request body: %v", jsonapi.BodyError(err))
		return
	}
	in, err := runInput(req)
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	t, wl, err := cfg.Resolve(cfg.RunsAPIDoor(), in)
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	run, err := d.TryStartRun(report.NewRunID(time.Now()), t, wl, "api")
	if err != nil {
		w.Header().Set("Retry-After", "60")
		jsonapi.WriteError(w, http.StatusTooManyRequests, "%v", err)
		return
	}
	w.Header().Set("Location", "/api/v1/runs/"+run.id)
	jsonapi.Write(w, http.StatusAccepted, run.View())
}

// runInput reads each of the body's target and workload as a JSON
// string (a configured name) or an object (a definition for the config
// to resolve: JSON is YAML).
func runInput(req createRunRequest) (config.Input, error) {
	var in config.Input
	for _, part := range []struct {
		what string
		raw  json.RawMessage
		name *string
		text *[]byte
	}{{"target", req.Target, &in.TargetName, &in.TargetText}, {"workload", req.Workload, &in.WorkloadName, &in.WorkloadText}} {
		switch {
		case len(part.raw) == 0 || string(part.raw) == "null":
			return in, fmt.Errorf("%s is missing", part.what)
		case json.Unmarshal(part.raw, part.name) == nil:
			if *part.name == "" {
				return in, fmt.Errorf("%s: an empty name", part.what)
			}
		default:
			*part.text = part.raw
		}
	}
	return in, nil
}

func (d *Daemon) handleListRuns(w http.ResponseWriter, r *http.Request) {
	q, kept, err := d.runsQuery(r.URL.Query())
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	page, err := d.listRuns(r.Context(), q)
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	page.query = kept
	views := make([]RunView, 0, len(page.runs))
	for _, run := range page.runs {
		views = append(views, run.View())
	}
	if page.next != "" {
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, page.link("/api/v1/runs")))
	}
	jsonapi.Write(w, http.StatusOK, views)
}

func (d *Daemon) lookupRun(w http.ResponseWriter, r *http.Request) *Run {
	id := r.PathValue("id")
	if !report.ValidRunID(id) {
		jsonapi.WriteError(w, http.StatusBadRequest, "invalid run id")
		return nil
	}
	run := d.run(id)
	if run == nil {
		jsonapi.WriteError(w, http.StatusNotFound, "no run %q", id)
	}
	return run
}

func (d *Daemon) handleGetRun(w http.ResponseWriter, r *http.Request) {
	if run := d.lookupRun(w, r); run != nil {
		jsonapi.Write(w, http.StatusOK, run.View())
	}
}

func (d *Daemon) handleRunReport(w http.ResponseWriter, r *http.Request) {
	run := d.lookupRun(w, r)
	if run == nil {
		return
	}
	path := run.ReportPath()
	if path == "" {
		jsonapi.WriteError(w, http.StatusConflict, "run %s has no report yet (status %s)", run.id, run.View().Status)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		jsonapi.WriteError(w, http.StatusGone, "report of run %s cannot be read: %v", run.id, errors.Unwrap(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (d *Daemon) handleCancelRun(w http.ResponseWriter, r *http.Request) {
	if run := d.lookupRun(w, r); run != nil {
		run.Cancel()
		jsonapi.Write(w, http.StatusAccepted, run.View())
	}
}

func (d *Daemon) handleDeleteRun(w http.ResponseWriter, r *http.Request) {
	run := d.lookupRun(w, r)
	if run == nil {
		return
	}
	if !run.Finished() {
		jsonapi.WriteError(w, http.StatusConflict, "run %s is still %s; cancel it first", run.id, run.View().Status)
		return
	}
	// The files go first, then the entry: after a crash between the two
	// the entry has no report and the next start drops it.
	if p := run.ReportPath(); p != "" {
		for _, f := range reportFiles(p, run.id) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				jsonapi.WriteError(w, http.StatusInternalServerError, "delete report: %v", errors.Unwrap(err))
				return
			}
		}
	}
	if d.index != nil {
		if err := d.index.Delete(run.id); err != nil {
			jsonapi.WriteError(w, http.StatusInternalServerError, "the report is deleted, but not its index entry (the next start drops it): %v", err)
			return
		}
	}
	d.pages.Forget(run.id)
	d.runs.remove(run.id)
	w.WriteHeader(http.StatusNoContent)
}

// p50Text is a statistic's median for logs: "none" without a success, so
// a dead endpoint's window never logs a latency of 0.
func p50Text(rep *report.Report, st report.Stats) string {
	if rep.Summary.Successes == 0 || st.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("%.4fs", st.P50)
}
