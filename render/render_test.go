package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
)

// sampleReport is a window of 300 requests with spread latencies and a
// few failures of two kinds.
func sampleReport(t *testing.T) *report.Report {
	t.Helper()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{TTFT: 250 * time.Millisecond}, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		sent := start.Add(time.Duration(i) * 40 * time.Millisecond)
		switch i % 41 {
		case 7:
			a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(5 * time.Millisecond), Outcome: result.HTTP5xx,
				Status: 503, Reason: "HTTP 503: overloaded"})
			continue
		case 19:
			a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(time.Second), Outcome: result.Timeout,
				Reason: "request timeout after 1s"})
			continue
		}
		ttft := time.Duration(120+rng.IntN(200)) * time.Millisecond
		r := &result.Result{Index: i, Intended: sent, Sent: sent, Headers: sent.Add(ttft), FirstEvent: sent.Add(ttft),
			FirstContent: sent.Add(ttft), Outcome: result.Success, Status: 200, InputTokens: 200, OutputTokens: 32,
			TokensFrom: result.TokensFromUsage, ContentEvents: 32}
		end := r.FirstContent
		for range 31 {
			gap := time.Duration(12+rng.IntN(12)) * time.Millisecond
			r.ITL = append(r.ITL, gap)
			end = end.Add(gap)
		}
		r.End = end
		r.TokensBySecond = []result.SecondTokens{{Second: int32(end.Sub(start) / time.Second), Tokens: 32}}
		a.Add(r)
	}
	rep := a.Report(report.Meta{ID: "20260301T100000.000Z-abcdef", Status: report.StatusFinished, StartedAt: start, EndedAt: start.Add(14 * time.Second),
		Target: report.Target{Name: "llama-a", URL: "http://127.0.0.1:8000/v1", API: "openai-chat", Model: "sim"}, Workload: "steady",
		Hardware: &report.Hardware{GPU: "H100", Count: 2}, CostPerHour: 6,
		Config: map[string]any{"workload": map[string]any{"arrival": "poisson"}}})
	return &rep
}

func TestReportPage(t *testing.T) {
	rep := sampleReport(t)
	var buf bytes.Buffer
	if err := Report(&buf, rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, c := range ReportCharts(rep) {
		if !strings.Contains(page, `data-chart="`+c.ID+`"`) || !strings.Contains(page, ">"+c.Title+"<") {
			t.Errorf("chart %s (%s) missing from the page", c.ID, c.Title)
		}
	}
	for _, want := range []string{"TTFT p50 / p95 / p99", "2× H100", "Cost per million output tokens", "HTTP 503: overloaded", "llama-a"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://cdn", "https://"} {
		if strings.Contains(page, banned) {
			t.Errorf("page is not self-contained: it has %q", banned)
		}
	}
}

func TestComparisonPage(t *testing.T) {
	a, b := sampleReport(t), sampleReport(t)
	b.Run.ID, b.Run.Target.Name = "20260301T110000.000Z-fedcba", "llama-b"
	b.Stats.TTFT.P50 = a.Stats.TTFT.P50 * 2
	var buf bytes.Buffer
	if err := Comparison(&buf, compare.Reports([]*report.Report{a, b})); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(buf.String())
	// TTFT p50 doubled: +100.0%, worse (lower is better).
	if !strings.Contains(page, `<span class="delta worse">+100.0%</span>`) || !strings.Contains(page, "llama-b") {
		t.Errorf("comparison page lacks the TTFT p50 difference: %.2000s", page)
	}
}

// chromium finds a headless-capable Chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium; .ci/run installs Debian's chromium package")
	}
	t.Skip("chromium not installed")
	return ""
}

