package prober

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// With a tokenizer, output without usage (Triton) is counted from the
// text; the server's usage, where given, still wins.
func TestOutputCountedByTokenizer(t *testing.T) {
	wp, err := dataset.LoadTokenizer(context.Background(), "../dataset/testdata/tokenizers/wordpiece.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	triton := "data: {\"text_output\":\"Machine\"}\n\ndata: {\"text_output\":\" learning\"}\n\ndata: {\"text_output\":\" rocks\"}\n\n"
	want, _ := dataset.CountTokens(wp, "Machine learning rocks")
	if want <= 3 {
		t.Fatalf("the test needs words the vocabulary splits; %d tokens", want)
	}
	for _, tc := range []struct {
		name, api, body string
		tok             dataset.Tokenizer
		keepText        bool
		tokens          int
		from            result.TokenSource
	}{
		{"triton without tokenizer", "triton", triton, nil, false, 3, result.TokensFromEvents},
		{"triton with tokenizer", "triton", triton, wp, false, want, result.TokensFromTokenizer},
		{"triton with tokenizer, multi-turn", "triton", triton, wp, true, want, result.TokensFromTokenizer},
		{"usage wins", "openai-chat", recorded(t, "vllm-chat"), wp, false, 9, result.TokensFromUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(streamHandler(200, sse, tc.body, 0))
			defer srv.Close()
			a, _ := LookupAPI(tc.api)
			target := &Target{URL: srv.URL + "/v1", Model: "m", API: a, Client: http.DefaultClient, Tokenizer: tc.tok}
			res := &result.Result{Intended: time.Now()}
			p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}, InputTokens: 1}
			target.send(context.Background(), p, Params{MaxTokens: 8}, time.Minute, time.Now(), tc.keepText, res)
			if !res.Succeeded() || res.OutputTokens != tc.tokens || res.TokensFrom != tc.from {
				t.Fatalf("%s %q: %d tokens from %s, want %d from %s", res.Outcome, res.Reason, res.OutputTokens, res.TokensFrom, tc.tokens, tc.from)
			}
			if tc.keepText != (res.Text != "") {
				t.Fatalf("text %q kept, asked %v: text counted only is dropped", res.Text, tc.keepText)
			}
			if tc.keepText && !strings.Contains(res.Text, "learning") {
				t.Fatalf("text %q", res.Text)
			}
		})
	}
}
