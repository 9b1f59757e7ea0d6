package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
)

// The same target and workload, written for each of the six doors.
const (
	doorURL      = "https://127.0.0.1:8443/v1"
	doorFunc     = "lambda t: int(t/0.5+1) if t<2 else None"
	doorWorkload = `name: same
dataset: {kind: synthetic, input_tokens: 128, output_tokens: 64}
arrival: {kind: synthesizer, func: "` + doorFunc + `"}
duration: 1m
deadline: 1m
request_timeout: 30s
seed: 7
params: {temperature: 0.5, top_p: 0.9, extra_body: {top_k: 20, duration: 7d}}
`
	doorConfig = `global: {report_dir: REPORTS}
api:
  allow_urls: ['https://127\.0\.0\.1:8443/v1']
targets:
  - {name: same, url: "` + doorURL + `", api: openai-chat, model: m}
workloads:
  - ` + "WORKLOAD" + `
  - name: small
    dataset: {kind: synthetic, input_tokens: 128, output_tokens: 64}
    arrival: {kind: concurrency, concurrency: 1}
    requests: 1
modules:
  canary:
    workload: small
    allow_urls: ['https://127\.0\.0\.1:8443/v1']
    api: openai-chat
    model: m
`
)

func doorConfigText(reports string) string {
	text := strings.ReplaceAll(doorConfig, "REPORTS", reports)
	return strings.Replace(text, "WORKLOAD", strings.ReplaceAll(strings.TrimSuffix(doorWorkload, "\n"), "\n", "\n    "), 1)
}

// TestSixDoorsResolveAlike feeds one target and one workload through every
// front door; the resolved definitions are identical but for the fields
// the door's trust policy sets (the name, redirects, the untrusted mark).
// The old tool's body cannot set a request count and /probe runs its
// module's workload by name, so those rows compare what they carry.
func TestSixDoorsResolveAlike(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, "inferno.yml", doorConfigText(dir))
	cfg, err := config.LoadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	wantT, wantW, err := cfg.Resolve(config.FileDoor(cfgPath), config.Input{TargetName: "same", WorkloadName: "same"})
	if err != nil {
		t.Fatal(err)
	}
	workloadFile := writeFile(t, "same.yml", doorWorkload)
	legacyBody := `{"url": "` + doorURL + `", "model": "m", "dataset_name": "synthesizer", "endpoint_type": "openai", "key": "EMPTY",
		"random_seed": 7, "max_run_time": 60, "dataset_config": {"func": "` + doorFunc + `", "temperature": 0.5, "top_p": 0.9, "max_tokens": 64},
		"kwargs": {"request_timeout": 30, "top_k": 20, "duration": "7d"}}`
	workloadJSON, err := json.Marshal(yamlToAny(t, doorWorkload))
	if err != nil {
		t.Fatal(err)
	}
	flags := []string{"--url", doorURL, "--api", "openai-chat", "--model", "m", "--dataset", "synthetic", "--input-tokens", "128",
		"--output-tokens", "64", "--arrival", "synthesizer", "--func", doorFunc, "--duration", "1m", "--deadline", "1m",
		"--request-timeout", "30s", "--seed", "7", "--temperature", "0.5", "--top-p", "0.9", "--extra-body", `{"top_k": 20, "duration": "7d"}`}

	for _, door := range []struct {
		name    string
		resolve func() (*config.Target, *config.Workload, error)
		// what the door cannot carry, left out of the comparison
		noWorkload bool
	}{
		{name: "config file", resolve: func() (*config.Target, *config.Workload, error) {
			return cfg.Resolve(config.FileDoor(cfgPath), config.Input{TargetName: "same", WorkloadName: "same"})
		}},
		{name: "runs API", resolve: func() (*config.Target, *config.Workload, error) {
			return cfg.Resolve(cfg.RunsAPIDoor(), config.Input{
				TargetText:   []byte(`{"name": "same", "url": "` + doorURL + `", "api": "openai-chat", "model": "m"}`),
				WorkloadText: workloadJSON})
		}},
		{name: "old API", resolve: func() (*config.Target, *config.Workload, error) {
			return daemon.ResolveLegacyBody(cfg, "t1", []byte(legacyBody))
		}},
		{name: "probe URL", noWorkload: true, resolve: func() (*config.Target, *config.Workload, error) {
			return daemon.ResolveProbe(cfg, "canary", doorURL)
		}},
		{name: "flags", resolve: func() (*config.Target, *config.Workload, error) {
			_, tg, w, err := parseRunFlags(t, flags...).definitions()
			return tg, w, err
		}},
		{name: "workload file", resolve: func() (*config.Target, *config.Workload, error) {
			_, tg, w, err := parseRunFlags(t, "--url", doorURL, "--model", "m", "--workload-file", workloadFile).definitions()
			return tg, w, err
		}},
	} {
		t.Run(door.name, func(t *testing.T) {
			gotT, gotW, err := door.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if g, w := targetText(t, gotT), targetText(t, wantT); g != w {
				t.Errorf("target\n%s\nwant (the config file's)\n%s", g, w)
			}
			if door.noWorkload {
				return
			}
			if g, w := workloadText(t, gotW), workloadText(t, wantW); g != w {
				t.Errorf("workload\n%s\nwant (the config file's)\n%s", g, w)
			}
		})
	}
}

