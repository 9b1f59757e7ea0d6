package e2e

import (
	"net/http/httptest"
	"testing"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
)

// TestRunModelMix: --models draws each request's model by weight from the
// seed; the server receives each model as often as the report's by_model
// counts it, the same counts for the same seed, in about the weights'
// proportion.
func TestRunModelMix(t *testing.T) {
	counts := func() (map[string]int, map[string]int) {
		var got received
		srv := httptest.NewServer(simulator.New(simulator.Config{OnRequest: got.hook}))
		defer srv.Close()
		dir := t.TempDir()
		code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-chat", "--model", "base",
			"--models", "lora-a=1,lora-b=3", "--input-tokens", "4", "--output-tokens", "2", "--requests", "200",
			"--concurrency", "4", "--seed", "11", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		server := map[string]int{}
		for _, b := range got.bodies {
			m, _ := b["model"].(string)
			server[m]++
		}
		reported := map[string]int{}
		for name, m := range testutil.OnlyReport(t, dir).ByModel {
			reported[name] = m.Summary.Requests
			if m.Summary.Successes != m.Summary.Requests || m.Stats.TTFT.Count != m.Summary.Successes {
				t.Errorf("%s: %d of %d succeeded, %d TTFTs", name, m.Summary.Successes, m.Summary.Requests, m.Stats.TTFT.Count)
			}
		}
		return server, reported
	}
	server, reported := counts()
	if len(server) != 2 || server["lora-a"]+server["lora-b"] != 200 {
		t.Fatalf("the server received models %v", server)
	}
	if reported["lora-a"] != server["lora-a"] || reported["lora-b"] != server["lora-b"] {
		t.Errorf("by_model counts %v, the server's %v", reported, server)
	}
	// 3 in 4 of 200: 150, with a binomial σ of about 6.
	if b := server["lora-b"]; b < 125 || b > 175 {
		t.Errorf("lora-b drawn %d times of 200, want about 150", b)
	}
	again, _ := counts()
	if again["lora-a"] != server["lora-a"] {
		t.Errorf("the same seed drew %v, then %v", server, again)
	}
}
