package e2e

import (
	"fmt"
	"math"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/stats"
)

// matched is one run's client-side figures beside the simulator's own
// record of the same requests.
type matched struct {
	report                 *report.Report
	serverTTFT, serverTPOT stats.Stats
	requestPath            string
}

// runMatched runs requests at a concurrency of 64 against a simulator set
// to TTFT 200 ms and ITL 20 ms, through api, and returns Inferno's report
// with the simulator's record of TTFT and decode time per token.
func runMatched(tb testing.TB, api string, requests int) matched {
	tb.Helper()
	var mu sync.Mutex
	var serverTTFT, serverTPOT []float64
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: 200 * time.Millisecond, ITL: 20 * time.Millisecond,
		OnFirstToken: func(d time.Duration) {
			mu.Lock()
			serverTTFT = append(serverTTFT, d.Seconds())
			mu.Unlock()
		},
		OnDecode: func(d time.Duration) {
			mu.Lock()
			serverTPOT = append(serverTPOT, d.Seconds())
			mu.Unlock()
		}}))
	defer srv.Close()
	dir := tb.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", api, "--model", "sim",
		"--dataset", "synthetic", "--input-tokens", "128", "--output-tokens", "32",
		"--arrival", "concurrency", "--concurrency", "64", "--requests", fmt.Sprint(requests),
		"--report-dir", dir, "--per-request", "--log.level", "warn"})
	if code != 0 {
		tb.Fatalf("exit status %d", code)
	}
	r := testutil.OnlyReport(tb, dir)
	if r.FailRate != 0 || r.TotalRequestNum != requests {
		tb.Fatalf("fail rate %v over %d requests, want 0 over %d", r.FailRate, r.TotalRequestNum, requests)
	}
	mu.Lock()
	defer mu.Unlock()
	return matched{report: r, serverTTFT: stats.Summarize(append([]float64(nil), serverTTFT...)),
		serverTPOT:  stats.Summarize(append([]float64(nil), serverTPOT...)),
		requestPath: filepath.Join(dir, report.RequestsFileName(r.Run.ID))}
}

// TestRunMatchesSimulator: the figures Inferno reports are those of the
// simulator's requests, for every API it speaks. The simulator reports
// each request's server-side TTFT and decode time; Inferno's client-side
// p50s must match the server's p50s of the same requests. Side by side in
// one run, a busy machine's late timers delay server and client alike.
//
// The tolerances (3 ms on TTFT, 0.5 ms on TPOT) hold only on a
// quiet machine: they are BenchmarkRunMatchesSimulator's figures. Here the
// bounds catch a figure taken from the wrong event, on any machine: TTFT
// at the headers (200 ms short) or the stream's end (620 ms long) is far
// outside 100 ms plus the server's own lateness, and a TPOT with the TTFT
// in it (26 ms against 20) outside 5 ms.
func TestRunMatchesSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 windows of 2.5 s")
	}
	for _, api := range []string{"openai-completions", "openai-chat", "tgi", "triton"} {
		t.Run(api, func(t *testing.T) {
			// Three rounds of 64: enough for a p50, a quarter of the benchmark's.
			m := runMatched(t, api, 192)
			s, server := m.report.Stats, m.serverTTFT
			t.Logf("TTFT p50: Inferno %.2f ms, simulator %.2f ms (set to 200 ms)", s.TTFT.P50*1e3, server.P50*1e3)
			// The client sees each first token after the server sent it, so
			// its p50 is no lower (less 1 ms of histogram precision).
			tolerance := 0.100 + max(0, server.P50-0.200)
			if d := s.TTFT.P50 - server.P50; d < -0.001 || d > tolerance {
				t.Errorf("TTFT p50 %.4fs, the server's %.4fs: more than %.4fs apart", s.TTFT.P50, server.P50, tolerance)
			}
			// The server's own record keeps to its configuration (timers
			// never fire early; a second late is no busy machine), so both
			// sides measured the simulator set up here.
			if server.P50 < 0.200 || server.P50 > 1.2 {
				t.Errorf("the simulator's own TTFT p50 %.4fs, far from the 200 ms it was set to", server.P50)
			}
			if d := math.Abs(s.TPOT.P50 - m.serverTPOT.P50); d > 0.005 {
				t.Errorf("TPOT p50 %.5fs, the server's %.5fs: more than 5 ms apart", s.TPOT.P50, m.serverTPOT.P50)
			}
			if s.OutputTokens.Min != 32 || s.OutputTokens.Max != 32 {
				t.Errorf("output tokens %v..%v, want 32", s.OutputTokens.Min, s.OutputTokens.Max)
			}
			if _, err := os.Stat(m.requestPath); err != nil {
				t.Errorf("per-request file: %v", err)
			}
		})
	}
}

