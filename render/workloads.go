package render

import (
	"fmt"
	"maps"
	"slices"

	"github.com/inferno-llm/inferno/report"
)

// workloadHeadlines are the figures only some workloads have: an
// embeddings window's input rate, the images sent, each model of a mix.
func workloadHeadlines(r *report.Report) []headline {
	s := r.Summary
	var h []headline
	if s.OutputTokens == 0 && s.InputTokens > 0 {
		h = append(h, headline{"Input throughput", fmt.Sprintf("%.1f tokens/s", s.InputThroughput)})
	}
	if s.ImagesSent > 0 {
		h = append(h, headline{"Images sent", fmt.Sprintf("%d (%d bytes)", s.ImagesSent, s.ImageBytesSent)})
	}
	for _, name := range slices.Sorted(maps.Keys(r.ByModel)) {
		m := r.ByModel[name]
		h = append(h, headline{"Model " + name, fmt.Sprintf("%d requests, %.1f%% succeeded; TTFT p50 / p99 %s / %s; E2E p50 %s",
			m.Summary.Requests, 100*m.Summary.SuccessRate, seconds(m.Stats.TTFT.P50), seconds(m.Stats.TTFT.P99), seconds(m.Stats.Latency.P50))})
	}
	return h
}
