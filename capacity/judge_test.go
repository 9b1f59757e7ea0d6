package capacity

import (
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// queueStep fakes a step of n arrivals at rate against a server of the
// given slots and service time, first come first served: its record is
// what the client would see, with no clock involved.
func queueStep(rate float64, n, slots int, service time.Duration, outcome func(i int) result.Outcome) []*result.Result {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	free := make([]time.Time, slots)
	for i := range free {
		free[i] = base
	}
	var out []*result.Result
	for i := range n {
		at := base.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		k := 0
		for j := range free {
			if free[j].Before(free[k]) {
				k = j
			}
		}
		start := at
		if free[k].After(start) {
			start = free[k]
		}
		end := start.Add(service)
		free[k] = end
		r := &result.Result{Intended: at, Sent: at, FirstContent: start.Add(service / 5), LastContent: end, End: end,
			Outcome: result.Success, OutputTokens: 5}
		if outcome != nil {
			if o := outcome(i); o != result.Success {
				r.Outcome, r.FirstContent, r.LastContent = o, time.Time{}, time.Time{}
			}
		}
		out = append(out, r)
	}
	return out
}

// A step is judged on sustainability, not only the SLO: 4 slots of 0.5 s
// serve 8 req/s; at 9 the queue grows by 1 a second, which a 10 s step
// under a loose SLO hides from attainment but not from the completed rate
// or the TTFT trend.
func TestJudgeSustainable(t *testing.T) {
	loose, tight := report.SLO{E2E: 10 * time.Second}, report.SLO{TTFT: 300 * time.Millisecond}
	for _, tc := range []struct {
		name    string
		rate    float64
		slo     report.SLO
		outcome func(int) result.Outcome
		pass    bool
		reason  string
	}{
		{"below capacity", 7.5, loose, nil, true, ""},
		{"at 97% of capacity, tight SLO", 7.75, tight, nil, true, ""},
		{"above capacity, loose SLO: attainment 100%", 9, loose, nil, false, "a queue that grows"},
		{"3% above capacity", 8.25, loose, nil, false, "a queue that grows"},
		{"above capacity, tight SLO", 9, tight, nil, false, "SLO attainment"},
		{"every tenth fails fast", 5, loose, func(i int) result.Outcome {
			if i%10 == 0 {
				return result.HTTP5xx
			}
			return result.Success
		}, false, "SLO attainment"},
		// Still queued at the step's end and cancelled: a miss each.
		{"cancelled at the end", 5, loose, func(i int) result.Outcome {
			if i >= 45 {
				return result.Cancelled
			}
			return result.Success
		}, false, "SLO attainment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := int(tc.rate * 10)
			v := judge(queueStep(tc.rate, n, 4, 500*time.Millisecond, tc.outcome), tc.rate, tc.slo, 0.95)
			if (v.reason == "") != tc.pass || !strings.Contains(v.reason, tc.reason) {
				t.Errorf("verdict %+v, want passed %v with %q", v, tc.pass, tc.reason)
			}
		})
	}
}

// A step that gave up on requests leaves the server their work: the next
// waits as long as the server takes to do it at the rate it completed, at
// most a step. A step whose every request ended left no queue.
func TestDrainWait(t *testing.T) {
	rs := queueStep(5, 50, 4, 500*time.Millisecond, func(i int) result.Outcome {
		if i >= 40 {
			return result.Cancelled
		}
		return result.Success
	})
	if got := drainWait(rs, 8, 10*time.Second); got != 10*time.Second/8 {
		t.Errorf("10 abandoned at 8/s: wait %v, want 1.25s", got)
	}
	if got := drainWait(rs, 0.5, 10*time.Second); got != 10*time.Second {
		t.Errorf("wait %v, want at most a step", got)
	}
	if got := drainWait(queueStep(5, 50, 4, 500*time.Millisecond, nil), 5, 10*time.Second); got != 0 {
		t.Errorf("nothing abandoned: wait %v", got)
	}
}
