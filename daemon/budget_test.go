package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/simulator"
)

// TestDaemonBudgets: what a request may make the daemon keep is bounded.
// The old API kept a 1 MB nickname even when it answered 429; /probe had
// no queue limit, and every abandoned probe was kept for the retention
// period.
func TestDaemonBudgets(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, `limits: {max_pending_runs: 1}
modules:
  slow: {workload: small, timeout: 1h}
`)
	d := startDaemon(t, cfgPath)

	body := `{"url":"` + sim.URL + `/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"},"nickname":"` + strings.Repeat("n", 1<<20-300) + `"}`
	if code, answer := send(t, "POST", d.server.URL+"/tests/register_and_start", body); code != http.StatusBadRequest || !strings.Contains(answer, "nickname") {
		t.Errorf("a 1 MB nickname: %d %.200s, want 400 naming the nickname", code, answer)
	}
	// That none of it is kept is legacyapi's TestRefusedNicknameNotKept.

	probe := func(ctx context.Context) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", d.server.URL+"/probe?module=slow&target=hang", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ctxA, stopA := context.WithCancel(context.Background())
	defer stopA()
	doneA := make(chan int, 1)
	go func() { doneA <- probe(ctxA) }()
	// It holds the slot, then leaves the queue.
	waitFor(t, "the first probe to hold the API slot", func() bool { return d.adhoc.InUse() == 1 && d.pending.Load() == 0 })
	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan int, 1)
	go func() { doneB <- probe(ctxB) }()
	waitFor(t, "the second probe to queue", func() bool { return d.pending.Load() == 1 })
	if code := probe(context.Background()); code != http.StatusTooManyRequests {
		t.Errorf("a probe past the queue: %d, want 429", code)
	}
	stopB()
	<-doneB
	probeRuns := func() int {
		n := 0
		for _, r := range d.runs.list() {
			if r.trigger == "probe" {
				n++
			}
		}
		return n
	}
	// It leaves the queue, then its run.
	waitFor(t, "the abandoned probe to leave the queue and the runs", func() bool { return d.pending.Load() == 0 && probeRuns() == 1 })
	stopA()
	<-doneA
}

// TestServerTimeouts: the daemon's server bounds every phase of a
// connection, and its listener the connections at once.
func TestServerTimeouts(t *testing.T) {
	s := NewServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("server without a bound: %+v", s)
	}
}

// /config showed header values, userinfo tokens and uncommon query keys.
func TestConfigRedactsHeadersAndUserinfo(t *testing.T) {
	const planted = "PLANTED-h3ad3r"
	c, err := config.Load([]byte(`global: {report_dir: /tmp/r}
targets:
  - name: a
    url: http://`+planted+`@127.0.0.1:1/v1?jwt=`+planted+`
    model: m
    http_client: {http_headers: {X-Key: {values: [`+planted+`]}}}
`), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(redactedConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), planted) {
		t.Errorf("/config shows a planted secret:\n%s", b)
	}
}

// TestReloadRemovesRunningWindowsSeries: a window still running when a
// reload removes its target set its figures after the reload forgot the
// target's series, and they stayed on /metrics forever.
func TestReloadRemovesRunningWindowsSeries(t *testing.T) {
	sim := simulator.New(simulator.Config{})
	gate, arrived := make(chan struct{}), make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-gate
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "inferno.yml")
	head := "global: {report_dir: " + filepath.Join(dir, "reports") + "}\n"
	os.WriteFile(path, []byte(head+`targets:
  - {name: gone, url: `+srv.URL+`/v1, model: sim}
workloads:
  - {name: small, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 1}, requests: 1}
schedules:
  - {name: tick, cron: "* * * * * *", targets: [gone], workload: small}
`), 0o644)
	d := startDaemon(t, path)
	<-arrived
	os.WriteFile(path, []byte(head), 0o644)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	close(gate)
	waitFor(t, "the windows to end", func() bool {
		_, m := get(t, d.server.URL+"/metrics")
		return strings.Contains(m, "inferno_windows_in_progress 0")
	})
	if _, m := get(t, d.server.URL+"/metrics"); strings.Contains(m, `target="gone"`) {
		t.Errorf("/metrics keeps the removed target's series:\n%s", grepLines(m, `target="gone"`))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// An old-API test_id is the caller's: ordered by id, zzzz-PINNED sat at
// the top of every run list.
func TestRunListByCreation(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "")
	d := startDaemon(t, cfgPath)
	legacy := `{"url":"` + sim.URL + `/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"},"test_id":"zzzz-PINNED"}`
	if code, answer := send(t, "POST", d.server.URL+"/tests/register_and_start", legacy); code != http.StatusOK {
		t.Fatalf("register_and_start: %d %s", code, answer)
	}
	waitFor(t, "the pinned run to be listed", func() bool { return d.runs.get("zzzz-PINNED") != nil })
	code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", `{"target":"sim","workload":"small"}`)
	if code != http.StatusAccepted {
		t.Fatalf("runs API: %d %s", code, answer)
	}
	if first := d.runs.list()[0].id; first == "zzzz-PINNED" {
		t.Errorf("the run list starts with %s, not the newest run", first)
	}
}
