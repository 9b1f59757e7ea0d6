package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/daemon/internal/runquery"
	"github.com/inferno-llm/inferno/report"
)

// pagesCacheBytes bounds the report pages kept rendered in memory.
const pagesCacheBytes = 32 << 20

const interruptedError = "interrupted: Inferno stopped during the window (killed or crashed); its results were lost"

// openArchive opens the report directory's index, or one in memory when
// no file can be kept there, and settles the windows a previous process
// left running. Reading the reports into the index happens afterwards,
// in the background (syncArchive), so the daemon serves at once.
func (d *Daemon) openArchive(dir, indexPath string) error {
	ix, err := archive.Open(dir, indexPath)
	switch {
	case ix == nil:
		d.logger.Error("archive index cannot be opened; keeping it in memory, rebuilt from the reports at every start", "err", err)
		if ix, err = archive.OpenMemory(dir); err != nil {
			return fmt.Errorf("archive index: %w", err)
		}
	case err != nil:
		d.logger.Warn("archive index damaged; rebuilding it from the reports", "err", err)
	}
	d.index = ix
	// Listed as running in the index, but no window of this process runs
	// them: mark them before the first list shows them running.
	running, err := ix.WithStatus(d.ctx, report.StatusRunning)
	if err != nil {
		d.logger.Error("cannot read the archive index", "err", err)
	}
	for _, e := range running {
		path := ix.ReportPath(e.ID)
		fresh, err := archive.ReadEntry(path)
		if errors.Is(err, os.ErrNotExist) {
			ix.Delete(e.ID)
			continue
		}
		if err != nil {
			continue // the sync names the damaged file
		}
		if fresh.Status == report.StatusRunning {
			d.interrupted(path, &fresh)
		}
		if err := ix.Put(fresh); err != nil {
			d.logger.Error("cannot update the archive index", "err", err)
		}
	}
	return nil
}

// syncArchive brings the index in step with the report files: all of
// them when the index is new, only what changed otherwise.
func (d *Daemon) syncArchive() {
	start := time.Now()
	var opt archive.SyncOptions
	opt.Interrupted = d.interrupted
	opt.Warn = func(path string, err error) {
		d.logger.Warn("report skipped: it cannot be read; it stays on disk, unlisted", "file", path, "err", err)
	}
	if age := d.Config().Global.ReportRetention.D(); age > 0 {
		opt.RemoveBefore = start.Add(-age)
	}
	res, err := d.index.Sync(d.ctx, opt)
	if err != nil {
		if d.ctx.Err() == nil {
			d.logger.Error("archive index not in step with the reports; lists may miss runs until the next start", "dir", d.index.Dir(), "err", err)
		}
		return
	}
	d.synced.Store(true)
	d.logger.Info("archive index in step with the reports", "dir", d.index.Dir(), "reports", res.Files, "read", res.Indexed,
		"dropped", res.Deleted, "unreadable", res.Skipped, "removed_old_files", res.Removed, "duration", time.Since(start).Round(time.Millisecond))
}

// interrupted settles a report still marked running: a window of an
// earlier process (killed, crashed) becomes aborted, in its file and its
// entry. A window of this process is left alone, and so is a placeholder
// written since this process started (a window another process runs on
// the same directory, or one of ours between its writes).
func (d *Daemon) interrupted(path string, e *archive.Entry) {
	if d.runs.get(e.ID) != nil || !e.ModTime.Before(d.startedAt) {
		return
	}
	rep, err := report.Read(path)
	if err != nil || rep.Run.Status != report.StatusRunning {
		return
	}
	markInterrupted(path, rep)
	if fresh, err := archive.ReadEntry(path); err == nil && fresh.Status != report.StatusRunning {
		*e = fresh
		return
	}
	// Not rewritten (a read-only or full disk): listed as aborted anyway.
	e.Status, e.Error = report.StatusAborted, interruptedError
}

// indexReport enters a report just archived at path; false when the run
// must stay in memory instead (its report is elsewhere, or the index
// failed, in which case the next start indexes it from the file).
func (d *Daemon) indexReport(path string, rep *report.Report) bool {
	if d.index == nil || filepath.Dir(path) != filepath.Clean(d.index.Dir()) {
		return false // report_dir changed by a reload: indexed from the next start
	}
	e, err := archive.EntryOf(path, rep)
	if err == nil {
		err = d.index.Put(e)
	}
	if err != nil {
		d.logger.Error("report written but not indexed; it is listed from memory, and indexed again from its file at the next start",
			"run", rep.Run.ID, "err", err)
		return false
	}
	return true
}

// run finds a run: in this process, in the index, or in a report the
// index has not read yet (a sync still under way, a failed index write):
// the files win.
func (d *Daemon) run(id string) *Run {
	if r := d.runs.get(id); r != nil {
		return r
	}
	if d.index == nil || !report.ValidRunID(id) {
		return nil
	}
	path := d.index.ReportPath(id)
	e, ok, err := d.index.Get(id)
	if err != nil {
		d.logger.Error("cannot read the archive index; reading the report instead", "run", id, "err", err)
	}
	if ok {
		return runFromEntry(e, path)
	}
	if e, err = archive.ReadEntry(path); err != nil {
		return nil
	}
	if e.Status == report.StatusRunning {
		d.interrupted(path, &e)
	}
	if err := d.index.Put(e); err != nil {
		d.logger.Error("cannot update the archive index", "run", id, "err", err)
	}
	return runFromEntry(e, path)
}

