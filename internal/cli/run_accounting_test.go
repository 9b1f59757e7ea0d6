package cli

import (
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// The cases, against the simulator: every arrival is a request,
// nothing goes out after --duration, stalled requests end with the grace,
// and the SLO is judged from the intended send.
func TestRunWindowEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs windows of a few seconds")
	}
	tests := []struct {
		name  string
		sim   simulator.Config
		args  []string
		check func(t *testing.T, r *report.Report, lines []map[string]any)
	}{
		{
			name: "arrivals that find no slot are not_sent",
			sim:  simulator.Config{TTFT: 400 * time.Millisecond, ITL: time.Millisecond},
			args: []string{"--arrival", "constant", "--rate", "50", "--duration", "2s", "--max-concurrency", "2"},
			check: func(t *testing.T, r *report.Report, lines []map[string]any) {
				ns := r.Summary.Outcomes["not_sent"]
				if r.TotalRequestNum != 100 || len(lines) != 100 || ns == 0 || r.Summary.Successes+ns != 100 {
					t.Errorf("%d requests (%d lines), %d not sent, %d succeeded; want 100 all accounted", r.TotalRequestNum, len(lines), ns, r.Summary.Successes)
				}
				if want := float64(ns) / 100; r.FailRate != want {
					t.Errorf("fail rate %v, want %v", r.FailRate, want)
				}
				if r.Run.WindowSeconds != 2 || r.Run.GraceSeconds != 30 {
					t.Errorf("window %vs, grace %vs", r.Run.WindowSeconds, r.Run.GraceSeconds)
				}
			},
		},
		{
			name: "the SLO is judged from the intended send",
			sim:  simulator.Config{TTFT: 300 * time.Millisecond, ITL: time.Millisecond},
			// A loose SLO: a request's 300 ms from its send leave a busy
			// machine 700 ms before it could miss, while from the intended
			// send the wait for the one slot still misses most of them.
			args: []string{"--arrival", "constant", "--rate", "10", "--duration", "2s", "--max-concurrency", "1", "--slo-ttft", "1s"},
			check: func(t *testing.T, r *report.Report, _ []map[string]any) {
				slo := r.Summary.SLO
				if slo.Attainment >= 0.5 || slo.AttainmentFromSend <= slo.Attainment || slo.MetFromSend < 2 {
					t.Errorf("attainment %v from the intended send, %v (%d met) from the send; want under 0.5 and the from-send one higher",
						slo.Attainment, slo.AttainmentFromSend, slo.MetFromSend)
				}
			},
		},
		{
			name: "a stalled stream ends with the grace",
			sim:  simulator.Config{TTFT: 10 * time.Millisecond, ITL: time.Millisecond, Fault: simulator.FaultStall},
			args: []string{"--arrival", "constant", "--rate", "5", "--duration", "1s", "--grace", "500ms", "--request-timeout", "5m"},
			check: func(t *testing.T, r *report.Report, _ []map[string]any) {
				if r.Summary.Outcomes["cancelled"] != 5 || r.Summary.Requests != 5 || !r.Run.GraceExpired {
					t.Errorf("outcomes %v, grace expired %v; want the 5 requests cancelled", r.Summary.Outcomes, r.Run.GraceExpired)
				}
				if d := r.Run.EndedAt.Sub(r.Run.StartedAt); d > time.Minute {
					t.Errorf("the run took %v with a 5 minute request timeout", d)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(simulator.New(tt.sim))
			defer srv.Close()
			dir := t.TempDir()
			args := append([]string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--output-tokens", "8",
				"--report-dir", dir, "--per-request", "--log.level", "error"}, tt.args...)
			Run(args)
			r := testutil.OnlyReport(t, dir)
			lines := testutil.JSONLines(t, filepath.Join(dir, report.RequestsFileName(r.Run.ID)))
			for _, l := range lines {
				sent, ok := l["sent_s"].(float64)
				if l["outcome"] == "not_sent" {
					if ok {
						t.Errorf("a not_sent line has sent_s: %v", l)
					}
					continue
				}
				if !ok || sent > r.Run.WindowSeconds {
					t.Errorf("sent at %v s, after the %v s window: %v", l["sent_s"], r.Run.WindowSeconds, l)
				}
			}
			tt.check(t, r, lines)
		})
	}
}

// Flags whose meaning is ambiguous, and negative values, are refused
// before anything is sent: negative durations by the flag's own parsing
// (exit 2, as YAML refuses them when decoded), the rest by the config's
// validation. (Negative values are written --flag=-1: with a space
// kingpin may read -1 as a short flag and refuse it itself.)
func TestRunRefusesAmbiguousFlags(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := fmt.Sprintf("http://%s/v1", ln.Addr())
	ln.Close()
	base := []string{"run", "--url", dead, "--model", "m", "--log.level", "error"}
	const usage = 2 // kingpin's exit status for a flag it cannot parse
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"rate with concurrency", []string{"--rate", "5", "--concurrency", "2", "--requests", "4"}, ExitSetup},
		{"negative requests", []string{"--rate", "5", "--requests=-1"}, ExitSetup},
		{"negative deadline", []string{"--rate", "5", "--requests", "4", "--deadline=-1s"}, usage},
		{"negative warmup", []string{"--rate", "5", "--requests", "4", "--warmup=-2"}, ExitSetup},
		{"negative max concurrency", []string{"--rate", "5", "--requests", "4", "--max-concurrency=-1"}, ExitSetup},
		{"negative request timeout", []string{"--rate", "5", "--requests", "4", "--request-timeout=-5s"}, usage},
		{"negative grace", []string{"--rate", "5", "--duration", "1s", "--grace=-1s"}, usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if code := Run(append(append(base, tt.args...), "--report-dir", dir)); code != tt.code {
				t.Fatalf("exit status %d, want %d", code, tt.code)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "report_*.json")); len(files) != 0 {
				t.Errorf("a refused run wrote %v", files)
			}
		})
	}
	c := parseRunFlags(t, "--url", dead, "--model", "m", "--rate", "5", "--concurrency", "2", "--requests", "4")
	if _, _, _, err := c.definitions(); err == nil || !strings.Contains(err.Error(), "--max-concurrency") {
		t.Errorf("error %v does not point at --max-concurrency", err)
	}
}
