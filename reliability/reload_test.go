package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// TestReloadDuringBurst reloads the configuration every 150 ms while
// windows run every second on five targets and probes run back to back.
// Afterwards every scheduled window has exactly one report, the metrics
// count each window and request once, and every probe answered.
func TestReloadDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 15 seconds")
	}
	sim := newSim(t, simulator.Config{TTFT: 20 * time.Millisecond, ITL: 2 * time.Millisecond})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	config := func(jitter string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "global: {report_dir: %s, max_concurrent_windows: 8}\ntargets:\n", reports)
		for i := range 5 {
			fmt.Fprintf(&b, "  - {name: t%d, url: '%s/v1', model: sim}\n", i, sim.URL)
		}
		fmt.Fprintf(&b, `workloads:
  - {name: w, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 8}, arrival: {kind: concurrency, concurrency: 2}, requests: 3}
schedules:
  - {name: a, cron: '* * * * * *', targets: [t0, t1, t2], workload: w}
  - {name: b, cron: '* * * * * *', targets: [t3, t4], workload: w, jitter: %s}
modules:
  m: {workload: w, timeout: 5s}
`, jitter)
		return b.String()
	}
	path := writeConfig(t, dir, config("100ms"))
	d := startDaemon(t, path)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	var probes, probeFailures, reloads atomic.Int64
	wg.Go(func() { // probes back to back
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, body := do(t, "GET", d.server.URL+"/probe?module=m&target=t0", "", nil)
			probes.Add(1)
			if code != 200 || !strings.Contains(body, "probe_success 1") {
				probeFailures.Add(1)
			}
		}
	})
	wg.Go(func() { // reloads, each moving schedule b's timing
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			os.WriteFile(path, []byte(config([]string{"100ms", "200ms"}[i%2])), 0o644)
			if code, body := do(t, "POST", d.server.URL+"/-/reload", "", nil); code != 200 {
				t.Errorf("reload: %d %s", code, body)
			}
			reloads.Add(1)
		}
	})
	// Twelve seconds, then on until enough happened: a busy machine runs
	// fewer windows and reloads a second, and the verdict must not depend
	// on how many fit in a fixed time.
	enough := func() bool {
		done := counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "success"}) +
			counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "failed"})
		return done >= 40 && reloads.Load() >= 40 && probes.Load() >= 10
	}
	time.Sleep(12 * time.Second)
	for deadline := time.Now().Add(90 * time.Second); !enough() && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	d.stop(t) // lets the windows in flight finish their reports

	var scheduled []*report.Report
	seen := map[string]bool{}
	requests := 0
	for _, r := range archive(t, reports) {
		if r.Run.Trigger != "schedule" {
			continue
		}
		if seen[r.Run.ID] {
			t.Errorf("run %s archived twice", r.Run.ID)
		}
		seen[r.Run.ID] = true
		scheduled = append(scheduled, r)
		requests += r.Summary.Requests
	}
	windows := counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "success"}) +
		counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "failed"})
	aborted := counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "aborted"})
	finished := 0
	for _, r := range scheduled {
		switch {
		// A window in which every request failed is failed, and counted.
		case r.Run.Status == report.StatusFinished, r.Run.Status == report.StatusFailed && r.Summary.Requests > 0:
			finished++
		case r.Run.Status == report.StatusRunning:
			t.Errorf("run %s still a placeholder after shutdown", r.Run.ID)
		}
	}
	t.Logf("%d reloads, %d probes, %d scheduled windows (%d finished, %.0f aborted by the shutdown), %d requests",
		reloads.Load(), probes.Load(), len(scheduled), finished, aborted, requests)
	if float64(finished) != windows {
		t.Errorf("%d finished windows archived, inferno_windows_total counts %.0f", finished, windows)
	}
	if float64(len(scheduled)-finished) != aborted {
		t.Errorf("%d unfinished windows archived, %.0f counted aborted", len(scheduled)-finished, aborted)
	}
	if got := counter(t, d.registry, "inferno_requests_total", nil); int(got) != requests {
		t.Errorf("inferno_requests_total %.0f, archived reports hold %d", got, requests)
	}
	if finished < 40 || reloads.Load() < 40 || probes.Load() < 10 {
		t.Errorf("too little happened to show anything: %d windows, %d reloads, %d probes", finished, reloads.Load(), probes.Load())
	}
	if n := probeFailures.Load(); n > 0 {
		t.Errorf("%d of %d probes failed", n, probes.Load())
	}
}
