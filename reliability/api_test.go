package reliability

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// TestHostileAPIInput sends the HTTP API and /probe what an attacker or a
// broken client would: every answer is a clear 4xx, nothing outside the
// archive is read, no request reaches an endpoint that is not allowed,
// and the daemon stays up.
func TestHostileAPIInput(t *testing.T) {
	var hits atomic.Int64
	sim := simulator.New(simulator.Config{TTFT: time.Millisecond})
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	os.MkdirAll(reports, 0o755)
	// A file beside the archive that no route may serve.
	os.WriteFile(filepath.Join(dir, "secret.json"), []byte(`{"secret":"planted-7c1e"}`), 0o644)
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {report_dir: %s}
targets: [{name: sim, url: '%s/v1', model: sim}]
workloads: [{name: w, dataset: {kind: synthetic, input_tokens: 4, output_tokens: 2}, arrival: {kind: concurrency, concurrency: 1}, requests: 1}]
schedules: []
modules:
  m: {workload: w, timeout: 5s, model: sim, allow_urls: ['%s/v1']}
`, reports, simSrv.URL, strings.ReplaceAll(simSrv.URL, ".", `\.`)))
	d := startDaemon(t, cfg)
	base := d.server.URL
	big := bytes.Repeat([]byte("x"), 2<<20)
	cases := []struct {
		name, method, path, body string
		raw                      []byte
		want                     int
		says                     string
	}{
		{name: "oversized run body", method: "POST", path: "/api/v1/runs", raw: append([]byte(`{"target":"`), big...), want: 400, says: "too large"},
		{name: "oversized group body", method: "POST", path: "/api/v1/groups", raw: append([]byte(`{"name":"`), big...), want: 400, says: "too large"},
		{name: "oversized legacy body", method: "POST", path: "/tests/register", raw: append([]byte(`{"url":"`), big...), want: 400},
		{name: "not JSON", method: "POST", path: "/api/v1/runs", body: "target=sim", want: 400, says: "request body"},
		{name: "unknown field", method: "POST", path: "/api/v1/runs", body: `{"target":"sim","workload":"w","rm":"-rf"}`, want: 400, says: "unknown field"},
		{name: "unknown target", method: "POST", path: "/api/v1/runs", body: `{"target":"nope","workload":"w"}`, want: 400, says: `no target named`},
		{name: "inline target outside loopback is still validated", method: "POST", path: "/api/v1/runs", body: `{"target":{"name":"x","url":"ftp://h/v1","model":"m"},"workload":"w"}`, want: 400},
		{name: "wrong method on runs", method: "PUT", path: "/api/v1/runs", want: 405},
		{name: "wrong method on metrics", method: "DELETE", path: "/metrics", want: 405},
		{name: "wrong method on reload", method: "GET", path: "/-/reload", want: 405},
		{name: "traversal in run id", method: "GET", path: "/api/v1/runs/..%2F..%2Fsecret.json/report", want: 400, says: "invalid run id"},
		{name: "traversal in report page", method: "GET", path: "/reports/..%2Fsecret", want: 400},
		{name: "dotted run id", method: "GET", path: "/api/v1/runs/.hidden", want: 400},
		{name: "traversal in compare", method: "GET", path: "/api/v1/compare?runs=../secret", want: 400},
		{name: "traversal in legacy report", method: "GET", path: "/tests/report/json/..%2F..%2Fsecret.json", want: 400},
		{name: "unknown run", method: "GET", path: "/api/v1/runs/20260101T000000.000Z-000000", want: 404},
		{name: "traversal in group name", method: "POST", path: "/api/v1/groups", body: `{"name":"../../x","runs":[]}`, want: 400},
		{name: "unknown module", method: "GET", path: "/probe?module=nope&target=sim", want: 400, says: `unknown module "nope"`},
		{name: "URL outside the allow-list", method: "GET", path: "/probe?module=m&target=http://10.0.0.42:8000/v1", want: 400, says: "neither a configured target nor a URL"},
		{name: "allow-list is anchored", method: "GET", path: "/probe?module=m&target=" + simSrv.URL + "/v1.evil.example", want: 400},
		{name: "no target", method: "GET", path: "/probe?module=m", want: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.raw
			if body == nil && c.body != "" {
				body = []byte(c.body)
			}
			code, answer := do(t, c.method, base+c.path, "application/json", bytes.NewReader(body))
			if code != c.want || !strings.Contains(answer, c.says) {
				t.Errorf("%s %s: %d %.200q, want %d saying %q", c.method, c.path, code, answer, c.want, c.says)
			}
			if strings.Contains(answer, "planted-7c1e") {
				t.Errorf("%s %s served a file outside the archive", c.method, c.path)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the endpoint got %d requests from refused probes and runs", n)
	}
	// Still up, and still probing what it may.
	if code, body := do(t, "GET", base+"/probe?module=m&target=sim", "", nil); code != 200 || !strings.Contains(body, "probe_success 1") {
		t.Errorf("probe after the hostile requests: %d %s", code, body)
	}
}
