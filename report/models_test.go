package report

import (
	"testing"

	"github.com/inferno-llm/inferno/result"
)

// TestByModelAndMerge: a model mix's results are reported per model with
// the window's own statistics, and shards' by_model merge into the
// whole window's.
func TestByModelAndMerge(t *testing.T) {
	window := syntheticWindow(120)
	whole := NewAggregator(at(0), SLO{}, nil)
	shards := []*Aggregator{NewAggregator(at(0), SLO{}, nil), NewAggregator(at(0), SLO{}, nil)}
	want := map[string]int{}
	var sent int64 // an arrival never sent carried no image
	for i, r := range window {
		r.Model = []string{"a", "b", "b"}[i%3]
		r.Images, r.ImageBytes = 1, 100
		want[r.Model]++
		if r.Outcome != result.NotSent {
			sent++
		}
		whole.Add(r)
		shards[i%2].Add(r)
	}
	rep := whole.Report(Meta{ID: "whole"})
	if len(rep.ByModel) != 2 || sent == 120 || rep.Summary.ImagesSent != sent || rep.Summary.ImageBytesSent != 100*sent {
		t.Fatalf("by_model %v, images %d of %d bytes", rep.ByModel, rep.Summary.ImagesSent, rep.Summary.ImageBytesSent)
	}
	total := 0
	for name, m := range rep.ByModel {
		if m.Summary.Requests != want[name] || m.Stats.TTFT.Count != m.Summary.Successes {
			t.Errorf("%s: %d requests (want %d), %d successes, %d TTFTs", name, m.Summary.Requests, want[name], m.Summary.Successes, m.Stats.TTFT.Count)
		}
		total += m.Summary.Successes
	}
	if total != rep.Summary.Successes {
		t.Errorf("models' successes add to %d, the window's %d", total, rep.Summary.Successes)
	}
	var parts []*Report
	for i, s := range shards {
		r := s.Report(Meta{ID: []string{"s0", "s1"}[i]})
		parts = append(parts, &r)
	}
	merged, err := MergeWith("merged", parts, true)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Summary.ImagesSent != sent {
		t.Errorf("merged images %d, want %d", merged.Summary.ImagesSent, sent)
	}
	for name, m := range rep.ByModel {
		got := merged.ByModel[name]
		if got == nil || got.Summary.Requests != m.Summary.Requests || got.Stats.TTFT.Count != m.Stats.TTFT.Count ||
			got.Stats.TTFT.Max != m.Stats.TTFT.Max {
			t.Errorf("%s merged %+v, whole %+v", name, got, m.Summary)
		}
	}
}
