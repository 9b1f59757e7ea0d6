package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// TestProbeFailsOnCheck: /probe against an endpoint that answers fast
// but not in JSON answers probe_success 0 and names the failing check,
// as blackbox_exporter fails a body that does not match; its requests
// still succeeded. In JSON mode the same probe passes.
func TestProbeFailsOnCheck(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond})
	for _, tc := range []struct {
		name, params string
		want         []string
	}{
		{"plain text", "", []string{"probe_success 0", `probe_check_success{check="json"} 0`, `probe_check_success{check="words"} 1`, "probe_failed_requests 0"}},
		{"json mode", "\n    params: {response_format: {type: json_object}}", []string{"probe_success 1", `probe_check_success{check="json"} 1`, "probe_failed_requests 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath, _ := accountingConfig(t, sim.URL, never, `    arrival: {kind: concurrency, concurrency: 2}
    requests: 4
    checks: [json, {name: words, check: 'regex:\bthe\b'}]`+tc.params)
			d := startDaemon(t, cfgPath)
			body := scrapeProbe(t, d.server.URL+"/probe?module=m&target=sim", "10")
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("probe lacks %q:\n%s", want, body)
				}
			}
		})
	}
}
