package daemon

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// hangServer accepts requests and never answers until the client gives up
// (or the test ends).
func hangServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// hostileConfig has a fast target (sim), a never-answering one (hang), an
// allow-list of both and the limits given.
func hostileConfig(t *testing.T, simURL, hangURL, extra string) (path, reports string) {
	t.Helper()
	dir := t.TempDir()
	reports = filepath.Join(dir, "reports")
	esc := func(u string) string { return strings.ReplaceAll(u, ".", `\.`) }
	cfg := fmt.Sprintf(`global: {report_dir: %s, max_concurrent_windows: 2}
targets:
  - {name: sim, url: %s/v1, model: sim}
  - {name: hang, url: %s/v1, model: sim}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: 1}
    requests: 2
  - name: stuck
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: 4}
    duration: 1h
schedules:
  - {name: tick, cron: "0 0 1 1 *", targets: [sim], workload: small}
api:
  allow_urls: ['%s/v1', '%s/v1']
%s`, reports, simURL, hangURL, esc(simURL), esc(hangURL), extra)
	path = filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, reports
}

// TestHostileRunsAPI: every hostile body is refused with a 400 naming the
// field, before anything is read or sent, and no answer says whether a
// path exists.
func TestHostileRunsAPI(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "")
	d := startDaemon(t, cfgPath)
	secretFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(secretFile, []byte("service-account-token-31337"), 0o600)
	target := func(extra string) string {
		return `{"name":"x","url":"` + sim.URL + `/v1","model":"sim"` + extra + `}`
	}
	tests := []struct {
		name, target, workload, want string
	}{
		{"credentials_file", target(`,"http_client":{"authorization":{"type":"Bearer","credentials_file":"PATH"}}`), `"small"`, "http_client.authorization.credentials_file: an API body may not name a local file"},
		{"password_file", target(`,"http_client":{"basic_auth":{"username":"u","password_file":"PATH"}}`), `"small"`, "http_client.basic_auth.password_file"},
		{"ca_file", target(`,"http_client":{"tls_config":{"ca_file":"PATH"}}`), `"small"`, "http_client.tls_config.ca_file"},
		{"jsonl prompts", `"sim"`, `{"dataset":{"kind":"jsonl","path":"PATH"},"arrival":{"kind":"poisson","rate":1},"requests":1}`, "inline workload: dataset.path: an API body may not name a local file"},
		{"url outside the allow-list", `{"name":"x","url":"http://10.1.2.3:8000/v1","model":"sim"}`, `"small"`, "inline target: url: not allowed by the daemon's api.allow_urls"},
		{"concurrency 1e9", `"sim"`, `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1000000000},"requests":1}`, "arrival.concurrency: concurrency 1000000000 is over the limit of 10000 (limits.max_concurrency)"},
		{"input_tokens 2e9", `"sim"`, `{"dataset":{"kind":"synthetic","input_tokens":2000000000,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":1}`, "dataset.input_tokens: input_tokens 2000000000 is over the limit"},
		{"100 years", `"sim"`, `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"duration":"100y"}`, "duration: duration 100y is over the limit of 1w (limits.max_duration)"},
		{"synthesizer at 1e9/s", `"sim"`, `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"synthesizer","func":"lambda t: int(t/1e-9+1) if t<60 else None"}}`, "limits.max_synthesizer_tick"},
		{"oversized body", `"sim"`, `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, "request body: http: request body too large"},
	}
	for _, tt := range tests {
		for _, path := range []string{secretFile, filepath.Join(t.TempDir(), "missing")} {
			t.Run(tt.name, func(t *testing.T) {
				body := strings.ReplaceAll(`{"target":`+tt.target+`,"workload":`+tt.workload+`}`, "PATH", path)
				code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", body)
				if code != http.StatusBadRequest || !strings.Contains(answer, tt.want) {
					t.Fatalf("answered %d %.300s\nwant 400 with %q", code, answer, tt.want)
				}
				if strings.Contains(answer, path) || strings.Contains(answer, "no such file") {
					t.Errorf("the answer tells about the path: %s", answer)
				}
			})
		}
	}
	if n := len(allRuns(t, d.Daemon)); n != 0 {
		t.Errorf("%d runs started from hostile bodies", n)
	}
}

// TestHostileLegacyAPI: the old tool's routes obey the same allow-list
// and limits, and concurrent register_and_start of one test_id starts
// it once.
func TestHostileLegacyAPI(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "limits: {max_registered_tests: 3}\n")
	d := startDaemon(t, cfgPath)
	body := func(url, extra string) string {
		return `{"url":"` + url + `/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"}` + extra + `}`
	}
	for _, tt := range []struct{ name, body, want string }{
		{"url outside the allow-list", body("http://10.1.2.3:8000", ""), "url: not allowed by the daemon's api.allow_urls"},
		{"endless run", body(sim.URL, `,"max_run_time":1e300`), "max_run_time: 1e+300 s is over the limit of 1w"},
		{"flood", strings.Replace(body(sim.URL, ""), "t/1+1", "t/1e-9+1", 1), "limits.max_synthesizer_tick"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, answer := send(t, "POST", d.server.URL+"/tests/register", tt.body)
			if code != http.StatusBadRequest || !strings.Contains(answer, tt.want) {
				t.Fatalf("answered %d %s\nwant 400 with %q", code, answer, tt.want)
			}
		})
	}

	// Registered but unstarted tests are bounded.
	for i := range 3 {
		if code, answer := send(t, "POST", d.server.URL+"/tests/register", body(sim.URL, fmt.Sprintf(`,"test_id":"kept-%d"`, i))); code != 200 {
			t.Fatalf("register %d: %d %s", i, code, answer)
		}
	}
	if code, answer := send(t, "POST", d.server.URL+"/tests/register", body(sim.URL, "")); code != http.StatusTooManyRequests {
		t.Errorf("a fourth registered test: %d %s, want 429", code, answer)
	}

	// Twenty concurrent register_and_start calls with one test_id.
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for range 20 {
		wg.Go(func() {
			code, _ := send(t, "POST", d.server.URL+"/tests/register_and_start", body(sim.URL, `,"test_id":"once"`))
			switch code {
			case 200:
				ok.Add(1)
			case http.StatusConflict:
				conflict.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 19 {
		t.Errorf("%d started, %d conflicts; want 1 and 19", ok.Load(), conflict.Load())
	}
	started := 0
	for _, r := range allRuns(t, d.Daemon) {
		if r.id == "once" {
			started++
		}
	}
	if started != 1 {
		t.Errorf("test once has %d runs", started)
	}
}

// TestWindowShares: API windows fill their share and queue, a full queue
// answers 429, and a scheduled window still runs beside them.
func TestWindowShares(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, reports := hostileConfig(t, sim.URL, hang.URL, "limits: {max_pending_runs: 2}\n")
	d := startDaemon(t, cfgPath)
	stuck := `{"target":"hang","workload":"stuck"}`
	code, first := send(t, "POST", d.server.URL+"/api/v1/runs", stuck)
	if code != http.StatusAccepted {
		t.Fatalf("first run: %d %s", code, first)
	}
	// It holds the share, then leaves the queue.
	waitFor(t, "the first run to hold the API share", func() bool { return d.adhoc.InUse() == 1 && d.pending.Load() == 0 })
	for i := range 2 {
		if code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", stuck); code != http.StatusAccepted {
			t.Fatalf("queued run %d: %d %s", i, code, answer)
		}
	}
	code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", stuck)
	if code != http.StatusTooManyRequests || !strings.Contains(answer, "limits.max_pending_runs") {
		t.Errorf("a run beyond the queue: %d %s, want 429", code, answer)
	}
	// The schedule's window runs to its end while the API share is full.
	done := make(chan struct{})
	go func() { d.scheduledWindow("tick", "sim", 0); close(done) }()
	<-done
	if got := finishedReports(reports); len(got) != 1 || got[0].Run.Trigger != "schedule" || got[0].Run.Status != report.StatusFinished {
		t.Errorf("scheduled window: %d finished reports", len(got))
	}
	for _, r := range d.runs.list() {
		r.Cancel()
	}
	waitFor(t, "the queue to drain", func() bool { return d.pending.Load() == 0 })
}

// TestAcceptedRunSurvivesKill: a run answered 202 is on disk at once, so
// a daemon started after kill -9 lists it as aborted, never 404.
func TestAcceptedRunSurvivesKill(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "")
	d := startDaemon(t, cfgPath)
	stuck := `{"target":"hang","workload":"stuck"}`
	var ids []string
	for range 2 { // one running, one still waiting for the API share
		code, answer := jsonCall(t, "POST", d.server.URL+"/api/v1/runs", stuck)
		if code != http.StatusAccepted {
			t.Fatalf("%d %v", code, answer)
		}
		ids = append(ids, answer.(map[string]any)["id"].(string))
	}
	// The running one has written its window's placeholder (a newer file
	// than the next start, which leaves it alone, as another daemon's).
	waitFor(t, "the first run to start", func() bool {
		r := d.runs.get(ids[0])
		return r != nil && r.View().Status == StatusRunning
	})
	// The first daemon is never shut down before the second reads the
	// archive: as after kill -9.
	after := startDaemon(t, cfgPath)
	for _, id := range ids {
		code, answer := jsonCall(t, "GET", after.server.URL+"/api/v1/runs/"+id, "")
		if code != 200 || answer.(map[string]any)["status"] != report.StatusAborted {
			t.Errorf("run %s after a restart: %d %v", id, code, answer)
		}
	}
}

// TestURLSecretsRedacted: a password in a target URL and a key in its
// query or in extra_body never reach /, /config, the runs API, reports or
// logs.
func TestURLSecretsRedacted(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	host := strings.TrimPrefix(sim.URL, "http://")
	cfg := fmt.Sprintf(`global: {report_dir: %s}
targets:
  - {name: azure, url: "http://inferno:pw-31337@%s/v1?api-version=2024-06-01&api-key=key-31337", model: sim}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: 1}
    requests: 2
    params: {extra_body: {api_key: body-31337, user: inferno}}
