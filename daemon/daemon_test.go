package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

const plantedSecret = "planted-secret-9f8e7d"

// testConfig writes a config pointing at sim and returns its path.
func testConfig(t *testing.T, simURL, cron string) (path, reportDir string) {
	t.Helper()
	dir := t.TempDir()
	reportDir = filepath.Join(dir, "reports")
	cfg := fmt.Sprintf(`global:
  report_dir: %s
  max_concurrent_windows: 2
targets:
  - name: sim
    url: %s/v1
    model: sim
    cost_per_hour: 3.6
    http_client:
      authorization: {type: Bearer, credentials: %s}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: 2}
    requests: 4
    request_timeout: 5s
schedules:
  - name: tick
    cron: %q
    targets: [sim]
    workload: small
modules:
  quick:
    workload: small
    timeout: 10s
    model: sim
    allow_urls: ['%s/v1']
api:
  allow_urls: ['%[5]s/v1']
`, reportDir, simURL, plantedSecret, cron, strings.ReplaceAll(simURL, ".", `\.`))
	path = filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, reportDir
}

type testDaemon struct {
	*Daemon
	logs   *lockedBuffer
	server *httptest.Server
}

// startDaemon starts a daemon on configFile, setting it up with each of
// setup before it starts.
func startDaemon(t *testing.T, configFile string, setup ...func(*Daemon)) *testDaemon {
	t.Helper()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	d, err := New(configFile, logger, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(d)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(func() {
		srv.Close()
		// Not t.Context(): it is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	return &testDaemon{Daemon: d, logs: logs, server: srv}
}

func newSim(t testing.TB, cfg simulator.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(simulator.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// never is a valid cron spec that does not fire during a test.
const never = "0 0 1 1 *"

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runToEnd creates a run through the runs API with body, wants it
// accepted, and waits until it has finished; it returns the run's id.
func runToEnd(t *testing.T, base, body string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/runs", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created map[string]any
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	id, _ := created["id"].(string)
	if resp.StatusCode != 202 || id == "" {
		t.Fatalf("create: %d %v", resp.StatusCode, created)
	}
	waitFor(t, "the run to finish", func() bool {
		_, body := get(t, base+"/api/v1/runs/"+id)
		return strings.Contains(body, `"status": "finished"`)
	})
	return id
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestScheduledWindowFillsMetricsAndArchive(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 10 * time.Millisecond, ITL: time.Millisecond})
	cfgPath, reports := testConfig(t, sim.URL, "* * * * * *")
	d := startDaemon(t, cfgPath)
	waitFor(t, "a settled window", func() bool { return len(settledReports(d.Daemon, reports)) > 0 })
	_, metrics := get(t, d.server.URL+"/metrics")
	for _, want := range []string{
		`inferno_time_to_first_token_seconds_count{model="sim",target="sim",workload="small"} `,
		`inferno_windows_total{result="success",target="sim",workload="small"} `,
		`inferno_cost_per_million_output_tokens{model="sim",target="sim",workload="small"} `,
		`inferno_config_last_reload_successful 1`,
		`inferno_requests_total{model="sim",outcome="success",target="sim",workload="small"} `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	code, page := get(t, d.server.URL+"/")
	if code != 200 || !strings.Contains(page, "tick") || !strings.Contains(page, "/api/v1/runs/") {
		t.Errorf("status page: %d\n%s", code, page)
	}
}

// A schedule's window counters are on /metrics at 0 from its first load,
// so a rate of failed or skipped windows is 0 before the first, not absent.
func TestScheduleExportsWindowCountersAtZero(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	_, metrics := get(t, d.server.URL+"/metrics")
	for _, result := range []string{"success", "failed", "aborted", "skipped"} {
		want := `inferno_windows_total{result="` + result + `",target="sim",workload="small"} 0`
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestOverlappingWindowIsSkipped(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 500 * time.Millisecond, ITL: time.Millisecond})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	done := make(chan struct{})
	go func() { d.scheduledWindow("tick", "sim", 0); close(done) }()
	waitFor(t, "the first window to run", func() bool {
		_, busy := d.running.Load(jobKey("tick", "sim"))
		return busy
	})
	d.scheduledWindow("tick", "sim", 0) // overlaps: must return at once
	<-done
	_, metrics := get(t, d.server.URL+"/metrics")
	for _, want := range []string{
		`inferno_windows_total{result="skipped",target="sim",workload="small"} 1`,
		`inferno_windows_total{result="success",target="sim",workload="small"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReload(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	good, _ := os.ReadFile(cfgPath)
	before := d.Config()

	os.WriteFile(cfgPath, []byte("targets: [{name: x, colour: red}]\n"), 0o644)
	resp, err := http.Post(d.server.URL+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "unknown field colour") {
		t.Errorf("bad reload answered %d %s", resp.StatusCode, body)
	}
	if d.Config() != before {
		t.Error("a bad file replaced the config")
	}
	if v := testutil.ToFloat64(d.collector.ReloadSuccess); v != 0 {
		t.Errorf("config_last_reload_successful %v after a bad reload", v)
	}

	entry := d.jobs[jobKey("tick", "sim")].entry
	added := strings.Replace(string(good), "schedules:", "schedules:\n  - {name: more, cron: '@every 1h', targets: [sim], workload: small}", 1)
	os.WriteFile(cfgPath, []byte(added), 0o644)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(d.collector.ReloadSuccess); v != 1 {
		t.Errorf("config_last_reload_successful %v after a good reload", v)
	}
	if len(d.jobs) != 2 || d.jobs[jobKey("tick", "sim")].entry != entry {
		t.Errorf("jobs %v: want the new one added and the unchanged one kept (entry %d)", d.jobs, entry)
	}
}

func TestShutdownWritesAbortedReport(t *testing.T) {
	sim := newSim(t, simulator.Config{Fault: simulator.FaultStall})
	cfgPath, reports := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "requests in flight", func() bool {
		v := run.View()
		return v.Progress != nil && v.Progress.InFlight > 0
	})
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	rep, err := report.Read(filepath.Join(reports, report.FileName(run.id)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Status != report.StatusAborted || rep.Summary.Outcomes["cancelled"] == 0 {
		t.Errorf("status %s, outcomes %v; want aborted with cancelled requests", rep.Run.Status, rep.Summary.Outcomes)
	}
}

func TestProbe(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 5 * time.Millisecond})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	tests := []struct {
		name, query string
		code        int
		want        string
	}{
		{"configured target", "module=quick&target=sim", 200, "probe_success 1"},
		{"allowed URL", "module=quick&target=" + sim.URL + "/v1", 200, "probe_ttft_seconds{quantile=\"0.5\"}"},
		{"URL outside the allow-list", "module=quick&target=http://10.0.0.42:8000/v1", 400, "neither a configured target"},
		{"unknown module", "module=nope&target=sim", 400, "unknown module"},
		{"no target", "module=quick", 400, "target parameter is missing"},
		{"debug", "module=quick&target=sim&debug=true", 200, "Logs for the probe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, d.server.URL+"/probe?"+tt.query)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("got %d\n%s\nwant %d containing %q", code, body, tt.code, tt.want)
			}
		})
	}
	// Probes never touch the long-lived series.
	if _, metrics := get(t, d.server.URL+"/metrics"); strings.Contains(metrics, "inferno_time_to_first_token_seconds_count") {
		t.Error("a probe wrote to the long-lived histograms")
	}
}

// The probe's deadline is the scrape timeout less the offset left for the
// answer, and it is what ends the window: a stalled target's requests are
// cancelled by it, not by their 5 s timeout or the module's 10 s. The
// verdict is what the probe says it did, not how long it took.
func TestProbeDeadlineFromScrapeTimeout(t *testing.T) {
	sim := newSim(t, simulator.Config{Fault: simulator.FaultStall})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	body := scrapeProbe(t, d.server.URL+"/probe?module=quick&target=sim&debug=true", "1.5")
	for _, want := range []string{
		"deadline=1s\n",
		`msg="request failures" outcome=cancelled status=200 count=2 reason="window deadline reached"`,
		"probe_success 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("stalled target, 1.5 s scrape timeout: the probe's answer lacks %q:\n%s", want, body)
		}
	}
}

// scrapeProbe GETs a /probe URL as Prometheus does, with its scrape
// timeout header, and returns the body. A probe that outlives its scrape
// timeout many times over fails the test rather than hang it; how long a
// probe takes is never the verdict.
func scrapeProbe(t *testing.T, url, timeoutSeconds string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", timeoutSeconds)
	resp, err := (&http.Client{Timeout: probeHangGuard}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

// probeHangGuard is how long a test waits for a probe's answer: far beyond
// any scrape timeout the tests give, and short of the timeouts a probe that
// ignored its deadline would wait out.
const probeHangGuard = 45 * time.Second

func TestRunsAPI(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 5 * time.Millisecond})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(d.server.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	id := runToEnd(t, d.server.URL, `{"target":"sim","workload":"small"}`)
	if code, body := get(t, d.server.URL+"/api/v1/runs/"+id+"/report"); code != 200 || !strings.Contains(body, `"Total_request_num": 4`) {
		t.Errorf("report: %d %.200s", code, body)
	}
	code, inline := post("/api/v1/runs", `{"target":{"name":"adhoc","url":"`+sim.URL+`/v1","model":"sim","api":"tgi"},
		"workload":{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":2},"arrival":{"kind":"concurrency","concurrency":1},"requests":1}}`)
	if code != 202 {
		t.Errorf("inline run: %d %v", code, inline)
	}
	for body, want := range map[string]string{
		`{"target":"nope","workload":"small"}`: `no target named \"nope\"`,
		`{"target":"sim"}`:                     "workload is missing",
		`{"target":"sim","workload":{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":2},"arrival":{"kind":"poisson","rate":1}}}`: "set requests or duration",
		`{"bogus":1}`: "unknown field",
	} {
		resp, _ := http.Post(d.server.URL+"/api/v1/runs", "application/json", strings.NewReader(body))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s; want 400 with %q", body, resp.StatusCode, b, want)
		}
	}
	if code, _ := get(t, d.server.URL+"/api/v1/runs/..%2F..%2Fetc%2Fpasswd/report"); code != 400 {
		t.Errorf("path traversal id: %d, want 400", code)
	}
	if code, _ := get(t, d.server.URL+"/api/v1/runs/20990101T000000.000Z-000000"); code != 404 {
		t.Errorf("unknown id: %d, want 404", code)
	}
	_, list := get(t, d.server.URL+"/api/v1/runs")
	if strings.Index(list, inline["id"].(string)) > strings.Index(list, id) {
		t.Error("runs list is not newest first")
	}

	// The list survives a restart: a new daemon on the same archive finds the run.
	d2 := startDaemon(t, cfgPath)
	if code, body := get(t, d2.server.URL+"/api/v1/runs/"+id); code != 200 || !strings.Contains(body, `"finished"`) {
		t.Errorf("after restart: %d %s", code, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, d2.server.URL+"/api/v1/runs/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v %v", resp, err)
	}
	if code, _ := get(t, d2.server.URL+"/api/v1/runs/"+id); code != 404 {
		t.Errorf("deleted run still answers %d", code)
	}
}

func TestCancelRun(t *testing.T) {
	sim := newSim(t, simulator.Config{Fault: simulator.FaultStall})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run to start", func() bool { return run.View().Status == StatusRunning })
	resp, _ := http.Post(d.server.URL+"/api/v1/runs/"+run.id+"/cancel", "", nil)
	resp.Body.Close()
	waitFor(t, "the run to be aborted", func() bool { return run.View().Status == report.StatusAborted })
}

// A token planted in the config must not surface anywhere a user can see.
func TestSecretsNeverLeak(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	var seen strings.Builder
	for _, path := range []string{"/config", "/api/v1/runs", "/api/v1/runs/" + run.id, "/api/v1/runs/" + run.id + "/report",
		"/probe?module=quick&target=sim&debug=true", "/metrics", "/"} {
		_, body := get(t, d.server.URL+path)
		seen.WriteString(body)
	}
	files, _ := filepath.Glob(filepath.Join(reports, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		seen.Write(b)
	}
	seen.WriteString(d.logs.String())
	if strings.Contains(seen.String(), plantedSecret) {
		t.Error("the planted secret appeared in an answer, a report or the logs")
	}
	if _, cfgText := get(t, d.server.URL+"/config"); !strings.Contains(cfgText, "<secret>") {
		t.Errorf("/config does not show the credential as <secret>:\n%s", cfgText)
	}
}

// An unwritable archive costs the report, never the window's metrics or
// the daemon.
func TestUnwritableArchive(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, reports := testConfig(t, sim.URL, never)
	os.WriteFile(reports, []byte("a file where the report directory should be"), 0o644)
	d := startDaemon(t, cfgPath)
	cfg := d.Config()
	run := d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	// Three writes failed: the placeholders at acceptance and at the
	// start, and the report.
	if v := testutil.ToFloat64(d.collector.ReportWriteErrors); v != 3 {
		t.Errorf("report_write_errors_total %v, want 3", v)
	}
	if v := run.View(); v.Status != report.StatusFinished || !strings.Contains(v.Error, "report not written") {
		t.Errorf("run %+v", v)
	}
	if !strings.Contains(d.logs.String(), "report not written") {
		t.Error("no log line for the lost report")
	}
	// The next window writes again once the directory is usable.
	os.Remove(reports)
	run = d.StartRun(cfg.Target("sim"), cfg.Workload("small"), "api")
	waitFor(t, "the second run", run.Finished)
	if run.ReportPath() == "" {
		t.Error("writing did not resume")
	}
}

// A panicking window is recovered, recorded as failed, and its schedule
// runs again at the next tick.
func TestPanicKeepsScheduleAlive(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	calls := 0
	d.windowRunner = func(ctx context.Context, j *windowJob, r *Run) *report.Report {
		calls++
		if calls == 1 {
			panic("injected")
		}
		return d.runWindow(ctx, j, r)
	}
	d.scheduledWindow("tick", "sim", 0)
	d.scheduledWindow("tick", "sim", 0)
	runs := allRuns(t, d.Daemon)
	if len(runs) != 2 || runs[1].View().Status != report.StatusFailed || runs[0].View().Status != report.StatusFinished {
		t.Fatalf("runs %+v %+v; want the panicked one failed and the next finished", runs[1].View(), runs[0].View())
	}
	if !strings.Contains(runs[1].View().Error, "internal error: injected") || !strings.Contains(d.logs.String(), "window panicked") {
		t.Errorf("panic not reported: %q", runs[1].View().Error)
	}
}

// finishedReports are the reports in dir whose window has ended (not the
// placeholders of running windows).
func finishedReports(dir string) []*report.Report {
	files, _ := filepath.Glob(filepath.Join(dir, "report_*.json"))
	var out []*report.Report
	for _, f := range files {
		if r, err := report.Read(f); err == nil && r.Run.Status != report.StatusRunning {
			out = append(out, r)
		}
	}
	return out
}

// settledReports are the finished reports in dir whose runs the daemon has
// also settled. A window's report is archived before its last figures
// reach /metrics; a test that reads them waits for these.
func settledReports(d *Daemon, dir string) []*report.Report {
	var out []*report.Report
	for _, r := range finishedReports(dir) {
		if run := d.runs.get(r.Run.ID); run == nil || run.Finished() {
			out = append(out, r)
		}
	}
	return out
}

// A reload that removes a schedule removes the series of its target and
// workload: their last figures must not linger as if still measured.
func TestReloadForgetsRemovedSeries(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	good, _ := os.ReadFile(cfgPath)
	rep := report.Report{Summary: report.Summary{Requests: 1, Successes: 1}}
	d.collector.WindowDone(collector.Labels{Target: "sim", Model: "sim", Workload: "small"}, &rep, time.Now(), 0)
	series := `inferno_last_window_success{model="sim",target="sim",workload="small"} 1`
	if _, metrics := get(t, d.server.URL+"/metrics"); !strings.Contains(metrics, series) {
		t.Fatalf("/metrics lacks %q before the reload", series)
	}
	text := string(good)
	noSchedule := text[:strings.Index(text, "schedules:")] + text[strings.Index(text, "modules:"):]
	os.WriteFile(cfgPath, []byte(noSchedule), 0o644)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, metrics := get(t, d.server.URL+"/metrics"); strings.Contains(metrics, `target="sim",workload="small"`) {
		t.Errorf("/metrics keeps the removed schedule's series:\n%s", metrics)
	}
}
