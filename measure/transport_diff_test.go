package measure

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	promconfig "github.com/prometheus/common/config"
)

// pacedStream answers every request with the same stream: a role-only
// event, then tokens content events a gap apart after a first pause. It
// records, per request, when the handler started and when it flushed the
// first content event: the server's own TTFT, the truth both transports
// are measured against. Requests go one at a time, so the last is enough.
type pacedStream struct {
	pause, gap time.Duration
	tokens     int

	mu   sync.Mutex
	last time.Duration // the TTFT of the request answered last
}

func (s *pacedStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("Content-Type", eventStream)
	f := w.(http.Flusher)
	fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n")
	f.Flush()
	time.Sleep(s.pause)
	for i := range s.tokens {
		if i > 0 {
			time.Sleep(s.gap)
		}
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"}}]}\n\n", i)
		f.Flush()
		if i == 0 {
			s.mu.Lock()
			s.last = time.Since(start)
			s.mu.Unlock()
		}
	}
	fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":"+fmt.Sprint(s.tokens)+"}}\n\ndata: [DONE]\n\n")
}

// lastTTFT is the server's TTFT of the request it answered last.
func (s *pacedStream) lastTTFT() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// transportTargets are one target per transport policy, both at url.
func transportTargets(tb testing.TB, url string) map[string]*Target {
	tb.Helper()
	api, err := prober.LookupAPI("openai-chat")
	if err != nil {
		tb.Fatal(err)
	}
	targets := map[string]*Target{}
	for _, policy := range []string{httpclient.TransportFast, httpclient.TransportStd} {
		client, used, err := httpclient.NewForTarget(promconfig.DefaultHTTPClientConfig, policy, url, policy)
		if err != nil {
			tb.Fatal(err)
		}
		targets[policy] = &Target{URL: url, Model: "m", API: api, Client: client, Transport: used}
	}
	if targets[httpclient.TransportFast].Transport != httpclient.TransportH1 || targets[httpclient.TransportStd].Transport != httpclient.TransportCommon {
		tb.Fatalf("transports %q and %q, want %q and %q", targets[httpclient.TransportFast].Transport,
			targets[httpclient.TransportStd].Transport, httpclient.TransportH1, httpclient.TransportCommon)
	}
	return targets
}

func sendOne(target *Target) *result.Result {
	res := &result.Result{Intended: time.Now()}
	p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hello there"}}, InputTokens: 2}
	target.Send(context.Background(), p, prober.Params{MaxTokens: 8}, 30*time.Second, time.Now(), true, res)
	return res
}

// TestTransportsMeasureAlike: the same stream measured through the fast
// transport (internal/h1) and the standard one (prometheus/common's
// net/http client) gives the same result bar its times: outcome, tokens,
// events, text, the phases recorded (a fresh connection first, then a
// reused one) and the order of the timestamps. How close their times are
// is BenchmarkTransportsTTFT's figure, not a verdict here: a loaded machine
// may delay either by milliseconds.
func TestTransportsMeasureAlike(t *testing.T) {
	srv := httptest.NewServer(&pacedStream{pause: 5 * time.Millisecond, gap: time.Millisecond, tokens: 6})
	defer srv.Close()
	byPolicy := map[string][]*result.Result{}
	for policy, target := range transportTargets(t, srv.URL+"/v1") {
		for range 3 {
			byPolicy[policy] = append(byPolicy[policy], sendOne(target))
		}
	}
	for i := range 3 {
		h1, std := byPolicy[httpclient.TransportFast][i], byPolicy[httpclient.TransportStd][i]
		for _, r := range []*result.Result{h1, std} {
			if !r.Succeeded() {
				t.Fatalf("request %d: %s %s", i, r.Outcome, r.Reason)
			}
			order := []time.Time{r.Sent, r.Conn.RequestWritten, r.Headers, r.FirstEvent, r.FirstContent, r.LastContent, r.End}
			if !slices.IsSortedFunc(order, func(a, b time.Time) int { return a.Compare(b) }) || slices.ContainsFunc(order, time.Time.IsZero) {
				t.Errorf("request %d: timestamps out of order or missing (sent, written, headers, first event, first content, last content, end): %v", i, order)
			}
		}
		type shape struct {
			Outcome                   result.Outcome
			Status, Output, Events    int
			TokensFrom                result.TokenSource
			Text                      string
			ITLs                      int
			Reused, Connected, Warned bool
		}
		shapeOf := func(r *result.Result) shape {
			return shape{r.Outcome, r.Status, r.OutputTokens, r.ContentEvents, r.TokensFrom, r.Text, len(r.ITL),
				r.Conn.Reused, r.Conn.Connect > 0, r.ProtocolWarning != ""}
		}
		if a, b := shapeOf(h1), shapeOf(std); a != b {
			t.Errorf("request %d measured differently:\n  h1:  %+v\n  std: %+v", i, a, b)
		}
		if wantReused := i > 0; h1.Conn.Reused != wantReused {
			t.Errorf("request %d: reused %v, want %v", i, h1.Conn.Reused, wantReused)
		}
	}
}

// BenchmarkTransportsTTFT sends the same paced stream through both
// transports in turn and reports how far each one's TTFT is from the
// server's own (overhead), and how far the two are apart (diff), as
// medians and 99th percentiles in microseconds. The target: the
// two within 1 ms (bench/README.md: "Transports side by side").
func BenchmarkTransportsTTFT(b *testing.B) {
	srv := &pacedStream{pause: 2 * time.Millisecond, gap: 200 * time.Microsecond, tokens: 16}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	targets := transportTargets(b, ts.URL+"/v1")
	fast, std := targets[httpclient.TransportFast], targets[httpclient.TransportStd]
	overhead := func(target *Target) time.Duration {
		r := sendOne(target)
		if !r.Succeeded() {
			b.Fatalf("%s: %s %s", target.Transport, r.Outcome, r.Reason)
		}
		return r.FirstContent.Sub(r.Sent) - srv.lastTTFT()
	}
	overhead(fast) // open both connections outside the figures
	overhead(std)
	var h1s, stds, diffs []float64
	for i := 0; b.Loop(); i++ {
		var h1, st time.Duration
		if i%2 == 0 { // neither always goes first
			h1, st = overhead(fast), overhead(std)
		} else {
			st, h1 = overhead(std), overhead(fast)
		}
		h1s = append(h1s, float64(h1.Microseconds()))
		stds = append(stds, float64(st.Microseconds()))
		diffs = append(diffs, float64((max(h1, st) - min(h1, st)).Microseconds()))
	}
	for _, m := range []struct {
		name string
		v    []float64
	}{{"h1-overhead", h1s}, {"std-overhead", stds}, {"diff", diffs}} {
		slices.Sort(m.v)
		b.ReportMetric(m.v[len(m.v)/2], m.name+"-p50-µs")
		b.ReportMetric(m.v[len(m.v)*99/100], m.name+"-p99-µs")
	}
	b.ReportMetric(0, "ns/op")
}