// targetText is a target as YAML without what trust policies set.
func targetText(t *testing.T, tg *config.Target) string {
	c := *tg
	c.Name, c.Untrusted, c.HTTP.FollowRedirects = "", false, false
	b, err := yaml.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func workloadText(t *testing.T, w *config.Workload) string {
	c := *w
	c.Name = ""
	b, err := yaml.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func yamlToAny(t *testing.T, text string) any {
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// captureServer answers every chat request with a short stream and keeps
// each request body.
type captureServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newCaptureServer(t *testing.T) *captureServer {
	c := &captureServer{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, string(b))
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"+
			"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *captureServer) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.bodies
	c.bodies = nil
	return out
}

// TestExtraBodyReachesTheWire: free-form extra_body keys named like the
// schema's durations reach the server exactly as written, from a config
// file, a workload file and a runs API body.
func TestExtraBodyReachesTheWire(t *testing.T) {
	srv := newCaptureServer(t)
	const extra = `{duration: 7d, nested: {step_duration: 2w}, ramp_duration: 90m}`
	workload := "dataset: {kind: synthetic, input_tokens: 4, output_tokens: 1}\narrival: {kind: concurrency, concurrency: 1}\nrequests: 1\n" +
		"params: {extra_body: " + extra + "}\n"
	dir := t.TempDir()
	cfgText := "global: {report_dir: " + dir + "}\napi:\n  allow_urls: ['" + strings.ReplaceAll(srv.URL, ".", `\.`) + "/v1']\n" +
		"targets:\n  - {name: cap, url: '" + srv.URL + "/v1', model: m}\nworkloads:\n  - name: w\n" + indentLines(workload, "    ")
	cfgPath := writeFile(t, "inferno.yml", cfgText)
	check := func(door string) {
		t.Helper()
		bodies := srv.take()
		requests := 0
		for _, b := range bodies {
			if b == "" {
				continue // a connection opened before the window
			}
			requests++
			var got map[string]any
			if err := json.Unmarshal([]byte(b), &got); err != nil {
				t.Fatalf("%s: %v", door, err)
			}
			if got["duration"] != "7d" || got["ramp_duration"] != "90m" {
				t.Errorf("%s: the server received duration %v, ramp_duration %v; want 7d and 90m as written", door, got["duration"], got["ramp_duration"])
			}
			if nested, _ := got["nested"].(map[string]any); nested["step_duration"] != "2w" {
				t.Errorf("%s: the server received nested %v, want step_duration 2w", door, got["nested"])
			}
		}
		if requests == 0 {
			t.Fatalf("%s: the server received no request", door)
		}
	}

	// The workload file, through inferno run.
	wfile := writeFile(t, "w.yml", workload)
	c := parseRunFlags(t, "--url", srv.URL+"/v1", "--model", "m", "--workload-file", wfile, "--report-dir", t.TempDir(), "--progress", "never")
	if code := c.execute(slog.New(slog.NewTextHandler(io.Discard, nil))); code != ExitOK {
		t.Fatalf("inferno run exited %d", code)
	}
	check("workload file")

	// The config file's workload and the runs API's inline one, through
	// the daemon.
	d, err := daemon.New(cfgPath, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(d.Handler())
	defer api.Close()
	inline, _ := json.Marshal(yamlToAny(t, workload))
	for _, run := range []struct{ door, body string }{
		{"config file", `{"target": "cap", "workload": "w"}`},
		{"runs API", `{"target": "cap", "workload": ` + string(inline) + `}`},
	} {
		waitForRun(t, api.URL, run.body)
		check(run.door)
	}
}

// waitForRun starts a run through the runs API and waits for it to end.
func waitForRun(t *testing.T, base, body string) *report.Report {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/runs", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", body, resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + loc + "/report")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var rep report.Report
				if err := json.Unmarshal(b, &rep); err != nil {
					t.Fatal(err)
				}
				if rep.Run.Status != report.StatusRunning {
					return &rep
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %s did not end", loc)
	return nil
}

func indentLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix) + "\n"
}

// TestDaemonAndCLIReportsAlike: the same target and workload, run by the
// daemon and by inferno run, give reports whose run sections differ only
// in the run id, the times and the trigger, and whose request counts match.
func TestDaemonAndCLIReportsAlike(t *testing.T) {
	srv := newCaptureServer(t)
	dir := t.TempDir()
	cfgText := "global: {report_dir: " + dir + "}\n" +
		"targets:\n  - {name: cap, url: '" + srv.URL + "/v1', model: m, cost_per_hour: 2.5, hardware: {gpu: L4, count: 2}, labels: {team: infra}}\n" +
		"workloads:\n  - name: w\n    dataset: {kind: synthetic, input_tokens: 4, output_tokens: 1}\n    arrival: {kind: concurrency, concurrency: 2}\n    requests: 6\n    seed: 3\n"
	cfgPath := writeFile(t, "inferno.yml", cfgText)

	cliDir := t.TempDir()
	c := parseRunFlags(t, "--workload-file", cfgPath, "--target", "cap", "--workload", "w", "--report-dir", cliDir, "--progress", "never")
	if code := c.execute(slog.New(slog.NewTextHandler(io.Discard, nil))); code != ExitOK {
		t.Fatalf("inferno run exited %d", code)
	}
	cli := testutil.OnlyReport(t, cliDir)

	d, err := daemon.New(cfgPath, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(d.Handler())
	defer api.Close()
	fromDaemon := waitForRun(t, api.URL, `{"target": "cap", "workload": "w"}`)

	runSection := func(r *report.Report) string {
		b, err := json.Marshal(r.Run)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		// Times and timings differ from run to run: the warm connections'
		// setup is measured, their count is not.
		for _, k := range []string{"id", "started_at", "ended_at", "trigger", "window_seconds", "grace_seconds", "warm_connection_setup_seconds"} {
			delete(m, k)
		}
		out, _ := json.MarshalIndent(m, "", "  ")
		return string(out)
	}
	if g, w := runSection(cli), runSection(fromDaemon); g != w {
		t.Errorf("inferno run's report\n%s\nthe daemon's\n%s", g, w)
	}
	if cli.Run.Transport != httpclient.TransportH1 {
		t.Errorf("run.transport %q, want %q for a plain-HTTP target", cli.Run.Transport, httpclient.TransportH1)
	}
	if cli.Run.Hardware == nil || cli.Run.CostPerHour != 2.5 {
		t.Errorf("inferno run's report lacks the target's hardware and cost: %+v", cli.Run)
	}
	if cli.Summary.Requests != fromDaemon.Summary.Requests || cli.Summary.Successes != fromDaemon.Summary.Successes {
		t.Errorf("requests %d/%d by inferno run, %d/%d by the daemon", cli.Summary.Successes, cli.Summary.Requests,
			fromDaemon.Summary.Successes, fromDaemon.Summary.Requests)
	}
}
