package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/report"
)

// A capacity search's page draws its steps (rate against TTFT p95 and
// attainment) and heads with the rate found; other pages have neither.
func TestCapacityCharts(t *testing.T) {
	rep := sampleReport(t)
	plain := len(ReportCharts(rep))
	rep.Capacity = &report.Capacity{RequestsPerSecond: 20, Bracketed: true, Objective: 0.95, StepSeconds: 3, Steps: []report.CapacityStep{
		{Rate: 4, Requests: 12, Attainment: 1, Passed: true, TTFTP95: 0.2},
		{Rate: 32, Requests: 96, Attainment: 0.17, TTFTP95: 1.8},
		{Rate: 24, Requests: 72, Attainment: 0.22, TTFTP95: 0.8},
		{Rate: 20, Requests: 60, Attainment: 0.95, Passed: true, TTFTP95: 0.29},
	}}
	charts := ReportCharts(rep)
	if len(charts) != plain+2 {
		t.Fatalf("%d charts, want %d + 2", len(charts), plain)
	}
	ttft, att := charts[plain], charts[plain+1]
	if ttft.ID != "capacity-ttft" || att.ID != "capacity-attainment" {
		t.Fatalf("charts %s, %s", ttft.ID, att.ID)
	}
	// In rate order, whatever order the search ran them.
	pts := ttft.Series[0].Points
	if len(pts) != 4 || pts[0] != [2]float64{4, 0.2} || pts[1] != [2]float64{20, 0.29} || pts[3] != [2]float64{32, 1.8} {
		t.Fatalf("TTFT points %v", pts)
	}
	if obj := att.Series[1].Points; len(obj) != 2 || obj[0][1] != 0.95 || obj[1][0] != 32 {
		t.Fatalf("objective line %v", obj)
	}
	var buf bytes.Buffer
	if err := Report(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`data-chart="capacity-ttft"`, `data-chart="capacity-attainment"`, "20.00 req/s at 95% SLO attainment, sustained (4 steps)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
