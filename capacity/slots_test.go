package capacity

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/report"
)

// slotServer streams chat completions from a fixed number of slots, each
// held for service: its capacity is slots/service requests per second by
// construction, whatever the machine's load does to the client. Requests
// beyond the slots wait for one, as a serving engine's queue does.
func slotServer(slots int, service time.Duration, tokens int) http.Handler {
	sem := make(chan struct{}, slots)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			// The prober's warm connections send a HEAD: it takes no slot.
			return
		}
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-sem }()
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		// The slot is held for service from the moment it is taken:
		// tokens go out at even steps ending at its end.
		start := time.Now()
		for i := 1; i <= tokens; i++ {
			time.Sleep(time.Until(start.Add(service * time.Duration(i) / time.Duration(tokens))))
			finish := "null"
			if i == tokens {
				finish = `"length"`
			}
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"},\"finish_reason\":%s}]}\n\n", i, finish)
			fl.Flush()
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	})
}

// slotSLOs are the SLOs the slot server's capacity is searched under,
// from tight to loose.
var slotSLOs = []struct {
	name string
	slo  report.SLO
}{
	{"tight", report.SLO{TTFT: 300 * time.Millisecond}},
	{"medium", report.SLO{TTFT: time.Second, E2E: 2 * time.Second}},
	{"loose", report.SLO{E2E: 10 * time.Second}},
}

// slotSearch searches the capacity of 4 slots of 0.5 s (8 requests/s).
// It may run on a goroutine of its own: it logs, and leaves failing to
// its caller.
func slotSearch(tb testing.TB, slo report.SLO) (report.Capacity, error) {
	srv := httptest.NewServer(slotServer(4, 500*time.Millisecond, 5))
	defer srv.Close()
	s := &Search{
		Spec:   dataset.ArrivalSpec{Kind: "capacity", Rate: 3, StepDuration: schema.Duration(5 * time.Second), MaxSteps: 10},
		SLO:    slo,
		Window: window(tb, srv.URL, 5),
	}
	got, _, err := s.Run(context.Background(), nil)
	for _, st := range got.Steps {
		tb.Logf("%v: step %.3f req/s: passed %v, attainment %.3f, completed %.2f req/s, TTFT growth %.0f ms, drain %.1f s %s",
			slo, st.Rate, st.Passed, st.Attainment, st.CompletedRate, 1e3*st.TTFTGrowth, st.DrainSeconds, st.Reason)
	}
	return got, err
}

// 4 slots of 0.5 s serve exactly 8 requests/s. Judged only by the SLO,
// the old search found 9.25–9.5 under loose SLOs (+16% and more), since
// a short step above capacity queues less than the SLO allows; judged on
// sustainability it finds no more than 8 (+10% here, below the old
// error). A busy machine's late timers only lower the capacity found, so
// the bound below is coarse (half); the issue's −10%/+3% is
// BenchmarkSearchFindsSlotServerCapacity's.
func TestSearchFindsSlotServerCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("each search runs several steps of seconds each")
	}
	if raceEnabled {
		t.Skip("latency-bound: runs in the normal build")
	}
	t.Parallel()
	const truth = 4 / 0.5
	// The three searches at once, whatever -parallel allows: each sleeps
	// through its steps on a server of its own.
	found := make([]report.Capacity, len(slotSLOs))
	errs := make([]error, len(slotSLOs))
	var wg sync.WaitGroup
	for i, tc := range slotSLOs {
		wg.Go(func() { found[i], errs[i] = slotSearch(t, tc.slo) })
	}
	wg.Wait()
	for i, tc := range slotSLOs {
		t.Run(tc.name, func(t *testing.T) {
			got := found[i]
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if c := got.RequestsPerSecond; c < truth*0.5 || c > truth*1.10 {
				t.Errorf("capacity %.3f req/s, want %.1f (−50%%, +10%%)", c, truth)
			}
			if !got.Bracketed {
				t.Error("a search that found a failing step above its capacity is not bracketed")
			}
		})
	}
}

// BenchmarkSearchFindsSlotServerCapacity is the acceptance check
// on a quiet machine: the capacity found within −10%/+3% of 8 from a
// tight SLO to a loose one. Reported per SLO as capacity-req/s and
// error-%; run with
// go test ./capacity -run '^$' -bench SearchFindsSlotServerCapacity -benchtime 1x
func BenchmarkSearchFindsSlotServerCapacity(b *testing.B) {
	const truth = 4 / 0.5
	for _, tc := range slotSLOs {
		b.Run(tc.name, func(b *testing.B) {
			var c float64
			for b.Loop() {
				got, err := slotSearch(b, tc.slo)
				if err != nil {
					b.Fatal(err)
				}
				c = got.RequestsPerSecond
			}
			b.ReportMetric(c, "capacity-req/s")
			b.ReportMetric(100*(c-truth)/truth, "error-%")
		})
	}
}
