package archive

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/stats"
)

// head is the part of a report the index keeps. A report's large
// sections (timeline, distributions, samples) follow these keys, so
// reading stops before them.
type head struct {
	Run     *report.Meta    `json:"run"`
	Summary *report.Summary `json:"summary"`
	Stats   *struct {
		TTFT stats.Stats `json:"ttft_seconds"`
	} `json:"stats"`
}

// ReadEntry reads the index entry of the report at path, decoding only
// the keys the index keeps.
func ReadEntry(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	var h head
	if err := readHead(bufio.NewReaderSize(f, 16<<10), &h); err != nil {
		return Entry{}, fmt.Errorf("parse report %s: %w", path, err)
	}
	if h.Run == nil || !report.ValidRunID(h.Run.ID) {
		return Entry{}, fmt.Errorf("parse report %s: no valid run id", path)
	}
	if want := report.FileName(h.Run.ID); filepath.Base(path) != want {
		// A copy under another name would list one run twice.
		return Entry{}, fmt.Errorf("parse report %s: it holds run %s, whose report is %s", path, h.Run.ID, want)
	}
	e := Entry{ID: h.Run.ID, Trigger: h.Run.Trigger, Target: h.Run.Target.Name, Workload: h.Run.Workload,
		Status: h.Run.Status, Error: h.Run.Error, StartedAt: h.Run.StartedAt, EndedAt: h.Run.EndedAt,
		Summary: h.Summary, Size: info.Size(), ModTime: info.ModTime()}
	if h.Stats != nil {
		e.TTFTP50, e.TTFTP95 = h.Stats.TTFT.P50, h.Stats.TTFT.P95
	}
	e.Bytes = info.Size() + siblingBytes(filepath.Dir(path), e.ID)
	return e, nil
}

// EntryOf is the entry of a report just written to path.
func EntryOf(path string, rep *report.Report) (Entry, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Entry{}, err
	}
	s := rep.Summary
	return Entry{ID: rep.Run.ID, Trigger: rep.Run.Trigger, Target: rep.Run.Target.Name, Workload: rep.Run.Workload,
		Status: rep.Run.Status, Error: rep.Run.Error, StartedAt: rep.Run.StartedAt, EndedAt: rep.Run.EndedAt,
		TTFTP50: rep.Stats.TTFT.P50, TTFTP95: rep.Stats.TTFT.P95, Summary: &s,
		Size: info.Size(), ModTime: info.ModTime(), Bytes: info.Size() + siblingBytes(filepath.Dir(path), rep.Run.ID)}, nil
}

// Siblings are the files beside a run's report that belong to it.
func Siblings(id string) []string {
	return []string{report.HTMLFileName(id), report.RequestsFileName(id)}
}

func siblingBytes(dir, id string) int64 {
	var n int64
	for _, name := range Siblings(id) {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += info.Size()
		}
	}
	return n
}

// readHead decodes the top-level keys head wants and stops reading once
// it has them all.
func readHead(r io.Reader, h *head) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil {
		return err
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	found := 0
	for found < 3 && dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var dst any
		switch key {
		case "run":
			dst = &h.Run
		case "summary":
			dst = &h.Summary
		case "stats":
			dst = &h.Stats
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		found++
	}
	if found < 3 {
		// A report cut short, or one that is not ours: the rest must
		// still be well formed JSON to count.
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
}

// SyncOptions steer Sync.
type SyncOptions struct {
	// Interrupted is called for a report still marked running, with its
	// entry. It may settle both (an interrupted window's placeholder
	// becomes an aborted report) before the entry is indexed.
	Interrupted func(path string, e *Entry)
	// RemoveBefore, when set, deletes files Sync cannot index (damaged
	// reports, pages and per-request files without a report) last
	// modified before it, as retention by age would have.
	RemoveBefore time.Time
	// Warn reports a file Sync skips, with why.
	Warn func(path string, err error)
	// Batch is how many entries one transaction writes (default 512).
	Batch int
}

// SyncResult says what Sync did.
type SyncResult struct {
	Files, Indexed, Removed, Skipped, Deleted int
}

// Sync makes the index agree with the report files in its directory: a
// report not indexed, or changed since (size or modification time), is
// read and indexed; an entry whose report is gone is dropped. It reads
// only what changed, so with an index in step it costs a directory
// listing; with none it rebuilds the whole index.
func (ix *Index) Sync(ctx context.Context, opt SyncOptions) (SyncResult, error) {
	ix.syncing.Lock()
	defer ix.syncing.Unlock()
	var res SyncResult
	if opt.Batch <= 0 {
		opt.Batch = 512
	}
	warn := opt.Warn
	if warn == nil {
		warn = func(string, error) {}
	}
	states, err := ix.fileStates(ctx)
	if err != nil {
		return res, err
	}
	dirEntries, err := os.ReadDir(ix.dir)
	if err != nil {
		return res, fmt.Errorf("archive %s: %w", ix.dir, err)
	}
	reports := map[string]bool{}
	for _, de := range dirEntries {
		if id, ok := reportID(de.Name()); ok {
			reports[id] = true
		}
	}
	var batch []Entry
	flush := func() error {
		err := ix.Put(batch...)
		batch = batch[:0]
		return err
	}
	for _, de := range dirEntries {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		name := de.Name()
		path := filepath.Join(ix.dir, name)
		id, ok := reportID(name)
		if !ok {
			if sib, owner := siblingOwner(name); sib && !reports[owner] {
				ix.removeIfOld(path, opt.RemoveBefore, &res)
			}
			continue
		}
		res.Files++
		info, err := de.Info()
		if err != nil {
			continue // removed since the listing
		}
		if s, ok := states[id]; ok {
			delete(states, id)
			if s.size == info.Size() && s.mtime == unixNano(info.ModTime()) {
				continue
			}
		}
		e, err := ReadEntry(path)
		if err == nil && e.Status == report.StatusRunning && opt.Interrupted != nil {
			opt.Interrupted(path, &e)
		}
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				res.Skipped++
				warn(path, err)
				ix.removeIfOld(path, opt.RemoveBefore, &res)
			}
			continue
		}
		batch = append(batch, e)
		res.Indexed++
		if len(batch) >= opt.Batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	// Entries left had no file in the listing. A window may have written
	// one since; look again before dropping the entry.
	var gone []string
	for id := range states {
		if _, err := os.Stat(ix.ReportPath(id)); errors.Is(err, os.ErrNotExist) {
			gone = append(gone, id)
		}
	}
	res.Deleted = len(gone)
	return res, ix.Delete(gone...)
}

func (ix *Index) removeIfOld(path string, before time.Time, res *SyncResult) {
	if before.IsZero() {
		return
	}
	if info, err := os.Stat(path); err == nil && info.ModTime().Before(before) && os.Remove(path) == nil {
		res.Removed++
	}
}

// reportID is the run id of a report file's name.
func reportID(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, "report_")
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, ".json")
	return id, ok && report.ValidRunID(id)
}

// siblingOwner is the run a page or per-request file belongs to.
func siblingOwner(name string) (bool, string) {
	if id, ok := strings.CutPrefix(name, "report_"); ok {
		if id, ok := strings.CutSuffix(id, ".html"); ok {
			return true, id
		}
	}
	if id, ok := strings.CutPrefix(name, "requests_"); ok {
		if id, ok := strings.CutSuffix(id, ".jsonl"); ok {
			return true, id
		}
	}
	return false, ""
}
