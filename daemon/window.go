package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/version"

	"github.com/inferno-llm/inferno/capacity"
	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/window"
)

// windowJob is one window to run: everything is resolved from the config
// snapshot it started under, so a reload never changes a window in flight.
type windowJob struct {
	ID       string
	Trigger  string // schedule, probe, api
	Target   *config.Target
	Workload *config.Workload
	Global   config.Global
	Archive  bool
	// Deadline, when set, shortens the workload's own (probes).
	Deadline time.Duration
	// Live, when set, receives each request as it completes.
	Live bool
	// Share, when active, makes the window this replica's share of a
	// window every replica runs (a load_share schedule).
	Share prober.Share
	// Tick is the schedule's tick that started a shared window, the same
	// on every replica; it tells one window's shards from the next's.
	Tick time.Time
	// MaxInFlight is limits.max_in_flight: the cap of an open-loop window
	// that sets no max_concurrency of its own.
	MaxInFlight int
	// pending marks a run counted in Daemon.pending until it has a slot.
	pending bool
}

// buildWindow turns config into a prober window, with the builder every
// entry point shares (inferno run's flags included).
func buildWindow(ctx context.Context, j *windowJob) (*prober.Window, error) {
	return window.Build(ctx, window.Spec{Target: j.Target, Workload: j.Workload, Global: j.Global,
		Deadline: j.Deadline, MaxInFlight: j.MaxInFlight, Share: j.Share})
}

// redactedTarget is the target as reports show it: no credentials.
func redactedTarget(t *config.Target) report.Target {
	return report.Target{Name: t.Name, URL: report.RedactURL(t.URL), API: t.API, Model: t.Model}
}

// runWindow executes a window and returns its report. Setup errors yield a
// report with status failed. The report is archived when the job says so.
func (d *Daemon) runWindow(ctx context.Context, j *windowJob, run *Run) *report.Report {
	labels := collector.Labels{Target: j.Target.Name, Model: j.Target.Model, Workload: j.Workload.Name}
	started := time.Now()
	meta := report.Meta{
		ID: j.ID, Trigger: j.Trigger, Version: version.Version, StartedAt: started,
		Target: redactedTarget(j.Target), Workload: j.Workload.Name, Seed: j.Workload.Seed,
		Config: map[string]any{"workload": window.ReportedWorkload(j.Workload), "target_labels": j.Target.Labels, "hardware": j.Target.Hardware,
			"cost_per_hour": j.Target.CostPerHour},
	}
	if hw := j.Target.Hardware; hw != nil {
		meta.Hardware = &report.Hardware{GPU: hw.GPU, Count: hw.Count}
	}
	meta.CostPerHour = j.Target.CostPerHour
	if j.Share.Count > 1 {
		meta.Shard = &report.Shard{Index: j.Share.Index, Count: j.Share.Count, Tick: j.Tick}
	}
	slo := report.SLO{TTFT: time.Duration(j.Workload.SLO.TTFT), TPOT: time.Duration(j.Workload.SLO.TPOT), E2E: time.Duration(j.Workload.SLO.E2E)}
	agg := report.NewAggregator(started, slo, nil)

	if j.Archive {
		// A placeholder, so a window cut short by kill -9 or a crash is
		// still in the archive after a restart, and listed as aborted.
		d.writePlaceholderMeta(j, meta)
	}
	w, err := buildWindow(ctx, j)
	if err != nil {
		meta.Status, meta.Error, meta.EndedAt = report.StatusFailed, err.Error(), time.Now()
		rep := agg.Report(meta)
		d.finish(j, run, &rep)
		return &rep
	}
	w.OnStart = agg.SetStart
	run.setRunning(w.Progress)
	sink := agg.Add
	if j.Live {
		d.collector.WindowStarted()
		defer d.collector.WindowEnded()
		d.collector.InitOutcomes(labels)
		w.OnConnection = func(p result.ConnPhases) { d.collector.ObserveConnection(labels, p) }
		sink = func(r *resultT) {
			agg.Add(r)
			d.collector.Observe(labels, r)
		}
	}
	var info prober.RunInfo
	var found *report.Capacity
	if j.Workload.Arrival.Kind == "capacity" {
		found, info, err = d.searchCapacity(ctx, j, w, slo, sink)
	} else {
		info, err = w.Run(ctx, sink)
	}
	// Each window has its own client (the config may have changed since the
	// last); its idle connections would otherwise linger for minutes.
	w.Target.Client.CloseIdleConnections()
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
	rep := agg.Report(meta)
	rep.Capacity = found
	if top := report.MarkAllFailed(&rep); top != nil {
		d.logger.Warn("window failed: every request failed", "run", j.ID, "trigger", j.Trigger, "target", j.Target.Name,
			"workload", j.Workload.Name, "requests", rep.Summary.Requests, "top_error", top.String(), "top_error_count", top.Count)
	}
	if j.Live {
		d.collector.WindowDone(labels, &rep, meta.EndedAt, j.Target.CostPerHour)
		d.collector.CapacityDone(labels, &rep)
	}
	d.finish(j, run, &rep)
	return &rep
}

