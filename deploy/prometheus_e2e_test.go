package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/grafana"
	"github.com/inferno-llm/inferno/internal/testutil"
)

// The built-in simulator's configured latency in this test. 70 ms sits in
// the middle of the (60 ms, 80 ms] bucket of vLLM's boundaries. It is a
// floor, not the expected value: the simulator's timers never fire early
// but fire late on a busy machine, so the figures are judged against the
// simulator's own record of what it did (see ttftBounds).
const (
	simulatorTTFT   = 70 * time.Millisecond
	simulatorITL    = 5 * time.Millisecond
	simulatorJitter = 0.02
	// steadyOutput is the steady workload's output tokens.
	steadyOutput = 16
)

// wrongEvent is what a TTFT taken at the steady stream's last token
// instead of its first adds (more on a busy machine), and timingMargin
// the slack the checks allow beyond the simulator's own record: two
// thirds of wrongEvent, so a late event or a series read in the wrong
// place still fails, while a busy machine's few milliseconds of late
// reads stay far inside.
const (
	wrongEvent   = (steadyOutput - 1) * simulatorITL
	timingMargin = wrongEvent * 2 / 3
)

// TestPrometheusEndToEnd runs the real thing: the inferno binary with its
// built-in simulator, and a real Prometheus (Debian's package) scraping
// /metrics, /probe and the simulator's vLLM metrics with the shipped
// configuration and rules. Through Prometheus' HTTP API it checks that
// every dashboard query and every rule expression parses and returns
// data, and that the TTFT quantiles match the simulator's latency.
func TestPrometheusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and the daemon for about a minute")
	}
	prometheus, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("prometheus not found; .ci/run installs the prometheus package")
		}
		t.Skip("prometheus not installed")
	}
	dir := t.TempDir()
	inferno := filepath.Join(dir, "inferno")
	if out, err := exec.Command("go", "build", "-o", inferno, "..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	webAddr, webAddr2, simAddr, promAddr, deadAddr := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)

	// The daemon: the simulator, a target that refuses connections (so
	// failures and the endpoint-down alert have data), windows every 2 s,
	// shared by two replicas (load_share), so the dashboards must add the
	// replicas' halves of each window up.
	cfgPath := filepath.Join(dir, "inferno.yml")
	goodConfig := fmt.Sprintf(`global:
  report_dir: %s
  run_on_start: true
  max_concurrent_windows: 4
simulator: {listen: %s, model: sim, ttft: %v, itl: %v, jitter: %v}
targets:
  - {name: simulator, url: 'http://%s/v1', api: openai-chat, model: sim, cost_per_hour: 2, server_metrics: {url: auto}}
  - {name: dead, url: 'http://%s/v1', api: openai-chat, model: sim}
  # The capacity search probes the same simulator under its own name, so
  # the simulator target's series stay those of the shared steady window.
  - {name: capacity-sim, url: 'http://%s/v1', api: openai-chat, model: sim}
workloads:
  - name: steady
    dataset: {kind: synthetic, input_tokens: 32, output_tokens: %d}
    arrival: {kind: poisson, rate: 20}
    requests: 10
    deadline: 10s
    request_timeout: 5s
    seed: 1
    slo: {ttft: 150ms}
    checks: ['regex:model says']
  - name: probe
    dataset: {kind: synthetic, input_tokens: 16, output_tokens: 8}
    arrival: {kind: concurrency, concurrency: 2}
    requests: 4
  - name: capacity
    dataset: {kind: synthetic, input_tokens: 16, output_tokens: 8}
    arrival: {kind: capacity, rate: 20, step_duration: 500ms, max_steps: 2}
    request_timeout: 5s
    slo: {ttft: 500ms}
schedules:
  - {name: every-2s, cron: '*/2 * * * * *', targets: [simulator, dead], workload: steady, load_share: true}
  - {name: capacity, cron: '*/5 * * * * *', targets: [capacity-sim], workload: capacity}
modules:
  llm_probe: {workload: probe, timeout: 10s}
`, filepath.Join(dir, "reports"), simAddr, simulatorTTFT, simulatorITL, simulatorJitter, simAddr, deadAddr, simAddr, steadyOutput)
	os.WriteFile(cfgPath, []byte(goodConfig), 0o644)
	daemon := start(t, inferno, "--config.file", cfgPath, "--web.listen-address", webAddr, "--shard.count=2", "--shard.index=0", "--reports.per-request")
	waitHTTP(t, "http://"+webAddr+"/-/ready")
	// The second replica: the same targets and schedules, its own archive,
	// and no simulator of its own (the first one serves both).
	cfgPath2 := filepath.Join(dir, "inferno-2.yml")
	config2 := strings.Replace(goodConfig, fmt.Sprintf("simulator: {listen: %s, model: sim, ttft: %v, itl: %v, jitter: %v}\n", simAddr, simulatorTTFT, simulatorITL, simulatorJitter), "", 1)
	config2 = strings.Replace(config2, filepath.Join(dir, "reports"), filepath.Join(dir, "reports-2"), 1)
	if config2 == goodConfig {
		t.Fatal("the second replica's configuration is the first's")
	}
	os.WriteFile(cfgPath2, []byte(config2), 0o644)
	daemon2 := start(t, inferno, "--config.file", cfgPath2, "--web.listen-address", webAddr2, "--shard.count=2", "--shard.index=1", "--reports.per-request")
	waitHTTP(t, "http://"+webAddr2+"/-/ready")

	// A failed reload, so the reload alert's expression has data; the
	// daemon keeps running on its previous configuration.
	os.WriteFile(cfgPath, []byte(goodConfig+"bogus_key: 1\n"), 0o644)
	if resp, err := http.Post("http://"+webAddr+"/-/reload", "", nil); err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("reload of a broken config: %v %v", resp, err)
	}

	// Prometheus, on the configuration the README documents (the file it
	// shows), with this test's addresses and faster intervals.
	promCfg := readmeScrapeConfig(t)
	for _, r := range [][2]string{
		{"targets: ['localhost:9471']", fmt.Sprintf("targets: ['%s', '%s']", webAddr, webAddr2)},
		{"localhost:9471", webAddr}, {"localhost:8001", simAddr},
		{"scrape_interval: 15s", "scrape_interval: 1s"}, {"evaluation_interval: 15s", "evaluation_interval: 1s"},
		{"scrape_interval: 1m", "scrape_interval: 3s"}, {"scrape_timeout: 30s", "scrape_timeout: 3s"},
	} {
		if !strings.Contains(promCfg, r[0]) {
			t.Fatalf("the README's Prometheus configuration no longer has %q; update this test with it", r[0])
		}
		promCfg = strings.ReplaceAll(promCfg, r[0], r[1])
	}
	promDir := filepath.Join(dir, "prometheus")
	os.MkdirAll(promDir, 0o755)
	os.WriteFile(filepath.Join(promDir, "prometheus.yml"), []byte(promCfg), 0o644)
	os.WriteFile(filepath.Join(promDir, "rules.yml"), firingThresholds(t), 0o644)
	prom := start(t, prometheus, "--config.file", filepath.Join(promDir, "prometheus.yml"),
		"--storage.tsdb.path", filepath.Join(promDir, "data"), "--web.listen-address", promAddr, "--enable-feature=exemplar-storage")
	waitHTTP(t, "http://"+promAddr+"/-/ready")
	api := &promAPI{base: "http://" + promAddr}

	queries := dashboardQueries(t)
	rules := api.rules(t)
	for _, r := range rules {
		queries = append(queries, grafana.Query{Where: r.kind + " " + r.name, Expr: r.query})
	}
	// Every query returns data once a few windows and probes have run.
	var empty []string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		empty = empty[:0]
		for _, q := range queries {
			n, err := api.query(q.Expr)
			if err != nil {
				t.Fatalf("%s does not run: %v\n%s", q.Where, err, q.Expr)
			}
			if n == 0 {
				empty = append(empty, q.Where)
			}
		}
		if len(empty) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if len(empty) > 0 {
		t.Errorf("no data after 2 minutes for %d of %d queries: %s", len(empty), len(queries), strings.Join(empty, "; "))
	} else {
		t.Logf("all %d dashboard and rule queries returned data", len(queries))
	}
	for _, r := range api.rules(t) {
		if r.health != "ok" {
			t.Errorf("rule %s: health %s: %s", r.name, r.health, r.lastError)
		}
	}

	// The simulator's own record of its TTFT: the mean of what it observed,
	// from each request's arrival to its first token's flush, over the last
	// minute or over the whole run, whichever is later. A busy machine's
	// late timers are in it, so the figures below follow what the simulator
	// did rather than what it was told; the configured TTFT less its jitter
	// stays a floor, as no timer fires early.
	floor := simulatorTTFT.Seconds() * (1 - simulatorJitter)
	record := max(
		api.settled(t, `sum(rate(vllm:time_to_first_token_seconds_sum[1m])) / sum(rate(vllm:time_to_first_token_seconds_count[1m]))`),
		api.scalar(t, `sum(vllm:time_to_first_token_seconds_sum) / sum(vllm:time_to_first_token_seconds_count)`))
	lo, hi := ttftBounds(floor, record)
	t.Logf("the simulator's mean TTFT %.4f s (configured %v): quantiles from the buckets accepted in (%v, %v]", record, simulatorTTFT, lo, hi)
	if record < floor {
		t.Errorf("the simulator's mean TTFT %.4f s is below its configured %v less %v jitter: its vLLM histogram is wrong", record, simulatorTTFT, simulatorJitter)
	}

	// The quantiles from the histograms, the client's (through the
	// recording rule) and the server's: in the bucket holding the
	// simulator's record or the next one (Prometheus interpolates inside a
	// bucket, and the client reads a little after the server writes), or
	// down to the configured TTFT's (a mean lies above a median when a few
	// requests are late).
	for _, q := range []string{
		`inferno:ttft_seconds:p50_5m{target="simulator", workload="steady"}`,
		`histogram_quantile(0.5, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[1m])))`,
	} {
		v := api.settled(t, q)
		t.Logf("%s = %.4f s", q, v)
		if v <= lo || v > hi {
			t.Errorf("%s = %.4f s, want within (%v, %v]: the buckets of the simulator's configured %v and of its mean %.4f s, or the next", q, v, lo, hi, simulatorTTFT, record)
		}
	}
	// The last window's exact p50: no lower than the configured TTFT less
	// its jitter, and no later than the simulator's record plus the margin,
	// which a busy machine's late reads stay far below and a TTFT taken at
	// the wrong event (the stream's end, 75 ms later) exceeds.
	exact := api.scalar(t, `max(inferno_last_window_ttft_seconds{target="simulator", workload="steady", quantile="0.5"})`)
	if exact < floor || exact > record+timingMargin.Seconds() {
		t.Errorf("last window TTFT p50 %.4f s, want from %.4f s (the configured %v less jitter) to the simulator's mean %.4f s plus %v of client, network and scheduling time",
			exact, floor, simulatorTTFT, record, timingMargin)
	}
	if v := api.scalar(t, `probe_success{job="inferno-probe"}`); v != 1 {
		t.Errorf("probe_success = %v", v)
	}

	// The server's view, from the simulator's own metrics scraped across
	// each window: its TTFT p50 in the same range as above, and the client
	// overhead (the client's TTFT less the server's) near zero. Its sign is
	// not fixed, as the server's window also holds the other replica's, the
	// capacity search's and the probes' requests. The mean overhead is exact
	// and must lie within the margin either way: a TTFT taken at the wrong
	// event on either side, or the server's read from another series (its
	// time per output token or in the queue), moves it further. The p50
	// overhead is two quantiles read through the same buckets, each of which
	// may lie anywhere in the range above, so it is held to that range's
	// width: on a quiet machine 40 ms, below what such a bug adds.
	serverP50 := api.scalar(t, `max(inferno_last_window_server_ttft_seconds{target="simulator", workload="steady", quantile="0.5"})`)
	if serverP50 <= lo || serverP50 > hi {
		t.Errorf("server TTFT p50 %.4f s, want within (%v, %v]: the buckets of the simulator's configured %v and of its mean %.4f s, or the next", serverP50, lo, hi, simulatorTTFT, record)
	}
	overhead := api.scalar(t, `max(inferno_last_window_client_overhead_seconds{target="simulator", workload="steady", quantile="0.5"})`)
	overheadMean := api.scalar(t, `max(inferno_last_window_client_overhead_seconds_sum{target="simulator", workload="steady"} / inferno_last_window_client_overhead_seconds_count{target="simulator", workload="steady"})`)
	t.Logf("server TTFT p50 %.4f s, client overhead p50 %.4f s, mean %.4f s", serverP50, overhead, overheadMean)
	if math.Abs(overheadMean) > timingMargin.Seconds() {
		t.Errorf("client overhead mean %.4f s, want within %v either way: a loopback's few milliseconds and a busy machine's late reads", overheadMean, timingMargin)
	}
	if math.Abs(overhead) > hi-lo {
		t.Errorf("client overhead p50 %.4f s, want within %.3f s either way, the width of the range (%v, %v] both quantiles lie in", overhead, hi-lo, lo, hi)
	}

	exemplarsMatchRequests(t, api, []string{filepath.Join(dir, "reports"), filepath.Join(dir, "reports-2")})

	dashboardsAgree(t, api)

	// Everything started here stops, and leaves no listener behind.
	prom.stop(t)
	daemon.stop(t)
	daemon2.stop(t)
	for _, addr := range []string{webAddr, webAddr2, simAddr, promAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}
}

