package simulator

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// assembled reads a chat stream back: its reasoning, its content, its
// tool call's name and arguments and its finish reason.
func assembled(t *testing.T, events []string) (reasoning, content, tool, args, finish string) {
	t.Helper()
	for _, e := range events {
		if e == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Text  string `json:"text"`
				Delta struct {
					Content          string `json:"content"`
					ReasoningContent string `json:"reasoning_content"`
					ToolCalls        []struct {
						Function struct{ Name, Arguments string } `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("event %q: %v", e, err)
		}
		for _, ch := range c.Choices {
			reasoning += ch.Delta.ReasoningContent
			content += ch.Delta.Content + ch.Text
			for _, tc := range ch.Delta.ToolCalls {
				tool += tc.Function.Name
				args += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	return
}

func TestAnswers(t *testing.T) {
	const weather = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","required":["city","unit"],"properties":{"city":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]}}}}}]`
	for _, tc := range []struct {
		name      string
		cfg       Config
		path      string
		body      string
		reasoning string
		content   string // exact, or a JSON document's validity below
		json      bool   // content must parse
		badJSON   bool   // content must not parse
		tool      string
		args      string
		finish    string
	}{
		{name: "plain, cut at max_tokens", path: "/v1/chat/completions", body: `"max_tokens":3`, content: " the model says", finish: "length"},
		{name: "early stop", cfg: Config{EOSRate: 1, Seed: 1}, path: "/v1/chat/completions", body: `"max_tokens":50`, finish: "stop"},
		{name: "reasoning first", cfg: Config{ReasoningTokens: 2}, path: "/v1/chat/completions", body: `"max_tokens":4`,
			reasoning: " the model", content: " says hello", finish: "length"},
		{name: "inline think", cfg: Config{ReasoningTokens: 3}, path: "/v1/completions", body: `"max_tokens":5`,
			content: "<think> model</think> hello to", finish: "length"},
		{name: "json mode", path: "/v1/chat/completions", body: `"max_tokens":6,"response_format":{"type":"json_object"}`,
			content: `{"answer":" the model says hello"}`, json: true, finish: "stop"},
		{name: "json mode, too short", path: "/v1/chat/completions", body: `"max_tokens":2,"response_format":{"type":"json_object"}`, badJSON: true, finish: "length"},
		{name: "bad json", cfg: Config{Fault: FaultBadJSON}, path: "/v1/chat/completions", body: `"max_tokens":6,"response_format":{"type":"json_object"}`, badJSON: true, finish: "stop"},
		{name: "json schema", path: "/v1/chat/completions", body: `"max_tokens":60,"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","required":["n"],"properties":{"n":{"const":7}}}}}`,
			content: `{"n":7}`, json: true, finish: "stop"},
		{name: "tool call", path: "/v1/chat/completions", body: `"max_tokens":60,` + weather, tool: "get_weather", args: `{"city":"sim","unit":"celsius"}`, finish: "tool_calls"},
		{name: "bad tool call", cfg: Config{Fault: FaultBadToolCall}, path: "/v1/chat/completions", body: `"max_tokens":60,` + weather, tool: "get_weather", args: `{"city":"sim","unit":"celsius"`, finish: "tool_calls"},
		{name: "tool_choice none", path: "/v1/chat/completions", body: `"max_tokens":2,"tool_choice":"none",` + weather, content: " the model", finish: "length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.TTFT, tc.cfg.ITL = time.Millisecond, 0
			srv := httptest.NewServer(New(tc.cfg))
			defer srv.Close()
			body := `{"messages":[{"role":"user","content":"hi"}],"prompt":"hi",` + tc.body + `}`
			_, events := post(t, srv.URL+tc.path, body)
			reasoning, content, tool, args, finish := assembled(t, events)
			if reasoning != tc.reasoning || tool != tc.tool || args != tc.args || finish != tc.finish {
				t.Errorf("reasoning %q, tool %q(%s), finish %q; want %q, %q(%s), %q", reasoning, tool, args, finish, tc.reasoning, tc.tool, tc.args, tc.finish)
			}
			if tc.content != "" && content != tc.content {
				t.Errorf("content %q, want %q", content, tc.content)
			}
			var v any
			if err := json.Unmarshal([]byte(content), &v); (tc.json && err != nil) || (tc.badJSON && err == nil) {
				t.Errorf("content %q parses: %v", content, err == nil)
			}
			if tc.badJSON && !strings.HasPrefix(content, "{") {
				t.Errorf("content %q: want broken JSON, not prose", content)
			}
		})
	}
}
