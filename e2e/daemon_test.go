package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
)

func freePort(t *testing.T) string { return testutil.FreePort(t) }

// TestDaemonExampleConfig runs the binary on the shipped example, as a new
// user would: metrics and a report within the first minute, a probe, and a
// SIGTERM mid-window that leaves an aborted report.
func TestDaemonExampleConfig(t *testing.T) {
	dir, bin := buildBinary(t)
	example, err := os.ReadFile("../config.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	simAddr, webAddr := freePort(t), freePort(t)
	cfg := strings.ReplaceAll(string(example), "127.0.0.1:8001", simAddr)
	cfg = strings.ReplaceAll(cfg, `127\.0\.0\.1:8001`, strings.ReplaceAll(simAddr, ".", `\.`))
	cfg = strings.Replace(cfg, "report_dir: reports", "report_dir: "+filepath.Join(dir, "reports"), 1)
	cfgPath := filepath.Join(dir, "inferno.yml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	if out, err := exec.Command(bin, "--config.file", cfgPath, "--config.check").CombinedOutput(); err != nil {
		t.Fatalf("--config.check: %v\n%s", err, out)
	}
	daemon := startProcess(t, bin, "--config.file", cfgPath, "--web.listen-address", webAddr)
	base := "http://" + webAddr
	waitUntil(t, time.Minute, "the TTFT histogram and a report", func() bool {
		metrics := fetch(base + "/metrics")
		files, _ := filepath.Glob(filepath.Join(dir, "reports", "report_*.json"))
		return strings.Contains(metrics, "inferno_time_to_first_token_seconds_bucket") && len(files) > 0
	})
	if probe := fetch(base + "/probe?module=llm_probe&target=simulator"); !strings.Contains(probe, "probe_success 1") ||
		!strings.Contains(probe, "probe_ttft_seconds") {
		t.Errorf("probe answered:\n%s", probe)
	}
	resp, err := http.Get(base + "/probe?module=llm_probe&target=http://10.0.0.42:8000/v1")
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("URL outside the allow-list: %v %v", resp, err)
	}

	// SIGTERM while a window is running leaves its report marked aborted.
	var running string
	waitUntil(t, time.Minute, "a running window", func() bool {
		var runs []struct{ ID, Status string }
		json.Unmarshal([]byte(fetch(base+"/api/v1/runs")), &runs)
		for _, r := range runs {
			if r.Status == "running" {
				running = r.ID
				return true
			}
		}
		return false
	})
	daemon.terminate(t, 30*time.Second)
	rep, err := report.Read(filepath.Join(dir, "reports", report.FileName(running)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Status != report.StatusAborted {
		t.Errorf("run %s after SIGTERM: status %s, want aborted", running, rep.Run.Status)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "reports", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left in the archive: %v", leftovers)
	}
}

// buildBinary builds inferno into a fresh directory, which it returns
// with the binary's path; it skips the test under -short.
func buildBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "inferno")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return dir, bin
}

// process is a started binary whose output is kept for failure messages.
type process struct {
	cmd     *exec.Cmd
	logs    testutil.LockedBuffer
	exited  chan struct{}
	exitErr error
}

// startProcess starts bin with args; the process is killed, if it still
// runs, when the test ends.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // no-op once it has exited
		<-p.exited
	})
	return p
}

// terminate sends SIGTERM and fails the test unless the process exits
// cleanly within limit; it returns how long the exit took.
func (p *process) terminate(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	signalled := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.exitErr != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", p.exitErr, p.logs.String())
		}
	case <-time.After(limit):
		t.Fatalf("still running %v after SIGTERM\n%s", limit, p.logs.String())
	}
	return time.Since(signalled)
}

func fetch(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}
