package measure

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
)

var traceparentPattern = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// TestTraceparent: every request carries a fresh, sampled W3C traceparent
// whose ids the result records; a traceparent in the target's configured
// headers goes out as configured, alone, and its trace id is recorded.
func TestTraceparent(t *testing.T) {
	const configured = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name    string
		headers map[string]string
		want    string // the header the server must see; "" for a fresh one
	}{
		{"fresh", nil, ""},
		{"configured", map[string]string{"traceparent": configured}, configured},
		{"configured other case", map[string]string{"TraceParent": configured}, configured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(chan []string, 4)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- r.Header.Values("Traceparent")
				streamHandler(200, eventStream, recorded(t, "vllm-chat"), 0)(w, r)
			}))
			defer srv.Close()
			cfg := promconfig.DefaultHTTPClientConfig
			if tt.headers != nil {
				h := promconfig.Headers{Headers: map[string]promconfig.Header{}}
				for k, v := range tt.headers {
					h.Headers[k] = promconfig.Header{Values: []string{v}}
				}
				cfg.HTTPHeaders = &h
			}
			client, err := httpclient.New(cfg, "t")
			if err != nil {
				t.Fatal(err)
			}
			api, _ := prober.LookupAPI("openai-chat")
			target := &Target{URL: srv.URL + "/v1", Model: "m", API: api, Client: client}
			target.Traceparent, target.TraceparentConfigured = ConfiguredTraceparent(cfg)
			var ids [][2]string
			for range 2 {
				res := &result.Result{Intended: time.Now()}
				p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}, InputTokens: 1}
				target.Send(context.Background(), p, prober.Params{MaxTokens: 4}, time.Minute, time.Now(), false, res)
				if !res.Succeeded() {
					t.Fatalf("%s: %s", res.Outcome, res.Reason)
				}
				got := <-seen
				if len(got) != 1 {
					t.Fatalf("server saw traceparent %q, want exactly one", got)
				}
				if tt.want != "" {
					if got[0] != tt.want || res.TraceIDString() != "4bf92f3577b34da6a3ce929d0e0e4736" {
						t.Errorf("sent %q with trace id %q, want the configured %q", got[0], res.TraceIDString(), tt.want)
					}
				} else {
					m := traceparentPattern.FindStringSubmatch(got[0])
					if m == nil || m[1] != res.TraceIDString() || m[2] != res.RequestIDString() {
						t.Errorf("sent %q; result has trace %s, request %s", got[0], res.TraceIDString(), res.RequestIDString())
					}
				}
				if res.RequestIDString() == "" {
					t.Error("no request id")
				}
				ids = append(ids, [2]string{res.TraceIDString(), res.RequestIDString()})
			}
			if ids[0][1] == ids[1][1] || (tt.want == "" && ids[0][0] == ids[1][0]) {
				t.Errorf("ids repeat across requests: %v", ids)
			}
		})
	}
}

// The traceparent costs a stream one header value and its slice, nothing
// more: the prober's per-stream memory is tuned.
func TestTraceparentAllocations(t *testing.T) {
	target := &Target{}
	h := http.Header{}
	var res result.Result
	allocs := testing.AllocsPerRun(100, func() {
		target.setTraceContext(h, &res)
	})
	if allocs > 2 {
		t.Errorf("%v allocations per traceparent, want at most 2 (the value and its slice)", allocs)
	}
}

func TestParseTraceparent(t *testing.T) {
	for v, ok := range map[string]bool{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01": true,
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01": false,
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01":  false,
		"garbage": false,
	} {
		id, got := ParseTraceparent(v)
		if got != ok || (ok && hex.EncodeToString(id[:]) != v[3:35]) {
			t.Errorf("%q: %v %x, want ok %v", v, got, id, ok)
		}
	}
}