// ttftBounds is the range (lo, hi] a TTFT quantile from vLLM's buckets may
// take: from the lower edge of the bucket holding floor, the fastest the
// simulator can answer, to the upper edge of the bucket after the one
// holding record, the simulator's own mean.
func ttftBounds(floor, record float64) (lo, hi float64) {
	b := collector.TTFTBuckets // vLLM's (TestBucketsMatchCollector)
	if i := sort.SearchFloat64s(b, floor); i > 0 {
		lo = b[i-1]
	}
	hi = b[min(sort.SearchFloat64s(b, record)+1, len(b)-1)]
	return lo, hi
}

// readmeScrapeConfig returns deploy/prometheus/prometheus.yml after
// checking that README shows it verbatim, so the test runs what users copy.
func readmeScrapeConfig(t *testing.T) string {
	t.Helper()
	file, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```yaml\n"+string(file)+"```")) {
		t.Fatal("README.md does not show deploy/prometheus/prometheus.yml verbatim in a yaml block")
	}
	return string(file)
}

// firingThresholds is rules.yml with its thresholds set so that every
// alert's expression holds for this test's healthy and dead targets: an
// alert whose expression returns data is wired to real series and labels.
func firingThresholds(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("prometheus/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string
			Rules []map[string]any
		}
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	firing := map[string]string{
		"inferno:threshold:ttft_p95_seconds":               "vector(0)",
		"inferno:threshold:slo_attainment_objective":       "vector(1.01)",
		"inferno:threshold:failure_ratio":                  "vector(-1)",
		"inferno:threshold:schedule_lag_p99_seconds":       "vector(-1)",
		"inferno:threshold:window_staleness_seconds":       "vector(-1)",
		"inferno:threshold:capacity_requests_per_second":   "vector(1e9)",
		"inferno:threshold:client_overhead_growth_seconds": "vector(-1)",
		"inferno:threshold:server_ttft_hold_ratio":         "vector(1e9)",
		"inferno:threshold:check_pass_ratio":               "vector(1.01)",
	}
	text := string(b)
	for record, expr := range firing {
		re := regexp.MustCompile(`(record: ` + regexp.QuoteMeta(record) + `\n\s+expr: )vector\([^)]*\)`)
		if !re.MatchString(text) {
			t.Fatalf("rules.yml has no threshold %s of the form vector(N)", record)
		}
		text = re.ReplaceAllString(text, "${1}"+expr)
	}
	for _, g := range doc.Groups {
		if g.Name != "inferno-thresholds" {
			continue
		}
		if len(g.Rules) != len(firing) {
			t.Fatalf("rules.yml has %d thresholds, this test sets %d", len(g.Rules), len(firing))
		}
	}
	return []byte(text)
}

