package report

import (
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
)

// The summary splits responses per second into all and successful (as
// vLLM's request_throughput counts), and says what ITL was measured
// between: here 4 tokens per event, each event's gap divided over them.
func TestSummaryRatesAndITLFrom(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := NewAggregator(start, SLO{}, nil)
	for i := range 4 {
		sent := start.Add(time.Duration(i) * 500 * time.Millisecond)
		r := &result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(time.Second), Outcome: result.HTTP5xx, Status: 503}
		if i%2 == 0 {
			r.Outcome, r.Status = result.Success, 200
			r.FirstEvent, r.FirstContent, r.LastContent = sent.Add(100*time.Millisecond), sent.Add(100*time.Millisecond), sent.Add(900*time.Millisecond)
			r.OutputTokens, r.ContentEvents, r.TokensFrom = 40, 10, result.TokensFromTokenizer
		}
		a.Add(r)
	}
	s := a.Report(Meta{Status: StatusFinished}).Summary
	// Four responses over 2.5 s, two of them successes.
	if s.RPS != 4/2.5 || s.SuccessfulRPS != 2/2.5 {
		t.Errorf("rps %v, successful %v: want %v and %v", s.RPS, s.SuccessfulRPS, 4/2.5, 2/2.5)
	}
	if s.ITLFrom == nil || s.ITLFrom.TokensPerEvent != 4 || s.ITLFrom.ContentEvents != 20 {
		t.Errorf("itl_from %+v, want 4 tokens per event over 20 events", s.ITLFrom)
	}
}

// report merge refuses a report still running (a placeholder, or a window
// killed mid-way) or aborted: merged, it would pass for a finished window
// of fewer requests. --force merges anyway.
func TestMergeRefusesUnfinished(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	shard := func(i int, status string) *Report {
		a := NewAggregator(start, SLO{}, nil)
		r := a.Report(Meta{ID: "r" + string(rune('0'+i)), Status: status, Target: Target{Name: "sim"}, Workload: "w",
			Shard: &Shard{Index: i, Count: 2, Tick: start}})
		return &r
	}
	for _, status := range []string{StatusRunning, StatusAborted} {
		reports := []*Report{shard(0, StatusFinished), shard(1, status)}
		if _, err := MergeWith("m", reports, false); err == nil || !strings.Contains(err.Error(), status) {
			t.Errorf("merging a %s report: %v", status, err)
		}
		if _, err := MergeWith("m", reports, true); err != nil {
			t.Errorf("--force merging a %s report: %v", status, err)
		}
	}
	if _, err := MergeWith("m", []*Report{shard(0, StatusFinished), shard(1, StatusFinished)}, false); err != nil {
		t.Errorf("two finished shards: %v", err)
	}
}
