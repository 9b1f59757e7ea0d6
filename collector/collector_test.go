package collector

import (
	"bytes"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
)

var update = flag.Bool("update", false, "rewrite golden files")

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

// simulatedWindow is a window as the simulator at TTFT 200ms / ITL 20ms
// would produce it, with fixed times so the exposition is reproducible.
func simulatedWindow() []*result.Result {
	var out []*result.Result
	for i := range 8 {
		sent := at(100 * i)
		r := &result.Result{Index: i, Intended: sent.Add(-time.Millisecond), Sent: sent, Headers: sent.Add(time.Millisecond),
			FirstEvent: sent.Add(time.Millisecond), FirstContent: sent.Add(200 * time.Millisecond),
			End: sent.Add(200*time.Millisecond + 3*20*time.Millisecond), Outcome: result.Success, Status: 200,
			InputTokens: 128, OutputTokens: 4, TokensFrom: result.TokensFromUsage, ContentEvents: 4,
			ITL: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}}
		r.TraceID[15], r.RequestID[7] = byte(0xa0+i), byte(0xb0+i)
		if i == 3 {
			r.ProtocolWarning = "stream ended without its terminal event after the answer was complete"
		}
		r.FirstAnswer = r.FirstContent
		r.Checks = []result.CheckResult{{Name: "json", Pass: true}}
		out = append(out, r)
	}
	out = append(out,
		&result.Result{Index: 8, Intended: at(800), Sent: at(801), Headers: at(802), End: at(802), Outcome: result.HTTP5xx, Status: 503},
		&result.Result{Index: 9, Intended: at(900), Sent: at(901), End: at(5000), Outcome: result.Timeout},
		&result.Result{Index: 10, Intended: at(950), Outcome: result.NotSent, Reason: "no free slot under max_concurrency before sending stopped"})
	// The first request opened its connection; the rest reused it.
	out[0].Conn = result.ConnPhases{Connect: 300 * time.Microsecond, RequestWritten: out[0].Sent.Add(50 * time.Microsecond)}
	for _, r := range out[1:8] {
		r.Conn.Reused = true
	}
	return out
}

func exposition(t *testing.T) []byte {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := New(reg)
	c.ReloadSuccess.Set(1)
	c.ReloadTimestamp.Set(float64(base.Unix()))
	labels := Labels{Target: "simulator", Model: "sim", Workload: "smoke"}
	agg := report.NewAggregator(base, report.SLO{TTFT: 500 * time.Millisecond}, nil)
	c.WindowStarted()
	c.InitOutcomes(labels)
	// A warm connection opened before the window: 2 ms with TLS.
	c.ObserveConnection(labels, result.ConnPhases{DNS: 200 * time.Microsecond, Connect: 800 * time.Microsecond, TLS: time.Millisecond})
	for _, r := range simulatedWindow() {
		agg.Add(r)
		c.Observe(labels, r)
	}
	rep := agg.Report(report.Meta{Status: report.StatusFinished})
	rep.SetServer(serverView())
	c.WindowDone(labels, &rep, at(5000), 2.5)
	c.WindowEnded()
	c.WindowSkipped("simulator", "smoke")

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// serverView is the simulator's own view of simulatedWindow: its TTFT a
// millisecond under the client's, a short queue, its KV cache a third full.
func serverView() *servermetrics.Summary {
	ratio, n := 0.25, 8.0
	return &servermetrics.Summary{Server: servermetrics.ServerVLLM, Scrapes: 3,
		TTFT: &servermetrics.Latency{Count: 8, Mean: 0.199, P50: 0.199, P95: 0.2449, Method: servermetrics.MethodMeanMatched,
			Bounds: append(append([]float64{}, TTFTBuckets...), math.Inf(1))},
		Queue:   &servermetrics.Latency{Count: 8, Mean: 0.002, P50: 0.0015, P95: 0.004, Method: servermetrics.MethodHistogramQuantile},
		KVCache: &servermetrics.Gauge{Max: 0.33, Mean: 0.2, Samples: 3}, Waiting: &servermetrics.Gauge{Max: 2, Mean: 1, Samples: 3},
		PrefixCacheHitRatio: &ratio, Requests: &n}
}

func TestExpositionGolden(t *testing.T) {
	got := exposition(t)
	path := filepath.Join("testdata", "metrics.golden.txt")
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("exposition differs from %s:\n%s", path, got)
	}
}

