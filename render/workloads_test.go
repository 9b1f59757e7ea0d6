package render

import (
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/report"
)

func TestWorkloadHeadlines(t *testing.T) {
	r := &report.Report{Summary: report.Summary{InputTokens: 100, InputThroughput: 50, ImagesSent: 2, ImageBytesSent: 900},
		ByModel: map[string]*report.ModelReport{"b": {Summary: report.Summary{Requests: 2, SuccessRate: 1}}, "a": {}}}
	var got []string
	for _, h := range workloadHeadlines(r) {
		got = append(got, h.Label+": "+h.Value)
	}
	want := []string{"Input throughput: 50.0 tokens/s", "Images sent: 2 (900 bytes)", "Model a: 0 requests", "Model b: 2 requests, 100.0% succeeded"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("headline %q, want %q…", got[i], want[i])
		}
	}
	if h := workloadHeadlines(&report.Report{Summary: report.Summary{InputTokens: 3, OutputTokens: 4}}); len(h) != 0 {
		t.Errorf("a plain window got %v", h)
	}
}
