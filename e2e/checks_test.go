package e2e

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/stats"
)

// runAgainst runs inferno run against a simulator and returns its report.
func runAgainst(t *testing.T, cfg simulator.Config, args ...string) *report.Report {
	t.Helper()
	srv := httptest.NewServer(simulator.New(cfg))
	defer srv.Close()
	dir := t.TempDir()
	base := []string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--report-dir", dir, "--log.level", "warn", "--progress", "never"}
	if code := cli.Run(append(base, args...)); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	return testutil.OnlyReport(t, dir)
}

// TestChecksAgainstSimulator: checks judge what the endpoint answered.
// JSON mode passes json for every answer and --fault bad-json fails every
// one; a plain-text server fails json and passes a matching regex; tool
// calls pass tool_call until --fault bad-tool-call breaks them. A failed
// check never changes Fail_rate: every request succeeded.
func TestChecksAgainstSimulator(t *testing.T) {
	const n = 12
	load := []string{"--concurrency", "4", "--requests", "12", "--output-tokens", "16"}
	// A check's name is its spec, cut to 64 bytes.
	const schemaCheck = `json_schema:{"type": "object", "required": ["n"], "properties": {"n": {"const": 7}}}`
	weather := `[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}}]`
	for _, tc := range []struct {
		name   string
		fault  string
		args   []string
		passed map[string]int // by check: answers that passed, of n
	}{
		{"json mode", "", []string{"--response-format", "json_object", "--check", "json"}, map[string]int{"json": n}},
		{"json mode, bad json", simulator.FaultBadJSON, []string{"--response-format", "json_object", "--check", "json"}, map[string]int{"json": 0}},
		{"plain text", "", []string{"--check", "json", "--check", `regex:^\s*the model says`}, map[string]int{"json": 0, `regex:^\s*the model says`: n}},
		{"schema", "", []string{"--response-format", `{"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "const": 7}}}}}`,
			"--check", schemaCheck}, map[string]int{checks.DefaultName(schemaCheck): n}},
		{"tool call", "", []string{"--tools", weather, "--tool-choice", "auto", "--check", "tool_call:get_weather", "--check", "max_tokens_used"},
			map[string]int{"tool_call:get_weather": n, "max_tokens_used": n}},
		{"tool call, bad arguments", simulator.FaultBadToolCall, []string{"--tools", weather, "--check", "tool_call:get_weather"}, map[string]int{"tool_call:get_weather": 0}},
		{"cut at max_tokens", "", []string{"--check", "max_tokens_used", "--check", "not_refusal"}, map[string]int{"max_tokens_used": 0, "not_refusal": n}},
		{"tgi cut at max_tokens", "", []string{"--api", "tgi", "--check", "max_tokens_used"}, map[string]int{"max_tokens_used": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAgainst(t, simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond, Fault: tc.fault}, append(load, tc.args...)...)
			if r.TotalRequestNum != n || r.FailRate != 0 || r.Summary.Successes != n {
				t.Fatalf("%d requests, fail rate %v: a wrong answer is a successful request", r.TotalRequestNum, r.FailRate)
			}
			if len(r.Checks) != len(tc.passed) {
				t.Errorf("checks %v, want %d", r.CheckNames(), len(tc.passed))
			}
			for name, want := range tc.passed {
				c := r.Checks[name]
				if c == nil {
					t.Errorf("no check %q in %v", name, r.CheckNames())
					continue
				}
				if c.Passed != want || c.Failed != n-want {
					t.Errorf("%s: %d passed, %d failed; want %d of %d", name, c.Passed, c.Failed, want, n)
				}
				if wantExamples := min(n-want, report.MaxCheckExamples); len(c.Examples) != wantExamples {
					t.Errorf("%s: %d examples, want %d", name, len(c.Examples), wantExamples)
				}
				for _, e := range c.Examples {
					if e.Reason == "" || len(e.Answer) > 210 {
						t.Errorf("%s: example %+v: want a reason and a cut answer", name, e)
					}
				}
			}
		})
	}
}

