package measure

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
)

// TestSendEmbeddings: a whole JSON answer is judged by its vectors and
// usage, not as a stream; what is wrong with it is named.
func TestSendEmbeddings(t *testing.T) {
	for _, c := range []struct {
		name    string
		h       http.Handler
		outcome result.Outcome
		reason  string
		input   int
	}{
		{"simulator", simulator.New(simulator.Config{EmbedPerToken: time.Microsecond}), result.Success, "", 2},
		{"usage missing", streamHandler(200, "application/json", `{"data":[{"embedding":[0.1]}]}`, 0), result.Success, "", 2},
		{"no vector", streamHandler(200, "application/json", `{"data":[],"usage":{"prompt_tokens":2}}`, 0), result.StreamError, "0 results for 1 inputs", 0},
		{"two vectors for one input", streamHandler(200, "application/json", `{"data":[{},{}]}`, 0), result.StreamError, "2 results for 1 inputs", 0},
		{"error body", streamHandler(200, "application/json", `{"error":{"message":"model is loading"}}`, 0), result.StreamError, "server error: model is loading", 0},
		{"not JSON", streamHandler(200, "application/json", `<html>`, 0), result.StreamError, "malformed answer", 0},
		{"status", streamHandler(503, "application/json", `{"error":"busy"}`, 0), result.HTTP5xx, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), c.h, "openai-embeddings", 10*time.Second)
			if res.Outcome != c.outcome || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("outcome %s (%s), want %s (%s)", res.Outcome, res.Reason, c.outcome, c.reason)
			}
			if c.outcome != result.Success {
				return
			}
			if res.InputTokens != c.input || res.OutputTokens != 0 || res.FirstContent.IsZero() || res.End.Before(res.Sent) {
				t.Errorf("input %d, output %d, first content %v, end %v", res.InputTokens, res.OutputTokens, res.FirstContent, res.End)
			}
			if l, ok := res.Latency(); !ok || l <= 0 {
				t.Errorf("latency %v %v", l, ok)
			}
		})
	}
}

// TestSendRerank: one prompt is a query scored against itself; the
// answer's results are counted against the documents sent.
func TestSendRerank(t *testing.T) {
	for _, c := range []struct {
		name    string
		h       http.Handler
		outcome result.Outcome
		reason  string
	}{
		{"simulator", simulator.New(simulator.Config{EmbedPerToken: time.Microsecond}), result.Success, ""},
		{"two results for one document", streamHandler(200, "application/json", `{"results":[{"index":0},{"index":1}]}`, 0), result.StreamError, "2 results for 1 inputs"},
		{"error", streamHandler(200, "application/json", `{"error":"no such model"}`, 0), result.StreamError, "no such model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), c.h, "rerank", 10*time.Second)
			if res.Outcome != c.outcome || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("outcome %s (%s), want %s (%s)", res.Outcome, res.Reason, c.outcome, c.reason)
			}
			// The simulator reads the query "hello there" beside the document
			// "hello there": 4 words.
			if c.outcome == result.Success && (res.InputTokens != 4 || res.InputTokensFrom != result.TokensFromUsage) {
				t.Errorf("input tokens %d from %s", res.InputTokens, res.InputTokensFrom)
			}
		})
	}
}