// TestPromtoolCheckMetrics runs Prometheus' own linter over the exposition.
// CI installs promtool (Debian's prometheus package); elsewhere the test
// is skipped when promtool is missing.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found; .ci/run installs the prometheus package")
		}
		t.Skip("promtool not installed")
	}
	for name, text := range map[string][]byte{"metrics": exposition(t), "probe": probeExposition(t)} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(text)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("promtool check metrics on %s: %v\n%s", name, err, out)
		}
	}
}

func probeExposition(t *testing.T) []byte {
	agg := report.NewAggregator(base, report.SLO{}, nil)
	for _, r := range simulatedWindow() {
		agg.Add(r)
	}
	rep := agg.Report(report.Meta{Status: report.StatusFinished})
	mfs, err := ProbeRegistry(&rep, true, 1.5).Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&buf, mf)
	}
	return buf.Bytes()
}

func TestProbeRegistry(t *testing.T) {
	text := string(probeExposition(t))
	for _, want := range []string{"probe_success 1", "probe_duration_seconds 1.5", `probe_ttft_seconds{quantile="0.5"} 0.2`,
		"probe_requests 11", "probe_failed_requests 3", "probe_not_sent_requests 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("probe exposition lacks %q", want)
		}
	}
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&buf, mf)
	}
	return buf.String()
}

// deadWindow is a window whose every request was refused in microseconds.
func deadWindow() *report.Report {
	agg := report.NewAggregator(base, report.SLO{}, nil)
	for i := range 40 {
		agg.Add(&result.Result{Index: i, Intended: at(0), Sent: at(0), End: at(0).Add(time.Duration(i) * time.Microsecond),
			Outcome: result.ConnectionError, Reason: "connection refused"})
	}
	rep := agg.Report(report.Meta{Status: report.StatusFinished})
	return &rep
}

