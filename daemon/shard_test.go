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

func startShard(t testing.TB, path string, index, count int) *testDaemon {
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
	td := &testDaemon{Daemon: d, logs: logs}
	t.Cleanup(func() { shutdown(td) })
	return td
}

// shutdown stops a test's daemon, waiting for its windows to end.
func shutdown(d *testDaemon) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d.Shutdown(ctx)
}

// TestLoadShareMatchesOneDaemon drives one window from three replicas with
// a third of the load each, then the same window from one daemon: the
// merged report and the metrics summed over the replicas match it. The
// two runs are seconds apart on a machine that may be busy, so latencies
// match within coarse bounds, net of what the simulator itself did
// differently; BenchmarkLoadShareMatchesOneDaemon reports how close they
// come.
func TestLoadShareMatchesOneDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 3-second windows")
	}
	c := compareLoadShare(t)
	merged, whole := c.merged, c.whole
	for i, r := range c.parts {
		if r.Run.Shard == nil || r.Run.Shard.Count != 3 || r.Summary.Requests != 40 {
			t.Errorf("replica %d: shard %+v, %d requests; want 1/3 of 120", i, r.Run.Shard, r.Summary.Requests)
		}
	}
	if merged.Summary.Requests != 120 || whole.Summary.Requests != 120 || merged.Summary.Failures != 0 || whole.Summary.Failures != 0 {
		t.Fatalf("requests: merged %d (%d failed), one daemon %d (%d failed)", merged.Summary.Requests, merged.Summary.Failures,
			whole.Summary.Requests, whole.Summary.Failures)
	}
	if merged.Summary.OutputTokens != whole.Summary.OutputTokens {
		t.Errorf("output tokens: merged %d, one daemon %d", merged.Summary.OutputTokens, whole.Summary.OutputTokens)
	}
	// Coarse: a statistic off by 40% of the simulator's TTFT (60 ms) or
	// half its TPOT (5 ms) is a merge or a share gone wrong; scheduling
	// noise between the two runs is less, and the simulator's own
	// difference is allowed for.
	for _, d := range c.diffs() {
		t.Logf("%s: merged %.4f, one daemon %.4f, simulator's own difference %.4f", d.name, d.merged, d.one, d.server)
		if math.Abs(d.merged-d.one) > d.coarse+d.server {
			t.Errorf("%s: merged %.4f, one daemon %.4f (tolerance %.4f)", d.name, d.merged, d.one, d.coarse+d.server)
		}
	}

	// The replicas' metrics, summed as Prometheus would sum them without
	// an instance label, match the one daemon's.
	rs, cs, ss := sumOf(t, c.replicas)
	r1, c1, s1 := sumOf(t, []*testDaemon{c.one})
	if rs != 120 || r1 != 120 || cs != c1 {
		t.Errorf("summed requests_total %v and TTFT count %v; one daemon %v and %v", rs, cs, r1, c1)
	}
	if by := 0.025 + math.Abs(c.shardServer.ttft.Mean-c.wholeServer.ttft.Mean); math.Abs(ss/cs-s1/c1) > by {
		t.Errorf("summed TTFT mean %.4f s, one daemon %.4f s (tolerance %.4f)", ss/cs, s1/c1, by)
	}
}

// BenchmarkLoadShareMatchesOneDaemon runs TestLoadShareMatchesOneDaemon's
// two windows and reports how far the merged report's latencies are from
// the one daemon's, net of the simulator's own difference (in ms; rates
// and duration in % of the one daemon's): on a quiet machine, within a
// few milliseconds, where the test only bounds them coarsely.
func BenchmarkLoadShareMatchesOneDaemon(b *testing.B) {
	excess := map[string]float64{}
	n := 0
	for b.Loop() {
		c := compareLoadShare(b)
		for _, d := range c.diffs() {
			if d.latency {
				excess[d.name] += 1000 * math.Max(0, math.Abs(d.merged-d.one)-d.server)
			} else {
				excess[d.name] += 100 * math.Abs(d.merged-d.one) / d.one
			}
		}
		n++
	}
	for _, d := range (loadShareComparison{}).diffs() {
		unit := "%"
		if d.latency {
			unit = "ms"
		}
		b.ReportMetric(excess[d.name]/float64(n), unit+"-"+strings.ReplaceAll(strings.ToLower(d.name), " ", "-")+"-diff")
	}
}

// loadShareComparison is one load_share window run by three replicas and
// then by one daemon, with what the simulator itself recorded for each.
type loadShareComparison struct {
	parts                    []*report.Report
	merged, whole            *report.Report
	shardServer, wholeServer serverStats
	replicas                 []*testDaemon
	one                      *testDaemon
}