// dashboardQueries are every dashboard's queries with Grafana's variables
// filled in as "All" would, and label_values() as the PromQL it stands for.
func dashboardQueries(t *testing.T) []grafana.Query {
	t.Helper()
	files, _ := filepath.Glob("../grafana/dashboards/json/*.json")
	if len(files) == 0 {
		t.Fatal("no dashboards found")
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
	vars := strings.NewReplacer(`$target`, `.*`, `$model`, `.*`, `$workload`, `.*`, `$__rate_interval`, `30s`)
	var out []grafana.Query
	for _, f := range files {
		b, _ := os.ReadFile(f)
		qs, err := grafana.Queries(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, q := range qs {
			if m := labelValues.FindStringSubmatch(q.Expr); m != nil {
				q.Expr = fmt.Sprintf("count by (%s) (%s)", m[2], m[1])
			}
			q.Expr = vars.Replace(q.Expr)
			if strings.Contains(q.Expr, "$") {
				t.Fatalf("%s: %s: a variable this test does not fill", f, q.Expr)
			}
			q.Where = filepath.Base(f) + ": " + q.Where
			out = append(out, q)
		}
	}
	return out
}

type promAPI struct{ base string }

type apiResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

func (p *promAPI) get(path string, params url.Values) (json.RawMessage, error) {
	resp, err := http.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r apiResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// query runs an instant query and returns how many series it gave.
func (p *promAPI) query(expr string) (int, error) {
	data, err := p.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	json.Unmarshal(data, &d)
	if d.ResultType == "scalar" {
		return 1, nil
	}
	var series []json.RawMessage
	json.Unmarshal(d.Result, &series)
	return len(series), nil
}

// scalar is the value of a query that gives one series.
func (p *promAPI) scalar(t *testing.T, expr string) float64 {
	t.Helper()
	data, err := p.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	var d struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	json.Unmarshal(data, &d)
	if len(d.Result) != 1 {
		t.Fatalf("%s: %d series, want 1", expr, len(d.Result))
	}
	s, _ := d.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		t.Fatalf("%s: value %q", expr, s)
	}
	return v
}

// settled is scalar once expr has a number: a quantile of rates is NaN
// until the rate window holds two scrapes with an observation between
// them, which on a busy machine can take a few evaluation rounds.
func (p *promAPI) settled(t *testing.T, expr string) float64 {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if v, err := p.values(expr, time.Now()); err == nil && len(v) == 1 {
			for _, x := range v {
				if !math.IsNaN(x) {
					return x
				}
			}
		}
	}
	return p.scalar(t, expr) // fails with what the query says
}

type ruleState struct{ kind, name, query, health, lastError string }

func (p *promAPI) rules(t *testing.T) []ruleState {
	t.Helper()
	var data json.RawMessage
	var err error
	for range 50 { // rules load just after /-/ready
		if data, err = p.get("/api/v1/rules", nil); err == nil && bytes.Contains(data, []byte(`"rules"`)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Groups []struct {
			Rules []struct {
				Type, Name, Query, Health, LastError string
			}
		}
	}
	json.Unmarshal(data, &d)
	var out []ruleState
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			out = append(out, ruleState{kind: r.Type, name: r.Name, query: r.Query, health: r.Health, lastError: r.LastError})
		}
	}
	if len(out) == 0 {
		t.Fatal("Prometheus loaded no rules")
	}
	return out
}

