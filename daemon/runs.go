package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/loadgen"
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
	progress *loadgen.Progress
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

func (r *Run) setRunning(p *loadgen.Progress) {
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

// runs holds the runs that live in this process rather than in the
// archive index: pending and running windows, and finished ones whose
// report is not indexed (probes that archive nothing, a report that could
// not be written). A run whose report is indexed leaves it, so memory no
// longer grows with the archive.
type runs struct {
	mu   sync.Mutex
	byID map[string]*Run
}

// maxUnindexed bounds the finished runs kept in memory without a report
// in the index; the oldest go first.
const maxUnindexed = 1000

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

// settle files a finished run: gone from memory when its report is
// indexed, kept (within maxUnindexed) when it is not.
func (rs *runs) settle(r *Run, indexed bool) {
	if indexed {
		rs.remove(r.id)
		return
	}
	var finished []*Run
	for _, run := range rs.list() {
		if run.Finished() {
			finished = append(finished, run)
		}
	}
	for _, old := range finished[min(maxUnindexed, len(finished)):] {
		rs.remove(old.id)
	}
}

// expire drops finished runs created before cutoff.
func (rs *runs) expire(cutoff time.Time) {
	for _, r := range rs.list() {
		if r.Finished() && r.created.Before(cutoff) {
			rs.remove(r.id)
		}
	}
}

// list returns the runs in memory, newest start first.
func (rs *runs) list() []*Run {
	rs.mu.Lock()
	out := make([]*Run, 0, len(rs.byID))
	for _, r := range rs.byID {
		out = append(out, r)
	}
	rs.mu.Unlock()
	sortRuns(out)
	return out
}

// sortRuns orders runs by start, newest first, then by id: never by id
// alone, or a chosen id (the old API's test_id) could sort itself to the
// top of every list.
func sortRuns(rs []*Run) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].created.Equal(rs[j].created) {
			return rs[i].created.After(rs[j].created)
		}
		return rs[i].id > rs[j].id
	})
}

// runFromEntry is an indexed run as the runs API shows it.
func runFromEntry(e archive.Entry, path string) *Run {
	return &Run{id: e.ID, trigger: e.Trigger, target: e.Target, workload: e.Workload, created: e.StartedAt,
		status: e.Status, err: e.Error, path: path, summary: e.Summary, ttftP50: e.TTFTP50, ttftP95: e.TTFTP95, ended: e.EndedAt}
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