// After a window without a success, no latency gauge is left to read (not
// the last good window's, not 0) and the rates are 0, never thousands of
// refusals per second.
func TestDeadWindowGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	labels := Labels{Target: "simulator", Model: "sim", Workload: "smoke"}
	agg := report.NewAggregator(base, report.SLO{}, nil)
	for _, r := range simulatedWindow() {
		agg.Add(r)
	}
	good := agg.Report(report.Meta{Status: report.StatusFinished})
	c.WindowDone(labels, &good, at(5000), 2.5)
	if text := gather(t, reg); !strings.Contains(text, "inferno_last_window_ttft_seconds{") {
		t.Fatalf("no TTFT gauge after a good window:\n%s", text)
	}
	c.WindowDone(labels, deadWindow(), at(9000), 2.5)
	text := gather(t, reg)
	for _, gone := range []string{"inferno_last_window_ttft_seconds{", "inferno_last_window_tpot_seconds{", "inferno_last_window_itl_seconds{",
		"inferno_cost_per_million_output_tokens{"} {
		if strings.Contains(text, gone) {
			t.Errorf("%s still exported after a window without success", gone)
		}
	}
	for _, want := range []string{
		`inferno_last_window_requests_per_second{model="sim",target="simulator",workload="smoke"} 0`,
		`inferno_last_window_output_tokens_per_second{model="sim",target="simulator",workload="smoke"} 0`,
		`inferno_last_window_success{model="sim",target="simulator",workload="smoke"} 0`,
		`inferno_last_window_failure_ratio{model="sim",target="simulator",workload="smoke"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestProbeOfDeadEndpoint(t *testing.T) {
	reg := ProbeRegistry(deadWindow(), false, 0.01)
	text := gather(t, reg)
	for _, gone := range []string{"probe_ttft_seconds", "probe_tpot_seconds", "probe_itl_seconds", "probe_request_duration_seconds"} {
		if strings.Contains(text, gone) {
			t.Errorf("probe of a dead endpoint exports %s", gone)
		}
	}
	if !strings.Contains(text, "probe_success 0") || !strings.Contains(text, "probe_output_tokens_per_second 0") {
		t.Errorf("probe exposition:\n%s", text)
	}
}

// Forget removes a target's or a workload's series and nothing else.
func TestForget(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	agg := report.NewAggregator(base, report.SLO{}, nil)
	for _, r := range simulatedWindow() {
		agg.Add(r)
	}
	rep := agg.Report(report.Meta{Status: report.StatusFinished})
	pairs := []Labels{{"a", "m", "w1"}, {"a", "m", "w2"}, {"b", "m", "w1"}}
	for _, l := range pairs {
		for _, r := range simulatedWindow() {
			c.Observe(l, r)
		}
		c.WindowDone(l, &rep, at(5000), 1)
		capRep := rep
		capRep.Capacity = &report.Capacity{RequestsPerSecond: 19, Objective: 0.95}
		c.CapacityDone(l, &capRep)
	}
	if c.Forget("", "") != 0 {
		t.Error("an empty match forgot series")
	}
	c.Forget("a", "w2") // a schedule of a on w2 removed
	c.Forget("b", "")   // target b removed
	text := gather(t, reg)
	if strings.Contains(text, `workload="w2"`) || strings.Contains(text, `target="b"`) {
		t.Errorf("forgotten series remain:\n%s", text)
	}
	if !strings.Contains(text, `inferno_last_window_success{model="m",target="a",workload="w1"} 1`) ||
		!strings.Contains(text, `inferno_requests_total{model="m",outcome="success",target="a",workload="w1"} 8`) {
		t.Errorf("series of a/w1 were forgotten too:\n%s", text)
	}
}

// TestExemplars: TTFT, TPOT and E2E observations carry the request's ids
// as an exemplar, served in the OpenMetrics format.
func TestExemplars(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	labels := Labels{Target: "simulator", Model: "sim", Workload: "smoke"}
	for _, r := range simulatedWindow() {
		c.Observe(labels, r)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	text := buf.String()
	// The last request observed in each bucket is its exemplar: request 7.
	ids := []string{" # {", `request_id="00000000000000b7"`, `trace_id="000000000000000000000000000000a7"`}
	for _, metric := range []string{"inferno_time_to_first_token_seconds_bucket", "inferno_time_per_output_token_seconds_bucket", "inferno_request_duration_seconds_bucket"} {
		found := false
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, metric+"{") && containsAll(line, ids) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s line with an exemplar of %q", metric, ids)
		}
	}
	if strings.Contains(text, "inferno_time_to_first_token_from_schedule_seconds_bucket") &&
		strings.Contains(grep(text, "from_schedule_seconds_bucket"), "request_id") {
		t.Error("the from-schedule histogram carries exemplars; only TTFT, TPOT and E2E do")
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func grep(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServerGaugesRemoved: a window without a server section, or whose
// server gave no figure, removes the server series rather than zeroing them.
func TestServerGaugesRemoved(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	labels := Labels{Target: "simulator", Model: "sim", Workload: "smoke"}
	agg := report.NewAggregator(base, report.SLO{}, nil)
	for _, r := range simulatedWindow() {
		agg.Add(r)
	}
	rep := agg.Report(report.Meta{Status: report.StatusFinished})
	rep.SetServer(serverView())
	c.WindowDone(labels, &rep, at(5000), 0)
	count := func(name string) int {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == name {
				return len(mf.GetMetric())
			}
		}
		return 0
	}
	// One summary each (quantiles 0.5 and 0.95 within it).
	for name, want := range map[string]int{"inferno_last_window_server_ttft_seconds": 1, "inferno_last_window_client_overhead_seconds": 1,
		"inferno_last_window_server_queue_seconds": 1, "inferno_last_window_server_kv_cache_usage_ratio": 1,
		"inferno_last_window_server_waiting_requests": 1, "inferno_last_window_prefix_cache_hit_ratio": 1} {
		if got := count(name); got != want {
			t.Errorf("%s: %d series, want %d", name, got, want)
		}
	}
	// The next window's scrape found no known metrics: nothing to say.
	rep.Server = &servermetrics.Summary{Notes: []string{"no known server metrics"}}
	c.WindowDone(labels, &rep, at(9000), 0)
	for _, name := range []string{"inferno_last_window_server_ttft_seconds", "inferno_last_window_client_overhead_seconds",
		"inferno_last_window_server_kv_cache_usage_ratio", "inferno_last_window_prefix_cache_hit_ratio"} {
		if got := count(name); got != 0 {
			t.Errorf("%s: %d series after a window without a server view, want none", name, got)
		}
	}
}

// TestProbeCheckFailing: a probe whose answers came fast but wrong fails,
// as blackbox_exporter's probe fails on a body that does not match, and
// says which check failed; the requests themselves did not fail.
func TestProbeCheckFailing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failAt    int // request whose json check fails; -1 none
		want      []string
		reasoning bool
	}{
		{"passing", -1, []string{"probe_success 1", `probe_check_success{check="json"} 1`, `probe_check_success{check="canary/arithmetic"} 1`}, false},
		{"failing", 5, []string{"probe_success 0", `probe_check_success{check="json"} 0`, `probe_check_success{check="canary/arithmetic"} 1`, "probe_failed_requests 3"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agg := report.NewAggregator(base, report.SLO{}, nil)
			for _, r := range simulatedWindow() {
				if r.Succeeded() {
					r.Checks = []result.CheckResult{{Name: "json", Pass: r.Index != tc.failAt}, {Name: "canary/arithmetic", Pass: true}}
					if tc.reasoning {
						r.FirstAnswer, r.ReasoningTokens = r.FirstContent.Add(40*time.Millisecond), 2
					}
				}
				agg.Add(r)
			}
			rep := agg.Report(report.Meta{Status: report.StatusFinished})
			text := gather(t, ProbeRegistry(&rep, true, 1))
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("probe exposition lacks %q:\n%s", want, text)
				}
			}
			if tc.reasoning && !strings.Contains(text, `probe_time_to_first_answer_seconds{quantile="0.5"} 0.24`) {
				t.Errorf("probe exposition lacks the time to first answer:\n%s", text)
			}
		})
	}
}

// TestCheckMetrics: check results count per answer, both results exist
// from the first, and the pass ratio of a check that judged nothing in
// the last window is removed.
func TestCheckMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	l := Labels{Target: "t", Model: "m", Workload: "w"}
	window := func(checked bool, pass ...bool) {
		agg := report.NewAggregator(base, report.SLO{}, nil)
		for i, p := range pass {
			r := &result.Result{Index: i, Sent: at(0), FirstContent: at(10), FirstAnswer: at(30), End: at(50), Outcome: result.Success, OutputTokens: 3, ReasoningTokens: 1}
			if checked {
				r.Checks = []result.CheckResult{{Name: "json", Pass: p}}
			}
			agg.Add(r)
			c.Observe(l, r)
		}
		rep := agg.Report(report.Meta{Status: report.StatusFinished})
		c.WindowDone(l, &rep, at(100), 0)
	}
	window(true, true, true, false, true)
	text := gather(t, reg)
	for _, want := range []string{
		`inferno_check_results_total{check="json",model="m",result="fail",target="t",workload="w"} 1`,
		`inferno_check_results_total{check="json",model="m",result="pass",target="t",workload="w"} 3`,
		`inferno_last_window_check_pass_ratio{check="json",model="m",target="t",workload="w"} 0.75`,
		`inferno_reasoning_tokens_total{model="m",target="t",workload="w"} 4`,
		`inferno_time_to_first_answer_seconds_count{model="m",target="t",workload="w"} 4`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	window(false, true)
	if text := gather(t, reg); strings.Contains(text, "inferno_last_window_check_pass_ratio{") {
		t.Error("a check that judged nothing in the last window kept its pass ratio")
	}
	if n := c.Forget("t", ""); n == 0 || strings.Contains(gather(t, reg), `check="json"`) {
		t.Error("Forget left the check series")
	}
}

// Last-window percentiles are labelled quantile="0.5", as Prometheus users
// query quantiles everywhere else; and successes per second (vLLM's
// request_throughput, what dashboards show) sit beside all responses.
func TestQuantileLabelsAndSuccessfulRPS(t *testing.T) {
	text := string(exposition(t))
	for _, want := range []string{
		`inferno_last_window_ttft_seconds{model="sim",target="simulator",workload="smoke",quantile="0.5"}`,
		`inferno_last_window_itl_seconds{model="sim",target="simulator",workload="smoke",quantile="0.99"}`,
		`inferno_last_window_successful_requests_per_second{model="sim",target="simulator",workload="smoke"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
	if strings.Contains(text, "percentile=") {
		t.Error("a percentile label remains")
	}
}
