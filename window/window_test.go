package window

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

func dur(d time.Duration) *config.Duration { c := config.Duration(d); return &c }

// TestBuild maps a workload's settings onto the load generator's: unset, zero and
// set graces and warm connections, the shorter of two deadlines, the
// global timeout and in-flight cap for a workload that sets none.
func TestBuild(t *testing.T) {
	no := false
	target := &config.Target{Name: "sim", URL: "http://127.0.0.1:1/v1", Model: "m", API: "openai-completions", HTTP: promconfig.DefaultHTTPClientConfig}
	base := func() *config.Workload {
		return &config.Workload{Name: "w", Requests: 5,
			Dataset: config.Dataset{Kind: "synthetic", SyntheticSpec: dataset.SyntheticSpec{InputTokens: 8, OutputTokens: 4}},
			Arrival: dataset.ArrivalSpec{Kind: "poisson", Rate: 2}}
	}
	global := config.DefaultConfig().Global
	for _, tc := range []struct {
		name             string
		edit             func(*config.Workload)
		deadline         time.Duration
		wantGrace        time.Duration
		wantWarm         int
		wantDeadline     time.Duration
		wantTimeout      time.Duration
		wantMaxInFlight  int
		wantTemperatureP bool
	}{
		{name: "defaults", edit: func(*config.Workload) {}, wantTimeout: global.RequestTimeout.D(), wantMaxInFlight: 100},
		{name: "no grace, cold connections", edit: func(w *config.Workload) { w.Grace, w.WarmConnections = dur(0), &no },
			wantGrace: -1, wantWarm: -1, wantTimeout: global.RequestTimeout.D(), wantMaxInFlight: 100},
		{name: "grace and own settings", edit: func(w *config.Workload) {
			w.Grace, w.RequestTimeout, w.MaxConcurrency, w.Deadline = dur(5*time.Second), config.Duration(time.Second), 7, config.Duration(time.Minute)
			temp := 0.5
			w.Params.Temperature = &temp
		}, wantGrace: 5 * time.Second, wantDeadline: time.Minute, wantTimeout: time.Second, wantMaxInFlight: 7, wantTemperatureP: true},
		{name: "a probe's shorter deadline", edit: func(w *config.Workload) { w.Deadline = config.Duration(time.Minute) }, deadline: 10 * time.Second,
			wantDeadline: 10 * time.Second, wantTimeout: global.RequestTimeout.D(), wantMaxInFlight: 100},
		{name: "the workload's shorter deadline", edit: func(w *config.Workload) { w.Deadline = config.Duration(time.Second) }, deadline: 10 * time.Second,
			wantDeadline: time.Second, wantTimeout: global.RequestTimeout.D(), wantMaxInFlight: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			tc.edit(w)
			win, err := Build(context.Background(), Spec{Target: target, Workload: w, Global: global, Deadline: tc.deadline, MaxInFlight: 100})
			if err != nil {
				t.Fatal(err)
			}
			if win.Grace != tc.wantGrace || win.WarmConnections != tc.wantWarm || win.Deadline != tc.wantDeadline ||
				win.RequestTimeout != tc.wantTimeout || win.MaxConcurrency != tc.wantMaxInFlight || (win.Params.Temperature != nil) != tc.wantTemperatureP {
				t.Errorf("grace %v, warm %d, deadline %v, timeout %v, max in flight %d, temperature %v", win.Grace, win.WarmConnections,
					win.Deadline, win.RequestTimeout, win.MaxConcurrency, win.Params.Temperature)
			}
			if win.Requests != 5 || win.Params.MaxTokens != 4 || win.Target.API.Name() != "openai-completions" || win.Target.Name != "sim" {
				t.Errorf("requests %d, max tokens %d, api %s, target %s", win.Requests, win.Params.MaxTokens, win.Target.API.Name(), win.Target.Name)
			}
		})
	}
	w := base()
	w.Dataset = config.Dataset{Kind: "dolly", Path: "/nonexistent/dolly.jsonl"}
	if _, err := Build(context.Background(), Spec{Target: target, Workload: w, Global: global}); err == nil || !strings.Contains(err.Error(), "workload w") {
		t.Errorf("a missing data file: error %v, want one naming the workload", err)
	}
}