// process is a command this test started and must stop.
type process struct {
	cmd    *exec.Cmd
	logs   *bytes.Buffer
	exited chan struct{}
}

func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // no-op once stopped
		<-p.exited
		if t.Failed() {
			t.Logf("%s output (last 3 KB):\n%s", filepath.Base(bin), tail(p.logs.String(), 3000))
		}
	})
	return p
}

// stop ends the process with SIGTERM, as a service manager would.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("%s still running 30 s after SIGTERM", p.cmd.Path)
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func freePort(t *testing.T) string { return testutil.FreePort(t) }

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s not ready after 30 s", url)
}

// dashboardsAgree: with two replicas sharing each window, the overview's
// throughput, requests-per-second and goodput panels show the sum of the
// replicas' halves, and the overview and the target board show the same
// throughput for the same target at the same instant.
func dashboardsAgree(t *testing.T, api *promAPI) {
	t.Helper()
	// Both replicas must have finished a window of the simulator target.
	// One instant for every query, so a window ending in between cannot
	// make them differ: the instant at which both replicas were seen (an
	// earlier one may predate the second replica's first window).
	var replicas float64
	var at time.Time
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		at = time.Now()
		if v, err := api.values(`count(inferno_last_window_requests_per_second{target="simulator"} > 0)`, at); err == nil {
			if replicas = v[""]; replicas == 2 {
				break
			}
		}
	}
	if replicas != 2 {
		t.Fatalf("%v replicas report a window of the simulator, want 2", replicas)
	}
	// A scrape is stamped when it starts and stored when it ends: past the
	// longest scrape timeout (3 s), every sample at or before the instant
	// is stored, and no query can see one the others did not.
	time.Sleep(time.Until(at.Add(4 * time.Second)))
	eval := func(expr string) map[string]float64 {
		t.Helper()
		v, err := api.values(expr, at)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	for _, c := range []struct{ panel, metric string }{
		{"Output throughput", "inferno_last_window_output_tokens_per_second"},
		{"Requests per second", "inferno_last_window_successful_requests_per_second"},
		{"Goodput", "inferno_last_window_goodput_requests_per_second"},
	} {
		overview := eval(panelExpr(t, "inferno-overview.json", c.panel, ".*"))["simulator"]
		perReplica := eval(fmt.Sprintf(`%s{target="simulator"}`, c.metric))
		var sum, largest float64
		for _, v := range perReplica {
			sum += v
			largest = max(largest, v)
		}
		t.Logf("%s: overview %.3f; replicas %v", c.panel, overview, perReplica)
		if len(perReplica) != 2 || math.Abs(overview-sum) > 1e-9*math.Max(1, sum) {
			t.Errorf("%s: overview shows %v, the replicas' %d windows add up to %v", c.panel, overview, len(perReplica), sum)
		}
		if largest > 0 && overview <= largest {
			t.Errorf("%s: overview shows %v, no more than one replica's %v", c.panel, overview, largest)
		}
		if c.panel == "Output throughput" {
			target := eval(panelExpr(t, "inferno-target.json", "Output tokens/s (last window)", "simulator"))[""]
			if math.Abs(target-overview) > 1e-9*math.Max(1, overview) {
				t.Errorf("output throughput: target board %v, overview %v", target, overview)
			}
		}
	}
}

