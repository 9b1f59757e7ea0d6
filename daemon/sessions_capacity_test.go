package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/tokenizer"
)

// The runs API takes the tokenizer, prefix and multi-turn fields: the
// simulator receives exact-length prompts sharing one prefix, and later
// turns with their history.
func TestRunsAPITokenizedSessions(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	sim := newSim(t, simulator.Config{TTFT: time.Millisecond, OnRequest: func(_ string, b map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, b)
	}})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	runToEnd(t, d.server.URL, `{"target":"sim",
		"workload":{"dataset":{"kind":"synthetic","input_tokens":10,"output_tokens":2,"tokenizer":"cl100k_base","prefix_tokens":30,"turns":2},
		"arrival":{"kind":"concurrency","concurrency":1},"requests":4}}`)
	tok, _ := tokenizer.Load(context.Background(), "cl100k_base", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 4 {
		t.Fatalf("the simulator got %d requests, want 4", len(bodies))
	}
	var firsts []string
	for _, b := range bodies {
		msgs := b["messages"].([]any)
		content := msgs[len(msgs)-1].(map[string]any)["content"].(string)
		n, _ := tokenizer.Count(tok, content)
		switch len(msgs) {
		case 1:
			firsts = append(firsts, content)
			if n != 40 {
				t.Errorf("first turn of %d tokens, want 30 + 10", n)
			}
		case 3:
			if n != 10 {
				t.Errorf("second turn of %d tokens, want 10", n)
			}
		default:
			t.Errorf("a request of %d messages", len(msgs))
		}
	}
	if len(firsts) != 2 || firsts[0] == firsts[1] || firsts[0][:60] != firsts[1][:60] {
		t.Errorf("sessions should differ but share their prefix: %q", firsts)
	}
}

// A scheduled capacity workload archives its search in the report and
// sets inferno_capacity_requests_per_second to the rate it found, labelled
// unbracketed (every step passed: the capacity is at least that), with
// its steps in series of their own. Its deliberately loaded requests feed
// none of the window series the latency, SLO and failure alerts read.
func TestScheduledCapacitySearch(t *testing.T) {
	sim := newSim(t, simulator.Config{MaxConcurrency: 4, TTFT: 10 * time.Millisecond, ITL: 2 * time.Millisecond})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	cfg := fmt.Sprintf(`global:
  report_dir: %s
targets:
  - {name: sim, url: %s/v1, model: sim}
workloads:
  - name: cap
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: capacity, rate: 20, step_duration: 300ms, max_steps: 3, slo_objective: 0.9}
    slo: {ttft: 2s}
schedules:
  - {name: tick, cron: "* * * * * *", targets: [sim], workload: cap}
`, reports, sim.URL)
	path := filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, path)
	waitFor(t, "a settled window", func() bool { return len(settledReports(d.Daemon, reports)) > 0 })
	r := settledReports(d.Daemon, reports)[0]
	c := r.Capacity
	if c == nil || len(c.Steps) != 3 || c.Objective != 0.9 || c.StepSeconds != 0.3 {
		t.Fatalf("capacity %+v", c)
	}
	// 20, 40 and 80 req/s against a server of ~250 req/s all pass.
	if c.RequestsPerSecond != 80 || c.Steps[2].Rate != 80 || r.Summary.Requests != c.Steps[0].Requests+c.Steps[1].Requests+c.Steps[2].Requests {
		t.Fatalf("capacity %v from steps %+v; %d requests in the report", c.RequestsPerSecond, c.Steps, r.Summary.Requests)
	}
	_, metrics := get(t, d.server.URL+"/metrics")
	for _, want := range []string{
		`inferno_capacity_requests_per_second{bracketed="false",model="sim",target="sim",workload="cap"} 80`,
		`inferno_capacity_step_offered_requests_per_second{model="sim",step="2",target="sim",workload="cap"} 80`,
		`inferno_capacity_step_passed{model="sim",step="0",target="sim",workload="cap"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, series := range []string{"inferno_time_to_first_token_seconds_bucket{", "inferno_requests_total{",
		"inferno_last_window_slo_attainment_ratio{", "inferno_last_window_ttft_seconds{", "inferno_last_window_failure_ratio{"} {
		for _, line := range strings.Split(metrics, "\n") {
			if strings.HasPrefix(line, series) && strings.Contains(line, `workload="cap"`) {
				t.Errorf("a capacity search fed a window series: %s", line)
				break
			}
		}
	}
	if c.Bracketed {
		t.Error("a search whose every step passed is bracketed")
	}
}

// The runs API takes a capacity workload inline; its report carries the
// search.
func TestRunsAPICapacity(t *testing.T) {
	sim := newSim(t, simulator.Config{TTFT: time.Millisecond})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	id := runToEnd(t, d.server.URL, `{"target":"sim",
		"workload":{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":2},
		"arrival":{"kind":"capacity","rate":50,"step_duration":"200ms","max_steps":2},"slo":{"ttft":"5s"}}}`)
	_, body := get(t, d.server.URL+"/api/v1/runs/"+id+"/report")
	var rep struct {
		Capacity *struct {
			RequestsPerSecond float64 `json:"requests_per_second"`
			Steps             []struct{ Rate float64 }
		}
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if c := rep.Capacity; c == nil || len(c.Steps) != 2 || c.Steps[1].Rate != 100 || c.RequestsPerSecond != 100 {
		t.Fatalf("capacity %+v", rep.Capacity)
	}
}