// BenchmarkRunMatchesSimulator is the measurement core's acceptance
// check, a latency figure that needs a quiet machine: Inferno's TTFT p50
// within 3 ms of the simulator's own, its TPOT p50 within 0.5 ms (the
// issue's tolerances, in a normal build). Reported per API as
// ttft-error-ms and tpot-error-ms (client less server); run with
// go test ./e2e -run '^$' -bench RunMatchesSimulator -benchtime 1x
func BenchmarkRunMatchesSimulator(b *testing.B) {
	for _, api := range []string{"openai-completions", "openai-chat", "tgi", "triton"} {
		b.Run(api, func(b *testing.B) {
			if raceEnabled {
				b.Skip("under the race detector the figure would be its slowdown")
			}
			var m matched
			for b.Loop() {
				m = runMatched(b, api, 640)
			}
			b.ReportMetric(1e3*(m.report.Stats.TTFT.P50-m.serverTTFT.P50), "ttft-error-ms")
			b.ReportMetric(1e3*(m.report.Stats.TPOT.P50-m.serverTPOT.P50), "tpot-error-ms")
			b.ReportMetric(1e3*(m.serverTTFT.P50-0.200), "server-late-ms")
		})
	}
}

func TestRunExitStatus(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := fmt.Sprintf("http://%s/v1", ln.Addr())
	ln.Close()
	tests := []struct {
		name       string
		args       []string
		want       int
		wantReport bool
	}{
		{"unknown flag", []string{"run", "--bogus"}, 2, false},
		{"no end to the window", []string{"run", "--url", dead, "--model", "m", "--rate", "1"}, cli.ExitSetup, false},
		{"no arrival", []string{"run", "--url", dead, "--model", "m", "--requests", "1"}, cli.ExitSetup, false},
		{"bad URL", []string{"run", "--url", "ftp://x", "--model", "m", "--requests", "1", "--rate", "1"}, cli.ExitSetup, false},
		{"unknown api", []string{"run", "--url", dead, "--api", "grpc", "--model", "m", "--requests", "1", "--rate", "1"}, cli.ExitSetup, false},
		{"missing --api-key-file", []string{"run", "--url", dead, "--model", "m", "--requests", "3", "--concurrency", "1", "--api-key-file", "/nonexistent/key"}, cli.ExitSetup, false},
		{"dead endpoint still reports", []string{"run", "--url", dead, "--model", "m", "--requests", "3", "--concurrency", "1"}, cli.ExitNoSuccess, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			code := cli.Run(append(tt.args, "--report-dir", dir, "--log.level", "error"))
			if code != tt.want {
				t.Fatalf("exit status %d, want %d", code, tt.want)
			}
			if tt.wantReport {
				r := testutil.OnlyReport(t, dir)
				if r.Summary.Outcomes["connection_error"] != 3 || r.Errors[0].Reason != "connection refused" {
					t.Errorf("outcomes %v, errors %+v", r.Summary.Outcomes, r.Errors)
				}
				// Every request failed: the window is failed, with its top error.
				if r.Run.Status != report.StatusFailed || !strings.Contains(r.Run.Error, "all 3 requests failed; most often (3): connection_error: connection refused") {
					t.Errorf("status %s, error %q; want failed with the top error", r.Run.Status, r.Run.Error)
				}
			}
		})
	}
}

