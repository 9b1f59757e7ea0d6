package daemon

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// TestServerViewAndExemplars: a scheduled window against a target with
// server_metrics reports the simulator's own view, exports the server
// gauges, serves exemplars in the OpenMetrics format, and archives the
// per-request file whose line has the exemplar's request and trace ids.
func TestServerViewAndExemplars(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: 20 * time.Millisecond, ITL: time.Millisecond})
	cfgPath, reports := testConfig(t, sim.URL, "* * * * * *")
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "    cost_per_hour: 3.6\n", "    cost_per_hour: 3.6\n    server_metrics: {url: auto}\n", 1)), 0o644)

	d := startDaemon(t, cfgPath, func(d *Daemon) { d.SetPerRequest(true) })
	waitFor(t, "a settled window", func() bool { return len(settledReports(d.Daemon, reports)) > 0 })
	r := settledReports(d.Daemon, reports)[0]
	if s := r.Server; s == nil || s.Server != "vllm" || s.TTFT == nil || s.ClientOverhead == nil || s.URL != sim.URL+"/metrics" {
		t.Fatalf("server section %+v", s)
	}

	openMetrics := func() string {
		req, _ := http.NewRequest(http.MethodGet, d.server.URL+"/metrics", nil)
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	metrics := openMetrics()
	for _, want := range []string{`inferno_last_window_server_ttft_seconds{model="sim",target="sim",workload="small",quantile="0.5"}`,
		`inferno_last_window_client_overhead_seconds{model="sim",target="sim",workload="small",quantile="0.95"}`,
		`inferno_last_window_server_kv_cache_usage_ratio{model="sim",target="sim",workload="small"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	ex := regexp.MustCompile(`inferno_time_to_first_token_seconds_bucket\{[^}]*\} \d+ # \{([^}]*)\}`).FindStringSubmatch(metrics)
	if ex == nil {
		t.Fatalf("no TTFT exemplar in the OpenMetrics exposition:\n%s", metrics)
	}
	trace := regexp.MustCompile(`trace_id="([0-9a-f]{32})"`).FindStringSubmatch(ex[1])
	request := regexp.MustCompile(`request_id="([0-9a-f]{16})"`).FindStringSubmatch(ex[1])
	if trace == nil || request == nil {
		t.Fatalf("exemplar %s lacks trace_id or request_id", ex[1])
	}
	// The exemplar's window may still be running: its file comes at its end.
	waitFor(t, "the exemplar's request in a per-request file", func() bool {
		files, _ := filepath.Glob(filepath.Join(reports, "requests_*.jsonl"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), `"request_id":"`+request[1]+`","trace_id":"`+trace[1]+`"`) {
				return true
			}
		}
		return false
	})
}
