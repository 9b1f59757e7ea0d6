package e2e

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
)

// TestRunEmbeddings: --api openai-embeddings sends batches of --batch
// inputs to /v1/embeddings; the report gives latency percentiles no
// shorter than the simulator's own (whose latency is its per-token cost ×
// the batch's tokens), requests and input tokens per second, and judges
// the SLO on latency.
func TestRunEmbeddings(t *testing.T) {
	for _, c := range []struct {
		name       string
		batch      int
		slo        string
		attainment float64
	}{
		{"batch of 4, SLO met", 4, "1h", 1},
		{"one input, SLO missed", 0, "1ns", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var inputs, tokens []int
			var serverLatency []time.Duration
			var bodies received
			const per = 20 * time.Microsecond
			srv := httptest.NewServer(simulator.New(simulator.Config{EmbedPerToken: per, OnRequest: bodies.hook,
				OnEmbed: func(n, tok int, d time.Duration) {
					mu.Lock()
					defer mu.Unlock()
					inputs, tokens, serverLatency = append(inputs, n), append(tokens, tok), append(serverLatency, d)
				}}))
			defer srv.Close()
			dir := t.TempDir()
			args := []string{"run", "--url", srv.URL + "/v1", "--api", "openai-embeddings", "--model", "sim",
				"--input-tokens", "50", "--requests", "10", "--concurrency", "2", "--slo-e2e", c.slo,
				"--report-dir", dir, "--log.level", "warn", "--progress", "never"}
			if c.batch > 0 {
				args = append(args, "--batch", itoa(c.batch))
			}
			if code := cli.Run(args); code != 0 {
				t.Fatalf("exit status %d", code)
			}
			r := testutil.OnlyReport(t, dir)
			batch := max(c.batch, 1)
			if r.Summary.Successes != 10 || len(inputs) != 10 {
				t.Fatalf("%d successes, %d requests at the server, want 10", r.Summary.Successes, len(inputs))
			}
			for i := range inputs {
				if inputs[i] != batch || tokens[i] != 50*batch {
					t.Errorf("request %d: %d inputs of %d tokens, want %d of %d", i, inputs[i], tokens[i], batch, 50*batch)
				}
				if serverLatency[i] < time.Duration(tokens[i])*per {
					t.Errorf("request %d: the simulator answered in %v, under its cost of %v", i, serverLatency[i], time.Duration(tokens[i])*per)
				}
			}
			for _, b := range bodies.bodies {
				if in, _ := b["input"].([]any); len(in) != batch || !strings.Contains(in[0].(string), " ") {
					t.Errorf("body input %v, want %d texts", b["input"], batch)
				}
			}
			s := r.Summary
			if s.InputTokens != int64(10*50*batch) || s.InputThroughput <= 0 || s.RPS <= 0 || s.OutputTokens != 0 {
				t.Errorf("input tokens %d at %v/s, %v req/s, output %d", s.InputTokens, s.InputThroughput, s.RPS, s.OutputTokens)
			}
			// The client's latency holds the server's: its slowest is at
			// least the server's slowest.
			slowest := time.Duration(0)
			for _, d := range serverLatency {
				slowest = max(slowest, d)
			}
			if l := r.Stats.Latency; l.Count != 10 || l.Max < slowest.Seconds() || l.P50 <= 0 || l.P99 < l.P50 {
				t.Errorf("latency %+v, server's slowest %v", l, slowest)
			}
			if s.SLO.Attainment != c.attainment {
				t.Errorf("SLO attainment %v, want %v", s.SLO.Attainment, c.attainment)
			}
		})
	}
}

// TestRunBatchNeedsEmbeddings: a batch on a generating API is refused
// before anything is sent.
func TestRunBatchNeedsEmbeddings(t *testing.T) {
	var got received
	srv := httptest.NewServer(simulator.New(simulator.Config{OnRequest: got.hook}))
	defer srv.Close()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-chat", "--model", "sim", "--batch", "4",
		"--requests", "2", "--concurrency", "1", "--report-dir", t.TempDir(), "--log.level", "warn", "--progress", "never"})
	if code == 0 || len(got.bodies) != 0 {
		t.Fatalf("exit status %d with %d requests sent", code, len(got.bodies))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRunRerank: --api rerank scores one query against --batch documents
// at /v1/rerank, measured as embeddings are.
func TestRunRerank(t *testing.T) {
	var mu sync.Mutex
	var inputs []int
	var bodies received
	srv := httptest.NewServer(simulator.New(simulator.Config{EmbedPerToken: 10 * time.Microsecond, OnRequest: bodies.hook,
		OnEmbed: func(n, _ int, _ time.Duration) { mu.Lock(); inputs = append(inputs, n); mu.Unlock() }}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "rerank", "--model", "sim", "--batch", "3",
		"--input-tokens", "20", "--requests", "5", "--concurrency", "1", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	r := testutil.OnlyReport(t, dir)
	// Each request: a query of 20 words read beside each of 3 documents.
	if r.Summary.Successes != 5 || r.Summary.InputTokens != 5*(3*20+3*20) || r.Stats.Latency.Count != 5 {
		t.Errorf("%d successes, %d input tokens, %d latencies", r.Summary.Successes, r.Summary.InputTokens, r.Stats.Latency.Count)
	}
	for i, b := range bodies.bodies {
		docs, _ := b["documents"].([]any)
		if q, _ := b["query"].(string); q == "" || len(docs) != 3 || inputs[i] != 3 {
			t.Errorf("request %d: query %q with %d documents", i, q, len(docs))
		}
	}
}
