package e2e

import (
	"math"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// TestRunServerMetrics is the check: against the simulator at
// TTFT 100 ms, `inferno run --server-metrics auto` reports the server's
// TTFT p50 in the vLLM bucket that holds the simulator's own median, and
// a client overhead within 50 ms of the truth: Inferno's client TTFT
// less the TTFTs the simulator recorded itself. Both sides time the same
// events, so a busy machine's late timers move them together; 50 ms (not
// the 10 ms a quiet machine holds) leaves the client's own wake-ups room,
// and still catches an overhead taken against the wrong figure (the
// configured 100 ms TTFT, or the server's mean of another window).
func TestRunServerMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a window of a few seconds")
	}
	var mu sync.Mutex
	var recorded []float64
	srv := httptest.NewUnstartedServer(simulator.New(simulator.Config{TTFT: 100 * time.Millisecond, ITL: 2 * time.Millisecond,
		OnFirstToken: func(d time.Duration) { mu.Lock(); recorded = append(recorded, d.Seconds()); mu.Unlock() }}))
	srv.Listener = simulator.StampArrivals(srv.Config, srv.Listener)
	srv.Start()
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-completions", "--model", "sim",
		"--input-tokens", "48", "--output-tokens", "8", "--prefix-tokens", "32", "--concurrency", "4", "--requests", "40",
		"--report-dir", dir, "--per-request", "--server-metrics", "auto", "--progress", "never", "--log.level", "error"})
	if code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	r := testutil.OnlyReport(t, dir)
	s := r.Server
	if s == nil || s.TTFT == nil || s.ClientOverhead == nil {
		t.Fatalf("server section %+v", s)
	}
	mu.Lock()
	truth := median(recorded)
	mu.Unlock()
	lo, hi := bucketOf(truth)
	t.Logf("server TTFT p50 %.4f s (%s), simulator's own median %.4f s, bucket (%v, %v]", s.TTFT.P50, s.TTFT.Method, truth, lo, hi)
	if s.TTFT.P50 <= lo || s.TTFT.P50 > hi {
		t.Errorf("server TTFT p50 %.4f s, want within (%v, %v], the bucket of the simulator's median %.4f s", s.TTFT.P50, lo, hi, truth)
	}
	trueOverhead := r.Stats.TTFT.P50 - truth
	t.Logf("client overhead p50 %.4f s, truth %.4f s", s.ClientOverhead.P50, trueOverhead)
	if math.Abs(s.ClientOverhead.P50-trueOverhead) > 0.050 {
		t.Errorf("client overhead p50 %.4f s, want within 50 ms of the truth %.4f s", s.ClientOverhead.P50, trueOverhead)
	}
	if s.Server != "vllm" || s.TTFT.Count != 40 || s.InfernoRequests != 40 || s.OtherRequests == nil || *s.OtherRequests != 0 {
		t.Errorf("server %q, count %v, Inferno's %d, others %v: want vllm, 40, 40, 0", s.Server, s.TTFT.Count, s.InfernoRequests, s.OtherRequests)
	}
	// Every prompt (32 shared words, then 48 of its own) shares its first
	// two blocks: all but the first hit 32 of their 80 words. (Lookups
	// happen on arrival: those of requests sent while the start scrape
	// was in flight may fall before it, so the ratio is not exact.)
	if s.PrefixCacheHitRatio == nil || *s.PrefixCacheHitRatio < 0.35 || *s.PrefixCacheHitRatio > 0.4 || s.KVCache == nil || s.Queue == nil {
		t.Errorf("prefix cache %v, KV cache %+v, queue %+v", s.PrefixCacheHitRatio, s.KVCache, s.Queue)
	}
	// Each request's ids are in its line.
	for _, l := range testutil.JSONLines(t, filepath.Join(dir, report.RequestsFileName(r.Run.ID))) {
		if len(l["trace_id"].(string)) != 32 || len(l["request_id"].(string)) != 16 {
			t.Errorf("line without ids: %v", l)
		}
	}
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return math.NaN()
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// bucketOf is the vLLM TTFT bucket (lo, hi] holding v.
func bucketOf(v float64) (lo, hi float64) {
	for _, b := range collector.TTFTBuckets {
		if v <= b {
			return lo, b
		}
		lo = b
	}
	return lo, math.Inf(1)
}