`, reports, host)
	path := filepath.Join(dir, "inferno.yml")
	os.WriteFile(path, []byte(cfg), 0o644)
	d := startDaemon(t, path)
	c := d.Config()
	run := d.StartRun(c.Target("azure"), c.Workload("small"), "api")
	waitFor(t, "the run", run.Finished)
	var seen strings.Builder
	for _, p := range []string{"/", "/config", "/api/v1/runs", "/api/v1/runs/" + run.id + "/report"} {
		_, body := get(t, d.server.URL+p)
		seen.WriteString(body)
	}
	files, _ := filepath.Glob(filepath.Join(reports, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		seen.Write(b)
	}
	seen.WriteString(d.logs.String())
	for _, secret := range []string{"pw-31337", "key-31337", "body-31337"} {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("%s appeared in an answer, a report or the logs", secret)
		}
	}
	if !strings.Contains(seen.String(), "api-version=2024-06-01&api-key=<secret>") {
		t.Error("the redacted URL is not shown")
	}
	if v := run.View(); v.Summary == nil || v.Summary.Successes != 2 {
		t.Errorf("the window did not reach the server: %+v", v)
	}
}

// A reload refused for a misplaced secret does not echo it: not in the
// answer, not in the log.
func TestReloadDoesNotEchoSecrets(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	good, _ := os.ReadFile(cfgPath)
	for _, bad := range []string{
		strings.Replace(string(good), "requests: 4", "requests: sk-live-31337abcdef", 1),
		strings.Replace(string(good), "request_timeout: 5s", "request_timeout: sk-live-31337abcdef", 1),
		strings.Replace(string(good), "url: "+sim.URL+"/v1", "url: sk-live-31337abcdef", 1),
	} {
		os.WriteFile(cfgPath, []byte(bad), 0o644)
		code, answer := send(t, "POST", d.server.URL+"/-/reload", "")
		if code != 500 || strings.Contains(answer, "sk-l") || strings.Contains(answer, "31337") {
			t.Errorf("reload answered %d %s", code, answer)
		}
	}
	if strings.Contains(d.logs.String(), "31337") {
		t.Error("the secret reached the log")
	}
}
