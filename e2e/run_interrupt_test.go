package e2e

import (
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// TestRunInterrupted: Ctrl-C (SIGINT) during `inferno run` writes the
// report as aborted, with the requests in flight then as cancelled and
// every scheduled request accounted for.
func TestRunInterrupted(t *testing.T) {
	// The signal goes out once the server has both requests of the closed
	// loop, so they are in flight (a TTFT of a minute keeps them there).
	var mu sync.Mutex
	received := 0
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Minute, OnRequest: func(string, map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		if received++; received == 2 {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
	}}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--arrival", "concurrency", "--concurrency", "2",
		"--requests", "6", "--output-tokens", "2", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	r := testutil.OnlyReport(t, dir)
	if r.Run.Status != report.StatusAborted {
		t.Errorf("status %s, want aborted", r.Run.Status)
	}
	if n := r.Summary.Outcomes["cancelled"]; n != 2 || r.Summary.Successes != 0 {
		t.Errorf("outcomes %v over %d requests; want the 2 in flight cancelled", r.Summary.Outcomes, r.Summary.Requests)
	}
	if code != cli.ExitAborted {
		t.Errorf("exit status %d, want %d (aborted)", code, cli.ExitAborted)
	}
}
