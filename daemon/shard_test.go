package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/stats"
)

func TestShardOwnership(t *testing.T) {
	var targets []string
	for i := range 12 {
		targets = append(targets, fmt.Sprintf("t%d", i))
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global: {report_dir: %s}\ntargets:\n", t.TempDir())
	for _, name := range targets {
		fmt.Fprintf(&cfg, "  - {name: %s, url: 'http://127.0.0.1:1/v1', model: m}\n", name)
	}
	fmt.Fprintf(&cfg, `workloads:
  - {name: w, dataset: {kind: synthetic, input_tokens: 4, output_tokens: 4}, arrival: {kind: poisson, rate: 1}, requests: 1}
schedules:
  - {name: sharded, cron: %q, targets: [%s], workload: w}
  - {name: shared, cron: %q, targets: [t0, t1], workload: w, load_share: true}
`, never, strings.Join(targets, ", "), never)
	path := filepath.Join(t.TempDir(), "inferno.yml")
	os.WriteFile(path, []byte(cfg.String()), 0o644)

	owners := map[string]int{}
	for i := range 3 {
		d := startShard(t, path, i, 3)
		cfg := d.Config()
		for _, target := range targets {
			if d.Owns(cfg.Schedules[0], target) {
				owners[target]++
			}
		}
		for _, target := range []string{"t0", "t1"} {
			if !d.Owns(cfg.Schedules[1], target) {
				t.Errorf("replica %d does not run its share of load_share schedule for %s", i, target)
			}
		}
		d.mu.Lock()
		jobs := len(d.jobs)
		d.mu.Unlock()
		mine := 0
		for _, target := range targets {
			if ShardOf(target, 3) == i {
				mine++
			}
		}
		if jobs != mine+2 {
			t.Errorf("replica %d scheduled %d jobs, want its %d targets plus 2 shared", i, jobs, mine)
		}
	}
	for _, target := range targets {
		if owners[target] != 1 {
			t.Errorf("target %s runs on %d replicas, want exactly 1", target, owners[target])
		}
	}
	if d, err := New(path, slog.New(slog.DiscardHandler), prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	} else if err := d.SetShard(3, 3); err == nil {
		t.Error("shard 3 of 3 accepted")
	}
}

func startShard(t *testing.T, path string, index, count int) *testDaemon {
	t.Helper()
	logs := &lockedBuffer{}
	d, err := New(path, slog.New(slog.NewTextHandler(logs, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetShard(index, count); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	return &testDaemon{Daemon: d, logs: logs}
}

// TestLoadShareMatchesOneDaemon drives one window from three replicas with
// a third of the load each, then the same window from one daemon: the
// merged report and the metrics summed over the replicas match it.
func TestLoadShareMatchesOneDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 3-second windows")
	}
	// The simulator's own record of each run: the two runs happen seconds
	// apart, and a busy machine may slow one more than the other, so the
	// latencies are compared net of what the server itself did differently.
	var rec serverRecord
	sim := newSim(t, simulator.Config{Model: "sim", TTFT: 60 * time.Millisecond, ITL: 5 * time.Millisecond, Jitter: 0.05, Seed: 3,
		OnFirstToken: rec.ttft, OnDecode: rec.tpot})
	// A cron spec for one second a little ahead, so every replica's window
	// starts on the same tick, and only once.
	configAt := func(dir string) (string, time.Time) {
		tick := time.Now().Add(3 * time.Second).Truncate(time.Second)
		cfg := fmt.Sprintf(`global: {report_dir: %s, max_concurrent_windows: 2}
targets:
  - {name: sim, url: '%s/v1', model: sim}
workloads:
  - name: steady
    dataset: {kind: synthetic, input_tokens: 32, output_tokens: 16}
    arrival: {kind: poisson, rate: 40}
    requests: 120
    seed: 7
    deadline: 30s
    slo: {ttft: 100ms}
schedules:
  - {name: shared, cron: '%d %d %d * * *', targets: [sim], workload: steady, load_share: true}
`, filepath.Join(dir, "reports"), sim.URL, tick.Second(), tick.Minute(), tick.Hour())
		path := filepath.Join(dir, "inferno.yml")
		os.WriteFile(path, []byte(cfg), 0o644)
		return path, tick
	}
	waitReports := func(dirs []string, tick time.Time) []*report.Report {
		time.Sleep(time.Until(tick))
		var out []*report.Report
		waitFor(t, "a report from every replica", func() bool {
			out = out[:0]
			for _, dir := range dirs {
				done := finishedReports(filepath.Join(dir, "reports"))
				if len(done) != 1 {
					return false
				}
				out = append(out, done[0])
			}
			return true
		})
		return out
	}

	var dirs []string
	var replicas []*testDaemon
	var tick time.Time
	for i := range 3 {
		dir := t.TempDir()
		var path string
		path, tick = configAt(dir)
		if i > 0 { // one tick for all three
			cfg, _ := os.ReadFile(filepath.Join(dirs[0], "inferno.yml"))
			os.WriteFile(path, []byte(strings.ReplaceAll(string(cfg), dirs[0], dir)), 0o644)
		}
		dirs = append(dirs, dir)
		replicas = append(replicas, startShard(t, path, i, 3))
	}
	parts := waitReports(dirs, tick)
	shardServer := rec.take()
	merged, err := report.Merge("merged", parts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range parts {
		if r.Run.Shard == nil || r.Run.Shard.Count != 3 || r.Summary.Requests != 40 {
			t.Errorf("replica %d: shard %+v, %d requests; want 1/3 of 120", i, r.Run.Shard, r.Summary.Requests)
		}
	}

	oneDir := t.TempDir()
	onePath, oneTick := configAt(oneDir)
	one := startShard(t, onePath, 0, 1)
	whole := waitReports([]string{oneDir}, oneTick)[0]
	wholeServer := rec.take()

	if merged.Summary.Requests != 120 || whole.Summary.Requests != 120 || merged.Summary.Failures != 0 || whole.Summary.Failures != 0 {
		t.Fatalf("requests: merged %d (%d failed), one daemon %d (%d failed)", merged.Summary.Requests, merged.Summary.Failures,
			whole.Summary.Requests, whole.Summary.Failures)
	}
	if merged.Summary.OutputTokens != whole.Summary.OutputTokens {
		t.Errorf("output tokens: merged %d, one daemon %d", merged.Summary.OutputTokens, whole.Summary.OutputTokens)
	}
	for _, c := range []struct {
		name            string
		merged, one, by float64 // by: absolute tolerance
	}{
		{"TTFT p50", merged.Stats.TTFT.P50, whole.Stats.TTFT.P50, 0.010 + math.Abs(shardServer.ttft.P50-wholeServer.ttft.P50)},
		{"TTFT p90", merged.Stats.TTFT.P90, whole.Stats.TTFT.P90, 0.015 + math.Abs(shardServer.ttft.P90-wholeServer.ttft.P90)},
		{"TPOT p50", merged.Stats.TPOT.P50, whole.Stats.TPOT.P50, 0.002 + math.Abs(shardServer.tpot.P50-wholeServer.tpot.P50)},
		{"RPS", merged.Summary.RPS, whole.Summary.RPS, 0.1 * whole.Summary.RPS},
		{"output tokens/s", merged.Summary.OutputThroughput, whole.Summary.OutputThroughput, 0.1 * whole.Summary.OutputThroughput},
		{"duration", merged.Summary.DurationSeconds, whole.Summary.DurationSeconds, 0.1 * whole.Summary.DurationSeconds},
	} {
		t.Logf("%s: merged %.4f, one daemon %.4f", c.name, c.merged, c.one)
		if math.Abs(c.merged-c.one) > c.by {
			t.Errorf("%s: merged %.4f, one daemon %.4f (tolerance %.4f)", c.name, c.merged, c.one, c.by)
		}
	}

	// The replicas' metrics, summed as Prometheus would sum them without
	// an instance label, match the one daemon's.
	sumOf := func(ds []*testDaemon) (requests, ttftCount, ttftSum float64) {
		for _, d := range ds {
			families, err := d.registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range families {
				for _, m := range f.GetMetric() {
					switch f.GetName() {
					case "inferno_requests_total":
						requests += m.GetCounter().GetValue()
					case "inferno_time_to_first_token_seconds":
						ttftCount += float64(m.GetHistogram().GetSampleCount())
						ttftSum += m.GetHistogram().GetSampleSum()
					}
				}
			}
		}
		return
	}
	rs, cs, ss := sumOf(replicas)
	r1, c1, s1 := sumOf([]*testDaemon{one})
	if rs != 120 || r1 != 120 || cs != c1 {
		t.Errorf("summed requests_total %v and TTFT count %v; one daemon %v and %v", rs, cs, r1, c1)
	}
	if math.Abs(ss/cs-s1/c1) > 0.010 {
		t.Errorf("summed TTFT mean %.4f s, one daemon %.4f s", ss/cs, s1/c1)
	}
}

// serverRecord collects the simulator's own TTFT and decode time per
// request, for one run at a time.
type serverRecord struct {
	mu           sync.Mutex
	ttfts, tpots []float64
}

func (r *serverRecord) ttft(d time.Duration) {
	r.mu.Lock()
	r.ttfts = append(r.ttfts, d.Seconds())
	r.mu.Unlock()
}
func (r *serverRecord) tpot(d time.Duration) {
	r.mu.Lock()
	r.tpots = append(r.tpots, d.Seconds())
	r.mu.Unlock()
}

// take summarizes what was recorded since the last take, and starts anew.
func (r *serverRecord) take() (s struct{ ttft, tpot stats.Stats }) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.ttft, s.tpot = stats.Summarize(r.ttfts), stats.Summarize(r.tpots)
	r.ttfts, r.tpots = nil, nil
	return s
}
