package capacity

import (
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/measure"

	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
)

func window(t *testing.T, url string, outputTokens int) *loadgen.Window {
	t.Helper()
	api, _ := prober.LookupAPI("openai-chat")
	source, err := dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 16, OutputTokens: outputTokens}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &loadgen.Window{
		Target:         &measure.Target{Name: "sim", URL: url + "/v1", Model: "sim", API: api, Client: &http.Client{}},
		Source:         source,
		Params:         prober.Params{MaxTokens: outputTokens},
		RequestTimeout: time.Minute,
	}
}

// The acceptance check: a server of 16 slots, each request taking
// 200 ms + 31 × 20 ms = 0.82 s, serves 16 / 0.82 ≈ 19.5 requests/s before
// it queues; with an SLO of TTFT 300 ms the search finds about 19, within
// 15% (of 19, as the issue asks).
func TestSearchFindsSimulatorCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("the search runs eight steps of seconds each")
	}
	if raceEnabled {
		// The race detector slows the client and the in-process simulator
		// several times over: the latencies judged would be its own.
		t.Skip("latency-bound: runs in the normal build")
	}
	srv := httptest.NewServer(simulator.New(simulator.Config{MaxConcurrency: 16, TTFT: 200 * time.Millisecond, ITL: 20 * time.Millisecond}))
	defer srv.Close()
	var results atomic.Int64
	var steps []report.CapacityStep
	s := &Search{
		Spec:   dataset.ArrivalSpec{Kind: "capacity", Rate: 4, StepDuration: schema.Duration(3 * time.Second), MaxSteps: 10},
		SLO:    report.SLO{TTFT: 300 * time.Millisecond},
		Window: window(t, srv.URL, 32),
		OnStep: func(st report.CapacityStep) { steps = append(steps, st) },
	}
	got, info, err := s.Run(context.Background(), func(*result.Result) { results.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("capacity %.2f req/s; steps %+v", got.RequestsPerSecond, got.Steps)
	if want := 19.0; got.RequestsPerSecond < want*0.85 || got.RequestsPerSecond > want*1.15 {
		t.Errorf("capacity %.2f req/s, want %.1f ± 15%%", got.RequestsPerSecond, want)
	}
	if got.Objective != 0.95 || got.StepSeconds != 3 || len(got.Steps) != len(steps) || len(steps) < 4 {
		t.Errorf("objective %v, step %v s, %d steps (%d reported)", got.Objective, got.StepSeconds, len(got.Steps), len(steps))
	}
	// Doubling from 4 until a step fails, then bisecting between the two.
	for i, want := range []float64{4, 8, 16, 32} {
		if steps[i].Rate != want {
			t.Fatalf("step %d at %v req/s, want %v", i, steps[i].Rate, want)
		}
	}
	total := 0
	for _, st := range got.Steps {
		total += st.Requests
		// A step can fail at full attainment (a queue that grows within
		// the SLO), never pass below it; a failing step says why.
		if (st.Passed && st.Attainment < 0.95) || st.Passed == (st.Reason != "") || (st.Passed && st.Rate > got.RequestsPerSecond) {
			t.Errorf("step %+v against the capacity %v", st, got.RequestsPerSecond)
		}
		if st.Requests > 0 && st.OutputTokensPerSecond <= 0 {
			t.Errorf("step %+v: no throughput", st)
		}
	}
	if int64(total) != results.Load() || info.Sent != total {
		t.Errorf("%d results handed on, %d sent, steps counted %d", results.Load(), info.Sent, total)
	}
	if steps[3].Passed || steps[3].TTFTP95 <= steps[0].TTFTP95 {
		t.Errorf("32 req/s should fail with a higher TTFT than 4: %+v %+v", steps[3], steps[0])
	}
}

// An endpoint that fails everything has no capacity: the rate halves
// until the floor, and every step fails.
func TestSearchNoPassingRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s := &Search{
		Spec:   dataset.ArrivalSpec{Kind: "capacity", Rate: 80, StepDuration: schema.Duration(100 * time.Millisecond), MaxSteps: 3},
		Window: window(t, srv.URL, 4),
	}
	got, _, err := s.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.RequestsPerSecond != 0 || len(got.Steps) != 3 {
		t.Fatalf("capacity %v after %d steps, want 0 after 3", got.RequestsPerSecond, len(got.Steps))
	}
	for i, want := range []float64{80, 40, 20} {
		if got.Steps[i].Rate != want || got.Steps[i].Passed {
			t.Errorf("step %d: %+v, want a failing step at %v", i, got.Steps[i], want)
		}
		// Lower rates run longer than the step duration, to send enough
		// requests to judge by.
		if got.Steps[i].Requests < MinStepRequests || got.Steps[i].Seconds*want < MinStepRequests {
			t.Errorf("step %d sent %d requests, want at least %d", i, got.Steps[i].Requests, MinStepRequests)
		}
	}
}

func TestSearchRejectsOtherKinds(t *testing.T) {
	s := &Search{Spec: dataset.ArrivalSpec{Kind: "poisson", Rate: 1}, Window: &loadgen.Window{}}
	if _, _, err := s.Run(context.Background(), nil); err == nil {
		t.Fatal("a poisson arrival ran as a capacity search")
	}
	s.Spec = dataset.ArrivalSpec{Kind: "capacity", Objective: 1.5}
	if _, _, err := s.Run(context.Background(), nil); err == nil {
		t.Fatal("an objective of 150% was accepted")
	}
}

// A search that keeps passing stops doubling at MaxRate (limits.max_rate):
// no step sends faster than the limit allows, and the capacity found is
// the ceiling itself.
func TestSearchStopsAtMaxRate(t *testing.T) {
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond}))
	defer srv.Close()
	s := &Search{
		Spec:    dataset.ArrivalSpec{Kind: "capacity", Rate: 10, StepDuration: schema.Duration(100 * time.Millisecond), MaxSteps: 6},
		Window:  window(t, srv.URL, 2),
		MaxRate: 25,
	}
	var results atomic.Int64
	got, info, err := s.Run(context.Background(), func(*result.Result) { results.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	// The run's info adds the steps' up: every result sent or not sent,
	// and the connections each step warmed.
	if int64(info.Sent+info.NotSent) != results.Load() || info.WarmConnections == 0 {
		t.Errorf("run info sent %d + not sent %d for %d results, %d warm connections", info.Sent, info.NotSent, results.Load(), info.WarmConnections)
	}
	var rates []float64
	for _, st := range got.Steps {
		rates = append(rates, st.Rate)
	}
	if len(rates) != 3 || rates[0] != 10 || rates[1] != 20 || rates[2] != 25 {
		t.Fatalf("step rates %v, want [10 20 25]: doubling capped at the limit, then the search ends", rates)
	}
	if got.RequestsPerSecond != 25 {
		t.Errorf("capacity %v, want the ceiling 25", got.RequestsPerSecond)
	}
}
