package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
)

var update = flag.Bool("update", false, "rewrite golden files")

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

// fixture is a small window with every kind of request, with times chosen
// so each figure can be worked out by hand.
func fixture() []*result.Result {
	ok := func(i, sent, first, content, end, tokens int, itl ...int) *result.Result {
		r := &result.Result{Index: i, Intended: at(sent - 1), Sent: at(sent), Headers: at(first), FirstEvent: at(first),
			FirstContent: at(content), FirstAnswer: at(content), End: at(end), Outcome: result.Success, Status: 200,
			InputTokens: 10, OutputTokens: tokens, TokensFrom: result.TokensFromUsage, ContentEvents: tokens}
		r.TraceID[15], r.RequestID[7] = byte(0xa0+i), byte(0xb0+i)
		for _, g := range itl {
			r.ITL = append(r.ITL, time.Duration(g)*time.Millisecond)
		}
		r.TokensBySecond = []result.SecondTokens{{Second: int32(end / 1000), Tokens: int32(tokens)}}
		return r
	}
	// A reasoning answer: 2 of its 5 tokens reasoning, the answer from
	// 800ms (TPOT over the answer (2300−800)/(3−1) = 750ms), and no gap
	// between answer tokens (its one ITL gap leads into the answer).
	reasoning := ok(1, 0, 300, 300, 2300, 5, 500)
	reasoning.FirstAnswer, reasoning.ReasoningTokens, reasoning.AnswerITLFrom = at(800), 2, 1
	reasoning.Checks = []result.CheckResult{{Name: "json", Reason: "not JSON: invalid character 'h'", Answer: "hello"}}
	first := ok(0, 0, 50, 100, 1100, 11, 100, 100)
	first.Checks = []result.CheckResult{{Name: "json", Pass: true}}
	return []*result.Result{
		// TTFT 100ms, TPOT (1100−100)/(11−1) = 100ms, latency 1100ms.
		first,
		// TTFT 300ms, TPOT (2300−300)/(5−1) = 500ms, latency 2300ms.
		reasoning,
		{Index: 2, Intended: at(499), Sent: at(500), Headers: at(510), End: at(510), Outcome: result.HTTP5xx, Status: 503, Reason: "HTTP 503: overloaded"},
		{Index: 3, Intended: at(999), Sent: at(1000), End: at(3000), Outcome: result.Cancelled, Reason: "window deadline reached"},
		{Index: 4, Warmup: true, Outcome: result.Success},
	}
}

