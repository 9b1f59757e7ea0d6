package collector

import (
	"bytes"
	"flag"
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
		if i == 3 {
			r.ProtocolWarning = "stream ended without its terminal event after the answer was complete"
		}
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