// TestCanaryDatasetAgainstSimulator: the canary prompts go out in turn,
// each with its own check and request fields; the simulator is no model,
// so only the tool call (whose arguments it draws from the declared
// schema) passes, and the requests all succeed.
func TestCanaryDatasetAgainstSimulator(t *testing.T) {
	var got received
	r := runAgainst(t, simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond, OnRequest: got.hook},
		"--dataset", "canary", "--concurrency", "1", "--requests", "8", "--output-tokens", "32")
	if r.FailRate != 0 {
		t.Fatalf("fail rate %v", r.FailRate)
	}
	for _, name := range []string{"canary/arithmetic", "canary/capital", "canary/json", "canary/tool_call"} {
		c := r.Checks[name]
		if c == nil || c.Passed+c.Failed != 2 {
			t.Fatalf("%s: %+v, want 2 answers judged (checks %v)", name, c, r.CheckNames())
		}
		if pass := name == "canary/tool_call"; (c.Passed == 2) != pass {
			t.Errorf("%s: %+v", name, c)
		}
	}
	tools := 0
	for _, b := range got.bodies {
		if _, ok := b["tools"]; ok {
			tools++
		}
	}
	if tools != 2 {
		t.Errorf("%d requests declared tools, want the tool prompt's 2", tools)
	}
}

// TestReasoningTiming: --reasoning-tokens 10 --ttft 50ms --itl 10ms reads
// TTFT ≈ 50 ms and time to first answer ≈ 150 ms. Each is judged against
// the simulator's own record of the same requests (a late timer on a busy
// machine delays both alike), never against the configured figures.
func TestReasoningTiming(t *testing.T) {
	for _, api := range []string{"openai-chat", "openai-completions"} {
		t.Run(api, func(t *testing.T) {
			var mu sync.Mutex
			var ttft, ttfa []time.Duration
			cfg := simulator.Config{TTFT: 50 * time.Millisecond, ITL: 10 * time.Millisecond, ReasoningTokens: 10,
				OnFirstToken:  func(d time.Duration) { mu.Lock(); ttft = append(ttft, d); mu.Unlock() },
				OnFirstAnswer: func(d time.Duration) { mu.Lock(); ttfa = append(ttfa, d); mu.Unlock() }}
			r := runAgainst(t, cfg, "--api", api, "--concurrency", "2", "--requests", "8", "--output-tokens", "20")
			if r.FailRate != 0 || len(ttfa) != 8 {
				t.Fatalf("fail rate %v, %d answers recorded", r.FailRate, len(ttfa))
			}
			if r.Summary.ReasoningTokens != 8*10 || r.Summary.OutputTokens != 8*20 {
				t.Errorf("reasoning tokens %d of %d, want 80 of 160", r.Summary.ReasoningTokens, r.Summary.OutputTokens)
			}
			client := r.Stats
			for _, f := range []struct {
				name   string
				got    stats.Stats
				server []time.Duration
			}{{"TTFT", client.TTFT, ttft}, {"time to first answer", client.TimeToFirstAnswer, ttfa}} {
				var sum time.Duration
				for _, d := range f.server {
					sum += d
				}
				server := (sum / time.Duration(len(f.server))).Seconds()
				// The client sees a token after the server flushed it: a
				// little later, never earlier, and a loopback hop away.
				if f.got.Count != 8 || f.got.Mean < server-0.002 || f.got.Mean > server+0.025 {
					t.Errorf("%s: client mean %.4fs over %d, the simulator's %.4fs", f.name, f.got.Mean, f.got.Count, server)
				}
			}
			// The answer's own pace: 10 answer tokens 10 ms apart.
			if client.AnswerTPOT.Count != 8 || client.AnswerITL.Count != 8*9 {
				t.Errorf("answer TPOT over %d, answer ITL over %d gaps; want 8 and 72", client.AnswerTPOT.Count, client.AnswerITL.Count)
			}
			if client.ITL.Count != 8*19 {
				t.Errorf("ITL over %d gaps, want all 152", client.ITL.Count)
			}
		})
	}
}

// TestPlainAnswerNotReasoning: without reasoning, time to first answer is
// TTFT and the answer's TPOT and ITL are TPOT and ITL.
func TestPlainAnswerNotReasoning(t *testing.T) {
	r := runAgainst(t, simulator.Config{TTFT: 2 * time.Millisecond, ITL: time.Millisecond}, "--concurrency", "2", "--requests", "6", "--output-tokens", "8")
	s := r.Stats
	if r.Summary.ReasoningTokens != 0 || s.TimeToFirstAnswer != s.TTFT || s.AnswerTPOT != s.TPOT || s.AnswerITL != s.ITL {
		t.Errorf("reasoning %d; TTFA %+v / TTFT %+v; answer TPOT %+v / TPOT %+v", r.Summary.ReasoningTokens, s.TimeToFirstAnswer, s.TTFT, s.AnswerTPOT, s.TPOT)
	}
	if r.Checks != nil || strings.Contains(r.Run.ID, " ") {
		t.Errorf("checks %v without any asked for", r.Checks)
	}
}