// panelExpr is the first query of the panel titled title in a dashboard,
// with $target set to target and the other variables to All.
func panelExpr(t *testing.T, file, title, target string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../grafana/dashboards/json", file))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := grafana.Queries(b)
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer(`$target`, target, `$model`, `.*`, `$workload`, `.*`, `$__rate_interval`, `30s`)
	for _, q := range qs {
		if strings.HasPrefix(q.Where, title+" ") {
			return vars.Replace(q.Expr)
		}
	}
	t.Fatalf("%s has no panel %q", file, title)
	return ""
}

// values runs an instant query at one time and returns its series' values:
// a replica's own series by instance, aggregated ones by target label
// (adding up series that differ in other labels), "" for a series with
// neither, such as a count.
func (p *promAPI) values(expr string, at time.Time) (map[string]float64, error) {
	data, err := p.get("/api/v1/query", url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1e3, 'f', 3, 64)}})
	if err != nil {
		return nil, err
	}
	var d struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, r := range d.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("value %q: %v", s, err)
		}
		key := r.Metric["target"]
		if r.Metric["instance"] != "" {
			key = r.Metric["instance"]
		}
		out[key] += v
	}
	return out, nil
}

// exemplarsMatchRequests: Prometheus, with exemplar storage on, has
// scraped exemplars of the TTFT histogram from /metrics (OpenMetrics),
// and one of them names a request (request_id and trace_id) that a
// daemon's per-request file has, with the exemplar's value its TTFT. A
// window's file is written when it ends, so the newest exemplars may
// name requests not yet in one: the check is repeated until one is.
func exemplarsMatchRequests(t *testing.T, api *promAPI, dirs []string) {
	t.Helper()
	type exemplar struct {
		Labels map[string]string `json:"labels"`
		Value  string            `json:"value"`
	}
	var found []exemplar
	lines := map[string]map[string]any{} // by trace id
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		now := time.Now()
		data, err := api.get("/api/v1/query_exemplars", url.Values{
			"query": {`inferno_time_to_first_token_seconds_bucket{target="simulator"}`},
			"start": {strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)}, "end": {strconv.FormatInt(now.Unix(), 10)}})
		if err != nil {
			t.Fatalf("query_exemplars: %v", err)
		}
		var series []struct {
			Exemplars []exemplar `json:"exemplars"`
		}
		json.Unmarshal(data, &series)
		found = found[:0]
		for _, s := range series {
			found = append(found, s.Exemplars...)
		}
		for _, dir := range dirs {
			files, _ := filepath.Glob(filepath.Join(dir, "requests_*.jsonl"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				for _, l := range bytes.Split(b, []byte("\n")) {
					var m map[string]any
					if json.Unmarshal(l, &m) == nil {
						if id, ok := m["trace_id"].(string); ok {
							lines[id] = m
						}
					}
				}
			}
		}
		for _, e := range found {
			l, ok := lines[e.Labels["trace_id"]]
			if !ok {
				continue
			}
			v, _ := strconv.ParseFloat(e.Value, 64)
			ttft, _ := l["ttft_s"].(float64)
			if l["request_id"] != e.Labels["request_id"] || math.Abs(ttft-v) > 1e-9 {
				t.Errorf("exemplar %v, per-request line %v: request id or TTFT differ", e, l)
			}
			t.Logf("exemplar trace_id %s request_id %s TTFT %s s is line %v of a per-request file", e.Labels["trace_id"], e.Labels["request_id"], e.Value, l["index"])
			return
		}
	}
	if len(found) == 0 {
		t.Fatal("Prometheus has no exemplar of inferno_time_to_first_token_seconds_bucket after a minute")
	}
	t.Errorf("none of %d exemplars names a request of the %d in the per-request files (first: %v)", len(found), len(lines), found[0])
}
