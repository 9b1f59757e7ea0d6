package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/report"
)

func TestPrintMixes(t *testing.T) {
	for _, c := range []struct {
		name string
		r    report.Report
		want []string
	}{
		{"plain", report.Report{Summary: report.Summary{InputTokens: 10, OutputTokens: 5}}, nil},
		{"embeddings", report.Report{Summary: report.Summary{InputTokens: 400, InputThroughput: 80}},
			[]string{"Input tokens 80.0 tok/s (no output: an embeddings window)"}},
		{"images and models", report.Report{
			Summary: report.Summary{InputTokens: 1, OutputTokens: 1, ImagesSent: 4, ImageBytesSent: 1000},
			ByModel: map[string]*report.ModelReport{
				"b": {Summary: report.Summary{Requests: 3, Successes: 3}},
				"a": {Summary: report.Summary{Requests: 1, Successes: 0}},
			}},
			[]string{"Images sent 4, 1000 bytes", "Model a: 1 requests, 0 succeeded", "Model b: 3 requests, 3 succeeded"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			printMixes(&b, &c.r)
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if len(c.want) == 0 {
				if b.Len() != 0 {
					t.Errorf("printed %q", b.String())
				}
				return
			}
			if len(lines) != len(c.want) {
				t.Fatalf("printed %q, want %d lines", b.String(), len(c.want))
			}
			for i, w := range c.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d %q, want it to start %q", i, lines[i], w)
				}
			}
		})
	}
}