// finish archives the report and settles the run's state.
func (d *Daemon) finish(j *windowJob, run *Run, rep *report.Report) {
	// Transport errors quote the URL; its key or signature must not
	// reach the archive, the runs API or the logs.
	rep.Run.Error = report.RedactText(rep.Run.Error)
	for i := range rep.Errors {
		rep.Errors[i].Reason = report.RedactText(rep.Errors[i].Reason)
	}
	var path string
	indexed := false
	if j.Archive {
		var err error
		if path, err = report.Write(j.Global.ReportDir, rep); err != nil {
			d.collector.ReportWriteErrors.Inc()
			d.logger.Error("report not written; the window's figures are still on /metrics", "run", j.ID, "err", err)
			// Its placeholder would otherwise pass for an interrupted run
			// after a restart. (Unlinking needs no space on a full disk.)
			os.Remove(filepath.Join(j.Global.ReportDir, report.FileName(j.ID)))
			if d.index != nil {
				d.index.Delete(j.ID)
			}
			rep.Run.Error = joinErr(rep.Run.Error, fmt.Sprintf("report not written: %v", err))
		} else {
			// The file first, then its entry: a crash between the two
			// leaves a report the next start indexes. Its HTML page is
			// rendered when someone asks for it.
			indexed = d.indexReport(path, rep)
		}
	}
	run.setDone(rep, path)
	d.runs.settle(run, indexed)
	d.logger.Info("window finished", "run", j.ID, "trigger", j.Trigger, "target", j.Target.Name, "workload", j.Workload.Name,
		"status", rep.Run.Status, "requests", rep.Summary.Requests, "failures", rep.Summary.Failures,
		"ttft_p50", p50Text(rep, rep.Stats.TTFT), "report", path)
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// writePlaceholder records an accepted run in the archive as running, so
// a restart after kill -9 lists it as aborted (see markInterrupted).
func (d *Daemon) writePlaceholder(j *windowJob) {
	d.writePlaceholderMeta(j, report.Meta{ID: j.ID, Trigger: j.Trigger, Version: version.Version, StartedAt: time.Now(),
		Target: redactedTarget(j.Target), Workload: j.Workload.Name, Seed: j.Workload.Seed})
}

func (d *Daemon) writePlaceholderMeta(j *windowJob, meta report.Meta) {
	placeholder := report.Report{Run: meta}
	placeholder.Run.Status = report.StatusRunning
	path, err := report.Write(j.Global.ReportDir, &placeholder)
	if err != nil {
		d.collector.ReportWriteErrors.Inc()
		d.logger.Error("report placeholder not written", "run", j.ID, "err", err)
		return
	}
	// Indexed too, so a restart after kill -9 finds it among the few
	// entries still running and marks it before anything lists it.
	d.indexReport(path, &placeholder)
}

// searchCapacity runs a capacity workload's search, each step a copy of w.
func (d *Daemon) searchCapacity(ctx context.Context, j *windowJob, w *prober.Window, slo report.SLO,
	sink func(*resultT)) (*report.Capacity, prober.RunInfo, error) {
	search := &capacity.Search{Spec: j.Workload.Arrival, SLO: slo, Window: w, MaxRate: d.Config().Limits.MaxRate, OnStep: func(st report.CapacityStep) {
		d.logger.Info("capacity step", "run", j.ID, "target", j.Target.Name, "workload", j.Workload.Name,
			"rate", st.Rate, "passed", st.Passed, "attainment", st.Attainment, "ttft_p95", st.TTFTP95)
	}}
	found, info, err := search.Run(ctx, sink)
	if err != nil {
		return nil, info, err
	}
	return &found, info, nil
}
