package measure

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
)

func sumITL(res *result.Result) time.Duration {
	var sum time.Duration
	for _, g := range res.ITL {
		sum += g
	}
	return sum
}

func timelineTokens(line []result.SecondTokens) int {
	n := 0
	for _, s := range line {
		n += int(s.Tokens)
	}
	return n
}

// A server that sends several tokens per event (vLLM's stream_interval,
// speculative decoding) must be measured in tokens: ITL has one gap per
// token after the first and agrees with TPOT, and the timelines count the
// tokens usage reports, not the events.
func TestMultiTokenEvents(t *testing.T) {
	tests := []struct {
		api            string
		interval, want int
		events         int // content events the simulator sends
	}{
		{api: "openai-chat", interval: 4, want: 32, events: 1 + 8},
		{api: "openai-completions", interval: 3, want: 20, events: 1 + 7},
		{api: "openai-chat", interval: 1, want: 12, events: 12},
		{api: "tgi", interval: 4, want: 9, events: 9}, // TGI's protocol is one token per event
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			sim := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: 2 * time.Millisecond, StreamInterval: tt.interval}))
			defer sim.Close()
			a, _ := prober.LookupAPI(tt.api)
			target := &Target{URL: sim.URL + "/v1", Model: "sim", API: a, Client: sim.Client()}
			if tt.api == "tgi" {
				target.URL = sim.URL
			}
			res := &result.Result{}
			p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "one two three"}}, InputTokens: 3}
			target.Send(context.Background(), p, prober.Params{MaxTokens: tt.want}, 0, time.Now(), false, res)
			if !res.Succeeded() {
				t.Fatalf("%s: %s", res.Outcome, res.Reason)
			}
			if res.ContentEvents != tt.events || res.OutputTokens != tt.want {
				t.Fatalf("%d events, %d tokens; want %d events, %d tokens", res.ContentEvents, res.OutputTokens, tt.events, tt.want)
			}
			if len(res.ITL) != tt.want-1 {
				t.Errorf("%d ITL gaps, want %d (one per token after the first)", len(res.ITL), tt.want-1)
			}
			if n := timelineTokens(res.TokensBySecond); n != tt.want {
				t.Errorf("per-second timeline counts %d tokens, want %d", n, tt.want)
			}
			if n := timelineTokens(res.TokensByHalfSecond); n != tt.want {
				t.Errorf("half-second timeline counts %d tokens, want %d", n, tt.want)
			}
			// Mean ITL equals TPOT up to the nanoseconds lost dividing gaps.
			tpot, _ := res.TPOT()
			mean := sumITL(res) / time.Duration(len(res.ITL))
			if d := (mean - tpot).Abs(); d > time.Microsecond {
				t.Errorf("mean ITL %v, TPOT %v: they must agree", mean, tpot)
			}
		})
	}
}

// Shares are even, whatever the text's length (its bytes say nothing of
// when its tokens were generated): each event's measured gap is divided
// over its own tokens. The case: every true gap 20 ms, and a
// length estimate read p90 26.8 ms.
func TestSpreadTokensEvenly(t *testing.T) {
	events := []contentEvent{
		{at: 0, size: 5},
		{at: 40 * time.Millisecond, size: 20},
		{at: 50 * time.Millisecond, size: 5},
	}
	res := &result.Result{OutputTokens: 13}
	spreadTokens(res, events, 0)
	// 13 tokens: one each, the 10 extra evenly over the events after the
	// first (whose gap is TTFT) → shares 1, 6, 6: ITL has 6 + 6 gaps.
	if len(res.ITL) != 6+6 {
		t.Fatalf("%d gaps, want 12: %v", len(res.ITL), res.ITL)
	}
	for i, g := range res.ITL[:6] {
		if g != 40*time.Millisecond/6 {
			t.Errorf("gap %d = %v, want 40ms/6", i, g)
		}
	}
	for i, g := range res.ITL[6:] {
		if g != 10*time.Millisecond/6 {
			t.Errorf("gap %d = %v, want 10ms/6", 6+i, g)
		}
	}
	if n := timelineTokens(res.TokensBySecond); n != 13 {
		t.Errorf("timeline %d tokens, want 13", n)
	}
}