// TestReportInBrowser loads a report in headless Chromium: the DOM has
// every chart's title, and in a screenshot every chart's box holds drawn
// data (coloured marks), not just a blank frame.
func TestReportInBrowser(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	rep := sampleReport(t)
	path := filepath.Join(dir, report.HTMLFileName(rep.Run.ID))
	if err := WriteReport(path, rep); err != nil {
		t.Fatal(err)
	}
	const width, height = 1340, 1700
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
		fmt.Sprintf("--window-size=%d,%d", width, height), "--user-data-dir=" + filepath.Join(dir, "profile")}

	// Where each chart is: a copy of the page with a script that writes
	// the charts' boxes into the DOM (the page itself has no JavaScript).
	page, _ := os.ReadFile(path)
	probe := strings.Replace(string(page), "</body>", `<script>
const boxes = {};
document.querySelectorAll("figure[data-chart]").forEach(f => {
  const r = f.querySelector("svg").getBoundingClientRect();
  boxes[f.dataset.chart] = [r.x, r.y, r.width, r.height];
});
const pre = document.createElement("pre"); pre.id = "boxes"; pre.textContent = JSON.stringify(boxes);
document.body.appendChild(pre);
</script></body>`, 1)
	probePath := filepath.Join(dir, "probe.html")
	os.WriteFile(probePath, []byte(probe), 0o644)
	dom, err := exec.Command(browser, append(flags, "--dump-dom", "file://"+probePath)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := regexp.MustCompile(`<pre id="boxes">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no chart boxes in the DOM:\n%s", dom)
	}
	var boxes map[string][4]float64
	if err := json.Unmarshal(m[1], &boxes); err != nil {
		t.Fatal(err)
	}

	shot := filepath.Join(dir, "shot.png")
	if out, err := exec.Command(browser, append(flags, "--screenshot="+shot, "file://"+path)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ReportCharts(rep) {
		if !bytes.Contains(dom, []byte(c.Title)) {
			t.Errorf("the DOM lacks chart title %q", c.Title)
		}
		box, ok := boxes[c.ID]
		if !ok {
			t.Errorf("chart %s not laid out", c.ID)
			continue
		}
		rect := image.Rect(int(box[0]), int(box[1]), int(box[0]+box[2]), int(box[1]+box[3]))
		if !rect.In(img.Bounds()) || rect.Dx() < 100 || rect.Dy() < 100 {
			t.Errorf("chart %s at %v, outside the %v screenshot or too small", c.ID, rect, img.Bounds())
			continue
		}
		if n := colouredPixels(img, rect); n < 150 {
			t.Errorf("chart %s at %v has %d coloured pixels: nothing drawn", c.ID, rect, n)
		} else {
			t.Logf("chart %s: %d coloured pixels", c.ID, n)
		}
	}
	if t.Failed() {
		keep := filepath.Join(os.TempDir(), "inferno-report-shot.png")
		b, _ := os.ReadFile(shot)
		os.WriteFile(keep, b, 0o644)
		t.Logf("screenshot kept at %s", keep)
	}
}

// colouredPixels counts saturated pixels in r: series colours, where
// frames, grid lines and text are grey.
func colouredPixels(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			hi, lo := max(cr, cg, cb)>>8, min(cr, cg, cb)>>8
			if hi-lo > 60 {
				n++
			}
		}
	}
	return n
}

// A run without a configured cost has no cost figure: "–", no change, not
// "0 (-100.0%)" in green. Runs of different workloads carry a warning.
func TestComparisonUnknownCost(t *testing.T) {
	a, b := sampleReport(t), sampleReport(t)
	b.Run.ID, b.Run.Workload = "20260301T110000.000Z-fedcba", "bursty"
	b.Run.CostPerHour, b.Summary.CostPerMillionOutputTokens = 0, 0
	c := compare.Reports([]*report.Report{a, b})
	if _, ok := c.Runs[1].Values["cost_per_million_output_tokens"]; ok {
		t.Errorf("unknown cost has a value: %v", c.Runs[1].Values)
	}
	if _, ok := c.Runs[1].Relative["cost_per_million_output_tokens"]; ok {
		t.Errorf("unknown cost has a change: %v", c.Runs[1].Relative)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `"bursty"`) {
		t.Errorf("warnings %q, want one naming the other workload", c.Warnings)
	}
	var buf bytes.Buffer
	if err := Comparison(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(buf.String())
	row := page[strings.Index(page, "<td>Cost per million output tokens</td>"):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "-100.0%") || strings.Count(row, "<td>–</td>") != 1 {
		t.Errorf("cost row %q: want the second run's cell as – with no change", row)
	}
	if !strings.Contains(page, "Warning:") {
		t.Error("page does not show the workload warning")
	}
}

// A run without a success has no latency: a comparison shows "–" and no
// change for its latency figures, never "0.0 ms (-100.0%)".
func TestComparisonOfDeadRun(t *testing.T) {
	live := sampleReport(t)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{}, nil)
	for i := range 10 {
		sent := start.Add(time.Duration(i) * time.Millisecond)
		a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(50 * time.Microsecond),
			Outcome: result.ConnectionError, Reason: "connection refused"})
	}
	dead := a.Report(report.Meta{ID: "20260301T100000.000Z-dead00", Status: report.StatusFailed, Workload: live.Run.Workload})
	for _, order := range [][]*report.Report{{live, &dead}, {&dead, live}} {
		c := compare.Reports(order)
		for _, key := range []string{"ttft_p50", "ttft_p99", "tpot_p95", "e2e_p50"} {
			deadRun := c.Runs[0]
			if order[1] == &dead {
				deadRun = c.Runs[1]
			}
			if v, ok := deadRun.Values[key]; ok {
				t.Errorf("%s of the dead run has a value %v", key, v)
			}
			if v, ok := c.Runs[1].Relative[key]; ok {
				t.Errorf("%s has a change %v beside a dead run", key, v)
			}
		}
	}
}

// A dead endpoint's window (every request refused within its first
// second) still draws its requests: the failures must be seen.
func TestDeadWindowDrawsFailures(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{}, nil)
	for i := range 30 {
		sent := start.Add(time.Duration(i) * time.Millisecond)
		a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, End: sent.Add(50 * time.Microsecond),
			Outcome: result.ConnectionError, Reason: "connection refused"})
	}
	rep := a.Report(report.Meta{ID: "dead", Status: report.StatusFinished})
	for _, c := range ReportCharts(&rep) {
		if c.ID != "requests" {
			continue
		}
		svg := string(c.SVG())
		if !strings.Contains(svg, "<circle") {
			t.Errorf("requests chart of a dead window draws nothing:\n%s", svg)
		}
	}
}

// TestReportPageChecks: a window with checks and reasoning shows them,
// the endpoint's failing answer escaped.
func TestReportPageChecks(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a := report.NewAggregator(start, report.SLO{}, nil)
	for i := range 4 {
		sent := start.Add(time.Duration(i) * time.Second)
		a.Add(&result.Result{Index: i, Intended: sent, Sent: sent, FirstContent: sent.Add(50 * time.Millisecond), FirstAnswer: sent.Add(150 * time.Millisecond),
			End: sent.Add(300 * time.Millisecond), Outcome: result.Success, OutputTokens: 20, ReasoningTokens: 10, TokensFrom: result.TokensFromUsage,
			Checks: []result.CheckResult{{Name: "json", Pass: i != 2, Reason: "not JSON", Answer: "<script>alert(1)</script>"}}})
	}
	rep := a.Report(report.Meta{ID: "x", Status: report.StatusFinished, StartedAt: start})
	var buf bytes.Buffer
	if err := Report(&buf, &rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<h2>Checks</h2>", "<td>3</td><td>1</td>", "not JSON: <code>&lt;script&gt;", "Time to first answer p50 / p95", "150.0 ms", "40 of 80 output tokens"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("a failing answer reached the page unescaped")
	}
}

// TestServerHeadlines: the server's view is on the page where the report
// has one, with only the figures the server gave and its notes.
func TestServerHeadlines(t *testing.T) {
	rep := sampleReport(t)
	n, ratio := 30.0, 0.4
	rep.Server = &servermetrics.Summary{Server: "vllm", Requests: &n,
		TTFT:                &servermetrics.Latency{Count: 30, P50: 0.101, P95: 0.12},
		ClientOverhead:      &servermetrics.Overhead{P50: 0.002, P95: 0.004},
		PrefixCacheHitRatio: &ratio, Notes: []string{"1 scrape(s) failed, first: HTTP 503"}}
	rep.SetServer(rep.Server)
	var buf bytes.Buffer
	if err := Report(&buf, rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"Server TTFT p50 / p95", "101.0 ms", "Client overhead p50 / p95", "Prefix cache hit ratio", "40.0%",
		"Server&#39;s requests", "HTTP 503"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "Server queue") || strings.Contains(page, "KV cache") {
		t.Error("the page shows server figures the server did not give")
	}
}

// Chart legends tell runs apart: run ids of one day share their first
// twenty characters, which is all a legend box shows, so every run read
// the same. Each legend keeps what differs (time and id suffix; the
// target only where targets differ) and fits the box.
func TestComparisonLegendsDistinct(t *testing.T) {
	for _, tc := range []struct {
		ids, targets []string
	}{
		{[]string{"20260501T120000.000Z-ab12cd", "20260501T120500.000Z-ef34gh", "20260501T121000.000Z-0a0b0c"}, []string{"sim", "sim", "sim"}},
		{[]string{"20260501T120000.000Z-ab12cd", "20260502T120000.000Z-ab12ce"}, []string{"vllm-a100", "vllm-h100"}},
		{[]string{"my-long-custom-run-name-one", "my-long-custom-run-name-two"}, []string{"", ""}},
	} {
		names := legendNames(tc.ids, tc.targets)
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] || len([]rune(n)) > maxLegend {
				t.Errorf("%v: legends %q: want distinct, at most %d characters", tc.ids, names, maxLegend)
			}
			seen[n] = true
		}
	}
}
