package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

type resultT = result.Result

// Run statuses beyond the report's own.
const (
	StatusPending = "pending"
	StatusRunning = "running"
)

// Run is one window's life, as the runs API shows it.
type Run struct {
	mu       sync.Mutex
	id       string
	trigger  string
	target   string
	workload string
	created  time.Time
	status   string
	err      string
	path     string
	progress *prober.Progress
	started  time.Time
	cancel   context.CancelFunc
	summary  *report.Summary
	ttftP50  float64 // for the status page; 0 when no request succeeded
	ttftP95  float64
	ended    time.Time
}

// RunView is a run's JSON form.
type RunView struct {
	ID       string          `json:"id"`
	Trigger  string          `json:"trigger,omitempty"`
	Target   string          `json:"target"`
	Workload string          `json:"workload"`
	Created  time.Time       `json:"created"`
	Status   string          `json:"status"`
	Error    string          `json:"error,omitempty"`
	Progress *ProgressView   `json:"progress,omitempty"`
	Summary  *report.Summary `json:"summary,omitempty"`
}

// ProgressView is a running window's live state.
type ProgressView struct {
	Done                  int64   `json:"requests_done"`
	Failed                int64   `json:"requests_failed"`
	InFlight              int64   `json:"in_flight"`
	OutputTokensPerSecond float64 `json:"output_tokens_per_second"`
}

func (r *Run) setRunning(p *prober.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.progress, r.started = StatusRunning, p, time.Now()
}

func (r *Run) setDone(rep *report.Report, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.err, r.path, r.progress = rep.Run.Status, rep.Run.Error, path, nil
	s := rep.Summary
	r.summary = &s
	r.ttftP50, r.ttftP95, r.ended = rep.Stats.TTFT.P50, rep.Stats.TTFT.P95, rep.Run.EndedAt
}

// TTFTP50 is the finished run's median TTFT, if any request succeeded.
func (r *Run) TTFTP50() (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ttftP50, r.ttftP50 > 0
}

// View snapshots the run.
func (r *Run) View() RunView {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := RunView{ID: r.id, Trigger: r.trigger, Target: r.target, Workload: r.workload, Created: r.created,
		Status: r.status, Error: r.err, Summary: r.summary}
	if p := r.progress; p != nil {
		v.Progress = &ProgressView{Done: p.Done.Load(), Failed: p.Failed.Load(), InFlight: p.InFlight.Load()}
		if el := time.Since(r.started).Seconds(); el > 0 {
			v.Progress.OutputTokensPerSecond = float64(p.Tokens.Load()) / el
		}
	}
	return v
}

// Finished reports whether the run has ended.
func (r *Run) Finished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status != StatusPending && r.status != StatusRunning
}

// ReportPath is the archived report, once written.
func (r *Run) ReportPath() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.path
}

// Cancel stops the run if it is pending or running.
func (r *Run) Cancel() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// runs is the registry of runs the daemon knows, rebuilt from the archive
// on start.
type runs struct {
	mu   sync.Mutex
	byID map[string]*Run
}

func newRuns() *runs { return &runs{byID: map[string]*Run{}} }

func (rs *runs) add(r *Run) {
	rs.mu.Lock()
	rs.byID[r.id] = r
	rs.mu.Unlock()
}

func (rs *runs) get(id string) *Run {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byID[id]
}

func (rs *runs) remove(id string) {
	rs.mu.Lock()
	delete(rs.byID, id)
	rs.mu.Unlock()
}

// list returns runs newest first, by when they were created: the old
// API's test_id is the caller's, and ordered by id, zzzz-PINNED pinned
// itself to the top of every list.
func (rs *runs) list() []*Run {
	rs.mu.Lock()
	out := make([]*Run, 0, len(rs.byID))
	for _, r := range rs.byID {
		out = append(out, r)
	}
	rs.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.After(out[j].created)
		}
		return out[i].id > out[j].id
	})
	return out
}

// loadArchive registers every report in dir as a finished run.
func (rs *runs) loadArchive(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "report_*.json"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		rep, err := report.Read(f)
		if err != nil || !report.ValidRunID(rep.Run.ID) {
			continue // a foreign or damaged file is not ours to list
		}
		if rep.Run.Status == report.StatusRunning {
			markInterrupted(f, rep)
		}
		s := rep.Summary
		rs.add(&Run{id: rep.Run.ID, trigger: rep.Run.Trigger, target: rep.Run.Target.Name, workload: rep.Run.Workload,
			created: rep.Run.StartedAt, status: rep.Run.Status, err: rep.Run.Error, path: f, summary: &s,
			ttftP50: rep.Stats.TTFT.P50, ttftP95: rep.Stats.TTFT.P95, ended: rep.Run.EndedAt})
		n++
	}
	return n, nil
}

// markInterrupted turns the placeholder of a window that was running when
// the daemon stopped without a shutdown into an aborted report. If the
// file cannot be rewritten the run is still listed as aborted.
func markInterrupted(path string, rep *report.Report) {
	rep.Run.Status = report.StatusAborted
	rep.Run.Error = "interrupted: Inferno stopped during the window (killed or crashed); its results were lost"
	if info, err := os.Stat(path); err == nil {
		rep.Run.EndedAt = info.ModTime()
	}
	report.WriteFile(path, rep)
}

// removeTempFiles deletes temporary files an interrupted atomic write left
// in dir (report.WriteFileAtomic's ".<name>.tmp-*"); it returns how many.
func removeTempFiles(dir string) int {
	files, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	n := 0
	for _, f := range files {
		if os.Remove(f) == nil {
			n++
		}
	}
	return n
}

// pruneArchive deletes reports older than retention; it returns how many.
func pruneArchive(dir string, retention time.Duration, now time.Time) int {
	if retention <= 0 {
		return 0
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !(strings.HasPrefix(name, "report_") || strings.HasPrefix(name, "requests_")) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= retention {
			continue
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			n++
		}
	}
	return n
}
