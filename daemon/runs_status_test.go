package daemon

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// TestAllFailedWindowIsFailed: a scheduled window in which every request
// failed is failed in its report, the runs API, the status page and
// inferno_windows_total, and is logged at warn with its top error.
func TestAllFailedWindowIsFailed(t *testing.T) {
	sim := newSim(t, simulator.Config{Fault: simulator.FaultStatus, FaultStatus: 503})
	cfgPath, reports := testConfig(t, sim.URL, "* * * * * *")
	d := startDaemon(t, cfgPath)
	var run RunView
	waitFor(t, "a scheduled window to end", func() bool {
		for _, r := range allRuns(t, d.Daemon) {
			if v := r.View(); v.Trigger == "schedule" && r.Finished() {
				run = v
				return true
			}
		}
		return false
	})
	if run.Status != report.StatusFailed || !strings.Contains(run.Error, "all 4 requests failed") || !strings.Contains(run.Error, "HTTP 503") {
		t.Errorf("runs API: status %s, error %q; want failed with its top error", run.Status, run.Error)
	}
	rep, err := report.Read(filepath.Join(reports, report.FileName(run.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Status != report.StatusFailed || rep.Run.Error != run.Error {
		t.Errorf("report: status %s, error %q", rep.Run.Status, rep.Run.Error)
	}
	failedWindows := 0.0
	families, _ := d.registry.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if f.GetName() == "inferno_windows_total" && l.GetName() == "result" && l.GetValue() == "failed" {
					failedWindows += m.GetCounter().GetValue()
				}
			}
		}
	}
	if failedWindows < 1 {
		t.Errorf("inferno_windows_total{result=\"failed\"} = %v", failedWindows)
	}
	warn := regexp.MustCompile(`level=WARN msg="window failed: every request failed" run=` + regexp.QuoteMeta(run.ID) + `.* top_error="http_5xx: HTTP 503.*" top_error_count=4`)
	if !warn.MatchString(d.logs.String()) {
		t.Errorf("no warning with the top error in the log:\n%s", d.logs.String())
	}
	if code, body := get(t, d.server.URL+"/"); code != 200 || !strings.Contains(body, `class="failed">failed</a>`) {
		t.Errorf("status page: %d; the target's last window is not shown failed:\n%s", code, body)
	}
}

// TestRunsPagingAndStatusPage: /api/v1/runs and the status page page the
// runs newest first with limit and before; the status page shows each
// target's health from its last window, and schedules' targets as names.
func TestRunsPagingAndStatusPage(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	// Within report_retention, which counts from the start.
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Minute)
	var ids []string // oldest first
	for i := range 5 {
		id := report.NewRunID(base.Add(time.Duration(i) * time.Minute))
		rep := &report.Report{Run: report.Meta{ID: id, Status: report.StatusFinished, Trigger: "schedule",
			Target: report.Target{Name: "sim"}, Workload: "small", StartedAt: base, EndedAt: base.Add(time.Duration(i)*time.Minute + 30*time.Second)}}
		rep.Summary.Requests, rep.Summary.Successes, rep.Summary.Failures = 10, 9, 1
		rep.Summary.SLO.Attainment = 0.9
		rep.Stats.TTFT.P50, rep.Stats.TTFT.P95 = 0.012+float64(i)*0.001, 0.040
		if _, err := report.Write(reports, rep); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	d := startDaemon(t, cfgPath)
	waitSynced(t, d.Daemon)

	// Follow the API's pages by their Link headers.
	var got []string
	next := "/api/v1/runs?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages == 5 {
			t.Fatal("the pages never end")
		}
		resp, err := http.Get(d.server.URL + next)
		if err != nil {
			t.Fatal(err)
		}
		var views []RunView
		json.NewDecoder(resp.Body).Decode(&views)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(views) == 0 || len(views) > 2 {
			t.Fatalf("%s: %d, %d runs", next, resp.StatusCode, len(views))
		}
		for _, v := range views {
			got = append(got, v.ID)
		}
		next = ""
		if m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	if _, body := get(t, d.server.URL+"/api/v1/runs?before="+ids[2]); !strings.Contains(body, ids[1]) || strings.Contains(body, ids[2]) || strings.Contains(body, ids[3]) {
		t.Errorf("before=%s: %s", ids[2], body)
	}
	for query, want := range map[string]string{
		"limit=0": `limit=\"0\"`, "limit=many": `limit=\"many\"`, "limit=5000": "from 1 to 1000", "before=..%2Fetc": `before=\"../etc\"`,
	} {
		if code, body := get(t, d.server.URL+"/api/v1/runs?"+query); code != 400 || !strings.Contains(body, want) {
			t.Errorf("?%s: %d %s; want 400 naming %s", query, code, body, want)
		}
	}

	code, page := get(t, d.server.URL+"/?limit=2")
	if code != 200 {
		t.Fatalf("status page: %d", code)
	}
	for _, want := range []string{
		// Target sim's health: its newest window.
		`<a href="/reports/` + ids[4] + `" class="finished">finished</a>`, "16.0 ms", "40.0 ms", "1 of 10", "90.0%", "(in ",
		// The schedule lists its targets by name.
		"<td>sim</td><td>",
		// Two windows, and a link to the older ones.
		`href="/?before=` + ids[3] + `&amp;limit=2" rel="next"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, "[sim]") {
		t.Error("status page shows a Go slice")
	}
	if strings.Count(page, `(<a href="/api/v1/runs/`) != 2 || strings.Contains(page, ids[2]+`">`) {
		t.Errorf("status page with limit=2 does not list exactly the two newest windows")
	}
}
