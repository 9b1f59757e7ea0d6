package reliability

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// plantedSecret is written into the config and into hostile bodies; it
// must appear in no answer, report or log line.
const plantedSecret = "PLANTED-b4dg3r-31337"

const tinyEvent = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"

// hostileEndpoints are loopback endpoints that misbehave as issue 21's
// attacks did: endless tiny events, one huge SSE line, absurd usage, huge
// header values.
func hostileEndpoints(t *testing.T) map[string]string {
	t.Helper()
	huge := strings.Repeat("x", 1<<20)
	handlers := map[string]http.HandlerFunc{
		"endless": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			chunk := []byte(strings.Repeat(tinyEvent, 256))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"hugeline": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: %s%s\n\n", huge, huge)
		},
		"usage": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, tinyEvent+tinyEvent+`data: {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":9000000000000000000,"completion_tokens":9000000000000000000}}`+"\n\ndata: [DONE]\n\n")
		},
		"headers": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", huge)
			w.Header().Set("Location", "/"+huge)
			w.WriteHeader(http.StatusTooManyRequests)
		},
	}
	out := map[string]string{}
	for name, h := range handlers {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		out[name] = srv.URL
	}
	return out
}

// TestHostileSuite runs the daemon binary under the shipped memory limit
// through every attack of issue 21, one after another: it never dies,
// /-/healthy answers throughout, a schedule on a healthy simulator keeps
// finishing windows, its peak RSS stays under 1 GiB, and the planted
// secret appears in no output.
func TestHostileSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary through every attack")
	}
	sim := newSim(t, simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond})
	ends := hostileEndpoints(t)
	dir := t.TempDir()
	esc := func(u string) string { return strings.ReplaceAll(u, ".", `\.`) }
	allow := []string{"'" + esc(sim.URL) + "/v1'"}
	for _, u := range ends {
		allow = append(allow, "'"+esc(u)+"/v1'")
	}
	cfg := fmt.Sprintf(`global: {report_dir: %s, max_concurrent_windows: 4, report_retention: 1h}
targets:
  - name: healthy
    url: %s/v1?jwt=%s
    model: sim
    http_client: {authorization: {credentials: %s}, http_headers: {X-Key: {values: [%s]}}}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: 1}
    requests: 2
schedules:
  - {name: tick, cron: "* * * * * *", targets: [healthy], workload: small}
modules:
  quick: {workload: small, timeout: 30s}
api:
  allow_urls: [%s]
`, filepath.Join(dir, "reports"), sim.URL, plantedSecret, plantedSecret, plantedSecret, strings.Join(allow, ", "))
	cfgPath := writeConfig(t, dir, cfg)
	addr := freePort(t)
	base := "http://" + addr
	logs := &lockedBuffer{}
	cmd := exec.Command(inferno(t), "--config.file", cfgPath, "--web.listen-address", addr)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=768MiB")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("daemon output:\n%.20000s", logs.String())
		}
	}()
	waitFor(t, time.Minute, "the daemon to serve", func() bool { code, _ := get(base + "/-/healthy"); return code == 200 })

	// Watch health and RSS throughout, from a goroutine of our own.
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	var mu sync.Mutex
	var unhealthy []string
	maxRSS := 0
	watch.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-exited:
				mu.Lock()
				unhealthy = append(unhealthy, "the daemon exited")
				mu.Unlock()
				return
			case <-time.After(200 * time.Millisecond):
			}
			if code, _ := get(base + "/-/healthy"); code != 200 {
				mu.Lock()
				unhealthy = append(unhealthy, fmt.Sprintf("/-/healthy answered %d", code))
				mu.Unlock()
			}
			if kib := procRSS(cmd.Process.Pid); kib > 0 {
				mu.Lock()
				maxRSS = max(maxRSS, kib)
				mu.Unlock()
			}
		}
	})

	windowsBefore := scheduledWindows(t, base)
	post := func(path, body string) (int, string) {
		return do(t, "POST", base+path, "application/json", strings.NewReader(body))
	}
	synth := func(extra string) string {
		return `{"dataset":{"kind":"synthetic","input_tokens":8,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1},"requests":2` + extra + `}`
	}
	target := func(url string) string { return `{"name":"x","url":"` + url + `/v1","model":"m"}` }
	refused := []struct{ name, path, body, want string }{
		{"hub Parquet bomb", "/api/v1/runs", `{"target":"healthy","workload":{"dataset":{"kind":"arena","hub":{"repo":"evil/bomb","file":"x.parquet"}},"arrival":{"kind":"constant","rate":1},"requests":2}}`, "api.allow_hub_repos"},
		{"prompt bytes x in flight", "/api/v1/runs", `{"target":"healthy","workload":{"dataset":{"kind":"synthetic","input_tokens":1000000,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1000},"requests":2}}`, "limits.max_window_bytes"},
		{"gamma 1e-300", "/api/v1/runs", `{"target":"healthy","workload":{"dataset":{"kind":"synthetic","input_tokens":8,"output_tokens":4},"arrival":{"kind":"gamma","rate":1,"burstiness":1e-300},"requests":2}}`, "burstiness"},
		{"hub tokenizer", "/api/v1/runs", `{"target":"healthy","workload":{"dataset":{"kind":"synthetic","input_tokens":8,"output_tokens":4,"tokenizer":"hf:evil/model"},"arrival":{"kind":"concurrency","concurrency":1},"requests":2}}`, "api.allow_hub_repos"},
		{"costly expression", "/api/v1/runs", `{"target":"healthy","workload":{"dataset":{"kind":"synthetic","input_tokens":8,"output_tokens":4},"arrival":{"kind":"synthesizer","func":"t < 100000 ? ` + strings.Repeat("int(abs(t*1.5-t/3+2)+1) + ", 16) + `0 : nil"}}}`, "steps to check"},
		{"userinfo hides the host", "/api/v1/runs", `{"target":` + target("http://"+plantedSecret+"@"+strings.TrimPrefix(sim.URL, "http://")) + `,"workload":"small"}`, "user information"},
		{"1 MB nickname", "/tests/register_and_start", `{"url":"` + sim.URL + `/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"},"nickname":"` + strings.Repeat("n", 1<<20-400) + `"}`, "nickname"},
	}
	for _, a := range refused {
		for range 20 { // repeated: nothing a refusal leaves behind may add up
			code, answer := post(a.path, a.body)
			if code != http.StatusBadRequest || !strings.Contains(answer, a.want) {
				t.Fatalf("%s: %d %.300s, want 400 with %q", a.name, code, answer, a.want)
			}
		}
	}

	// Endpoints that misbehave: each window ends, each request fails (or
	// warns) with a reason of bounded size.
	var runs []string
	for _, name := range []string{"endless", "hugeline", "usage", "headers"} {
		for range 4 {
			code, answer := post("/api/v1/runs", `{"target":`+target(ends[name])+`,"workload":`+synth(`,"request_timeout":"20s"`)+`}`)
			if code != http.StatusAccepted {
				t.Fatalf("%s: %d %s", name, code, answer)
			}
			runs = append(runs, runID(t, answer))
		}
	}
	for _, id := range runs {
		waitFor(t, 2*time.Minute, "run "+id+" to end", func() bool {
			_, s := get(base + "/api/v1/runs/" + id)
			return !strings.Contains(s, `"status": "running"`) && !strings.Contains(s, `"status": "pending"`)
		})
		if _, rep := get(base + "/api/v1/runs/" + id + "/report"); len(rep) > 4<<20 {
			t.Errorf("run %s: a report of %d bytes", id, len(rep))
		}
	}
	// Compare one run 50 times over.
	get(base + "/api/v1/compare?runs=" + strings.TrimSuffix(strings.Repeat(runs[len(runs)-1]+",", 50), ","))

	// Probes abandoned by their scrapers, and a flood past the queue.
	var probes sync.WaitGroup
	for range 200 {
		probes.Go(func() {
			c := http.Client{Timeout: 50 * time.Millisecond}
			if resp, err := c.Get(base + "/probe?module=quick&target=" + ends["endless"] + "/v1"); err == nil {
				resp.Body.Close()
			}
		})
	}
	probes.Wait()

	// Slow bodies: connections that send headers and never finish.
	var conns []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		fmt.Fprintf(c, "POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{")
		conns = append(conns, c)
	}

	// A reload naming /dev/zero as a credentials file fails; the old
	// config stays.
	os.WriteFile(cfgPath, []byte(strings.Replace(cfg, "credentials: "+plantedSecret, "credentials_file: /dev/zero", 1)), 0o644)
	if code, answer := post("/-/reload", ""); code != http.StatusInternalServerError || !strings.Contains(answer, "not a regular file") {
		t.Errorf("reload with /dev/zero: %d %s", code, answer)
	}
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	// The schedule kept finishing windows through it all (counted, not timed).
	waitFor(t, 2*time.Minute, "the schedule to finish windows", func() bool { return scheduledWindows(t, base) >= windowsBefore+3 })
	for _, c := range conns {
		c.Close()
	}
	close(stopWatch)
	watch.Wait()
	mu.Lock()
	if len(unhealthy) > 0 {
		t.Errorf("unhealthy: %v", unhealthy[:min(len(unhealthy), 5)])
	}
	if maxRSS > 1<<20 {
		t.Errorf("RSS reached %d KiB, over the 1 GiB limit", maxRSS)
	}
	t.Logf("peak RSS sampled: %d KiB", maxRSS)
	mu.Unlock()

	for _, page := range []string{"/", "/config", "/api/v1/runs", "/metrics"} {
		if _, body := get(base + page); strings.Contains(body, plantedSecret) {
			t.Errorf("%s shows the planted secret", page)
		}
	}
	for _, id := range runs {
		if _, body := get(base + "/api/v1/runs/" + id + "/report"); strings.Contains(body, plantedSecret) {
			t.Errorf("report %s shows the planted secret", id)
		}
	}
	filepath.Walk(filepath.Join(dir, "reports"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), plantedSecret) {
				t.Errorf("%s holds the planted secret", path)
			}
		}
		return nil
	})
	cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	if strings.Contains(logs.String(), plantedSecret) {
		t.Error("the logs show the planted secret")
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.Logf("peak RSS (getrusage): %d KiB", ru.Maxrss)
		if ru.Maxrss > 1<<20 {
			t.Errorf("peak RSS %d KiB, over the 1 GiB limit", ru.Maxrss)
		}
	}
}

