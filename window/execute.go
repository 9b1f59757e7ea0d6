package window

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/common/version"

	"github.com/inferno-llm/inferno/capacity"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/redact"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
	"github.com/inferno-llm/inferno/stats"
)

// One executor out: the daemon's windows (schedules, /probe, the runs
// API, the old API) and `inferno run` all run a resolved window here, so
// the same target and workload give the same report wherever they ran,
// bar its id, times and trigger.

// Job is one resolved window to run.
type Job struct {
	ID      string
	Trigger string // schedule, probe, api, legacy, cli
	Spec    Spec
	// MaxRate bounds a capacity search's steps (limits.max_rate).
	MaxRate float64
	// ReportDir, when set, archives the report there, with a placeholder
	// while it runs so a kill -9 leaves a trace; HTML adds its page.
	ReportDir string
	HTML      bool
	// PerRequest, when set, receives one JSON line per request.
	PerRequest io.Writer
	// Tick is the schedule's tick that started a shared window.
	Tick time.Time

	// Hooks, each optional.
	OnBuilt      func(*loadgen.Window)          // the window is built and about to run
	OnResult     func(*result.Result)           // each request, as it completes
	OnConnection func(result.ConnPhases)        // each new connection
	OnStep       func(step report.CapacityStep) // each capacity step
	// OnPlaceholder is called once the placeholder is written.
	OnPlaceholder func(path string, placeholder *report.Report)
}

// Outcome is what a window left.
type Outcome struct {
	Report report.Report
	// Path is the archived report's, empty when none was written.
	Path string
	// BuildErr is set when the window could not be built: nothing ran.
	BuildErr error
	// WriteErr is set when the report (or its placeholder, or its page)
	// could not be written; WriteFailures counts the writes that failed.
	WriteErr      error
	WriteFailures int
	// AllFailed is the most frequent error of a window whose every
	// request failed (its status is then failed), else nil.
	AllFailed *report.ErrorCount
	// Notes are what went wrong beside the window without failing it
	// (a server_metrics endpoint that could not be set up), for the log.
	Notes []string
}

// Execute runs the job's window and assembles, redacts and archives its
// report. Setup and run errors yield a report with status failed.
func Execute(ctx context.Context, j Job) Outcome {
	w := j.Spec.Workload
	started := time.Now()
	meta := Meta(j, started)
	slo := report.SLO{TTFT: w.SLO.TTFT.D(), TPOT: w.SLO.TPOT.D(), E2E: w.SLO.E2E.D()}
	agg := report.NewAggregator(started, slo, j.PerRequest)
	var out Outcome
	if j.ReportDir != "" {
		placeholder := report.Report{Run: meta}
		placeholder.Run.Status = report.StatusRunning
		if path, err := report.Write(j.ReportDir, &placeholder); err != nil {
			out.writeFailed(fmt.Errorf("report placeholder not written: %w", err))
		} else if j.OnPlaceholder != nil {
			j.OnPlaceholder(path, &placeholder)
		}
	}
	win, err := Build(ctx, j.Spec)
	if err != nil {
		out.BuildErr = err
		meta.Status, meta.Error, meta.EndedAt = report.StatusFailed, err.Error(), time.Now()
		out.Report = agg.Report(meta)
		return finish(j, out)
	}
	meta.Target.API, meta.Transport = win.Target.API.Name(), win.Target.Transport
	win.OnStart = agg.SetStart
	// The server's view: its metrics scraped across the window, from its
	// start (after any warm-up). A capacity search's steps are not one
	// window, so it has none; nor has a probe, which must answer within
	// its scrape timeout and whose registry has no server figures.
	var server *servermetrics.Watcher
	if w.Arrival.Kind != "capacity" && j.Trigger != "probe" {
		var serr error
		if server, serr = ServerMetrics(j.Spec.Target); serr != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("server metrics not scraped: %v", serr))
		}
	}
	if server != nil {
		win.OnStart = func(t time.Time) {
			agg.SetStart(t)
			server.Start()
		}
		// Stops the sampling on every path; a second Stop returns at once.
		defer server.Stop()
	}
	var (
		warmMu    sync.Mutex
		warmSetup []float64
	)
	win.OnConnection = func(p result.ConnPhases) {
		if d, ok := p.Setup(); ok {
			warmMu.Lock()
			warmSetup = append(warmSetup, d.Seconds())
			warmMu.Unlock()
		}
		if j.OnConnection != nil {
			j.OnConnection(p)
		}
	}
	if j.OnBuilt != nil {
		j.OnBuilt(win)
	}
	sink := agg.Add
	if j.OnResult != nil {
		sink = func(r *result.Result) {
			agg.Add(r)
			j.OnResult(r)
		}
	}
	var info loadgen.RunInfo
	var found *report.Capacity
	if w.Arrival.Kind == "capacity" {
		search := &capacity.Search{Spec: w.Arrival, SLO: slo, Window: win, MaxRate: j.MaxRate, OnStep: j.OnStep}
		var c report.Capacity
		if c, info, err = search.Run(ctx, sink); err == nil {
			found = &c
		}
	} else {
		info, err = win.Run(ctx, sink)
	}
	// Each window has its own client; its idle connections would
	// otherwise linger for minutes.
	win.Target.Client.CloseIdleConnections()
	meta.EndedAt = time.Now()
	meta.Warmup, meta.WarmupFailed, meta.DeadlineHit = info.Warmup, info.WarmupFailed, info.DeadlineHit
	meta.WorkloadHash = info.WorkloadHash
	meta.WarmConnections, meta.GraceExpired = info.WarmConnections, info.GraceExpired
	meta.WindowSeconds, meta.GraceSeconds = info.Duration.Seconds(), info.Grace.Seconds()
	switch {
	case err != nil:
		meta.Status, meta.Error = report.StatusFailed, err.Error()
	case info.Aborted:
		meta.Status = report.StatusAborted
	default:
		meta.Status = report.StatusFinished
	}
	warmMu.Lock()
	if len(warmSetup) > 0 {
		st := stats.Summarize(warmSetup)
		meta.WarmConnectionSetup = &st
	}
	warmMu.Unlock()
	out.Report = agg.Report(meta)
	out.Report.Capacity = found
	if server != nil {
		out.Report.SetServer(server.Stop())
	}
	sum := &out.Report.Summary
	sum.CutByWindowEnd = info.CutByWindowEnd
	if info.Sessions > 0 && info.Sessions < sum.Requests {
		// Multi-turn: the arrival rate counts conversations, not requests.
		sum.Sessions = info.Sessions
		if sum.DurationSeconds > 0 {
			sum.SessionsPerSecond = float64(info.Sessions) / sum.DurationSeconds
		}
	}
	out.AllFailed = report.MarkAllFailed(&out.Report)
	if err := agg.PerRequestError(); err != nil {
		out.writeFailed(fmt.Errorf("per-request results: %w", err))
	}
	return finish(j, out)
}