func compareLoadShare(tb testing.TB) loadShareComparison {
	// The simulator's own record of each run: the two runs happen seconds
	// apart, and a busy machine may slow one more than the other, so the
	// latencies are compared net of what the server itself did differently.
	var rec serverRecord
	sim := newSim(tb, simulator.Config{Model: "sim", TTFT: 60 * time.Millisecond, ITL: 5 * time.Millisecond, Jitter: 0.05, Seed: 3,
		OnFirstToken: rec.ttft, OnDecode: rec.tpot})
	var c loadShareComparison
	c.replicas, c.parts = runShared(tb, sim.URL, &rec, 3)
	c.shardServer = rec.take()
	var err error
	if c.merged, err = report.Merge("merged", c.parts); err != nil {
		tb.Fatal(err)
	}
	ones, wholes := runShared(tb, sim.URL, &rec, 1)
	c.one, c.whole = ones[0], wholes[0]
	c.wholeServer = rec.take()
	return c
}

// latencyDiff is one statistic of the merged report and the one daemon's,
// the simulator's own difference between the runs (latencies only), and
// the test's coarse bound beyond it.
type latencyDiff struct {
	name                        string
	latency                     bool
	merged, one, server, coarse float64
}

func (c loadShareComparison) diffs() []latencyDiff {
	if c.merged == nil { // the names only
		c.merged, c.whole = &report.Report{}, &report.Report{}
	}
	m, w, ms, ws := c.merged.Stats, c.whole.Stats, c.shardServer, c.wholeServer
	sm, sw := c.merged.Summary, c.whole.Summary
	return []latencyDiff{
		{"TTFT p50", true, m.TTFT.P50, w.TTFT.P50, math.Abs(ms.ttft.P50 - ws.ttft.P50), 0.025},
		{"TTFT p90", true, m.TTFT.P90, w.TTFT.P90, math.Abs(ms.ttft.P90 - ws.ttft.P90), 0.025},
		{"TPOT p50", true, m.TPOT.P50, w.TPOT.P50, math.Abs(ms.tpot.P50 - ws.tpot.P50), 0.0025},
		{"RPS", false, sm.RPS, sw.RPS, 0, 0.1 * sw.RPS},
		{"output tokens/s", false, sm.OutputThroughput, sw.OutputThroughput, 0, 0.1 * sw.OutputThroughput},
		{"duration", false, sm.DurationSeconds, sw.DurationSeconds, 0, 0.1 * sw.DurationSeconds},
	}
}

// runShared starts n replicas of one load_share schedule and waits for
// each one's report of its single window. The schedule's tick is taken
// once every replica is up and armed through a reload; should a replica's
// cron not be armed for it before it passes (a very slow machine), fresh
// replicas try again with more time, so no replica ever misses the tick.
func runShared(tb testing.TB, simURL string, rec *serverRecord, n int) ([]*testDaemon, []*report.Report) {
	tb.Helper()
	for margin := 2 * time.Second; ; margin *= 2 {
		dirs := make([]string, n)
		daemons := make([]*testDaemon, n)
		for i := range n {
			dirs[i] = tb.TempDir()
			daemons[i] = startShard(tb, writeSharedConfig(tb, dirs[i], simURL, never), i, n)
		}
		// A whole second, so every replica's window starts on it.
		tick := time.Now().Add(margin).Truncate(time.Second)
		for i, d := range daemons {
			writeSharedConfig(tb, dirs[i], simURL, fmt.Sprintf("%d %d %d * * *", tick.Second(), tick.Minute(), tick.Hour()))
			if err := d.Reload(); err != nil {
				tb.Fatal(err)
			}
		}
		if armedFor(daemons, tick) {
			time.Sleep(time.Until(tick))
			var out []*report.Report
			waitFor(tb, "a report from every replica", func() bool {
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
			return daemons, out
		}
		tb.Logf("the tick %s passed before every replica was armed for it; again with %v", tick.Format(time.TimeOnly), 2*margin)
		for _, d := range daemons {
			shutdown(d)
		}
		rec.take() // whatever a replica that did fire sent
	}
}

// armedFor reports whether every daemon's cron will next run the shared
// schedule at tick: the entry was (re)added while the tick was ahead.
func armedFor(daemons []*testDaemon, tick time.Time) bool {
	for _, d := range daemons {
		d.mu.Lock()
		job, ok := d.jobs[jobKey("shared", "sim")]
		d.mu.Unlock()
		if !ok || !d.cron.Entry(job.entry).Next.Equal(tick) {
			return false
		}
	}
	return true
}

func writeSharedConfig(tb testing.TB, dir, simURL, cron string) string {
	tb.Helper()
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
  - {name: shared, cron: '%s', targets: [sim], workload: steady, load_share: true}
`, filepath.Join(dir, "reports"), simURL, cron)
	path := filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// sumOf sums the daemons' metrics as Prometheus would sum them without an
// instance label.
func sumOf(tb testing.TB, ds []*testDaemon) (requests, ttftCount, ttftSum float64) {
	for _, d := range ds {
		families, err := d.registry.Gather()
		if err != nil {
			tb.Fatal(err)
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

// serverStats is what the simulator recorded of one run.
type serverStats struct{ ttft, tpot stats.Stats }

// take summarizes what was recorded since the last take, and starts anew.
func (r *serverRecord) take() (s serverStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.ttft, s.tpot = stats.Summarize(r.ttfts), stats.Summarize(r.tpots)
	r.ttfts, r.tpots = nil, nil
	return s
}