// runsPage is a page of the runs list (see runquery).
type runsPage struct {
	runs  []*Run
	limit int
	query url.Values // the filters, kept in the next page's link
	next  string     // the `before` of the next page; "" on the last page
}

// link is path with the query that fetches the next page.
func (p runsPage) link(path string) string { return runquery.Link(path, p.query, p.limit, p.next) }

// runsQuery reads the list's query parameters.
func (d *Daemon) runsQuery(q url.Values) (archive.Query, url.Values, error) {
	return runquery.Parse(q, func(id string) (time.Time, bool) {
		if r := d.run(id); r != nil {
			return r.created, true
		}
		return time.Time{}, false
	})
}

// matches reports whether a run in memory passes the query's filters.
func matches(r *Run, q archive.Query) bool {
	v := r.View()
	switch {
	case q.Target != "" && v.Target != q.Target,
		q.Workload != "" && v.Workload != q.Workload,
		q.Status != "" && v.Status != q.Status,
		q.Trigger != "" && v.Trigger != q.Trigger,
		q.NotTrigger != "" && v.Trigger == q.NotTrigger,
		q.NotStatus != "" && v.Status == q.NotStatus,
		!q.Since.IsZero() && v.Created.Before(q.Since),
		!q.Until.IsZero() && !v.Created.Before(q.Until):
		return false
	}
	if c := q.Before; c != nil {
		if c.ID == "" {
			return v.Created.Before(c.StartedAt)
		}
		return v.Created.Before(c.StartedAt) || (v.Created.Equal(c.StartedAt) && v.ID < c.ID)
	}
	return true
}

// listRuns is a page of runs: those in memory and those in the index,
// merged in start order, a run in memory (live) winning over its entry.
func (d *Daemon) listRuns(ctx context.Context, q archive.Query) (runsPage, error) {
	p := runsPage{limit: q.Limit}
	var all []*Run
	seen := map[string]bool{}
	for _, r := range d.runs.list() {
		if matches(r, q) {
			all = append(all, r)
			seen[r.id] = true
		}
	}
	if d.index != nil {
		fetch := q
		fetch.Limit = q.Limit + len(all) + 1
		entries, err := d.index.List(ctx, fetch)
		if err != nil {
			return p, err
		}
		for _, e := range entries {
			if !seen[e.ID] {
				all = append(all, runFromEntry(e, d.index.ReportPath(e.ID)))
			}
		}
	}
	sortRuns(all)
	if len(all) > q.Limit {
		all = all[:q.Limit]
		p.next = all[len(all)-1].id
	}
	p.runs = all
	return p, nil
}

// latestEnded is the target's newest ended window that is not a probe.
func (d *Daemon) latestEnded(ctx context.Context, target string) (*Run, error) {
	q := archive.Query{Target: target, NotTrigger: "probe", NotStatus: report.StatusRunning, Limit: 1}
	var latest *Run
	for _, r := range d.runs.list() {
		if r.Finished() && matches(r, q) {
			latest = r
			break
		}
	}
	if d.index == nil {
		return latest, nil
	}
	entries, err := d.index.List(ctx, q)
	if err != nil || len(entries) == 0 {
		return latest, err
	}
	if e := entries[0]; latest == nil || e.StartedAt.After(latest.created) {
		latest = runFromEntry(e, d.index.ReportPath(e.ID))
	}
	return latest, nil
}

// retentionLoop applies the retention in small steps, a few times per
// retention period, so the archive stays within about 1.25 periods
// however short it is set; windows go on meanwhile.
func (d *Daemon) retentionLoop() {
	for {
		g := d.Config().Global
		age := g.ReportRetention.D()
		r := archive.Retention{MaxAge: age, MaxCount: int64(g.ReportRetentionCount), MaxBytes: int64(g.ReportRetentionBytes)}
		start := time.Now()
		n, err := d.index.Prune(d.ctx, r, start, archive.PruneOptions{Batch: 256, Pause: 20 * time.Millisecond, Deleted: d.pages.Forget})
		if err != nil && d.ctx.Err() == nil {
			d.logger.Error("retention stopped short; it tries again at its next round", "deleted", n, "err", err)
		}
		if n > 0 {
			d.logger.Info("old reports deleted", "runs", n, "retention", g.ReportRetention, "max_count", r.MaxCount,
				"max_bytes", g.ReportRetentionBytes, "duration", time.Since(start).Round(time.Millisecond))
		}
		if age > 0 {
			d.runs.expire(start.Add(-age))
		}
		interval := min(max(age/4, time.Second), 10*time.Minute)
		if age <= 0 {
			interval = time.Minute
		}
		select {
		case <-time.After(interval):
		case <-d.ctx.Done():
			return
		}
	}
}

// reportFiles are the files a run's report may have beside it.
func reportFiles(path, id string) []string {
	out := []string{path}
	for _, name := range archive.Siblings(id) {
		out = append(out, filepath.Join(filepath.Dir(path), name))
	}
	return out
}
