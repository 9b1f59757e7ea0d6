package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/version"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/loadgen"
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
	Share loadgen.Share
	// Tick is the schedule's tick that started a shared window, the same
	// on every replica; it tells one window's shards from the next's.
	Tick time.Time
	// MaxInFlight is limits.max_in_flight: the cap of an open-loop window
	// that sets no max_concurrency of its own.
	MaxInFlight int
	// pending marks a run counted in Daemon.pending until it has a slot.
	pending bool
}

// runWindow executes a window with the executor `inferno run` shares,
// feeding the collector when the job is live, and settles its run.
func (d *Daemon) runWindow(ctx context.Context, j *windowJob, run *Run) *report.Report {
	labels := collector.Labels{Target: j.Target.Name, Model: j.Target.Model, Workload: j.Workload.Name}
	search := j.Workload.Arrival.Kind == "capacity"
	job := window.Job{ID: j.ID, Trigger: j.Trigger, Tick: j.Tick, MaxRate: d.Config().Limits.MaxRate,
		Spec: window.Spec{Target: j.Target, Workload: j.Workload, Global: j.Global, Deadline: j.Deadline,
			MaxInFlight: j.MaxInFlight, Share: j.Share, Transport: d.transport},
		OnBuilt: func(w *loadgen.Window) { run.setRunning(w.Progress) },
		OnStep: func(st report.CapacityStep) {
			d.logger.Info("capacity step", "run", j.ID, "target", j.Target.Name, "workload", j.Workload.Name,
				"rate", st.Rate, "passed", st.Passed, "attainment", st.Attainment, "completed_rate", st.CompletedRate,
				"ttft_growth", st.TTFTGrowth, "reason", st.Reason)
		},
	}
	if j.Archive {
		// Its HTML page is rendered when someone asks for it; the
		// placeholder is indexed, so a restart after kill -9 finds it
		// among the few entries still running.
		job.ReportDir = j.Global.ReportDir
		job.OnPlaceholder = func(path string, rep *report.Report) { d.indexReport(path, rep) }
	}
	var perRequest *os.File
	if j.Archive && d.perRequest {
		// The archive's directory may not exist before its first report.
		err := os.MkdirAll(j.Global.ReportDir, 0o755)
		if err == nil {
			perRequest, err = os.CreateTemp(j.Global.ReportDir, ".requests-*.tmp")
		}
		if err != nil {
			d.logger.Error("per-request file not created; the window runs without it", "run", j.ID, "err", err)
		} else {
			defer os.Remove(perRequest.Name()) // no-op once renamed
			defer perRequest.Close()
			job.PerRequest = perRequest
		}
	}
	if j.Live {
		d.collector.WindowStarted()
		defer d.collector.WindowEnded()
		if !search {
			d.collector.InitOutcomes(labels)
		}
		job.OnConnection = func(p result.ConnPhases) { d.collector.ObserveConnection(labels, p) }
		job.OnResult = func(r *resultT) { d.collector.Observe(labels, r) }
		if search {
			// A search overloads the endpoint on purpose: its requests
			// stay out of the series the latency, SLO and failure alerts
			// read. Connection setup is no alert's and stays.
			job.OnResult = func(r *resultT) { d.collector.ObserveConnection(labels, r.Conn) }
		}
	}
	out := window.Execute(ctx, job)
	rep := &out.Report
	for _, n := range out.Notes {
		d.logger.Warn(n, "run", j.ID, "target", j.Target.Name)
	}
	if top := out.AllFailed; top != nil {
		d.logger.Warn("window failed: every request failed", "run", j.ID, "trigger", j.Trigger, "target", j.Target.Name,
			"workload", j.Workload.Name, "requests", rep.Summary.Requests, "top_error", top.String(), "top_error_count", top.Count)
	}
	if j.Live && out.BuildErr == nil {
		if search {
			d.collector.CapacityDone(labels, rep)
		} else {
			d.collector.WindowDone(labels, rep, rep.Run.EndedAt, j.Target.CostPerHour)
		}
	}
	if j.Live {
		// A reload that removed this window's target, workload or schedule
		// while it ran forgot their series before the window set its last
		// figures: checked after them, so one of the two always removes
		// them, whichever comes last.
		d.forgetIfGone(j.Target.Name, j.Workload.Name)
	}
	if out.WriteErr != nil {
		d.collector.ReportWriteErrors.Add(float64(out.WriteFailures))
		d.logger.Error("report not written in full; the window's figures are still on /metrics", "run", j.ID, "err", out.WriteErr)
		if out.Path == "" {
			rep.Run.Error = joinErr(rep.Run.Error, out.WriteErr.Error())
		}
	}
	if perRequest != nil && out.Path != "" {
		// Named beside its report once whole and durable; Execute has
		// already reported a write error of the file's lines.
		err := perRequest.Sync()
		if err == nil {
			err = os.Rename(perRequest.Name(), filepath.Join(j.Global.ReportDir, report.RequestsFileName(j.ID)))
		}
		if err != nil {
			d.collector.ReportWriteErrors.Inc()
			d.logger.Error("per-request file not written", "run", j.ID, "err", err)
		}
	}
	// The file first, then its entry: a crash between the two leaves a
	// report the next start indexes.
	indexed := out.Path != "" && d.indexReport(out.Path, rep)
	d.settle(j, run, rep, out.Path, indexed)
	return rep
}

// finish archives a report of a window that never ran (refused or
// cancelled before its slot) and settles its run.
func (d *Daemon) finish(j *windowJob, run *Run, rep *report.Report) {
	var path string
	indexed := false
	if j.Archive {
		var err error
		if path, err = report.Write(j.Global.ReportDir, rep); err != nil {
			d.collector.ReportWriteErrors.Inc()
			d.logger.Error("report not written", "run", j.ID, "err", err)
			os.Remove(filepath.Join(j.Global.ReportDir, report.FileName(j.ID)))
			if d.index != nil {
				d.index.Delete(j.ID)
			}
			rep.Run.Error = joinErr(rep.Run.Error, fmt.Sprintf("report not written: %v", err))
		} else {
			indexed = d.indexReport(path, rep)
		}
	}
	d.settle(j, run, rep, path, indexed)
}

func (d *Daemon) settle(j *windowJob, run *Run, rep *report.Report, path string, indexed bool) {
	run.setDone(rep, path)
	d.runs.settle(run, indexed)
	d.logger.Info("window finished", "run", j.ID, "trigger", j.Trigger, "target", j.Target.Name, "workload", j.Workload.Name,
		"status", rep.Run.Status, "requests", rep.Summary.Requests, "failures", rep.Summary.Failures,
		"ttft_p50", rep.P50Text(rep.Stats.TTFT), "report", path)
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
		Target: window.RedactedTarget(j.Target), Workload: j.Workload.Name, Seed: j.Workload.Seed})
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
