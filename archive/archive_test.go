package archive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// writeReport archives a small report as a window would.
func writeReport(t *testing.T, dir, id, target, trigger, status string, started time.Time) *report.Report {
	t.Helper()
	rep := &report.Report{Run: report.Meta{ID: id, Status: status, Trigger: trigger, Workload: "w",
		Target: report.Target{Name: target}, StartedAt: started, EndedAt: started.Add(time.Second)},
		Summary: report.Summary{Requests: 4, Successes: 4}, Timeline: []report.TimelineStep{{}}}
	rep.Stats.TTFT.P50, rep.Stats.TTFT.P95 = 0.1, 0.2
	if _, err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func put(t *testing.T, ix *Index, dir string, rep *report.Report) {
	t.Helper()
	e, err := EntryOf(filepath.Join(dir, report.FileName(rep.Run.ID)), rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Put(e); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, dir string) *Index {
	t.Helper()
	ix, err := Open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func ids(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

func TestListOrderPagingAndFilters(t *testing.T) {
	dir := t.TempDir()
	ix := open(t, dir)
	// "zzz" sorts above every generated id; it must not pin itself to the
	// top: runs are in start order.
	for i, r := range []struct{ id, target, trigger, status string }{
		{"a1", "x", "schedule", "finished"},
		{"zzz", "y", "legacy-api", "failed"},
		{"a3", "x", "api", "finished"},
		{"a4", "y", "probe", "aborted"},
		{"a5", "x", "schedule", "finished"},
	} {
		put(t, ix, dir, writeReport(t, dir, r.id, r.target, r.trigger, r.status, t0.Add(time.Duration(i)*time.Minute)))
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		q    Query
		want []string
	}{
		{"all, newest first", Query{Limit: 10}, []string{"a5", "a4", "a3", "zzz", "a1"}},
		{"a page", Query{Limit: 2}, []string{"a5", "a4"}},
		{"after a cursor", Query{Limit: 2, Before: &Cursor{StartedAt: t0.Add(2 * time.Minute), ID: "a3"}}, []string{"zzz", "a1"}},
		{"before a time", Query{Limit: 10, Before: &Cursor{StartedAt: t0.Add(2 * time.Minute)}}, []string{"zzz", "a1"}},
		{"target", Query{Limit: 10, Target: "x"}, []string{"a5", "a3", "a1"}},
		{"status", Query{Limit: 10, Status: "failed"}, []string{"zzz"}},
		{"trigger", Query{Limit: 10, Trigger: "schedule"}, []string{"a5", "a1"}},
		{"not probes", Query{Limit: 10, Target: "y", NotTrigger: "probe"}, []string{"zzz"}},
		{"workload", Query{Limit: 10, Workload: "other"}, nil},
		{"time range", Query{Limit: 10, Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"a3", "zzz"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ix.List(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), c.want) {
				t.Errorf("got %v, want %v", ids(got), c.want)
			}
		})
	}
	e, ok, err := ix.Get("a3")
	if err != nil || !ok || e.Summary == nil || e.Summary.Requests != 4 || e.TTFTP95 != 0.2 || !e.StartedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("get: %+v %v %v", e, ok, err)
	}
	if _, ok, err := ix.Get("nope"); ok || err != nil {
		t.Errorf("get of an unknown id: %v %v", ok, err)
	}
}

// An older read of a report never replaces the entry of a newer write.
func TestPutKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	ix := open(t, dir)
	rep := writeReport(t, dir, "r1", "x", "api", "finished", t0)
	e, _ := EntryOf(filepath.Join(dir, report.FileName("r1")), rep)
	stale := e
	stale.Status, stale.ModTime = report.StatusRunning, e.ModTime.Add(-time.Second)
	ix.Put(e)
	ix.Put(stale)
	if got, _, _ := ix.Get("r1"); got.Status != "finished" {
		t.Errorf("status %q after a stale put", got.Status)
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writeReport(t, dir, fmt.Sprintf("r%d", i), "x", "schedule", "finished", t0.Add(time.Duration(i)*time.Minute))
	}
	writeReport(t, dir, "placeholder", "x", "api", report.StatusRunning, t0.Add(time.Hour))
	os.WriteFile(filepath.Join(dir, "report_broken.json"), []byte(`{"run": {"id": "broken", "sta`), 0o644)
	os.WriteFile(filepath.Join(dir, "report_elsewhere.json"), []byte(`{"run": {"id": "r1"}, "summary": {}, "stats": {}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not ours"), 0o644)
	ix := open(t, dir)
	var warned []string
	var interrupted []string
	opt := SyncOptions{Batch: 2, Warn: func(p string, err error) { warned = append(warned, filepath.Base(p)) },
		Interrupted: func(p string, e *Entry) {
			interrupted = append(interrupted, filepath.Base(p))
			rep, _ := report.Read(p)
			rep.Run.Status = report.StatusAborted
			report.WriteFile(p, rep)
			*e, _ = ReadEntry(p)
		}}
	ctx := context.Background()
	res, err := ix.Sync(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 6 || res.Skipped != 2 {
		t.Errorf("first sync: %+v", res)
	}
	slices.Sort(warned)
	if !slices.Equal(warned, []string{"report_broken.json", "report_elsewhere.json"}) {
		t.Errorf("warned about %v", warned)
	}
	if e, _, _ := ix.Get("placeholder"); e.Status != report.StatusAborted || len(interrupted) != 1 {
		t.Errorf("interrupted placeholder indexed as %q (%v)", e.Status, interrupted)
	}
	// In step: nothing is read again.
	if res, _ := ix.Sync(ctx, opt); res.Indexed != 0 || res.Deleted != 0 {
		t.Errorf("second sync: %+v", res)
	}
	// The files win: a changed report is read again, a removed one leaves.
	os.Remove(filepath.Join(dir, report.FileName("r0")))
	rep, _ := report.Read(filepath.Join(dir, report.FileName("r1")))
	rep.Run.Status = report.StatusFailed
	r1 := filepath.Join(dir, report.FileName("r1"))
	old, _ := os.Stat(r1)
	report.WriteFile(r1, rep)
	// A new modification time, set rather than waited for: a filesystem
	// with coarse timestamps could give the rewrite the old one.
	os.Chtimes(r1, time.Time{}, old.ModTime().Add(time.Second))
	if res, _ := ix.Sync(ctx, opt); res.Indexed != 1 || res.Deleted != 1 {
		t.Errorf("third sync: %+v", res)
	}
	if _, ok, _ := ix.Get("r0"); ok {
		t.Error("the removed report is still indexed")
	}
	if e, _, _ := ix.Get("r1"); e.Status != report.StatusFailed {
		t.Errorf("the changed report is indexed as %q", e.Status)
	}
}

// A damaged or foreign index file is moved aside and a new one built.
func TestOpenDamagedIndex(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
	}{
		{"garbage", []byte(strings.Repeat("not a database ", 500))},
		{"empty", []byte{}},
		{"truncated header", []byte("SQLite format 3\x00\x10\x00")},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeReport(t, dir, "r1", "x", "api", "finished", t0)
			os.WriteFile(filepath.Join(dir, FileName), c.content, 0o644)
			ix, err := Open(dir, "")
			if ix == nil {
				t.Fatalf("no index: %v", err)
			}
			defer ix.Close()
			if len(c.content) > 0 && (err == nil || !strings.Contains(err.Error(), "moved aside")) {
				t.Errorf("the error does not say the file was moved aside: %v", err)
			}
			if _, err := ix.Sync(context.Background(), SyncOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := ix.Get("r1"); !ok {
				t.Error("the new index lacks the report")
			}
		})
	}
}

// A directory where no index file can live still gets an index in memory.
func TestOpenUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reports")
	os.WriteFile(file, []byte("a file, not a directory"), 0o644)
	if _, err := Open(file, ""); err == nil {
		t.Fatal("opened an index inside a file")
	}
	ix, err := OpenMemory(file)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Put(Entry{ID: "r1", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ix.List(context.Background(), Query{Limit: 5}); len(got) != 1 {
		t.Errorf("memory index lists %v", ids(got))
	}
}

func TestPrune(t *testing.T) {
	now := t0.Add(10 * time.Hour)
	for _, c := range []struct {
		name string
		r    Retention
		want []string // left, newest first
	}{
		{"age", Retention{MaxAge: 8 * time.Hour}, []string{"r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2"}},
		{"count", Retention{MaxCount: 3}, []string{"r9", "r8", "r7"}},
		{"bytes", Retention{MaxBytes: 1}, nil},
		{"nothing", Retention{}, []string{"r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ix := open(t, dir)
			var size int64
			for i := range 10 {
				put(t, ix, dir, writeReport(t, dir, fmt.Sprintf("r%d", i), "x", "schedule", "finished", t0.Add(time.Duration(i)*time.Hour)))
				os.WriteFile(filepath.Join(dir, report.HTMLFileName(fmt.Sprintf("r%d", i))), []byte("<html>"), 0o644)
			}
			// A running window's placeholder is never deleted.
			put(t, ix, dir, writeReport(t, dir, "live", "x", "api", report.StatusRunning, t0))
			tot, _ := ix.Totals(context.Background())
			size = tot.Bytes
			var told []string
			n, err := ix.Prune(context.Background(), c.r, now, PruneOptions{Batch: 2, Deleted: func(id string) { told = append(told, id) }})
			if err != nil {
				t.Fatal(err)
			}
			left, _ := ix.List(context.Background(), Query{Limit: 100, NotStatus: report.StatusRunning})
			if !slices.Equal(ids(left), c.want) || n != 10-len(c.want) || len(told) != n {
				t.Errorf("left %v after deleting %d (told %d)", ids(left), n, len(told))
			}
			files, _ := filepath.Glob(filepath.Join(dir, "report_r*"))
			if len(files) != 2*len(c.want) {
				t.Errorf("%d files left for %d runs", len(files), len(c.want))
			}
			if _, ok, _ := ix.Get("live"); !ok {
				t.Error("the running window's placeholder was deleted")
			}
			if tot, _ := ix.Totals(context.Background()); c.r == (Retention{}) && tot.Bytes != size {
				t.Errorf("bytes %d, were %d", tot.Bytes, size)
			}
		})
	}
}

func TestPagesCache(t *testing.T) {
	p := NewPages(10)
	p.Put("a", 1, t0, []byte("aaaa"))
	p.Put("b", 1, t0, []byte("bbbb"))
	if _, ok := p.Get("a", 1, t0); !ok {
		t.Fatal("a not cached")
	}
	p.Put("c", 1, t0, []byte("cccc")) // evicts b, the least recently used
	for _, c := range []struct {
		id    string
		size  int64
		mtime time.Time
		want  bool
	}{
		{"a", 1, t0, true},
		{"b", 1, t0, false},
		{"c", 1, t0, true},
		{"c", 2, t0, false}, // the report changed: rendered again
		{"c", 1, t0, false},
	} {
		if _, ok := p.Get(c.id, c.size, c.mtime); ok != c.want {
			t.Errorf("get %s %d: %v, want %v", c.id, c.size, ok, c.want)
		}
	}
	p.Put("big", 1, t0, make([]byte, 11))
	if _, ok := p.Get("big", 1, t0); ok {
		t.Error("a page over the budget was kept")
	}
}