func TestAggregatorFigures(t *testing.T) {
	a := NewAggregator(base, SLO{TTFT: 200 * time.Millisecond}, nil)
	for _, r := range fixture() {
		a.Add(r)
	}
	r := a.Report(Meta{ID: "x"})
	checks := []struct {
		name      string
		got, want float64
	}{
		{"requests (warm-up excluded)", float64(r.TotalRequestNum), 4},
		{"fail rate", r.FailRate, 0.5},
		{"SLO: only the 100ms-TTFT request meets 200ms", r.SLO, 0.25},
		{"TTFT mean", r.Stats.TTFT.Mean, 0.2},
		{"TTFT p50", r.Stats.TTFT.P50, 0.2},
		{"top-level TTFT is the real TTFT, not the first event", r.TTFT.Min, 0.1},
		{"first event kept in its own statistic", r.Stats.FirstEvent.Min, 0.05},
		{"TTFT from schedule adds the 1ms lag", r.Stats.TTFTFromSchedule.Min, 0.101},
		{"TPOT min", r.Stats.TPOT.Min, 0.1},
		{"TPOT max", r.Stats.TPOT.Max, 0.5},
		{"old TPOT is E2E per token: 1.1/11", r.TPOT.Min, 0.1},
		{"old TPOT max: 2.3/5", r.TPOT.Max, 0.46},
		{"latency max", r.Latency.Max, 2.3},
		{"schedule lag", r.Stats.ScheduleLag.Max, 0.001},
		{"ITL count", float64(r.Stats.ITL.Count), 3},
		{"ITL max within HDR precision", math.Round(r.Stats.ITL.Max * 1000), 500},
		{"duration: first send to last end", r.TotalDurationSec, 3},
		{"RPS", r.RPS, 4.0 / 3},
		{"goodput", r.Summary.GoodputRPS, 1.0 / 3},
		{"output tokens", float64(r.Summary.OutputTokens), 16},
		{"output throughput", r.Summary.OutputThroughput, 16.0 / 3},
		{"timeline seconds", float64(len(r.Timeline)), 4},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Summary.Outcomes["http_5xx"] != 1 || r.Summary.Outcomes["cancelled"] != 1 || r.Summary.Outcomes["success"] != 2 {
		t.Errorf("outcomes %v", r.Summary.Outcomes)
	}
	// Second 0: 3 started, 1 failed (the 503); second 1: 1 started, 1 completed; second 3: the cancelled one ends.
	want := []TimelineStep{
		{Second: 0, Started: 3, Completed: 1, Failed: 1, InFlight: 2},
		{Second: 1, Started: 1, Completed: 1, InFlight: 2, Tokens: 11},
		{Second: 2, Completed: 1, InFlight: 1, Tokens: 5},
		{Second: 3, Completed: 1, Failed: 1, InFlight: 0},
	}
	for i := range want {
		if r.Timeline[i] != want[i] {
			t.Errorf("timeline[%d] = %+v, want %+v", i, r.Timeline[i], want[i])
		}
	}
}

func TestSLOWithoutThresholdsIsSuccessRate(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	for _, r := range fixture() {
		a.Add(r)
	}
	if r := a.Report(Meta{}); r.SLO != 0.5 || r.SLO != r.Summary.SuccessRate {
		t.Errorf("SLO %v, success rate %v; want both 0.5", r.SLO, r.Summary.SuccessRate)
	}
}

// TestReportGolden pins the whole JSON document: the old tool's keys with
// their types first, then the extended sections.
func TestReportGolden(t *testing.T) {
	var perRequest bytes.Buffer
	a := NewAggregator(base, SLO{TTFT: 200 * time.Millisecond, TPOT: 200 * time.Millisecond}, &perRequest)
	for _, r := range fixture() {
		a.Add(r)
	}
	rep := a.Report(Meta{ID: "20260102T030405.000Z-abcdef", Status: StatusFinished, Trigger: "cli",
		StartedAt: base, EndedAt: at(3000), Target: Target{Name: "sim", URL: "http://127.0.0.1:8000/v1", API: "openai-chat", Model: "m"},
		Workload: "fixture", Seed: 1})
	got, _ := json.MarshalIndent(rep, "", "  ")
	checkGolden(t, "report.golden.json", append(got, '\n'))
	checkGolden(t, "requests.golden.jsonl", perRequest.Bytes())
}

// The old tool's consumers read these keys with these JSON types.
func TestReportLegacyKeys(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	for _, r := range fixture() {
		a.Add(r)
	}
	b, _ := json.Marshal(a.Report(Meta{}))
	var doc map[string]any
	json.Unmarshal(b, &doc)
	numbers := []string{"Total_request_num", "Fail_rate", "SLO", "Total_duration_sec", "RPS"}
	for _, k := range numbers {
		if _, ok := doc[k].(float64); !ok {
			t.Errorf("%s: %T, want a number", k, doc[k])
		}
	}
	objects := map[string][]string{
		"TTFT":       {"min", "max", "avg", "std", "95_percentile"},
		"TPOT":       {"min", "max", "avg", "std", "95_percentile"},
		"latency":    {"min", "max", "avg", "std", "95_percentile"},
		"Throughput": {"max", "95_percentile", "avg"},
	}
	for k, fields := range objects {
		obj, ok := doc[k].(map[string]any)
		if !ok {
			t.Errorf("%s: %T, want an object", k, doc[k])
			continue
		}
		for _, f := range fields {
			if _, ok := obj[f].(float64); !ok {
				t.Errorf("%s.%s: %T, want a number", k, f, obj[f])
			}
		}
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", path, got)
	}
}

func TestWriteAtomicAndRead(t *testing.T) {
	dir := t.TempDir()
	rep := Report{Run: Meta{ID: NewRunID(time.Now())}, TotalRequestNum: 3}
	path, err := Write(dir, &rep)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil || back.TotalRequestNum != 3 || back.Run.ID != rep.Run.ID {
		t.Fatalf("read back %+v, %v", back, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the report (no temp files)", len(entries))
	}
	for _, bad := range []string{"../x", "a/b", ".hidden", ""} {
		rep.Run.ID = bad
		if _, err := Write(dir, &rep); err == nil {
			t.Errorf("run id %q accepted", bad)
		}
	}
}

func TestRunIDsSortByTime(t *testing.T) {
	a := NewRunID(base)
	b := NewRunID(base.Add(time.Millisecond))
	c := NewRunID(base.Add(10 * time.Hour))
	if !(a < b && b < c) || !ValidRunID(a) || !strings.HasPrefix(a, "20260102T030405.000Z-") {
		t.Errorf("ids %s %s %s", a, b, c)
	}
}

// TestSetServer: the server's view is set beside the client's, with the
// overhead at each quantile; a window without a success has no client
// TTFT, so no overhead, and every server request is someone else's.
func TestSetServer(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	for _, r := range fixture() {
		a.Add(r)
	}
	r := a.Report(Meta{ID: "x"})
	n := 5.0
	bounds := []float64{0.05, 0.5, math.Inf(1)}
	s := &servermetrics.Summary{TTFT: &servermetrics.Latency{Count: 5, Mean: 0.15, P50: 0.18, P95: 0.25, Bounds: bounds}, Requests: &n}
	r.SetServer(s)
	if r.Server == nil || r.Server.ClientOverhead == nil {
		t.Fatalf("server %+v", r.Server)
	}
	// Client TTFT: 100 and 300 ms, both in the bucket (0.05, 0.5], read
	// through it as the server's are: spread over [0.05, 0.35] (mean
	// 0.2), p50 0.2 and p95 0.335; the mean is exact.
	if o := r.Server.ClientOverhead; math.Abs(o.P50-0.02) > 1e-3 || math.Abs(o.Mean-0.05) > 1e-9 || math.Abs(o.P95-0.085) > 1e-3 {
		t.Errorf("overhead %+v, want p50 20 ms, p95 85 ms, mean 50 ms", o)
	}
	if r.Server.InfernoRequests != 2 || *r.Server.OtherRequests != 3 {
		t.Errorf("inferno %d, others %v; want 2 and 3", r.Server.InfernoRequests, *r.Server.OtherRequests)
	}
	dead := NewAggregator(base, SLO{}, nil)
	dead.Add(fixture()[2])
	d := dead.Report(Meta{ID: "y"})
	d.SetServer(&servermetrics.Summary{TTFT: &servermetrics.Latency{Count: 1, P50: 0.1, Bounds: bounds}, Requests: &n})
	if d.Server.ClientOverhead != nil || *d.Server.OtherRequests != 5 {
		t.Errorf("dead window: overhead %+v, others %v", d.Server.ClientOverhead, *d.Server.OtherRequests)
	}
}