func TestReportMergeCommand(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var files []string
	for i := range 2 {
		a := report.NewAggregator(start, report.SLO{}, nil)
		for j := range 5 {
			sent := start.Add(time.Duration(j) * 100 * time.Millisecond)
			a.Add(&result.Result{Index: j, Intended: sent, Sent: sent, Headers: sent, FirstEvent: sent.Add(50 * time.Millisecond),
				FirstContent: sent.Add(time.Duration(50+10*i) * time.Millisecond), End: sent.Add(time.Second),
				Outcome: result.Success, Status: 200, InputTokens: 10, OutputTokens: 8, ContentEvents: 8})
		}
		r := a.Report(report.Meta{ID: report.NewRunID(start.Add(time.Duration(i) * time.Second)), Status: report.StatusFinished,
			Target: report.Target{Name: "sim"}, Workload: "w", Shard: &report.Shard{Index: i, Count: 3}})
		path, err := report.Write(dir, &r)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	out := filepath.Join(dir, "merged.json")
	if code := cli.Run(append([]string{"report", "merge", "-o", out}, files...)); code != 0 {
		t.Fatalf("exit %d", code)
	}
	merged, err := report.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Summary.Requests != 10 || merged.Stats.TTFT.Min != 0.05 || merged.Stats.TTFT.Max != 0.06 || len(merged.Run.MergedFrom) != 2 {
		t.Errorf("merged: %d requests, TTFT %v..%v, from %v", merged.Summary.Requests, merged.Stats.TTFT.Min, merged.Stats.TTFT.Max, merged.Run.MergedFrom)
	}
	// The same replica twice is refused, with a non-zero exit.
	if code := cli.Run([]string{"report", "merge", "-o", out, files[0], files[0]}); code != 1 {
		t.Errorf("merging one shard twice: exit %d, want 1", code)
	}
}

func TestReportRenderAndCompareCommands(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var files []string
	for i, ttft := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond} {
		a := report.NewAggregator(start, report.SLO{}, nil)
		for j := range 5 {
			sent := start.Add(time.Duration(j) * 100 * time.Millisecond)
			a.Add(&result.Result{Index: j, Intended: sent, Sent: sent, Headers: sent, FirstEvent: sent.Add(ttft),
				FirstContent: sent.Add(ttft), End: sent.Add(time.Second), Outcome: result.Success, Status: 200,
				InputTokens: 10, OutputTokens: 8, ContentEvents: 8})
		}
		r := a.Report(report.Meta{ID: report.NewRunID(start.Add(time.Duration(i) * time.Second)), Status: report.StatusFinished,
			Target: report.Target{Name: fmt.Sprint("t", i)}, Workload: "w"})
		path, err := report.Write(dir, &r)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	if code := cli.Run([]string{"report", "render", files[0]}); code != 0 {
		t.Fatalf("render: exit %d", code)
	}
	page, err := os.ReadFile(strings.TrimSuffix(files[0], ".json") + ".html")
	if err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("rendered page: %v", err)
	}
	// "html" is the same command, for the page the daemon no longer writes.
	kept := filepath.Join(dir, "kept.html")
	if code := cli.Run([]string{"report", "html", files[1], "-o", kept}); code != 0 {
		t.Fatalf("report html: exit %d", code)
	}
	if page, err := os.ReadFile(kept); err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("report html's page: %v", err)
	}
	out := filepath.Join(dir, "compare.html")
	if code := cli.Run(append([]string{"report", "compare", "--html", out}, files...)); code != 0 {
		t.Fatalf("compare: exit %d", code)
	}
	if page, err := os.ReadFile(out); err != nil || !strings.Contains(string(page), "+100.0%") && !strings.Contains(string(page), "&#43;100.0%") {
		t.Errorf("comparison page lacks TTFT's +100%%: %v", err)
	}
	if code := cli.Run([]string{"report", "render", filepath.Join(dir, "missing.json")}); code == 0 {
		t.Error("rendering a missing file succeeded")
	}
}