// An untrusted target (an API body's, a /probe URL's) never follows a
// redirect: it could lead past api.allow_urls to any host. A configured
// target keeps following them, as before.
func TestUntrustedTargetsDoNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	noFollow := promconfig.DefaultHTTPClientConfig
	noFollow.FollowRedirects = false
	for _, tc := range []struct {
		untrusted bool
		http      promconfig.HTTPClientConfig
		want      int64
	}{
		{true, promconfig.DefaultHTTPClientConfig, 0},
		{false, promconfig.DefaultHTTPClientConfig, 1},
		{false, noFollow, 0}, // a file target's follow_redirects: false
	} {
		elsewhere.Store(0)
		target := &config.Target{Name: "t", URL: redirector.URL + "/v1", Model: "m", API: "openai-chat",
			HTTP: tc.http, Untrusted: tc.untrusted}
		w := &config.Workload{Name: "w", Requests: 1, WarmConnections: new(bool),
			Dataset: config.Dataset{Kind: "synthetic", SyntheticSpec: dataset.SyntheticSpec{InputTokens: 4, OutputTokens: 2}},
			Arrival: dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 1}}
		win, err := Build(context.Background(), Spec{Target: target, Workload: w, Global: config.DefaultConfig().Global, MaxInFlight: 1})
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []result.Outcome
		if _, err := win.Run(context.Background(), func(r *result.Result) { outcomes = append(outcomes, r.Outcome) }); err != nil {
			t.Fatal(err)
		}
		if got := elsewhere.Load(); got != tc.want || len(outcomes) != 1 || outcomes[0] == result.Success {
			t.Errorf("untrusted %v, follow_redirects %v: the redirect's host saw %d requests (want %d); outcomes %v", tc.untrusted, tc.http.FollowRedirects, got, tc.want, outcomes)
		}
	}
}

// TestDatasetSpec: what a workload sends, as the dataset package builds
// it; an hf: tokenizer brings the hub settings.
func TestDatasetSpec(t *testing.T) {
	w := &config.Workload{Name: "w", Dataset: config.Dataset{Kind: "sharegpt", Path: "../dataset/testdata/sharegpt.json",
		Tokenizer: "hf:acme/model@v2", MaxInputTokens: 512, TruncateInput: true}}
	spec, err := datasetSpec(w, config.DefaultConfig().Global)
	if err != nil || spec.Hub == nil || spec.MaxInputTokens != 512 || !spec.TruncateInput || spec.Dataset != "sharegpt" {
		t.Fatalf("an hf: tokenizer needs the hub settings: %+v, %v", spec, err)
	}
	w.Dataset = config.Dataset{Kind: "synthetic", Tokenizer: "o200k_base"}
	w.Dataset.Prefixes = 4
	if spec, err := datasetSpec(w, config.DefaultConfig().Global); err != nil || spec.Hub != nil || spec.Synthetic.Prefixes != 4 {
		t.Fatalf("spec %+v, %v", spec, err)
	}
}

// The report has the setup of the connections opened before the window
// (its requests reuse them, so their setup is seen nowhere else), and a
// multi-turn window its sessions per second and the turns its end cut.
func TestExecuteReportsWarmSetupAndSessions(t *testing.T) {
	srv := httptest.NewServer(simulatorLike())
	defer srv.Close()
	target := &config.Target{Name: "sim", URL: srv.URL + "/v1", Model: "m", API: "openai-chat", HTTP: promconfig.DefaultHTTPClientConfig}
	w := &config.Workload{Name: "w", Requests: 6,
		Dataset: config.Dataset{Kind: "synthetic", SyntheticSpec: dataset.SyntheticSpec{InputTokens: 8, OutputTokens: 2, Turns: 3}},
		Arrival: dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 2}}
	out := Execute(context.Background(), Job{ID: "t", Trigger: "cli", Spec: Spec{Target: target, Workload: w, Global: config.DefaultConfig().Global}})
	if out.BuildErr != nil {
		t.Fatal(out.BuildErr)
	}
	r := out.Report
	if ws := r.Run.WarmConnectionSetup; ws == nil || ws.Count != r.Run.WarmConnections || ws.Count == 0 {
		t.Errorf("warm connection setup %+v for %d warm connections", ws, r.Run.WarmConnections)
	}
	// Two workers, the cap reached mid-session: two or three sessions.
	if r.Summary.Requests != 6 || r.Summary.Sessions < 2 || r.Summary.Sessions > 3 || r.Summary.SessionsPerSecond <= 0 || r.Summary.SessionsPerSecond >= r.Summary.RPS {
		t.Errorf("%d requests, %d sessions at %v/s, %v req/s: want 6 requests of 2 or 3 three-turn sessions", r.Summary.Requests,
			r.Summary.Sessions, r.Summary.SessionsPerSecond, r.Summary.RPS)
	}
}

// simulatorLike answers every chat completion with two tokens at once.
func simulatorLike() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" b\"},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n"))
	})
}