// TestRunEndlessStream: inferno run against an endpoint that streams tiny
// events forever ends (at its request timeout or its stream cap) with its
// peak RSS under 100 MB. It reached 1.95 GB in 20 s.
func TestRunEndlessStream(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	srv := hostileEndpoints(t)["endless"]
	cmd := exec.Command(inferno(t), "run", "--url", srv+"/v1", "--model", "m", "--requests", "2", "--concurrency", "1",
		"--request-timeout", "20s", "--report-dir", t.TempDir(), "--progress", "never")
	out, _ := cmd.CombinedOutput()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage here")
	}
	t.Logf("peak RSS %d KiB\n%s", ru.Maxrss, out)
	// The bound is the issue's, checked in the suite's runs without the
	// race detector. Under it, this test's endpoint runs instrumented
	// beside other packages' race tests, and the client's peak was seen at
	// 135 MB once on two busy cores (40-60 MB otherwise): there it only
	// guards against the unbounded growth (1.95 GB) the cap stops.
	limit := int64(100 << 10)
	if raceEnabled {
		limit = 256 << 10
	}
	if ru.Maxrss > limit {
		t.Errorf("peak RSS %d KiB, over %d KiB", ru.Maxrss, limit)
	}
	if !strings.Contains(string(out), "content events") && !strings.Contains(string(out), "timeout") {
		t.Errorf("the requests did not end at their cap or timeout:\n%s", out)
	}
}

func get(url string) (int, string) {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func procRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &n)
			return n
		}
	}
	return 0
}

// scheduledWindows is inferno_windows_total of the healthy schedule.
func scheduledWindows(t *testing.T, base string) int {
	_, body := get(base + "/metrics")
	total := 0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "inferno_windows_total{") && strings.Contains(line, `target="healthy"`) {
			var n float64
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &n)
			total += int(n)
		}
	}
	return total
}

func runID(t *testing.T, answer string) string {
	i := strings.Index(answer, `"id": "`)
	if i < 0 {
		t.Fatalf("no run id in %s", answer)
	}
	rest := answer[i+len(`"id": "`):]
	return rest[:strings.IndexByte(rest, '"')]
}
