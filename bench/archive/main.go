// Command archive measures the daemon on a large report archive. It
// writes N archived reports (real aggregated reports of 32 requests each,
// as a window writes them) into a temporary directory, then runs the
// inferno binary on it, each phase its own process:
//
//  1. first start, no index: time to ready, time to rebuild the index
//     from every report in the background, peak RSS;
//
//  2. restart with the index: time from exec until a page of 50 runs is
//     served (ready), peak RSS; then pages of 50 runs (walking `before`
//     cursors, with and without filters) and the status page, timed over
//     many requests; and /probe windows (archived) as a baseline;
//
//  3. restart with report_retention_count set to half the archive: the
//     retention deletes N/2 reports while archived /probe windows keep
//     running, timed as in phase 2, and the lists keep answering.
//
//     go run ./bench/archive                   # 100,000 reports
//     go run ./bench/archive -n 20000 -keep    # smaller; keep the directory
//
// Everything runs on 127.0.0.1 against the daemon's built-in simulator;
// every process the benchmark starts is stopped before it exits.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

func main() {
	n := flag.Int("n", 100_000, "archived reports to create")
	keep := flag.Bool("keep", false, "keep the directory (printed) instead of removing it")
	bin := flag.String("bin", "", "inferno binary to measure (default: build this tree's)")
	flag.Parse()
	if err := run(*n, *keep, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/archive:", err)
		os.Exit(1)
	}
}

