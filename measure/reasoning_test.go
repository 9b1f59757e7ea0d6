package measure

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
)

// chat is the OpenAI chat API the reasoning streams are read with.
var chat, _ = prober.LookupAPI("openai-chat")

func sseOf(events ...string) []byte {
	var b bytes.Buffer
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func delta(field, v string) string {
	return `{"choices":[{"index":0,"delta":{"` + field + `":` + quote(v) + `},"finish_reason":null}]}`
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestReasoningSplit reads streams whose reasoning comes apart (vLLM's
// reasoning parser) or inlined (<think> spans, an opening tag in the
// prompt), and checks which tokens are reasoning, where the answer's ITL
// starts and what answer the checks see.
func TestReasoningSplit(t *testing.T) {
	finish := `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	for _, tc := range []struct {
		name            string
		events          []string
		reasoning       int
		answerITLFrom   int // into ITL
		noAnswer        bool
		answer          string
		tokens, answerN int
	}{
		{"plain", []string{delta("content", "4"), delta("content", "2"), finish}, 0, 0, false, "42", 2, 2},
		{"reasoning_content", []string{delta("reasoning_content", "hm"), delta("reasoning", "so"), delta("content", "4"), delta("content", "2"), finish}, 2, 2, false, "42", 4, 2},
		{"inline think", []string{delta("content", "<think>"), delta("content", "hm"), delta("content", "</think>"), delta("content", "\n\n"), delta("content", "42"), finish}, 3, 4, false, "42", 5, 2},
		// A partial tag is held: its event is neither reasoning nor answer.
		{"tag split", []string{delta("content", "<thi"), delta("content", "nk>hm</th"), delta("content", "ink>4"), delta("content", "2"), finish}, 1, 2, false, "42", 4, 3},
		{"tag in prompt", []string{delta("content", "hm"), delta("content", "so"), delta("content", "</think>42"), delta("content", "!"), finish}, 2, 2, false, "42!", 4, 2},
		{"only reasoning", []string{delta("reasoning_content", "hm"), delta("reasoning_content", "so"), `{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`}, 2, 1, true, "", 2, 0},
		{"tag mid-answer", []string{delta("content", "a <think> b"), delta("content", "</think>c"), finish}, 0, 0, false, "a <think> b</think>c", 2, 2},
		{"not a tag", []string{delta("content", "<thin"), delta("content", "g>"), finish}, 0, 1, false, "<thing>", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := &Target{API: chat}
			res := &result.Result{Sent: time.Now()}
			asm := new(checks.Assembler)
			target.readStream(context.Background(), bytes.NewReader(sseOf(tc.events...)), res, res.Sent, false, asm)
			if !res.Succeeded() {
				t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
			}
			if res.ReasoningTokens != tc.reasoning || res.OutputTokens != tc.tokens || res.AnswerTokens() != tc.answerN {
				t.Errorf("reasoning %d of %d tokens (answer %d), want %d of %d (%d)", res.ReasoningTokens, res.OutputTokens, res.AnswerTokens(), tc.reasoning, tc.tokens, tc.answerN)
			}
			if res.FirstAnswer.IsZero() != tc.noAnswer {
				t.Errorf("first answer %v, want none: %v", res.FirstAnswer, tc.noAnswer)
			}
			if !tc.noAnswer && res.AnswerITLFrom != tc.answerITLFrom {
				t.Errorf("answer ITL from %d of %d, want %d", res.AnswerITLFrom, len(res.ITL), tc.answerITLFrom)
			}
			if got := asm.Answer(nil).Text; got != tc.answer {
				t.Errorf("answer %q, want %q", got, tc.answer)
			}
		})
	}
}

// TestChecksOnStream runs checks through send against a stream: a wrong
// answer is a success with a failed check, and a request without checks
// keeps no answer.
func TestChecksOnStream(t *testing.T) {
	jsonCheck, _ := checks.Compile(checks.Spec{Name: "json", Kind: checks.KindJSON}, nil)
	toolCheck, _ := checks.Compile(checks.Spec{Name: "tool", Kind: checks.KindToolCall, Arg: "f"}, nil)
	maxCheck, _ := checks.Compile(checks.Spec{Name: "max", Kind: checks.KindMaxTokensUsed}, nil)
	set := checks.Set{jsonCheck, toolCheck, maxCheck}
	tool := func(args string) string {
		return `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":` + quote(args) + `}}]},"finish_reason":null}]}`
	}
	for _, tc := range []struct {
		name   string
		events []string
		pass   []bool
	}{
		{"json", []string{delta("content", `{"a":`), delta("content", `1}`), `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`}, []bool{true, false, true}},
		{"cut json", []string{delta("content", `{"a":`), `{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`}, []bool{false, false, false}},
		{"tool", []string{tool(`{"x"`), tool(`:1}`), `{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`}, []bool{false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &result.Result{Sent: time.Now()}
			asm := assembler(dataset.Prompt{}, prober.Params{Checks: set})
			(&Target{API: chat}).readStream(context.Background(), bytes.NewReader(sseOf(tc.events...)), res, res.Sent, false, asm)
			judge(res, asm, dataset.Prompt{}, prober.Params{Checks: set})
			if !res.Succeeded() || len(res.Checks) != 3 {
				t.Fatalf("outcome %s, checks %+v", res.Outcome, res.Checks)
			}
			for i, c := range res.Checks {
				if c.Pass != tc.pass[i] || (!c.Pass && (c.Reason == "" || c.Answer == "")) {
					t.Errorf("check %s: %+v, want pass %v", c.Name, c, tc.pass[i])
				}
			}
		})
	}
	if assembler(dataset.Prompt{}, prober.Params{}) != nil {
		t.Error("a request without checks assembles its answer")
	}
}

// FuzzThinkScan checks that where a stream's events split its text does
// not change the answer the checks see, nor whether one came.
func FuzzThinkScan(f *testing.F) {
	for _, s := range []string{"<think>a</think>b", " \n<think>x</think>\n\n42", "a</think>b", "<thi", "</think", "plain <think> text", "<think><think></think></think>", "a <think> b</think>c"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, step uint8) {
		whole := func() (string, bool) {
			var sc thinkScan
			asm := new(checks.Assembler)
			_, ans, _ := sc.feed([]byte(s), asm)
			sc.end(asm)
			return asm.Answer(nil).Text, ans
		}
		split := func(n int) (string, bool) {
			var sc thinkScan
			asm := new(checks.Assembler)
			any := false
			for b := []byte(s); len(b) > 0; {
				k := min(n, len(b))
				_, ans, retro := sc.feed(b[:k], asm)
				if retro {
					any = false
				}
				any = any || ans
				b = b[k:]
			}
			sc.end(asm)
			return asm.Answer(nil).Text, any
		}
		w, _ := whole()
		got, _ := split(int(step%16) + 1)
		if got != w {
			t.Fatalf("%q split by %d: answer %q, whole %q", s, step%16+1, got, w)
		}
	})
}

// TestHiddenReasoningFromUsage: a server that streams no reasoning but
// counts it in usage.completion_tokens_details (OpenAI's reasoning
// models) has those tokens counted as reasoning, its answer's from the
// first content.
func TestHiddenReasoningFromUsage(t *testing.T) {
	events := []string{delta("content", "4"), delta("content", "2"),
		`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":66,"completion_tokens_details":{"reasoning_tokens":64}}}`}
	res := &result.Result{Sent: time.Now()}
	(&Target{API: chat}).readStream(context.Background(), bytes.NewReader(sseOf(events...)), res, res.Sent, false, nil)
	if !res.Succeeded() || res.ReasoningTokens != 64 || res.AnswerTokens() != 2 || !res.FirstAnswer.Equal(res.FirstContent) {
		t.Errorf("outcome %s, reasoning %d, answer %d tokens, first answer %v / content %v", res.Outcome, res.ReasoningTokens, res.AnswerTokens(), res.FirstAnswer, res.FirstContent)
	}
}
