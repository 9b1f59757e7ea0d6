package measure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/result"
)

// A prober must survive exactly the endpoints that misbehave: each case is
// one hostile answer, and each must cost one failed (or warned) request
// of bounded size, never the process.
func TestStreamBudgets(t *testing.T) {
	tiny := "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
	done := "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	usage := func(n string) string {
		return tiny + tiny + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":" + n + ",\"completion_tokens\":" + n + "}}\n\n" + done
	}
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		outcome result.Outcome
		reason  string // substring
		check   func(t *testing.T, res *result.Result)
	}{
		{name: "endless tiny events", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", eventStream)
			chunk := []byte(strings.Repeat(tiny, 256))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, outcome: result.StreamError, reason: "content events, over the per-stream cap"},
		{name: "one 2 MiB line", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", eventStream)
			fmt.Fprintf(w, "data: %s%s\n\n", huge, huge)
		}, outcome: result.StreamError, reason: "event exceeds size limit"},
		{name: "usage 9e18", handler: streamHandler(200, eventStream, usage("9000000000000000000"), 0),
			outcome: result.Success, check: func(t *testing.T, res *result.Result) {
				if res.OutputTokens != 2 || res.TokensFrom != result.TokensFromEvents || res.InputTokens != 2 {
					t.Errorf("tokens %d from %s (input %d), want the events' 2 and the request's 2", res.OutputTokens, res.TokensFrom, res.InputTokens)
				}
				if !strings.Contains(res.ProtocolWarning, "usage") {
					t.Errorf("protocol warning %q, want one about the usage", res.ProtocolWarning)
				}
			}},
		{name: "usage 1048576 over 2 events", handler: streamHandler(200, eventStream, usage("1048576"), 0),
			outcome: result.Success, check: func(t *testing.T, res *result.Result) {
				if len(res.ITL) > 4096 {
					t.Errorf("%d ITL values kept for a 2-event answer", len(res.ITL))
				}
			}},
		{name: "1 MiB Retry-After", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", huge)
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, outcome: result.HTTP4xx, reason: "…(cut)", check: func(t *testing.T, res *result.Result) {
			if len(res.Reason) > 1024 {
				t.Errorf("reason of %d bytes kept", len(res.Reason))
			}
		}},
		{name: "1 MiB Location", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/"+huge)
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, outcome: result.HTTP4xx, reason: "…(cut)", check: func(t *testing.T, res *result.Result) {
			if len(res.Reason) > 1024 {
				t.Errorf("reason of %d bytes kept", len(res.Reason))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), tt.handler, "openai-chat", 0)
			if res.Outcome != tt.outcome || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %s reason %.300q; want %s reason containing %q", res.Outcome, res.Reason, tt.outcome, tt.reason)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}
