package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/simulator"
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
	resp, err := http.Post(d.server.URL+"/api/v1/runs", "application/json", strings.NewReader(`{"target":"sim",
		"workload":{"dataset":{"kind":"synthetic","input_tokens":10,"output_tokens":2,"tokenizer":"cl100k_base","prefix_tokens":30,"turns":2},
		"arrival":{"kind":"concurrency","concurrency":1},"requests":4}}`))
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
		_, body := get(t, d.server.URL+"/api/v1/runs/"+id)
		return strings.Contains(body, `"status": "finished"`)
	})
	tok, _ := dataset.LoadTokenizer(context.Background(), "cl100k_base", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 4 {
		t.Fatalf("the simulator got %d requests, want 4", len(bodies))
	}
	var firsts []string
	for _, b := range bodies {
		msgs := b["messages"].([]any)
		content := msgs[len(msgs)-1].(map[string]any)["content"].(string)
		n, _ := dataset.CountTokens(tok, content)
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