func run(n int, keep bool, bin string) error {
	dir, err := os.MkdirTemp("", "inferno-archive-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if bin == "" {
		bin = filepath.Join(dir, "inferno")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	reports := filepath.Join(dir, "reports")
	start := time.Now()
	size, err := writeArchive(reports, n)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d reports (%.1f KiB each, %.0f MiB in all) in %v\n", n, float64(size)/float64(n)/1024,
		float64(size)/(1<<20), time.Since(start).Round(time.Second))

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	simAddr, err := freeAddr()
	if err != nil {
		return err
	}
	// The archive's ten targets, so the status page looks each one up.
	var targets string
	for i := range 10 {
		targets += fmt.Sprintf("  - {name: target-%d, url: 'http://%s/v1', model: sim}\n", i, simAddr)
	}
	cfg := filepath.Join(dir, "inferno.yml")
	writeConfig := func(extra string) error {
		global, schedules, _ := strings.Cut(extra, "\n"+"schedules:")
		if schedules == "" {
			schedules = "schedules: []"
		} else {
			schedules = "schedules:" + schedules
		}
		return os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  report_dir: %s
  report_retention: 3650d
%s
simulator: {listen: '%s', model: sim, ttft: 2ms, itl: 1ms}
targets:
  - {name: sim, url: 'http://%s/v1', model: sim}
%s
workloads: [{name: tiny, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 1}, requests: 2}]
%s
modules: {quick: {workload: tiny, timeout: 10s, archive: true}}
`, reports, global, simAddr, simAddr, targets, schedules)), 0o644)
	}
	if err := writeConfig(""); err != nil {
		return err
	}
	base := "http://" + addr

	fmt.Println("\n== 1. first start, no index: rebuilt from the reports in the background")
	p, err := startDaemon(bin, cfg, addr)
	if err != nil {
		return err
	}
	ready := p.waitReady(base)
	synced := p.waitLog("archive index in step", 10*time.Minute)
	fmt.Printf("ready (a page of 50 runs served) after %v; index rebuilt after %v; peak RSS %s\n",
		ready.Round(time.Millisecond), synced.Round(time.Millisecond), p.rss())
	fmt.Printf("  %s\n", p.logLine("archive index in step"))
	p.stop()
	if info, err := os.Stat(filepath.Join(reports, "index.sqlite")); err == nil {
		fmt.Printf("index.sqlite: %.1f MiB\n", float64(info.Size())/(1<<20))
	}

	fmt.Println("\n== 2. restart with the index")
	p, err = startDaemon(bin, cfg, addr)
	if err != nil {
		return err
	}
	ready = p.waitReady(base)
	synced = p.waitLog("archive index in step", 5*time.Minute)
	fmt.Printf("ready (a page of 50 runs served) after %v; index in step after %v; peak RSS %s\n",
		ready.Round(time.Millisecond), synced.Round(time.Millisecond), p.rss())
	fmt.Printf("  %s\n", p.logLine("archive index in step"))
	measureLists(base, 300, "")
	probes := measureProbes(base, 100, nil)
	fmt.Printf("/probe windows (archived), baseline: %s\n", probes)
	fmt.Printf("peak RSS after the queries: %s\n", p.rss())
	p.stop()

	fmt.Printf("\n== 3. retention: report_retention_count %d deletes %d reports while /probe windows run\n", n/2, n-n/2)
	// A schedule every second on the ten targets too: scheduled windows
	// archive and index their reports while the retention deletes.
	if err := writeConfig(fmt.Sprintf("  report_retention_count: %d\n  max_concurrent_windows: 12", n/2) + "\n" +
		"schedules: [{name: every-second, cron: '* * * * * *', targets: [target-0, target-1, target-2, target-3, target-4], workload: tiny}]"); err != nil {
		return err
	}
	p, err = startDaemon(bin, cfg, addr)
	if err != nil {
		return err
	}
	ready = p.waitReady(base)
	fmt.Printf("ready after %v\n", ready.Round(time.Millisecond))
	done := make(chan struct{})
	var during, pages string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); during = measureProbes(base, 1_000_000, done) }()
	go func() { defer wg.Done(); pages = measurePages(base, done) }()
	retained := p.waitLog("old reports deleted", 10*time.Minute)
	close(done)
	wg.Wait()
	fmt.Printf("retention done %v after start: %s\n", retained.Round(time.Millisecond), p.logLine("old reports deleted"))
	fmt.Printf("/probe windows (archived) during the retention: %s\n", during)
	fmt.Printf("pages of 50 runs during the retention: %s\n", pages)
	fmt.Printf("scheduled windows finished by then: %d\n", p.count(`msg="window finished"`, "trigger=schedule"))
	files, _ := filepath.Glob(filepath.Join(reports, "report_*.json"))
	fmt.Printf("reports left: %d; peak RSS %s\n", len(files), p.rss())
	measureLists(base, 100, "after the retention")
	p.stop()
	return nil
}

// writeArchive writes n reports made from one aggregated window,
// varied in id, start, target, workload, trigger and status: ten targets,
// three workloads, one window every 20 s over the last ~23 days.
func writeArchive(dir string, n int) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	tmpl := template()
	now := time.Now()
	statuses := []string{report.StatusFinished, report.StatusFinished, report.StatusFinished, report.StatusFinished, report.StatusFailed, report.StatusAborted}
	triggers := []string{"schedule", "schedule", "schedule", "api", "probe"}
	var total int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := *tmpl
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var size int64
			for i := w; i < n; i += 2 {
				started := now.Add(-time.Duration(n-i) * 20 * time.Second)
				r.Run.ID = report.NewRunID(started)
				if i%5000 == 0 {
					// An old-API test_id that sorts above every generated
					// id; the lists must still place it by its start.
					r.Run.ID = fmt.Sprintf("zzzz-legacy-%d", i)
				}
				r.Run.StartedAt, r.Run.EndedAt = started, started.Add(2*time.Second)
				r.Run.Target.Name = fmt.Sprintf("target-%d", i%10)
				r.Run.Workload = fmt.Sprintf("workload-%d", i%3)
				r.Run.Trigger = triggers[rng.IntN(len(triggers))]
				r.Run.Status = statuses[rng.IntN(len(statuses))]
				b, err := json.MarshalIndent(&r, "", "  ")
				if err == nil {
					// Not fsynced: this is test data, not an archive to keep.
					err = os.WriteFile(filepath.Join(dir, report.FileName(r.Run.ID)), append(b, '\n'), 0o644)
				}
				if err != nil {
					errs <- err
					return
				}
				size += int64(len(b) + 1)
			}
			mu.Lock()
			total += size
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	return total, <-errs
}

// template is a real window's report: 32 requests through the aggregator.
func template() *report.Report {
	start := time.Now()
	a := report.NewAggregator(start, report.SLO{TTFT: 500 * time.Millisecond}, nil)
	for j := range 32 {
		sent := start.Add(time.Duration(j) * 50 * time.Millisecond)
		ttft := time.Duration(80+j*3) * time.Millisecond
		a.Add(&result.Result{Index: j, Intended: sent, Sent: sent, Headers: sent, FirstEvent: sent.Add(ttft),
			FirstContent: sent.Add(ttft), End: sent.Add(ttft + 640*time.Millisecond), Outcome: result.Success, Status: 200,
			InputTokens: 128, OutputTokens: 32, ContentEvents: 32})
	}
	r := a.Report(report.Meta{Status: report.StatusFinished, Version: "bench", Target: report.Target{URL: "http://127.0.0.1/v1", API: "openai-chat", Model: "sim"}})
	return &r
}

type process struct {
	cmd     *exec.Cmd
	started time.Time
	mu      sync.Mutex
	lines   []string
}

func startDaemon(bin, cfg, addr string) (*process, error) {
	p := &process{cmd: exec.Command(bin, "--config.file", cfg, "--web.listen-address", addr)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout = io.Discard
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
	}()
	return p, nil
}

// waitReady is the time from exec until a page of 50 runs is served.
func (p *process) waitReady(base string) time.Duration {
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		resp, err := client.Get(base + "/api/v1/runs?limit=50")
		if err != nil {
			continue
		}
		var views []json.RawMessage
		json.NewDecoder(resp.Body).Decode(&views)
		resp.Body.Close()
		if resp.StatusCode == 200 && len(views) == 50 {
			return time.Since(p.started)
		}
	}
	return -1
}

// waitLog is the time from exec until a log line containing s.
func (p *process) waitLog(s string, limit time.Duration) time.Duration {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p.logLine(s) != "" {
			return time.Since(p.started)
		}
	}
	return -1
}

// count is how many log lines contain every one of ss.
func (p *process) count(ss ...string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
lines:
	for _, l := range p.lines {
		for _, s := range ss {
			if !strings.Contains(l, s) {
				continue lines
			}
		}
		n++
	}
	return n
}

func (p *process) logLine(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// rss is the process's peak and current resident set size.
func (p *process) rss() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return "unknown"
	}
	var hwm, cur string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = kib(v)
		}
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			cur = kib(v)
		}
	}
	return fmt.Sprintf("%s (now %s)", hwm, cur)
}

func kib(field string) string {
	n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(field), "kB")))
	return fmt.Sprintf("%.1f MiB", float64(n)/1024)
}

func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// timings summarises durations.
type timings []time.Duration

func (t timings) String() string {
	if len(t) == 0 {
		return "none"
	}
	s := slices.Clone(t)
	slices.Sort(s)
	q := func(f float64) time.Duration { return s[int(f*float64(len(s)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("n=%d p50 %v p95 %v p99 %v max %v", len(s), q(0.5), q(0.95), q(0.99), s[len(s)-1].Round(10*time.Microsecond))
}

func timeGet(client *http.Client, url string) (time.Duration, []byte, error) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, nil, fmt.Errorf("%s: %d %.200s", url, resp.StatusCode, b)
	}
	return time.Since(start), b, err
}

// measureLists times pages of 50 runs, walking their cursors, plain and
// filtered, and the status page.
func measureLists(base string, n int, label string) {
	client := &http.Client{Timeout: 10 * time.Second}
	for _, filter := range []string{"", "&target=target-3", "&status=failed&workload=workload-1", "&trigger=api&since=" + time.Now().Add(-7*24*time.Hour).UTC().Format(time.RFC3339)} {
		var ts timings
		before := ""
		for range n {
			url := base + "/api/v1/runs?limit=50" + filter
			if before != "" {
				url += "&before=" + before
			}
			d, b, err := timeGet(client, url)
			if err != nil {
				fmt.Println("  error:", err)
				return
			}
			ts = append(ts, d)
			var views []struct{ ID string }
			json.Unmarshal(b, &views)
			before = ""
			if len(views) == 50 {
				before = views[49].ID
			}
		}
		name := "page of 50 runs"
		if filter != "" {
			name += " (" + strings.TrimPrefix(filter, "&") + ")"
		}
		if label != "" {
			name += ", " + label
		}
		fmt.Printf("%s: %s\n", name, ts)
	}
	var ts timings
	for range n / 3 {
		d, _, err := timeGet(client, base+"/")
		if err != nil {
			fmt.Println("  error:", err)
			return
		}
		ts = append(ts, d)
	}
	fmt.Printf("status page%s: %s\n", map[bool]string{true: ", " + label}[label != ""], ts)
}

// measureProbes times archived /probe windows, n of them or until done.
func measureProbes(base string, n int, done chan struct{}) string {
	client := &http.Client{Timeout: 30 * time.Second}
	var ts timings
	failed := 0
	for range n {
		select {
		case <-done:
			return fmt.Sprintf("%s, %d failed", ts, failed)
		default:
		}
		start := time.Now()
		resp, err := client.Get(base + "/probe?module=quick&target=sim")
		if err != nil {
			failed++
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "probe_success 1") {
			failed++
		}
		ts = append(ts, time.Since(start))
	}
	return fmt.Sprintf("%s, %d failed", ts, failed)
}

// measurePages times the first page of 50 runs until done.
func measurePages(base string, done chan struct{}) string {
	client := &http.Client{Timeout: 10 * time.Second}
	var ts timings
	for {
		select {
		case <-done:
			return ts.String()
		case <-time.After(20 * time.Millisecond):
		}
		d, _, err := timeGet(client, base+"/api/v1/runs?limit=50")
		if err != nil {
			return fmt.Sprintf("%s, then %v", ts, err)
		}
		ts = append(ts, d)
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