// TPOT is decode time: a trailing usage event and a slow [DONE] are not.
func TestTPOTEndsAtLastContent(t *testing.T) {
	chunk := func(s string) string { return `data: {"choices":[{"delta":{"content":"` + s + `"}}]}` + "\n\n" }
	body := chunk("a") + chunk("b") + chunk("c")
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", eventStream)
		for _, ev := range strings.SplitAfter(body, "\n\n")[:3] {
			w.Write([]byte(ev))
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
		}
		// The answer is over; the server is slow to say so.
		time.Sleep(150 * time.Millisecond)
		w.Write([]byte(`data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3}}` + "\n\n"))
		w.(http.Flusher).Flush()
		time.Sleep(150 * time.Millisecond)
		w.Write([]byte("data: [DONE]\n\n"))
	}
	res := sendTo(t, context.Background(), http.HandlerFunc(h), "openai-chat", 0)
	if !res.Succeeded() {
		t.Fatalf("%s: %s", res.Outcome, res.Reason)
	}
	tpot, ok := res.TPOT()
	if !ok {
		t.Fatal("no TPOT")
	}
	if want := res.LastContent.Sub(res.FirstContent) / 2; tpot != want {
		t.Errorf("TPOT %v, want (last content − first content)/2 = %v", tpot, want)
	}
	// The tail took at least 300 ms; counted as decode it would make TPOT ≥ 150 ms.
	if tail := res.End.Sub(res.LastContent); tail < 300*time.Millisecond || tpot >= tail/2 {
		t.Errorf("TPOT %v with a %v tail after the last content", tpot, tail)
	}
}

// A stream that stops without [DONE] after its answer was declared complete
// succeeds with a protocol warning; one that stops before stays an error.
func TestStreamWithoutDone(t *testing.T) {
	content := `data: {"choices":[{"delta":{"content":"a"},"finish_reason":null}]}` + "\n\n"
	finish := `data: {"choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}` + "\n\n"
	usage := `data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":2}}` + "\n\n"
	tests := []struct {
		name    string
		body    string
		outcome result.Outcome
		warning bool
	}{
		{"finish_reason, no DONE", content + finish, result.Success, true},
		{"usage, no DONE", content + content + usage, result.Success, true},
		{"complete", content + finish + usage + "data: [DONE]\n\n", result.Success, false},
		{"cut short", content + content, result.StreamError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), streamHandler(200, eventStream, tt.body, 0), "openai-chat", 0)
			if res.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%s), want %s", res.Outcome, res.Reason, tt.outcome)
			}
			if (res.ProtocolWarning != "") != tt.warning {
				t.Errorf("protocol warning %q, want one: %v", res.ProtocolWarning, tt.warning)
			}
		})
	}
}

// Input tokens are the server's count where usage gives it, with the
// requested length kept beside it.
func TestInputTokensFromUsage(t *testing.T) {
	withUsage := recorded(t, "vllm-chat") // usage: prompt_tokens 12
	noUsage := "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	tests := []struct {
		name string
		body string
		in   int
		from result.TokenSource
	}{
		{"usage", withUsage, 12, result.TokensFromUsage},
		{"no usage", noUsage, 2, result.TokensFromRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), streamHandler(200, eventStream, tt.body, 0), "openai-chat", 0)
			if res.InputTokens != tt.in || res.InputTokensFrom != tt.from || res.RequestedInputTokens != 2 {
				t.Errorf("input %d from %q, requested %d; want %d from %q, requested 2",
					res.InputTokens, res.InputTokensFrom, res.RequestedInputTokens, tt.in, tt.from)
			}
		})
	}
}

// A usage count no answer reaches (a broken or hostile server) must not
// make the prober allocate one ITL value per claimed token, nor overflow
// the share arithmetic, nor be summed into a report's totals: the count
// is ignored with a protocol warning, and the events keep their own.
func TestHugeUsageNotSpread(t *testing.T) {
	for _, claimed := range []string{"1000000000", "4611686018427387904", "9223372036854775807"} {
		t.Run(claimed, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", eventStream)
				w.Write([]byte(`data: {"choices":[{"delta":{"content":"ab"}}]}` + "\n\n"))
				w.Write([]byte(`data: {"choices":[{"delta":{"content":"cd"},"finish_reason":"stop"}]}` + "\n\n"))
				w.Write([]byte(`data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":` + claimed + `}}` + "\n\n"))
				w.Write([]byte("data: [DONE]\n\n"))
			}
			res := sendTo(t, context.Background(), http.HandlerFunc(h), "openai-chat", 0)
			if !res.Succeeded() {
				t.Fatalf("%s: %s", res.Outcome, res.Reason)
			}
			if res.OutputTokens != 2 || res.TokensFrom != result.TokensFromEvents || res.ProtocolWarning == "" {
				t.Errorf("output tokens %d from %s, warning %q; want the events' 2 and a warning", res.OutputTokens, res.TokensFrom, res.ProtocolWarning)
			}
			if len(res.ITL) != 1 || timelineTokens(res.TokensBySecond) != 2 {
				t.Errorf("%d ITL values, timeline %d tokens; want the two events' own", len(res.ITL), timelineTokens(res.TokensBySecond))
			}
		})
	}
}
