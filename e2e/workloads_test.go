package e2e

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/tokenizer"
)

func firstUser(t *testing.T, body map[string]any) (string, int) {
	t.Helper()
	msgs, _ := body["messages"].([]any)
	if len(msgs) == 0 {
		t.Fatalf("body without messages: %v", body)
	}
	m := msgs[len(msgs)-1].(map[string]any)
	s, _ := m["content"].(string)
	return s, len(msgs)
}

// TestRunSharedPrefixesAndTurns: prompts exactly as long as asked in the
// tokenizer's tokens, sessions starting with one of two shared prefixes,
// and later turns carrying the history, all as the server receives them.
func TestRunSharedPrefixesAndTurns(t *testing.T) {
	var got received
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond, OnRequest: got.hook}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--tokenizer", "cl100k_base",
		"--input-tokens", "24", "--output-tokens", "3", "--prefix-tokens", "64", "--prefixes", "2", "--turns", "3",
		"--concurrency", "2", "--requests", "24", "--seed", "4",
		"--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	r := testutil.OnlyReport(t, dir)
	if r.TotalRequestNum != 24 || r.FailRate != 0 {
		t.Fatalf("requests %d, fail rate %v", r.TotalRequestNum, r.FailRate)
	}
	tok, err := tokenizer.Load(context.Background(), "cl100k_base", nil)
	if err != nil {
		t.Fatal(err)
	}
	starts := map[string]int{} // the first 40 characters of each session: its prefix
	byLen := map[int]int{}
	for _, b := range got.bodies {
		content, n := firstUser(t, b)
		byLen[n]++
		tokens, _ := tokenizer.Count(tok, content)
		switch n {
		case 1:
			if tokens != 88 {
				t.Errorf("first turn has %d tokens, want 64 + 24: %q", tokens, content)
			}
			starts[content[:40]]++
		case 3, 5:
			if tokens != 24 {
				t.Errorf("turn of %d messages: the new one has %d tokens, want 24", n, tokens)
			}
			msgs := b["messages"].([]any)
			if role := msgs[n-2].(map[string]any)["role"]; role != "assistant" {
				t.Errorf("turn of %d messages: the history's last is %v, want the assistant's answer", n, role)
			}
		default:
			t.Errorf("a request of %d messages; sessions of 3 turns send 1, 3 and 5", n)
		}
	}
	if byLen[1] != 8 || byLen[3] != 8 || byLen[5] != 8 {
		t.Errorf("requests by message count %v, want 8 sessions of 3 turns", byLen)
	}
	if len(starts) != 2 {
		t.Errorf("sessions start %d ways, want the 2 shared prefixes: %v", len(starts), starts)
	}
	if r.Summary.InputTokens == 0 {
		t.Error("no input tokens reported")
	}
}

// TestRunTokenizerCountsTritonOutput: Triton reports no usage; with a
// tokenizer the output is counted from the text (here a WordPiece
// vocabulary that splits the simulator's words) and marked so.
func TestRunTokenizerCountsTritonOutput(t *testing.T) {
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond}))
	defer srv.Close()
	for _, tc := range []struct {
		tokenizer string
		from      string
	}{{"", "events"}, {"../tokenizer/testdata/tokenizers/wordpiece.json", "tokenizer"}} {
		dir := t.TempDir()
		args := []string{"run", "--url", srv.URL, "--api", "triton", "--model", "sim", "--input-tokens", "8", "--output-tokens", "6",
			"--concurrency", "2", "--requests", "3", "--report-dir", dir, "--log.level", "warn", "--progress", "never"}
		if tc.tokenizer != "" {
			args = append(args, "--tokenizer", tc.tokenizer)
		}
		if code := cli.Run(args); code != 0 {
			t.Fatalf("%s: exit status %d", tc.from, code)
		}
		r := testutil.OnlyReport(t, dir)
		if r.Summary.OutputTokensFrom[tc.from] != 3 {
			t.Fatalf("output tokens from %v, want 3 from %s", r.Summary.OutputTokensFrom, tc.from)
		}
		// 6 events each; the test vocabulary lacks " model", " says", " hello"...
		if events := tc.from == "events"; events != (r.Summary.OutputTokens == 18) {
			t.Fatalf("%s: %d output tokens for 3 × 6 events", tc.from, r.Summary.OutputTokens)
		}
	}
}

// TestRunMaxInputTokens: data-file turns over the limit are cut to fit
// (or, without --truncate-input, dropped), as the server receives them.
func TestRunMaxInputTokens(t *testing.T) {
	var got received
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond, OnRequest: got.hook}))
	defer srv.Close()
	tok, _ := tokenizer.Load(context.Background(), "o200k_base", nil)
	for _, truncate := range []bool{false, true} {
		got = received{}
		dir := t.TempDir()
		args := []string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--dataset", "arena", "--dataset-path", "../dataset/testdata/arena.jsonl",
			"--first-turn-only", "--tokenizer", "o200k_base", "--max-input-tokens", "7", "--output-tokens", "2",
			"--concurrency", "1", "--requests", "12", "--report-dir", dir, "--log.level", "warn", "--progress", "never"}
		if truncate {
			args = append(args, "--truncate-input")
		}
		if code := cli.Run(args); code != 0 {
			t.Fatalf("truncate %v: exit status %d", truncate, code)
		}
		seen := map[string]bool{}
		for _, b := range got.bodies {
			content, _ := firstUser(t, b)
			if n, _ := tokenizer.Count(tok, content); n > 7 {
				t.Errorf("truncate %v: the server got %d tokens: %q", truncate, n, content)
			}
			seen[content] = true
		}
		// "What is 17 times 3?" is 8 tokens: cut, or never sent.
		if cut := seen["What is 17 times 3"]; cut != truncate || seen["What is 17 times 3?"] {
			t.Errorf("truncate %v: prompts %v", truncate, seen)
		}
		if !seen["Write a haiku about tea."] || !seen["Name three colours of a rainbow."] {
			t.Errorf("truncate %v: a short prompt was not sent: %v", truncate, seen)
		}
	}
}

// TestRunCapacity: inferno run --arrival capacity writes the search into
// the JSON report and draws it on the HTML page.
func TestRunCapacity(t *testing.T) {
	srv := httptest.NewServer(simulator.New(simulator.Config{MaxConcurrency: 2, TTFT: 20 * time.Millisecond, ITL: 5 * time.Millisecond}))
	defer srv.Close()
	dir := t.TempDir()
	// 2 slots of 20 ms + 3 × 5 ms serve about 57 req/s; a TTFT SLO of
	// 100 ms passes 10 and 20 req/s (generously, on a busy machine) and
	// fails by 160, where the queue grows by 100 a second.
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--input-tokens", "8", "--output-tokens", "4",
		"--arrival", "capacity", "--rate", "10", "--step-duration", "500ms", "--max-steps", "6", "--slo-ttft", "100ms", "--slo-objective", "0.9",
		"--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	r := testutil.OnlyReport(t, dir)
	c := r.Capacity
	if c == nil || len(c.Steps) < 4 || c.Objective != 0.9 || c.StepSeconds != 0.5 {
		t.Fatalf("capacity %+v", c)
	}
	if c.Steps[0].Rate != 10 || c.Steps[1].Rate != 20 || !c.Steps[0].Passed || c.RequestsPerSecond < 20 || c.RequestsPerSecond >= 160 {
		t.Fatalf("capacity %v from steps %+v", c.RequestsPerSecond, c.Steps)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report_"+r.Run.ID+".html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `data-chart="capacity-attainment"`) {
		t.Error("the HTML page lacks the capacity chart")
	}
}