// Meta is a job's report header before it runs: the same fields for the
// daemon and the CLI.
func Meta(j Job, started time.Time) report.Meta {
	t, w := j.Spec.Target, j.Spec.Workload
	meta := report.Meta{
		ID: j.ID, Trigger: j.Trigger, Version: version.Version, StartedAt: started,
		Target: RedactedTarget(t), Workload: w.Name, Seed: w.Seed,
		Config: map[string]any{"workload": ReportedWorkload(w), "target_labels": t.Labels, "hardware": t.Hardware,
			"cost_per_hour": t.CostPerHour},
		CostPerHour: t.CostPerHour,
	}
	if hw := t.Hardware; hw != nil {
		meta.Hardware = &report.Hardware{GPU: hw.GPU, Count: hw.Count}
	}
	if s := j.Spec.Share; s.Count > 1 {
		meta.Shard = &report.Shard{Index: s.Index, Count: s.Count, Tick: j.Tick}
	}
	return meta
}

// RedactedTarget is the target as reports show it: no credentials.
func RedactedTarget(t *config.Target) report.Target {
	return report.Target{Name: t.Name, URL: redact.URL(t.URL), API: t.API, Model: t.Model}
}

// finish redacts the report and archives it when the job says so.
func finish(j Job, out Outcome) Outcome {
	// Transport errors quote the URL; its key or signature must not
	// reach the archive, the runs API or the logs.
	rep := &out.Report
	rep.Run.Error = redact.Text(rep.Run.Error)
	for i := range rep.Errors {
		rep.Errors[i].Reason = redact.Text(rep.Errors[i].Reason)
	}
	if top := out.AllFailed; top != nil {
		// The "window failed" log line quotes it: redacted before any log.
		top.Reason = redact.Text(top.Reason)
	}
	if j.ReportDir == "" {
		return out
	}
	path, err := report.Write(j.ReportDir, rep)
	if err != nil {
		// Its placeholder would otherwise pass for an interrupted run
		// after a restart. (Unlinking needs no space on a full disk.)
		os.Remove(filepath.Join(j.ReportDir, report.FileName(j.ID)))
		out.writeFailed(fmt.Errorf("report not written: %w", err))
		return out
	}
	out.Path = path
	// The JSON is the record; its page can be rendered again from it.
	if !j.HTML {
		return out
	}
	if err := render.WriteReport(filepath.Join(j.ReportDir, report.HTMLFileName(j.ID)), rep); err != nil {
		out.writeFailed(fmt.Errorf("HTML report not written: %w", err))
	}
	return out
}

func (o *Outcome) writeFailed(err error) {
	o.WriteErr = errors.Join(o.WriteErr, err)
	o.WriteFailures++
}
