package measure

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/tokenizer"
)

// With a tokenizer, output without usage (Triton) is counted from the
// text; the server's usage, where given, still wins.
func TestOutputCountedByTokenizer(t *testing.T) {
	wp, err := tokenizer.Load(context.Background(), "../tokenizer/testdata/tokenizers/wordpiece.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	triton := "data: {\"text_output\":\"Machine\"}\n\ndata: {\"text_output\":\" learning\"}\n\ndata: {\"text_output\":\" rocks\"}\n\n"
	want, _ := tokenizer.Count(wp, "Machine learning rocks")
	if want <= 3 {
		t.Fatalf("the test needs words the vocabulary splits; %d tokens", want)
	}
	for _, tc := range []struct {
		name, api, body string
		tok             tokenizer.Tokenizer
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
			srv := httptest.NewServer(streamHandler(200, eventStream, tc.body, 0))
			defer srv.Close()
			a, _ := prober.LookupAPI(tc.api)
			target := &Target{URL: srv.URL + "/v1", Model: "m", API: a, Client: http.DefaultClient, Tokenizer: tc.tok}
			res := &result.Result{Intended: time.Now()}
			p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}, InputTokens: 1}
			target.Send(context.Background(), p, prober.Params{MaxTokens: 8}, time.Minute, time.Now(), tc.keepText, res)
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

// Output counted by the tokenizer (no usage) drives ITL and the token
// timeline too: events of several tokens each have their gap divided
// evenly over their tokens, whatever their text's length. Triton sends
// one event per two words here, each word a token or more; the gaps are
// judged against the stream's own event times, not a clock.
func TestITLFromTokenizerCount(t *testing.T) {
	wp, err := tokenizer.Load(context.Background(), "../tokenizer/testdata/tokenizers/wordpiece.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two events of very different lengths: a content-length estimate
	// would give the long one most of the tokens.
	body := "data: {\"text_output\":\"a\"}\n\ndata: {\"text_output\":\" b\"}\n\ndata: {\"text_output\":\" machine learning\"}\n\n"
	total, _ := tokenizer.Count(wp, "a b machine learning")
	if total%2 != 1 || total < 5 {
		t.Fatalf("the test needs an odd count: the first event's one token and the rest evenly over two; the vocabulary gives %d", total)
	}
	per := (total - 1) / 2
	srv := httptest.NewServer(streamHandler(200, eventStream, body, 0))
	defer srv.Close()
	a, _ := prober.LookupAPI("triton")
	target := &Target{URL: srv.URL + "/v1", Model: "m", API: a, Client: http.DefaultClient, Tokenizer: wp}
	res := &result.Result{Intended: time.Now()}
	target.Send(context.Background(), dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}, InputTokens: 1},
		prober.Params{MaxTokens: 8}, time.Minute, time.Now(), false, res)
	if !res.Succeeded() || res.OutputTokens != total || res.TokensFrom != result.TokensFromTokenizer {
		t.Fatalf("%s: %d tokens from %s", res.Outcome, res.OutputTokens, res.TokensFrom)
	}
	// The first event carries the token TTFT waited for; each later one's
	// gap is split evenly over its per tokens.
	if len(res.ITL) != 2*per || slices.Min(res.ITL[:per]) != slices.Max(res.ITL[:per]) || slices.Min(res.ITL[per:]) != slices.Max(res.ITL[per:]) {
		t.Errorf("ITL %v: want %d values, each event's gap split evenly over its %d tokens", res.ITL, 2*per, per)
	}
	n := 0
	for _, s := range res.TokensBySecond {
		n += int(s.Tokens)
	}
	if n != total {
		t.Errorf("the per-second series counts %d, want the tokenizer's %d", n, total)
	}
}
