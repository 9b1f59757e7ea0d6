package main

import (
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	code := run([]string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--arrival", "concurrency", "--concurrency", "2",
		"--requests", "6", "--output-tokens", "2", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	r := onlyReport(t, dir)
	if r.Run.Status != report.StatusAborted {
		t.Errorf("status %s, want aborted", r.Run.Status)
	}
	if n := r.Summary.Outcomes["cancelled"]; n != 2 || r.Summary.Successes != 0 {
		t.Errorf("outcomes %v over %d requests; want the 2 in flight cancelled", r.Summary.Outcomes, r.Summary.Requests)
	}
	if code != exitAborted {
		t.Errorf("exit status %d, want %d (aborted)", code, exitAborted)
	}
}

func TestAuthHeaderHint(t *testing.T) {
	for _, tc := range []struct {
		headers map[string]string
		hint    bool
	}{
		{map[string]string{"Authorization": "Bearer sk-1"}, true},
		{map[string]string{"authorization": "Bearer sk-1"}, true},
		{map[string]string{"X-Api-Key": "sk-1"}, true},
		{map[string]string{"X-Request-Tag": "canary"}, false},
		{nil, false},
	} {
		hint := authHeaderHint(tc.headers)
		if tc.hint != (hint != "") || (tc.hint && !strings.Contains(hint, "--api-key-file")) {
			t.Errorf("headers %v: hint %q", tc.headers, hint)
		}
		for _, v := range tc.headers {
			if strings.Contains(hint, v) {
				t.Errorf("the hint repeats the credential: %q", hint)
			}
		}
	}
}
