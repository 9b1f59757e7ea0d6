package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// A window without a success prints no latency table (zeros would read as
// a fast endpoint) and no rate.
func TestSummaryOfDeadWindow(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{}, nil)
	for i := range 20 {
		sent := start.Add(time.Duration(i) * time.Microsecond)
		a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(3 * time.Microsecond),
			Outcome: result.ConnectionError, Reason: "connection refused"})
	}
	r := a.Report(report.Meta{ID: "dead", Status: report.StatusFinished})
	var out bytes.Buffer
	printSummary(&out, &r, "")
	text := out.String()
	if !strings.Contains(text, "No successful request") || strings.Contains(text, "metric (ms)") || strings.Contains(text, "0.00\t") {
		t.Errorf("summary of a dead window:\n%s", text)
	}
	if !strings.Contains(text, "0.00 req/s") {
		t.Errorf("a dead window's rate must be 0:\n%s", text)
	}
}

// report merge refuses two reports that are not shards of one window;
// --force merges them.
func TestReportMergeRefusesNonShards(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var files []string
	for i := range 2 {
		from := start.Add(time.Duration(i) * time.Minute) // two consecutive windows
		a := report.NewAggregator(from, report.SLO{}, nil)
		a.Add(&result.Result{Intended: from, Sent: from, FirstEvent: from.Add(time.Millisecond), FirstContent: from.Add(time.Millisecond),
			End: from.Add(time.Second), Outcome: result.Success, OutputTokens: 4})
		r := a.Report(report.Meta{ID: report.NewRunID(from), Status: report.StatusFinished, Target: report.Target{Name: "sim"}, Workload: "w"})
		path, err := report.Write(dir, &r)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	out := filepath.Join(dir, "merged.json")
	if code := Run(append([]string{"report", "merge", "-o", out}, files...)); code != 1 {
		t.Errorf("merging two windows: exit %d, want 1", code)
	}
	if code := Run(append([]string{"report", "merge", "--force", "-o", out}, files...)); code != 0 {
		t.Errorf("merging with --force: exit %d, want 0", code)
	}
}

// A capacity search that never failed a step found a lower bound, and
// says so; a step without a success prints no TTFT rather than 0 ms.
func TestSummaryOfCapacitySearch(t *testing.T) {
	for _, tc := range []struct {
		cp   report.Capacity
		want string
	}{
		{report.Capacity{RequestsPerSecond: 25, Objective: 0.95, Steps: []report.CapacityStep{{Rate: 25, Passed: true}}},
			"Capacity: at least 25.00 req/s"},
		{report.Capacity{RequestsPerSecond: 8, Bracketed: true, Objective: 0.95,
			Steps: []report.CapacityStep{{Rate: 8, Passed: true, TTFTP95: 0.1}, {Rate: 16, Reason: "every request failed"}}},
			"Capacity: 8.00 req/s"},
	} {
		r := report.Report{Capacity: &tc.cp}
		var out bytes.Buffer
		printSummary(&out, &r, "")
		text := out.String()
		if !strings.Contains(text, tc.want) {
			t.Errorf("summary lacks %q:\n%s", tc.want, text)
		}
		if strings.Contains(text, "p95 0.0 ms") {
			t.Errorf("a step without a success printed a TTFT of 0:\n%s", text)
		}
	}
}

// A statistic with no values (TPOT of one-token answers, ITL of none)
// prints "–", not 0.00 ms, which reads as very fast. The rates split
// successes from all responses, and a multi-turn window says its
// sessions per second and the turns its end cut.
func TestSummaryEmptyStatisticsAndRates(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{}, nil)
	for i := range 2 {
		sent := start.Add(time.Duration(i) * time.Second)
		r := &result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(time.Second), Outcome: result.HTTP5xx, Status: 500}
		if i == 0 {
			// One token: no TPOT, no ITL.
			r.Outcome, r.Status = result.Success, 200
			r.FirstEvent, r.FirstContent, r.LastContent = sent.Add(100*time.Millisecond), sent.Add(100*time.Millisecond), sent.Add(100*time.Millisecond)
			r.OutputTokens, r.ContentEvents = 1, 1
		}
		a.Add(r)
	}
	r := a.Report(report.Meta{ID: "one", Status: report.StatusFinished})
	r.Summary.Sessions, r.Summary.SessionsPerSecond, r.Summary.CutByWindowEnd = 1, 0.5, 2
	var out bytes.Buffer
	printSummary(&out, &r, "")
	text := out.String()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "TPOT") || strings.HasPrefix(strings.TrimSpace(line), "ITL") {
			if strings.Contains(line, "0.00") || !strings.Contains(line, "–") {
				t.Errorf("an empty statistic: %q", line)
			}
		}
	}
	for _, want := range []string{"1.00 req/s (0.50 successful)", "1 sessions (0.50 sessions/s)", "2 turns cut by the window's end"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}
