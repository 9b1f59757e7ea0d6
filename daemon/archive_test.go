package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/daemon/internal/runquery"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// allRuns is every run the daemon lists, newest first.
func allRuns(t *testing.T, d *Daemon) []*Run {
	t.Helper()
	p, err := d.listRuns(context.Background(), archive.Query{Limit: runquery.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return p.runs
}

// plant archives a report as an earlier daemon would have.
func plant(t *testing.T, dir, id, target, trigger, status string, started time.Time) {
	t.Helper()
	rep := &report.Report{Run: report.Meta{ID: id, Status: status, Trigger: trigger, Workload: "small",
		Target: report.Target{Name: target}, StartedAt: started, EndedAt: started.Add(time.Second)},
		Summary: report.Summary{Requests: 4, Successes: 4}}
	rep.Stats.TTFT.P50, rep.Stats.TTFT.P95 = 0.1, 0.2
	if _, err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
}

// listIDs answers GET path with the run ids and the next page's link.
func listIDs(t *testing.T, base, path string) (int, []string, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var views []RunView
	json.NewDecoder(resp.Body).Decode(&views)
	var ids []string
	for _, v := range views {
		ids = append(ids, v.ID)
	}
	return resp.StatusCode, ids, resp.Header.Get("Link")
}

// waitSynced waits for the start-up sync of the archive index.
func waitSynced(t *testing.T, d *Daemon) {
	t.Helper()
	waitFor(t, "the archive index sync", d.synced.Load)
}

func TestRunsListFromIndex(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	// "zzzz", an old-API test_id, sorts above every generated id but is
	// the oldest: it must list last.
	for i, r := range []struct{ id, target, trigger, status string }{
		{"zzzz", "sim", "legacy-api", report.StatusFinished},
		{"20260101T000000.000Z-000001", "sim", "schedule", report.StatusFinished},
		{"20260101T000000.000Z-000002", "other", "api", report.StatusFailed},
		{"20260101T000000.000Z-000003", "sim", "probe", report.StatusFinished},
		{"20260101T000000.000Z-000004", "sim", "schedule", report.StatusAborted},
	} {
		plant(t, reports, r.id, r.target, r.trigger, r.status, t0.Add(time.Duration(i)*time.Minute))
	}
	d := startDaemon(t, cfgPath)
	waitSynced(t, d.Daemon)
	at := func(i int) string {
		return url.QueryEscape(t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339))
	}
	for _, c := range []struct {
		query    string
		code     int
		want     []string
		wantNext string
	}{
		{"", 200, []string{"20260101T000000.000Z-000004", "20260101T000000.000Z-000003", "20260101T000000.000Z-000002", "20260101T000000.000Z-000001", "zzzz"}, ""},
		{"?limit=2", 200, []string{"20260101T000000.000Z-000004", "20260101T000000.000Z-000003"}, "20260101T000000.000Z-000003"},
		{"?limit=2&before=20260101T000000.000Z-000003", 200, []string{"20260101T000000.000Z-000002", "20260101T000000.000Z-000001"}, "20260101T000000.000Z-000001"},
		{"?limit=2&before=20260101T000000.000Z-000001", 200, []string{"zzzz"}, ""},
		{"?before=" + at(2), 200, []string{"20260101T000000.000Z-000001", "zzzz"}, ""},
		{"?target=other", 200, []string{"20260101T000000.000Z-000002"}, ""},
		{"?status=aborted", 200, []string{"20260101T000000.000Z-000004"}, ""},
		{"?trigger=schedule&limit=1", 200, []string{"20260101T000000.000Z-000004"}, "20260101T000000.000Z-000004"},
		{"?workload=nope", 200, nil, ""},
		{"?since=" + at(1) + "&until=" + at(3), 200, []string{"20260101T000000.000Z-000002", "20260101T000000.000Z-000001"}, ""},
		{"?limit=0", 400, nil, ""},
		{"?since=yesterday", 400, nil, ""},
		{"?before=20990101T000000.000Z-ffffff", 400, nil, ""},
		{"?before=..%2Fetc", 400, nil, ""},
	} {
		t.Run(c.query, func(t *testing.T) {
			code, ids, link := listIDs(t, d.server.URL, "/api/v1/runs"+c.query)
			if code != c.code || !slices.Equal(ids, c.want) {
				t.Fatalf("%d %v, want %d %v", code, ids, c.code, c.want)
			}
			if c.wantNext == "" {
				if link != "" {
					t.Errorf("Link %q on the last page", link)
				}
				return
			}
			if !strings.Contains(link, "before="+c.wantNext) || !strings.Contains(link, `rel="next"`) {
				t.Errorf("Link %q, want before=%s", link, c.wantNext)
			}
			// The filters stay in the next page's link.
			q, _ := url.ParseQuery(strings.TrimPrefix(c.query, "?"))
			for _, f := range runquery.Filters {
				if v := q.Get(f); v != "" && !strings.Contains(link, f+"="+url.QueryEscape(v)) {
					t.Errorf("Link %q lost %s=%s", link, f, v)
				}
			}
		})
	}
	// The status page's target health: the newest ended window that is
	// not a probe, from the index.
	_, page := get(t, d.server.URL+"/")
	if !strings.Contains(page, `<a href="/reports/20260101T000000.000Z-000004" class="aborted">aborted</a>`) {
		t.Errorf("status page lacks the target's last window:\n%s", page)
	}
	// A new window lists first, in memory while it runs, from the index after.
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	if _, ids, _ := listIDs(t, d.server.URL, "/api/v1/runs?limit=1"); !slices.Equal(ids, []string{run.id}) {
		t.Errorf("newest run %v, want %s", ids, run.id)
	}
	// Marked finished, then filed: it leaves memory a moment later.
	waitFor(t, "the indexed run to leave memory", func() bool { return d.runs.get(run.id) == nil })
	if _, ok, _ := d.index.Get(run.id); !ok {
		t.Error("the finished run is not indexed")
	}
}

// The index is rebuilt from the reports when missing, damaged or stale,
// and a damaged report is skipped with a warning: the files win.
func TestIndexRepairedFromFiles(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, reports string)
		want  []string
	}{
		{"missing", func(t *testing.T, reports string) { os.Remove(filepath.Join(reports, archive.FileName)) }, []string{"r3", "r2", "r1"}},
		{"damaged", func(t *testing.T, reports string) {
			os.WriteFile(filepath.Join(reports, archive.FileName), []byte(strings.Repeat("garbage", 1000)), 0o644)
			os.Remove(filepath.Join(reports, archive.FileName+"-wal"))
		}, []string{"r3", "r2", "r1"}},
		{"stale", func(t *testing.T, reports string) {
			// As after a crash between a report's deletion and its
			// entry's, and between a report's write and its entry's.
			os.Remove(filepath.Join(reports, report.FileName("r2")))
			plant(t, reports, "r4", "sim", "api", report.StatusFinished, time.Now().Add(-time.Minute))
		}, []string{"r4", "r3", "r1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfgPath, reports := testConfig(t, sim.URL, never)
			for i, id := range []string{"r1", "r2", "r3"} {
				plant(t, reports, id, "sim", "api", report.StatusFinished, time.Now().Add(time.Duration(i-10)*time.Minute))
			}
			first := startDaemon(t, cfgPath)
			waitSynced(t, first.Daemon)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := first.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			c.spoil(t, reports)
			os.WriteFile(filepath.Join(reports, "report_broken.json"), []byte(`{"run": {"id": "bro`), 0o644)
			d := startDaemon(t, cfgPath)
			waitSynced(t, d.Daemon)
			var got []string
			for _, r := range allRuns(t, d.Daemon) {
				got = append(got, r.id)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("runs %v, want %v", got, c.want)
			}
			if !strings.Contains(d.logs.String(), "report skipped") || !strings.Contains(d.logs.String(), "report_broken.json") {
				t.Error("no warning names the damaged report")
			}
			if c.name == "damaged" && !strings.Contains(d.logs.String(), "moved aside") {
				t.Errorf("no warning about the damaged index:\n%s", d.logs.String())
			}
		})
	}
}

