package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/inferno-llm/inferno/report"
)

// printMixes shows what only some workloads have: an embeddings window's
// input rate, the images sent, and each model of a model mix.
func printMixes(out io.Writer, r *report.Report) {
	s := r.Summary
	if s.OutputTokens == 0 && s.InputTokens > 0 {
		fmt.Fprintf(out, "Input tokens %.1f tok/s (no output: an embeddings window)\n", s.InputThroughput)
	}
	if s.ImagesSent > 0 {
		fmt.Fprintf(out, "Images sent %d, %d bytes\n", s.ImagesSent, s.ImageBytesSent)
	}
	for _, name := range slices.Sorted(maps.Keys(r.ByModel)) {
		m := r.ByModel[name]
		fmt.Fprintf(out, "Model %s: %d requests, %d succeeded; TTFT p50 %.2f ms, p99 %.2f ms; E2E p50 %.2f ms; %.1f tok/s\n",
			name, m.Summary.Requests, m.Summary.Successes, 1e3*m.Stats.TTFT.P50, 1e3*m.Stats.TTFT.P99,
			1e3*m.Stats.Latency.P50, m.Summary.OutputThroughput)
	}
}
