package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// sample is the process's state at one moment of the soak.
type sample struct {
	at                      time.Duration
	windows                 float64
	goroutines, fds, series int
	rssKiB                  int
	archived                int
}

func rssKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// TestSoak holds 20 targets on a schedule every second (a compressed
// "10 targets every 10 s" and then some) for INFERNO_SOAK_SECONDS (150 in
// .ci/run: about 3000 windows), with a 5 s report retention. After
// warm-up, goroutines, open files, RSS and the number of series stay flat,
// and the archive stays bounded.
func TestSoak(t *testing.T) {
	// Opt-in, and alone: it keeps the machine busy for minutes, which
	// would disturb the timing checks of tests running beside it.
	seconds, err := strconv.Atoi(os.Getenv("INFERNO_SOAK_SECONDS"))
	if err != nil || seconds <= 0 {
		t.Skip("set INFERNO_SOAK_SECONDS (e.g. 150) to run the soak; .ci/run does, on its own")
	}
	if raceEnabled {
		t.Skip("the soak measures memory and files, not races: run it without -race")
	}
	const targets = 20
	sim := newSim(t, simulator.Config{TTFT: time.Millisecond, ITL: 100 * time.Microsecond})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global: {report_dir: %s, report_retention: 5s, max_concurrent_windows: %d}\ntargets:\n", reports, targets)
	var names []string
	for i := range targets {
		name := fmt.Sprintf("t%02d", i)
		names = append(names, name)
		fmt.Fprintf(&cfg, "  - {name: %s, url: '%s/v1', model: sim}\n", name, sim.URL)
	}
	fmt.Fprintf(&cfg, `workloads:
  - {name: w, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 1}, requests: 2, request_timeout: 5s}
schedules:
  - {name: every-second, cron: '* * * * * *', targets: [%s], workload: w}
`, strings.Join(names, ", "))
	d := startDaemon(t, writeConfig(t, dir, cfg.String()))

	start := time.Now()
	take := func() sample {
		families, _ := d.registry.Gather()
		series := 0
		for _, f := range families {
			if strings.HasPrefix(f.GetName(), "inferno_") {
				series += len(f.GetMetric())
			}
		}
		files, _ := os.ReadDir(reports)
		return sample{at: time.Since(start).Round(time.Second), windows: counter(t, d.registry, "inferno_windows_total", nil),
			goroutines: runtime.NumGoroutine(), fds: openFDs(t), series: series, rssKiB: rssKiB(t), archived: len(files)}
	}
	var samples []sample
	warmup := time.Duration(seconds/5) * time.Second
	for time.Since(start) < time.Duration(seconds)*time.Second {
		time.Sleep(5 * time.Second)
		samples = append(samples, take())
	}
	warm := samples[len(samples)-1]
	for i := len(samples) - 1; i >= 0 && samples[i].at >= warmup; i-- {
		warm = samples[i] // the first sample after warm-up
	}
	end := samples[len(samples)-1]
	t.Logf("%8s %8s %10s %5s %7s %8s %9s", "time", "windows", "goroutines", "fds", "series", "RSS MiB", "archived")
	for _, s := range samples {
		t.Logf("%8v %8.0f %10d %5d %7d %8.1f %9d", s.at, s.windows, s.goroutines, s.fds, s.series, float64(s.rssKiB)/1024, s.archived)
	}
	if want := 0.7 * targets * float64(seconds); end.windows < want {
		t.Errorf("%.0f windows in %d s, want at least %.0f", end.windows, seconds, want)
	}
	// Flat after warm-up: a few goroutines and descriptors of windows in
	// flight at the moment of sampling, no growth with windows run.
	if end.goroutines > warm.goroutines+3*targets {
		t.Errorf("goroutines grew from %d to %d", warm.goroutines, end.goroutines)
	}
	if end.fds > warm.fds+targets {
		t.Errorf("open files grew from %d to %d", warm.fds, end.fds)
	}
	if end.rssKiB > warm.rssKiB*3/2+32<<10 {
		t.Errorf("RSS grew from %d KiB to %d KiB", warm.rssKiB, end.rssKiB)
	}
	if end.series != warm.series {
		t.Errorf("series grew from %d to %d: beyond the configured labels", warm.series, end.series)
	}
	// Retention 5 s, pruned every 1.25 s: at most ~7 s of windows, two
	// files each (JSON and HTML); bounded with room for a slow prune.
	if bound := 2 * targets * 10; end.archived > bound {
		t.Errorf("%d files in the archive, want at most %d", end.archived, bound)
	}
}
