package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/recommend"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCompareAndRecommend runs one workload against three simulated
// deployments: fast and dear, middling, slow and cheap. It checks the
// comparison against the reports, the groups API, and the recommendation
// order for a TTFT objective the slow one misses.
func TestCompareAndRecommend(t *testing.T) {
	type deployment struct {
		name string
		ttft time.Duration
		cost float64
		gpu  string
		gpus int
	}
	deployments := []deployment{
		{"fast", 40 * time.Millisecond, 8, "H100", 2},
		{"mid", 80 * time.Millisecond, 4, "A100", 1},
		{"slow", 160 * time.Millisecond, 1, "A10", 1},
	}
	dir := t.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global: {report_dir: %s, max_concurrent_windows: 1}\ntargets:\n", filepath.Join(dir, "reports"))
	for _, d := range deployments {
		sim := newSim(t, simulator.Config{Model: "sim", TTFT: d.ttft, ITL: 5 * time.Millisecond, Seed: 1})
		fmt.Fprintf(&cfg, "  - {name: %s, url: '%s/v1', model: sim, cost_per_hour: %v, hardware: {gpu: %s, count: %d}}\n",
			d.name, sim.URL, d.cost, d.gpu, d.gpus)
	}
	fmt.Fprintf(&cfg, `workloads:
  - name: w
    dataset: {kind: synthetic, input_tokens: 32, output_tokens: 16}
    arrival: {kind: poisson, rate: 20}
    requests: 30
    seed: 1
    deadline: 20s
schedules: []
`)
	path := filepath.Join(dir, "inferno.yml")
	os.WriteFile(path, []byte(cfg.String()), 0o644)
	d := startDaemon(t, path)
	base := d.server.URL

	var ids []string
	for _, dep := range deployments {
		c := d.Config()
		ids = append(ids, d.StartRun(c.Target(dep.name), c.Workload("w"), "api").id)
	}
	waitFor(t, "three finished runs", func() bool {
		for _, id := range ids {
			if !d.run(id).Finished() {
				return false
			}
		}
		return true
	})
	reports := map[string]*report.Report{}
	for _, id := range ids {
		code, body := get(t, base+"/api/v1/runs/"+id+"/report")
		var r report.Report
		if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("report of %s: %d %s", id, code, body)
		}
		if r.Summary.Failures != 0 || r.Run.CostPerHour == 0 || r.Run.Hardware == nil {
			t.Fatalf("run %s: %d failures, cost %v, hardware %v", id, r.Summary.Failures, r.Run.CostPerHour, r.Run.Hardware)
		}
		reports[id] = &r
	}

	// The comparison's figures are the reports', relative to the first.
	code, body := get(t, base+"/api/v1/compare?runs="+strings.Join(ids, ","))
	var cmp compare.Comparison
	if code != 200 || json.Unmarshal([]byte(body), &cmp) != nil || len(cmp.Runs) != 3 {
		t.Fatalf("compare: %d %s", code, body)
	}
	first := reports[ids[0]]
	for i, run := range cmp.Runs {
		r := reports[ids[i]]
		want := map[string]float64{
			"ttft_p50": r.Stats.TTFT.P50, "ttft_p99": r.Stats.TTFT.P99, "tpot_p95": r.Stats.TPOT.P95, "e2e_p50": r.Stats.Latency.P50,
			"output_tokens_per_second": r.Summary.OutputThroughput, "rps": r.Summary.RPS, "goodput_rps": r.Summary.GoodputRPS,
			"slo_attainment": r.Summary.SLO.Attainment, "failure_ratio": 0,
			"cost_per_million_output_tokens": r.Run.CostPerHour / (r.Summary.OutputThroughput * 3600) * 1e6,
		}
		for key, v := range want {
			if got := run.Values[key]; math.Abs(got-v) > 1e-9*math.Max(1, math.Abs(v)) {
				t.Errorf("run %s %s: compare says %v, report %v", run.ID, key, got, v)
			}
		}
		if i > 0 {
			if got, want := run.Relative["ttft_p50"], (r.Stats.TTFT.P50-first.Stats.TTFT.P50)/first.Stats.TTFT.P50; math.Abs(got-want) > 1e-9 {
				t.Errorf("run %s TTFT p50 relative %v, want %v", run.ID, got, want)
			}
		}
	}
	// Each deployment's TTFT is at least its simulator's. (No upper bound:
	// the windows run one after another, and a busy machine may slow one
	// of them by more than the 40 ms that separate the simulators.)
	for i, dep := range deployments {
		if p50 := cmp.Runs[i].Values["ttft_p50"]; p50 < dep.ttft.Seconds() {
			t.Errorf("%s's TTFT p50 %v, below its simulator's %v", dep.name, p50, dep.ttft)
		}
	}

	// Groups: create, add, remove, list, persisted in the archive.
	if code, body := send(t, "POST", base+"/api/v1/groups", fmt.Sprintf(`{"name":"tuning","runs":[%q,%q]}`, ids[0], ids[1])); code != 201 {
		t.Fatalf("create group: %d %s", code, body)
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/groups", `{"name":"tuning","runs":[]}`, 409},
		{"POST", "/api/v1/groups", `{"name":"../x","runs":[]}`, 400},
		{"POST", "/api/v1/groups", `{"name":"g","runs":["no-such-run"]}`, 404},
		{"POST", "/api/v1/groups", `{"name":"g","colour":"red"}`, 400},
		{"POST", "/api/v1/groups/tuning/runs", fmt.Sprintf(`{"runs":[%q,%q]}`, ids[2], ids[1]), 200},
		{"DELETE", "/api/v1/groups/tuning/runs/" + ids[1], "", 200},
		{"DELETE", "/api/v1/groups/tuning/runs/" + ids[1], "", 404},
		{"POST", "/api/v1/groups/tuning/runs", fmt.Sprintf(`{"runs":[%q]}`, ids[1]), 200},
		{"POST", "/api/v1/groups", `{"name":"scratch","runs":[]}`, 201},
		{"DELETE", "/api/v1/groups/scratch", "", 204},
		{"GET", "/api/v1/groups/scratch", "", 404},
		{"GET", "/api/v1/compare?runs=..%2F..%2Fetc%2Fpasswd", "", 400},
		{"GET", "/api/v1/compare?runs=", "", 400},
		{"POST", "/api/v1/groups/tuning/recommend", `{"metric":"speed","target":1}`, 400},
	} {
		if code, body := send(t, c.method, base+c.path, c.body); code != c.want {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, code, body, c.want)
		}
	}
	var g struct{ Runs []string }
	_, body = get(t, base+"/api/v1/groups/tuning")
	json.Unmarshal([]byte(body), &g)
	if strings.Join(g.Runs, ",") != strings.Join([]string{ids[0], ids[2], ids[1]}, ",") {
		t.Errorf("group runs %v", g.Runs)
	}
	saved, _ := os.ReadFile(filepath.Join(dir, "reports", "groups.json"))
	if !bytes.Contains(saved, []byte(ids[2])) {
		t.Errorf("groups.json: %s", saved)
	}
	if code, body := get(t, base+"/api/v1/groups/tuning/results"); code != 200 || !strings.Contains(body, ids[2]) {
		t.Errorf("group results: %d %s", code, body)
	}

	// The recommendation for TTFT p95 ≤ 120 ms ranks the group's runs as
	// the recommender ranks their reports: the daemon hands it the right
	// reports, whatever a busy machine made of their latencies.
	code, body = send(t, "POST", base+"/api/v1/groups/tuning/recommend", `{"metric":"ttft","target":0.12}`)
	var rec recommend.Recommendation
	if code != 200 || json.Unmarshal([]byte(body), &rec) != nil {
		t.Fatalf("recommend: %d %s", code, body)
	}
	var groupReports []*report.Report
	for _, id := range g.Runs {
		groupReports = append(groupReports, reports[id])
	}
	want, err := recommend.Rank(groupReports, recommend.Objective{Metric: "ttft", Target: 0.12})
	if err != nil {
		t.Fatal(err)
	}
	name := map[string]string{ids[0]: "fast", ids[1]: "mid", ids[2]: "slow"}
	order := func(runs []recommend.Run) string {
		var s []string
		for _, r := range runs {
			s = append(s, fmt.Sprintf("%s(meets %v)", name[r.ID], r.Meets))
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct {
		ranking   string
		got, want []recommend.Run
	}{
		{"most recommended", rec.MostRecommended, want.MostRecommended},
		{"best performance", rec.BestPerformance, want.BestPerformance},
		{"cost efficient", rec.CostEfficient, want.CostEfficient},
		{"resource efficient", rec.ResourceEfficient, want.ResourceEfficient},
	} {
		if got, want := order(c.got), order(c.want); got != want {
			t.Errorf("%s: %s, the reports rank %s\n%s", c.ranking, got, want, body)
		}
	}
	for _, r := range rec.MostRecommended {
		if r.Value != reports[r.ID].Stats.TTFT.P95 || r.Meets != (r.Value <= 0.12) || r.Reason == "" {
			t.Errorf("%s: value %v (report's TTFT p95 %v), meets %v, reason %q", name[r.ID], r.Value, reports[r.ID].Stats.TTFT.P95, r.Meets, r.Reason)
		}
	}
	// Where each TTFT p95 stayed within 20 ms of its simulator's (a machine
	// not so busy that the measured order could differ from the set one),
	// the known answer: performance fast 1, mid ≈ 0.5, slow ≈ 0.25 and slow
	// misses; cost per million tokens in the ratio of the costs (same
	// throughput), so cost scores ≈ 1/8, 1/4, 1. Most recommended: fast
	// (0.6 + 0.05) > mid (0.3 + 0.1), then slow; best performance fast,
	// mid, slow; cost efficient mid, fast, then slow.
	calm := true
	for i, dep := range deployments {
		calm = calm && reports[ids[i]].Stats.TTFT.P95 < dep.ttft.Seconds()+0.020
	}
	if calm {
		for _, c := range []struct {
			ranking string
			got     []recommend.Run
			want    string
		}{
			{"most recommended", rec.MostRecommended, "fast(meets true) mid(meets true) slow(meets false)"},
			{"best performance", rec.BestPerformance, "fast(meets true) mid(meets true) slow(meets false)"},
			{"cost efficient", rec.CostEfficient, "mid(meets true) fast(meets true) slow(meets false)"},
		} {
			if got := order(c.got); got != c.want {
				t.Errorf("%s: %s, want %s\n%s", c.ranking, got, c.want, body)
			}
		}
	} else {
		t.Logf("TTFT p95 fast %.4f, mid %.4f, slow %.4f: the machine was too busy for the known answer",
			reports[ids[0]].Stats.TTFT.P95, reports[ids[1]].Stats.TTFT.P95, reports[ids[2]].Stats.TTFT.P95)
	}

	// The old routes, with the old body, give the same answer.
	old := `{"group_id":"tuning","performance_metric":{"metric":"ttft","target":0.12}}`
	code, body = send(t, "POST", base+"/recommend", old)
	var ids4 map[string]string
	if code != 200 || json.Unmarshal([]byte(body), &ids4) != nil || ids4["most_recommended"] != want.MostRecommended[0].ID ||
		ids4["cost_efficient"] != want.CostEfficient[0].ID || ids4["performance_priority"] != want.BestPerformance[0].ID ||
		ids4["resource_efficient"] != want.ResourceEfficient[0].ID {
		t.Errorf("/recommend: %d %s", code, body)
	}
	code, body = send(t, "POST", base+"/detailed_recommend", old)
	var detailed map[string]report.Report
	if code != 200 || json.Unmarshal([]byte(body), &detailed) != nil || detailed["most_recommended"].Run.ID != want.MostRecommended[0].ID {
		t.Errorf("/detailed_recommend: %d %.300s", code, body)
	}

	// Pages: each run's report and the comparison, with their charts,
	// rendered when asked for rather than written beside every JSON.
	if _, err := os.Stat(filepath.Join(dir, "reports", report.HTMLFileName(ids[0]))); err == nil {
		t.Error("the window wrote an HTML page beside its JSON")
	}
	if code, body := get(t, base+"/reports/"+ids[0]); code != 200 || !strings.Contains(body, "TTFT by arrival time") {
		t.Errorf("/reports/%s: %d", ids[0], code)
	}
	if code, body := get(t, base+"/compare?runs="+strings.Join(ids, ",")); code != 200 || !strings.Contains(body, "TTFT distribution (CDF)") {
		t.Errorf("/compare: %d", code)
	}
}
