package capacity

import (
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/measure"

	"context"
	"math"
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

func window(t testing.TB, url string, outputTokens int) *loadgen.Window {
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

// simulatorSearch runs a capacity search against a simulator of 16 slots
// whose requests take ttft + 31 × 20 ms, with an SLO on TTFT.
func simulatorSearch(tb testing.TB, ttft, slo time.Duration) (report.Capacity, loadgen.RunInfo, []report.CapacityStep, int64) {
	tb.Helper()
	srv := httptest.NewServer(simulator.New(simulator.Config{MaxConcurrency: 16, TTFT: ttft, ITL: 20 * time.Millisecond}))
	defer srv.Close()
	var results atomic.Int64
	var steps []report.CapacityStep
	s := &Search{
		Spec:   dataset.ArrivalSpec{Kind: "capacity", Rate: 4, StepDuration: schema.Duration(3 * time.Second), MaxSteps: 10},
		SLO:    report.SLO{TTFT: slo},
		Window: window(tb, srv.URL, 32),
		OnStep: func(st report.CapacityStep) { steps = append(steps, st) },
	}
	got, info, err := s.Run(context.Background(), func(*result.Result) { results.Add(1) })
	if err != nil {
		tb.Fatal(err)
	}
	return got, info, steps, results.Load()
}

// The search against a real queueing server: a simulator of 16 slots,
// each request taking 1 s + 31 × 20 ms = 1.62 s, serves 16 / 1.62 ≈ 9.9
// requests/s before it queues. The exact check (TTFT 200 ms,
// SLO 300 ms, capacity 19 within 15%) leaves a busy machine's timers
// 100 ms and is BenchmarkSearchFindsSimulatorCapacity's; here the TTFT
// is 1 s, so the SLO of 2 s and the trend allowance (20% of the median
// TTFT, 200 ms) leave a second and a fifth of one. A late timer only
// lowers the capacity found, so the bounds are coarse below (half) and
// tighter above (+30%: at 13 req/s the queue grows by 3 a second, which
// no judge that looks can miss).
func TestSearchFindsSimulatorCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("the search runs eight steps of seconds each")
	}
	if raceEnabled {
		// The race detector slows the client and the in-process simulator
		// several times over: the latencies judged would be its own.
		t.Skip("latency-bound: runs in the normal build")
	}
	// Beside the slot server's searches: each sleeps through its steps.
	t.Parallel()
	got, info, steps, results := simulatorSearch(t, time.Second, 2*time.Second)
	t.Logf("capacity %.2f req/s; steps %+v", got.RequestsPerSecond, got.Steps)
	const truth = 16 / 1.62
	if got.RequestsPerSecond < truth*0.5 || got.RequestsPerSecond > truth*1.3 {
		t.Errorf("capacity %.2f req/s, want %.1f (−50%%, +30%%)", got.RequestsPerSecond, truth)
	}
	if got.Objective != 0.95 || got.StepSeconds != 3 || len(got.Steps) != len(steps) || len(steps) < 4 || !got.Bracketed {
		t.Errorf("objective %v, step %v s, %d steps (%d reported), bracketed %v", got.Objective, got.StepSeconds, len(got.Steps), len(steps), got.Bracketed)
	}
	// Doubling from 4 until a step fails, then bisecting between the
	// highest passing and the lowest failing rate: each rate follows from
	// the verdicts before it, whichever steps a busy machine failed.
	pass, fail := 0.0, math.Inf(1)
	for i, st := range steps {
		want := 4.0
		switch {
		case i == 0:
		case math.IsInf(fail, 1):
			want = 2 * steps[i-1].Rate
		default:
			want = (pass + fail) / 2
		}
		if st.Rate != want {
			t.Fatalf("step %d at %v req/s, want %v (steps %+v)", i, st.Rate, want, steps)
		}
		if st.Passed {
			pass = max(pass, st.Rate)
		} else {
			fail = min(fail, st.Rate)
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
		// Twice the capacity and more is a queue that grows: it fails,
		// with a higher TTFT than the first step's.
		if st.Rate >= 2*truth && (st.Passed || st.TTFTP95 <= steps[0].TTFTP95) {
			t.Errorf("%v req/s should fail with a higher TTFT than %v: %+v %+v", st.Rate, steps[0].Rate, st, steps[0])
		}
	}
	if int64(total) != results || info.Sent != total {
		t.Errorf("%d results handed on, %d sent, steps counted %d", results, info.Sent, total)
	}
}

// BenchmarkSearchFindsSimulatorCapacity is the acceptance check,
// a latency figure that needs a quiet machine: a server of 16 slots, each
// request taking 200 ms + 31 × 20 ms = 0.82 s, serves 16 / 0.82 ≈ 19.5
// requests/s before it queues; with an SLO of TTFT 300 ms the search
// should find about 19, within 15%. Reported as capacity-req/s and
// error-% (of 19); run with
// go test ./capacity -run '^$' -bench SearchFindsSimulatorCapacity -benchtime 1x
func BenchmarkSearchFindsSimulatorCapacity(b *testing.B) {
	const want = 19.0
	var found []float64
	for b.Loop() {
		got, _, _, _ := simulatorSearch(b, 200*time.Millisecond, 300*time.Millisecond)
		b.Logf("capacity %.2f req/s; steps %+v", got.RequestsPerSecond, got.Steps)
		found = append(found, got.RequestsPerSecond)
	}
	c := found[len(found)-1]
	b.ReportMetric(c, "capacity-req/s")
	b.ReportMetric(100*(c-want)/want, "error-%")
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
//
// Every step passes by a fixed verdict: the doubling and the cap are the
// search's logic, and a busy machine that failed a 100 ms step on its
// TTFT trend would test the judge instead (judge_test does, on fakes).
func TestSearchStopsAtMaxRate(t *testing.T) {
	judgeStep = func(results []*result.Result, rate float64, _ report.SLO, _ float64) verdict {
		return verdict{arrivals: len(results), met: len(results), successes: len(results), attainment: 1, offered: rate, completed: rate}
	}
	t.Cleanup(func() { judgeStep = judge })
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
