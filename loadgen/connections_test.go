package loadgen

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/measure"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
)

// TestClosedLoopReusesConnections runs a closed loop through the tuned
// client against the simulator and counts the connections the server
// saw: the warm ones, and no churn after them.
func TestClosedLoopReusesConnections(t *testing.T) {
	const conc, requests = 24, 120
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond, DefaultMaxTokens: 4}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client, err := httpclient.New(promconfig.DefaultHTTPClientConfig, "reuse")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := prober.LookupAPI("openai-completions")
	arrival, _ := arrival.New(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: conc}, 1)
	source, _ := dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 8, OutputTokens: 4}, 1)
	var mu sync.Mutex
	var results []*result.Result
	w := &Window{
		Target:  &measure.Target{URL: srv.URL + "/v1", Model: "sim", API: api, Client: client},
		Arrival: arrival, Source: source, Requests: requests, RequestTimeout: 30 * time.Second, Deadline: time.Minute,
	}
	info, err := w.Run(context.Background(), func(r *result.Result) { mu.Lock(); results = append(results, r); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Succeeded() {
			t.Fatalf("request %d: %s %s", r.Index, r.Outcome, r.Reason)
		}
	}
	if len(results) != requests {
		t.Fatalf("%d results, want %d", len(results), requests)
	}
	if n := opened.Load(); n > int64(conc) {
		t.Errorf("%d connections opened for %d streams (%d warm): connections churned", n, conc, info.WarmConnections)
	}
}

// TestDrainHeldOpenBody: a server that sends a whole stream, [DONE]
// included, and then holds the body open costs the request a bounded
// wait, not its timeout; the answer is still a success.
func TestDrainHeldOpenBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client, err := httpclient.New(promconfig.DefaultHTTPClientConfig, "held")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := prober.LookupAPI("openai-chat")
	arrival, _ := arrival.New(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 1}, 1)
	source, _ := dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 4, OutputTokens: 1}, 1)
	w := &Window{
		Target:  &measure.Target{URL: srv.URL, Model: "m", API: api, Client: client},
		Arrival: arrival, Source: source, Requests: 2, RequestTimeout: 10 * time.Minute,
	}
	var results []*result.Result
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(context.Background(), func(r *result.Result) { results = append(results, r) })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second): // generous: the drain gives up after the prober's drainWait
		t.Fatal("a body held open after [DONE] held the window until its request timeout")
	}
	for _, r := range results {
		if !r.Succeeded() {
			t.Errorf("request %d: %s %s", r.Index, r.Outcome, r.Reason)
		}
	}
	if len(results) != 2 {
		t.Errorf("%d results, want 2", len(results))
	}
}

// TestWarmDistinctPlainConnections: warm-up holds each HEAD inside GotConn
// until all have a connection, so n warm requests through internal/h1 open
// n connections, all left idle for the window.
func TestWarmDistinctPlainConnections(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
	}))
	defer srv.Close()
	client, err := httpclient.New(promconfig.DefaultHTTPClientConfig, "warm")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := prober.LookupAPI("openai-chat")
	w := &Window{Target: &measure.Target{URL: srv.URL, Model: "m", API: api, Client: client}, RequestTimeout: 5 * time.Second}
	const n = 8
	if got := w.warmConnections(context.Background(), n); got != n {
		t.Fatalf("warmed %d connections, want %d", got, n)
	}
	if len(conns) != n {
		t.Errorf("server saw %d connections, want %d", len(conns), n)
	}
	// The window's requests then reuse them: no new connection.
	res := &result.Result{Intended: time.Now()}
	w.Target.Send(context.Background(), dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}}, prober.Params{MaxTokens: 1}, time.Second, time.Now(), false, res)
	if !res.Conn.Reused || len(conns) != n {
		t.Errorf("request after warm-up: reused %v, server connections %d (want a reused one of %d)", res.Conn.Reused, len(conns), n)
	}
}