// A run looked up while the index has not read its report yet is read
// from the file.
func TestRunFoundBeforeSync(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	waitSynced(t, d.Daemon)
	plant(t, reports, "late", "sim", "api", report.StatusFinished, time.Now())
	if code, body := get(t, d.server.URL+"/api/v1/runs/late"); code != 200 || !strings.Contains(body, `"finished"`) {
		t.Errorf("%d %s", code, body)
	}
	if _, ok, _ := d.index.Get("late"); !ok {
		t.Error("the report found on disk was not indexed")
	}
}

// Pages are rendered when asked for, never written per window, cached,
// and rendered again when their report changes.
func TestLazyReportPage(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	if _, err := os.Stat(filepath.Join(reports, report.HTMLFileName(run.id))); err == nil {
		t.Error("the window wrote its HTML page")
	}
	code, page := get(t, d.server.URL+"/reports/"+run.id)
	if code != 200 || !strings.Contains(page, run.id) {
		t.Fatalf("%d %.200s", code, page)
	}
	path := filepath.Join(reports, report.FileName(run.id))
	info, _ := os.Stat(path)
	if cached, ok := d.pages.Get(run.id, info.Size(), info.ModTime()); !ok || string(cached) != page {
		t.Error("the page was not cached")
	}
	rep, _ := report.Read(path)
	rep.Run.Workload = "renamed-workload"
	report.WriteFile(path, rep)
	if _, page := get(t, d.server.URL+"/reports/"+run.id); !strings.Contains(page, "renamed-workload") {
		t.Error("a changed report was served from the cache")
	}
	for id, want := range map[string]int{"20990101T000000.000Z-000000": 404, ".hidden": 400} {
		if code, _ := get(t, d.server.URL+"/reports/"+id); code != want {
			t.Errorf("/reports/%s: %d, want %d", id, code, want)
		}
	}
}

