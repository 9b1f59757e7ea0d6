package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// accountingConfig is a config whose workload name is the test's and
// whose workload body is given; its schedule fires every second when
// cron says so.
func accountingConfig(t *testing.T, url, cron, workload string) (path, reportDir string) {
	t.Helper()
	dir := t.TempDir()
	reportDir = filepath.Join(dir, "reports")
	cfg := fmt.Sprintf(`global:
  report_dir: %s
targets:
  - {name: sim, url: '%s/v1', model: sim}
workloads:
  - name: w
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
%s
schedules:
  - {name: tick, cron: %q, targets: [sim], workload: w}
modules:
  m: {workload: w, timeout: 1m}
`, reportDir, url, workload, cron)
	path = filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, reportDir
}

// A scheduled window counts its unsent arrivals in the report and in
// inferno_requests_total, opens its connections before it starts, and
// exports their setup time.
func TestScheduledWindowAccountsForEveryArrival(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 100 * time.Millisecond, ITL: time.Millisecond})
	cfgPath, reports := accountingConfig(t, sim.URL, "* * * * * *", `    arrival: {kind: constant, rate: 40}
    duration: 500ms
    requests: 20
    max_concurrency: 1
    request_timeout: 5s`)
	d := startDaemon(t, cfgPath)
	waitFor(t, "a settled window", func() bool { return len(settledReports(d.Daemon, reports)) > 0 })
	r := settledReports(d.Daemon, reports)[0]
	ns := r.Summary.Outcomes["not_sent"]
	if r.Summary.Requests != 20 || ns == 0 || r.Run.WarmConnections != 1 || r.Run.WindowSeconds != 0.5 || r.Run.GraceSeconds != 30 {
		t.Errorf("%d requests, %d not sent, %d warm connections, window %vs grace %vs; want 20, some, 1, 0.5, 30",
			r.Summary.Requests, ns, r.Run.WarmConnections, r.Run.WindowSeconds, r.Run.GraceSeconds)
	}
	_, metrics := get(t, d.server.URL+"/metrics")
	m := regexp.MustCompile(`inferno_requests_total\{model="sim",outcome="not_sent",target="sim",workload="w"\} (\d+)`).FindStringSubmatch(metrics)
	if m == nil {
		t.Fatalf("/metrics has no not_sent counter")
	}
	if n, _ := strconv.Atoi(m[1]); n < ns {
		t.Errorf("not_sent counter %d, the report has %d", n, ns)
	}
	for _, want := range []string{
		// Initialised, though no request timed out.
		`inferno_requests_total{model="sim",outcome="timeout",target="sim",workload="w"} 0`,
		`inferno_connection_setup_seconds_count{model="sim",target="sim",workload="w"} `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A probe answers within its scrape timeout even when every request to
// the target hangs, warm connections and warm-up requests included: the
// deadline it derived from the scrape timeout ends the warm-up, and the
// window then sends nothing. Without it the warm connections alone would
// hang for 10 s and each warm-up request for its 2 minutes, past the
// test's guard.
func TestProbeWarmupWithinScrapeTimeout(t *testing.T) {
	hang := hangServer(t) // releases its requests at cleanup, so it closes however the test ends
	cfgPath, reports := accountingConfig(t, hang.URL, never, `    arrival: {kind: concurrency, concurrency: 2}
    requests: 4
    warmup: 2
    request_timeout: 2m`)
	// Archived, so the window's own report says how it ended.
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "m: {workload: w, timeout: 1m}", "m: {workload: w, timeout: 1m, archive: true}", 1)), 0o644)
	d := startDaemon(t, cfgPath)
	body := scrapeProbe(t, d.server.URL+"/probe?module=m&target=sim&debug=true", "3")
	if !strings.Contains(body, "probe_success 0") || !strings.Contains(body, "deadline=2.5s\n") {
		t.Errorf("hanging target, 3 s scrape timeout: want probe_success 0 and a 2.5s deadline:\n%s", body)
	}
	done := finishedReports(reports)
	if len(done) != 1 {
		t.Fatalf("%d reports of the probe, want 1", len(done))
	}
	if r := done[0]; !r.Run.DeadlineHit || r.Run.Warmup != 2 || r.Run.WarmupFailed != 2 || r.Summary.Requests != 0 {
		t.Errorf("deadline hit %v, %d of %d warm-up requests failed, %d requests; want the deadline hit, 2 of 2, none",
			r.Run.DeadlineHit, r.Run.WarmupFailed, r.Run.Warmup, r.Summary.Requests)
	}
}

// The runs API takes grace and warm_connections with the workload.
func TestRunsAPIGraceAndColdConnections(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 5 * time.Millisecond, ITL: time.Millisecond})
	cfgPath, _ := accountingConfig(t, sim.URL, never, `    arrival: {kind: concurrency, concurrency: 1}
    requests: 1`)
	d := startDaemon(t, cfgPath)
	id := runToEnd(t, d.server.URL, `{"target":"sim",
		"workload":{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":2},"arrival":{"kind":"concurrency","concurrency":3},
		"duration":"300ms","grace":"2s","warm_connections":false}}`)
	_, report := get(t, d.server.URL+"/api/v1/runs/"+id+"/report")
	for _, want := range []string{`"warm_connections": 0`, `"grace_seconds": 2`, `"window_seconds": 0.3`} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Cold: each of the three workers dialled its own connection (more
	// when the transport dials while a connection is on its way back to
	// the pool).
	m := regexp.MustCompile(`"connect_seconds": \{\s*"count": (\d+)`).FindStringSubmatch(report)
	if m == nil {
		t.Fatal("report has no connect_seconds")
	}
	if n, _ := strconv.Atoi(m[1]); n < 3 {
		t.Errorf("connect_seconds count %s, want at least 3", m[1])
	}
}