// Retention by count and by size deletes the oldest runs, files and
// entries, and never a window still running.
func TestRetentionByCountAndBytes(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	for _, c := range []struct {
		setting string
		want    []string
	}{
		{"report_retention_count: 2", []string{"r9", "r8"}},
		{"report_retention_bytes: 1", nil},
		{"report_retention: 5h", []string{"r9", "r8", "r7", "r6", "r5"}},
	} {
		t.Run(c.setting, func(t *testing.T) {
			cfgPath, reports := testConfig(t, sim.URL, never)
			text, _ := os.ReadFile(cfgPath)
			os.WriteFile(cfgPath, []byte(strings.Replace(string(text), "global:\n", "global:\n  "+c.setting+"\n", 1)), 0o644)
			now := time.Now()
			for i := range 10 {
				plant(t, reports, fmt.Sprintf("r%d", i), "sim", "schedule", report.StatusFinished, now.Add(-time.Duration(10-i)*time.Hour+time.Minute))
			}
			os.WriteFile(filepath.Join(reports, report.HTMLFileName("r0")), []byte("<html>"), 0o644)
			d := startDaemon(t, cfgPath)
			waitFor(t, "the retention", func() bool {
				files, _ := filepath.Glob(filepath.Join(reports, "report_*"))
				return len(files) == len(c.want)
			})
			// Prune deletes the files, then their entries: the index is
			// the last to catch up.
			var got []string
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				got = got[:0]
				for _, r := range allRuns(t, d.Daemon) {
					got = append(got, r.id)
				}
				if slices.Equal(got, c.want) || time.Now().After(deadline) {
					break
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("runs left %v, want %v", got, c.want)
			}
		})
	}
}

// An index that fails costs the lists an error, never the daemon: the
// status page still renders, windows still run, archive and answer.
func TestIndexFailureKeepsServing(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	waitSynced(t, d.Daemon)
	d.index.Close() // every query now fails, as on a damaged disk
	code, page := get(t, d.server.URL+"/")
	if code != 200 || !strings.Contains(page, "Archive: archive index") || !strings.Contains(page, "<td>tick</td>") {
		t.Errorf("status page: %d\n%s", code, page)
	}
	if code, body := get(t, d.server.URL+"/api/v1/runs"); code != 500 || !strings.Contains(body, "archive index") {
		t.Errorf("runs list: %d %s", code, body)
	}
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	if code, body := get(t, d.server.URL+"/api/v1/runs/"+run.id); code != 200 || !strings.Contains(body, `"finished"`) {
		t.Errorf("the run after a failed index write: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(reports, report.FileName(run.id))); err != nil {
		t.Errorf("no report: %v", err)
	}
	if !strings.Contains(d.logs.String(), "report written but not indexed") {
		t.Error("no log line for the failed index write")
	}
}
